//! The user calls of RFC 9293 3.10.1 to 3.10.6: OPEN, SEND, RECEIVE,
//! CLOSE, ABORT, and the per-socket settings an application changes
//! (Nagle, keep-alive, the user timeout).
//!
//! None of these takes the time: they change what the socket wants, and
//! the next poll (`handle_timeout`, `dispatch`) acts on it at the time the
//! caller gives there.

use core::net::SocketAddrV4;

use super::{
    Congestion, ConnectError, Flags, Pending, RecvError, RecvVars, SendError, SendVars, State,
    TcpConfig, TcpSocket, WindowScale, to_ms,
};
use crate::socket::ListenEndpoint;
use crate::time::{Duration, Instant};
use crate::wire::{Ipv4Address, SeqNumber};

impl<'a> TcpSocket<'a> {
    /// Turns Nagle's algorithm on or off (`TCP_NODELAY` is off).
    pub fn set_nagle_enabled(&mut self, on: bool) {
        self.flags.set(Flags::NO_DELAY, !on);
    }

    /// The keep-alive idle time for an application that turns keep-alive
    /// on without choosing one (as `SO_KEEPALIVE` alone): two hours, as RFC
    /// 1122 4.2.3.6 says, "This interval MUST be configurable and MUST
    /// default to no less than two hours" (MUST-28).
    pub const DEFAULT_KEEP_ALIVE_IDLE: Duration = Duration::from_secs(7200);

    /// Keep-alive (RFC 1122 4.2.3.6, off by default): after this much time
    /// without a segment from the peer (`TCP_KEEPIDLE`), with nothing in
    /// flight and nothing queued, a probe goes out; `None` turns it off.
    /// Probes stop in TIME-WAIT and for an orphan in FIN-WAIT-2 (as
    /// Linux's).
    pub fn set_keep_alive(&mut self, idle: Option<Duration>) {
        self.opts.keep_idle_ms = to_ms(idle);
        // Re-armed for the new idle time by the next poll.
        self.timers.stop(super::Timer::KeepAlive);
        self.reschedule();
    }

    /// The time between unanswered keep-alive probes (`TCP_KEEPINTVL`;
    /// `None`: the idle time, at most 75 s).
    pub fn set_keep_alive_interval(&mut self, interval: Option<Duration>) {
        self.opts.keep_intvl_ms = to_ms(interval);
        self.reschedule();
    }

    /// Unanswered keep-alive probes after which the peer is taken for dead
    /// (`TCP_KEEPCNT`, 9 by default, at least 1).
    pub fn set_keep_alive_probes(&mut self, count: u8) {
        self.opts.keep_cnt = count.max(1);
    }

    /// The keep-alive interval in effect.
    pub(crate) fn keep_alive_interval(&self) -> Duration {
        match self.opts.keep_intvl_ms {
            0 => self
                .keep_alive()
                .unwrap_or(Duration::from_secs(75))
                .min(Duration::from_secs(75)),
            ms => Duration::from_millis(u64::from(ms)),
        }
    }

    /// Sets the user timeout (RFC 9293 3.10.1: abort if sent data stays
    /// unacknowledged this long; `None`: only the retry limit applies). At
    /// most [`MAX_TIMER`](super::timer::MAX_TIMER).
    pub fn set_user_timeout(&mut self, timeout: Option<Duration>) {
        self.opts.user_timeout_ms = to_ms(timeout);
        // A running one restarts with the new limit at the next poll.
        self.timers.stop(super::Timer::UserTimeout);
        self.reschedule();
    }

    /// Selects the congestion control algorithm (NewReno by default), from
    /// now on; the congestion window carries over.
    pub fn set_congestion(&mut self, algo: Congestion) {
        self.cc.set_algorithm(algo);
    }

    /// Gives the socket storage for the SACK blocks its peer reports (RFC
    /// 6675 loss recovery; see [`Scoreboard`](super::Scoreboard) for how
    /// many ranges a window needs, 8 bytes each). Without one (the
    /// default), the blocks are ignored and recovery is NewReno's. Takes
    /// effect for the next connection; the current one's blocks are
    /// forgotten.
    ///
    /// ```
    /// use microps_core::socket::tcp::{SackRange, Scoreboard, SocketBuffer, TcpSocket};
    /// let mut s = TcpSocket::new(SocketBuffer::new(vec![0; 4096]), SocketBuffer::new(vec![0; 4096]));
    /// s.set_scoreboard(Scoreboard::new(vec![SackRange::EMPTY; 32]));
    /// ```
    pub fn set_scoreboard<S>(&mut self, scoreboard: S)
    where
        S: Into<managed::Managed<'a, super::Scoreboard<'a>>>,
    {
        let mut board = scoreboard.into();
        board.reset();
        self.scoreboard = Some(board);
    }

