//! The runner: one stack, one scripted device, a virtual clock, and the
//! script's events in order.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::fmt::Write as _;

use super::parse::{self, Event, EventKind, IcmpSpec, OptionSpec, Script, TcpSpec, Time};
use super::syscall::{Blocked, Fd};
use crate::iface::{Stack, StackConfig, StackStorage};
use crate::phy::{Device, DeviceCapabilities, DeviceError, RxMeta, TxMeta, TxSink};
use crate::socket::tcp::{State, TcpSocket};
use crate::socket::{SocketSet, SocketSlot};
use crate::time::{Duration, Instant};
use crate::wire::{
    ChecksumCapabilities, EtherType, EthernetAddress, EthernetFrame, EthernetRepr, IpProtocol,
    Ipv4Address, Ipv4Packet, Ipv4Repr, SeqNumber, TcpFlags, TcpOption, TcpOptions, TcpPacket,
    TcpRepr,
};

/// How outbound segments are compared with the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every field the script writes, exactly (packetdrill's own rules).
    Strict,
    /// For scripts written for another stack: flags, sequence and
    /// acknowledgment numbers, lengths, results and timing exactly; the
    /// option order, the window's exact value and the values of `TS val`
    /// and `wscale` not (the window's being zero or not, the option kinds
    /// and the MSS value are). Our advertised right edge must never move
    /// left.
    Portable,
}

/// How a script ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every event happened as written.
    Passed,
    /// An event did not.
    Failed(Failure),
    /// The script needs something this runner does not model.
    Skipped(String),
}

/// Where and how a script failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The script line (1-based; 0 for the script as a whole).
    pub line: usize,
    /// The line's text.
    pub text: String,
    /// What was expected, what happened, and the stack's TCP state then.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "line {}: {}\n{}", self.line, self.text, self.message)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Outcome::Passed => f.write_str("passed"),
            Outcome::Failed(e) => write!(f, "failed: {e}"),
            Outcome::Skipped(why) => write!(f, "skipped: unsupported {why}"),
        }
    }
}

/// Parses and runs a script.
pub fn run_script(text: &str, mode: Mode) -> Outcome {
    run_script_traced(text, mode).0
}

/// [`run_script`], with a trace: each event as it happened, the segments
/// the stack sent written as script lines (for writing scripts).
pub fn run_script_traced(text: &str, mode: Mode) -> (Outcome, Vec<String>) {
    if let Some(missing) = missing_feature(text) {
        return (
            Outcome::Skipped(format!("needs the cargo feature `{missing}`")),
            Vec::new(),
        );
    }
    match parse::parse(text) {
        Ok(script) => run_parsed_traced(&script, mode),
        Err(e) => (
            Outcome::Failed(Failure {
                line: e.line,
                text: String::new(),
                message: format!("does not parse: {}", e.message),
            }),
            Vec::new(),
        ),
    }
}

/// The first cargo feature of microps-core that a comment line `// needs:
/// FEATURE[, FEATURE]...` of the script names and this build lacks. The
/// names are the leading words that are features scripts may need, so a
/// remark may follow; a misspelt name ends the list, and the script then
/// runs (and fails visibly in the build that lacks the feature) rather
/// than being skipped in every build. A script about SACK recovery, say,
/// cannot pass in a build without it; the comment keeps the script
/// portable.
pub fn missing_feature(text: &str) -> Option<&str> {
    const FEATURES: [(&str, bool); 5] = [
        ("tcp-sack-recovery", cfg!(feature = "tcp-sack-recovery")),
        ("tcp-rack", cfg!(feature = "tcp-rack")),
        ("tcp-cubic", cfg!(feature = "tcp-cubic")),
        ("tcp-listener", cfg!(feature = "tcp-listener")),
        ("tcp-time-wait", cfg!(feature = "tcp-time-wait")),
    ];
    let feature = |name: &str| FEATURES.iter().find(|&&(n, _)| n == name);
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("//")?.trim().strip_prefix("needs:"))
        .flat_map(|names| {
            names
                .split([' ', ','])
                .filter(|w| !w.is_empty())
                .map_while(feature)
        })
        .find(|&&(_, on)| !on)
        .map(|&(name, _)| name)
}

/// Runs a parsed script.
pub fn run_parsed(script: &Script, mode: Mode) -> Outcome {
    run_parsed_traced(script, mode).0
}

/// [`run_parsed`] with the trace of [`run_script_traced`].
pub fn run_parsed_traced(script: &Script, mode: Mode) -> (Outcome, Vec<String>) {
    let mut runner = None;
    let outcome = run_events(script, mode, &mut runner);
    (outcome, runner.map(|r| r.trace).unwrap_or_default())
}

fn run_events(script: &Script, mode: Mode, slot: &mut Option<Runner>) -> Outcome {
    let settings = match Settings::from_options(script) {
        Ok(s) => s,
        Err(why) => return Outcome::Skipped(why),
    };
    if let Some(why) = script.events.iter().find_map(|e| match &e.kind {
        EventKind::Unsupported(why) => Some(why.clone()),
        _ => None,
    }) {
        return Outcome::Skipped(why);
    }
    let runner = slot.insert(Runner::new(settings, mode));
    for (k, event) in script.events.iter().enumerate() {
        let mark = runner.trace.len();
        let r = runner.event(event, script.events.get(k + 1));
        let at = (runner.last - T0).total_micros() as f64 / 1e6;
        let line = format!("{:>4} {at:>10.6} {}", event.line, event.text);
        runner.trace.insert(mark, line);
        match r {
            Ok(()) => {}
            Err(Stop::Fail(message)) => {
                let message = format!("{message}\n  TCP:{}", runner.describe_tcp());
                return Outcome::Failed(Failure {
                    line: event.line,
                    text: event.text.clone(),
                    message,
                });
            }
            Err(Stop::Skip(why)) => return Outcome::Skipped(why),
        }
    }
    if let Err(stop) = runner
        .finish_blocked()
        .and_then(|()| runner.check_nothing_left())
    {
        return match stop {
            Stop::Fail(message) => Outcome::Failed(Failure {
                line: 0,
                text: "(the end of the script)".to_string(),
                message,
            }),
            Stop::Skip(why) => Outcome::Skipped(why),
        };
    }
    Outcome::Passed
}

