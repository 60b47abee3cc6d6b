//! Hostile input against a whole stack: the weaknesses a review found by
//! attacking it (issue 14), each a named test that failed before its fix.
//! The attacker injects frames on B's link; A (192.0.2.1) is an honest
//! neighbour, and B's gateway where a test needs one. The first weakness
//! (one spoofed SYN taking a listener away) has its regression tests with
//! the listener: `sim_listener.rs`'s
//! `spoofed_syns_from_sources_that_never_answer_arp_leave_room_for_real_clients`
//! and `listen_linux.rs`'s floods.

mod common;

use common::tcp::*;
use common::*;
use microps_core::iface::{StackConfig, StackStorage};
use microps_core::sim::{LinkConfig, Network, NodeId};
use microps_core::time::Duration;
use microps_core::wire::{
    ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetAddress, EthernetFrame, EthernetRepr,
    Ipv4Address,
};

const ATTACKER: EthernetAddress = EthernetAddress([2, 0x66, 0, 0, 0, 1]);

/// An ARP packet in an Ethernet frame, broadcast for a request.
fn arp_frame(
    operation: ArpOperation,
    sha: EthernetAddress,
    spa: Ipv4Address,
    tpa: Ipv4Address,
) -> Vec<u8> {
    let mut frame = vec![0u8; 14 + microps_core::wire::arp::PACKET_LEN];
    let dst = match operation {
        ArpOperation::Request => EthernetAddress::BROADCAST,
        _ => MAC_B,
    };
    EthernetRepr {
        src_addr: sha,
        dst_addr: dst,
        ethertype: EtherType::Arp,
    }
    .emit(&mut EthernetFrame::new_unchecked(&mut frame[..]));
    ArpRepr {
        operation,
        source_hardware_addr: sha,
        source_protocol_addr: spa,
        target_hardware_addr: match operation {
            ArpOperation::Request => EthernetAddress::UNSPECIFIED,
            _ => MAC_B,
        },
        target_protocol_addr: tpa,
    }
    .emit(&mut ArpPacket::new_unchecked(&mut frame[14..]));
    frame
}

fn addr(s: &str) -> Ipv4Address {
    s.parse().unwrap()
}

/// A and B, B with `arp_slots` ARP slots and its default gateway at A.
fn with_gateway(seed: u64, arp_slots: usize) -> (Network, NodeId, NodeId) {
    let storage = move || {
        StackStorage::owned(arp_slots, 64, 256 * 1024, 4, 65535)
            .with_time_wait(vec![Default::default(); 16])
    };
    let (mut net, a, b, _da, _db) =
        pair_with_storage(seed, LinkConfig::default(), StackConfig::default(), storage);
    let iface = net.node(b).stack.interfaces()[0].id;
    net.node_mut(b).stack.set_default_gateway(A, iface).unwrap();
    (net, a, b)
}

/// B learns A (the gateway) from A's ping to B.
fn gateway_learned(net: &mut Network, a: NodeId, b: NodeId) {
    let h = icmp_socket(net, a, 0x4242);
    icmp(net, a, h).send_echo(B, 1, b"hello").unwrap();
    net.run_for(Duration::from_millis(50));
    let entry = net.node(b).stack.arp_cache().get(&A).copied();
    assert_eq!(entry.map(|e| e.mac), Some(MAC_A), "B learned A");
}

/// Issue 14, weakness 2: RFC 826 learns the sender of every packet aimed
/// at us; only an on-link unicast sender may be learned. Martians are not
/// answered either; off-link senders are answered, not learned.
#[test]
fn arp_learns_only_on_link_unicast_senders() {
    let (mut net, _a, b, _da, db) = pair(140, LinkConfig::default());
    net.run_for(Duration::from_millis(10));
    let martians = [
        "224.0.0.1",
        "255.255.255.255",
        "127.0.0.1",
        "192.0.2.255",
        "0.0.0.5",
        "240.0.0.1",
    ];
    let off_link = ["203.0.113.5", "192.0.2.0"];
    for (i, spa) in martians.iter().chain(&off_link).enumerate() {
        let sha = EthernetAddress([2, 0x66, 0, 0, 1, i as u8]);
        let f = arp_frame(ArpOperation::Request, sha, addr(spa), B);
        net.inject(b, db, &f);
    }
    let honest = arp_frame(ArpOperation::Request, ATTACKER, addr("192.0.2.77"), B);
    net.inject(b, db, &honest);
    net.run_for(Duration::from_millis(10));
    let stack = &net.node(b).stack;
    let learned: Vec<_> = stack.arp_cache().iter().map(|e| e.ip).collect();
    assert_eq!(learned, [addr("192.0.2.77")]);
    let arp = &stack.stats().arp;
    assert_eq!(arp.drop_martian, martians.len() as u64);
    assert_eq!(arp.ignored_off_link, off_link.len() as u64);
    assert_eq!(arp.tx_replies, 1 + off_link.len() as u64);
}

