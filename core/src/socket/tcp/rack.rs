//! RFC 8985 RACK-TLP: loss detection by time, and a probe for the tail.
//!
//! RACK ("Recent ACKnowledgment") says a segment is lost when a segment
//! sent after it has been delivered and a reordering window has passed:
//! "RACK_detect_loss(): ... If RACK_sent_after(RACK.xmit_ts, RACK.end_seq,
//! Segment.xmit_ts, Segment.end_seq): remaining = Segment.xmit_ts +
//! RACK.rtt + RACK.reo_wnd - Now(); If remaining <= 0: Segment.lost =
//! TRUE" (section 6.2, step 5), and a timer covers what is not yet due.
//! Unlike a count of duplicate ACKs, this finds a lost retransmission, and
//! a loss with fewer than three segments after it. The send times are the
//! [send log](super::sentlog); the delivered segments are those the
//! cumulative ACK passes and those the [`Scoreboard`](super::Scoreboard)
//! marks SACKed.
//!
//! The reordering window is RACK.min_RTT / 4 times a multiplier that grows
//! with each round trip that reports a D-SACK (RFC 2883: we resent what the
//! peer had, so we judged too early) and falls back to 1 after 16
//! recoveries without one (6.2, step 4); it is 0 until reordering is seen
//! while in recovery or with DupThresh segments SACKed. RACK.min_RTT is
//! the smallest sample of the connection (the RFC suggests a windowed
//! minimum; a path whose RTT rises keeps a reordering window that is
//! smaller than it could be, which costs a spurious retransmission at
//! worst).
//!
//! TLP (section 7): when nothing more would be sent and no ACK comes, a
//! probe goes out after PTO = 2 * SRTT (plus the peer's worst delayed-ACK
//! time, 200 ms, when one segment is in flight), before the RTO: new data
//! if there is some and the receive window allows, else the last segment
//! again. Its ACK, or its SACK, lets RACK find the losses before it. A
//! retransmitted probe that repaired a loss (its ACK arrives without a
//! D-SACK for it) halves cwnd as a recovery would (7.4).
//!
//! Both use the retransmission timer's slot ([`RtxTimer`]): the reordering
//! timer or the probe timeout replace the RTO while they run, and the RTO
//! comes back when they fire (as Linux does).
//!
//! Losses RACK finds, and those RFC 6675's IsLost finds, are marked in the
//! send log; in recovery the sender retransmits the first lost segment
//! ("NextSeg"), and the pipe counts every unSACKed segment not marked lost.
//! Without send-time storage, or with [`TcpSocket::set_rack`] off, recovery
//! is RFC 6675's alone.

use super::scoreboard::covers;
use super::sentlog::SentSegment;
use super::timer::Timer;
use super::{Flags, TcpSocket};
use crate::time::{Duration, Instant};
use crate::wire::{SeqNumber, TcpRepr};

/// What the retransmission timer's slot stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum RtxTimer {
    /// RFC 6298's RTO.
    #[default]
    Rto,
    /// RFC 8985 7.2's probe timeout.
    Probe,
    /// RFC 8985 6.2's reordering timer.
    Reorder,
}

/// RFC 8985's variables of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rack {
    /// Per socket: RACK-TLP runs (with send-time storage).
    pub(crate) enabled: bool,
    /// RACK.xmit_ts, RACK.end_seq and RACK.rtt describe a segment.
    valid: bool,
    xmit_us: u32,
    end: SeqNumber,
    rtt_us: u32,
    /// RACK.segment was a retransmission.
    seg_retrans: bool,
    /// RACK.min_RTT (`u32::MAX`: none yet).
    min_rtt_us: u32,
    /// RACK.fack: the highest end delivered (`None`: nothing yet).
    fack: Option<SeqNumber>,
    dsack_round: Option<SeqNumber>,
    reo_wnd_mult: u8,
    reo_wnd_persist: u8,
    reordering_seen: bool,
    /// TLP.end_seq: a probe is outstanding up to here.
    pub(crate) tlp_end: Option<SeqNumber>,
    /// TLP.is_retrans.
    tlp_retrans: bool,
    /// The probe timeout fired; the probe is owed.
    pub(crate) tlp_owed: bool,
    pub(crate) timer: RtxTimer,
}

