//! A TCP listener with a backlog: RFC 9293 3.10.7.2's LISTEN state kept
//! apart from the connections it opens.
//!
//! A SYN to a [`TcpListener`] takes no socket. It takes a [`SynEntry`] in
//! the listener's SYN queue: what the handshake agreed (both initial
//! sequence numbers, the peer's MSS, window scale, SACK-permitted and
//! timestamp) and when its SYN,ACK goes again, in a few tens of bytes. Only
//! when the final ACK arrives does the connection take a full socket, with
//! its buffers, from the pool of closed sockets the caller gave
//! ([`SocketSet::tcp_pool_add`](crate::socket::SocketSet::tcp_pool_add));
//! the socket then waits in the accept queue until the application takes it
//! ([`SocketSet::tcp_accept`](crate::socket::SocketSet::tcp_accept)).
//!
//! The policy is Linux's:
//!
//! * while the accept queue is full, a new SYN is dropped (the peer sends
//!   it again), and a final ACK is dropped too but its entry stays and its
//!   SYN,ACK goes again, so the peer's ACK comes again;
//! * with the accept queue open but no socket in the pool, a final ACK is
//!   dropped the same way: the handshake completes once the application
//!   gives a socket back;
//! * a full SYN queue answers with a SYN cookie (`cookie.rs`) when
//!   [`TcpConfig::syn_cookies`](super::TcpConfig::syn_cookies) is on, and
//!   drops the SYN otherwise;
//! * a SYN,ACK goes at most [`TcpConfig::synack_retries`](super::TcpConfig::synack_retries)
//!   times again, and an entry whose peer never answered ARP is dropped at
//!   its first retransmission.
//!
//! The stack's side of this (what to answer, when, from which queue) is in
//! `iface/listen.rs`; this file is the listener's storage.
//!
//! ```
//! use microps_core::socket::{HandleSlot, SocketSet, SocketSlot};
//! use microps_core::socket::tcp::{SocketBuffer, SynSlot, TcpListener, TcpSocket};
//!
//! let mut syn_queue = [SynSlot::EMPTY; 8];
//! let mut accept_queue = [HandleSlot::EMPTY; 4];
//! let mut pool = [HandleSlot::EMPTY; 2];
//! let listener = TcpListener::new(&mut syn_queue[..], &mut accept_queue[..], &mut pool[..]);
//! let mut slots: [SocketSlot; 4] = Default::default();
//! let mut sockets = SocketSet::new(&mut slots[..], 1);
//! let l = sockets.add(listener).unwrap();
//! sockets.tcp_listen(l, 7).unwrap();
//! let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
//! let s = sockets
//!     .add(TcpSocket::new(SocketBuffer::new(&mut rx[..]), SocketBuffer::new(&mut tx[..])))
//!     .unwrap();
//! sockets.tcp_pool_add(l, s).unwrap();
//! assert_eq!(sockets.tcp_accept(l), None); // nobody has connected yet
//! ```

use core::fmt;
use core::net::SocketAddrV4;

use managed::ManagedSlice;

use super::WindowScale;
use super::input::RxContext;
use crate::socket::{HandleSlot, ListenEndpoint, SocketHandle};
use crate::time::Instant;
use crate::wire::{SeqNumber, TcpRepr};

/// A half-open connection in a listener's SYN queue (the SYN-RECEIVED
/// state without a socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SynEntry {
    /// Our end.
    pub(crate) local: SocketAddrV4,
    /// The peer's end.
    pub(crate) remote: SocketAddrV4,
    /// Our ISN.
    pub(crate) iss: SeqNumber,
    /// The peer's ISN.
    pub(crate) irs: SeqNumber,
    /// When the SYN,ACK goes again (or the entry is given up).
    pub(crate) deadline: Instant,
    /// When the last SYN,ACK went (the RTT sample, if it went once).
    pub(crate) sent_at: Instant,
    /// The peer's TSval in its SYN (with [`SynEntry::TS`]).
    pub(crate) ts_recent: u32,
    /// The window of the peer's SYN (never scaled).
    pub(crate) peer_window: u16,
    /// The peer's MSS option (0: none, RFC 9293's 536).
    pub(crate) peer_mss: u16,
    /// The MSS we announce.
    pub(crate) our_mss: u16,
    /// The peer's window scale shift (`NO_WSCALE`: none offered).
    pub(crate) peer_wscale: u8,
    /// Our shift, as the SYN,ACK said (with a peer's shift).
    pub(crate) our_wscale: u8,
    /// [`SynEntry::SACK`], [`SynEntry::TS`], [`SynEntry::ACKED`],
    /// [`SynEntry::RESENT`].
    pub(crate) flags: u8,
    /// SYN,ACKs sent again.
    pub(crate) retries: u8,
}

