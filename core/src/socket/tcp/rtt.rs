//! The retransmission timer (RFC 6298, "Computing TCP's Retransmission
//! Timer"), with Karn's algorithm (RFC 6298 section 3).
//!
//! The estimator keeps SRTT, RTTVAR and the current RTO in microseconds
//! (12 bytes); the bounds (RFC 6298 (2.4), (2.5)) come from the stack's
//! [`TcpConfig`](super::TcpConfig) at each call instead of a copy per
//! socket. The RTO it reports is the backed-off one: "(5.5) The host MUST
//! set RTO <- RTO * 2", and that value stays until a valid round-trip
//! sample replaces it. RFC 6298 section 5 explains why: "Note that a TCP
//! implementation MAY clear SRTT and RTTVAR after backing off the timer
//! multiple times as it is likely that the current SRTT and RTTVAR are
//! bogus in this situation. Once SRTT and RTTVAR are cleared, they should
//! be initialized with the next RTT sample taken per (2.2) rather than
//! using (2.3)." and Karn's algorithm (section 3) keeps the backed-off RTO
//! "for the next segment" until an acknowledgment arrives for a segment
//! that was not retransmitted. Linux's `tcp_ack` says the same: "only reset
//! backoff on valid RTT measurement". An ACK of retransmitted data is no
//! such sample, so it leaves the backoff alone: if it did not, a path whose
//! RTT rose above the RTO would retransmit every segment spuriously and
//! never measure the new RTT.

use crate::time::Duration;

/// RFC 6298's estimator: SRTT, RTTVAR and RTO, with exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RttEstimator {
    /// Smoothed round-trip time in microseconds; 0 until measured.
    srtt_us: u32,
    rttvar_us: u32,
    /// The current RTO, backed off, in microseconds.
    rto_us: u32,
}

/// RFC 6298's clock granularity G (the stack's clock is microseconds; 1 ms
/// keeps RTO above the noise of a real host).
const GRANULARITY_US: u64 = 1000;

fn us(d: Duration) -> u32 {
    u32::try_from(d.total_micros()).unwrap_or(u32::MAX)
}

impl RttEstimator {
    /// "(2.1) Until a round-trip time (RTT) measurement has been made for a
    /// segment sent between the sender and receiver, the sender SHOULD set
    /// RTO <- 1 second" (here: `initial`).
    pub fn new(initial: Duration) -> Self {
        RttEstimator {
            srtt_us: 0,
            rttvar_us: 0,
            rto_us: us(initial),
        }
    }

    /// Takes a round-trip sample `r` from a segment that was not
    /// retransmitted (Karn's rule is the caller's), and sets the RTO from
    /// it within `min..=max`: the backoff ends here.
    pub fn sample(&mut self, r: Duration, min: Duration, max: Duration) {
        let r = u64::from(us(r).max(1));
        if self.srtt_us == 0 {
            // "(2.2) When the first RTT measurement R is made, the host MUST
            // set SRTT <- R, RTTVAR <- R/2, RTO <- SRTT + max (G, K*RTTVAR)"
            self.srtt_us = r as u32;
            self.rttvar_us = (r / 2) as u32;
        } else {
            // "(2.3) When a subsequent RTT measurement R' is made, a host MUST
            // set RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|
            //     SRTT <- (1 - alpha) * SRTT + alpha * R'"
            // with alpha = 1/8 and beta = 1/4.
            let srtt = u64::from(self.srtt_us);
            let delta = srtt.abs_diff(r);
            self.rttvar_us = ((u64::from(self.rttvar_us) * 3 + delta) / 4) as u32;
            self.srtt_us = ((srtt * 7 + r) / 8).max(1) as u32;
        }
        let k_var = (u64::from(self.rttvar_us) * 4).max(GRANULARITY_US);
        let rto = u64::from(self.srtt_us) + k_var;
        // "(2.4) Whenever RTO is computed, if it is less than 1 second, then
        // the RTO SHOULD be rounded up to 1 second" -- here up to the
        // configured minimum; "(2.5) A maximum value MAY be placed on RTO
        // provided it is at least 60 seconds."
        let rto = rto.clamp(u64::from(us(min)), u64::from(us(max).max(us(min))));
        self.rto_us = u32::try_from(rto).unwrap_or(u32::MAX);
    }

    /// The current RTO, with backoff.
    pub fn rto(&self) -> Duration {
        Duration::from_micros(u64::from(self.rto_us))
    }

    /// "(5.5) The host MUST set RTO <- RTO * 2 ("back off the timer")",
    /// up to `max`.
    pub fn back_off(&mut self, max: Duration) {
        let doubled = self.rto_us.saturating_mul(2);
        self.rto_us = doubled.min(us(max)).max(self.rto_us);
    }

