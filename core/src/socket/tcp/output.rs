//! What a connection sends next: SYNs, data under the windows, FINs, ACKs
//! (immediate and delayed), retransmissions on timeout, zero-window probes,
//! keep-alives and RSTs.
//!
//! Sending follows RFC 9293 3.8.6.2.1 and RFC 1122 4.2.3.4: "the sender
//! should wait until at least one full segment can be sent", unless all
//! queued data fits (then Nagle decides) or half the peer's largest window
//! can be filled; and Nagle's algorithm: "If there is unacknowledged data,
//! then the sending TCP endpoint buffers all user data ... until the
//! outstanding data has been acknowledged or until the TCP endpoint can send
//! a full-sized segment".

use core::net::SocketAddrV4;

use super::{State, TcpSocket};
use crate::socket::DispatchError;
use crate::time::{Duration, Instant};
use crate::wire::{SeqNumber, TcpFlags, TcpOptions};

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
}

impl Segment<'_> {
    /// Data bytes.
    pub fn payload_len(&self) -> usize {
        self.payload[0].len() + self.payload[1].len()
    }
}

/// Keep-alive probes before the connection is declared dead (RFC 1122
/// 4.2.3.6 leaves it open; 9 as Linux).
const KEEP_ALIVE_PROBES: u8 = 9;

