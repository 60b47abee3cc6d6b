//! Blocking sockets over the hosted runtime, shaped like `std::net` and
//! microps's `sock_*` calls.
//!
//! Every type holds a handle to the runtime; calls lock it briefly and wake
//! its thread. Blocking calls wait for the runtime's polls, with optional
//! timeouts (`set_read_timeout`, `set_write_timeout`). When the runtime
//! stops or is interrupted (Ctrl-C), blocked calls fail with
//! `ErrorKind::ConnectionAborted`, which std's retry loops do not swallow.
//!
//! ```no_run
//! use microps_drivers_linux::net::EchoSocket;
//! use microps_drivers_linux::runtime::Runtime;
//!
//! let rt = Runtime::builder().tap("tap0").addr("192.0.2.2/24".parse().unwrap()).build().unwrap();
//! let ping = EchoSocket::bind(&rt).unwrap();
//! ping.send_echo("192.0.2.1".parse().unwrap(), 1, b"hello").unwrap();
//! let reply = ping.recv_reply(&mut [0u8; 64]).unwrap();
//! println!("{} answered seq {}", reply.from, reply.seq_no);
//! ```

use std::io;
use std::net::SocketAddrV4;
use std::sync::Arc;
use std::time::Duration;

use microps_core::socket::icmp::{
    IcmpEvent, IcmpRxBuffer, IcmpRxMetadata, IcmpSocket as CoreIcmp, IcmpTxBuffer, IcmpTxMetadata,
};
use microps_core::socket::udp::{UdpPacketBuffer, UdpPacketMetadata, UdpSocket as CoreUdp};
use microps_core::socket::{
    BindError, IcmpErrorKind, IcmpErrorReport, RecvError, SendError, SocketHandle,
};
use microps_core::wire::Ipv4Address;

use crate::runtime::{Runtime, Shared};

/// The `io::Error` for an ICMP error report, as a BSD socket reports it.
pub fn icmp_error_to_io(report: IcmpErrorReport) -> io::Error {
    let kind = match report.kind {
        IcmpErrorKind::PortUnreachable | IcmpErrorKind::ProtocolUnreachable => {
            io::ErrorKind::ConnectionRefused
        }
        IcmpErrorKind::HostUnreachable => io::ErrorKind::HostUnreachable,
        IcmpErrorKind::NetUnreachable => io::ErrorKind::NetworkUnreachable,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, report.to_string())
}

fn bind_error(e: BindError) -> io::Error {
    let kind = match e {
        BindError::AddrInUse => io::ErrorKind::AddrInUse,
        BindError::NoEphemeralPort => io::ErrorKind::AddrNotAvailable,
        _ => io::ErrorKind::InvalidInput,
    };
    io::Error::new(kind, e.to_string())
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "socket is gone")
}

