//! RFC 6937 Proportional Rate Reduction: how much SACK loss recovery may
//! send on each ACK.
//!
//! RFC 6675 alone sets cwnd to ssthresh when recovery begins and sends
//! nothing until the pipe falls below it: with half the flight lost in a
//! burst it then sends a burst, and with more than half lost it sends
//! nothing for a round trip. PRR spreads the reduction over the round trip
//! instead: "the total number of segments sent during recovery [is]
//! proportional to the data delivered" while the pipe is above ssthresh,
//! and when losses have taken the pipe below it, the slow start reduction
//! bound (PRR-SSRB) grows it back towards ssthresh by at most one segment
//! more than what was delivered. Linux uses the same.
//!
//! The RFC's variables (section 3), in bytes:
//!
//! ```text
//! On entering recovery:  prr_delivered = 0, prr_out = 0,
//!                        RecoverFS = snd.nxt - snd.una
//! On every ACK during recovery:
//!     DeliveredData = change_in(snd.una) + change_in(SACKd)
//!     prr_delivered += DeliveredData
//!     pipe = (RFC 6675 pipe algorithm)
//!     if (pipe > ssthresh) {
//!         // Proportional Rate Reduction
//!         sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out
//!     } else {
//!         // Slow Start Reduction Bound
//!         limit = MAX(prr_delivered - prr_out, DeliveredData) + MSS
//!         sndcnt = MIN(ssthresh - pipe, limit)
//!     }
//!     sndcnt = MAX(sndcnt, 0)
//!     cwnd = pipe + sndcnt
//! On any data transmission or retransmission:
//!     prr_out += (data sent)
//! ```
//!
//! One addition, as Linux's `tcp_cwnd_reduction`: before anything was sent
//! in this recovery, the quota is at least one segment, so the fast
//! retransmit goes whatever the proportion says (RFC 5681 3.2 (4): the lost
//! segment "MUST be retransmitted"). Recovery without SACK stays RFC 6582's
//! (its window inflation is what counts the segments that left).
//!
//! The state (12 bytes) lives in the caller's [`Scoreboard`](super::Scoreboard),
//! beside the SACK ranges it works from, not in the socket.

use super::TcpSocket;

/// RFC 6937's variables for one recovery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Prr {
    /// prr_delivered: bytes delivered to the receiver since recovery began.
    delivered: u32,
    /// prr_out: bytes sent since recovery began.
    out: u32,
    /// RecoverFS: the flight when recovery began.
    recover_fs: u32,
}

impl Prr {
    /// "On entering recovery": `flight` is snd.nxt - snd.una then.
    pub(crate) fn start(flight: u32) -> Self {
        Prr {
            delivered: 0,
            out: 0,
            recover_fs: flight.max(1),
        }
    }

    /// "On any data transmission or retransmission".
    pub(crate) fn sent(&mut self, bytes: u32) {
        self.out = self.out.saturating_add(bytes);
    }

    /// "On every ACK during recovery": `delivered` is this ACK's
    /// DeliveredData; returns sndcnt, the bytes that may be sent now (the
    /// caller sets cwnd to pipe + sndcnt).
    pub(crate) fn on_ack(&mut self, delivered: u32, pipe: u32, ssthresh: u32, mss: u32) -> u32 {
        self.delivered = self.delivered.saturating_add(delivered);
        let sndcnt = if pipe > ssthresh {
            // CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out, in 64
            // bits: both factors may be near 2^32.
            let target = (u64::from(self.delivered) * u64::from(ssthresh))
                .div_ceil(u64::from(self.recover_fs.max(1)));
            let target = u32::try_from(target).unwrap_or(u32::MAX);
            target.saturating_sub(self.out)
        } else {
            let limit = self
                .delivered
                .saturating_sub(self.out)
                .max(delivered)
                .saturating_add(mss);
            (ssthresh - pipe).min(limit)
        };
        if self.out == 0 {
            sndcnt.max(mss)
        } else {
            sndcnt
        }
    }
}

