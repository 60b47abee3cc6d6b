//! RFC 6675 loss recovery: the sender's use of the SACK blocks it receives.
//!
//! With SACK agreed and a [`Scoreboard`](super::Scoreboard) given, every
//! ACK's blocks go into the scoreboard (`take_sack_blocks`), recovery starts
//! on the third duplicate ACK or as soon as the first unacknowledged byte
//! IsLost (section 5, step (3)), and while it lasts the sender sends
//! "while (cwnd - pipe) >= 1 SMSS" what NextSeg chooses (`next_segment`):
//! "(1) ... the smallest unSACKed sequence number 'S2' that meets the
//! following three criteria for determining loss ... (1.a) S2 is greater
//! than HighRxt. (1.b) S2 is less than the highest octet covered by any
//! received SACK. (1.c) IsLost (S2) returns true"; "(2) If no sequence
//! number 'S2' per rule (1) exists but there exists available unsent data
//! and the receiver's advertised window allows, the sequence range of one
//! segment of up to SMSS octets of previously unsent data starting with
//! sequence number HighData+1 MUST be returned"; "(3) If the conditions for
//! rules (1) and (2) fail, but there exists an unSACKed sequence number
//! 'S3' that meets the criteria for detecting loss given in steps (1.a) and
//! (1.b) above (specifically excluding step (1.c)), then one segment of up
//! to SMSS octets starting with S3 SHOULD be returned." Rule (4), the
//! rescue retransmission, is not done. SACKed data is never sent again
//! during recovery; "RecoveryPoint = HighData" is the controller's
//! `recover`, and no new recovery starts until the ACK passes it.
//!
//! After a retransmission timeout the scoreboard is cleared (section 5.1:
//! "the data sender SHOULD ... ignore all SACK information" when choosing
//! what to resend; Linux keeps the marks unless it detects reneging). We
//! follow the RFC: after a timeout the receiver may have reneged, and
//! go-back-N from SND.UNA resends what the scoreboard would have skipped;
//! the next ACKs rebuild it.

use super::{Scoreboard, TcpSocket};
use crate::wire::{SeqNumber, TcpRepr};

impl<'a> TcpSocket<'a> {
    /// The scoreboard, if the caller gave one.
    pub(crate) fn board(&self) -> Option<&Scoreboard<'a>> {
        self.scoreboard.as_deref()
    }

    /// Whether RFC 6675 recovery applies: SACK agreed and a scoreboard to
    /// keep the blocks in.
    pub(crate) fn sack_sender(&self) -> bool {
        cfg!(feature = "tcp-sack-recovery")
            && self.sack_agreed()
            && self.board().is_some_and(|b| b.capacity() > 0)
    }

    /// Whether the connection is in SACK-based loss recovery.
    pub(crate) fn in_sack_recovery(&self) -> bool {
        self.cc.in_recovery() && self.sack_sender()
    }

    /// An acceptable ACK's SACK blocks go into the scoreboard (a D-SACK
    /// block below SND.UNA or inside what is SACKed adds nothing); what the
    /// cumulative ACK covers leaves it. Returns whether any block said
    /// something new.
    pub(crate) fn take_sack_blocks(&mut self, seg: &TcpRepr<'_>) -> bool {
        if !self.sack_sender() {
            return false;
        }
        let una = self.snd.una.max(seg.ack_number.min(self.snd.max));
        let max = self.snd.max;
        let Some(board) = self.scoreboard.as_deref_mut() else {
            return false;
        };
        board.acknowledge(una);
        let mut news = false;
        for (start, end) in seg.options.sack_iter() {
            news |= board.add(una, max, start, end);
        }
        news
    }

    /// IsLost(SND.UNA): the first unacknowledged byte is lost by the
    /// scoreboard, whatever the duplicate ACKs counted.
    pub(crate) fn una_is_lost(&self) -> bool {
        let una = self.snd.una;
        self.sack_sender()
            && self.board().is_some_and(|b| {
                b.lost_below(self.mss())
                    .is_some_and(|l| una < l && !b.is_sacked(una))
            })
    }

    /// RFC 6675's HighRxt, at least SND.UNA.
    pub(crate) fn high_rxt(&self) -> SeqNumber {
        self.board()
            .map_or(self.snd.una, |b| b.high_rxt.max(self.snd.una))
    }

    /// SetPipe: "the sender's estimate of the number of octets still in
    /// the network". For each unSACKed byte of the flight: counted once if
    /// it is not lost, and once more if it was retransmitted (below
    /// HighRxt).
    pub(crate) fn pipe(&self) -> usize {
        if self.rack_active() {
            return self.rack_pipe();
        }
        let Some(board) = self.board() else {
            return self.snd.max - self.snd.una;
        };
        let lost = board.lost_below(self.mss());
        let high_rxt = self.high_rxt();
        board
            .holes(self.snd.una, self.snd.max)
            .map(|(s, e)| {
                let original = if lost.is_some_and(|l| e <= l) {
                    0
                } else {
                    e - s
                };
                let resent = if high_rxt > s { high_rxt.min(e) - s } else { 0 };
                original + resent
            })
            .sum()
    }

    /// NextSeg's rules (1) and (3): where the next retransmission starts
    /// and how long it may be (the FIN counts as a byte here), if any. Rule
    /// (3) only when there is no new data to send.
    pub(crate) fn next_segment(&self, new_data: bool) -> Option<(SeqNumber, usize)> {
        if self.rack_active() {
            // With RACK, what is marked lost (by RACK or IsLost), first;
            // rule (3) is TLP's work.
            return self.first_lost();
        }
        let board = self.board()?;
        let from = self.high_rxt();
        let lost = board.lost_below(self.mss());
        let mut rule3 = None;
        for (s, e) in board.holes(self.snd.una, self.snd.max) {
            if e <= from {
                continue;
            }
            let s = s.max(from);
            if lost.is_some_and(|l| e <= l) {
                return Some((s, e - s));
            }
            if rule3.is_none() && !new_data {
                rule3 = Some((s, e - s));
            }
        }
        rule3
    }

    /// The end of the first hole from SND.UNA (SND.MAX without one).
    pub(crate) fn first_hole_end(&self) -> SeqNumber {
        self.board()
            .and_then(|b| b.holes(self.snd.una, self.snd.max).next())
            .map_or(self.snd.max, |(_, e)| e)
    }

    /// A retransmission ends at `end`: HighRxt moves.
    pub(crate) fn retransmitted_up_to(&mut self, end: SeqNumber) {
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.high_rxt = board.high_rxt.max(end);
        }
    }

    /// Fast retransmit from SND.UNA: HighRxt starts there.
    pub(crate) fn reset_high_rxt(&mut self) {
        let una = self.snd.una;
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.high_rxt = una;
        }
    }

    /// Recovery ends or a timeout forgets the blocks: what RFC 6675 5.1
    /// asks after a retransmission timeout.
    pub(crate) fn forget_sack_blocks(&mut self) {
        let una = self.snd.una;
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.clear();
            board.high_rxt = una;
        }
        self.clear_mtu_resend();
    }
}
