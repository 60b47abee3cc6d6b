//! The stack: devices, interfaces, routing, ARP, IPv4, ICMP and the dispatch
//! of packets to sockets.
//!
//! A [`Stack`] holds everything that is not a socket or a device: the
//! devices' descriptions, the IPv4 interfaces on them (several per device, as
//! microps's `net_iface`), the routing table, the ARP cache with its queue of
//! packets waiting for resolution, the reassembly buffers, the IP identifier
//! counters and the statistics. The caller owns the loop:
//!
//! ```text
//! loop {
//!     stack.poll(now, &mut devices, &mut sockets);
//!     let deadline = stack.poll_at(now, &sockets);
//!     wait for a frame, an application call, or the deadline;
//! }
//! ```
//!
//! [`Stack::poll`] drains each device (a bounded number of frames, so a flood
//! cannot make one poll unbounded), answers what needs an immediate answer
//! through the device's reply sink while the request is still borrowed, then
//! sends what timers and sockets have queued. Input processing is split by
//! protocol into `ethernet.rs`, `arp.rs`, `ipv4.rs`, `icmp.rs` and `udp.rs`,
//! whose functions are named after microps's (`arp_input`, `ip_input`, ...);
//! what a poll sends afterwards is in `egress.rs`, the pending queue in
//! `pending.rs`, the frame transmission in `tx.rs`.
//!
//! ```
//! use microps_core::iface::{Stack, StackConfig, StackStorage};
//! use microps_core::phy::DeviceCapabilities;
//! use microps_core::wire::{EthernetAddress, Ipv4Address};
//!
//! let mut storage = StackStorage::default_owned();
//! let mut stack = Stack::new(StackConfig::default(), storage);
//! let dev = stack
//!     .add_device(DeviceCapabilities::ethernet(1500, EthernetAddress([0, 0, 0x5e, 0, 0x53, 1])))
//!     .unwrap();
//! let iface = stack.add_interface(dev, "192.0.2.2/24".parse().unwrap()).unwrap();
//! stack.set_default_gateway(Ipv4Address::new(192, 0, 2, 1), iface).unwrap();
//! assert_eq!(stack.route(&Ipv4Address::new(198, 51, 100, 7)).unwrap().gateway, Some(Ipv4Address::new(192, 0, 2, 1)));
//! ```

use core::fmt;

use managed::ManagedSlice;

#[cfg(feature = "log")]
use crate::phy::Medium;
use crate::phy::{Device, DeviceCapabilities, RxChecksum, RxMeta, TxSink};
use crate::rand::{Rng, SipKey};
use crate::socket::SocketSet;
use crate::socket::tcp::{TimeWaitSlot, TimeWaitTable};
use crate::time::{Duration, Instant};
use crate::wire::{ChecksumCapabilities, Ipv4Address, Ipv4Cidr};

mod arp;
mod egress;
mod ethernet;
mod icmp;
mod ident;
pub mod interface;
mod ipv4;
mod listen;
pub mod neighbor;
mod pending;
pub mod pmtu;
mod rate_limit;
pub mod reassembly;
pub mod route;
pub mod stats;
mod tcp;
mod tx;
mod udp;

pub use interface::{DeviceId, DeviceInfo, IfaceId, Interface, MAX_DEVICES, MAX_IFACES};
pub use neighbor::{ArpCache, ArpConfig, ArpSlot, Neighbor, NeighborState};
use pending::PendingQueue;
pub use pending::{Pending, PendingMetadata};
pub use pmtu::{MIN_PATH_MTU, PLATEAUS, PMTU_AGE, PathMtuCache, PathMtuEntry};
pub use reassembly::{Reassembler, ReassemblyBuffer};
pub use route::{MAX_ROUTES, Route, RouteError, RouteTable};
pub use stats::Stats;
pub(crate) use tx::Tx;
#[cfg(feature = "log")]
use tx::{log_frame, log_frames};

