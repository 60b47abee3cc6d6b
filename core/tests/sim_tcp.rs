//! TCP between simulated stacks: transfers under loss, duplication,
//! reordering, corruption and delay; every byte once, in order; clean
//! closes; failing seeds print themselves for replay.

mod common;

use common::*;
use microps_core::phy::FaultConfig;
use microps_core::sim::{LinkConfig, Network, NodeId};
use microps_core::socket::SocketHandle;
use microps_core::socket::tcp::{RecvError, SocketBuffer, State, TcpError, TcpSocket};
use microps_core::time::Duration;

fn tcp_socket(net: &mut Network, node: NodeId, buf: usize) -> SocketHandle {
    let s = TcpSocket::new(
        SocketBuffer::new(vec![0u8; buf]),
        SocketBuffer::new(vec![0u8; buf]),
    );
    net.node_mut(node).sockets.add(s).unwrap()
}

fn tcp(net: &mut Network, node: NodeId, h: SocketHandle) -> &mut TcpSocket<'static> {
    net.node_mut(node).sockets.get_mut::<TcpSocket>(h).unwrap()
}

/// The byte at position `i` of a test stream.
fn stream_byte(stream: u64, i: usize) -> u8 {
    let x = (i as u64)
        .wrapping_add(stream.wrapping_mul(0x9e37_79b9))
        .wrapping_mul(0x2545_f491_4f6c_dd1d);
    (x >> 56) as u8
}

/// One direction of a transfer.
#[derive(Debug, Default)]
struct Pipe {
    total: usize,
    sent: usize,
    received: usize,
    closed_sent: bool,
    eof: bool,
    wrong: Option<usize>,
}

/// Sends and receives what it can on one socket.
fn pump(
    sock: &mut TcpSocket<'static>,
    out: &mut Pipe,
    inn: &mut Pipe,
    out_stream: u64,
    in_stream: u64,
) {
    if sock.may_send() && out.sent < out.total {
        let start = out.sent;
        let n = sock
            .send(|buf| {
                let n = buf.len().min(out.total - start);
                for (k, b) in buf[..n].iter_mut().enumerate() {
                    *b = stream_byte(out_stream, start + k);
                }
                (n, n)
            })
            .unwrap_or(0);
        out.sent += n;
    }
    if out.sent == out.total && !out.closed_sent && sock.may_send() {
        sock.close();
        out.closed_sent = true;
    }
    loop {
        let start = inn.received;
        match sock.recv(|buf| {
            for (k, b) in buf.iter().enumerate() {
                if *b != stream_byte(in_stream, start + k) && inn.wrong.is_none() {
                    inn.wrong = Some(start + k);
                }
            }
            (buf.len(), buf.len())
        }) {
            Ok(0) => break,
            Ok(n) => inn.received += n,
            Err(RecvError::Finished) => {
                inn.eof = true;
                break;
            }
            Err(_) => break,
        }
    }
}

#[derive(Debug)]
enum Outcome {
    /// Everything delivered once, in order, both sides closed.
    Complete,
    /// A side gave up with this error (allowed at high loss).
    Aborted(TcpError),
}

/// A listening on B:7000 and A connecting to it; returns (client, server).
fn open_connection(net: &mut Network, a: NodeId, b: NodeId) -> (SocketHandle, SocketHandle) {
    let server = tcp_socket(net, b, 64 * 1024);
    let client = tcp_socket(net, a, 64 * 1024);
    net.node_mut(b).sockets.tcp_listen(server, 7000).unwrap();
    let now = net.now();
    let n = net.node_mut(a);
    n.stack
        .tcp_connect(now, &mut n.sockets, client, ep(B, 7000), 0)
        .unwrap();
    (client, server)
}

/// Moves `ab` bytes from A to B and `ba` back over a link with `faults`.
fn transfer(
    seed: u64,
    faults: FaultConfig,
    ab: usize,
    ba: usize,
    limit: Duration,
) -> Result<(Outcome, Network), String> {
    let (mut net, a, b, _da, _db) = pair(
        seed,
        LinkConfig::default()
            .with_latency(Duration::from_millis(5))
            .with_faults(faults),
    );
    let (client, server) = open_connection(&mut net, a, b);
    let mut a_out = Pipe {
        total: ab,
        ..Default::default()
    };
    let mut b_out = Pipe {
        total: ba,
        ..Default::default()
    };
    let mut a_in = Pipe::default();
    let mut b_in = Pipe::default();
    let mut aborted = None;
    let r = net.run_until(limit, |net| {
        pump(tcp(net, a, client), &mut a_out, &mut a_in, 1, 2);
        pump(tcp(net, b, server), &mut b_out, &mut b_in, 2, 1);
        for (node, h) in [(a, client), (b, server)] {
            if let Some(e) = tcp(net, node, h).error() {
                aborted = Some(e);
                return true;
            }
        }
        let a_state = tcp(net, a, client).state();
        let b_state = tcp(net, b, server).state();
        a_in.eof
            && b_in.eof
            && a_out.closed_sent
            && b_out.closed_sent
            && matches!(a_state, State::Closed | State::TimeWait)
            && matches!(b_state, State::Closed | State::TimeWait)
    });
    for (name, pipe) in [("A->B", &b_in), ("B->A", &a_in)] {
        if let Some(at) = pipe.wrong {
            return Err(format!(
                "seed {seed}: {name} delivered a wrong byte at {at}"
            ));
        }
    }
    if let Some(e) = aborted {
        if std::env::var("TCP_DEBUG").is_ok() {
            eprintln!(
                "seed {seed} aborted at {}: A->B {}/{} B->A {}/{}",
                net.now(),
                b_in.received,
                ab,
                a_in.received,
                ba
            );
            eprintln!("client: {:#?}", tcp(&mut net, a, client));
            eprintln!("server: {:#?}", tcp(&mut net, b, server));
        }
        return Ok((Outcome::Aborted(e), net));
    }
    if let Err(e) = r {
        return Err(format!(
            "seed {seed}: {e}; A->B {}/{} B->A {}/{}; states {:?} {:?}",
            b_in.received,
            ab,
            a_in.received,
            ba,
            tcp(&mut net, a, client).state(),
            tcp(&mut net, b, server).state()
        ));
    }
    if std::env::var("TCP_DEBUG").is_ok() {
        eprintln!(
            "seed {seed}: {ab}+{ba} bytes done at {} in {} steps; A sent {} segments, B {}; faults {:?}",
            net.now(),
            net.steps(),
            net.node(a).stack.stats().tcp.tx_segments,
            net.node(b).stack.stats().tcp.tx_segments,
            net.fault_stats()
        );
    }
    if b_in.received != ab || a_in.received != ba {
        return Err(format!(
            "seed {seed}: byte counts {} {}",
            b_in.received, a_in.received
        ));
    }
    Ok((Outcome::Complete, net))
}

