//! RFC 1191 path MTU discovery in the simulator: A reaches B through two
//! routers (this stack with forwarding on) joined by a link of MTU 1280,
//! while A's and B's own links are 1500, so both announce an MSS of 1460.
//! A's first full-sized segments meet R1's "fragmentation needed"; the
//! connection lowers its MSS, the path MTU cache keeps 1280 for B and a
//! second connection starts with it; after 10 minutes of virtual time the
//! entry ages out and the path is tried at 1500 again.

#![cfg(all(feature = "ipv4-forwarding", feature = "pending-queue"))]

mod common;

use common::tcp::*;
use common::*;
use microps_core::iface::{DeviceId, PMTU_AGE, StackConfig, StackStorage};
use microps_core::sim::{LinkConfig, Network, NodeId};
use microps_core::socket::SocketHandle;
use microps_core::time::Duration;
use microps_core::wire::Ipv4Address;

const B_ADDR: Ipv4Address = Ipv4Address::new(192, 0, 2, 130);

struct Path {
    net: Network,
    a: NodeId,
    /// A's device, toward R1.
    da: DeviceId,
    r1: NodeId,
    b: NodeId,
}

/// A (192.0.2.1/26) - R1 - [MTU 1280] - R2 - B (192.0.2.130/26).
fn path(seed: u64) -> Path {
    path_with_mtu(seed, 1280)
}

/// [`path`] with `mtu` between the routers.
fn path_with_mtu(seed: u64, mtu: usize) -> Path {
    let mut net = Network::new(seed);
    let host = StackConfig::default();
    let mut router = StackConfig::default();
    router.forwarding = true;
    let a = net.add_node(host, StackStorage::default_owned());
    let r1 = net.add_node(router, StackStorage::default_owned());
    let r2 = net.add_node(router, StackStorage::default_owned());
    let b = net.add_node(host, StackStorage::default_owned());
    let link = LinkConfig::default().with_latency(Duration::from_millis(5));
    let (da, dr1a) = net.connect(a, r1, link).unwrap();
    let (dr1b, dr2a) = net.connect(r1, r2, link.with_mtu(mtu)).unwrap();
    let (dr2b, db) = net.connect(r2, b, link).unwrap();
    let cidr = |s: &str| s.parse().unwrap();
    let ip = |d| Ipv4Address::new(192, 0, 2, d);
    let ia = net
        .node_mut(a)
        .stack
        .add_interface(da, cidr("192.0.2.1/26"))
        .unwrap();
    net.node_mut(r1)
        .stack
        .add_interface(dr1a, cidr("192.0.2.62/26"))
        .unwrap();
    let r1b = net
        .node_mut(r1)
        .stack
        .add_interface(dr1b, cidr("192.0.2.65/26"))
        .unwrap();
    let r2a = net
        .node_mut(r2)
        .stack
        .add_interface(dr2a, cidr("192.0.2.66/26"))
        .unwrap();
    net.node_mut(r2)
        .stack
        .add_interface(dr2b, cidr("192.0.2.129/26"))
        .unwrap();
    let ib = net
        .node_mut(b)
        .stack
        .add_interface(db, cidr("192.0.2.130/26"))
        .unwrap();
    net.node_mut(a)
        .stack
        .set_default_gateway(ip(62), ia)
        .unwrap();
    net.node_mut(b)
        .stack
        .set_default_gateway(ip(129), ib)
        .unwrap();
    net.node_mut(r1)
        .stack
        .add_route(cidr("192.0.2.128/26"), Some(ip(66)), r1b)
        .unwrap();
    net.node_mut(r2)
        .stack
        .add_route(cidr("192.0.2.0/26"), Some(ip(65)), r2a)
        .unwrap();
    Path { net, a, da, r1, b }
}

impl Path {
    /// A connection from A to B:`port`, established; (client, server).
    fn connect(&mut self, port: u16) -> (SocketHandle, SocketHandle) {
        let (a, b) = (self.a, self.b);
        let server = tcp_socket(&mut self.net, b, 256 * 1024);
        let client = tcp_socket(&mut self.net, a, 256 * 1024);
        self.net
            .node_mut(b)
            .sockets
            .tcp_listen(server, port)
            .unwrap();
        let now = self.net.now();
        let n = self.net.node_mut(a);
        n.stack
            .tcp_connect(now, &mut n.sockets, client, ep(B_ADDR, port), 0)
            .unwrap();
        self.net
            .run_until(Duration::from_secs(5), |net| {
                tcp(net, a, client).may_send() && tcp(net, b, server).may_recv()
            })
            .unwrap();
        (client, server)
    }

