//! TCP sockets (RFC 9293), sans-IO.
//!
//! A [`TcpSocket`] is one end of one connection: the eleven states of RFC
//! 9293 section 3.3.2, its send and receive sequence variables (3.3.1), two
//! caller-provided ring buffers, and its timers. It never sees a device and
//! never reads a clock:
//!
//! * getters: [`TcpSocket::state`], [`TcpSocket::remote_endpoint`], ...;
//! * `handle_*` for what arrives: [`TcpSocket::segment_arrives`] (RFC 9293
//!   3.10.7, in `input.rs`, step by step with the RFC's words), ICMP errors;
//! * mutators for the application: [`TcpSocket::send_slice`],
//!   [`TcpSocket::recv_slice`], [`TcpSocket::close`], [`TcpSocket::abort`],
//!   (listen and connect go through the [`SocketSet`](super::SocketSet) and
//!   the [`Stack`](crate::iface::Stack), which own the index and the
//!   routes);
//! * `poll_*` for what to do next: [`TcpSocket::dispatch`] produces the next
//!   segment to send (in `output.rs`), [`TcpSocket::poll_at`] the next
//!   deadline.
//!
//! Reliability is RFC 6298's timer with Karn's rule (`rtt.rs`), RFC 9293
//! 3.8.3's retry limits, an out-of-order assembler, RFC 5681/6582 NewReno
//! congestion control (`congestion.rs`), RFC 1122 delayed ACKs and Nagle,
//! and silly window avoidance on both sides.

use core::fmt;
use core::net::SocketAddrV4;

use super::ListenEndpoint;
use crate::rand::SipKey;
use crate::storage::{Assembler, RingBuffer};
use crate::time::{Duration, Instant};
use crate::wire::{Ipv4Address, SeqNumber};

mod congestion;
pub mod input;
mod output;
mod rtt;
#[cfg(test)]
mod tests;

pub use congestion::Congestion;
pub use output::Segment;
pub use rtt::RttEstimator;

use congestion::Controller;

/// A TCP socket's byte buffer.
pub type SocketBuffer<'a> = RingBuffer<'a, u8>;

/// Holes the out-of-order assembler tracks.
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
    /// The address or port is unspecified.
    Unaddressable,
    /// No route to the remote address.
    NoRoute,
    /// The local endpoint is in use.
    AddrInUse,
    /// No ephemeral port is free for this remote.
    NoEphemeralPort,
    /// The handle is not a TCP socket.
    InvalidHandle,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            ConnectError::InvalidState => "socket not closed",
            ConnectError::Unaddressable => "address or port unspecified",
            ConnectError::NoRoute => "no route to host",
            ConnectError::AddrInUse => "address in use",
            ConnectError::NoEphemeralPort => "no ephemeral port available",
            ConnectError::InvalidHandle => "not a TCP socket",
        })
    }
}

impl core::error::Error for ConnectError {}

/// Per-socket TCP settings. `TcpConfig::default()` is what the stack uses
/// unless told otherwise.
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
    /// 15 doublings from 200 ms exceed the 100 s the RFC asks for).
    pub max_retransmissions: u8,
    /// R2 for SYN segments: "R2 for a SYN segment MUST be set large enough
    /// to provide retransmission of the segment for at least 3 minutes" (7:
    /// from an RTO of 1 s, capped at 60 s, SYNs go at 0, 1, 3, 7, 15, 31,
    /// 63 and 123 s and the open fails at 183 s; 6 would give up at 123 s).
    pub max_syn_retransmissions: u8,
    /// R1 of RFC 9293 3.8.3: retransmissions after which the IP layer is
    /// told to check the route (logged).
    pub r1: u8,
    /// How long TIME-WAIT lasts (2*MSL; 60 s as Linux, MSL = 30 s).
    pub time_wait: Duration,
    /// The delayed ACK timeout (RFC 1122 4.2.3.2: "MUST be less than 0.5
    /// seconds"); `None` ACKs every segment at once.
    pub ack_delay: Option<Duration>,
    /// Nagle's algorithm (RFC 1122 4.2.3.4), on by default.
    pub nagle: bool,
    /// Send keep-alives after this much idle time (off by default, RFC 1122
    /// 4.2.3.6).
    pub keep_alive: Option<Duration>,
    /// RFC 9293 3.10.1's user timeout: abort if sent data stays
    /// unacknowledged this long (`None`: only R2 applies).
    pub user_timeout: Option<Duration>,
    /// Congestion control.
    pub congestion: Congestion,
    /// RFC 5961 challenge ACKs per second per connection.
    pub challenge_ack_limit: u32,
    /// How long FIN-WAIT-2 may last without anything from the peer before
    /// the connection is dropped (`None`: forever, as RFC 9293). Linux uses
    /// 60 s for sockets the application has closed; the hosted runtime sets
    /// that for orphaned connections, so a peer that never closes cannot
    /// keep one alive.
    pub fin_wait2_timeout: Option<Duration>,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            rto_initial: Duration::from_secs(1),
            rto_min: Duration::from_millis(200),
            rto_max: Duration::from_secs(60),
            max_retransmissions: 15,
            max_syn_retransmissions: 7,
            r1: 3,
            time_wait: Duration::from_secs(60),
            ack_delay: Some(Duration::from_millis(40)),
            nagle: true,
            keep_alive: None,
            user_timeout: None,
            congestion: Congestion::NewReno,
            challenge_ack_limit: 10,
            fin_wait2_timeout: None,
        }
    }
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
    /// SND.UP: urgent pointer (the sequence number after the urgent data).
    pub(crate) up: Option<SeqNumber>,
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
    /// RCV.UP: the peer's urgent pointer.
    pub(crate) up: Option<SeqNumber>,
}