/// How the stack behaves. Build with `StackConfig::default()` and adjust
/// fields (the struct is `#[non_exhaustive]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct StackConfig {
    /// The seed of every random choice (IP identifiers, ARP jitter, the hash
    /// key). The hosted runtime draws it from getrandom(2).
    pub seed: u64,
    /// The TTL of datagrams the stack originates (RFC 1700's 64).
    pub ttl: u8,
    /// Forward datagrams between interfaces (a router), off by default.
    pub forwarding: bool,
    /// With `forwarding`, forward directed broadcasts to another
    /// interface's subnet too (RFC 1812 5.3.5.2's old default). Off, as RFC
    /// 2644 (BCP 34) has it against smurf amplification.
    pub forward_directed_broadcasts: bool,
    /// Answer echo requests sent to a broadcast address (off, as RFC 1122
    /// 3.2.2.6 permits and as Linux does).
    pub echo_broadcast: bool,
    /// ICMP errors sent in a burst.
    pub icmp_error_burst: u32,
    /// One more ICMP error may be sent every this often.
    pub icmp_error_interval: Duration,
    /// ARP timing and limits.
    pub arp: ArpConfig,
    /// How long a datagram may take to reassemble (RFC 1122 3.3.2 suggests
    /// 60 to 120 s; 30 s, as Linux).
    pub reassembly_timeout: Duration,
    /// Frames taken from each device per poll, so one poll stays bounded.
    pub rx_budget: usize,
    /// The settings every TCP connection shares.
    pub tcp: crate::socket::tcp::TcpConfig,
}

impl Default for StackConfig {
    fn default() -> StackConfig {
        StackConfig {
            seed: 0,
            ttl: 64,
            forwarding: false,
            forward_directed_broadcasts: false,
            echo_broadcast: false,
            icmp_error_burst: 10,
            icmp_error_interval: Duration::from_millis(100),
            arp: ArpConfig::default(),
            reassembly_timeout: Duration::from_secs(30),
            rx_budget: 64,
            tcp: crate::socket::tcp::TcpConfig::default(),
        }
    }
}

/// The memory a stack works in, given by the caller.
#[derive(Debug)]
pub struct StackStorage<'a> {
    /// ARP cache slots (seven eighths are used; see [`ArpCache`]).
    pub arp_cache: ManagedSlice<'a, ArpSlot>,
    /// Metadata of datagrams waiting for resolution or a device buffer.
    pub pending_meta: ManagedSlice<'a, PendingMetadata>,
    /// Their bytes.
    pub pending_data: ManagedSlice<'a, u8>,
    /// Reassembly buffers, one datagram each.
    pub reassembly: ManagedSlice<'a, ReassemblyBuffer<'a>>,
    /// The path MTU cache, one destination a slot (empty: none; see
    /// [`StackStorage::with_path_mtu_cache`]).
    pub path_mtu: ManagedSlice<'a, PathMtuEntry>,
    /// Compact TIME-WAIT records (empty: none; see
    /// [`StackStorage::with_time_wait`]).
    pub time_wait: ManagedSlice<'a, TimeWaitSlot>,
}

impl<'a> StackStorage<'a> {
    /// Storage over borrowed slices.
    pub fn new(
        arp_cache: impl Into<ManagedSlice<'a, ArpSlot>>,
        pending_meta: impl Into<ManagedSlice<'a, PendingMetadata>>,
        pending_data: impl Into<ManagedSlice<'a, u8>>,
        reassembly: impl Into<ManagedSlice<'a, ReassemblyBuffer<'a>>>,
    ) -> Self {
        StackStorage {
            arp_cache: arp_cache.into(),
            pending_meta: pending_meta.into(),
            pending_data: pending_data.into(),
            reassembly: reassembly.into(),
            path_mtu: ManagedSlice::Borrowed(&mut []),
            time_wait: ManagedSlice::Borrowed(&mut []),
        }
    }

    /// Adds storage for compact TIME-WAIT (56 bytes a record; see
    /// `TimeWaitTable`): a connection
    /// in TIME-WAIT whose application let go of it gives its socket back at
    /// once and waits out 2*MSL as a record. Without it, the socket waits.
    pub fn with_time_wait(mut self, slots: impl Into<ManagedSlice<'a, TimeWaitSlot>>) -> Self {
        self.time_wait = slots.into();
        self
    }

