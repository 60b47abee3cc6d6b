//! RFC 9293's requirements on the TCP layer as the whole stack meets them
//! (addresses, routes, the IP header): what a packetdrill script, whose
//! segments always go between two fixed unicast hosts, cannot say. Each
//! test names the Appendix B row it shows (docs/CONFORMANCE.md).

mod common;

use common::tcp::{raw_segment, tcp, tcp_socket};
use common::*;
use microps_core::iface::StackConfig;
use microps_core::sim::LinkConfig;
use microps_core::socket::tcp::{ConnectError, State};
use microps_core::time::Duration;
use microps_core::wire::{
    EthernetAddress, EthernetFrame, IpProtocol, Ipv4Address, Ipv4Packet, TcpFlags, TcpPacket,
};

/// A bare SYN from `src`:1234 to `dst`:80.
fn syn_segment(src: Ipv4Address, dst: Ipv4Address) -> Vec<u8> {
    raw_segment(src, dst, 0x02, &[])
}

/// An ACK from `src`:1234 to `dst`:80 with 10 bytes of data.
fn ack_with_data(src: Ipv4Address, dst: Ipv4Address) -> Vec<u8> {
    raw_segment(src, dst, 0x18, b"0123456789")
}

const PEER_MAC: EthernetAddress = EthernetAddress([2, 0, 0, 0, 9, 9]);

/// The TCP segments A sent, as (IPv4 header fields, TCP flags).
fn tcp_sent(frames: &[(microps_core::time::Instant, Vec<u8>)]) -> Vec<(Ipv4Address, u8, TcpFlags)> {
    frames
        .iter()
        .filter(|(_, f)| ip_protocol(f) == 6)
        .map(|(_, f)| {
            let eth = EthernetFrame::new_checked(&f[..]).unwrap();
            let ip = Ipv4Packet::new_checked(eth.payload()).unwrap();
            let tcp = TcpPacket::new_checked(ip.payload()).unwrap();
            (ip.src_addr(), ip.ttl(), tcp.flags())
        })
        .collect()
}

#[test]
fn must_57_a_syn_to_a_broadcast_address_is_silently_discarded() {
    // RFC 9293 3.9.1.2 (MUST-57): "A TCP implementation MUST silently
    // discard an incoming SYN segment that is addressed to a broadcast or
    // multicast address." Neither a listener's SYN,ACK nor a closed port's
    // RST answers it.
    for listening in [false, true] {
        let (mut net, a, _b, da, _db) = pair(1, LinkConfig::default());
        let h = tcp_socket(&mut net, a, 4096);
        if listening {
            net.node_mut(a).sockets.tcp_listen(h, 80).unwrap();
        }
        net.run_for(Duration::from_millis(10));
        net.start_capture(a, da);
        let src = Ipv4Address::new(192, 0, 2, 77);
        for (dst, mac) in [
            (Ipv4Address::new(192, 0, 2, 255), EthernetAddress::BROADCAST),
            (Ipv4Address::BROADCAST, EthernetAddress::BROADCAST),
            (
                Ipv4Address::new(224, 0, 0, 1),
                EthernetAddress([1, 0, 0x5e, 0, 0, 1]),
            ),
        ] {
            // A SYN, and an ACK with data (MUST-57's "segment" row).
            for segment in [syn_segment(src, dst), ack_with_data(src, dst)] {
                let header = ip(src, dst, IpProtocol::Tcp, 0, 1);
                net.inject(a, da, &ipv4_frame(PEER_MAC, mac, header, &segment));
            }
        }
        net.run_for(Duration::from_millis(10));
        assert_eq!(
            tcp_sent(&net.captured(a, da)),
            vec![],
            "listening: {listening}"
        );
        let state = tcp(&mut net, a, h).state();
        let want = if listening {
            State::Listen
        } else {
            State::Closed
        };
        assert_eq!(state, want);
        let stats = net.node(a).stack.stats();
        // Broadcasts reach TCP and are dropped there; the multicast frame
        // is for a group this host has not joined.
        assert_eq!(stats.tcp.drop_broadcast.get(), 4, "{stats}");
        assert_eq!(stats.link.drop_multicast.get(), 2, "{stats}");
    }
}

