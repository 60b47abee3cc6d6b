//! Congestion control: RFC 5681 slow start and congestion avoidance, fast
//! retransmit and fast recovery with RFC 6582's NewReno partial ACKs.
//!
//! This is the seam where other algorithms (and SACK-based recovery, RFC
//! 6675) plug in: the socket reports events (new ACK, duplicate ACK,
//! timeout) and asks for the window it may fill.

/// Which algorithm a socket uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Congestion {
    /// RFC 5681 with RFC 6582 NewReno (the default).
    #[default]
    NewReno,
    /// No congestion control: only the receiver's window limits the sender.
    /// For tests and closed links only.
    None,
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
    algo: Congestion,
    pub(crate) cwnd: u32,
    pub(crate) ssthresh: u32,
    mss: u32,
    dup_acks: u32,
    /// In fast recovery until this sequence offset (NewReno's "recover").
    recover: Option<u32>,
    /// Bytes acknowledged in congestion avoidance since cwnd last grew.
    acked_in_ca: u32,
}

impl Controller {
    pub(crate) fn new(algo: Congestion, mss: usize) -> Self {
        let mss = mss.max(1) as u32;
        Controller {
            algo,
            cwnd: initial_window(mss),
            ssthresh: u32::MAX,
            mss,
            dup_acks: 0,
            recover: None,
            acked_in_ca: 0,
        }
    }

    pub(crate) fn set_mss(&mut self, mss: usize) {
        let mss = mss.max(1) as u32;
        if self.cwnd == initial_window(self.mss) {
            self.cwnd = initial_window(mss);
        }
        self.mss = mss;
    }

    /// The window congestion control allows, in bytes.
    pub(crate) fn window(&self) -> u32 {
        match self.algo {
            Congestion::None => u32::MAX,
            Congestion::NewReno => self.cwnd,
        }
    }

    pub(crate) fn in_recovery(&self) -> bool {
        self.recover.is_some()
    }

    /// A cumulative ACK acknowledged `acked` new bytes; `una` is the new
    /// SND.UNA and `flight` the bytes still outstanding after it, both as
    /// offsets from the ISS (wrapping). Returns whether the first
    /// unacknowledged segment must be retransmitted (a NewReno partial ACK).
    pub(crate) fn on_ack(&mut self, acked: u32, una: u32, flight: u32) -> bool {
        self.dup_acks = 0;
        if let Some(recover) = self.recover {
            if una.wrapping_sub(recover) as i32 >= 0 {
                // RFC 6582 3.2 step 3, full acknowledgment: "Set cwnd to either
                // (1) min (ssthresh, max(FlightSize, SMSS) + SMSS) or (2)
                // ssthresh" -- option (1).
                self.cwnd = self
                    .ssthresh
                    .min(flight.max(self.mss).saturating_add(self.mss));
                self.recover = None;
                return false;
            }
            // Partial acknowledgment: "deflate the congestion window by the
            // amount of new data acknowledged by the Cumulative
            // Acknowledgment field. If the partial ACK acknowledges at least
            // one SMSS of new data, then add back SMSS bytes"; retransmit
            // the first unacknowledged segment.
            self.cwnd = self.cwnd.saturating_sub(acked);
            if acked >= self.mss {
                self.cwnd = self.cwnd.saturating_add(self.mss);
            }
            return true;
        }
        if self.cwnd < self.ssthresh {
            // RFC 5681 3.1, slow start: "cwnd += min (N, SMSS)".
            self.cwnd = self.cwnd.saturating_add(acked.min(self.mss));
        } else {
            // Congestion avoidance: about one SMSS per RTT ("byte counting"
            // variant of equation 3).
            self.acked_in_ca = self.acked_in_ca.saturating_add(acked);
            if self.acked_in_ca >= self.cwnd {
                self.acked_in_ca -= self.cwnd;
                self.cwnd = self.cwnd.saturating_add(self.mss);
            }
        }
        false
    }

