//! A TCP listener with a backlog between simulated stacks: the SYN queue,
//! the accept queue and the socket pool (their overflow policy), SYN
//! cookies (RFC 4987) and what they carry, and spoofed SYNs from sources
//! that never answer ARP. Node B (192.0.2.2) listens; node A's sockets are
//! the clients.
#![cfg(feature = "tcp-listener")]

mod common;

use common::tcp::{raw_segment, tcp, tcp_socket};
use common::*;
use microps_core::iface::StackConfig;
use microps_core::iface::stats::TcpStats;
use microps_core::sim::{LinkConfig, Network, NodeId};
use microps_core::socket::tcp::{State, SynSlot, TcpListener};
use microps_core::socket::{HandleSlot, SocketHandle};
use microps_core::time::Duration;
use microps_core::wire::{IpProtocol, Ipv4Address, TcpFlags, TcpPacket};

const PORT: u16 = 7000;

/// A listener on `node`:`port` with `syn` SYN queue entries, an accept
/// queue of `accept`, storage for `pool` pooled sockets of which `given`
/// are given, each with `buf`-byte buffers.
fn listener(
    net: &mut Network,
    node: NodeId,
    port: u16,
    (syn, accept, pool, given): (usize, usize, usize, usize),
    buf: usize,
) -> SocketHandle {
    let l = TcpListener::new(
        vec![SynSlot::EMPTY; syn],
        vec![HandleSlot::EMPTY; accept],
        vec![HandleSlot::EMPTY; pool],
    );
    let h = net.node_mut(node).sockets.add(l).unwrap();
    net.node_mut(node).sockets.tcp_listen(h, port).unwrap();
    for _ in 0..given {
        give_socket(net, node, h, buf);
    }
    h
}

fn give_socket(net: &mut Network, node: NodeId, l: SocketHandle, buf: usize) {
    let s = tcp_socket(net, node, buf);
    net.node_mut(node).sockets.tcp_pool_add(l, s).unwrap();
}

fn connect(net: &mut Network, node: NodeId, buf: usize) -> SocketHandle {
    let c = tcp_socket(net, node, buf);
    let now = net.now();
    let n = net.node_mut(node);
    n.stack
        .tcp_connect(now, &mut n.sockets, c, ep(B, PORT), 0)
        .unwrap();
    c
}

fn stats(net: &Network, node: NodeId) -> TcpStats {
    net.node(node).stack.stats().tcp
}

fn listener_of(net: &mut Network, node: NodeId, l: SocketHandle) -> &mut TcpListener<'static> {
    net.node_mut(node)
        .sockets
        .get_mut::<TcpListener>(l)
        .unwrap()
}

/// Takes every connection waiting in the accept queue.
fn accept_all(net: &mut Network, node: NodeId, l: SocketHandle, into: &mut Vec<SocketHandle>) {
    while let Some(h) = net.node_mut(node).sockets.tcp_accept(l) {
        into.push(h);
    }
}

