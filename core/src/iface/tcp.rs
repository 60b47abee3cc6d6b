//! TCP in the stack: demultiplexing segments to sockets through the index,
//! RSTs for segments to closed ports (RFC 9293 3.10.7.1), never anything to
//! or from a broadcast address (RFC 1122 4.2.3.10), and emitting the
//! sockets' segments with the checksum and DF set.

use core::net::SocketAddrV4;

use super::ipv4::{DstKind, InPacket, L4Checksum, OutputError, originated};
use super::stats::bump;
use super::{Inner, Stack, Tx};
use crate::socket::tcp::input::{Reply, RxContext};
use crate::socket::tcp::{ConnectError, RtxTimer, Segment, TcpSocket};
use crate::socket::{DispatchError, SocketHandle, SocketSet};
use crate::time::Instant;
use crate::wire::tcp::{CHECKSUM_OFFSET, MAX_HEADER_LEN};
use crate::wire::{
    IpProtocol, Ipv4Address, Ipv4AddressExt, TcpFlags, TcpOptions, TcpPacket, TcpRepr, checksum,
};

/// What [`Inner::tcp_output`] does when the device has no buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IfBusy {
    /// Queue the segment (a reply outside any connection, which nobody
    /// would send again).
    Queue,
    /// Fail with `Exhausted` (a socket's segment: the socket keeps it and
    /// tries again).
    Refuse,
}

