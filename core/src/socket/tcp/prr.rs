//! RFC 9937 Proportional Rate Reduction (which obsoletes RFC 6937): how
//! much SACK loss recovery may send on each ACK.
//!
//! RFC 6675 alone sets cwnd to ssthresh when recovery begins and sends
//! nothing until the pipe falls below it: with half the flight lost in a
//! burst it then sends a burst, and with more than half lost it sends
//! nothing for a round trip. PRR spreads the reduction over the round trip
//! instead: while the pipe is above ssthresh, what is sent is in proportion
//! to what is delivered (ssthresh / RecoverFS of it); below, it sends what
//! was delivered (the conservative reduction bound, PRR-CRB), and one
//! segment more on an ACK that advances SND.UNA without showing a new loss
//! (a "SafeACK": the slow start reduction bound, PRR-SSRB), up to
//! ssthresh. At the end of recovery cwnd is ssthresh. Linux does the same.
//!
//! The algorithm of RFC 9937 section 4, in bytes:
//!
//! ```text
//! On entering recovery:  prr_delivered = 0, prr_out = 0,
//!     RecoverFS = snd.nxt - snd.una, less the bytes SACKed before the
//!     ACK that starts recovery (they will not be delivered during it)
//! On every ACK starting or during recovery:
//!     DeliveredData = change_in(SND.UNA) + change_in(SACKed)
//!     if DeliveredData is 0: nothing changes
//!     prr_delivered += DeliveredData
//!     if pipe > ssthresh:
//!         SndCnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out
//!     else:
//!         SndCnt = MAX(prr_delivered - prr_out, DeliveredData)
//!         if SafeACK: SndCnt += SMSS
//!         SndCnt = MIN(ssthresh - pipe, SndCnt)
//!     if prr_out is 0 and SndCnt is 0: SndCnt = SMSS (the fast retransmit)
//!     cwnd = pipe + SndCnt
//! On any data transmission or retransmission: prr_out += data sent
//! On exiting recovery: cwnd = ssthresh
//! ```
//!
//! Recovery without SACK stays RFC 6582's (its window inflation is what
//! counts the segments that left). The state (12 bytes) lives in the
//! caller's [`Scoreboard`](super::Scoreboard), beside the SACK ranges it
//! works from, not in the socket.

use super::TcpSocket;

/// RFC 9937's variables for one recovery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Prr {
    /// prr_delivered: bytes delivered to the receiver since recovery began.
    delivered: u32,
    /// prr_out: bytes sent since recovery began.
    out: u32,
    /// RecoverFS: the flight when recovery began, less what was SACKed
    /// before it.
    recover_fs: u32,
}

/// What one ACK during recovery delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// DeliveredData, in bytes.
    pub(crate) bytes: u32,
    /// SafeACK: SND.UNA advanced and no further loss was indicated.
    pub(crate) safe: bool,
}

impl Prr {
    /// "On entering recovery", with `outstanding` bytes in flight and not
    /// SACKed after the ACK that starts it (whose own deliveries the first
    /// [`Prr::on_ack`] adds back: they were in flight before it).
    pub(crate) fn start(outstanding: u32) -> Self {
        Prr {
            delivered: 0,
            out: 0,
            recover_fs: outstanding,
        }
    }

    /// "On any data transmission or retransmission".
    pub(crate) fn sent(&mut self, bytes: u32) {
        self.out = self.out.saturating_add(bytes);
    }

    /// "On every ACK starting or during recovery": SndCnt, the bytes that
    /// may be sent now (the caller sets cwnd to pipe + SndCnt), or `None`
    /// when the ACK delivered nothing and cwnd stays.
    pub(crate) fn on_ack(
        &mut self,
        d: Delivery,
        pipe: u32,
        ssthresh: u32,
        mss: u32,
    ) -> Option<u32> {
        if d.bytes == 0 && self.out > 0 {
            return None;
        }
        if self.delivered == 0 {
            // The ACK that started recovery: what it delivered was in
            // flight, unSACKed, before it.
            self.recover_fs = self.recover_fs.saturating_add(d.bytes);
        }
        self.delivered = self.delivered.saturating_add(d.bytes);
        let sndcnt = if pipe > ssthresh {
            // Proportional: in 64 bits, both factors may be near 2^32. A
            // RecoverFS below ssthresh (the pipe can only pass ssthresh then
            // if its estimate jumped, as when a full scoreboard forgets a
            // range) counts as ssthresh: never more out than in.
            let recover_fs = self.recover_fs.max(ssthresh).max(1);
            let target =
                (u64::from(self.delivered) * u64::from(ssthresh)).div_ceil(u64::from(recover_fs));
            let target = u32::try_from(target).unwrap_or(u32::MAX);
            target.saturating_sub(self.out)
        } else {
            // PRR-CRB, and PRR-SSRB on a SafeACK.
            let mut n = self.delivered.saturating_sub(self.out).max(d.bytes);
            if d.safe {
                n = n.saturating_add(mss);
            }
            (ssthresh - pipe).min(n)
        };
        Some(if self.out == 0 && sndcnt == 0 {
            mss
        } else {
            sndcnt
        })
    }
}

