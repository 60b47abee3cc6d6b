//! The hosted runtime: a thread that owns the stack, its devices and its
//! sockets, polls them, and sleeps in `poll(2)` until a frame arrives, the
//! stack's next deadline, or an application call wakes it through an
//! eventfd.
//!
//! Application threads reach the stack through the blocking socket types of
//! [`crate::net`]; each call takes the runtime's lock briefly, changes a
//! socket, and wakes the runtime thread. Calls that must wait (a receive on
//! an empty socket) sleep on a condition variable that the runtime signals
//! after every poll.
//!
//! ```no_run
//! use microps_drivers_linux::runtime::Runtime;
//! use microps_drivers_linux::net::UdpSocket;
//!
//! let rt = Runtime::builder()
//!     .tap("tap0")
//!     .addr("192.0.2.2/24".parse().unwrap())
//!     .gateway("192.0.2.1".parse().unwrap())
//!     .build()
//!     .unwrap();
//! let socket = UdpSocket::bind(&rt, "0.0.0.0:7".parse().unwrap()).unwrap();
//! let mut buf = [0u8; 1500];
//! let (n, from) = socket.recv_from(&mut buf).unwrap();
//! socket.send_to(&buf[..n], from).unwrap();
//! ```

use std::io;
use std::os::fd::RawFd;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration as StdDuration;

use microps_core::iface::{Stack, StackConfig, StackStorage, Stats};
use microps_core::phy::{
    Device, DeviceCapabilities, DeviceError, Direction, Medium, RxMeta, Tracer, TxMeta, TxSink,
};
use microps_core::socket::tcp::{State as TcpState, TcpSocket};
use microps_core::socket::{SocketHandle, SocketSet, SocketSlot};
use microps_core::storage::PacketMetadata;
use microps_core::time::Instant;
use microps_core::wire::{EthernetAddress, Ipv4Address, Ipv4Cidr};
use microps_drivers_null::{LoopbackDevice, NullDevice};

use crate::fd::{EventFd, LinkStats, wait_readable};
use crate::{PacketDevice, TapDevice, TunDevice};

/// A device the runtime can drive.
#[derive(Debug)]
pub enum HostDevice {
    /// A TAP interface.
    Tap(TapDevice),
    /// A TUN interface.
    Tun(TunDevice),
    /// An existing interface through PF_PACKET.
    Packet(PacketDevice),
    /// The in-process loopback.
    Loopback(LoopbackDevice<'static>),
    /// The null device.
    Null(NullDevice),
}

impl HostDevice {
    /// The file descriptor to wait on, if the device has one.
    pub fn fd(&self) -> Option<RawFd> {
        match self {
            HostDevice::Tap(d) => Some(d.fd()),
            HostDevice::Tun(d) => Some(d.fd()),
            HostDevice::Packet(d) => Some(d.fd()),
            HostDevice::Loopback(_) | HostDevice::Null(_) => None,
        }
    }

    /// A human name: the interface name, `loopback` or `null`.
    pub fn name(&self) -> String {
        match self {
            HostDevice::Tap(d) => d.name().to_string(),
            HostDevice::Tun(d) => d.name().to_string(),
            HostDevice::Packet(d) => d.name().to_string(),
            HostDevice::Loopback(_) => "loopback".to_string(),
            HostDevice::Null(_) => "null".to_string(),
        }
    }

    /// Whether frames are waiting inside the device itself (the loopback
    /// queue), so the runtime must poll again without waiting.
    pub fn has_queued(&self) -> bool {
        matches!(self, HostDevice::Loopback(lo) if lo.queued() > 0)
    }

    /// The device's counters. The loopback device counts frames only (its
    /// drops as `tx.exhausted`); the null device counts what it swallowed
    /// as transmitted.
    pub fn link_stats(&self) -> LinkStats {
        match self {
            HostDevice::Tap(d) => d.stats(),
            HostDevice::Tun(d) => d.stats(),
            HostDevice::Packet(d) => d.stats(),
            HostDevice::Loopback(d) => {
                let mut s = LinkStats::default();
                s.rx.frames = d.rx_frames();
                s.tx.frames = d.tx_frames();
                s.tx.exhausted = d.dropped();
                s
            }
            HostDevice::Null(d) => {
                let mut s = LinkStats::default();
                s.tx.frames = d.tx_frames();
                s.tx.bytes = d.tx_bytes();
                s
            }
        }
    }

