//! TCP sequence numbers: 32-bit, compared modulo 2^32 (RFC 9293 section 3.4).
//!
//! "It is essential to remember that the actual sequence number space is
//! finite, though very large. ... all arithmetic dealing with sequence
//! numbers must be performed modulo 2**32." Every sequence comparison in the
//! stack goes through [`SeqNumber`], so wraparound is handled in one place.

use core::{cmp, fmt, ops};

/// A TCP sequence number, with wrapping arithmetic and modular comparison.
///
/// ```
/// use microps_core::wire::SeqNumber;
/// let a = SeqNumber(u32::MAX - 1);
/// let b = a + 4;
/// assert_eq!(b, SeqNumber(2));
/// assert!(a < b); // modular: b is "after" a although numerically smaller
/// assert_eq!(b - a, 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// The signed distance from `other` to `self`, in (-2^31, 2^31].
    pub fn diff(self, other: SeqNumber) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }

    /// The later of two sequence numbers (modular).
    pub fn max(self, other: SeqNumber) -> SeqNumber {
        if self.diff(other) >= 0 { self } else { other }
    }

    /// The earlier of two sequence numbers (modular).
    pub fn min(self, other: SeqNumber) -> SeqNumber {
        if self.diff(other) <= 0 { self } else { other }
    }

    /// `lo <= self < hi` in modular order (RFC 9293's `=<` and `<`).
    pub fn in_window(self, lo: SeqNumber, hi: SeqNumber) -> bool {
        self.0.wrapping_sub(lo.0) < hi.0.wrapping_sub(lo.0)
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl ops::Add<usize> for SeqNumber {
    type Output = SeqNumber;
    /// Advances by `rhs` modulo 2^32.
    fn add(self, rhs: usize) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(rhs as u32))
    }
}

impl ops::AddAssign<usize> for SeqNumber {
    fn add_assign(&mut self, rhs: usize) {
        self.0 = self.0.wrapping_add(rhs as u32);
    }
}

impl ops::Sub<usize> for SeqNumber {
    type Output = SeqNumber;
    /// Goes back by `rhs` modulo 2^32.
    fn sub(self, rhs: usize) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(rhs as u32))
    }
}

impl ops::Sub for SeqNumber {
    type Output = usize;
    /// The forward distance from `rhs` to `self`; zero if `self` is before
    /// `rhs` (callers compare first when that matters).
    fn sub(self, rhs: SeqNumber) -> usize {
        let d = self.diff(rhs);
        if d < 0 { 0 } else { d as usize }
    }
}

impl cmp::PartialOrd for SeqNumber {
    fn partial_cmp(&self, other: &SeqNumber) -> Option<cmp::Ordering> {
        Some(self.diff(*other).cmp(&0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_wrap_around() {
        let near_end = SeqNumber(0xffff_fff0);
        let wrapped = near_end + 0x20;
        assert_eq!(wrapped, SeqNumber(0x10));
        assert!(near_end < wrapped);
        assert!(wrapped > near_end);
        assert_eq!(wrapped - near_end, 0x20);
        assert_eq!(near_end - wrapped, 0);
        assert_eq!(wrapped.diff(near_end), 0x20);
        assert_eq!(near_end.diff(wrapped), -0x20);
        assert_eq!(near_end.max(wrapped), wrapped);
        assert_eq!(near_end.min(wrapped), near_end);
        assert_eq!(wrapped - 0x20usize, near_end);
    }

    #[test]
    fn window_membership_is_modular() {
        let lo = SeqNumber(u32::MAX - 5);
        let hi = lo + 10;
        assert!(lo.in_window(lo, hi));
        assert!((lo + 9).in_window(lo, hi));
        assert!(!hi.in_window(lo, hi));
        assert!(!(lo - 1usize).in_window(lo, hi));
        assert!(!lo.in_window(lo, lo), "an empty window holds nothing");
    }
}