/// A UDP socket, like `std::net::UdpSocket`.
///
/// ```no_run
/// # use microps_drivers_linux::{net::UdpSocket, runtime::Runtime};
/// # use std::time::Duration;
/// let rt = Runtime::builder().tap("tap0").addr("192.0.2.2/24".parse().unwrap()).build()?;
/// let mut s = UdpSocket::bind(&rt, "0.0.0.0:0".parse().unwrap())?;
/// s.set_read_timeout(Some(Duration::from_secs(1)))?;
/// s.send_to(b"hello", "192.0.2.1:7".parse().unwrap())?;
/// let mut buf = [0u8; 1500];
/// let (n, from) = s.recv_from(&mut buf)?;
/// println!("{n} bytes from {from}");
/// s.connect("192.0.2.1:7".parse().unwrap())?;
/// s.send(b"again")?;
/// let n = s.recv(&mut buf)?; // ConnectionRefused on port unreachable
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    shared: Arc<Shared>,
    handle: SocketHandle,
    local: SocketAddrV4,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl UdpSocket {
    /// Binds to `addr` (port 0: an ephemeral port; address 0.0.0.0: any of
    /// the stack's addresses).
    pub fn bind(rt: &Runtime, addr: SocketAddrV4) -> io::Result<UdpSocket> {
        let shared = rt.shared().clone();
        let (handle, port) = shared.with(|st| {
            if !addr.ip().is_unspecified() && !st.stack.has_addr(addr.ip()) {
                return Err(io::Error::new(
                    io::ErrorKind::AddrNotAvailable,
                    format!("{} is not an address of the stack", addr.ip()),
                ));
            }
            let s = CoreUdp::new(
                UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 64], vec![0u8; 256 * 1024]),
                UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 64], vec![0u8; 256 * 1024]),
            );
            let h = st
                .sockets
                .add(s)
                .map_err(|e| io::Error::other(e.to_string()))?;
            match st.sockets.bind_udp(h, addr) {
                Ok(port) => Ok((h, port)),
                Err(e) => {
                    st.sockets.remove(h);
                    Err(bind_error(e))
                }
            }
        })?;
        Ok(UdpSocket {
            shared,
            handle,
            local: SocketAddrV4::new(*addr.ip(), port),
            read_timeout: None,
            write_timeout: None,
        })
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddrV4> {
        Ok(self.local)
    }

    /// How long `recv_from` waits (`None`: forever).
    pub fn set_read_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        self.read_timeout = t;
        Ok(())
    }

    /// How long `send_to` waits for room (`None`: forever).
    pub fn set_write_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        self.write_timeout = t;
        Ok(())
    }

    /// Queues `buf` to `addr`; waits while the transmit queue is full.
    pub fn send_to(&self, buf: &[u8], addr: SocketAddrV4) -> io::Result<usize> {
        let h = self.handle;
        self.shared.wait(self.write_timeout, |st| {
            let s = match st.sockets.get_mut::<CoreUdp>(h) {
                Some(s) => s,
                None => return Some(Err(gone())),
            };
            match s.send_slice(buf, addr) {
                Ok(()) => Some(Ok(buf.len())),
                Err(SendError::BufferFull) => None,
                Err(e) => Some(Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    e.to_string(),
                ))),
            }
        })
    }

    /// Connects it to `addr`, as `std::net::UdpSocket::connect`: only
    /// `addr`'s datagrams are received from now on, [`UdpSocket::send`]
    /// sends to it, and an ICMP error about a datagram sent to it is
    /// returned once by the next receive (`ConnectionRefused` for port
    /// unreachable). An unconnected socket sees no ICMP errors, as on
    /// Linux.
    pub fn connect(&self, addr: SocketAddrV4) -> io::Result<()> {
        let h = self.handle;
        self.shared
            .with(|st| match st.sockets.get_mut::<CoreUdp>(h) {
                Some(s) => s
                    .connect(addr)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string())),
                None => Err(gone()),
            })
    }

    /// The peer set by [`UdpSocket::connect`].
    pub fn peer_addr(&self) -> io::Result<SocketAddrV4> {
        let h = self.handle;
        self.shared
            .with(|st| st.sockets.get::<CoreUdp>(h).and_then(|s| s.peer()))
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "not connected"))
    }

    /// Sends `buf` to the connected peer.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.send_to(buf, self.peer_addr()?)
    }

    /// Receives a datagram from the connected peer into `buf`.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.peer_addr()?;
        self.recv_from(buf).map(|(n, _)| n)
    }

    /// Receives a datagram into `buf` (truncating it if `buf` is short, as
    /// std does); an ICMP error about what this socket sent to its
    /// connected peer is returned once as an error (`ConnectionRefused` for
    /// port unreachable).
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddrV4)> {
        let h = self.handle;
        self.shared.wait(self.read_timeout, |st| {
            let s = match st.sockets.get_mut::<CoreUdp>(h) {
                Some(s) => s,
                None => return Some(Err(gone())),
            };
            match s.recv_slice(buf) {
                Ok(r) => Some(Ok((r.len, r.meta.remote))),
                Err(RecvError::Exhausted) => None,
                Err(RecvError::Icmp(report)) => Some(Err(icmp_error_to_io(report))),
                Err(e) => Some(Err(io::Error::other(e.to_string()))),
            }
        })
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        let h = self.handle;
        self.shared.with(|st| {
            // Datagrams still queued go out first; the runtime removes the
            // socket once they have.
            match st.sockets.get::<CoreUdp>(h) {
                Some(s) if s.send_queue() > 0 => st.orphans.push(h),
                _ => {
                    st.sockets.remove(h);
                }
            }
        });
    }
}

