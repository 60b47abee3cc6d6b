//! ICMP errors about a connection's segments (RFC 1122 4.2.3.9, validated
//! as RFC 5927 describes; RFC 1191's "fragmentation needed").

use super::{State, TcpError, TcpSocket};
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
                let mss = usize::from(mtu).saturating_sub(40).max(64);
                if mss < usize::from(self.snd_mss) {
                    net_debug!("path MTU {}: MSS {} -> {}", mtu, self.snd_mss, mss);
                    self.set_snd_mss(mss);
                    // Retransmit what no longer fits, at once (Karn: what
                    // was timed is sent again).
                    self.snd.nxt = self.snd.una;
                    self.karn_stop_timing();
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
}