#[test]
fn handshake_transfer_and_close_on_a_clean_link() {
    let (outcome, net) = transfer(
        1,
        FaultConfig::none(),
        300_000,
        200_000,
        Duration::from_secs(60),
    )
    .unwrap();
    assert!(matches!(outcome, Outcome::Complete), "{outcome:?}");
    let _ = net;
}

/// A random fault mix with loss up to `max_loss_ppm`.
fn random_faults(rng: &mut microps_core::rand::Rng, max_loss_ppm: u32) -> FaultConfig {
    FaultConfig::none()
        .with_drop(rng.below(max_loss_ppm + 1))
        .with_duplicate(rng.below(50_001))
        .with_reorder(rng.below(50_001))
        .with_corrupt(rng.below(20_001))
        .with_delay(
            rng.below(50_001),
            Duration::from_millis(rng.below(30) as u64 + 1),
        )
}

#[test]
fn every_byte_once_in_order_up_to_10_percent_loss() {
    let seeds: u64 = std::env::var("TCP_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    let only: Option<u64> = std::env::var("TCP_SEED").ok().and_then(|s| s.parse().ok());
    for seed in (0..seeds).filter(|s| only.is_none_or(|o| o == *s)) {
        let mut rng = microps_core::rand::Rng::new(seed ^ 0xabcd);
        let faults = random_faults(&mut rng, 100_000);
        let ab = rng.below(3 << 20) as usize;
        let ba = rng.below(1 << 20) as usize;
        match transfer(seed, faults, ab, ba, Duration::from_secs(3600)) {
            Ok((Outcome::Complete, net)) => {
                let _ = net;
            }
            Ok((Outcome::Aborted(e), _)) => {
                panic!("seed {seed}: aborted with {e} at {faults:?} (replay: TCP_SEED={seed})")
            }
            Err(e) => panic!("{e} with {faults:?}"),
        }
    }
}

#[test]
fn up_to_30_percent_loss_completes_or_aborts_cleanly() {
    for seed in 100..112u64 {
        let mut rng = microps_core::rand::Rng::new(seed);
        let faults = random_faults(&mut rng, 300_000);
        let ab = rng.below(1 << 20) as usize;
        let ba = rng.below(256 << 10) as usize;
        match transfer(seed, faults, ab, ba, Duration::from_secs(4 * 3600)) {
            Ok((Outcome::Complete, _)) => {}
            Ok((Outcome::Aborted(TcpError::TimedOut), _)) => {}
            Ok((Outcome::Aborted(e), _)) => {
                panic!("seed {seed}: aborted with {e}, not the retry limit")
            }
            Err(e) => panic!("{e} with {faults:?}"),
        }
    }
}

#[test]
fn a_transfer_finishes_soon_after_the_faults_stop() {
    for seed in 200..206u64 {
        let faults = FaultConfig::none().with_drop(250_000).with_reorder(100_000);
        let (mut net, a, b, _da, _db) = pair(
            seed,
            LinkConfig::default()
                .with_latency(Duration::from_millis(5))
                .with_faults(faults),
        );
        let (client, server) = open_connection(&mut net, a, b);
        let mut out = Pipe {
            total: 1 << 20,
            ..Default::default()
        };
        let mut back = Pipe::default();
        let mut got = Pipe::default();
        let mut none = Pipe::default();
        // Ten seconds of heavy faults, then a clean link.
        let _ = net.run_until(Duration::from_secs(10), |net| {
            pump(tcp(net, a, client), &mut out, &mut back, 1, 2);
            pump(tcp(net, b, server), &mut none, &mut got, 2, 1);
            false
        });
        assert!(
            tcp(&mut net, a, client).error().is_none(),
            "seed {seed}: gave up during the faults"
        );
        net.heal();
        let healed_at = net.now();
        net.run_until(Duration::from_secs(200), |net| {
            pump(tcp(net, a, client), &mut out, &mut back, 1, 2);
            pump(tcp(net, b, server), &mut none, &mut got, 2, 1);
            got.eof
        })
        .unwrap_or_else(|e| {
            panic!(
                "seed {seed}: stalled after healing: {e}; got {}",
                got.received
            )
        });
        assert_eq!(got.received, 1 << 20);
        assert!(got.wrong.is_none());
        // Bounded by the backed-off RTO (at most 60 s) plus the transfer.
        assert!(
            net.now() - healed_at < Duration::from_secs(120),
            "seed {seed}: took {}",
            net.now() - healed_at
        );
    }
}