/// An echo reply (or error) received by an [`EchoSocket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoReply {
    /// Who answered.
    pub from: Ipv4Address,
    /// The sequence number.
    pub seq_no: u16,
    /// The TTL the reply arrived with.
    pub ttl: u8,
    /// Data bytes (copied into the caller's buffer, up to its length).
    pub len: usize,
}

/// An ICMP echo socket, for `ping`.
///
/// ```no_run
/// # use microps_drivers_linux::{net::EchoSocket, runtime::Runtime};
/// # use std::time::Duration;
/// let rt = Runtime::builder().loopback().build()?;
/// let mut ping = EchoSocket::bind(&rt)?;
/// ping.set_read_timeout(Some(Duration::from_secs(1)))?;
/// ping.send_echo("127.0.0.1".parse().unwrap(), 1, b"payload")?;
/// let reply = ping.recv_reply(&mut [0u8; 64])?;
/// assert_eq!(reply.seq_no, 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct EchoSocket {
    shared: Arc<Shared>,
    handle: SocketHandle,
    ident: u16,
    read_timeout: Option<Duration>,
}

impl EchoSocket {
    /// Opens a socket with a random free echo identifier.
    pub fn bind(rt: &Runtime) -> io::Result<EchoSocket> {
        let shared = rt.shared().clone();
        let (handle, ident) = shared.with(|st| {
            let s = CoreIcmp::new(
                IcmpRxBuffer::new(vec![IcmpRxMetadata::EMPTY; 32], vec![0u8; 256 * 1024]),
                IcmpTxBuffer::new(vec![IcmpTxMetadata::EMPTY; 32], vec![0u8; 256 * 1024]),
            );
            let h = st
                .sockets
                .add(s)
                .map_err(|e| io::Error::other(e.to_string()))?;
            match st.sockets.bind_icmp(h, 0) {
                Ok(id) => Ok((h, id)),
                Err(e) => {
                    st.sockets.remove(h);
                    Err(bind_error(e))
                }
            }
        })?;
        Ok(EchoSocket {
            shared,
            handle,
            ident,
            read_timeout: None,
        })
    }

    /// The echo identifier.
    pub fn ident(&self) -> u16 {
        self.ident
    }

    /// How long `recv_reply` waits.
    pub fn set_read_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        self.read_timeout = t;
        Ok(())
    }

    /// Sends an echo request.
    pub fn send_echo(&self, dst: Ipv4Address, seq_no: u16, data: &[u8]) -> io::Result<()> {
        let h = self.handle;
        self.shared.wait(None, |st| {
            let s = match st.sockets.get_mut::<CoreIcmp>(h) {
                Some(s) => s,
                None => return Some(Err(gone())),
            };
            match s.send_echo(dst, seq_no, data) {
                Ok(()) => Some(Ok(())),
                Err(SendError::BufferFull) => None,
                Err(e) => Some(Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    e.to_string(),
                ))),
            }
        })
    }

    /// Waits for an echo reply; an ICMP error about one of our requests is
    /// returned as an error.
    pub fn recv_reply(&self, buf: &mut [u8]) -> io::Result<EchoReply> {
        let h = self.handle;
        self.shared.wait(self.read_timeout, |st| {
            let s = match st.sockets.get_mut::<CoreIcmp>(h) {
                Some(s) => s,
                None => return Some(Err(gone())),
            };
            match s.recv() {
                Ok((IcmpEvent::Reply { from, seq_no, ttl }, data)) => {
                    let n = data.len().min(buf.len());
                    buf[..n].copy_from_slice(&data[..n]);
                    Some(Ok(EchoReply {
                        from,
                        seq_no,
                        ttl,
                        len: data.len(),
                    }))
                }
                Ok((IcmpEvent::Error { report, seq_no, .. }, _)) => {
                    let e = icmp_error_to_io(report);
                    Some(Err(io::Error::new(
                        e.kind(),
                        format!("icmp_seq={seq_no}: {e}"),
                    )))
                }
                Err(_) => None,
            }
        })
    }
}

