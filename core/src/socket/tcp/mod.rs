//! TCP sockets (RFC 9293), sans-IO.
//!
//! A [`TcpSocket`] is one end of one connection: the eleven states of RFC
//! 9293 section 3.3.2, its send and receive sequence variables (3.3.1), two
//! caller-provided ring buffers, and a [table of timers](timer). It never
//! sees a device and never reads a clock. The files follow RFC 9293 3.10,
//! "Event Processing":
//!
//! * getters (this file): [`TcpSocket::state`], [`TcpSocket::remote_endpoint`], ...;
//! * `user.rs`, the user calls of 3.10.1 to 3.10.6: [`TcpSocket::send_slice`],
//!   [`TcpSocket::recv_slice`], [`TcpSocket::close`], [`TcpSocket::abort`]
//!   (listen and connect go through the [`SocketSet`](super::SocketSet) and
//!   the [`Stack`](crate::iface::Stack), which own the index and the
//!   routes);
//! * `input.rs`, 3.10.7 SEGMENT ARRIVES: [`TcpSocket::segment_arrives`], a
//!   short driver over one function per step of the RFC, each quoting it;
//! * `timeout.rs`, 3.10.8 TIMEOUTS: [`TcpSocket::handle_timeout`] turns each
//!   expired timer into a pending send, a re-armed timer, or the end of the
//!   connection;
//! * `output.rs`: `dispatch` produces the next segment to send, and
//!   [`TcpSocket::poll_at`] says when that is.
//!
//! `poll_at` is the earliest running timer, or "now" when a send is pending
//! or data can be sent, and nothing else: a deadline is set in one place and
//! stopped by the table when a state that does not use it is entered, so a
//! socket cannot say "now" and then have nothing to do.
//!
//! Settings shared by every connection (RTO bounds, retry limits, TIME-WAIT,
//! the delayed-ACK time, ...) are the stack's [`TcpConfig`], passed in with
//! each event; a socket keeps only what the application sets per socket
//! (Nagle, keep-alive, the user timeout, the congestion algorithm).
//!
//! Reliability is RFC 6298's timer with Karn's rule (`rtt.rs`), RFC 9293
//! 3.8.3's retry limits, an out-of-order assembler, RFC 5681/6582 NewReno
//! congestion control (`congestion.rs`), RFC 1122 delayed ACKs and Nagle,
//! and silly window avoidance on both sides with its override timer.

use core::fmt;
use core::net::SocketAddrV4;

use managed::Managed;

use super::ListenEndpoint;
use crate::rand::SipKey;
use crate::storage::{Assembler, RingBuffer};
use crate::time::{Duration, Instant};
use crate::wire::{Ipv4Address, SeqNumber};

mod ack;
mod congestion;
pub mod cookie;
mod cubic;
mod icmp;
pub mod input;
pub mod listener;
mod output;
mod prr;
mod rack;
mod recovery;
mod rtt;
mod sack;
mod scoreboard;
mod sentlog;
mod time_wait;
mod timeout;
pub mod timer;
mod timestamps;
mod user;

#[cfg(test)]
mod tests;

pub use congestion::{Congestion, InitialWindow};
pub use listener::{PoolError, SynEntry, SynSlot, TcpListener};
pub use output::Segment;
pub use rtt::RttEstimator;
pub use scoreboard::{SackRange, Scoreboard};
pub use sentlog::SentSegment;
pub(crate) use time_wait::TimeWaitAction;
pub use time_wait::{TimeWaitRecord, TimeWaitSlot, TimeWaitTable};
pub use timer::{Timer, TimerSet, TimerTable};

use congestion::Controller;
pub(crate) use rack::RtxTimer;
pub(crate) use sack::SackVars;
pub(crate) use timestamps::TsVars;

/// A TCP socket's byte buffer.
pub type SocketBuffer<'a> = RingBuffer<'a, u8>;

/// Holes the out-of-order assembler tracks: eight ranges of data held
/// beyond a gap (smoltcp keeps four). A segment that would need a ninth is
/// dropped and sent again by the peer. Eight covers the bursts of separate
/// losses a window of 64 KiB sees on a lossy path, at 8 bytes a hole.
pub const ASSEMBLER_HOLES: usize = 8;

/// The eleven states of RFC 9293 section 3.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum State {
    /// No connection.
    Closed,
    /// Waiting for a SYN.
    Listen,
    /// SYN sent, waiting for the peer's SYN.
    SynSent,
    /// SYN received and answered, waiting for its ACK.
    SynReceived,
    /// Open: data flows both ways.
    Established,
    /// Our FIN is sent, not yet acknowledged.
    FinWait1,
    /// Our FIN is acknowledged; waiting for the peer's.
    FinWait2,
    /// The peer's FIN arrived; we may still send.
    CloseWait,
    /// Both FINs sent, ours not yet acknowledged.
    Closing,
    /// The peer closed first; our FIN is out, waiting for its ACK.
    LastAck,
    /// Both sides closed; waiting 2*MSL for stray segments.
    TimeWait,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        })
    }
}

impl State {
    /// The synchronized states (RFC 9293 3.5.2): a SYN has been exchanged
    /// both ways.
    pub fn is_synchronized(&self) -> bool {
        !matches!(
            self,
            State::Closed | State::Listen | State::SynSent | State::SynReceived
        )
    }

    /// The states in which data and our FIN may still be sent.
    pub(crate) fn may_transmit(&self) -> bool {
        matches!(
            self,
            State::Established
                | State::CloseWait
                | State::FinWait1
                | State::Closing
                | State::LastAck
        )
    }

    /// The states in which the peer's data is taken (3.10.7.4, seventh).
    pub(crate) fn takes_text(&self) -> bool {
        matches!(self, State::Established | State::FinWait1 | State::FinWait2)
    }
}

/// How a connection ended badly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TcpError {
    /// The peer answered our SYN with a RST ("connection refused").
    Refused,
    /// The peer reset an open connection ("connection reset").
    Reset,
    /// Retransmissions went unanswered past the retry limit (R2), or the
    /// user timeout expired.
    TimedOut,
    /// An ICMP error said the peer cannot be reached (a hard error during
    /// connection setup).
    Unreachable(super::IcmpErrorKind),
}

