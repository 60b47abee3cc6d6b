//! Sockets: the application's end of each protocol, as sans-IO state
//! machines that never see a device.
//!
//! A [`SocketSet`] owns the sockets (in caller-provided slots) and an index
//! from what identifies a socket on the wire (a UDP port, an ICMP echo
//! identifier, later a TCP four-tuple) to the socket, so that the stack finds
//! the socket of a packet without scanning them all. The index is a hash
//! table chained through the slots themselves, keyed with a secret from the
//! caller's seed, so it needs no storage of its own and an attacker cannot
//! crowd one chain.
//!
//! Binding goes through the set ([`SocketSet::bind_udp`],
//! [`SocketSet::bind_icmp`]), which is where a conflict is detected and an
//! ephemeral port chosen (RFC 6056, algorithm 1: random, from the seed).
//!
//! ```
//! use microps_core::socket::{SocketSet, SocketSlot, udp};
//! use microps_core::storage::PacketMetadata;
//!
//! let mut rx_meta = [PacketMetadata::EMPTY; 4];
//! let mut rx_data = [0u8; 2048];
//! let mut tx_meta = [PacketMetadata::EMPTY; 4];
//! let mut tx_data = [0u8; 2048];
//! let socket = udp::UdpSocket::new(
//!     udp::UdpPacketBuffer::new(&mut rx_meta[..], &mut rx_data[..]),
//!     udp::UdpPacketBuffer::new(&mut tx_meta[..], &mut tx_data[..]),
//! );
//! let mut slots: [SocketSlot; 4] = Default::default();
//! let mut sockets = SocketSet::new(&mut slots[..], 42);
//! let handle = sockets.add(socket).unwrap();
//! sockets.bind_udp(handle, 7).unwrap();
//! assert_eq!(sockets.get::<udp::UdpSocket>(handle).unwrap().endpoint().port, 7);
//! ```

use core::fmt;
use core::net::SocketAddrV4;

use managed::ManagedSlice;

use crate::rand::{Rng, SipKey};
use crate::wire::Ipv4Address;

pub mod icmp;
mod schedule;
pub mod tcp;
pub mod udp;

pub use icmp::IcmpSocket;
pub use tcp::{TcpListener, TcpSocket};
pub use udp::UdpSocket;

/// A socket's handle in its [`SocketSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SocketHandle(u16);

impl SocketHandle {
    /// The slot index.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// A slot of a queue of socket handles (a [`TcpListener`]'s accept queue
/// and pool); build arrays with [`HandleSlot::EMPTY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HandleSlot(pub(crate) Option<SocketHandle>);

impl HandleSlot {
    /// An empty slot.
    pub const EMPTY: HandleSlot = HandleSlot(None);
}

impl fmt::Display for SocketHandle {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Any kind of socket.
///
/// Variants differ in size (a TCP socket carries its timers and sequence
/// state); without a heap there is nothing to box them in, and the slot
/// array is sized once.
#[derive(Debug)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "no heap to box the TCP socket in"
)]
pub enum Socket<'a> {
    /// A UDP socket.
    Udp(UdpSocket<'a>),
    /// An ICMP echo socket.
    Icmp(IcmpSocket<'a>),
    /// A TCP socket.
    Tcp(TcpSocket<'a>),
    /// A TCP listener with a backlog.
    TcpListener(TcpListener<'a>),
}

/// A socket type that can live in a [`SocketSet`].
pub trait AnySocket<'a>: Sized {
    /// Wraps it.
    fn upcast(self) -> Socket<'a>;
    /// Borrows it out of a [`Socket`] of the right kind.
    fn downcast<'s>(socket: &'s Socket<'a>) -> Option<&'s Self>;
    /// Borrows it mutably out of a [`Socket`] of the right kind.
    fn downcast_mut<'s>(socket: &'s mut Socket<'a>) -> Option<&'s mut Self>;
}

macro_rules! any_socket {
    ($ty:ident, $variant:ident) => {
        impl<'a> AnySocket<'a> for $ty<'a> {
            fn upcast(self) -> Socket<'a> {
                Socket::$variant(self)
            }
            fn downcast<'s>(socket: &'s Socket<'a>) -> Option<&'s Self> {
                #[allow(
                    unreachable_patterns,
                    reason = "with one socket kind compiled in, `_` is unreachable"
                )]
                match socket {
                    Socket::$variant(s) => Some(s),
                    _ => None,
                }
            }
            fn downcast_mut<'s>(socket: &'s mut Socket<'a>) -> Option<&'s mut Self> {
                #[allow(
                    unreachable_patterns,
                    reason = "with one socket kind compiled in, `_` is unreachable"
                )]
                match socket {
                    Socket::$variant(s) => Some(s),
                    _ => None,
                }
            }
        }
    };
}

