//! ICMP in the stack (RFC 792; RFC 1122 section 3.2.2): echo replies, errors
//! delivered to the sockets they concern, and errors generated under the
//! rules of RFC 1122 3.2.2 with a rate limit.

use core::net::SocketAddrV4;

use super::ipv4::{DstKind, InPacket, OutputError, originated};
use super::reassembly::Expired;
use super::stats::bump;
use super::{Inner, Tx};
use crate::socket::icmp::IcmpEvent;
use crate::socket::{IcmpErrorKind, IcmpErrorReport, SocketSet};
use crate::time::Instant;
use crate::wire::checksum;
use crate::wire::icmpv4::QuotedDatagram;
use crate::wire::{
    DstUnreachable, Icmpv4Message, Icmpv4Packet, Icmpv4Repr, IpProtocol, Ipv4Address,
    Ipv4AddressExt, Ipv4Repr, TimeExceeded,
};

/// An ICMP error to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) enum ErrorMsg {
    /// Destination unreachable for `reason` (other than fragmentation
    /// needed).
    Unreachable(DstUnreachable),
    /// Fragmentation needed and DF set, with the next hop's MTU (RFC 1191).
    FragRequired { mtu: u16 },
    /// Time exceeded.
    TimeExceeded(TimeExceeded),
}

/// The ICMP types that are errors (RFC 792, RFC 1122 3.2.2): source quench,
/// redirect, destination unreachable, time exceeded, parameter problem.
fn is_error_type(t: u8) -> bool {
    matches!(t, 3 | 4 | 5 | 11 | 12)
}

fn kind_of(repr: &Icmpv4Repr<'_>) -> Option<IcmpErrorKind> {
    Some(match *repr {
        Icmpv4Repr::DstUnreachable {
            reason,
            next_hop_mtu,
            ..
        } => match reason {
            DstUnreachable::NetUnreachable | DstUnreachable::DstNetUnknown => {
                IcmpErrorKind::NetUnreachable
            }
            DstUnreachable::HostUnreachable | DstUnreachable::DstHostUnknown => {
                IcmpErrorKind::HostUnreachable
            }
            DstUnreachable::ProtoUnreachable => IcmpErrorKind::ProtocolUnreachable,
            DstUnreachable::PortUnreachable => IcmpErrorKind::PortUnreachable,
            DstUnreachable::FragRequired => {
                IcmpErrorKind::FragmentationNeeded { mtu: next_hop_mtu }
            }
            other => IcmpErrorKind::Unreachable {
                code: u8::from(other),
            },
        },
        Icmpv4Repr::TimeExceeded { reason, .. } => IcmpErrorKind::TimeExceeded {
            code: u8::from(reason),
        },
        _ => return None,
    })
}