    /// An in-process loopback device with room for 64 frames and 1 MiB.
    pub fn loopback() -> HostDevice {
        let mtu = 65535;
        HostDevice::Loopback(
            LoopbackDevice::new(
                vec![PacketMetadata::EMPTY; 64],
                vec![0u8; 1 << 20],
                vec![0u8; mtu],
            )
            .with_mtu(mtu),
        )
    }
}

impl Device for HostDevice {
    fn capabilities(&self) -> DeviceCapabilities {
        match self {
            HostDevice::Tap(d) => d.capabilities(),
            HostDevice::Tun(d) => d.capabilities(),
            HostDevice::Packet(d) => d.capabilities(),
            HostDevice::Loopback(d) => d.capabilities(),
            HostDevice::Null(d) => d.capabilities(),
        }
    }

    fn receive(
        &mut self,
        now: Instant,
        f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError> {
        match self {
            HostDevice::Tap(d) => d.receive(now, f),
            HostDevice::Tun(d) => d.receive(now, f),
            HostDevice::Packet(d) => d.receive(now, f),
            HostDevice::Loopback(d) => d.receive(now, f),
            HostDevice::Null(d) => d.receive(now, f),
        }
    }

    fn transmit(
        &mut self,
        now: Instant,
        len: usize,
        meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        match self {
            HostDevice::Tap(d) => d.transmit(now, len, meta, f),
            HostDevice::Tun(d) => d.transmit(now, len, meta, f),
            HostDevice::Packet(d) => d.transmit(now, len, meta, f),
            HostDevice::Loopback(d) => d.transmit(now, len, meta, f),
            HostDevice::Null(d) => d.transmit(now, len, meta, f),
        }
    }
}

/// What sees every frame a device carries (pcap capture, hex dumps).
pub type FrameHook = Box<dyn FnMut(usize, Direction, Instant, &[u8]) + Send>;

/// What runs once when the runtime has stopped (see [`Runtime::on_stop`]).
pub type StopHook = Box<dyn FnOnce(&mut State) + Send>;

/// A device's counters, with its id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceStats {
    /// The device id (`net0` is 0), in the order the devices were added.
    pub id: usize,
    /// The interface name, `loopback` or `null`.
    pub name: String,
    /// The counters.
    pub link: LinkStats,
}

impl std::fmt::Display for DeviceStats {
    /// `dev=net0 (tap0): rx_frames=4 rx_bytes=280 tx_frames=4 tx_bytes=280`,
    /// non-zero counters only.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "dev=net{} ({}):", self.id, self.name)?;
        let (rx, tx) = (&self.link.rx, &self.link.tx);
        let counters = [
            ("rx_frames", rx.frames),
            ("rx_bytes", rx.bytes),
            ("rx_truncated", rx.truncated),
            ("rx_outgoing", rx.outgoing),
            ("rx_errors", rx.errors),
            ("tx_frames", tx.frames),
            ("tx_bytes", tx.bytes),
            ("tx_too_long", tx.too_long),
            ("tx_exhausted", tx.exhausted),
            ("tx_errors", tx.errors),
        ];
        for (name, value) in counters {
            if value != 0 {
                write!(f, " {name}={value}")?;
            }
        }
        Ok(())
    }
}

/// The per-device trace callback.
type TraceFn = Box<dyn FnMut(Direction, Instant, &[u8]) + Send>;

type TracedDevice = Tracer<HostDevice, TraceFn>;

/// Everything the runtime thread owns, behind the runtime's lock.
pub struct State {
    /// The stack.
    pub stack: Stack<'static>,
    /// The sockets.
    pub sockets: SocketSet<'static>,
    devices: Vec<TracedDevice>,
    epoch: std::time::Instant,
    /// Set when the runtime shuts down: blocked calls give up.
    pub shutdown: bool,
    /// Set by Ctrl-C handling: blocked calls give up with an interruption.
    pub interrupted: bool,
    /// TCP sockets whose application handle is gone; removed once closed.
    pub orphans: Vec<SocketHandle>,
    /// Ports with a [`crate::net::TcpListener`].
    pub tcp_listen_ports: std::collections::HashSet<u16>,
    /// TCP sockets shut down for reading by the application.
    pub read_shut: std::collections::HashSet<SocketHandle>,
    /// The last poll stopped at its bound (see [`State::has_more`]).
    more: bool,
}

