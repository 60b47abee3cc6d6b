//! ICMP errors about a connection's segments (RFC 1122 4.2.3.9, validated
//! as RFC 5927 describes; RFC 1191's "fragmentation needed").

use super::sentlog::SentSegment;
use super::{Flags, State, TcpError, TcpSocket};
use crate::iface::pmtu::MIN_PATH_MTU;
use crate::socket::IcmpErrorKind;
use crate::wire::SeqNumber;

impl TcpSocket<'_> {
    /// An ICMP error about a segment this connection sent (RFC 1122
    /// 4.2.3.9, validated as RFC 5927 4.1 describes: "check that the TCP
    /// sequence number contained in the payload of the ICMP error message is
    /// within the range SND.UNA =< SEG.SEQ < SND.NXT", with the highest
    /// SND.NXT reached; with nothing in flight, every error is ignored).
    /// Hard errors abort a connection still being set up; in synchronized
    /// states every error is soft (RFC 5927 4.2): kept, and reported if the
    /// connection times out. Fragmentation needed lowers the MSS (RFC
    /// 1191). Returns whether the error was taken.
    pub fn handle_icmp_error(&mut self, kind: IcmpErrorKind, quoted_seq: SeqNumber) -> bool {
        if !quoted_seq.in_window(self.snd.una, self.snd.max) {
            return false;
        }
        match kind {
            IcmpErrorKind::FragmentationNeeded { mtu } if mtu >= 68 => {
                // Never below the path MTU floor (see `iface::pmtu`): a
                // forged message cannot shrink the segments further. A
                // path said to be below it is locked at it, and segments go
                // without DF, so that a real such path fragments them
                // rather than black-holing them (as Linux's `min_pmtu`).
                if mtu < MIN_PATH_MTU && !self.path_mtu_locked() {
                    net_debug!("path MTU {} below {}: locked", mtu, MIN_PATH_MTU);
                    self.flags.set(Flags::PMTU_LOCKED, true);
                    self.flags.set(Flags::PMTU_LOCKED_NOW, true);
                }
                let mtu = mtu.max(MIN_PATH_MTU);
                let mss = usize::from(mtu).saturating_sub(40);
                if mss < usize::from(self.snd_mss) {
                    net_debug!("path MTU {}: MSS {} -> {}", mtu, self.snd_mss, mss);
                    self.set_snd_mss(mss);
                    self.flags.set(Flags::PMTU_LOWERED, true);
                    self.resend_what_no_longer_fits();
                }
            }
            IcmpErrorKind::ProtocolUnreachable | IcmpErrorKind::PortUnreachable
                if self.state == State::SynSent =>
            {
                self.fail(TcpError::Unreachable(kind));
            }
            _ => self.soft_error = Some(kind),
        }
        true
    }

    /// Whether a learnt path MTU holds the MSS below what the connection
    /// opened with (the stack then looks the path up before each send, to
    /// see it age out).
    pub(crate) fn path_mtu_lowered(&self) -> bool {
        self.flags.has(Flags::PMTU_LOWERED)
    }

    /// Whether the path MTU is locked at the floor: segments go without
    /// DF (see `handle_icmp_error`).
    pub fn path_mtu_locked(&self) -> bool {
        self.flags.has(Flags::PMTU_LOCKED)
    }

    /// The path MTU the stack knows for the peer now (`None`: none, or it
    /// aged out, RFC 1191 6.3): the MSS follows it, and returns to what the
    /// connection opened with when it is gone. Raising needs nothing
    /// resent; the next new segments are larger.
    pub(crate) fn refresh_path_mtu(&mut self, path_mtu: Option<u16>) {
        let opened = self.opened_mss;
        // A cached value below the floor is a lock (see `iface::pmtu`).
        self.flags.set(
            Flags::PMTU_LOCKED,
            path_mtu.is_some_and(|m| m < MIN_PATH_MTU),
        );
        let path_mtu = path_mtu.map(|m| m.max(MIN_PATH_MTU));
        let mss = path_mtu.map_or(opened, |m| m.saturating_sub(40).min(opened));
        if mss != self.snd_mss {
            net_debug!("path MTU {:?}: MSS {} -> {}", path_mtu, self.snd_mss, mss);
            let lower = mss < self.snd_mss;
            self.snd_mss = mss;
            if lower {
                self.resend_what_no_longer_fits();
            }
        }
        self.flags.set(Flags::PMTU_LOWERED, mss < opened);
    }

    /// The MSS fell: what was sent in segments larger than the new one
    /// goes again at once, from SND.UNA to the end of the last such
    /// segment, and what follows it, which fits, is not sent again (as
    /// Linux's `tcp_simple_retransmit`). No congestion response: the path
    /// did not drop those segments for congestion. Without RACK's send log
    /// the segment sizes are unknown: everything from SND.UNA goes again
    /// (go-back-N). Karn: what was timed is sent again.
    fn resend_what_no_longer_fits(&mut self) {
        let una = self.snd.una;
        let max = self.snd.max;
        let mss = self.mss();
        let end = match self
            .board()
            .filter(|b| b.has_send_times() && self.rack_active())
        {
            Some(b) => b
                .sent
                .iter(una)
                .filter(|(s, r)| !r.has(SentSegment::SACKED) && r.end - *s > mss)
                .map(|(_, r)| r.end)
                .last(),
            None => Some(max),
        };
        let Some(end) = end else {
            return;
        };
        self.snd.nxt = una;
        self.karn_stop_timing();
        // (Every time: a second drop may make everything too big.)
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.mtu_resend_end = (end < max).then_some(end);
        }
    }

    /// Where a go-back-N after the path MTU fell stops, while it runs.
    pub(crate) fn mtu_resend_end(&self) -> Option<SeqNumber> {
        // (Set only while the MSS is lowered: the clean path tests a bit.)
        if !self.flags.has(Flags::PMTU_LOWERED) {
            return None;
        }
        self.board()
            .and_then(|b| b.mtu_resend_end)
            .filter(|&e| self.snd.nxt < e)
    }

    /// Another rewind of SND.NXT (a timeout, a window that opened) resends
    /// everything: no stop.
    pub(crate) fn clear_mtu_resend(&mut self) {
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.mtu_resend_end = None;
        }
    }
}
