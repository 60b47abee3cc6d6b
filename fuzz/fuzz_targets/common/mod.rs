//! The harness the structured whole-stack targets share: one stack
//! (192.0.2.2/24 on an Ethernet device) whose peer, 192.0.2.1, is played by
//! the harness. Before the input starts, the harness completes a handshake
//! with a socket listening on port 80, so every run begins with an
//! ESTABLISHED connection; it also gives the stack a `TcpListener` on port
//! 7 with a pool of two sockets, a UDP socket on port 53, and a datagram
//! whose first fragment is waiting for the rest. The input then says what
//! the peer sends (with sequence and acknowledgment numbers relative to the
//! connection's RCV.NXT and SND.UNA, and valid checksums, so that segments
//! land in the window), what the application does, and how time moves.
//!
//! After every step the harness checks the invariants: see
//! [`Harness::check`]. Everything is deterministic: fixed seeds, a virtual
//! clock.
#![allow(dead_code)]

use std::collections::VecDeque;

use microps_core::iface::{PollResult, Stack, StackConfig, StackStorage};
use microps_core::phy::{Device, DeviceCapabilities, DeviceError, RxMeta, TxMeta, TxSink};
use microps_core::socket::tcp::{
    SocketBuffer, State, SynSlot, TcpListener, TcpSocket,
};
use microps_core::socket::udp::{UdpPacketBuffer, UdpPacketMetadata, UdpSocket};
use microps_core::socket::{HandleSlot, SocketHandle, SocketSet, SocketSlot};
use microps_core::time::{Duration, Instant};
use microps_core::wire::{
    ArpOperation, ArpPacket, ArpRepr, ChecksumCapabilities, EtherType, EthernetAddress,
    EthernetFrame, EthernetRepr, IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr, SeqNumber,
    TcpFlags, TcpOptions, TcpPacket, TcpRepr, checksum,
};

pub const PEER_IP: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
pub const OUR_IP: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
pub const PEER_MAC: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
pub const OUR_MAC: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);
/// The connection: the peer's port 40000 to our port 80.
pub const PEER_PORT: u16 = 40000;
pub const CONN_PORT: u16 = 80;
pub const LISTENER_PORT: u16 = 7;
pub const UDP_PORT: u16 = 53;
const PEER_ISS: u32 = 1_000_000;

/// A device whose received frames come from a queue and whose transmitted
/// frames are kept (the last few) for the harness to read.
pub struct Dev {
    pub rx: VecDeque<Vec<u8>>,
    pub tx: VecDeque<Vec<u8>>,
}

struct Sink<'a>(&'a mut VecDeque<Vec<u8>>);

fn keep(tx: &mut VecDeque<Vec<u8>>, len: usize, f: &mut dyn FnMut(&mut [u8])) {
    let mut frame = vec![0u8; len];
    f(&mut frame);
    if tx.len() >= 64 {
        tx.pop_front();
    }
    tx.push_back(frame);
}

impl TxSink for Sink<'_> {
    fn transmit(&mut self, len: usize, _m: TxMeta, f: &mut dyn FnMut(&mut [u8])) -> Result<(), DeviceError> {
        keep(self.0, len, f);
        Ok(())
    }
}

impl Device for Dev {
    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::ethernet(1500, OUR_MAC)
    }
    fn receive(&mut self, _now: Instant, f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink)) -> Result<bool, DeviceError> {
        let Some(frame) = self.rx.pop_front() else { return Ok(false) };
        f(RxMeta::default(), &frame, &mut Sink(&mut self.tx));
        Ok(true)
    }
    fn transmit(&mut self, _now: Instant, len: usize, _meta: TxMeta, f: &mut dyn FnMut(&mut [u8])) -> Result<(), DeviceError> {
        if len > 1514 {
            return Err(DeviceError::TooLong);
        }
        keep(&mut self.tx, len, f);
        Ok(())
    }
}

/// A reader over the fuzzer's bytes; past the end everything is zero.
pub struct Input<'a>(pub &'a [u8]);

impl Input<'_> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }
    pub fn i16(&mut self) -> i16 {
        self.u16() as i16
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    pub fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (b, rest) = self.0.split_at(n);
        self.0 = rest;
        b
    }
}

