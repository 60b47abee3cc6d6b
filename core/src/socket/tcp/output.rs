//! What a connection sends next: SYNs, data under the windows, FINs, ACKs
//! (immediate and delayed), retransmissions, zero-window probes,
//! keep-alives and RSTs; and [`TcpSocket::poll_at`], when that is.
//!
//! Sending follows RFC 9293 3.8.6.2.1 and RFC 1122 4.2.3.4: "the sender
//! should wait until at least one full segment can be sent", unless all
//! queued data fits (then Nagle decides) or half the peer's largest window
//! can be filled, or the override timeout fires; and Nagle's algorithm: "If
//! there is unacknowledged data, then the sending TCP endpoint buffers all
//! user data ... until the outstanding data has been acknowledged or until
//! the TCP endpoint can send a full-sized segment". A FIN, like data, waits
//! for room in the peer's window (RFC 9293 3.8.6.1), probed by the persist
//! timer.

use core::net::SocketAddrV4;

use super::timer::{Stamp, Timer};
use super::{Flags, Pending, State, TcpConfig, TcpSocket};
use crate::socket::DispatchError;
use crate::time::Instant;
use crate::wire::{SeqNumber, TcpFlags, TcpOptions, TcpRepr};

/// A segment the socket asks the stack to send.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'b> {
    /// Our endpoint.
    pub local: SocketAddrV4,
    /// The peer's.
    pub remote: SocketAddrV4,
    /// Sequence number.
    pub seq: SeqNumber,
    /// Acknowledgment number (with ACK).
    pub ack: SeqNumber,
    /// Control bits.
    pub flags: TcpFlags,
    /// The window we advertise.
    pub window: u16,
    /// Urgent pointer (with URG).
    pub urgent: u16,
    /// Options.
    pub options: TcpOptions,
    /// The data, in up to two pieces (the send buffer may wrap).
    pub payload: [&'b [u8]; 2],
    /// The IP identifier, for a datagram sent with DF: a counter of the
    /// connection (RFC 6864 4.1: an atomic datagram's identifier may be any
    /// value; a counter per connection, started from its ISS, reveals
    /// nothing about other traffic, unlike a global one).
    pub ident: u16,
    /// Sent with DF (RFC 1191), as every segment is unless the path MTU is
    /// locked below the floor (`iface::pmtu`): then the stack gives the
    /// datagram a unique identifier instead of `ident`.
    pub dont_frag: bool,
}

impl Segment<'_> {
    /// Data bytes.
    pub fn payload_len(&self) -> usize {
        self.payload[0].len() + self.payload[1].len()
    }

    /// The header as a [`TcpRepr`] without the data (which stays in its
    /// pieces): what [`TcpRepr::emit_header`] writes. The acknowledgment
    /// number is zero unless ACK is set.
    pub fn header_repr(&self) -> TcpRepr<'static> {
        TcpRepr {
            src_port: self.local.port(),
            dst_port: self.remote.port(),
            seq_number: self.seq,
            ack_number: if self.flags.contains(TcpFlags::ACK) {
                self.ack
            } else {
                SeqNumber(0)
            },
            flags: self.flags,
            window_len: self.window,
            urgent_pointer: self.urgent,
            options: self.options,
            payload: &[],
        }
    }
}

/// Where `dispatch` hands each segment: the stack's output path.
pub(crate) type Emit<'e> = &'e mut dyn FnMut(&Segment<'_>) -> Result<(), DispatchError>;

/// Why no data can be sent now although some is queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blocked {
    /// Not blocked: there is nothing to send, or it can go now, or an ACK
    /// will come (Nagle, data in flight).
    No,
    /// The usable window is zero: the persist timer probes it.
    Window,
    /// Sender SWS avoidance holds a small segment back: the override
    /// timer releases it.
    Sws,
}

/// How much data the windows let out now, and whether the FIN follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) len: usize,
    pub(crate) fin: bool,
    pub(crate) blocked: Blocked,
}

impl Plan {
    const NOTHING: Plan = Plan {
        len: 0,
        fin: false,
        blocked: Blocked::No,
    };

    fn sends(&self) -> bool {
        self.len > 0 || self.fin
    }
}

