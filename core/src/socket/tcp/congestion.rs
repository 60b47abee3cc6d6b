//! Congestion control: RFC 5681 slow start and congestion avoidance, fast
//! retransmit and fast recovery with RFC 6582's NewReno partial ACKs.
//!
//! The socket reports events (the handshake done, a new ACK, a duplicate
//! ACK, a timeout) and asks for the window it may fill. What differs
//! between algorithms is small and behind one trait,
//! [`CongestionAlgorithm`]: how cwnd grows in congestion avoidance and how
//! far ssthresh falls on a loss or a timeout. Slow start, fast retransmit,
//! recovery (RFC 6582 without SACK, RFC 6675 with PRR with it) and restart
//! after idle are the controller's, whichever the algorithm: NewReno's
//! byte counting here, or CUBIC (RFC 9438, `cubic.rs`). The sender's MSS
//! is the socket's and is passed in, not kept twice.
//!
//! RFC 6582's `recover` is a sequence number: "When the third duplicate ACK
//! is received, the TCP sender first checks the value of recover to see if
//! the Cumulative Acknowledgment field covers more than recover" (step 2),
//! and "After a retransmit timeout, record the highest sequence number
//! transmitted in the variable recover" (step 4). Here `recover` is one past
//! that highest sequence number (SND.MAX), so "covers more than recover" is
//! `SEG.ACK >= recover` and a full acknowledgment is the same test. Outside
//! recovery it follows SND.UNA up, so it never falls 2^31 behind (where a
//! modular comparison would flip).

use super::cubic::Cubic;
use crate::wire::SeqNumber;

/// Which algorithm a socket uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Congestion {
    /// RFC 5681 with RFC 6582 NewReno (the default).
    #[default]
    NewReno,
    /// RFC 9438 CUBIC (Linux's default): cwnd grows as a cubic function of
    /// the time since the last loss; on one, ssthresh falls to 0.7 of the
    /// flight.
    /// Slow start and loss recovery are NewReno's. With the cargo feature
    /// `tcp-cubic` (default) only; without it, NewReno runs.
    Cubic,
    /// No congestion control: only the receiver's window limits the sender.
    /// For tests and closed links only.
    None,
}

/// What an ACK in congestion avoidance tells the algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AckInfo {
    /// Bytes newly acknowledged.
    pub(crate) acked: u32,
    /// The sender's MSS.
    pub(crate) mss: u32,
    /// The caller's clock, in ms (it wraps).
    pub(crate) now_ms: u32,
    /// The smoothed RTT, in ms (0 without a sample).
    pub(crate) srtt_ms: u32,
}

/// The part of congestion control that differs between algorithms.
pub(crate) trait CongestionAlgorithm {
    /// Congestion avoidance (cwnd at or above ssthresh, outside recovery):
    /// cwnd after this ACK. `acked_in_ca` is the controller's count of
    /// bytes acknowledged in congestion avoidance, for the algorithm to use
    /// and reset as it grows cwnd.
    fn avoid(&mut self, cwnd: u32, acked_in_ca: &mut u32, ack: AckInfo) -> u32;
    /// A loss was detected with `cwnd` and `flight` bytes outstanding: the
    /// new ssthresh (cwnd follows it, as recovery says).
    fn on_loss(&mut self, cwnd: u32, flight: u32, mss: u32) -> u32;
    /// The retransmission timer fired: the new ssthresh (cwnd becomes one
    /// segment, RFC 5681 3.1).
    fn on_timeout(&mut self, cwnd: u32, flight: u32, mss: u32) -> u32;
    /// Growth starts again from the current cwnd (restart after idle).
    fn restart_epoch(&mut self);
}

/// RFC 5681's congestion avoidance, with its state in the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct NewReno;

impl CongestionAlgorithm for NewReno {
    /// About one SMSS per RTT: the "byte counting" variant of RFC 5681's
    /// equation 3, one SMSS for every cwnd of bytes acknowledged.
    fn avoid(&mut self, cwnd: u32, acked_in_ca: &mut u32, ack: AckInfo) -> u32 {
        *acked_in_ca = acked_in_ca.saturating_add(ack.acked);
        if *acked_in_ca >= cwnd {
            *acked_in_ca -= cwnd;
            return cwnd.saturating_add(ack.mss);
        }
        cwnd
    }

