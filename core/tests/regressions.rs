//! Regressions found by review: each scenario once jammed, spun or lost
//! something. The pending queue must drain, a closed socket must go quiet, a
//! listener must survive a half-open connection.
// Some scenarios need the optional IPv4 parts; without them their helpers
// and imports go unused.
#![cfg_attr(
    not(all(
        feature = "ipv4-reassembly",
        feature = "ipv4-fragmentation",
        feature = "pending-queue"
    )),
    allow(unused_imports, dead_code)
)]

mod common;

use core::net::SocketAddrV4;

use common::*;
use microps_core::iface::{Stack, StackConfig, StackStorage};
use microps_core::phy::{DeviceCapabilities, FaultConfig};
use microps_core::rand::SipKey;
use microps_core::sim::{LinkConfig, Network};
use microps_core::socket::tcp::input::RxContext;
use microps_core::socket::tcp::{SocketBuffer, State, TcpSocket};
use microps_core::socket::udp::{UdpPacketBuffer, UdpPacketMetadata, UdpSocket};
use microps_core::socket::{SocketSet, SocketSlot};
use microps_core::time::{Duration, Instant};
use microps_core::wire::{
    EthernetAddress, IpProtocol, Ipv4Address, Ipv4Repr, TcpFlags, TcpOptions, TcpPacket, TcpRepr,
};

/// A stack at 192.0.2.2/24 on a `BudgetDevice`, 192.0.2.1 its gateway and
/// a static neighbour.
fn budget_stack() -> (Stack<'static>, SocketSet<'static>) {
    let mut stack = Stack::new(StackConfig::default(), StackStorage::default_owned());
    let d = stack
        .add_device(DeviceCapabilities::ethernet(1500, MAC_B))
        .unwrap();
    let i = stack
        .add_interface(d, "192.0.2.2/24".parse().unwrap())
        .unwrap();
    stack.set_default_gateway(A, i).unwrap();
    stack.add_static_neighbor(A, MAC_A, d).unwrap();
    (
        stack,
        SocketSet::new(vec![SocketSlot::new(), SocketSlot::new()], 1),
    )
}

#[test]
#[cfg(all(feature = "ipv4-fragmentation", feature = "pending-queue"))]
fn the_tail_of_a_fragmented_datagram_via_a_gateway_leaves() {
    let (mut stack, mut sockets) = budget_stack();
    let h = sockets
        .add(UdpSocket::new(
            UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 4], vec![0u8; 16384]),
            UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 4], vec![0u8; 16384]),
        ))
        .unwrap();
    sockets.bind_udp(h, 5000).unwrap();
    let mut dev = BudgetDevice {
        budget: 100,
        ..Default::default()
    };
    let mut t = Instant::from_secs(1);
    stack.poll(t, &mut [&mut dev], &mut sockets); // gratuitous ARP
    dev.sent.clear();
    // Off-link: the next hop is the gateway, not the destination.
    sockets
        .get_mut::<UdpSocket>(h)
        .unwrap()
        .send_slice(&[1u8; 4000], "198.51.100.7:9".parse().unwrap())
        .unwrap();
    dev.budget = 1; // one frame, then busy for this poll
    stack.poll(t, &mut [&mut dev], &mut sockets);
    dev.budget = 1000;
    for _ in 0..100 {
        t += Duration::from_millis(100);
        stack.poll(t, &mut [&mut dev], &mut sockets);
    }
    assert_eq!(dev.sent.len(), 3, "all three fragments leave");
    assert_eq!(stack.pending_datagrams(), 0);
}

#[test]
#[cfg(all(
    feature = "ipv4-reassembly",
    feature = "ipv4-fragmentation",
    feature = "pending-queue"
))]
fn a_queued_reply_with_more_fragments_than_device_buffers_completes() {
    let (mut stack, mut sockets) = budget_stack();
    let icmp = echo_request(1, 1, &[0u8; 6000]);
    let mut dev = BudgetDevice {
        budget: 100,
        ..Default::default()
    };
    let mut t = Instant::from_secs(1);
    stack.poll(t, &mut [&mut dev], &mut sockets);
    for (i, chunk) in icmp.chunks(1480).enumerate() {
        let last = (i + 1) * 1480 >= icmp.len();
        let repr = Ipv4Repr {
            more_frags: !last,
            frag_offset: (i * 1480) as u16,
            ..ip(A, B, IpProtocol::Icmp, 0, 77)
        };
        dev.rx.push_back(ipv4_frame(MAC_A, MAC_B, repr, chunk));
    }
    dev.budget = 0; // busy while the request arrives: the reply is queued
    stack.poll(t, &mut [&mut dev], &mut sockets);
    dev.sent.clear();
    // Two buffers per poll, fewer than the reply's five fragments.
    for _ in 0..1000 {
        t += Duration::from_millis(1);
        dev.budget = 2;
        stack.poll(t, &mut [&mut dev], &mut sockets);
    }
    assert_eq!(stack.pending_datagrams(), 0);
    assert_eq!(dev.sent.len(), 5, "each fragment once");
}

