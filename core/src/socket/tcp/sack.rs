//! The receiver's side of selective acknowledgments: RFC 2018 SACK blocks
//! for the out-of-order data we hold, and RFC 2883 D-SACK blocks for
//! duplicates.
//!
//! The data held beyond a gap is the assembler's; what this file keeps is
//! which of its ranges were reported most recently (the first byte of the
//! last three out-of-order segments), so that the blocks come in RFC 2018
//! section 4's order: "The first SACK block (i.e., the one immediately
//! following the kind and length fields in the option) MUST specify the
//! contiguous block of data containing the segment which triggered this
//! ACK, unless that segment advanced the Acknowledgment Number field in the
//! header", then "the most recently reported SACK blocks". A block a
//! segment of ours cannot hold beside the timestamps is left out (three fit
//! with them, four without), and so is data beyond the window.

use super::{Flags, TcpSocket};
use crate::wire::SeqNumber;
use crate::wire::tcp::MAX_SACK_BLOCKS;

/// Out-of-order segments remembered for the order of the blocks.
const RECENT: usize = 3;

/// The SACK variables of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SackVars {
    /// The first sequence number of the latest out-of-order segments,
    /// newest first; `recent_len` of them are set.
    pub(crate) recent: [SeqNumber; RECENT],
    pub(crate) recent_len: u8,
    /// The duplicate to report in a D-SACK block (with [`Flags::DSACK`]).
    pub(crate) dup: (SeqNumber, SeqNumber),
}

/// The blocks of one option, in order, `None` after the last.
pub(crate) type SackBlocks = [Option<(SeqNumber, SeqNumber)>; MAX_SACK_BLOCKS];

impl TcpSocket<'_> {
    /// Whether SACK is agreed by both SYNs.
    pub(crate) fn sack_agreed(&self) -> bool {
        self.flags.has(Flags::SACK_OK) && self.state != super::State::SynSent
    }

    /// An out-of-order segment starting at `seq` was taken: its block goes
    /// first in the next ACK.
    pub(crate) fn sack_note(&mut self, seq: SeqNumber) {
        let s = &mut self.sack;
        let n = usize::from(s.recent_len);
        // Newest first; an older mention of the same block is dropped when
        // the blocks are built.
        crate::storage::move_within(&mut s.recent, 0..n.min(RECENT - 1), 1);
        s.recent[0] = seq;
        s.recent_len = (s.recent_len + 1).min(RECENT as u8);
    }

    /// RFC 2883 section 4: a duplicate segment, `[start, end)`, is
    /// reported in the first block of the next ACK: "If the data receiver
    /// receives a segment that is a duplicate ..., the first block of the
    /// SACK option SHOULD be a D-SACK block specifying the sequence numbers
    /// for the duplicate segment". Only with SACK agreed and D-SACK on.
    pub(crate) fn dsack_note(&mut self, dsack_on: bool, start: SeqNumber, end: SeqNumber) {
        if dsack_on && self.sack_agreed() && start < end {
            self.sack.dup = (start, end);
            self.flags.set(Flags::DSACK, true);
            self.pending.set(super::Pending::ACK, true);
        }
    }

    /// Whether the next ACK carries SACK blocks.
    pub(crate) fn sack_owed(&self) -> bool {
        self.sack_agreed() && (self.flags.has(Flags::DSACK) || !self.assembler.is_empty())
    }

    /// The held range `[start, end)` that contains `seq`, if any.
    fn held_range(&self, seq: SeqNumber) -> Option<(SeqNumber, SeqNumber)> {
        if seq < self.rcv.nxt {
            return None;
        }
        let off = seq - self.rcv.nxt;
        self.assembler
            .iter_data(0)
            .find(|&(s, e)| s <= off && off < e)
            .map(|(s, e)| (self.rcv.nxt + s, self.rcv.nxt + e))
    }

    /// The blocks for the next ACK: the D-SACK block, then the blocks of the
    /// latest out-of-order segments, then the other held ranges in
    /// sequence order, as many as there are slots (the emitter keeps those
    /// that fit in the option space).
    pub(crate) fn sack_blocks(&self) -> SackBlocks {
        let mut out: SackBlocks = [None; MAX_SACK_BLOCKS];
        // The D-SACK block may equal the block that holds it (4.1.2), which
        // follows it all the same; the others each appear once.
        let dsack = self.flags.has(Flags::DSACK);
        if dsack {
            out[0] = Some(self.sack.dup);
        }
        let first = usize::from(dsack);
        let mut n = first;
        let mut push = |b: (SeqNumber, SeqNumber), out: &mut SackBlocks| {
            let seen = out.get(first..n).is_some_and(|l| l.contains(&Some(b)));
            if let (false, Some(slot)) = (seen, out.get_mut(n)) {
                *slot = Some(b);
                n += 1;
            }
        };
        let recent = self
            .sack
            .recent
            .get(..usize::from(self.sack.recent_len))
            .unwrap_or(&[]);
        for &seq in recent {
            if let Some(b) = self.held_range(seq) {
                push(b, &mut out);
            }
        }
        for (s, e) in self.assembler.iter_data(0) {
            push((self.rcv.nxt + s, self.rcv.nxt + e), &mut out);
        }
        out
    }

    /// A segment with the blocks left: the D-SACK is reported once.
    pub(crate) fn sack_sent(&mut self) {
        self.flags.set(Flags::DSACK, false);
        if self.assembler.is_empty() {
            self.sack.recent_len = 0;
        }
    }

    /// The option bytes the SACK blocks of the next segment take, beside
    /// timestamps if `ts` (RFC 2018 3: "a SACK option that specifies n
    /// blocks will have a length of 8*n+2 bytes", plus two NOPs).
    pub(crate) fn sack_option_len(&self, ts: bool) -> usize {
        if !self.sack_owed() {
            return 0;
        }
        let held = self.assembler.contigs_used() + usize::from(self.flags.has(Flags::DSACK));
        let fit = if ts { 3 } else { 4 };
        4 + 8 * held.min(fit)
    }
}