impl Drop for EchoSocket {
    fn drop(&mut self) {
        let h = self.handle;
        self.shared.with(|st| match st.sockets.get::<CoreIcmp>(h) {
            Some(s) if s.send_queue() > 0 => st.orphans.push(h),
            _ => {
                st.sockets.remove(h);
            }
        });
    }
}

// ---------------------------------------------------------------------------
// TCP
// ---------------------------------------------------------------------------

use microps_core::socket::HandleSlot;
use microps_core::socket::tcp::{
    ConnectError, RecvError as TcpRecvError, SackRange, Scoreboard, SendError as TcpSendError,
    SentSegment, SocketBuffer, State as TcpState, SynSlot, TcpError, TcpListener as CoreListener,
    TcpSocket,
};

/// Receive buffer of a hosted TCP socket: the largest window without
/// window scaling.
const TCP_RX_BUFFER: usize = 64 * 1024;
/// Transmit buffer of a hosted TCP socket.
const TCP_TX_BUFFER: usize = 128 * 1024;
/// A [`TcpListener`]'s backlog unless told otherwise: the connections that
/// can wait for `accept`, and as many half-open ones in its SYN queue (128,
/// as Linux's `SOMAXCONN` before 5.4).
pub const DEFAULT_BACKLOG: usize = 128;

fn tcp_error_to_io(e: TcpError) -> io::Error {
    let kind = match e {
        TcpError::Refused => io::ErrorKind::ConnectionRefused,
        TcpError::Reset => io::ErrorKind::ConnectionReset,
        TcpError::TimedOut => io::ErrorKind::TimedOut,
        TcpError::Unreachable(IcmpErrorKind::HostUnreachable) => io::ErrorKind::HostUnreachable,
        TcpError::Unreachable(IcmpErrorKind::NetUnreachable) => io::ErrorKind::NetworkUnreachable,
        TcpError::Unreachable(_) => io::ErrorKind::ConnectionRefused,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e.to_string())
}

fn connect_error_to_io(e: ConnectError) -> io::Error {
    let kind = match e {
        ConnectError::AddrInUse => io::ErrorKind::AddrInUse,
        ConnectError::NoEphemeralPort | ConnectError::AddrNotAvailable => {
            io::ErrorKind::AddrNotAvailable
        }
        ConnectError::NoRoute => io::ErrorKind::NetworkUnreachable,
        _ => io::ErrorKind::InvalidInput,
    };
    io::Error::new(kind, e.to_string())
}

fn new_tcp_socket() -> TcpSocket<'static> {
    new_tcp_socket_with(TCP_RX_BUFFER, TCP_TX_BUFFER)
}

/// The loss-recovery storage a socket with a `tx`-byte send buffer gets:
/// a SACK range for every two segments the buffer holds, a send time for
/// each (RFC 6675 and RFC 8985 RACK-TLP), as (ranges, send times).
fn recovery_slots(tx: usize) -> (usize, usize) {
    (
        Scoreboard::ranges_for(tx, 536),
        Scoreboard::segments_for(tx, 536),
    )
}

fn new_tcp_socket_with(rx: usize, tx: usize) -> TcpSocket<'static> {
    let mut s = TcpSocket::new(
        SocketBuffer::new(vec![0u8; rx]),
        SocketBuffer::new(vec![0u8; tx]),
    );
    let (ranges, times) = recovery_slots(tx);
    s.set_scoreboard(
        Scoreboard::new(vec![SackRange::EMPTY; ranges])
            .with_send_times(vec![SentSegment::EMPTY; times]),
    );
    s
}

/// How a [`TcpListener`] is set up: its backlog and the buffers of the
/// connections it accepts.
///
/// ```
/// use microps_drivers_linux::net::ListenConfig;
/// let mut config = ListenConfig::default();
/// config.backlog = 1000;
/// config.rx_buffer = 4096;
/// config.tx_buffer = 4096;
/// assert!(config.connection_bytes() > 8192);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListenConfig {
    /// Connections that may wait for `accept` (the accept queue), and
    /// half-open ones (the SYN queue; SYN cookies beyond it). Each waiting
    /// connection holds a full socket: the pool keeps `backlog` ready.
    pub backlog: usize,
    /// Receive buffer of each connection (its window).
    pub rx_buffer: usize,
    /// Send buffer of each connection.
    pub tx_buffer: usize,
}

