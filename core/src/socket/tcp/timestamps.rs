//! RFC 7323 timestamps: the option in every segment once both SYNs carried
//! it (3.2), TS.Recent and its update rule (4.3), PAWS (5.3), and the RTT
//! samples the echoes give (4.1); and RFC 6191's test of a SYN that arrives
//! for a connection in TIME-WAIT.
//!
//! Our clock ticks once a millisecond (5.4: "between 1 ms and 1 second per
//! tick"), read from the caller's [`Instant`], plus an offset that is a
//! keyed hash of the connection's 4-tuple only (RFC 7323 7.1's
//! randomization, kept stable for one 4-tuple so that our reconnects from
//! one port pass the peer's RFC 6191 test). A segment that lacks the option
//! once it is agreed is dropped (3.2: "a TCP SHOULD silently drop the
//! segment"), except a RST (which is never PAWS-checked either, 5.3 R1).

use core::net::SocketAddrV4;

use super::input::RxContext;
use super::{Flags, State, TcpSocket};
use crate::rand::SipKey;
use crate::time::{Duration, Instant};
use crate::wire::{SeqNumber, TcpFlags, TcpOptions, TcpRepr};

/// RFC 7323 5.5: "If a connection remains idle for more than 24 days,
/// TS.Recent is invalidated" (so PAWS cannot reject the first segment after
/// the peer's clock wrapped its sign bit).
const TS_RECENT_LIFETIME: Duration = Duration::from_secs(24 * 24 * 3600);

/// The timestamp variables of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TsVars {
    /// Added to our millisecond clock to make TSval.
    pub(crate) offset: u32,
    /// TS.Recent: the peer's timestamp we echo (4.3).
    pub(crate) recent: u32,
    /// Our clock (milliseconds, wrapping) when TS.Recent was last set, for
    /// 5.5's 24 days; the timer table's stamps cannot say it, since they
    /// are kept only about 24.8 days.
    pub(crate) recent_at: u32,
    /// Last.ACK.sent: the acknowledgment number of our last segment.
    pub(crate) last_ack_sent: SeqNumber,
}

impl TsVars {
    /// Our TSval at `now`.
    pub(crate) fn tsval(&self, now: Instant) -> u32 {
        (now.total_millis() as u32).wrapping_add(self.offset)
    }

    /// The offset for a connection from `local` to `remote`: a keyed hash
    /// of the 4-tuple, distinct from the ISN's (RFC 6528) by a label.
    pub(crate) fn offset_for(key: &SipKey, local: SocketAddrV4, remote: SocketAddrV4) -> u32 {
        key.hash_parts(&[
            b"tsval",
            &local.ip().octets(),
            &local.port().to_be_bytes(),
            &remote.ip().octets(),
            &remote.port().to_be_bytes(),
        ]) as u32
    }
}

/// `a >= b` in the circular space of 32-bit timestamps (RFC 7323 5.2).
fn ts_at_or_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

