//! Which byte ranges after a point have arrived: out-of-order reassembly.

use core::cmp;
use core::fmt;

/// Adding a range would need more than the assembler's `N` contiguous
/// ranges; the assembler is unchanged.
///
/// ```
/// use microps_core::storage::{Assembler, TooManyHoles};
///
/// let mut asm: Assembler<1> = Assembler::new();
/// asm.add(4, 2).unwrap();
/// assert_eq!(asm.add(8, 2), Err(TooManyHoles));
/// assert_eq!(asm.iter_data(0).collect::<Vec<_>>(), [(4, 6)]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TooManyHoles;

impl fmt::Display for TooManyHoles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("too many holes in the assembler")
    }
}

impl core::error::Error for TooManyHoles {}

/// A contiguous range of data `[start, end)`, relative to the front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Contig {
    start: usize,
    end: usize,
}

impl Contig {
    const EMPTY: Contig = Contig { start: 0, end: 0 };
}

/// Tracks which byte ranges after the front (the next byte expected in
/// order, offset 0) have arrived, as at most `N` disjoint, non-adjacent
/// ranges ("contigs") kept in order. Used for TCP's out-of-order
/// reassembly, where the data itself lives in a
/// [`RingBuffer`](super::RingBuffer) written with
/// [`write_unallocated`](super::RingBuffer::write_unallocated), and for the
/// SACK blocks that report it.
///
/// The memory is fixed: `N` pairs of offsets, no allocation. Adding a range
/// that would need an `N + 1`th contig fails and leaves the assembler as it
/// was, so the caller drops that segment (the peer retransmits it).
///
/// # Example
///
/// ```
/// use microps_core::storage::{Assembler, TooManyHoles};
///
/// let mut asm: Assembler<2> = Assembler::new();
/// asm.add(10, 5).unwrap(); // bytes 10..15 arrived first
/// asm.add(20, 5).unwrap(); // then 20..25
/// assert_eq!(asm.add(30, 1), Err(TooManyHoles));
/// assert_eq!(asm.remove_front(), 0); // byte 0 is still missing
/// asm.add(0, 10).unwrap(); // 0..10 joins 10..15
/// assert_eq!(asm.peek_front(), 15);
/// // SACK blocks for what is held, as absolute offsets from 1000.
/// let blocks: Vec<_> = asm.iter_data(1000).collect();
/// assert_eq!(blocks, [(1000, 1015), (1020, 1025)]);
/// assert_eq!(asm.remove_front(), 15);
/// // The rest moved to the new front.
/// assert_eq!(asm.iter_data(0).collect::<Vec<_>>(), [(5, 10)]);
/// ```
#[derive(Clone)]
pub struct Assembler<const N: usize> {
    /// `contigs[..used]` are in order, non-empty, disjoint and non-adjacent.
    contigs: [Contig; N],
    used: usize,
}

impl<const N: usize> Default for Assembler<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> PartialEq for Assembler<N> {
    fn eq(&self, other: &Self) -> bool {
        self.held() == other.held()
    }
}

impl<const N: usize> Eq for Assembler<N> {}

impl<const N: usize> fmt::Debug for Assembler<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.held().iter().map(|c| c.start..c.end))
            .finish()
    }
}

impl<const N: usize> fmt::Display for Assembler<N> {
    /// The ranges held, as `[0..10, 20..30]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, c) in self.held().iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}..{}", c.start, c.end)?;
        }
        f.write_str("]")
    }
}

impl<const N: usize> Assembler<N> {
    /// An assembler holding nothing.
    pub const fn new() -> Self {
        Assembler {
            contigs: [Contig::EMPTY; N],
            used: 0,
        }
    }

    /// Forgets every range.
    pub fn clear(&mut self) {
        self.used = 0;
    }

    /// Whether no range is held.
    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// How many of the `N` contiguous ranges are in use.
    pub fn contigs_used(&self) -> usize {
        self.used
    }

    fn held(&self) -> &[Contig] {
        self.contigs.get(..self.used).unwrap_or(&[])
    }