/// A frame from the peer carrying an IPv4 datagram.
pub fn ip_frame(repr: Ipv4Repr, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0u8; 14 + 20 + payload.len()];
    EthernetRepr { src_addr: PEER_MAC, dst_addr: OUR_MAC, ethertype: EtherType::Ipv4 }
        .emit(&mut EthernetFrame::new_unchecked(&mut frame[..]));
    let mut packet = Ipv4Packet::new_unchecked(&mut frame[14..]);
    Ipv4Repr { payload_len: payload.len(), ..repr }.emit(&mut packet, &ChecksumCapabilities::all());
    packet.payload_mut().copy_from_slice(payload);
    frame
}

pub fn ip_repr(protocol: IpProtocol, ident: u16) -> Ipv4Repr {
    Ipv4Repr {
        src_addr: PEER_IP,
        dst_addr: OUR_IP,
        protocol,
        payload_len: 0,
        ttl: 64,
        tos: 0,
        ident,
        dont_frag: false,
        more_frags: false,
        frag_offset: 0,
    }
}

/// A TCP segment from the peer, checksummed.
pub fn tcp_frame(repr: &TcpRepr<'_>) -> Vec<u8> {
    let mut seg = vec![0u8; repr.buffer_len()];
    repr.emit(&mut TcpPacket::new_unchecked(&mut seg[..]), &PEER_IP, &OUR_IP, &ChecksumCapabilities::all());
    ip_frame(ip_repr(IpProtocol::Tcp, 1), &seg)
}

/// A UDP datagram (header and `payload`) from the peer's `sport` to `dport`.
pub fn udp_datagram(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut d = vec![0u8; len];
    d[0..2].copy_from_slice(&sport.to_be_bytes());
    d[2..4].copy_from_slice(&dport.to_be_bytes());
    d[4..6].copy_from_slice(&(len as u16).to_be_bytes());
    d[8..].copy_from_slice(payload);
    let sum = checksum::combine(&[checksum::pseudo_header(&PEER_IP, &OUR_IP, 17, len as u32), checksum::data(&d)]);
    d[6..8].copy_from_slice(&checksum::finish(sum).to_be_bytes());
    d
}

pub fn arp_frame(op: ArpOperation, spa: Ipv4Address, sha: EthernetAddress) -> Vec<u8> {
    let mut frame = vec![0u8; 14 + 28];
    EthernetRepr { src_addr: sha, dst_addr: EthernetAddress::BROADCAST, ethertype: EtherType::Arp }
        .emit(&mut EthernetFrame::new_unchecked(&mut frame[..]));
    ArpRepr {
        operation: op,
        source_hardware_addr: sha,
        source_protocol_addr: spa,
        target_hardware_addr: EthernetAddress::UNSPECIFIED,
        target_protocol_addr: OUR_IP,
    }
    .emit(&mut ArpPacket::new_unchecked(&mut frame[14..]));
    frame
}

/// The TCP segments the stack sent to the peer (the last 64 frames),
/// parsed: (source port, destination port, SEQ, ACK, flags, timestamps).
pub fn sent_segments(tx: &VecDeque<Vec<u8>>) -> Vec<(u16, u16, u32, u32, TcpFlags, Option<(u32, u32)>)> {
    let mut out = Vec::new();
    for f in tx {
        let Ok(eth) = EthernetFrame::new_checked(&f[..]) else { continue };
        let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else { continue };
        if ip.protocol() != IpProtocol::Tcp {
            continue;
        }
        let Ok(tcp) = TcpPacket::new_checked(ip.payload()) else { continue };
        let Ok(repr) = TcpRepr::parse(&tcp, &OUR_IP, &PEER_IP, &ChecksumCapabilities::ignored()) else { continue };
        out.push((repr.src_port, repr.dst_port, repr.seq_number.0, repr.ack_number.0, repr.flags, repr.options.timestamps));
    }
    out
}

fn buffers(n: usize) -> (SocketBuffer<'static>, SocketBuffer<'static>) {
    (SocketBuffer::new(vec![0; n]), SocketBuffer::new(vec![0; n]))
}

