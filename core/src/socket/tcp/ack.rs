//! RFC 9293 3.10.7.4, fifth step: "check the ACK field", with what an
//! acknowledgment does: SND.UNA moves (RFC 6298's timer, Karn's sample, RFC
//! 5681's congestion window), duplicate ACKs count towards fast retransmit,
//! the send window is updated, and the closing states advance.

use core::ops::ControlFlow;

use super::congestion::{AckInfo, DupAckAction};
use super::input::{Incoming, Reply, RxContext, Step};
use super::timer::{Stamp, Timer};
use super::{Flags, Pending, State, TcpConfig, TcpSocket};
use crate::time::{Duration, Instant};
use crate::wire::{SeqNumber, TcpFlags, TcpRepr};

impl TcpSocket<'_> {
    /// 3.10.7.4 fifth: "if the ACK bit is off, drop the segment and return;
    /// if the ACK bit is on, ..." per state.
    pub(crate) fn check_ack<'s, 'p>(
        &mut self,
        cx: &RxContext<'_>,
        seg: Incoming<'s, 'p>,
    ) -> Step<'s, 'p> {
        let arrived = seg.arrived;
        if !arrived.flags.contains(TcpFlags::ACK) {
            return ControlFlow::Break(None);
        }
        if !self.flags.has(Flags::SYN_ACKED) {
            // "SYN-RECEIVED STATE: If SND.UNA < SEG.ACK =< SND.NXT, then
            // enter ESTABLISHED state and continue processing with the
            // variables below set to: SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ,
            // SND.WL2 <- SEG.ACK. If the segment acknowledgment is not
            // acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST> and
            // send it." (Also in FIN-WAIT-1 when CLOSE came in SYN-RECEIVED:
            // our SYN is still to be acknowledged there.)
            if !(self.snd.una < arrived.ack_number && arrived.ack_number <= self.snd.max) {
                return ControlFlow::Break(Some(Reply::rst_for_ack(arrived)));
            }
            // A simultaneous open whose SYN,ACK of ours has not left: the
            // peer's SYN is then acknowledged by a plain ACK. (In a passive
            // open the peer acknowledges a SYN,ACK it has received.)
            let owed = self.pending.has(Pending::SYN) && !self.flags.has(Flags::PASSIVE);
            self.syn_acked(cx.now, cx.config, self.ts_echo(arrived));
            if owed {
                self.pending.set(Pending::ACK, true);
            }
            self.update_window(arrived);
            if self.state == State::SynReceived {
                self.set_state(State::Established);
            }
        }
        self.established_ack(cx, &seg)?;
        self.closing_ack(cx, seg)
    }

    /// "ESTABLISHED STATE: If SND.UNA < SEG.ACK =< SND.NXT, then set
    /// SND.UNA <- SEG.ACK. Any segments on the retransmission queue that
    /// are thereby entirely acknowledged are removed. ... If the ACK is a
    /// duplicate (SEG.ACK =< SND.UNA), it can be ignored. If the ACK acks
    /// something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop
    /// the segment, and return." With RFC 5961 5.2: the ACK is acceptable
    /// only if (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT; otherwise an
    /// ACK is sent and the segment dropped.
    fn established_ack(
        &mut self,
        cx: &RxContext<'_>,
        seg: &Incoming<'_, '_>,
    ) -> ControlFlow<Option<Reply>> {
        let ack = seg.arrived.ack_number;
        let oldest_ok = self.snd.una - (self.snd.max_wnd as usize).max(1);
        let too_old = ack < oldest_ok && cx.config.rfc5961.ack_check;
        if ack > self.snd.max || too_old {
            self.challenge_ack(cx.now, cx.config);
            return ControlFlow::Break(None);
        }
        let was_in_recovery = self.cc.in_recovery();
        let sacks = seg.arrived.options.sack_iter().next().is_some();
        // PRR's DeliveredData (RFC 9937): the change in SND.UNA and in the
        // bytes SACKed; and the pipe, to see whether the ACK shows a loss.
        // Only in recovery, or on an ACK with SACK blocks, which may start
        // it (so the clean path pays nothing).
        let prr = (was_in_recovery || sacks).then(|| {
            let pipe = self.in_sack_recovery().then(|| self.pipe() as u32);
            (self.snd.una, self.sacked_now(), pipe)
        });
        let news = self.take_sack_blocks(seg.arrived);
        let acked = ack > self.snd.una;
        if acked {
            let echo = self.ts_echo(seg.arrived);
            self.new_ack(cx.now, cx.config, ack, echo);
        } else if self.is_duplicate_ack(seg.arrived) && (news || !self.sack_sender()) {
            // RFC 6675 2: with SACK, a duplicate ACK counts only if "the
            // incoming acknowledgment carries a SACK option that indicates the
            // receipt of new data" (so does RFC 3042's limited transmit:
            // "the sender MUST NOT send new segments in response to
            // duplicate ACKs that contain no new SACK information").
            self.duplicate_ack(ack);
        }
        // RFC 6675 5 (3): loss recovery also starts when "IsLost (HighACK +
        // 1)" says so, before three duplicate ACKs.
        if self.una_is_lost() {
            self.enter_recovery(self.snd.una);
        }
        // RFC 8985: RACK finds losses by time, and TLP probes the tail;
        // an ACK that delivers nothing new tells them nothing.
        if acked || sacks {
            self.rack_ack(cx.now, seg.arrived, was_in_recovery);
        }
        if let Some((una_before, sacked_before, pipe_before)) = prr {
            let advanced = (self.snd.una - una_before) as u32;
            // Never below 0: a full scoreboard that forgets a large range
            // for a small one shrinks the SACKed bytes.
            let change =
                i64::from(advanced) + i64::from(self.sacked_now()) - i64::from(sacked_before);
            let delivered = u32::try_from(change.max(0)).unwrap_or(u32::MAX);
            self.prr_update(delivered, advanced > 0, pipe_before);
        }
        self.update_send_window(seg.arrived);
        ControlFlow::Continue(())
    }

    /// RFC 5681 section 2: "DUPLICATE ACKNOWLEDGMENT: An acknowledgment is
    /// considered a "duplicate" in the following algorithms when (a) the
    /// receiver of the ACK has outstanding data, (b) the incoming
    /// acknowledgment carries no data, (c) the SYN and FIN bits are both
    /// off, (d) the acknowledgment number is equal to the greatest
    /// acknowledgment received on the given connection (TCP.UNA from
    /// [RFC793]) and (e) the advertised window in the incoming
    /// acknowledgment equals the advertised window in the last incoming
    /// acknowledgment." Judged on the segment as it arrived, not as trimmed
    /// to our window: the peer's zero-window probes carry data. And not
    /// while the peer's window is zero: our own probes are all that is
    /// outstanding then.
    fn is_duplicate_ack(&self, seg: &TcpRepr<'_>) -> bool {
        self.snd.max > self.snd.una
            && seg.payload.is_empty()
            && !seg.flags.intersects(TcpFlags::SYN | TcpFlags::FIN)
            && seg.ack_number == self.snd.una
            && u32::from(seg.window_len) << self.wscale.map_or(0, |w| w.snd) == self.snd.wnd
            && self.snd.wnd > 0
    }

    /// "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be
    /// updated. If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =<
    /// SEG.ACK)), set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set
    /// SND.WL2 <- SEG.ACK."
    fn update_send_window(&mut self, seg: &TcpRepr<'_>) {
        let ack = seg.ack_number;
        let newer = self.snd.wl1 < seg.seq_number
            || (self.snd.wl1 == seg.seq_number && self.snd.wl2 <= ack);
        if !(self.snd.una <= ack && newer) {
            return;
        }
        let was_zero = self.snd.wnd == 0;
        self.update_window(seg);
        if was_zero && self.snd.wnd > 0 {
            // The window opened: the persist timer's work is done.
            self.timers.stop(Timer::Persist);
            self.persist_backoff = 0;
            if !self.timers.is_running(Timer::Retransmit) {
                // Only a probe was outstanding and the peer did not take
                // it: send from SND.UNA again.
                self.snd.nxt = self.snd.una;
                self.clear_mtu_resend();
            }
        }
    }

    /// The closing states' part of the fifth step.
    fn closing_ack<'s, 'p>(&mut self, cx: &RxContext<'_>, seg: Incoming<'s, 'p>) -> Step<'s, 'p> {
        let fin_acked = self.fin_acked();
        match self.state {
            // "FIN-WAIT-1 STATE: In addition to the processing for the
            // ESTABLISHED state, if the FIN segment is now acknowledged, then
            // enter FIN-WAIT-2 and continue processing in that state."
            State::FinWait1 if fin_acked => self.enter_fin_wait2(cx.now, cx.config),
            // "CLOSING STATE: In addition to the processing for the
            // ESTABLISHED state, if the ACK acknowledges our FIN, then enter
            // the TIME-WAIT state; otherwise, ignore the segment."
            State::Closing if fin_acked => self.enter_time_wait(cx.now, cx.config),
            // "LAST-ACK STATE: The only thing that can arrive in this state
            // is an acknowledgment of our FIN. If our FIN is now
            // acknowledged, delete the TCB, enter the CLOSED state, and
            // return."
            State::LastAck => {
                if fin_acked {
                    self.set_closed();
                }
                return ControlFlow::Break(None);
            }
            // "TIME-WAIT STATE: The only thing that can arrive in this state
            // is a retransmission of the remote FIN. Acknowledge it, and
            // restart the 2 MSL timeout."
            State::TimeWait => {
                if seg.fin {
                    self.pending.set(Pending::ACK, true);
                    self.restart_time_wait(cx.now, cx.config);
                }
                return ControlFlow::Break(None);
            }
            _ => {}
        }
        ControlFlow::Continue(seg)
    }

    /// FIN-WAIT-2: an orphan's stay there is limited from now.
    fn enter_fin_wait2(&mut self, now: Instant, config: &TcpConfig) {
        self.set_state(State::FinWait2);
        if self.is_orphan()
            && let Some(t) = config.fin_wait2_timeout
        {
            self.timers.set(Timer::FinWait2, now, t);
        }
    }

    /// The window of a segment: SND.WND, SND.WL1, SND.WL2.
    pub(crate) fn update_window(&mut self, seg: &TcpRepr<'_>) {
        // RFC 7323 2.2: "The window field in a segment where the SYN bit is
        // set ... MUST NOT be scaled"; every other one is shifted by
        // Snd.Wind.Shift.
        let shift = match self.wscale {
            Some(w) if !seg.flags.contains(TcpFlags::SYN) => w.snd,
            _ => 0,
        };
        self.snd.wnd = u32::from(seg.window_len) << shift;
        self.snd.max_wnd = self.snd.max_wnd.max(self.snd.wnd);
        self.snd.wl1 = seg.seq_number;
        self.snd.wl2 = seg.ack_number;
    }

    /// Our SYN is acknowledged: SND.UNA moves past it, the RTT sample (if
    /// the SYN was not retransmitted) is taken, congestion control starts.
    pub(crate) fn syn_acked(&mut self, now: Instant, config: &TcpConfig, echo: Option<u32>) {
        let ack = self.snd.iss + 1;
        self.take_rtt_sample(now, config, ack, echo);
        self.flags.set(Flags::SYN_ACKED, true);
        self.pending.set(Pending::SYN, false);
        self.snd.una = ack;
        if self.snd.nxt < ack {
            self.snd.nxt = ack;
        }
        let lost = self.flags.has(Flags::SYN_RETRANSMITTED);
        if self.retries > 0 {
            // RFC 6298 (5.7): after a timeout on the SYN, data starts with
            // an RTO of 3 s.
            self.rtt.syn_timed_out(config.rto_initial, config.rto_max);
        }
        self.cc.start(
            self.snd.iss,
            u32::from(self.snd_mss),
            lost,
            config.initial_window,
        );
        self.retries = 0;
        self.timers.stop(Timer::Retransmit);
        self.timers.stop(Timer::UserTimeout);
        if self.snd.max > self.snd.una {
            // A FIN sent in SYN-RECEIVED is still outstanding.
            self.restart_retransmit_timer(now);
        }
    }

    /// One sample a round trip, when the ACK passes the segment being
    /// timed. With timestamps it is the echo's RTTM (RFC 7323 4.1), valid
    /// for a retransmitted segment too ("the timestamp option removes the
    /// ambiguity", RFC 6298 3); and one a round trip is the rate RFC 6298's
    /// gains are made for (RFC 7323 appendix G: a sample from every ACK
    /// would make RTTVAR collapse). Without timestamps, Karn: the sample
    /// counts only if its segment was not retransmitted (a retransmission
    /// stops the timing).
    fn take_rtt_sample(
        &mut self,
        now: Instant,
        config: &TcpConfig,
        ack: SeqNumber,
        echo: Option<u32>,
    ) {
        if !(self.flags.has(Flags::TIMING) && ack > self.rtt_seq) {
            return;
        }
        let r = if self.flags.has(Flags::TS_OK) {
            match echo.and_then(|ecr| self.ts_rtt(now, ecr)) {
                Some(r) => r,
                // (Timing goes on: the next ACK may have a good echo.)
                None => return,
            }
        } else {
            let us = (now.total_micros() as u32).wrapping_sub(self.rtt_sent_us);
            Duration::from_micros(u64::from(us))
        };
        self.flags.set(Flags::TIMING, false);
        self.rtt.sample(r, config.rto_min, config.rto_max);
    }

    /// Karn's rule when a timed segment is sent again: without timestamps
    /// its sample would be ambiguous, so the timing stops; with them the
    /// echo says which transmission was acknowledged.
    pub(crate) fn karn_stop_timing(&mut self) {
        if !self.ts_agreed() {
            self.flags.set(Flags::TIMING, false);
        }
    }

    /// "(5.2) When all outstanding data has been acknowledged, turn off the
    /// retransmission timer. (5.3) When an ACK is received that
    /// acknowledges new data, restart the retransmission timer so that it
    /// will expire after RTO seconds." The user timeout follows it: it
    /// counts from the last progress while data is outstanding.
    pub(crate) fn restart_retransmit_timer(&mut self, now: Instant) {
        if self.snd.max > self.snd.una {
            self.arm_rto(now);
            if let Some(t) = self.user_timeout() {
                self.timers.set(Timer::UserTimeout, now, t);
            }
        } else {
            self.timers.stop(Timer::Retransmit);
            self.timers.stop(Timer::UserTimeout);
        }
    }

    /// New data acknowledged up to `ack`.
    pub(crate) fn new_ack(
        &mut self,
        now: Instant,
        config: &TcpConfig,
        ack: SeqNumber,
        echo: Option<u32>,
    ) {
        let data_start = self.data_seq_start();
        let fin_seq = self.fin_seq();
        // Bytes of data acknowledged (the FIN is not in the buffer).
        let data_acked = (ack.min(fin_seq) - data_start).min(self.tx.len());
        self.tx.dequeue_allocated(data_acked);
        let acked_total = ack - self.snd.una;
        if self.flags.has(Flags::FIN_SENT) && ack > fin_seq {
            self.flags.set(Flags::FIN_ACKED, true);
        }
        self.snd.una = ack;
        if self.snd.nxt < ack {
            self.snd.nxt = ack;
        }
        self.take_rtt_sample(now, config, ack, echo);
        self.retries = 0;
        self.restart_retransmit_timer(now);
        let flight = (self.snd.max - self.snd.una) as u32;
        // NewReno partial ACK: retransmit the first unacknowledged segment
        // (a full ACK cancels a fast retransmit not yet sent).
        let sack = self.sack_sender();
        let info = AckInfo {
            acked: acked_total as u32,
            mss: u32::from(self.snd_mss),
            now_ms: now.total_millis() as u32,
            srtt_ms: self.rtt.srtt().map_or(0, |d| d.total_millis() as u32),
        };
        let partial = self.cc.on_ack(info, ack, flight, sack);
        self.pending.set(Pending::REXMIT, partial);
        if self.flags.has(Flags::SND_URGENT) && ack >= self.snd.up {
            self.flags.set(Flags::SND_URGENT, false);
        }
    }

    fn duplicate_ack(&mut self, ack: SeqNumber) {
        let flight = (self.snd.max - self.snd.una) as u32;
        let sack = self.sack_sender();
        let action = self
            .cc
            .on_dup_ack(ack, flight, self.snd.max, u32::from(self.snd_mss), sack);
        if action == DupAckAction::FastRetransmit {
            self.fast_retransmit();
        }
    }

    /// Loss recovery from `ack` if the controller agrees (not below its
    /// `recover`).
    fn enter_recovery(&mut self, ack: SeqNumber) {
        if self.controller_enters_recovery(ack) {
            self.fast_retransmit();
        }
    }

    /// RACK marked a loss (RFC 8985 6.2, step 5): recovery begins (if the
    /// controller agrees), and NextSeg retransmits what is marked, which
    /// need not be the segment at SND.UNA.
    pub(crate) fn enter_recovery_rack(&mut self) {
        if self.controller_enters_recovery(self.snd.una) {
            net_debug!("RACK: loss recovery from {}", self.snd.una);
            self.reset_high_rxt();
            self.end_loss_probe();
            self.prr_start();
        }
    }

    /// Asks congestion control to begin recovery at `ack`; whether it did.
    fn controller_enters_recovery(&mut self, ack: SeqNumber) -> bool {
        let flight = (self.snd.max - self.snd.una) as u32;
        let sack = self.sack_sender();
        self.cc
            .enter_recovery(ack, flight, self.snd.max, u32::from(self.snd_mss), sack)
    }

    /// RFC 5681 3.2 (4), RFC 6675 5 (4.3): "Retransmit the first data
    /// segment presumed dropped"; with SACK, what follows is NextSeg's.
    fn fast_retransmit(&mut self) {
        net_debug!("fast retransmit from {}", self.snd.una);
        // Retransmit the segment at SND.UNA; Karn: no sample from it.
        self.pending.set(Pending::REXMIT, true);
        self.karn_stop_timing();
        self.reset_high_rxt();
        self.end_loss_probe();
        self.prr_start();
    }

    /// RFC 5961 challenge ACK, at most `challenge_ack_limit` a second for
    /// this connection (section 7).
    pub(crate) fn challenge_ack(&mut self, now: Instant, config: &TcpConfig) {
        if self.timers.since(Stamp::ChallengeWindow, now) >= Duration::from_secs(1) {
            self.timers.stamp(Stamp::ChallengeWindow, now);
            self.challenge_acks = 0;
        }
        if self.challenge_acks < config.challenge_ack_limit {
            self.challenge_acks += 1;
            self.pending.set(Pending::ACK, true);
        }
    }
}