/// Issue 14, weakness 2: `capacity` forged requests from distinct on-link
/// senders used to flush the dynamically learned gateway (the least
/// recently used entry) once it had been idle for a while.
#[test]
fn forged_requests_cannot_flush_the_gateway() {
    let (mut net, a, b) = with_gateway(141, 8);
    let db = net.node(b).stack.devices()[0].id;
    gateway_learned(&mut net, a, b);
    net.run_for(Duration::from_secs(60));
    for n in 0..50u8 {
        let sha = EthernetAddress([2, 0x66, 0, 0, 2, n]);
        let spa = Ipv4Address::new(192, 0, 2, 100 + n);
        net.inject(b, db, &arp_frame(ArpOperation::Request, sha, spa, B));
        net.run_for(Duration::from_millis(100));
    }
    let stack = &net.node(b).stack;
    let gw = stack.arp_cache().get(&A).map(|e| e.mac);
    assert_eq!(gw, Some(MAC_A), "the gateway kept its entry");
    assert!(stack.arp_cache().len() <= stack.arp_cache().capacity());
    assert!(
        stack.stats().arp.drop_cache_full > 0,
        "newcomers were refused"
    );
}

/// Issue 14, weakness 2: RFC 826's merge step overwrote an entry with any
/// sender's claim. Within a second of its confirmation (Linux's
/// `locktime`) an entry keeps its address; after that a forged reply on a
/// shared link still wins, which README's security section says.
#[test]
fn a_forged_reply_cannot_overwrite_a_fresh_entry() {
    let (mut net, a, b) = with_gateway(142, 64);
    let db = net.node(b).stack.devices()[0].id;
    gateway_learned(&mut net, a, b);
    let forged = arp_frame(ArpOperation::Reply, ATTACKER, A, B);
    net.inject(b, db, &forged);
    net.run_for(Duration::from_millis(10));
    let mac_of_a = |net: &Network| net.node(b).stack.arp_cache().get(&A).map(|e| e.mac);
    assert_eq!(mac_of_a(&net), Some(MAC_A));
    assert_eq!(net.node(b).stack.stats().arp.drop_locked, 1);
    net.run_for(Duration::from_secs(2));
    net.inject(b, db, &forged);
    net.run_for(Duration::from_millis(10));
    assert_eq!(mac_of_a(&net), Some(ATTACKER), "the remaining poisoning");
}

/// The fragments of an ICMP echo request of `len` bytes from `src` to B.
#[cfg(all(feature = "pending-queue", feature = "ipv4-reassembly"))]
fn big_ping(src: Ipv4Address, ident: u16, len: usize) -> Vec<Vec<u8>> {
    use microps_core::wire::{IpProtocol, Ipv4Repr};
    let icmp = echo_request(ident, 1, &payload(len - 8, u64::from(ident)));
    (0..icmp.len())
        .step_by(1480)
        .map(|off| {
            let end = (off + 1480).min(icmp.len());
            let repr = Ipv4Repr {
                more_frags: end < icmp.len(),
                frag_offset: off as u16,
                ..ip(src, B, IpProtocol::Icmp, end - off, ident)
            };
            ipv4_frame(ATTACKER, MAC_B, repr, &icmp[off..end])
        })
        .collect()
}