    /// RFC 5681 3.2: "(2) ssthresh = max (FlightSize / 2, 2*SMSS)".
    fn on_loss(&mut self, _cwnd: u32, flight: u32, mss: u32) -> u32 {
        (flight / 2).max(2 * mss)
    }

    /// RFC 5681 3.1, equation 4: the same.
    fn on_timeout(&mut self, cwnd: u32, flight: u32, mss: u32) -> u32 {
        self.on_loss(cwnd, flight, mss)
    }

    fn restart_epoch(&mut self) {}
}

/// What a duplicate ACK means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DupAckAction {
    /// Nothing yet.
    Nothing,
    /// The third duplicate: retransmit the first unacknowledged segment now
    /// (RFC 5681 3.2 step 4, fast retransmit).
    FastRetransmit,
}

/// The congestion state of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Controller {
    pub(crate) cwnd: u32,
    pub(crate) ssthresh: u32,
    /// RFC 6582's `recover` (one past it; see the module docs).
    recover: SeqNumber,
    /// Bytes acknowledged in congestion avoidance since cwnd last grew.
    acked_in_ca: u32,
    /// NewReno's variables (none: its byte count is `acked_in_ca`).
    newreno: NewReno,
    /// CUBIC's variables (kept, and unused, under the other algorithms).
    cubic: Cubic,
    algo: Congestion,
    dup_acks: u8,
    in_recovery: bool,
}

impl Controller {
    pub(crate) fn new(algo: Congestion) -> Self {
        Controller {
            cwnd: initial_window(536),
            ssthresh: u32::MAX,
            recover: SeqNumber(0),
            acked_in_ca: 0,
            newreno: NewReno,
            cubic: Cubic::default(),
            algo,
            dup_acks: 0,
            in_recovery: false,
        }
    }

    pub(crate) fn algorithm(&self) -> Congestion {
        self.algo
    }

    pub(crate) fn set_algorithm(&mut self, algo: Congestion) {
        if algo != self.algo {
            self.cubic = Cubic::default();
        }
        self.algo = algo;
    }

