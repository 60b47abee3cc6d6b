//! The lean configuration: with an optional IPv4 part compiled out (cargo
//! features `ipv4-reassembly`, `ipv4-fragmentation`, `ipv4-forwarding`,
//! `pending-queue` off), what it would have handled is dropped and counted,
//! and nothing spins or stalls. Each test runs only with its feature off:
//! `cargo test -p microps-core --no-default-features --test features_off`.
#![allow(unused_imports)]

mod common;

use common::tcp::*;
use common::*;
use microps_core::iface::{StackConfig, StackStorage};
use microps_core::sim::{LinkConfig, Network};
use microps_core::socket::tcp::State;
use microps_core::time::Duration;
use microps_core::wire::{IpProtocol, Ipv4Address, Ipv4Repr};

/// RFC 1122 3.3.2 makes reassembly a host's duty; a firmware that turns it
/// off gets no fragment delivered, each one counted, and no ICMP time
/// exceeded for datagrams it never started.
#[test]
#[cfg(not(feature = "ipv4-reassembly"))]
fn without_reassembly_fragments_are_dropped_and_counted() {
    let (mut net, a, b, da, db) = pair(1, LinkConfig::default());
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let echo = echo_request(1, 1, &[5u8; 2000]);
    for (i, chunk) in echo.chunks(1480).enumerate() {
        let last = (i + 1) * 1480 >= echo.len();
        let repr = Ipv4Repr {
            more_frags: !last,
            frag_offset: (i * 1480) as u16,
            ..ip(A, B, IpProtocol::Icmp, 0, 77)
        };
        net.inject(b, db, &ipv4_frame(MAC_A, MAC_B, repr, chunk));
    }
    net.run_for(Duration::from_secs(60));
    let s = net.node(b).stack.stats();
    assert_eq!(s.ipv4.drop_frag_unsupported, 2);
    assert_eq!(s.ipv4.reassembled, 0);
    assert_eq!(s.ipv4.delivered, 0);
    assert_eq!(s.icmp.echo_replies_sent, 0);
    assert_eq!(s.icmp.errors_sent, 0, "no time exceeded either");
    // A whole datagram still gets its answer.
    let whole = ipv4_frame(
        MAC_A,
        MAC_B,
        ip(A, B, IpProtocol::Icmp, 0, 78),
        &echo_request(1, 2, b"whole"),
    );
    net.inject(b, db, &whole);
    net.run_for(Duration::from_millis(10));
    assert_eq!(net.node(b).stack.stats().icmp.echo_replies_sent, 1);
}

/// A datagram without DF larger than the MTU cannot leave unfragmented:
/// dropped and counted, the socket's next datagram unaffected.
#[test]
#[cfg(not(feature = "ipv4-fragmentation"))]
fn without_fragmentation_datagrams_over_the_mtu_are_dropped_and_counted() {
    let (mut net, a, b, da, db) = pair(2, LinkConfig::default().with_mtu(576));
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let ha = udp_socket(&mut net, a, 40000);
    let hb = udp_socket(&mut net, b, 7);
    net.start_capture(a, da);
    udp(&mut net, a, ha)
        .send_slice(&payload(1000, 1), ep(B, 7))
        .unwrap();
    net.run_for(Duration::from_millis(100));
    assert!(
        net.captured(a, da)
            .iter()
            .all(|(_, f)| ip_protocol(f) != 17),
        "nothing of it left"
    );
    assert_eq!(net.node(a).stack.stats().ipv4.drop_needs_fragmentation, 1);
    assert_eq!(net.node(a).stack.stats().ipv4.tx_fragments, 0);
    let small = payload(500, 2);
    udp(&mut net, a, ha).send_slice(&small, ep(B, 7)).unwrap();
    net.run_for(Duration::from_millis(100));
    let (got, _) = udp(&mut net, b, hb).recv().unwrap();
    assert_eq!(got, &small[..]);
}