/// Polls per hold of the state's lock: at most this many times `rx_budget`
/// frames per device (4 x 64) before the runtime thread lets go of the lock
/// and yields, so that the application's calls get their turn under a
/// flood (the lock is not fair, so this makes starving them unlikely, not
/// impossible).
pub const POLLS_PER_WAKE: usize = 4;

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("State")
            .field("devices", &self.devices.len())
            .field("shutdown", &self.shutdown)
            .finish_non_exhaustive()
    }
}

impl State {
    /// The stack's clock: time since the runtime started.
    pub fn now(&self) -> Instant {
        Instant::from_micros(i64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(i64::MAX))
    }

    /// Polls until nothing more happens now, or [`POLLS_PER_WAKE`] polls
    /// (of at most `rx_budget` frames from each device) have run; returns
    /// whether anything happened. [`State::has_more`] then says whether
    /// work was left.
    pub fn poll(&mut self) -> bool {
        let mut any = false;
        self.more = false;
        for round in 0..POLLS_PER_WAKE {
            let now = self.now();
            let mut devs: Vec<&mut dyn Device> = self
                .devices
                .iter_mut()
                .map(|d| d as &mut dyn Device)
                .collect();
            let r = self.stack.poll(now, &mut devs, &mut self.sockets);
            let queued = self.devices.iter().any(|d| d.inner().has_queued());
            if r.progressed() {
                any = true;
            }
            if !r.progressed() && !r.more_rx && !queued {
                break;
            }
            self.more = round + 1 == POLLS_PER_WAKE;
        }
        any
    }

    /// Whether the last [`State::poll`] stopped at its bound with frames
    /// or work still waiting.
    pub fn has_more(&self) -> bool {
        self.more
    }

    /// Removes orphaned TCP sockets that have finished closing.
    fn reap_orphans(&mut self) {
        for &h in &self.orphans {
            if let Some(s) = self.sockets.get_mut::<TcpSocket>(h)
                && !s.is_orphan()
            {
                // Nobody holds it now: FIN-WAIT-2 and closed windows are
                // limited for it (`TcpConfig::fin_wait2_timeout`,
                // `orphan_retries`).
                s.orphan();
            }
        }
        let sockets = &mut self.sockets;
        let read_shut = &mut self.read_shut;
        self.orphans.retain(|&h| {
            use microps_core::socket::Socket;
            let closed = match sockets.iter().find(|(x, _)| *x == h).map(|(_, s)| s) {
                Some(Socket::Tcp(s)) => s.state() == TcpState::Closed,
                Some(Socket::Udp(s)) => s.send_queue() == 0,
                Some(Socket::Icmp(s)) => s.send_queue() == 0,
                _ => true,
            };
            if closed {
                sockets.remove(h);
                read_shut.remove(&h);
            }
            !closed
        });
    }

    /// Closes every TCP connection: FIN, or RST if unread data remains
    /// (as a BSD close does).
    fn close_all_tcp(&mut self) {
        let handles: Vec<SocketHandle> = self.sockets.iter().map(|(h, _)| h).collect();
        for h in handles {
            if let Some(s) = self.sockets.get_mut::<TcpSocket>(h) {
                if s.recv_queue() > 0 {
                    s.abort();
                } else {
                    s.close();
                }
            }
        }
    }

    /// Whether every TCP connection has nothing left for the peer to
    /// acknowledge (TIME-WAIT is not waited for).
    fn tcp_quiet(&self) -> bool {
        self.sockets.iter().all(|(_, s)| match s {
            microps_core::socket::Socket::Tcp(t) => {
                matches!(
                    t.state(),
                    TcpState::Closed | TcpState::Listen | TcpState::TimeWait | TcpState::FinWait2
                )
            }
            _ => true,
        })
    }