/// A network where node A (192.0.2.1, `arp_slots` ARP slots) gets echo
/// requests from on-link hosts that never answer ARP.
fn ping_flood_target(arp_slots: usize) -> (Network, common::NodeAndDev) {
    let mut net = Network::new(1);
    let a = net.add_node(
        StackConfig::default(),
        StackStorage::owned(arp_slots, 64, 256 * 1024, 4, 65535),
    );
    let b = net.add_node(StackConfig::default(), StackStorage::default_owned());
    let (da, _db) = net.connect(a, b, LinkConfig::default()).unwrap();
    net.node_mut(a)
        .stack
        .add_interface(da, "192.0.2.1/24".parse().unwrap())
        .unwrap();
    net.run_for(Duration::from_millis(10));
    (net, (a, da))
}

/// An echo request from 192.0.2.`host` (a MAC nobody answers for) to A.
fn ping_from(host: u8, seq: u16) -> Vec<u8> {
    let icmp = echo_request(0x1234, seq, &[1, 2, 3, 4]);
    ipv4_frame(
        EthernetAddress([2, 0, 0, 0, 9, 9]),
        MAC_A,
        ip(
            Ipv4Address::new(192, 0, 2, host),
            A,
            IpProtocol::Icmp,
            0,
            seq,
        ),
        &icmp,
    )
}

#[test]
fn datagrams_whose_arp_entry_was_evicted_do_not_stay_queued() {
    // 8 slots (7 usable): the later sources evict the earlier incomplete
    // entries whose replies wait in the queue.
    let (mut net, (a, da)) = ping_flood_target(8);
    for i in 0..20u8 {
        net.inject(a, da, &ping_from(100 + i, u16::from(i)));
    }
    net.run_for(Duration::from_secs(600));
    assert_eq!(net.node(a).stack.pending_datagrams(), 0);
}

#[test]
fn more_than_32_arp_actions_in_one_poll_are_all_taken() {
    let (mut net, (a, da)) = ping_flood_target(64);
    for i in 0..40u8 {
        net.inject(a, da, &ping_from(100 + i, u16::from(i)));
    }
    net.run_for(Duration::from_millis(50));
    assert_eq!(
        net.node(a).stack.stats().arp.tx_requests,
        1 + 40,
        "the announcement and one request each"
    );
    net.run_for(Duration::from_secs(600));
    assert_eq!(net.node(a).stack.pending_datagrams(), 0);
}

#[test]
fn more_than_32_failed_resolutions_release_their_datagrams() {
    let (mut net, (a, da)) = ping_flood_target(64);
    let t0 = net.now();
    // 16 resolutions fail in the same poll in which 40 new ones start.
    for i in 0..16u8 {
        net.node(a).devices[da.index()]
            .inner()
            .inject(t0, &ping_from(100 + i, u16::from(i)));
    }
    for i in 0..40u8 {
        net.node(a).devices[da.index()].inner().inject(
            t0 + Duration::from_secs(3),
            &ping_from(200 + i, 100 + u16::from(i)),
        );
    }
    net.run_for(Duration::from_secs(600));
    assert_eq!(net.node(a).stack.pending_datagrams(), 0);
}

