//! smoltcp's endpoints for `bench inproc`: an `Interface`, a `SocketSet`
//! and one TCP socket each, over a [`Port`] through smoltcp's token
//! device, with the same buffers and congestion control as microps's.

use std::cell::RefCell;

use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{self, ChecksumCapabilities, DeviceCapabilities, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};

use crate::harness::Endpoint;
use crate::link::{Pool, Port};

/// smoltcp's device over a port.
pub struct SmolPort(pub Port);

pub struct SmolRx<'a> {
    frame: Vec<u8>,
    pool: &'a RefCell<Pool>,
}

pub struct SmolTx<'a> {
    port: &'a Port,
}

impl phy::Device for SmolPort {
    type RxToken<'a>
        = SmolRx<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = SmolTx<'a>
    where
        Self: 'a;

    fn receive(&mut self, _ts: Instant) -> Option<(SmolRx<'_>, SmolTx<'_>)> {
        let frame = self.0.rx.borrow_mut().pop()?;
        Some((
            SmolRx {
                frame,
                pool: &self.0.pool,
            },
            SmolTx { port: &self.0 },
        ))
    }

    fn transmit(&mut self, _ts: Instant) -> Option<SmolTx<'_>> {
        Some(SmolTx { port: &self.0 })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        // smoltcp's MTU counts the Ethernet header.
        caps.max_transmission_unit = self.0.mtu + 14;
        if !self.0.soft_checksums {
            caps.checksum = ChecksumCapabilities::ignored();
        }
        caps
    }
}

impl phy::RxToken for SmolRx<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        let r = f(&self.frame);
        self.pool.borrow_mut().give(self.frame);
        r
    }
}

impl phy::TxToken for SmolTx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut b = self.port.pool.borrow_mut().take(len);
        let r = f(&mut b);
        self.port.tx.borrow_mut().push(b);
        r
    }
}

pub struct Smol {
    iface: Interface,
    sockets: SocketSet<'static>,
    dev: SmolPort,
    tcp: SocketHandle,
}

impl Smol {
    fn new(port: Port, addr: [u8; 4], buffer: usize, reno: bool) -> Smol {
        let mut dev = SmolPort(port);
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(dev.0.mac.0)));
        config.random_seed = u64::from(addr[3]);
        let mut iface = Interface::new(config, &mut dev, Instant::from_secs(1));
        iface.update_ip_addrs(|a| {
            let _ = a.push(IpCidr::new(
                IpAddress::v4(addr[0], addr[1], addr[2], addr[3]),
                24,
            ));
        });
        let mut s = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0u8; buffer]),
            tcp::SocketBuffer::new(vec![0u8; buffer]),
        );
        s.set_congestion_control(if reno {
            tcp::CongestionControl::Reno
        } else {
            tcp::CongestionControl::None
        });
        let mut sockets = SocketSet::new(Vec::new());
        let tcp = sockets.add(s);
        Smol {
            iface,
            sockets,
            dev,
            tcp,
        }
    }
}

/// The sender (192.0.2.1, connecting) and the receiver (192.0.2.2,
/// listening on port 5001), connection under way.
pub fn pair(a: Port, b: Port, buffer: usize, reno: bool) -> (Smol, Smol) {
    let mut rx = Smol::new(b, [192, 0, 2, 2], buffer, reno);
    let mut tx = Smol::new(a, [192, 0, 2, 1], buffer, reno);
    rx.sockets
        .get_mut::<tcp::Socket>(rx.tcp)
        .listen(5001)
        .expect("listen");
    let cx = tx.iface.context();
    tx.sockets
        .get_mut::<tcp::Socket>(tx.tcp)
        .connect(cx, (IpAddress::v4(192, 0, 2, 2), 5001), 49152)
        .expect("connect");
    (tx, rx)
}

impl Endpoint for Smol {
    fn poll(&mut self, now: u64) -> bool {
        let before = (
            self.dev.0.tx.borrow().frames_sent,
            self.dev.0.rx.borrow().len(),
        );
        self.iface.poll(
            Instant::from_micros(now as i64),
            &mut self.dev,
            &mut self.sockets,
        );
        let after = (
            self.dev.0.tx.borrow().frames_sent,
            self.dev.0.rx.borrow().len(),
        );
        before != after
    }

    fn poll_at(&mut self, now: u64) -> Option<u64> {
        self.iface
            .poll_at(Instant::from_micros(now as i64), &self.sockets)
            .map(|t| t.total_micros().max(0) as u64)
    }

    fn send(&mut self, fill: &mut dyn FnMut(&mut [u8]) -> usize) -> usize {
        let s = self.sockets.get_mut::<tcp::Socket>(self.tcp);
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
        let s = self.sockets.get_mut::<tcp::Socket>(self.tcp);
        if !s.can_recv() {
            return 0;
        }
        s.recv(|buf| {
            let n = take(buf);
            (n, n)
        })
        .unwrap_or(0)
    }

    fn frames_sent(&self) -> (u64, u64) {
        self.dev.0.sent()
    }
}