/// Why an event stops the run.
#[derive(Debug)]
pub(crate) enum Stop {
    Fail(String),
    Skip(String),
}

/// The header options the runner honours.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) tolerance: Duration,
    /// `--tolerance_percent`: the timing tolerance as a share of the time
    /// since the previous event, when that is more.
    pub(crate) tolerance_percent: u64,
    pub(crate) local: Ipv4Address,
    pub(crate) remote: Ipv4Address,
    pub(crate) gateway: Ipv4Address,
    pub(crate) mtu: usize,
    pub(crate) bind_port: u16,
    pub(crate) connect_port: u16,
    pub(crate) remote_port: u16,
    pub(crate) strict_segments: bool,
    /// `--tcp_ts_tick_usecs`: our TSval's tick, which outbound `TS val`s
    /// are checked against (unchecked without it, as packetdrill).
    pub(crate) ts_tick_usecs: Option<u64>,
}

impl Settings {
    fn from_options(script: &Script) -> Result<Settings, String> {
        let mut s = Settings {
            tolerance: Duration::from_micros(4000),
            tolerance_percent: 0,
            local: Ipv4Address::new(192, 168, 0, 1),
            remote: Ipv4Address::new(192, 0, 2, 1),
            gateway: Ipv4Address::new(192, 168, 0, 2),
            mtu: 1500,
            bind_port: 8080,
            connect_port: 8080,
            remote_port: 48_879,
            strict_segments: false,
            ts_tick_usecs: None,
        };
        for o in &script.options {
            let v = o.value.as_deref().unwrap_or("");
            let bad = || format!("value of --{}: {v}", o.name);
            match o.name.as_str() {
                "tolerance_usecs" => {
                    s.tolerance = Duration::from_micros(v.parse().map_err(|_| bad())?)
                }
                "tolerance_percent" => s.tolerance_percent = v.parse().map_err(|_| bad())?,
                "tcp_ts_tick_usecs" => {
                    let tick: u64 = v.parse().map_err(|_| bad())?;
                    s.ts_tick_usecs = (tick > 0).then_some(tick);
                }
                "mtu" => s.mtu = v.parse().map_err(|_| bad())?,
                "local_ip" => s.local = v.parse().map_err(|_| bad())?,
                "remote_ip" => s.remote = v.parse().map_err(|_| bad())?,
                "gateway_ip" => s.gateway = v.parse().map_err(|_| bad())?,
                "bind_port" => s.bind_port = v.parse().map_err(|_| bad())?,
                "connect_port" => s.connect_port = v.parse().map_err(|_| bad())?,
                "ip_version" if v == "ipv4" => {}
                "strict_segments" => s.strict_segments = true,
                // Only mean something where the runner already does it.
                "non_fatal" | "verbose" | "dry_run" => {}
                _ => return Err(format!("option --{}", o.name)),
            }
        }
        Ok(s)
    }
}

/// A frame's IPv4 and TCP headers as the logs print them (microps's
/// `ip_dump` and `tcp_dump`), indented.
fn decoded(frame: &[u8]) -> String {
    let dump = format!(
        "{}",
        crate::wire::dump::FrameDump::new(crate::phy::Medium::Ethernet, frame)
    );
    let mut out = String::new();
    let from_ip = dump
        .find("\nip:")
        .map_or(dump.as_str(), |i| dump.get(i + 1..).unwrap_or(""));
    for line in from_ip.lines() {
        let _ = writeln!(out, "    {line}");
    }
    out.truncate(out.trim_end().len());
    out
}

/// The IPv4 header of a datagram the runner writes: TTL 64, DF, no
/// identifier.
fn script_ip(src: Ipv4Address, dst: Ipv4Address, protocol: IpProtocol, len: usize) -> Ipv4Repr {
    Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        protocol,
        payload_len: len,
        ttl: 64,
        tos: 0,
        ident: 0,
        dont_frag: true,
        more_frags: false,
        frag_offset: 0,
    }
}

/// The MAC addresses on the scripted link.
const OUR_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 1]);
const PEER_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 2]);

/// When the script's clock starts.
const T0: Instant = Instant::from_secs(1);

/// Polls at one instant before the run is declared stuck.
const MAX_POLLS_PER_INSTANT: usize = 1000;

/// The device between the stack and the script.
#[derive(Debug)]
pub(crate) struct ScriptDevice {
    caps: DeviceCapabilities,
    pub(crate) rx: VecDeque<Vec<u8>>,
    pub(crate) sent: VecDeque<(Instant, Vec<u8>)>,
}

struct Capture<'a> {
    sent: &'a mut VecDeque<(Instant, Vec<u8>)>,
    now: Instant,
    max: usize,
}

impl TxSink for Capture<'_> {
    fn transmit(
        &mut self,
        len: usize,
        _meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        if len > self.max {
            return Err(DeviceError::TooLong);
        }
        let mut buf = vec![0u8; len];
        f(&mut buf);
        self.sent.push_back((self.now, buf));
        Ok(())
    }
}

impl Device for ScriptDevice {
    fn capabilities(&self) -> DeviceCapabilities {
        self.caps
    }