#[test]
fn a_socket_reset_during_fast_retransmit_goes_quiet() {
    let (mut net, a, b, da, db) = pair(3, LinkConfig::default());
    let server = net
        .node_mut(b)
        .sockets
        .add(TcpSocket::new(
            SocketBuffer::new(vec![0; 4096]),
            SocketBuffer::new(vec![0; 4096]),
        ))
        .unwrap();
    net.node_mut(b).sockets.tcp_listen(server, 80).unwrap();
    let ha = net
        .node_mut(a)
        .sockets
        .add(TcpSocket::new(
            SocketBuffer::new(vec![0; 4096]),
            SocketBuffer::new(vec![0; 16384]),
        ))
        .unwrap();
    net.run_for(Duration::from_millis(10));
    let now = net.now();
    let remote = SocketAddrV4::new(B, 80);
    let node = net.node_mut(a);
    let local = node
        .stack
        .tcp_connect(now, &mut node.sockets, ha, remote, 0)
        .unwrap();
    // Without the pending queue the first SYN is lost to ARP and sent
    // again after the 1 s RTO.
    let handshake = if cfg!(feature = "pending-queue") {
        Duration::from_millis(100)
    } else {
        Duration::from_secs(3)
    };
    net.run_until(handshake, |net| {
        net.node(a).sockets.get::<TcpSocket>(ha).unwrap().state() == State::Established
    })
    .unwrap();
    // B hears nothing more; A sends, and learns SND.UNA and RCV.NXT from its
    // own first segment.
    net.set_rx_faults(b, db, FaultConfig::none().with_drop(1_000_000));
    net.start_capture(a, da);
    net.node_mut(a)
        .sockets
        .get_mut::<TcpSocket>(ha)
        .unwrap()
        .send_slice(&[7u8; 3000])
        .unwrap();
    net.run_for(Duration::from_millis(5));
    let frames = net.captured(a, da);
    let f = &frames
        .iter()
        .find(|(_, f)| f.len() > 100)
        .expect("a data segment")
        .1;
    let seg = TcpPacket::new_checked(&f[34..]).unwrap();
    let (una, rcv_nxt) = (seg.seq_number(), seg.ack_number());
    // The stacks agreed on RFC 7323 timestamps: B's segments echo A's
    // TSval and carry the TSval A echoes (its TS.Recent).
    let ts = TcpOptions::parse(seg.options())
        .unwrap()
        .timestamps
        .unwrap();
    let key = SipKey::new(0, 0);
    let now = net.now();
    let config = microps_core::socket::tcp::TcpConfig::default();
    let cx = RxContext::new(now, &key, 1460, local, remote, &config);
    let s = net.node_mut(a).sockets.get_mut::<TcpSocket>(ha).unwrap();
    let dup = TcpRepr {
        src_port: 80,
        dst_port: local.port(),
        seq_number: rcv_nxt,
        ack_number: una,
        flags: TcpFlags::ACK,
        window_len: 4096,
        urgent_pointer: 0,
        options: TcpOptions {
            timestamps: Some((ts.1, ts.0)),
            ..TcpOptions::new()
        },
        payload: &[],
    };
    // Three duplicate ACKs start a fast retransmit; a RST ends it unsent.
    for _ in 0..3 {
        s.segment_arrives(&cx, &dup);
    }
    assert!(s.in_fast_recovery());
    s.segment_arrives(
        &cx,
        &TcpRepr {
            flags: TcpFlags::RST,
            ..dup
        },
    );
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.poll_at(now), None, "a closed socket has nothing due");
    // The simulator fails instead of hanging if anything stays due now.
    net.run_for(Duration::from_secs(1));
}

#[test]
fn an_unanswered_syn_ack_returns_the_listener_to_listen() {
    let (mut net, a, _b, da, _db) = pair(1, LinkConfig::default());
    let h = net
        .node_mut(a)
        .sockets
        .add(TcpSocket::new(
            SocketBuffer::new(vec![0; 4096]),
            SocketBuffer::new(vec![0; 4096]),
        ))
        .unwrap();
    net.node_mut(a).sockets.tcp_listen(h, 80).unwrap();
    net.run_for(Duration::from_millis(10));
    // A SYN from 192.0.2.77, which will never answer the SYN-ACK.
    let src = Ipv4Address::new(192, 0, 2, 77);
    let syn = common::tcp::raw_segment(src, A, 0x02, &[]);
    net.inject(
        a,
        da,
        &ipv4_frame(
            EthernetAddress([2, 0, 0, 0, 9, 9]),
            MAC_A,
            ip(src, A, IpProtocol::Tcp, 0, 1),
            &syn,
        ),
    );
    net.run_for(Duration::from_millis(10));
    assert_eq!(
        net.node(a).sockets.get::<TcpSocket>(h).unwrap().state(),
        State::SynReceived
    );
    net.run_for(Duration::from_secs(400));
    let s = net.node(a).sockets.get::<TcpSocket>(h).unwrap();
    assert!(
        s.is_listening(),
        "a passive open that timed out goes back to LISTEN, not {}",
        s.state()
    );
    assert_eq!(s.error(), None);
}

/// An application that aborts a connection between polls frees its
/// endpoints at the next poll, so the same local port can connect to the
/// same peer again (the index entry follows the socket's state).
#[test]
fn an_aborted_connection_frees_its_endpoints_at_the_next_poll() {
    let (mut net, a, b, _da, _db) = pair(8, LinkConfig::default());
    let new_socket = |net: &mut Network, node| {
        net.node_mut(node)
            .sockets
            .add(TcpSocket::new(
                SocketBuffer::new(vec![0; 4096]),
                SocketBuffer::new(vec![0; 4096]),
            ))
            .unwrap()
    };
    let server = new_socket(&mut net, b);
    net.node_mut(b).sockets.tcp_listen(server, 80).unwrap();
    let first = new_socket(&mut net, a);
    let remote = SocketAddrV4::new(B, 80);
    let now = net.now();
    let node = net.node_mut(a);
    let local = node
        .stack
        .tcp_connect(now, &mut node.sockets, first, remote, 0)
        .unwrap();
    net.run_until(Duration::from_secs(3), |net| {
        net.node(a).sockets.get::<TcpSocket>(first).unwrap().state() == State::Established
    })
    .unwrap();
    net.node_mut(a)
        .sockets
        .get_mut::<TcpSocket>(first)
        .unwrap()
        .abort();
    let second = new_socket(&mut net, a);
    net.run_for(Duration::from_millis(1));
    let now = net.now();
    let node = net.node_mut(a);
    assert_eq!(
        node.stack
            .tcp_connect(now, &mut node.sockets, second, remote, local.port()),
        Ok(local)
    );
}