    /// Adds storage for the path MTU cache (RFC 1191; 16 bytes a
    /// destination; see [`PathMtuCache`]). Without it, each connection
    /// keeps what it learns to itself.
    pub fn with_path_mtu_cache(mut self, slots: impl Into<ManagedSlice<'a, PathMtuEntry>>) -> Self {
        self.path_mtu = slots.into();
        self
    }
}

#[cfg(feature = "alloc")]
impl StackStorage<'static> {
    /// Owned storage of the sizes the hosted demos use: 512 ARP slots
    /// (every host of a /24 fits, so spoofed on-link sources cannot crowd
    /// out a peer in use), 64 pending datagrams in 256 KiB, 4 reassembly
    /// buffers of 64 KiB, 16 path MTU entries, 1,024 TIME-WAIT records.
    pub fn default_owned() -> Self {
        Self::owned(512, 64, 256 * 1024, 4, 65535)
            .with_path_mtu_cache(alloc::vec![PathMtuEntry::EMPTY; 16])
            .with_time_wait(alloc::vec![TimeWaitSlot::EMPTY; 1024])
    }

    /// Owned storage of the given sizes.
    pub fn owned(
        arp_slots: usize,
        pending: usize,
        pending_bytes: usize,
        reassembly: usize,
        reassembly_bytes: usize,
    ) -> Self {
        use alloc::vec;
        use alloc::vec::Vec;
        let reasm: Vec<ReassemblyBuffer<'static>> = (0..reassembly)
            .map(|_| ReassemblyBuffer::new(vec![0u8; reassembly_bytes]))
            .collect();
        StackStorage::new(
            vec![ArpSlot::EMPTY; arp_slots],
            vec![PendingMetadata::EMPTY; pending],
            vec![0u8; pending_bytes],
            reasm,
        )
    }
}

/// Why a device or interface could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConfigError {
    /// [`MAX_DEVICES`] devices already.
    TooManyDevices,
    /// [`MAX_IFACES`] interfaces already.
    TooManyInterfaces,
    /// No such device.
    NoSuchDevice,
    /// The routing table is full.
    Route(RouteError),
    /// The address is in use on another interface.
    AddressInUse,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ConfigError::TooManyDevices => f.write_str("too many devices"),
            ConfigError::TooManyInterfaces => f.write_str("too many interfaces"),
            ConfigError::NoSuchDevice => f.write_str("no such device"),
            ConfigError::Route(e) => write!(f, "{e}"),
            ConfigError::AddressInUse => f.write_str("address already configured"),
        }
    }
}

impl core::error::Error for ConfigError {}

impl From<RouteError> for ConfigError {
    fn from(e: RouteError) -> Self {
        ConfigError::Route(e)
    }
}

/// What one poll did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct PollResult {
    /// Frames received.
    pub received: usize,
    /// Frames sent.
    pub sent: usize,
    /// Some device still had frames when its budget ran out: poll again
    /// soon.
    pub more_rx: bool,
    /// A device refused a frame for want of a buffer: what was not sent is
    /// kept, and [`Stack::poll_at`] asks for a retry in a millisecond.
    pub tx_exhausted: bool,
}

impl PollResult {
    /// Whether anything happened.
    pub fn progressed(&self) -> bool {
        self.received > 0 || self.sent > 0
    }
}

