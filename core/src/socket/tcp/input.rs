//! RFC 9293 section 3.10.7, "SEGMENT ARRIVES", step by step.
//!
//! [`TcpSocket::segment_arrives`] dispatches on the state: CLOSED (3.10.7.1),
//! LISTEN (3.10.7.2), SYN-SENT (3.10.7.3), and "Otherwise" (3.10.7.4), whose
//! eight steps are one function each below, called in the RFC's order by a
//! driver that reads like the RFC's list. Each step quotes the RFC, and
//! returns either `Continue` with the segment (trimmed to the window by the
//! first step) or `Break` with what to answer at once. The fifth step, the
//! ACK, is in `ack.rs`. RFC 5961's defenses (challenge ACKs for RSTs and
//! SYNs in window, ACK acceptability) are applied where RFC 9293 says they
//! should be.

use core::net::SocketAddrV4;
use core::ops::ControlFlow;

use super::timer::Stamp;
use super::{Flags, MIN_SND_MSS, Pending, State, TcpConfig, TcpError, TcpSocket, WindowScale};
use crate::rand::SipKey;
use crate::time::Instant;
use crate::wire::{SeqNumber, TcpFlags, TcpOptions, TcpRepr};

/// What the stack knows when a segment arrives. Built with
/// [`RxContext::new`], so that what it carries can grow.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RxContext<'k> {
    /// The time.
    pub now: Instant,
    /// The key of RFC 6528's ISN function.
    pub isn_key: &'k SipKey,
    /// The MSS our interface allows (MTU - 40), to announce.
    pub mss: usize,
    /// The segment's destination (us).
    pub local: SocketAddrV4,
    /// The segment's source (the peer).
    pub remote: SocketAddrV4,
    /// The stack's TCP settings.
    pub config: &'k TcpConfig,
    /// The ISS a SYN in LISTEN gets instead of the ISN function's: for a
    /// new incarnation of a connection that was in TIME-WAIT, beyond the
    /// old one's sequence space (RFC 1122 4.2.2.13; see
    /// [`TcpSocket::gives_way_to`]).
    pub iss: Option<SeqNumber>,
    /// The path MTU learnt for the peer (RFC 1191), if the stack knows one
    /// (looked up for SYNs only: the MSS is chosen when one arrives).
    pub path_mtu: Option<u16>,
}

impl<'k> RxContext<'k> {
    /// The context of a segment from `remote` to `local` at `now`.
    pub fn new(
        now: Instant,
        isn_key: &'k SipKey,
        mss: usize,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        config: &'k TcpConfig,
    ) -> Self {
        RxContext {
            now,
            isn_key,
            mss,
            local,
            remote,
            config,
            iss: None,
            path_mtu: None,
        }
    }
}

/// A segment the socket asks the stack to send at once (a RST or an ACK
/// that does not come from the sequence variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Reply {
    /// Sequence number.
    pub seq: SeqNumber,
    /// Acknowledgment number.
    pub ack: SeqNumber,
    /// Flags.
    pub flags: TcpFlags,
}

impl Reply {
    /// `<SEQ=SEG.ACK><CTL=RST>`.
    pub fn rst_for_ack(seg: &TcpRepr<'_>) -> Reply {
        Reply {
            seq: seg.ack_number,
            ack: SeqNumber(0),
            flags: TcpFlags::RST,
        }
    }

    /// `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`.
    pub fn rst_ack_for(seg: &TcpRepr<'_>) -> Reply {
        Reply {
            seq: SeqNumber(0),
            ack: seg.seq_number + seg.segment_len(),
            flags: TcpFlags::RST | TcpFlags::ACK,
        }
    }

    /// What a CLOSED port answers (RFC 9293 3.10.7.1): "If the ACK bit is
    /// off, sequence number zero is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
    /// <CTL=RST,ACK>. If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>." A RST
    /// is never answered.
    pub fn for_closed(seg: &TcpRepr<'_>) -> Option<Reply> {
        if seg.flags.contains(TcpFlags::RST) {
            None
        } else if seg.flags.contains(TcpFlags::ACK) {
            Some(Reply::rst_for_ack(seg))
        } else {
            Some(Reply::rst_ack_for(seg))
        }
    }
}

/// An arriving segment as the steps of 3.10.7.4 hand it on: the segment as
/// it arrived (which flags, which length: RFC 5681's duplicate ACK is
/// judged on that), and the part of it inside the receive window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Incoming<'s, 'p> {
    /// The segment as it arrived.
    pub(crate) arrived: &'s TcpRepr<'p>,
    /// The sequence number of the first byte of `payload`.
    pub(crate) seq: SeqNumber,
    /// The data inside the window.
    pub(crate) payload: &'p [u8],
    /// A FIN inside the window.
    pub(crate) fin: bool,
}

/// The outcome of one step: go on with the segment, or stop with what to
/// answer at once.
pub(crate) type Step<'s, 'p> = ControlFlow<Option<Reply>, Incoming<'s, 'p>>;