    /// How long the runtime may sleep.
    fn timeout(&self) -> Option<StdDuration> {
        if self.devices.iter().any(|d| d.inner().has_queued()) {
            return Some(StdDuration::ZERO);
        }
        let now = self.now();
        self.stack
            .poll_at(now, &self.sockets)
            .map(|t| StdDuration::from_micros(t.saturating_duration_since(now).total_micros()))
    }

    fn fds(&self) -> Vec<RawFd> {
        self.devices.iter().filter_map(|d| d.inner().fd()).collect()
    }

    /// The devices' names, in device-id order.
    pub fn device_names(&self) -> Vec<String> {
        self.devices.iter().map(|d| d.inner().name()).collect()
    }

    /// The device with this id.
    pub fn device(&self, id: usize) -> Option<&HostDevice> {
        self.devices.get(id).map(Tracer::inner)
    }

    /// Every device's counters, in device-id order.
    pub fn device_stats(&self) -> Vec<DeviceStats> {
        self.devices
            .iter()
            .enumerate()
            .map(|(id, d)| DeviceStats {
                id,
                name: d.inner().name(),
                link: d.inner().link_stats(),
            })
            .collect()
    }
}

/// What application threads share with the runtime thread.
#[derive(Debug)]
pub struct Shared {
    state: Mutex<State>,
    cond: Condvar,
    wake: EventFd,
}

impl Shared {
    /// Locks the state (a poisoned lock is taken over: the state stays
    /// consistent between polls).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes the runtime thread so it polls now.
    pub fn wake(&self) {
        let _ = self.wake.notify();
    }

    /// Runs `f` on the state, then wakes the runtime.
    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let r = {
            let mut st = self.lock();
            f(&mut st)
        };
        self.wake();
        r
    }

    /// Calls `f` until it returns `Some`, sleeping between polls of the
    /// runtime; gives up at `timeout` (`WouldBlock` for a zero timeout,
    /// `TimedOut` otherwise) or when the runtime stops (`ConnectionAborted`).
    pub fn wait<R>(
        &self,
        timeout: Option<StdDuration>,
        mut f: impl FnMut(&mut State) -> Option<io::Result<R>>,
    ) -> io::Result<R> {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let mut st = self.lock();
        loop {
            if let Some(r) = f(&mut st) {
                drop(st);
                self.wake();
                return r;
            }
            if st.interrupted {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "interrupted",
                ));
            }
            if st.shutdown {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "the stack has shut down",
                ));
            }
            let wait = match deadline {
                Some(d) => {
                    let now = std::time::Instant::now();
                    if now >= d {
                        return Err(match timeout {
                            Some(t) if t.is_zero() => io::Error::from(io::ErrorKind::WouldBlock),
                            _ => io::Error::new(io::ErrorKind::TimedOut, "timed out"),
                        });
                    }
                    (d - now).min(StdDuration::from_millis(100))
                }
                None => StdDuration::from_millis(100),
            };
            // No wake here: `f` changed nothing, and the runtime signals
            // the condition after every poll anyway (waking it here made
            // the two threads ping-pong and burn a core while idle).
            st = match self.cond.wait_timeout(st, wait) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
    }
}

/// The hosted stack. Dropping it stops the runtime thread.
pub struct Runtime {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    seed: u64,
    on_stop: Vec<StopHook>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("shared", &self.shared)
            .field("seed", &self.seed)
            .field("on_stop", &self.on_stop.len())
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Starts describing a stack.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// What application threads share with the runtime.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The seed this run uses (give it to `--seed` to replay).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A copy of the stack's statistics.
    pub fn stats(&self) -> Stats {
        *self.shared.lock().stack.stats()
    }

    /// Every device's counters, in device-id order.
    pub fn device_stats(&self) -> Vec<DeviceStats> {
        self.shared.lock().device_stats()
    }

    /// Runs `hook` once the runtime has stopped ([`shutdown`], or a drop),
    /// after the runtime thread has finished, with the final state: to print
    /// the final counters, flush a capture, or remove an interface. Hooks
    /// run in the order they were added.
    ///
    /// [`shutdown`]: Runtime::shutdown
    pub fn on_stop(&mut self, hook: StopHook) {
        self.on_stop.push(hook);
    }

