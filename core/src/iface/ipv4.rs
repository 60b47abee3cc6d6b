//! IPv4 in the stack (RFC 791; RFC 1122 section 3.2 and 3.3): input
//! validation and delivery, reassembly, optional forwarding, and output with
//! route and source selection, identifiers and fragmentation.

use core::fmt;

use super::ethernet::{ether_emit, frame_len};
use super::icmp::ErrorMsg;
use super::interface::DeviceId;
use super::neighbor::{ArpCache, Lookup};
use super::pending::PendingState;
use super::reassembly::{FragDrop, FragKey, FragOutcome, Fragment, Reassembler};
use super::stats::bump;
use super::{Inner, Rx, Tx};
use crate::phy::{DeviceError, Medium};
use crate::socket::{IcmpErrorKind, SocketSet};
use crate::time::Instant;
use crate::wire::ipv4::HEADER_LEN;
use crate::wire::{
    ChecksumCapabilities, EtherType, EthernetAddress, IpProtocol, Ipv4Address, Ipv4AddressExt,
    Ipv4Packet, Ipv4Repr,
};
use crate::wire::{DstUnreachable, TimeExceeded};

/// Where a received datagram is addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DstKind {
    /// One of our unicast addresses.
    Local,
    /// The limited broadcast or a directed broadcast of the receiving link.
    Broadcast,
}

/// A datagram on its way up: its header, the header bytes as received (for
/// ICMP quotes) and its whole payload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InPacket<'p> {
    pub(crate) repr: Ipv4Repr,
    pub(crate) header: &'p [u8],
    pub(crate) payload: &'p [u8],
    pub(crate) dst_kind: DstKind,
    pub(crate) link_broadcast: bool,
    pub(crate) dev: DeviceId,
    pub(crate) checksums: ChecksumCapabilities,
}

/// Where an outgoing datagram goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RouteInfo {
    pub(crate) device: DeviceId,
    pub(crate) src: Ipv4Address,
    pub(crate) next_hop: Ipv4Address,
    pub(crate) broadcast: bool,
    /// The datagram answers one from its destination (an echo reply, an
    /// ICMP error, a RST, a listener's SYN,ACK): if the next hop was never
    /// resolved it is dropped, not queued behind ARP, so spoofed sources
    /// cannot fill the pending queue.
    pub(crate) reply: bool,
}

/// The last question [`Inner::route_for`] answered, and its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LastRoute {
    dst: Ipv4Address,
    src_hint: Option<Ipv4Address>,
    route: RouteInfo,
}

/// Why a datagram was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputError {
    /// No route to the destination.
    NoRoute,
    /// Longer than the MTU with DF set.
    TooBig { mtu: u16 },
    /// The device had no buffer (nothing was sent).
    Exhausted,
    /// Dropped for another counted reason.
    Dropped,
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            OutputError::NoRoute => f.write_str("no route"),
            OutputError::TooBig { mtu } => write!(f, "too big for MTU {mtu}"),
            OutputError::Exhausted => f.write_str("device busy"),
            OutputError::Dropped => f.write_str("dropped"),
        }
    }
}

impl OutputError {
    /// The error a socket sees.
    pub(crate) fn as_icmp_kind(&self) -> Option<IcmpErrorKind> {
        match self {
            OutputError::NoRoute => Some(IcmpErrorKind::NetUnreachable),
            OutputError::TooBig { mtu } => Some(IcmpErrorKind::FragmentationNeeded { mtu: *mtu }),
            OutputError::Exhausted | OutputError::Dropped => None,
        }
    }
}

/// The header of a datagram this host originates: not a fragment, TOS 0,
/// the identifier filled in on output.
pub(crate) fn originated(
    src: Ipv4Address,
    dst: Ipv4Address,
    protocol: IpProtocol,
    payload_len: usize,
    ttl: u8,
) -> Ipv4Repr {
    Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        protocol,
        payload_len,
        ttl,
        tos: 0,
        ident: 0,
        dont_frag: false,
        more_frags: false,
        frag_offset: 0,
    }
}

/// Copies bytes `start..start + dst.len()` of the concatenation of `parts`
/// into `dst`.
/// A transport checksum the output path fills in once the datagram's
/// payload is in its buffer (the frame, or the pending queue's copy): the
/// payload bytes are summed right after they were copied, while they are in
/// cache, instead of in a pass of their own before. For datagrams that go
/// whole (DF), which TCP's are; the checksum field must be zero in the
/// payload as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct L4Checksum {
    /// Where the checksum field is, from the start of the IP payload.
    pub(crate) offset: usize,
    /// The sum of the pseudo-header.
    pub(crate) pseudo: u16,
}