any_socket!(UdpSocket, Udp);
any_socket!(IcmpSocket, Icmp);
any_socket!(TcpSocket, Tcp);
any_socket!(TcpListener, TcpListener);

/// What identifies a socket on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum IndexKey {
    Udp(u16),
    Icmp(u16),
    TcpListen(u16),
    Tcp {
        local: SocketAddrV4,
        remote: SocketAddrV4,
    },
}

impl IndexKey {
    fn hash_bytes(&self, out: &mut [u8; 16]) -> usize {
        match self {
            IndexKey::Udp(p) => {
                out[0] = 17;
                out[1..3].copy_from_slice(&p.to_be_bytes());
                3
            }
            IndexKey::Icmp(i) => {
                out[0] = 1;
                out[1..3].copy_from_slice(&i.to_be_bytes());
                3
            }
            IndexKey::TcpListen(p) => {
                out[0] = 6;
                out[1..3].copy_from_slice(&p.to_be_bytes());
                3
            }
            IndexKey::Tcp { local, remote } => {
                out[0] = 0x86;
                out[1..5].copy_from_slice(&local.ip().octets());
                out[5..7].copy_from_slice(&local.port().to_be_bytes());
                out[7..11].copy_from_slice(&remote.ip().octets());
                out[11..13].copy_from_slice(&remote.port().to_be_bytes());
                13
            }
        }
    }
}

const NONE: u16 = u16::MAX;

/// A slot of a [`SocketSet`]'s storage. Build arrays with `Default`.
#[derive(Debug)]
pub struct SocketSlot<'a> {
    socket: Option<Socket<'a>>,
    key: Option<IndexKey>,
    /// This socket's deadline, while it is in the heap (`schedule.rs`).
    at: crate::time::Instant,
    /// Head of the hash chain of bucket `i` (this slot's index).
    head: u16,
    /// Next slot in this socket's chain.
    next: u16,
    /// The slot at heap position `i` (this slot's index).
    heap: u16,
    /// Where this socket is in the heap (`NONE`: not there).
    heap_pos: u16,
    /// The next slot of the touched list (`schedule::UNTOUCHED`: not in it).
    touched_next: u16,
}

impl Default for SocketSlot<'_> {
    fn default() -> Self {
        SocketSlot::new()
    }
}

impl SocketSlot<'_> {
    /// An empty slot.
    pub const fn new() -> Self {
        SocketSlot {
            socket: None,
            key: None,
            at: crate::time::Instant::ZERO,
            head: NONE,
            next: NONE,
            heap: NONE,
            heap_pos: NONE,
            touched_next: schedule::UNTOUCHED,
        }
    }
}

/// Why a socket could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SocketSetFull;

impl fmt::Display for SocketSetFull {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("socket set full")
    }
}

impl core::error::Error for SocketSetFull {}

/// Why a bind failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum BindError {
    /// Another socket has this port or identifier.
    AddrInUse,
    /// The handle is not a socket of that kind.
    InvalidHandle,
    /// The socket is bound already.
    AlreadyBound,
    /// No ephemeral port is free.
    NoEphemeralPort,
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            BindError::AddrInUse => "address in use",
            BindError::InvalidHandle => "no socket of that kind at this handle",
            BindError::AlreadyBound => "socket already bound",
            BindError::NoEphemeralPort => "no ephemeral port available",
        })
    }
}

impl core::error::Error for BindError {}