impl TcpSocket<'_> {
    /// Whether timestamps are agreed by both SYNs.
    pub(crate) fn ts_agreed(&self) -> bool {
        self.flags.has(Flags::TS_OK) && self.state != State::SynSent
    }

    /// Our timestamps for this connection, from the stack's key and the
    /// 4-tuple (after `connect`; a passive open sets them from the SYN).
    pub(crate) fn set_timestamp_offset(&mut self, key: &SipKey) {
        self.ts.offset = TsVars::offset_for(key, self.local, self.remote);
    }

    /// The option of a segment we send: "TSval ... contains the current
    /// value of the timestamp clock"; "TSecr ... echoes TS.Recent" (and is
    /// zero in our first SYN, which has nothing to echo).
    pub(crate) fn timestamp_option(&self, now: Instant) -> Option<(u32, u32)> {
        if !self.flags.has(Flags::TS_OK) {
            return None;
        }
        let ecr = if self.state == State::SynSent {
            0
        } else {
            self.ts.recent
        };
        Some((self.ts.tsval(now), ecr))
    }

    /// The peer's SYN: timestamps are used when both SYNs carry the option
    /// (3.2: "A TCP MAY send the TSopt in an initial <SYN> segment ... a TCP
    /// that has sent a <SYN> with TSopt but receives a <SYN,ACK> without
    /// it MUST NOT send it"), and TS.Recent starts from its TSval.
    pub(crate) fn take_syn_timestamps(&mut self, cx: &RxContext<'_>, options: &TcpOptions) {
        let offered = match self.state {
            State::Listen => cx.config.timestamps,
            _ => self.flags.has(Flags::TS_OK),
        };
        match options.timestamps {
            Some((val, _)) if offered => {
                self.flags.set(Flags::TS_OK, true);
                self.set_ts_recent(cx.now, val);
                if self.state == State::Listen {
                    self.ts.offset = TsVars::offset_for(cx.isn_key, cx.local, cx.remote);
                }
            }
            _ => self.flags.set(Flags::TS_OK, false),
        }
    }

    /// Whether a segment is dropped before the acceptability test: one
    /// without the option once it is agreed (3.2, silently), or one PAWS
    /// rejects (5.3 R1: "If there is a Timestamps option in the arriving
    /// segment, SEG.TSval < TS.Recent, TS.Recent is valid (see later
    /// discussion), and if the RST bit is not set, then treat the arriving
    /// segment as not acceptable: Send an acknowledgment in reply as
    /// specified in RFC 793 page 69 and drop the segment").
    pub(crate) fn timestamps_reject(&mut self, cx: &RxContext<'_>, seg: &TcpRepr<'_>) -> bool {
        if !self.ts_agreed() || seg.flags.contains(TcpFlags::RST) {
            return false;
        }
        let Some((val, _)) = seg.options.timestamps else {
            if self.state == State::SynReceived && seg.flags.contains(TcpFlags::SYN) {
                // The peer's SYN sent again without the option (some
                // stacks drop options when they retry): the offer is taken
                // back, as for window scaling, and the SYN answered.
                self.flags.set(Flags::TS_OK, false);
                return false;
            }
            net_debug!("segment without timestamps from {}: dropped", self.remote);
            return true;
        };
        let age_ms = (cx.now.total_millis() as u32).wrapping_sub(self.ts.recent_at);
        if u64::from(age_ms) > TS_RECENT_LIFETIME.total_millis() {
            // 5.5: after 24 days of silence the old TS.Recent says nothing.
            self.set_ts_recent(cx.now, val);
            return false;
        }
        if ts_at_or_after(val, self.ts.recent) {
            return false;
        }
        net_debug!(
            "PAWS: TSval {} older than TS.Recent {} from {}: dropped",
            val,
            self.ts.recent,
            self.remote
        );
        self.unacceptable(cx.now, cx.config, seg);
        true
    }

    /// 4.3 (2), for an acceptable segment: "If SEG.TSval >= TS.Recent and
    /// SEG.SEQ <= Last.ACK.sent, then SEG.TSval is copied to TS.Recent;
    /// otherwise, it is ignored." (So a delayed ACK echoes the earliest
    /// segment it acknowledges.)
    pub(crate) fn update_ts_recent(&mut self, now: Instant, seg: &TcpRepr<'_>) {
        if let (true, Some((val, _))) = (self.ts_agreed(), seg.options.timestamps)
            && ts_at_or_after(val, self.ts.recent)
            && seg.seq_number <= self.ts.last_ack_sent
        {
            self.set_ts_recent(now, val);
        }
    }

    fn set_ts_recent(&mut self, now: Instant, val: u32) {
        self.ts.recent = val;
        self.ts.recent_at = now.total_millis() as u32;
    }

    /// The TSecr of an ACK, with timestamps agreed (0 is no echo).
    pub(crate) fn ts_echo(&self, seg: &TcpRepr<'_>) -> Option<u32> {
        let (_, ecr) = seg.options.timestamps?;
        (self.flags.has(Flags::TS_OK) && ecr != 0).then_some(ecr)
    }

    /// 4.1's RTTM from an echo: our clock now less the TSecr (`None` for
    /// an echo from the future, which no segment of ours carried; or, while
    /// the timer is backed off, for one older than the last timeout's
    /// retransmission: it may echo the first transmission, whose ACK was
    /// late, not lost, as RFC 3522 detects, and would cut the RTO back to
    /// what just timed out).
    pub(crate) fn ts_rtt(&self, now: Instant, ecr: u32) -> Option<Duration> {
        let ms = self.ts.tsval(now).wrapping_sub(ecr);
        if (ms as i32) < 0 {
            return None;
        }
        if self.retries > 0 && !ts_at_or_after(ecr, self.rtt_sent_us) {
            return None;
        }
        Some(Duration::from_millis(u64::from(ms)))
    }

    /// RFC 6191 section 2: whether a SYN that arrives in TIME-WAIT may open
    /// a new incarnation of the connection. "If the previous incarnation
    /// of the connection used Timestamps, then: if TCP Timestamps would be
    /// enabled for the new incarnation of the connection, and the timestamp
    /// contained in the incoming SYN segment is greater than the last
    /// timestamp seen on the previous incarnation of the connection ...
    /// honor the connection request"; if it is equal "and the SYN
    /// segment's sequence number is greater than the last sequence number
    /// seen", too; "If TCP Timestamps would not be enabled for the new
    /// incarnation of the connection, but the SYN segment's sequence number
    /// is greater than the last sequence number seen ..., honor the
    /// connection request". Without timestamps before: only a higher
    /// sequence number. "Otherwise, silently drop the incoming SYN segment"
    /// (we answer it with RFC 9293's challenge ACK instead, see
    /// `check_syn`).
    pub(crate) fn new_incarnation_allowed(&self, cx: &RxContext<'_>, seg: &TcpRepr<'_>) -> bool {
        let seq_higher = seg.seq_number > self.rcv.nxt;
        if !self.flags.has(Flags::TS_OK) {
            return seq_higher;
        }
        match seg.options.timestamps {
            Some((val, _)) if cx.config.timestamps => {
                (val != self.ts.recent && ts_at_or_after(val, self.ts.recent))
                    || (val == self.ts.recent && seq_higher)
            }
            _ => seq_higher,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7323 5.2: timestamps compare in a circular space, so a clock
    /// that wrapped is still newer.
    #[test]
    fn timestamps_compare_modulo_2_to_the_32() {
        assert!(ts_at_or_after(5, 5));
        assert!(ts_at_or_after(6, 5));
        assert!(!ts_at_or_after(4, 5));
        assert!(ts_at_or_after(3, u32::MAX - 3));
        assert!(!ts_at_or_after(u32::MAX - 3, 3));
    }

    #[test]
    fn the_offset_depends_on_the_4_tuple_only() {
        let key = SipKey::new(1, 2);
        let a = SocketAddrV4::new(crate::wire::Ipv4Address::new(192, 0, 2, 2), 80);
        let b = SocketAddrV4::new(crate::wire::Ipv4Address::new(192, 0, 2, 1), 4000);
        let c = SocketAddrV4::new(crate::wire::Ipv4Address::new(192, 0, 2, 1), 4001);
        assert_eq!(
            TsVars::offset_for(&key, a, b),
            TsVars::offset_for(&key, a, b)
        );
        assert_ne!(
            TsVars::offset_for(&key, a, b),
            TsVars::offset_for(&key, a, c)
        );
        let ts = TsVars {
            offset: 10,
            ..TsVars::default()
        };
        assert_eq!(ts.tsval(Instant::from_millis(1234)), 1244);
    }
}