impl L4Checksum {
    /// Sums `payload` (the whole IP payload) and writes the checksum.
    pub(crate) fn apply(&self, payload: &mut [u8]) {
        use crate::wire::checksum;
        let sum = checksum::add(self.pseudo, checksum::data(payload));
        if let Some(field) = payload.get_mut(self.offset..self.offset + 2) {
            field.copy_from_slice(&checksum::finish(sum).to_be_bytes());
        }
    }
}

/// A datagram on its way out: its header, its payload in pieces, and the
/// transport checksum to fill in once the payload is in place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Datagram<'p, 'q> {
    pub(crate) repr: Ipv4Repr,
    pub(crate) parts: &'p [&'q [u8]],
    pub(crate) l4: Option<L4Checksum>,
}

pub(crate) fn copy_parts(parts: &[&[u8]], mut start: usize, dst: &mut [u8]) {
    let mut out = 0usize;
    for part in parts {
        if out >= dst.len() {
            break;
        }
        if start >= part.len() {
            start -= part.len();
            continue;
        }
        let src = part.get(start..).unwrap_or(&[]);
        let n = src.len().min(dst.len() - out);
        if let (Some(d), Some(s)) = (dst.get_mut(out..out + n), src.get(..n)) {
            d.copy_from_slice(s);
        }
        out += n;
        start = 0;
    }
}

