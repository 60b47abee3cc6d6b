//! The sender's SACK scoreboard (RFC 6675 section 3): which bytes beyond
//! SND.UNA the receiver has reported holding, in storage the caller gives
//! each connection.
//!
//! The scoreboard keeps the SACKed ranges, sorted and disjoint, between
//! SND.UNA and SND.MAX. Everything RFC 6675 asks of it follows from them:
//! IsLost (section 4: "DupThresh discontiguous SACKed sequences have
//! arrived above 'SeqNum' or more than (DupThresh - 1) * SMSS bytes with
//! sequence numbers greater than 'SeqNum' have been SACKed"), the pipe
//! (SetPipe), and NextSeg's first lost hole. Every hole between two ranges
//! has the same ranges above it, so a hole is lost or not as a whole, and
//! the lost ones are all those below one point, [`Scoreboard::lost_below`].
//!
//! Each range is 8 bytes ([`SackRange`]). A flight of `n` segments holds at
//! most `n / 2` ranges (every SACKed range has an unSACKed one beside it),
//! so 32 ranges cover a 64 KiB window of 1448-byte segments with room to
//! spare. When the storage is full, a new range is kept only if it is
//! lower than the highest one held, which is then forgotten: the data it
//! covered counts as not SACKed, so the worst a full scoreboard does is
//! resend what the receiver has (never skip what it lacks). SACKed data
//! stays in the send buffer until it is cumulatively acknowledged, since
//! the receiver may renege (RFC 2018 section 8).

use managed::ManagedSlice;

use super::prr::Prr;
use super::rack::Rack;
use super::sentlog::{SentLog, SentSegment};
use crate::wire::SeqNumber;

/// One SACKed range `[start, end)` of a scoreboard's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SackRange {
    pub(crate) start: SeqNumber,
    pub(crate) end: SeqNumber,
}

impl SackRange {
    /// An unused slot, to fill storage with.
    ///
    /// ```
    /// use microps_core::socket::tcp::{SackRange, Scoreboard};
    /// let sb = Scoreboard::new(vec![SackRange::EMPTY; 32]);
    /// assert_eq!(sb.capacity(), 32);
    /// ```
    pub const EMPTY: SackRange = SackRange {
        start: SeqNumber(0),
        end: SeqNumber(0),
    };
}

/// The SACKed ranges of one connection, in storage the caller gives
/// (`TcpSocket::set_scoreboard`). Without storage (the default) the blocks the
/// peer sends are ignored and loss recovery is NewReno's.
#[derive(Debug)]
pub struct Scoreboard<'a> {
    ranges: ManagedSlice<'a, SackRange>,
    len: u16,
    /// RFC 6675's HighRxt, one past: the end of the last retransmission.
    pub(crate) high_rxt: SeqNumber,
    /// When each segment in flight was last sent (RFC 8985's RACK; empty
    /// storage: RACK off).
    pub(crate) sent: SentLog<'a>,
    /// RFC 8985's variables.
    pub(crate) rack: Rack,
    /// RFC 9937's PRR variables for the recovery under way.
    pub(crate) prr: Prr,
    /// After the path MTU fell: the end of the last segment in flight that
    /// no longer fits, up to which SND.UNA's go-back-N resends (Linux's
    /// `tcp_simple_retransmit`); what follows it fits and stays.
    pub(crate) mtu_resend_end: Option<SeqNumber>,
}

impl Default for Scoreboard<'_> {
    fn default() -> Self {
        Scoreboard::new(&mut [][..])
    }
}

/// A scoreboard given by value lives in a `Box` (with `alloc`).
#[cfg(feature = "alloc")]
impl<'a> From<Scoreboard<'a>> for managed::Managed<'a, Scoreboard<'a>> {
    fn from(board: Scoreboard<'a>) -> Self {
        managed::Managed::Owned(alloc::boxed::Box::new(board))
    }
}

/// RFC 6675's DupThresh.
const DUP_THRESH: usize = 3;