    /// Turns RFC 8985 RACK-TLP on or off for this socket (on by default).
    /// It runs with SACK agreed and a scoreboard that has send-time
    /// storage ([`Scoreboard::with_send_times`](super::Scoreboard::with_send_times));
    /// off, loss recovery is RFC 6675's alone. Without a scoreboard there
    /// is nothing to switch (returns `false`). It takes effect at once, so
    /// set it before the connection sends data: switched in the middle of
    /// a recovery, the marks RACK made stay until the next timeout or
    /// the ACKs clear them.
    ///
    /// ```
    /// use microps_core::socket::tcp::{SackRange, Scoreboard, SentSegment, SocketBuffer, TcpSocket};
    /// let mut s = TcpSocket::new(SocketBuffer::new(vec![0; 4096]), SocketBuffer::new(vec![0; 4096]));
    /// assert!(!s.rack());
    /// s.set_scoreboard(Scoreboard::new(vec![SackRange::EMPTY; 4]).with_send_times(vec![SentSegment::EMPTY; 8]));
    /// assert!(s.rack());
    /// assert!(s.set_rack(false));
    /// assert!(!s.rack());
    /// ```
    pub fn set_rack(&mut self, on: bool) -> bool {
        match self.scoreboard.as_deref_mut() {
            Some(board) => {
                board.rack.enabled = on;
                true
            }
            None => false,
        }
    }

    /// Whether RACK-TLP is on and has its storage (see
    /// [`TcpSocket::set_rack`]).
    pub fn rack(&self) -> bool {
        self.board()
            .is_some_and(|b| b.rack.enabled && b.has_send_times())
    }

    /// The application lets go of the socket (Linux calls such a socket an
    /// orphan): it will not read or write it again, and the socket finishes
    /// its close on its own. Call [`TcpSocket::close`] or
    /// [`TcpSocket::abort`] first. An orphan sends no keep-alives in
    /// FIN-WAIT-2 and is reset after [`TcpConfig::fin_wait2_timeout`]
    /// there, and gives up a closed window after
    /// [`TcpConfig::orphan_retries`] probes: resource limits a peer cannot
    /// override by never closing or never opening its window.
    pub fn orphan(&mut self) {
        self.flags.set(Flags::ORPHAN, true);
        self.reschedule();
    }

    // ---- OPEN --------------------------------------------------------------

    /// RFC 9293 3.10.1, passive OPEN: wait for a connection on `endpoint`.
    /// Called through [`SocketSet::tcp_listen`](crate::socket::SocketSet::tcp_listen),
    /// which indexes the socket.
    pub(crate) fn listen(&mut self, endpoint: ListenEndpoint) -> Result<(), ConnectError> {
        if endpoint.port == 0 {
            return Err(ConnectError::Unaddressable);
        }
        if self.state != State::Closed {
            return Err(ConnectError::InvalidState);
        }
        self.reset_connection(Instant::ZERO);
        self.flags.set(Flags::PASSIVE, true);
        self.flags.set(Flags::LISTEN_ANY, endpoint.addr.is_none());
        let addr = endpoint.addr.unwrap_or(Ipv4Address::UNSPECIFIED);
        self.local = SocketAddrV4::new(addr, endpoint.port);
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
        config: &TcpConfig,
    ) -> Result<(), ConnectError> {
        if self.state != State::Closed {
            return Err(ConnectError::InvalidState);
        }
        if remote.port() == 0 || remote.ip().is_unspecified() || local.port() == 0 {
            return Err(ConnectError::Unaddressable);
        }
        self.reset_connection(now);
        self.rtt = super::RttEstimator::new(config.rto_initial);
        self.local = local;
        self.remote = remote;
        self.rcv_mss = mss.clamp(64, 65535) as u16;
        self.open_mss(mss, None);
        // RFC 7323 2.2: the option is offered in the SYN; the shift follows
        // the receive buffer the caller gave.
        self.wscale = config.window_scaling.then(|| WindowScale {
            snd: 0,
            rcv: WindowScale::for_buffer(self.rx.capacity()),
        });
        // RFC 7323 3.2 and RFC 2018 2: timestamps and SACK-permitted are
        // offered in the SYN (the timestamp offset is the stack's to set).
        self.flags.set(Flags::TS_OK, config.timestamps);
        self.flags.set(Flags::SACK_OK, config.sack);
        // "Issue a SYN segment ... Set SND.UNA to ISS, SND.NXT to ISS+1,
        // enter SYN-SENT state" (SND.NXT advances when the SYN is sent).
        self.snd.iss = iss;
        self.snd.una = iss;
        self.snd.nxt = iss;
        self.snd.max = iss;
        self.ip_ident = (iss.0 >> 16) as u16 ^ iss.0 as u16;
        self.set_state(State::SynSent);
        self.pending.set(Pending::SYN, true);
        Ok(())
    }

