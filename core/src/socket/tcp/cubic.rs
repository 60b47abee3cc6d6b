//! CUBIC congestion control (RFC 9438), in integer arithmetic.
//!
//! CUBIC changes two things of RFC 5681's congestion avoidance: how cwnd
//! grows, as a cubic function of the time since the last congestion event
//! rather than one segment a round trip, and how far it falls, to
//! `β_cubic = 0.7` of the flight rather than half of it. Slow start, fast
//! retransmit, SACK recovery with PRR and the retransmission timeout are
//! the controller's, as for NewReno (RFC 9438 4.10: standard slow start;
//! HyStart++ is not done).
//!
//! The equations (section 4.2), with `C = 0.4` segments per second cubed:
//!
//! ```text
//! W_cubic(t) = C * (t - K)^3 + W_max          (Figure 1)
//! K = cubic_root((W_max - cwnd_epoch) / C)    (Figure 2)
//! ```
//!
//! **Units and bounds.** Windows are in bytes (W_max, cwnd) and the cubic
//! term is converted with the MSS; time is in milliseconds of the caller's
//! clock (`t`, `K`, the epoch, SRTT). `|t - K|` is capped at 2^20 ms
//! (17.5 minutes; the window would be 4.6 * 10^8 segments by then), so
//! `|t - K|^3 <= 2^60` fits a `u64` with room for the factor 2 of `C =
//! 2/5`; the product with the MSS is split at 10^9 so that neither part
//! passes 2^46. `K`'s cube root is taken of `(W_max - cwnd) / MSS * 2.5 *
//! 10^9` (ms^3), at most 2^62.3 for a difference below 2^32 bytes, so
//! `K <= 2^21` ms; the cube root is exact (the integer floor, bit by bit).
//! Results are saturated to `u32`.
//!
//! The Reno-friendly estimate `W_est` (section 4.3) grows by `α_cubic =
//! 3 * (1 - β) / (1 + β) = 9/17` of a segment for every cwnd of bytes
//! acknowledged, and by a whole segment once it reaches W_max ("the
//! sender SHOULD set α_cubic to 1"; W_max stands in for cwnd_prior, which
//! is not kept); while `W_cubic(t) < W_est`, cwnd is W_est. Otherwise, in
//! the concave and convex regions (4.4, 4.5), "cwnd MUST be incremented by
//! (target - cwnd) / cwnd for each received ACK", with target W_cubic(t +
//! RTT) bounded to [cwnd, 1.5 * cwnd]; in bytes, (target - cwnd) *
//! acked / cwnd. The state is 16 bytes in the socket.

use super::congestion::{AckInfo, CongestionAlgorithm};

/// `β_cubic` (section 4.6), as 7/10.
const BETA_NUM: u32 = 7;
const BETA_DEN: u32 = 10;
/// `α_cubic` (section 4.3), 3 * (1 - 0.7) / (1 + 0.7) = 9/17.
const ALPHA_NUM: u32 = 9;
const ALPHA_DEN: u32 = 17;
/// The cap on |t - K|, in ms.
const MAX_DT_MS: u64 = 1 << 20;

/// CUBIC's variables (RFC 9438 4.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cubic {
    /// W_max, in bytes: cwnd before the last reduction (after fast
    /// convergence); 0 before any, or after a timeout (RFC 9438 4.8: "W_max
    /// is set to the congestion window size at the beginning of the
    /// current congestion avoidance stage").
    w_max: u32,
    /// K, in ms.
    k_ms: u32,
    /// t_epoch, in ms of the caller's clock (never 0 once set); 0: the
    /// congestion avoidance stage has not started.
    epoch_ms: u32,
    /// W_est, in bytes.
    w_est: u32,
}

impl Cubic {
    /// W_cubic(t) in bytes, `t_ms` after the epoch.
    fn w_cubic(&self, t_ms: u32, mss: u32) -> u32 {
        let (t, k) = (u64::from(t_ms), u64::from(self.k_ms));
        let dt = t.abs_diff(k).min(MAX_DT_MS);
        // C * dt^3 segments with dt in ms: 2 * dt^3 / (5 * 10^9); times the
        // MSS, split so that neither product overflows.
        let units = 2 * dt * dt * dt / 5;
        let giga = 1_000_000_000;
        let mss = u64::from(mss);
        let bytes = (units / giga) * mss + (units % giga) * mss / giga;
        let w_max = u64::from(self.w_max);
        let w = if t >= k {
            w_max.saturating_add(bytes)
        } else {
            w_max.saturating_sub(bytes)
        };
        u32::try_from(w).unwrap_or(u32::MAX)
    }