    fn receive(
        &mut self,
        now: Instant,
        f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError> {
        let Some(frame) = self.rx.pop_front() else {
            return Ok(false);
        };
        let mut sink = Capture {
            sent: &mut self.sent,
            now,
            max: self.caps.max_frame_len,
        };
        f(RxMeta::default(), &frame, &mut sink);
        Ok(true)
    }

    fn transmit(
        &mut self,
        now: Instant,
        len: usize,
        meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        Capture {
            sent: &mut self.sent,
            now,
            max: self.caps.max_frame_len,
        }
        .transmit(len, meta, f)
    }
}

/// A segment the stack sent, as the script numbers it.
#[derive(Debug, Clone)]
struct Sent {
    at: Instant,
    src_port: u16,
    dst_port: u16,
    flags: TcpFlags,
    seq: u32,
    ack: u32,
    win: u16,
    urg: u16,
    options: Vec<OptionSpec>,
    len: u32,
}

pub(crate) struct Runner {
    pub(crate) settings: Settings,
    mode: Mode,
    pub(crate) stack: Stack<'static>,
    pub(crate) sockets: SocketSet<'static>,
    pub(crate) dev: ScriptDevice,
    pub(crate) now: Instant,
    /// The time of the previous event, which `+` times count from.
    last: Instant,
    /// The remote side's initial sequence number (its SYN's, as written).
    remote_isn: Option<u32>,
    /// Ours, from the SYN we send (forgotten when a new connection starts).
    pub(crate) local_isn: Option<u32>,
    /// The number the script gives our ISN (in the `>` line of our SYN).
    script_local_isn: u32,
    /// The connection's ports: ours and the script's remote side's.
    pub(crate) local_port: Option<u16>,
    pub(crate) remote_port: u16,
    pub(crate) fds: BTreeMap<i64, Fd>,
    /// What happened, line by line.
    trace: Vec<String>,
    /// A blocking call the script made that has not returned yet.
    pub(crate) blocked: Option<Blocked>,
    /// Inbound segments are queued, not yet polled: the next event is
    /// another one at the same instant.
    batching: bool,
    /// What a new socket starts with (`sysctl` changes it).
    pub(crate) socket_defaults: super::syscall::Opts,
    /// The right edge of the window we last advertised (`--portable`).
    right_edge: Option<u32>,
    /// The window scale shift our last SYN offered, and whether the
    /// remote side's SYN offered one.
    our_wscale: Option<u8>,
    peer_wscale: bool,
    /// Our TSval less the script's, learnt from the first outbound `TS
    /// val` (packetdrill's `ts_val` offset): inbound `ecr`s are shifted by
    /// it, outbound `val`s compared after it.
    ts_offset: Option<u32>,
}

/// An inbound segment at `+0` after another: the two arrive together.
fn arrives_with_the_previous(event: &Event) -> bool {
    matches!(event.kind, EventKind::Inbound(_))
        && event.time.start == Time::Relative(0)
        && event.time.range_end.is_none()
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_struct("Runner")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl Runner {
    fn new(settings: Settings, mode: Mode) -> Runner {
        let config = StackConfig {
            seed: 0x5eed,
            ..StackConfig::default()
        };
        let mut stack = Stack::new(config, StackStorage::default_owned());
        let caps = DeviceCapabilities::ethernet(settings.mtu, OUR_MAC);
        let mut dev = ScriptDevice {
            caps,
            rx: VecDeque::new(),
            sent: VecDeque::new(),
        };
        let slots: Vec<SocketSlot<'static>> = (0..16).map(|_| SocketSlot::new()).collect();
        let mut sockets = SocketSet::new(slots, 0x5eed);
        if let Ok(d) = stack.add_device(caps) {
            let on_link = Ipv4Address::from_bits(settings.local.to_bits() & 0xffff_ff00);
            let cidr = crate::wire::Ipv4Cidr::new(settings.local, 24);
            if let Some(cidr) = cidr
                && let Ok(iface) = stack.add_interface(d, cidr)
            {
                let same_subnet = settings.remote.to_bits() & 0xffff_ff00 == on_link.to_bits();
                let next_hop = if same_subnet {
                    settings.remote
                } else {
                    let _ = stack.set_default_gateway(settings.gateway, iface);
                    settings.gateway
                };
                let _ = stack.add_static_neighbor(next_hop, PEER_MAC, d);
            }
        }
        // The gratuitous ARP of the new interface goes before the script.
        stack.poll(T0, &mut [&mut dev], &mut sockets);
        dev.sent.clear();
        let remote_port = settings.remote_port;
        Runner {
            settings,
            mode,
            stack,
            sockets,
            dev,
            now: T0,
            last: T0,
            remote_isn: None,
            local_isn: None,
            script_local_isn: 0,
            local_port: None,
            remote_port,
            fds: BTreeMap::new(),
            trace: Vec::new(),
            blocked: None,
            batching: false,
            socket_defaults: super::syscall::Opts::DEFAULT,
            right_edge: None,
            our_wscale: None,
            peer_wscale: false,
            ts_offset: None,
        }
    }

    fn event(&mut self, event: &Event, next: Option<&Event>) -> Result<(), Stop> {
        self.event_now(event, next)?;
        self.check_blocked()
    }

    fn event_now(&mut self, event: &Event, next: Option<&Event>) -> Result<(), Stop> {
        let (lo, hi) = self.window(event)?;
        match &event.kind {
            EventKind::Outbound(spec) => self.expect_outbound(spec, lo, hi),
            kind => {
                if !self.batching {
                    self.advance_to(lo)?;
                    self.check_nothing_unexpected(lo)?;
                }
                match kind {
                    EventKind::Inbound(spec) => {
                        self.inject(spec)?;
                        self.last = lo;
                        // Segments the script sends back to back (`+0`,
                        // nothing between) reach the device together,
                        // and one poll reads them all.
                        self.batching = next.is_some_and(arrives_with_the_previous);
                        if self.batching {
                            return Ok(());
                        }
                        self.poll_now()
                    }
                    EventKind::Call(call) => {
                        // `+a...b`: the end counts from the previous event
                        // too (packetdrill's adjust_relative_event_times).
                        let returns = match (event.time.start, event.time.returns_at) {
                            (Time::Relative(_), Some(Time::Absolute(us))) => {
                                Some(self.resolve(Time::Relative(us), self.last)?)
                            }
                            (_, Some(t)) => Some(self.resolve(t, lo)?),
                            (_, None) => None,
                        };
                        self.call(call, returns)?;
                        self.last = lo;
                        self.poll_now()
                    }
                    EventKind::Command(c) => {
                        self.command(c)?;
                        self.last = lo;
                        Ok(())
                    }
                    EventKind::InboundIcmp(spec) => {
                        self.inject_icmp(spec);
                        self.last = lo;
                        self.poll_now()
                    }
                    EventKind::Unsupported(why) => Err(Stop::Skip(why.clone())),
                    EventKind::Outbound(_) => Ok(()),
                }
            }
        }
    }

    /// The earliest and latest instant the event may happen at.
    fn window(&self, event: &Event) -> Result<(Instant, Instant), Stop> {
        let mut tol = self.settings.tolerance;
        if event.time.start == Time::Any {
            if !matches!(event.kind, EventKind::Outbound(_)) {
                return Err(Stop::Fail("'*' is only for outbound packets".to_string()));
            }
            return Ok((self.last, Instant::from_micros(i64::MAX / 2)));
        }
        let start = self.resolve(event.time.start, self.last)?;
        if self.settings.tolerance_percent > 0 && start > self.last {
            let delta = (start - self.last).total_micros();
            let share = delta.saturating_mul(self.settings.tolerance_percent) / 100;
            tol = tol.max(Duration::from_micros(share));
        }
        match event.time.range_end {
            Some(end) => Ok((start, self.resolve(end, start)? + tol)),
            None if matches!(event.kind, EventKind::Outbound(_)) => {
                Ok((start.max(T0 + tol) - tol, start + tol))
            }
            None => Ok((start, start)),
        }
    }

    fn resolve(&self, t: Time, base: Instant) -> Result<Instant, Stop> {
        match t {
            Time::Absolute(us) => Ok(T0 + Duration::from_micros(us.max(0) as u64)),
            Time::Relative(us) => Ok(base + Duration::from_micros(us.max(0) as u64)),
            Time::Any => Err(Stop::Fail("'*' cannot end a range".to_string())),
        }
    }

    /// Runs the stack at `now` until it has nothing more to do at once.
    pub(crate) fn poll_now(&mut self) -> Result<(), Stop> {
        for _ in 0..MAX_POLLS_PER_INSTANT {
            let r = self
                .stack
                .poll(self.now, &mut [&mut self.dev], &mut self.sockets);
            if !r.progressed() && !r.more_rx {
                return Ok(());
            }
        }
        Err(Stop::Fail(format!(
            "the stack is still busy after {MAX_POLLS_PER_INSTANT} polls at {}",
            self.now
        )))
    }

    /// Moves the clock to `t`, running every deadline the stack has on the
    /// way.
    pub(crate) fn advance_to(&mut self, t: Instant) -> Result<(), Stop> {
        self.advance_until(t, |_| false)
    }

    /// Moves the clock towards `t`, deadline by deadline, and stops early
    /// once `done` holds.
    pub(crate) fn advance_until(
        &mut self,
        t: Instant,
        mut done: impl FnMut(&Runner) -> bool,
    ) -> Result<(), Stop> {
        let mut at_same_instant = 0;
        loop {
            if done(self) {
                return Ok(());
            }
            let next = self
                .stack
                .poll_at(self.now, &self.sockets)
                .map(|n| n.max(self.now));
            match next {
                Some(n) if n <= t => {
                    at_same_instant = if n == self.now {
                        at_same_instant + 1
                    } else {
                        0
                    };
                    if at_same_instant > MAX_POLLS_PER_INSTANT {
                        return Err(Stop::Fail(format!(
                            "the stack asks to be polled at {n} again and again"
                        )));
                    }
                    self.now = n;
                    self.poll_now()?;
                    self.check_blocked()?;
                }
                _ => {
                    if t > self.now {
                        self.now = t;
                        self.poll_now()?;
                        self.check_blocked()?;
                    }
                    return Ok(());
                }
            }
        }
    }

    /// A segment the stack sent before `t` (less the tolerance) that no
    /// script line expected.
    fn check_nothing_unexpected(&mut self, t: Instant) -> Result<(), Stop> {
        self.drop_non_tcp();
        let tol = self.settings.tolerance;
        if let Some((at, frame)) = self.dev.sent.front()
            && *at + tol < t
        {
            let shown = self.show_frame(*at, frame);
            return Err(Stop::Fail(format!(
                "  the stack sent a segment the script does not expect:\n  sent:     {shown}"
            )));
        }
        Ok(())
    }

    /// At the end of the script: a segment the stack sent by the last
    /// event that no line expected fails the script, as it would have
    /// before any later event. (The clock goes no further: what timers
    /// would send later is not the script's business.)
    fn check_nothing_left(&mut self) -> Result<(), Stop> {
        self.drop_non_tcp();
        if let Some((at, frame)) = self.dev.sent.front() {
            let shown = self.show_frame(*at, frame);
            return Err(Stop::Fail(format!(
                "  the stack sent a segment the script does not expect:\n  sent:     {shown}"
            )));
        }
        Ok(())
    }

    /// Frames that are not TCP over IPv4 (gratuitous ARP) are not the
    /// script's business.
    fn drop_non_tcp(&mut self) {
        self.dev.sent.retain(|(_, f)| {
            EthernetFrame::new_checked(&f[..]).is_ok_and(|e| {
                e.ethertype() == EtherType::Ipv4
                    && Ipv4Packet::new_checked(e.payload())
                        .is_ok_and(|p| p.protocol() == IpProtocol::Tcp)
            })
        });
    }

    fn expect_outbound(&mut self, spec: &TcpSpec, lo: Instant, hi: Instant) -> Result<(), Stop> {
        let mut got: Option<Sent> = None;
        let mut first_frame = Vec::new();
        let mut seen_len = 0u32;
        loop {
            self.advance_until(hi, |r| r.has_tcp_frame())?;
            self.drop_non_tcp();
            let Some((at, frame)) = self.dev.sent.pop_front() else {
                let want = self.show_spec(spec);
                return Err(Stop::Fail(match &got {
                    None => format!(
                        "  expected: {want}\n  sent:     nothing by {}",
                        script_time(hi)
                    ),
                    Some(g) => format!(
                        "  expected: {want}\n  sent:     {} of it by {}, the first: {}",
                        seen_len,
                        script_time(hi),
                        self.show_sent(g)
                    ),
                }));
            };
            if got.is_none() {
                first_frame.clone_from(&frame);
            }
            let sent = match self.decode(at, &frame) {
                Ok(s) => s,
                Err(e) => return Err(Stop::Fail(format!("  the stack sent a bad frame: {e}"))),
            };
            if spec.flags.contains(TcpFlags::SYN)
                && sent.flags.contains(TcpFlags::SYN)
                && self.local_isn.is_none()
            {
                // A new connection's first SYN of ours says what our ISN is,
                // and the number the script gives it (packetdrill writes a
                // SYN's numbers absolute, every other segment's relative to
                // the ISNs); a SYN sent again must carry the same.
                self.local_isn = Some(sent.seq);
                self.script_local_isn = spec.seq;
                self.local_port.get_or_insert(sent.src_port);
            }
            self.check_right_edge(&sent)?;
            self.learn_ts_offset(spec, &sent);
            let sent = self.relative(sent);
            if at < lo {
                return Err(Stop::Fail(format!(
                    "  expected: {} at {}..{}\n  sent:     {} (too early)",
                    self.show_spec(spec),
                    script_time(lo),
                    script_time(hi),
                    self.show_sent(&sent)
                )));
            }
            // packetdrill aggregates consecutive data segments into one
            // script segment (`> P. 1:10001(10000)`) unless told not to.
            let aggregate = !self.settings.strict_segments
                && spec.len > 0
                && got
                    .as_ref()
                    .is_none_or(|g| g.seq.wrapping_add(seen_len) == sent.seq);
            match got.as_mut() {
                None => {
                    seen_len = sent.len;
                    got = Some(sent);
                }
                Some(g) if aggregate => {
                    seen_len = seen_len.wrapping_add(sent.len);
                    g.flags |= sent.flags;
                    g.ack = sent.ack;
                    g.win = sent.win;
                }
                Some(_) => {
                    return Err(Stop::Fail(format!(
                        "  expected: {} (the rest of it)\n  sent:     {}",
                        self.show_spec(spec),
                        self.show_sent(&sent)
                    )));
                }
            }
            if !aggregate || seen_len >= spec.len {
                break;
            }
        }
        let Some(mut got) = got else {
            return Err(Stop::Fail("  nothing sent".to_string()));
        };
        got.len = seen_len;
        if let Some(why) = self.mismatch(spec, &got) {
            return Err(Stop::Fail(format!(
                "  expected: {}\n  sent:     {}\n  ({why})\n  the segment sent, as the logs decode it:\n{}",
                self.show_spec(spec),
                self.show_sent(&got),
                decoded(&first_frame)
            )));
        }
        let shown = self.show_sent(&got);
        self.trace.push(format!("                 sent: {shown}"));
        self.last = got.at;
        Ok(())
    }

    /// `--portable`: whatever window a stack chooses, the right edge it
    /// advertises (RCV.NXT + RCV.WND, in wire numbers) never moves left
    /// (RFC 9293 3.8.6, SHLD-14), except by less than one unit of its
    /// window scale (RFC 7323 2.4); a new SYN starts again.
    fn check_right_edge(&mut self, sent: &Sent) -> Result<(), Stop> {
        let syn = sent.flags.contains(TcpFlags::SYN);
        if syn {
            self.right_edge = None;
            self.our_wscale = sent.options.iter().find_map(|o| match o {
                OptionSpec::WindowScale(w) => Some(*w),
                _ => None,
            });
        }
        if self.mode != Mode::Portable
            || !sent.flags.contains(TcpFlags::ACK)
            || sent.flags.contains(TcpFlags::RST)
        {
            return Ok(());
        }
        // RFC 7323: our window counts in units of our shift once both SYNs
        // offered scaling (a SYN's window never).
        let shift = match self.our_wscale {
            Some(w) if self.peer_wscale && !syn => w.min(14),
            _ => 0,
        };
        let edge = sent.ack.wrapping_add(u32::from(sent.win) << shift);
        // RFC 7323 2.4: rounding to the unit may pull it back by less
        // than one unit.
        let slack = (1u32 << shift) - 1;
        match self.right_edge {
            Some(e) if (edge.wrapping_add(slack).wrapping_sub(e) as i32) < 0 => {
                Err(Stop::Fail(format!(
                    "  sent:     {}\n  (window: the right edge moved left by {})",
                    self.show_sent(&self.relative(sent.clone())),
                    e.wrapping_sub(edge)
                )))
            }
            Some(e) if (edge.wrapping_sub(e) as i32) <= 0 => Ok(()),
            _ => {
                self.right_edge = Some(edge);
                Ok(())
            }
        }
    }

    fn has_tcp_frame(&self) -> bool {
        self.dev.sent.iter().any(|(_, f)| {
            EthernetFrame::new_checked(&f[..]).is_ok_and(|e| {
                e.ethertype() == EtherType::Ipv4
                    && Ipv4Packet::new_checked(e.payload())
                        .is_ok_and(|p| p.protocol() == IpProtocol::Tcp)
            })
        })
    }

    /// What differs between the script's segment and the one sent.
    fn mismatch(&self, spec: &TcpSpec, got: &Sent) -> Option<String> {
        if self.local_port.is_some_and(|p| p != got.src_port) || got.dst_port != self.remote_port {
            return Some("ports: not the script's connection".to_string());
        }
        if got.flags != spec.flags {
            return Some("flags".to_string());
        }
        if got.seq != spec.seq {
            return Some("sequence number".to_string());
        }
        if got.len != spec.len {
            return Some("length".to_string());
        }
        if let Some(ack) = spec.ack
            && (got.ack != ack || !got.flags.contains(TcpFlags::ACK))
        {
            return Some("acknowledgment number".to_string());
        }
        if let Some(win) = spec.win {
            let same = match self.mode {
                Mode::Strict => u32::from(got.win) == win,
                Mode::Portable => (got.win == 0) == (win == 0),
            };
            if !same {
                return Some("window".to_string());
            }
        }
        if let Some(urg) = spec.urg
            && got.urg != urg
        {
            return Some("urgent pointer".to_string());
        }
        if let Some(opts) = &spec.options {
            let same = match self.mode {
                Mode::Strict => self.strict_options_match(opts, &got.options),
                Mode::Portable => portable_options_match(opts, &got.options),
            };
            if !same {
                return Some("options".to_string());
            }
        }
        None
    }

    /// The first outbound timestamp the script writes says how our clock
    /// maps to the script's.
    fn learn_ts_offset(&mut self, spec: &TcpSpec, sent: &Sent) {
        if self.ts_offset.is_some() {
            return;
        }
        let (Some(want), Some(got)) = (
            ts_of(spec.options.iter().flatten()),
            ts_of(sent.options.iter()),
        ) else {
            return;
        };
        self.ts_offset = Some(got.0.wrapping_sub(want.0));
    }

    /// Strict options: the same list, but a `TS val` within the timing
    /// tolerance in ticks of `--tcp_ts_tick_usecs` (unchecked without it);
    /// `ecr` exactly.
    fn strict_options_match(&self, want: &[OptionSpec], got: &[OptionSpec]) -> bool {
        let ticks = self.settings.ts_tick_usecs.map(|t| {
            let tol = self.settings.tolerance.total_micros();
            (tol / t.max(1)) as u32 + 1
        });
        want.len() == got.len()
            && want.iter().zip(got).all(|(w, g)| match (w, g) {
                (
                    OptionSpec::Timestamps { val: wv, ecr: we },
                    OptionSpec::Timestamps { val: gv, ecr: ge },
                ) => {
                    we == ge
                        && ticks.is_none_or(|t| {
                            let d = gv.wrapping_sub(*wv) as i32;
                            d.unsigned_abs() <= t
                        })
                }
                _ => w == g,
            })
    }

    /// Parses a frame the stack sent (checksums verified).
    fn decode(&self, at: Instant, frame: &[u8]) -> Result<Sent, String> {
        let eth = EthernetFrame::new_checked(frame).map_err(|e| e.to_string())?;
        let ip = Ipv4Packet::new_checked(eth.payload()).map_err(|e| e.to_string())?;
        let caps = ChecksumCapabilities::all();
        let ip_repr = Ipv4Repr::parse(&ip, &caps).map_err(|e| format!("IPv4: {e}"))?;
        let tcp = TcpPacket::new_checked(ip.payload()).map_err(|e| e.to_string())?;
        let repr = TcpRepr::parse(&tcp, &ip_repr.src_addr, &ip_repr.dst_addr, &caps)
            .map_err(|e| format!("TCP: {e}"))?;
        Ok(Sent {
            at,
            src_port: repr.src_port,
            dst_port: repr.dst_port,
            flags: repr.flags,
            seq: repr.seq_number.0,
            ack: repr.ack_number.0,
            win: repr.window_len,
            urg: repr.urgent_pointer,
            options: raw_options(tcp.options()),
            len: repr.payload.len() as u32,
        })
    }

    /// Turns wire numbers into the script's: our sequence numbers relative
    /// to our ISN, our acknowledgments (and SACK blocks) relative to the
    /// remote side's; in a SYN, the numbers the script writes absolute (our
    /// ISN as the script numbered it, the remote side's as it is).
    fn relative(&self, mut s: Sent) -> Sent {
        let syn = s.flags.contains(TcpFlags::SYN);
        let ours = self.local_isn.unwrap_or(0);
        let ours = if syn {
            ours.wrapping_sub(self.script_local_isn)
        } else {
            ours
        };
        let theirs = self.remote_isn.unwrap_or(0);
        let theirs = if syn { 0 } else { theirs };
        // A RST,ACK from sequence number zero (RFC 9293's <SEQ=0><ACK=
        // SEG.SEQ+SEG.LEN><CTL=RST,ACK>, for a segment without ACK) is no
        // sequence number of the connection: written `R. 0:0(0)`.
        let zero_rst = s.seq == 0 && s.flags.contains(TcpFlags::RST | TcpFlags::ACK);
        s.seq = if zero_rst {
            0
        } else {
            s.seq.wrapping_sub(ours)
        };
        s.ack = s.ack.wrapping_sub(theirs);
        let ts_offset = self.ts_offset.unwrap_or(0);
        for o in &mut s.options {
            match o {
                OptionSpec::Sack(blocks) => {
                    for (a, b) in blocks.iter_mut().flatten() {
                        *a = a.wrapping_sub(theirs);
                        *b = b.wrapping_sub(theirs);
                    }
                }
                OptionSpec::Timestamps { val, .. } => *val = val.wrapping_sub(ts_offset),
                _ => {}
            }
        }
        s
    }

    /// Sends the script's segment to the stack.
    fn inject(&mut self, spec: &TcpSpec) -> Result<(), Stop> {
        // A SYN's numbers are written absolute (packetdrill's
        // `remote_seq_script_to_live_offset`), every other segment's
        // relative to the ISNs. A SYN that opens a new connection gives the
        // remote side's ISN, and one without ACK also means ours is new.
        let syn = spec.flags.contains(TcpFlags::SYN);
        let offers_wscale = spec
            .options
            .iter()
            .flatten()
            .any(|o| matches!(o, OptionSpec::WindowScale(_)));
        // Whether the remote side scales: its SYN that opens a connection
        // or answers ours says so (a SYN into a connection that exists
        // changes nothing).
        if syn && spec.flags.contains(TcpFlags::ACK) {
            self.peer_wscale = offers_wscale;
        }
        if syn && (self.remote_isn.is_none() || !self.connection_is_open()) {
            self.peer_wscale = offers_wscale;
            self.remote_isn = Some(spec.seq);
            if !spec.flags.contains(TcpFlags::ACK) {
                self.local_isn = None;
            }
        }
        let seq = if syn {
            spec.seq
        } else {
            self.remote_isn.unwrap_or(0).wrapping_add(spec.seq)
        };
        let ours = self.local_isn.unwrap_or(0);
        let ack_base = if syn {
            ours.wrapping_sub(self.script_local_isn)
        } else {
            ours
        };
        let ack = spec.ack.map_or(0, |a| ack_base.wrapping_add(a));
        // An IPv4 datagram holds at most 65,535 bytes.
        if spec.len > 65_535 - 20 - 60 {
            return Err(Stop::Fail(format!(
                "  a segment of {} bytes does not fit an IPv4 datagram",
                spec.len
            )));
        }
        let mut raw = Vec::new();
        for o in spec.options.iter().flatten() {
            encode_option(o, ours, self.ts_offset.unwrap_or(0), &mut raw);
        }
        if raw.len() > crate::wire::tcp::MAX_OPTIONS_LEN {
            return Err(Stop::Fail("  more than 40 bytes of options".to_string()));
        }
        while raw.len() % 4 != 0 {
            raw.push(0);
        }
        let local_port = match self.local_port {
            Some(p) => p,
            None => {
                self.local_port = Some(self.settings.bind_port);
                self.settings.bind_port
            }
        };
        let payload = vec![0u8; spec.len as usize];
        let header = crate::wire::tcp::HEADER_LEN + raw.len();
        let mut tcp = vec![0u8; header + payload.len()];
        {
            let repr = TcpRepr {
                src_port: self.remote_port,
                dst_port: local_port,
                seq_number: SeqNumber(seq),
                ack_number: SeqNumber(ack),
                flags: spec.flags,
                window_len: spec.win.map_or(65535, |w| w.min(65535) as u16),
                urgent_pointer: spec.urg.unwrap_or(0),
                options: TcpOptions::new(),
                payload: &payload,
            };
            let mut p = TcpPacket::new_unchecked(&mut tcp[..]);
            repr.emit(
                &mut p,
                &self.settings.remote,
                &self.settings.local,
                &ChecksumCapabilities::ignored(),
            );
            p.set_header_len(header);
            p.options_mut().copy_from_slice(&raw);
            p.payload_mut().copy_from_slice(&payload);
            p.fill_checksum(&self.settings.remote, &self.settings.local);
        }
        self.queue_from_remote(IpProtocol::Tcp, &tcp);
        Ok(())
    }

    /// Whether the script's connection exists on our side, being opened,
    /// synchronized or in TIME-WAIT (a SYN then belongs to it and counts
    /// from its ISN; otherwise it opens a new one).
    fn connection_is_open(&self) -> bool {
        let remote = self.remote_port;
        // A connection whose TIME-WAIT is a record is still there.
        if self
            .stack
            .time_wait()
            .iter()
            .any(|r| r.remote().port() == remote)
        {
            return true;
        }
        self.sockets.iter().any(|(_, s)| match s {
            crate::socket::Socket::Tcp(t) => {
                t.remote_endpoint().port() == remote
                    && !matches!(t.state(), State::Closed | State::Listen)
            }
            // A handshake in a listener's SYN queue.
            crate::socket::Socket::TcpListener(l) => {
                l.half_open().any(|(_, peer)| peer.port() == remote)
            }
            _ => false,
        })
    }

    /// Queues an IPv4 datagram from the script's remote side.
    fn queue_from_remote(&mut self, protocol: IpProtocol, payload: &[u8]) {
        let ip = script_ip(
            self.settings.remote,
            self.settings.local,
            protocol,
            payload.len(),
        );
        let mut frame = vec![0u8; 14 + 20 + payload.len()];
        EthernetRepr {
            src_addr: PEER_MAC,
            dst_addr: OUR_MAC,
            ethertype: EtherType::Ipv4,
        }
        .emit(&mut EthernetFrame::new_unchecked(&mut frame[..]));
        let mut packet = Ipv4Packet::new_unchecked(frame.get_mut(14..).unwrap_or_default());
        ip.emit(&mut packet, &ChecksumCapabilities::all());
        packet.payload_mut().copy_from_slice(payload);
        self.dev.rx.push_back(frame);
    }

    /// Sends the script's ICMP error to the stack: the header (with the
    /// next-hop MTU of RFC 1191 for "fragmentation needed"), then the
    /// quoted datagram as RFC 792 has it, "the internet header plus the
    /// first 64 bits of the original datagram's data": our address to the
    /// remote side's, and the ports and sequence number of the segment the
    /// script names.
    fn inject_icmp(&mut self, spec: &IcmpSpec) {
        let (start, _, len) = spec.quoted;
        let seq = self.local_isn.unwrap_or(0).wrapping_add(start);
        let local_port = self.local_port.unwrap_or(self.settings.bind_port);
        let quoted_ip = script_ip(
            self.settings.local,
            self.settings.remote,
            IpProtocol::Tcp,
            crate::wire::tcp::HEADER_LEN + len as usize,
        );
        let mut quoted = [0u8; 20];
        quoted_ip.emit(
            &mut Ipv4Packet::new_unchecked(&mut quoted[..]),
            &ChecksumCapabilities::all(),
        );
        let mut icmp = Vec::with_capacity(8 + 20 + 8);
        icmp.extend_from_slice(&[spec.icmp_type, spec.code, 0, 0, 0, 0]);
        icmp.extend_from_slice(&spec.mtu.unwrap_or(0).to_be_bytes());
        icmp.extend_from_slice(&quoted);
        icmp.extend_from_slice(&local_port.to_be_bytes());
        icmp.extend_from_slice(&self.remote_port.to_be_bytes());
        icmp.extend_from_slice(&seq.to_be_bytes());
        let sum = crate::wire::checksum::finish(crate::wire::checksum::data(&icmp));
        if let Some(field) = icmp.get_mut(2..4) {
            field.copy_from_slice(&sum.to_be_bytes());
        }
        self.queue_from_remote(IpProtocol::Icmp, &icmp);
    }

    /// Every TCP socket's state, for a failure message.
    pub(crate) fn describe_tcp(&self) -> String {
        let mut out = String::new();
        for (h, s) in self.sockets.iter() {
            if let crate::socket::Socket::Tcp(t) = s {
                let _ = write!(
                    out,
                    "\n    {h} {} {} -> {}",
                    t.state(),
                    t.local_endpoint(),
                    t.remote_endpoint(),
                );
            }
            if let crate::socket::Socket::TcpListener(l) = s {
                let port = l.endpoint().map_or(0, |e| e.port);
                let _ = write!(out, "\n    {h} listener on port {port}");
                for (local, remote) in l.half_open() {
                    let _ = write!(out, "\n      SYN-RECEIVED {local} -> {remote} (SYN queue)");
                }
            }
        }
        if out.is_empty() {
            out.push_str(" no sockets");
        }
        out
    }

    fn show_spec(&self, spec: &TcpSpec) -> String {
        let mut s = format!(
            "{} {}:{}({})",
            flags_str(spec.flags),
            spec.seq,
            spec.seq_end,
            spec.len
        );
        if let Some(a) = spec.ack {
            let _ = write!(s, " ack {a}");
        }
        if let Some(w) = spec.win {
            let _ = write!(s, " win {w}");
        }
        if let Some(o) = &spec.options {
            let _ = write!(s, " {}", options_str(o));
        }
        s
    }

    fn show_sent(&self, g: &Sent) -> String {
        let mut s = format!(
            "{} {}:{}({})",
            flags_str(g.flags),
            g.seq,
            g.seq.wrapping_add(g.len),
            g.len
        );
        if g.flags.contains(TcpFlags::ACK) {
            let _ = write!(s, " ack {}", g.ack);
        }
        let _ = write!(s, " win {}", g.win);
        if !g.options.is_empty() {
            let _ = write!(s, " {}", options_str(&g.options));
        }
        let _ = write!(s, " (at {})", script_time(g.at));
        s
    }

    fn show_frame(&self, at: Instant, frame: &[u8]) -> String {
        match self.decode(at, frame) {
            Ok(s) => self.show_sent(&self.relative(s)),
            Err(e) => e,
        }
    }

    /// The TCP socket behind a handle.
    pub(crate) fn tcp(
        &mut self,
        h: crate::socket::SocketHandle,
    ) -> Option<&mut TcpSocket<'static>> {
        self.sockets.get_mut::<TcpSocket>(h)
    }
}

/// An instant as script time (seconds from the script's start).
pub(crate) fn script_time(t: Instant) -> String {
    format!("{:.6}", (t - T0).total_micros() as f64 / 1e6)
}

/// The options as packetdrill lists them, in wire order.
fn raw_options(mut raw: &[u8]) -> Vec<OptionSpec> {
    let mut out = Vec::new();
    while !raw.is_empty() {
        let Ok((rest, o)) = TcpOption::parse(raw) else {
            break;
        };
        out.push(match o {
            TcpOption::EndOfList => {
                out.push(OptionSpec::Eol);
                break;
            }
            TcpOption::NoOperation => OptionSpec::Nop,
            TcpOption::MaxSegmentSize(m) => OptionSpec::Mss(m),
            TcpOption::WindowScale(w) => OptionSpec::WindowScale(w),
            TcpOption::SackPermitted => OptionSpec::SackPermitted,
            TcpOption::SackRange(b) => OptionSpec::Sack(b),
            TcpOption::Timestamps { tsval, tsecr } => OptionSpec::Timestamps {
                val: tsval,
                ecr: tsecr,
            },
            TcpOption::Unknown { .. } => OptionSpec::Eol,
        });
        raw = rest;
    }
    out
}

/// The first timestamp option of a list.
fn ts_of<'o>(mut l: impl Iterator<Item = &'o OptionSpec>) -> Option<(u32, u32)> {
    l.find_map(|o| match *o {
        OptionSpec::Timestamps { val, ecr } => Some((val, ecr)),
        _ => None,
    })
}