impl fmt::Display for TcpError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            TcpError::Refused => f.write_str("connection refused"),
            TcpError::Reset => f.write_str("connection reset by peer"),
            TcpError::TimedOut => f.write_str("connection timed out"),
            TcpError::Unreachable(k) => write!(f, "unreachable: {k}"),
        }
    }
}

impl core::error::Error for TcpError {}

/// Why data could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SendError {
    /// The connection is not open for sending (not yet, or closed, or
    /// shut down for writing).
    InvalidState,
    /// The connection failed.
    Failed(TcpError),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            SendError::InvalidState => f.write_str("not open for sending"),
            SendError::Failed(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for SendError {}

/// Why nothing could be received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RecvError {
    /// The connection is not open for receiving.
    InvalidState,
    /// The peer closed its side and every byte has been read (end of
    /// stream).
    Finished,
    /// The connection failed.
    Failed(TcpError),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            RecvError::InvalidState => f.write_str("not open for receiving"),
            RecvError::Finished => f.write_str("end of stream"),
            RecvError::Failed(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for RecvError {}

/// Why a listen or connect was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConnectError {
    /// The socket is not closed.
    InvalidState,
    /// The address or port is unspecified, or the remote address is no
    /// unicast host (broadcast, a subnet's broadcast, multicast).
    Unaddressable,
    /// No route to the remote address.
    NoRoute,
    /// The local endpoint is in use.
    AddrInUse,
    /// No ephemeral port is free for this remote.
    NoEphemeralPort,
    /// The handle is not a TCP socket.
    InvalidHandle,
    /// The local address asked for is none of this stack's.
    AddrNotAvailable,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            ConnectError::InvalidState => "socket not closed",
            ConnectError::Unaddressable => "address or port unspecified, or not a unicast host",
            ConnectError::NoRoute => "no route to host",
            ConnectError::AddrInUse => "address in use",
            ConnectError::NoEphemeralPort => "no ephemeral port available",
            ConnectError::InvalidHandle => "not a TCP socket",
            ConnectError::AddrNotAvailable => "local address not configured here",
        })
    }
}

impl core::error::Error for ConnectError {}

/// The TCP settings every connection of a stack shares (a field of
/// [`StackConfig`](crate::iface::StackConfig)); what an application sets
/// per socket has its own setters on [`TcpSocket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct TcpConfig {
    /// RFC 6298's initial RTO (1 s).
    pub rto_initial: Duration,
    /// The lower bound of the RTO. RFC 6298 (2.4) suggests 1 s; 200 ms, as
    /// Linux, keeps a lossy LAN responsive.
    pub rto_min: Duration,
    /// The upper bound of the RTO (at least 60 s, RFC 6298 (2.5)).
    pub rto_max: Duration,
    /// R2 of RFC 9293 3.8.3 as a count: retransmissions of one segment
    /// before the connection is aborted (15, as Linux's `tcp_retries2`:
    /// 15 doublings from 200 ms exceed the 100 s the RFC asks for). Also the
    /// number of unanswered zero-window probes after which the peer is
    /// taken for dead.
    pub max_retransmissions: u8,
    /// R2 for SYN segments: "R2 for a SYN segment MUST be set large enough
    /// to provide retransmission of the segment for at least 3 minutes" (7:
    /// from an RTO of 1 s, capped at 60 s, SYNs go at 0, 1, 3, 7, 15, 31,
    /// 63 and 123 s and the open fails at 183 s; 6 would give up at 123 s).
    pub max_syn_retransmissions: u8,
    /// SYN,ACKs a [`TcpListener`] sends again for one entry of its SYN
    /// queue before it drops the entry (4: at 1, 3, 7 and 15 s from an RTO
    /// of 1 s, given up at 31 s). Fewer than R2's three minutes on purpose,
    /// a deviation from MUST-23 under resource limits (docs/CONFORMANCE.md):
    /// an entry held that long is what a SYN flood wants. Linux sends 5.
    pub synack_retries: u8,
    /// Answer SYNs with SYN cookies (RFC 4987) when a listener's SYN queue
    /// is full (on, as Linux's `tcp_syncookies = 1`); off, such SYNs are
    /// dropped.
    pub syn_cookies: bool,
    /// R1 of RFC 9293 3.8.3: retransmissions after which the IP layer is
    /// told to check the route (logged).
    pub r1: u8,
    /// How long TIME-WAIT lasts (2*MSL; 60 s as Linux, MSL = 30 s).
    pub time_wait: Duration,
    /// The delayed ACK timeout (RFC 1122 4.2.3.2: "MUST be less than 0.5
    /// seconds"); `None` ACKs every segment at once.
    pub ack_delay: Option<Duration>,
    /// RFC 5961 challenge ACKs per second per connection (at most 255).
    pub challenge_ack_limit: u8,
    /// The least time between two ACKs to unacceptable segments that carry
    /// no data or FIN, per connection (Linux's `tcp_invalid_ratelimit`,
    /// 500 ms); segments with data or a FIN are always answered.
    pub oow_ack_interval: Duration,
    /// RFC 9293 3.8.6.2.1's override timeout of sender SWS avoidance: "The
    /// override timeout should be in the range 0.1 - 1.0 seconds" (200 ms).
    pub sws_override: Duration,
    /// How long an orphan (a socket the application let go of, see
    /// [`TcpSocket::orphan`]) may stay in FIN-WAIT-2, counted from when it
    /// entered it or was orphaned there, before it is reset (`None`:
    /// forever, as RFC 9293). 60 s, as Linux's `tcp_fin_timeout`: a peer
    /// that never closes cannot hold an orphan. A socket the application
    /// still holds is never timed out by this.
    pub fin_wait2_timeout: Option<Duration>,
    /// Zero-window probes an orphan sends, answered or not, before it gives
    /// up (8, as Linux's `tcp_orphan_retries`): RFC 9293's MUST-37 lets a
    /// receiver keep a window closed for ever, and resource limits let an
    /// orphan end that.
    pub orphan_retries: u8,
    /// RFC 5961's three mitigations, each on by default.
    pub rfc5961: Rfc5961,
    /// Drop a SYN that also carries FIN in LISTEN, as FreeBSD's
    /// `net.inet.tcp.drop_synfin` (off: the SYN opens a connection and the
    /// FIN is not kept, which RFC 9293 allows: "any other control or text
    /// should be queued for processing later").
    pub drop_syn_fin: bool,
    /// RFC 5681 4.1: after an idle period longer than the RTO, cwnd starts
    /// again from the restart window (on, as Linux's
    /// `tcp_slow_start_after_idle`; the RFC's SHOULD).
    pub restart_after_idle: bool,
    /// RFC 7323 window scaling, offered in every SYN and taken when the
    /// peer's SYN offers it (on, as Linux's `tcp_window_scaling`): a receive
    /// buffer beyond 64 KiB is then advertised whole.
    pub window_scaling: bool,
    /// RFC 7323 timestamps, offered in every SYN and taken when the peer's
    /// SYN offers them (on, as Linux's `tcp_timestamps`): PAWS protects
    /// against old duplicates, every ACK gives an RTT sample, and RFC 6191
    /// can reopen a connection in TIME-WAIT.
    pub timestamps: bool,
    /// RFC 2018 selective acknowledgments: SACK-permitted offered in every
    /// SYN and taken when the peer's SYN offers it (on, as Linux's
    /// `tcp_sack`); we then report the out-of-order data we hold.
    pub sack: bool,
    /// RFC 2883 D-SACK: with SACK agreed, a duplicate segment is reported
    /// in the first SACK block (on, as Linux's `tcp_dsack`).
    pub dsack: bool,
    /// RFC 3042 limited transmit: the first two duplicate ACKs each let one
    /// new segment out beyond cwnd (on; RFC 3042's SHOULD), so that a small
    /// window still gets the three duplicates fast retransmit needs.
    pub limited_transmit: bool,
    /// The initial congestion window: RFC 5681's two to four segments (the
    /// default), or RFC 6928's ten ([`InitialWindow::Rfc6928`], as Linux).
    pub initial_window: InitialWindow,
}