/// Issue 14, weakness 4: five 65,000-byte pings from unresolvable on-link
/// sources used to fill the pending queue (256 KiB) with their replies for
/// 10 s, and the application's own first datagram to a new neighbour was
/// dropped. Replies to a source never resolved are not queued now.
#[test]
#[cfg(all(feature = "pending-queue", feature = "ipv4-reassembly"))]
fn big_pings_from_spoofed_sources_do_not_fill_the_pending_queue() {
    let (mut net, a, b, _da, db) = pair(143, LinkConfig::default());
    net.run_for(Duration::from_millis(10));
    for n in 0..5u8 {
        let src = Ipv4Address::new(192, 0, 2, 50 + n);
        for f in big_ping(src, 0x5000 + u16::from(n), 65_000) {
            net.inject(b, db, &f);
        }
        net.run_for(Duration::from_millis(10));
    }
    let stats = *net.node(b).stack.stats();
    assert_eq!(stats.ipv4.reassembled, 5, "the pings arrived whole");
    assert_eq!(stats.arp.drop_reply_unresolved, 5);
    assert_eq!(net.node(b).stack.pending_datagrams(), 0);
    // B's application reaches A, a neighbour it has not resolved yet.
    let ha = udp_socket(&mut net, a, 7);
    let hb = udp_socket(&mut net, b, 5000);
    udp(&mut net, b, hb)
        .send_slice(b"still here", ep(A, 7))
        .unwrap();
    net.run_for(Duration::from_millis(50));
    let (got, from) = udp(&mut net, a, ha).recv().expect("delivered");
    assert_eq!((got, from.remote.port()), (&b"still here"[..], 5000));
}

/// An ICMP destination unreachable (port unreachable) from `from` to A,
/// quoting a UDP datagram A:`sport` -> `dst`:`dport`.
fn forged_port_unreachable(from: Ipv4Address, sport: u16, dst: Ipv4Address, dport: u16) -> Vec<u8> {
    use microps_core::wire::{IpProtocol, checksum};
    let mut quote = vec![0x45, 0, 0, 36, 0, 1, 0x40, 0, 64, 17, 0, 0];
    quote.extend_from_slice(&A.octets());
    quote.extend_from_slice(&dst.octets());
    let sum = checksum::finish(checksum::data(&quote));
    quote[10..12].copy_from_slice(&sum.to_be_bytes());
    quote.extend_from_slice(&sport.to_be_bytes());
    quote.extend_from_slice(&dport.to_be_bytes());
    quote.extend_from_slice(&[0, 16, 0, 0]);
    let mut icmp = vec![3u8, 3, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&quote);
    let sum = checksum::finish(checksum::data(&icmp));
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    ipv4_frame(
        ATTACKER,
        MAC_A,
        ip(from, A, IpProtocol::Icmp, icmp.len(), 9),
        &icmp,
    )
}

/// Issue 14, weakness 5: ICMP errors about UDP were matched on the quoted
/// source port alone, so one blind port unreachable failed a socket's next
/// `recv`. Now only a socket connected to the quoted destination takes
/// one; a connected socket also takes datagrams from its peer only.
#[test]
fn a_blind_port_unreachable_fails_no_udp_socket() {
    use microps_core::socket::RecvError;
    let (mut net, a, b, da, db) = pair(144, LinkConfig::default());
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let unconnected = udp_socket(&mut net, a, 4000);
    let connected = udp_socket(&mut net, a, 4001);
    let hb = udp_socket(&mut net, b, 7);
    udp(&mut net, a, connected).connect(ep(B, 7)).unwrap();
    net.run_for(Duration::from_millis(10));
    let gw = Ipv4Address::new(192, 0, 2, 9);
    for f in [
        forged_port_unreachable(gw, 4000, B, 7),
        forged_port_unreachable(gw, 4001, B, 8),
        forged_port_unreachable(gw, 4001, Ipv4Address::new(192, 0, 2, 3), 7),
    ] {
        net.inject(a, da, &f);
    }
    net.run_for(Duration::from_millis(10));
    assert!(matches!(
        udp(&mut net, a, unconnected).recv(),
        Err(RecvError::Exhausted)
    ));
    assert!(matches!(
        udp(&mut net, a, connected).recv(),
        Err(RecvError::Exhausted)
    ));
    assert_eq!(net.node(a).stack.stats().icmp.drop_unmatched_error, 3);
    // The one error that quotes the connected peer is taken.
    net.inject(a, da, &forged_port_unreachable(gw, 4001, B, 7));
    net.run_for(Duration::from_millis(10));
    assert!(matches!(
        udp(&mut net, a, connected).recv(),
        Err(RecvError::Icmp(_))
    ));
    // A connected socket hears only its peer: B:7 gets through, B:8 not.
    let hb8 = udp_socket(&mut net, b, 8);
    udp(&mut net, b, hb8)
        .send_slice(b"intruder", ep(A, 4001))
        .unwrap();
    udp(&mut net, b, hb)
        .send_slice(b"peer", ep(A, 4001))
        .unwrap();
    net.run_for(Duration::from_millis(10));
    let (got, from) = udp(&mut net, a, connected).recv().unwrap();
    assert_eq!((got, from.remote), (&b"peer"[..], ep(B, 7)));
    assert!(udp(&mut net, a, connected).recv().is_err());
}