/// `StackConfig::forwarding` asks for forwarding; without the feature
/// there is none to give: a datagram for another host is dropped, counted
/// as not for us, and nothing is sent for it (no ICMP either).
#[test]
#[cfg(not(feature = "ipv4-forwarding"))]
fn without_forwarding_datagrams_for_others_are_dropped_and_counted() {
    let mut config = StackConfig::default();
    config.forwarding = true;
    let (mut net, _a, b, _da, db) = pair_with(3, LinkConfig::default(), config);
    net.start_capture(b, db);
    let elsewhere = Ipv4Address::new(192, 0, 2, 99);
    let frame = ipv4_frame(
        MAC_A,
        MAC_B,
        ip(A, elsewhere, IpProtocol::Icmp, 0, 1),
        &echo_request(1, 1, b"pass it on"),
    );
    net.inject(b, db, &frame);
    net.run_for(Duration::from_secs(2));
    let s = net.node(b).stack.stats();
    assert_eq!(s.ipv4.drop_not_for_us, 1);
    assert_eq!(s.ipv4.forwarded, 0);
    assert_eq!(s.icmp.errors_sent, 0);
    assert!(
        net.captured(b, db)
            .iter()
            .all(|(_, f)| ethertype(f) != 0x0800),
        "no IPv4 left B"
    );
}

/// Without the pending queue, a datagram that must wait for ARP is
/// dropped and counted as with a queue of no room; the ARP request still
/// goes, the next datagram finds the neighbour, and nothing is left due
/// (the simulator also fails any run that spins).
#[test]
#[cfg(not(feature = "pending-queue"))]
fn without_the_pending_queue_a_datagram_waiting_for_arp_is_dropped_and_counted() {
    let (mut net, a, b, da, _db) = pair(4, LinkConfig::default());
    let ha = udp_socket(&mut net, a, 40000);
    let hb = udp_socket(&mut net, b, 7);
    net.start_capture(a, da);
    udp(&mut net, a, ha).send_slice(b"first", ep(B, 7)).unwrap();
    net.run_for(Duration::from_millis(100));
    let sent = net.captured(a, da);
    assert!(
        sent.iter().any(|(_, f)| ethertype(f) == 0x0806),
        "ARP asked"
    );
    assert!(sent.iter().all(|(_, f)| ip_protocol(f) != 17));
    let s = net.node(a).stack.stats();
    assert_eq!(s.arp.drop_queue_full, 1);
    assert_eq!(s.arp.queued, 0);
    assert!(udp(&mut net, b, hb).recv().is_err(), "the first is lost");
    udp(&mut net, a, ha)
        .send_slice(b"second", ep(B, 7))
        .unwrap();
    net.run_for(Duration::from_millis(100));
    let (got, _) = udp(&mut net, b, hb).recv().unwrap();
    assert_eq!(got, b"second");
    assert_eq!(net.node(a).stack.pending_datagrams(), 0);
    let now = net.now();
    let node = net.node(a);
    let next = node.stack.poll_at(now, &node.sockets);
    assert!(next.is_none_or(|t| t > now), "quiet: {next:?}");
}

/// TCP copes with a first SYN lost to ARP: it is sent again after the
/// initial RTO (RFC 6298 2.1: 1 s) and the connection carries its data.
#[test]
#[cfg(not(feature = "pending-queue"))]
fn without_the_pending_queue_tcp_resends_the_syn_lost_to_arp() {
    let (mut net, a, b, _da, _db) = pair(5, LinkConfig::default());
    let t0 = net.now();
    let (client, server) = open_connection(&mut net, a, b);
    net.run_until(Duration::from_secs(3), |net| {
        tcp(net, a, client).state() == State::Established
    })
    .unwrap();
    assert!(net.now() - t0 >= Duration::from_secs(1), "after the RTO");
    assert_eq!(
        net.node(a).stack.stats().tcp.retransmission_timeouts,
        1,
        "the SYN, once"
    );
    tcp(&mut net, a, client).send_slice(b"hello").unwrap();
    net.run_for(Duration::from_millis(100));
    let mut buf = [0u8; 8];
    let n = tcp(&mut net, b, server).recv_slice(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
}
