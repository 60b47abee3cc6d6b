//! UDP sockets (RFC 768; RFC 1122 section 4.1).
//!
//! A UDP socket queues whole datagrams in two caller-provided
//! [`PacketBuffer`]s. The application calls [`UdpSocket::send_slice`] and
//! [`UdpSocket::recv_slice`] (or their zero-copy closure forms); the stack,
//! during a poll, delivers arriving datagrams into the receive queue and
//! takes datagrams from the transmit queue.
//!
//! [`UdpSocket::connect`] gives it a peer: it then receives only that
//! peer's datagrams, and an ICMP error about a datagram it sent to that
//! peer (port unreachable, say) is kept and reported by the next receive,
//! as a connected BSD socket reports `ECONNREFUSED`. An unconnected socket
//! gets no ICMP errors, as on Linux: their quoted datagram is all that ties
//! them to the socket, and anyone can forge one (RFC 5927).
//!
//! ```
//! use core::net::SocketAddrV4;
//! use microps_core::socket::udp::{UdpPacketBuffer, UdpSocket};
//! use microps_core::storage::PacketMetadata;
//! use microps_core::wire::Ipv4Address;
//!
//! let mut socket = UdpSocket::new(
//!     UdpPacketBuffer::new(vec![PacketMetadata::EMPTY; 4], vec![0u8; 1500]),
//!     UdpPacketBuffer::new(vec![PacketMetadata::EMPTY; 4], vec![0u8; 1500]),
//! );
//! // Unbound sockets cannot send; bind through the SocketSet.
//! let peer = SocketAddrV4::new(Ipv4Address::new(192, 0, 2, 1), 7);
//! assert!(socket.send_slice(b"hello", peer).is_err());
//! ```

use core::net::SocketAddrV4;

use super::DispatchError;
use super::{IcmpErrorKind, IcmpErrorReport, ListenEndpoint, RecvError, SendError};
use crate::storage::{PacketBuffer, PacketMetadata};
use crate::wire::Ipv4Address;

/// Where a datagram came from or goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UdpMetadata {
    /// The remote endpoint.
    pub remote: SocketAddrV4,
    /// The local address: the destination of a received datagram, or the
    /// source of one to send (unspecified: chosen by the route).
    pub local_addr: Ipv4Address,
}

/// The queue type of a UDP socket.
pub type UdpPacketBuffer<'a> = PacketBuffer<'a, UdpMetadata>;
/// The metadata slot type of a [`UdpPacketBuffer`].
pub type UdpPacketMetadata = PacketMetadata<UdpMetadata>;

/// A datagram received by [`UdpSocket::recv_slice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Received {
    /// Bytes copied into the caller's buffer.
    pub len: usize,
    /// The datagram's length; more than `len` when it was truncated.
    pub datagram_len: usize,
    /// Its endpoints.
    pub meta: UdpMetadata,
}

impl Received {
    /// Whether the caller's buffer was too short and the rest was lost.
    pub fn truncated(&self) -> bool {
        self.datagram_len > self.len
    }
}

/// The largest UDP payload in one IPv4 datagram: 65535 - 20 - 8.
pub const MAX_PAYLOAD: usize = 65507;

/// A UDP socket.
#[derive(Debug)]
pub struct UdpSocket<'a> {
    endpoint: ListenEndpoint,
    rx: UdpPacketBuffer<'a>,
    tx: UdpPacketBuffer<'a>,
    ttl: Option<u8>,
    error: Option<IcmpErrorReport>,
    rx_dropped: u64,
    peer: Option<SocketAddrV4>,
}

impl<'a> UdpSocket<'a> {
    /// A socket with these receive and transmit queues.
    pub fn new(rx: UdpPacketBuffer<'a>, tx: UdpPacketBuffer<'a>) -> Self {
        UdpSocket {
            endpoint: ListenEndpoint::default(),
            rx,
            tx,
            ttl: None,
            error: None,
            rx_dropped: 0,
            peer: None,
        }
    }