/// Everything but the reassembly buffers; split so that a reassembled
/// datagram can be processed (and answered) while it is still borrowed.
#[derive(Debug)]
pub(crate) struct Inner<'a> {
    pub(crate) config: StackConfig,
    pub(crate) devices: heapless::Vec<DeviceInfo, MAX_DEVICES>,
    pub(crate) ifaces: heapless::Vec<Interface, MAX_IFACES>,
    pub(crate) routes: RouteTable,
    /// The last route looked up; `None` after any change to the devices,
    /// interfaces or routes (see [`Inner::forget_routes`]).
    pub(crate) last_route: core::cell::Cell<Option<ipv4::LastRoute>>,
    pub(crate) arp: ArpCache<'a>,
    pub(crate) pending: PendingQueue<'a>,
    pub(crate) pmtu: PathMtuCache<'a>,
    pub(crate) time_wait: TimeWaitTable<'a>,
    pub(crate) key: SipKey,
    pub(crate) idents: ident::IdentGenerator,
    pub(crate) icmp_errors: rate_limit::TokenBucket,
    /// Gratuitous ARPs to send, one per new interface.
    pub(crate) announce: heapless::Vec<IfaceId, MAX_IFACES>,
    /// A device refused a frame in the last poll: back off a little.
    pub(crate) device_busy: bool,
    pub(crate) stats: Stats,
    pub(crate) now: Instant,
}

/// What travels with one received frame down the input path, to the
/// datagram's delivery: where to send replies, the reassembly buffers, the
/// sockets, and where and how the frame came (a datagram that arrived as a
/// link-layer broadcast is treated differently, RFC 1122 3.3.6). Below the
/// IP layer a datagram travels as an `InPacket` with the parts it needs.
#[derive(Debug)]
pub(crate) struct Rx<'r, 'd, 'x, 'a, 's> {
    pub(crate) tx: &'r mut Tx<'d, 'x>,
    pub(crate) reasm: &'r mut Reassembler<'a>,
    pub(crate) sockets: &'r mut SocketSet<'s>,
    /// The device the frame came from.
    pub(crate) dev: DeviceId,
    /// What the device said of it (checksums verified).
    pub(crate) meta: RxMeta,
    /// It was sent to the link's broadcast address.
    pub(crate) link_broadcast: bool,
}

/// The TCP/IP stack. See the [module documentation](self).
#[derive(Debug)]
pub struct Stack<'a> {
    pub(crate) inner: Inner<'a>,
    pub(crate) reasm: Reassembler<'a>,
}