pub struct Harness {
    pub stack: Stack<'static>,
    pub sockets: SocketSet<'static>,
    pub dev: Dev,
    pub now: Instant,
    pub conn: SocketHandle,
    pub listener: SocketHandle,
    pub udp: SocketHandle,
    /// Connections accepted from the listener.
    pub accepted: Vec<SocketHandle>,
    /// The peer's timestamp clock.
    pub ts_val: u32,
    /// The last TSval the stack sent (the peer's TSecr).
    pub ts_ecr: u32,
    /// (IRS, RCV.NXT) of the connection when last checked.
    last_rcv: Option<(SeqNumber, SeqNumber)>,
    /// Application data written to the connection, for the pattern.
    pub written: usize,
    /// Steps taken.
    pub steps: u64,
    /// The states the connection and the accepted sockets were seen in.
    pub states: std::collections::BTreeSet<String>,
}

impl Harness {
    /// A stack with its sockets, the connection ESTABLISHED.
    pub fn new() -> Harness {
        let mut config = StackConfig::default();
        config.seed = 7;
        let storage = StackStorage::owned(16, 8, 32 * 1024, 2, 65535);
        let mut stack = Stack::new(config, storage);
        let dev = Dev { rx: VecDeque::new(), tx: VecDeque::new() };
        let id = stack.add_device(dev.capabilities()).unwrap();
        let iface = stack.add_interface(id, "192.0.2.2/24".parse().unwrap()).unwrap();
        stack.set_default_gateway(PEER_IP, iface).unwrap();
        stack.add_static_neighbor(PEER_IP, PEER_MAC, id).unwrap();
        let slots: Vec<SocketSlot<'static>> = (0..8).map(|_| SocketSlot::new()).collect();
        let mut sockets = SocketSet::new(slots, 1);
        let (rx, tx) = buffers(8192);
        let conn = sockets.add(TcpSocket::new(rx, tx)).unwrap();
        sockets.tcp_listen(conn, CONN_PORT).unwrap();
        let listener = sockets
            .add(TcpListener::new(vec![SynSlot::EMPTY; 4], vec![HandleSlot::EMPTY; 2], vec![HandleSlot::EMPTY; 2]))
            .unwrap();
        sockets.tcp_listen(listener, LISTENER_PORT).unwrap();
        for _ in 0..2 {
            let (rx, tx) = buffers(2048);
            let s = sockets.add(TcpSocket::new(rx, tx)).unwrap();
            sockets.tcp_pool_add(listener, s).unwrap();
        }
        let udp = sockets
            .add(UdpSocket::new(
                UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 4], vec![0; 4096]),
                UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 4], vec![0; 4096]),
            ))
            .unwrap();
        sockets.bind_udp(udp, UDP_PORT).unwrap();
        let mut h = Harness {
            stack,
            sockets,
            dev,
            now: Instant::from_secs(1),
            conn,
            listener,
            udp,
            accepted: Vec::new(),
            ts_val: 100,
            ts_ecr: 0,
            last_rcv: None,
            written: 0,
            steps: 0,
            states: Default::default(),
        };
        h.handshake();
        h.pending_reassembly();
        h
    }

    fn handshake(&mut self) {
        let mut options = TcpOptions::new();
        options.mss = Some(1460);
        options.window_scale = Some(2);
        options.sack_permitted = true;
        options.timestamps = Some((self.ts_val, 0));
        let syn = TcpRepr {
            src_port: PEER_PORT,
            dst_port: CONN_PORT,
            seq_number: SeqNumber(PEER_ISS),
            ack_number: SeqNumber(0),
            flags: TcpFlags::SYN,
            window_len: 65535,
            urgent_pointer: 0,
            options,
            payload: &[],
        };
        self.deliver(tcp_frame(&syn));
        let synack = sent_segments(&self.dev.tx)
            .into_iter()
            .find(|s| s.4.contains(TcpFlags::SYN) && s.4.contains(TcpFlags::ACK))
            .expect("the stack answers the SYN");
        self.ts_ecr = synack.5.map_or(0, |t| t.0);
        self.advance(Duration::from_millis(10));
        let ack = self.conn_segment(TcpFlags::ACK, 0, 0, 4096, &[], true);
        let ack = TcpRepr { ack_number: SeqNumber(synack.2.wrapping_add(1)), ..ack };
        self.deliver(tcp_frame(&ack));
        let state = self.sockets.get::<TcpSocket>(self.conn).map(|s| s.state());
        assert_eq!(state, Some(State::Established), "the harness's handshake");
    }

    /// The first of two fragments of a UDP datagram to port 53.
    fn pending_reassembly(&mut self) {
        let dg = udp_datagram(5353, UDP_PORT, &[0x5a; 40]);
        let repr = Ipv4Repr { more_frags: true, ..ip_repr(IpProtocol::Udp, 0x7777) };
        self.deliver(ip_frame(repr, &dg[..24]));
    }

    /// A segment of the connection from the peer: `seq_off` from RCV.NXT,
    /// `ack_off` from SND.UNA; with the peer's timestamps if `ts`.
    pub fn conn_segment<'p>(&self, flags: TcpFlags, seq_off: i64, ack_off: i64, window: u16, payload: &'p [u8], ts: bool) -> TcpRepr<'p> {
        let seq = self.sockets.get::<TcpSocket>(self.conn).map(|s| s.sequence_numbers());
        let (rcv_nxt, snd_una) = seq.map_or((PEER_ISS, 0), |q| (q.rcv_nxt.0, q.snd_una.0));
        let mut options = TcpOptions::new();
        if ts {
            options.timestamps = Some((self.ts_val, self.ts_ecr));
        }
        TcpRepr {
            src_port: PEER_PORT,
            dst_port: CONN_PORT,
            seq_number: SeqNumber(rcv_nxt.wrapping_add(seq_off as u32)),
            ack_number: SeqNumber(snd_una.wrapping_add(ack_off as u32)),
            flags,
            window_len: window,
            urgent_pointer: 0,
            options,
            payload,
        }
    }

    /// Moves the clock (and the peer's timestamp clock with it).
    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        self.ts_val = self.ts_val.wrapping_add(d.total_millis() as u32 + 1);
    }

    /// Hands `frame` to the stack and runs it until it rests; then checks.
    pub fn deliver(&mut self, frame: Vec<u8>) {
        self.dev.rx.push_back(frame);
        self.settle();
    }

    /// Polls until a poll makes no progress (bounded), then checks the
    /// invariants.
    pub fn settle(&mut self) {
        let mut rested = false;
        for _ in 0..64 {
            let r: PollResult = self.stack.poll(self.now, &mut [&mut self.dev], &mut self.sockets);
            self.note_timestamps();
            if !r.progressed() && self.dev.rx.is_empty() {
                rested = true;
                break;
            }
        }
        assert!(rested, "the stack never rests at {:?}", self.now);
        self.check();
    }

    /// The peer echoes the latest TSval the stack sent.
    fn note_timestamps(&mut self) {
        if let Some(ts) = sent_segments(&self.dev.tx).iter().rev().find_map(|s| s.5) {
            self.ts_ecr = ts.0;
        }
    }

    /// Lets time run to the stack's next deadline (at most `limit` ahead).
    pub fn run_timers(&mut self, limit: Duration) {
        let end = self.now + limit;
        for _ in 0..256 {
            match self.stack.poll_at(self.now, &self.sockets) {
                Some(t) if t <= end => {
                    let step = t.saturating_duration_since(self.now);
                    self.advance(step);
                    self.settle();
                }
                _ => break,
            }
        }
        if self.now < end {
            let step = end.saturating_duration_since(self.now);
            self.advance(step);
            self.settle();
        }
    }

    /// The invariants, after a poll that made no progress:
    ///
    /// - the connection's SND.UNA <= SND.NXT <= the highest SND.NXT, and
    ///   RCV.NXT never moves back within one incarnation (same IRS);
    /// - every TCP socket's queues are within their capacity;
    /// - `poll_at` is after now, or None: nothing is due that the poll
    ///   did not do (no timer spins);
    /// - the link's counters add up: every frame received was dropped by
    ///   the link layer or handed to ARP or IPv4.
    pub fn check(&mut self) {
        self.steps += 1;
        if let Some(s) = self.sockets.get::<TcpSocket>(self.conn) {
            let q = s.sequence_numbers();
            if s.state().is_synchronized() {
                assert!(q.snd_una <= q.snd_nxt && q.snd_nxt <= q.snd_max, "send sequence {q:?}");
                if let Some((irs, nxt)) = self.last_rcv
                    && irs == q.irs
                {
                    assert!(nxt <= q.rcv_nxt, "RCV.NXT went back: {nxt:?} -> {q:?}");
                }
                self.last_rcv = Some((q.irs, q.rcv_nxt));
            }
        }
        for h in self.accepted.iter().chain([&self.conn]) {
            if let Some(s) = self.sockets.get::<TcpSocket>(*h) {
                self.states.insert(format!("{:?}", s.state()));
                assert!(s.recv_queue() <= s.recv_capacity());
                assert!(s.send_queue() <= s.send_capacity());
            }
        }
        if let Some(at) = self.stack.poll_at(self.now, &self.sockets) {
            assert!(at > self.now, "poll_at {at:?} not after {:?} after a poll that did nothing", self.now);
        }
        let st = self.stack.stats();
        let l = &st.link;
        let link_drops = l.drop_malformed.get() + l.drop_multicast.get() + l.drop_not_for_us.get() + l.drop_unknown_type.get();
        assert_eq!(
            l.rx_frames.get(),
            link_drops + st.arp.rx_packets.get() + st.ipv4.rx_packets.get(),
            "link counters"
        );
    }

    /// With `FUZZ_REPORT=<file>` in the environment, appends what this run
    /// reached: the TCP states seen and every counter that moved (for the
    /// coverage report; `scripts/fuzz-report` sums the lines).
    pub fn report(&self, target: &str) {
        let Some(path) = std::env::var_os("FUZZ_REPORT") else { return };
        let mut line = format!("{target} states:");
        for s in &self.states {
            line.push(' ');
            line.push_str(s);
        }
        let stats = self.stack.stats().to_string().replace('\n', " ");
        line.push_str(&format!(" | {stats}\n"));
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(line.as_bytes());
        }
    }

    /// Takes the connection to the state `which` names (mod 9): one of
    /// ESTABLISHED (as built), CLOSE-WAIT, FIN-WAIT-1, FIN-WAIT-2, CLOSING,
    /// TIME-WAIT, LAST-ACK, SYN-SENT (a new active open from port 80 to
    /// the peer) and SYN-RECEIVED (a new passive open on port 80).
    pub fn into_state(&mut self, which: u8) {
        let fin = |h: &Harness, ack_off| {
            let seg = h.conn_segment(TcpFlags::FIN | TcpFlags::ACK, 0, ack_off, 4096, &[], true);
            tcp_frame(&seg)
        };
        let ack = |h: &Harness, seq_off, ack_off| {
            let seg = h.conn_segment(TcpFlags::ACK, seq_off, ack_off, 4096, &[], true);
            tcp_frame(&seg)
        };
        let close = |h: &mut Harness| {
            if let Some(s) = h.sockets.get_mut::<TcpSocket>(h.conn) {
                s.close();
            }
            h.settle();
        };
        match which % 9 {
            0 => {}
            1 => self.deliver(fin(self, 0)),
            2 => close(self),
            3 => {
                close(self);
                self.deliver(ack(self, 0, 1));
            }
            4 => {
                close(self);
                self.deliver(fin(self, 0));
            }
            5 => {
                close(self);
                self.deliver(fin(self, 1));
            }
            6 => {
                self.deliver(fin(self, 0));
                close(self);
            }
            7 | 8 => {
                if let Some(s) = self.sockets.get_mut::<TcpSocket>(self.conn) {
                    s.abort();
                }
                self.settle();
                self.run_timers(Duration::from_secs(1));
                self.last_rcv = None;
                if which % 9 == 7 {
                    let peer = std::net::SocketAddrV4::new(PEER_IP, PEER_PORT);
                    let (now, conn) = (self.now, self.conn);
                    let _ = self.stack.tcp_connect(now, &mut self.sockets, conn, peer, CONN_PORT);
                    self.settle();
                } else {
                    let _ = self.sockets.tcp_listen(self.conn, CONN_PORT);
                    let mut syn = self.conn_segment(TcpFlags::SYN, 0, 0, 65535, &[], true);
                    syn.seq_number = SeqNumber(PEER_ISS.wrapping_mul(3));
                    syn.options.mss = Some(1000);
                    self.deliver(tcp_frame(&syn));
                }
            }
            _ => {}
        }
    }

    /// The application's turn on the connection (and the listener's):
    /// one of write, read, close, abort, accept, chosen by `op`.
    pub fn app(&mut self, op: u8, n: usize) {
        match op % 6 {
            0 => {
                let start = self.written;
                if let Some(s) = self.sockets.get_mut::<TcpSocket>(self.conn) {
                    let data: Vec<u8> = (0..n).map(|i| (start + i) as u8).collect();
                    if let Ok(k) = s.send_slice(&data) {
                        self.written += k;
                    }
                }
            }
            1 => {
                if let Some(s) = self.sockets.get_mut::<TcpSocket>(self.conn) {
                    let mut buf = vec![0u8; n.max(1)];
                    let _ = s.recv_slice(&mut buf);
                }
            }
            2 => {
                if let Some(s) = self.sockets.get_mut::<TcpSocket>(self.conn) {
                    s.close();
                }
            }
            3 => {
                if let Some(s) = self.sockets.get_mut::<TcpSocket>(self.conn) {
                    s.abort();
                }
            }
            4 => {
                if let Some(h) = self.sockets.tcp_accept(self.listener) {
                    self.accepted.push(h);
                }
            }
            _ => {
                for h in self.accepted.clone() {
                    if let Some(s) = self.sockets.get_mut::<TcpSocket>(h) {
                        let mut buf = [0u8; 256];
                        let _ = s.recv_slice(&mut buf);
                        let _ = s.send_slice(b"echo");
                        if n % 3 == 0 {
                            s.close();
                        }
                    }
                }
            }
        }
        self.settle();
    }
}