    /// Connects it to `peer` (a remote filter, as `connect(2)` on a UDP
    /// socket): from now on only `peer`'s datagrams are received, and ICMP
    /// errors about datagrams sent to `peer` are reported. Sending to other
    /// endpoints stays possible. [`SendError::Unaddressable`] if `peer` has
    /// an unspecified address or port 0.
    pub fn connect(&mut self, peer: SocketAddrV4) -> Result<(), SendError> {
        if peer.port() == 0 || peer.ip().is_unspecified() {
            return Err(SendError::Unaddressable);
        }
        self.peer = Some(peer);
        self.error = None;
        Ok(())
    }

    /// Forgets the peer: datagrams from anyone are received again.
    pub fn disconnect(&mut self) {
        self.peer = None;
        self.error = None;
    }

    /// The peer set by [`UdpSocket::connect`].
    pub fn peer(&self) -> Option<SocketAddrV4> {
        self.peer
    }

    /// The bound endpoint (port 0 while unbound).
    pub fn endpoint(&self) -> ListenEndpoint {
        self.endpoint
    }

    pub(crate) fn set_endpoint(&mut self, endpoint: ListenEndpoint) {
        self.endpoint = endpoint;
    }

    /// Whether it is bound.
    pub fn is_open(&self) -> bool {
        self.endpoint.port != 0
    }

    /// The TTL of datagrams it sends (`None`: the stack's default).
    pub fn ttl(&self) -> Option<u8> {
        self.ttl
    }

    /// Sets the TTL of datagrams it sends.
    pub fn set_ttl(&mut self, ttl: Option<u8>) {
        self.ttl = ttl;
    }

    /// Whether a datagram of `len` bytes could be queued now.
    pub fn can_send(&self) -> bool {
        !self.tx.is_full()
    }

    /// Whether a datagram (or an error) is waiting.
    pub fn can_recv(&self) -> bool {
        !self.rx.is_empty() || self.error.is_some()
    }

    /// Datagrams queued for sending.
    pub fn send_queue(&self) -> usize {
        self.tx.packet_count()
    }

    /// Datagrams dropped because the receive queue was full.
    pub fn rx_dropped(&self) -> u64 {
        self.rx_dropped
    }

    /// Queues a datagram of `len` bytes to `remote`, filled by `f`.
    pub fn send_with(
        &mut self,
        len: usize,
        remote: SocketAddrV4,
        f: impl FnOnce(&mut [u8]),
    ) -> Result<(), SendError> {
        self.send_from(len, remote, Ipv4Address::UNSPECIFIED, f)
    }

    /// Queues a datagram from a chosen local address.
    pub fn send_from(
        &mut self,
        len: usize,
        remote: SocketAddrV4,
        local_addr: Ipv4Address,
        f: impl FnOnce(&mut [u8]),
    ) -> Result<(), SendError> {
        if !self.is_open() {
            return Err(SendError::Unbound);
        }
        if remote.port() == 0 || remote.ip().is_unspecified() {
            return Err(SendError::Unaddressable);
        }
        if len > MAX_PAYLOAD {
            return Err(SendError::TooLarge);
        }
        let local_addr = self.endpoint.addr.unwrap_or(local_addr);
        match self.tx.enqueue(len, UdpMetadata { remote, local_addr }) {
            Ok(buf) => {
                f(buf);
                Ok(())
            }
            Err(crate::storage::PacketBufferError::TooLarge) => Err(SendError::TooLarge),
            Err(crate::storage::PacketBufferError::Full) => Err(SendError::BufferFull),
        }
    }

    /// Queues a copy of `data` to `remote`.
    pub fn send_slice(&mut self, data: &[u8], remote: SocketAddrV4) -> Result<(), SendError> {
        self.send_with(data.len(), remote, |buf| {
            crate::storage::copy_prefix(buf, data);
        })
    }

    /// Takes a pending ICMP error, if any.
    pub fn take_error(&mut self) -> Option<IcmpErrorReport> {
        self.error.take()
    }

