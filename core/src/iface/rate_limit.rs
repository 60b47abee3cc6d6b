//! The ICMP error rate limiter (RFC 1812 4.3.2.8, RFC 1122 3.2.2: a host
//! SHOULD limit the rate at which it sends ICMP errors): a token bucket that
//! refills one token per interval up to a burst.

use crate::time::{Duration, Instant};

/// A token bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenBucket {
    tokens: u32,
    refill_at: Instant,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens.
    pub(crate) const fn full(burst: u32) -> Self {
        TokenBucket {
            tokens: burst,
            refill_at: Instant::ZERO,
        }
    }

    /// Takes a token at `now` if there is one, after adding those that
    /// `interval` has earned since the last refill (an interval of zero:
    /// no limit).
    pub(crate) fn take(&mut self, now: Instant, interval: Duration, burst: u32) -> bool {
        if interval.total_micros() > 0 {
            while self.tokens < burst && self.refill_at + interval <= now {
                self.tokens += 1;
                self.refill_at += interval;
            }
            if self.tokens >= burst {
                self.refill_at = now;
            }
        } else {
            self.tokens = burst;
        }
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_interval() {
        let ms = Duration::from_millis;
        let mut b = TokenBucket::full(3);
        let t = Instant::from_secs(1);
        let taken = (0..5).filter(|_| b.take(t, ms(100), 3)).count();
        assert_eq!(taken, 3, "the burst");
        assert!(!b.take(t + ms(99), ms(100), 3));
        assert!(b.take(t + ms(100), ms(100), 3));
        assert!(!b.take(t + ms(150), ms(100), 3));
        // A long quiet refills to the burst, no more.
        let later = t + Duration::from_secs(10);
        assert_eq!((0..5).filter(|_| b.take(later, ms(100), 3)).count(), 3);
    }

    #[test]
    fn no_interval_no_limit() {
        let mut b = TokenBucket::full(1);
        let t = Instant::from_secs(1);
        assert!((0..100).all(|_| b.take(t, Duration::ZERO, 1)));
    }
}