impl<'a> Stack<'a> {
    /// A stack with no devices yet.
    pub fn new(config: StackConfig, storage: StackStorage<'a>) -> Self {
        let mut rng = Rng::new(config.seed);
        let key = SipKey::from_rng(&mut rng);
        let arp_key = SipKey::from_rng(&mut rng);
        Stack {
            inner: Inner {
                config,
                devices: heapless::Vec::new(),
                ifaces: heapless::Vec::new(),
                routes: RouteTable::new(),
                last_route: core::cell::Cell::new(None),
                arp: ArpCache::new(storage.arp_cache, arp_key, config.arp),
                pending: PendingQueue::new(storage.pending_meta, storage.pending_data),
                pmtu: PathMtuCache::new(storage.path_mtu),
                time_wait: TimeWaitTable::new(storage.time_wait),
                key,
                idents: ident::IdentGenerator::new(),
                icmp_errors: rate_limit::TokenBucket::full(config.icmp_error_burst),
                announce: heapless::Vec::new(),
                device_busy: false,
                stats: Stats::default(),
                now: Instant::ZERO,
            },
            reasm: Reassembler::new(storage.reassembly, config.reassembly_timeout),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &StackConfig {
        &self.inner.config
    }

    /// The TCP settings, to change while the stack runs: every connection
    /// uses the new values from its next event on (a timer already set
    /// keeps its deadline).
    ///
    /// ```
    /// use microps_core::iface::{Stack, StackConfig, StackStorage};
    ///
    /// let mut stack = Stack::new(StackConfig::default(), StackStorage::default_owned());
    /// stack.tcp_config_mut().challenge_ack_limit = 100;
    /// assert_eq!(stack.config().tcp.challenge_ack_limit, 100);
    /// ```
    pub fn tcp_config_mut(&mut self) -> &mut crate::socket::tcp::TcpConfig {
        &mut self.inner.config.tcp
    }

    /// Registers a device; its id is its index in the slice given to
    /// [`Stack::poll`]. Logged as microps's `net_device_register`.
    pub fn add_device(&mut self, caps: DeviceCapabilities) -> Result<DeviceId, ConfigError> {
        let id = DeviceId(self.inner.devices.len() as u8);
        self.inner.forget_routes();
        self.inner
            .devices
            .push(DeviceInfo { id, caps })
            .map_err(|_| ConfigError::TooManyDevices)?;
        let info = DeviceInfo { id, caps };
        net_info!(
            "registered, dev={}, type=0x{:04x}, mtu={}",
            id,
            info.type_code(),
            caps.mtu
        );
        Ok(id)
    }

    /// The devices.
    pub fn devices(&self) -> &[DeviceInfo] {
        &self.inner.devices
    }

    /// Adds an IPv4 interface on `device` and the route to its subnet, and
    /// schedules a gratuitous ARP on Ethernet (RFC 5227's announcement).
    /// Logged as microps's `ip_iface_register`.
    pub fn add_interface(
        &mut self,
        device: DeviceId,
        cidr: Ipv4Cidr,
    ) -> Result<IfaceId, ConfigError> {
        let inner = &mut self.inner;
        inner.forget_routes();
        let dev = *inner
            .devices
            .get(device.index())
            .ok_or(ConfigError::NoSuchDevice)?;
        if inner.ifaces.iter().any(|i| i.addr() == cidr.address()) {
            return Err(ConfigError::AddressInUse);
        }
        let id = IfaceId(inner.ifaces.len() as u8);
        let iface = Interface { id, device, cidr };
        inner
            .ifaces
            .push(iface)
            .map_err(|_| ConfigError::TooManyInterfaces)?;
        net_info!("registered: {}", iface);
        let network = cidr.network();
        if let Err(e) = inner.routes.add(Route {
            network,
            gateway: None,
            iface: id,
        }) {
            let _ = inner.ifaces.pop();
            return Err(e.into());
        }
        net_info!(
            "route added: network={}, netmask={}, nexthop=0.0.0.0, iface={}, dev={}",
            network.address(),
            cidr.netmask(),
            cidr.address(),
            device
        );
        if dev.is_ethernet() && !dev.caps.flags.loopback {
            let _ = inner.announce.push(id);
        }
        Ok(id)
    }

    /// The interfaces.
    pub fn interfaces(&self) -> &[Interface] {
        &self.inner.ifaces
    }

    /// Adds (or replaces) a route.
    pub fn add_route(
        &mut self,
        network: Ipv4Cidr,
        gateway: Option<Ipv4Address>,
        iface: IfaceId,
    ) -> Result<(), RouteError> {
        let i = *self
            .inner
            .ifaces
            .get(iface.index())
            .ok_or(RouteError::NoSuchInterface)?;
        self.inner.forget_routes();
        self.inner.routes.add(Route {
            network,
            gateway,
            iface,
        })?;
        net_info!(
            "route added: network={}, netmask={}, nexthop={}, iface={}, dev={}",
            network.network().address(),
            network.netmask(),
            gateway.unwrap_or(Ipv4Address::UNSPECIFIED),
            i.addr(),
            i.device
        );
        Ok(())
    }

    /// Sets the default gateway, reached through `iface`.
    pub fn set_default_gateway(
        &mut self,
        gateway: Ipv4Address,
        iface: IfaceId,
    ) -> Result<(), RouteError> {
        let any = Ipv4Cidr::new(Ipv4Address::UNSPECIFIED, 0).ok_or(RouteError::NoSuchInterface)?;
        self.add_route(any, Some(gateway), iface)
    }

    /// The routing table.
    pub fn routes(&self) -> &RouteTable {
        &self.inner.routes
    }

    /// The route `dst` would take.
    pub fn route(&self, dst: &Ipv4Address) -> Option<&Route> {
        self.inner.routes.lookup(dst)
    }

    /// The ARP cache.
    pub fn arp_cache(&self) -> &ArpCache<'a> {
        &self.inner.arp
    }

    /// The path MTU cache (RFC 1191).
    pub fn path_mtu_cache(&self) -> &PathMtuCache<'a> {
        &self.inner.pmtu
    }

