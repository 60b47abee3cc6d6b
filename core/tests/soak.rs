//! The soak (issue 14): two stacks in one process exchange data over a
//! faulty link (drops, duplicates, reordering, delays, bit flips) with
//! random connects, closes and aborts, for `SOAK_SECONDS` of wall time
//! (default 5; CI runs 30; README gives the long command), from the seed
//! `SOAK_SEED` (default 1). A's clients send patterned streams to B's
//! listener, which echoes them; every echoed byte is checked, and so are
//! the sequence invariants at every step. Then every connection closes,
//! 2*MSL passes, and every pool must be back where it started (the
//! listener's sockets, SYN and accept queues, the TIME-WAIT tables, the
//! pending queues, the reassembly buffers, the timers: nothing left to do)
//! and every cache within its bound.

// B's side is a `TcpListener`, A's closes leave TIME-WAIT records.
#![cfg(all(feature = "tcp-listener", feature = "tcp-time-wait"))]

mod common;

use std::time::Instant as WallClock;

use common::tcp::*;
use common::*;
use microps_core::phy::FaultConfig;
use microps_core::rand::Rng;
use microps_core::sim::{LinkConfig, Network, NodeId};
use microps_core::socket::tcp::{State, SynSlot, TcpListener};
use microps_core::socket::{HandleSlot, SocketHandle};
use microps_core::time::Duration;

const PORT: u16 = 7;
const CLIENTS: usize = 8;
const POOL: usize = 8;
const BUF: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Open,
    /// Closed or aborted, orphaned: waiting to be Closed.
    Leaving,
}

#[derive(Debug)]
struct Client {
    h: SocketHandle,
    phase: Phase,
    stream: u64,
    total: usize,
    sent: usize,
    echoed: usize,
}

#[derive(Debug, Default)]
struct Tally {
    opened: u64,
    completed: u64,
    closed_early: u64,
    aborted: u64,
    failed: u64,
    bytes: u64,
}

struct Soak {
    net: Network,
    a: NodeId,
    b: NodeId,
    listener: SocketHandle,
    /// UDP: A's socket, B's echo on port 9.
    udp: (SocketHandle, SocketHandle),
    clients: Vec<Client>,
    served: Vec<SocketHandle>,
    rng: Rng,
    next_stream: u64,
    tally: Tally,
}

impl Soak {
    fn new(seed: u64) -> Soak {
        let faults = FaultConfig::none()
            .with_drop(10_000)
            .with_duplicate(5_000)
            .with_reorder(10_000)
            .with_delay(10_000, Duration::from_millis(30))
            .with_corrupt(2_000);
        let link = LinkConfig::default()
            .with_latency(Duration::from_millis(2))
            .with_faults(faults);
        let (mut net, a, b, da, db) = pair(seed, link);
        known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
        let l = TcpListener::new(
            vec![SynSlot::EMPTY; 16],
            vec![HandleSlot::EMPTY; 8],
            vec![HandleSlot::EMPTY; POOL],
        );
        let listener = net.node_mut(b).sockets.add(l).unwrap();
        net.node_mut(b).sockets.tcp_listen(listener, PORT).unwrap();
        for _ in 0..POOL {
            let s = tcp_socket(&mut net, b, BUF);
            net.node_mut(b).sockets.tcp_pool_add(listener, s).unwrap();
        }
        let udp = (udp_socket(&mut net, a, 5000), udp_socket(&mut net, b, 9));
        let clients = (0..CLIENTS)
            .map(|_| Client {
                h: tcp_socket(&mut net, a, BUF),
                phase: Phase::Idle,
                stream: 0,
                total: 0,
                sent: 0,
                echoed: 0,
            })
            .collect();
        Soak {
            net,
            a,
            b,
            listener,
            udp,
            clients,
            served: Vec::new(),
            rng: Rng::new(seed ^ 0x50a6),
            next_stream: 1,
            tally: Tally::default(),
        }
    }