impl TcpSocket<'_> {
    /// Bytes the scoreboard holds SACKed (for DeliveredData).
    pub(crate) fn sacked_now(&self) -> u32 {
        self.board().map_or(0, |b| b.sacked_bytes() as u32)
    }

    /// Recovery began (called after HighRxt is reset): with SACK, PRR
    /// starts from the flight less what is SACKed.
    pub(crate) fn prr_start(&mut self) {
        if !self.in_sack_recovery() {
            return;
        }
        let flight = (self.snd.max - self.snd.una) as u32;
        let outstanding = flight.saturating_sub(self.sacked_now());
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.prr = Prr::start(outstanding);
        }
    }

    /// `bytes` of data left during SACK recovery.
    pub(crate) fn prr_sent(&mut self, bytes: usize) {
        if !self.in_sack_recovery() {
            return;
        }
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.prr.sent(bytes as u32);
        }
    }

    /// An ACK (or RACK's reordering timer, delivering nothing) during SACK
    /// recovery: cwnd becomes pipe + SndCnt. `pipe_before` is the pipe
    /// before the ACK was taken, if recovery was under way then: a pipe
    /// that fell by more than what was delivered means that the ACK showed
    /// a new loss.
    pub(crate) fn prr_update(
        &mut self,
        delivered: u32,
        una_advanced: bool,
        pipe_before: Option<u32>,
    ) {
        if !self.in_sack_recovery() {
            return;
        }
        let pipe = self.pipe() as u32;
        let newly_lost = pipe_before.is_none_or(|p| p.saturating_sub(delivered) > pipe);
        let d = Delivery {
            bytes: delivered,
            safe: una_advanced && !newly_lost,
        };
        let ssthresh = self.cc.ssthresh;
        let mss = u32::from(self.snd_mss);
        let Some(board) = self.scoreboard.as_deref_mut() else {
            return;
        };
        if let Some(sndcnt) = board.prr.on_ack(d, pipe, ssthresh, mss) {
            self.cc.cwnd = pipe.saturating_add(sndcnt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    fn dup(bytes: u32) -> Delivery {
        Delivery { bytes, safe: false }
    }

    /// One loss in a flight of 20, ssthresh 10 (half): recovery begins on
    /// the third duplicate ACK, when three segments are SACKed and one is
    /// lost, so RecoverFS is 18 (the flight less the two SACKed before that
    /// ACK). On that ACK and the 16 that follow, PRR sends one segment for
    /// about every two delivered, from the first (the fast retransmit,
    /// which RFC 6675 (4.3) sends whatever the window), where RFC 6675
    /// alone would wait until the pipe fell below ssthresh; and the pipe
    /// ends at ssthresh.
    #[test]
    fn rfc9937_one_loss_sends_in_proportion_from_the_first_ack() {
        let mut prr = Prr::start(17 * MSS);
        let ssthresh = 10 * MSS;
        let mut pipe = 16 * MSS;
        let mut sends = [0u32; 17];
        for (i, slot) in sends.iter_mut().enumerate() {
            // The ACK delivers one segment (the entering one was counted in
            // the pipe already).
            if i > 0 {
                pipe -= MSS;
            }
            let sndcnt = prr.on_ack(dup(MSS), pipe, ssthresh, MSS).unwrap();
            let mut n = sndcnt / MSS;
            if prr.out == 0 {
                n = n.max(1);
            }
            prr.sent(n * MSS);
            pipe += n * MSS;
            *slot = n;
        }
        assert_eq!(sends[0], 1, "the fast retransmit");
        assert!(sends.iter().all(|&n| n <= 1), "no burst: {sends:?}");
        assert!(
            sends[..7].iter().sum::<u32>() >= 3,
            "from the start: {sends:?}"
        );
        assert_eq!(sends.iter().sum::<u32>(), 10, "ssthresh worth: {sends:?}");
        assert_eq!(pipe, 10 * MSS, "the pipe ends at ssthresh");
    }

    /// Proportional while the pipe is above ssthresh: never more than
    /// CEIL(prr_delivered * ssthresh / RecoverFS) in total; in bytes, so a
    /// part of a segment waits for the next ACK.
    #[test]
    fn rfc9937_proportional_above_ssthresh() {
        // RecoverFS 10 segments: 9 outstanding after the first ACK, and
        // the one it delivered.
        let mut prr = Prr::start(9 * MSS);
        // Delivered 1 of 10, ssthresh 5: half a segment, and nothing sent
        // yet: it may go (the sender sends whole segments, so the fast
        // retransmit is RFC 6675's).
        assert_eq!(prr.on_ack(dup(MSS), 8 * MSS, 5 * MSS, MSS), Some(MSS / 2));
        prr.sent(MSS);
        // Delivered 2: 1 in total, sent.
        assert_eq!(prr.on_ack(dup(MSS), 7 * MSS, 5 * MSS, MSS), Some(0));
        // Delivered 3: 1.5 in total.
        assert_eq!(prr.on_ack(dup(MSS), 6 * MSS, 5 * MSS, MSS), Some(MSS / 2));
        // Delivered 4: 2, one more.
        assert_eq!(prr.on_ack(dup(MSS), 6 * MSS, 5 * MSS, MSS), Some(MSS));
    }

    /// With the pipe below ssthresh (a burst of losses): what was delivered
    /// (PRR-CRB), and a segment more on a SafeACK (PRR-SSRB), up to
    /// ssthresh.
    #[test]
    fn rfc9937_crb_and_ssrb_below_ssthresh() {
        let mut prr = Prr::start(16 * MSS);
        prr.sent(MSS);
        // Half the flight lost: pipe 4 segments, ssthresh 10. A duplicate.
        assert_eq!(prr.on_ack(dup(MSS), 4 * MSS, 10 * MSS, MSS), Some(MSS));
        prr.sent(MSS);
        // A SafeACK delivering two: MAX(0, 2) + 1 segments.
        let safe = Delivery {
            bytes: 2 * MSS,
            safe: true,
        };
        assert_eq!(prr.on_ack(safe, 5 * MSS, 10 * MSS, MSS), Some(3 * MSS));
        prr.sent(3 * MSS);
        // The same without SafeACK: two.
        assert_eq!(
            prr.on_ack(dup(2 * MSS), 6 * MSS, 10 * MSS, MSS),
            Some(2 * MSS)
        );
        prr.sent(2 * MSS);
        // Never beyond ssthresh - pipe.
        assert_eq!(prr.on_ack(dup(5 * MSS), 9 * MSS, 10 * MSS, MSS), Some(MSS));
    }

    /// An ACK that delivers nothing changes nothing, except before the
    /// first transmission: the fast retransmit is due.
    #[test]
    fn rfc9937_nothing_delivered_changes_nothing() {
        let mut prr = Prr::start(10 * MSS);
        assert_eq!(prr.on_ack(dup(0), 10 * MSS, 5 * MSS, MSS), Some(MSS));
        prr.sent(MSS);
        assert_eq!(prr.on_ack(dup(0), 10 * MSS, 5 * MSS, MSS), None);
        assert_eq!(prr.delivered, 0);
    }

    /// No loss of precision or overflow with windows near 2^32.
    #[test]
    fn large_windows_do_not_overflow() {
        let mut prr = Prr::start(u32::MAX);
        let d = dup(u32::MAX / 2);
        let q = prr.on_ack(d, u32::MAX - 1, u32::MAX / 2, MSS);
        // CEIL((2^31 - 1)^2 / (2^32 - 1)) = 2^30: half of what was delivered.
        assert_eq!(q, Some(1 << 30));
        // RecoverFS 0, and a pipe that jumped above ssthresh: no division
        // by zero, and no more out than in.
        let mut zero = Prr::start(0);
        assert_eq!(zero.on_ack(dup(MSS), 2 * MSS, MSS, MSS), Some(MSS));
        zero.sent(MSS);
        assert_eq!(zero.on_ack(dup(MSS), 2 * MSS, MSS, MSS), Some(MSS));
        zero.sent(MSS);
        assert_eq!(zero.on_ack(dup(3 * MSS), 4 * MSS, MSS, MSS), Some(3 * MSS));
    }
}