    /// The algorithm's part, with its state (`None` for no control); it
    /// borrows only that state, so the controller's fields stay free.
    fn algo_mut<'c>(
        algo: Congestion,
        newreno: &'c mut NewReno,
        cubic: &'c mut Cubic,
    ) -> Option<&'c mut dyn CongestionAlgorithm> {
        match algo {
            Congestion::Cubic if cfg!(feature = "tcp-cubic") => Some(cubic),
            Congestion::NewReno | Congestion::Cubic => Some(newreno),
            Congestion::None => None,
        }
    }

    /// The handshake is done: "The initial value of ssthresh SHOULD be set
    /// arbitrarily high", cwnd the initial window, or "If the SYN or
    /// SYN/ACK is lost, the initial window used by a sender after a
    /// correctly transmitted SYN MUST be one segment consisting of at most
    /// SMSS bytes" (RFC 5681 3.1); ssthresh stays high then (a lost SYN
    /// says nothing about the path's capacity). "The variable recover is
    /// initialized to the initial send sequence number" (RFC 6582 3.2).
    pub(crate) fn start(&mut self, iss: SeqNumber, mss: u32, syn_lost: bool, iw: InitialWindow) {
        *self = Controller::new(self.algo);
        self.recover = iss;
        self.cwnd = match (syn_lost, iw) {
            (true, _) => mss,
            (false, InitialWindow::Rfc5681) => initial_window(mss),
            (false, InitialWindow::Rfc6928) => initial_window_rfc6928(mss),
        };
    }

    /// The window congestion control allows, in bytes.
    pub(crate) fn window(&self) -> u32 {
        match self.algo {
            Congestion::None => u32::MAX,
            Congestion::NewReno | Congestion::Cubic => self.cwnd,
        }
    }

    pub(crate) fn in_recovery(&self) -> bool {
        self.in_recovery
    }

    /// A cumulative ACK `ack` acknowledged `acked` new bytes; `flight` bytes
    /// are still outstanding after it; `now_ms` and `srtt_ms` are for
    /// CUBIC's clock. Returns whether the first
    /// unacknowledged segment must be retransmitted (a NewReno partial ACK).
    /// With `sack`, recovery is RFC 6675's: a partial ACK neither deflates
    /// the window nor asks for a retransmission (the scoreboard chooses what
    /// to send, under cwnd - pipe).
    pub(crate) fn on_ack(
        &mut self,
        info: AckInfo,
        ack: SeqNumber,
        flight: u32,
        sack: bool,
    ) -> bool {
        let AckInfo { acked, mss, .. } = info;
        self.dup_acks = 0;
        if self.in_recovery {
            if ack >= self.recover {
                // RFC 6582 3.2 step 3, full acknowledgment: "Set cwnd to either
                // (1) min (ssthresh, max(FlightSize, SMSS) + SMSS) or (2)
                // ssthresh" -- option (1) without SACK. With SACK, PRR has
                // brought the flight to ssthresh: "On exiting recovery:
                // cwnd = ssthresh" (RFC 9937 section 4).
                self.cwnd = if sack {
                    self.ssthresh
                } else {
                    self.ssthresh.min(flight.max(mss).saturating_add(mss))
                };
                self.in_recovery = false;
                return false;
            }
            if sack {
                return false;
            }
            // Partial acknowledgment: "deflate the congestion window by the
            // amount of new data acknowledged by the Cumulative
            // Acknowledgment field. If the partial ACK acknowledges at least
            // one SMSS of new data, then add back SMSS bytes"; retransmit
            // the first unacknowledged segment.
            self.cwnd = self.cwnd.saturating_sub(acked);
            if acked >= mss {
                self.cwnd = self.cwnd.saturating_add(mss);
            }
            return true;
        }
        if ack > self.recover {
            self.recover = ack;
        }
        if self.cwnd < self.ssthresh {
            // RFC 5681 3.1, slow start: "cwnd += min (N, SMSS)".
            self.cwnd = self.cwnd.saturating_add(acked.min(mss));
        } else if let Some(a) = Self::algo_mut(self.algo, &mut self.newreno, &mut self.cubic) {
            // Congestion avoidance, the algorithm's.
            self.cwnd = a.avoid(self.cwnd, &mut self.acked_in_ca, info);
        }
        false
    }

    /// A duplicate ACK `ack` (RFC 5681 3.2): `flight` bytes outstanding,
    /// `snd_max` the highest sequence number sent plus one.
    /// With `sack`, RFC 6675's recovery: no inflation by duplicate ACKs
    /// (the pipe counts what left the network).
    pub(crate) fn on_dup_ack(
        &mut self,
        ack: SeqNumber,
        flight: u32,
        snd_max: SeqNumber,
        mss: u32,
        sack: bool,
    ) -> DupAckAction {
        self.dup_acks = self.dup_acks.saturating_add(1);
        if self.in_recovery {
            // "(5) For each additional duplicate ACK received (after the
            // third), cwnd MUST be incremented by SMSS."
            if !sack {
                self.cwnd = self.cwnd.saturating_add(mss);
            }
            return DupAckAction::Nothing;
        }
        if self.dup_acks != 3 {
            return DupAckAction::Nothing;
        }
        if self.enter_recovery(ack, flight, snd_max, mss, sack) {
            DupAckAction::FastRetransmit
        } else {
            DupAckAction::Nothing
        }
    }

    /// RFC 8985 7.4: a tail loss probe repaired a loss, found only when
    /// its ACK came, so there was no recovery to reduce cwnd: the response
    /// is a recovery's, taken at once. With cwnd as the flight (RFC 5681
    /// (4.2)'s FlightSize is about nothing once the probe's ACK has come):
    /// NewReno halves cwnd, at least two segments, as Linux.
    pub(crate) fn loss_repaired(&mut self, mss: u32) {
        let cwnd = self.cwnd;
        if let Some(a) = Self::algo_mut(self.algo, &mut self.newreno, &mut self.cubic) {
            self.ssthresh = a.on_loss(cwnd, cwnd, mss);
            self.cwnd = self.ssthresh;
        }
    }

    /// Loss detected at `ack` (the third duplicate ACK, or RFC 6675's
    /// IsLost(HighACK + 1)): fast recovery begins, unless the ACK is below
    /// `recover`. Returns whether it began (the segment at SND.UNA is then
    /// to be retransmitted).
    pub(crate) fn enter_recovery(
        &mut self,
        ack: SeqNumber,
        flight: u32,
        snd_max: SeqNumber,
        mss: u32,
        sack: bool,
    ) -> bool {
        if self.in_recovery {
            return false;
        }
        // RFC 6582 3.2 step 2: "If not [covering more than recover], the TCP
        // does not enter fast retransmit and does not reset ssthresh."
        if ack < self.recover {
            return false;
        }
        // "the value of recover is incremented to the value of the highest
        // sequence number transmitted by the TCP so far" (RFC 6675 4.1:
        // "RecoveryPoint = HighData").
        self.recover = snd_max;
        let cwnd = self.cwnd;
        if let Some(a) = Self::algo_mut(self.algo, &mut self.newreno, &mut self.cubic) {
            // RFC 5681 3.2: "(2) ssthresh = max (FlightSize / 2, 2*SMSS)"
            // (the algorithm's: CUBIC's is 0.7 of the flight) and "(3) ... set
            // cwnd to ssthresh plus 3*SMSS"; RFC 6675 5 (4.2): "cwnd =
            // ssthresh" (the pipe accounts for what left; PRR then paces).
            self.ssthresh = a.on_loss(cwnd, flight, mss);
            self.cwnd = if sack {
                self.ssthresh
            } else {
                self.ssthresh.saturating_add(3 * mss)
            };
            self.in_recovery = true;
        }
        true
    }

    /// Duplicate ACKs since the last new one (RFC 3042's limited transmit
    /// looks at the first two).
    pub(crate) fn dup_acks(&self) -> u8 {
        if self.in_recovery { 0 } else { self.dup_acks }
    }

    /// The retransmission timer fired with `flight` bytes outstanding
    /// (RFC 5681 3.1, equation 4, and "cwnd to no more than the loss
    /// window, LW, which equals 1 full-sized segment"); RFC 6582 3.2 step
    /// 4: `recover` becomes the highest sequence number sent.
    pub(crate) fn on_timeout(&mut self, flight: u32, snd_max: SeqNumber, mss: u32) {
        let cwnd = self.cwnd;
        self.ssthresh = match Self::algo_mut(self.algo, &mut self.newreno, &mut self.cubic) {
            Some(a) => a.on_timeout(cwnd, flight, mss),
            None => (flight / 2).max(2 * mss),
        };
        self.cwnd = mss;
        self.dup_acks = 0;
        self.in_recovery = false;
        self.recover = snd_max;
        self.acked_in_ca = 0;
    }

    /// RFC 5681 4.1: after an idle period longer than the RTO, restart from
    /// the restart window.
    pub(crate) fn on_idle_restart(&mut self, mss: u32) {
        self.cwnd = self.cwnd.min(initial_window(mss));
        if let Some(a) = Self::algo_mut(self.algo, &mut self.newreno, &mut self.cubic) {
            a.restart_epoch();
        }
    }
}