#[test]
fn must_63_a_syn_from_an_invalid_source_is_ignored() {
    // RFC 9293 3.9.2.1 / RFC 1122 4.2.3.10 (MUST-63): "... a SYN segment
    // ... from a broadcast or multicast address MUST be silently
    // discarded"; martian sources as RFC 1122 3.2.1.3 lists them too.
    let (mut net, a, _b, da, _db) = pair(1, LinkConfig::default());
    let h = tcp_socket(&mut net, a, 4096);
    net.node_mut(a).sockets.tcp_listen(h, 80).unwrap();
    net.run_for(Duration::from_millis(10));
    net.start_capture(a, da);
    for src in [
        Ipv4Address::new(192, 0, 2, 255),
        Ipv4Address::BROADCAST,
        Ipv4Address::new(224, 0, 0, 9),
        Ipv4Address::new(0, 0, 0, 7),
        Ipv4Address::new(127, 0, 0, 1),
    ] {
        let syn = syn_segment(src, A);
        net.inject(
            a,
            da,
            &ipv4_frame(PEER_MAC, MAC_A, ip(src, A, IpProtocol::Tcp, 0, 1), &syn),
        );
    }
    net.run_for(Duration::from_millis(10));
    assert_eq!(tcp_sent(&net.captured(a, da)), vec![]);
    assert_eq!(tcp(&mut net, a, h).state(), State::Listen);
    let stats = net.node(a).stack.stats();
    assert_eq!(
        stats.ipv4.drop_martian.get() + stats.tcp.drop_broadcast.get(),
        5
    );
}

#[test]
fn must_46_connect_to_a_broadcast_or_multicast_address_is_refused() {
    // RFC 9293 3.9.1.1 (MUST-46): "A TCP implementation MUST reject as an
    // error a local OPEN call for an invalid remote IP address (e.g., a
    // broadcast or multicast address)."
    let (mut net, a, _b, _da, _db) = pair(1, LinkConfig::default());
    let h = tcp_socket(&mut net, a, 4096);
    let now = net.now();
    for dst in [
        Ipv4Address::new(192, 0, 2, 255),
        Ipv4Address::BROADCAST,
        Ipv4Address::new(224, 0, 0, 1),
        Ipv4Address::UNSPECIFIED,
    ] {
        let n = net.node_mut(a);
        let r = n.stack.tcp_connect(now, &mut n.sockets, h, ep(dst, 80), 0);
        assert_eq!(r, Err(ConnectError::Unaddressable), "{dst}");
    }
    let n = net.node_mut(a);
    assert!(
        n.stack
            .tcp_connect(now, &mut n.sockets, h, ep(B, 80), 0)
            .is_ok()
    );
}

#[test]
fn must_44_and_must_49_the_syn_takes_its_source_from_the_route_and_the_configured_ttl() {
    // RFC 9293 3.9.1.1 (MUST-44): with no local address given, "the TCP
    // MUST ask the IP layer to select a local IP address before sending
    // the (first) SYN"; 3.9.1.2 (MUST-49): the TTL of TCP segments is
    // configurable. A has two addresses on its link; a route to
    // 198.51.100.0/24 through 203.0.113.1 makes 203.0.113.7 the source.
    let mut config = StackConfig::default();
    config.ttl = 7;
    let (mut net, a, _b, da, _db) = pair_with(1, LinkConfig::default(), config);
    let n = net.node_mut(a);
    let second = n
        .stack
        .add_interface(da, "203.0.113.7/24".parse().unwrap())
        .unwrap();
    n.stack
        .add_route(
            "198.51.100.0/24".parse().unwrap(),
            Some(Ipv4Address::new(203, 0, 113, 1)),
            second,
        )
        .unwrap();
    n.stack
        .add_static_neighbor(Ipv4Address::new(203, 0, 113, 1), PEER_MAC, da)
        .unwrap();
    let h = tcp_socket(&mut net, a, 4096);
    net.run_for(Duration::from_millis(10));
    net.start_capture(a, da);
    let now = net.now();
    let n = net.node_mut(a);
    let local = n
        .stack
        .tcp_connect(
            now,
            &mut n.sockets,
            h,
            ep(Ipv4Address::new(198, 51, 100, 5), 80),
            0,
        )
        .unwrap();
    assert_eq!(*local.ip(), Ipv4Address::new(203, 0, 113, 7));
    net.run_for(Duration::from_millis(10));
    let sent = tcp_sent(&net.captured(a, da));
    assert_eq!(
        sent,
        vec![(Ipv4Address::new(203, 0, 113, 7), 7, TcpFlags::SYN)]
    );
}