    /// Records that `size` bytes at `offset` from the front have arrived,
    /// merging them with every range they overlap or touch. Adding data
    /// already held changes nothing; an empty range is ignored. Fails with
    /// [`TooManyHoles`], changing nothing, if the range would need a
    /// contig beyond the `N` available.
    pub fn add(&mut self, offset: usize, size: usize) -> Result<(), TooManyHoles> {
        if size == 0 {
            return Ok(());
        }
        let start = offset;
        let end = offset.saturating_add(size);
        let used = self.used;
        let held = self.held();
        // Contigs `first..last` overlap or touch the new range.
        let first = held.iter().position(|c| c.end >= start).unwrap_or(used);
        let last = held
            .iter()
            .skip(first)
            .position(|c| c.start > end)
            .map_or(used, |p| p + first);
        if first == last {
            // Nothing to merge with: insert a new contig at `first`.
            if used >= N {
                return Err(TooManyHoles);
            }
            self.shift_up(first, used);
            if let Some(slot) = self.contigs.get_mut(first) {
                *slot = Contig { start, end };
                self.used += 1;
            }
            return Ok(());
        }
        let merged_start = held.get(first).map_or(start, |c| cmp::min(c.start, start));
        let merged_end = held.get(last - 1).map_or(end, |c| cmp::max(c.end, end));
        if let Some(slot) = self.contigs.get_mut(first) {
            *slot = Contig {
                start: merged_start,
                end: merged_end,
            };
        }
        // Close the gap left by the contigs merged into `first`.
        let removed = last - first - 1;
        if removed > 0 {
            self.shift_down(first + 1, removed, used);
            self.used -= removed;
        }
        Ok(())
    }

    /// Moves the contigs `from..used` up one place (into `from + 1..=used`).
    /// Indexing is checked, not asserted: no panic path (the contig count
    /// is small).
    fn shift_up(&mut self, from: usize, used: usize) {
        let mut i = used;
        while i > from {
            if let Some(prev) = self.contigs.get(i - 1).copied()
                && let Some(slot) = self.contigs.get_mut(i)
            {
                *slot = prev;
            }
            i -= 1;
        }
    }

    /// Moves the contigs `at + by..used` down `by` places (into `at..`).
    fn shift_down(&mut self, at: usize, by: usize, used: usize) {
        for i in at..used.saturating_sub(by) {
            if let Some(next) = self.contigs.get(i + by).copied()
                && let Some(slot) = self.contigs.get_mut(i)
            {
                *slot = next;
            }
        }
    }

    /// The length of the data held contiguously from the front (offset 0),
    /// or 0 if the first byte has not arrived.
    pub fn peek_front(&self) -> usize {
        match self.held().first() {
            Some(c) if c.start == 0 => c.end,
            _ => 0,
        }
    }

    /// If data is held contiguously from the front, forgets it, moves the
    /// front past it (every other range shifts down by its length) and
    /// returns its length; otherwise returns 0.
    pub fn remove_front(&mut self) -> usize {
        let len = self.peek_front();
        if len == 0 {
            return 0;
        }
        let used = self.used;
        self.shift_down(0, 1, used);
        self.used -= 1;
        for c in self.contigs.iter_mut().take(self.used) {
            c.start = c.start.saturating_sub(len);
            c.end = c.end.saturating_sub(len);
        }
        len
    }

    /// [`add`](Assembler::add)s the range, then
    /// [`remove_front`](Assembler::remove_front)s, returning the length
    /// removed. Unlike the two calls in sequence, in-order data (at offset
    /// 0) that does not reach the first range held needs no free contig, so
    /// with `offset == 0` this never fails: the usual case of a TCP segment
    /// arriving in order while out-of-order data waits.
    pub fn add_then_remove_front(
        &mut self,
        offset: usize,
        size: usize,
    ) -> Result<usize, TooManyHoles> {
        let short_of_first = self.held().first().is_none_or(|c| size < c.start);
        if offset == 0 && size > 0 && short_of_first {
            let used = self.used;
            if let Some(held) = self.contigs.get_mut(..used) {
                for c in held.iter_mut() {
                    c.start = c.start.saturating_sub(size);
                    c.end = c.end.saturating_sub(size);
                }
            }
            return Ok(size);
        }
        self.add(offset, size)?;
        Ok(self.remove_front())
    }

