//! A deterministic network simulator: N stacks over in-memory links with a
//! virtual clock and fault injectors (feature `sim`, which uses `alloc`).
//!
//! Every node is a [`Stack`] with its [`SocketSet`] and its devices; every
//! link joins two nodes through a pair of [`SimPort`] devices, each wrapped in
//! a [`FaultInjector`] that acts on what that node receives. The clock only
//! moves when [`Network::step`] jumps it to the earliest thing scheduled (a
//! frame in flight arriving, a stack's `poll_at`, a delayed frame), so a
//! simulated minute of retransmission timers takes microseconds, and the
//! same seed gives the same run, byte for byte, on every machine. A failing
//! test prints its seed; running it again with that seed replays it.
//!
//! ```
//! use microps_core::iface::{StackConfig, StackStorage};
//! use microps_core::sim::{LinkConfig, Network};
//! use microps_core::time::Duration;
//!
//! let mut net = Network::new(7);
//! let a = net.add_node(StackConfig::default(), StackStorage::default_owned());
//! let b = net.add_node(StackConfig::default(), StackStorage::default_owned());
//! let (da, db) = net.connect(a, b, LinkConfig::default()).unwrap();
//! net.node_mut(a).stack.add_interface(da, "192.0.2.1/24".parse().unwrap()).unwrap();
//! net.node_mut(b).stack.add_interface(db, "192.0.2.2/24".parse().unwrap()).unwrap();
//! // Both announce themselves with a gratuitous ARP; run until quiet.
//! net.run_for(Duration::from_secs(1));
//! assert_eq!(net.node(a).stack.stats().arp.tx_requests, 1);
//! ```

// Test support: indexing a node that does not exist is a bug in the test
// and panics with a clear message.
#![allow(clippy::indexing_slicing, clippy::panic)]

use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;

use crate::iface::{DeviceId, Stack, StackConfig, StackStorage};
use crate::phy::{
    Device, DeviceCapabilities, DeviceError, FaultConfig, FaultInjector, FaultStats, RxMeta,
    TxMeta, TxSink,
};
use crate::rand::splitmix64;
use crate::socket::{SocketSet, SocketSlot};
use crate::time::{Duration, Instant};
use crate::wire::EthernetAddress;

/// The properties of a link, the same in both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkConfig {
    /// One-way propagation delay.
    pub latency: Duration,
    /// Bits per second; `None` for infinitely fast.
    pub bandwidth: Option<u64>,
    /// Frames queued per direction before tail drop (a router's queue).
    pub queue_limit: usize,
    /// The MTU of both ends.
    pub mtu: usize,
    /// Faults on frames going from the first node to the second.
    pub faults_ab: FaultConfig,
    /// Faults on frames going from the second node to the first.
    pub faults_ba: FaultConfig,
}

impl Default for LinkConfig {
    /// 1 ms latency, unlimited bandwidth, 1000 frames of queue, MTU 1500,
    /// no faults.
    fn default() -> Self {
        LinkConfig {
            latency: Duration::from_millis(1),
            bandwidth: None,
            queue_limit: 1000,
            mtu: 1500,
            faults_ab: FaultConfig::none(),
            faults_ba: FaultConfig::none(),
        }
    }
}

impl LinkConfig {
    /// With this latency.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// With this bandwidth in bits per second.
    pub fn with_bandwidth(mut self, bps: u64) -> Self {
        self.bandwidth = Some(bps);
        self
    }

    /// With these faults in both directions.
    pub fn with_faults(mut self, faults: FaultConfig) -> Self {
        self.faults_ab = faults;
        self.faults_ba = faults;
        self
    }

    /// With this MTU.
    pub fn with_mtu(mut self, mtu: usize) -> Self {
        self.mtu = mtu;
        self
    }

    /// With this queue limit.
    pub fn with_queue_limit(mut self, frames: usize) -> Self {
        self.queue_limit = frames;
        self
    }
}

/// Chooses frames to drop on a link: called with each frame sent, drops
/// it if it returns `true` (for losses at chosen places: a burst, the
/// tail of a flight).
pub type DropFilter = alloc::boxed::Box<dyn FnMut(&[u8]) -> bool>;