    /// A duplicate ACK (RFC 5681 3.2): `flight` bytes outstanding, `nxt` the
    /// highest offset sent (for NewReno's "recover").
    pub(crate) fn on_dup_ack(&mut self, flight: u32, nxt: u32) -> DupAckAction {
        if self.algo == Congestion::None {
            self.dup_acks = self.dup_acks.saturating_add(1);
            return if self.dup_acks == 3 {
                DupAckAction::FastRetransmit
            } else {
                DupAckAction::Nothing
            };
        }
        self.dup_acks = self.dup_acks.saturating_add(1);
        if self.recover.is_some() {
            // "(5) For each additional duplicate ACK received (after the
            // third), cwnd MUST be incremented by SMSS."
            self.cwnd = self.cwnd.saturating_add(self.mss);
            return DupAckAction::Nothing;
        }
        if self.dup_acks == 3 {
            // "(2) ssthresh = max (FlightSize / 2, 2*SMSS)" and "(3) ... set
            // cwnd to ssthresh plus 3*SMSS."
            self.ssthresh = (flight / 2).max(2 * self.mss);
            self.cwnd = self.ssthresh.saturating_add(3 * self.mss);
            self.recover = Some(nxt);
            return DupAckAction::FastRetransmit;
        }
        DupAckAction::Nothing
    }

    /// The retransmission timer fired (RFC 5681 3.1, equation 4, and
    /// "cwnd to no more than the loss window, LW, which equals 1 full-sized
    /// segment").
    pub(crate) fn on_timeout(&mut self, flight: u32) {
        self.ssthresh = (flight / 2).max(2 * self.mss);
        self.cwnd = self.mss;
        self.dup_acks = 0;
        self.recover = None;
        self.acked_in_ca = 0;
    }

    /// RFC 5681 4.1: after an idle period longer than the RTO, restart from
    /// the restart window.
    pub(crate) fn on_idle_restart(&mut self) {
        self.cwnd = self.cwnd.min(initial_window(self.mss));
    }
}

/// RFC 5681 3.1's initial window: "IW = min (4*SMSS, max (2*SMSS, 4380
/// bytes))" (RFC 3390).
fn initial_window(mss: u32) -> u32 {
    (4 * mss).min((2 * mss).max(4380))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5681_initial_window() {
        assert_eq!(initial_window(1460), 4380);
        assert_eq!(initial_window(536), 2144);
        assert_eq!(initial_window(9000), 18000);
    }

    #[test]
    fn rfc5681_slow_start_then_congestion_avoidance() {
        let mut c = Controller::new(Congestion::NewReno, 1000);
        c.ssthresh = 6000;
        let w0 = c.window();
        c.on_ack(1000, 1000, 0);
        assert_eq!(c.window(), w0 + 1000, "slow start: one MSS per ACK");
        c.on_ack(5000, 6000, 0);
        assert_eq!(c.window(), w0 + 2000, "at most one MSS per ACK");
        while c.cwnd < c.ssthresh {
            c.on_ack(1000, 0, 0);
        }
        let w = c.cwnd;
        for _ in 0..(w / 1000) {
            c.on_ack(1000, 0, 0);
        }
        assert_eq!(c.cwnd, w + 1000, "one MSS per window of ACKs");
    }

    #[test]
    fn rfc5681_fast_retransmit_and_rfc6582_recovery() {
        let mut c = Controller::new(Congestion::NewReno, 1000);
        c.cwnd = 10_000;
        assert_eq!(c.on_dup_ack(10_000, 20_000), DupAckAction::Nothing);
        assert_eq!(c.on_dup_ack(10_000, 20_000), DupAckAction::Nothing);
        assert_eq!(c.on_dup_ack(10_000, 20_000), DupAckAction::FastRetransmit);
        assert_eq!(c.ssthresh, 5000);
        assert_eq!(c.cwnd, 8000, "ssthresh + 3 MSS");
        c.on_dup_ack(10_000, 20_000);
        assert_eq!(c.cwnd, 9000, "inflated per further duplicate");
        // A partial ACK retransmits and deflates.
        assert!(c.on_ack(2000, 12_000, 8000));
        assert_eq!(c.cwnd, 8000);
        assert!(c.in_recovery());
        // The full ACK ends recovery.
        assert!(!c.on_ack(8000, 20_000, 0));
        assert!(!c.in_recovery());
        assert_eq!(c.cwnd, 2000, "min(ssthresh, max(flight, mss) + mss)");
    }

    #[test]
    fn rfc5681_timeout_collapses_to_one_segment() {
        let mut c = Controller::new(Congestion::NewReno, 1000);
        c.cwnd = 20_000;
        c.on_timeout(16_000);
        assert_eq!((c.cwnd, c.ssthresh), (1000, 8000));
        c.on_timeout(1000);
        assert_eq!(c.ssthresh, 2000, "at least 2 MSS");
    }

    #[test]
    fn none_never_limits() {
        let mut c = Controller::new(Congestion::None, 1000);
        c.on_timeout(100);
        assert_eq!(c.window(), u32::MAX);
    }
}
