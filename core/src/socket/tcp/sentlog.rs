//! When each segment in flight was last sent: the per-segment state RFC
//! 8985's RACK needs ("Segment.xmit_ts", "Segment.retransmitted",
//! "Segment.lost"), in storage the caller gives each connection.
//!
//! The log is a ring of [`SentSegment`]s in sequence order, one per data
//! segment sent, 12 bytes each. A record keeps only its end: it starts
//! where the one before it ends, the first at SND.UNA, so the records
//! cover the flight without gaps. A retransmission updates the records it
//! overlaps (their time, and "retransmitted"); the cumulative ACK removes
//! the records it covers; a record wholly inside a SACKed range is marked
//! SACKed.
//!
//! When the ring is full, a new segment is added to the last record, whose
//! send time becomes the new segment's: the older bytes then look as
//! recent as the newest, so RACK judges them later than it could, never
//! earlier. A send buffer of `n` bytes needs
//! [`Scoreboard::segments_for`](super::Scoreboard::segments_for) records.

use managed::ManagedSlice;

use crate::wire::SeqNumber;

/// One segment of a connection's send log: where it ends and when it was
/// last sent, for RACK-TLP (`Scoreboard::with_send_times` gives the
/// storage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SentSegment {
    pub(crate) end: SeqNumber,
    /// When it was last sent: the low 32 bits of the clock in microseconds.
    pub(crate) sent_us: u32,
    pub(crate) flags: u8,
}

impl SentSegment {
    /// An unused slot, to fill storage with.
    ///
    /// ```
    /// use microps_core::socket::tcp::{SackRange, Scoreboard, SentSegment};
    /// let sb = Scoreboard::new(vec![SackRange::EMPTY; 32])
    ///     .with_send_times(vec![SentSegment::EMPTY; 64]);
    /// assert!(sb.has_send_times());
    /// ```
    pub const EMPTY: SentSegment = SentSegment {
        end: SeqNumber(0),
        sent_us: 0,
        flags: 0,
    };

    /// Every byte of it is SACKed.
    pub(crate) const SACKED: u8 = 1;
    /// Lost (by RACK or RFC 6675's IsLost) and not sent again since.
    pub(crate) const LOST: u8 = 2;
    /// Sent more than once.
    pub(crate) const RETRANS: u8 = 4;

    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// The ring of a connection's [`SentSegment`]s.
#[derive(Debug)]
pub(crate) struct SentLog<'a> {
    slots: ManagedSlice<'a, SentSegment>,
    head: u16,
    len: u16,
    /// Records marked SACKed (RACK's "segs_sacked").
    pub(crate) sacked: u16,
}

impl<'a> SentLog<'a> {
    pub(crate) fn new<S: Into<ManagedSlice<'a, SentSegment>>>(storage: S) -> Self {
        SentLog {
            slots: storage.into(),
            head: 0,
            len: 0,
            sacked: 0,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.slots.len().min(usize::from(u16::MAX))
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    fn slot(&self, i: usize) -> usize {
        let cap = self.capacity().max(1);
        (usize::from(self.head) + i) % cap
    }

    pub(crate) fn get(&self, i: usize) -> Option<&SentSegment> {
        if i >= self.len() {
            return None;
        }
        self.slots.get(self.slot(i))
    }

    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut SentSegment> {
        if i >= self.len() {
            return None;
        }
        let at = self.slot(i);
        self.slots.get_mut(at)
    }

    /// Forgets every record.
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.sacked = 0;
    }

    /// Forgets what SACK and loss detection said (after a retransmission
    /// timeout: RFC 6675 5.1), keeping the send times.
    pub(crate) fn clear_marks(&mut self) {
        for i in 0..self.len() {
            if let Some(r) = self.get_mut(i) {
                r.flags &= !(SentSegment::SACKED | SentSegment::LOST);
            }
        }
        self.sacked = 0;
    }

    /// The end of the last record.
    pub(crate) fn last_end(&self) -> Option<SeqNumber> {
        self.get(self.len().checked_sub(1)?).map(|r| r.end)
    }

    /// New data up to `end` left at `now_us`.
    pub(crate) fn push(&mut self, end: SeqNumber, now_us: u32) {
        let cap = self.capacity();
        if cap == 0 {
            return;
        }
        if self.len() < cap {
            let at = self.slot(self.len());
            if let Some(slot) = self.slots.get_mut(at) {
                *slot = SentSegment {
                    end,
                    sent_us: now_us,
                    flags: 0,
                };
                self.len += 1;
            }
            return;
        }
        // Full: the last record grows (see the module docs).
        let last = self.len() - 1;
        let was_sacked = self.get(last).is_some_and(|r| r.has(SentSegment::SACKED));
        if let Some(r) = self.get_mut(last) {
            r.end = end;
            r.sent_us = now_us;
            r.flags &= SentSegment::RETRANS;
        }
        if was_sacked {
            self.sacked = self.sacked.saturating_sub(1);
        }
    }