struct Filter(DropFilter);

impl core::fmt::Debug for Filter {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str("DropFilter")
    }
}

#[derive(Debug, Default)]
struct Lane {
    frames: VecDeque<(Instant, Vec<u8>)>,
    /// Frames the filter drops, and how many it dropped.
    filter: Option<Filter>,
    filtered: u64,
    /// When the sender's side of the wire is free again (bandwidth).
    free_at: Instant,
    tail_drops: u64,
    delivered: u64,
    /// Every frame sent into this lane, when capturing.
    capture: Option<Vec<(Instant, Vec<u8>)>>,
}

/// One end of a simulated link: what it sends lands in the other end's
/// queue after the link's latency (and serialization delay).
#[derive(Debug)]
pub struct SimPort {
    caps: DeviceCapabilities,
    config: LinkConfig,
    rx: Rc<RefCell<Lane>>,
    tx: Rc<RefCell<Lane>>,
    buf: Vec<u8>,
}

impl SimPort {
    /// Frames tail-dropped on the way to this port.
    pub fn rx_tail_drops(&self) -> u64 {
        self.rx.borrow().tail_drops
    }

    /// Starts recording every frame this port sends.
    pub fn start_capture(&self) {
        let mut lane = self.tx.borrow_mut();
        if lane.capture.is_none() {
            lane.capture = Some(Vec::new());
        }
    }

    /// Takes the frames recorded since the last call, with their send times.
    pub fn take_captured(&self) -> Vec<(Instant, Vec<u8>)> {
        self.tx
            .borrow_mut()
            .capture
            .as_mut()
            .map(core::mem::take)
            .unwrap_or_default()
    }

    /// Puts a frame into this port's receive queue, as if the peer had sent
    /// it, deliverable at `at`.
    pub fn inject(&self, at: Instant, frame: &[u8]) {
        let mut lane = self.rx.borrow_mut();
        let pos = lane
            .frames
            .iter()
            .position(|(t, _)| *t > at)
            .unwrap_or(lane.frames.len());
        lane.frames.insert(pos, (at, frame.to_vec()));
    }
}

impl Device for SimPort {
    fn capabilities(&self) -> DeviceCapabilities {
        self.caps
    }

    fn receive(
        &mut self,
        now: Instant,
        f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError> {
        let frame = {
            let mut lane = self.rx.borrow_mut();
            match lane.frames.front() {
                Some((at, _)) if *at <= now => lane.frames.pop_front().map(|(_, f)| f),
                _ => None,
            }
        };
        let Some(frame) = frame else { return Ok(false) };
        let mut sink = PortSink {
            config: &self.config,
            tx: &self.tx,
            buf: &mut self.buf,
            now,
        };
        f(RxMeta::default(), &frame, &mut sink);
        Ok(true)
    }

    fn transmit(
        &mut self,
        now: Instant,
        len: usize,
        _meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        if len > self.caps.max_frame_len {
            return Err(DeviceError::TooLong);
        }
        PortSink {
            config: &self.config,
            tx: &self.tx,
            buf: &mut self.buf,
            now,
        }
        .send(len, f);
        Ok(())
    }

    fn poll_at(&self) -> Option<Instant> {
        self.rx.borrow().frames.front().map(|(at, _)| *at)
    }
}

struct PortSink<'p> {
    config: &'p LinkConfig,
    tx: &'p Rc<RefCell<Lane>>,
    buf: &'p mut Vec<u8>,
    now: Instant,
}

impl PortSink<'_> {
    fn send(&mut self, len: usize, f: &mut dyn FnMut(&mut [u8])) {
        self.buf.clear();
        self.buf.resize(len, 0);
        f(&mut self.buf[..]);
        let mut lane = self.tx.borrow_mut();
        if let Some(Filter(f)) = lane.filter.as_mut()
            && f(&self.buf[..])
        {
            lane.filtered += 1;
            return;
        }
        if lane.frames.len() >= self.config.queue_limit {
            lane.tail_drops += 1;
            return;
        }
        let start = lane.free_at.max(self.now);
        let serialization = match self.config.bandwidth {
            Some(bps) if bps > 0 => {
                Duration::from_micros((len as u64 * 8 * 1_000_000).div_ceil(bps))
            }
            _ => Duration::ZERO,
        };
        lane.free_at = start + serialization;
        let at = start + serialization + self.config.latency;
        lane.delivered += 1;
        if let Some(c) = lane.capture.as_mut() {
            c.push((self.now, self.buf.clone()));
        }
        lane.frames.push_back((at, self.buf.clone()));
    }
}

