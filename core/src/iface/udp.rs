//! UDP in the stack (RFC 768; RFC 1122 section 4.1): delivery to the socket
//! bound to the destination port, port unreachable otherwise, and output of
//! the sockets' queued datagrams with the checksum on (RFC 1122 4.1.3.4).

use core::net::SocketAddrV4;

use super::icmp::ErrorMsg;
use super::ipv4::{DstKind, InPacket, OutputError, originated};
use super::stats::bump;
use super::{Inner, Tx};
use crate::socket::{DispatchError, SocketSet, UdpSocket};
use crate::wire::udp::HEADER_LEN as UDP_HEADER_LEN;
use crate::wire::{DstUnreachable, IpProtocol, UdpPacket, UdpRepr};

impl Inner<'_> {
    /// microps's `udp_input`.
    pub(crate) fn udp_input(
        &mut self,
        tx: &mut Tx<'_, '_>,
        sockets: &mut SocketSet<'_>,
        pkt: &InPacket<'_>,
    ) {
        bump(&mut self.stats.udp.rx_packets);
        let src = pkt.repr.src_addr;
        let dst = pkt.repr.dst_addr;
        let packet = match UdpPacket::new_checked(pkt.payload) {
            Ok(p) => p,
            Err(_) => {
                bump(&mut self.stats.udp.drop_malformed);
                return;
            }
        };
        let repr = match UdpRepr::parse(&packet, &src, &dst, &pkt.checksums) {
            Ok(r) => r,
            Err(crate::wire::Error::Checksum) => {
                bump(&mut self.stats.udp.drop_checksum);
                return;
            }
            Err(_) => {
                bump(&mut self.stats.udp.drop_malformed);
                return;
            }
        };
        net_debug!(
            "{}:{} => {}:{}, len={} (payload={})",
            src,
            repr.src_port,
            dst,
            repr.dst_port,
            pkt.payload.len(),
            packet.payload().len()
        );
        let local = pkt.dst_kind == DstKind::Local;
        let from = SocketAddrV4::new(src, repr.src_port);
        match sockets.udp_for_port(repr.dst_port) {
            Some(s) if s.accepts(&from, &dst, local) => {
                if !s.process(from, dst, packet.payload()) {
                    bump(&mut self.stats.udp.drop_socket_full);
                }
            }
            _ => {
                bump(&mut self.stats.udp.drop_no_socket);
                // RFC 1122 4.1.3.1: port unreachable (icmp_error applies
                // the broadcast and rate rules).
                self.icmp_error(
                    tx,
                    pkt,
                    ErrorMsg::Unreachable(DstUnreachable::PortUnreachable),
                );
            }
        }
    }

    /// Sends the UDP socket's next queued datagram; returns whether one
    /// left the queue.
    pub(crate) fn udp_socket_dispatch(
        &mut self,
        tx: &mut Tx<'_, '_>,
        s: &mut UdpSocket<'_>,
    ) -> bool {
        s.dispatch(&mut |meta, src_port, payload, ttl| {
            let hint = (!meta.local_addr.is_unspecified()).then_some(meta.local_addr);
            let remote = meta.remote;
            let Some(route) = self.route_for(remote.ip(), hint) else {
                bump(&mut self.stats.ipv4.drop_no_route);
                bump(&mut self.stats.udp.drop_tx);
                return Err(DispatchError::Dropped(Some(
                    crate::socket::IcmpErrorKind::NetUnreachable,
                )));
            };
            let src = route.src;
            let repr = UdpRepr {
                src_port,
                dst_port: remote.port(),
            };
            let len = repr.buffer_len(payload.len());
            let caps = self
                .devices
                .get(route.device.index())
                .map_or(crate::wire::ChecksumCapabilities::all(), |d| {
                    d.caps.checksum
                });
            let mut header = [0u8; UDP_HEADER_LEN];
            let mut packet = UdpPacket::new_unchecked(&mut header[..]);
            repr.emit_header(&mut packet, &src, remote.ip(), &[payload], &caps);
            let mut ip = originated(
                src,
                *remote.ip(),
                IpProtocol::Udp,
                len,
                ttl.unwrap_or(self.config.ttl),
            );
            ip.ident = self.next_ident(&ip.src_addr, &ip.dst_addr, ip.protocol);
            net_debug!("{}:{} => {}, len={}", src, src_port, remote, payload.len());
            match self.ip_output_routed(tx, ip, &[&header, payload], route) {
                Ok(()) => {
                    bump(&mut self.stats.udp.tx_packets);
                    Ok(())
                }
                Err(OutputError::Exhausted) => Err(DispatchError::Exhausted),
                Err(e) => {
                    bump(&mut self.stats.udp.drop_tx);
                    Err(DispatchError::Dropped(e.as_icmp_kind()))
                }
            }
        })
    }
}