    /// The compact TIME-WAIT records.
    pub fn time_wait(&self) -> &TimeWaitTable<'a> {
        &self.inner.time_wait
    }

    /// Adds a static ARP entry.
    pub fn add_static_neighbor(
        &mut self,
        ip: Ipv4Address,
        mac: crate::wire::EthernetAddress,
        device: DeviceId,
    ) -> Result<(), neighbor::ArpCacheError> {
        self.inner
            .arp
            .insert_static(ip, mac, device, &self.inner.routes)
    }

    /// The statistics.
    pub fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    /// Whether `addr` is one of the stack's unicast addresses.
    pub fn has_addr(&self, addr: &Ipv4Address) -> bool {
        self.inner.iface_by_addr(addr).is_some()
    }

    /// Datagrams waiting for address resolution or a device buffer.
    pub fn pending_datagrams(&self) -> usize {
        self.inner.pending.len()
    }

    /// Datagrams being reassembled (each holds one reassembly buffer).
    pub fn reassembly_in_progress(&self) -> usize {
        self.reasm.in_progress()
    }

    /// Processes input and output on every device: at most
    /// [`StackConfig::rx_budget`] frames from each, then everything timers
    /// and sockets have to send. `devices` must be in the order they were
    /// added.
    pub fn poll(
        &mut self,
        now: Instant,
        devices: &mut [&mut dyn Device],
        sockets: &mut SocketSet<'_>,
    ) -> PollResult {
        let budget = self.inner.config.rx_budget;
        self.poll_bounded(now, devices, sockets, budget)
    }

    /// [`Stack::poll`] with an explicit receive budget per device.
    pub fn poll_bounded(
        &mut self,
        now: Instant,
        devices: &mut [&mut dyn Device],
        sockets: &mut SocketSet<'_>,
        rx_budget: usize,
    ) -> PollResult {
        self.inner.now = now;
        self.inner.device_busy = false;
        let mut result = PollResult::default();
        // Refresh capabilities (a device may change its MTU).
        for (i, dev) in devices.iter().enumerate() {
            if let Some(info) = self.inner.devices.get_mut(i) {
                let caps = dev.capabilities();
                if caps.flags != info.caps.flags {
                    // Routing looks at the loopback and broadcast flags.
                    self.inner.last_route.set(None);
                }
                info.caps = caps;
            }
        }
        #[cfg(feature = "log")]
        let media = self.inner.media();
        let n = devices.len().min(self.inner.devices.len());
        for i in 0..n {
            let mut taken = 0;
            while taken < rx_budget {
                let Some((before, rest)) = devices.split_at_mut_checked(i) else {
                    break;
                };
                let Some((current, after)) = rest.split_first_mut() else {
                    break;
                };
                let inner = &mut self.inner;
                let reasm = &mut self.reasm;
                let sent = &mut result.sent;
                let dev_id = DeviceId(i as u8);
                let r = current.receive(
                    now,
                    &mut |meta: RxMeta, frame: &[u8], sink: &mut dyn TxSink| {
                        let mut tx = Tx {
                            before: &mut *before,
                            after: &mut *after,
                            offset: i,
                            current: Some((dev_id, sink)),
                            now,
                            sent: 0,
                            #[cfg(feature = "log")]
                            media,
                        };
                        let mut rx = Rx {
                            tx: &mut tx,
                            reasm: &mut *reasm,
                            sockets: &mut *sockets,
                            dev: dev_id,
                            meta,
                            link_broadcast: false,
                        };
                        inner.frame_input(&mut rx, frame);
                        *sent += tx.sent;
                    },
                );
                match r {
                    Ok(true) => {
                        taken += 1;
                        result.received += 1;
                    }
                    Ok(false) => break,
                    Err(e) => {
                        net_warn!("dev={}, receive error: {}", dev_id, e);
                        break;
                    }
                }
            }
            if taken >= rx_budget {
                result.more_rx = true;
            }
        }
        let mut tx = Tx {
            before: devices,
            after: &mut [],
            offset: 0,
            current: None,
            now,
            sent: 0,
            #[cfg(feature = "log")]
            media,
        };
        self.inner.egress(&mut tx, &mut self.reasm, sockets);
        result.sent += tx.sent;
        result.tx_exhausted = self.inner.device_busy;
        result
    }

    /// When [`Stack::poll`] must next be called, given nothing arrives:
    /// `Some(now)` if there is work at once, `None` if nothing is scheduled.
    /// Device timers (a fault injector's delayed frames) are the caller's to
    /// add.
    pub fn poll_at(&self, now: Instant, sockets: &SocketSet<'_>) -> Option<Instant> {
        let inner = &self.inner;
        let soon = if inner.device_busy {
            now + Duration::from_millis(1)
        } else {
            now
        };
        let mut at: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                at = Some(at.map_or(t, |a: Instant| a.min(t)));
            }
        };
        if !inner.announce.is_empty() || inner.pending.ready {
            consider(Some(soon));
        }
        consider(inner.pending.poll_at(now));
        consider(inner.time_wait.poll_at());
        consider(inner.arp.poll_at());
        if cfg!(feature = "ipv4-reassembly") {
            consider(self.reasm.poll_at());
        }
        // The sockets' deadlines: the heap's earliest, and what each socket
        // touched since the last poll says (`socket/schedule.rs`); never a
        // visit of every socket.
        consider(sockets.next_deadline());
        if sockets.has_touched() {
            consider(
                sockets
                    .touched_poll_at(now)
                    .map(|t| if t <= now { soon } else { t }),
            );
        }
        at.map(|t| t.max(now))
    }
}