/// A connection from A:1234 to B:80, the ports `raw_segment` writes.
fn connection_on_raw_ports(net: &mut Network, a: NodeId, b: NodeId) {
    use microps_core::socket::tcp::State;
    let server = tcp_socket(net, b, 16 * 1024);
    let client = tcp_socket(net, a, 16 * 1024);
    net.node_mut(b).sockets.tcp_listen(server, 80).unwrap();
    let now = net.now();
    let n = net.node_mut(a);
    n.stack
        .tcp_connect(now, &mut n.sockets, client, ep(B, 80), 1234)
        .unwrap();
    net.run_for(Duration::from_millis(50));
    assert_eq!(tcp(net, b, server).state(), State::Established);
}

/// Issue 14, weakness 6: 100 spoofed out-of-window segments got 100 ACKs
/// in one instant. Without data or FIN they get one per 500 ms now
/// (`tcp.oow_acks_limited` counts the rest); pktdrill's
/// rfc9293-3.10.7.4-acks-to-unacceptable-segments-... shows that data and
/// FINs are still answered every time.
#[test]
fn spoofed_out_of_window_segments_get_one_ack() {
    // Without timestamps, which `raw_segment` does not carry (with them
    // agreed, such a segment is dropped unanswered, RFC 7323 3.2).
    let mut config = StackConfig::default();
    config.tcp.timestamps = false;
    let (mut net, a, b, da, db) = pair_with(145, LinkConfig::default(), config);
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    connection_on_raw_ports(&mut net, a, b);
    let spoofed = ipv4_frame(
        MAC_A,
        MAC_B,
        ip(A, B, microps_core::wire::IpProtocol::Tcp, 0, 1),
        &raw_segment(A, B, 0x10, &[]),
    );
    net.start_capture(b, db);
    for _ in 0..100 {
        net.inject(b, db, &spoofed);
    }
    net.run_for(Duration::from_millis(10));
    let acks = net
        .captured(b, db)
        .iter()
        .filter(|(_, f)| ip_protocol(f) == 6)
        .count();
    assert_eq!(acks, 1);
    assert_eq!(net.node(b).stack.stats().tcp.oow_acks_limited, 99);
}

/// A (192.0.2.1/26) - R (.62/26, .65/26, forwarding) - B (.66/26), B with a
/// UDP socket on port 9; `config` is R's.
#[cfg(feature = "ipv4-forwarding")]
fn routed(
    seed: u64,
    config: StackConfig,
) -> (Network, NodeId, microps_core::iface::DeviceId, NodeId) {
    let mut net = Network::new(seed);
    let a = net.add_node(StackConfig::default(), StackStorage::default_owned());
    let r = net.add_node(config, StackStorage::default_owned());
    let b = net.add_node(StackConfig::default(), StackStorage::default_owned());
    let (da, dr1) = net.connect(a, r, LinkConfig::default()).unwrap();
    let (dr2, db) = net.connect(r, b, LinkConfig::default()).unwrap();
    let cidr = |s: &str| s.parse().unwrap();
    net.node_mut(a)
        .stack
        .add_interface(da, cidr("192.0.2.1/26"))
        .unwrap();
    net.node_mut(r)
        .stack
        .add_interface(dr1, cidr("192.0.2.62/26"))
        .unwrap();
    net.node_mut(r)
        .stack
        .add_interface(dr2, cidr("192.0.2.65/26"))
        .unwrap();
    net.node_mut(b)
        .stack
        .add_interface(db, cidr("192.0.2.66/26"))
        .unwrap();
    udp_socket(&mut net, b, 9);
    net.run_for(Duration::from_millis(10));
    (net, r, dr1, b)
}

/// A UDP datagram from `src`:40000 to `dst`:9 as a frame to R's first
/// device.
#[cfg(feature = "ipv4-forwarding")]
fn to_router(net: &Network, r: NodeId, src: Ipv4Address, dst: Ipv4Address) -> Vec<u8> {
    use microps_core::wire::IpProtocol;
    let mac_r = net.node(r).stack.devices()[0].hardware_addr().unwrap();
    let mut udp = vec![0u8; 12];
    udp[0..2].copy_from_slice(&40000u16.to_be_bytes());
    udp[2..4].copy_from_slice(&9u16.to_be_bytes());
    udp[4..6].copy_from_slice(&12u16.to_be_bytes());
    udp[8..].copy_from_slice(b"boom");
    ipv4_frame(
        MAC_A,
        mac_r,
        ip(src, dst, IpProtocol::Udp, udp.len(), 7),
        &udp,
    )
}