/// Timers and counters of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timers {
    /// The retransmission timer.
    pub(crate) retransmit_at: Option<Instant>,
    /// Consecutive retransmissions of the oldest segment.
    pub(crate) retries: u8,
    /// The round-trip sample in flight (Karn: only for new data).
    pub(crate) rtt_sample: Option<(SeqNumber, Instant)>,
    /// When an ACK must go out at the latest (delayed ACK).
    pub(crate) ack_at: Option<Instant>,
    /// Full-sized segments received but not yet acknowledged.
    pub(crate) unacked_segments: u8,
    /// An ACK must go out at the next dispatch.
    pub(crate) ack_now: bool,
    /// The persist (zero-window probe) timer.
    pub(crate) persist_at: Option<Instant>,
    /// Persist backoff.
    pub(crate) persist_backoff: u8,
    /// When TIME-WAIT ends.
    pub(crate) time_wait_until: Option<Instant>,
    /// When a keep-alive is due.
    pub(crate) keep_alive_at: Option<Instant>,
    /// Unanswered keep-alives.
    pub(crate) keep_alive_probes: u8,
    /// The last time new data was acknowledged (user timeout).
    pub(crate) last_progress: Instant,
    /// The last time anything arrived.
    pub(crate) last_rx: Instant,
    /// When FIN-WAIT-2 was entered.
    pub(crate) fin_wait2_since: Instant,
    /// The last time we sent data (idle restart).
    pub(crate) last_tx: Instant,
    /// Challenge ACKs sent in the current second, and when it started.
    pub(crate) challenge_acks: u32,
    pub(crate) challenge_window: Instant,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            retransmit_at: None,
            retries: 0,
            rtt_sample: None,
            ack_at: None,
            unacked_segments: 0,
            ack_now: false,
            persist_at: None,
            persist_backoff: 0,
            time_wait_until: None,
            keep_alive_at: None,
            keep_alive_probes: 0,
            last_progress: Instant::ZERO,
            last_rx: Instant::ZERO,
            fin_wait2_since: Instant::ZERO,
            last_tx: Instant::ZERO,
            challenge_acks: 0,
            challenge_window: Instant::ZERO,
        }
    }
}