    /// Moves `bytes` from A to B over the connection and checks them; the
    /// client stays open unless `close`.
    fn send(&mut self, (client, server): (SocketHandle, SocketHandle), bytes: usize, close: bool) {
        let (a, b) = (self.a, self.b);
        let mut out = Pipe {
            total: bytes,
            ..Default::default()
        };
        let mut inn = Pipe::default();
        let mut idle = Pipe::default();
        // (`pump` closes once everything is sent; keep the connection open
        // by sending without it.)
        self.net
            .run_until(Duration::from_secs(60), |net| {
                let s = tcp(net, a, client);
                if close {
                    pump(s, &mut out, &mut idle, 5, 6);
                } else if out.sent < out.total {
                    let start = out.sent;
                    let n = s
                        .send(|buf| {
                            let n = buf.len().min(bytes - start);
                            for (k, x) in buf[..n].iter_mut().enumerate() {
                                *x = stream_byte(5, start + k);
                            }
                            (n, n)
                        })
                        .unwrap_or(0);
                    out.sent += n;
                }
                pump(tcp(net, b, server), &mut idle, &mut inn, 6, 5);
                inn.received == bytes
            })
            .unwrap();
        assert_eq!(inn.wrong, None);
    }

    fn lowered(&self) -> u64 {
        self.net
            .node(self.a)
            .stack
            .stats()
            .icmp
            .path_mtu_lowered
            .get()
    }

    fn too_big_sent(&self) -> u64 {
        self.net.node(self.r1).stack.stats().icmp.errors_sent.get()
    }
}

#[test]
fn rfc1191_a_smaller_link_lowers_the_mss_and_the_cache_gives_it_to_the_next_connection() {
    let mut p = path(1);
    p.net.start_capture(p.a, p.da);
    let first = p.connect(7001);
    assert_eq!(
        tcp(&mut p.net, p.a, first.0).send_mss(),
        1460,
        "B announced 1460"
    );
    p.send(first, 200 * 1024, true);
    // R1 said "fragmentation needed" with the next hop's MTU (RFC 1191 4),
    // the connection took it, and the cache keeps it for B.
    assert!(p.too_big_sent() >= 1);
    assert_eq!(p.lowered(), 1);
    let now = p.net.now();
    assert_eq!(
        p.net.node(p.a).stack.path_mtu_cache().lookup(B_ADDR, now),
        Some(1280)
    );
    assert_eq!(tcp(&mut p.net, p.a, first.0).send_mss(), 1240);
    // RFC 1191 3: every TCP segment has DF set.
    let frames = p.net.captured(p.a, p.da);
    let tcp_frames: Vec<&Vec<u8>> = frames
        .iter()
        .map(|(_, f)| f)
        .filter(|f| ip_protocol(f) == 6)
        .collect();
    assert!(tcp_frames.len() > 100);
    assert!(
        tcp_frames.iter().all(|f| f[14 + 6] & 0x40 != 0),
        "DF on every segment"
    );
    // The first flight was full-sized; the end of the transfer fits 1280.
    assert_eq!(tcp_frames.iter().map(|f| f.len()).max(), Some(14 + 1500));
    assert!(
        tcp_frames
            .iter()
            .rev()
            .take(50)
            .all(|f| f.len() <= 14 + 1280)
    );
    // A new connection to B starts at 1240: no segment too big, no message.
    let before = p.too_big_sent();
    let second = p.connect(7002);
    assert_eq!(tcp(&mut p.net, p.a, second.0).send_mss(), 1240);
    // (The cap on the SYN,ACK's MSS resends nothing: the SYN's RTT
    // sample is taken.)
    assert!(tcp(&mut p.net, p.a, second.0).srtt().is_some());
    p.send(second, 200 * 1024, true);
    assert_eq!(p.too_big_sent(), before);
    let frames = p.net.captured(p.a, p.da);
    assert!(frames.iter().all(|(_, f)| f.len() <= 14 + 1280));
    // RFC 1191 6.5: the MSS A announced in that SYN is still its first
    // hop's, 1460.
    let syns: Vec<u16> = frames.iter().filter_map(|(_, f)| syn_mss(f)).collect();
    assert_eq!(syns, vec![1460]);
    assert_eq!(p.lowered(), 1);
}