/// Issue 14, weakness 8: with forwarding on, a directed broadcast for
/// another interface's subnet was forwarded (smurf amplification, RFC 2644
/// reversed RFC 1812's default), and so were datagrams from 0.0.0.0 (RFC
/// 1812 5.3.7). Neither is now; a switch turns the first back on.
#[test]
#[cfg(all(feature = "ipv4-forwarding", feature = "pending-queue"))]
fn a_router_forwards_no_directed_broadcast_and_no_source_0() {
    let mut config = StackConfig::default();
    config.forwarding = true;
    let (mut net, r, dr1, b) = routed(146, config);
    let bcast = Ipv4Address::new(192, 0, 2, 127);
    let b_addr = Ipv4Address::new(192, 0, 2, 66);
    for (src, dst) in [
        (A, bcast),
        (Ipv4Address::UNSPECIFIED, b_addr),
        (A, Ipv4Address::new(240, 0, 0, 1)),
        (A, Ipv4Address::new(0, 1, 2, 3)),
    ] {
        let f = to_router(&net, r, src, dst);
        net.inject(r, dr1, &f);
    }
    net.run_for(Duration::from_millis(50));
    let stats = net.node(r).stack.stats().ipv4;
    assert_eq!(stats.forwarded, 0);
    assert_eq!(stats.drop_directed_broadcast, 1);
    assert_eq!(stats.drop_martian, 3);
    assert_eq!(net.node(b).stack.stats().udp.rx_packets, 0);
    // The switch: the directed broadcast goes, and B takes it.
    config.forward_directed_broadcasts = true;
    let (mut net, r, dr1, b) = routed(147, config);
    let f = to_router(&net, r, A, bcast);
    net.inject(r, dr1, &f);
    net.run_for(Duration::from_millis(50));
    assert_eq!(net.node(r).stack.stats().ipv4.forwarded, 1);
    assert_eq!(net.node(b).stack.stats().udp.rx_packets, 1);
}

// ---- The attack classes through the whole stack (issue 14, item 2) ----

/// A TCP segment from A:1234 to B:80 with these raw header bytes patched
/// in after the checksum (so the lie is what the stack sees first).
fn segment_frame(flags: u8, options: &[u8], patch: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    use microps_core::wire::{IpProtocol, checksum};
    let mut seg = raw_segment(A, B, flags, &[]);
    // Options: the data offset grows, the checksum is summed again.
    let mut opts = options.to_vec();
    while !opts.len().is_multiple_of(4) {
        opts.push(0);
    }
    seg.splice(20..20, opts.iter().copied());
    seg[12] = (((20 + opts.len()) / 4) << 4) as u8;
    seg[16..18].copy_from_slice(&[0, 0]);
    let sum = checksum::combine(&[
        checksum::pseudo_header(&A, &B, 6, seg.len() as u32),
        checksum::data(&seg),
    ]);
    seg[16..18].copy_from_slice(&checksum::finish(sum).to_be_bytes());
    patch(&mut seg);
    ipv4_frame(MAC_A, MAC_B, ip(A, B, IpProtocol::Tcp, seg.len(), 1), &seg)
}

/// The counters of B after `frames` arrive, and what B's sockets got.
fn inject_all(net: &mut Network, b: NodeId, db: microps_core::iface::DeviceId, frames: &[Vec<u8>]) {
    for f in frames {
        net.inject(b, db, f);
    }
    net.run_for(Duration::from_millis(20));
}