    /// One turn of both applications; `opening` lets idle clients connect.
    fn turn(&mut self, opening: bool) {
        self.serve();
        self.datagrams(opening);
        for i in 0..self.clients.len() {
            self.client_turn(i, opening);
        }
    }

    /// B: take new connections, echo what arrives, close when the peer
    /// has, give closed sockets back to the pool.
    fn serve(&mut self) {
        let (net, b) = (&mut self.net, self.b);
        while let Some(h) = net.node_mut(b).sockets.tcp_accept(self.listener) {
            self.served.push(h);
        }
        let mut back = Vec::new();
        for &h in &self.served {
            let s = tcp(net, b, h);
            let mut buf = [0u8; 4096];
            let room = s.send_capacity() - s.send_queue();
            if let Ok(n) = s.recv_slice(&mut buf[..room.min(4096)]) {
                // (An error: the connection is gone, aborted or reset.)
                if let Ok(sent) = s.send_slice(&buf[..n]) {
                    assert_eq!(sent, n, "the echo had room");
                }
            }
            if s.peer_closed() && s.recv_queue() == 0 && s.may_send() {
                s.close();
                s.orphan();
            }
            if s.state() == State::Closed {
                back.push(h);
            }
        }
        for h in back {
            self.served.retain(|&x| x != h);
            net.node_mut(b)
                .sockets
                .tcp_pool_add(self.listener, h)
                .unwrap();
        }
    }

    /// Now and then a 3000-byte datagram to B's echo (fragmented and
    /// reassembled both ways) and one to 192.0.2.99, which nobody answers
    /// (the pending queue, then ARP's failure).
    fn datagrams(&mut self, opening: bool) {
        let (a, b) = (self.a, self.b);
        let (ha, hb) = self.udp;
        let roll = self.rng.below(1000);
        if opening && roll < 10 {
            let dg = payload(3000, u64::from(roll));
            let _ = udp(&mut self.net, a, ha).send_slice(&dg, ep(B, 9));
        } else if opening && roll < 12 {
            let nobody = microps_core::wire::Ipv4Address::new(192, 0, 2, 99);
            let _ = udp(&mut self.net, a, ha).send_slice(b"anyone?", ep(nobody, 9));
        }
        while let Ok((data, meta)) = udp(&mut self.net, b, hb).recv() {
            let (data, from) = (data.to_vec(), meta.remote);
            let _ = udp(&mut self.net, b, hb).send_slice(&data, from);
        }
        while udp(&mut self.net, a, ha).recv().is_ok() {}
    }

    fn client_turn(&mut self, i: usize, opening: bool) {
        let a = self.a;
        let roll = self.rng.below(10_000);
        let c = &mut self.clients[i];
        match c.phase {
            Phase::Idle if opening && roll < 300 => {
                c.stream = self.next_stream;
                self.next_stream += 1;
                c.total = 1 + self.rng.below(200_000) as usize;
                c.sent = 0;
                c.echoed = 0;
                let now = self.net.now();
                let n = self.net.node_mut(a);
                n.stack
                    .tcp_connect(now, &mut n.sockets, c.h, ep(B, PORT), 0)
                    .unwrap();
                c.phase = Phase::Open;
                self.tally.opened += 1;
            }
            Phase::Idle => {}
            Phase::Open => {
                let s = tcp(&mut self.net, a, c.h);
                if s.error().is_some() || s.state() == State::Closed {
                    self.tally.failed += 1;
                    c.phase = Phase::Idle;
                    return;
                }
                let start = c.sent;
                let stream = c.stream;
                let total = c.total;
                if let Ok(n) = s.send(|buf| {
                    let n = buf.len().min(total - start);
                    for (k, x) in buf[..n].iter_mut().enumerate() {
                        *x = stream_byte(stream, start + k);
                    }
                    (n, n)
                }) {
                    c.sent += n;
                }
                let from = c.echoed;
                if let Ok(n) = s.recv(|buf| {
                    for (k, x) in buf.iter().enumerate() {
                        assert_eq!(
                            *x,
                            stream_byte(stream, from + k),
                            "echoed byte {}",
                            from + k
                        );
                    }
                    (buf.len(), buf.len())
                }) {
                    c.echoed += n;
                    self.tally.bytes += n as u64;
                }
                assert!(c.echoed <= c.sent);
                let q = s.sequence_numbers();
                if s.state().is_synchronized() {
                    assert!(q.snd_una <= q.snd_nxt && q.snd_nxt <= q.snd_max, "{q:?}");
                }
                let done = c.echoed == c.total;
                if done || !opening || roll < 3 {
                    s.close();
                    s.orphan();
                    c.phase = Phase::Leaving;
                    if done {
                        self.tally.completed += 1;
                    } else {
                        self.tally.closed_early += 1;
                    }
                } else if roll < 5 {
                    s.abort();
                    c.phase = Phase::Leaving;
                    self.tally.aborted += 1;
                }
            }
            Phase::Leaving => {
                let s = tcp(&mut self.net, a, c.h);
                // Read what still comes, so the close can finish.
                let _ = s.recv(|buf| (buf.len(), ()));
                if s.state() == State::Closed {
                    c.phase = Phase::Idle;
                }
            }
        }
    }

