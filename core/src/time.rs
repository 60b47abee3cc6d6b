//! Time as the caller supplies it.
//!
//! The core never reads a clock: every method that needs the time takes an
//! [`Instant`]. An `Instant` is a count of microseconds since an epoch the
//! caller chooses (boot, the Unix epoch, the start of a simulation); only
//! differences between instants matter. [`Duration`] is a non-negative span
//! with the same resolution.
//!
//! All arithmetic saturates instead of overflowing, so a clock that jumps or a
//! hostile timer value can never make the stack panic.
//!
//! ```
//! use microps_core::time::{Duration, Instant};
//! let t0 = Instant::from_millis(1_000);
//! let t1 = t0 + Duration::from_millis(250);
//! assert_eq!(t1 - t0, Duration::from_micros(250_000));
//! assert_eq!(t1.total_millis(), 1_250);
//! ```

use core::fmt;
use core::ops::{Add, AddAssign, Sub, SubAssign};

/// A point in time, in microseconds since the caller's epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant {
    micros: i64,
}

impl Instant {
    /// The epoch itself.
    pub const ZERO: Instant = Instant { micros: 0 };
    /// The latest representable instant ("never").
    pub const MAX: Instant = Instant { micros: i64::MAX };

    /// An instant `micros` microseconds after the epoch.
    pub const fn from_micros(micros: i64) -> Instant {
        Instant { micros }
    }

    /// An instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: i64) -> Instant {
        Instant {
            micros: millis.saturating_mul(1000),
        }
    }

    /// An instant `secs` seconds after the epoch.
    pub const fn from_secs(secs: i64) -> Instant {
        Instant {
            micros: secs.saturating_mul(1_000_000),
        }
    }

    /// Microseconds since the epoch.
    pub const fn total_micros(&self) -> i64 {
        self.micros
    }

    /// Whole milliseconds since the epoch.
    pub const fn total_millis(&self) -> i64 {
        self.micros / 1000
    }

    /// Whole seconds since the epoch.
    pub const fn secs(&self) -> i64 {
        self.micros / 1_000_000
    }

    /// The millisecond part of the time since the epoch (0..=999).
    pub const fn millis(&self) -> i64 {
        (self.micros % 1_000_000) / 1000
    }

    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        let d = self.micros.saturating_sub(earlier.micros);
        Duration::from_micros(u64::try_from(d).unwrap_or(0))
    }

    /// `self + d`, saturating at [`Instant::MAX`].
    pub fn saturating_add(&self, d: Duration) -> Instant {
        let d = i64::try_from(d.total_micros()).unwrap_or(i64::MAX);
        Instant {
            micros: self.micros.saturating_add(d),
        }
    }

    /// `self - d`, saturating at `i64::MIN` microseconds.
    pub fn saturating_sub(&self, d: Duration) -> Instant {
        let d = i64::try_from(d.total_micros()).unwrap_or(i64::MAX);
        Instant {
            micros: self.micros.saturating_sub(d),
        }
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}.{:03}s", self.secs(), self.millis().abs())
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        self.saturating_add(rhs)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = self.saturating_add(rhs);
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, rhs: Duration) -> Instant {
        self.saturating_sub(rhs)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, rhs: Duration) {
        *self = self.saturating_sub(rhs);
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// The span between two instants, zero if `rhs` is later than `self`.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

/// A non-negative span of time, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Duration {
    micros: u64,
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration { micros: 0 };
    /// The longest representable span.
    pub const MAX: Duration = Duration { micros: u64::MAX };

    /// A span of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Duration {
        Duration { micros }
    }

    /// A span of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Duration {
        Duration {
            micros: millis.saturating_mul(1000),
        }
    }

    /// A span of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Duration {
        Duration {
            micros: secs.saturating_mul(1_000_000),
        }
    }

    /// The span in microseconds.
    pub const fn total_micros(&self) -> u64 {
        self.micros
    }

    /// The span in whole milliseconds.
    pub const fn total_millis(&self) -> u64 {
        self.micros / 1000
    }

    /// The span in whole seconds.
    pub const fn secs(&self) -> u64 {
        self.micros / 1_000_000
    }

    /// `self * n`, saturating.
    pub const fn saturating_mul(self, n: u32) -> Duration {
        Duration {
            micros: self.micros.saturating_mul(n as u64),
        }
    }

    /// `self / n`, or zero for `n == 0`.
    pub const fn div_or_zero(self, n: u32) -> Duration {
        match self.micros.checked_div(n as u64) {
            Some(micros) => Duration { micros },
            None => Duration::ZERO,
        }
    }

    /// `self - rhs`, or zero if `rhs` is longer.
    pub const fn saturating_sub(self, rhs: Duration) -> Duration {
        Duration {
            micros: self.micros.saturating_sub(rhs.micros),
        }
    }

    /// `self + rhs`, saturating at [`Duration::MAX`].
    pub const fn saturating_add(self, rhs: Duration) -> Duration {
        Duration {
            micros: self.micros.saturating_add(rhs.micros),
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{}.{:03}s",
            self.secs(),
            (self.micros % 1_000_000) / 1000
        )
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        self.saturating_add(rhs)
    }
}

impl AddAssign for Duration {
    fn add_assign(&mut self, rhs: Duration) {
        *self = self.saturating_add(rhs);
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, rhs: Duration) -> Duration {
        self.saturating_sub(rhs)
    }
}

impl SubAssign for Duration {
    fn sub_assign(&mut self, rhs: Duration) {
        *self = self.saturating_sub(rhs);
    }
}

impl From<core::time::Duration> for Duration {
    fn from(d: core::time::Duration) -> Duration {
        Duration::from_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }
}

impl From<Duration> for core::time::Duration {
    fn from(d: Duration) -> core::time::Duration {
        core::time::Duration::from_micros(d.total_micros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instant_arithmetic_saturates() {
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(Instant::ZERO - Instant::from_secs(5), Duration::ZERO);
        assert_eq!(
            Instant::from_secs(5) - Instant::from_secs(2),
            Duration::from_secs(3)
        );
        assert_eq!(
            Duration::from_secs(1) - Duration::from_secs(2),
            Duration::ZERO
        );
        assert_eq!(Duration::MAX + Duration::from_secs(1), Duration::MAX);
    }

    #[test]
    fn unit_conversions() {
        let t = Instant::from_micros(12_345_678);
        assert_eq!(t.secs(), 12);
        assert_eq!(t.millis(), 345);
        assert_eq!(t.total_millis(), 12_345);
        assert_eq!(Duration::from_millis(1500).secs(), 1);
        assert_eq!(
            Duration::from_secs(2).div_or_zero(4),
            Duration::from_millis(500)
        );
        assert_eq!(Duration::from_secs(2).div_or_zero(0), Duration::ZERO);
        assert_eq!(alloc::format!("{}", Instant::from_millis(1_250)), "1.250s");
    }
}