/// A TCP socket. See the [module documentation](self).
#[derive(Debug)]
pub struct TcpSocket<'a> {
    pub(crate) state: State,
    pub(crate) config: TcpConfig,
    pub(crate) listen: ListenEndpoint,
    /// Opened by a passive OPEN (so a RST in SYN-RECEIVED returns to LISTEN).
    pub(crate) passive: bool,
    pub(crate) local: SocketAddrV4,
    pub(crate) remote: SocketAddrV4,
    pub(crate) snd: SendVars,
    pub(crate) rcv: RecvVars,
    /// The MSS we send with (the peer's MSS option, capped by our path).
    pub(crate) snd_mss: usize,
    /// The MSS we announce (from our interface's MTU).
    pub(crate) rcv_mss: usize,
    pub(crate) tx: SocketBuffer<'a>,
    pub(crate) rx: SocketBuffer<'a>,
    pub(crate) assembler: Assembler<ASSEMBLER_HOLES>,
    pub(crate) timers: Timers,
    pub(crate) rtt: RttEstimator,
    pub(crate) cc: Controller,
    /// The application called CLOSE: a FIN follows the queued data.
    pub(crate) fin_queued: bool,
    /// The peer's FIN arrived (end of the receive stream).
    pub(crate) fin_received: bool,
    pub(crate) error: Option<TcpError>,
    /// The last ICMP soft error (RFC 1122 4.2.3.9), reported on timeout.
    pub(crate) soft_error: Option<super::IcmpErrorKind>,
    /// The urgent mark in the receive stream, as an offset from the next
    /// byte the application reads.
    pub(crate) urgent_mark: Option<usize>,
    /// Segments to send that are not driven by the sequence variables: a
    /// RST (from `abort`) or a challenge ACK.
    pub(crate) rst_pending: bool,
    /// A SYN-ACK must be sent again now (a retransmitted SYN arrived).
    pub(crate) resend_syn: bool,
    /// Fast retransmit (RFC 5681 3.2) or a NewReno partial ACK (RFC 6582
    /// 3.2): the segment at SND.UNA goes again at the next dispatch, alone,
    /// and SND.NXT stays where it is.
    pub(crate) rexmit_una: bool,
    /// The sequence number of our FIN, once sent.
    pub(crate) snd_fin: Option<SeqNumber>,
    /// The application will read no more: new data is answered with a RST
    /// (RFC 1122 4.2.2.13).
    pub(crate) rx_shut: bool,
}

impl<'a> TcpSocket<'a> {
    /// A closed socket over these receive and transmit buffers.
    ///
    /// ```
    /// use microps_core::socket::tcp::{SocketBuffer, State, TcpSocket};
    /// let s = TcpSocket::new(SocketBuffer::new(vec![0u8; 4096]), SocketBuffer::new(vec![0u8; 4096]));
    /// assert_eq!(s.state(), State::Closed);
    /// ```
    pub fn new(rx: SocketBuffer<'a>, tx: SocketBuffer<'a>) -> Self {
        let config = TcpConfig::default();
        TcpSocket {
            state: State::Closed,
            config,
            listen: ListenEndpoint::default(),
            passive: false,
            local: SocketAddrV4::new(Ipv4Address::UNSPECIFIED, 0),
            remote: SocketAddrV4::new(Ipv4Address::UNSPECIFIED, 0),
            snd: SendVars::default(),
            rcv: RecvVars::default(),
            snd_mss: 536,
            rcv_mss: 536,
            tx,
            rx,
            assembler: Assembler::new(),
            timers: Timers::default(),
            rtt: RttEstimator::new(config.rto_initial, config.rto_min, config.rto_max),
            cc: Controller::new(config.congestion, 536),
            fin_queued: false,
            fin_received: false,
            error: None,
            soft_error: None,
            urgent_mark: None,
            rst_pending: false,
            resend_syn: false,
            rexmit_una: false,
            snd_fin: None,
            rx_shut: false,
        }
    }

    // ---- getters -----------------------------------------------------------

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The configuration.
    pub fn config(&self) -> &TcpConfig {
        &self.config
    }

    /// Replaces the configuration (applies to timers from now on).
    pub fn set_config(&mut self, config: TcpConfig) {
        self.config = config;
        self.rtt = RttEstimator::new(config.rto_initial, config.rto_min, config.rto_max);
        self.cc = Controller::new(config.congestion, self.snd_mss);
    }

    /// Turns Nagle's algorithm on or off (`TCP_NODELAY` is off).
    pub fn set_nagle_enabled(&mut self, on: bool) {
        self.config.nagle = on;
    }

    /// Sets the keep-alive interval (`None`: off).
    pub fn set_keep_alive(&mut self, interval: Option<Duration>) {
        self.config.keep_alive = interval;
    }

    /// Sets how long FIN-WAIT-2 may last without news from the peer
    /// (`None`: forever).
    pub fn set_fin_wait2_timeout(&mut self, timeout: Option<Duration>) {
        self.config.fin_wait2_timeout = timeout;
    }

