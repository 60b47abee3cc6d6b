//! The TCP second pass's simulator matrix: the situations in which the
//! first pass stalled, spun or timed out, each over many seeds. In every
//! run every byte arrives once and in order, both ends close, and the
//! simulator's own checks hold throughout (no node is due "now" after a
//! poll that did nothing; no more than a thousand wake-ups without a frame
//! in a simulated minute).
//!
//! (a) buffers smaller than one MSS with up to 5% loss; (b) MTU 576, a
//! reader taking 100 bytes every 50 ms, keep-alive every second; (c) the
//! RTT stepping from 10 ms to 500 ms and back mid-transfer, counting
//! retransmission timeouts; (d) a peer that keeps its window at 0 for 30 s
//! while we close; (e) both initial sequence numbers within 16 bytes of
//! 2^32.
//!
//! `TCP_MATRIX_SEEDS=N` runs N seeds per row (20 by default; CI runs 200 in
//! a release build); `TCP_SEED=N` replays one seed.

mod common;

use common::tcp::*;
use common::*;
use microps_core::iface::{DeviceId, StackConfig};
use microps_core::phy::FaultConfig;
use microps_core::rand::Rng;
use microps_core::sim::{LinkConfig, Network, NodeId};
use microps_core::socket::SocketHandle;
use microps_core::socket::tcp::{State, TcpError};
use microps_core::time::{Duration, Instant};
use microps_core::wire::EthernetAddress;

/// One connection between two simulated stacks and its two byte streams.
struct Conn {
    net: Network,
    a: NodeId,
    b: NodeId,
    da: DeviceId,
    db: DeviceId,
    client: SocketHandle,
    server: SocketHandle,
    a_out: Pipe,
    a_in: Pipe,
    b_out: Pipe,
    b_in: Pipe,
}

impl Conn {
    /// A listening on B:7000 (buffers `buf_b`) and A (buffers `buf_a`) not
    /// yet connected; `ab` bytes to go from A to B, `ba` back.
    fn new(seed: u64, link: LinkConfig, bufs: (usize, usize), ab: usize, ba: usize) -> Conn {
        let (mut net, a, b, da, db) = pair_with(seed, link, StackConfig::default());
        let server = tcp_socket(&mut net, b, bufs.1);
        let client = tcp_socket(&mut net, a, bufs.0);
        net.node_mut(b).sockets.tcp_listen(server, 7000).unwrap();
        Conn {
            net,
            a,
            b,
            da,
            db,
            client,
            server,
            a_out: Pipe {
                total: ab,
                ..Default::default()
            },
            a_in: Pipe::default(),
            b_out: Pipe {
                total: ba,
                ..Default::default()
            },
            b_in: Pipe::default(),
        }
    }

    /// Connects A to B from `port` (0: ephemeral) now.
    fn connect(&mut self, port: u16) {
        let now = self.net.now();
        let n = self.net.node_mut(self.a);
        n.stack
            .tcp_connect(now, &mut n.sockets, self.client, ep(B, 7000), port)
            .unwrap();
    }

    /// Both applications send what they can; B reads at most `b_read`.
    fn pump(&mut self, b_read: usize) {
        let (a, b, c, s) = (self.a, self.b, self.client, self.server);
        pump(
            tcp(&mut self.net, a, c),
            &mut self.a_out,
            &mut self.a_in,
            1,
            2,
        );
        let sock = tcp(&mut self.net, b, s);
        pump_reading(sock, &mut self.b_out, &mut self.b_in, 2, 1, b_read);
    }

    fn error(&mut self) -> Option<TcpError> {
        let (a, b, c, s) = (self.a, self.b, self.client, self.server);
        tcp(&mut self.net, a, c)
            .error()
            .or(tcp(&mut self.net, b, s).error())
    }