/// Length lies at every layer: a runt Ethernet frame, an IP total length
/// beyond the frame and below the header, an IHL below 5 and beyond the
/// datagram, a TCP data offset below 5 and beyond the segment, a UDP
/// length below 8 and beyond the datagram. Each is counted as malformed
/// at its layer, and nothing reaches a socket.
#[test]
fn length_lies_at_every_layer_are_counted_and_delivered_nowhere() {
    use microps_core::wire::IpProtocol;
    let (mut net, _a, b, _da, db) = pair(150, LinkConfig::default());
    let hu = udp_socket(&mut net, b, 7);
    let ht = tcp_socket(&mut net, b, 4096);
    net.node_mut(b).sockets.tcp_listen(ht, 80).unwrap();
    net.run_for(Duration::from_millis(10));
    let udp_dg = |len_field: u16| {
        let mut d = vec![0u8; 12];
        d[0..2].copy_from_slice(&40000u16.to_be_bytes());
        d[2..4].copy_from_slice(&7u16.to_be_bytes());
        d[4..6].copy_from_slice(&len_field.to_be_bytes());
        ipv4_frame(MAC_A, MAC_B, ip(A, B, IpProtocol::Udp, 12, 3), &d)
    };
    let good = udp_dg(12);
    let ip_patch = |f: &[u8], at: usize, v: &[u8]| {
        let mut f = f.to_vec();
        f[14 + at..14 + at + v.len()].copy_from_slice(v);
        // The header checksum again, so that the lie is what is checked.
        f[24..26].copy_from_slice(&[0, 0]);
        let ihl = usize::from(f[14] & 15) * 4;
        let end = (14 + ihl).min(f.len());
        let sum =
            microps_core::wire::checksum::finish(microps_core::wire::checksum::data(&f[14..end]));
        f[24..26].copy_from_slice(&sum.to_be_bytes());
        f
    };
    let before = *net.node(b).stack.stats();
    inject_all(
        &mut net,
        b,
        db,
        &[
            good[..13].to_vec(),                           // runt Ethernet
            ip_patch(&good, 2, &[0x05, 0xdc]),             // total length 1500 > frame
            ip_patch(&good, 2, &[0, 19]),                  // total length < header
            ip_patch(&good, 0, &[0x44]),                   // IHL 4
            ip_patch(&good, 0, &[0x4f]),                   // IHL 15 > datagram
            segment_frame(0x02, &[], |s| s[12] = 4 << 4),  // data offset 4
            segment_frame(0x02, &[], |s| s[12] = 15 << 4), // data offset 15 > segment
            udp_dg(7),                                     // UDP length < 8
            udp_dg(40),                                    // UDP length > datagram
        ],
    );
    let st = *net.node(b).stack.stats();
    let grew = |a: u64, b: u64| a - b;
    assert_eq!(
        grew(
            st.link.drop_malformed.get(),
            before.link.drop_malformed.get()
        ),
        1
    );
    assert_eq!(
        grew(
            st.ipv4.drop_malformed.get(),
            before.ipv4.drop_malformed.get()
        ),
        4
    );
    assert_eq!(
        grew(st.tcp.drop_malformed.get(), before.tcp.drop_malformed.get()),
        2
    );
    assert_eq!(
        grew(st.udp.drop_malformed.get(), before.udp.drop_malformed.get()),
        2
    );
    assert!(udp(&mut net, b, hu).recv().is_err());
    assert_eq!(
        tcp(&mut net, b, ht).state(),
        microps_core::socket::tcp::State::Listen
    );
    // And the honest datagram still goes through.
    inject_all(&mut net, b, db, &[good]);
    assert!(udp(&mut net, b, hu).recv().is_ok());
}

/// Option TLVs that lie (length 0, length 1, past the end; MSS, window
/// scale, SACK-permitted and timestamps of the wrong length) drop the SYN,
/// counted, with no SYN,ACK and the socket still listening. A window scale
/// of 255 is no lie: it is used as 14 (RFC 7323 2.3).
#[test]
fn option_lies_drop_the_segment_and_a_shift_over_14_is_14() {
    use microps_core::socket::tcp::State;
    // A exists and would reset B's SYN,ACK to the SYN spoofed in its
    // name: 5 ms of latency leave time to look at B first.
    let link = LinkConfig::default().with_latency(Duration::from_millis(5));
    let (mut net, _a, b, _da, db) = pair(151, link);
    let ht = tcp_socket(&mut net, b, 1 << 20);
    net.node_mut(b).sockets.tcp_listen(ht, 80).unwrap();
    net.run_for(Duration::from_millis(10));
    net.start_capture(b, db);
    let lies: [&[u8]; 8] = [
        &[2, 0],
        &[2, 1, 5, 0xb4],
        &[30, 5, 1, 1],
        &[2, 3, 5],
        &[3, 2, 1, 1],
        &[4, 3, 1, 1],
        &[8, 8, 0, 0, 0, 1, 0, 0],
        &[1, 1, 1, 2, 6],
    ];
    let frames: Vec<_> = lies
        .iter()
        .map(|o| segment_frame(0x02, o, |_| {}))
        .collect();
    inject_all(&mut net, b, db, &frames);
    assert_eq!(
        net.node(b).stack.stats().tcp.drop_malformed,
        lies.len() as u64
    );
    assert!(
        net.captured(b, db).iter().all(|(_, f)| ip_protocol(f) != 6),
        "no SYN,ACK"
    );
    assert_eq!(tcp(&mut net, b, ht).state(), State::Listen);
    // MSS 1460, window scale 255: taken, the shift used as 14.
    net.inject(
        b,
        db,
        &segment_frame(0x02, &[2, 4, 5, 0xb4, 1, 3, 3, 255], |_| {}),
    );
    net.run_for(Duration::from_millis(1));
    assert_eq!(
        tcp(&mut net, b, ht).state(),
        State::SynReceived,
        "{}",
        net.node(b).stack.stats()
    );
    assert_eq!(
        tcp(&mut net, b, ht).window_scale().map(|(peer, _)| peer),
        Some(14)
    );
}