impl Inner<'_> {
    /// The MSS for a connection over device `dev`: MTU - 40 (RFC 9293
    /// 3.7.1: "the MSS value is the effective MTU minus the fixed IP and
    /// TCP headers").
    pub(crate) fn mss_for_device(&self, dev: super::DeviceId) -> usize {
        self.devices
            .get(dev.index())
            .map_or(536, |d| d.caps.mtu.min(65535).saturating_sub(40).max(88))
    }

    /// microps's `tcp_input`.
    pub(crate) fn tcp_input(
        &mut self,
        tx: &mut Tx<'_, '_>,
        sockets: &mut SocketSet<'_>,
        pkt: &InPacket<'_>,
    ) {
        bump(&mut self.stats.tcp.rx_segments);
        let src = pkt.repr.src_addr;
        let dst = pkt.repr.dst_addr;
        let packet = match TcpPacket::new_checked(pkt.payload) {
            Ok(p) => p,
            Err(_) => {
                bump(&mut self.stats.tcp.drop_malformed);
                return;
            }
        };
        let repr = match TcpRepr::parse(&packet, &src, &dst, &pkt.checksums) {
            Ok(r) => r,
            Err(crate::wire::Error::Checksum) => {
                bump(&mut self.stats.tcp.drop_checksum);
                return;
            }
            Err(_) => {
                bump(&mut self.stats.tcp.drop_malformed);
                return;
            }
        };
        net_debug!(
            "{}:{} => {}:{}, len={} (payload={}), flags={}",
            src,
            repr.src_port,
            dst,
            repr.dst_port,
            pkt.payload.len(),
            repr.payload.len(),
            repr.flags
        );
        // RFC 1122 4.2.3.10: "A TCP implementation MUST silently discard an
        // incoming SYN segment that is addressed to a broadcast or multicast
        // address." No segment to or from one gets an answer here.
        if pkt.dst_kind != DstKind::Local || pkt.link_broadcast || !src.is_unicast_host() {
            bump(&mut self.stats.tcp.drop_broadcast);
            return;
        }
        let local = SocketAddrV4::new(dst, repr.dst_port);
        let remote = SocketAddrV4::new(src, repr.src_port);
        // Lookup order: a live connection, then a TIME-WAIT record, then a
        // listener (which a SYN the record gives way to reaches).
        let mut found = sockets.tcp_lookup(&local, &remote);
        let mut reopened = None;
        if cfg!(feature = "tcp-time-wait")
            && !self.time_wait.is_empty()
            && !found.is_some_and(|h| {
                sockets
                    .get::<TcpSocket>(h)
                    .is_some_and(|s| !s.is_listening())
            })
            && let Some(i) = self.time_wait.find(&local, &remote)
        {
            match self.time_wait_input(tx, i, &repr) {
                Some(iss) => reopened = Some(iss),
                None => return,
            }
        }
        let mut cx = RxContext::new(
            self.now,
            &self.key,
            self.mss_for_device(pkt.dev),
            local,
            remote,
            &self.config.tcp,
        );
        if repr.flags.contains(TcpFlags::SYN) {
            // The MSS is chosen on a SYN: with the path's MTU, if learnt.
            cx.path_mtu = self.pmtu.lookup(src, self.now);
        }
        if reopened.is_some() {
            cx.iss = reopened;
        }
        // RFC 6191: a SYN that may reopen a connection in TIME-WAIT ends it
        // and goes to a listener, with an ISS beyond the old connection's.
        if let Some(h) = found
            && let Some(s) = sockets.get_mut::<TcpSocket>(h)
            && s.gives_way_to(&cx, &repr)
        {
            cx.iss = Some(s.give_way());
            sockets.sync_tcp_index(h);
            found = sockets.tcp_lookup(&local, &remote);
        }
        match found {
            Some(h)
                if !cfg!(feature = "tcp-listener")
                    && sockets.get::<crate::socket::TcpListener>(h).is_some() =>
            {
                // Listeners with a backlog are compiled out.
                bump(&mut self.stats.tcp.drop_no_socket);
                if let Some(r) = Reply::for_closed(&repr) {
                    self.tcp_reply(tx, local, remote, r);
                }
            }
            Some(h) if sockets.get::<crate::socket::TcpListener>(h).is_some() => {
                // The context borrows the stack's key and settings, which
                // the listener's output needs too: copies, off the data path.
                let (key, config) = (self.key, self.config.tcp);
                let mut lcx = RxContext::new(cx.now, &key, cx.mss, local, remote, &config);
                lcx.iss = cx.iss;
                lcx.path_mtu = cx.path_mtu;
                self.tcp_listener_input(tx, sockets, h, &lcx, &repr);
            }
            Some(h) => {
                let reply = match sockets.get_mut::<TcpSocket>(h) {
                    Some(s) => {
                        let reply = s.segment_arrives(&cx, &repr);
                        let notes = s.take_notes();
                        self.count_notes(notes);
                        reply
                    }
                    None => None,
                };
                sockets.sync_tcp_index(h);
                if let Some(r) = reply {
                    self.tcp_reply(tx, local, remote, r);
                }
            }
            None => {
                bump(&mut self.stats.tcp.drop_no_socket);
                if let Some(r) = Reply::for_closed(&repr) {
                    self.tcp_reply(tx, local, remote, r);
                }
            }
        }
    }

    /// A segment for the TIME-WAIT record at `i`; returns the ISS of a new
    /// incarnation when the record gives way to a SYN (RFC 6191).
    fn time_wait_input(
        &mut self,
        tx: &mut Tx<'_, '_>,
        i: usize,
        repr: &TcpRepr<'_>,
    ) -> Option<crate::wire::SeqNumber> {
        use crate::socket::tcp::TimeWaitAction;
        let now = self.now;
        let config = self.config.tcp;
        let r = self.time_wait.get_mut(i)?;
        let expires = r.expires();
        let action = r.segment_arrives(now, &config, repr);
        // A record whose 2*MSL restarted goes to the back of the FIFO,
        // whether or not its ACK goes (the rate limit may hold it).
        let renewed = r.expires() != expires;
        match action {
            TimeWaitAction::Drop => {
                if renewed {
                    self.time_wait.renew(i);
                }
            }
            TimeWaitAction::Ack => {
                let seg = r.ack(now);
                let _ = self.tcp_output(tx, &seg, IfBusy::Queue);
                if renewed {
                    self.time_wait.renew(i);
                }
            }
            TimeWaitAction::Close => {
                self.time_wait.remove(i);
            }
            TimeWaitAction::Reopen(iss) => {
                self.time_wait.remove(i);
                bump(&mut self.stats.tcp.time_wait_reopened);
                return Some(iss);
            }
        }
        None
    }

    /// Sends a RST (or bare ACK) outside any connection's sequence flow.
    pub(crate) fn tcp_reply(
        &mut self,
        tx: &mut Tx<'_, '_>,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        r: Reply,
    ) {
        if r.flags.contains(TcpFlags::RST) {
            bump(&mut self.stats.tcp.tx_resets);
        }
        let seg = Segment {
            local,
            remote,
            seq: r.seq,
            ack: r.ack,
            flags: r.flags,
            window: 0,
            urgent: 0,
            options: TcpOptions::new(),
            payload: [&[], &[]],
            ident: r.seq.0 as u16 ^ r.ack.0 as u16,
            dont_frag: true,
        };
        let _ = self.tcp_output(tx, &seg, IfBusy::Queue);
    }

    /// Emits a segment: header, checksum (pseudo-header, header, data in
    /// its pieces), IP with DF (RFC 1191). A device without a buffer makes
    /// it wait in the pending queue or fail, as `if_busy` says.
    pub(crate) fn tcp_output(
        &mut self,
        tx: &mut Tx<'_, '_>,
        seg: &Segment<'_>,
        if_busy: IfBusy,
    ) -> Result<(), OutputError> {
        let src = *seg.local.ip();
        let dst = *seg.remote.ip();
        let Some(mut route) = self.route_for(&dst, Some(src)) else {
            bump(&mut self.stats.ipv4.drop_no_route);
            return Err(OutputError::NoRoute);
        };
        // A segment outside any connection's flow answers the peer's.
        route.reply = if_busy == IfBusy::Queue;
        let payload_len = seg.payload_len();
        let mut header = [0u8; MAX_HEADER_LEN];
        let hl = seg
            .header_repr()
            .emit_header(&mut TcpPacket::new_unchecked(&mut header[..]));
        let caps = self
            .devices
            .get(route.device.index())
            .map_or(crate::wire::ChecksumCapabilities::all(), |d| {
                d.caps.checksum
            });
        // The checksum is summed over the segment once it is in the frame.
        let l4 = caps.tcp.tx().then(|| L4Checksum {
            offset: CHECKSUM_OFFSET,
            pseudo: checksum::pseudo_header(
                &src,
                &dst,
                IpProtocol::Tcp.into(),
                (hl + payload_len) as u32,
            ),
        });
        let mut ip = originated(
            route.src,
            dst,
            IpProtocol::Tcp,
            hl + payload_len,
            self.config.ttl,
        );
        ip.dont_frag = seg.dont_frag;
        ip.ident = match seg.dont_frag {
            // Atomic (DF, never fragmented): the connection's own counter.
            true => seg.ident,
            // A path locked below the floor: routers may fragment it, so
            // the identifier must be unique (RFC 6864 4.2).
            false => self.next_ident(&route.src, &dst, IpProtocol::Tcp),
        };
        net_debug!(
            "{} => {}, seq={}, ack={}, flags={}, wnd={}, len={}",
            seg.local,
            seg.remote,
            seg.seq,
            seg.ack,
            seg.flags,
            seg.window,
            payload_len
        );
        let mut l4 = l4;
        if !seg.dont_frag
            && let Some(c) = l4.take()
        {
            // Without DF the datagram could be fragmented on its way out,
            // where a checksum filled in after the copy is not: sum now.
            let head = header.get(..hl).unwrap_or(&[]);
            let data = checksum::data_chained(&[head, seg.payload[0], seg.payload[1]]);
            let sum = checksum::finish(checksum::add(c.pseudo, data));
            if let Some(field) = header.get_mut(CHECKSUM_OFFSET..CHECKSUM_OFFSET + 2) {
                field.copy_from_slice(&sum.to_be_bytes());
            }
        }
        let parts = [
            header.get(..hl).unwrap_or(&[]),
            seg.payload[0],
            seg.payload[1],
        ];
        let r = self.ip_output_summed(tx, ip, &parts, route, l4);
        match r {
            Ok(()) => {
                bump(&mut self.stats.tcp.tx_segments);
                Ok(())
            }
            Err(OutputError::Exhausted) if if_busy == IfBusy::Queue => self.queue_pending_summed(
                ip,
                &parts,
                route,
                super::pending::PendingState::Ready,
                l4,
            ),
            Err(e) => Err(e),
        }
    }

    /// Counts what a connection noted (see `TcpSocket::take_notes`).
    pub(crate) fn count_notes(&mut self, notes: crate::socket::tcp::Notes) {
        for (noted, counter) in [
            (notes.oow_ack_limited, &mut self.stats.tcp.oow_acks_limited),
            (notes.mss_floored, &mut self.stats.tcp.mss_floored),
            (notes.path_mtu_locked, &mut self.stats.icmp.path_mtu_locked),
        ] {
            if noted {
                bump(counter);
            }
        }
    }

    /// Runs a TCP socket's expired timers, counting them.
    pub(crate) fn tcp_socket_timeout(&mut self, s: &mut TcpSocket<'_>) {
        use crate::socket::tcp::Timer;
        // The retransmission timer's slot may hold RACK-TLP's timers.
        let rtx = s.rtx_timer();
        let expired = s.handle_timeout(self.now, &self.config.tcp);
        if expired.is_empty() {
            return;
        }
        let tcp = &mut self.stats.tcp;
        let rtx_counter = match rtx {
            RtxTimer::Rto => &mut tcp.retransmission_timeouts,
            RtxTimer::Probe => &mut tcp.loss_probe_timeouts,
            RtxTimer::Reorder => &mut tcp.reorder_timeouts,
        };
        for (timer, counter) in [
            (Timer::Retransmit, rtx_counter),
            (Timer::Persist, &mut tcp.persist_timeouts),
            (Timer::KeepAlive, &mut tcp.keep_alive_timeouts),
        ] {
            if expired.contains(timer) {
                bump(counter);
            }
        }
    }

    /// Lets a TCP socket send what it has (up to a budget of segments).
    pub(crate) fn tcp_socket_dispatch(
        &mut self,
        tx: &mut Tx<'_, '_>,
        s: &mut TcpSocket<'_>,
    ) -> bool {
        let now = self.now;
        let config = self.config.tcp;
        if (s.path_mtu_lowered() || s.path_mtu_locked()) && self.pmtu.capacity() > 0 {
            // RFC 1191 6.3: the estimate may have aged out (or another
            // connection to the peer may have lowered it).
            s.refresh_path_mtu(self.pmtu.lookup(*s.remote.ip(), now));
        }
        s.dispatch(
            now,
            &config,
            &mut |seg| match self.tcp_output(tx, seg, IfBusy::Refuse) {
                Ok(()) => Ok(()),
                Err(OutputError::Exhausted) => Err(DispatchError::Exhausted),
                // Lost on the way (no route, ARP failed, ...): the
                // retransmission timer deals with it, as with any loss.
                Err(_) => Ok(()),
            },
        )
    }
}