/// Which of RFC 5961's mitigations run (all, by default). Each one off
/// gives RFC 793's behaviour back, for tests that show the attack it
/// stops and for comparison with stacks that lack it.
///
/// ```
/// use microps_core::socket::tcp::{Rfc5961, TcpConfig};
///
/// let mut config = TcpConfig::default();
/// assert_eq!(config.rfc5961, Rfc5961::default());
/// config.rfc5961.rst_challenge = false; // any in-window RST resets
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Rfc5961 {
    /// Section 3: a RST in the window but not at RCV.NXT gets a challenge
    /// ACK. Off: it resets the connection (RFC 793).
    pub rst_challenge: bool,
    /// Section 4: a SYN in a synchronized state gets a challenge ACK. Off:
    /// an in-window SYN resets the connection and is answered with a RST
    /// (RFC 793).
    pub syn_challenge: bool,
    /// Section 5: an ACK below SND.UNA - MAX.SND.WND drops its segment
    /// with a challenge ACK. Off: it is an old duplicate, ignored, and the
    /// segment's data is taken (RFC 793).
    pub ack_check: bool,
}

impl Default for Rfc5961 {
    fn default() -> Self {
        Rfc5961 {
            rst_challenge: true,
            syn_challenge: true,
            ack_check: true,
        }
    }
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            rto_initial: Duration::from_secs(1),
            rto_min: Duration::from_millis(200),
            rto_max: Duration::from_secs(60),
            max_retransmissions: 15,
            max_syn_retransmissions: 7,
            synack_retries: 4,
            syn_cookies: true,
            r1: 3,
            time_wait: Duration::from_secs(60),
            ack_delay: Some(Duration::from_millis(40)),
            challenge_ack_limit: 10,
            oow_ack_interval: Duration::from_millis(500),
            sws_override: Duration::from_millis(200),
            fin_wait2_timeout: Some(Duration::from_secs(60)),
            orphan_retries: 8,
            rfc5961: Rfc5961::default(),
            drop_syn_fin: false,
            restart_after_idle: true,
            window_scaling: true,
            timestamps: true,
            sack: true,
            dsack: true,
            limited_transmit: true,
            initial_window: InitialWindow::Rfc5681,
        }
    }
}

/// RFC 7323 2.2's shift counts of a connection: "the scale factor applied
/// to [the peer's] window" and to ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct WindowScale {
    /// Snd.Wind.Shift: the peer's, applied to the windows it advertises.
    pub(crate) snd: u8,
    /// Rcv.Wind.Shift: ours, applied to the windows we advertise.
    pub(crate) rcv: u8,
}

impl WindowScale {
    /// RFC 7323 2.3: "the maximum shift count ... is 14"; a larger one
    /// received is "used as 14".
    pub(crate) const MAX_SHIFT: u8 = 14;

    /// The smallest shift that lets a 16-bit window field cover a receive
    /// buffer of `capacity` bytes.
    pub(crate) fn for_buffer(capacity: usize) -> u8 {
        let mut shift = 0;
        while shift < Self::MAX_SHIFT && (65535usize << shift) < capacity {
            shift += 1;
        }
        shift
    }
}

/// A connection's sequence variables, as [`TcpSocket::sequence_numbers`]
/// reads them (RFC 9293 3.3.1, figures 4 and 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SequenceNumbers {
    /// SND.UNA: the oldest unacknowledged sequence number.
    pub snd_una: SeqNumber,
    /// SND.NXT: the next sequence number to send.
    pub snd_nxt: SeqNumber,
    /// The highest SND.NXT reached (a retransmission timeout pulls SND.NXT
    /// back; it is always SND.UNA <= SND.NXT <= this).
    pub snd_max: SeqNumber,
    /// SND.WND: the peer's window.
    pub snd_wnd: u32,
    /// ISS.
    pub iss: SeqNumber,
    /// RCV.NXT: the next sequence number expected.
    pub rcv_nxt: SeqNumber,
    /// RCV.WND: the window offered.
    pub rcv_wnd: u32,
    /// IRS.
    pub irs: SeqNumber,
}