impl Inner<'_> {
    /// microps's `ip_input`: validate (RFC 1122 3.2.1), classify the
    /// destination, reassemble, deliver or forward.
    pub(crate) fn ip_input(&mut self, rx: &mut Rx<'_, '_, '_, '_, '_>, data: &[u8]) {
        let (dev, link_broadcast) = (rx.dev, rx.link_broadcast);
        bump(&mut self.stats.ipv4.rx_packets);
        let checksums = self.rx_checksums(dev, rx.meta);
        let packet = match Ipv4Packet::new_checked(data) {
            Ok(p) => p,
            Err(_) => {
                bump(&mut self.stats.ipv4.drop_malformed);
                return;
            }
        };
        let repr = match Ipv4Repr::parse(&packet, &checksums) {
            Ok(r) => r,
            Err(crate::wire::Error::Checksum) => {
                bump(&mut self.stats.ipv4.drop_checksum);
                return;
            }
            Err(_) => {
                bump(&mut self.stats.ipv4.drop_malformed);
                return;
            }
        };
        net_debug!(
            "dev={}, protocol={}, {} => {}, total={}",
            dev,
            repr.protocol,
            repr.src_addr,
            repr.dst_addr,
            packet.total_len()
        );
        let loopback = self
            .devices
            .get(dev.index())
            .is_some_and(|d| d.caps.flags.loopback);
        // RFC 1122 3.2.1.3: a host must silently discard a datagram whose
        // source is not a unicast address (broadcast, multicast, class E,
        // 127/8 from the wire, 0/8 other than 0.0.0.0).
        let src = repr.src_addr;
        let src_broadcast = src.is_broadcast()
            || self
                .ifaces
                .iter()
                .any(|i| i.device == dev && i.broadcast() == Some(src));
        if src.is_martian_source() && !(loopback && src.is_loopback())
            || src_broadcast
            || (!loopback && self.iface_by_addr(&src).is_some())
        {
            bump(&mut self.stats.ipv4.drop_martian);
            return;
        }
        let dst = repr.dst_addr;
        let dst_kind = if self.iface_by_addr(&dst).is_some() {
            DstKind::Local
        } else if dst.is_broadcast()
            || self
                .ifaces
                .iter()
                .any(|i| i.device == dev && i.broadcast() == Some(dst))
        {
            DstKind::Broadcast
        } else if dst.is_multicast() {
            bump(&mut self.stats.ipv4.drop_multicast);
            return;
        } else {
            if cfg!(feature = "ipv4-forwarding") && self.config.forwarding && !link_broadcast {
                self.ip_forward(rx.tx, dev, &packet, repr, checksums);
            } else {
                bump(&mut self.stats.ipv4.drop_not_for_us);
            }
            return;
        };
        // RFC 1122 3.3.6: a unicast datagram that came as a link-layer
        // broadcast is discarded.
        if link_broadcast && dst_kind == DstKind::Local {
            bump(&mut self.stats.ipv4.drop_link_broadcast);
            return;
        }
        let pkt = InPacket {
            repr,
            header: packet.header(),
            payload: packet.payload(),
            dst_kind,
            link_broadcast,
            dev,
            checksums,
        };
        if !repr.is_fragment() {
            self.ip_deliver(rx.tx, rx.sockets, &pkt);
        } else if cfg!(feature = "ipv4-reassembly") {
            self.ip_reassemble(rx.tx, rx.reasm, rx.sockets, &pkt);
        } else {
            bump(&mut self.stats.ipv4.drop_frag_unsupported);
        }
    }

    /// Adds a fragment to its datagram (RFC 791 3.2's reassembly
    /// procedure) and delivers the datagram once it is whole.
    fn ip_reassemble(
        &mut self,
        tx: &mut Tx<'_, '_>,
        reasm: &mut Reassembler<'_>,
        sockets: &mut SocketSet<'_>,
        pkt: &InPacket<'_>,
    ) {
        let repr = pkt.repr;
        let frag = Fragment {
            key: FragKey {
                src: repr.src_addr,
                dst: repr.dst_addr,
                protocol: repr.protocol,
                ident: repr.ident,
            },
            offset: usize::from(repr.frag_offset),
            more: repr.more_frags,
            ttl: repr.ttl,
            tos: repr.tos,
            header: pkt.header,
            payload: pkt.payload,
        };
        match reasm.add(self.now, frag) {
            FragOutcome::Held => {}
            FragOutcome::HeldEvicting => bump(&mut self.stats.ipv4.frag_evicted),
            FragOutcome::Dropped(FragDrop::Busy) => bump(&mut self.stats.ipv4.drop_frag_busy),
            FragOutcome::Duplicate => bump(&mut self.stats.ipv4.drop_frag_duplicate),
            FragOutcome::Dropped(FragDrop::Overlap) => bump(&mut self.stats.ipv4.drop_frag_overlap),
            FragOutcome::Dropped(why) => {
                net_debug!("fragment dropped: {}", why);
                bump(&mut self.stats.ipv4.drop_frag_invalid)
            }
            FragOutcome::Complete(i) => {
                bump(&mut self.stats.ipv4.reassembled);
                if let Some(dg) = reasm.datagram(i) {
                    let whole = Ipv4Repr {
                        payload_len: dg.payload.len(),
                        ttl: dg.ttl,
                        tos: dg.tos,
                        more_frags: false,
                        frag_offset: 0,
                        ..repr
                    };
                    // A synthetic header for ICMP quotes of the whole
                    // datagram.
                    let mut hdr = [0u8; HEADER_LEN];
                    whole.emit(
                        &mut Ipv4Packet::new_unchecked(&mut hdr[..]),
                        &ChecksumCapabilities::all(),
                    );
                    net_debug!(
                        "reassembled {} bytes from {}, id={}",
                        dg.payload.len(),
                        whole.src_addr,
                        whole.ident
                    );
                    let whole_pkt = InPacket {
                        repr: whole,
                        header: &hdr,
                        payload: dg.payload,
                        ..*pkt
                    };
                    self.ip_deliver(tx, sockets, &whole_pkt);
                }
                reasm.release(i);
            }
        }
    }

    /// Hands a whole datagram to its protocol (microps's protocol list).
    pub(crate) fn ip_deliver(
        &mut self,
        tx: &mut Tx<'_, '_>,
        sockets: &mut SocketSet<'_>,
        pkt: &InPacket<'_>,
    ) {
        bump(&mut self.stats.ipv4.delivered);
        match pkt.repr.protocol {
            IpProtocol::Icmp => self.icmp_input(tx, sockets, pkt),
            IpProtocol::Udp => self.udp_input(tx, sockets, pkt),
            IpProtocol::Tcp => self.tcp_input(tx, sockets, pkt),
            _ => {
                bump(&mut self.stats.ipv4.drop_unknown_protocol);
                // RFC 1122 3.2.2.1: protocol unreachable.
                self.icmp_error(
                    tx,
                    pkt,
                    ErrorMsg::Unreachable(DstUnreachable::ProtoUnreachable),
                );
            }
        }
    }

    /// Forwards a datagram not for us (RFC 1812 5.2, when enabled):
    /// decrement the TTL, send ICMP time exceeded when it runs out, route
    /// and send.
    fn ip_forward(
        &mut self,
        tx: &mut Tx<'_, '_>,
        dev: DeviceId,
        packet: &Ipv4Packet<&[u8]>,
        repr: Ipv4Repr,
        checksums: ChecksumCapabilities,
    ) {
        let pkt = InPacket {
            repr,
            header: packet.header(),
            payload: packet.payload(),
            dst_kind: DstKind::Local,
            link_broadcast: false,
            dev,
            checksums,
        };
        // RFC 1812 5.3.7: "A router SHOULD NOT forward any packet that has
        // an invalid IP source address or a source address on network 0";
        // ip_input has dropped the other martian sources. Nor to a
        // destination no host can have (4.2.2.11, 5.3.7).
        let dst = repr.dst_addr;
        if repr.src_addr.is_unspecified() || !dst.is_unicast_host() || dst.is_martian_source() {
            bump(&mut self.stats.ipv4.drop_martian);
            return;
        }
        if repr.ttl <= 1 {
            bump(&mut self.stats.ipv4.drop_ttl);
            self.icmp_error(tx, &pkt, ErrorMsg::TimeExceeded(TimeExceeded::TtlExpired));
            return;
        }
        let Some(route) = self.route_for(&repr.dst_addr, None) else {
            bump(&mut self.stats.ipv4.drop_no_route);
            self.icmp_error(
                tx,
                &pkt,
                ErrorMsg::Unreachable(DstUnreachable::NetUnreachable),
            );
            return;
        };
        if route.device == dev && route.broadcast {
            bump(&mut self.stats.ipv4.drop_not_for_us);
            return;
        }
        // RFC 2644: directed broadcasts are not forwarded by default.
        if route.broadcast && !self.config.forward_directed_broadcasts {
            bump(&mut self.stats.ipv4.drop_directed_broadcast);
            return;
        }
        let out = Ipv4Repr {
            ttl: repr.ttl - 1,
            ..repr
        };
        match self.ip_output_routed(tx, out, &[packet.payload()], route) {
            Ok(()) => bump(&mut self.stats.ipv4.forwarded),
            Err(OutputError::TooBig { mtu }) => {
                self.icmp_error(tx, &pkt, ErrorMsg::FragRequired { mtu });
            }
            // A router does not queue what it forwards: with no device
            // buffer the datagram is dropped, counted.
            Err(OutputError::Exhausted) => bump(&mut self.stats.ipv4.drop_tx_queue_full),
            Err(_) => {}
        }
    }

    /// The route to `dst` and the source address to use (RFC 1122 3.3.4.3:
    /// a source address the application chose is kept if it is ours).
    ///
    /// The last answer is remembered (a bulk flow asks the same question
    /// for every segment); any change to the devices, interfaces or routes
    /// forgets it.
    pub(crate) fn route_for(
        &self,
        dst: &Ipv4Address,
        src_hint: Option<Ipv4Address>,
    ) -> Option<RouteInfo> {
        if let Some(last) = self.last_route.get()
            && last.dst == *dst
            && last.src_hint == src_hint
        {
            return Some(last.route);
        }
        let route = self.find_route(dst, src_hint)?;
        self.last_route.set(Some(LastRoute {
            dst: *dst,
            src_hint,
            route,
        }));
        Some(route)
    }

    /// [`Inner::route_for`] without the memory.
    fn find_route(&self, dst: &Ipv4Address, src_hint: Option<Ipv4Address>) -> Option<RouteInfo> {
        let hint = src_hint
            .filter(|a| !a.is_unspecified())
            .and_then(|a| self.iface_by_addr(&a))
            .copied();
        if dst.is_broadcast() {
            // The limited broadcast goes out of the source's device, else
            // the first broadcast-capable one.
            let iface = hint.or_else(|| {
                self.ifaces
                    .iter()
                    .find(|i| {
                        self.devices
                            .get(i.device.index())
                            .is_some_and(|d| d.caps.flags.broadcast)
                    })
                    .copied()
            })?;
            return Some(RouteInfo {
                device: iface.device,
                src: iface.addr(),
                next_hop: *dst,
                broadcast: true,
                reply: false,
            });
        }
        if let Some(local) = self.iface_by_addr(dst) {
            // To ourselves: through a loopback device if there is one.
            if let Some(lo) = self.devices.iter().find(|d| d.caps.flags.loopback) {
                return Some(RouteInfo {
                    device: lo.id,
                    src: hint.map_or(local.addr(), |h| h.addr()),
                    next_hop: *dst,
                    broadcast: false,
                    reply: false,
                });
            }
        }
        let route = self.routes.lookup(dst)?;
        let iface = self.ifaces.get(route.iface.index())?;
        Some(RouteInfo {
            device: iface.device,
            src: hint.map_or(iface.addr(), |h| h.addr()),
            next_hop: route.gateway.unwrap_or(*dst),
            broadcast: route.gateway.is_none() && iface.broadcast() == Some(*dst),
            reply: false,
        })
    }

    /// The next identifier for a datagram from `src` to `dst` that may be
    /// fragmented (see [`IdentGenerator`](super::ident::IdentGenerator)).
    pub(crate) fn next_ident(
        &mut self,
        src: &Ipv4Address,
        dst: &Ipv4Address,
        protocol: IpProtocol,
    ) -> u16 {
        self.idents.next(&self.key, src, dst, protocol)
    }

    /// Originates a datagram: picks the route and source, an identifier and
    /// the TTL, then sends it or queues it for ARP.
    pub(crate) fn ip_output(
        &mut self,
        tx: &mut Tx<'_, '_>,
        repr: Ipv4Repr,
        parts: &[&[u8]],
    ) -> Result<(), OutputError> {
        let (repr, route) = self.ip_route_originated(repr)?;
        self.ip_output_routed(tx, repr, parts, route)
    }

    /// The route, source and identifier of a datagram this host
    /// originates.
    pub(crate) fn ip_route_originated(
        &mut self,
        repr: Ipv4Repr,
    ) -> Result<(Ipv4Repr, RouteInfo), OutputError> {
        let src_hint = (!repr.src_addr.is_unspecified()).then_some(repr.src_addr);
        let Some(route) = self.route_for(&repr.dst_addr, src_hint) else {
            bump(&mut self.stats.ipv4.drop_no_route);
            return Err(OutputError::NoRoute);
        };
        let mut repr = repr;
        repr.src_addr = route.src;
        repr.ident = self.next_ident(&repr.src_addr, &repr.dst_addr, repr.protocol);
        Ok((repr, route))
    }

    /// Sends a datagram along a chosen route: resolves the next hop on
    /// Ethernet (queueing the datagram while ARP works) and fragments.
    pub(crate) fn ip_output_routed(
        &mut self,
        tx: &mut Tx<'_, '_>,
        repr: Ipv4Repr,
        parts: &[&[u8]],
        route: RouteInfo,
    ) -> Result<(), OutputError> {
        self.ip_output_summed(tx, repr, parts, route, None)
    }

    /// [`Inner::ip_output_routed`] with the transport checksum `l4` filled
    /// in after the copy (the datagram must have DF set).
    pub(crate) fn ip_output_summed(
        &mut self,
        tx: &mut Tx<'_, '_>,
        repr: Ipv4Repr,
        parts: &[&[u8]],
        route: RouteInfo,
        l4: Option<L4Checksum>,
    ) -> Result<(), OutputError> {
        bump(&mut self.stats.ipv4.tx_packets);
        net_debug!(
            "dev={}, dst={}, protocol={}, len={}, nexthop={}",
            route.device,
            repr.dst_addr,
            repr.protocol,
            repr.payload_len.saturating_add(HEADER_LEN),
            route.next_hop
        );
        let Some(info) = self.devices.get(route.device.index()).copied() else {
            return Err(OutputError::NoRoute);
        };
        let mtu = info.caps.mtu.min(65535);
        if repr.dont_frag && repr.payload_len.saturating_add(HEADER_LEN) > mtu {
            bump(&mut self.stats.ipv4.drop_too_big);
            return Err(OutputError::TooBig { mtu: mtu as u16 });
        }
        let hop = resolve_next_hop(
            &mut self.arp,
            &info,
            route.next_hop,
            route.broadcast,
            self.now,
        );
        let mac = match hop {
            NextHop::Link(mac) => mac,
            NextHop::Multicast => {
                bump(&mut self.stats.ipv4.drop_multicast);
                return Err(OutputError::Dropped);
            }
            NextHop::Unresolved(lookup) if route.reply => {
                // A reply to a source never resolved: ask who it is (so
                // its next packet can be answered) but queue nothing.
                if lookup == Lookup::Miss {
                    let _ = self.arp.start_resolution(
                        route.next_hop,
                        route.device,
                        self.now,
                        &self.routes,
                    );
                }
                bump(&mut self.stats.arp.drop_reply_unresolved);
                return Err(OutputError::Dropped);
            }
            NextHop::Unresolved(lookup) => {
                if lookup == Lookup::Miss
                    && self
                        .arp
                        .start_resolution(route.next_hop, route.device, self.now, &self.routes)
                        .is_err()
                {
                    bump(&mut self.stats.arp.drop_cache_full);
                    return Err(OutputError::Dropped);
                }
                if !self.arp.note_queued(&route.next_hop, repr.payload_len) {
                    bump(&mut self.stats.arp.drop_queue_full);
                    return Err(OutputError::Dropped);
                }
                let waiting = PendingState::Resolving;
                let r = self.queue_pending_summed(repr, parts, route, waiting, l4);
                if r.is_err() {
                    self.arp.unnote_queued(&route.next_hop, repr.payload_len);
                }
                return r;
            }
        };
        let dg = Datagram { repr, parts, l4 };
        match self.transmit_datagram(tx, route.device, route.next_hop, mac, dg) {
            Err(OutputError::Exhausted) => {
                // Nothing went out. The caller keeps its datagram if it can
                // (a socket retries); replies go to the pending queue.
                Err(OutputError::Exhausted)
            }
            other => other,
        }
    }

    /// Sends a datagram whose link destination is known, in fragments if
    /// it exceeds the device's MTU (RFC 791 3.2's fragmentation procedure).
    /// If the device runs out of buffers after the first fragment, the
    /// datagram waits in the pending queue and resumes where it stopped.
    pub(crate) fn transmit_datagram(
        &mut self,
        tx: &mut Tx<'_, '_>,
        dev: DeviceId,
        next_hop: Ipv4Address,
        mac: Option<EthernetAddress>,
        dg: Datagram<'_, '_>,
    ) -> Result<(), OutputError> {
        let Some(info) = self.devices.get(dev.index()).copied() else {
            return Err(OutputError::NoRoute);
        };
        let (repr, parts) = (dg.repr, dg.parts);
        match send_fragments(tx, &info, mac, dg, 0, &mut self.stats) {
            Ok(()) => Ok(()),
            Err(FragStop::TooBig { mtu }) => {
                bump(&mut self.stats.ipv4.drop_too_big);
                Err(OutputError::TooBig { mtu })
            }
            Err(FragStop::NeedsFragmentation) => {
                bump(&mut self.stats.ipv4.drop_needs_fragmentation);
                Err(OutputError::Dropped)
            }
            Err(FragStop::Busy { sent: 0 }) => {
                self.device_busy = true;
                Err(OutputError::Exhausted)
            }
            Err(FragStop::Busy { sent }) => {
                // Part of the datagram is out: the rest waits. A broadcast
                // keeps its broadcast next hop; others are looked up again.
                self.device_busy = true;
                let broadcast = mac == Some(EthernetAddress::BROADCAST);
                let route = RouteInfo {
                    device: dev,
                    src: repr.src_addr,
                    next_hop: if broadcast {
                        Ipv4Address::BROADCAST
                    } else {
                        next_hop
                    },
                    broadcast,
                    reply: false,
                };
                self.queue_pending_from(repr, parts, route, PendingState::Ready, sent, None)
            }
            Err(FragStop::Failed(e)) => {
                net_debug!("dev={}, transmit failed: {}", dev, e);
                bump(&mut self.stats.link.drop_tx_device);
                Err(OutputError::Dropped)
            }
        }
    }
}