    /// When FIN-WAIT-2 gives up, if it does.
    pub(crate) fn fin_wait2_deadline(&self) -> Option<Instant> {
        match (self.state, self.config.fin_wait2_timeout) {
            (State::FinWait2, Some(t)) => Some(self.timers.fin_wait2_since + t),
            _ => None,
        }
    }

    /// Sets the user timeout (`None`: only the retry limit applies).
    pub fn set_user_timeout(&mut self, timeout: Option<Duration>) {
        self.config.user_timeout = timeout;
    }

    /// The local endpoint (unspecified while closed).
    pub fn local_endpoint(&self) -> SocketAddrV4 {
        self.local
    }

    /// The remote endpoint (unspecified while closed or listening).
    pub fn remote_endpoint(&self) -> SocketAddrV4 {
        self.remote
    }

    /// The endpoint a listening socket waits on.
    pub fn listen_endpoint(&self) -> ListenEndpoint {
        self.listen
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
        matches!(self.state, State::Established | State::CloseWait) && !self.fin_queued
    }

    /// Whether data may still arrive or is waiting to be read.
    pub fn may_recv(&self) -> bool {
        match self.state {
            State::Established | State::FinWait1 | State::FinWait2 => true,
            _ => !self.rx.is_empty(),
        }
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
        self.fin_received
    }