impl TcpSocket<'_> {
    /// Bytes the scoreboard holds SACKed (for DeliveredData).
    pub(crate) fn sacked_now(&self) -> u32 {
        self.board().map_or(0, |b| b.sacked_bytes() as u32)
    }

    /// SACK recovery began: PRR starts from the flight.
    pub(crate) fn prr_start(&mut self) {
        let flight = (self.snd.max - self.snd.una) as u32;
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.prr = Prr::start(flight);
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

    /// An ACK (or RACK's reordering timer, with `delivered` 0) during SACK
    /// recovery: cwnd becomes pipe + sndcnt.
    pub(crate) fn prr_update(&mut self, delivered: u32) {
        if !self.in_sack_recovery() {
            return;
        }
        let pipe = self.pipe() as u32;
        let ssthresh = self.cc.ssthresh;
        let mss = u32::from(self.snd_mss);
        let Some(board) = self.scoreboard.as_deref_mut() else {
            return;
        };
        let sndcnt = board.prr.on_ack(delivered, pipe, ssthresh, mss);
        self.cc.cwnd = pipe.saturating_add(sndcnt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    /// RFC 6937 section 5's first example: 20 segments in flight, one
    /// lost, ssthresh 10: on the ACKs of the 19 that arrived, PRR sends
    /// one segment for every two delivered, "the sending rate is reduced
    /// ... to exactly half", and the pipe ends at ssthresh.
    #[test]
    fn rfc6937_5_one_loss_sends_half_of_what_is_delivered() {
        let mut prr = Prr::start(20 * MSS);
        let ssthresh = 10 * MSS;
        let mut pipe = 19 * MSS;
        let mut sent = 0;
        for ack in 1..=19 {
            // Each ACK (a duplicate with a new SACK block) delivers one
            // segment, which leaves the pipe.
            pipe -= MSS;
            let sndcnt = prr.on_ack(MSS, pipe, ssthresh, MSS);
            let n = sndcnt / MSS;
            prr.sent(n * MSS);
            pipe += n * MSS;
            sent += n;
            if ack == 1 {
                assert_eq!(n, 1, "the fast retransmit goes on the first ACK");
            }
        }
        assert_eq!(sent, 10, "half of the 19 delivered, rounded up");
        assert_eq!(pipe, 10 * MSS, "the pipe ends at ssthresh");
    }

    /// Proportional while the pipe is above ssthresh: never more than
    /// CEIL(prr_delivered * ssthresh / RecoverFS) in total.
    #[test]
    fn rfc6937_3_proportional_above_ssthresh() {
        let mut prr = Prr::start(10 * MSS);
        assert_eq!(prr.on_ack(MSS, 8 * MSS, 5 * MSS, MSS), MSS);
        prr.sent(MSS);
        // Delivered 2 of 10, ssthresh 5: 1 segment in total so far.
        assert_eq!(prr.on_ack(MSS, 7 * MSS, 5 * MSS, MSS), 0);
        // Delivered 3: 1.5 segments in total, in bytes: half a segment
        // more, which waits (the sender sends whole segments).
        assert_eq!(prr.on_ack(MSS, 6 * MSS, 5 * MSS, MSS), MSS / 2);
        // Delivered 4: 2 in total, one more.
        assert_eq!(prr.on_ack(MSS, 5 * MSS + 1, 5 * MSS, MSS), MSS);
    }

    /// PRR-SSRB: with the pipe below ssthresh (a burst of losses), each ACK
    /// may send what it delivered plus one segment, up to ssthresh.
    #[test]
    fn rfc6937_3_slow_start_reduction_bound_below_ssthresh() {
        let mut prr = Prr::start(20 * MSS);
        prr.sent(MSS);
        // Half the flight lost: pipe 4 segments, ssthresh 10.
        assert_eq!(prr.on_ack(MSS, 4 * MSS, 10 * MSS, MSS), 2 * MSS);
        prr.sent(2 * MSS);
        // prr_delivered - prr_out = 0, DeliveredData 2: 3 segments.
        assert_eq!(prr.on_ack(2 * MSS, 6 * MSS, 10 * MSS, MSS), 3 * MSS);
        prr.sent(3 * MSS);
        // Never beyond ssthresh - pipe.
        assert_eq!(prr.on_ack(5 * MSS, 9 * MSS, 10 * MSS, MSS), MSS);
    }

    /// No loss of precision or overflow with windows near 2^32.
    #[test]
    fn large_windows_do_not_overflow() {
        let mut prr = Prr::start(u32::MAX);
        let q = prr.on_ack(u32::MAX / 2, u32::MAX - 1, u32::MAX / 2, MSS);
        // CEIL((2^31 - 1)^2 / (2^32 - 1)) = 2^30: half of what was delivered.
        assert_eq!(q, 1 << 30);
        assert_eq!(Prr::start(0).recover_fs, 1, "never a division by zero");
    }
}