impl SynEntry {
    /// Both SYNs carry SACK-permitted.
    pub(crate) const SACK: u8 = 1;
    /// Both SYNs carry timestamps.
    pub(crate) const TS: u8 = 2;
    /// The final ACK came but found the accept queue full or the pool
    /// empty: the next SYN,ACK is what makes the peer send it again.
    pub(crate) const ACKED: u8 = 4;
    /// A SYN,ACK went again for a resent SYN.
    pub(crate) const RESENT: u8 = 8;
    /// No window scale.
    pub(crate) const NO_WSCALE: u8 = 0xFF;

    /// The entry a SYN makes, with the options both SYNs agree on (as
    /// `cx.config` offers them) and our shift; its ISS and deadline are the
    /// caller's to set.
    pub(crate) fn for_syn(cx: &RxContext<'_>, seg: &TcpRepr<'_>, our_wscale: u8) -> SynEntry {
        let config = cx.config;
        let opts = &seg.options;
        let ts = opts.timestamps.filter(|_| config.timestamps);
        let sack = config.sack && opts.sack_permitted;
        SynEntry {
            local: cx.local,
            remote: cx.remote,
            iss: SeqNumber(0),
            irs: seg.seq_number,
            deadline: cx.now,
            sent_at: cx.now,
            ts_recent: ts.map_or(0, |t| t.0),
            peer_window: seg.window_len,
            peer_mss: opts.mss.unwrap_or(0),
            our_mss: cx.mss.clamp(64, 65535) as u16,
            peer_wscale: opts
                .window_scale
                .filter(|_| config.window_scaling)
                .map_or(Self::NO_WSCALE, |s| s.min(14)),
            our_wscale,
            flags: if sack { Self::SACK } else { 0 } | if ts.is_some() { Self::TS } else { 0 },
            retries: 0,
        }
    }

    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// The peer's window scale, if both SYNs carry the option.
    pub(crate) fn window_scale(&self) -> Option<u8> {
        (self.peer_wscale != Self::NO_WSCALE).then_some(self.peer_wscale)
    }
}

/// A slot of a listener's SYN queue; build arrays with [`SynSlot::EMPTY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SynSlot(pub(crate) Option<SynEntry>);

impl SynSlot {
    /// An empty slot.
    pub const EMPTY: SynSlot = SynSlot(None);
}

/// Why a socket could not join a listener's pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PoolError {
    /// The listener handle is not a [`TcpListener`].
    NotAListener,
    /// The socket handle is not a TCP socket.
    NotATcpSocket,
    /// The socket is not CLOSED.
    NotClosed,
    /// The pool's storage is full.
    Full,
    /// The socket is in the pool already.
    AlreadyPooled,
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            PoolError::NotAListener => "not a TCP listener",
            PoolError::NotATcpSocket => "not a TCP socket",
            PoolError::NotClosed => "socket not closed",
            PoolError::Full => "listener's socket pool is full",
            PoolError::AlreadyPooled => "socket already in the pool",
        })
    }
}

impl core::error::Error for PoolError {}

/// A TCP listener: a SYN queue, an accept queue and a pool of sockets for
/// the connections it completes (see the [module](self) docs).
#[derive(Debug)]
pub struct TcpListener<'a> {
    endpoint: Option<ListenEndpoint>,
    syn_queue: ManagedSlice<'a, SynSlot>,
    syn_len: u16,
    accept_queue: ManagedSlice<'a, HandleSlot>,
    accept_head: u16,
    accept_len: u16,
    pool: ManagedSlice<'a, HandleSlot>,
    pool_len: u16,
    /// The smallest receive buffer among the sockets given to the pool:
    /// what our SYN,ACKs advertise (and its window scale shift).
    min_rx_capacity: usize,
    /// The earliest deadline in the SYN queue.
    next_deadline: Option<Instant>,
    /// When a SYN cookie was last sent: ACKs that match no entry are
    /// checked as cookies only within two minutes of it.
    pub(crate) last_cookie: Option<Instant>,
}