    /// A new congestion avoidance stage begins at `now_ms` with `cwnd`
    /// (cwnd_epoch): K from Figure 2, W_est from cwnd.
    fn start_epoch(&mut self, cwnd: u32, now_ms: u32, mss: u32) {
        self.epoch_ms = now_ms.max(1);
        self.w_est = cwnd;
        if self.w_max <= cwnd {
            // After a timeout or before any loss, and when cwnd is already
            // past W_max: "K is set to 0".
            self.w_max = cwnd;
            self.k_ms = 0;
            return;
        }
        // K^3 in ms^3 = (W_max - cwnd) / MSS / C * 10^9, C = 2/5.
        let diff = u64::from(self.w_max - cwnd);
        let k3 = (diff * 1_250_000_000 / u64::from(mss.max(1))).saturating_mul(2);
        self.k_ms = u32::try_from(cube_root(k3)).unwrap_or(u32::MAX);
    }
}

impl CongestionAlgorithm for Cubic {
    fn avoid(&mut self, cwnd: u32, acked_in_ca: &mut u32, ack: AckInfo) -> u32 {
        let mss = ack.mss;
        if self.epoch_ms == 0 {
            self.start_epoch(cwnd, ack.now_ms, mss);
            *acked_in_ca = 0;
        }
        // (Never negative: the epoch is stored as 1 when the clock says 0.)
        let t = (ack.now_ms.wrapping_sub(self.epoch_ms) as i32).max(0) as u32;
        // Section 4.3: W_est grows by α_cubic segments a window of ACKs.
        *acked_in_ca = acked_in_ca.saturating_add(ack.acked);
        if *acked_in_ca >= cwnd {
            *acked_in_ca -= cwnd;
            let step = if self.w_est >= self.w_max {
                mss
            } else {
                mss * ALPHA_NUM / ALPHA_DEN
            };
            self.w_est = self.w_est.saturating_add(step);
        }
        if self.w_cubic(t, mss) < self.w_est {
            // The Reno-friendly region: "cwnd SHOULD be set to W_est".
            return self.w_est.max(cwnd);
        }
        // Sections 4.4 and 4.5: the target is W_cubic(t + RTT), bounded.
        let target = self
            .w_cubic(t.saturating_add(ack.srtt_ms), mss)
            .clamp(cwnd, cwnd.saturating_add(cwnd / 2));
        let grow = u64::from(target - cwnd) * u64::from(ack.acked) / u64::from(cwnd.max(1));
        cwnd.saturating_add(u32::try_from(grow).unwrap_or(u32::MAX))
    }

    /// Section 4.6 with 4.7's fast convergence: "if cwnd < W_max and fast
    /// convergence enabled, further reduce W_max: W_max = cwnd * (1 +
    /// β_cubic) / 2; otherwise, remember cwnd before reduction: W_max =
    /// cwnd"; and ssthresh = flight_size * β_cubic, at least two segments.
    /// Of the flight, not of cwnd (which Linux uses): nothing here stops
    /// cwnd from growing while the receiver's window or the application
    /// limits the flight, and RFC 9438 allows cwnd only then.
    fn on_loss(&mut self, cwnd: u32, flight: u32, mss: u32) -> u32 {
        self.w_max = if cwnd < self.w_max {
            (u64::from(cwnd) * u64::from(BETA_DEN + BETA_NUM) / u64::from(2 * BETA_DEN)) as u32
        } else {
            cwnd
        };
        self.epoch_ms = 0;
        beta(flight).max(2 * mss)
    }

    /// Section 4.8: "CUBIC follows Reno to reduce cwnd [to one segment]
    /// but sets ssthresh using β_cubic" (of the flight, as 4.6: so a second
    /// timeout of the same flight keeps ssthresh, as RFC 5681 3.1 asks);
    /// the next congestion avoidance stage starts with K = 0 from the cwnd
    /// it has then.
    fn on_timeout(&mut self, _cwnd: u32, flight: u32, mss: u32) -> u32 {
        self.w_max = 0;
        self.epoch_ms = 0;
        beta(flight).max(2 * mss)
    }

    fn restart_epoch(&mut self) {
        self.epoch_ms = 0;
    }
}

/// `x * β_cubic`.
fn beta(x: u32) -> u32 {
    (u64::from(x) * u64::from(BETA_NUM) / u64::from(BETA_DEN)) as u32
}