    /// Runs `f` with the state locked, then wakes the runtime.
    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        self.shared.with(f)
    }

    /// Makes blocked calls fail with `ConnectionAborted` (for Ctrl-C).
    pub fn interrupt(&self) {
        self.shared.lock().interrupted = true;
        self.shared.cond.notify_all();
        self.shared.wake();
    }

    /// Stops the runtime thread and waits for it.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.cond.notify_all();
        self.shared.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let hooks = std::mem::take(&mut self.on_stop);
        if !hooks.is_empty() {
            let mut st = self.shared.lock();
            for hook in hooks {
                hook(&mut st);
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop();
    }
}

/// How long a shutdown waits for the peers to acknowledge our FINs.
const SHUTDOWN_LINGER: StdDuration = StdDuration::from_secs(2);

fn run(shared: Arc<Shared>) {
    let wake_fd = shared.wake.fd();
    let mut linger_until: Option<std::time::Instant> = None;
    loop {
        let (fds, timeout) = {
            let mut st = shared.lock();
            if st.shutdown {
                match linger_until {
                    None => {
                        st.close_all_tcp();
                        linger_until = Some(std::time::Instant::now() + SHUTDOWN_LINGER);
                    }
                    Some(t) if std::time::Instant::now() >= t => break,
                    Some(_) => {}
                }
                st.poll();
                if st.tcp_quiet() {
                    break;
                }
            }
            st.poll();
            st.reap_orphans();
            shared.cond.notify_all();
            let mut fds = st.fds();
            fds.push(wake_fd);
            let mut timeout = st.timeout();
            if st.has_more() {
                // Work left: come back at once, once the lock was let go.
                timeout = Some(StdDuration::ZERO);
            }
            if linger_until.is_some() {
                timeout = Some(timeout.map_or(StdDuration::from_millis(20), |t| {
                    t.min(StdDuration::from_millis(20))
                }));
            }
            (fds, timeout)
        };
        if timeout == Some(StdDuration::ZERO) {
            // Work left after a bounded poll: give a thread waiting for the
            // lock its turn before taking it again (the mutex is not fair).
            std::thread::yield_now();
        }
        match wait_readable(&fds, timeout) {
            Ok(_) => {}
            Err(e) => {
                log::warn!("poll: {e}");
                std::thread::sleep(StdDuration::from_millis(10));
            }
        }
        let _ = shared.wake.drain();
    }
    shared.cond.notify_all();
}

/// A device to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSpec {
    /// A TAP interface by name.
    Tap(String),
    /// A TUN interface by name.
    Tun(String),
    /// An existing interface through PF_PACKET.
    Packet(String),
    /// The in-process loopback device.
    Loopback,
    /// The null device.
    Null,
}

impl DeviceSpec {
    /// The medium of the device: Ethernet for TAP and PF_PACKET, IP for
    /// TUN, loopback and null.
    pub fn medium(&self) -> Medium {
        match self {
            DeviceSpec::Tap(_) | DeviceSpec::Packet(_) => Medium::Ethernet,
            DeviceSpec::Tun(_) | DeviceSpec::Loopback | DeviceSpec::Null => Medium::Ip,
        }
    }
}

/// Describes a stack: its devices, addresses, routes and seed.
pub struct Builder {
    devices: Vec<(DeviceSpec, Vec<Ipv4Cidr>)>,
    mac: EthernetAddress,
    gateway: Option<Ipv4Address>,
    seed: Option<u64>,
    config: StackConfig,
    socket_slots: usize,
    hook: Option<FrameHook>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("devices", &self.devices)
            .field("mac", &self.mac)
            .field("gateway", &self.gateway)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// The sockets a runtime has room for unless its builder says otherwise
/// (every listener's backlog, connection and UDP socket takes one).
pub const DEFAULT_SOCKET_SLOTS: usize = 1024;

impl Default for Builder {
    fn default() -> Self {
        Builder {
            devices: Vec::new(),
            mac: EthernetAddress([0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]),
            gateway: None,
            seed: None,
            config: StackConfig::default(),
            socket_slots: DEFAULT_SOCKET_SLOTS,
            hook: None,
        }
    }
}

/// Reads a random seed from getrandom(2).
pub fn random_seed() -> io::Result<u64> {
    let mut b = [0u8; 8];
    // SAFETY: the buffer is valid for 8 bytes and getrandom writes at most
    // that many.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
    if n != 8 {
        return Err(io::Error::last_os_error());
    }
    Ok(u64::from_ne_bytes(b))
}

impl Builder {
    /// Adds a device.
    pub fn device(mut self, spec: DeviceSpec) -> Self {
        self.devices.push((spec, Vec::new()));
        self
    }