impl Default for Rack {
    fn default() -> Self {
        Rack {
            enabled: true,
            valid: false,
            xmit_us: 0,
            end: SeqNumber(0),
            rtt_us: 0,
            seg_retrans: false,
            min_rtt_us: u32::MAX,
            fack: None,
            dsack_round: None,
            reo_wnd_mult: 1,
            reo_wnd_persist: 0,
            reordering_seen: false,
            tlp_end: None,
            tlp_retrans: false,
            tlp_owed: false,
            timer: RtxTimer::Rto,
        }
    }
}

impl Rack {
    /// A new connection: everything but the per-socket switch.
    pub(crate) fn reset(&mut self) {
        *self = Rack {
            enabled: self.enabled,
            ..Rack::default()
        };
    }

    /// RACK_update() for one delivered segment, and RACK.fack with
    /// RACK_detect_reordering() (6.2, steps 2 and 3).
    fn delivered(&mut self, r: &SentSegment, now_us: u32) {
        let retrans = r.has(SentSegment::RETRANS);
        match self.fack {
            Some(f) if r.end < f => self.reordering_seen |= !retrans,
            _ => self.fack = Some(r.end),
        }
        let rtt = now_us.wrapping_sub(r.sent_us);
        // "If Segment.retransmitted is TRUE and RACK.rtt < RACK.min_RTT:
        // return": the ACK may be for the original. (Not the RFC's other
        // test, "ACK.ts_option.echo_reply < Segment.xmit_ts": the ACK for
        // an out-of-order segment echoes the last in-order one's timestamp
        // (RFC 7323 4.3), so a SACKed retransmission would never count.
        // Linux does the same.)
        if retrans && rtt < self.min_rtt_us {
            return;
        }
        self.min_rtt_us = self.min_rtt_us.min(rtt);
        if !self.valid || sent_after(r.sent_us, r.end, self.xmit_us, self.end) {
            self.valid = true;
            self.seg_retrans = retrans;
            self.rtt_us = rtt;
            self.xmit_us = r.sent_us;
            self.end = r.end;
        }
    }

    /// Step 4's adaptation of the reordering window to D-SACKs: "If
    /// RACK.dsack_round is not None AND SND.UNA >= RACK.dsack_round:
    /// RACK.dsack_round = None. If RACK.dsack_round is None AND any DSACK
    /// option is present on latest received ACK: RACK.dsack_round =
    /// SND.NXT; RACK.reo_wnd_mult += 1; RACK.reo_wnd_persist = 16. Else if
    /// exiting Fast or RTO recovery: RACK.reo_wnd_persist -= 1; If
    /// RACK.reo_wnd_persist <= 0: RACK.reo_wnd_mult = 1" (SND.NXT: the
    /// highest sent, SND.MAX here).
    fn update_reo_wnd(&mut self, una: SeqNumber, snd_max: SeqNumber, dsack: bool, exiting: bool) {
        if self.dsack_round.is_some_and(|r| una >= r) {
            self.dsack_round = None;
        }
        if self.dsack_round.is_none() && dsack {
            self.dsack_round = Some(snd_max);
            self.reo_wnd_mult = self.reo_wnd_mult.saturating_add(1);
            self.reo_wnd_persist = 16;
        } else if exiting {
            self.reo_wnd_persist = self.reo_wnd_persist.saturating_sub(1);
            if self.reo_wnd_persist == 0 {
                self.reo_wnd_mult = 1;
            }
        }
    }

    /// RACK_update_reo_wnd() (6.2, step 4), in microseconds.
    fn reo_wnd_us(&self, in_recovery: bool, srtt_us: u32, sacked: u16) -> u32 {
        if !self.reordering_seen && (in_recovery || usize::from(sacked) >= 3) {
            return 0;
        }
        if self.min_rtt_us == u32::MAX {
            return 0;
        }
        (self.min_rtt_us / 4)
            .saturating_mul(u32::from(self.reo_wnd_mult))
            .min(srtt_us)
    }
}

/// "RACK_sent_after(t1, seq1, t2, seq2): If t1 > t2: Return true; Else if
/// t1 == t2 AND seq1 > seq2: Return true", on a clock that wraps.
fn sent_after(t1: u32, seq1: SeqNumber, t2: u32, seq2: SeqNumber) -> bool {
    let d = t1.wrapping_sub(t2) as i32;
    d > 0 || (d == 0 && seq1 > seq2)
}