impl<'a> TcpListener<'a> {
    /// A listener over a SYN queue, an accept queue and the storage of its
    /// socket pool. It listens once [`SocketSet::tcp_listen`](crate::socket::SocketSet::tcp_listen)
    /// gives it an endpoint.
    pub fn new(
        syn_queue: impl Into<ManagedSlice<'a, SynSlot>>,
        accept_queue: impl Into<ManagedSlice<'a, HandleSlot>>,
        pool: impl Into<ManagedSlice<'a, HandleSlot>>,
    ) -> Self {
        let mut syn_queue = syn_queue.into();
        for s in syn_queue.iter_mut() {
            *s = SynSlot::EMPTY;
        }
        let mut accept_queue = accept_queue.into();
        for s in accept_queue.iter_mut() {
            *s = HandleSlot::EMPTY;
        }
        let mut pool = pool.into();
        for s in pool.iter_mut() {
            *s = HandleSlot::EMPTY;
        }
        TcpListener {
            endpoint: None,
            syn_queue,
            syn_len: 0,
            accept_queue,
            accept_head: 0,
            accept_len: 0,
            pool,
            pool_len: 0,
            min_rx_capacity: usize::MAX,
            next_deadline: None,
            last_cookie: None,
        }
    }

    /// Where it listens, once listening.
    pub fn endpoint(&self) -> Option<ListenEndpoint> {
        self.endpoint
    }

    /// Whether it listens.
    pub fn is_listening(&self) -> bool {
        self.endpoint.is_some()
    }

    /// Half-open connections in the SYN queue.
    pub fn syn_queue_len(&self) -> usize {
        usize::from(self.syn_len)
    }

    /// The SYN queue's capacity.
    pub fn syn_queue_capacity(&self) -> usize {
        self.syn_queue.len()
    }

    /// Connections waiting for [`SocketSet::tcp_accept`](crate::socket::SocketSet::tcp_accept).
    pub fn accept_queue_len(&self) -> usize {
        usize::from(self.accept_len)
    }

    /// The accept queue's capacity (the backlog).
    pub fn accept_queue_capacity(&self) -> usize {
        self.accept_queue.len()
    }

    /// Sockets in the pool, ready for the next connection.
    pub fn pool_len(&self) -> usize {
        usize::from(self.pool_len)
    }

    pub(crate) fn set_endpoint(&mut self, endpoint: Option<ListenEndpoint>) {
        self.endpoint = endpoint;
    }

    /// Whether a segment to `local` is for this listener.
    pub(crate) fn accepts(&self, local: &SocketAddrV4) -> bool {
        self.endpoint
            .is_some_and(|e| e.port == local.port() && e.addr.is_none_or(|a| a == *local.ip()))
    }

    /// The window our SYN,ACKs advertise (a SYN's window is never scaled).
    pub(crate) fn syn_window(&self) -> u16 {
        self.min_rx_capacity.min(65535) as u16
    }

    /// Our window scale shift, for the pool's buffers.
    pub(crate) fn rcv_shift(&self) -> u8 {
        WindowScale::for_buffer(if self.min_rx_capacity == usize::MAX {
            0
        } else {
            self.min_rx_capacity
        })
    }

    // ---- the SYN queue ---------------------------------------------------