impl<'a> Scoreboard<'a> {
    /// A scoreboard over `storage` (its length is the capacity, at most
    /// 65535 ranges).
    pub fn new<S: Into<ManagedSlice<'a, SackRange>>>(storage: S) -> Self {
        Scoreboard {
            ranges: storage.into(),
            len: 0,
            high_rxt: SeqNumber(0),
            sent: SentLog::new(&mut [][..]),
            rack: Rack::default(),
            prr: Prr::default(),
            mtu_resend_end: None,
        }
    }

    /// Adds storage for RFC 8985 RACK-TLP's per-segment send times (12
    /// bytes a segment; [`Scoreboard::segments_for`] says how many a send
    /// buffer needs). Without it, loss recovery is RFC 6675's alone.
    pub fn with_send_times<S: Into<ManagedSlice<'a, SentSegment>>>(mut self, storage: S) -> Self {
        self.sent = SentLog::new(storage);
        self
    }

    /// Whether it has send-time storage (RACK-TLP can run).
    pub fn has_send_times(&self) -> bool {
        self.sent.capacity() > 0
    }

    /// The send-time records a send buffer of `bytes` may need with
    /// segments of `mss`: one a segment, and one for the FIN.
    ///
    /// ```
    /// use microps_core::socket::tcp::Scoreboard;
    /// assert_eq!(Scoreboard::segments_for(64 * 1024, 1448), 47);
    /// ```
    pub const fn segments_for(bytes: usize, mss: usize) -> usize {
        bytes.div_ceil(if mss == 0 { 1 } else { mss }) + 1
    }

    /// The ranges a send buffer of `bytes` may need with segments of
    /// `mss`: one for every two segments in flight, and one more.
    ///
    /// ```
    /// use microps_core::socket::tcp::Scoreboard;
    /// assert_eq!(Scoreboard::ranges_for(64 * 1024, 1448), 24);
    /// ```
    pub const fn ranges_for(bytes: usize, mss: usize) -> usize {
        let segments = bytes.div_ceil(if mss == 0 { 1 } else { mss });
        segments / 2 + 1
    }

    /// How many ranges it can hold.
    pub fn capacity(&self) -> usize {
        self.ranges.len().min(usize::from(u16::MAX))
    }

    /// The ranges held, in order.
    pub(crate) fn held(&self) -> &[SackRange] {
        self.ranges.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Forgets every range (after a retransmission timeout).
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// Forgets everything, for a new connection.
    pub(crate) fn reset(&mut self) {
        self.clear();
        self.high_rxt = SeqNumber(0);
        self.sent.clear();
        self.rack.reset();
        self.prr = Prr::default();
        self.mtu_resend_end = None;
    }

    /// The ranges, the send log and RACK's variables, borrowed apart.
    pub(crate) fn parts(&mut self) -> (&[SackRange], &mut SentLog<'a>, &mut Rack) {
        let n = usize::from(self.len);
        let held = self.ranges.get(..n).unwrap_or(&[]);
        (held, &mut self.sent, &mut self.rack)
    }
}

/// Whether `[start, end)` lies wholly inside one of `ranges`.
pub(crate) fn covers(ranges: &[SackRange], start: SeqNumber, end: SeqNumber) -> bool {
    ranges.iter().any(|r| r.start <= start && end <= r.end)
}

impl<'a> Scoreboard<'a> {
    /// Bytes SACKed.
    pub(crate) fn sacked_bytes(&self) -> usize {
        self.held().iter().map(|r| r.end - r.start).sum()
    }

    /// Whether `seq` is SACKed.
    pub(crate) fn is_sacked(&self, seq: SeqNumber) -> bool {
        self.held().iter().any(|r| r.start <= seq && seq < r.end)
    }

    /// SND.UNA moved to `una`: what is below it is acknowledged.
    pub(crate) fn acknowledge(&mut self, una: SeqNumber) {
        let n = usize::from(self.len);
        let Some(ranges) = self.ranges.get_mut(..n) else {
            return;
        };
        let gone = ranges.iter().take_while(|r| r.end <= una).count();
        crate::storage::move_within(ranges, gone..n, 0);
        self.len = (n - gone) as u16;
        if let Some(first) = self.ranges.first_mut()
            && self.len > 0
            && first.start < una
        {
            first.start = una;
        }
    }