/// RFC 8985 7.2's WCDelAckT: the worst delayed-ACK time a peer may have.
const WC_DEL_ACK: Duration = Duration::from_millis(200);

fn micros(now: Instant) -> u32 {
    now.total_micros() as u32
}

impl TcpSocket<'_> {
    /// Whether RACK-TLP runs: SACK recovery with send-time storage, and not
    /// switched off for this socket.
    pub(crate) fn rack_active(&self) -> bool {
        cfg!(feature = "tcp-rack")
            && self.sack_sender()
            && self
                .board()
                .is_some_and(|b| b.rack.enabled && b.sent.capacity() > 0)
    }

    /// Data `[seq, end)` left at `now` (`new`: beyond what was sent
    /// before): the send log records it.
    pub(crate) fn rack_sent(&mut self, now: Instant, seq: SeqNumber, end: SeqNumber, new: bool) {
        if !self.rack_active() || !self.flags.has(Flags::SYN_ACKED) || end <= seq {
            return;
        }
        let una = self.snd.una;
        let Some(board) = self.scoreboard.as_deref_mut() else {
            return;
        };
        if new && board.sent.last_end().is_none_or(|e| e < end) {
            board.sent.push(end, micros(now));
        } else {
            board.sent.retransmitted(una, seq, end, micros(now));
        }
    }

    /// RFC 8985 6.2, what an ACK does (after the cumulative ACK and the
    /// SACK blocks were taken): the segments it delivered update RACK, a
    /// D-SACK widens the reordering window, losses are marked, a probe's
    /// ACK is judged, and the reordering timer or the probe timeout armed.
    pub(crate) fn rack_ack(&mut self, now: Instant, seg: &TcpRepr<'_>, was_in_recovery: bool) {
        if !self.rack_active() {
            return;
        }
        let now_us = micros(now);
        let una = self.snd.una;
        let dsack = has_dsack(seg);
        let in_recovery = self.cc.in_recovery();
        let snd_max = self.snd.max;
        // A SACK block need not cover our FIN (ours do not): a segment
        // with data and the FIN is SACKed when its data is.
        let fin = self.flags.has(Flags::FIN_SENT).then(|| self.fin_seq());
        let Some(board) = self.scoreboard.as_deref_mut() else {
            return;
        };
        let (ranges, log, rack) = board.parts();
        log.acknowledge(una, |r| rack.delivered(r, now_us));
        if seg.options.sack_iter().next().is_some() {
            let mut start = una;
            for i in 0..log.len() {
                let Some(r) = log.get(i).copied() else {
                    break;
                };
                let end = match fin {
                    Some(f) if r.end == f + 1 && start < f => f,
                    _ => r.end,
                };
                if !r.has(SentSegment::SACKED) && covers(ranges, start, end) {
                    if let Some(m) = log.get_mut(i) {
                        m.flags |= SentSegment::SACKED;
                    }
                    log.sacked = log.sacked.saturating_add(1);
                    rack.delivered(&r, now_us);
                }
                start = r.end;
            }
        }
        rack.update_reo_wnd(una, snd_max, dsack, was_in_recovery && !in_recovery);
        self.tlp_process_ack(seg, dsack);
        let marked = self.mark_is_lost();
        let (due, by_time) = self.rack_detect_loss(now);
        self.after_loss_detection(now, due, marked || by_time);
    }

    /// RFC 6675's IsLost, in the log: an unSACKed segment below the point
    /// DupThresh SACKed segments (or more than two SMSS of them) lie above
    /// is lost, unless it was sent again (only RACK's clock can say a
    /// retransmission is lost).
    fn mark_is_lost(&mut self) -> bool {
        let mss = self.mss();
        let Some(board) = self.scoreboard.as_deref_mut() else {
            return false;
        };
        let Some(lost) = board.lost_below(mss) else {
            return false;
        };
        let mut marked = false;
        for i in 0..board.sent.len() {
            let Some(r) = board.sent.get_mut(i) else {
                break;
            };
            if r.end > lost {
                break;
            }
            if r.flags & (SentSegment::SACKED | SentSegment::RETRANS | SentSegment::LOST) == 0 {
                r.flags |= SentSegment::LOST;
                marked = true;
            }
        }
        marked
    }

    /// RACK_detect_loss(): marks what is lost; returns how long until the
    /// next segment would be (the reordering timer), if any, and whether
    /// it marked one.
    fn rack_detect_loss(&mut self, now: Instant) -> (Option<Duration>, bool) {
        let now_us = micros(now);
        let in_recovery = self.cc.in_recovery();
        let srtt_us = self
            .rtt
            .srtt()
            .map_or(u32::MAX, |d| d.total_micros() as u32);
        let Some(board) = self.scoreboard.as_deref_mut() else {
            return (None, false);
        };
        let rack = board.rack;
        // Nothing SACKed and RACK.segment a first transmission: every
        // segment still out was sent after it (in sequence order), so none
        // can be lost by time. (The common case: no scan on a clean path.)
        if !rack.valid || (board.sent.sacked == 0 && !rack.seg_retrans) {
            return (None, false);
        }
        let reo_wnd = rack.reo_wnd_us(in_recovery, srtt_us, board.sent.sacked);
        let mut timeout = 0u32;
        let mut marked = false;
        for i in 0..board.sent.len() {
            let Some(r) = board.sent.get_mut(i) else {
                break;
            };
            if r.flags & (SentSegment::SACKED | SentSegment::LOST) != 0
                || !sent_after(rack.xmit_us, rack.end, r.sent_us, r.end)
            {
                continue;
            }
            let due = r.sent_us.wrapping_add(rack.rtt_us).wrapping_add(reo_wnd);
            let remaining = due.wrapping_sub(now_us) as i32;
            if remaining <= 0 {
                r.flags |= SentSegment::LOST;
                marked = true;
            } else {
                timeout = timeout.max(remaining as u32);
            }
        }
        let due = (timeout > 0).then(|| Duration::from_micros(u64::from(timeout)));
        (due, marked)
    }

    /// After loss detection: recovery begins if something was marked lost
    /// (`marked`), and the timer slot gets the reordering timer, or else
    /// the probe timeout.
    fn after_loss_detection(&mut self, now: Instant, due: Option<Duration>, marked: bool) {
        if marked && !self.cc.in_recovery() {
            self.enter_recovery_rack();
            // PRR's first quota, the retransmission of what was marked (the
            // reordering timer enters without an ACK; on an ACK, the ACK's
            // own PRR step follows).
            self.prr_update(0, false, None);
        }
        match due {
            Some(after) => {
                self.timers.set(Timer::Retransmit, now, after);
                self.set_rtx_timer(RtxTimer::Reorder);
            }
            None => {
                if self.rtx_timer() == RtxTimer::Reorder {
                    self.arm_rto(now);
                }
                self.tlp_schedule(now);
            }
        }
    }

    /// The first segment marked lost, as NextSeg's choice: its start and
    /// length.
    pub(crate) fn first_lost(&self) -> Option<(SeqNumber, usize)> {
        let board = self.board()?;
        board
            .sent
            .iter(self.snd.una)
            .find(|(_, r)| r.flags & (SentSegment::LOST | SentSegment::SACKED) == SentSegment::LOST)
            .map(|(s, r)| (s, r.end - s))
    }

    /// The pipe with RACK: every unSACKed segment not marked lost, and what
    /// the log does not cover.
    pub(crate) fn rack_pipe(&self) -> usize {
        let Some(board) = self.board() else {
            return self.snd.max - self.snd.una;
        };
        let mut pipe = 0usize;
        for (s, r) in board.sent.iter(self.snd.una) {
            if r.flags & (SentSegment::SACKED | SentSegment::LOST) == 0 {
                pipe += r.end - s;
            }
        }
        let covered = board
            .sent
            .last_end()
            .unwrap_or(self.snd.una)
            .max(self.snd.una);
        pipe + (self.snd.max - covered.min(self.snd.max))
    }

    /// What the retransmission timer's slot stands for.
    pub(crate) fn rtx_timer(&self) -> RtxTimer {
        self.board().map_or(RtxTimer::Rto, |b| b.rack.timer)
    }

    fn set_rtx_timer(&mut self, kind: RtxTimer) {
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.rack.timer = kind;
        }
    }

    /// The slot holds the RTO, from now.
    pub(crate) fn arm_rto(&mut self, now: Instant) {
        self.timers.set(Timer::Retransmit, now, self.rtt.rto());
        self.set_rtx_timer(RtxTimer::Rto);
    }

    /// RFC 8985 6.3: the reordering timer fired: "RACK_detect_loss_and_arm_timer()".
    pub(crate) fn reorder_timeout(&mut self, now: Instant) {
        self.set_rtx_timer(RtxTimer::Rto);
        self.timers.stop(Timer::Retransmit);
        let (due, marked) = self.rack_detect_loss(now);
        if due.is_none() {
            self.arm_rto(now);
        }
        self.after_loss_detection(now, due, marked);
    }

    /// TLP_schedule_loss_probe() (7.2): with data in flight, outside
    /// recovery and with no probe outstanding, the probe timeout takes the
    /// RTO's place, at the RTO's time at the latest. "PTO = 2 * SRTT; If
    /// FlightSize is equal to one segment: PTO += WCDelAckT"; without
    /// SRTT, 1 s.
    pub(crate) fn tlp_schedule(&mut self, now: Instant) {
        let Some(rack) = self.board().map(|b| b.rack) else {
            return;
        };
        if !self.rack_active()
            || self.cc.in_recovery()
            || rack.tlp_end.is_some()
            || rack.tlp_owed
            || rack.timer == RtxTimer::Reorder
            || self.snd.max == self.snd.una
            || !self.state.may_transmit()
        {
            return;
        }
        let mut pto = match self.rtt.srtt() {
            Some(srtt) => srtt.saturating_mul(2),
            None => Duration::from_secs(1),
        };
        if self.snd.max - self.snd.una <= self.mss() {
            pto += WC_DEL_ACK;
        }
        // "If Now() + PTO > TCP_RTO_expire(): PTO = TCP_RTO_expire() -
        // Now()": the probe goes instead of the RTO then (as Linux).
        let mut pto = pto.max(Duration::from_millis(1));
        if rack.timer == RtxTimer::Rto
            && let Some(rto) = self.timers.get(Timer::Retransmit)
        {
            pto = pto.min(rto.saturating_duration_since(now));
        }
        self.timers.set(Timer::Retransmit, now, pto);
        self.set_rtx_timer(RtxTimer::Probe);
    }

    /// The probe timeout fired (7.3): the probe is owed, and the RTO runs
    /// again behind it.
    pub(crate) fn probe_timeout(&mut self, now: Instant) {
        self.arm_rto(now);
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.rack.tlp_owed = true;
        }
    }

    /// The probe to send, if one is owed (7.3): "If a previously unsent
    /// segment exists AND the receive window allows new data to be sent:
    /// Transmit that new segment ... Else: Retransmit the last segment":
    /// `(seq, data bytes, fin)`; `None` when nothing is owed, or nothing
    /// is in flight to probe for (the debt is then dropped by the caller).
    pub(crate) fn plan_probe(&self) -> Option<(SeqNumber, usize, bool)> {
        if !self.board().is_some_and(|b| b.rack.tlp_owed) || !self.state.may_transmit() {
            return None;
        }
        let mss = self.mss();
        let sent = self.snd.max - self.data_seq_start();
        let unsent = self.tx.len().saturating_sub(sent);
        let rwnd = (self.snd.wnd as usize).saturating_sub(self.snd.max - self.snd.una);
        let fin_sent = self.flags.has(Flags::FIN_SENT);
        if unsent > 0 && !fin_sent && rwnd > 0 {
            let len = unsent.min(mss).min(rwnd);
            return Some((self.snd.max, len, false));
        }
        if self.snd.max == self.snd.una {
            return None;
        }
        let data_end = if fin_sent {
            self.fin_seq()
        } else {
            self.snd.max
        };
        // The last segment: where the last record starts, at most an SMSS
        // of data before the end.
        let last = self.board().and_then(|b| b.sent.iter(self.snd.una).last());
        let start = last
            .map_or(self.snd.una, |(s, _)| s)
            .max(self.snd.una)
            .max(data_end - mss.min(data_end - self.snd.una));
        let data = if start < data_end {
            data_end - start
        } else {
            0
        };
        Some((start, data.min(mss), fin_sent))
    }

    /// The probe `[seq, end)` left: TLP.end_seq and TLP.is_retrans.
    pub(crate) fn probe_sent(&mut self, retrans: bool) {
        let nxt = self.snd.max;
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.rack.tlp_owed = false;
            board.rack.tlp_end = Some(nxt);
            board.rack.tlp_retrans = retrans;
        }
    }

    /// Nothing to probe with: the debt goes.
    pub(crate) fn drop_probe(&mut self) {
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.rack.tlp_owed = false;
        }
    }

    /// TLP_process_ack() (7.4): once the ACK covers the probe, the episode
    /// ends; "If TLP.is_retrans is FALSE" or a D-SACK says the peer had the
    /// probe's data, nothing was lost; otherwise the probe repaired a loss
    /// and "the sender MUST invoke the congestion control response ...".
    fn tlp_process_ack(&mut self, seg: &TcpRepr<'_>, dsack: bool) {
        let Some(rack) = self.board().map(|b| b.rack) else {
            return;
        };
        let Some(end) = rack.tlp_end else {
            return;
        };
        if seg.ack_number < end {
            return;
        }
        if rack.tlp_retrans && !dsack {
            net_debug!("TLP repaired a loss: cwnd reduced");
            self.cc.loss_repaired(u32::from(self.snd_mss));
        }
        self.end_loss_probe();
    }

    /// The probe's episode ends: its ACK came, or loss recovery began
    /// (whose own cwnd reduction covers what the probe found, as Linux).
    pub(crate) fn end_loss_probe(&mut self) {
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.rack.tlp_end = None;
        }
    }

    /// A retransmission timeout: RACK forgets the marks, the probe and its
    /// timers (RFC 6675 5.1's choice, see `recovery.rs`).
    pub(crate) fn rack_timed_out(&mut self) {
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.sent.clear_marks();
            board.rack.tlp_end = None;
            board.rack.tlp_owed = false;
            board.rack.timer = RtxTimer::Rto;
        }
    }
}

