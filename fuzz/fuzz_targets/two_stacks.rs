//! Two stacks moving data over a link whose faults the input chooses
//! (drops, duplicates, reordering, delays, bit flips, each up to a rate),
//! for a time the input chooses, with the application's close or abort at
//! a point it chooses. Checked at every step: the receiver's bytes are a
//! prefix of what was sent, and both connections' SND.UNA <= SND.NXT <=
//! SND.MAX (the simulator itself fails a run whose socket is due with
//! nothing to do). Once the faults stop, the run must reach a named end
//! within a bound (the sum of the backed-off RTOs up to the retry limit,
//! plus the transfer): `Complete` (every byte arrived), `Failed` (a side
//! reports reset or the retry limit), or `Abandoned` (the sender closed or
//! aborted on purpose and the receiver holds a prefix).
#![no_main]

mod common;

use common::Input;
use libfuzzer_sys::fuzz_target;
use microps_core::iface::{StackConfig, StackStorage};
use microps_core::phy::FaultConfig;
use microps_core::sim::{LinkConfig, Network, NodeId};
use microps_core::socket::SocketHandle;
use microps_core::socket::tcp::{SocketBuffer, TcpSocket};
use microps_core::time::Duration;
use microps_core::wire::Ipv4Address;

const B: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 8)) as u8
}

#[derive(Debug, Default)]
struct Transfer {
    total: usize,
    sent: usize,
    received: usize,
    /// The sender closes (or aborts) once it has queued this much.
    stop_at: Option<(usize, bool)>,
    stopped: bool,
}

fn socket(net: &mut Network, node: NodeId, buf: usize) -> SocketHandle {
    let s = TcpSocket::new(SocketBuffer::new(vec![0; buf]), SocketBuffer::new(vec![0; buf]));
    net.node_mut(node).sockets.add(s).unwrap()
}

fn tcp(net: &mut Network, node: NodeId, h: SocketHandle) -> &mut TcpSocket<'static> {
    net.node_mut(node).sockets.get_mut::<TcpSocket>(h).unwrap()
}

/// One step of both applications; checks the invariants.
fn pump(net: &mut Network, (a, client): (NodeId, SocketHandle), (b, server): (NodeId, SocketHandle), t: &mut Transfer) {
    let s = tcp(net, a, client);
    if !t.stopped && t.sent < t.total {
        let start = t.sent;
        let limit = t.stop_at.map_or(t.total, |(at, _)| at.min(t.total));
        if let Ok(n) = s.send(|buf| {
            let n = buf.len().min(limit.saturating_sub(start));
            for (k, x) in buf[..n].iter_mut().enumerate() {
                *x = pattern(start + k);
            }
            (n, n)
        }) {
            t.sent += n;
        }
    }
    if let Some((at, abort)) = t.stop_at
        && !t.stopped
        && t.sent >= at.min(t.total)
    {
        if abort { s.abort() } else { s.close() }
        t.stopped = true;
    }
    for (node, h) in [(a, client), (b, server)] {
        let q = tcp(net, node, h).sequence_numbers();
        if tcp(net, node, h).state().is_synchronized() {
            assert!(q.snd_una <= q.snd_nxt && q.snd_nxt <= q.snd_max, "{q:?}");
        }
    }
    let r = tcp(net, b, server);
    let start = t.received;
    if let Ok(n) = r.recv(|buf| {
        for (k, x) in buf.iter().enumerate() {
            assert_eq!(*x, pattern(start + k), "byte {} is not what was sent", start + k);
        }
        (buf.len(), buf.len())
    }) {
        t.received += n;
    }
    assert!(t.received <= t.sent, "more received than sent");
}

#[derive(Debug, PartialEq)]
enum End {
    Complete,
    Failed,
    Abandoned,
}

fn end(net: &mut Network, a: (NodeId, SocketHandle), b: (NodeId, SocketHandle), t: &Transfer) -> Option<End> {
    if t.received == t.total {
        return Some(End::Complete);
    }
    let (ea, eb) = (tcp(net, a.0, a.1).error(), tcp(net, b.0, b.1).error());
    if ea.is_some() || eb.is_some() {
        return Some(End::Failed);
    }
    let closed = |net: &mut Network, x: (NodeId, SocketHandle)| !tcp(net, x.0, x.1).is_open();
    if t.stopped && (closed(net, a) || t.received == t.sent) {
        return Some(End::Abandoned);
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let seed = u64::from(input.u32());
    let rate = |b: u8, max_ppm: u32| u32::from(b) * max_ppm / 255;
    let faults = FaultConfig::none()
        .with_drop(rate(input.u8(), 300_000))
        .with_duplicate(rate(input.u8(), 200_000))
        .with_reorder(rate(input.u8(), 300_000))
        .with_delay(rate(input.u8(), 300_000), Duration::from_millis(1 + u64::from(input.u8())))
        .with_corrupt(rate(input.u8(), 100_000));
    let total = 1 + usize::from(input.u16()) * 4;
    let fault_time = Duration::from_millis(u64::from(input.u16()) * 10);
    let stop = input.u8();
    let stop_at = (stop % 4 == 0).then(|| (usize::from(input.u16()) * 4, stop % 8 == 0));
    let buf = 4096 << (input.u8() % 5);

    let mut net = Network::new(seed);
    let a = net.add_node(StackConfig::default(), StackStorage::default_owned());
    let b = net.add_node(StackConfig::default(), StackStorage::default_owned());
    let link = LinkConfig::default().with_latency(Duration::from_millis(5)).with_faults(faults);
    let (da, db) = net.connect(a, b, link).unwrap();
    net.node_mut(a).stack.add_interface(da, "192.0.2.1/24".parse().unwrap()).unwrap();
    net.node_mut(b).stack.add_interface(db, "192.0.2.2/24".parse().unwrap()).unwrap();
    let server = socket(&mut net, b, buf);
    let client = socket(&mut net, a, buf);
    net.node_mut(b).sockets.tcp_listen(server, 7000).unwrap();
    let now = net.now();
    let n = net.node_mut(a);
    n.stack.tcp_connect(now, &mut n.sockets, client, std::net::SocketAddrV4::new(B, 7000), 0).unwrap();
    let (ca, cb) = ((a, client), (b, server));
    let mut t = Transfer { total, stop_at, ..Default::default() };

    // With faults: anything may happen but the invariants.
    let _ = net.run_until(fault_time, |net| {
        pump(net, ca, cb, &mut t);
        end(net, ca, cb, &t).is_some()
    });
    // Without: a named end within the bound.
    net.heal();
    let config = StackConfig::default().tcp;
    let mut bound = Duration::from_secs(30);
    let mut rto = config.rto_initial;
    for _ in 0..=config.max_retransmissions {
        bound += rto;
        rto = (rto + rto).min(config.rto_max);
    }
    let r = net.run_until(bound, |net| {
        pump(net, ca, cb, &mut t);
        end(net, ca, cb, &t).is_some()
    });
    assert!(r.is_ok(), "no end within {bound:?} after the faults stopped: {r:?}, {t:?}");
    if let Some(path) = std::env::var_os("FUZZ_REPORT") {
        use std::io::Write;
        let e = end(&mut net, ca, cb, &t);
        let stats = |n: NodeId| net.node(n).stack.stats().to_string().replace('\n', " ");
        let line = format!("two_stacks states: {e:?} | {} {}\n", stats(a), stats(b));
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(line.as_bytes());
        }
    }
});
