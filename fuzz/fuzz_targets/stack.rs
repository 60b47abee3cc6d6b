//! The whole stack under arbitrary input: a stack with an Ethernet device
//! (192.0.2.2/24), a TCP listener, a TCP connection being opened, a UDP
//! socket and an echo socket receives the frames the input encodes, with
//! time moving between them, and answers whatever it answers. Nothing may
//! panic, and the stack must keep its promises: every poll returns, and
//! `poll_at` never names a time in the past.
//!
//! Input format: a sequence of records `[len_hi, len_lo, dt_ms, bytes...]`;
//! each is one frame received `dt_ms` milliseconds after the previous one.
//! Frames are sent from the "gateway" 192.0.2.1 / 02:00:00:00:00:01; a
//! record whose first byte is even gets a valid Ethernet header prepended,
//! so the fuzzer reaches the upper layers quickly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microps_core::iface::{Stack, StackConfig, StackStorage};
use microps_core::phy::{Device, DeviceCapabilities, DeviceError, RxMeta, TxMeta, TxSink};
use microps_core::socket::icmp::{IcmpRxBuffer, IcmpRxMetadata, IcmpSocket, IcmpTxBuffer, IcmpTxMetadata};
use microps_core::socket::tcp::{SocketBuffer, TcpSocket};
use microps_core::socket::udp::{UdpPacketBuffer, UdpPacketMetadata, UdpSocket};
use microps_core::socket::{SocketSet, SocketSlot};
use microps_core::time::{Duration, Instant};
use microps_core::wire::{ChecksumCapabilities, EthernetAddress};

struct FuzzDevice {
    frame: Option<Vec<u8>>,
    scratch: Vec<u8>,
    sent: usize,
}

struct Discard<'a> {
    scratch: &'a mut Vec<u8>,
    sent: &'a mut usize,
}

impl TxSink for Discard<'_> {
    fn transmit(&mut self, len: usize, _m: TxMeta, f: &mut dyn FnMut(&mut [u8])) -> Result<(), DeviceError> {
        self.scratch.clear();
        self.scratch.resize(len, 0);
        f(self.scratch);
        *self.sent += 1;
        Ok(())
    }
}

impl Device for FuzzDevice {
    fn capabilities(&self) -> DeviceCapabilities {
        // Checksums ignored so that the fuzzer's frames reach every layer.
        DeviceCapabilities::ethernet(1500, EthernetAddress([2, 0, 0, 0, 0, 2])).with_checksum(ChecksumCapabilities::ignored())
    }
    fn receive(&mut self, _now: Instant, f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink)) -> Result<bool, DeviceError> {
        let Some(frame) = self.frame.take() else { return Ok(false) };
        let mut sink = Discard { scratch: &mut self.scratch, sent: &mut self.sent };
        f(RxMeta::default(), &frame, &mut sink);
        Ok(true)
    }
    fn transmit(&mut self, _now: Instant, len: usize, _meta: TxMeta, f: &mut dyn FnMut(&mut [u8])) -> Result<(), DeviceError> {
        if len > 1514 {
            return Err(DeviceError::TooLong);
        }
        self.scratch.clear();
        self.scratch.resize(len, 0);
        f(&mut self.scratch);
        self.sent += 1;
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut config = StackConfig::default();
    config.seed = 1;
    let mut stack = Stack::new(config, StackStorage::owned(16, 8, 16 * 1024, 2, 65535));
    let mut dev = FuzzDevice { frame: None, scratch: Vec::new(), sent: 0 };
    let id = stack.add_device(dev.capabilities()).unwrap();
    let iface = stack.add_interface(id, "192.0.2.2/24".parse().unwrap()).unwrap();
    stack.set_default_gateway("192.0.2.1".parse().unwrap(), iface).unwrap();
    stack.add_static_neighbor("192.0.2.1".parse().unwrap(), EthernetAddress([2, 0, 0, 0, 0, 1]), id).unwrap();
    let slots: Vec<SocketSlot<'static>> = (0..8).map(|_| SocketSlot::new()).collect();
    let mut sockets = SocketSet::new(slots, 1);
    let listener = sockets.add(TcpSocket::new(SocketBuffer::new(vec![0; 4096]), SocketBuffer::new(vec![0; 4096]))).unwrap();
    sockets.tcp_listen(listener, 7).unwrap();
    let client = sockets.add(TcpSocket::new(SocketBuffer::new(vec![0; 4096]), SocketBuffer::new(vec![0; 4096]))).unwrap();
    let mut now = Instant::from_secs(1);
    let _ = stack.tcp_connect(now, &mut sockets, client, "192.0.2.1:80".parse().unwrap(), 40000);
    let udp = sockets
        .add(UdpSocket::new(
            UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 4], vec![0; 4096]),
            UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 4], vec![0; 4096]),
        ))
        .unwrap();
    sockets.bind_udp(udp, 53).unwrap();
    let icmp = sockets
        .add(IcmpSocket::new(
            IcmpRxBuffer::new(vec![IcmpRxMetadata::EMPTY; 4], vec![0; 4096]),
            IcmpTxBuffer::new(vec![IcmpTxMetadata::EMPTY; 4], vec![0; 4096]),
        ))
        .unwrap();
    sockets.bind_icmp(icmp, 0x4242).unwrap();

    let mut rest = data;
    while rest.len() >= 3 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])) % 1600;
        let dt = u64::from(rest[2]);
        rest = &rest[3..];
        let body = &rest[..len.min(rest.len())];
        rest = &rest[body.len()..];
        let mut frame = Vec::with_capacity(14 + body.len());
        if body.first().is_some_and(|b| b % 2 == 0) {
            frame.extend_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
            if body.get(1).is_some_and(|b| b % 4 == 0) {
                frame[13] = 0x06; // ARP
            }
            frame.extend_from_slice(body.get(2..).unwrap_or(&[]));
        } else {
            frame.extend_from_slice(body);
        }
        now += Duration::from_millis(dt);
        dev.frame = Some(frame);
        // The application side keeps reading and writing.
        if let Some(s) = sockets.get_mut::<TcpSocket>(listener) {
            let mut buf = [0u8; 512];
            let _ = s.recv_slice(&mut buf);
            let _ = s.send_slice(b"hello from the fuzzer");
        }
        if let Some(s) = sockets.get_mut::<UdpSocket>(udp) {
            let _ = s.recv();
        }
        stack.poll(now, &mut [&mut dev], &mut sockets);
        if let Some(at) = stack.poll_at(now, &sockets) {
            assert!(at >= now, "poll_at in the past");
        }
    }
    // Let every timer run out: retransmissions, TIME-WAIT, reassembly.
    for _ in 0..64 {
        match stack.poll_at(now, &sockets) {
            Some(t) => {
                now = t.max(now + Duration::from_millis(1));
                stack.poll(now, &mut [&mut dev], &mut sockets);
            }
            None => break,
        }
    }
});