/// A local endpoint to bind: an optional address and a port (0 picks an
/// ephemeral port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ListenEndpoint {
    /// Only datagrams to this address, or any of the host's if `None`.
    pub addr: Option<Ipv4Address>,
    /// The port.
    pub port: u16,
}

impl From<u16> for ListenEndpoint {
    fn from(port: u16) -> Self {
        ListenEndpoint { addr: None, port }
    }
}

impl From<SocketAddrV4> for ListenEndpoint {
    fn from(a: SocketAddrV4) -> Self {
        ListenEndpoint {
            addr: (!a.ip().is_unspecified()).then_some(*a.ip()),
            port: a.port(),
        }
    }
}

impl From<(Ipv4Address, u16)> for ListenEndpoint {
    fn from((addr, port): (Ipv4Address, u16)) -> Self {
        SocketAddrV4::new(addr, port).into()
    }
}

impl fmt::Display for ListenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.addr {
            Some(a) => write!(f, "{a}:{}", self.port),
            None => write!(f, "*:{}", self.port),
        }
    }
}

/// The first and last ephemeral port: the IANA range (RFC 6335, RFC 6056).
pub const EPHEMERAL_PORTS: (u16, u16) = (49152, 65535);

/// A set of sockets over caller-provided slots.
#[derive(Debug)]
pub struct SocketSet<'a> {
    slots: ManagedSlice<'a, SocketSlot<'a>>,
    key: SipKey,
    rng: Rng,
    /// The TCP connection the last segment went to: tried before the hash
    /// index, so a bulk flow pays no keyed hash per segment (its key is
    /// compared in full, so a slot reused since cannot match wrongly).
    last_tcp: core::cell::Cell<u16>,
    /// The touched list (`schedule.rs`): first and last slot.
    touched_head: u16,
    touched_tail: u16,
    /// Sockets in the deadline heap.
    heap_len: u16,
    /// Sockets handed to egress so far.
    visits: u64,
}

impl<'a> SocketSet<'a> {
    /// A set over `slots`, its hash key and ephemeral ports drawn from
    /// `seed`.
    pub fn new(slots: impl Into<ManagedSlice<'a, SocketSlot<'a>>>, seed: u64) -> Self {
        let mut slots = slots.into();
        for s in slots.iter_mut() {
            *s = SocketSlot::new();
        }
        let mut rng = Rng::new(seed ^ 0x50c4_e75e_7000_0001);
        let key = SipKey::from_rng(&mut rng);
        SocketSet {
            slots,
            key,
            rng,
            last_tcp: core::cell::Cell::new(NONE),
            touched_head: NONE,
            touched_tail: NONE,
            heap_len: 0,
            visits: 0,
        }
    }