    /// Forgets everything about the previous connection (the settings the
    /// application made stay).
    pub(crate) fn reset_connection(&mut self, now: Instant) {
        self.snd = SendVars::default();
        self.rcv = RecvVars::default();
        self.tx.clear();
        self.rx.clear();
        self.assembler.clear();
        self.timers.reset(now);
        self.cc = super::Controller::new(self.cc.algorithm());
        let keep = Flags::NO_DELAY.union(Flags::QUIET);
        self.flags.retain(keep);
        self.pending = Pending::default();
        self.retries = 0;
        self.probes = 0;
        self.persist_backoff = 0;
        self.unacked_segments = 0;
        self.challenge_acks = 0;
        self.dup_acks_owed = 0;
        self.wscale = None;
        self.ts = super::TsVars::default();
        self.sack = super::SackVars::default();
        if let Some(board) = self.scoreboard.as_deref_mut() {
            board.reset();
        }
        self.error = None;
        self.soft_error = None;
        self.remote = SocketAddrV4::new(Ipv4Address::UNSPECIFIED, 0);
        self.local = SocketAddrV4::new(Ipv4Address::UNSPECIFIED, 0);
    }

    // ---- SEND --------------------------------------------------------------

    /// Queues as much of `data` as fits; returns how much.
    pub fn send_slice(&mut self, data: &[u8]) -> Result<usize, SendError> {
        self.check_send()?;
        let n = self.tx.enqueue_slice(data);
        if n > 0 {
            self.reschedule();
        }
        Ok(n)
    }

    /// Queues bytes written by `f` into the free part of the send buffer
    /// (zero-copy): `f` returns how many bytes it wrote and a value.
    pub fn send<R>(&mut self, f: impl FnOnce(&mut [u8]) -> (usize, R)) -> Result<R, SendError> {
        self.check_send()?;
        let (n, r) = self.tx.enqueue_many_with(f);
        if n > 0 {
            self.reschedule();
        }
        Ok(r)
    }

    fn check_send(&self) -> Result<(), SendError> {
        if let Some(e) = self.error {
            return Err(SendError::Failed(e));
        }
        if !self.may_send() && !matches!(self.state, State::SynSent | State::SynReceived) {
            return Err(SendError::InvalidState);
        }
        if self.flags.has(Flags::FIN_QUEUED) {
            return Err(SendError::InvalidState);
        }
        Ok(())
    }

    /// Marks everything queued so far as urgent (RFC 9293 3.8.5; RFC 6093
    /// advises against new uses, but peers may rely on it).
    pub fn mark_urgent(&mut self) {
        self.snd.up = self.data_seq_start() + self.tx.len();
        self.flags.set(Flags::SND_URGENT, true);
    }

    // ---- RECEIVE -----------------------------------------------------------

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
            if self.flags.has(Flags::FIN_RECEIVED) {
                return Err(RecvError::Finished);
            }
            if matches!(self.state, State::Closed | State::Listen) {
                return Err(RecvError::InvalidState);
            }
        }
        let (_, r) = self.rx.dequeue_many_with(f);
        if self.flags.has(Flags::RCV_URGENT) && self.urgent_mark().is_none() {
            self.flags.set(Flags::RCV_URGENT, false);
        }
        self.window_opened();
        Ok(r)
    }

    /// Copies received bytes into `buf` without consuming them.
    pub fn peek_slice(&self, buf: &mut [u8]) -> usize {
        self.rx.read_allocated(0, buf)
    }

    /// After the application read: if the window it opened is worth
    /// announcing (receiver SWS avoidance, RFC 1122 4.2.3.3: at least
    /// min(buffer/2, MSS) beyond the last advertised edge), ACK at once.
    fn window_opened(&mut self) {
        if !self.state.takes_text() {
            return;
        }
        let new_edge = self.rcv.nxt + self.rcv_window();
        let growth = new_edge - self.rcv.adv_edge;
        let threshold = (self.rx.capacity() / 2)
            .min(usize::from(self.rcv_mss))
            .max(1);
        if growth >= threshold {
            self.pending.set(Pending::ACK, true);
        }
    }

    // ---- CLOSE and ABORT ---------------------------------------------------

    /// RFC 9293 3.10.4, CLOSE: no more data will be sent; a FIN follows the
    /// queued data (a half close: data from the peer still arrives). In
    /// SYN-RECEIVED with nothing queued the FIN goes at once ("If no SENDs
    /// have been issued and there is no pending data to send, then form a
    /// FIN segment and send it, and enter FIN-WAIT-1 state"); with data
    /// queued it follows the data once ESTABLISHED ("otherwise, queue for
    /// processing after entering ESTABLISHED state"), since data cannot
    /// leave in SYN-RECEIVED.
    pub fn close(&mut self) {
        match self.state {
            // "LISTEN STATE: Any outstanding RECEIVEs are returned ... delete
            // TCB, enter CLOSED state". "SYN-SENT STATE: Delete the TCB".
            State::Listen | State::SynSent => self.set_closed(),
            State::SynReceived | State::Established | State::CloseWait => {
                self.flags.set(Flags::FIN_QUEUED, true);
                self.reschedule();
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
        self.flags.set(Flags::RX_SHUT, true);
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
            self.pending.set(Pending::RST, true);
        }
        self.set_closed();
    }
}
