//! RFC 9293 section 3.10.7, "SEGMENT ARRIVES", step by step.
//!
//! The comments quote the RFC; each block below one implements that step.
//! RFC 5961's defenses (challenge ACKs for RSTs and SYNs in window, ACK
//! acceptability) are applied where RFC 9293 says they should be.

use core::net::SocketAddrV4;

use super::congestion::DupAckAction;
use super::{State, TcpError, TcpSocket};
use crate::rand::SipKey;
use crate::time::{Duration, Instant};
use crate::wire::{SeqNumber, TcpFlags, TcpOptions, TcpRepr};

/// What the stack knows when a segment arrives.
#[derive(Debug, Clone, Copy)]
pub struct RxContext<'k> {
    /// The time.
    pub now: Instant,
    /// The key of RFC 6528's ISN function.
    pub isn_key: &'k SipKey,
    /// The MSS our interface allows (MTU - 40), to announce.
    pub mss: usize,
    /// The segment's destination (us).
    pub local: SocketAddrV4,
    /// The segment's source (the peer).
    pub remote: SocketAddrV4,
}

/// A segment the socket asks the stack to send at once (a RST or an ACK
/// that does not come from the sequence variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Reply {
    /// Sequence number.
    pub seq: SeqNumber,
    /// Acknowledgment number.
    pub ack: SeqNumber,
    /// Flags.
    pub flags: TcpFlags,
}

impl Reply {
    /// `<SEQ=SEG.ACK><CTL=RST>`.
    pub fn rst_for_ack(seg: &TcpRepr<'_>) -> Reply {
        Reply {
            seq: seg.ack_number,
            ack: SeqNumber(0),
            flags: TcpFlags::RST,
        }
    }

    /// `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`.
    pub fn rst_ack_for(seg: &TcpRepr<'_>) -> Reply {
        Reply {
            seq: SeqNumber(0),
            ack: seg.seq_number + seg.segment_len(),
            flags: TcpFlags::RST | TcpFlags::ACK,
        }
    }

    /// What a CLOSED port answers (RFC 9293 3.10.7.1): "If the ACK bit is
    /// off, sequence number zero is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
    /// <CTL=RST,ACK>. If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>." A RST
    /// is never answered.
    pub fn for_closed(seg: &TcpRepr<'_>) -> Option<Reply> {
        if seg.flags.contains(TcpFlags::RST) {
            None
        } else if seg.flags.contains(TcpFlags::ACK) {
            Some(Reply::rst_for_ack(seg))
        } else {
            Some(Reply::rst_ack_for(seg))
        }
    }
}