/// Where a datagram for a next hop goes on its device's link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NextHop {
    /// Send now: to this link address (`None` on an IP medium).
    Link(Option<EthernetAddress>),
    /// The neighbour's address is not known (`Pending` or `Miss`).
    Unresolved(Lookup),
    /// A multicast next hop (not supported: dropped).
    Multicast,
}

/// The one next-hop resolver, of direct output and of the pending queue:
/// nothing to resolve on an IP medium; the broadcast address for a
/// broadcast; the device's own address on a loopback device; else the ARP
/// cache's answer (RFC 826, RFC 1122 2.3.2).
pub(crate) fn resolve_next_hop(
    arp: &mut ArpCache<'_>,
    info: &super::DeviceInfo,
    next_hop: Ipv4Address,
    broadcast: bool,
    now: Instant,
) -> NextHop {
    match info.caps.medium {
        Medium::Ip => NextHop::Link(None),
        Medium::Ethernet if broadcast || next_hop.is_broadcast() => {
            NextHop::Link(Some(EthernetAddress::BROADCAST))
        }
        Medium::Ethernet if info.caps.flags.loopback => NextHop::Link(Some(
            info.hardware_addr().unwrap_or(EthernetAddress::BROADCAST),
        )),
        Medium::Ethernet if next_hop.is_multicast() => NextHop::Multicast,
        Medium::Ethernet => match arp.lookup(&next_hop, now) {
            Lookup::Found(mac) => NextHop::Link(Some(mac)),
            other => NextHop::Unresolved(other),
        },
    }
}

