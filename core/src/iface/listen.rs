//! TCP listeners in the stack: what a segment to a
//! [`TcpListener`](crate::socket::TcpListener) does, the SYN,ACKs of its
//! SYN queue and their timer, and SYN cookies (RFC 4987) when the queue is
//! full.
//!
//! A listener is RFC 9293 3.10.7.2's LISTEN and, for each entry of its SYN
//! queue, SYN-RECEIVED without a socket: a SYN makes an entry and a
//! SYN,ACK; the final ACK (3.10.7.4 fifth, SYN-RECEIVED: "If SND.UNA <
//! SEG.ACK =< SND.NXT, then enter ESTABLISHED state") gives the entry a
//! socket from the listener's pool, which the ACK then reaches as in any
//! SYN-RECEIVED. The policy (what is dropped when the queues are full, and
//! what is counted) is in `socket/tcp/listener.rs`'s docs.

use super::ipv4::OutputError;
use super::stats::bump;
use super::tcp::IfBusy;
use super::{Inner, Tx};
use crate::iface::neighbor::NeighborState;
use crate::phy::Medium;
use crate::socket::tcp::cookie::{self, CookieOptions};
use crate::socket::tcp::input::{Reply, RxContext};
use crate::socket::tcp::{Segment, SynEntry, TcpListener, TcpSocket, TsVars};
use crate::socket::{SocketHandle, SocketSet};
use crate::time::Duration;
use crate::wire::{TcpFlags, TcpOptions, TcpRepr};

/// How long after the last cookie was sent ACKs are still checked as
/// cookies (a cookie's own lifetime): other ACKs to a listener are
/// answered with RST without a hash, as Linux's
/// `tcp_synq_no_recent_overflow`, which keeps blind guessing to floods.
const COOKIE_CHECK_WINDOW: Duration = Duration::from_secs(120);

/// A final ACK found no room in the accept queue or no socket in the pool.
struct NoRoom;

/// What the neighbour layer says about a peer's next hop.
enum NextHop {
    /// Resolved, or no resolution needed.
    Known,
    /// A request is out.
    Resolving,
    /// Resolution was tried and failed (the entry is gone).
    Unreachable,
}

