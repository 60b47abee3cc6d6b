//! Helpers shared by the simulator tests.
#![allow(dead_code)]

use core::net::SocketAddrV4;

use microps_core::iface::{DeviceId, StackConfig, StackStorage};
use microps_core::sim::{LinkConfig, Network, NodeId};
use microps_core::socket::SocketHandle;
use microps_core::socket::icmp::{
    IcmpRxBuffer, IcmpRxMetadata, IcmpSocket, IcmpTxBuffer, IcmpTxMetadata,
};
use microps_core::socket::udp::{UdpPacketBuffer, UdpPacketMetadata, UdpSocket};
use microps_core::wire::Ipv4Address;

pub mod tcp;

/// A node and one of its devices.
pub type NodeAndDev = (NodeId, DeviceId);

pub const A: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
pub const B: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

/// Two nodes on one link: 192.0.2.1 and 192.0.2.2.
pub fn pair(seed: u64, link: LinkConfig) -> (Network, NodeId, NodeId, DeviceId, DeviceId) {
    pair_with(seed, link, StackConfig::default())
}

pub fn pair_with(
    seed: u64,
    link: LinkConfig,
    config: StackConfig,
) -> (Network, NodeId, NodeId, DeviceId, DeviceId) {
    pair_with_storage(seed, link, config, StackStorage::default_owned)
}

/// [`pair_with`], each stack's storage made by `storage`.
pub fn pair_with_storage(
    seed: u64,
    link: LinkConfig,
    config: StackConfig,
    storage: impl Fn() -> StackStorage<'static>,
) -> (Network, NodeId, NodeId, DeviceId, DeviceId) {
    let mut net = Network::new(seed);
    let a = net.add_node(config, storage());
    let b = net.add_node(config, storage());
    let (da, db) = net.connect(a, b, link).unwrap();
    net.node_mut(a)
        .stack
        .add_interface(da, "192.0.2.1/24".parse().unwrap())
        .unwrap();
    net.node_mut(b)
        .stack
        .add_interface(db, "192.0.2.2/24".parse().unwrap())
        .unwrap();
    (net, a, b, da, db)
}

/// Without the pending queue (cargo feature `pending-queue` off) a first
/// datagram to a new neighbour is dropped while ARP runs: for tests whose
/// subject is not ARP, A and B (192.0.2.1 and .2) then know each other
/// from static entries. With the queue, nothing changes.
pub fn known_to_each_other_without_a_queue(net: &mut Network, a: NodeAndDev, b: NodeAndDev) {
    if cfg!(feature = "pending-queue") {
        return;
    }
    net.node_mut(a.0)
        .stack
        .add_static_neighbor(B, MAC_B, a.1)
        .unwrap();
    net.node_mut(b.0)
        .stack
        .add_static_neighbor(A, MAC_A, b.1)
        .unwrap();
}

pub fn udp_socket(net: &mut Network, node: NodeId, port: u16) -> SocketHandle {
    let s = UdpSocket::new(
        UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 64], vec![0u8; 256 * 1024]),
        UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 64], vec![0u8; 256 * 1024]),
    );
    let sockets = &mut net.node_mut(node).sockets;
    let h = sockets.add(s).unwrap();
    sockets.bind_udp(h, port).unwrap();
    h
}

pub fn icmp_socket(net: &mut Network, node: NodeId, ident: u16) -> SocketHandle {
    let s = IcmpSocket::new(
        IcmpRxBuffer::new(vec![IcmpRxMetadata::EMPTY; 16], vec![0u8; 128 * 1024]),
        IcmpTxBuffer::new(vec![IcmpTxMetadata::EMPTY; 16], vec![0u8; 128 * 1024]),
    );
    let sockets = &mut net.node_mut(node).sockets;
    let h = sockets.add(s).unwrap();
    sockets.bind_icmp(h, ident).unwrap();
    h
}

pub fn udp(net: &mut Network, node: NodeId, h: SocketHandle) -> &mut UdpSocket<'static> {
    net.node_mut(node).sockets.get_mut::<UdpSocket>(h).unwrap()
}

pub fn icmp(net: &mut Network, node: NodeId, h: SocketHandle) -> &mut IcmpSocket<'static> {
    net.node_mut(node).sockets.get_mut::<IcmpSocket>(h).unwrap()
}

pub fn ep(addr: Ipv4Address, port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(addr, port)
}

/// A deterministic payload.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut v = vec![0u8; len];
    microps_core::rand::Rng::new(seed).fill(&mut v);
    v
}

/// EtherType of a captured frame.
pub fn ethertype(frame: &[u8]) -> u16 {
    u16::from_be_bytes([frame[12], frame[13]])
}