#[test]
fn rfc1191_6_3_after_10_minutes_the_path_is_tried_at_1500_again() {
    let mut p = path(2);
    let first = p.connect(7001);
    p.send(first, 100 * 1024, true);
    assert_eq!(p.lowered(), 1);
    // A connection that stays open, at 1240 from the cache.
    let open = p.connect(7002);
    assert_eq!(tcp(&mut p.net, p.a, open.0).send_mss(), 1240);
    // Ten minutes of virtual time later the entry is gone...
    p.net.run_for(PMTU_AGE + Duration::from_secs(1));
    let now = p.net.now();
    assert_eq!(
        p.net.node(p.a).stack.path_mtu_cache().lookup(B_ADDR, now),
        None
    );
    // ... a new connection starts at 1460 ...
    let fresh = p.connect(7003);
    assert_eq!(tcp(&mut p.net, p.a, fresh.0).send_mss(), 1460);
    // ... and the open one goes back to 1460 at its next send, meets R1's
    // message again, and learns 1280 again; every byte arrives.
    let before = p.too_big_sent();
    p.send(open, 100 * 1024, false);
    assert!(p.too_big_sent() > before, "the path was tried at 1500");
    assert_eq!(p.lowered(), 2);
    assert_eq!(tcp(&mut p.net, p.a, open.0).send_mss(), 1240);
    // The fresh connection shares what the open one learnt.
    p.send(fresh, 50 * 1024, true);
    assert_eq!(tcp(&mut p.net, p.a, fresh.0).send_mss(), 1240);
    assert_eq!(p.lowered(), 2, "one message per lowering");
}

/// The MSS option of a TCP SYN in an Ethernet frame.
fn syn_mss(frame: &[u8]) -> Option<u16> {
    if ip_protocol(frame) != 6 {
        return None;
    }
    let ihl = usize::from(frame.get(14)? & 0x0f) * 4;
    let tcp = frame.get(14 + ihl..)?;
    if tcp.get(13)? & 0x02 == 0 {
        return None;
    }
    let off = usize::from(tcp.get(12)? >> 4) * 4;
    let mut opts = tcp.get(20..off)?;
    while let [kind, rest @ ..] = opts {
        match kind {
            0 => return None,
            1 => opts = rest,
            _ => {
                let len = usize::from(*rest.first()?);
                if *kind == 2 && len == 4 {
                    return Some(u16::from_be_bytes([*rest.get(1)?, *rest.get(2)?]));
                }
                opts = opts.get(len.max(2)..)?;
            }
        }
    }
    None
}

/// Issue 14, weakness 7: a "fragmentation needed" saying 68 used to drop
/// the MSS to 64 for the rest of the connection. Below the floor (552) the
/// path is locked at 552 and its segments go without DF, with unique IP
/// identifiers: here the routers' link really is 500 bytes, R1 fragments
/// them, B reassembles them, and the transfer completes. The cache keeps
/// the lock for the next connection.
#[test]
fn fragmentation_needed_below_the_floor_locks_the_path_without_df() {
    use microps_core::wire::{EthernetFrame, Ipv4Packet};
    let mut p = path_with_mtu(40, 500);
    let (a, da) = (p.a, p.da);
    let c = p.connect(7);
    p.net.start_capture(a, da);
    p.send(c, 200_000, false);
    assert_eq!(p.net.node(a).stack.stats().icmp.path_mtu_locked, 1);
    assert!(tcp(&mut p.net, a, c.0).path_mtu_locked());
    assert_eq!(tcp(&mut p.net, a, c.0).send_mss(), 512);
    assert!(p.net.node(p.r1).stack.stats().ipv4.tx_fragments > 0);
    assert!(p.net.node(p.b).stack.stats().ipv4.reassembled > 0);
    // A's data segments after the lock: no DF, and no identifier twice.
    let mut idents = Vec::new();
    for (_, f) in p.net.captured(a, da) {
        let frame = EthernetFrame::new_checked(&f[..]).unwrap();
        let Ok(ip) = Ipv4Packet::new_checked(frame.payload()) else {
            continue;
        };
        if ip.protocol() == microps_core::wire::IpProtocol::Tcp
            && ip.total_len() > 500
            && !ip.dont_frag()
        {
            idents.push(ip.ident());
        }
    }
    assert!(idents.len() > 100, "{} segments without DF", idents.len());
    let mut unique = idents.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), idents.len(), "identifiers are unique");
    // The next connection to B starts locked.
    let c2 = p.connect(8);
    assert!(tcp(&mut p.net, a, c2.0).path_mtu_locked());
    assert_eq!(tcp(&mut p.net, a, c2.0).send_mss(), 512);
    p.send(c2, 20_000, false);
}
