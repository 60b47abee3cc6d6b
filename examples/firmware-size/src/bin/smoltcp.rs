//! Ethernet, ARP, IPv4, ICMP echo, a UDP echo socket and a TCP echo socket
//! with 4 KiB buffers, on smoltcp 0.14, over the stand-in NIC.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_halt as _;

use smoltcp::iface::{Config, Interface, SocketSet, SocketStorage};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::socket::{tcp, udp};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};

#[path = "../nic.rs"]
mod nic;

struct Nic {
    rx: [u8; 1514],
    tx: [u8; 1514],
}

struct Rx<'a>(&'a mut [u8]);
struct Tx<'a>(&'a mut [u8; 1514]);

impl phy::RxToken for Rx<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let frame = &mut self.0[..len.min(1514)];
        let r = f(frame);
        nic::tx_write(frame);
        r
    }
}

impl phy::Device for Nic {
    type RxToken<'a> = Rx<'a>;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _: Instant) -> Option<(Rx<'_>, Tx<'_>)> {
        let len = nic::rx_len();
        if len == 0 {
            return None;
        }
        nic::rx_read(&mut self.rx[..len]);
        Some((Rx(&mut self.rx[..len]), Tx(&mut self.tx)))
    }

    fn transmit(&mut self, _: Instant) -> Option<Tx<'_>> {
        Some(Tx(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps
    }
}

#[entry]
fn main() -> ! {
    let mut nic = Nic {
        rx: [0; 1514],
        tx: [0; 1514],
    };
    let config = Config::new(HardwareAddress::Ethernet(EthernetAddress(nic::MAC)));
    let mut iface = Interface::new(config, &mut nic, Instant::from_millis(0));
    iface.update_ip_addrs(|a| {
        let _ = a.push(IpCidr::new(IpAddress::v4(192, 0, 2, 2), 24));
    });
    let (mut tcp_rx, mut tcp_tx) = ([0u8; 4096], [0u8; 4096]);
    let (mut udp_rx_meta, mut udp_tx_meta) = (
        [udp::PacketMetadata::EMPTY; 4],
        [udp::PacketMetadata::EMPTY; 4],
    );
    let (mut udp_rx, mut udp_tx) = ([0u8; 1024], [0u8; 1024]);
    let mut storage = [SocketStorage::EMPTY; 2];
    let mut sockets = SocketSet::new(&mut storage[..]);
    let tcp = sockets.add(tcp::Socket::new(
        tcp::SocketBuffer::new(&mut tcp_rx[..]),
        tcp::SocketBuffer::new(&mut tcp_tx[..]),
    ));
    let udp = sockets.add(udp::Socket::new(
        udp::PacketBuffer::new(&mut udp_rx_meta[..], &mut udp_rx[..]),
        udp::PacketBuffer::new(&mut udp_tx_meta[..], &mut udp_tx[..]),
    ));
    let _ = sockets.get_mut::<udp::Socket>(udp).bind(7);
    let mut buf = [0u8; 512];
    loop {
        let now = Instant::from_millis(i64::from(nic::now_ms()));
        iface.poll(now, &mut nic, &mut sockets);
        let s = sockets.get_mut::<tcp::Socket>(tcp);
        if !s.is_open() {
            let _ = s.listen(7);
        } else if let Ok(n) = s.recv_slice(&mut buf) {
            let _ = s.send_slice(&buf[..n]);
        }
        let s = sockets.get_mut::<udp::Socket>(udp);
        if let Ok((n, meta)) = s.recv_slice(&mut buf) {
            let _ = s.send_slice(&buf[..n], meta.endpoint);
        }
        let _ = iface.poll_at(now, &sockets);
    }
}