impl Default for ListenConfig {
    fn default() -> Self {
        ListenConfig {
            backlog: DEFAULT_BACKLOG,
            rx_buffer: TCP_RX_BUFFER,
            tx_buffer: TCP_TX_BUFFER,
        }
    }
}

impl ListenConfig {
    /// The memory one connection takes: its buffers, its loss-recovery
    /// storage and its slot in the socket set.
    pub fn connection_bytes(&self) -> usize {
        let (ranges, times) = recovery_slots(self.tx_buffer);
        self.rx_buffer
            + self.tx_buffer
            + ranges * std::mem::size_of::<SackRange>()
            + times * std::mem::size_of::<SentSegment>()
            + std::mem::size_of::<microps_core::socket::SocketSlot<'static>>()
    }

    /// The memory of the listener's own queues (SYN queue, accept queue,
    /// the pool's handles), without the pooled sockets.
    pub fn queue_bytes(&self) -> usize {
        self.backlog.max(1)
            * (std::mem::size_of::<SynSlot>() + 2 * std::mem::size_of::<HandleSlot>())
    }
}

/// A TCP listener, like `std::net::TcpListener`, over the core's
/// [`TcpListener`](microps_core::socket::TcpListener): a SYN queue and an
/// accept queue of its backlog, SYN cookies beyond, and a pool of sockets
/// that connections take once their handshake completes.
///
/// ```no_run
/// # use microps_drivers_linux::{net::TcpListener, runtime::Runtime};
/// # use std::io::{Read, Write};
/// let rt = Runtime::builder().tap("tap0").addr("192.0.2.2/24".parse().unwrap()).build()?;
/// let mut listener = TcpListener::bind(&rt, "0.0.0.0:7".parse().unwrap())?;
/// loop {
///     let (mut stream, peer) = listener.accept()?;
///     std::thread::spawn(move || {
///         let mut buf = [0u8; 4096];
///         while let Ok(n) = stream.read(&mut buf) {
///             if n == 0 || stream.write_all(&buf[..n]).is_err() {
///                 break;
///             }
///         }
///     });
///     println!("echoing for {peer}");
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpListener {
    shared: Arc<Shared>,
    local: SocketAddrV4,
    handle: SocketHandle,
    config: ListenConfig,
}

impl TcpListener {
    /// Listens on `addr` with [`DEFAULT_BACKLOG`] (port 0: an ephemeral
    /// port, as `std`'s; [`TcpListener::local_addr`] says which).
    pub fn bind(rt: &Runtime, addr: SocketAddrV4) -> io::Result<TcpListener> {
        Self::bind_with_config(rt, addr, ListenConfig::default())
    }

    /// Listens on `addr` with a backlog of `backlog` (at least 1).
    pub fn bind_with_backlog(
        rt: &Runtime,
        addr: SocketAddrV4,
        backlog: usize,
    ) -> io::Result<TcpListener> {
        let config = ListenConfig {
            backlog,
            ..ListenConfig::default()
        };
        Self::bind_with_config(rt, addr, config)
    }