    /// Adds a TAP device.
    pub fn tap(self, name: &str) -> Self {
        self.device(DeviceSpec::Tap(name.to_string()))
    }

    /// Adds a TUN device.
    pub fn tun(self, name: &str) -> Self {
        self.device(DeviceSpec::Tun(name.to_string()))
    }

    /// Adds a PF_PACKET device on an existing interface.
    pub fn packet(self, ifname: &str) -> Self {
        self.device(DeviceSpec::Packet(ifname.to_string()))
    }

    /// Adds the loopback device (with 127.0.0.1/8).
    pub fn loopback(self) -> Self {
        let b = self.device(DeviceSpec::Loopback);
        match Ipv4Cidr::new(Ipv4Address::LOCALHOST, 8) {
            Some(c) => b.addr(c),
            None => b,
        }
    }

    /// Adds the null device.
    pub fn null(self) -> Self {
        self.device(DeviceSpec::Null)
    }

    /// Adds an address to the last device added.
    pub fn addr(mut self, cidr: Ipv4Cidr) -> Self {
        if let Some((_, addrs)) = self.devices.last_mut() {
            addrs.push(cidr);
        }
        self
    }

    /// The default gateway (reached through the interface whose subnet
    /// holds it).
    pub fn gateway(mut self, gw: Ipv4Address) -> Self {
        self.gateway = Some(gw);
        self
    }

    /// The MAC address of Ethernet devices (TAP, PF_PACKET).
    pub fn mac(mut self, mac: EthernetAddress) -> Self {
        self.mac = mac;
        self
    }

    /// Fixes the seed (otherwise getrandom(2) chooses one at every start).
    pub fn seed(mut self, seed: Option<u64>) -> Self {
        self.seed = seed;
        self
    }

    /// The stack's configuration.
    pub fn config(mut self, config: StackConfig) -> Self {
        self.config = config;
        self
    }

    /// The devices added so far, in device-id order.
    pub fn device_specs(&self) -> impl Iterator<Item = &DeviceSpec> {
        self.devices.iter().map(|(spec, _)| spec)
    }

