//! The sockets' schedule (`socket/schedule.rs`) between simulated stacks:
//! a poll visits the sockets that were touched or are due, not every open
//! one, and timers still fire on time.

mod common;

use common::tcp::*;
use common::*;
use microps_core::sim::{LinkConfig, Network, NodeId};
use microps_core::socket::SocketHandle;
use microps_core::socket::tcp::State;
use microps_core::time::Duration;

/// `n` connections from A to B:7000, established; returns (client, server)
/// pairs, each server the client's peer.
fn open_many(
    net: &mut Network,
    a: NodeId,
    b: NodeId,
    n: usize,
) -> Vec<(SocketHandle, SocketHandle)> {
    let mut pairs = Vec::new();
    for _ in 0..n {
        let server = tcp_socket(net, b, 2048);
        net.node_mut(b).sockets.tcp_listen(server, 7000).unwrap();
        let client = tcp_socket(net, a, 2048);
        let now = net.now();
        let node = net.node_mut(a);
        node.stack
            .tcp_connect(now, &mut node.sockets, client, ep(B, 7000), 0)
            .unwrap();
        pairs.push((client, server));
    }
    net.run_until(Duration::from_secs(5), |net| {
        pairs.iter().all(|&(c, s)| {
            net.node(a)
                .sockets
                .get::<microps_core::socket::TcpSocket>(c)
                .unwrap()
                .state()
                == State::Established
                && net
                    .node(b)
                    .sockets
                    .get::<microps_core::socket::TcpSocket>(s)
                    .unwrap()
                    .state()
                    == State::Established
        })
    })
    .unwrap();
    let servers: Vec<SocketHandle> = pairs.iter().map(|p| p.1).collect();
    pairs
        .iter()
        .map(|&(c, _)| {
            let local = tcp(net, a, c).local_endpoint();
            let s = servers
                .iter()
                .copied()
                .find(|&s| tcp(net, b, s).remote_endpoint() == local)
                .unwrap();
            (c, s)
        })
        .collect()
}

#[test]
fn idle_connections_cost_polls_nothing() {
    let (mut net, a, b, da, db) = pair(
        1,
        LinkConfig::default().with_latency(Duration::from_millis(1)),
    );
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let idle = open_many(&mut net, a, b, 6);
    // Delayed ACKs and the last handshake timers settle.
    net.run_for(Duration::from_secs(1));
    let visits = (net.node(a).sockets.visits(), net.node(b).sockets.visits());
    // A minute of idle connections (no keep-alive): no poll visits them,
    // and nothing wakes the stacks.
    let steps = net.steps();
    net.run_for(Duration::from_secs(60));
    assert_eq!(
        (net.node(a).sockets.visits(), net.node(b).sockets.visits()),
        visits,
        "idle sockets were visited"
    );
    assert!(net.steps() - steps <= 2, "{} wake-ups", net.steps() - steps);
    assert_eq!(
        net.node(a).stack.poll_at(net.now(), &net.node(a).sockets),
        None
    );
    // The application writes on one of them: that one is visited, and
    // what it wrote arrives.
    let (c, s) = idle[3];
    assert_eq!(tcp(&mut net, a, c).send_slice(b"hello").unwrap(), 5);
    let mut got = [0u8; 16];
    let mut n = 0;
    let r = net.run_until(Duration::from_secs(1), |net| {
        n += tcp(net, b, s).recv_slice(&mut got[n..]).unwrap_or(0);
        n == 5
    });
    assert!(r.is_ok(), "{r:?}: {}", net.node(a).describe_tcp());
    assert_eq!(&got[..5], b"hello");
    let (va, vb) = (
        net.node(a).sockets.visits() - visits.0,
        net.node(b).sockets.visits() - visits.1,
    );
    // A handful of visits for one message and its ACK, not six sockets'
    // worth each poll.
    assert!(va + vb < 30, "{va} + {vb} visits");
}

#[test]
fn a_bulk_transfer_beside_idle_connections_visits_only_its_own_sockets() {
    let (mut net, a, b, da, db) = pair(
        2,
        LinkConfig::default().with_latency(Duration::from_millis(1)),
    );
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let _idle = open_many(&mut net, a, b, 6);
    net.run_for(Duration::from_secs(1));
    let before = net.node(a).sockets.visits() + net.node(b).sockets.visits();
    let steps = net.steps();
    let (client, server) = open_connection_with(&mut net, a, b, 16 * 1024);
    let data = payload(200_000, 3);
    let mut sent = 0;
    let mut got = Vec::new();
    net.run_until(Duration::from_secs(60), |net| {
        if sent < data.len() {
            sent += tcp(net, a, client).send_slice(&data[sent..]).unwrap_or(0);
        }
        let mut buf = [0u8; 4096];
        while let Ok(n) = tcp(net, b, server).recv_slice(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        got.len() == data.len()
    })
    .unwrap();
    assert!(got == data);
    let visits = net.node(a).sockets.visits() + net.node(b).sockets.visits() - before;
    let steps = net.steps() - steps;
    // Each step polls both nodes; the two busy sockets are visited, the
    // twelve idle ones never: at most a little over one visit a node.
    assert!(
        visits <= 3 * steps,
        "{visits} visits in {steps} steps: idle sockets were visited"
    );
}

#[test]
fn timers_of_untouched_sockets_fire_on_time() {
    let (mut net, a, b, da, db) = pair(
        3,
        LinkConfig::default().with_latency(Duration::from_millis(1)),
    );
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let pairs = open_many(&mut net, a, b, 3);
    // Keep-alive on one client, idle 10 s, then probes 1 s apart; the peer
    // answers, so it stays open, and the probes are the only wake-ups.
    let (c, _) = pairs[1];
    tcp(&mut net, a, c).set_keep_alive(Some(Duration::from_secs(10)));
    tcp(&mut net, a, c).set_keep_alive_interval(Some(Duration::from_secs(1)));
    let t0 = net.now();
    net.start_capture(a, da);
    net.run_for(Duration::from_secs(35));
    let frames = net.captured(a, da);
    let probes: Vec<_> = frames
        .iter()
        .filter(|(_, f)| ip_protocol(f) == 6)
        .map(|(t, _)| t.saturating_duration_since(t0).total_millis())
        .collect();
    // One probe every 10 s of idleness (each answered, which resets it).
    assert_eq!(probes.len(), 3, "{probes:?}");
    for (k, ms) in probes.iter().enumerate() {
        let want = 10_000 * (k as u64 + 1);
        assert!(
            ms.abs_diff(want) < 50,
            "probe {k} at {ms} ms, not at {want}"
        );
    }
}