    /// Listens on `addr` as `config` says. The pool's sockets are made
    /// here, so what waiting connections take is allocated before the
    /// first SYN.
    pub fn bind_with_config(
        rt: &Runtime,
        addr: SocketAddrV4,
        config: ListenConfig,
    ) -> io::Result<TcpListener> {
        let shared = rt.shared().clone();
        let mut addr = addr;
        let config = ListenConfig {
            backlog: config.backlog.max(1),
            ..config
        };
        let handle = shared.with(|st| {
            if addr.port() == 0 {
                // As std: port 0 takes an ephemeral port (`local_addr`
                // says which), one no listener of this runtime has.
                let mut port = 0;
                for _ in 0..64 {
                    let p = st.sockets.tcp_listen_ephemeral_port().map_err(|e| {
                        io::Error::new(io::ErrorKind::AddrNotAvailable, e.to_string())
                    })?;
                    if !st.tcp_listen_ports.contains(&p) {
                        port = p;
                        break;
                    }
                }
                if port == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::AddrNotAvailable,
                        "no ephemeral port available",
                    ));
                }
                addr.set_port(port);
            }
            if !addr.ip().is_unspecified() && !st.stack.has_addr(addr.ip()) {
                return Err(io::Error::new(
                    io::ErrorKind::AddrNotAvailable,
                    format!("{} is not an address of the stack", addr.ip()),
                ));
            }
            if st.tcp_listen_ports.contains(&addr.port()) {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("port {} already has a listener", addr.port()),
                ));
            }
            let n = config.backlog;
            // Every waiting connection holds a socket of the set: refuse a
            // backlog the set has no room for before allocating anything.
            let free = st.sockets.capacity() - st.sockets.iter().count();
            if n >= free {
                return Err(io::Error::other(format!(
                    "backlog {n}: the runtime has room for {} more sockets \
                     (Builder::socket_slots)",
                    free.saturating_sub(1)
                )));
            }
            let listener = CoreListener::new(
                vec![SynSlot::EMPTY; n],
                vec![HandleSlot::EMPTY; n],
                vec![HandleSlot::EMPTY; n],
            );
            let h = st
                .sockets
                .add(listener)
                .map_err(|e| io::Error::other(e.to_string()))?;
            if let Err(e) = st.sockets.tcp_listen(h, addr) {
                st.sockets.remove(h);
                return Err(connect_error_to_io(e));
            }
            refill_pool(st, h, &config);
            if st
                .sockets
                .get::<CoreListener>(h)
                .is_none_or(|l| l.pool_len() < n)
            {
                // Undo everything: no half-built listener stays.
                remove_listener(st, h);
                return Err(io::Error::other(
                    "no room for the listener's sockets (the runtime's socket slots are taken)",
                ));
            }
            st.tcp_listen_ports.insert(addr.port());
            Ok(h)
        })?;
        Ok(TcpListener {
            shared,
            local: addr,
            handle,
            config,
        })
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddrV4> {
        Ok(self.local)
    }

    /// How the listener was set up.
    pub fn config(&self) -> ListenConfig {
        self.config
    }

    /// Waits for a connection and returns it with the peer's address.
    pub fn accept(&mut self) -> io::Result<(TcpStream, SocketAddrV4)> {
        let local = self.local;
        let l = self.handle;
        let config = self.config;
        let shared = self.shared.clone();
        let (h, peer) = self.shared.wait(None, |st| {
            // Sockets freed since the last accept refill the pool first.
            refill_pool(st, l, &config);
            loop {
                let h = st.sockets.tcp_accept(l)?;
                refill_pool(st, l, &config);
                match st.sockets.get::<TcpSocket>(h) {
                    // Reset or timed out before anyone accepted it, and
                    // nothing to read: gone.
                    Some(s) if s.state() == TcpState::Closed && !s.can_recv() => {
                        st.sockets.remove(h);
                    }
                    Some(s) => return Some(Ok((h, s.remote_endpoint()))),
                    None => {}
                }
            }
        })?;
        Ok((TcpStream::from_handle(shared, h, local, peer), peer))
    }
}

/// Gives the listener's pool new sockets until it holds its backlog, or
/// the socket set is full (connections then wait in the SYN queue: their
/// final ACKs are dropped and come again).
fn refill_pool(st: &mut crate::runtime::State, l: SocketHandle, config: &ListenConfig) {
    let Some(want) = st
        .sockets
        .get::<CoreListener>(l)
        .map(|x| config.backlog.saturating_sub(x.pool_len()))
    else {
        return;
    };
    for _ in 0..want {
        let Ok(h) = st
            .sockets
            .add(new_tcp_socket_with(config.rx_buffer, config.tx_buffer))
        else {
            return;
        };
        if st.sockets.tcp_pool_add(l, h).is_err() {
            st.sockets.remove(h);
            return;
        }
    }
}