/// The send sequence variables (RFC 9293 3.3.1, figure 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SendVars {
    /// SND.UNA: oldest unacknowledged sequence number.
    pub(crate) una: SeqNumber,
    /// SND.NXT: next sequence number to send.
    pub(crate) nxt: SeqNumber,
    /// The highest sequence number sent (SND.NXT before a retransmission
    /// timeout pulled it back).
    pub(crate) max: SeqNumber,
    /// SND.WND: the peer's window.
    pub(crate) wnd: u32,
    /// The largest window the peer ever offered (for SWS and RFC 5961).
    pub(crate) max_wnd: u32,
    /// SND.WL1: segment sequence number used for the last window update.
    pub(crate) wl1: SeqNumber,
    /// SND.WL2: segment acknowledgment number used for the last window
    /// update.
    pub(crate) wl2: SeqNumber,
    /// ISS: initial send sequence number.
    pub(crate) iss: SeqNumber,
    /// SND.UP: the sequence number after the urgent data, while
    /// [`Flags::SND_URGENT`] is set.
    pub(crate) up: SeqNumber,
}

/// The receive sequence variables (RFC 9293 3.3.1, figure 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct RecvVars {
    /// RCV.NXT: next sequence number expected.
    pub(crate) nxt: SeqNumber,
    /// IRS: initial receive sequence number.
    pub(crate) irs: SeqNumber,
    /// The right edge of the window last advertised (it never shrinks).
    pub(crate) adv_edge: SeqNumber,
    /// RCV.UP: the peer's urgent pointer, while [`Flags::RCV_URGENT`].
    pub(crate) up: SeqNumber,
    /// The sequence number of the peer's FIN, while [`Flags::FIN_SEEN`]:
    /// the stream ends there.
    pub(crate) fin: SeqNumber,
}

/// A small bit set.
macro_rules! bitset {
    ($(#[$m:meta])* $name:ident($ty:ty) { $($(#[$fm:meta])* $flag:ident = $bit:expr,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Default)]
        pub(crate) struct $name($ty);

        #[allow(dead_code, reason = "not every set uses every helper or flag")]
        impl $name {
            $($(#[$fm])* pub(crate) const $flag: $name = $name(1 << $bit);)*
            const NAMES: &'static [($name, &'static str)] = &[$(($name::$flag, stringify!($flag)),)*];

            pub(crate) fn has(self, f: $name) -> bool {
                self.0 & f.0 != 0
            }

            pub(crate) fn set(&mut self, f: $name, on: bool) {
                if on { self.0 |= f.0 } else { self.0 &= !f.0 }
            }

            pub(crate) fn any(self) -> bool {
                self.0 != 0
            }

            /// The flags of `self` that are also in `keep`.
            pub(crate) fn retain(&mut self, keep: $name) {
                self.0 &= keep.0;
            }

            pub(crate) const fn union(self, other: $name) -> $name {
                $name(self.0 | other.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                let mut l = f.debug_set();
                for (flag, name) in Self::NAMES {
                    if self.has(*flag) {
                        l.entry(&format_args!("{}", name));
                    }
                }
                l.finish()
            }
        }
    };
}

bitset! {
    /// What a connection remembers in one bit each.
    Flags(u32) {
        /// Opened by a passive OPEN (a RST in SYN-RECEIVED returns to LISTEN).
        PASSIVE = 0,
        /// The listen endpoint had no address (any of ours).
        LISTEN_ANY = 1,
        /// Our SYN is acknowledged.
        SYN_ACKED = 2,
        /// Our SYN (or SYN,ACK) was retransmitted (RFC 6298 5.7, RFC 5681 3.1).
        SYN_RETRANSMITTED = 3,
        /// The application called CLOSE: a FIN follows the queued data.
        FIN_QUEUED = 4,
        /// Our FIN has been sent at least once.
        FIN_SENT = 5,
        /// Our FIN is acknowledged.
        FIN_ACKED = 6,
        /// The peer's FIN was processed (end of the receive stream).
        FIN_RECEIVED = 7,
        /// The peer's FIN has arrived at `rcv.fin`; it is processed when
        /// RCV.NXT reaches it (at once, unless it is beyond a gap).
        FIN_SEEN = 8,
        /// The application will read no more: new data is answered with a
        /// RST (RFC 1122 4.2.2.13).
        RX_SHUT = 9,
        /// Nagle's algorithm is off (`TCP_NODELAY`).
        NO_DELAY = 10,
        /// The application let go of the socket (see `TcpSocket::orphan`).
        ORPHAN = 11,
        /// A round-trip sample is being timed (`rtt_seq`, `rtt_sent_us`).
        TIMING = 12,
        /// `snd.up` is valid.
        SND_URGENT = 13,
        /// `rcv.up` is valid.
        RCV_URGENT = 14,
        /// Data has been sent (RFC 5681 4.1's idle restart has a reference).
        DATA_SENT = 15,
        /// RFC 7323 timestamps: offered in our SYN (SYN-SENT), or agreed by
        /// both SYNs.
        TS_OK = 16,
        /// RFC 2018 SACK: offered in our SYN (SYN-SENT), or agreed by both
        /// SYNs.
        SACK_OK = 17,
        /// A D-SACK block (`sack.dup`) goes first in the next ACK.
        DSACK = 18,
        /// RFC 3042 limited transmit (from [`TcpConfig::limited_transmit`]
        /// when the connection opened).
        LIMITED_TRANSMIT = 19,
        /// `snd_mss` is below `opened_mss` because of a learnt path MTU
        /// (RFC 1191): the stack looks the path up before each send.
        PMTU_LOWERED = 20,
        /// State changes are not logged: a listener is rebuilding the
        /// SYN-RECEIVED state of a handshake it made in this socket.
        QUIET = 21,
        /// The socket waits in a listener's pool (cleared when it is taken,
        /// or when the application opens it itself).
        POOLED = 22,
        /// An ACK answered an unacceptable segment at `Stamp::OowAck`.
        OOW_ACKED = 23,
        /// Such an ACK was held back by the rate limit (read and cleared by
        /// the stack, which counts it).
        OOW_LIMITED = 24,
        /// A "fragmentation needed" below the floor locked the path MTU at
        /// `iface::pmtu::MIN_PATH_MTU`: segments go without DF.
        PMTU_LOCKED = 25,
        /// The path MTU was just locked (read and cleared by the stack,
        /// which counts it).
        PMTU_LOCKED_NOW = 26,
        /// The peer's MSS option was below [`MIN_SND_MSS`] and raised to it
        /// (read and cleared by the stack, which counts it).
        MSS_FLOORED = 27,
    }
}

bitset! {
    /// Segments owed outside the flow of the sequence variables. Each is
    /// set by an event (a segment, a timer, an application call), sent and
    /// cleared by `dispatch` (or discarded there when there is nothing left
    /// to send for it), and discarded when a state that cannot send it is
    /// entered ([`Pending::valid_in`]); so a failed emit leaves the flag,
    /// and a stale flag cannot outlive its state.
    Pending(u8) {
        /// A RST: ABORT, or data after a full close.
        RST = 0,
        /// Our SYN, or SYN,ACK, (again): a retransmission timeout or a
        /// retransmitted SYN from the peer.
        SYN = 1,
        /// An ACK now: out-of-order or unacceptable data, a FIN, a window
        /// update, the delayed-ACK timer, a challenge ACK.
        ACK = 2,
        /// The segment at SND.UNA, alone: fast retransmit or a NewReno
        /// partial ACK.
        REXMIT = 3,
        /// A zero-window probe: the first unacknowledged byte, or the FIN.
        PROBE = 4,
        /// What the usable window allows, however small: SWS override.
        FORCE = 5,
        /// A keep-alive probe.
        KEEPALIVE = 6,
        /// The application changed what the waiting timers depend on
        /// (queued data or a FIN, a setting, orphaned the socket):
        /// `dispatch` runs `schedule` and clears it.
        SCHEDULE = 7,
    }
}

impl Pending {
    /// The sends `state` can make.
    pub(crate) fn valid_in(state: State, syn_acked: bool) -> Pending {
        let mut p = Pending::RST;
        if !matches!(state, State::Closed | State::Listen) {
            p = p.union(Pending::SCHEDULE);
        }
        if !syn_acked && !matches!(state, State::Closed | State::Listen | State::TimeWait) {
            p = p.union(Pending::SYN);
        }
        if !matches!(state, State::Closed | State::Listen | State::SynSent) {
            p = p.union(Pending::ACK);
        }
        if state.may_transmit() {
            p = p
                .union(Pending::REXMIT)
                .union(Pending::PROBE)
                .union(Pending::FORCE);
        }
        if matches!(
            state,
            State::Established | State::CloseWait | State::FinWait2
        ) {
            p = p.union(Pending::KEEPALIVE);
        }
        p
    }
}

/// What the application sets per socket (the rest is [`TcpConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SocketOptions {
    /// Keep-alive idle time in ms (0: off).
    pub(crate) keep_idle_ms: u32,
    /// Keep-alive interval in ms (0: the idle time, at most 75 s).
    pub(crate) keep_intvl_ms: u32,
    /// RFC 9293 3.10.1's user timeout in ms (0: only R2 applies).
    pub(crate) user_timeout_ms: u32,
    /// Unanswered keep-alive probes before the peer is dead.
    pub(crate) keep_cnt: u8,
}

/// Keep-alive probes before the connection is declared dead (RFC 1122
/// 4.2.3.6 leaves it open; 9 as Linux).
pub const KEEP_ALIVE_PROBES: u8 = 9;

/// The smallest send MSS: a peer's MSS option below it is raised to it
/// (Linux's `tcp_min_snd_mss`, 48), so that a peer cannot make us send
/// 1-byte segments. Distinct from the path MTU floor (`iface::pmtu`).
pub const MIN_SND_MSS: usize = 48;

/// Events of a connection the stack counts, read and cleared by
/// `TcpSocket::take_notes` after each segment and ICMP error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Notes {
    /// An ACK to an unacceptable segment was held back (`tcp.oow_acks_limited`).
    pub(crate) oow_ack_limited: bool,
    /// The path MTU was locked at the floor (`icmp.path_mtu_locked`).
    pub(crate) path_mtu_locked: bool,
    /// The peer's MSS was raised to [`MIN_SND_MSS`] (`tcp.mss_floored`).
    pub(crate) mss_floored: bool,
}