/// Reassembly attacks through the stack: a fragment inside another
/// (teardrop), more than 128 fragments, an empty non-final fragment, a
/// fragment ending past 65,535 bytes (ping of death), and more partial
/// datagrams than buffers, never completed: each dropped and counted, and
/// the buffers are free again after the timeout.
#[test]
#[cfg(feature = "ipv4-reassembly")]
fn reassembly_attacks_are_dropped_and_the_buffers_come_back() {
    use microps_core::wire::{IpProtocol, Ipv4Repr};
    let (mut net, _a, b, _da, db) = pair(152, LinkConfig::default());
    net.run_for(Duration::from_millis(10));
    let frag = |ident: u16, offset: usize, len: usize, more: bool| {
        let repr = Ipv4Repr {
            more_frags: more,
            frag_offset: offset as u16,
            ..ip(A, B, IpProtocol::Udp, len, ident)
        };
        ipv4_frame(MAC_A, MAC_B, repr, &vec![0x41; len])
    };
    let stats = |net: &Network| net.node(b).stack.stats().ipv4;
    // Teardrop: the second fragment lies inside the first.
    inject_all(
        &mut net,
        b,
        db,
        &[frag(1, 0, 64, true), frag(1, 16, 16, true)],
    );
    assert_eq!(stats(&net).drop_frag_overlap, 1);
    // 129 fragments of 8 bytes: the 129th drops the datagram.
    let many: Vec<_> = (0..129).map(|i| frag(2, i * 16, 8, true)).collect();
    inject_all(&mut net, b, db, &many);
    let invalid = stats(&net).drop_frag_invalid.get();
    assert_eq!(invalid, 1, "too many fragments");
    // An empty non-final fragment; one ending past 65,535 bytes.
    inject_all(
        &mut net,
        b,
        db,
        &[frag(3, 0, 0, true), frag(4, 65528, 16, false)],
    );
    assert_eq!(stats(&net).drop_frag_invalid.get(), invalid + 2);
    assert_eq!(net.node(b).stack.reassembly_in_progress(), 0);
    // Ten first fragments for four buffers: four held, six refused.
    let firsts: Vec<_> = (10..20).map(|id| frag(id, 0, 8, true)).collect();
    inject_all(&mut net, b, db, &firsts);
    assert_eq!(net.node(b).stack.reassembly_in_progress(), 4);
    assert_eq!(stats(&net).drop_frag_busy, 6);
    net.run_for(Duration::from_secs(31));
    assert_eq!(net.node(b).stack.reassembly_in_progress(), 0);
    assert_eq!(stats(&net).drop_frag_timeout, 4);
    assert_eq!(stats(&net).reassembled, 0);
}

/// ARP with hardware and protocol lengths of 0, or other than 6 and 4:
/// counted, no entry made, no reply.
#[test]
fn arp_with_wrong_address_lengths_teaches_nothing() {
    let (mut net, _a, b, _da, db) = pair(153, LinkConfig::default());
    net.run_for(Duration::from_millis(10));
    let good = arp_frame(ArpOperation::Request, ATTACKER, addr("192.0.2.77"), B);
    let with = |hln: u8, pln: u8| {
        let mut f = good.clone();
        f[18] = hln;
        f[19] = pln;
        f
    };
    inject_all(
        &mut net,
        b,
        db,
        &[with(0, 0), with(6, 0), with(0, 4), with(8, 4), with(6, 16)],
    );
    let arp = net.node(b).stack.stats().arp;
    assert_eq!(arp.drop_malformed.get() + arp.drop_unsupported.get(), 5);
    assert_eq!(arp.tx_replies, 0);
    assert!(net.node(b).stack.arp_cache().is_empty());
}