/// What an emitted data segment is, for the timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Data from SND.NXT under the windows (new, or again after a timeout).
    Data,
    /// A zero-window probe: no retransmission timer.
    Probe,
}

impl TcpSocket<'_> {
    /// When `dispatch` next has something to do: now if a send is pending
    /// or data can be sent, else the earliest timer (`None`: nothing is
    /// scheduled).
    pub fn poll_at(&self, now: Instant) -> Option<Instant> {
        if self.pending.any()
            || self.plan_data(false).sends()
            || self.plan_sack_retransmit().is_some()
            || self.plan_probe().is_some()
        {
            return Some(now);
        }
        self.timers.next()
    }

    /// Produces the next segment to send, if any, and hands it to `emit`.
    /// The socket's state advances only if `emit` succeeds. Returns whether
    /// a segment was emitted. When there is nothing to send, the timers
    /// that wait for something (persist, SWS override, keep-alive,
    /// FIN-WAIT-2) are brought in line with the state.
    ///
    /// The invariant that keeps a poll loop from spinning, checked in debug
    /// builds: when nothing was sent and `emit` did not fail, `poll_at(now)`
    /// is after `now` (or `None`).
    pub(crate) fn dispatch(&mut self, now: Instant, config: &TcpConfig, emit: Emit<'_>) -> bool {
        #[cfg(debug_assertions)]
        let mut refused = false;
        #[cfg(debug_assertions)]
        let emit = &mut |seg: &Segment<'_>| {
            let r = emit(seg);
            refused |= r.is_err();
            r
        };
        let sent = self.dispatch_one(now, config, emit);
        if !sent {
            self.schedule(now, config);
            self.pending.set(Pending::SCHEDULE, false);
        }
        #[cfg(debug_assertions)]
        debug_assert!(
            sent || refused || self.poll_at(now).is_none_or(|t| t > now),
            "TCP {} says it is due at {:?} with nothing to send at {}: pending {:?}, timers {:?}",
            self.state,
            self.poll_at(now),
            now,
            self.pending,
            self.timers
        );
        sent
    }

    fn dispatch_one(&mut self, now: Instant, config: &TcpConfig, emit: Emit<'_>) -> bool {
        // RFC 9293 3.10.5, ABORT: "<SEQ=SND.NXT><CTL=RST>" (the highest
        // SND.NXT reached: a retransmission timeout pulls ours back).
        if self.pending.has(Pending::RST) {
            return self.send_rst(now, emit);
        }
        if matches!(self.state, State::Closed | State::Listen) {
            return false;
        }
        if self.pending.has(Pending::SYN) {
            return self.send_syn(now, emit);
        }
        // A duplicate ACK owed for out-of-order data goes before new data:
        // one that carries data is no duplicate to the peer (RFC 5681 2).
        if self.pending.has(Pending::ACK) && self.dup_acks_owed > 0 {
            return self.send_ack(now, emit);
        }
        if let Some(sent) = self.send_data(now, config, emit) {
            return sent;
        }
        if self.pending.has(Pending::ACK) {
            return self.send_ack(now, emit);
        }
        if self.pending.has(Pending::KEEPALIVE) {
            return self.send_keep_alive(now, emit);
        }
        false
    }

    /// How much data to send now, and whether a FIN goes with it; `force`
    /// (the SWS override) sends what the usable window allows.
    pub(crate) fn plan_data(&self, force: bool) -> Plan {
        if self.state == State::SynReceived {
            return self.plan_syn_received_fin();
        }
        if !self.state.may_transmit() || !self.flags.has(Flags::SYN_ACKED) {
            // (Until our SYN is acknowledged, what follows it goes with the
            // SYN,ACK: `send_syn`.)
            return Plan::NOTHING;
        }
        let sent = self.snd.nxt - self.data_seq_start();
        let queued = self.tx.len();
        let avail = queued.saturating_sub(sent);
        let inflight = self.snd.nxt - self.snd.una;
        let usable = self.usable_window(inflight);
        let mss = self.mss();
        let fin_pending = self.flags.has(Flags::FIN_QUEUED) && self.snd.nxt <= self.fin_seq();
        let mut len = avail.min(usable).min(mss);
        if let Some(stop) = self.mtu_resend_end() {
            // After the path MTU fell: only what no longer fits goes again.
            len = len.min(stop - self.snd.nxt);
        }
        let mut blocked = Blocked::No;
        // After a timeout or a smaller path MTU, what was sent before goes
        // again whatever its size ("(5.4) Retransmit the earliest
        // segment"): SWS avoidance and Nagle hold back new data only
        // (RFC 1122 4.2.3.4: Nagle "buffers all user data" while some is
        // unacknowledged; a tail that was sent once is no such data).
        let retransmitting = self.snd.nxt < self.snd.max;
        if len > 0 && len < mss && !force {
            if len < avail {
                // Sender SWS avoidance: a partial segment only if it fills
                // half the peer's largest window.
                if !retransmitting && len < (self.snd.max_wnd as usize) / 2 {
                    len = 0;
                    blocked = Blocked::Sws;
                }
            } else if self.nagle_enabled() && inflight > 0 && !fin_pending && !retransmitting {
                // Nagle: small data waits while anything is unacknowledged.
                len = 0;
            }
        }
        // The FIN follows the last byte, if the window has room for it (it
        // occupies a sequence number).
        let fin = fin_pending && sent + len == queued && usable > len;
        // Closed on data, the FIN, or a probe in flight (without a
        // retransmission timer only a probe is).
        if len == 0 && !fin && usable == 0 && (avail > 0 || fin_pending || inflight > 0) {
            blocked = Blocked::Window;
        }
        Plan { len, fin, blocked }
    }

    /// What may be sent beyond SND.NXT: the peer's window less what is in
    /// flight, and what congestion control allows: in RFC 6675 recovery
    /// cwnd less the pipe; otherwise cwnd less the flight, plus RFC 3042's
    /// limited transmit ("a TCP SHOULD send a segment of previously unsent
    /// data in response to each of the first two duplicate acknowledgments
    /// ... the amount of outstanding data would remain less than or equal to
    /// the congestion window plus 2 segments").
    /// (Only new data: not what goes again after a timeout.)
    fn usable_window(&self, inflight: usize) -> usize {
        let rwnd = (self.snd.wnd as usize).saturating_sub(inflight);
        let cwnd = self.cc.window() as usize;
        let room = if self.in_sack_recovery() {
            cwnd.saturating_sub(self.pipe())
        } else {
            let new_data = self.snd.nxt == self.snd.max;
            let dups = if self.flags.has(Flags::LIMITED_TRANSMIT) && new_data {
                self.cc.dup_acks().min(2)
            } else {
                0
            };
            let limited = usize::from(dups) * self.mss();
            cwnd.saturating_add(limited).saturating_sub(inflight)
        };
        rwnd.min(room)
    }

    /// RFC 6675 5 (C): "If cwnd - pipe >= 1 SMSS, the sender SHOULD
    /// transmit one or more segments": a retransmission NextSeg chooses
    /// (rules (1) and (3); rule (2), new data, is `plan_data`'s), as the
    /// sequence number, the data bytes and whether the FIN goes again.
    pub(crate) fn plan_sack_retransmit(&self) -> Option<(SeqNumber, usize, bool)> {
        if !self.in_sack_recovery() || !self.state.may_transmit() {
            return None;
        }
        let mss = self.mss();
        if (self.cc.window() as usize).saturating_sub(self.pipe()) < mss {
            return None;
        }
        let new_data = self.plan_data(false).len > 0;
        let (s, len) = self.next_segment(new_data)?;
        let fin_sent = self.flags.has(Flags::FIN_SENT);
        let fin_seq = self.fin_seq();
        let data_end = if fin_sent { fin_seq } else { self.snd.max };
        let data = if s < data_end {
            (data_end - s).min(len).min(mss)
        } else {
            0
        };
        let fin = fin_sent && s + data == fin_seq && fin_seq < s + len;
        (data > 0 || fin).then_some((s, data, fin))
    }

    /// CLOSE in SYN-RECEIVED with nothing queued: "form a FIN segment and
    /// send it, and enter FIN-WAIT-1 state" (after our SYN,ACK).
    fn plan_syn_received_fin(&self) -> Plan {
        let fin = self.flags.has(Flags::FIN_QUEUED)
            && self.tx.is_empty()
            && self.snd.nxt == self.snd.iss + 1
            && !self.flags.has(Flags::FIN_SENT);
        Plan {
            len: 0,
            fin,
            blocked: Blocked::No,
        }
    }

    /// The window to advertise and the new right edge: free buffer space,
    /// but never a shrunken edge, and (receiver SWS avoidance, RFC 1122
    /// 4.2.3.3) no small increases.
    pub(super) fn window_to_advertise(&self) -> (u16, SeqNumber) {
        let shift = self.rcv_shift();
        let max = 65535usize << shift;
        let free = self.rcv_window();
        let old = self.rcv.adv_edge - self.rcv.nxt;
        let threshold = (self.rx.capacity() / 2)
            .min(usize::from(self.rcv_mss))
            .max(1);
        let win = if free >= old.saturating_add(threshold) || free == self.rx.capacity().min(max) {
            free
        } else {
            old.max(free.min(old))
        };
        // In units of 2^shift (RFC 7323 2.3), rounded down: never more
        // than the buffer holds, so a full buffer says 0. The right edge may
        // then fall short of the one advertised before by less than a unit,
        // which 2.4 allows; what was advertised stays acceptable (the
        // callers keep the larger edge).
        let win = if shift > 0 { win.min(free) } else { win };
        let field = (win >> shift).min(65535);
        (field as u16, self.rcv.nxt + (field << shift))
    }

    /// A segment with only sequence, flags, the addresses and, once
    /// agreed, timestamps (RFC 7323 3.2: "the TSopt MUST be sent in every
    /// non-<RST> segment for the duration of the connection, and SHOULD be
    /// sent in an <RST> segment").
    fn bare(&self, now: Instant, seq: SeqNumber, flags: TcpFlags) -> Segment<'static> {
        let mut options = TcpOptions::new();
        if self.ts_agreed() {
            options.timestamps = self.timestamp_option(now);
        }
        Segment {
            local: self.local,
            remote: self.remote,
            seq,
            ack: SeqNumber(0),
            flags,
            window: 0,
            urgent: 0,
            options,
            payload: [&[], &[]],
            ident: self.ip_ident,
            dont_frag: !self.path_mtu_locked(),
        }
    }

    /// The SACK blocks of an ACK we send (RFC 2018 4: "If sent at all,
    /// SACK options SHOULD be included in all ACKs which do not ACK the
    /// highest sequence number in the data receiver's queue").
    fn add_sack_blocks(&self, options: &mut TcpOptions) {
        if self.sack_owed() {
            options.sack_blocks = self.sack_blocks();
        }
    }

    /// Hands `seg` to `emit`; the identifier counter moves if it left.
    fn emit_segment(&mut self, seg: &Segment<'_>, emit: Emit<'_>) -> bool {
        let sent = emit(seg).is_ok();
        if sent {
            self.segment_left(seg.flags, seg.ack);
        }
        sent
    }

    /// What every segment that left changes: the identifier counter,
    /// Last.ACK.sent (RFC 7323 4.3), the D-SACK reported.
    fn segment_left(&mut self, flags: TcpFlags, ack: SeqNumber) {
        self.ip_ident = self.ip_ident.wrapping_add(1);
        if flags.contains(TcpFlags::ACK) {
            self.ts.last_ack_sent = ack;
            self.sack_sent();
        }
    }

    fn send_rst(&mut self, now: Instant, emit: Emit<'_>) -> bool {
        let seg = self.bare(now, self.snd.max, TcpFlags::RST);
        let sent = self.emit_segment(&seg, emit);
        if sent {
            self.pending.set(Pending::RST, false);
        }
        sent
    }

    /// Our SYN, "<SEQ=ISS><CTL=SYN>" (SYN-SENT), or SYN,ACK,
    /// "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>" (SYN-RECEIVED, and FIN-WAIT-1
    /// entered from there while the SYN is unacknowledged, where the FIN
    /// goes with it), with our MSS. SND.NXT moves past it, the timer
    /// starts, and the first transmission is timed (Karn).
    fn send_syn(&mut self, now: Instant, emit: Emit<'_>) -> bool {
        let mut seg = self.bare(now, self.snd.iss, TcpFlags::SYN);
        // The window field is "the number of data octets ... that the sender
        // of this segment is willing to accept" (RFC 9293 3.1), in a SYN
        // too: our free receive buffer, not zero.
        seg.window = self.rcv_window().min(65535) as u16;
        if self.state != State::SynSent {
            seg.flags |= TcpFlags::ACK;
            seg.ack = self.rcv.nxt;
        }
        // RFC 7323 2.2: the window scale option goes in the SYN (and in the
        // SYN,ACK when the peer's SYN had it); the window of a SYN is
        // never scaled.
        seg.options.window_scale = self.wscale.map(|w| w.rcv);
        // RFC 7323 3.2 and RFC 2018 2: timestamps and SACK-permitted, in
        // the SYN, and in the SYN,ACK when the peer's SYN had them.
        seg.options.timestamps = self.timestamp_option(now);
        seg.options.sack_permitted = self.flags.has(Flags::SACK_OK);
        let fin = self.flags.has(Flags::FIN_SENT);
        if fin {
            seg.flags |= TcpFlags::FIN;
        }
        seg.options.mss = Some(self.rcv_mss);
        if !self.emit_segment(&seg, emit) {
            return false;
        }
        self.pending.set(Pending::SYN, false);
        self.sent(now, self.snd.iss, 1 + usize::from(fin), Kind::Data);
        if self.state != State::SynSent {
            let edge = self.rcv.nxt + usize::from(seg.window);
            if edge > self.rcv.adv_edge {
                self.rcv.adv_edge = edge;
            }
            self.ack_sent();
        }
        true
    }

    /// What [`TcpSocket::send_syn`] leaves behind, for a SYN,ACK that a
    /// [`TcpListener`](super::TcpListener) sent from its queue at `at`
    /// (`again`: more than once, so Karn's rule takes no sample from it),
    /// advertising `window`.
    pub(super) fn syn_ack_sent_by_listener(&mut self, at: Instant, again: bool, window: u16) {
        self.pending.set(Pending::SYN, false);
        self.sent(at, self.snd.iss, 1, Kind::Data);
        if again {
            self.karn_stop_timing();
        }
        let edge = self.rcv.nxt + usize::from(window);
        if edge > self.rcv.adv_edge {
            self.rcv.adv_edge = edge;
        }
        self.segment_left(TcpFlags::SYN | TcpFlags::ACK, self.rcv.nxt);
        self.ack_sent();
    }

    /// The bookkeeping of a segment that left, occupying `len` sequence
    /// numbers from `seq`: SND.NXT and SND.MAX, the RTT sample (Karn: only
    /// from a first transmission; a retransmission of the timed segment
    /// ends the timing), the retransmission timer ("(5.1) Every time a
    /// packet containing data is sent (including a retransmission), if the
    /// timer is not running, start it"), and the user timeout, which counts
    /// from the first data outstanding (RFC 9293 3.10.1: data not delivered
    /// within the timeout), not from the last progress of a connection that
    /// was idle.
    fn sent(&mut self, now: Instant, seq: SeqNumber, len: usize, kind: Kind) {
        let first_outstanding = self.snd.max == self.snd.una;
        let is_new = seq == self.snd.max;
        let end = seq + len;
        if kind == Kind::Data {
            self.prr_sent(len);
        }
        let resent_what_no_longer_fit = self.mtu_resend_end().is_some_and(|stop| end >= stop);
        self.snd.nxt = end;
        if resent_what_no_longer_fit {
            // What follows fits, and was sent: carry on after it.
            self.clear_mtu_resend();
            self.snd.nxt = self.snd.max;
        }
        if !is_new {
            // RFC 6675's HighRxt.
            self.retransmitted_up_to(end);
        }
        if self.snd.max < end {
            self.snd.max = end;
        }
        if is_new && kind == Kind::Data && !self.flags.has(Flags::TIMING) && len > 0 {
            self.flags.set(Flags::TIMING, true);
            self.rtt_seq = seq;
            if !self.ts_agreed() {
                self.rtt_sent_us = now.total_micros() as u32;
            }
        } else if !is_new && self.rtt_seq.in_window(seq, end) {
            self.karn_stop_timing();
        }
        if kind == Kind::Data && !self.timers.is_running(Timer::Retransmit) {
            self.arm_rto(now);
        }
        self.rack_sent(now, seq, end, is_new);
        if is_new && kind == Kind::Data {
            // RFC 8985 7.2: "start or restart a loss probe PTO timer after
            // transmitting new data" (not the probe itself: the RTO follows it).
            self.tlp_schedule(now);
        }
        if first_outstanding && let Some(t) = self.user_timeout() {
            self.timers.set(Timer::UserTimeout, now, t);
        }
    }

    fn ack_sent(&mut self) {
        self.pending.set(Pending::ACK, false);
        if self.dup_acks_owed > 0 {
            // Duplicate ACKs still owed for out-of-order segments go next.
            self.dup_acks_owed -= 1;
            self.pending.set(Pending::ACK, self.dup_acks_owed > 0);
        }
        self.timers.stop(Timer::DelayedAck);
        self.unacked_segments = 0;
    }

    /// A pure ACK, `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`, with the highest
    /// SND.NXT reached: while retransmitting after a timeout our SND.NXT is
    /// behind what the peer has seen, and an ACK carrying it would fail the
    /// peer's acceptability test (and so would the ACK in it).
    fn send_ack(&mut self, now: Instant, emit: Emit<'_>) -> bool {
        let (window, edge) = self.window_to_advertise();
        let mut seg = self.bare(now, self.snd.max, TcpFlags::ACK);
        seg.ack = self.rcv.nxt;
        seg.window = window;
        self.add_sack_blocks(&mut seg.options);
        if !self.emit_segment(&seg, emit) {
            return false;
        }
        if edge > self.rcv.adv_edge {
            self.rcv.adv_edge = edge;
        }
        self.ack_sent();
        true
    }

    /// A keep-alive probe: "<SEQ=SND.NXT-1>" with no data (RFC 1122
    /// 4.2.3.6), which the peer must answer with an ACK.
    fn send_keep_alive(&mut self, now: Instant, emit: Emit<'_>) -> bool {
        let (window, edge) = self.window_to_advertise();
        let mut seg = self.bare(now, self.snd.max - 1, TcpFlags::ACK);
        seg.ack = self.rcv.nxt;
        seg.window = window;
        if !self.emit_segment(&seg, emit) {
            return false;
        }
        if edge > self.rcv.adv_edge {
            self.rcv.adv_edge = edge;
        }
        self.pending.set(Pending::KEEPALIVE, false);
        true
    }

    /// Data, a FIN, a retransmission or a probe, if any is due (`None`:
    /// nothing to send; the flags that asked for one are cleared).
    fn send_data(&mut self, now: Instant, config: &TcpConfig, emit: Emit<'_>) -> Option<bool> {
        if self.pending.has(Pending::REXMIT)
            && let Some(sent) = self.retransmit_una(now, emit)
        {
            return Some(sent);
        }
        if self.pending.has(Pending::PROBE)
            && let Some(sent) = self.send_probe(now, emit)
        {
            return Some(sent);
        }
        if let Some((seq, len, fin)) = self.plan_sack_retransmit() {
            return Some(self.retransmit_at(now, seq, len, fin, emit));
        }
        if let Some(sent) = self.send_loss_probe(now, emit) {
            return Some(sent);
        }
        let force = self.pending.has(Pending::FORCE);
        let plan = self.plan_data(force);
        if !plan.sends() {
            self.pending.set(Pending::FORCE, false);
            return None;
        }
        if config.restart_after_idle {
            self.restart_after_idle(now);
        }
        let sent = self.emit_data(now, plan.len, plan.fin, Kind::Data, emit);
        if sent {
            self.pending.set(Pending::FORCE, false);
        }
        Some(sent)
    }

    /// RFC 5681 4.1: "a TCP SHOULD set cwnd to no more than RW before
    /// beginning transmission if the TCP has not sent data in an interval
    /// exceeding the retransmission timeout."
    fn restart_after_idle(&mut self, now: Instant) {
        if self.snd.max == self.snd.una
            && self.flags.has(Flags::DATA_SENT)
            && self.timers.since(Stamp::LastTx, now) > self.rtt.rto()
        {
            self.cc.on_idle_restart(u32::from(self.snd_mss));
        }
    }

    /// RFC 5681 3.2 (3): "The lost segment starting at SND.UNA MUST be
    /// retransmitted" (and RFC 6582 3.2 (3) on a partial ACK: "retransmit
    /// the first unacknowledged segment"). Only that segment: what was sent
    /// after it is not sent again, and SND.NXT stays, so that the window
    /// that follows counts it in flight ("send 1*SMSS bytes of previously
    /// unsent data" when cwnd allows). `None` if there is nothing to
    /// retransmit.
    fn retransmit_una(&mut self, now: Instant, emit: Emit<'_>) -> Option<bool> {
        let sent_data = (self.snd.max - self.snd.una).min(self.tx.len());
        let mut len = sent_data.min(self.mss());
        // Not into what the receiver SACKed.
        len = len.min(self.first_hole_end() - self.snd.una);
        let fin = self.flags.has(Flags::FIN_SENT) && self.fin_seq() == self.snd.una + len;
        if len == 0 && !fin {
            self.pending.set(Pending::REXMIT, false);
            return None;
        }
        let sent = self.retransmit_at(now, self.snd.una, len, fin, emit);
        if sent {
            self.pending.set(Pending::REXMIT, false);
        }
        Some(sent)
    }

    /// RFC 8985 7.3's tail loss probe, when one is owed.
    fn send_loss_probe(&mut self, now: Instant, emit: Emit<'_>) -> Option<bool> {
        let Some((seq, len, fin)) = self.plan_probe() else {
            self.drop_probe();
            return None;
        };
        let retrans = seq < self.snd.max;
        net_debug!("TLP: probe {} bytes at {}", len, seq);
        let sent = if retrans {
            self.retransmit_at(now, seq, len, fin, emit)
        } else {
            self.emit_data(now, len, false, Kind::Data, emit)
        };
        if sent {
            self.probe_sent(retrans);
        }
        Some(sent)
    }

    /// Sends `len` bytes from `seq` again (and the FIN after them if
    /// `fin`); SND.NXT stays where it was, or moves past what this sent
    /// (never back). While the go-back-N after a smaller path MTU runs, it
    /// stays exactly, and so does that go-back-N's stop: a hole resent
    /// meanwhile must not skip what the go-back-N has yet to resend.
    fn retransmit_at(
        &mut self,
        now: Instant,
        seq: SeqNumber,
        len: usize,
        fin: bool,
        emit: Emit<'_>,
    ) -> bool {
        let resume = self.snd.nxt;
        let pmtu_stop = self.mtu_resend_end();
        self.snd.nxt = seq;
        let sent = self.emit_data(now, len, fin, Kind::Data, emit);
        self.snd.nxt = match pmtu_stop {
            Some(_) => resume,
            None => self.snd.nxt.max(resume),
        };
        if let Some(stop) = pmtu_stop
            && let Some(board) = self.scoreboard.as_deref_mut()
        {
            board.mtu_resend_end = Some(stop);
        }
        sent
    }

    /// RFC 9293 3.8.6.1: the zero-window probe carries the first
    /// unacknowledged sequence number: the byte at SND.UNA (which the peer
    /// takes if it has opened its window meanwhile), or, with no data
    /// left, the FIN. `None` if there is nothing to probe with, or the
    /// window has opened (then normal sending takes over).
    fn send_probe(&mut self, now: Instant, emit: Emit<'_>) -> Option<bool> {
        let data = !self.tx.is_empty();
        let fin = !data && self.flags.has(Flags::FIN_QUEUED) && !self.fin_acked();
        if (!data && !fin) || self.snd.wnd > 0 || !self.flags.has(Flags::SYN_ACKED) {
            self.pending.set(Pending::PROBE, false);
            return None;
        }
        self.snd.nxt = self.snd.una;
        let sent = self.emit_data(now, usize::from(data), fin, Kind::Probe, emit);
        if sent {
            self.pending.set(Pending::PROBE, false);
        }
        Some(sent)
    }

    /// Sends `len` bytes from SND.NXT (and the FIN after them if `fin`).
    fn emit_data(
        &mut self,
        now: Instant,
        len: usize,
        fin: bool,
        kind: Kind,
        emit: Emit<'_>,
    ) -> bool {
        let seq = self.snd.nxt;
        let sent_off = seq - self.data_seq_start();
        let p0 = self.tx.get_allocated(sent_off, len);
        let p1 = if p0.len() < len {
            self.tx.get_allocated(sent_off + p0.len(), len - p0.len())
        } else {
            &[]
        };
        let (window, edge) = self.window_to_advertise();
        let mut flags = TcpFlags::ACK;
        if sent_off + len == self.tx.len() && len > 0 {
            flags |= TcpFlags::PSH;
        }
        if fin {
            flags |= TcpFlags::FIN;
        }
        let mut urgent = 0u16;
        if self.flags.has(Flags::SND_URGENT) && self.snd.up > seq {
            flags |= TcpFlags::URG;
            urgent = (self.snd.up - seq).min(65535) as u16;
        }
        let mut options = TcpOptions::new();
        if self.ts_agreed() {
            options.timestamps = self.timestamp_option(now);
        }
        self.add_sack_blocks(&mut options);
        let seg = Segment {
            local: self.local,
            remote: self.remote,
            seq,
            ack: self.rcv.nxt,
            flags,
            window,
            urgent,
            options,
            payload: [p0, p1],
            ident: self.ip_ident,
            dont_frag: !self.path_mtu_locked(),
        };
        if emit(&seg).is_err() {
            return false;
        }
        self.segment_left(flags, self.rcv.nxt);
        self.sent(now, seq, len + usize::from(fin), kind);
        if len > 0 {
            self.timers.stamp(Stamp::LastTx, now);
            self.flags.set(Flags::DATA_SENT, true);
        }
        if fin {
            self.fin_sent();
        }
        if edge > self.rcv.adv_edge {
            self.rcv.adv_edge = edge;
        }
        self.ack_sent();
        true
    }

    /// Our FIN left: "Queue this until all preceding SENDs have been
    /// segmentized, then form a FIN segment and send it. In any case, enter
    /// FIN-WAIT-1 state." / CLOSE-WAIT: "enter LAST-ACK state".
    fn fin_sent(&mut self) {
        self.flags.set(Flags::FIN_SENT, true);
        match self.state {
            State::Established | State::SynReceived => self.set_state(State::FinWait1),
            State::CloseWait => self.set_state(State::LastAck),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn segment(flags: TcpFlags) -> Segment<'static> {
        Segment {
            local: SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 2), 80),
            remote: SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 4000),
            seq: SeqNumber(1000),
            ack: SeqNumber(77),
            flags,
            window: 512,
            urgent: 3,
            options: TcpOptions {
                mss: Some(1460),
                ..TcpOptions::new()
            },
            payload: [b"ab", b"c"],
            ident: 9,
            dont_frag: true,
        }
    }

    /// RFC 9293 3.1: the acknowledgment number is only meaningful with ACK;
    /// we send zero without it. Everything else is the segment's.
    #[test]
    fn header_repr_has_the_segments_fields_and_no_ack_without_ack() {
        let syn = segment(TcpFlags::SYN).header_repr();
        assert_eq!(syn.ack_number, SeqNumber(0));
        let r = segment(TcpFlags::ACK | TcpFlags::URG).header_repr();
        assert_eq!(
            r,
            TcpRepr {
                src_port: 80,
                dst_port: 4000,
                seq_number: SeqNumber(1000),
                ack_number: SeqNumber(77),
                flags: TcpFlags::ACK | TcpFlags::URG,
                window_len: 512,
                urgent_pointer: 3,
                options: TcpOptions {
                    mss: Some(1460),
                    ..TcpOptions::new()
                },
                payload: &[],
            }
        );
    }
}