impl TxSink for PortSink<'_> {
    fn transmit(
        &mut self,
        len: usize,
        _meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        if len > self.config.mtu + 14 {
            return Err(DeviceError::TooLong);
        }
        self.send(len, f);
        Ok(())
    }
}

/// The device type of simulated nodes: a port behind a fault injector.
pub type SimDevice = FaultInjector<SimPort, 64, 2048>;

/// A node's index in its [`Network`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub usize);

/// A simulated host.
#[derive(Debug)]
pub struct Node {
    /// Its stack.
    pub stack: Stack<'static>,
    /// Its sockets.
    pub sockets: SocketSet<'static>,
    /// Its devices, in [`DeviceId`] order.
    pub devices: Vec<SimDevice>,
}

/// What one [`Node::poll`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Activity {
    /// Frames were sent or received.
    pub progressed: bool,
    /// The last poll did nothing and no device refused a frame: the node
    /// is quiet at this instant, so its `poll_at` must be later.
    pub quiet: bool,
}

impl Node {
    /// Polls the stack over all its devices until nothing more happens at
    /// this instant (bounded).
    pub fn poll(&mut self, now: Instant) -> Activity {
        let mut activity = Activity::default();
        for _ in 0..64 {
            let mut devs: Vec<&mut dyn Device> = self
                .devices
                .iter_mut()
                .map(|d| d as &mut dyn Device)
                .collect();
            let r = self.stack.poll(now, &mut devs, &mut self.sockets);
            activity.progressed |= r.progressed();
            if !r.progressed() && !r.more_rx {
                activity.quiet = !r.tx_exhausted;
                break;
            }
        }
        activity
    }

    /// The node's TCP sockets, their states and timers, for a failure
    /// message.
    pub fn describe_tcp(&self) -> alloc::string::String {
        use core::fmt::Write;
        let mut out = alloc::string::String::new();
        for (h, s) in self.sockets.iter() {
            if let crate::socket::Socket::Tcp(t) = s {
                let _ = write!(
                    out,
                    "\n  {h} {} {} -> {}: {:?}",
                    t.state(),
                    t.local_endpoint(),
                    t.remote_endpoint(),
                    t.timers()
                );
            }
            if let crate::socket::Socket::TcpListener(l) = s {
                for (local, remote) in l.half_open() {
                    let _ = write!(out, "\n  {h} SYN-RECEIVED {local} -> {remote} (SYN queue)");
                }
            }
        }
        out
    }

    /// When this node next needs a poll.
    pub fn poll_at(&self, now: Instant) -> Option<Instant> {
        let mut at = self.stack.poll_at(now, &self.sockets);
        for d in &self.devices {
            if let Some(t) = d.poll_at() {
                at = Some(at.map_or(t, |a| a.min(t)));
            }
        }
        at
    }
}

/// Why a run stopped before its goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunError {
    /// The deadline passed.
    Timeout {
        /// The virtual time then.
        now: Instant,
    },
    /// Nothing was scheduled and the goal was not reached.
    Stalled {
        /// The virtual time then.
        now: Instant,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            RunError::Timeout { now } => write!(f, "timed out at {now}"),
            RunError::Stalled { now } => write!(f, "stalled at {now}: nothing scheduled"),
        }
    }
}

/// The network: nodes, links, a virtual clock and a seed.
#[derive(Debug)]
pub struct Network {
    nodes: Vec<Node>,
    now: Instant,
    seed: u64,
    links: usize,
    steps: u64,
    stuck_steps: u64,
    /// Steps in which no node sent or received anything, in the current
    /// simulated minute (from `idle_since`).
    idle_wakes: u64,
    idle_since: Instant,
}