    fn done(&mut self) -> bool {
        let (a, b, c, s) = (self.a, self.b, self.client, self.server);
        let closed = |st: State| matches!(st, State::Closed | State::TimeWait);
        self.a_in.eof
            && self.b_in.eof
            && self.a_out.closed_sent
            && self.b_out.closed_sent
            && closed(tcp(&mut self.net, a, c).state())
            && closed(tcp(&mut self.net, b, s).state())
    }

    /// Runs, the applications acting at every event, until done; an
    /// error, a stall or the limit is a failure.
    fn run(&mut self, limit: Duration) -> Result<(), String> {
        self.run_reading(limit, usize::MAX)
    }

    /// [`Conn::run`], B reading at most `b_read` bytes at each event.
    fn run_reading(&mut self, limit: Duration, b_read: usize) -> Result<(), String> {
        let mut failed = None;
        let r = {
            let this = &mut *self;
            let (a, b, c, s) = (this.a, this.b, this.client, this.server);
            let (a_out, a_in, b_out, b_in) = (
                &mut this.a_out,
                &mut this.a_in,
                &mut this.b_out,
                &mut this.b_in,
            );
            this.net.run_until(limit, |net| {
                pump(tcp(net, a, c), a_out, a_in, 1, 2);
                pump_reading(tcp(net, b, s), b_out, b_in, 2, 1, b_read);
                let closed = |st: State| matches!(st, State::Closed | State::TimeWait);
                if let Some(e) = tcp(net, a, c).error().or(tcp(net, b, s).error()) {
                    failed = Some(e);
                    return true;
                }
                a_in.eof
                    && b_in.eof
                    && a_out.closed_sent
                    && b_out.closed_sent
                    && closed(tcp(net, a, c).state())
                    && closed(tcp(net, b, s).state())
            })
        };
        if let Some(e) = failed {
            if std::env::var("TCP_DEBUG").is_ok() {
                let (a, b, c, s) = (self.a, self.b, self.client, self.server);
                eprintln!("client: {:#?}", tcp(&mut self.net, a, c));
                eprintln!("server: {:#?}", tcp(&mut self.net, b, s));
                eprintln!("stats A: {}", self.net.node(a).stack.stats());
                eprintln!("stats B: {}", self.net.node(b).stack.stats());
                eprintln!("faults: {:?}", self.net.fault_stats());
            }
            return Err(format!("aborted: {e}; {}", self.progress()));
        }
        r.map_err(|e| format!("{e}; {}", self.progress()))
    }

    fn progress(&mut self) -> String {
        let (a, b, c, s) = (self.a, self.b, self.client, self.server);
        format!(
            "A->B {}/{} B->A {}/{}, states {} {}",
            self.b_in.received,
            self.a_out.total,
            self.a_in.received,
            self.b_out.total,
            tcp(&mut self.net, a, c).state(),
            tcp(&mut self.net, b, s).state()
        )
    }

    /// Every byte once and in order, both ways.
    fn check(&mut self) -> Result<(), String> {
        for (name, pipe, total) in [
            ("A->B", &self.b_in, self.a_out.total),
            ("B->A", &self.a_in, self.b_out.total),
        ] {
            if let Some(at) = pipe.wrong {
                return Err(format!("{name}: wrong byte at {at}"));
            }
            if pipe.received != total {
                return Err(format!("{name}: {} of {total} bytes", pipe.received));
            }
        }
        Ok(())
    }
}