impl TcpSocket<'_> {
    /// Whether data or a FIN could go out now (ignoring timers).
    pub(crate) fn wants_to_send(&self, now: Instant) -> bool {
        match self.state {
            State::SynSent | State::SynReceived => self.snd.nxt == self.snd.iss,
            State::Established
            | State::CloseWait
            | State::FinWait1
            | State::Closing
            | State::LastAck => self.plan_data(now).0 > 0 || self.plan_data(now).1,
            _ => false,
        }
    }

    /// How much data to send now, and whether a FIN goes with it.
    fn plan_data(&self, _now: Instant) -> (usize, bool) {
        let start = self.data_seq_start();
        let sent = self.snd.nxt - start;
        let queued = self.tx.len();
        let avail = queued.saturating_sub(sent);
        let window = (self.snd.wnd.min(self.cc.window())) as usize;
        let inflight = self.snd.nxt - self.snd.una;
        let usable = window.saturating_sub(inflight);
        let mut len = avail.min(usable).min(self.snd_mss);
        let fin_pending = self.fin_queued && self.snd_fin.is_none_or(|f| self.snd.nxt <= f);
        if len > 0 && len < self.snd_mss {
            let is_tail = len == avail;
            if !is_tail {
                // Sender SWS avoidance: a partial segment only if it fills
                // half the peer's largest window.
                if len < (self.snd.max_wnd as usize) / 2 {
                    len = 0;
                }
            } else if self.config.nagle && inflight > 0 && !fin_pending {
                // Nagle: small data waits while anything is unacknowledged.
                len = 0;
            }
        }
        let fin = fin_pending
            && sent + len == queued
            && matches!(
                self.state,
                State::Established
                    | State::CloseWait
                    | State::FinWait1
                    | State::Closing
                    | State::LastAck
            );
        (len, fin)
    }

    /// The window to advertise and the new right edge: free buffer space,
    /// but never a shrunken edge, and (receiver SWS avoidance, RFC 1122
    /// 4.2.3.3) no small increases.
    fn window_to_advertise(&self) -> (u16, SeqNumber) {
        let free = self.rcv_window();
        let old = self.rcv.adv_edge - self.rcv.nxt;
        let threshold = (self.rx.capacity() / 2).min(self.rcv_mss).max(1);
        let win = if free >= old.saturating_add(threshold) || free == self.rx.capacity().min(65535)
        {
            free
        } else {
            old.max(free.min(old))
        };
        let win = win.min(65535);
        (win as u16, self.rcv.nxt + win)
    }

    /// Runs the timers due at `now`. Returns `false` if the connection
    /// ended.
    fn run_timers(&mut self, now: Instant) -> bool {
        if let Some(t) = self.timers.time_wait_until
            && t <= now
        {
            self.set_closed();
            return false;
        }
        if self.state == State::Closed || self.state == State::Listen {
            return false;
        }
        if let Some(t) = self.fin_wait2_deadline()
            && t <= now
        {
            net_debug!(
                "FIN-WAIT-2 timeout, local={}, remote={}",
                self.local,
                self.remote
            );
            self.set_closed();
            return false;
        }
        // RFC 9293 3.10.1 user timeout.
        if let Some(t) = self.user_timeout_at()
            && t <= now
        {
            net_debug!("user timeout");
            self.timed_out();
            return false;
        }
        if let Some(t) = self.timers.retransmit_at
            && t <= now
        {
            // "(5.4) Retransmit the earliest segment that has not been
            // acknowledged by the TCP receiver. (5.5) The host MUST set RTO
            // <- RTO * 2. (5.6) Start the retransmission timer."
            let syn = matches!(self.state, State::SynSent | State::SynReceived);
            let limit = if syn {
                self.config.max_syn_retransmissions
            } else {
                self.config.max_retransmissions
            };
            if self.timers.retries >= limit {
                // RFC 9293 3.8.3: "when the number of transmissions of the
                // same segment reaches a threshold R2 ... close the
                // connection."
                net_debug!("giving up after {} retransmissions", self.timers.retries);
                if self.state == State::SynReceived && self.passive {
                    // A half-open connection from a passive OPEN: the
                    // listener goes back to waiting (it must not be lost to
                    // a SYN whose sender never answers).
                    self.back_to_listen();
                } else {
                    self.timed_out();
                }
                return false;
            }
            self.timers.retries += 1;
            if self.timers.retries == self.config.r1 {
                net_info!(
                    "{} retransmissions to {} (R1): the path may be broken",
                    self.timers.retries,
                    self.remote
                );
            }
            self.rtt.back_off();
            let flight = (self.snd.max - self.snd.una) as u32;
            self.cc.on_timeout(flight);
            self.snd.nxt = self.snd.una;
            self.rexmit_una = false;
            self.timers.rtt_sample = None;
            self.timers.retransmit_at = None;
            if matches!(self.state, State::SynSent | State::SynReceived) {
                self.snd.nxt = self.snd.iss;
            }
        }
        if let Some(t) = self.timers.ack_at
            && t <= now
        {
            self.timers.ack_now = true;
        }
        // Keep-alive: idle for the interval with nothing in flight.
        if let Some(interval) = self.config.keep_alive
            && self.state.is_synchronized()
        {
            let due = self.timers.last_rx.max(self.timers.last_tx) + interval;
            if self.timers.keep_alive_at.is_none()
                || self
                    .timers
                    .keep_alive_at
                    .is_some_and(|t| t < due && self.timers.keep_alive_probes == 0)
            {
                self.timers.keep_alive_at = Some(due);
            }
        } else {
            self.timers.keep_alive_at = None;
        }
        true
    }

    /// Produces the next segment to send, if any, and hands it to `emit`.
    /// The socket's state advances only if `emit` succeeds. Returns whether
    /// a segment was emitted.
    pub(crate) fn dispatch(
        &mut self,
        now: Instant,
        emit: &mut dyn FnMut(&Segment<'_>) -> Result<(), DispatchError>,
    ) -> bool {
        // RFC 9293 3.10.5, ABORT: "<SEQ=SND.NXT><CTL=RST>" (the highest
        // SND.NXT reached: a retransmission timeout pulls ours back).
        if self.rst_pending {
            self.rst_pending = false;
            let seg = self.bare(self.snd.max, TcpFlags::RST);
            return emit(&seg).is_ok();
        }
        if !self.run_timers(now) {
            return false;
        }
        match self.state {
            State::Closed | State::Listen => false,
            State::SynSent => {
                if self.snd.nxt != self.snd.iss {
                    return false;
                }
                let mut seg = self.bare(self.snd.iss, TcpFlags::SYN);
                // The window field is "the number of data octets ... that the
                // sender of this segment is willing to accept" (RFC 9293
                // 3.1), in a SYN too: our free receive buffer, not zero.
                seg.window = self.rcv_window() as u16;
                seg.options.mss = Some(self.rcv_mss.min(65535) as u16);
                self.emit_control(now, &seg, emit)
            }
            State::SynReceived => {
                if self.snd.nxt != self.snd.iss && !self.resend_syn {
                    return self.emit_ack_if_due(now, emit);
                }
                let (window, edge) = self.window_to_advertise();
                let mut seg = self.bare(self.snd.iss, TcpFlags::SYN | TcpFlags::ACK);
                seg.ack = self.rcv.nxt;
                seg.window = window;
                seg.options.mss = Some(self.rcv_mss.min(65535) as u16);
                let sent = self.emit_control(now, &seg, emit);
                if sent {
                    self.resend_syn = false;
                    self.rcv.adv_edge = edge;
                    self.ack_sent();
                }
                sent
            }
            State::TimeWait | State::FinWait2 => self.emit_ack_if_due(now, emit),
            _ => self.dispatch_synchronized(now, emit),
        }
    }

    /// A segment with only sequence, flags and the addresses.
    fn bare(&self, seq: SeqNumber, flags: TcpFlags) -> Segment<'static> {
        Segment {
            local: self.local,
            remote: self.remote,
            seq,
            ack: SeqNumber(0),
            flags,
            window: 0,
            urgent: 0,
            options: TcpOptions::new(),
            payload: [&[], &[]],
        }
    }

    /// Sends a SYN or SYN-ACK: SND.NXT moves past it, the timer starts.
    fn emit_control(
        &mut self,
        now: Instant,
        seg: &Segment<'_>,
        emit: &mut dyn FnMut(&Segment<'_>) -> Result<(), DispatchError>,
    ) -> bool {
        if emit(seg).is_err() {
            return false;
        }
        self.snd.nxt = self.snd.iss + 1;
        if self.snd.max < self.snd.nxt {
            self.snd.max = self.snd.nxt;
        }
        // Karn: time the SYN only if it is not a retransmission.
        if self.timers.retries == 0 && self.timers.rtt_sample.is_none() {
            self.timers.rtt_sample = Some((self.snd.iss, now));
        }
        self.timers.retransmit_at = Some(now + self.rtt.rto());
        self.timers.last_tx = now;
        true
    }

    fn ack_sent(&mut self) {
        self.timers.ack_now = false;
        self.timers.ack_at = None;
        self.timers.unacked_segments = 0;
    }

    /// A pure ACK if one is due (immediately or by the delayed-ACK timer).
    fn emit_ack_if_due(
        &mut self,
        now: Instant,
        emit: &mut dyn FnMut(&Segment<'_>) -> Result<(), DispatchError>,
    ) -> bool {
        let due = self.timers.ack_now || self.timers.ack_at.is_some_and(|t| t <= now);
        if !due {
            return false;
        }
        let (window, edge) = self.window_to_advertise();
        // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with the highest SND.NXT
        // reached: while retransmitting after a timeout our SND.NXT is
        // behind what the peer has seen, and an ACK carrying it would fail
        // the peer's acceptability test (and so would the ACK in it).
        let mut seg = self.bare(self.snd.max, TcpFlags::ACK);
        seg.ack = self.rcv.nxt;
        seg.window = window;
        if emit(&seg).is_err() {
            return false;
        }
        self.rcv.adv_edge = edge;
        self.ack_sent();
        true
    }

    /// Sends `len` bytes from SND.NXT (and the FIN after them if `fin`), as
    /// a window probe if `probe`.
    fn emit_data(
        &mut self,
        now: Instant,
        len: usize,
        fin: bool,
        probe: bool,
        emit: &mut dyn FnMut(&Segment<'_>) -> Result<(), DispatchError>,
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
        if let Some(up) = self.snd.up
            && up > seq
        {
            flags |= TcpFlags::URG;
            urgent = (up - seq).min(65535) as u16;
        }
        let seg = Segment {
            local: self.local,
            remote: self.remote,
            seq,
            ack: self.rcv.nxt,
            flags,
            window,
            urgent,
            options: TcpOptions::new(),
            payload: [p0, p1],
        };
        if emit(&seg).is_err() {
            return false;
        }
        let is_new = self.snd.nxt == self.snd.max;
        if self.snd.max == self.snd.una {
            // The first data outstanding: the user timeout counts from here
            // (RFC 9293 3.10.1: data not delivered within the timeout), not
            // from the last progress of a connection that was idle.
            self.timers.last_progress = now;
        }
        self.snd.nxt = seq + len + usize::from(fin);
        if self.snd.max < self.snd.nxt {
            self.snd.max = self.snd.nxt;
        }
        if fin {
            self.snd_fin = Some(seq + len);
            match self.state {
                // "Queue this until all preceding SENDs have been
                // segmentized, then form a FIN segment and send it. In
                // any case, enter FIN-WAIT-1 state." / CLOSE-WAIT:
                // "enter LAST-ACK state".
                State::Established => self.set_state(State::FinWait1),
                State::CloseWait => self.set_state(State::LastAck),
                _ => {}
            }
        }
        if is_new && self.timers.rtt_sample.is_none() && !probe {
            self.timers.rtt_sample = Some((seq, now));
        }
        // "(5.1) Every time a packet containing data is sent (including
        // a retransmission), if the timer is not running, start it."
        if self.timers.retransmit_at.is_none() && !probe {
            self.timers.retransmit_at = Some(now + self.rtt.rto());
        }
        if probe {
            self.timers.persist_backoff = self.timers.persist_backoff.saturating_add(1);
            let mut d = self.rtt.rto();
            for _ in 0..self.timers.persist_backoff.min(6) {
                d = d.saturating_mul(2);
            }
            self.timers.persist_at = Some(now + d.min(Duration::from_secs(60)));
        }
        self.timers.last_tx = now;
        self.rcv.adv_edge = edge;
        self.ack_sent();
        true
    }

    /// RFC 5681 3.2 (3): "The lost segment starting at SND.UNA MUST be
    /// retransmitted" (and RFC 6582 3.2 (3) on a partial ACK: "retransmit
    /// the first unacknowledged segment"). Only that segment: what was sent
    /// after it is not sent again, and SND.NXT stays, so that the window
    /// that follows counts it in flight ("send 1*SMSS bytes of previously
    /// unsent data" when cwnd allows). `None` if there is nothing to
    /// retransmit.
    fn retransmit_una(
        &mut self,
        now: Instant,
        emit: &mut dyn FnMut(&Segment<'_>) -> Result<(), DispatchError>,
    ) -> Option<bool> {
        let resume = self.snd.nxt;
        let sent_data = (self.snd.max - self.snd.una).min(self.tx.len());
        let len = sent_data.min(self.snd_mss);
        let fin = self.snd_fin == Some(self.snd.una + len);
        if len == 0 && !fin {
            self.rexmit_una = false;
            return None;
        }
        self.snd.nxt = self.snd.una;
        let sent = self.emit_data(now, len, fin, false, emit);
        if sent {
            self.rexmit_una = false;
        }
        self.snd.nxt = self.snd.nxt.max(resume);
        Some(sent)
    }

    fn dispatch_synchronized(
        &mut self,
        now: Instant,
        emit: &mut dyn FnMut(&Segment<'_>) -> Result<(), DispatchError>,
    ) -> bool {
        // RFC 5681 4.1: restart after idle.
        if self.snd.max == self.snd.una
            && self.timers.last_tx != Instant::ZERO
            && now.saturating_duration_since(self.timers.last_tx) > self.rtt.rto()
        {
            self.cc.on_idle_restart();
        }
        if self.rexmit_una
            && let Some(sent) = self.retransmit_una(now, emit)
        {
            return sent;
        }
        let (mut len, fin) = self.plan_data(now);
        let mut probe = false;
        // Zero window: the persist timer probes with one byte (RFC 9293
        // 3.8.6.1), while nothing but an earlier probe is outstanding (data
        // starts the retransmission timer, probes do not).
        if len == 0
            && !fin
            && self.snd.wnd == 0
            && !self.tx.is_empty()
            && self.timers.retransmit_at.is_none()
        {
            match self.timers.persist_at {
                None => {
                    self.timers.persist_at = Some(now + self.rtt.rto());
                }
                Some(t) if t <= now => {
                    // The probe is always the byte at SND.UNA: an earlier
                    // probe the peer did not take is sent again.
                    self.snd.nxt = self.snd.una;
                    len = 1;
                    probe = true;
                }
                Some(_) => {}
            }
        }
        if len > 0 || fin {
            return self.emit_data(now, len, fin, probe, emit);
        }
        if self.emit_ack_if_due(now, emit) {
            return true;
        }
        // Keep-alive probe: <SEQ=SND.NXT-1> with no data (RFC 1122 4.2.3.6).
        if let Some(t) = self.timers.keep_alive_at
            && t <= now
        {
            if self.timers.keep_alive_probes >= KEEP_ALIVE_PROBES {
                self.timed_out();
                return false;
            }
            let mut seg = self.bare(self.snd.max - 1, TcpFlags::ACK);
            seg.ack = self.rcv.nxt;
            seg.window = self.window_to_advertise().0;
            if emit(&seg).is_err() {
                return false;
            }
            self.timers.keep_alive_probes += 1;
            let interval = self.config.keep_alive.unwrap_or(Duration::from_secs(75));
            self.timers.keep_alive_at = Some(now + interval.min(Duration::from_secs(75)));
            return true;
        }
        false
    }
}