/// Writes a script option as wire bytes; SACK blocks are relative to our
/// ISN, and a `TS ecr` echoes our clock (`ts_offset` from the script's).
fn encode_option(o: &OptionSpec, ours: u32, ts_offset: u32, out: &mut Vec<u8>) {
    let mut buf = [0u8; 40];
    let option = match *o {
        OptionSpec::Mss(m) => TcpOption::MaxSegmentSize(m),
        OptionSpec::Nop => TcpOption::NoOperation,
        OptionSpec::Eol => TcpOption::EndOfList,
        OptionSpec::WindowScale(w) => TcpOption::WindowScale(w),
        OptionSpec::SackPermitted => TcpOption::SackPermitted,
        OptionSpec::Sack(b) => TcpOption::SackRange(
            b.map(|x| x.map(|(l, r)| (ours.wrapping_add(l), ours.wrapping_add(r)))),
        ),
        OptionSpec::Timestamps { val, ecr } => TcpOption::Timestamps {
            tsval: val,
            tsecr: if ecr == 0 {
                0
            } else {
                ecr.wrapping_add(ts_offset)
            },
        },
    };
    let n = option.buffer_len();
    option.emit(&mut buf);
    out.extend_from_slice(buf.get(..n).unwrap_or(&[]));
}

fn portable_options_match(want: &[OptionSpec], got: &[OptionSpec]) -> bool {
    let kinds = |l: &[OptionSpec]| {
        let mut k: Vec<u8> = l
            .iter()
            .filter_map(|o| match o {
                OptionSpec::Nop | OptionSpec::Eol => None,
                OptionSpec::Mss(_) => Some(2),
                OptionSpec::WindowScale(_) => Some(3),
                OptionSpec::SackPermitted => Some(4),
                OptionSpec::Sack(_) => Some(5),
                OptionSpec::Timestamps { .. } => Some(8),
            })
            .collect();
        k.sort_unstable();
        k
    };
    let mss = |l: &[OptionSpec]| {
        l.iter().find_map(|o| match o {
            OptionSpec::Mss(m) => Some(*m),
            _ => None,
        })
    };
    kinds(want) == kinds(got) && mss(want) == mss(got)
}