impl Inner<'_> {
    /// microps's `icmp_input`.
    pub(crate) fn icmp_input(
        &mut self,
        tx: &mut Tx<'_, '_>,
        sockets: &mut SocketSet<'_>,
        pkt: &InPacket<'_>,
    ) {
        bump(&mut self.stats.icmp.rx_packets);
        let packet = match Icmpv4Packet::new_checked(pkt.payload) {
            Ok(p) => p,
            Err(_) => {
                bump(&mut self.stats.icmp.drop_malformed);
                return;
            }
        };
        let repr = match Icmpv4Repr::parse(&packet, &pkt.checksums) {
            Ok(r) => r,
            Err(crate::wire::Error::Checksum) => {
                bump(&mut self.stats.icmp.drop_checksum);
                return;
            }
            Err(crate::wire::Error::Unsupported) => {
                bump(&mut self.stats.icmp.drop_unsupported);
                return;
            }
            Err(_) => {
                bump(&mut self.stats.icmp.drop_malformed);
                return;
            }
        };
        net_debug!(
            "{} => {}, type={}, len={}",
            pkt.repr.src_addr,
            pkt.repr.dst_addr,
            packet.msg_type(),
            pkt.payload.len()
        );
        match repr {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                if pkt.dst_kind == DstKind::Broadcast && !self.config.echo_broadcast {
                    bump(&mut self.stats.icmp.drop_broadcast_echo);
                    return;
                }
                if !pkt.repr.src_addr.is_unicast_host() {
                    bump(&mut self.stats.icmp.drop_malformed);
                    return;
                }
                // RFC 1122 3.2.2.6: the reply's source is the address the
                // request was sent to (ours, for a broadcast request).
                let src = match pkt.dst_kind {
                    DstKind::Local => pkt.repr.dst_addr,
                    DstKind::Broadcast => self
                        .iface_of_device(pkt.dev)
                        .map_or(Ipv4Address::UNSPECIFIED, |i| i.addr()),
                };
                let reply = Icmpv4Repr::EchoReply {
                    ident,
                    seq_no,
                    data,
                };
                if self.icmp_output(tx, src, pkt.repr.src_addr, &reply).is_ok() {
                    bump(&mut self.stats.icmp.echo_replies_sent);
                }
            }
            Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => match sockets.icmp_for_ident(ident) {
                Some(s) => s.process(
                    IcmpEvent::Reply {
                        from: pkt.repr.src_addr,
                        seq_no,
                        ttl: pkt.repr.ttl,
                    },
                    data,
                ),
                None => bump(&mut self.stats.icmp.drop_no_socket),
            },
            Icmpv4Repr::DstUnreachable { invoking, .. }
            | Icmpv4Repr::TimeExceeded { invoking, .. } => {
                let Some(kind) = kind_of(&repr) else { return };
                self.icmp_error_input(sockets, pkt.repr.src_addr, kind, invoking);
            }
        }
    }

    /// Delivers an ICMP error to the socket whose datagram it quotes (RFC
    /// 1122 3.2.2.1 and 4.1.3.3), after checking the quote is of something
    /// we sent (RFC 5927 section 4.1: the quoted source must be ours).
    fn icmp_error_input(
        &mut self,
        sockets: &mut SocketSet<'_>,
        from: Ipv4Address,
        kind: IcmpErrorKind,
        invoking: &[u8],
    ) {
        let Ok(quoted) = QuotedDatagram::parse(invoking) else {
            bump(&mut self.stats.icmp.drop_malformed);
            return;
        };
        if self.iface_by_addr(&quoted.src_addr).is_none() {
            bump(&mut self.stats.icmp.drop_unmatched_error);
            return;
        }
        // RFC 1191: the path's new estimate, if the message lowers it;
        // kept only if the connection it quotes accepts it (below).
        let pmtu = match kind {
            IcmpErrorKind::FragmentationNeeded { mtu } => self.path_mtu_estimate(&quoted, mtu),
            _ => None,
        };
        let kind = match (kind, pmtu) {
            (IcmpErrorKind::FragmentationNeeded { .. }, Some(mtu)) => {
                IcmpErrorKind::FragmentationNeeded { mtu }
            }
            // Nothing new for the path, but perhaps for this connection
            // (opened before the path was learnt): as it came; the socket
            // applies the floor (`TcpSocket::handle_icmp_error`).
            _ => kind,
        };
        let report = IcmpErrorReport { from, kind };
        net_debug!(
            "error from {} about {} => {}: {}",
            from,
            quoted.src_addr,
            quoted.dst_addr,
            kind
        );
        let delivered = match quoted.protocol {
            // A UDP socket takes an error only if connected to the quoted
            // destination (RFC 5927's spirit; Linux's rule).
            IpProtocol::Udp => match quoted.ports() {
                Some((sport, dport)) => match sockets.udp_for_port(sport) {
                    Some(s)
                        if s.accepts_error(
                            &quoted.src_addr,
                            &SocketAddrV4::new(quoted.dst_addr, dport),
                        ) =>
                    {
                        s.handle_icmp_error(report);
                        true
                    }
                    _ => false,
                },
                None => false,
            },
            IpProtocol::Tcp => self.icmp_error_to_tcp(sockets, &quoted, kind, pmtu),
            IpProtocol::Icmp => match quoted.icmp_echo() {
                Some((ident, seq_no)) => match sockets.icmp_for_ident(ident) {
                    Some(s) => {
                        s.process(
                            IcmpEvent::Error {
                                report,
                                dst: quoted.dst_addr,
                                seq_no,
                            },
                            &[],
                        );
                        true
                    }
                    None => false,
                },
                None => false,
            },
            _ => false,
        };
        if delivered {
            bump(&mut self.stats.icmp.errors_delivered);
        } else {
            bump(&mut self.stats.icmp.drop_unmatched_error);
        }
    }

    /// An ICMP error about a TCP segment: to the connection it quotes, if
    /// that connection takes it (RFC 5927's sequence check); a path MTU
    /// the connection took is kept for the destination. Returns whether it
    /// was taken.
    fn icmp_error_to_tcp(
        &mut self,
        sockets: &mut SocketSet<'_>,
        quoted: &QuotedDatagram<'_>,
        kind: IcmpErrorKind,
        pmtu: Option<u16>,
    ) -> bool {
        let (Some((sport, dport)), Some(seq)) = (quoted.ports(), quoted.tcp_seq()) else {
            return false;
        };
        let local = SocketAddrV4::new(quoted.src_addr, sport);
        let remote = SocketAddrV4::new(quoted.dst_addr, dport);
        let socket = sockets
            .tcp_lookup(&local, &remote)
            .and_then(|h| sockets.get_mut::<crate::socket::TcpSocket>(h));
        let taken = match socket {
            Some(s) if s.is_active() => {
                let taken = s.handle_icmp_error(kind, seq);
                let notes = s.take_notes();
                self.count_notes(notes);
                taken
            }
            _ => false,
        };
        if taken && let IcmpErrorKind::FragmentationNeeded { .. } = kind {
            self.path_mtu_learnt(quoted.dst_addr, pmtu);
        }
        taken
    }

    /// The path MTU a "fragmentation needed" about `quoted` (saying
    /// `next_hop`, 0 if the router did not) teaches, if it lowers what is
    /// known (RFC 1191; see [`super::pmtu`]).
    fn path_mtu_estimate(&self, quoted: &QuotedDatagram<'_>, next_hop: u16) -> Option<u16> {
        let route = self.route_for(&quoted.dst_addr, Some(quoted.src_addr))?;
        let first_hop = self.devices.get(route.device.index())?.caps.mtu;
        // A first hop below the floor is no lock: only a message makes one.
        let first_hop = u16::try_from(first_hop)
            .unwrap_or(u16::MAX)
            .max(super::pmtu::MIN_PATH_MTU);
        let known = self
            .pmtu
            .lookup(quoted.dst_addr, self.now)
            .unwrap_or(first_hop);
        super::pmtu::estimate(next_hop, quoted.total_len, known)
    }

    /// A connection accepted the message: the cache keeps `pmtu`, if it
    /// lowered the estimate.
    fn path_mtu_learnt(&mut self, dst: Ipv4Address, pmtu: Option<u16>) {
        match pmtu {
            Some(mtu) => {
                self.pmtu.store(dst, mtu, self.now);
                bump(&mut self.stats.icmp.path_mtu_lowered);
            }
            None => bump(&mut self.stats.icmp.path_mtu_ignored),
        }
    }

    /// Sends an ICMP message from `src` to `dst`.
    pub(crate) fn icmp_output(
        &mut self,
        tx: &mut Tx<'_, '_>,
        src: Ipv4Address,
        dst: Ipv4Address,
        repr: &Icmpv4Repr<'_>,
    ) -> Result<(), OutputError> {
        let header = icmp_header(repr);
        let len = repr.buffer_len();
        let data = repr.data();
        let ip = originated(src, dst, IpProtocol::Icmp, len, self.config.ttl);
        net_debug!("{} => {}, len={}", src, dst, len);
        bump(&mut self.stats.icmp.tx_packets);
        self.ip_output_or_queue(tx, ip, &[&header, data])
    }

    /// [`Inner::ip_output`] for replies generated during input: if the
    /// device is busy, the reply waits in the pending queue; if its
    /// destination was never resolved, it is dropped (see
    /// `RouteInfo::reply`).
    pub(crate) fn ip_output_or_queue(
        &mut self,
        tx: &mut Tx<'_, '_>,
        repr: Ipv4Repr,
        parts: &[&[u8]],
    ) -> Result<(), OutputError> {
        let (repr, mut route) = self.ip_route_originated(repr)?;
        route.reply = true;
        match self.ip_output_routed(tx, repr, parts, route) {
            Err(OutputError::Exhausted) => {
                self.queue_pending(repr, parts, route, super::pending::PendingState::Ready)
            }
            other => other,
        }
    }

    /// Whether an ICMP error may be sent about `pkt` (RFC 1122 3.2.2):
    ///
    /// > An ICMP error message MUST NOT be sent as the result of receiving:
    /// > an ICMP error message, or a datagram destined to an IP broadcast or
    /// > IP multicast address, or a datagram sent as a link-layer broadcast,
    /// > or a non-initial fragment, or a datagram whose source address does
    /// > not define a single host.
    fn may_send_error_about(&self, pkt: &InPacket<'_>) -> bool {
        if pkt.dst_kind == DstKind::Broadcast || pkt.link_broadcast || pkt.repr.frag_offset != 0 {
            return false;
        }
        if !pkt.repr.src_addr.is_unicast_host()
            || pkt.repr.src_addr.is_loopback()
                && !self
                    .devices
                    .get(pkt.dev.index())
                    .is_some_and(|d| d.caps.flags.loopback)
        {
            return false;
        }
        if pkt.repr.protocol == IpProtocol::Icmp {
            let t = pkt.payload.first().copied().unwrap_or(255);
            if is_error_type(t) || matches!(Icmpv4Message::from(t), Icmpv4Message::Unknown(_)) {
                return false;
            }
        }
        true
    }

    /// Takes a token from the error rate limiter (a token bucket refilled
    /// one token per `icmp_error_interval`, up to `icmp_error_burst`).
    fn icmp_rate_ok(&mut self, now: Instant) -> bool {
        let (interval, burst) = (
            self.config.icmp_error_interval,
            self.config.icmp_error_burst,
        );
        self.icmp_errors.take(now, interval, burst)
    }

    /// Sends an ICMP error about `pkt`, quoting its header and the first 8
    /// bytes of its data (RFC 792), if the rules and the rate limit allow.
    pub(crate) fn icmp_error(&mut self, tx: &mut Tx<'_, '_>, pkt: &InPacket<'_>, msg: ErrorMsg) {
        if !self.may_send_error_about(pkt) {
            return;
        }
        if !self.icmp_rate_ok(self.now) {
            bump(&mut self.stats.icmp.drop_rate_limited);
            return;
        }
        let mut quote = [0u8; 60 + 8];
        let hl = pkt.header.len().min(60);
        let dl = pkt.payload.len().min(8);
        if let (Some(q), Some(h)) = (quote.get_mut(..hl), pkt.header.get(..hl)) {
            q.copy_from_slice(h);
        }
        if let (Some(q), Some(d)) = (quote.get_mut(hl..hl + dl), pkt.payload.get(..dl)) {
            q.copy_from_slice(d);
        }
        let invoking = quote.get(..hl + dl).unwrap_or(&[]);
        let repr = match msg {
            ErrorMsg::Unreachable(reason) => Icmpv4Repr::DstUnreachable {
                reason,
                next_hop_mtu: 0,
                invoking,
            },
            ErrorMsg::FragRequired { mtu } => Icmpv4Repr::DstUnreachable {
                reason: DstUnreachable::FragRequired,
                next_hop_mtu: mtu,
                invoking,
            },
            ErrorMsg::TimeExceeded(reason) => Icmpv4Repr::TimeExceeded { reason, invoking },
        };
        let src = match pkt.dst_kind {
            DstKind::Local if self.iface_by_addr(&pkt.repr.dst_addr).is_some() => pkt.repr.dst_addr,
            _ => self
                .iface_of_device(pkt.dev)
                .map_or(Ipv4Address::UNSPECIFIED, |i| i.addr()),
        };
        net_debug!("sending {:?} to {}", msg, pkt.repr.src_addr);
        if self.icmp_output(tx, src, pkt.repr.src_addr, &repr).is_ok() {
            bump(&mut self.stats.icmp.errors_sent);
        }
    }

    /// A datagram timed out in reassembly: ICMP time exceeded, code 1, if
    /// its first fragment had arrived (RFC 792, RFC 1122 3.3.2).
    pub(crate) fn reassembly_expired(&mut self, tx: &mut Tx<'_, '_>, e: Expired) {
        bump(&mut self.stats.ipv4.drop_frag_timeout);
        net_debug!(
            "reassembly timeout: {} => {}, id={}",
            e.key.src,
            e.key.dst,
            e.key.ident
        );
        let Some((quote, len)) = e.quote else { return };
        let header_len = usize::from(quote.first().copied().unwrap_or(0x45) & 0x0f) * 4;
        let header = quote.get(..header_len.min(len)).unwrap_or(&[]);
        let payload = quote.get(header_len.min(len)..len).unwrap_or(&[]);
        let pkt = InPacket {
            repr: Ipv4Repr {
                src_addr: e.key.src,
                dst_addr: e.key.dst,
                protocol: e.key.protocol,
                payload_len: payload.len(),
                ttl: 0,
                tos: 0,
                ident: e.key.ident,
                dont_frag: false,
                more_frags: true,
                frag_offset: 0,
            },
            header,
            payload,
            dst_kind: if self.iface_by_addr(&e.key.dst).is_some() {
                DstKind::Local
            } else {
                DstKind::Broadcast
            },
            link_broadcast: false,
            dev: self
                .iface_by_addr(&e.key.dst)
                .map_or(super::DeviceId(0), |i| i.device),
            checksums: crate::wire::ChecksumCapabilities::all(),
        };
        self.icmp_error(tx, &pkt, ErrorMsg::TimeExceeded(TimeExceeded::FragExpired));
    }

    /// Sends what the ICMP sockets have queued.
    pub(crate) fn icmp_socket_dispatch(
        &mut self,
        tx: &mut Tx<'_, '_>,
        s: &mut crate::socket::IcmpSocket<'_>,
    ) -> bool {
        s.dispatch(&mut |req, ident, data, ttl| {
            let repr = Icmpv4Repr::EchoRequest {
                ident,
                seq_no: req.seq_no,
                data,
            };
            let header = icmp_header(&repr);
            let ip = originated(
                Ipv4Address::UNSPECIFIED,
                req.dst,
                IpProtocol::Icmp,
                repr.buffer_len(),
                ttl.unwrap_or(self.config.ttl),
            );
            net_debug!(
                "echo request to {}, id={}, seq={}, len={}",
                req.dst,
                ident,
                req.seq_no,
                data.len()
            );
            match self.ip_output(tx, ip, &[&header, data]) {
                Ok(()) => {
                    bump(&mut self.stats.icmp.tx_packets);
                    Ok(())
                }
                Err(OutputError::Exhausted) => Err(crate::socket::DispatchError::Exhausted),
                Err(e) => Err(crate::socket::DispatchError::Dropped(e.as_icmp_kind())),
            }
        })
    }
}

/// The 8-byte header of `repr` with its checksum over header and data
/// (the data goes out as a separate piece, uncopied).
fn icmp_header(repr: &Icmpv4Repr<'_>) -> [u8; 8] {
    let mut header = [0u8; 8];
    let mut p = Icmpv4Packet::new_unchecked(&mut header[..]);
    repr.emit(&mut p, &crate::wire::ChecksumCapabilities::ignored());
    p.set_checksum(0);
    let sum = checksum::combine(&[checksum::data(&header), checksum::data(repr.data())]);
    Icmpv4Packet::new_unchecked(&mut header[..]).set_checksum(checksum::finish(sum));
    header
}