    /// Sees every frame (for pcap capture).
    pub fn frame_hook(mut self, hook: FrameHook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// The number of sockets the runtime has room for (default
    /// [`DEFAULT_SOCKET_SLOTS`]): every connection, every socket waiting in
    /// a listener's pool, every UDP socket takes one.
    pub fn socket_slots(mut self, slots: usize) -> Self {
        self.socket_slots = slots.clamp(1, usize::from(u16::MAX) - 1);
        self
    }

    /// Opens the devices, configures the stack and starts the runtime
    /// thread.
    pub fn build(self) -> io::Result<Runtime> {
        let seed = match self.seed {
            Some(s) => s,
            None => random_seed()?,
        };
        let mut config = self.config;
        config.seed = seed;
        let mut stack = Stack::new(config, StackStorage::default_owned());
        let hook: Arc<Mutex<Option<FrameHook>>> = Arc::new(Mutex::new(self.hook));
        let mut devices = Vec::new();
        let mut ifaces = Vec::new();
        for (i, (spec, addrs)) in self.devices.iter().enumerate() {
            let dev = match spec {
                DeviceSpec::Tap(name) => HostDevice::Tap(
                    TapDevice::open(name, self.mac).map_err(|e| tun_open_error(e, name, "TAP"))?,
                ),
                DeviceSpec::Tun(name) => HostDevice::Tun(
                    TunDevice::open(name).map_err(|e| tun_open_error(e, name, "TUN"))?,
                ),
                DeviceSpec::Packet(name) => HostDevice::Packet(
                    PacketDevice::open(name, self.mac).map_err(|e| packet_open_error(e, name))?,
                ),
                DeviceSpec::Loopback => HostDevice::loopback(),
                DeviceSpec::Null => HostDevice::Null(NullDevice::new()),
            };
            let id = stack
                .add_device(dev.capabilities())
                .map_err(|e| io::Error::other(e.to_string()))?;
            log::info!("dev={id} is {} ({})", dev.name(), medium_name(&dev));
            for cidr in addrs {
                let iface = stack
                    .add_interface(id, *cidr)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                ifaces.push((iface, *cidr));
            }
            let hook = hook.clone();
            let trace: TraceFn = Box::new(move |dir, now, frame| {
                if log::log_enabled!(target: crate::logger::HEXDUMP_TARGET, log::Level::Trace) {
                    log::trace!(
                        "dev=net{i}, {}, len={}",
                        if dir == Direction::Rx {
                            "input"
                        } else {
                            "output"
                        },
                        frame.len()
                    );
                    crate::logger::trace_hexdump(frame);
                }
                if let Ok(mut h) = hook.lock()
                    && let Some(h) = h.as_mut()
                {
                    h(i, dir, now, frame);
                }
            });
            devices.push(Tracer::new(dev, trace));
        }
        if let Some(gw) = self.gateway {
            let via = ifaces
                .iter()
                .find(|(_, c)| c.contains_addr(&gw))
                .map(|(i, _)| *i);
            match via {
                Some(iface) => stack
                    .set_default_gateway(gw, iface)
                    .map_err(|e| io::Error::other(e.to_string()))?,
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("gateway {gw} is on none of the interfaces' subnets"),
                    ));
                }
            }
        }
        log::info!("seed={seed} (replay with --seed {seed})");
        let slots: Vec<SocketSlot<'static>> =
            (0..self.socket_slots).map(|_| SocketSlot::new()).collect();
        let state = State {
            stack,
            sockets: SocketSet::new(slots, microps_core::rand::splitmix64(seed)),
            devices,
            epoch: std::time::Instant::now(),
            shutdown: false,
            interrupted: false,
            orphans: Vec::new(),
            tcp_listen_ports: std::collections::HashSet::new(),
            read_shut: std::collections::HashSet::new(),
            more: false,
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            cond: Condvar::new(),
            wake: EventFd::new()?,
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("microps".into())
            .spawn(move || run(s))?;
        Ok(Runtime {
            shared,
            thread: Some(thread),
            seed,
            on_stop: Vec::new(),
        })
    }
}

fn medium_name(d: &HostDevice) -> &'static str {
    match d {
        HostDevice::Tap(_) | HostDevice::Packet(_) => "Ethernet",
        HostDevice::Tun(_) => "IP",
        HostDevice::Loopback(_) => "loopback",
        HostDevice::Null(_) => "null",
    }
}

fn annotate(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Opening a TAP or TUN failed: says why in words a user can act on.
fn tun_open_error(e: io::Error, name: &str, kind: &str) -> io::Error {
    let what = format!("opening {kind} {name}");
    let lower = kind.to_lowercase();
    let hint = match e.raw_os_error() {
        // TUNSETIFF on an interface of another type (`--tap lo`).
        Some(libc::EINVAL) if crate::fd::interface_exists(name) => format!(
            "{name} exists and is not a {kind} interface; name a {kind} (one that does not exist yet is created)"
        ),
        Some(libc::EPERM) => format!(
            "permission denied: needs CAP_NET_ADMIN (run as root), or a {kind} created for this user: sudo ip tuntap add mode {lower} user $USER name {name}"
        ),
        Some(libc::EACCES) => {
            "/dev/net/tun is not open to this user: sudo chmod 0666 /dev/net/tun".to_string()
        }
        Some(libc::EBUSY) => format!("another process has {name} open"),
        Some(libc::ENOENT) => "no /dev/net/tun: load the tun module (modprobe tun)".to_string(),
        _ => return annotate(e, &what),
    };
    io::Error::new(e.kind(), format!("{what}: {hint} ({e})"))
}

/// Opening a PF_PACKET socket failed: says why.
fn packet_open_error(e: io::Error, name: &str) -> io::Error {
    let what = format!("opening PF_PACKET on {name}");
    let hint = match e.raw_os_error() {
        Some(libc::EPERM) => "permission denied: a packet socket needs CAP_NET_RAW (run as root)",
        Some(libc::ENODEV) => "no such interface",
        _ => return annotate(e, &what),
    };
    io::Error::new(e.kind(), format!("{what}: {hint} ({e})"))
}