/// Which initial window a connection starts with (after a lost SYN it is
/// one segment either way, RFC 5681 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum InitialWindow {
    /// RFC 5681 3.1: two to four segments by the MSS (the default).
    #[default]
    Rfc5681,
    /// RFC 6928 (Experimental, Linux's since 2.6.39): "min (10*MSS, max
    /// (2*MSS, 14600))". The restart window after idle stays RFC 5681's.
    Rfc6928,
}

/// RFC 6928 2: "IW = min (10*MSS, max (2*MSS, 14600))", in whole segments:
/// ten up to an MSS of 1460, then fewer (five of 2920, two of 9000).
pub(crate) fn initial_window_rfc6928(mss: u32) -> u32 {
    let bytes = (10 * mss).min((2 * mss).max(14_600));
    (bytes / mss.max(1)) * mss
}

/// RFC 5681 3.1's initial window, in whole segments: "If SMSS > 2190
/// bytes: IW = 2 * SMSS bytes and MUST NOT be more than 2 segments; If
/// (SMSS > 1095 bytes) and (SMSS <= 2190 bytes): IW = 3 * SMSS bytes and
/// MUST NOT be more than 3 segments; if SMSS <= 1095 bytes: IW = 4 * SMSS
/// bytes and MUST NOT be more than 4 segments." (RFC 3390's byte formula,
/// min(4*SMSS, max(2*SMSS, 4380)), allows 3.65 segments of 1200 bytes.)
pub(crate) fn initial_window(mss: u32) -> u32 {
    let segments = match mss {
        0..=1095 => 4,
        1096..=2190 => 3,
        _ => 2,
    };
    segments * mss
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(acked: u32, mss: u32) -> AckInfo {
        AckInfo {
            acked,
            mss,
            now_ms: 1,
            srtt_ms: 100,
        }
    }

    #[test]
    fn rfc6928_2_ten_segments_up_to_14600_bytes() {
        assert_eq!(initial_window_rfc6928(1460), 14_600);
        assert_eq!(initial_window_rfc6928(1000), 10_000);
        assert_eq!(initial_window_rfc6928(536), 5360);
        assert_eq!(initial_window_rfc6928(2920), 14_600);
        assert_eq!(initial_window_rfc6928(9000), 18_000, "max(2*MSS, 14600)");
        let mut c = Controller::new(Congestion::NewReno);
        c.start(SeqNumber(0), 1460, false, InitialWindow::Rfc6928);
        assert_eq!(c.window(), 14_600);
        c.start(SeqNumber(0), 1460, true, InitialWindow::Rfc6928);
        assert_eq!(c.window(), 1460, "after a lost SYN: one segment");
        c.start(SeqNumber(0), 1460, false, InitialWindow::Rfc5681);
        assert_eq!(c.window(), 4380);
    }

    const MSS: u32 = 1000;

    fn started() -> Controller {
        let mut c = Controller::new(Congestion::NewReno);
        c.start(SeqNumber(0), MSS, false, InitialWindow::Rfc5681);
        c
    }

    #[test]
    fn rfc5681_initial_window() {
        assert_eq!(initial_window(1460), 4380);
        assert_eq!(initial_window(536), 2144);
        assert_eq!(initial_window(9000), 18000);
        // Whole segments at the boundaries, never RFC 3390's 4380 bytes.
        assert_eq!(initial_window(1095), 4380);
        assert_eq!(initial_window(1096), 3288);
        assert_eq!(initial_window(1200), 3600);
        assert_eq!(initial_window(2190), 6570);
        assert_eq!(initial_window(2191), 4382);
    }

    #[test]
    fn rfc5681_3_1_a_lost_syn_means_one_segment_but_ssthresh_stays_high() {
        let mut c = Controller::new(Congestion::NewReno);
        c.start(SeqNumber(0), 1460, true, InitialWindow::Rfc5681);
        assert_eq!(c.window(), 1460);
        assert_eq!(c.ssthresh, u32::MAX, "slow start continues");
        c.on_ack(info(1460, 1460), SeqNumber(1461), 0, false);
        assert_eq!(c.window(), 2920);
    }

    #[test]
    fn rfc5681_slow_start_then_congestion_avoidance() {
        let mut c = started();
        c.ssthresh = 6000;
        let w0 = c.window();
        c.on_ack(info(1000, MSS), SeqNumber(1000), 0, false);
        assert_eq!(c.window(), w0 + 1000, "slow start: one MSS per ACK");
        c.on_ack(info(5000, MSS), SeqNumber(6000), 0, false);
        assert_eq!(c.window(), w0 + 2000, "at most one MSS per ACK");
        while c.cwnd < c.ssthresh {
            c.on_ack(info(1000, MSS), SeqNumber(7000), 0, false);
        }
        let w = c.cwnd;
        for _ in 0..(w / 1000) {
            c.on_ack(info(1000, MSS), SeqNumber(8000), 0, false);
        }
        assert_eq!(c.cwnd, w + 1000, "one MSS per window of ACKs");
    }

    #[test]
    fn rfc5681_fast_retransmit_and_rfc6582_recovery() {
        let mut c = started();
        c.cwnd = 10_000;
        let una = SeqNumber(10_000);
        let max = SeqNumber(20_000);
        assert_eq!(
            c.on_dup_ack(una, 10_000, max, MSS, false),
            DupAckAction::Nothing
        );
        assert_eq!(
            c.on_dup_ack(una, 10_000, max, MSS, false),
            DupAckAction::Nothing
        );
        assert_eq!(
            c.on_dup_ack(una, 10_000, max, MSS, false),
            DupAckAction::FastRetransmit
        );
        assert_eq!(c.ssthresh, 5000);
        assert_eq!(c.cwnd, 8000, "ssthresh + 3 MSS");
        c.on_dup_ack(una, 10_000, max, MSS, false);
        assert_eq!(c.cwnd, 9000, "inflated per further duplicate");
        // A partial ACK retransmits and deflates.
        assert!(c.on_ack(info(2000, MSS), SeqNumber(12_000), 8000, false));
        assert_eq!(c.cwnd, 8000);
        assert!(c.in_recovery());
        // The full ACK ends recovery.
        assert!(!c.on_ack(info(8000, MSS), SeqNumber(20_000), 0, false));
        assert!(!c.in_recovery());
        assert_eq!(c.cwnd, 2000, "min(ssthresh, max(flight, mss) + mss)");
    }

    #[test]
    fn rfc6582_3_2_step_2_no_second_reduction_below_recover() {
        let mut c = started();
        c.cwnd = 20_000;
        // A timeout at SND.MAX = 30 000: recover = 30 000 (step 4).
        c.on_timeout(20_000, SeqNumber(30_000), MSS);
        assert!(!c.in_recovery());
        let ssthresh = c.ssthresh;
        // The go-back-N retransmissions bring duplicate ACKs for data below
        // recover: no fast retransmit, ssthresh untouched.
        for _ in 0..5 {
            assert_eq!(
                c.on_dup_ack(SeqNumber(15_000), 10_000, SeqNumber(30_000), MSS, false),
                DupAckAction::Nothing
            );
        }
        assert_eq!(c.ssthresh, ssthresh);
        assert!(!c.in_recovery());
        // Once SND.UNA passes recover, three duplicates enter fast
        // retransmit again.
        c.on_ack(info(15_000, MSS), SeqNumber(30_000), 5000, false);
        for _ in 0..2 {
            c.on_dup_ack(SeqNumber(30_000), 5000, SeqNumber(35_000), MSS, false);
        }
        assert_eq!(
            c.on_dup_ack(SeqNumber(30_000), 5000, SeqNumber(35_000), MSS, false),
            DupAckAction::FastRetransmit
        );
        assert!(c.in_recovery());
    }

    #[test]
    fn rfc5681_timeout_collapses_to_one_segment() {
        let mut c = started();
        c.cwnd = 20_000;
        c.on_timeout(16_000, SeqNumber(16_000), MSS);
        assert_eq!((c.cwnd, c.ssthresh), (1000, 8000));
        c.on_timeout(1000, SeqNumber(16_000), MSS);
        assert_eq!(c.ssthresh, 2000, "at least 2 MSS");
    }

    #[test]
    fn recover_follows_snd_una_past_2_pow_31() {
        let mut c = started();
        // 3 GiB acknowledged in steps: recover follows, so three duplicates
        // still mean a fast retransmit.
        let mut ack = SeqNumber(0);
        for _ in 0..3072 {
            ack += 1 << 20;
            c.on_ack(info(1 << 20, MSS), ack, 0, false);
        }
        for _ in 0..2 {
            c.on_dup_ack(ack, 10_000, ack + 10_000, MSS, false);
        }
        assert_eq!(
            c.on_dup_ack(ack, 10_000, ack + 10_000, MSS, false),
            DupAckAction::FastRetransmit
        );
    }

    #[test]
    fn none_never_limits() {
        let mut c = Controller::new(Congestion::None);
        c.start(SeqNumber(0), MSS, false, InitialWindow::Rfc5681);
        c.on_timeout(100, SeqNumber(100), MSS);
        assert_eq!(c.window(), u32::MAX);
    }
}