/// Flags from a byte: the low six control bits.
pub fn flags(b: u8) -> TcpFlags {
    let mut f = TcpFlags::empty();
    for (bit, flag) in [
        (0, TcpFlags::FIN),
        (1, TcpFlags::SYN),
        (2, TcpFlags::RST),
        (3, TcpFlags::PSH),
        (4, TcpFlags::ACK),
        (5, TcpFlags::URG),
    ] {
        if b & (1 << bit) != 0 {
            f |= flag;
        }
    }
    f
}

/// An offset: small around zero most of the time, anywhere sometimes.
pub fn offset(input: &mut Input<'_>) -> i64 {
    let kind = input.u8();
    let v = i64::from(input.i16());
    match kind % 4 {
        0 | 1 => v % 64,
        2 => v,
        _ => v * 65536,
    }
}

pub fn connection_segment(h: &mut Harness, input: &mut Input<'_>) {
    let f = flags(input.u8());
    let seq = offset(input);
    let ack = offset(input);
    let window = input.u16();
    let opts = input.u8();
    let len = usize::from(input.u16() % 3000);
    let urgent = input.u16();
    let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
    let mut seg = h.conn_segment(f, seq, ack, window, &payload, opts & 1 == 0);
    seg.urgent_pointer = urgent;
    if opts & 2 != 0 {
        seg.options.mss = Some(input.u16());
    }
    if opts & 4 != 0 {
        seg.options.window_scale = Some(input.u8());
    }
    if opts & 8 != 0 {
        seg.options.sack_permitted = true;
    }
    if opts & 16 != 0 {
        // SACK blocks around SND.UNA.
        let base = h.conn_segment(TcpFlags::ACK, 0, 0, 0, &[], false).ack_number;
        for b in seg.options.sack_blocks.iter_mut().take(usize::from(opts >> 6) + 1) {
            let l = offset(input);
            let r = l + i64::from(input.u16() % 4000);
            *b = Some((base + l as usize, base + r as usize));
        }
    }
    if opts & 32 != 0
        && let Some((_, ecr)) = seg.options.timestamps
    {
        // An old or a future TSval (PAWS).
        seg.options.timestamps = Some((h.ts_val.wrapping_add(input.u32()), ecr));
    }
    h.deliver(tcp_frame(&seg));
}

