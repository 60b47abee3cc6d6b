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
    let mut net = Network::new(seed);
    let a = net.add_node(config, StackStorage::default_owned());
    let b = net.add_node(config, StackStorage::default_owned());
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
