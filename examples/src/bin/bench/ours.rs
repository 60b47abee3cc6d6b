//! microps's endpoints for `bench inproc`: a stack, a socket set and one
//! TCP socket each, over a [`Port`].

use microps_core::iface::{Stack, StackConfig, StackStorage};
use microps_core::socket::tcp::{
    Congestion, SackRange, Scoreboard, SentSegment, SocketBuffer, State, TcpSocket,
};
use microps_core::socket::{SocketHandle, SocketSet, SocketSlot};
use microps_core::time::Instant;
use microps_core::wire::Ipv4Address;

use crate::harness::Endpoint;
use crate::link::{OurPort, Port};

pub struct Ours {
    stack: Stack<'static>,
    sockets: SocketSet<'static>,
    dev: OurPort,
    tcp: SocketHandle,
    frames: Port,
}

const A: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
const B: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

impl Ours {
    fn new(
        port: Port,
        addr: Ipv4Address,
        peer: (Ipv4Address, Port),
        buffer: usize,
        reno: bool,
        timestamps: bool,
        idle: usize,
    ) -> Ours {
        let mut config = StackConfig::default();
        config.seed = u64::from(addr.octets()[3]);
        config.tcp.timestamps = timestamps;
        let mut stack = Stack::new(config, StackStorage::owned(8, 8, 64 * 1024, 0, 0));
        let dev = OurPort(port.clone());
        let id = stack
            .add_device(microps_core::phy::Device::capabilities(&dev))
            .unwrap();
        stack
            .add_interface(id, microps_core::wire::Ipv4Cidr::new(addr, 24).unwrap())
            .unwrap();
        stack.add_static_neighbor(peer.0, peer.1.mac, id).unwrap();
        let slots: Vec<SocketSlot<'static>> = (0..2 + idle).map(|_| SocketSlot::new()).collect();
        let mut sockets = SocketSet::new(slots, 1);
        let mut s = TcpSocket::new(
            SocketBuffer::new(vec![0u8; buffer]),
            SocketBuffer::new(vec![0u8; buffer]),
        );
        if !reno {
            s.set_congestion(Congestion::None);
        }
        let ranges = Scoreboard::ranges_for(buffer, 536);
        let times = Scoreboard::segments_for(buffer, 536);
        s.set_scoreboard(
            Scoreboard::new(vec![SackRange::EMPTY; ranges])
                .with_send_times(vec![SentSegment::EMPTY; times]),
        );
        let tcp = sockets.add(s).unwrap();
        Ours {
            stack,
            sockets,
            dev,
            tcp,
            frames: port,
        }
    }

    fn socket(&mut self) -> &mut TcpSocket<'static> {
        self.sockets.get_mut::<TcpSocket>(self.tcp).unwrap()
    }
}

/// The sender (192.0.2.1, connecting) and the receiver (192.0.2.2,
/// listening on port 5001), connection under way; with `idle` more
/// connections between them (port 5002, 1 KiB buffers) open and idle.
pub fn pair(
    a: Port,
    b: Port,
    buffer: usize,
    reno: bool,
    timestamps: bool,
    idle: usize,
) -> (Ours, Ours) {
    let mut rx = Ours::new(b.clone(), B, (A, a.clone()), buffer, reno, timestamps, idle);
    let mut tx = Ours::new(a, A, (B, b), buffer, reno, timestamps, idle);
    let now = Instant::from_secs(1);
    if idle > 0 {
        open_idle(&mut tx, &mut rx, idle, now);
    }
    rx.sockets.tcp_listen(rx.tcp, 5001).unwrap();
    tx.stack
        .tcp_connect(
            now,
            &mut tx.sockets,
            tx.tcp,
            "192.0.2.2:5001".parse().unwrap(),
            0,
        )
        .unwrap();
    (tx, rx)
}

/// Opens `n` connections from `tx` to `rx` and polls both until every one
/// is established (the clock stays at `now`: the handshakes need no timer).
fn open_idle(tx: &mut Ours, rx: &mut Ours, n: usize, now: Instant) {
    let small = || {
        TcpSocket::new(
            SocketBuffer::new(vec![0u8; 1024]),
            SocketBuffer::new(vec![0u8; 1024]),
        )
    };
    let mut clients = Vec::new();
    for _ in 0..n {
        let l = rx.sockets.add(small()).unwrap();
        rx.sockets.tcp_listen(l, 5002).unwrap();
        let c = tx.sockets.add(small()).unwrap();
        tx.stack
            .tcp_connect(
                now,
                &mut tx.sockets,
                c,
                "192.0.2.2:5002".parse().unwrap(),
                0,
            )
            .unwrap();
        clients.push(c);
    }
    for _ in 0..100_000 {
        tx.stack.poll(now, &mut [&mut tx.dev], &mut tx.sockets);
        rx.stack.poll(now, &mut [&mut rx.dev], &mut rx.sockets);
        let open = clients.iter().all(|&c| {
            tx.sockets
                .get::<TcpSocket>(c)
                .is_some_and(|s| s.state() == State::Established)
        });
        if open {
            // One more round for the last ACKs.
            tx.stack.poll(now, &mut [&mut tx.dev], &mut tx.sockets);
            rx.stack.poll(now, &mut [&mut rx.dev], &mut rx.sockets);
            return;
        }
    }
    panic!("the idle connections did not open");
}

impl Endpoint for Ours {
    fn poll(&mut self, now: u64) -> bool {
        let now = Instant::from_micros(now as i64);
        let before = (
            self.frames.tx.borrow().frames_sent,
            self.frames.rx.borrow().len(),
        );
        self.stack
            .poll(now, &mut [&mut self.dev], &mut self.sockets);
        let after = (
            self.frames.tx.borrow().frames_sent,
            self.frames.rx.borrow().len(),
        );
        before != after
    }

    fn poll_at(&mut self, now: u64) -> Option<u64> {
        let now = Instant::from_micros(now as i64);
        self.stack
            .poll_at(now, &self.sockets)
            .map(|t| t.total_micros() as u64)
    }

    fn send(&mut self, fill: &mut dyn FnMut(&mut [u8]) -> usize) -> usize {
        let s = self.socket();
        if !s.may_send() {
            return 0;
        }
        s.send(|buf| {
            let n = fill(buf);
            (n, n)
        })
        .unwrap_or(0)
    }

    fn recv(&mut self, take: &mut dyn FnMut(&[u8]) -> usize) -> usize {
        let s = self.socket();
        if s.state() == State::Listen {
            return 0;
        }
        s.recv(|buf| {
            let n = take(buf);
            (n, n)
        })
        .unwrap_or(0)
    }

    fn frames_sent(&self) -> (u64, u64) {
        self.frames.sent()
    }

    fn visits(&self) -> u64 {
        self.sockets.visits()
    }
}
