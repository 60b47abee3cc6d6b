//! The retransmission timer (RFC 6298, "Computing TCP's Retransmission
//! Timer"), with Karn's algorithm (RFC 6298 section 3).

use crate::time::Duration;

/// RFC 6298's estimator: SRTT, RTTVAR and RTO, with exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RttEstimator {
    /// Smoothed round-trip time, once measured.
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    /// How many times the timer has backed off since the last new ACK.
    backoff: u32,
    min: Duration,
    max: Duration,
}

/// RFC 6298's clock granularity G (the stack's clock is microseconds; 1 ms
/// keeps RTO above the noise of a real host).
const GRANULARITY: Duration = Duration::from_millis(1);

impl RttEstimator {
    /// "(2.1) Until a round-trip time (RTT) measurement has been made for a
    /// segment sent between the sender and receiver, the sender SHOULD set
    /// RTO <- 1 second" (here: `initial`).
    pub fn new(initial: Duration, min: Duration, max: Duration) -> Self {
        RttEstimator {
            srtt: None,
            rttvar: Duration::ZERO,
            rto: initial.max(min).min(max),
            backoff: 0,
            min,
            max,
        }
    }

    /// Takes a round-trip sample (from a segment that was not retransmitted:
    /// Karn's rule is the caller's, see `Timing`).
    pub fn sample(&mut self, r: Duration) {
        match self.srtt {
            // "(2.2) When the first RTT measurement R is made, the host MUST
            // set SRTT <- R, RTTVAR <- R/2, RTO <- SRTT + max (G, K*RTTVAR)"
            None => {
                self.srtt = Some(r);
                self.rttvar = r.div_or_zero(2);
            }
            // "(2.3) When a subsequent RTT measurement R' is made, a host MUST
            // set RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|
            //     SRTT <- (1 - alpha) * SRTT + alpha * R'"
            // with alpha = 1/8 and beta = 1/4.
            Some(srtt) => {
                let delta = if srtt > r { srtt - r } else { r - srtt };
                self.rttvar = (self.rttvar.saturating_mul(3) + delta).div_or_zero(4);
                self.srtt = Some((srtt.saturating_mul(7) + r).div_or_zero(8));
            }
        }
        self.backoff = 0;
        self.rto = self.computed();
    }

    fn computed(&self) -> Duration {
        let srtt = self.srtt.unwrap_or(Duration::ZERO);
        let k_var = self.rttvar.saturating_mul(4).max(GRANULARITY);
        // "(2.4) Whenever RTO is computed, if it is less than 1 second, then
        // the RTO SHOULD be rounded up to 1 second" -- here up to the
        // configured minimum; "(2.5) A maximum value MAY be placed on RTO
        // provided it is at least 60 seconds."
        (srtt + k_var).max(self.min).min(self.max)
    }

    /// The current RTO, with backoff.
    pub fn rto(&self) -> Duration {
        let mut rto = self.rto;
        for _ in 0..self.backoff.min(16) {
            rto = rto.saturating_mul(2);
        }
        rto.min(self.max)
    }

    /// "(5.5) The host MUST set RTO <- RTO * 2 ("back off the timer")."
    pub fn back_off(&mut self) {
        self.backoff = self.backoff.saturating_add(1);
    }

    /// The handshake completed after our SYN (or SYN,ACK) timed out: "(5.7)
    /// If the timer expires awaiting the ACK of a SYN segment and the TCP
    /// implementation is using an RTO less than 3 seconds, the RTO MUST be
    /// re-initialized to 3 seconds when data transmission begins (i.e.,
    /// after the three-way handshake completes)."
    pub fn syn_timed_out(&mut self) {
        self.backoff = 0;
        if self.srtt.is_none() {
            self.rto = self.rto.max(Duration::from_secs(3)).min(self.max);
        }
    }

    /// A new ACK arrived: the backed-off RTO gives way to the computed one
    /// (RFC 6298 section 5, note after (5.7)).
    pub fn reset_backoff(&mut self) {
        self.backoff = 0;
    }

    /// The smoothed RTT, if measured.
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// The RTT variation.
    pub fn rttvar(&self) -> Duration {
        self.rttvar
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est() -> RttEstimator {
        RttEstimator::new(
            Duration::from_secs(1),
            Duration::from_millis(200),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn rfc6298_2_1_initial_rto() {
        assert_eq!(est().rto(), Duration::from_secs(1));
    }

    #[test]
    fn rfc6298_2_2_first_measurement() {
        let mut e = est();
        e.sample(Duration::from_millis(100));
        assert_eq!(e.srtt(), Some(Duration::from_millis(100)));
        assert_eq!(e.rttvar(), Duration::from_millis(50));
        // 100 + 4*50 = 300 ms
        assert_eq!(e.rto(), Duration::from_millis(300));
    }

    #[test]
    fn rfc6298_2_3_subsequent_measurements() {
        let mut e = est();
        e.sample(Duration::from_millis(100));
        e.sample(Duration::from_millis(200));
        // rttvar = 3/4*50 + 1/4*100 = 62.5; srtt = 7/8*100 + 1/8*200 = 112.5
        assert_eq!(e.rttvar(), Duration::from_micros(62_500));
        assert_eq!(e.srtt(), Some(Duration::from_micros(112_500)));
        assert_eq!(e.rto(), Duration::from_micros(112_500 + 250_000));
    }

    #[test]
    fn rfc6298_2_4_and_2_5_bounds() {
        let mut e = est();
        e.sample(Duration::from_micros(100));
        assert_eq!(
            e.rto(),
            Duration::from_millis(200),
            "rounded up to the minimum"
        );
        let mut e = est();
        e.sample(Duration::from_secs(100));
        assert_eq!(e.rto(), Duration::from_secs(60), "capped at the maximum");
    }

    #[test]
    fn rfc6298_5_5_backoff_doubles_until_new_ack() {
        let mut e = est();
        e.back_off();
        assert_eq!(e.rto(), Duration::from_secs(2));
        e.back_off();
        assert_eq!(e.rto(), Duration::from_secs(4));
        for _ in 0..20 {
            e.back_off();
        }
        assert_eq!(e.rto(), Duration::from_secs(60));
        e.reset_backoff();
        assert_eq!(e.rto(), Duration::from_secs(1));
    }
}