    /// The handshakes in the SYN queue: our end and the peer's.
    pub fn half_open(&self) -> impl Iterator<Item = (SocketAddrV4, SocketAddrV4)> + '_ {
        self.syn_queue
            .iter()
            .filter_map(|s| s.0.map(|e| (e.local, e.remote)))
    }

    /// The entry of the connection from `remote` to `local`.
    pub(crate) fn find(&self, local: &SocketAddrV4, remote: &SocketAddrV4) -> Option<usize> {
        if self.syn_len == 0 {
            return None;
        }
        self.syn_queue.iter().position(|s| {
            s.0.is_some_and(|e| e.remote == *remote && e.local == *local)
        })
    }

    pub(crate) fn entry(&self, i: usize) -> Option<&SynEntry> {
        self.syn_queue.get(i)?.0.as_ref()
    }

    pub(crate) fn entry_mut(&mut self, i: usize) -> Option<&mut SynEntry> {
        self.syn_queue.get_mut(i)?.0.as_mut()
    }

    pub(crate) fn syn_queue_full(&self) -> bool {
        self.syn_queue_len() >= self.syn_queue.len()
    }

    /// Puts an entry in the queue; `false` when it is full.
    pub(crate) fn insert(&mut self, e: SynEntry) -> bool {
        let Some(slot) = self.syn_queue.iter_mut().find(|s| s.0.is_none()) else {
            return false;
        };
        slot.0 = Some(e);
        self.syn_len += 1;
        self.note_deadline(e.deadline);
        true
    }

    /// Takes entry `i` out of the queue.
    pub(crate) fn remove(&mut self, i: usize) -> Option<SynEntry> {
        let e = self.syn_queue.get_mut(i)?.0.take()?;
        self.syn_len = self.syn_len.saturating_sub(1);
        if self.syn_len == 0 {
            self.next_deadline = None;
        }
        Some(e)
    }

    /// A deadline set or moved earlier.
    pub(crate) fn note_deadline(&mut self, at: Instant) {
        self.next_deadline = Some(self.next_deadline.map_or(at, |d| d.min(at)));
    }

    /// When the earliest entry is due.
    pub fn poll_at(&self) -> Option<Instant> {
        self.next_deadline
    }

    /// The index of an entry due at `now`, if any; when none is, the
    /// earliest deadline is brought up to date.
    pub(crate) fn next_due(&mut self, now: Instant) -> Option<usize> {
        if self.next_deadline.is_none_or(|d| d > now) {
            return None;
        }
        let mut earliest: Option<Instant> = None;
        for (i, s) in self.syn_queue.iter().enumerate() {
            if let Some(e) = &s.0 {
                if e.deadline <= now {
                    return Some(i);
                }
                earliest = Some(earliest.map_or(e.deadline, |d| d.min(e.deadline)));
            }
        }
        self.next_deadline = earliest;
        None
    }

    // ---- the accept queue and the pool -----------------------------------

    pub(crate) fn accept_queue_full(&self) -> bool {
        self.accept_queue_len() >= self.accept_queue.len()
    }

    /// Queues a connection for `accept`; `false` when the queue is full.
    pub(crate) fn push_accept(&mut self, h: SocketHandle) -> bool {
        let cap = self.accept_queue.len();
        if self.accept_queue_full() || cap == 0 {
            return false;
        }
        let i = (usize::from(self.accept_head) + self.accept_queue_len()) % cap;
        match self.accept_queue.get_mut(i) {
            Some(slot) => {
                *slot = HandleSlot(Some(h));
                self.accept_len += 1;
                true
            }
            None => false,
        }
    }

    /// The oldest connection waiting for `accept`.
    pub(crate) fn pop_accept(&mut self) -> Option<SocketHandle> {
        let cap = self.accept_queue.len();
        if self.accept_len == 0 || cap == 0 {
            return None;
        }
        let h = self
            .accept_queue
            .get_mut(usize::from(self.accept_head))?
            .0
            .take();
        self.accept_head = ((usize::from(self.accept_head) + 1) % cap) as u16;
        self.accept_len -= 1;
        h
    }

    /// Every connection still in the accept queue, oldest first.
    pub fn accept_queue(&self) -> impl Iterator<Item = SocketHandle> + '_ {
        let cap = self.accept_queue.len().max(1);
        (0..self.accept_queue_len()).filter_map(move |k| {
            let i = (usize::from(self.accept_head) + k) % cap;
            self.accept_queue.get(i)?.0
        })
    }

    pub(crate) fn pool_contains(&self, h: SocketHandle) -> bool {
        self.pool
            .iter()
            .take(self.pool_len())
            .any(|s| s.0 == Some(h))
    }

    pub(crate) fn push_pool(
        &mut self,
        h: SocketHandle,
        rx_capacity: usize,
    ) -> Result<(), PoolError> {
        if self.pool_contains(h) {
            return Err(PoolError::AlreadyPooled);
        }
        let n = self.pool_len();
        let slot = self.pool.get_mut(n).ok_or(PoolError::Full)?;
        *slot = HandleSlot(Some(h));
        self.pool_len += 1;
        self.min_rx_capacity = self.min_rx_capacity.min(rx_capacity);
        Ok(())
    }

    /// A socket for a connection, the one given last.
    pub(crate) fn pop_pool(&mut self) -> Option<SocketHandle> {
        let n = self.pool_len().checked_sub(1)?;
        let h = self.pool.get_mut(n)?.0.take();
        self.pool_len = n as u16;
        h
    }

    /// Every socket in the pool.
    pub fn pool(&self) -> impl Iterator<Item = SocketHandle> + '_ {
        self.pool.iter().take(self.pool_len()).filter_map(|s| s.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Ipv4Address;

    fn entry(port: u16, deadline: i64) -> SynEntry {
        SynEntry {
            local: SocketAddrV4::new(Ipv4Address::new(192, 0, 2, 2), 7),
            remote: SocketAddrV4::new(Ipv4Address::new(192, 0, 2, 1), port),
            iss: SeqNumber(1),
            irs: SeqNumber(2),
            deadline: Instant::from_millis(deadline),
            sent_at: Instant::ZERO,
            ts_recent: 0,
            peer_window: 0,
            peer_mss: 0,
            our_mss: 1460,
            peer_wscale: SynEntry::NO_WSCALE,
            our_wscale: 0,
            flags: 0,
            retries: 0,
        }
    }

    #[test]
    fn syn_queue_fills_finds_and_frees() {
        let mut q = [SynSlot::EMPTY; 2];
        let (mut a, mut p) = ([HandleSlot::EMPTY; 1], [HandleSlot::EMPTY; 1]);
        let mut l = TcpListener::new(&mut q[..], &mut a[..], &mut p[..]);
        assert!(l.insert(entry(1, 50)));
        assert!(l.insert(entry(2, 20)));
        assert!(l.syn_queue_full());
        assert!(!l.insert(entry(3, 10)));
        let e = entry(2, 0);
        let i = l.find(&e.local, &e.remote).unwrap();
        assert_eq!(l.poll_at(), Some(Instant::from_millis(20)));
        assert_eq!(l.next_due(Instant::from_millis(19)), None);
        assert_eq!(l.next_due(Instant::from_millis(20)), Some(i));
        assert_eq!(l.remove(i).map(|e| e.remote.port()), Some(2));
        // The earliest deadline is recomputed once nothing is due.
        assert_eq!(l.next_due(Instant::from_millis(20)), None);
        assert_eq!(l.poll_at(), Some(Instant::from_millis(50)));
        assert!(l.insert(entry(3, 10)));
        assert_eq!(l.poll_at(), Some(Instant::from_millis(10)));
        assert_eq!(l.syn_queue_len(), 2);
    }

    #[test]
    fn accept_queue_is_a_fifo_and_bounded() {
        let mut q = [SynSlot::EMPTY; 1];
        let (mut a, mut p) = ([HandleSlot::EMPTY; 2], [HandleSlot::EMPTY; 2]);
        let mut l = TcpListener::new(&mut q[..], &mut a[..], &mut p[..]);
        for round in 0..3u16 {
            assert!(l.push_accept(SocketHandle(round * 2)));
            assert!(l.push_accept(SocketHandle(round * 2 + 1)));
            assert!(!l.push_accept(SocketHandle(99)));
            assert_eq!(l.accept_queue().count(), 2);
            assert_eq!(l.pop_accept(), Some(SocketHandle(round * 2)));
            assert_eq!(l.pop_accept(), Some(SocketHandle(round * 2 + 1)));
            assert_eq!(l.pop_accept(), None);
        }
    }

    #[test]
    fn pool_refuses_twice_the_same_socket_and_tracks_the_smallest_buffer() {
        let mut q = [SynSlot::EMPTY; 1];
        let (mut a, mut p) = ([HandleSlot::EMPTY; 1], [HandleSlot::EMPTY; 2]);
        let mut l = TcpListener::new(&mut q[..], &mut a[..], &mut p[..]);
        assert_eq!(l.push_pool(SocketHandle(4), 200_000), Ok(()));
        assert_eq!(l.rcv_shift(), 2);
        assert_eq!(
            l.push_pool(SocketHandle(4), 4096),
            Err(PoolError::AlreadyPooled)
        );
        assert_eq!(l.push_pool(SocketHandle(5), 4096), Ok(()));
        assert_eq!(l.push_pool(SocketHandle(6), 4096), Err(PoolError::Full));
        assert_eq!((l.syn_window(), l.rcv_shift()), (4096, 0));
        assert_eq!(l.pop_pool(), Some(SocketHandle(5)));
        assert_eq!(l.pop_pool(), Some(SocketHandle(4)));
        assert_eq!(l.pop_pool(), None);
    }
}