/// Why [`send_fragments`] stopped before the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FragStop {
    /// The device had no buffer; the first `sent` payload bytes are out.
    Busy { sent: usize },
    /// Not even 8 bytes of payload fit the MTU.
    TooBig { mtu: u16 },
    /// The datagram does not fit the MTU and fragmentation is compiled out.
    NeedsFragmentation,
    /// The device refused the frame.
    Failed(DeviceError),
}

/// Sends the datagram `repr` (its payload the concatenation of `parts`)
/// from payload byte `start` on, in fragments of the device's MTU, each
/// with its Ethernet header when `mac` is given: RFC 791 3.2's
/// fragmentation procedure, shared by direct output and the pending queue.
pub(crate) fn send_fragments(
    tx: &mut Tx<'_, '_>,
    info: &super::DeviceInfo,
    mac: Option<EthernetAddress>,
    dg: Datagram<'_, '_>,
    start: usize,
    stats: &mut super::Stats,
) -> Result<(), FragStop> {
    let Datagram { repr, parts, l4 } = dg;
    let caps = info.caps.checksum;
    let src_mac = info.hardware_addr().unwrap_or(EthernetAddress::UNSPECIFIED);
    let mtu = info.caps.mtu.min(65535);
    // The most data per fragment: all of it if it fits, else what fits
    // rounded down to 8 bytes.
    let max_data = if repr.payload_len.saturating_add(HEADER_LEN) <= mtu {
        repr.payload_len
    } else {
        mtu.saturating_sub(HEADER_LEN) & !7
    };
    if max_data == 0 && repr.payload_len > 0 {
        return Err(FragStop::TooBig { mtu: mtu as u16 });
    }
    if !cfg!(feature = "ipv4-fragmentation") && repr.payload_len > max_data {
        return Err(FragStop::NeedsFragmentation);
    }
    let fragmenting = repr.payload_len > max_data || repr.is_fragment();
    let mut offset = start.min(repr.payload_len);
    loop {
        let len = (repr.payload_len - offset).min(max_data);
        let last = offset + len >= repr.payload_len;
        let frag = Ipv4Repr {
            payload_len: len,
            more_frags: repr.more_frags || !last,
            frag_offset: repr.frag_offset.saturating_add(offset as u16),
            ..repr
        };
        let ip_len = HEADER_LEN + len;
        let frame = if mac.is_some() {
            frame_len(ip_len)
        } else {
            ip_len
        };
        let r = tx.transmit(info.id, frame, &mut |buf| {
            let ip = match mac {
                Some(dst_mac) => ether_emit(buf, src_mac, dst_mac, EtherType::Ipv4, ip_len),
                None => buf,
            };
            frag.emit(&mut Ipv4Packet::new_unchecked(&mut *ip), &caps);
            if let Some(data) = ip.get_mut(HEADER_LEN..HEADER_LEN + len) {
                copy_parts(parts, offset, data);
                // Only a datagram that goes whole can be summed here.
                if let Some(l4) = l4.filter(|_| !fragmenting) {
                    l4.apply(data);
                }
            }
        });
        match r {
            Ok(()) => {
                bump(&mut stats.link.tx_frames);
                stats.link.tx_bytes.add(frame as u64);
                if fragmenting {
                    bump(&mut stats.ipv4.tx_fragments);
                }
            }
            Err(DeviceError::Exhausted) => return Err(FragStop::Busy { sent: offset }),
            Err(e) => return Err(FragStop::Failed(e)),
        }
        offset += len;
        if last {
            return Ok(());
        }
    }
}