/// Whether the ACK's first SACK block is a D-SACK (RFC 2883 4: below the
/// cumulative ACK, or inside the second block).
fn has_dsack(seg: &TcpRepr<'_>) -> bool {
    let mut blocks = seg.options.sack_iter();
    let Some((s, e)) = blocks.next() else {
        return false;
    };
    e <= seg.ack_number || blocks.next().is_some_and(|(s2, e2)| s2 <= s && e <= e2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8985 6.2 step 4: a D-SACK (we resent what the peer had) widens
    /// the reordering window by RACK.min_RTT / 4, once a round trip; it
    /// returns to one quarter after 16 recoveries without one.
    #[test]
    fn rfc8985_6_2_a_d_sack_widens_the_reordering_window_once_a_round_trip() {
        let mut r = Rack {
            min_rtt_us: 40_000,
            reordering_seen: true,
            ..Rack::default()
        };
        let srtt = 1_000_000;
        assert_eq!(r.reo_wnd_us(true, srtt, 0), 10_000, "min_RTT / 4");
        // A D-SACK with SND.MAX at 5000: twice as wide, until SND.UNA
        // passes 5000.
        r.update_reo_wnd(SeqNumber(1000), SeqNumber(5000), true, false);
        assert_eq!(r.reo_wnd_us(true, srtt, 0), 20_000);
        r.update_reo_wnd(SeqNumber(2000), SeqNumber(6000), true, false);
        assert_eq!(r.reo_wnd_us(true, srtt, 0), 20_000, "once a round trip");
        r.update_reo_wnd(SeqNumber(5000), SeqNumber(9000), true, false);
        assert_eq!(r.reo_wnd_us(true, srtt, 0), 30_000, "the next round trip");
        // Never beyond SRTT.
        assert_eq!(r.reo_wnd_us(true, 25_000, 0), 25_000);
        // 16 recoveries end without a D-SACK: back to one quarter.
        for i in 0..16 {
            assert_eq!(r.reo_wnd_us(true, srtt, 0), 30_000, "after {i} recoveries");
            r.update_reo_wnd(SeqNumber(10_000 + i), SeqNumber(20_000), false, true);
        }
        assert_eq!(r.reo_wnd_us(true, srtt, 0), 10_000);
        // Before any reordering is seen, in recovery: 0, whatever D-SACKs said.
        let mut fresh = Rack {
            min_rtt_us: 40_000,
            ..Rack::default()
        };
        fresh.update_reo_wnd(SeqNumber(1), SeqNumber(2), true, false);
        assert_eq!(fresh.reo_wnd_us(true, srtt, 0), 0);
        assert_eq!(fresh.reo_wnd_us(false, srtt, 0), 20_000);
    }
}