/// Steps without a frame sent or received that a simulated minute may
/// have: timers that wake the stack for nothing (ARP refreshes, the
/// pending queue's checks, a TIME-WAIT ending) are rare, and a timer
/// re-armed "1 ms from now" for ever is 60 000 a minute.
pub const MAX_IDLE_WAKES_PER_MINUTE: u64 = 1000;

impl Network {
    /// An empty network whose every random choice derives from `seed`.
    pub fn new(seed: u64) -> Self {
        Network {
            nodes: Vec::new(),
            now: Instant::from_secs(1),
            seed,
            links: 0,
            steps: 0,
            stuck_steps: 0,
            idle_wakes: 0,
            idle_since: Instant::from_secs(1),
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Adds a node with 16 socket slots; its stack's seed is derived from
    /// the network's.
    pub fn add_node(&mut self, mut config: StackConfig, storage: StackStorage<'static>) -> NodeId {
        let id = self.nodes.len();
        let node_seed = splitmix64(self.seed ^ splitmix64(id as u64 + 1));
        config.seed = node_seed;
        let slots: Vec<SocketSlot<'static>> = (0..16).map(|_| SocketSlot::new()).collect();
        self.nodes.push(Node {
            stack: Stack::new(config, storage),
            sockets: SocketSet::new(slots, splitmix64(node_seed)),
            devices: Vec::new(),
        });
        NodeId(id)
    }

    /// The node `id`.
    ///
    /// # Panics
    /// If `id` is not a node of this network (a test bug).
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0]
    }