    fn all_idle(&self) -> bool {
        self.clients.iter().all(|c| c.phase == Phase::Idle) && self.served.is_empty()
    }
}

#[test]
fn soak_pools_return_to_where_they_started() {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let seed: u64 = std::env::var("SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    println!("soak: {seconds} s from seed {seed} (SOAK_SECONDS, SOAK_SEED)");
    let mut soak = Soak::new(seed);
    let wall = WallClock::now();
    while wall.elapsed().as_secs() < seconds {
        for _ in 0..100 {
            soak.turn(true);
            soak.net.run_for(Duration::from_millis(5));
        }
    }
    // Everyone leaves; then 2*MSL passes.
    let deadline = soak.net.now() + Duration::from_secs(900);
    while !soak.all_idle() {
        assert!(
            soak.net.now() < deadline,
            "connections still open: {:?}",
            soak.clients
        );
        soak.turn(false);
        soak.net.run_for(Duration::from_millis(20));
    }
    soak.net.run_for(Duration::from_secs(61));
    let t = &soak.tally;
    println!(
        "soak: {} virtual s, {t:?}, faults {:?}",
        soak.net.now().total_millis() / 1000,
        soak.net.fault_stats()
    );
    assert!(t.completed > 0 && t.bytes > 0, "the soak moved data: {t:?}");
    let stats = |n| *soak.net.node(n).stack.stats();
    assert!(
        stats(soak.b).ipv4.reassembled > 0,
        "datagrams were reassembled"
    );
    if cfg!(feature = "pending-queue") {
        assert!(stats(soak.a).arp.drop_unresolved > 0, "ARP failed for .99");
    }
    let now = soak.net.now();
    for n in [soak.a, soak.b] {
        let node = soak.net.node(n);
        let st = &node.stack;
        assert_eq!(st.time_wait().len(), 0, "TIME-WAIT records");
        assert_eq!(st.pending_datagrams(), 0, "pending queue");
        assert_eq!(st.reassembly_in_progress(), 0, "reassembly buffers");
        assert!(st.arp_cache().len() <= st.arp_cache().capacity());
        assert!(st.path_mtu_cache().entries(now).count() <= st.path_mtu_cache().capacity());
        assert_eq!(st.poll_at(now, &node.sockets), None, "timers left");
    }
    let l = soak
        .net
        .node(soak.b)
        .sockets
        .get::<TcpListener>(soak.listener)
        .unwrap();
    assert_eq!(l.pool_len(), POOL, "the listener's pool");
    assert_eq!((l.syn_queue_len(), l.accept_queue_len()), (0, 0));
}
