//! TCP helpers shared by the simulator tests: sockets, a checked byte
//! stream each way, and a transfer driver.

use microps_core::phy::FaultConfig;
use microps_core::sim::{LinkConfig, Network, NodeId};
use microps_core::socket::SocketHandle;
use microps_core::socket::tcp::{
    RecvError, SackRange, Scoreboard, SentSegment, SocketBuffer, State, TcpError, TcpSocket,
};
use microps_core::time::Duration;

use super::*;

pub fn tcp_socket(net: &mut Network, node: NodeId, buf: usize) -> SocketHandle {
    let mut s = TcpSocket::new(
        SocketBuffer::new(vec![0u8; buf]),
        SocketBuffer::new(vec![0u8; buf]),
    );
    // RFC 6675 and RFC 8985 RACK-TLP recovery with the SACK blocks the peer
    // sends.
    let ranges = Scoreboard::ranges_for(buf, 536);
    let times = Scoreboard::segments_for(buf, 536);
    s.set_scoreboard(
        Scoreboard::new(vec![SackRange::EMPTY; ranges])
            .with_send_times(vec![SentSegment::EMPTY; times]),
    );
    net.node_mut(node).sockets.add(s).unwrap()
}

pub fn tcp(net: &mut Network, node: NodeId, h: SocketHandle) -> &mut TcpSocket<'static> {
    net.node_mut(node).sockets.get_mut::<TcpSocket>(h).unwrap()
}

/// A TCP segment written by hand, from `src`:1234 to `dst`:80, sequence
/// number 1000, window 65535, with `flags` (the byte of the header) and
/// `payload`, checksummed.
pub fn raw_segment(
    src: microps_core::wire::Ipv4Address,
    dst: microps_core::wire::Ipv4Address,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    use microps_core::wire::checksum;
    let mut seg = vec![0u8; 20];
    seg[0..2].copy_from_slice(&1234u16.to_be_bytes());
    seg[2..4].copy_from_slice(&80u16.to_be_bytes());
    seg[4..8].copy_from_slice(&1000u32.to_be_bytes());
    seg[12] = 5 << 4;
    seg[13] = flags;
    seg[14..16].copy_from_slice(&65535u16.to_be_bytes());
    seg.extend_from_slice(payload);
    let sum = checksum::combine(&[
        checksum::pseudo_header(&src, &dst, 6, seg.len() as u32),
        checksum::data(&seg),
    ]);
    seg[16..18].copy_from_slice(&checksum::finish(sum).to_be_bytes());
    seg
}

/// The byte at position `i` of a test stream.
pub fn stream_byte(stream: u64, i: usize) -> u8 {
    let x = (i as u64)
        .wrapping_add(stream.wrapping_mul(0x9e37_79b9))
        .wrapping_mul(0x2545_f491_4f6c_dd1d);
    (x >> 56) as u8
}

/// One direction of a transfer.
#[derive(Debug, Default)]
pub struct Pipe {
    pub total: usize,
    pub sent: usize,
    pub received: usize,
    pub closed_sent: bool,
    pub eof: bool,
    pub wrong: Option<usize>,
}

/// Sends and receives what it can on one socket.
pub fn pump(
    sock: &mut TcpSocket<'static>,
    out: &mut Pipe,
    inn: &mut Pipe,
    out_stream: u64,
    in_stream: u64,
) {
    pump_reading(sock, out, inn, out_stream, in_stream, usize::MAX);
}

/// [`pump`], reading at most `read_limit` bytes.
pub fn pump_reading(
    sock: &mut TcpSocket<'static>,
    out: &mut Pipe,
    inn: &mut Pipe,
    out_stream: u64,
    in_stream: u64,
    read_limit: usize,
) {
    let mut budget = read_limit;
    if sock.may_send() && out.sent < out.total {
        let start = out.sent;
        let n = sock
            .send(|buf| {
                let n = buf.len().min(out.total - start);
                for (k, b) in buf[..n].iter_mut().enumerate() {
                    *b = stream_byte(out_stream, start + k);
                }
                (n, n)
            })
            .unwrap_or(0);
        out.sent += n;
    }
    if out.sent == out.total && !out.closed_sent && sock.may_send() {
        sock.close();
        out.closed_sent = true;
    }
    while budget > 0 {
        let start = inn.received;
        match sock.recv(|buf| {
            let n = buf.len().min(budget);
            for (k, b) in buf[..n].iter().enumerate() {
                if *b != stream_byte(in_stream, start + k) && inn.wrong.is_none() {
                    inn.wrong = Some(start + k);
                }
            }
            (n, n)
        }) {
            Ok(0) => break,
            Ok(n) => {
                inn.received += n;
                budget -= n;
            }
            Err(RecvError::Finished) => {
                inn.eof = true;
                break;
            }
            Err(_) => break,
        }
    }
}