    /// The handshake completed after our SYN (or SYN,ACK) timed out: "(5.7)
    /// If the timer expires awaiting the ACK of a SYN segment and the TCP
    /// implementation is using an RTO less than 3 seconds, the RTO MUST be
    /// re-initialized to 3 seconds when data transmission begins (i.e.,
    /// after the three-way handshake completes)."
    pub fn syn_timed_out(&mut self, initial: Duration, max: Duration) {
        if self.srtt_us == 0 {
            let three = us(Duration::from_secs(3));
            self.rto_us = us(initial).max(three).min(us(max).max(three));
        }
    }

    /// The smoothed RTT, if measured.
    pub fn srtt(&self) -> Option<Duration> {
        (self.srtt_us != 0).then(|| Duration::from_micros(u64::from(self.srtt_us)))
    }

    /// The RTT variation.
    pub fn rttvar(&self) -> Duration {
        Duration::from_micros(u64::from(self.rttvar_us))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_millis(200);
    const MAX: Duration = Duration::from_secs(60);

    fn est() -> RttEstimator {
        RttEstimator::new(Duration::from_secs(1))
    }

    #[test]
    fn rfc6298_2_1_initial_rto() {
        assert_eq!(est().rto(), Duration::from_secs(1));
        assert_eq!(est().srtt(), None);
    }

    #[test]
    fn rfc6298_2_2_first_measurement() {
        let mut e = est();
        e.sample(Duration::from_millis(100), MIN, MAX);
        assert_eq!(e.srtt(), Some(Duration::from_millis(100)));
        assert_eq!(e.rttvar(), Duration::from_millis(50));
        // 100 + 4*50 = 300 ms
        assert_eq!(e.rto(), Duration::from_millis(300));
    }

    #[test]
    fn rfc6298_2_3_subsequent_measurements() {
        let mut e = est();
        e.sample(Duration::from_millis(100), MIN, MAX);
        e.sample(Duration::from_millis(200), MIN, MAX);
        // rttvar = 3/4*50 + 1/4*100 = 62.5; srtt = 7/8*100 + 1/8*200 = 112.5
        assert_eq!(e.rttvar(), Duration::from_micros(62_500));
        assert_eq!(e.srtt(), Some(Duration::from_micros(112_500)));
        assert_eq!(e.rto(), Duration::from_micros(112_500 + 250_000));
    }

    #[test]
    fn rfc6298_2_3_a_vanishing_variance_is_rounded_up_to_g() {
        // "RTO <- SRTT + max (G, K*RTTVAR)": identical samples drive RTTVAR
        // to zero; the variance term stays one clock tick (1 ms).
        let mut e = est();
        for _ in 0..100 {
            e.sample(Duration::from_millis(100), Duration::ZERO, MAX);
        }
        assert_eq!(e.srtt(), Some(Duration::from_millis(100)));
        assert!(e.rttvar() < Duration::from_micros(250));
        assert_eq!(e.rto(), Duration::from_millis(101));
    }

    #[test]
    fn rfc6298_2_4_and_2_5_bounds() {
        let mut e = est();
        e.sample(Duration::from_micros(100), MIN, MAX);
        assert_eq!(e.rto(), MIN, "rounded up to the minimum");
        let mut e = est();
        e.sample(Duration::from_secs(100), MIN, MAX);
        assert_eq!(e.rto(), MAX, "capped at the maximum");
    }

    #[test]
    fn rfc6298_5_5_backoff_doubles_until_a_valid_sample() {
        let mut e = est();
        e.back_off(MAX);
        assert_eq!(e.rto(), Duration::from_secs(2));
        e.back_off(MAX);
        assert_eq!(e.rto(), Duration::from_secs(4));
        for _ in 0..20 {
            e.back_off(MAX);
        }
        assert_eq!(e.rto(), MAX);
        // Only a sample (from a segment sent once) ends the backoff.
        e.sample(Duration::from_millis(100), MIN, MAX);
        assert_eq!(e.rto(), Duration::from_millis(300));
    }

    #[test]
    fn rfc6298_5_7_three_seconds_after_a_syn_timeout() {
        let mut e = est();
        e.back_off(MAX);
        e.syn_timed_out(Duration::from_secs(1), MAX);
        assert_eq!(e.rto(), Duration::from_secs(3));
        // With a sample already taken, the measured RTO stands.
        let mut e = est();
        e.sample(Duration::from_millis(100), MIN, MAX);
        e.syn_timed_out(Duration::from_secs(1), MAX);
        assert_eq!(e.rto(), Duration::from_millis(300));
    }
}