    /// Adds a socket; fails when every slot is taken.
    pub fn add<T: AnySocket<'a>>(&mut self, socket: T) -> Result<SocketHandle, SocketSetFull> {
        // Slot indices are 16 bits, and the two highest values mark the
        // ends of the index's chains and of the touched list.
        let limit = self.slots.len().min(usize::from(schedule::UNTOUCHED));
        for (i, slot) in self.slots.iter_mut().enumerate().take(limit) {
            if slot.socket.is_none() {
                slot.socket = Some(socket.upcast());
                slot.key = None;
                slot.next = NONE;
                self.touch(i);
                return Ok(SocketHandle(i as u16));
            }
        }
        Err(SocketSetFull)
    }

    /// Removes a socket, unbinding it.
    pub fn remove(&mut self, handle: SocketHandle) -> Option<Socket<'a>> {
        self.unindex(handle);
        self.unschedule(handle.index());
        self.slots.get_mut(handle.index())?.socket.take()
    }

    /// The socket at `handle`, if it is a `T`.
    pub fn get<T: AnySocket<'a>>(&self, handle: SocketHandle) -> Option<&T> {
        T::downcast(self.slots.get(handle.index())?.socket.as_ref()?)
    }

    /// The socket at `handle` mutably, if it is a `T`. The stack then
    /// looks at it at its next poll (what the caller changes, it may have
    /// to send).
    pub fn get_mut<T: AnySocket<'a>>(&mut self, handle: SocketHandle) -> Option<&mut T> {
        let i = handle.index();
        T::downcast(self.slots.get(i)?.socket.as_ref()?)?;
        self.touch(i);
        T::downcast_mut(self.slots.get_mut(i)?.socket.as_mut()?)
    }

    /// Every socket with its handle.
    pub fn iter(&self) -> impl Iterator<Item = (SocketHandle, &Socket<'a>)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((SocketHandle(i as u16), s.socket.as_ref()?)))
    }

    /// Every socket with its handle, mutably (the stack then looks at
    /// each at its next poll).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (SocketHandle, &mut Socket<'a>)> {
        for i in 0..self.slots.len() {
            if self.slots.get(i).is_some_and(|s| s.socket.is_some()) {
                self.touch(i);
            }
        }
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(i, s)| Some((SocketHandle(i as u16), s.socket.as_mut()?)))
    }

    /// The number of slots.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Binds a UDP socket to `endpoint` (port 0: an ephemeral port).
    pub fn bind_udp(
        &mut self,
        handle: SocketHandle,
        endpoint: impl Into<ListenEndpoint>,
    ) -> Result<u16, BindError> {
        let mut endpoint = endpoint.into();
        match self.get::<UdpSocket>(handle) {
            None => return Err(BindError::InvalidHandle),
            Some(s) if s.is_open() => return Err(BindError::AlreadyBound),
            Some(_) => {}
        }
        if endpoint.port == 0 {
            endpoint.port = self.ephemeral_port(IndexKey::Udp)?;
        } else if self.lookup(&IndexKey::Udp(endpoint.port)).is_some() {
            return Err(BindError::AddrInUse);
        }
        if let Some(s) = self.get_mut::<UdpSocket>(handle) {
            s.set_endpoint(endpoint);
        }
        self.index(handle, IndexKey::Udp(endpoint.port));
        Ok(endpoint.port)
    }

    /// Binds an ICMP echo socket to an identifier (0: a random free one).
    pub fn bind_icmp(&mut self, handle: SocketHandle, ident: u16) -> Result<u16, BindError> {
        match self.get::<IcmpSocket>(handle) {
            None => return Err(BindError::InvalidHandle),
            Some(s) if s.is_open() => return Err(BindError::AlreadyBound),
            Some(_) => {}
        }
        let ident = if ident == 0 {
            let mut found = None;
            for _ in 0..64 {
                let cand = (self.rng.next_u32() as u16).max(1);
                if self.lookup(&IndexKey::Icmp(cand)).is_none() {
                    found = Some(cand);
                    break;
                }
            }
            found.ok_or(BindError::NoEphemeralPort)?
        } else if self.lookup(&IndexKey::Icmp(ident)).is_some() {
            return Err(BindError::AddrInUse);
        } else {
            ident
        };
        if let Some(s) = self.get_mut::<IcmpSocket>(handle) {
            s.set_ident(ident);
        }
        self.index(handle, IndexKey::Icmp(ident));
        Ok(ident)
    }

    /// An ephemeral port no TCP socket listens on (RFC 6056 algorithm 1),
    /// for a listener bound to port 0.
    ///
    /// ```
    /// use microps_core::socket::{SocketSet, SocketSlot};
    /// let mut set = SocketSet::new(vec![SocketSlot::new()], 7);
    /// let port = set.tcp_listen_ephemeral_port().unwrap();
    /// assert!(port >= 49152);
    /// ```
    pub fn tcp_listen_ephemeral_port(&mut self) -> Result<u16, BindError> {
        self.ephemeral_port(IndexKey::TcpListen)
    }

    /// RFC 6056 algorithm 1: random ports from the IANA range, tried until a
    /// free one turns up (bounded, then a linear sweep from a random start).
    fn ephemeral_port(&mut self, make: fn(u16) -> IndexKey) -> Result<u16, BindError> {
        let (lo, hi) = EPHEMERAL_PORTS;
        let span = u32::from(hi - lo) + 1;
        for _ in 0..32 {
            let p = lo + self.rng.below(span) as u16;
            if self.lookup(&make(p)).is_none() {
                return Ok(p);
            }
        }
        let start = self.rng.below(span);
        for i in 0..span {
            let p = lo + ((start + i) % span) as u16;
            if self.lookup(&make(p)).is_none() {
                return Ok(p);
            }
        }
        Err(BindError::NoEphemeralPort)
    }

    fn bucket(&self, key: &IndexKey) -> usize {
        let mut bytes = [0u8; 16];
        let n = key.hash_bytes(&mut bytes);
        let h = self.key.hash(bytes.get(..n).unwrap_or(&[]));
        (h % self.slots.len().max(1) as u64) as usize
    }

    /// The socket registered under `key`.
    pub(crate) fn lookup(&self, key: &IndexKey) -> Option<SocketHandle> {
        let mut i = self.slots.get(self.bucket(key))?.head;
        let mut steps = 0;
        while i != NONE && steps <= self.slots.len() {
            let slot = self.slots.get(usize::from(i))?;
            if slot.key.as_ref() == Some(key) {
                return Some(SocketHandle(i));
            }
            i = slot.next;
            steps += 1;
        }
        None
    }

    fn index(&mut self, handle: SocketHandle, key: IndexKey) {
        self.unindex(handle);
        let b = self.bucket(&key);
        let Some(head) = self.slots.get(b).map(|s| s.head) else {
            return;
        };
        if let Some(slot) = self.slots.get_mut(handle.index()) {
            slot.key = Some(key);
            slot.next = head;
        }
        if let Some(bucket) = self.slots.get_mut(b) {
            bucket.head = handle.0;
        }
    }

    fn unindex(&mut self, handle: SocketHandle) {
        let Some(key) = self.slots.get(handle.index()).and_then(|s| s.key) else {
            return;
        };
        let b = self.bucket(&key);
        let next_of_removed = self.slots.get(handle.index()).map_or(NONE, |s| s.next);
        let Some(head) = self.slots.get(b).map(|s| s.head) else {
            return;
        };
        if head == handle.0 {
            if let Some(bucket) = self.slots.get_mut(b) {
                bucket.head = next_of_removed;
            }
        } else {
            let mut i = head;
            let mut steps = 0;
            while i != NONE && steps <= self.slots.len() {
                let next = self.slots.get(usize::from(i)).map_or(NONE, |s| s.next);
                if next == handle.0 {
                    if let Some(s) = self.slots.get_mut(usize::from(i)) {
                        s.next = next_of_removed;
                    }
                    break;
                }
                i = next;
                steps += 1;
            }
        }
        if let Some(slot) = self.slots.get_mut(handle.index()) {
            slot.key = None;
            slot.next = NONE;
        }
    }

    /// Makes a TCP socket or a [`TcpListener`] wait for connections on
    /// `endpoint` (RFC 9293 passive OPEN). Several sockets may listen on
    /// one port, each taking one connection; a listener, which takes many
    /// (its backlog), has its port to itself.
    pub fn tcp_listen(
        &mut self,
        handle: SocketHandle,
        endpoint: impl Into<ListenEndpoint>,
    ) -> Result<(), tcp::ConnectError> {
        let endpoint = endpoint.into();
        let holder = self.lookup(&IndexKey::TcpListen(endpoint.port));
        if let Some(l) = self.get_mut::<TcpListener>(handle) {
            if endpoint.port == 0 {
                return Err(tcp::ConnectError::Unaddressable);
            }
            if l.is_listening() {
                return Err(tcp::ConnectError::InvalidState);
            }
            if holder.is_some() {
                return Err(tcp::ConnectError::AddrInUse);
            }
            l.set_endpoint(Some(endpoint));
            self.index(handle, IndexKey::TcpListen(endpoint.port));
            return Ok(());
        }
        if holder.is_some_and(|h| self.get::<TcpListener>(h).is_some()) {
            return Err(tcp::ConnectError::AddrInUse);
        }
        let s = self
            .get_mut::<TcpSocket>(handle)
            .ok_or(tcp::ConnectError::InvalidHandle)?;
        s.listen(endpoint)?;
        self.sync_tcp_index(handle);
        Ok(())
    }

    /// Gives a closed TCP socket, with its buffers, to a listener's pool:
    /// the listener's next completed handshake takes it (the pool's
    /// smallest receive buffer is the window its SYN,ACKs advertise). A
    /// socket comes back out through [`SocketSet::tcp_accept`].
    pub fn tcp_pool_add(
        &mut self,
        listener: SocketHandle,
        socket: SocketHandle,
    ) -> Result<(), tcp::PoolError> {
        let capacity = match self.get::<TcpSocket>(socket) {
            None => return Err(tcp::PoolError::NotATcpSocket),
            Some(s) if s.state() != tcp::State::Closed => return Err(tcp::PoolError::NotClosed),
            Some(s) => s.recv_capacity(),
        };
        self.get_mut::<TcpListener>(listener)
            .ok_or(tcp::PoolError::NotAListener)?
            .push_pool(socket, capacity)?;
        // Marked, so that a handle left in the pool after its socket was
        // removed cannot take the slot's next socket.
        if let Some(s) = self.get_mut::<TcpSocket>(socket) {
            s.set_pooled(true);
        }
        Ok(())
    }

    /// Takes `socket` out of the pool it was given to: `false` if its slot
    /// no longer holds the socket given (it was removed or used since).
    pub(crate) fn take_pooled(&mut self, socket: SocketHandle) -> bool {
        self.get_mut::<TcpSocket>(socket).is_some_and(|s| {
            let was = s.is_pooled();
            s.set_pooled(false);
            was
        })
    }

    /// The oldest connection a listener completed and nobody took yet (RFC
    /// 9293's passive OPEN returning): a socket of its pool, in ESTABLISHED
    /// or later (the peer may have sent data, closed or reset it since).
    pub fn tcp_accept(&mut self, listener: SocketHandle) -> Option<SocketHandle> {
        self.get_mut::<TcpListener>(listener)?.pop_accept()
    }

    /// Re-indexes a TCP socket after its state changed (a connection was
    /// accepted into a listener, or it closed).
    pub(crate) fn sync_tcp_index(&mut self, handle: SocketHandle) {
        let want = match self.get::<TcpSocket>(handle) {
            Some(s) => s.index_key(),
            None => return,
        };
        let have = self.slots.get(handle.index()).and_then(|s| s.key);
        if want != have {
            self.unindex(handle);
            if let Some(k) = want {
                self.index(handle, k);
            }
        }
    }

    /// The TCP socket a segment from `remote` to `local` belongs to: its
    /// connection, else a socket listening on the port.
    pub(crate) fn tcp_lookup(
        &self,
        local: &SocketAddrV4,
        remote: &SocketAddrV4,
    ) -> Option<SocketHandle> {
        let key = IndexKey::Tcp {
            local: *local,
            remote: *remote,
        };
        let last = self.last_tcp.get();
        if let Some(slot) = self.slots.get(usize::from(last))
            && slot.key.as_ref() == Some(&key)
            && let Some(Socket::Tcp(s)) = slot.socket.as_ref()
            && s.accepts(local, remote)
        {
            return Some(SocketHandle(last));
        }
        if let Some(h) = self.lookup_where(
            &key,
            |s| matches!(s, Socket::Tcp(s) if s.accepts(local, remote)),
        ) {
            self.last_tcp.set(h.0);
            return Some(h);
        }
        self.lookup_where(&IndexKey::TcpListen(local.port()), |s| match s {
            Socket::Tcp(s) => s.accepts(local, remote),
            Socket::TcpListener(l) => l.accepts(local),
            _ => false,
        })
    }

    /// The first socket under `key` that `pred` accepts.
    fn lookup_where(
        &self,
        key: &IndexKey,
        pred: impl Fn(&Socket<'a>) -> bool,
    ) -> Option<SocketHandle> {
        let mut i = self.slots.get(self.bucket(key))?.head;
        let mut steps = 0;
        while i != NONE && steps <= self.slots.len() {
            let slot = self.slots.get(usize::from(i))?;
            if slot.key.as_ref() == Some(key)
                && let Some(s) = slot.socket.as_ref()
                && pred(s)
            {
                return Some(SocketHandle(i));
            }
            i = slot.next;
            steps += 1;
        }
        None
    }

    /// An ephemeral port for a connection from `local_ip` to `remote` (RFC
    /// 6056 algorithm 3, "Simple Hash-Based": the search starts at an offset
    /// keyed by the endpoints, so ports do not reveal other connections).
    pub(crate) fn tcp_ephemeral_port(
        &mut self,
        local_ip: crate::wire::Ipv4Address,
        remote: SocketAddrV4,
        taken: impl Fn(&SocketAddrV4) -> bool,
    ) -> Option<u16> {
        let (lo, hi) = EPHEMERAL_PORTS;
        let span = u32::from(hi - lo) + 1;
        let offset = self.key.hash_parts(&[
            &local_ip.octets(),
            &remote.ip().octets(),
            &remote.port().to_be_bytes(),
        ]) as u32;
        let start = offset.wrapping_add(self.rng.next_u32() % 64);
        for i in 0..span {
            let port = lo + (start.wrapping_add(i) % span) as u16;
            let key = IndexKey::Tcp {
                local: SocketAddrV4::new(local_ip, port),
                remote,
            };
            if self.lookup(&key).is_none()
                && self.lookup(&IndexKey::TcpListen(port)).is_none()
                && !taken(&SocketAddrV4::new(local_ip, port))
            {
                return Some(port);
            }
        }
        None
    }

    /// Whether a connection with these endpoints exists.
    pub(crate) fn tcp_in_use(&self, local: SocketAddrV4, remote: SocketAddrV4) -> bool {
        self.lookup(&IndexKey::Tcp { local, remote }).is_some()
    }

    /// The UDP socket bound to `port`.
    pub(crate) fn udp_for_port(&mut self, port: u16) -> Option<&mut UdpSocket<'a>> {
        let h = self.lookup(&IndexKey::Udp(port))?;
        self.get_mut::<UdpSocket>(h)
    }

    /// The ICMP socket bound to `ident`.
    pub(crate) fn icmp_for_ident(&mut self, ident: u16) -> Option<&mut IcmpSocket<'a>> {
        let h = self.lookup(&IndexKey::Icmp(ident))?;
        self.get_mut::<IcmpSocket>(h)
    }
}