fn flags_str(f: TcpFlags) -> String {
    let mut s = String::new();
    for (flag, c) in [
        (TcpFlags::FIN, 'F'),
        (TcpFlags::SYN, 'S'),
        (TcpFlags::RST, 'R'),
        (TcpFlags::PSH, 'P'),
        (TcpFlags::ACK, '.'),
        (TcpFlags::URG, 'U'),
        (TcpFlags::ECE, 'E'),
        (TcpFlags::CWR, 'W'),
    ] {
        if f.contains(flag) {
            s.push(c);
        }
    }
    s
}

fn options_str(opts: &[OptionSpec]) -> String {
    let items: Vec<String> = opts
        .iter()
        .map(|o| match *o {
            OptionSpec::Mss(m) => format!("mss {m}"),
            OptionSpec::Nop => "nop".to_string(),
            OptionSpec::Eol => "eol".to_string(),
            OptionSpec::WindowScale(w) => format!("wscale {w}"),
            OptionSpec::SackPermitted => "sackOK".to_string(),
            OptionSpec::Sack(b) => {
                let blocks: Vec<String> = b
                    .iter()
                    .flatten()
                    .map(|(l, r)| format!("{l}:{r}"))
                    .collect();
                format!("sack {}", blocks.join(" "))
            }
            OptionSpec::Timestamps { val, ecr } => format!("TS val {val} ecr {ecr}"),
        })
        .collect();
    format!("<{}>", items.join(","))
}

#[cfg(test)]
mod needs_tests {
    use super::missing_feature;

    #[test]
    fn needs_names_the_leading_feature_words_only() {
        let on = cfg!(feature = "tcp-rack");
        let script = "// RFC 8985\n// needs: tcp-rack, for the probe\n0 socket";
        assert_eq!(missing_feature(script), (!on).then_some("tcp-rack"));
        // A misspelt name ends the list: the script runs (and fails where
        // the feature is missing) instead of being skipped everywhere.
        assert_eq!(missing_feature("// needs: tcp-cubc tcp-rack\n"), None);
        assert_eq!(missing_feature("// nothing needed\n"), None);
    }
}