    /// The urgent mark (RFC 6093): how many bytes the application must read
    /// before it has read all urgent data, if urgent data is pending.
    pub fn urgent_mark(&self) -> Option<usize> {
        self.urgent_mark
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

    /// Whether the connection is in fast recovery (RFC 5681 3.2).
    pub fn in_fast_recovery(&self) -> bool {
        self.cc.in_recovery()
    }

    /// The MSS this side sends with.
    pub fn send_mss(&self) -> usize {
        self.snd_mss
    }

    // ---- the application's mutators -----------------------------------------

    /// RFC 9293 3.10.1, passive OPEN: wait for a connection on `endpoint`.
    /// Called through [`SocketSet::tcp_listen`](super::SocketSet::tcp_listen),
    /// which indexes the socket.
    pub(crate) fn listen(&mut self, endpoint: ListenEndpoint) -> Result<(), ConnectError> {
        if endpoint.port == 0 {
            return Err(ConnectError::Unaddressable);
        }
        if self.state != State::Closed {
            return Err(ConnectError::InvalidState);
        }
        self.reset_connection();
        self.listen = endpoint;
        self.passive = true;
        self.set_state(State::Listen);
        Ok(())
    }

    /// RFC 9293 3.10.1, active OPEN: the stack has chosen the local
    /// endpoint, the ISS and the MSS; the SYN goes out at the next dispatch.
    pub(crate) fn connect(
        &mut self,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        iss: SeqNumber,
        mss: usize,
        now: Instant,
    ) -> Result<(), ConnectError> {
        if self.state != State::Closed {
            return Err(ConnectError::InvalidState);
        }
        if remote.port() == 0 || remote.ip().is_unspecified() || local.port() == 0 {
            return Err(ConnectError::Unaddressable);
        }
        self.reset_connection();
        self.passive = false;
        self.local = local;
        self.remote = remote;
        self.rcv_mss = mss;
        self.set_snd_mss(mss);
        // "Issue a SYN segment ... Set SND.UNA to ISS, SND.NXT to ISS+1,
        // enter SYN-SENT state" (SND.NXT advances when the SYN is sent).
        self.snd.iss = iss;
        self.snd.una = iss;
        self.snd.nxt = iss;
        self.snd.max = iss;
        self.timers.last_progress = now;
        self.set_state(State::SynSent);
        Ok(())
    }

    /// Queues as much of `data` as fits; returns how much.
    pub fn send_slice(&mut self, data: &[u8]) -> Result<usize, SendError> {
        self.check_send()?;
        Ok(self.tx.enqueue_slice(data))
    }

    /// Queues bytes written by `f` into the free part of the send buffer
    /// (zero-copy): `f` returns how many bytes it wrote and a value.
    pub fn send<R>(&mut self, f: impl FnOnce(&mut [u8]) -> (usize, R)) -> Result<R, SendError> {
        self.check_send()?;
        let (_, r) = self.tx.enqueue_many_with(f);
        Ok(r)
    }

    fn check_send(&self) -> Result<(), SendError> {
        if let Some(e) = self.error {
            return Err(SendError::Failed(e));
        }
        if !self.may_send() && !matches!(self.state, State::SynSent | State::SynReceived) {
            return Err(SendError::InvalidState);
        }
        if self.fin_queued {
            return Err(SendError::InvalidState);
        }
        Ok(())
    }

    /// Marks everything queued so far as urgent (RFC 9293 3.8.5; RFC 6093
    /// advises against new uses, but peers may rely on it).
    pub fn mark_urgent(&mut self) {
        let end = self.data_seq_start() + self.tx.len();
        self.snd.up = Some(end);
    }

    /// Dequeues received bytes into `buf`; returns how many. `Ok(0)` means
    /// nothing is there yet; the end of the stream is
    /// `Err(RecvError::Finished)`.
    pub fn recv_slice(&mut self, buf: &mut [u8]) -> Result<usize, RecvError> {
        self.recv(|data| {
            let n = data.len().min(buf.len());
            if let (Some(d), Some(s)) = (buf.get_mut(..n), data.get(..n)) {
                d.copy_from_slice(s);
            }
            (n, n)
        })
    }

    /// Lends the received bytes (one contiguous chunk) to `f`, which returns
    /// how many it consumed and a value (zero-copy).
    pub fn recv<R>(&mut self, f: impl FnOnce(&mut [u8]) -> (usize, R)) -> Result<R, RecvError> {
        if self.rx.is_empty() {
            if let Some(e) = self.error {
                return Err(RecvError::Failed(e));
            }
            if self.fin_received {
                return Err(RecvError::Finished);
            }
            if matches!(self.state, State::Closed | State::Listen) {
                return Err(RecvError::InvalidState);
            }
        }
        let before = self.rx.len();
        let (_, r) = self.rx.dequeue_many_with(f);
        let read = before - self.rx.len();
        if let Some(m) = self.urgent_mark {
            self.urgent_mark = m.checked_sub(read).filter(|m| *m > 0);
        }
        self.window_opened();
        Ok(r)
    }

    /// Copies received bytes into `buf` without consuming them.
    pub fn peek_slice(&self, buf: &mut [u8]) -> usize {
        self.rx.read_allocated(0, buf)
    }

    /// RFC 9293 3.10.4, CLOSE: no more data will be sent; a FIN follows the
    /// queued data (a half close: data from the peer still arrives).
    pub fn close(&mut self) {
        match self.state {
            // "LISTEN STATE: Any outstanding RECEIVEs are returned ... delete
            // TCB, enter CLOSED state". "SYN-SENT STATE: Delete the TCB".
            State::Listen | State::SynSent => self.set_closed(),
            State::SynReceived | State::Established | State::CloseWait => {
                self.fin_queued = true;
            }
            _ => {}
        }
    }

    /// Shuts down the write half: the same as [`TcpSocket::close`] (RFC
    /// 9293's CLOSE is a half close), under the socket API's name.
    pub fn shutdown_write(&mut self) {
        self.close();
    }

    /// The application will read nothing more (a full close, as `close(2)`
    /// after `close()`'s FIN): data that arrives from now on resets the
    /// connection, as RFC 1122 4.2.2.13 says ("if new data is received
    /// after CLOSE is called, its TCP SHOULD send a RST to show that data
    /// was lost"). Data already queued is discarded.
    pub fn shutdown_read(&mut self) {
        self.rx_shut = true;
        let n = self.rx.len();
        self.rx.dequeue_allocated(n);
    }

    /// RFC 9293 3.10.5, ABORT: a RST goes out (in the synchronized states)
    /// and the socket closes at once, dropping queued data.
    pub fn abort(&mut self) {
        if matches!(
            self.state,
            State::SynReceived
                | State::Established
                | State::FinWait1
                | State::FinWait2
                | State::CloseWait
        ) {
            self.rst_pending = true;
        }
        self.set_closed();
    }

    // ---- internals ---------------------------------------------------------------

    /// Forgets everything about the previous connection.
    pub(crate) fn reset_connection(&mut self) {
        self.snd = SendVars::default();
        self.rcv = RecvVars::default();
        self.tx.clear();
        self.rx.clear();
        self.assembler.clear();
        self.timers = Timers::default();
        self.rtt = RttEstimator::new(
            self.config.rto_initial,
            self.config.rto_min,
            self.config.rto_max,
        );
        self.cc = Controller::new(self.config.congestion, self.snd_mss);
        self.fin_queued = false;
        self.fin_received = false;
        self.error = None;
        self.soft_error = None;
        self.urgent_mark = None;
        self.resend_syn = false;
        self.rexmit_una = false;
        self.snd_fin = None;
        self.rx_shut = false;
    }

    pub(crate) fn set_state(&mut self, state: State) {
        if self.state != state {
            net_info!(
                "{} -> {}, local={}, remote={}",
                self.state,
                state,
                self.local,
                self.remote
            );
            self.state = state;
        }
    }

    /// Enters CLOSED (keeps the error and the received data for the
    /// application; a pending RST is still sent by the next dispatch).
    pub(crate) fn set_closed(&mut self) {
        self.set_state(State::Closed);
        self.timers.retransmit_at = None;
        self.timers.persist_at = None;
        self.timers.ack_at = None;
        self.timers.ack_now = false;
        self.timers.time_wait_until = None;
        self.timers.keep_alive_at = None;
        self.tx.clear();
        self.fin_queued = false;
        self.rexmit_una = false;
        self.resend_syn = false;
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

    /// When the user timeout (RFC 9293 3.10.1) expires, if data is
    /// outstanding.
    pub(crate) fn user_timeout_at(&self) -> Option<Instant> {
        let limit = self.config.user_timeout?;
        (self.snd.max > self.snd.una && !matches!(self.state, State::Closed | State::Listen))
            .then(|| self.timers.last_progress + limit)
    }

    pub(crate) fn set_snd_mss(&mut self, mss: usize) {
        self.snd_mss = mss.max(64);
        self.cc.set_mss(self.snd_mss);
    }

    /// The sequence number of the first byte in the send buffer: SND.UNA,
    /// or one after it while our SYN is unacknowledged.
    pub(crate) fn data_seq_start(&self) -> SeqNumber {
        if matches!(self.state, State::SynSent | State::SynReceived) {
            self.snd.iss + 1
        } else {
            self.snd.una
        }
    }

    /// The sequence number our FIN has (or will have): after the data.
    pub(crate) fn fin_seq(&self) -> SeqNumber {
        self.snd_fin
            .unwrap_or(self.data_seq_start() + self.tx.len())
    }

    /// Whether our FIN has been acknowledged.
    pub(crate) fn fin_acked(&self) -> bool {
        self.snd_fin.is_some_and(|f| self.snd.una > f)
    }

    /// The receive window we can offer now: free buffer space, capped to
    /// what the 16-bit field can say.
    pub(crate) fn rcv_window(&self) -> usize {
        self.rx.window().min(65535)
    }

    /// After the application read: if the window it opened is worth
    /// announcing (receiver SWS avoidance, RFC 1122 4.2.3.3: at least
    /// min(buffer/2, MSS) beyond the last advertised edge), ACK at once.
    fn window_opened(&mut self) {
        if !matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        ) {
            return;
        }
        let new_edge = self.rcv.nxt + self.rcv_window();
        let growth = new_edge - self.rcv.adv_edge;
        let threshold = (self.rx.capacity() / 2).min(self.rcv_mss).max(1);
        if growth >= threshold {
            self.timers.ack_now = true;
        }
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

    /// When [`TcpSocket::dispatch`] next has something to do.
    pub fn poll_at(&self, now: Instant) -> Option<Instant> {
        if matches!(self.state, State::Closed | State::Listen) {
            return self.rst_pending.then_some(now);
        }
        if self.rst_pending || self.timers.ack_now || self.resend_syn || self.rexmit_una {
            return Some(now);
        }
        if self.wants_to_send(now) {
            return Some(now);
        }
        [
            self.timers.retransmit_at,
            self.timers.ack_at,
            self.timers.persist_at,
            self.timers.time_wait_until,
            self.timers.keep_alive_at,
            self.user_timeout_at(),
            self.fin_wait2_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// What identifies the socket in the set's index.
    pub(crate) fn index_key(&self) -> Option<super::IndexKey> {
        match self.state {
            State::Closed => None,
            State::Listen => Some(super::IndexKey::TcpListen(self.listen.port)),
            _ => Some(super::IndexKey::Tcp {
                local: self.local,
                remote: self.remote,
            }),
        }
    }
}