/// IP protocol of a captured Ethernet frame carrying IPv4 (0 otherwise).
pub fn ip_protocol(frame: &[u8]) -> u8 {
    if ethertype(frame) == 0x0800 {
        frame[14 + 9]
    } else {
        0
    }
}

/// MAC addresses the simulator gives node 0 and node 1 on link 0.
pub const MAC_A: microps_core::wire::EthernetAddress =
    microps_core::wire::EthernetAddress([2, 0, 0, 0, 0, 0]);
pub const MAC_B: microps_core::wire::EthernetAddress =
    microps_core::wire::EthernetAddress([2, 0, 0, 0, 1, 0]);

/// The header of a datagram a test hand-crafts: TTL 64, not DF.
pub fn ip(
    src: Ipv4Address,
    dst: Ipv4Address,
    protocol: microps_core::wire::IpProtocol,
    payload_len: usize,
    ident: u16,
) -> microps_core::wire::Ipv4Repr {
    microps_core::wire::Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        protocol,
        payload_len,
        ttl: 64,
        tos: 0,
        ident,
        dont_frag: false,
        more_frags: false,
        frag_offset: 0,
    }
}

/// An Ethernet frame carrying `repr` (its payload_len taken from `payload`).
pub fn ipv4_frame(
    src_mac: microps_core::wire::EthernetAddress,
    dst_mac: microps_core::wire::EthernetAddress,
    repr: microps_core::wire::Ipv4Repr,
    payload: &[u8],
) -> Vec<u8> {
    use microps_core::wire::{
        ChecksumCapabilities, EtherType, EthernetFrame, EthernetRepr, Ipv4Packet, Ipv4Repr,
    };
    let repr = Ipv4Repr {
        payload_len: payload.len(),
        ..repr
    };
    let mut frame = vec![0u8; 14 + 20 + payload.len()];
    EthernetRepr {
        src_addr: src_mac,
        dst_addr: dst_mac,
        ethertype: EtherType::Ipv4,
    }
    .emit(&mut EthernetFrame::new_unchecked(&mut frame[..]));
    let mut packet = Ipv4Packet::new_unchecked(&mut frame[14..]);
    repr.emit(&mut packet, &ChecksumCapabilities::all());
    packet.payload_mut().copy_from_slice(payload);
    frame
}

/// An ICMP echo request (header and `data`) with its checksum.
pub fn echo_request(ident: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    use microps_core::wire::checksum;
    let mut icmp = vec![8u8, 0, 0, 0];
    icmp.extend_from_slice(&ident.to_be_bytes());
    icmp.extend_from_slice(&seq.to_be_bytes());
    icmp.extend_from_slice(data);
    let sum = checksum::finish(checksum::data(&icmp));
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    icmp
}

/// A device that takes `budget` frames (set it before each poll) and then
/// says `Exhausted`, as a small DMA ring does; it delivers the frames queued
/// in `rx`. Replies through the sink draw on the same budget.
#[derive(Debug, Default)]
pub struct BudgetDevice {
    pub budget: usize,
    pub sent: Vec<Vec<u8>>,
    pub rx: std::collections::VecDeque<Vec<u8>>,
}

struct BudgetSink<'a> {
    budget: &'a mut usize,
    sent: &'a mut Vec<Vec<u8>>,
}

impl microps_core::phy::TxSink for BudgetSink<'_> {
    fn transmit(
        &mut self,
        len: usize,
        _: microps_core::phy::TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), microps_core::phy::DeviceError> {
        if *self.budget == 0 {
            return Err(microps_core::phy::DeviceError::Exhausted);
        }
        *self.budget -= 1;
        let mut b = vec![0u8; len];
        f(&mut b);
        self.sent.push(b);
        Ok(())
    }
}

impl microps_core::phy::Device for BudgetDevice {
    fn capabilities(&self) -> microps_core::phy::DeviceCapabilities {
        microps_core::phy::DeviceCapabilities::ethernet(1500, MAC_B)
    }
    fn receive(
        &mut self,
        _: microps_core::time::Instant,
        f: &mut dyn FnMut(microps_core::phy::RxMeta, &[u8], &mut dyn microps_core::phy::TxSink),
    ) -> Result<bool, microps_core::phy::DeviceError> {
        let Some(frame) = self.rx.pop_front() else {
            return Ok(false);
        };
        let mut sink = BudgetSink {
            budget: &mut self.budget,
            sent: &mut self.sent,
        };
        f(microps_core::phy::RxMeta::default(), &frame, &mut sink);
        Ok(true)
    }
    fn transmit(
        &mut self,
        _: microps_core::time::Instant,
        len: usize,
        meta: microps_core::phy::TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), microps_core::phy::DeviceError> {
        use microps_core::phy::TxSink;
        BudgetSink {
            budget: &mut self.budget,
            sent: &mut self.sent,
        }
        .transmit(len, meta, f)
    }
}