/// Removes a listener and its pool; the connections nobody accepted are
/// reset (as Linux's `inet_csk_listen_stop`) and left to the runtime.
fn remove_listener(st: &mut crate::runtime::State, l: SocketHandle) {
    let (waiting, pool): (Vec<_>, Vec<_>) = match st.sockets.get::<CoreListener>(l) {
        Some(x) => (x.accept_queue().collect(), x.pool().collect()),
        None => return,
    };
    for h in pool {
        st.sockets.remove(h);
    }
    st.sockets.remove(l);
    for h in waiting {
        if let Some(s) = st.sockets.get_mut::<TcpSocket>(h) {
            s.abort();
        }
        st.orphans.push(h);
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        let port = self.local.port();
        let l = self.handle;
        self.shared.with(|st| {
            remove_listener(st, l);
            st.tcp_listen_ports.remove(&port);
        });
    }
}

/// The socket behind one or more [`TcpStream`] handles (see
/// [`TcpStream::try_clone`]); closing happens when the last one goes.
#[derive(Debug)]
struct StreamInner {
    shared: Arc<Shared>,
    handle: SocketHandle,
    local: SocketAddrV4,
    peer: SocketAddrV4,
}

impl Drop for StreamInner {
    fn drop(&mut self) {
        let h = self.handle;
        self.shared.with(|st| {
            if let Some(s) = st.sockets.get_mut::<TcpSocket>(h) {
                // As close(2): FIN after the queued data, or RST if data
                // arrived that nobody will read; data arriving later
                // resets too (RFC 1122 4.2.2.13).
                if s.recv_queue() > 0 {
                    s.abort();
                } else {
                    s.close();
                    s.shutdown_read();
                }
            }
            st.orphans.push(h);
        });
    }
}