/// A TCP socket. See the [module documentation](self).
#[derive(Debug)]
pub struct TcpSocket<'a> {
    pub(crate) tx: SocketBuffer<'a>,
    pub(crate) rx: SocketBuffer<'a>,
    pub(crate) assembler: Assembler<ASSEMBLER_HOLES>,
    pub(crate) timers: TimerTable,
    pub(crate) snd: SendVars,
    pub(crate) rcv: RecvVars,
    pub(crate) cc: Controller,
    pub(crate) rtt: RttEstimator,
    pub(crate) opts: SocketOptions,
    /// The sequence number being timed (with [`Flags::TIMING`]): Karn's
    /// rule takes a sample only from a segment sent once.
    pub(crate) rtt_seq: SeqNumber,
    /// When it was sent: the low 32 bits of the clock in microseconds
    /// (wraps after 71 minutes, far beyond any RTO). With timestamps, which
    /// time the segments themselves, our TSval at the last retransmission
    /// timeout instead (see `ts_rtt`).
    pub(crate) rtt_sent_us: u32,
    /// In LISTEN, the listen endpoint (address unspecified with
    /// [`Flags::LISTEN_ANY`]); otherwise our end of the connection.
    pub(crate) local: SocketAddrV4,
    pub(crate) remote: SocketAddrV4,
    /// The MSS we send with (the peer's MSS option, capped by our path).
    pub(crate) snd_mss: u16,
    /// The MSS we announce (from our interface's MTU).
    pub(crate) rcv_mss: u16,
    /// The MSS the path allowed when the connection opened (the peer's
    /// option, capped by our interface and the path MTU then known): what
    /// `snd_mss` returns to when a learnt path MTU ages out (RFC 1191).
    pub(crate) opened_mss: u16,
    pub(crate) flags: Flags,
    pub(crate) pending: Pending,
    pub(crate) state: State,
    /// Consecutive retransmissions of the oldest segment (R1, R2).
    pub(crate) retries: u8,
    /// Unanswered keep-alive or zero-window probes.
    pub(crate) probes: u8,
    /// Zero-window probes since the window closed (their backoff).
    pub(crate) persist_backoff: u8,
    /// Full-sized segments received but not yet acknowledged.
    pub(crate) unacked_segments: u8,
    /// Challenge ACKs sent in the current second.
    pub(crate) challenge_acks: u8,
    /// Duplicate ACKs owed for out-of-order segments not answered yet.
    pub(crate) dup_acks_owed: u8,
    /// RFC 7323 window scaling: offered in our SYN (SYN-SENT), or agreed
    /// by both SYNs; `None`: windows are not scaled.
    pub(crate) wscale: Option<WindowScale>,
    /// RFC 7323 timestamps (with [`Flags::TS_OK`]).
    pub(crate) ts: TsVars,
    /// RFC 2018 and 2883 SACK blocks to report (with [`Flags::SACK_OK`]).
    pub(crate) sack: SackVars,
    /// The blocks the peer reported and what loss recovery keeps beside
    /// them (storage the caller gives, [`TcpSocket::set_scoreboard`];
    /// `None`: NewReno's recovery). Out of line: one pointer here.
    pub(crate) scoreboard: Option<Managed<'a, Scoreboard<'a>>>,
    /// The IP identifier of the next segment (see [`Segment::ident`]).
    pub(crate) ip_ident: u16,
    pub(crate) error: Option<TcpError>,
    /// The last ICMP soft error (RFC 1122 4.2.3.9), reported on timeout.
    pub(crate) soft_error: Option<super::IcmpErrorKind>,
}