    /// The ranges of data held, in order, as `(start, end)` pairs shifted by
    /// `first_offset` (the absolute position of the front, such as the next
    /// sequence number expected: this yields SACK blocks). Shifts saturate
    /// at `usize::MAX`.
    pub fn iter_data(&self, first_offset: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.held().iter().map(move |c| {
            (
                c.start.saturating_add(first_offset),
                c.end.saturating_add(first_offset),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            if n == 0 {
                0
            } else {
                (self.next() % n as u64) as usize
            }
        }
    }

    fn ranges<const N: usize>(asm: &Assembler<N>) -> Vec<(usize, usize)> {
        asm.iter_data(0).collect()
    }

    /// The maximal runs of `true` in a bitmap, as `(start, end)`.
    fn model_ranges(bits: &[bool]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bits.len() {
            if bits[i] {
                let start = i;
                while i < bits.len() && bits[i] {
                    i += 1;
                }
                out.push((start, i));
            } else {
                i += 1;
            }
        }
        out
    }

    #[test]
    fn empty() {
        let mut asm: Assembler<4> = Assembler::new();
        assert!(asm.is_empty());
        assert_eq!(asm.peek_front(), 0);
        assert_eq!(asm.remove_front(), 0);
        assert_eq!(asm.iter_data(7).count(), 0);
        assert_eq!(asm.add(5, 0), Ok(()));
        assert!(asm.is_empty());
        assert_eq!(alloc::format!("{asm}"), "[]");
    }

    #[test]
    fn in_order() {
        let mut asm: Assembler<1> = Assembler::new();
        asm.add(0, 10).unwrap();
        asm.add(10, 10).unwrap();
        assert_eq!(ranges(&asm), [(0, 20)]);
        assert_eq!(asm.remove_front(), 20);
        assert!(asm.is_empty());
    }

    #[test]
    fn merges_overlapping_adjacent_and_duplicate() {
        let mut asm: Assembler<4> = Assembler::new();
        asm.add(10, 5).unwrap();
        asm.add(20, 5).unwrap();
        asm.add(30, 5).unwrap();
        assert_eq!(ranges(&asm), [(10, 15), (20, 25), (30, 35)]);
        asm.add(20, 5).unwrap(); // duplicate
        asm.add(21, 2).unwrap(); // inside
        assert_eq!(ranges(&asm), [(10, 15), (20, 25), (30, 35)]);
        asm.add(15, 5).unwrap(); // fills a hole exactly: joins both sides
        assert_eq!(ranges(&asm), [(10, 25), (30, 35)]);
        asm.add(5, 40).unwrap(); // covers everything
        assert_eq!(ranges(&asm), [(5, 45)]);
        asm.add(45, 1).unwrap(); // touches the end
        asm.add(4, 1).unwrap(); // touches the start
        assert_eq!(ranges(&asm), [(4, 46)]);
        assert_eq!(asm.contigs_used(), 1);
        assert_eq!(alloc::format!("{asm}"), "[4..46]");
        assert_eq!(alloc::format!("{asm:?}"), "[4..46]");
    }

    #[test]
    fn too_many_holes_changes_nothing() {
        let mut asm: Assembler<2> = Assembler::new();
        asm.add(10, 2).unwrap();
        asm.add(20, 2).unwrap();
        let before = asm.clone();
        assert_eq!(asm.add(0, 2), Err(TooManyHoles));
        assert_eq!(asm.add(15, 2), Err(TooManyHoles));
        assert_eq!(asm.add(30, 2), Err(TooManyHoles));
        assert_eq!(asm, before);
        // Merging needs no new contig.
        asm.add(12, 8).unwrap();
        assert_eq!(ranges(&asm), [(10, 22)]);
        let mut none: Assembler<0> = Assembler::new();
        assert_eq!(none.add(0, 1), Err(TooManyHoles));
        assert_eq!(none.add(0, 0), Ok(()));
        assert_eq!(none.add_then_remove_front(0, 5), Ok(5));
    }

    #[test]
    fn remove_front_shifts() {
        let mut asm: Assembler<3> = Assembler::new();
        asm.add(0, 4).unwrap();
        asm.add(6, 2).unwrap();
        asm.add(10, 1).unwrap();
        assert_eq!(asm.peek_front(), 4);
        assert_eq!(asm.remove_front(), 4);
        assert_eq!(ranges(&asm), [(2, 4), (6, 7)]);
        assert_eq!(
            asm.iter_data(100).collect::<Vec<_>>(),
            [(102, 104), (106, 107)]
        );
        assert_eq!(asm.remove_front(), 0);
    }

    #[test]
    fn add_then_remove_front_needs_no_slot_in_order() {
        let mut asm: Assembler<1> = Assembler::new();
        asm.add(10, 5).unwrap();
        assert_eq!(asm.add_then_remove_front(0, 3), Ok(3));
        assert_eq!(ranges(&asm), [(7, 12)]);
        assert_eq!(asm.add_then_remove_front(3, 1), Err(TooManyHoles));
        assert_eq!(asm.add_then_remove_front(0, 7), Ok(12));
        assert!(asm.is_empty());
        assert_eq!(asm.add_then_remove_front(2, 1), Ok(0));
        assert_eq!(asm.add_then_remove_front(0, 0), Ok(0));
    }

    #[test]
    fn huge_offsets_saturate() {
        let mut asm: Assembler<2> = Assembler::new();
        asm.add(usize::MAX - 1, 10).unwrap();
        assert_eq!(ranges(&asm), [(usize::MAX - 1, usize::MAX)]);
        assert_eq!(asm.iter_data(5).next(), Some((usize::MAX, usize::MAX)));
    }

    fn random_against_bitmap<const N: usize>(seed: u64) {
        const SPAN: usize = 96;
        let mut rng = XorShift(seed);
        let mut asm: Assembler<N> = Assembler::new();
        let mut bits = vec![false; SPAN * 2];
        for _ in 0..4000 {
            match rng.below(10) {
                0 => {
                    let expected = bits.iter().take_while(|b| **b).count();
                    assert_eq!(asm.peek_front(), expected);
                    assert_eq!(asm.remove_front(), expected);
                    bits.drain(..expected);
                    bits.resize(SPAN * 2, false);
                }
                1 => {
                    let size = rng.below(12);
                    let mut after = bits.clone();
                    after[..size].iter_mut().for_each(|b| *b = true);
                    // In-order data never needs a free contig.
                    let n = asm.add_then_remove_front(0, size).unwrap();
                    assert_eq!(n, after.iter().take_while(|b| **b).count());
                    after.drain(..n);
                    after.resize(SPAN * 2, false);
                    bits = after;
                }
                2 if rng.below(20) == 0 => {
                    asm.clear();
                    bits.iter_mut().for_each(|b| *b = false);
                }
                _ => {
                    let offset = rng.below(SPAN - 16);
                    let size = rng.below(16);
                    let mut after = bits.clone();
                    after[offset..offset + size]
                        .iter_mut()
                        .for_each(|b| *b = true);
                    let before = asm.clone();
                    match asm.add(offset, size) {
                        Ok(()) => {
                            assert!(model_ranges(&after).len() <= N);
                            bits = after;
                        }
                        Err(TooManyHoles) => {
                            assert!(model_ranges(&after).len() > N);
                            assert_eq!(asm, before);
                        }
                    }
                }
            }
            let model = model_ranges(&bits);
            assert_eq!(ranges(&asm), model);
            assert_eq!(asm.contigs_used(), model.len());
            assert_eq!(asm.is_empty(), model.is_empty());
            assert!(asm.contigs_used() <= N);
        }
    }

    #[test]
    fn random_adds_match_bitmap_model() {
        for seed in 1..=8u64 {
            let seed = seed.wrapping_mul(0x2545_f491_4f6c_dd1d);
            random_against_bitmap::<1>(seed);
            random_against_bitmap::<2>(seed);
            random_against_bitmap::<3>(seed);
            random_against_bitmap::<4>(seed);
            random_against_bitmap::<8>(seed);
            random_against_bitmap::<32>(seed);
        }
    }

    #[test]
    fn exhaustive_small_pairs() {
        // Every pair of ranges within 0..12 added in both orders equals the
        // bitmap union, with enough contigs.
        for a in 0..12 {
            for la in 0..6 {
                for b in 0..12 {
                    for lb in 0..6 {
                        let mut bits = vec![false; 24];
                        bits[a..a + la].iter_mut().for_each(|x| *x = true);
                        bits[b..b + lb].iter_mut().for_each(|x| *x = true);
                        let model = model_ranges(&bits);
                        let mut one: Assembler<2> = Assembler::new();
                        one.add(a, la).unwrap();
                        one.add(b, lb).unwrap();
                        assert_eq!(ranges(&one), model, "{a}+{la}, {b}+{lb}");
                        let mut two: Assembler<2> = Assembler::new();
                        two.add(b, lb).unwrap();
                        two.add(a, la).unwrap();
                        assert_eq!(one, two);
                        let mut single: Assembler<1> = Assembler::new();
                        single.add(a, la).unwrap();
                        let r = single.add(b, lb);
                        assert_eq!(r.is_ok(), model.len() <= 1);
                    }
                }
            }
        }
    }
}