/// An ICMP error report delivered to a socket (RFC 1122 4.1.3.3, 3.2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IcmpErrorReport {
    /// Who sent the ICMP message (a router, or the destination itself).
    pub from: Ipv4Address,
    /// What it said.
    pub kind: IcmpErrorKind,
}

/// The kinds of ICMP errors a socket can receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum IcmpErrorKind {
    /// Destination unreachable, network.
    NetUnreachable,
    /// Destination unreachable, host.
    HostUnreachable,
    /// Destination unreachable, protocol.
    ProtocolUnreachable,
    /// Destination unreachable, port: nobody listens there.
    PortUnreachable,
    /// Destination unreachable, fragmentation needed and DF set, with the
    /// next-hop MTU (0 if the router did not say).
    FragmentationNeeded {
        /// The MTU of the next hop.
        mtu: u16,
    },
    /// Destination unreachable, administratively prohibited or another code.
    Unreachable {
        /// The code.
        code: u8,
    },
    /// Time exceeded in transit (TTL) or in reassembly.
    TimeExceeded {
        /// 0 in transit, 1 in reassembly.
        code: u8,
    },
}

impl fmt::Display for IcmpErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            IcmpErrorKind::NetUnreachable => f.write_str("network unreachable"),
            IcmpErrorKind::HostUnreachable => f.write_str("host unreachable"),
            IcmpErrorKind::ProtocolUnreachable => f.write_str("protocol unreachable"),
            IcmpErrorKind::PortUnreachable => f.write_str("port unreachable"),
            IcmpErrorKind::FragmentationNeeded { mtu } => {
                write!(f, "fragmentation needed (next-hop MTU {mtu})")
            }
            IcmpErrorKind::Unreachable { code } => {
                write!(f, "destination unreachable (code {code})")
            }
            IcmpErrorKind::TimeExceeded { code: 1 } => {
                f.write_str("fragment reassembly time exceeded")
            }
            IcmpErrorKind::TimeExceeded { .. } => f.write_str("time to live exceeded"),
        }
    }
}