impl TcpSocket<'_> {
    /// Whether a segment to `local` from `remote` belongs to this socket.
    pub fn accepts(&self, local: &SocketAddrV4, remote: &SocketAddrV4) -> bool {
        match self.state {
            State::Closed => false,
            State::Listen => {
                self.listen.port == local.port()
                    && self.listen.addr.is_none_or(|a| a == *local.ip())
            }
            _ => self.local == *local && self.remote == *remote,
        }
    }

    /// RFC 9293 3.10.7: processes an arriving segment. Returns a segment
    /// to send at once if the RFC calls for one outside the normal flow (a
    /// RST); ACKs and data go out through [`TcpSocket::dispatch`].
    pub fn segment_arrives(&mut self, cx: &RxContext<'_>, seg: &TcpRepr<'_>) -> Option<Reply> {
        self.timers.last_rx = cx.now;
        match self.state {
            State::Closed => Reply::for_closed(seg),
            State::Listen => self.listen_segment(cx, seg),
            State::SynSent => self.syn_sent_segment(cx, seg),
            _ => self.synchronized_segment(cx, seg),
        }
    }

    /// 3.10.7.2, LISTEN STATE.
    fn listen_segment(&mut self, cx: &RxContext<'_>, seg: &TcpRepr<'_>) -> Option<Reply> {
        let f = seg.flags;
        // "First, check for a RST: An incoming RST segment could not be
        // valid since it could not have been sent in response to anything
        // sent by this incarnation of the connection. An incoming RST
        // should be ignored. Return."
        if f.contains(TcpFlags::RST) {
            return None;
        }
        // "Second, check for an ACK: Any acknowledgment is bad if it
        // arrives on a connection still in the LISTEN state. An acceptable
        // reset segment should be formed for any arriving ACK-bearing
        // segment. The RST should be formatted as follows:
        // <SEQ=SEG.ACK><CTL=RST>"
        if f.contains(TcpFlags::ACK) {
            return Some(Reply::rst_for_ack(seg));
        }
        // "Third, check for a SYN: ... Set RCV.NXT to SEG.SEQ+1, IRS is set
        // to SEG.SEQ, and any other control or text should be queued for
        // processing later. ISS should be selected and a SYN segment sent of
        // the form: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. SND.NXT is set to
        // ISS+1 and SND.UNA to ISS. The connection state should be changed
        // to SYN-RECEIVED."
        if f.contains(TcpFlags::SYN) {
            self.local = cx.local;
            self.remote = cx.remote;
            self.rcv.irs = seg.seq_number;
            self.rcv.nxt = seg.seq_number + 1;
            self.rcv.adv_edge = self.rcv.nxt;
            let iss = TcpSocket::initial_sequence_number(cx.isn_key, cx.local, cx.remote, cx.now);
            self.snd.iss = iss;
            self.snd.una = iss;
            self.snd.nxt = iss;
            self.snd.max = iss;
            self.take_syn_options(cx, &seg.options);
            self.update_window(seg);
            self.timers.last_progress = cx.now;
            // Data and FIN on a SYN are not kept: the peer sends them again
            // once the connection is synchronized.
            self.set_state(State::SynReceived);
            return None;
        }
        // "Fourth, other data or control: ... drop the segment and return."
        None
    }

    /// The SYN's options: the peer's MSS (RFC 9293 3.7.1: "if no MSS
    /// option is received ... assume 536").
    fn take_syn_options(&mut self, cx: &RxContext<'_>, options: &TcpOptions) {
        self.rcv_mss = cx.mss;
        let peer = options.mss.map_or(536, usize::from);
        self.set_snd_mss(peer.min(cx.mss));
    }

    /// The window of a segment: SND.WND, SND.WL1, SND.WL2.
    fn update_window(&mut self, seg: &TcpRepr<'_>) {
        self.snd.wnd = u32::from(seg.window_len);
        self.snd.max_wnd = self.snd.max_wnd.max(self.snd.wnd);
        self.snd.wl1 = seg.seq_number;
        self.snd.wl2 = seg.ack_number;
    }

    /// 3.10.7.3, SYN-SENT STATE.
    fn syn_sent_segment(&mut self, cx: &RxContext<'_>, seg: &TcpRepr<'_>) -> Option<Reply> {
        let f = seg.flags;
        // "First, check the ACK bit: If the ACK bit is set, If SEG.ACK =<
        // ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is set,
        // if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST> and
        // discard the segment. Return. If SND.UNA < SEG.ACK =< SND.NXT, then
        // the ACK is acceptable."
        let mut ack_ok = false;
        if f.contains(TcpFlags::ACK) {
            if seg.ack_number <= self.snd.iss || seg.ack_number > self.snd.max {
                if f.contains(TcpFlags::RST) {
                    return None;
                }
                return Some(Reply::rst_for_ack(seg));
            }
            ack_ok = self.snd.una < seg.ack_number && seg.ack_number <= self.snd.max;
        }
        // "Second, check the RST bit: If the RST bit is set, If the ACK was
        // acceptable, then signal to the user "error: connection reset",
        // drop the segment, enter CLOSED state, delete TCB, and return.
        // Otherwise (no ACK), drop the segment and return." (RFC 5961 3.2:
        // the ACK must acknowledge our SYN.)
        if f.contains(TcpFlags::RST) {
            if ack_ok {
                self.fail(TcpError::Refused);
            }
            return None;
        }
        // "Fourth, check the SYN bit: ... If the SYN bit is on and the
        // security/compartment is acceptable, then RCV.NXT is set to
        // SEG.SEQ+1, IRS is set to SEG.SEQ. SND.UNA should be advanced to
        // equal SEG.ACK (if there is an ACK), and any segments on the
        // retransmission queue that are thereby acknowledged should be
        // removed."
        if f.contains(TcpFlags::SYN) {
            self.rcv.irs = seg.seq_number;
            self.rcv.nxt = seg.seq_number + 1;
            self.rcv.adv_edge = self.rcv.nxt;
            let options = seg.options;
            self.take_syn_options(cx, &options);
            self.update_window(seg);
            if ack_ok {
                // "If SND.UNA > ISS (our SYN has been ACKed), change the
                // connection state to ESTABLISHED, form an ACK segment
                // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
                self.syn_acked(cx.now, seg.ack_number);
                self.set_state(State::Established);
                self.timers.ack_now = true;
            } else {
                // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment
                // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it."
                // (Simultaneous open.)
                self.snd.nxt = self.snd.iss;
                self.timers.retransmit_at = None;
                self.set_state(State::SynReceived);
            }
            return None;
        }
        // "Fifth, if neither of the SYN or RST bits is set, then drop the
        // segment and return."
        None
    }

    /// Our SYN is acknowledged by `ack`: SND.UNA moves past it, the RTT
    /// sample (if the SYN was not retransmitted) is taken.
    fn syn_acked(&mut self, now: Instant, ack: SeqNumber) {
        if let Some((seq, sent)) = self.timers.rtt_sample
            && ack > seq
        {
            self.rtt.sample(now.saturating_duration_since(sent));
        }
        self.timers.rtt_sample = None;
        self.snd.una = ack;
        if self.snd.nxt < ack {
            self.snd.nxt = ack;
        }
        self.timers.retransmit_at = None;
        if self.timers.retries > 0 {
            // RFC 6298 (5.7): data starts with an RTO of 3 s.
            self.rtt.syn_timed_out();
        } else {
            self.rtt.reset_backoff();
        }
        self.timers.retries = 0;
        self.timers.last_progress = now;
    }

    /// The receive window RFC 9293's acceptability test uses: what we
    /// advertised last (it never shrinks).
    fn rcv_wnd(&self) -> usize {
        (self.rcv.adv_edge - self.rcv.nxt).max(self.rcv_window())
    }

    /// 3.10.7.4, "Otherwise": SYN-RECEIVED and the synchronized states.
    fn synchronized_segment(&mut self, cx: &RxContext<'_>, seg: &TcpRepr<'_>) -> Option<Reply> {
        // Simultaneous open (figure 8, line 6): in SYN-RECEIVED the peer's
        // SYN,ACK repeats the SYN we already took ("<SEQ=300><ACK=101>
        // <CTL=SYN,ACK>" with RCV.NXT = 301) and acknowledges ours, and we
        // enter ESTABLISHED. Taken whole it would fail the acceptability
        // test, and each side would answer the other's SYN,ACK with its own
        // forever; so the old SYN is trimmed off (it occupies the sequence
        // number before RCV.NXT) and the rest is processed as usual.
        let trimmed;
        let seg = if self.state == State::SynReceived
            && seg.flags.contains(TcpFlags::SYN | TcpFlags::ACK)
            && seg.seq_number == self.rcv.irs
        {
            let mut flags = seg.flags;
            flags.remove(TcpFlags::SYN);
            trimmed = TcpRepr {
                seq_number: seg.seq_number + 1,
                flags,
                ..*seg
            };
            &trimmed
        } else {
            seg
        };
        let f = seg.flags;
        let now = cx.now;
        let seg_len = seg.segment_len();
        let rcv_wnd = self.rcv_wnd();
        // "First, check sequence number: ... Segments are processed in
        // sequence. ... There are four cases for the acceptability test for
        // an incoming segment:
        //   Segment Length  Receive Window  Test
        //   0               0               SEG.SEQ = RCV.NXT
        //   0               >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
        //   >0              0               not acceptable
        //   >0              >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
        //                                or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND"
        let seq = seg.seq_number;
        let nxt = self.rcv.nxt;
        let acceptable = match (seg_len, rcv_wnd) {
            (0, 0) => seq == nxt,
            (0, w) => seq.in_window(nxt, nxt + w),
            (_, 0) => false,
            (l, w) => seq.in_window(nxt, nxt + w) || (seq + (l - 1)).in_window(nxt, nxt + w),
        };
        // "If the RCV.WND is zero, no segments will be acceptable, but
        // special allowance should be made to accept valid ACKs, URGs, and
        // RSTs."
        let zero_window_ack = rcv_wnd == 0 && seq == nxt;
        if !acceptable && zero_window_ack && !f.contains(TcpFlags::RST) {
            // Still not acceptable, so the acknowledgment is owed; it
            // answers the peer's zero-window probe (RFC 9293 3.8.6.1: "When
            // the receiving TCP peer has a zero window and a segment
            // arrives, it must still send an acknowledgment showing its next
            // expected sequence number and current window (zero).").
            self.timers.ack_now = true;
        }
        if !acceptable && !zero_window_ack {
            // "If an incoming segment is not acceptable, an acknowledgment
            // should be sent in reply (unless the RST bit is set, if so drop
            // the segment and return): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"
            if !f.contains(TcpFlags::RST) {
                if self.state == State::SynReceived
                    && f.contains(TcpFlags::SYN)
                    && seq == self.rcv.irs
                {
                    // The peer's SYN again: our SYN,ACK was lost.
                    self.resend_syn = true;
                } else {
                    self.timers.ack_now = true;
                }
                if self.state == State::TimeWait && f.contains(TcpFlags::FIN) {
                    self.restart_time_wait(now);
                }
            }
            return None;
        }
        // The part of the segment inside the window.
        let (payload, seq, fin) = self.trim_to_window(seg, rcv_wnd);
        // Anything acceptable shows the peer is alive.
        self.timers.keep_alive_probes = 0;
        self.timers.keep_alive_at = None;

        // "Second, check the RST bit: RFC 5961 Section 3 describes a
        // potential blind reset attack ... 1) If the RST bit is set and the
        // sequence number is outside the current receive window, silently
        // drop the segment. 2) If the RST bit is set and the sequence
        // number exactly matches the next expected sequence number
        // (RCV.NXT), then TCP MUST reset the connection in the manner
        // prescribed below according to the connection state. 3) If the
        // RST bit is set and the sequence number does not exactly match the
        // next expected sequence value, yet is within the current receive
        // window, TCP MUST send an acknowledgment (challenge ACK)."
        if f.contains(TcpFlags::RST) {
            if seg.seq_number != self.rcv.nxt {
                self.challenge_ack(now);
                return None;
            }
            match self.state {
                // "SYN-RECEIVED STATE: If this connection was initiated with
                // a passive OPEN (i.e., came from the LISTEN state), then
                // return this connection to LISTEN state and return. ... If
                // this connection was initiated with an active OPEN (i.e.,
                // came from SYN-SENT state), then the connection was refused;
                // signal the user "connection refused"."
                State::SynReceived if self.passive => self.back_to_listen(),
                State::SynReceived => self.fail(TcpError::Refused),
                // "ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT STATES: If
                // the RST bit is set, then any outstanding RECEIVEs and SEND
                // should receive "reset" responses. ... Enter the CLOSED
                // state, delete the TCB, and return."
                State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait => {
                    self.fail(TcpError::Reset)
                }
                // "CLOSING, LAST-ACK, TIME-WAIT STATES: If the RST bit is set,
                // then enter the CLOSED state, delete the TCB, and return."
                _ => self.set_closed(),
            }
            return None;
        }

        // "Third, check security": not applicable (no compartments here).

        // "Fourth, check the SYN bit: SYN-RECEIVED STATE: If the connection
        // was initiated with a passive OPEN, then return this connection to
        // the LISTEN state and return. Otherwise, handle per the directions
        // for synchronized states below. ESTABLISHED STATE ... TIME-WAIT
        // STATE: If the SYN bit is set in these synchronized states, it may
        // be either a legitimate new connection attempt (e.g., in the case
        // of TIME-WAIT), an error where the connection should be reset, or
        // the result of an attack attempt, as described in RFC 5961. For
        // the TIME-WAIT state, new connections can be accepted if the
        // Timestamp Option is used and meets expectations (per RFC 6191).
        // For all other cases, RFC 5961 provides a mitigation ... TCP MUST
        // send an ACK (challenge ACK) to the remote peer."
        if f.contains(TcpFlags::SYN) {
            if self.state == State::SynReceived && self.passive {
                self.back_to_listen();
                return None;
            }
            self.challenge_ack(now);
            return None;
        }

        // "Fifth, check the ACK field: if the ACK bit is off, drop the
        // segment and return."
        if !f.contains(TcpFlags::ACK) {
            return None;
        }
        if self.state == State::SynReceived {
            // "SYN-RECEIVED STATE: If SND.UNA < SEG.ACK =< SND.NXT, then
            // enter ESTABLISHED state and continue processing with the
            // variables below set to: SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ,
            // SND.WL2 <- SEG.ACK. If the segment acknowledgment is not
            // acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST> and
            // send it."
            if self.snd.una < seg.ack_number && seg.ack_number <= self.snd.max {
                self.syn_acked(now, seg.ack_number);
                self.update_window(seg);
                self.set_state(State::Established);
            } else {
                return Some(Reply::rst_for_ack(seg));
            }
        }
        let mut fin_acked = false;
        // "ESTABLISHED STATE: If SND.UNA < SEG.ACK =< SND.NXT, then set
        // SND.UNA <- SEG.ACK. Any segments on the retransmission queue that
        // are thereby entirely acknowledged are removed. ... If the ACK is a
        // duplicate (SEG.ACK =< SND.UNA), it can be ignored. If the ACK acks
        // something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop
        // the segment, and return."
        //
        // RFC 5961 5.2: the ACK is acceptable only if
        // (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT; otherwise an ACK
        // is sent and the segment dropped.
        let ack = seg.ack_number;
        let oldest_ok = self.snd.una - (self.snd.max_wnd as usize).max(1);
        if ack > self.snd.max || ack < oldest_ok {
            self.challenge_ack(now);
            return None;
        }
        if ack > self.snd.una {
            fin_acked = self.new_ack(now, ack);
        } else if ack == self.snd.una
            && payload.is_empty()
            && !fin
            && u32::from(seg.window_len) == self.snd.wnd
            && self.snd.max > self.snd.una
            && self.snd.wnd > 0
        {
            // RFC 5681 2: a duplicate ACK. (Not the answers to our
            // zero-window probes: only the probe is outstanding then.)
            self.duplicate_ack();
        }
        // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be
        // updated. If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2
        // =< SEG.ACK)), set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and
        // set SND.WL2 <- SEG.ACK."
        if self.snd.una <= ack
            && (self.snd.wl1 < seg.seq_number
                || (self.snd.wl1 == seg.seq_number && self.snd.wl2 <= ack))
        {
            let was_zero = self.snd.wnd == 0;
            self.update_window(seg);
            if was_zero && self.snd.wnd > 0 {
                self.timers.persist_at = None;
                self.timers.persist_backoff = 0;
                if self.timers.retransmit_at.is_none() {
                    // Only a probe was outstanding and the peer did not
                    // take it: send from SND.UNA again.
                    self.snd.nxt = self.snd.una;
                }
            }
        }
        match self.state {
            // "FIN-WAIT-1 STATE: In addition to the processing for the
            // ESTABLISHED state, if the FIN segment is now acknowledged, then
            // enter FIN-WAIT-2 and continue processing in that state."
            State::FinWait1 if fin_acked => {
                self.timers.fin_wait2_since = now;
                self.set_state(State::FinWait2);
            }
            // "CLOSING STATE: In addition to the processing for the
            // ESTABLISHED state, if the ACK acknowledges our FIN, then enter
            // the TIME-WAIT state; otherwise, ignore the segment."
            State::Closing if fin_acked => self.enter_time_wait(now),
            // "LAST-ACK STATE: The only thing that can arrive in this state
            // is an acknowledgment of our FIN. If our FIN is now
            // acknowledged, delete the TCB, enter the CLOSED state, and
            // return."
            State::LastAck => {
                if fin_acked {
                    self.set_closed();
                }
                return None;
            }
            // "TIME-WAIT STATE: The only thing that can arrive in this state
            // is a retransmission of the remote FIN. Acknowledge it, and
            // restart the 2 MSL timeout."
            State::TimeWait => {
                if fin {
                    self.timers.ack_now = true;
                    self.restart_time_wait(now);
                }
                return None;
            }
            _ => {}
        }

        // "Sixth, check the URG bit: ESTABLISHED STATE, FIN-WAIT-1 STATE,
        // FIN-WAIT-2 STATE: If the URG bit is set, RCV.UP <- max(RCV.UP,
        // SEG.UP), and signal the user that the remote side has urgent data
        // if the urgent pointer (RCV.UP) is in advance of the data consumed."
        // (RFC 6093: the pointer points to the byte after the urgent data,
        // and urgent data is delivered in line.)
        if f.contains(TcpFlags::URG)
            && matches!(
                self.state,
                State::Established | State::FinWait1 | State::FinWait2
            )
        {
            let up = seg.seq_number + usize::from(seg.urgent_pointer);
            let up = self.rcv.up.map_or(up, |old| old.max(up));
            self.rcv.up = Some(up);
        }

        // "Seventh, process the segment text: ESTABLISHED STATE, FIN-WAIT-1
        // STATE, FIN-WAIT-2 STATE: Once in the ESTABLISHED state, it is
        // possible to deliver segment data to user RECEIVE buffers. ... When
        // the TCP endpoint takes responsibility for delivering the data to
        // the user, it must also acknowledge the receipt of the data. Once
        // the TCP endpoint takes responsibility for the data, it advances
        // RCV.NXT over the data accepted, and adjusts RCV.WND as appropriate
        // to the current buffer availability."
        let mut in_order = true;
        if !payload.is_empty() && self.rx_shut {
            net_debug!(
                "data after the application closed: reset, local={}, remote={}",
                self.local,
                self.remote
            );
            self.rst_pending = true;
            self.set_closed();
            return None;
        }
        if !payload.is_empty()
            && matches!(
                self.state,
                State::Established | State::FinWait1 | State::FinWait2
            )
        {
            in_order = self.accept_text(now, seq, payload, seg.flags.contains(TcpFlags::PSH));
        }
        // "CLOSE-WAIT STATE, CLOSING STATE, LAST-ACK STATE, TIME-WAIT STATE:
        // This should not occur since a FIN has been received from the
        // remote side. Ignore the segment text."
        self.update_urgent_mark();

        // "Eighth, check the FIN bit: Do not process the FIN if the state is
        // CLOSED, LISTEN, or SYN-SENT since the SEG.SEQ cannot be validated.
        // If the FIN bit is set, signal the user "connection closing" and
        // return any pending RECEIVEs with same message, advance RCV.NXT
        // over the FIN, and send an acknowledgment for the FIN."
        // A FIN beyond a gap waits: the peer sends it again with the data.
        if fin && in_order && seq + payload.len() == self.rcv.nxt && !self.fin_received {
            self.rcv.nxt += 1;
            self.fin_received = true;
            self.timers.ack_now = true;
            match self.state {
                // "SYN-RECEIVED STATE, ESTABLISHED STATE: Enter the
                // CLOSE-WAIT state."
                State::SynReceived | State::Established => self.set_state(State::CloseWait),
                // "FIN-WAIT-1 STATE: If our FIN has been ACKed (perhaps in
                // this segment), then enter TIME-WAIT, start the time-wait
                // timer, turn off the other timers; otherwise, enter the
                // CLOSING state."
                State::FinWait1 => {
                    if fin_acked || self.fin_acked() {
                        self.enter_time_wait(now);
                    } else {
                        self.set_state(State::Closing);
                    }
                }
                // "FIN-WAIT-2 STATE: Enter the TIME-WAIT state. Start the
                // time-wait timer, turn off the other timers."
                State::FinWait2 => self.enter_time_wait(now),
                _ => {}
            }
        }
        None
    }

    /// Cuts the segment to the receive window: bytes already received at
    /// the front and bytes beyond the window at the back go, and a FIN
    /// beyond the window goes with them.
    fn trim_to_window<'p>(&self, seg: &TcpRepr<'p>, rcv_wnd: usize) -> (&'p [u8], SeqNumber, bool) {
        let mut seq = seg.seq_number;
        let mut payload = seg.payload;
        let mut fin = seg.flags.contains(TcpFlags::FIN);
        // A SYN occupies the first sequence number.
        if seg.flags.contains(TcpFlags::SYN) {
            seq += 1;
        }
        if seq < self.rcv.nxt {
            let behind = self.rcv.nxt - seq;
            if behind > payload.len() {
                // All the data is old; so is a FIN before RCV.NXT.
                if seq + payload.len() < self.rcv.nxt {
                    fin = false;
                }
                payload = &[];
            } else {
                payload = payload.get(behind..).unwrap_or(&[]);
            }
            seq = self.rcv.nxt;
        }
        let edge = self.rcv.nxt + rcv_wnd;
        let room = edge - seq;
        if payload.len() > room {
            payload = payload.get(..room).unwrap_or(&[]);
            fin = false;
        }
        (payload, seq, fin)
    }

    /// Takes in-window data: in order, it extends the stream (with any
    /// out-of-order data it now joins); out of order, it is held in the
    /// buffer beyond the stream and tracked by the assembler. Returns
    /// whether it was in order. Sets the ACK policy of RFC 1122 4.2.3.2:
    /// "an ACK should be generated for at least every second full-sized
    /// segment", an immediate ACK for out-of-order data (RFC 5681 4.2).
    fn accept_text(&mut self, now: Instant, seq: SeqNumber, payload: &[u8], _psh: bool) -> bool {
        let offset = seq - self.rcv.nxt;
        let written = self.rx.write_unallocated(offset, payload);
        if offset == 0 {
            let had_holes = !self.assembler.is_empty();
            match self.assembler.add_then_remove_front(0, written) {
                Ok(n) => {
                    self.rx.enqueue_unallocated(n);
                    self.rcv.nxt += n;
                }
                Err(_) => {
                    self.rx.enqueue_unallocated(written);
                    self.rcv.nxt += written;
                }
            }
            if had_holes {
                // Filling a hole: ACK at once (RFC 5681 4.2).
                self.timers.ack_now = true;
            } else if written >= self.rcv_mss || self.timers.unacked_segments >= 1 {
                self.timers.unacked_segments = self.timers.unacked_segments.saturating_add(1);
                if self.timers.unacked_segments >= 2 || self.config.ack_delay.is_none() {
                    self.timers.ack_now = true;
                } else if self.timers.ack_at.is_none() {
                    self.timers.ack_at = self.config.ack_delay.map(|d| now + d);
                }
            } else {
                self.timers.unacked_segments = self.timers.unacked_segments.saturating_add(1);
                match self.config.ack_delay {
                    None => self.timers.ack_now = true,
                    Some(d) if self.timers.ack_at.is_none() => self.timers.ack_at = Some(now + d),
                    Some(_) => {}
                }
            }
            true
        } else {
            if self.assembler.add(offset, written).is_err() {
                net_debug!("out-of-order segment dropped: too many holes");
            }
            self.timers.ack_now = true;
            false
        }
    }

    /// Keeps the urgent mark relative to what the application has read.
    fn update_urgent_mark(&mut self) {
        if let Some(up) = self.rcv.up {
            // The first unread byte is RCV.NXT - (bytes queued).
            let first_unread = self.rcv.nxt - self.rx.len();
            if up > first_unread {
                self.urgent_mark = Some(up - first_unread);
            } else {
                self.rcv.up = None;
            }
        }
    }

    /// New data acknowledged up to `ack`; returns whether our FIN is now
    /// acknowledged.
    fn new_ack(&mut self, now: Instant, ack: SeqNumber) -> bool {
        let data_start = self.data_seq_start();
        let fin_seq = self.fin_seq();
        let fin_was_acked = self.fin_acked();
        // Bytes of data acknowledged (the FIN is not in the buffer).
        let data_acked = (ack.min(fin_seq) - data_start).min(self.tx.len());
        self.tx.dequeue_allocated(data_acked);
        let acked_total = ack - self.snd.una;
        self.snd.una = ack;
        if self.snd.nxt < ack {
            self.snd.nxt = ack;
        }
        // Karn: the sample counts only if its segment was not retransmitted
        // (a retransmission clears `rtt_sample`).
        if let Some((seq, sent)) = self.timers.rtt_sample
            && ack > seq
        {
            self.rtt.sample(now.saturating_duration_since(sent));
            self.timers.rtt_sample = None;
        }
        self.rtt.reset_backoff();
        self.timers.retries = 0;
        self.timers.last_progress = now;
        self.timers.keep_alive_probes = 0;
        // "(5.2) When all outstanding data has been acknowledged, turn off
        // the retransmission timer. (5.3) When an ACK is received that
        // acknowledges new data, restart the retransmission timer so that it
        // will expire after RTO seconds."
        let flight = self.snd.max - self.snd.una;
        self.timers.retransmit_at = if flight > 0 {
            Some(now + self.rtt.rto())
        } else {
            None
        };
        let una_off = self.snd.una.0.wrapping_sub(self.snd.iss.0);
        // NewReno partial ACK: retransmit the first unacknowledged segment
        // (a full ACK cancels a fast retransmit not yet sent).
        self.rexmit_una = self.cc.on_ack(acked_total as u32, una_off, flight as u32);
        if let Some(up) = self.snd.up
            && ack >= up
        {
            self.snd.up = None;
        }
        !fin_was_acked && self.fin_acked()
    }

    fn duplicate_ack(&mut self) {
        let flight = (self.snd.max - self.snd.una) as u32;
        let nxt = self.snd.max.0.wrapping_sub(self.snd.iss.0);
        if self.cc.on_dup_ack(flight, nxt) == DupAckAction::FastRetransmit {
            net_debug!("fast retransmit from {}", self.snd.una);
            // Retransmit the segment at SND.UNA; Karn: no sample from it.
            self.rexmit_una = true;
            self.timers.rtt_sample = None;
        }
    }

    /// RFC 5961 challenge ACK, at most `challenge_ack_limit` a second for
    /// this connection (section 7).
    fn challenge_ack(&mut self, now: Instant) {
        if now.saturating_duration_since(self.timers.challenge_window) >= Duration::from_secs(1) {
            self.timers.challenge_window = now;
            self.timers.challenge_acks = 0;
        }
        if self.timers.challenge_acks < self.config.challenge_ack_limit {
            self.timers.challenge_acks += 1;
            self.timers.ack_now = true;
        }
    }

    /// A passive connection that was reset or re-SYNed returns to LISTEN.
    pub(crate) fn back_to_listen(&mut self) {
        let listen = self.listen;
        self.reset_connection();
        self.listen = listen;
        self.local = SocketAddrV4::new(crate::wire::Ipv4Address::UNSPECIFIED, 0);
        self.remote = SocketAddrV4::new(crate::wire::Ipv4Address::UNSPECIFIED, 0);
        self.set_state(State::Listen);
    }

    pub(crate) fn enter_time_wait(&mut self, now: Instant) {
        self.set_state(State::TimeWait);
        self.timers.retransmit_at = None;
        self.timers.persist_at = None;
        self.timers.keep_alive_at = None;
        self.restart_time_wait(now);
    }

    fn restart_time_wait(&mut self, now: Instant) {
        self.timers.time_wait_until = Some(now + self.config.time_wait);
    }

    /// An ICMP error about a segment this connection sent (RFC 1122
    /// 4.2.3.9, validated as RFC 5927 4.1 describes: "check that the TCP
    /// sequence number contained in the payload of the ICMP error message is
    /// within the range SND.UNA =< SEG.SEQ < SND.NXT", with the highest
    /// SND.NXT reached; with nothing in flight, every error is ignored).
    /// Hard errors abort a connection still being set up; in synchronized
    /// states every error is soft (RFC 5927 4.2): kept, and reported if the
    /// connection times out. Fragmentation needed lowers the MSS (RFC
    /// 1191).
    pub fn handle_icmp_error(
        &mut self,
        kind: super::super::IcmpErrorKind,
        quoted_seq: SeqNumber,
    ) -> bool {
        use super::super::IcmpErrorKind as K;
        if !quoted_seq.in_window(self.snd.una, self.snd.max) {
            return false;
        }
        match kind {
            K::FragmentationNeeded { mtu } if mtu >= 68 => {
                let mss = usize::from(mtu).saturating_sub(40).max(64);
                if mss < self.snd_mss {
                    net_debug!("path MTU {}: MSS {} -> {}", mtu, self.snd_mss, mss);
                    self.set_snd_mss(mss);
                    // Retransmit what no longer fits, at once.
                    self.snd.nxt = self.snd.una;
                    self.timers.rtt_sample = None;
                }
            }
            K::ProtocolUnreachable | K::PortUnreachable if self.state == State::SynSent => {
                self.fail(TcpError::Unreachable(kind));
            }
            _ => self.soft_error = Some(kind),
        }
        true
    }
}