#[test]
fn must_42_a_port_keeps_listening_while_one_of_its_connections_is_half_open() {
    // RFC 9293 3.9.1.1 (MUST-42): "a TCP implementation MUST support
    // simultaneous ... LISTEN ... on a port while a connection on that
    // port is in SYN-SENT or SYN-RECEIVED". Two sockets listen on port 80;
    // a SYN nobody completes takes one to SYN-RECEIVED, and B's connection
    // to the same port is still accepted by the other.
    let (mut net, a, b, da, db) = pair(1, LinkConfig::default());
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let first = tcp_socket(&mut net, a, 4096);
    let second = tcp_socket(&mut net, a, 4096);
    net.node_mut(a).sockets.tcp_listen(first, 80).unwrap();
    net.node_mut(a).sockets.tcp_listen(second, 80).unwrap();
    net.run_for(Duration::from_millis(10));
    let src = Ipv4Address::new(192, 0, 2, 77);
    let syn = syn_segment(src, A);
    net.inject(
        a,
        da,
        &ipv4_frame(PEER_MAC, MAC_A, ip(src, A, IpProtocol::Tcp, 0, 1), &syn),
    );
    net.run_for(Duration::from_millis(10));
    let states = [
        tcp(&mut net, a, first).state(),
        tcp(&mut net, a, second).state(),
    ];
    assert!(
        states.contains(&State::SynReceived) && states.contains(&State::Listen),
        "{states:?}"
    );
    let client = tcp_socket(&mut net, b, 4096);
    let now = net.now();
    let n = net.node_mut(b);
    n.stack
        .tcp_connect(now, &mut n.sockets, client, ep(A, 80), 0)
        .unwrap();
    net.run_for(Duration::from_millis(100));
    assert_eq!(tcp(&mut net, b, client).state(), State::Established);
    let states = [
        tcp(&mut net, a, first).state(),
        tcp(&mut net, a, second).state(),
    ];
    assert!(
        states.contains(&State::SynReceived) && states.contains(&State::Established),
        "{states:?}"
    );
}

#[test]
fn must_41_a_passive_open_does_not_touch_an_existing_connection() {
    // RFC 9293 3.9.1.1 (MUST-41): a passive OPEN "MUST NOT affect any
    // previously created connection record". LISTEN on a socket that is
    // ESTABLISHED is refused, and the connection carries on.
    let (mut net, a, b, da, db) = pair(1, LinkConfig::default());
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let (client, server) = common::tcp::open_connection(&mut net, a, b);
    net.run_for(Duration::from_millis(100));
    assert_eq!(tcp(&mut net, a, client).state(), State::Established);
    let r = net.node_mut(a).sockets.tcp_listen(client, 7000);
    assert_eq!(r, Err(ConnectError::InvalidState));
    tcp(&mut net, a, client).send_slice(b"still here").unwrap();
    net.run_for(Duration::from_millis(100));
    let mut buf = [0u8; 32];
    let n = tcp(&mut net, b, server).recv_slice(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"still here");
}

#[test]
fn must_43_an_active_open_may_name_its_local_address() {
    // RFC 9293 3.9.1.1 (MUST-43): "The OPEN call ... MUST support an
    // optional local IP address". A has 192.0.2.1 and 192.0.2.9 on one
    // link: a connect from .9 leaves from .9; one from an address A does
    // not have is refused.
    let (mut net, a, b, da, db) = pair(1, LinkConfig::default());
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let nine = Ipv4Address::new(192, 0, 2, 9);
    net.node_mut(a)
        .stack
        .add_interface(da, "192.0.2.9/24".parse().unwrap())
        .unwrap();
    let server = tcp_socket(&mut net, b, 4096);
    net.node_mut(b).sockets.tcp_listen(server, 80).unwrap();
    let h = tcp_socket(&mut net, a, 4096);
    let now = net.now();
    let n = net.node_mut(a);
    let r = n.stack.tcp_connect_from(
        now,
        &mut n.sockets,
        h,
        ep(Ipv4Address::new(192, 0, 2, 50), 0),
        ep(B, 80),
    );
    assert_eq!(r, Err(ConnectError::AddrNotAvailable));
    let local = n
        .stack
        .tcp_connect_from(now, &mut n.sockets, h, ep(nine, 0), ep(B, 80))
        .unwrap();
    assert_eq!(*local.ip(), nine);
    // (Without the pending queue B's first SYN,ACK to .9 waits for ARP and
    // goes again a second later.)
    net.run_for(Duration::from_secs(3));
    assert_eq!(tcp(&mut net, a, h).state(), State::Established);
    assert_eq!(*tcp(&mut net, b, server).remote_endpoint().ip(), nine);
}