    /// Takes a block `[start, end)` the receiver reported, cut to `[una,
    /// max)`. Returns whether it said anything new.
    pub(crate) fn add(
        &mut self,
        una: SeqNumber,
        max: SeqNumber,
        start: SeqNumber,
        end: SeqNumber,
    ) -> bool {
        let start = start.max(una);
        let end = end.min(max);
        if start >= end || start > max || end < una {
            return false;
        }
        let n = usize::from(self.len);
        let held = self.held();
        // The first range that ends at or after `start` (it may merge),
        // and the first that starts after `end` (it may not).
        let lo = held.iter().take_while(|r| r.end < start).count();
        let hi = lo + held.iter().skip(lo).take_while(|r| r.start <= end).count();
        if hi > lo {
            // Merges with ranges lo..hi into one.
            let (Some(first), Some(last)) = (held.get(lo), held.get(hi - 1)) else {
                return false;
            };
            let merged = SackRange {
                start: first.start.min(start),
                end: last.end.max(end),
            };
            if hi - lo == 1 && merged == *first {
                return false;
            }
            let Some(ranges) = self.ranges.get_mut(..n) else {
                return false;
            };
            if let Some(slot) = ranges.get_mut(lo) {
                *slot = merged;
            }
            crate::storage::move_within(ranges, hi..n, lo + 1);
            self.len = (n - (hi - lo - 1)) as u16;
            return true;
        }
        // A new range at `lo`: room is made by forgetting the highest one,
        // unless the new one would be the highest.
        let cap = self.capacity();
        if cap == 0 || (n == cap && lo == n) {
            return false;
        }
        let keep = n.min(cap - 1);
        let Some(ranges) = self.ranges.get_mut(..keep + 1) else {
            return false;
        };
        crate::storage::move_within(ranges, lo..keep, lo + 1);
        if let Some(slot) = ranges.get_mut(lo) {
            *slot = SackRange { start, end };
        }
        self.len = (keep + 1) as u16;
        true
    }

    /// The point below which every unSACKed byte is lost (IsLost): the
    /// start of the highest range with DupThresh ranges, or more than
    /// (DupThresh - 1) * SMSS bytes, at or above it. `None`: nothing lost.
    pub(crate) fn lost_below(&self, smss: usize) -> Option<SeqNumber> {
        let mut bytes = 0usize;
        for (count, r) in self.held().iter().rev().enumerate() {
            bytes = bytes.saturating_add(r.end - r.start);
            if count + 1 >= DUP_THRESH || bytes > (DUP_THRESH - 1) * smss {
                return Some(r.start);
            }
        }
        None
    }

    /// The holes (unSACKed runs) of `[una, max)`, in order: before each
    /// range, and after the last.
    pub(crate) fn holes(
        &self,
        una: SeqNumber,
        max: SeqNumber,
    ) -> impl Iterator<Item = (SeqNumber, SeqNumber)> + '_ {
        let held = self.held();
        let ends = core::iter::once(una).chain(held.iter().map(|r| r.end));
        let starts = held.iter().map(|r| r.start).chain(core::iter::once(max));
        ends.zip(starts).filter(|(s, e)| s < e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb(cap: usize) -> Scoreboard<'static> {
        Scoreboard::new(alloc::vec![SackRange::EMPTY; cap])
    }

    fn ranges(s: &Scoreboard<'_>) -> alloc::vec::Vec<(u32, u32)> {
        s.held().iter().map(|r| (r.start.0, r.end.0)).collect()
    }

    const UNA: SeqNumber = SeqNumber(1000);
    const MAX: SeqNumber = SeqNumber(10_000);

    /// A peer's SACK blocks that are empty (left equal to right), reversed
    /// (left after right), wholly outside the flight, or across the 2^32
    /// wrap: the first three teach nothing and change nothing; the last is
    /// taken.
    #[test]
    fn empty_reversed_and_outside_blocks_change_nothing() {
        let mut s = sb(4);
        assert!(s.add(UNA, MAX, SeqNumber(3000), SeqNumber(4000)));
        for (l, r) in [(5000, 5000), (6000, 5000), (100, 900), (20_000, 30_000)] {
            assert!(!s.add(UNA, MAX, SeqNumber(l), SeqNumber(r)), "[{l}, {r})");
        }
        assert_eq!(ranges(&s), [(3000, 4000)]);
        let una = SeqNumber(u32::MAX - 1000);
        let max = una + 5000;
        let mut w = sb(4);
        assert!(w.add(una, max, una + 500, una + 2000));
        assert_eq!(ranges(&w), [((una + 500).0, (una + 2000).0)]);
        w.acknowledge(una + 1500);
        assert_eq!(ranges(&w), [((una + 1500).0, (una + 2000).0)]);
    }