/// The TCP socket's size on 32-bit targets, kept from growing back
/// unnoticed (the build for thumbv7em fails above it): 304 bytes after the
/// TCP second pass, 312 with window scaling, 352 with timestamps (12 bytes)
/// and the SACK and D-SACK blocks to report (21 bytes), 368 with the
/// scoreboard's slice, HighRxt and TS.Recent's age; 360 (368 with `alloc`)
/// since the scoreboard and what loss recovery keeps beside it live out of
/// line, behind one pointer; 376 (384 with `alloc`) with CUBIC's 16 bytes.
/// The limit is 384 (the TCP at full speed work's), in steps of the 8-byte
/// alignment.
#[cfg(all(target_pointer_width = "32", not(feature = "alloc")))]
const _: () = assert!(core::mem::size_of::<TcpSocket<'static>>() <= 384);
#[cfg(all(target_pointer_width = "32", feature = "alloc"))]
const _: () = assert!(core::mem::size_of::<TcpSocket<'static>>() <= 384);

impl<'a> TcpSocket<'a> {
    /// A closed socket over these receive and transmit buffers.
    ///
    /// ```
    /// use microps_core::socket::tcp::{SocketBuffer, State, TcpSocket};
    /// let s = TcpSocket::new(SocketBuffer::new(vec![0u8; 4096]), SocketBuffer::new(vec![0u8; 4096]));
    /// assert_eq!(s.state(), State::Closed);
    /// ```
    pub fn new(rx: SocketBuffer<'a>, tx: SocketBuffer<'a>) -> Self {
        TcpSocket {
            tx,
            rx,
            assembler: Assembler::new(),
            timers: TimerTable::new(),
            snd: SendVars::default(),
            rcv: RecvVars::default(),
            cc: Controller::new(Congestion::NewReno),
            rtt: RttEstimator::new(TcpConfig::default().rto_initial),
            opts: SocketOptions {
                keep_cnt: KEEP_ALIVE_PROBES,
                ..SocketOptions::default()
            },
            rtt_seq: SeqNumber(0),
            rtt_sent_us: 0,
            local: SocketAddrV4::new(Ipv4Address::UNSPECIFIED, 0),
            remote: SocketAddrV4::new(Ipv4Address::UNSPECIFIED, 0),
            snd_mss: 536,
            rcv_mss: 536,
            opened_mss: 536,
            flags: Flags::default(),
            pending: Pending::default(),
            state: State::Closed,
            retries: 0,
            probes: 0,
            persist_backoff: 0,
            unacked_segments: 0,
            challenge_acks: 0,
            dup_acks_owed: 0,
            wscale: None,
            ts: TsVars::default(),
            sack: SackVars::default(),
            scoreboard: None,
            ip_ident: 0,
            error: None,
            soft_error: None,
        }
    }

    // ---- getters -----------------------------------------------------------

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether Nagle's algorithm is on (the default).
    pub fn nagle_enabled(&self) -> bool {
        !self.flags.has(Flags::NO_DELAY)
    }

    /// The keep-alive idle time, if keep-alive is on.
    pub fn keep_alive(&self) -> Option<Duration> {
        ms_option(self.opts.keep_idle_ms)
    }

    /// The user timeout, if set.
    pub fn user_timeout(&self) -> Option<Duration> {
        ms_option(self.opts.user_timeout_ms)
    }

    /// The congestion control algorithm.
    pub fn congestion(&self) -> Congestion {
        self.cc.algorithm()
    }

    /// Whether the application has let go of the socket
    /// ([`TcpSocket::orphan`]).
    pub fn is_orphan(&self) -> bool {
        self.flags.has(Flags::ORPHAN)
    }

    /// The local endpoint (unspecified while closed).
    pub fn local_endpoint(&self) -> SocketAddrV4 {
        match self.state {
            State::Listen => SocketAddrV4::new(Ipv4Address::UNSPECIFIED, 0),
            _ => self.local,
        }
    }

    /// The remote endpoint (unspecified while closed or listening).
    pub fn remote_endpoint(&self) -> SocketAddrV4 {
        self.remote
    }

    /// The endpoint a listening socket waits on (for a connection that came
    /// from LISTEN, the one it came from).
    pub fn listen_endpoint(&self) -> ListenEndpoint {
        if self.state != State::Listen && !self.flags.has(Flags::PASSIVE) {
            return ListenEndpoint::default();
        }
        ListenEndpoint {
            addr: (!self.flags.has(Flags::LISTEN_ANY)).then_some(*self.local.ip()),
            port: self.local.port(),
        }
    }

    /// Whether the socket is in any state but CLOSED.
    pub fn is_open(&self) -> bool {
        self.state != State::Closed
    }

    /// Whether it waits for a connection.
    pub fn is_listening(&self) -> bool {
        self.state == State::Listen
    }

    /// Whether a connection exists or is being set up (not CLOSED, LISTEN
    /// or TIME-WAIT).
    pub fn is_active(&self) -> bool {
        !matches!(self.state, State::Closed | State::Listen | State::TimeWait)
    }

    /// Whether the application may still queue data (the connection is not
    /// closed or shut down for writing).
    pub fn may_send(&self) -> bool {
        matches!(self.state, State::Established | State::CloseWait)
            && !self.flags.has(Flags::FIN_QUEUED)
    }

    /// Whether data may still arrive or is waiting to be read.
    pub fn may_recv(&self) -> bool {
        self.state.takes_text() || !self.rx.is_empty()
    }

    /// Whether [`TcpSocket::send_slice`] would queue at least one byte.
    pub fn can_send(&self) -> bool {
        self.may_send() && !self.tx.is_full()
    }

    /// Whether [`TcpSocket::recv_slice`] would return at least one byte.
    pub fn can_recv(&self) -> bool {
        !self.rx.is_empty()
    }

    /// Bytes queued for sending (sent but unacknowledged, and unsent).
    pub fn send_queue(&self) -> usize {
        self.tx.len()
    }

    /// Bytes received and not yet read.
    pub fn recv_queue(&self) -> usize {
        self.rx.len()
    }

    /// The send buffer's capacity.
    pub fn send_capacity(&self) -> usize {
        self.tx.capacity()
    }

    /// The receive buffer's capacity.
    pub fn recv_capacity(&self) -> usize {
        self.rx.capacity()
    }

    /// The error that ended the connection, if it ended badly.
    pub fn error(&self) -> Option<TcpError> {
        self.error
    }

    /// Whether the peer has closed its side (its FIN arrived).
    pub fn peer_closed(&self) -> bool {
        self.flags.has(Flags::FIN_RECEIVED)
    }

    /// The urgent mark (RFC 6093): how many bytes the application must read
    /// before it has read all urgent data, if urgent data is pending.
    pub fn urgent_mark(&self) -> Option<usize> {
        if !self.flags.has(Flags::RCV_URGENT) {
            return None;
        }
        // The first unread byte is RCV.NXT - (bytes queued), less the
        // peer's FIN once it is in RCV.NXT.
        let fin = usize::from(self.flags.has(Flags::FIN_RECEIVED));
        let first_unread = self.rcv.nxt - self.rx.len() - fin;
        (self.rcv.up > first_unread).then(|| self.rcv.up - first_unread)
    }

    /// The sequence variables (RFC 9293 3.3.1), for tests, fuzzers and
    /// diagnostics.
    pub fn sequence_numbers(&self) -> SequenceNumbers {
        SequenceNumbers {
            snd_una: self.snd.una,
            snd_nxt: self.snd.nxt,
            snd_max: self.snd.max,
            snd_wnd: self.snd.wnd,
            iss: self.snd.iss,
            rcv_nxt: self.rcv.nxt,
            rcv_wnd: u32::try_from(self.rcv_wnd()).unwrap_or(u32::MAX),
            irs: self.rcv.irs,
        }
    }

    /// The smoothed round-trip time, once measured.
    pub fn srtt(&self) -> Option<Duration> {
        self.rtt.srtt()
    }

    /// The current retransmission timeout.
    pub fn rto(&self) -> Duration {
        self.rtt.rto()
    }

    /// The congestion window in bytes.
    pub fn congestion_window(&self) -> u32 {
        self.cc.window()
    }

    /// The slow start threshold in bytes (`u32::MAX` until the first loss:
    /// RFC 5681 3.1, "arbitrarily high").
    pub fn slow_start_threshold(&self) -> u32 {
        self.cc.ssthresh
    }

    /// Whether the connection is in fast recovery (RFC 5681 3.2).
    pub fn in_fast_recovery(&self) -> bool {
        self.cc.in_recovery()
    }

    /// Bytes sent and not yet acknowledged (SND.MAX - SND.UNA, SYN and FIN
    /// included).
    pub fn bytes_in_flight(&self) -> usize {
        self.snd.max - self.snd.una
    }

    /// The MSS this side sends with.
    pub fn send_mss(&self) -> usize {
        usize::from(self.snd_mss)
    }

    /// The connection's timers (when each runs out), for diagnostics.
    pub fn timers(&self) -> &TimerTable {
        &self.timers
    }

    /// RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport,
    /// secretkey), M a 4-microsecond clock, F SipHash-2-4.
    pub fn initial_sequence_number(
        key: &SipKey,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        now: Instant,
    ) -> SeqNumber {
        let f = key.hash_parts(&[
            &local.ip().octets(),
            &local.port().to_be_bytes(),
            &remote.ip().octets(),
            &remote.port().to_be_bytes(),
        ]) as u32;
        let m = (now.total_micros() / 4) as u32;
        SeqNumber(m.wrapping_add(f))
    }

    /// What identifies the socket in the set's index.
    pub(crate) fn index_key(&self) -> Option<super::IndexKey> {
        match self.state {
            State::Closed => None,
            State::Listen => Some(super::IndexKey::TcpListen(self.local.port())),
            _ => Some(super::IndexKey::Tcp {
                local: self.local,
                remote: self.remote,
            }),
        }
    }

    // ---- state and the quantities derived from it ---------------------------

    /// Enters `state`: logs it, stops the timers `state` does not use and
    /// discards the sends it cannot make.
    pub(crate) fn set_state(&mut self, state: State) {
        if self.state != state {
            if !self.flags.has(Flags::QUIET) {
                net_info!(
                    "{} -> {}, local={}, remote={}",
                    self.state,
                    state,
                    self.local,
                    self.remote
                );
            }
            self.state = state;
        }
        self.timers.stop_unused(state);
        self.pending
            .retain(Pending::valid_in(state, self.flags.has(Flags::SYN_ACKED)));
    }

    /// Enters CLOSED (keeps the error and the received data for the
    /// application; a pending RST is still sent by the next dispatch).
    pub(crate) fn set_closed(&mut self) {
        self.set_state(State::Closed);
        self.tx.clear();
        self.flags.set(Flags::FIN_QUEUED, false);
    }

    /// A fatal error: CLOSED with the error recorded.
    pub(crate) fn fail(&mut self, e: TcpError) {
        net_debug!("{} -> {}: {}", self.local, self.remote, e);
        self.error = Some(e);
        self.set_closed();
    }

    /// Gave up (R2, the user timeout, keep-alive): "connection timed out",
    /// or the ICMP soft error that explains it (RFC 9293 3.9.2.2: "a TCP
    /// implementation MUST NOT abort the connection (MUST-56), and it
    /// SHOULD make the information available to the application
    /// (SHLD-25)").
    pub(crate) fn timed_out(&mut self) {
        let e = self
            .soft_error
            .map_or(TcpError::TimedOut, TcpError::Unreachable);
        self.fail(e);
    }

    /// The application changed something the waiting timers depend on.
    pub(crate) fn reschedule(&mut self) {
        if !matches!(self.state, State::Closed | State::Listen) {
            self.pending.set(Pending::SCHEDULE, true);
        }
    }

    pub(crate) fn set_snd_mss(&mut self, mss: usize) {
        self.snd_mss = mss.clamp(MIN_SND_MSS, 65535) as u16;
    }

    /// What happened since the last call that the stack counts.
    pub(crate) fn take_notes(&mut self) -> Notes {
        let mut take = |flag| {
            let set = self.flags.has(flag);
            self.flags.set(flag, false);
            set
        };
        Notes {
            oow_ack_limited: take(Flags::OOW_LIMITED),
            path_mtu_locked: take(Flags::PMTU_LOCKED_NOW),
            mss_floored: take(Flags::MSS_FLOORED),
        }
    }

    /// The connection opens with `mss` (the peer's and our interface's
    /// smaller), capped by a learnt `path_mtu`.
    /// (Nothing is in flight but the SYN, so nothing is sent again.)
    pub(crate) fn open_mss(&mut self, mss: usize, path_mtu: Option<u16>) {
        self.set_snd_mss(mss);
        self.opened_mss = self.snd_mss;
        // A learnt value below the floor is a lock (see `iface::pmtu`).
        let floor = crate::iface::pmtu::MIN_PATH_MTU;
        self.flags
            .set(Flags::PMTU_LOCKED, path_mtu.is_some_and(|m| m < floor));
        let path_mtu = path_mtu.map(|m| m.max(floor));
        let capped = path_mtu.map_or(mss, |m| usize::from(m).saturating_sub(40).min(mss));
        self.set_snd_mss(capped);
        self.flags
            .set(Flags::PMTU_LOWERED, self.snd_mss < self.opened_mss);
    }

    /// The data a segment may carry now: the MSS less the options it
    /// carries beside (RFC 6691: the MSS counts no options), the timestamps
    /// once agreed and the SACK blocks while some are owed.
    pub(crate) fn mss(&self) -> usize {
        let ts = self.ts_agreed();
        let options = if ts { 12 } else { 0 } + self.sack_option_len(ts);
        usize::from(self.snd_mss).saturating_sub(options).max(1)
    }

    /// The sequence number of the first byte in the send buffer: SND.UNA,
    /// or one after it while our SYN is unacknowledged.
    pub(crate) fn data_seq_start(&self) -> SeqNumber {
        if self.flags.has(Flags::SYN_ACKED) {
            self.snd.una
        } else {
            self.snd.iss + 1
        }
    }

    /// The sequence number our FIN has (or will have): after the data.
    pub(crate) fn fin_seq(&self) -> SeqNumber {
        if self.flags.has(Flags::FIN_ACKED) {
            self.snd.una - 1
        } else {
            self.data_seq_start() + self.tx.len()
        }
    }

    /// Whether our FIN has been acknowledged.
    pub(crate) fn fin_acked(&self) -> bool {
        self.flags.has(Flags::FIN_ACKED)
    }

    /// The receive window we can offer now: free buffer space, capped to
    /// what the 16-bit field can say.
    pub(crate) fn rcv_window(&self) -> usize {
        self.rx.window().min(65535 << self.rcv_shift())
    }

    /// Rcv.Wind.Shift once both SYNs agreed on scaling, else 0.
    pub(crate) fn rcv_shift(&self) -> u8 {
        match self.wscale {
            Some(w) if self.state != State::SynSent => w.rcv,
            _ => 0,
        }
    }

    pub(crate) fn set_pooled(&mut self, on: bool) {
        self.flags.set(Flags::POOLED, on);
    }

    pub(crate) fn is_pooled(&self) -> bool {
        self.flags.has(Flags::POOLED)
    }

    /// Whether this connection uses RFC 7323 timestamps (both SYNs carried
    /// the option).
    pub fn timestamps_enabled(&self) -> bool {
        self.flags.has(Flags::TS_OK) && !matches!(self.state, State::SynSent | State::Listen)
    }

    /// Whether this connection uses RFC 2018 SACK (both SYNs carried
    /// SACK-permitted).
    pub fn sack_enabled(&self) -> bool {
        self.flags.has(Flags::SACK_OK) && !matches!(self.state, State::SynSent | State::Listen)
    }

    /// The window scaling this connection agreed on, if any: (the peer's
    /// shift, ours).
    pub fn window_scale(&self) -> Option<(u8, u8)> {
        match self.wscale {
            Some(w) if !matches!(self.state, State::SynSent | State::Closed | State::Listen) => {
                Some((w.snd, w.rcv))
            }
            _ => None,
        }
    }
}

fn ms_option(ms: u32) -> Option<Duration> {
    (ms != 0).then(|| Duration::from_millis(u64::from(ms)))
}

fn to_ms(d: Option<Duration>) -> u32 {
    d.map_or(0, |d| {
        u32::try_from(d.total_millis().max(1))
            .unwrap_or(u32::MAX)
            .min(timer::MAX_TIMER.total_millis() as u32)
    })
}