    /// Removes the records the cumulative ACK `una` covers, and calls
    /// `delivered` with each that was not already SACKed.
    pub(crate) fn acknowledge(&mut self, una: SeqNumber, mut delivered: impl FnMut(&SentSegment)) {
        while let Some(first) = self.get(0).copied() {
            if first.end > una {
                break;
            }
            if first.has(SentSegment::SACKED) {
                self.sacked = self.sacked.saturating_sub(1);
            } else {
                delivered(&first);
            }
            let cap = self.capacity().max(1);
            self.head = ((usize::from(self.head) + 1) % cap) as u16;
            self.len -= 1;
        }
        if self.len == 0 {
            self.head = 0;
        }
    }

    /// `[start, end)` was sent again at `now_us`: every record it overlaps
    /// is retransmitted and no longer lost.
    pub(crate) fn retransmitted(
        &mut self,
        una: SeqNumber,
        start: SeqNumber,
        end: SeqNumber,
        now_us: u32,
    ) {
        let mut from = una;
        for i in 0..self.len() {
            let Some(r) = self.get_mut(i) else {
                return;
            };
            let (s, e) = (from, r.end);
            from = e;
            if s >= end {
                return;
            }
            if e > start {
                r.sent_us = now_us;
                r.flags = (r.flags | SentSegment::RETRANS) & !SentSegment::LOST;
            }
        }
    }

    /// The records with where each starts, in order.
    pub(crate) fn iter(
        &self,
        una: SeqNumber,
    ) -> impl Iterator<Item = (SeqNumber, SentSegment)> + '_ {
        let mut from = una;
        (0..self.len()).filter_map(move |i| {
            let r = *self.get(i)?;
            let s = from;
            from = r.end;
            Some((s, r))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(cap: usize) -> SentLog<'static> {
        SentLog::new(alloc::vec![SentSegment::EMPTY; cap])
    }

    fn ends(l: &SentLog<'_>, una: u32) -> alloc::vec::Vec<(u32, u32, u32)> {
        l.iter(SeqNumber(una))
            .map(|(s, r)| (s.0, r.end.0, r.sent_us))
            .collect()
    }

    #[test]
    fn records_cover_the_flight_and_leave_with_the_ack() {
        let mut l = log(4);
        l.push(SeqNumber(1100), 10);
        l.push(SeqNumber(1200), 20);
        l.push(SeqNumber(1300), 30);
        assert_eq!(
            ends(&l, 1000),
            [(1000, 1100, 10), (1100, 1200, 20), (1200, 1300, 30)]
        );
        let mut got = alloc::vec::Vec::new();
        l.acknowledge(SeqNumber(1150), |r| got.push(r.end.0));
        assert_eq!(got, [1100], "a record leaves when wholly acknowledged");
        // Partly acknowledged: it starts at SND.UNA.
        assert_eq!(ends(&l, 1150), [(1150, 1200, 20), (1200, 1300, 30)]);
        // The ring wraps.
        l.push(SeqNumber(1400), 40);
        l.push(SeqNumber(1500), 50);
        l.push(SeqNumber(1600), 60);
        assert_eq!(l.len(), 4);
        assert_eq!(
            ends(&l, 1150).last(),
            Some(&(1400, 1600, 60)),
            "full: the last record grows and takes the newest time"
        );
    }

    #[test]
    fn a_retransmission_retimes_what_it_overlaps() {
        let mut l = log(8);
        for (i, end) in [1100u32, 1200, 1300].into_iter().enumerate() {
            l.push(SeqNumber(end), 10 * (i as u32 + 1));
        }
        if let Some(r) = l.get_mut(1) {
            r.flags |= SentSegment::LOST;
        }
        l.retransmitted(SeqNumber(1000), SeqNumber(1100), SeqNumber(1200), 99);
        let r = l.get(1).copied().unwrap_or_default();
        assert_eq!(r.sent_us, 99);
        assert!(r.has(SentSegment::RETRANS) && !r.has(SentSegment::LOST));
        assert_eq!(l.get(0).map(|r| r.sent_us), Some(10), "not overlapped");
        assert_eq!(l.get(2).map(|r| r.sent_us), Some(30), "not overlapped");
    }

    #[test]
    fn no_storage_records_nothing() {
        let mut l = log(0);
        l.push(SeqNumber(1100), 10);
        assert_eq!(l.len(), 0);
        assert_eq!(l.last_end(), None);
    }
}