impl Stack<'_> {
    /// The initial sequence number this stack gives a connection from
    /// `local` to `remote` opened at `now` (RFC 6528, with the stack's
    /// secret key), as its SYN or SYN,ACK will carry it.
    pub fn initial_sequence_number(
        &self,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        now: Instant,
    ) -> crate::wire::SeqNumber {
        TcpSocket::initial_sequence_number(&self.inner.key, local, remote, now)
    }

    /// RFC 9293 3.10.1, active OPEN: connects the TCP socket at `handle` to
    /// `remote`, from the address the route chooses and `local_port` (0: an
    /// ephemeral port, RFC 6056). The SYN goes out at the next poll. Returns
    /// the local endpoint.
    ///
    /// ```
    /// use microps_core::iface::{Stack, StackConfig, StackStorage};
    /// use microps_core::phy::DeviceCapabilities;
    /// use microps_core::socket::{SocketSet, SocketSlot, tcp::{SocketBuffer, State, TcpSocket}};
    /// use microps_core::time::Instant;
    /// use microps_core::wire::EthernetAddress;
    ///
    /// let mut stack = Stack::new(StackConfig::default(), StackStorage::default_owned());
    /// let dev = stack.add_device(DeviceCapabilities::ethernet(1500, EthernetAddress([2, 0, 0, 0, 0, 1]))).unwrap();
    /// stack.add_interface(dev, "192.0.2.2/24".parse().unwrap()).unwrap();
    /// let mut sockets = SocketSet::new(vec![SocketSlot::new(), SocketSlot::new()], 1);
    /// let h = sockets.add(TcpSocket::new(SocketBuffer::new(vec![0; 4096]), SocketBuffer::new(vec![0; 4096]))).unwrap();
    /// let local = stack.tcp_connect(Instant::ZERO, &mut sockets, h, "192.0.2.1:7".parse().unwrap(), 0).unwrap();
    /// assert!(local.port() >= 49152);
    /// assert_eq!(sockets.get::<TcpSocket>(h).unwrap().state(), State::SynSent);
    /// ```
    pub fn tcp_connect(
        &mut self,
        now: Instant,
        sockets: &mut SocketSet<'_>,
        handle: SocketHandle,
        remote: SocketAddrV4,
        local_port: u16,
    ) -> Result<SocketAddrV4, ConnectError> {
        let local = SocketAddrV4::new(Ipv4Address::UNSPECIFIED, local_port);
        self.tcp_connect_from(now, sockets, handle, local, remote)
    }

    /// [`Stack::tcp_connect`] from a local address of the caller's choice
    /// (RFC 9293 3.9.1.1, MUST-43: "The OPEN call ... MUST support an
    /// optional local IP address"), which must be one of this stack's
    /// interfaces'; the unspecified address lets the route choose. The
    /// SYN leaves through the route to `remote` with that source.
    pub fn tcp_connect_from(
        &mut self,
        now: Instant,
        sockets: &mut SocketSet<'_>,
        handle: SocketHandle,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> Result<SocketAddrV4, ConnectError> {
        let chosen = (!local.ip().is_unspecified()).then_some(*local.ip());
        if chosen.is_some_and(|ip| self.inner.iface_by_addr(&ip).is_none()) {
            return Err(ConnectError::AddrNotAvailable);
        }
        let local_port = local.port();
        if remote.port() == 0
            || remote.ip().is_unspecified()
            || remote.ip().is_broadcast()
            || remote.ip().is_multicast()
        {
            return Err(ConnectError::Unaddressable);
        }
        match sockets.get::<TcpSocket>(handle) {
            None => return Err(ConnectError::InvalidHandle),
            Some(s) if s.is_open() => return Err(ConnectError::InvalidState),
            Some(_) => {}
        }
        let route = self
            .inner
            .route_for(remote.ip(), chosen)
            .ok_or(ConnectError::NoRoute)?;
        // RFC 9293 3.9.1.1 (MUST-46): "A TCP implementation MUST reject as
        // an error a local OPEN call for an invalid remote IP address (e.g.,
        // a broadcast or multicast address)": a subnet's broadcast too.
        if route.broadcast {
            return Err(ConnectError::Unaddressable);
        }
        let local_ip = route.src;
        // RFC 6056: a port whose connection to `remote` waits in a
        // TIME-WAIT record is taken too.
        let time_wait = &self.inner.time_wait;
        let port = if local_port == 0 {
            sockets
                .tcp_ephemeral_port(local_ip, remote, |l| time_wait.contains(l, &remote))
                .ok_or(ConnectError::NoEphemeralPort)?
        } else {
            let l = SocketAddrV4::new(local_ip, local_port);
            if sockets.tcp_in_use(l, remote) || time_wait.contains(&l, &remote) {
                return Err(ConnectError::AddrInUse);
            }
            local_port
        };
        let local = SocketAddrV4::new(local_ip, port);
        let mss = self.inner.mss_for_device(route.device);
        let iss = TcpSocket::initial_sequence_number(&self.inner.key, local, remote, now);
        let s = sockets
            .get_mut::<TcpSocket>(handle)
            .ok_or(ConnectError::InvalidHandle)?;
        // (The path MTU learnt for `remote` caps the MSS when the SYN,ACK
        // comes, `tcp_input`.)
        s.connect(local, remote, iss, mss, now, &self.inner.config.tcp)?;
        s.set_timestamp_offset(&self.inner.key);
        sockets.sync_tcp_index(handle);
        Ok(local)
    }
}