/// The stack remembers the last route it looked up; a route added since
/// must be used at once, not the remembered one.
#[test]
fn a_route_added_between_two_datagrams_is_used_for_the_second() {
    let (mut stack, mut sockets) = budget_stack();
    let h = sockets
        .add(UdpSocket::new(
            UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 4], vec![0u8; 1024]),
            UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 4], vec![0u8; 1024]),
        ))
        .unwrap();
    sockets.bind_udp(h, 5000).unwrap();
    let mut dev = BudgetDevice {
        budget: 100,
        ..Default::default()
    };
    let t = Instant::from_secs(1);
    stack.poll(t, &mut [&mut dev], &mut sockets); // gratuitous ARP
    let far: SocketAddrV4 = "198.51.100.7:9".parse().unwrap();
    let send =
        |stack: &mut Stack<'static>, sockets: &mut SocketSet<'static>, dev: &mut BudgetDevice| {
            sockets
                .get_mut::<UdpSocket>(h)
                .unwrap()
                .send_slice(b"x", far)
                .unwrap();
            dev.sent.clear();
            stack.poll(t, &mut [&mut *dev], sockets);
            assert_eq!(dev.sent.len(), 1);
            EthernetAddress::from_bytes(&dev.sent[0][0..6]).unwrap()
        };
    assert_eq!(
        send(&mut stack, &mut sockets, &mut dev),
        MAC_A,
        "via the default gateway"
    );
    let other = Ipv4Address::new(192, 0, 2, 3);
    let other_mac = EthernetAddress([2, 0, 0, 0, 3, 0]);
    let d = stack.devices()[0].id;
    stack.add_static_neighbor(other, other_mac, d).unwrap();
    let iface = stack.interfaces()[0].id;
    stack
        .add_route("198.51.100.0/24".parse().unwrap(), Some(other), iface)
        .unwrap();
    assert_eq!(
        send(&mut stack, &mut sockets, &mut dev),
        other_mac,
        "via the new route"
    );
}

/// A router that finds the outgoing device without a buffer drops the
/// datagram it forwards, and counts it.
#[test]
#[cfg(feature = "ipv4-forwarding")]
fn a_forwarded_datagram_the_busy_device_refuses_is_counted() {
    let mut config = StackConfig::default();
    config.forwarding = true;
    let mut stack = Stack::new(config, StackStorage::default_owned());
    let caps = DeviceCapabilities::ethernet(1500, MAC_B);
    let d0 = stack.add_device(caps).unwrap();
    let d1 = stack.add_device(caps).unwrap();
    stack
        .add_interface(d0, "192.0.2.2/24".parse().unwrap())
        .unwrap();
    stack
        .add_interface(d1, "198.51.100.1/24".parse().unwrap())
        .unwrap();
    let far = Ipv4Address::new(198, 51, 100, 7);
    stack
        .add_static_neighbor(far, EthernetAddress([2, 0, 0, 0, 7, 0]), d1)
        .unwrap();
    let mut sockets = SocketSet::new(vec![SocketSlot::new()], 1);
    let (mut in0, mut out1) = (BudgetDevice::default(), BudgetDevice::default());
    in0.budget = 10;
    out1.budget = 10;
    let t = Instant::from_secs(1);
    stack.poll(t, &mut [&mut in0, &mut out1], &mut sockets); // announcements
    let datagram = |ident| {
        ipv4_frame(
            MAC_A,
            MAC_B,
            ip(A, far, IpProtocol::Udp, 0, ident),
            &[0, 1, 0, 9, 0, 8, 0, 0],
        )
    };
    out1.budget = 0;
    in0.rx.push_back(datagram(1));
    stack.poll(t, &mut [&mut in0, &mut out1], &mut sockets);
    assert_eq!(stack.stats().ipv4.drop_tx_queue_full, 1);
    assert_eq!(stack.stats().ipv4.forwarded, 0);
    out1.budget = 10;
    out1.sent.clear();
    in0.rx.push_back(datagram(2));
    stack.poll(t, &mut [&mut in0, &mut out1], &mut sockets);
    assert_eq!(stack.stats().ipv4.forwarded, 1);
    assert_eq!(out1.sent.len(), 1);
}