/// The integer cube root (the floor), bit by bit: three bits of `x` a
/// step, 22 steps.
pub(crate) fn cube_root(mut x: u64) -> u64 {
    let mut y: u64 = 0;
    let mut shift: i32 = 63;
    while shift >= 0 {
        y <<= 1;
        // (y + 1)^3 - y^3 = 3y(y + 1) + 1; y < 2^21, so no overflow.
        let b = 3 * y * (y + 1) + 1;
        if (x >> shift) >= b {
            x -= b << shift;
            y += 1;
        }
        shift -= 3;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    fn ack(acked: u32, now_ms: u32, srtt_ms: u32) -> AckInfo {
        AckInfo {
            acked,
            mss: MSS,
            now_ms,
            srtt_ms,
        }
    }

    #[test]
    fn cube_root_is_the_exact_floor() {
        for x in [0u64, 1, 7, 8, 26, 27, 63, 64, 999, 1000, 1001] {
            let y = cube_root(x);
            assert!(
                y * y * y <= x && (y + 1) * (y + 1) * (y + 1) > x,
                "{x}: {y}"
            );
        }
        assert_eq!(cube_root(u64::MAX), 2_642_245);
        assert_eq!(cube_root(2_642_245u64.pow(3)), 2_642_245);
        assert_eq!(cube_root(2_642_245u64.pow(3) - 1), 2_642_244);
    }

    /// Figure 2: K = cubic_root(W_max * (1 - β) / C) after a reduction to
    /// β * W_max. For W_max = 100 segments, K = cbrt(30 / 0.4) = 4.217 s.
    #[test]
    fn rfc9438_figure_2_k() {
        let mut c = Cubic::default();
        let ssthresh = c.on_loss(100 * MSS, 100 * MSS, MSS);
        assert_eq!(ssthresh, 70 * MSS, "β_cubic = 0.7");
        c.start_epoch(ssthresh, 1000, MSS);
        assert_eq!(c.k_ms, 4217);
        // Figure 1 at t = 0 is cwnd_epoch, at t = K it is W_max.
        // (K is the floor of the root: 4 bytes low at t = 0.)
        assert_eq!(c.w_cubic(0, MSS), 70_004);
        assert_eq!(c.w_cubic(4217, MSS), 100 * MSS);
        // And beyond: 0.4 * (10 - 4.217)^3 = 77.37 segments above W_max.
        let w = c.w_cubic(10_000, MSS);
        assert!((177_360..=177_380).contains(&w), "{w}");
    }

    /// The concave region (4.4): with ACKs every 10 ms and an RTT of 100 ms,
    /// cwnd follows Figure 1 up to W_max, stays near it around K (the
    /// plateau), then grows convexly (4.5). cwnd closes a tenth of the gap
    /// to W_cubic(t + RTT) every 10 ms, so it trails that target by about
    /// one RTT: it is W_cubic(t) within the slope's change over the RTT.
    #[test]
    fn rfc9438_4_4_and_4_5_growth_follows_figure_1() {
        let mut c = Cubic::default();
        let mut cwnd = c.on_loss(100 * MSS, 100 * MSS, MSS);
        let mut acked = 0;
        let start = 10_000;
        let mut trace = [0u32; 1001];
        for (step, slot) in trace.iter_mut().enumerate() {
            let now = start + 10 * step as u32;
            // A window of ACKs per RTT: cwnd / 10 bytes each 10 ms.
            cwnd = c.avoid(cwnd, &mut acked, ack(cwnd / 10, now, 100));
            *slot = cwnd;
        }
        let at = |t_ms: u32| trace[(t_ms / 10) as usize];
        // At 2 s: below W_max, on Figure 1.
        assert!(at(2000) < 97 * MSS);
        assert!(
            at(2000).abs_diff(c.w_cubic(2000, MSS)) <= MSS,
            "{}",
            at(2000)
        );
        // Around K (4.2 s): within a segment of W_max for a second.
        for t in (3800..=4600).step_by(100) {
            assert!(at(t).abs_diff(100 * MSS) <= MSS, "{t} ms: {}", at(t));
        }
        // At 10 s: convex, 77 segments above W_max, on Figure 1.
        assert!(at(10_000) > 170 * MSS);
        assert!(
            at(10_000).abs_diff(c.w_cubic(10_000, MSS)) <= 2 * MSS,
            "{}",
            at(10_000)
        );
        // Always growing.
        assert!(trace.windows(2).all(|w| w[0] <= w[1]));
    }

    /// 4.3: on a short RTT CUBIC grows no slower than Reno would with
    /// β = 0.7: W_est, α = 9/17 of a segment a window of ACKs until it
    /// reaches W_max, then one segment.
    #[test]
    fn rfc9438_4_3_reno_friendly_region() {
        let mut c = Cubic::default();
        let mut cwnd = c.on_loss(20 * MSS, 20 * MSS, MSS);
        assert_eq!(cwnd, 14 * MSS);
        let mut acked = 0;
        // 1 ms round trips, a window of ACKs each: W_cubic hardly moves
        // (K = 2.47 s), W_est leads from the third round.
        let mut now = 5_000;
        let mut round = |cwnd: &mut u32| {
            now += 1;
            *cwnd = c.avoid(*cwnd, &mut acked, ack(*cwnd, now, 1));
        };
        for _ in 0..12 {
            round(&mut cwnd);
        }
        assert_eq!(cwnd, 14 * MSS + 12 * 529, "twelve steps of 9/17");
        for _ in 0..10 {
            round(&mut cwnd);
        }
        assert_eq!(cwnd, 14 * MSS + 12 * 529 + 10 * MSS, "past W_max: α = 1");
        assert!(c.w_cubic(22, MSS) < 16 * MSS);
    }

    /// 4.7: a loss before W_max is reached lowers W_max further.
    #[test]
    fn rfc9438_4_7_fast_convergence() {
        let mut c = Cubic::default();
        c.on_loss(100 * MSS, 0, MSS);
        assert_eq!(c.w_max, 100 * MSS);
        c.on_loss(80 * MSS, 0, MSS);
        assert_eq!(c.w_max, 68 * MSS, "80 * (1 + 0.7) / 2");
        c.on_loss(90 * MSS, 0, MSS);
        assert_eq!(c.w_max, 90 * MSS, "above W_max: W_max = cwnd");
    }

    /// 4.8: after a timeout, ssthresh by β of the flight, kept by a second
    /// timeout of the same flight (cwnd is one segment by then), and the
    /// next stage starts with K = 0 from the cwnd it has.
    #[test]
    fn rfc9438_4_8_timeout() {
        let mut c = Cubic::default();
        c.on_loss(100 * MSS, 100 * MSS, MSS);
        assert_eq!(c.on_timeout(50 * MSS, 50 * MSS, MSS), 35 * MSS);
        assert_eq!(
            c.on_timeout(MSS, 50 * MSS, MSS),
            35 * MSS,
            "the second timeout"
        );
        c.start_epoch(35 * MSS, 1, MSS);
        assert_eq!((c.w_max, c.k_ms), (35 * MSS, 0));
        assert_eq!(
            c.on_timeout(MSS, MSS, MSS),
            2 * MSS,
            "at least two segments"
        );
    }

    /// 4.6: of the flight, not of cwnd: a cwnd that grew while the
    /// receiver's window held the flight does not make the reduction void.
    #[test]
    fn rfc9438_4_6_ssthresh_is_0_7_of_the_flight() {
        let mut c = Cubic::default();
        assert_eq!(c.on_loss(1000 * MSS, 40 * MSS, MSS), 28 * MSS);
        assert_eq!(c.w_max, 1000 * MSS, "W_max is cwnd before the reduction");
    }

    /// The epoch stored as 1 when the clock says 0: t is 0, not 2^32 - 1.
    #[test]
    fn an_epoch_at_clock_zero() {
        let mut c = Cubic::default();
        let mut cwnd = c.on_loss(100 * MSS, 100 * MSS, MSS);
        let mut acked = 0;
        cwnd = c.avoid(cwnd, &mut acked, ack(cwnd / 10, 0, 100));
        assert!(cwnd < 71 * MSS, "{cwnd}");
    }

    /// No overflow at the extremes: a huge K, an epoch long ago, the clock
    /// wrapping.
    #[test]
    fn extremes_saturate() {
        let mut c = Cubic::default();
        c.on_loss(u32::MAX, 0, 1);
        c.start_epoch(1, u32::MAX - 5, 1);
        assert!(c.k_ms > 1_000_000);
        let mut acked = 0;
        let w = c.avoid(1, &mut acked, ack(u32::MAX, 10, u32::MAX));
        assert!(w >= 1);
        assert_eq!(c.w_cubic(u32::MAX, 65535), u32::MAX);
    }
}