impl TcpSocket<'_> {
    /// Whether a segment to `local` from `remote` belongs to this socket.
    pub fn accepts(&self, local: &SocketAddrV4, remote: &SocketAddrV4) -> bool {
        match self.state {
            State::Closed => false,
            State::Listen => {
                self.local.port() == local.port()
                    && (self.flags.has(Flags::LISTEN_ANY) || self.local.ip() == local.ip())
            }
            _ => self.local == *local && self.remote == *remote,
        }
    }

    /// RFC 9293 3.10.7: processes an arriving segment. Returns a segment
    /// to send at once if the RFC calls for one outside the normal flow (a
    /// RST); ACKs and data go out through `dispatch`.
    pub fn segment_arrives(&mut self, cx: &RxContext<'_>, seg: &TcpRepr<'_>) -> Option<Reply> {
        let reply = match self.state {
            State::Closed => return Reply::for_closed(seg),
            State::Listen => self.listen_segment(cx, seg),
            State::SynSent => self.syn_sent_segment(cx, seg),
            _ => match self.otherwise(cx, seg) {
                ControlFlow::Break(reply) => reply,
                ControlFlow::Continue(()) => None,
            },
        };
        self.schedule(cx.now, cx.config);
        reply
    }

    /// 3.10.7.2, LISTEN STATE.
    fn listen_segment(&mut self, cx: &RxContext<'_>, seg: &TcpRepr<'_>) -> Option<Reply> {
        let f = seg.flags;
        // "First, check for a RST: An incoming RST segment could not be
        // valid since it could not have been sent in response to anything
        // sent by this incarnation of the connection. An incoming RST
        // should be ignored. Return."
        if f.contains(TcpFlags::RST) {
            return None;
        }
        // "Second, check for an ACK: Any acknowledgment is bad if it
        // arrives on a connection still in the LISTEN state. An acceptable
        // reset segment should be formed for any arriving ACK-bearing
        // segment. The RST should be formatted as follows:
        // <SEQ=SEG.ACK><CTL=RST>"
        if f.contains(TcpFlags::ACK) {
            return Some(Reply::rst_for_ack(seg));
        }
        // "Third, check for a SYN: ... Set RCV.NXT to SEG.SEQ+1, IRS is set
        // to SEG.SEQ, and any other control or text should be queued for
        // processing later. ISS should be selected and a SYN segment sent of
        // the form: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. SND.NXT is set to
        // ISS+1 and SND.UNA to ISS. The connection state should be changed
        // to SYN-RECEIVED."
        if f.contains(TcpFlags::SYN | TcpFlags::FIN) && cx.config.drop_syn_fin {
            return None;
        }
        if f.contains(TcpFlags::SYN) {
            self.timers.reset(cx.now);
            self.timers.stamp(Stamp::LastRx, cx.now);
            self.rtt = super::RttEstimator::new(cx.config.rto_initial);
            self.local = cx.local;
            self.remote = cx.remote;
            self.take_syn(cx, seg);
            let iss = cx.iss.unwrap_or_else(|| {
                TcpSocket::initial_sequence_number(cx.isn_key, cx.local, cx.remote, cx.now)
            });
            self.snd.iss = iss;
            self.snd.una = iss;
            self.snd.nxt = iss;
            self.snd.max = iss;
            self.ip_ident = (iss.0 >> 16) as u16 ^ iss.0 as u16;
            // Data and FIN on a SYN are not kept: the peer sends them again
            // once the connection is synchronized.
            self.set_state(State::SynReceived);
            self.pending.set(Pending::SYN, true);
            return None;
        }
        // "Fourth, other data or control: ... drop the segment and return."
        None
    }

    /// A connection whose handshake a [`TcpListener`](super::TcpListener)
    /// made, in this socket from its pool (CLOSED): the socket becomes what
    /// LISTEN and our SYN,ACK would have made it, SYN-RECEIVED with the
    /// options both SYNs agreed (the entry keeps only those), our shift
    /// as the SYN,ACK said it, and the SYN,ACK sent when the entry says.
    /// The final ACK then arrives as in any SYN-RECEIVED. `false` if the
    /// socket was not closed.
    pub(crate) fn open_from_syn_queue(
        &mut self,
        cx: &RxContext<'_>,
        endpoint: super::ListenEndpoint,
        e: &super::SynEntry,
        window: u16,
    ) -> bool {
        // Logged as one change, below, not as CLOSED -> LISTEN -> SYN-RECEIVED.
        self.flags.set(Flags::QUIET, true);
        if self.listen(endpoint).is_err() {
            self.flags.set(Flags::QUIET, false);
            return false;
        }
        let mut options = TcpOptions::new();
        options.mss = (e.peer_mss != 0).then_some(e.peer_mss);
        options.window_scale = e.window_scale();
        options.sack_permitted = e.has(super::SynEntry::SACK);
        options.timestamps = e.has(super::SynEntry::TS).then_some((e.ts_recent, 0));
        let syn = TcpRepr {
            src_port: cx.remote.port(),
            dst_port: cx.local.port(),
            seq_number: e.irs,
            ack_number: SeqNumber(0),
            flags: TcpFlags::SYN,
            window_len: e.peer_window,
            urgent_pointer: 0,
            options,
            payload: &[],
        };
        let mut syn_cx = *cx;
        syn_cx.iss = Some(e.iss);
        syn_cx.mss = usize::from(e.our_mss);
        let _ = self.listen_segment(&syn_cx, &syn);
        self.flags.set(Flags::QUIET, false);
        if self.state != State::SynReceived {
            self.set_closed();
            return false;
        }
        net_info!(
            "CLOSED -> SYN-RECEIVED (from the listener's SYN queue), local={}, remote={}",
            self.local,
            self.remote
        );
        if let Some(w) = self.wscale.as_mut() {
            w.rcv = e.our_wscale;
        }
        // What a timeout or a resent SYN did to our SYN,ACK: RFC 6298
        // (5.7)'s 3 s and RFC 5681 3.1's one segment follow, as for a
        // socket's own SYN,ACK.
        let again = e.retries > 0 || e.has(super::SynEntry::RESENT);
        self.retries = e.retries;
        self.flags.set(Flags::SYN_RETRANSMITTED, again);
        self.syn_ack_sent_by_listener(e.sent_at, again, window);
        true
    }

    /// A SYN from the peer: RCV.NXT and IRS, its window, and its options
    /// (its MSS, RFC 9293 3.7.1: "if no MSS option is received ... assume
    /// 536").
    fn take_syn(&mut self, cx: &RxContext<'_>, seg: &TcpRepr<'_>) {
        self.rcv.irs = seg.seq_number;
        self.rcv.nxt = seg.seq_number + 1;
        self.rcv.adv_edge = self.rcv.nxt;
        self.take_syn_options(cx, &seg.options);
        self.update_window(seg);
    }

    fn take_syn_options(&mut self, cx: &RxContext<'_>, options: &TcpOptions) {
        self.rcv_mss = cx.mss.clamp(64, 65535) as u16;
        // "If no MSS option is received ... assume 536"; an MSS of 0 is as
        // none, and one below MIN_SND_MSS is raised to it.
        let peer = match options.mss {
            None | Some(0) => 536,
            Some(m) => {
                let m = usize::from(m);
                self.flags.set(Flags::MSS_FLOORED, m < MIN_SND_MSS);
                m.max(MIN_SND_MSS)
            }
        };
        self.open_mss(peer.min(cx.mss), cx.path_mtu);
        self.take_window_scale(cx, options);
        self.take_syn_timestamps(cx, options);
        self.take_sack_permitted(cx, options);
        self.flags
            .set(Flags::LIMITED_TRANSMIT, cx.config.limited_transmit);
    }

    /// RFC 2018 2: "The SACK-permitted option ... may be sent in a SYN by a
    /// TCP that has been extended to receive (and presumably process) the
    /// SACK option once the connection has opened"; blocks are sent only
    /// when both SYNs carried it.
    fn take_sack_permitted(&mut self, cx: &RxContext<'_>, options: &TcpOptions) {
        let offered = match self.state {
            State::Listen => cx.config.sack,
            _ => self.flags.has(Flags::SACK_OK),
        };
        self.flags
            .set(Flags::SACK_OK, offered && options.sack_permitted);
    }

    /// RFC 7323 2.2: window scaling applies only when both SYNs carry the
    /// option ("If a Window Scale option is received with a shift.cnt value
    /// larger than 14, the TCP SHOULD log the error but MUST use 14
    /// instead"). In LISTEN we offer it back only if the peer offered it;
    /// in SYN-SENT ours went in the SYN if the configuration allowed.
    fn take_window_scale(&mut self, cx: &RxContext<'_>, options: &TcpOptions) {
        let offered = match self.state {
            State::Listen => cx.config.window_scaling,
            _ => self.wscale.is_some(),
        };
        self.wscale = match options.window_scale {
            Some(shift) if offered => {
                if shift > WindowScale::MAX_SHIFT {
                    net_debug!("window scale {} from {}: used as 14", shift, self.remote);
                }
                Some(WindowScale {
                    snd: shift.min(WindowScale::MAX_SHIFT),
                    rcv: WindowScale::for_buffer(self.rx.capacity()),
                })
            }
            _ => None,
        };
    }

    /// 3.10.7.3, SYN-SENT STATE.
    fn syn_sent_segment(&mut self, cx: &RxContext<'_>, seg: &TcpRepr<'_>) -> Option<Reply> {
        let f = seg.flags;
        // "First, check the ACK bit: If the ACK bit is set, If SEG.ACK =<
        // ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is set,
        // if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST> and
        // discard the segment. Return. If SND.UNA < SEG.ACK =< SND.NXT, then
        // the ACK is acceptable."
        let mut ack_ok = false;
        if f.contains(TcpFlags::ACK) {
            if seg.ack_number <= self.snd.iss || seg.ack_number > self.snd.max {
                if f.contains(TcpFlags::RST) {
                    return None;
                }
                return Some(Reply::rst_for_ack(seg));
            }
            ack_ok = self.snd.una < seg.ack_number && seg.ack_number <= self.snd.max;
        }
        // "Second, check the RST bit: If the RST bit is set, If the ACK was
        // acceptable, then signal to the user "error: connection reset",
        // drop the segment, enter CLOSED state, delete TCB, and return.
        // Otherwise (no ACK), drop the segment and return." (RFC 5961 3.2:
        // the ACK must acknowledge our SYN.)
        if f.contains(TcpFlags::RST) {
            if ack_ok {
                self.fail(TcpError::Refused);
            }
            return None;
        }
        // "Fourth, check the SYN bit: ... If the SYN bit is on and the
        // security/compartment is acceptable, then RCV.NXT is set to
        // SEG.SEQ+1, IRS is set to SEG.SEQ. SND.UNA should be advanced to
        // equal SEG.ACK (if there is an ACK), and any segments on the
        // retransmission queue that are thereby acknowledged should be
        // removed."
        if f.contains(TcpFlags::SYN) {
            self.take_syn(cx, seg);
            self.timers.stamp(Stamp::LastRx, cx.now);
            if ack_ok {
                // "If SND.UNA > ISS (our SYN has been ACKed), change the
                // connection state to ESTABLISHED, form an ACK segment
                // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it. If there
                // are other controls or text in the segment, then continue
                // processing at the sixth step under Section 3.10.7.4 where
                // the URG bit is checked; otherwise, return."
                self.syn_acked(cx.now, cx.config, self.ts_echo(seg));
                self.set_state(State::Established);
                self.pending.set(Pending::ACK, true);
                let rest = self.trim_to_window(seg, self.rcv_wnd());
                return match self.text_and_fin(cx, rest) {
                    ControlFlow::Break(reply) => reply,
                    ControlFlow::Continue(()) => None,
                };
            } else {
                // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment
                // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it."
                // (Simultaneous open.)
                self.set_state(State::SynReceived);
                self.pending.set(Pending::SYN, true);
            }
            return None;
        }
        // "Fifth, if neither of the SYN or RST bits is set, then drop the
        // segment and return."
        None
    }

    /// RFC 9293 3.10.7.4 fourth, TIME-WAIT: "new connections can be
    /// accepted if the Timestamp Option is used and meets expectations (per
    /// RFC 6191)". Whether this SYN (without ACK or RST) for a connection in
    /// TIME-WAIT opens a new incarnation: the stack then ends the TIME-WAIT
    /// ([`TcpSocket::give_way`]) and hands the SYN to a listener.
    pub fn gives_way_to(&self, cx: &RxContext<'_>, seg: &TcpRepr<'_>) -> bool {
        self.state == State::TimeWait
            && seg.flags.contains(TcpFlags::SYN)
            && !seg.flags.intersects(TcpFlags::ACK | TcpFlags::RST)
            && self.new_incarnation_allowed(cx, seg)
    }

    /// Ends TIME-WAIT for a new incarnation ([`TcpSocket::gives_way_to`]),
    /// and returns the ISS it must use: RFC 1122 4.2.2.13 "MAY accept a new
    /// SYN from the remote TCP to reopen the connection directly from
    /// TIME-WAIT state, if it: (1) assigns its initial sequence number for
    /// the new connection to be larger than the largest sequence number it
    /// used on the previous connection incarnation", as Linux: the old
    /// SND.NXT + 65537.
    pub fn give_way(&mut self) -> SeqNumber {
        let iss = self.snd.max + 65537;
        net_debug!(
            "TIME-WAIT gives way to a new incarnation: local={}, remote={}",
            self.local,
            self.remote
        );
        self.set_closed();
        iss
    }

    /// 3.10.7.4, "Otherwise": SYN-RECEIVED and the synchronized states, in
    /// the RFC's order.
    fn otherwise(&mut self, cx: &RxContext<'_>, seg: &TcpRepr<'_>) -> ControlFlow<Option<Reply>> {
        let trimmed;
        let seg = match self.repeated_syn(seg) {
            Some(t) => {
                trimmed = t;
                &trimmed
            }
            None => seg,
        };
        // "First, check sequence number"
        let seg = self.check_sequence_number(cx, seg)?;
        // "Second, check the RST bit"
        let seg = self.check_rst(cx, seg)?;
        // "Third, check security": not applicable (no compartments here).
        // "Fourth, check the SYN bit"
        let seg = self.check_syn(cx, seg)?;
        // "Fifth, check the ACK field" (ack.rs)
        let seg = self.check_ack(cx, seg)?;
        self.text_and_fin(cx, seg)
    }

    /// 3.10.7.4's last three steps, where SYN-SENT continues too.
    fn text_and_fin(
        &mut self,
        cx: &RxContext<'_>,
        seg: Incoming<'_, '_>,
    ) -> ControlFlow<Option<Reply>> {
        // "Sixth, check the URG bit"
        let seg = self.check_urg(seg)?;
        // "Seventh, process the segment text"
        let seg = self.process_text(cx, seg)?;
        // "Eighth, check the FIN bit"
        self.check_fin(cx, seg)
    }

    /// Simultaneous open (figure 8, line 6): in SYN-RECEIVED the peer's
    /// SYN,ACK repeats the SYN we already took ("<SEQ=300><ACK=101>
    /// <CTL=SYN,ACK>" with RCV.NXT = 301) and acknowledges ours, and we
    /// enter ESTABLISHED. Taken whole it would fail the acceptability
    /// test, and each side would answer the other's SYN,ACK with its own
    /// forever; so the old SYN is trimmed off (it occupies the sequence
    /// number before RCV.NXT) and the rest is processed as usual.
    fn repeated_syn<'p>(&self, seg: &TcpRepr<'p>) -> Option<TcpRepr<'p>> {
        let repeated = self.state == State::SynReceived
            && seg.flags.contains(TcpFlags::SYN | TcpFlags::ACK)
            && seg.seq_number == self.rcv.irs;
        repeated.then(|| {
            let mut flags = seg.flags;
            flags.remove(TcpFlags::SYN);
            // Its window is a SYN's, unscaled (RFC 7323 2.2); as the window
            // of the ACK it becomes, it is counted in the peer's units,
            // rounded down.
            let shift = self.wscale.map_or(0, |w| w.snd);
            TcpRepr {
                seq_number: seg.seq_number + 1,
                flags,
                window_len: seg.window_len >> shift,
                ..*seg
            }
        })
    }

    /// The receive window RFC 9293's acceptability test uses: what we
    /// advertised last (it never shrinks).
    pub(super) fn rcv_wnd(&self) -> usize {
        (self.rcv.adv_edge - self.rcv.nxt).max(self.rcv_window())
    }

    /// "There are four cases for the acceptability test for an incoming
    /// segment:"
    ///
    /// ```text
    /// Segment Length  Receive Window  Test
    /// 0               0               SEG.SEQ = RCV.NXT
    /// 0               >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
    /// >0              0               not acceptable
    /// >0              >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
    ///                              or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
    /// ```
    fn acceptable(&self, seq: SeqNumber, seg_len: usize, rcv_wnd: usize) -> bool {
        let nxt = self.rcv.nxt;
        match (seg_len, rcv_wnd) {
            (0, 0) => seq == nxt,
            (0, w) => seq.in_window(nxt, nxt + w),
            (_, 0) => false,
            (l, w) => seq.in_window(nxt, nxt + w) || (seq + (l - 1)).in_window(nxt, nxt + w),
        }
    }

    /// "If the RCV.WND is zero, no segments will be acceptable, but special
    /// allowance should be made to accept valid ACKs, URGs, and RSTs." A
    /// segment with data (a zero-window probe) at RCV.NXT is not
    /// acceptable, but its control is processed (with no data), and it is
    /// answered: "When the receiving TCP peer has a zero window and a
    /// segment arrives, it must still send an acknowledgment showing its
    /// next expected sequence number and current window (zero)" (3.8.6.1).
    fn zero_window_allowance(&mut self, seq: SeqNumber, flags: TcpFlags, rcv_wnd: usize) -> bool {
        let allowed = rcv_wnd == 0 && seq == self.rcv.nxt;
        if allowed && !flags.contains(TcpFlags::RST) {
            self.pending.set(Pending::ACK, true);
        }
        allowed
    }

    /// 3.10.7.4 first: "Segments are processed in sequence. Initial tests
    /// on arrival are used to discard old duplicates, but further
    /// processing is done in SEG.SEQ order." Returns the part of the
    /// segment inside the window.
    fn check_sequence_number<'s, 'p>(
        &mut self,
        cx: &RxContext<'_>,
        seg: &'s TcpRepr<'p>,
    ) -> Step<'s, 'p> {
        // RFC 7323 5.3 R1 (PAWS) comes before the acceptability test.
        if self.timestamps_reject(cx, seg) {
            return ControlFlow::Break(None);
        }
        let rcv_wnd = self.rcv_wnd();
        let seq = seg.seq_number;
        if !self.acceptable(seq, seg.segment_len(), rcv_wnd)
            && !self.zero_window_allowance(seq, seg.flags, rcv_wnd)
        {
            // "If an incoming segment is not acceptable, an acknowledgment
            // should be sent in reply (unless the RST bit is set, if so drop
            // the segment and return): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"
            if !seg.flags.contains(TcpFlags::RST) {
                self.unacceptable(cx.now, cx.config, seg);
            }
            return ControlFlow::Break(None);
        }
        // Anything acceptable shows the peer is alive (keep-alive and
        // zero-window probes are answered); an unacceptable segment, which
        // anyone who knows the addresses can send, does not.
        self.probes = 0;
        self.timers.stamp(Stamp::LastRx, cx.now);
        self.update_ts_recent(cx.now, seg);
        let inside = self.trim_to_window(seg, rcv_wnd);
        // RFC 2883 4.1.1: data before RCV.NXT was received before.
        let data_seq = seq + usize::from(seg.flags.contains(TcpFlags::SYN));
        if !seg.payload.is_empty() && data_seq < self.rcv.nxt {
            let end = (data_seq + seg.payload.len()).min(self.rcv.nxt);
            self.dsack_note(cx.config.dsack, data_seq, end);
        }
        ControlFlow::Continue(inside)
    }

    /// The answer to an unacceptable segment: an ACK, or our SYN,ACK again
    /// for a retransmitted SYN in SYN-RECEIVED (ours was lost).
    pub(super) fn unacceptable(&mut self, now: Instant, config: &TcpConfig, seg: &TcpRepr<'_>) {
        let f = seg.flags;
        // RFC 2883 4.1.1: a wholly old duplicate, reported in a D-SACK
        // block of the ACK that answers it.
        let end = seg.seq_number + seg.payload.len();
        if !seg.payload.is_empty() && end <= self.rcv.nxt {
            self.dsack_note(config.dsack, seg.seq_number, end);
        }
        if !self.flags.has(Flags::SYN_ACKED)
            && f.contains(TcpFlags::SYN)
            && seg.seq_number == self.rcv.irs
        {
            // (Also in FIN-WAIT-1 entered from SYN-RECEIVED: our SYN,ACK is
            // what the peer still waits for.) Ours was lost: RFC 5681 3.1's
            // initial window of one segment. A SYN sent again without the
            // window scale option (some stacks drop options when they
            // retry) takes the offer back.
            self.pending.set(Pending::SYN, true);
            self.flags.set(Flags::SYN_RETRANSMITTED, true);
            if seg.options.window_scale.is_none() {
                self.wscale = None;
            }
        } else if self.oow_ack_due(now, config, seg) {
            self.pending.set(Pending::ACK, true);
        }
        // Only the peer's own FIN, sent again, restarts 2*MSL: a FIN with
        // any other sequence number (a blind attacker's) would otherwise
        // keep TIME-WAIT for ever.
        if self.state == State::TimeWait
            && f.contains(TcpFlags::FIN)
            && seg.seq_number + seg.segment_len() == self.rcv.nxt
        {
            self.restart_time_wait(now, config);
        }
    }

    /// Whether an unacceptable segment gets its ACK. RFC 9293 3.10.7.4 asks
    /// for one every time, so a blind attacker would get one ACK per forged
    /// segment. As Linux's `tcp_oow_rate_limited`: a segment that occupies
    /// sequence space without SYN (data or a FIN: a retransmission whose
    /// ACK was lost, a zero-window probe) is always answered (RFC 5681
    /// 4.2); others at most once per [`TcpConfig::oow_ack_interval`] per
    /// connection. Never by a global counter: that was CVE-2016-5696's side
    /// channel.
    fn oow_ack_due(&mut self, now: Instant, config: &TcpConfig, seg: &TcpRepr<'_>) -> bool {
        let occupies = !seg.payload.is_empty() || seg.flags.contains(TcpFlags::FIN);
        if occupies && !seg.flags.contains(TcpFlags::SYN) {
            return true;
        }
        if self.flags.has(Flags::OOW_ACKED)
            && self.timers.since(Stamp::OowAck, now) < config.oow_ack_interval
        {
            self.flags.set(Flags::OOW_LIMITED, true);
            return false;
        }
        self.flags.set(Flags::OOW_ACKED, true);
        self.timers.stamp(Stamp::OowAck, now);
        true
    }

    /// Cuts the segment to the receive window: bytes already received at
    /// the front and bytes beyond the window (or beyond a remembered FIN)
    /// at the back go, and a FIN beyond the window goes with them.
    fn trim_to_window<'s, 'p>(&self, seg: &'s TcpRepr<'p>, rcv_wnd: usize) -> Incoming<'s, 'p> {
        let mut seq = seg.seq_number;
        let mut payload = seg.payload;
        let mut fin = seg.flags.contains(TcpFlags::FIN);
        // A SYN occupies the first sequence number.
        if seg.flags.contains(TcpFlags::SYN) {
            seq += 1;
        }
        if seq < self.rcv.nxt {
            let behind = self.rcv.nxt - seq;
            if behind > payload.len() {
                // All the data is old; so is a FIN before RCV.NXT.
                if seq + payload.len() < self.rcv.nxt {
                    fin = false;
                }
                payload = &[];
            } else {
                payload = payload.get(behind..).unwrap_or(&[]);
            }
            seq = self.rcv.nxt;
        }
        let mut edge = self.rcv.nxt + rcv_wnd;
        if self.flags.has(Flags::FIN_SEEN) {
            edge = edge.min(self.rcv.fin);
        }
        let room = edge - seq;
        if payload.len() > room {
            payload = payload.get(..room).unwrap_or(&[]);
            fin = false;
        }
        Incoming {
            arrived: seg,
            seq,
            payload,
            fin,
        }
    }

    /// 3.10.7.4 second, with RFC 5961 section 3: "1) If the RST bit is set
    /// and the sequence number is outside the current receive window,
    /// silently drop the segment. 2) If the RST bit is set and the sequence
    /// number exactly matches the next expected sequence number (RCV.NXT),
    /// then TCP MUST reset the connection in the manner prescribed below
    /// according to the connection state. 3) If the RST bit is set and the
    /// sequence number does not exactly match the next expected sequence
    /// value, yet is within the current receive window, TCP MUST send an
    /// acknowledgment (challenge ACK)."
    fn check_rst<'s, 'p>(&mut self, cx: &RxContext<'_>, seg: Incoming<'s, 'p>) -> Step<'s, 'p> {
        if !seg.arrived.flags.contains(TcpFlags::RST) {
            return ControlFlow::Continue(seg);
        }
        if seg.arrived.seq_number != self.rcv.nxt && cx.config.rfc5961.rst_challenge {
            self.challenge_ack(cx.now, cx.config);
            return ControlFlow::Break(None);
        }
        match self.state {
            // "SYN-RECEIVED STATE: If this connection was initiated with a
            // passive OPEN (i.e., came from the LISTEN state), then return
            // this connection to LISTEN state and return. ... If this
            // connection was initiated with an active OPEN (i.e., came from
            // SYN-SENT state), then the connection was refused; signal the
            // user "connection refused"."
            State::SynReceived if self.flags.has(Flags::PASSIVE) => self.back_to_listen(),
            State::SynReceived => self.fail(TcpError::Refused),
            // "ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT STATES: If the
            // RST bit is set, then any outstanding RECEIVEs and SEND should
            // receive "reset" responses. ... Enter the CLOSED state, delete
            // the TCB, and return."
            State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait => {
                self.fail(TcpError::Reset)
            }
            // "CLOSING, LAST-ACK, TIME-WAIT STATES: If the RST bit is set,
            // then enter the CLOSED state, delete the TCB, and return."
            _ => self.set_closed(),
        }
        ControlFlow::Break(None)
    }

    /// 3.10.7.4 fourth: "SYN-RECEIVED STATE: If the connection was
    /// initiated with a passive OPEN, then return this connection to the
    /// LISTEN state and return. Otherwise, handle per the directions for
    /// synchronized states below. ESTABLISHED STATE ... TIME-WAIT STATE: If
    /// the SYN bit is set in these synchronized states, it may be either a
    /// legitimate new connection attempt (e.g., in the case of TIME-WAIT),
    /// an error where the connection should be reset, or the result of an
    /// attack attempt, as described in RFC 5961. For the TIME-WAIT state,
    /// new connections can be accepted if the Timestamp Option is used and
    /// meets expectations (per RFC 6191). For all other cases, RFC 5961
    /// provides a mitigation ... TCP MUST send an ACK (challenge ACK) to the
    /// remote peer."
    fn check_syn<'s, 'p>(&mut self, cx: &RxContext<'_>, seg: Incoming<'s, 'p>) -> Step<'s, 'p> {
        if !seg.arrived.flags.contains(TcpFlags::SYN) {
            return ControlFlow::Continue(seg);
        }
        if self.state == State::SynReceived && seg.arrived.seq_number == self.rcv.irs {
            // The peer's SYN again, with data on it this time (a bare one
            // failed the acceptability test): a retransmission, answered
            // like one, with our SYN,ACK (and ours was lost).
            self.pending.set(Pending::SYN, true);
            self.flags.set(Flags::SYN_RETRANSMITTED, true);
            if seg.arrived.options.window_scale.is_none() {
                self.wscale = None;
            }
        } else if self.state == State::SynReceived && self.flags.has(Flags::PASSIVE) {
            self.back_to_listen();
        } else if cx.config.rfc5961.syn_challenge {
            self.challenge_ack(cx.now, cx.config);
        } else {
            // RFC 793: "If the SYN is in the window it is an error, send a
            // reset, ... enter the CLOSED state, delete the TCB, and
            // return."
            self.fail(TcpError::Reset);
            return ControlFlow::Break(Reply::for_closed(seg.arrived));
        }
        ControlFlow::Break(None)
    }

    /// 3.10.7.4 sixth: "ESTABLISHED STATE, FIN-WAIT-1 STATE, FIN-WAIT-2
    /// STATE: If the URG bit is set, RCV.UP <- max(RCV.UP, SEG.UP), and
    /// signal the user that the remote side has urgent data if the urgent
    /// pointer (RCV.UP) is in advance of the data consumed." (RFC 6093: the
    /// pointer points to the byte after the urgent data, and urgent data is
    /// delivered in line.)
    fn check_urg<'s, 'p>(&mut self, seg: Incoming<'s, 'p>) -> Step<'s, 'p> {
        if seg.arrived.flags.contains(TcpFlags::URG) && self.state.takes_text() {
            let up = seg.arrived.seq_number + usize::from(seg.arrived.urgent_pointer);
            if !self.flags.has(Flags::RCV_URGENT) || up > self.rcv.up {
                self.rcv.up = up;
            }
            self.flags.set(Flags::RCV_URGENT, true);
        }
        ControlFlow::Continue(seg)
    }

    /// 3.10.7.4 seventh: "ESTABLISHED STATE, FIN-WAIT-1 STATE, FIN-WAIT-2
    /// STATE: Once in the ESTABLISHED state, it is possible to deliver
    /// segment data to user RECEIVE buffers. ... When the TCP endpoint takes
    /// responsibility for delivering the data to the user, it must also
    /// acknowledge the receipt of the data. Once the TCP endpoint takes
    /// responsibility for the data, it advances RCV.NXT over the data
    /// accepted, and adjusts RCV.WND as appropriate to the current buffer
    /// availability." "CLOSE-WAIT STATE, CLOSING STATE, LAST-ACK STATE,
    /// TIME-WAIT STATE: This should not occur since a FIN has been received
    /// from the remote side. Ignore the segment text."
    fn process_text<'s, 'p>(&mut self, cx: &RxContext<'_>, seg: Incoming<'s, 'p>) -> Step<'s, 'p> {
        if seg.payload.is_empty() {
            return ControlFlow::Continue(seg);
        }
        if self.flags.has(Flags::RX_SHUT) {
            net_debug!(
                "data after the application closed: reset, local={}, remote={}",
                self.local,
                self.remote
            );
            self.pending.set(Pending::RST, true);
            self.set_closed();
            return ControlFlow::Break(None);
        }
        if self.state.takes_text() {
            self.accept_text(cx.now, cx.config, seg.seq, seg.payload);
        }
        ControlFlow::Continue(seg)
    }

    /// Takes in-window data: in order, it extends the stream (with any
    /// out-of-order data it now joins); out of order, it is held in the
    /// buffer beyond the stream and tracked by the assembler.
    fn accept_text(&mut self, now: Instant, config: &TcpConfig, seq: SeqNumber, payload: &[u8]) {
        let offset = seq - self.rcv.nxt;
        let written = self.rx.write_unallocated(offset, payload);
        if offset != 0 {
            // RFC 2883 4.1.2: out-of-order data we already hold is a
            // duplicate too.
            let held = self
                .assembler
                .iter_data(0)
                .any(|(s, e)| s <= offset && offset + written <= e);
            if held {
                self.dsack_note(config.dsack, seq, seq + written);
            }
            if self.assembler.add(offset, written).is_err() {
                net_debug!("out-of-order segment dropped: too many holes");
            } else {
                self.sack_note(seq);
            }
            // "A TCP receiver SHOULD send an immediate duplicate ACK when an
            // out-of-order segment arrives" (RFC 5681 4.2): one for each,
            // also for several read in one poll (three at most, which is
            // what the sender's fast retransmit counts).
            self.pending.set(Pending::ACK, true);
            self.dup_acks_owed = (self.dup_acks_owed + 1).min(3);
            return;
        }
        // In order: what is owed now is a new ACK, not duplicates.
        self.dup_acks_owed = 0;
        let had_holes = !self.assembler.is_empty();
        let mut n = self
            .assembler
            .add_then_remove_front(0, written)
            .unwrap_or(written);
        if self.flags.has(Flags::FIN_SEEN) {
            // Data held beyond the peer's FIN is not part of the stream.
            n = n.min(self.rcv.fin - self.rcv.nxt);
        }
        self.rx.enqueue_unallocated(n);
        self.rcv.nxt += n;
        if had_holes {
            // "... an immediate ACK when the incoming segment fills in all
            // or part of a gap in the sequence space" (RFC 5681 4.2).
            self.pending.set(Pending::ACK, true);
        } else {
            self.delay_ack(now, config);
        }
    }

    /// RFC 1122 4.2.3.2: "an ACK should be generated for at least every
    /// second full-sized segment", and otherwise within the delayed-ACK
    /// time ("MUST be less than 0.5 seconds"). A second segment of any size
    /// is acknowledged at once.
    fn delay_ack(&mut self, now: Instant, config: &TcpConfig) {
        self.unacked_segments = self.unacked_segments.saturating_add(1);
        match config.ack_delay {
            Some(d) if self.unacked_segments < 2 => {
                if !self.timers.is_running(super::Timer::DelayedAck) {
                    self.timers.set(super::Timer::DelayedAck, now, d);
                }
            }
            _ => self.pending.set(Pending::ACK, true),
        }
    }

    /// 3.10.7.4 eighth: "Do not process the FIN if the state is CLOSED,
    /// LISTEN, or SYN-SENT since the SEG.SEQ cannot be validated. If the
    /// FIN bit is set, signal the user "connection closing" and return any
    /// pending RECEIVEs with same message, advance RCV.NXT over the FIN,
    /// and send an acknowledgment for the FIN." A FIN's sequence number is
    /// remembered, so that a FIN beyond a gap is processed when the gap
    /// fills (the stream ends there: later data beyond it is cut off).
    fn check_fin(
        &mut self,
        cx: &RxContext<'_>,
        seg: Incoming<'_, '_>,
    ) -> ControlFlow<Option<Reply>> {
        if seg.fin && !self.flags.has(Flags::FIN_RECEIVED) {
            self.remember_fin(seg.seq + seg.payload.len());
        }
        let due = self.flags.has(Flags::FIN_SEEN)
            && !self.flags.has(Flags::FIN_RECEIVED)
            && self.rcv.fin <= self.rcv.nxt;
        if due {
            self.fin_arrives(cx.now, cx.config);
        }
        ControlFlow::Continue(())
    }

    /// A FIN at `seq` (in the window): the first one seen wins; one at
    /// another sequence number (a peer bug or a forgery) is ignored.
    fn remember_fin(&mut self, seq: SeqNumber) {
        if !self.flags.has(Flags::FIN_SEEN) {
            self.rcv.fin = seq;
            self.flags.set(Flags::FIN_SEEN, true);
        } else if self.rcv.fin != seq {
            net_debug!(
                "a second FIN at {} (the first at {}) ignored",
                seq,
                self.rcv.fin
            );
        }
    }

    /// The FIN is next in sequence: the end of the stream.
    fn fin_arrives(&mut self, now: Instant, config: &TcpConfig) {
        self.rcv.nxt += 1;
        self.flags.set(Flags::FIN_RECEIVED, true);
        self.pending.set(Pending::ACK, true);
        match self.state {
            // "SYN-RECEIVED STATE, ESTABLISHED STATE: Enter the CLOSE-WAIT
            // state."
            State::SynReceived | State::Established => self.set_state(State::CloseWait),
            // "FIN-WAIT-1 STATE: If our FIN has been ACKed (perhaps in this
            // segment), then enter TIME-WAIT, start the time-wait timer,
            // turn off the other timers; otherwise, enter the CLOSING state."
            State::FinWait1 if self.fin_acked() => self.enter_time_wait(now, config),
            State::FinWait1 => self.set_state(State::Closing),
            // "FIN-WAIT-2 STATE: Enter the TIME-WAIT state. Start the
            // time-wait timer, turn off the other timers."
            State::FinWait2 => self.enter_time_wait(now, config),
            // "CLOSE-WAIT STATE: Remain in the CLOSE-WAIT state. CLOSING
            // STATE: Remain in the CLOSING state. LAST-ACK STATE: Remain in
            // the LAST-ACK state. TIME-WAIT STATE: Remain in the TIME-WAIT
            // state. Restart the 2 MSL time-wait timeout."
            _ => {}
        }
    }

    /// A passive connection that was reset or re-SYNed returns to LISTEN.
    pub(crate) fn back_to_listen(&mut self) {
        let endpoint = self.listen_endpoint();
        let flags = self.flags;
        self.reset_connection(Instant::ZERO);
        self.flags = flags;
        self.flags.retain(Flags::NO_DELAY.union(Flags::LISTEN_ANY));
        self.flags.set(Flags::PASSIVE, true);
        let addr = endpoint
            .addr
            .unwrap_or(crate::wire::Ipv4Address::UNSPECIFIED);
        self.local = SocketAddrV4::new(addr, endpoint.port);
        self.set_state(State::Listen);
    }

    pub(crate) fn enter_time_wait(&mut self, now: Instant, config: &TcpConfig) {
        self.set_state(State::TimeWait);
        self.restart_time_wait(now, config);
    }

    pub(crate) fn restart_time_wait(&mut self, now: Instant, config: &TcpConfig) {
        self.timers
            .set(super::Timer::TimeWait, now, config.time_wait);
    }
}
