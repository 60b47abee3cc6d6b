//! Compact TIME-WAIT between simulated stacks: a connection the
//! application let go of gives its socket back when it enters TIME-WAIT
//! and waits out 2*MSL as a record; the table's limits; `connect` steers
//! clear of the records' endpoints (RFC 6056).
#![cfg(feature = "tcp-time-wait")]

mod common;

use common::tcp::*;
use common::*;
use microps_core::iface::{StackConfig, StackStorage};
use microps_core::sim::{LinkConfig, Network, NodeId};
use microps_core::socket::SocketHandle;
use microps_core::socket::tcp::{ConnectError, State, TimeWaitSlot};
use microps_core::time::Duration;

/// A (192.0.2.1) and B (192.0.2.2) with `records` TIME-WAIT records each.
fn net_with(records: usize) -> (Network, NodeId, NodeId) {
    let (mut net, a, b, da, db) = pair_with_storage(
        11,
        LinkConfig::default().with_latency(Duration::from_millis(1)),
        StackConfig::default(),
        || {
            StackStorage::owned(64, 64, 64 * 1024, 0, 0)
                .with_time_wait(vec![TimeWaitSlot::EMPTY; records])
        },
    );
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    (net, a, b)
}

/// Opens a connection from A (port `port`, 0: ephemeral) to B:7000, then
/// closes it from A first: A's socket is orphaned, as a dropped stream's.
fn open_and_close(
    net: &mut Network,
    a: NodeId,
    b: NodeId,
    port: u16,
) -> (SocketHandle, SocketHandle) {
    let server = tcp_socket(net, b, 4096);
    net.node_mut(b).sockets.tcp_listen(server, 7000).unwrap();
    let client = tcp_socket(net, a, 4096);
    let now = net.now();
    let n = net.node_mut(a);
    n.stack
        .tcp_connect_from(
            now,
            &mut n.sockets,
            client,
            ep(std::net::Ipv4Addr::UNSPECIFIED, port),
            ep(B, 7000),
        )
        .unwrap();
    net.run_until(Duration::from_secs(5), |net| {
        tcp(net, b, server).state() == State::Established
    })
    .unwrap();
    tcp(net, a, client).close();
    tcp(net, a, client).orphan();
    net.run_until(Duration::from_secs(5), |net| {
        tcp(net, b, server).state() == State::CloseWait
    })
    .unwrap();
    tcp(net, b, server).close();
    (client, server)
}

#[test]
fn an_orphan_entering_time_wait_gives_its_socket_back_and_a_record_waits_2msl() {
    let (mut net, a, b) = net_with(8);
    let (client, server) = open_and_close(&mut net, a, b, 0);
    let local = tcp(&mut net, a, client).local_endpoint();
    net.run_until(Duration::from_secs(5), |net| {
        tcp(net, b, server).state() == State::Closed
    })
    .unwrap();
    // The socket is CLOSED at once, not in TIME-WAIT for a minute: its
    // owner can free it or use it again.
    assert_eq!(tcp(&mut net, a, client).state(), State::Closed);
    let t = net.node(a).stack.time_wait();
    assert_eq!(t.len(), 1);
    let r = t.iter().next().unwrap();
    assert_eq!((r.local(), r.remote()), (local, ep(B, 7000)));
    assert_eq!(net.node(a).stack.stats().tcp.time_wait_records, 1);
    assert!(net.node_mut(a).sockets.remove(client).is_some());
    // The record's endpoints are taken for a new connection to B:7000
    // (RFC 6056): the same port is refused, an ephemeral one is another.
    let c2 = tcp_socket(&mut net, a, 4096);
    let now = net.now();
    let n = net.node_mut(a);
    assert_eq!(
        n.stack.tcp_connect_from(
            now,
            &mut n.sockets,
            c2,
            ep(std::net::Ipv4Addr::UNSPECIFIED, local.port()),
            ep(B, 7000)
        ),
        Err(ConnectError::AddrInUse)
    );
    let other = n
        .stack
        .tcp_connect_from(
            now,
            &mut n.sockets,
            c2,
            ep(std::net::Ipv4Addr::UNSPECIFIED, 0),
            ep(B, 7000),
        )
        .unwrap();
    assert_ne!(other.port(), local.port());
    // 2*MSL (60 s) after TIME-WAIT began, the record is gone.
    net.run_for(Duration::from_secs(61));
    assert!(net.node(a).stack.time_wait().is_empty());
}

#[test]
fn a_connection_still_held_keeps_its_socket_through_time_wait() {
    let (mut net, a, b) = net_with(8);
    let server = tcp_socket(&mut net, b, 4096);
    net.node_mut(b).sockets.tcp_listen(server, 7000).unwrap();
    let (client, _) = {
        let c = tcp_socket(&mut net, a, 4096);
        let now = net.now();
        let n = net.node_mut(a);
        n.stack
            .tcp_connect(now, &mut n.sockets, c, ep(B, 7000), 0)
            .unwrap();
        (c, ())
    };
    net.run_until(Duration::from_secs(5), |net| {
        tcp(net, b, server).state() == State::Established
    })
    .unwrap();
    tcp(&mut net, a, client).close();
    net.run_until(Duration::from_secs(5), |net| {
        tcp(net, b, server).state() == State::CloseWait
    })
    .unwrap();
    tcp(&mut net, b, server).close();
    net.run_for(Duration::from_secs(1));
    assert_eq!(tcp(&mut net, a, client).state(), State::TimeWait);
    assert!(net.node(a).stack.time_wait().is_empty());
}

#[test]
fn a_full_table_evicts_its_oldest_record_and_never_a_connection() {
    let (mut net, a, b) = net_with(2);
    // A live connection beside them.
    let server = tcp_socket(&mut net, b, 4096);
    net.node_mut(b).sockets.tcp_listen(server, 7001).unwrap();
    let live = tcp_socket(&mut net, a, 4096);
    let now = net.now();
    let n = net.node_mut(a);
    n.stack
        .tcp_connect(now, &mut n.sockets, live, ep(B, 7001), 0)
        .unwrap();
    let mut first = None;
    for k in 0..3 {
        let (c, _) = open_and_close(&mut net, a, b, 0);
        net.run_for(Duration::from_secs(1));
        assert_eq!(tcp(&mut net, a, c).state(), State::Closed);
        if k == 0 {
            first = net
                .node(a)
                .stack
                .time_wait()
                .iter()
                .next()
                .map(|r| r.local().port());
        }
        net.node_mut(a).sockets.remove(c);
    }
    let t = net.node(a).stack.time_wait();
    assert_eq!(t.len(), 2);
    assert!(t.iter().all(|r| Some(r.local().port()) != first));
    assert_eq!(net.node(a).stack.stats().tcp.drop_time_wait_evicted, 1);
    assert_eq!(tcp(&mut net, a, live).state(), State::Established);
}