impl Inner<'_> {
    /// A segment for listener `h`: 3.10.7.2, and SYN-RECEIVED for the
    /// entries of its SYN queue.
    pub(crate) fn tcp_listener_input(
        &mut self,
        tx: &mut Tx<'_, '_>,
        sockets: &mut SocketSet<'_>,
        h: SocketHandle,
        cx: &RxContext<'_>,
        seg: &TcpRepr<'_>,
    ) {
        let Some(l) = sockets.get_mut::<TcpListener>(h) else {
            return;
        };
        let f = seg.flags;
        let found = l.find(&cx.local, &cx.remote);
        // LISTEN, "First, check for a RST ... An incoming RST should be
        // ignored"; SYN-RECEIVED, "If the RST bit is set: If this
        // connection was initiated with a passive OPEN (i.e., came from the
        // LISTEN state), then return this connection to the LISTEN state":
        // the entry goes, for a RST exactly at RCV.NXT (RFC 5961 3.2; the
        // queue sends no challenge ACKs).
        if f.contains(TcpFlags::RST) {
            if let Some(i) = found
                && l.entry(i).is_some_and(|e| seg.seq_number == e.irs + 1)
            {
                l.remove(i);
                bump(&mut self.stats.tcp.listen_resets);
            }
            return;
        }
        if f.contains(TcpFlags::ACK) {
            // LISTEN, "Second, check for an ACK: Any acknowledgment is bad
            // if it arrives on a connection still in the LISTEN state ...
            // <SEQ=SEG.ACK><CTL=RST>", unless it completes a handshake.
            let reply = if f.contains(TcpFlags::SYN) {
                Some(Reply::rst_for_ack(seg))
            } else if let Some(i) = found {
                self.syn_queue_ack(sockets, h, i, cx, seg)
            } else {
                self.cookie_ack(sockets, h, cx, seg)
            };
            if let Some(r) = reply {
                self.tcp_reply(tx, cx.local, cx.remote, r);
            }
            return;
        }
        // "Third, check for a SYN"; "Fourth, other data or control ...
        // drop the segment and return."
        if f.contains(TcpFlags::SYN) {
            self.syn_to_listener(tx, sockets, h, found, cx, seg);
        }
    }

    /// A SYN for a listener: a new entry and its SYN,ACK, or a cookie.
    fn syn_to_listener(
        &mut self,
        tx: &mut Tx<'_, '_>,
        sockets: &mut SocketSet<'_>,
        h: SocketHandle,
        found: Option<usize>,
        cx: &RxContext<'_>,
        seg: &TcpRepr<'_>,
    ) {
        let Some(l) = sockets.get_mut::<TcpListener>(h) else {
            return;
        };
        if let Some(i) = found {
            // The peer sent its SYN again: so does our SYN,ACK. A SYN with
            // another ISN is the peer starting over: the old entry goes.
            if l.entry(i).is_some_and(|e| e.irs == seg.seq_number) {
                self.syn_sent_again(tx, l, i, seg);
                return;
            }
            l.remove(i);
        }
        if seg.flags.contains(TcpFlags::FIN) && self.config.tcp.drop_syn_fin {
            return;
        }
        // While the accept queue is full, new SYNs are dropped (as Linux):
        // the peer sends them again, when there may be room.
        if l.accept_queue_full() {
            bump(&mut self.stats.tcp.drop_listen_accept_full);
            return;
        }
        let mut e = SynEntry::for_syn(cx, seg, l.rcv_shift());
        if l.syn_queue_full() {
            self.send_cookie(tx, l, e, cx);
            return;
        }
        e.iss = cx.iss.unwrap_or_else(|| {
            TcpSocket::initial_sequence_number(cx.isn_key, cx.local, cx.remote, cx.now)
        });
        e.deadline = cx.now + cx.config.rto_initial;
        if !l.insert(e) {
            return;
        }
        let window = l.syn_window();
        bump(&mut self.stats.tcp.listen_syns);
        net_debug!(
            "SYN queued: local={}, remote={}, iss={}",
            e.local,
            e.remote,
            e.iss
        );
        let _ = self.send_syn_ack(tx, &e, window, None);
    }

    /// The SYN of entry `i` came again: our SYN,ACK was lost (RFC 5681
    /// 3.1's initial window of one segment follows) or is late (Karn), and
    /// goes again at once.
    fn syn_sent_again(
        &mut self,
        tx: &mut Tx<'_, '_>,
        l: &mut TcpListener<'_>,
        i: usize,
        seg: &TcpRepr<'_>,
    ) {
        let window = l.syn_window();
        let Some(e) = l.entry_mut(i) else {
            return;
        };
        e.flags |= SynEntry::RESENT;
        // A SYN sent again without the window scale option (some stacks
        // drop options when they retry) takes the offer back.
        if seg.options.window_scale.is_none() {
            e.peer_wscale = SynEntry::NO_WSCALE;
        }
        let e = *e;
        let _ = self.send_syn_ack(tx, &e, window, None);
    }

    /// RFC 4987 3.6: with the SYN queue full, the SYN,ACK's sequence
    /// number is all we keep of entry `e`.
    fn send_cookie(
        &mut self,
        tx: &mut Tx<'_, '_>,
        l: &mut TcpListener<'_>,
        mut e: SynEntry,
        cx: &RxContext<'_>,
    ) {
        e.peer_mss = if e.peer_mss == 0 { 536 } else { e.peer_mss }.min(e.our_mss);
        if !cx.config.syn_cookies || e.peer_mss < cookie::COOKIE_MSS[0] {
            // Cookies off, or no class small enough: the cookie would let
            // us send segments larger than the peer takes.
            bump(&mut self.stats.tcp.drop_listen_syn_queue_full);
            return;
        }
        e.iss = cookie::make(cx.isn_key, e.local, e.remote, e.irs, e.peer_mss, cx.now);
        // Without timestamps nothing remembers window scaling or SACK: the
        // cookie's SYN,ACK offers neither.
        let kept = if e.has(SynEntry::TS) {
            Some(CookieOptions {
                window_scale: e.window_scale(),
                sack_permitted: e.has(SynEntry::SACK),
            })
        } else {
            e.flags &= !SynEntry::SACK;
            e.peer_wscale = SynEntry::NO_WSCALE;
            None
        };
        l.last_cookie = Some(cx.now);
        let window = l.syn_window();
        bump(&mut self.stats.tcp.syn_cookies_sent);
        let _ = self.send_syn_ack(tx, &e, window, kept);
    }

    /// "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>" for an entry, with the
    /// options both SYNs agree on (`cookie`: the options a cookie keeps in
    /// our TSval).
    fn send_syn_ack(
        &mut self,
        tx: &mut Tx<'_, '_>,
        e: &SynEntry,
        window: u16,
        cookie: Option<CookieOptions>,
    ) -> Result<(), OutputError> {
        let mut options = TcpOptions::new();
        options.mss = Some(e.our_mss);
        options.window_scale = e.window_scale().map(|_| e.our_wscale);
        options.sack_permitted = e.has(SynEntry::SACK);
        if e.has(SynEntry::TS) {
            let now_ms = self.now.total_millis() as u32;
            let tsval = now_ms.wrapping_add(TsVars::offset_for(&self.key, e.local, e.remote));
            let tsval = cookie.map_or(tsval, |c| cookie::encode_ts(tsval, c));
            options.timestamps = Some((tsval, e.ts_recent));
        }
        let seg = Segment {
            local: e.local,
            remote: e.remote,
            seq: e.iss,
            ack: e.irs + 1,
            flags: TcpFlags::SYN | TcpFlags::ACK,
            window,
            urgent: 0,
            options,
            payload: [&[], &[]],
            ident: (e.iss.0 >> 16) as u16 ^ e.iss.0 as u16,
            dont_frag: true,
        };
        self.tcp_output(tx, &seg, IfBusy::Queue)
    }

    /// The ACK of an entry's SYN,ACK: 3.10.7.4 for SYN-RECEIVED.
    fn syn_queue_ack(
        &mut self,
        sockets: &mut SocketSet<'_>,
        h: SocketHandle,
        i: usize,
        cx: &RxContext<'_>,
        seg: &TcpRepr<'_>,
    ) -> Option<Reply> {
        let l = sockets.get_mut::<TcpListener>(h)?;
        let e = *l.entry(i)?;
        // "If the segment acknowledgment is not acceptable, form a reset
        // segment <SEQ=SEG.ACK><CTL=RST> and send it."
        if seg.ack_number != e.iss + 1 {
            return Some(Reply::rst_for_ack(seg));
        }
        // The first step's test, with RCV.NXT = IRS + 1 and the window of
        // our SYN,ACK: anything else is not for this handshake.
        let rcv_nxt = e.irs + 1;
        let window = usize::from(l.syn_window());
        if !seg.seq_number.in_window(rcv_nxt, rcv_nxt + window + 1) {
            return None;
        }
        self.establish(sockets, h, Some(i), e, cx, seg)
            .unwrap_or(None)
    }

    /// An ACK to a listener that matches no entry: the final ACK of a
    /// cookie handshake, checked only while cookies were sent recently;
    /// otherwise LISTEN's "<SEQ=SEG.ACK><CTL=RST>".
    fn cookie_ack(
        &mut self,
        sockets: &mut SocketSet<'_>,
        h: SocketHandle,
        cx: &RxContext<'_>,
        seg: &TcpRepr<'_>,
    ) -> Option<Reply> {
        let l = sockets.get_mut::<TcpListener>(h)?;
        let config = &self.config.tcp;
        let recent = l
            .last_cookie
            .is_some_and(|t| cx.now.saturating_duration_since(t) < COOKIE_CHECK_WINDOW);
        if !config.syn_cookies || !recent {
            return Some(Reply::rst_for_ack(seg));
        }
        let peer_mss = match cookie::check(
            cx.isn_key,
            cx.local,
            cx.remote,
            seg.seq_number,
            seg.ack_number,
            cx.now,
        ) {
            Ok(mss) => mss,
            // Rejected without a RST: while cookies are in use, an ACK
            // that is no cookie may be a later segment of a cookie
            // connection whose final ACK found no room (its peer sends the
            // first unacknowledged segment again, which checks). A RST
            // would kill that connection, as it does on Linux.
            Err(_) => {
                bump(&mut self.stats.tcp.syn_cookies_rejected);
                return None;
            }
        };
        let mut e = SynEntry {
            local: cx.local,
            remote: cx.remote,
            iss: seg.ack_number - 1,
            irs: seg.seq_number - 1,
            deadline: cx.now,
            sent_at: cx.now,
            ts_recent: 0,
            peer_window: seg.window_len,
            peer_mss,
            our_mss: cx.mss.clamp(64, 65535) as u16,
            peer_wscale: SynEntry::NO_WSCALE,
            our_wscale: l.rcv_shift(),
            flags: 0,
            // When the SYN,ACK went is unknown: no RTT sample from it (the
            // echo of a timestamp gives one).
            retries: 1,
        };
        if let Some((val, ecr)) = seg.options.timestamps.filter(|_| config.timestamps) {
            let kept = cookie::decode_ts(ecr);
            e.flags |= SynEntry::TS;
            e.ts_recent = val;
            if kept.sack_permitted && config.sack {
                e.flags |= SynEntry::SACK;
            }
            if config.window_scaling {
                e.peer_wscale = kept.window_scale.unwrap_or(SynEntry::NO_WSCALE);
            }
        }
        let reply = self.establish(sockets, h, None, e, cx, seg).ok()?;
        bump(&mut self.stats.tcp.syn_cookies_validated);
        reply
    }

    /// The handshake of entry `e` (at `i` in the SYN queue, or a cookie's)
    /// is complete: it takes a socket from the pool and waits in the accept
    /// queue; the ACK then arrives at the socket, and what the socket
    /// answers at once is returned. Without room in the accept queue or a
    /// socket in the pool, the ACK is dropped (`NoRoom`) and the entry kept,
    /// marked, so that its SYN,ACK brings the ACK again.
    fn establish(
        &mut self,
        sockets: &mut SocketSet<'_>,
        h: SocketHandle,
        i: Option<usize>,
        e: SynEntry,
        cx: &RxContext<'_>,
        seg: &TcpRepr<'_>,
    ) -> Result<Option<Reply>, NoRoom> {
        let mut cx = *cx;
        cx.path_mtu = self.pmtu.lookup(*cx.remote.ip(), cx.now);
        let l = sockets.get_mut::<TcpListener>(h).ok_or(NoRoom)?;
        let endpoint = l.endpoint().ok_or(NoRoom)?;
        let window = l.syn_window();
        if l.accept_queue_full() {
            bump(&mut self.stats.tcp.drop_listen_ack_accept_full);
            Self::keep_for_later(l, i);
            return Err(NoRoom);
        }
        let socket = loop {
            let l = sockets.get_mut::<TcpListener>(h).ok_or(NoRoom)?;
            let Some(s) = l.pop_pool() else {
                bump(&mut self.stats.tcp.drop_listen_ack_no_socket);
                Self::keep_for_later(l, i);
                return Err(NoRoom);
            };
            // A socket given to the pool and then used or removed by the
            // application is skipped (a removed one's slot may hold another
            // socket now: it is not the pool's).
            if sockets.take_pooled(s)
                && let Some(t) = sockets.get_mut::<TcpSocket>(s)
                && t.open_from_syn_queue(&cx, endpoint, &e, window)
            {
                break s;
            }
        };
        let reply = sockets
            .get_mut::<TcpSocket>(socket)
            .and_then(|t| t.segment_arrives(&cx, seg));
        sockets.sync_tcp_index(socket);
        if let Some(l) = sockets.get_mut::<TcpListener>(h) {
            if let Some(i) = i {
                l.remove(i);
            }
            l.push_accept(socket);
        }
        bump(&mut self.stats.tcp.listen_established);
        Ok(reply)
    }

    /// A final ACK that found no room: the entry stays, marked as
    /// answered, and its SYN,ACK goes again at its time (the peer answers
    /// that with its ACK), whatever ARP says.
    fn keep_for_later(l: &mut TcpListener<'_>, i: Option<usize>) {
        if let Some(e) = i.and_then(|i| l.entry_mut(i)) {
            e.flags |= SynEntry::ACKED;
        }
    }

    /// The SYN queue's timers: each due entry's SYN,ACK goes again, with
    /// the RTO doubled each time (RFC 6298 5.5), until
    /// [`TcpConfig::synack_retries`](crate::socket::tcp::TcpConfig::synack_retries);
    /// an entry whose peer never answered ARP goes at once.
    pub(crate) fn tcp_listener_timers(&mut self, tx: &mut Tx<'_, '_>, l: &mut TcpListener<'_>) {
        let now = self.now;
        let config = self.config.tcp;
        while let Some(i) = l.next_due(now) {
            let Some(e) = l.entry(i).copied() else {
                break;
            };
            if e.retries >= config.synack_retries {
                l.remove(i);
                bump(&mut self.stats.tcp.listen_syn_timeouts);
                continue;
            }
            let hop = if e.has(SynEntry::ACKED) {
                NextHop::Known
            } else {
                self.next_hop_state(&e)
            };
            if matches!(hop, NextHop::Unreachable) {
                l.remove(i);
                bump(&mut self.stats.tcp.listen_syn_unreachable);
                continue;
            }
            let backoff = config
                .rto_initial
                .saturating_mul(1 << (e.retries + 1).min(16))
                .min(config.rto_max);
            let window = l.syn_window();
            let Some(entry) = l.entry_mut(i) else {
                break;
            };
            entry.retries += 1;
            entry.deadline = now + backoff;
            if matches!(hop, NextHop::Known) {
                entry.sent_at = now;
            }
            let e = *entry;
            l.note_deadline(e.deadline);
            // While the first SYN,ACK still waits for ARP, another would
            // only queue behind it.
            if matches!(hop, NextHop::Known) {
                bump(&mut self.stats.tcp.listen_synack_retransmits);
                let _ = self.send_syn_ack(tx, &e, window, None);
            }
        }
    }

    /// Whether the peer of `e` can be reached on the link.
    fn next_hop_state(&self, e: &SynEntry) -> NextHop {
        let Some(route) = self.route_for(e.remote.ip(), Some(*e.local.ip())) else {
            return NextHop::Known;
        };
        let ethernet = self.devices.get(route.device.index()).is_some_and(|d| {
            d.caps.medium == Medium::Ethernet && !d.caps.flags.loopback && !route.broadcast
        });
        if !ethernet {
            return NextHop::Known;
        }
        match self.arp.get(&route.next_hop) {
            None => NextHop::Unreachable,
            Some(n) if n.state == NeighborState::Incomplete => NextHop::Resolving,
            Some(_) => NextHop::Known,
        }
    }
}