    /// The node `id`, mutably.
    ///
    /// # Panics
    /// If `id` is not a node of this network (a test bug).
    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id.0]
    }

    /// Joins two nodes with an Ethernet link; returns the new devices' ids
    /// in each node. MAC addresses are `02:00:00:00:<node>:<link>`.
    pub fn connect(
        &mut self,
        a: NodeId,
        b: NodeId,
        config: LinkConfig,
    ) -> Result<(DeviceId, DeviceId), crate::iface::ConfigError> {
        let link = self.links;
        self.links += 1;
        let ab = Rc::new(RefCell::new(Lane::default()));
        let ba = Rc::new(RefCell::new(Lane::default()));
        let mac = |n: usize| EthernetAddress([0x02, 0, 0, 0, n as u8, link as u8]);
        let port_a = SimPort {
            caps: DeviceCapabilities::ethernet(config.mtu, mac(a.0)),
            config,
            rx: ba.clone(),
            tx: ab.clone(),
            buf: Vec::new(),
        };
        let port_b = SimPort {
            caps: DeviceCapabilities::ethernet(config.mtu, mac(b.0)),
            config,
            rx: ab,
            tx: ba,
            buf: Vec::new(),
        };
        let seed = splitmix64(self.seed ^ 0xfa17_0000 ^ link as u64);
        let mut dev_a: SimDevice = FaultInjector::new(port_a, seed);
        dev_a.set_rx_config(config.faults_ba);
        let mut dev_b: SimDevice = FaultInjector::new(port_b, splitmix64(seed));
        dev_b.set_rx_config(config.faults_ab);
        let ida = self.nodes[a.0].stack.add_device(dev_a.capabilities())?;
        self.nodes[a.0].devices.push(dev_a);
        let idb = self.nodes[b.0].stack.add_device(dev_b.capabilities())?;
        self.nodes[b.0].devices.push(dev_b);
        Ok((ida, idb))
    }

    /// Changes the faults on what `node` receives through `dev`.
    pub fn set_rx_faults(&mut self, node: NodeId, dev: DeviceId, faults: FaultConfig) {
        if let Some(d) = self.nodes[node.0].devices.get_mut(dev.index()) {
            d.set_rx_config(faults);
        }
    }

    /// Changes the one-way latency of what `node` sends through `dev`
    /// (frames already on the wire keep theirs, and nothing overtakes
    /// them).
    pub fn set_tx_latency(&mut self, node: NodeId, dev: DeviceId, latency: Duration) {
        if let Some(d) = self.nodes[node.0].devices.get_mut(dev.index()) {
            d.inner_mut().config.latency = latency;
        }
    }

    /// Drops what `node` sends through `dev` when `filter` says so
    /// (`None`: no filter); returns how many frames the previous filter
    /// dropped.
    pub fn set_drop_filter(
        &mut self,
        node: NodeId,
        dev: DeviceId,
        filter: Option<DropFilter>,
    ) -> u64 {
        let port = self.nodes[node.0].devices[dev.index()].inner();
        let mut lane = port.tx.borrow_mut();
        lane.filter = filter.map(Filter);
        core::mem::take(&mut lane.filtered)
    }

    /// Starts recording what `node` sends through `dev`.
    pub fn start_capture(&mut self, node: NodeId, dev: DeviceId) {
        self.nodes[node.0].devices[dev.index()]
            .inner()
            .start_capture();
    }

    /// The frames `node` sent through `dev` since the last call (capture
    /// must be started first).
    pub fn captured(&mut self, node: NodeId, dev: DeviceId) -> Vec<(Instant, Vec<u8>)> {
        self.nodes[node.0].devices[dev.index()]
            .inner()
            .take_captured()
    }

    /// Delivers `frame` to `node` through `dev` now, as if the link's other
    /// end had sent it (for hand-crafted input).
    pub fn inject(&mut self, node: NodeId, dev: DeviceId, frame: &[u8]) {
        let now = self.now;
        self.nodes[node.0].devices[dev.index()]
            .inner()
            .inject(now, frame);
    }

    /// Stops every fault on every link.
    pub fn heal(&mut self) {
        for n in &mut self.nodes {
            for d in &mut n.devices {
                d.set_rx_config(FaultConfig::none());
            }
        }
    }

    /// What the fault injectors did, summed over the network.
    pub fn fault_stats(&self) -> FaultStats {
        let mut s = FaultStats::default();
        for n in &self.nodes {
            for d in &n.devices {
                let t = d.stats();
                s.rx_dropped += t.rx_dropped;
                s.rx_duplicated += t.rx_duplicated;
                s.rx_reordered += t.rx_reordered;
                s.rx_delayed += t.rx_delayed;
                s.rx_corrupted += t.rx_corrupted;
                s.passed_no_slot += t.passed_no_slot;
            }
        }
        s
    }

    /// When anything next happens.
    pub fn poll_at(&self) -> Option<Instant> {
        self.nodes.iter().filter_map(|n| n.poll_at(self.now)).min()
    }

    /// Polls every node at the current instant; returns whether any sent or
    /// received a frame.
    ///
    /// # Panics
    /// If a node that did nothing in its last poll (and whose devices took
    /// every frame) says it is due now: it would make a poll loop spin. The
    /// message names the seed, the time and the node's TCP sockets with
    /// their timers.
    pub fn poll(&mut self) -> bool {
        let now = self.now;
        let mut progressed = false;
        for (i, n) in self.nodes.iter_mut().enumerate() {
            let a = n.poll(now);
            progressed |= a.progressed;
            if a.quiet
                && let Some(t) = n.poll_at(now)
                && t <= now
            {
                panic!(
                    "seed {}: no progress at t={now} on node {i}, yet due at {t}; TCP sockets:{}",
                    self.seed,
                    n.describe_tcp()
                );
            }
        }
        progressed
    }

    /// Counts a step that moved no frame; fails when a simulated minute
    /// has more than [`MAX_IDLE_WAKES_PER_MINUTE`].
    fn count_idle_wake(&mut self) {
        if self.now.saturating_duration_since(self.idle_since) >= Duration::from_secs(60) {
            self.idle_since = self.now;
            self.idle_wakes = 0;
        }
        self.idle_wakes += 1;
        if self.idle_wakes > MAX_IDLE_WAKES_PER_MINUTE {
            let sockets: alloc::string::String =
                self.nodes.iter().map(|n| n.describe_tcp()).collect();
            panic!(
                "seed {}: {} wake-ups without a frame since {} (now {}): a timer fires for nothing; TCP sockets:{}",
                self.seed, self.idle_wakes, self.idle_since, self.now, sockets
            );
        }
    }

    /// Jumps the clock to the next scheduled event (not past `limit`) and
    /// polls every node; returns `false` if nothing is scheduled.
    ///
    /// # Panics
    /// If the clock has not moved for 100 000 steps: something says it is
    /// due now but does nothing when polled (a busy loop in the stack), and
    /// a test should fail with the seed rather than hang.
    pub fn step_until(&mut self, limit: Instant) -> bool {
        self.poll();
        let Some(t) = self.poll_at() else {
            return false;
        };
        self.steps += 1;
        if t <= self.now {
            self.stuck_steps += 1;
            if self.stuck_steps > 100_000 {
                panic!(
                    "seed {}: the clock is stuck at {}: something is due now forever (a busy loop)",
                    self.seed, self.now
                );
            }
        } else {
            self.stuck_steps = 0;
        }
        // Stopping at `limit` before the deadline is the caller's pause, not
        // a wake-up the stack asked for: it is not counted as idle.
        let at_deadline = t <= limit;
        self.now = t.max(self.now).min(limit.max(self.now));
        if !self.poll() && at_deadline {
            self.count_idle_wake();
        }
        true
    }

    /// [`Network::step_until`] without a limit.
    pub fn step(&mut self) -> bool {
        self.step_until(Instant::MAX)
    }

    /// Advances the clock by `d`, processing everything on the way.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            if !self.step_until(end) {
                self.now = end;
            }
        }
        self.poll();
    }

    /// Runs until `done` returns true (it is called before each step and
    /// may drive the sockets), for at most `limit` of virtual time.
    pub fn run_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&mut Network) -> bool,
    ) -> Result<(), RunError> {
        let end = self.now + limit;
        loop {
            self.poll();
            if done(self) {
                return Ok(());
            }
            if self.now >= end {
                return Err(RunError::Timeout { now: self.now });
            }
            if !self.step_until(end) {
                self.poll();
                if done(self) {
                    return Ok(());
                }
                return Err(RunError::Stalled { now: self.now });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::tcp::{SocketBuffer, TcpSocket};
    use alloc::vec;

    fn one_node() -> (Network, NodeId) {
        let mut net = Network::new(9);
        let a = net.add_node(StackConfig::default(), StackStorage::default_owned());
        let b = net.add_node(StackConfig::default(), StackStorage::default_owned());
        let (da, db) = net.connect(a, b, LinkConfig::default()).unwrap();
        let n = net.node_mut(a);
        n.stack
            .add_interface(da, "192.0.2.1/24".parse().unwrap())
            .unwrap();
        let n = net.node_mut(b);
        n.stack
            .add_interface(db, "192.0.2.2/24".parse().unwrap())
            .unwrap();
        net.run_for(Duration::from_secs(1));
        (net, a)
    }

    #[test]
    #[should_panic(expected = "due")]
    fn a_socket_due_now_with_nothing_to_send_fails_the_run() {
        let (mut net, a) = one_node();
        let s = TcpSocket::new(
            SocketBuffer::new(vec![0; 64]),
            SocketBuffer::new(vec![0; 64]),
        );
        let h = net.node_mut(a).sockets.add(s).unwrap();
        net.node_mut(a).sockets.tcp_listen(h, 80).unwrap();
        // A stale send a listening socket cannot make: the defect class the
        // timer table rules out, planted by hand.
        let s = net.node_mut(a).sockets.get_mut::<TcpSocket>(h).unwrap();
        s.pending.set(crate::socket::tcp::Pending::ACK, true);
        net.run_for(Duration::from_secs(1));
    }

    #[test]
    #[should_panic(expected = "wake-ups without a frame")]
    fn too_many_idle_wake_ups_in_a_minute_fail_the_run() {
        let (mut net, _) = one_node();
        for _ in 0..=MAX_IDLE_WAKES_PER_MINUTE {
            net.count_idle_wake();
        }
    }

    #[test]
    fn idle_wake_ups_are_counted_per_simulated_minute() {
        let (mut net, _) = one_node();
        for _ in 0..3 {
            for _ in 0..MAX_IDLE_WAKES_PER_MINUTE / 2 {
                net.count_idle_wake();
            }
            net.now += Duration::from_secs(61);
        }
    }
}