impl<'a> Inner<'a> {
    /// Forgets the remembered route (the devices, interfaces or routes are
    /// about to change).
    pub(crate) fn forget_routes(&mut self) {
        self.last_route.set(None);
    }

    /// The interface that has `addr`.
    pub(crate) fn iface_by_addr(&self, addr: &Ipv4Address) -> Option<&Interface> {
        self.ifaces.iter().find(|i| i.addr() == *addr)
    }

    /// The first interface on `dev`.
    pub(crate) fn iface_of_device(&self, dev: DeviceId) -> Option<&Interface> {
        self.ifaces.iter().find(|i| i.device == dev)
    }

    /// The checksum work for a frame from `dev` with `meta`.
    pub(crate) fn rx_checksums(&self, dev: DeviceId, meta: RxMeta) -> ChecksumCapabilities {
        let caps = self
            .devices
            .get(dev.index())
            .map_or(ChecksumCapabilities::all(), |d| d.caps.checksum);
        match meta.checksum {
            RxChecksum::Verified => caps.without_transport_rx(),
            RxChecksum::Unknown => caps,
        }
    }

    /// Each device's medium, indexed by device (Ethernet past the last).
    #[cfg(feature = "log")]
    fn media(&self) -> [Medium; MAX_DEVICES] {
        let mut media = [Medium::Ethernet; MAX_DEVICES];
        for (m, d) in media.iter_mut().zip(self.devices.iter()) {
            *m = d.caps.medium;
        }
        media
    }

    /// Dispatches a received frame by the device's medium. With the `log`
    /// feature and debug logging on, every frame is logged first (`dev=net0,
    /// input, type=IPv4(0x0800), len=98`) and dumped header by header
    /// ([`FrameDump`](crate::wire::FrameDump)), whether the stack then
    /// accepts it or not.
    fn frame_input(&mut self, rx: &mut Rx<'_, '_, '_, '_, '_>, frame: &[u8]) {
        let dev = rx.dev;
        let Some(info) = self.devices.get(dev.index()).copied() else {
            stats::bump(&mut self.stats.link.drop_unknown_device);
            return;
        };
        stats::bump(&mut self.stats.link.rx_frames);
        self.stats.link.rx_bytes.add(frame.len() as u64);
        #[cfg(feature = "log")]
        if log_frames() {
            log_frame!(dev, info.caps.medium, "input", frame);
        }
        if info.is_ethernet() {
            self.ethernet_input(rx, &info, frame);
        } else {
            self.ip_input(rx, frame);
        }
    }
}