#[derive(Debug)]
pub enum Outcome {
    /// Everything delivered once, in order, both sides closed.
    Complete,
    /// A side gave up with this error (allowed at high loss).
    Aborted(TcpError),
}

/// A listening on B:7000 and A connecting to it; returns (client, server).
pub fn open_connection(net: &mut Network, a: NodeId, b: NodeId) -> (SocketHandle, SocketHandle) {
    open_connection_with(net, a, b, 64 * 1024)
}

/// [`open_connection`] with `buf`-byte buffers each way.
pub fn open_connection_with(
    net: &mut Network,
    a: NodeId,
    b: NodeId,
    buf: usize,
) -> (SocketHandle, SocketHandle) {
    let server = tcp_socket(net, b, buf);
    let client = tcp_socket(net, a, buf);
    net.node_mut(b).sockets.tcp_listen(server, 7000).unwrap();
    let now = net.now();
    let n = net.node_mut(a);
    n.stack
        .tcp_connect(now, &mut n.sockets, client, ep(B, 7000), 0)
        .unwrap();
    (client, server)
}

/// Moves `ab` bytes from A to B and `ba` back over a link with `faults`.
pub fn transfer(
    seed: u64,
    faults: FaultConfig,
    ab: usize,
    ba: usize,
    limit: Duration,
) -> Result<(Outcome, Network), String> {
    let (mut net, a, b, _da, _db) = pair(
        seed,
        LinkConfig::default()
            .with_latency(Duration::from_millis(5))
            .with_faults(faults),
    );
    let (client, server) = open_connection(&mut net, a, b);
    let mut a_out = Pipe {
        total: ab,
        ..Default::default()
    };
    let mut b_out = Pipe {
        total: ba,
        ..Default::default()
    };
    let mut a_in = Pipe::default();
    let mut b_in = Pipe::default();
    let mut aborted = None;
    let r = net.run_until(limit, |net| {
        pump(tcp(net, a, client), &mut a_out, &mut a_in, 1, 2);
        pump(tcp(net, b, server), &mut b_out, &mut b_in, 2, 1);
        for (node, h) in [(a, client), (b, server)] {
            if let Some(e) = tcp(net, node, h).error() {
                aborted = Some(e);
                return true;
            }
        }
        let a_state = tcp(net, a, client).state();
        let b_state = tcp(net, b, server).state();
        a_in.eof
            && b_in.eof
            && a_out.closed_sent
            && b_out.closed_sent
            && matches!(a_state, State::Closed | State::TimeWait)
            && matches!(b_state, State::Closed | State::TimeWait)
    });
    for (name, pipe) in [("A->B", &b_in), ("B->A", &a_in)] {
        if let Some(at) = pipe.wrong {
            return Err(format!(
                "seed {seed}: {name} delivered a wrong byte at {at}"
            ));
        }
    }
    if let Some(e) = aborted {
        if std::env::var("TCP_DEBUG").is_ok() {
            eprintln!(
                "seed {seed} aborted at {}: A->B {}/{} B->A {}/{}",
                net.now(),
                b_in.received,
                ab,
                a_in.received,
                ba
            );
            eprintln!("client: {:#?}", tcp(&mut net, a, client));
            eprintln!("server: {:#?}", tcp(&mut net, b, server));
        }
        return Ok((Outcome::Aborted(e), net));
    }
    if let Err(e) = r {
        return Err(format!(
            "seed {seed}: {e}; A->B {}/{} B->A {}/{}; states {:?} {:?}",
            b_in.received,
            ab,
            a_in.received,
            ba,
            tcp(&mut net, a, client).state(),
            tcp(&mut net, b, server).state()
        ));
    }
    if std::env::var("TCP_DEBUG").is_ok() {
        eprintln!(
            "seed {seed}: {ab}+{ba} bytes done at {} in {} steps; A sent {} segments, B {}; faults {:?}",
            net.now(),
            net.steps(),
            net.node(a).stack.stats().tcp.tx_segments,
            net.node(b).stack.stats().tcp.tx_segments,
            net.fault_stats()
        );
    }
    if b_in.received != ab || a_in.received != ba {
        return Err(format!(
            "seed {seed}: byte counts {} {}",
            b_in.received, a_in.received
        ));
    }
    Ok((Outcome::Complete, net))
}