/// Runs `row` for each seed; panics with every failing seed.
fn matrix(name: &str, base: u64, row: impl Fn(u64) -> Result<(), String>) {
    let seeds: u64 = std::env::var("TCP_MATRIX_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let only: Option<u64> = std::env::var("TCP_SEED").ok().and_then(|s| s.parse().ok());
    let mut failures = Vec::new();
    for seed in (base..base + seeds).filter(|s| only.is_none_or(|o| o == *s)) {
        if let Err(e) = row(seed) {
            failures.push(format!("seed {seed}: {e} (replay: TCP_SEED={seed})"));
        }
    }
    assert!(
        failures.is_empty(),
        "{name}: {} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Loss up to `max_loss_ppm`, with some duplication and reordering.
fn faults(rng: &mut Rng, max_loss_ppm: u32) -> FaultConfig {
    FaultConfig::none()
        .with_drop(rng.below(max_loss_ppm + 1))
        .with_duplicate(rng.below(20_001))
        .with_reorder(rng.below(20_001))
}

#[test]
fn a_buffers_smaller_than_one_mss_with_up_to_5_percent_loss() {
    matrix("(a) 1000-byte buffers, <= 5% loss", 1000, |seed| {
        let mut rng = Rng::new(seed);
        let link = LinkConfig::default()
            .with_latency(Duration::from_millis(5))
            .with_faults(faults(&mut rng, 50_000));
        let ab = 16_384 + rng.below(49_152) as usize;
        let ba = rng.below(16_384) as usize;
        let mut c = Conn::new(seed, link, (1000, 1000), ab, ba);
        c.connect(0);
        // A reader a little slower than the network: B's window often
        // reopens by less than half its size, and sender SWS avoidance
        // waits for the next update, which may be lost.
        c.run_reading(Duration::from_secs(4 * 3600), 300)?;
        c.check()
    });
}

#[test]
fn b_mtu_576_a_slow_reader_and_keep_alive() {
    matrix(
        "(b) MTU 576, 100 bytes / 50 ms, keep-alive 1 s",
        2000,
        |seed| {
            let mut rng = Rng::new(seed);
            let link = LinkConfig::default()
                .with_mtu(576)
                .with_latency(Duration::from_millis(2))
                .with_faults(faults(&mut rng, 10_000));
            let ab = 8192 + rng.below(8192) as usize;
            let ba = rng.below(2048) as usize;
            let mut c = Conn::new(seed, link, (4096, 2000), ab, ba);
            for (node, h) in [(c.a, c.client), (c.b, c.server)] {
                let s = tcp(&mut c.net, node, h);
                s.set_keep_alive(Some(Duration::from_secs(1)));
                s.set_keep_alive_interval(Some(Duration::from_secs(1)));
            }
            c.connect(0);
            let deadline = c.net.now() + Duration::from_secs(3600);
            while !c.done() {
                if let Some(e) = c.error() {
                    return Err(format!("aborted: {e}; {}", c.progress()));
                }
                if c.net.now() > deadline {
                    return Err(format!("not done in an hour; {}", c.progress()));
                }
                c.net.run_for(Duration::from_millis(50));
                c.pump(100);
            }
            // TIME-WAIT then passes with keep-alive on, quietly.
            c.net.run_for(Duration::from_secs(70));
            for (node, h) in [(c.a, c.client), (c.b, c.server)] {
                let st = tcp(&mut c.net, node, h).state();
                if st != State::Closed {
                    return Err(format!("{st} 70 s after the close"));
                }
            }
            c.check()
        },
    );
}

#[test]
fn c_rtt_steps_from_10_ms_to_500_ms_and_back() {
    matrix("(c) RTT 10 ms -> 500 ms -> 10 ms", 3000, |seed| {
        let mut rng = Rng::new(seed);
        let ab = (1 << 20) + rng.below(1 << 19) as usize;
        let link = LinkConfig::default().with_latency(Duration::from_millis(5));
        let mut c = Conn::new(seed, link, (64 * 1024, 64 * 1024), ab, 0);
        c.connect(0);
        let up_at = 192 * 1024 + rng.below(128 * 1024) as usize;
        let down_at = up_at + 256 * 1024;
        let timeouts = |c: &Conn| {
            c.net
                .node(c.a)
                .stack
                .stats()
                .tcp
                .retransmission_timeouts
                .get()
        };
        // The handshake: no timeout, or one without the pending queue (the
        // first SYN is lost while ARP resolves).
        run_until_received(&mut c, 1)?;
        let handshake = timeouts(&c);
        let lost_syns = u64::from(!cfg!(feature = "pending-queue"));
        if handshake != lost_syns {
            return Err(format!("{handshake} timeouts in the handshake"));
        }
        // Phase 0 at 10 ms.
        run_until_received(&mut c, up_at)?;
        let before_up = timeouts(&c);
        if before_up != handshake {
            return Err(format!(
                "{} timeouts at a steady 10 ms",
                before_up - handshake
            ));
        }
        let rto_at_step = tcp(&mut c.net, c.a, c.client).rto();
        let srtt_at_step = tcp(&mut c.net, c.a, c.client).srtt();
        set_latency(&mut c, Duration::from_millis(250));
        // Phase 1 at 500 ms: the timeouts until the first valid sample, then
        // none.
        let mut after_sample = None;
        while c.b_in.received < down_at {
            step(&mut c)?;
            let srtt = tcp(&mut c.net, c.a, c.client).srtt();
            if after_sample.is_none() && srtt != srtt_at_step {
                after_sample = Some(timeouts(&c));
            }
        }
        let up = timeouts(&c) - before_up;
        let bound = (500.0 / rto_at_step.total_millis() as f64).log2().ceil() as u64;
        if up > bound {
            return Err(format!("{up} timeouts on the step up (bound {bound})"));
        }
        let at_sample = after_sample.ok_or("no RTT sample at 500 ms")?;
        if timeouts(&c) != at_sample {
            return Err(format!(
                "{} timeouts after a valid sample",
                timeouts(&c) - at_sample
            ));
        }
        // Phase 2, back at 10 ms: none.
        let before_down = timeouts(&c);
        set_latency(&mut c, Duration::from_millis(5));
        c.run(Duration::from_secs(3600))?;
        if timeouts(&c) != before_down {
            return Err(format!(
                "{} timeouts on the step down",
                timeouts(&c) - before_down
            ));
        }
        c.check()
    });
}

fn set_latency(c: &mut Conn, latency: Duration) {
    c.net.set_tx_latency(c.a, c.da, latency);
    c.net.set_tx_latency(c.b, c.db, latency);
}

/// One simulator step with both applications acting.
fn step(c: &mut Conn) -> Result<(), String> {
    c.pump(usize::MAX);
    if let Some(e) = c.error() {
        return Err(format!("aborted: {e}; {}", c.progress()));
    }
    if !c.net.step() {
        return Err(format!("stalled at {}; {}", c.net.now(), c.progress()));
    }
    Ok(())
}

fn run_until_received(c: &mut Conn, bytes: usize) -> Result<(), String> {
    while c.b_in.received < bytes {
        step(c)?;
    }
    Ok(())
}

#[test]
fn d_a_peer_holds_its_window_at_zero_for_30_s_while_we_close() {
    matrix("(d) zero window for 30 s during our close", 4000, |seed| {
        let mut rng = Rng::new(seed);
        let link = LinkConfig::default()
            .with_latency(Duration::from_millis(5))
            .with_faults(faults(&mut rng, 10_000));
        let ab = 24_576 + rng.below(16_384) as usize;
        let mut c = Conn::new(seed, link, (64 * 1024, 8192), ab, 1000);
        c.connect(0);
        // B reads nothing for 30 s: its window closes with A's data and
        // FIN still queued.
        let until = c.net.now() + Duration::from_secs(30);
        while c.net.now() < until {
            c.pump(0);
            if let Some(e) = c.error() {
                return Err(format!("aborted while the window was closed: {e}"));
            }
            c.net.run_for(Duration::from_millis(100));
        }
        if c.b_in.received != 0 || !c.a_out.closed_sent {
            return Err(format!("not as planned: {}", c.progress()));
        }
        c.run(Duration::from_secs(3600))?;
        c.check()
    });
}

#[test]
fn e_both_initial_sequence_numbers_within_16_bytes_of_2_pow_32() {
    matrix("(e) ISNs near 2^32", 5000, |seed| {
        let mut rng = Rng::new(seed);
        let latency = Duration::from_millis(5);
        let link = LinkConfig::default()
            .with_latency(latency)
            .with_faults(faults(&mut rng, 20_000));
        let ab = rng.below(200_000) as usize;
        let ba = rng.below(200_000) as usize;
        let mut c = Conn::new(seed, link, (64 * 1024, 64 * 1024), ab, ba);
        // Static neighbours: the SYN leaves at once, no ARP in the way.
        let (mac_a, mac_b) = (
            EthernetAddress([2, 0, 0, 0, 0, 0]),
            EthernetAddress([2, 0, 0, 0, 1, 0]),
        );
        c.net
            .node_mut(c.a)
            .stack
            .add_static_neighbor(B, mac_b, c.da)
            .unwrap();
        c.net
            .node_mut(c.b)
            .stack
            .add_static_neighbor(A, mac_a, c.db)
            .unwrap();
        let plan = plan_isns(&c, rng.below(16) as u16, latency)?;
        // Time A's SYN so that it reaches B when B's ISN is near the wrap
        // too: a longer A-to-B latency for the handshake, then the usual.
        c.net
            .run_for(plan.connect_at.saturating_duration_since(c.net.now()));
        c.net.set_tx_latency(c.a, c.da, plan.syn_latency);
        c.connect(plan.port);
        c.net
            .run_until(Duration::from_secs(300), |net| {
                tcp(net, c.a, c.client).state() == State::Established
            })
            .map_err(|e| format!("handshake: {e}"))?;
        c.net.set_tx_latency(c.a, c.da, latency);
        let (iss, irs) = (plan.isn_a, plan.isn_b);
        for (name, isn) in [("A", iss), ("B", irs)] {
            if isn.wrapping_add(16) >= 16 {
                return Err(format!("{name}'s ISN {isn} is not within 16 of 2^32"));
            }
        }
        c.run(Duration::from_secs(4 * 3600))?;
        c.check()
    });
}

/// When A connects, from which port, with what A-to-B latency, so that
/// both ISNs (RFC 6528: a 4 us clock plus a keyed hash of the 4-tuple,
/// computed as each stack does) fall in the last 16 before 2^32.
struct IsnPlan {
    port: u16,
    connect_at: Instant,
    syn_latency: Duration,
    isn_a: u32,
    isn_b: u32,
}

fn plan_isns(c: &Conn, skew: u16, base_latency: Duration) -> Result<IsnPlan, String> {
    const PERIOD_US: i64 = 1 << 34; // the 4 us clock wraps the ISN after 2^34 us
    let target = u32::MAX - 12 + u32::from(skew % 8); // within 16 of 2^32
    let now = c.net.now();
    let isn_at = |node: NodeId, local, remote, t: Instant| {
        c.net
            .node(node)
            .stack
            .initial_sequence_number(local, remote, t)
            .0
    };
    // The time (mod 2^34 us, on or after `from`) at which a node's ISN for
    // this 4-tuple is `target`.
    let when = |node: NodeId, local, remote, from: Instant| {
        let f = isn_at(node, local, remote, Instant::ZERO);
        let m = target.wrapping_sub(f) as i64 * 4;
        let from = from.total_micros();
        let t = from + (m - from).rem_euclid(PERIOD_US);
        Instant::from_micros(t)
    };
    for port in 40_000..65_535u16 {
        let a_end = ep(A, port);
        let b_end = ep(B, 7000);
        let ta = when(c.a, a_end, b_end, now + Duration::from_secs(1));
        let tb = when(c.b, b_end, a_end, ta);
        let latency = tb.saturating_duration_since(ta);
        if latency >= base_latency && latency <= Duration::from_secs(120) {
            return Ok(IsnPlan {
                port,
                connect_at: ta,
                syn_latency: latency,
                isn_a: isn_at(c.a, a_end, b_end, ta),
                isn_b: isn_at(c.b, b_end, a_end, tb),
            });
        }
    }
    Err("no port gives both ISNs near 2^32".into())
}