    #[test]
    fn blocks_merge_in_order_and_are_cut_to_the_flight() {
        let mut s = sb(4);
        assert!(s.add(UNA, MAX, SeqNumber(3000), SeqNumber(4000)));
        assert!(s.add(UNA, MAX, SeqNumber(5000), SeqNumber(6000)));
        assert!(s.add(UNA, MAX, SeqNumber(2000), SeqNumber(2500)));
        assert_eq!(ranges(&s), [(2000, 2500), (3000, 4000), (5000, 6000)]);
        assert!(
            !s.add(UNA, MAX, SeqNumber(3000), SeqNumber(3500)),
            "nothing new"
        );
        // Joins two; adjacent counts as joined.
        assert!(s.add(UNA, MAX, SeqNumber(4000), SeqNumber(5000)));
        assert_eq!(ranges(&s), [(2000, 2500), (3000, 6000)]);
        // Cut to [SND.UNA, SND.MAX); a D-SACK below SND.UNA adds nothing.
        assert!(s.add(UNA, MAX, SeqNumber(9000), SeqNumber(12_000)));
        assert!(!s.add(UNA, MAX, SeqNumber(100), SeqNumber(900)));
        assert_eq!(ranges(&s), [(2000, 2500), (3000, 6000), (9000, 10_000)]);
        assert_eq!(s.sacked_bytes(), 500 + 3000 + 1000);
        assert!(s.is_sacked(SeqNumber(3000)) && !s.is_sacked(SeqNumber(6000)));
        let holes: alloc::vec::Vec<_> = s.holes(UNA, MAX).map(|(a, b)| (a.0, b.0)).collect();
        assert_eq!(holes, [(1000, 2000), (2500, 3000), (6000, 9000)]);
    }

    #[test]
    fn the_cumulative_ack_removes_and_cuts() {
        let mut s = sb(4);
        s.add(UNA, MAX, SeqNumber(2000), SeqNumber(3000));
        s.add(UNA, MAX, SeqNumber(4000), SeqNumber(5000));
        s.acknowledge(SeqNumber(2500));
        assert_eq!(ranges(&s), [(2500, 3000), (4000, 5000)]);
        s.acknowledge(SeqNumber(4500));
        assert_eq!(ranges(&s), [(4500, 5000)]);
        s.acknowledge(SeqNumber(5000));
        assert_eq!(ranges(&s), []);
    }

    #[test]
    fn a_full_scoreboard_forgets_the_highest_range_for_a_lower_one() {
        let mut s = sb(2);
        s.add(UNA, MAX, SeqNumber(3000), SeqNumber(3100));
        s.add(UNA, MAX, SeqNumber(5000), SeqNumber(5100));
        assert!(
            !s.add(UNA, MAX, SeqNumber(7000), SeqNumber(7100)),
            "higher: dropped"
        );
        assert!(s.add(UNA, MAX, SeqNumber(2000), SeqNumber(2100)));
        assert_eq!(ranges(&s), [(2000, 2100), (3000, 3100)]);
        // No storage: nothing is kept.
        let mut none = Scoreboard::default();
        assert!(!none.add(UNA, MAX, SeqNumber(2000), SeqNumber(2100)));
    }

    #[test]
    fn rfc6675_4_is_lost_with_three_ranges_or_more_than_two_segments_above() {
        let mss = 1000;
        let mut s = sb(8);
        s.add(UNA, MAX, SeqNumber(2000), SeqNumber(3000));
        s.add(UNA, MAX, SeqNumber(4000), SeqNumber(5000));
        assert_eq!(s.lost_below(mss), None, "two ranges, 2000 bytes: not yet");
        s.add(UNA, MAX, SeqNumber(6000), SeqNumber(6001));
        // Three discontiguous ranges above 1000..2000: lost.
        assert_eq!(s.lost_below(mss), Some(SeqNumber(2000)));
        let mut s = sb(8);
        s.add(UNA, MAX, SeqNumber(2000), SeqNumber(4001));
        assert_eq!(s.lost_below(mss), Some(SeqNumber(2000)), "more than 2 SMSS");
    }
}
