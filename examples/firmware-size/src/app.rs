//! The microps firmware's application: Ethernet, ARP, IPv4, ICMP echo, a
//! UDP echo socket and a TCP echo socket with 4 KiB buffers, on
//! microps-core, over the stand-in NIC. Shared by the `microps` bin (the
//! size comparison, with panic-halt) and the `nopanic` bin (the link check).

use microps_core::iface::{ArpSlot, Stack, StackConfig, StackStorage};
use microps_core::phy::{Device, DeviceCapabilities, DeviceError, RxMeta, TxMeta, TxSink};
use microps_core::socket::tcp::{SocketBuffer, TcpSocket};
use microps_core::socket::udp::{UdpPacketBuffer, UdpPacketMetadata, UdpSocket};
use microps_core::socket::{SocketSet, SocketSlot};
use microps_core::storage::PacketMetadata;
use microps_core::time::Instant;
use microps_core::wire::{EthernetAddress, Ipv4Address, Ipv4Cidr};

use crate::nic;

struct Nic {
    buf: [u8; 1514],
}

struct Sink<'b>(&'b mut [u8; 1514]);

impl TxSink for Sink<'_> {
    fn transmit(
        &mut self,
        len: usize,
        _: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        let frame = self.0.get_mut(..len).ok_or(DeviceError::TooLong)?;
        f(frame);
        nic::tx_write(frame);
        Ok(())
    }
}

impl Device for Nic {
    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::ethernet(1500, EthernetAddress(nic::MAC))
    }

    fn receive(
        &mut self,
        _: Instant,
        f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError> {
        let len = nic::rx_len();
        if len == 0 {
            return Ok(false);
        }
        let mut frame = [0u8; 1514];
        let frame = frame.get_mut(..len).unwrap_or(&mut []);
        nic::rx_read(frame);
        f(RxMeta::default(), frame, &mut Sink(&mut self.buf));
        Ok(true)
    }

    fn transmit(
        &mut self,
        _: Instant,
        len: usize,
        _: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        Sink(&mut self.buf).transmit(len, TxMeta::default(), f)
    }
}

/// Brings the stack up and serves forever.
pub fn run() -> ! {
    let mut arp = [ArpSlot::EMPTY; 8];
    let storage = StackStorage::new(&mut arp[..], &mut [][..], &mut [][..], &mut [][..]);
    let mut nic = Nic { buf: [0; 1514] };
    let mut stack = Stack::new(StackConfig::default(), storage);
    let Ok(dev) = stack.add_device(nic.capabilities()) else {
        loop {}
    };
    let Some(cidr) = Ipv4Cidr::new(Ipv4Address::new(192, 0, 2, 2), 24) else {
        loop {}
    };
    let _ = stack.add_interface(dev, cidr);

    let (mut tcp_rx, mut tcp_tx) = ([0u8; 4096], [0u8; 4096]);
    let (mut udp_rx_meta, mut udp_tx_meta) =
        ([UdpPacketMetadata::EMPTY; 4], [PacketMetadata::EMPTY; 4]);
    let (mut udp_rx, mut udp_tx) = ([0u8; 1024], [0u8; 1024]);
    let mut slots = [SocketSlot::new(), SocketSlot::new()];
    let mut sockets = SocketSet::new(&mut slots[..], 1);
    let Ok(tcp) = sockets.add(TcpSocket::new(
        SocketBuffer::new(&mut tcp_rx[..]),
        SocketBuffer::new(&mut tcp_tx[..]),
    )) else {
        loop {}
    };
    let Ok(udp) = sockets.add(UdpSocket::new(
        UdpPacketBuffer::new(&mut udp_rx_meta[..], &mut udp_rx[..]),
        UdpPacketBuffer::new(&mut udp_tx_meta[..], &mut udp_tx[..]),
    )) else {
        loop {}
    };
    let _ = sockets.bind_udp(udp, 7);
    let mut buf = [0u8; 512];
    loop {
        let now = Instant::from_millis(i64::from(nic::now_ms()));
        stack.poll(now, &mut [&mut nic], &mut sockets);
        if let Some(s) = sockets.get_mut::<TcpSocket>(tcp) {
            if !s.is_open() {
                let _ = sockets.tcp_listen(tcp, 7);
            } else if let Ok(n) = s.recv_slice(&mut buf) {
                let _ = s.send_slice(buf.get(..n).unwrap_or(&[]));
            }
        }
        if let Some(s) = sockets.get_mut::<UdpSocket>(udp)
            && let Ok(r) = s.recv_slice(&mut buf)
        {
            let _ = s.send_slice(buf.get(..r.len).unwrap_or(&[]), r.meta.remote);
        }
        let _ = stack.poll_at(now, &sockets);
    }
}