/// ICMP errors whose quote matches nothing: a TCP 4-tuple with no
/// connection, a quoted source that is not ours, an echo with no socket,
/// and a "fragmentation needed" for no connection, which must leave the
/// path MTU cache alone. All counted as unmatched.
#[test]
fn icmp_errors_quoting_nothing_of_ours_change_nothing() {
    use microps_core::wire::{IpProtocol, checksum};
    let (mut net, a, _b, da, _db) = pair(154, LinkConfig::default());
    net.run_for(Duration::from_millis(10));
    let error = |ty: u8, code: u8, mtu: u16, src: Ipv4Address, proto: u8, l4: &[u8]| {
        let mut quote = vec![0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, proto, 0, 0];
        quote.extend_from_slice(&src.octets());
        quote.extend_from_slice(&B.octets());
        let sum = checksum::finish(checksum::data(&quote));
        quote[10..12].copy_from_slice(&sum.to_be_bytes());
        quote.extend_from_slice(l4);
        let mut icmp = vec![ty, code, 0, 0, 0, 0];
        icmp.extend_from_slice(&mtu.to_be_bytes());
        icmp.extend_from_slice(&quote);
        let sum = checksum::finish(checksum::data(&icmp));
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        ipv4_frame(
            MAC_B,
            MAC_A,
            ip(B, A, IpProtocol::Icmp, icmp.len(), 9),
            &icmp,
        )
    };
    let tcp_quote = [0x04, 0xd2, 0, 80, 0, 0, 0x03, 0xe8];
    let echo_quote = [8, 0, 0, 0, 0x12, 0x34, 0, 1];
    inject_all(
        &mut net,
        a,
        da,
        &[
            error(3, 3, 0, A, 6, &tcp_quote),
            error(3, 3, 0, Ipv4Address::new(192, 0, 2, 40), 6, &tcp_quote),
            error(3, 1, 0, A, 1, &echo_quote),
            error(3, 4, 576, A, 6, &tcp_quote),
        ],
    );
    let st = net.node(a).stack.stats();
    assert_eq!(st.icmp.drop_unmatched_error, 4);
    assert_eq!(st.icmp.errors_delivered, 0);
    let now = net.now();
    assert_eq!(net.node(a).stack.path_mtu_cache().entries(now).count(), 0);
}

/// A router B with two links: an ARP packet on one link cannot move an
/// entry learnt on the other (nor teach a gateway there), however long
/// after its confirmation it comes.
#[test]
fn arp_on_one_link_cannot_move_an_entry_of_another() {
    let mut net = Network::new(155);
    let a = net.add_node(StackConfig::default(), StackStorage::default_owned());
    let b = net.add_node(StackConfig::default(), StackStorage::default_owned());
    let c = net.add_node(StackConfig::default(), StackStorage::default_owned());
    let (da, db0) = net.connect(a, b, LinkConfig::default()).unwrap();
    let (db1, dc) = net.connect(b, c, LinkConfig::default()).unwrap();
    let cidr = |s: &str| s.parse().unwrap();
    net.node_mut(a)
        .stack
        .add_interface(da, cidr("192.0.2.1/24"))
        .unwrap();
    net.node_mut(b)
        .stack
        .add_interface(db0, cidr("192.0.2.2/24"))
        .unwrap();
    net.node_mut(b)
        .stack
        .add_interface(db1, cidr("198.51.100.2/24"))
        .unwrap();
    net.node_mut(c)
        .stack
        .add_interface(dc, cidr("198.51.100.3/24"))
        .unwrap();
    gateway_learned(&mut net, a, b);
    net.run_for(Duration::from_secs(5));
    // On the other link, claiming A's address: as a request for B's
    // address there, and as a reply.
    let on_db1 = Ipv4Address::new(198, 51, 100, 2);
    let mac_db1 = net.node(b).stack.devices()[db1.index()]
        .hardware_addr()
        .unwrap();
    let mut reply = arp_frame(ArpOperation::Reply, ATTACKER, A, on_db1);
    reply[0..6].copy_from_slice(&mac_db1.0);
    reply[32..38].copy_from_slice(&mac_db1.0);
    let forged = [arp_frame(ArpOperation::Request, ATTACKER, A, on_db1), reply];
    inject_all(&mut net, b, db1, &forged);
    let e = net.node(b).stack.arp_cache().get(&A).copied().unwrap();
    assert_eq!((e.mac, e.device), (MAC_A, db0));
    assert_eq!(net.node(b).stack.stats().arp.ignored_off_link, 2);
}