    /// Dequeues a datagram, lending its bytes. An ICMP error that arrived is
    /// reported first, once.
    pub fn recv(&mut self) -> Result<(&[u8], UdpMetadata), RecvError> {
        if let Some(e) = self.error.take() {
            return Err(RecvError::Icmp(e));
        }
        let (meta, data) = self.rx.dequeue().map_err(|_| RecvError::Exhausted)?;
        Ok((&*data, meta))
    }

    /// Dequeues a datagram into `buf`; a datagram longer than `buf` is
    /// truncated and [`Received::truncated`] says so.
    pub fn recv_slice(&mut self, buf: &mut [u8]) -> Result<Received, RecvError> {
        let (data, meta) = self.recv()?;
        let n = data.len().min(buf.len());
        if let (Some(d), Some(s)) = (buf.get_mut(..n), data.get(..n)) {
            d.copy_from_slice(s);
        }
        Ok(Received {
            len: n,
            datagram_len: data.len(),
            meta,
        })
    }

    /// Looks at the next datagram without dequeuing it.
    pub fn peek(&self) -> Result<(&[u8], &UdpMetadata), RecvError> {
        let (meta, data) = self.rx.peek().map_err(|_| RecvError::Exhausted)?;
        Ok((data, meta))
    }

    // ---- the stack's side ------------------------------------------------

    /// Whether a datagram from `src` to `dst` on our port is ours.
    pub(crate) fn accepts(
        &self,
        src: &SocketAddrV4,
        dst: &Ipv4Address,
        dst_is_local_unicast: bool,
    ) -> bool {
        let addr_ok = match self.endpoint.addr {
            None => true,
            Some(a) => a == *dst || !dst_is_local_unicast,
        };
        addr_ok && self.peer.is_none_or(|p| p == *src)
    }

    /// Whether an ICMP error quoting a datagram from `src` to `dst` is
    /// about one this socket sent: only a connected socket's, to its peer.
    pub(crate) fn accepts_error(&self, src: &Ipv4Address, dst: &SocketAddrV4) -> bool {
        self.peer == Some(*dst) && self.endpoint.addr.is_none_or(|a| a == *src)
    }

    /// Queues an arriving datagram; `false` (and counted) if the queue is
    /// full.
    pub(crate) fn process(
        &mut self,
        remote: SocketAddrV4,
        local_addr: Ipv4Address,
        payload: &[u8],
    ) -> bool {
        match self
            .rx
            .enqueue(payload.len(), UdpMetadata { remote, local_addr })
        {
            Ok(buf) => {
                crate::storage::copy_prefix(buf, payload);
                true
            }
            Err(_) => {
                self.rx_dropped = self.rx_dropped.saturating_add(1);
                false
            }
        }
    }

    /// Keeps an ICMP error for the application.
    pub(crate) fn handle_icmp_error(&mut self, report: IcmpErrorReport) {
        self.error = Some(report);
    }

    /// Offers the next queued datagram to `f` (metadata, source port,
    /// payload, TTL). It leaves the queue unless `f` says the device was
    /// busy. Returns whether there was one.
    pub(crate) fn dispatch(
        &mut self,
        f: &mut dyn FnMut(&UdpMetadata, u16, &[u8], Option<u8>) -> Result<(), DispatchError>,
    ) -> bool {
        let port = self.endpoint.port;
        let ttl = self.ttl;
        let mut dropped: Option<Option<IcmpErrorKind>> = None;
        let r = self
            .tx
            .dequeue_with(|meta, payload| match f(meta, port, payload, ttl) {
                Ok(()) => Ok(()),
                Err(DispatchError::Exhausted) => Err(()),
                Err(DispatchError::Dropped(why)) => {
                    dropped = Some(why);
                    Ok(())
                }
            });
        if let Some(Some(kind)) = dropped {
            self.error = Some(IcmpErrorReport {
                from: Ipv4Address::UNSPECIFIED,
                kind,
            });
        }
        matches!(r, Ok(Ok(())))
    }

    /// Whether datagrams wait to be sent.
    pub(crate) fn has_pending_tx(&self) -> bool {
        !self.tx.is_empty()
    }
}