/// A TCP connection, like `std::net::TcpStream`: `Read` and `Write`,
/// half close with `shutdown`, timeouts, `try_clone` for a reader and a
/// writer thread.
///
/// ```no_run
/// # use microps_drivers_linux::{net::TcpStream, runtime::Runtime};
/// # use std::io::{Read, Write};
/// # use std::time::Duration;
/// let rt = Runtime::builder().tap("tap0").addr("192.0.2.2/24".parse().unwrap()).build()?;
/// let mut s = TcpStream::connect_timeout(&rt, "192.0.2.1:80".parse().unwrap(), Some(Duration::from_secs(5)))?;
/// s.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
/// s.shutdown(std::net::Shutdown::Write)?; // FIN; the reply still arrives
/// let mut reply = Vec::new();
/// s.read_to_end(&mut reply)?;
/// println!("{} from {}", reply.len(), s.peer_addr()?);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpStream {
    inner: Arc<StreamInner>,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl TcpStream {
    fn from_handle(
        shared: Arc<Shared>,
        handle: SocketHandle,
        local: SocketAddrV4,
        peer: SocketAddrV4,
    ) -> TcpStream {
        let local = shared
            .lock()
            .sockets
            .get::<TcpSocket>(handle)
            .map_or(local, |s| s.local_endpoint());
        TcpStream {
            inner: Arc::new(StreamInner {
                shared,
                handle,
                local,
                peer,
            }),
            read_timeout: None,
            write_timeout: None,
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.inner.shared
    }

    /// Connects to `addr` and waits for the handshake (RFC 9293 active
    /// OPEN).
    pub fn connect(rt: &Runtime, addr: SocketAddrV4) -> io::Result<TcpStream> {
        Self::connect_timeout(rt, addr, None)
    }

    /// Connects with a local port (0: ephemeral) and a timeout.
    pub fn connect_from(
        rt: &Runtime,
        addr: SocketAddrV4,
        local_port: u16,
        timeout: Option<Duration>,
    ) -> io::Result<TcpStream> {
        let shared = rt.shared().clone();
        let (h, local) = shared.with(|st| {
            let h = st
                .sockets
                .add(new_tcp_socket())
                .map_err(|e| io::Error::other(e.to_string()))?;
            let now = st.now();
            let st = &mut *st;
            match st
                .stack
                .tcp_connect(now, &mut st.sockets, h, addr, local_port)
            {
                Ok(local) => Ok((h, local)),
                Err(e) => {
                    st.sockets.remove(h);
                    Err(connect_error_to_io(e))
                }
            }
        })?;
        let r = shared.wait(timeout, |st| {
            let s = st.sockets.get::<TcpSocket>(h)?;
            if let Some(e) = s.error() {
                return Some(Err(tcp_error_to_io(e)));
            }
            match s.state() {
                TcpState::SynSent | TcpState::SynReceived => None,
                TcpState::Closed => Some(Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "connection closed",
                ))),
                _ => Some(Ok(())),
            }
        });
        if let Err(e) = r {
            shared.with(|st| {
                if let Some(s) = st.sockets.get_mut::<TcpSocket>(h) {
                    s.abort();
                }
                st.orphans.push(h);
            });
            return Err(e);
        }
        Ok(TcpStream::from_handle(shared, h, local, addr))
    }

    /// Connects with a timeout.
    pub fn connect_timeout(
        rt: &Runtime,
        addr: SocketAddrV4,
        timeout: Option<Duration>,
    ) -> io::Result<TcpStream> {
        Self::connect_from(rt, addr, 0, timeout)
    }

    /// Another handle on the same connection (for a reader and a writer
    /// thread); the connection closes when the last handle is dropped.
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        Ok(TcpStream {
            inner: self.inner.clone(),
            read_timeout: self.read_timeout,
            write_timeout: self.write_timeout,
        })
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddrV4> {
        Ok(self.inner.peer)
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddrV4> {
        Ok(self.inner.local)
    }

    /// How long a read waits (`None`: forever; zero is refused, as std).
    pub fn set_read_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        if t == Some(Duration::ZERO) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "zero timeout"));
        }
        self.read_timeout = t;
        Ok(())
    }

    /// How long a write waits for room (`None`: forever; zero is refused).
    pub fn set_write_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        if t == Some(Duration::ZERO) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "zero timeout"));
        }
        self.write_timeout = t;
        Ok(())
    }

    /// The read timeout.
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.read_timeout)
    }

    /// The write timeout.
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.write_timeout)
    }

    /// Turns Nagle's algorithm off (`true`) or on.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        let h = self.inner.handle;
        self.shared().with(|st| {
            if let Some(s) = st.sockets.get_mut::<TcpSocket>(h) {
                s.set_nagle_enabled(!nodelay);
            }
        });
        Ok(())
    }

    /// Shuts down the write half (a FIN after the queued data), the read
    /// half (further reads return 0), or both.
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        let h = self.inner.handle;
        self.shared().with(|st| {
            if matches!(how, std::net::Shutdown::Write | std::net::Shutdown::Both)
                && let Some(s) = st.sockets.get_mut::<TcpSocket>(h)
            {
                s.close();
            }
            if matches!(how, std::net::Shutdown::Read | std::net::Shutdown::Both) {
                st.read_shut.insert(h);
            }
        });
        Ok(())
    }

    /// The TCP state (for diagnostics).
    pub fn state(&self) -> Option<TcpState> {
        self.shared()
            .lock()
            .sockets
            .get::<TcpSocket>(self.inner.handle)
            .map(|s| s.state())
    }
}

impl io::Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let h = self.inner.handle;
        self.inner.shared.wait(self.read_timeout, |st| {
            if st.read_shut.contains(&h) {
                return Some(Ok(0));
            }
            let s = match st.sockets.get_mut::<TcpSocket>(h) {
                Some(s) => s,
                None => return Some(Err(gone())),
            };
            match s.recv_slice(buf) {
                Ok(0) => None,
                Ok(n) => Some(Ok(n)),
                Err(TcpRecvError::Finished) => Some(Ok(0)),
                Err(TcpRecvError::Failed(e)) => Some(Err(tcp_error_to_io(e))),
                Err(_) => Some(Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "not connected",
                ))),
            }
        })
    }
}

impl io::Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let h = self.inner.handle;
        self.inner.shared.wait(self.write_timeout, |st| {
            let s = match st.sockets.get_mut::<TcpSocket>(h) {
                Some(s) => s,
                None => return Some(Err(gone())),
            };
            match s.send_slice(buf) {
                Ok(0) => None,
                Ok(n) => Some(Ok(n)),
                Err(TcpSendError::Failed(e)) => Some(Err(tcp_error_to_io(e))),
                Err(_) if matches!(s.state(), TcpState::SynSent | TcpState::SynReceived) => None,
                Err(_) => Some(Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "connection closed for writing",
                ))),
            }
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