impl fmt::Display for IcmpErrorReport {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} (from {})", self.kind, self.from)
    }
}

/// Why a datagram could not be queued for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SendError {
    /// The socket is not bound.
    Unbound,
    /// The destination is unspecified, or its port is zero.
    Unaddressable,
    /// The transmit buffer is full now; try after a poll.
    BufferFull,
    /// Larger than the transmit buffer or than an IPv4 datagram can carry.
    TooLarge,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            SendError::Unbound => "socket not bound",
            SendError::Unaddressable => "destination address or port unspecified",
            SendError::BufferFull => "transmit buffer full",
            SendError::TooLarge => "datagram too large",
        })
    }
}

impl core::error::Error for SendError {}

/// Why nothing was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RecvError {
    /// Nothing is queued.
    Exhausted,
    /// An ICMP error arrived for what this socket sent (reported once).
    Icmp(IcmpErrorReport),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            RecvError::Exhausted => f.write_str("nothing received"),
            RecvError::Icmp(r) => write!(f, "{r}"),
        }
    }
}

impl core::error::Error for RecvError {}

/// What the stack tells a socket about an attempt to send its next packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) enum DispatchError {
    /// The device had no buffer: keep the packet for the next poll.
    Exhausted,
    /// No route, or the packet cannot be sent at all: drop it.
    Dropped(Option<IcmpErrorKind>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::PacketMetadata;
    use alloc::vec;

    fn udp() -> UdpSocket<'static> {
        UdpSocket::new(
            udp::UdpPacketBuffer::new(vec![PacketMetadata::EMPTY; 4], vec![0u8; 256]),
            udp::UdpPacketBuffer::new(vec![PacketMetadata::EMPTY; 4], vec![0u8; 256]),
        )
    }

    #[test]
    fn bind_conflicts_and_index_survives_removal() {
        let mut set = SocketSet::new(
            alloc::vec::Vec::from_iter((0..8).map(|_| SocketSlot::new())),
            1,
        );
        let handles: alloc::vec::Vec<_> = (0..8).map(|_| set.add(udp()).unwrap()).collect();
        assert_eq!(set.add(udp()), Err(SocketSetFull));
        for (i, h) in handles.iter().enumerate() {
            set.bind_udp(*h, 1000 + i as u16).unwrap();
        }
        assert_eq!(set.bind_udp(handles[0], 2000), Err(BindError::AlreadyBound));
        for (i, h) in handles.iter().enumerate() {
            assert_eq!(set.lookup(&IndexKey::Udp(1000 + i as u16)), Some(*h));
        }
        // Remove every other socket; the rest stay findable.
        for h in handles.iter().step_by(2) {
            set.remove(*h);
        }
        for (i, h) in handles.iter().enumerate() {
            let found = set.lookup(&IndexKey::Udp(1000 + i as u16));
            assert_eq!(found, (i % 2 == 1).then_some(*h));
        }
        let h = set.add(udp()).unwrap();
        assert_eq!(set.bind_udp(h, 1001), Err(BindError::AddrInUse));
        assert_eq!(set.bind_udp(h, 1000), Ok(1000));
    }

    #[test]
    fn ephemeral_ports_are_in_range_distinct_and_seeded() {
        let run = |seed| {
            let mut set = SocketSet::new(
                alloc::vec::Vec::from_iter((0..16).map(|_| SocketSlot::new())),
                seed,
            );
            (0..16)
                .map(|_| {
                    let h = set.add(udp()).unwrap();
                    set.bind_udp(h, 0).unwrap()
                })
                .collect::<alloc::vec::Vec<u16>>()
        };
        let a = run(5);
        assert!(a.iter().all(|&p| p >= 49152));
        let mut sorted = a.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 16);
        assert_eq!(a, run(5));
        assert_ne!(a, run(6));
    }

    #[test]
    fn wrong_kind_is_an_invalid_handle() {
        let mut set = SocketSet::new(vec![SocketSlot::new(), SocketSlot::new()], 1);
        let h = set.add(udp()).unwrap();
        assert_eq!(set.bind_icmp(h, 5), Err(BindError::InvalidHandle));
        assert!(set.get::<IcmpSocket>(h).is_none());
    }
}