/// Sends `data` from `from` and checks it arrives whole at `to`.
fn echo_check(
    net: &mut Network,
    (na, from): (NodeId, SocketHandle),
    (nb, to): (NodeId, SocketHandle),
    data: &[u8],
) {
    let mut sent = 0;
    let mut got = Vec::new();
    net.run_until(Duration::from_secs(30), |net| {
        if sent < data.len() {
            sent += tcp(net, na, from).send_slice(&data[sent..]).unwrap_or(0);
        }
        let mut buf = [0u8; 4096];
        while let Ok(n) = tcp(net, nb, to).recv_slice(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        got.len() == data.len()
    })
    .unwrap();
    assert!(got == data, "the stream arrived altered");
}

#[test]
fn handshakes_take_sockets_from_the_pool_only_when_they_complete() {
    let (mut net, a, b, da, db) = pair(
        1,
        LinkConfig::default().with_latency(Duration::from_millis(5)),
    );
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let l = listener(&mut net, b, PORT, (4, 4, 3, 3), 8192);
    let clients: Vec<_> = (0..3).map(|_| connect(&mut net, a, 8192)).collect();
    // The SYNs arrive, the SYN,ACKs leave: half-open entries, no socket yet.
    net.run_until(Duration::from_millis(100), |net| {
        listener_of(net, b, l).syn_queue_len() == 3
    })
    .unwrap();
    assert_eq!(listener_of(&mut net, b, l).pool_len(), 3);
    assert_eq!(listener_of(&mut net, b, l).accept_queue_len(), 0);
    net.run_for(Duration::from_millis(20));
    let listener = listener_of(&mut net, b, l);
    assert_eq!(
        (
            listener.syn_queue_len(),
            listener.accept_queue_len(),
            listener.pool_len()
        ),
        (0, 3, 0)
    );
    let mut accepted = Vec::new();
    accept_all(&mut net, b, l, &mut accepted);
    assert_eq!(accepted.len(), 3);
    let mut peers: Vec<_> = accepted
        .iter()
        .map(|&h| {
            let s = tcp(&mut net, b, h);
            assert_eq!(s.state(), State::Established);
            s.remote_endpoint()
        })
        .collect();
    let mut locals: Vec<_> = clients
        .iter()
        .map(|&c| tcp(&mut net, a, c).local_endpoint())
        .collect();
    peers.sort();
    locals.sort();
    assert_eq!(peers, locals);
    let s = stats(&net, b);
    assert_eq!((s.listen_syns.get(), s.listen_established.get()), (3, 3));
    assert_eq!(s.syn_cookies_sent, 0);
    // A pooled socket carries data like any other.
    let client = clients[0];
    let server = accepted
        .iter()
        .copied()
        .find(|&h| {
            tcp(&mut net, b, h).remote_endpoint() == tcp(&mut net, a, client).local_endpoint()
        })
        .unwrap();
    echo_check(&mut net, (a, client), (b, server), &payload(50_000, 3));
    echo_check(&mut net, (b, server), (a, client), &payload(20_000, 4));
}

#[test]
fn a_full_accept_queue_drops_syns_and_holds_final_acks_until_accept() {
    let (mut net, a, b, da, db) = pair(
        2,
        LinkConfig::default().with_latency(Duration::from_millis(5)),
    );
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let l = listener(&mut net, b, PORT, (4, 1, 4, 4), 4096);
    let first: Vec<_> = (0..3).map(|_| connect(&mut net, a, 4096)).collect();
    net.run_for(Duration::from_millis(100));
    // One connection fills the accept queue; the other two final ACKs are
    // dropped, their entries kept.
    let listener = listener_of(&mut net, b, l);
    assert_eq!(
        (listener.accept_queue_len(), listener.syn_queue_len()),
        (1, 2)
    );
    assert_eq!(stats(&net, b).drop_listen_ack_accept_full, 2);
    // A SYN now finds the accept queue full and is dropped.
    let late = connect(&mut net, a, 4096);
    net.run_for(Duration::from_millis(100));
    assert_eq!(stats(&net, b).drop_listen_accept_full, 1);
    // The application accepts as connections come: every client gets in,
    // through SYN,ACKs sent again (which bring the ACKs again) and the
    // late client's own SYN retransmissions.
    let mut accepted = Vec::new();
    net.run_until(Duration::from_secs(30), |net| {
        accept_all(net, b, l, &mut accepted);
        accepted.len() == 4
    })
    .unwrap();
    for c in first.iter().chain([&late]) {
        assert_eq!(tcp(&mut net, a, *c).state(), State::Established);
    }
    assert!(stats(&net, b).listen_synack_retransmits > 0);
    assert_eq!(stats(&net, b).listen_established, 4);
}

#[test]
fn an_empty_pool_holds_the_final_ack_until_a_socket_is_given() {
    let (mut net, a, b, da, db) = pair(
        3,
        LinkConfig::default().with_latency(Duration::from_millis(5)),
    );
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let l = listener(&mut net, b, PORT, (4, 4, 2, 0), 4096);
    let c = connect(&mut net, a, 4096);
    net.run_for(Duration::from_millis(100));
    // The client thinks it is connected; the listener kept the entry.
    assert_eq!(tcp(&mut net, a, c).state(), State::Established);
    assert_eq!(stats(&net, b).drop_listen_ack_no_socket, 1);
    assert_eq!(listener_of(&mut net, b, l).syn_queue_len(), 1);
    assert_eq!(net.node_mut(b).sockets.tcp_accept(l), None);
    give_socket(&mut net, b, l, 4096);
    let mut accepted = Vec::new();
    net.run_until(Duration::from_secs(5), |net| {
        accept_all(net, b, l, &mut accepted);
        !accepted.is_empty()
    })
    .unwrap();
    echo_check(&mut net, (a, c), (b, accepted[0]), &payload(10_000, 5));
}

#[test]
fn a_full_syn_queue_answers_with_cookies_that_keep_mss_window_scale_and_sack() {
    let (mut net, a, b, da, db) = pair(
        4,
        LinkConfig::default().with_latency(Duration::from_millis(5)),
    );
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    // 256 KiB buffers: both sides scale their windows.
    let buf = 256 * 1024;
    let l = listener(&mut net, b, PORT, (1, 4, 3, 3), buf);
    let clients: Vec<_> = (0..3).map(|_| connect(&mut net, a, buf)).collect();
    net.run_for(Duration::from_millis(100));
    let s = stats(&net, b);
    assert_eq!((s.listen_syns.get(), s.syn_cookies_sent.get()), (1, 2));
    assert_eq!(s.syn_cookies_validated, 2);
    assert_eq!(s.syn_cookies_rejected, 0);
    let mut accepted = Vec::new();
    accept_all(&mut net, b, l, &mut accepted);
    assert_eq!(accepted.len(), 3);
    for &h in &accepted {
        let s = tcp(&mut net, b, h);
        assert_eq!(s.state(), State::Established);
        // The MSS class 1460 (the link's MTU 1500), the client's shift (3
        // for 256 KiB) and ours, timestamps and SACK: as without cookies.
        assert_eq!(s.window_scale(), Some((3, 3)), "{}", s.remote_endpoint());
        assert!(s.timestamps_enabled() && s.sack_enabled());
        assert_eq!(s.send_mss(), 1460);
    }
    for (&c, _) in clients.iter().zip(0..) {
        let server = accepted
            .iter()
            .copied()
            .find(|&h| {
                tcp(&mut net, b, h).remote_endpoint() == tcp(&mut net, a, c).local_endpoint()
            })
            .unwrap();
        echo_check(&mut net, (a, c), (b, server), &payload(300_000, 6));
    }
}

#[test]
fn without_timestamps_a_cookie_offers_neither_window_scaling_nor_sack() {
    let mut config = StackConfig::default();
    config.tcp.timestamps = false;
    let (mut net, a, b, da, db) = pair_with(
        5,
        LinkConfig::default().with_latency(Duration::from_millis(5)),
        config,
    );
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let buf = 256 * 1024;
    let l = listener(&mut net, b, PORT, (1, 4, 2, 2), buf);
    let queued = connect(&mut net, a, buf);
    let cookie = connect(&mut net, a, buf);
    net.run_for(Duration::from_millis(100));
    assert_eq!(stats(&net, b).syn_cookies_validated, 1);
    let mut accepted = Vec::new();
    accept_all(&mut net, b, l, &mut accepted);
    assert_eq!(accepted.len(), 2);
    let by_client = |net: &mut Network, c| {
        let local = tcp(net, a, c).local_endpoint();
        accepted
            .iter()
            .copied()
            .find(|&h| tcp(net, b, h).remote_endpoint() == local)
            .unwrap()
    };
    let q = by_client(&mut net, queued);
    let k = by_client(&mut net, cookie);
    // The queued handshake agreed window scaling and SACK; the cookie's
    // could not remember them.
    assert_eq!(tcp(&mut net, b, q).window_scale(), Some((3, 3)));
    assert!(tcp(&mut net, b, q).sack_enabled());
    assert_eq!(tcp(&mut net, b, k).window_scale(), None);
    assert_eq!(tcp(&mut net, a, cookie).window_scale(), None);
    assert!(!tcp(&mut net, b, k).sack_enabled() && !tcp(&mut net, a, cookie).sack_enabled());
    echo_check(&mut net, (a, cookie), (b, k), &payload(200_000, 7));
    echo_check(&mut net, (b, k), (a, cookie), &payload(200_000, 8));
}

#[test]
fn with_cookies_off_a_full_syn_queue_drops_syns_and_the_client_retries() {
    let mut config = StackConfig::default();
    config.tcp.syn_cookies = false;
    let (mut net, a, b, da, db) = pair_with(
        6,
        LinkConfig::default().with_latency(Duration::from_millis(5)),
        config,
    );
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let l = listener(&mut net, b, PORT, (1, 4, 2, 2), 4096);
    let c1 = connect(&mut net, a, 4096);
    let c2 = connect(&mut net, a, 4096);
    net.run_for(Duration::from_millis(100));
    assert_eq!(stats(&net, b).drop_listen_syn_queue_full, 1);
    assert_eq!(stats(&net, b).syn_cookies_sent, 0);
    let mut accepted = Vec::new();
    net.run_until(Duration::from_secs(5), |net| {
        accept_all(net, b, l, &mut accepted);
        accepted.len() == 2
    })
    .unwrap();
    assert_eq!(tcp(&mut net, a, c1).state(), State::Established);
    assert_eq!(tcp(&mut net, a, c2).state(), State::Established);
}

/// The TCP segments node `b` sent on its device, as flags.
fn tcp_flags_sent(frames: &[(microps_core::time::Instant, Vec<u8>)]) -> Vec<TcpFlags> {
    frames
        .iter()
        .filter(|(_, f)| ip_protocol(f) == 6)
        .map(|(_, f)| TcpPacket::new_checked(&f[34..]).unwrap().flags())
        .collect()
}

#[test]
fn acks_that_are_no_cookie_get_rst_before_cookies_and_are_counted_and_dropped_after() {
    let (mut net, a, b, da, db) = pair(7, LinkConfig::default());
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    // The segments are injected as A's, but A never ARPed B; B's replies
    // to a source it never resolved would not wait for ARP, so B knows A.
    net.node_mut(b)
        .stack
        .add_static_neighbor(A, MAC_A, db)
        .unwrap();
    listener(&mut net, b, 80, (1, 4, 2, 2), 4096);
    net.run_for(Duration::from_millis(10));
    // A stray ACK before any cookie was sent: LISTEN's RST, no hash.
    let ack = raw_segment(A, B, 0x10, &[]);
    let frame = ipv4_frame(MAC_A, MAC_B, ip(A, B, IpProtocol::Tcp, 0, 1), &ack);
    net.start_capture(b, db);
    net.inject(b, db, &frame);
    net.run_for(Duration::from_millis(10));
    assert_eq!(tcp_flags_sent(&net.captured(b, db)), vec![TcpFlags::RST]);
    assert_eq!(stats(&net, b).syn_cookies_rejected, 0);
    // Fill the SYN queue from elsewhere and make a cookie go out.
    let syn = |src: Ipv4Address| {
        ipv4_frame(
            MAC_A,
            MAC_B,
            ip(src, B, IpProtocol::Tcp, 0, 1),
            &raw_segment(src, B, 0x02, &[]),
        )
    };
    net.inject(b, db, &syn(Ipv4Address::new(192, 0, 2, 50)));
    net.inject(b, db, &syn(Ipv4Address::new(192, 0, 2, 51)));
    net.run_for(Duration::from_millis(10));
    assert_eq!(stats(&net, b).syn_cookies_sent, 1);
    // Now the same stray ACK is checked as a cookie: a forgery, rejected
    // without a RST (it might be a later segment of a cookie connection).
    net.start_capture(b, db);
    net.inject(b, db, &frame);
    net.run_for(Duration::from_millis(10));
    assert_eq!(tcp_flags_sent(&net.captured(b, db)), vec![]);
    let s = stats(&net, b);
    assert_eq!(
        (s.syn_cookies_rejected.get(), s.syn_cookies_validated.get()),
        (1, 0)
    );
    assert_eq!(s.listen_established, 0);
    let _ = (a, da);
}

#[test]
fn spoofed_syns_from_sources_that_never_answer_arp_leave_room_for_real_clients() {
    let (mut net, a, b, da, db) = pair(
        8,
        LinkConfig::default().with_latency(Duration::from_millis(1)),
    );
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let l = listener(&mut net, b, 80, (8, 16, 4, 4), 4096);
    // 40 SYNs from on-link addresses nobody answers ARP for.
    for i in 0..40u8 {
        let src = Ipv4Address::new(192, 0, 2, 100 + i);
        let seg = raw_segment(src, B, 0x02, &[]);
        net.inject(
            b,
            db,
            &ipv4_frame(MAC_A, MAC_B, ip(src, B, IpProtocol::Tcp, 0, 1), &seg),
        );
    }
    net.run_for(Duration::from_millis(50));
    assert_eq!(listener_of(&mut net, b, l).syn_queue_len(), 8);
    assert_eq!(stats(&net, b).syn_cookies_sent, 32);
    // A real client during the flood: a cookie lets it in at once.
    let c = tcp_socket(&mut net, a, 4096);
    let now = net.now();
    let n = net.node_mut(a);
    n.stack
        .tcp_connect(now, &mut n.sockets, c, ep(B, 80), 0)
        .unwrap();
    net.run_for(Duration::from_millis(50));
    assert_eq!(tcp(&mut net, a, c).state(), State::Established);
    let server = net.node_mut(b).sockets.tcp_accept(l).unwrap();
    echo_check(&mut net, (a, c), (b, server), &payload(2000, 9));
    // ARP gives up on the spoofed sources within seconds, and their
    // entries go long before their SYN,ACK retries would end (31 s).
    net.run_for(Duration::from_secs(10));
    assert_eq!(listener_of(&mut net, b, l).syn_queue_len(), 0);
    let s = stats(&net, b);
    assert_eq!(s.listen_syn_unreachable, 8);
    assert_eq!(s.listen_syn_timeouts, 0);
    // After the flood a client gets a queue entry again, not a cookie.
    let c2 = tcp_socket(&mut net, a, 4096);
    let now = net.now();
    let n = net.node_mut(a);
    n.stack
        .tcp_connect(now, &mut n.sockets, c2, ep(B, 80), 0)
        .unwrap();
    net.run_for(Duration::from_millis(50));
    assert_eq!(tcp(&mut net, a, c2).state(), State::Established);
    assert_eq!(stats(&net, b).listen_syns, 9);
}

#[test]
fn a_socket_removed_from_the_pool_is_not_taken_nor_its_slots_next_socket() {
    let (mut net, a, b, da, db) = pair(9, LinkConfig::default());
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let l = listener(&mut net, b, PORT, (4, 4, 2, 0), 4096);
    let s = tcp_socket(&mut net, b, 4096);
    net.node_mut(b).sockets.tcp_pool_add(l, s).unwrap();
    // The application takes the socket back and puts another in its slot.
    net.node_mut(b).sockets.remove(s).unwrap();
    let other = tcp_socket(&mut net, b, 4096);
    assert_eq!(other, s, "the slot is reused");
    let c = connect(&mut net, a, 4096);
    net.run_for(Duration::from_millis(100));
    // The handshake found no socket of the pool: the other socket is
    // untouched and the final ACK waits.
    assert_eq!(tcp(&mut net, b, other).state(), State::Closed);
    assert_eq!(stats(&net, b).drop_listen_ack_no_socket, 1);
    give_socket(&mut net, b, l, 4096);
    let mut accepted = Vec::new();
    net.run_until(Duration::from_secs(5), |net| {
        accept_all(net, b, l, &mut accepted);
        !accepted.is_empty()
    })
    .unwrap();
    assert_ne!(accepted[0], other);
    assert_eq!(tcp(&mut net, a, c).state(), State::Established);
}
