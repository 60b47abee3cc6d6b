//! ARP in the stack (RFC 826; RFC 1122 section 2.3.2; RFC 5227's
//! announcement): answering requests for our addresses, learning from
//! packets addressed to us, resolving next hops, and releasing the packets
//! that waited for an answer.

use super::ethernet::{ether_emit, frame_len};
use super::interface::{DeviceId, DeviceInfo, IfaceId};
use super::neighbor::Merge;
use super::stats::bump;
use super::{Inner, Tx};
use crate::wire::arp::PACKET_LEN;
use crate::wire::ipv4::Ipv4AddressExt;
use crate::wire::{
    ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetAddress, Ipv4Address, Ipv4Cidr,
};

impl Inner<'_> {
    /// microps's `arp_input`, following RFC 826's "Packet Reception":
    ///
    /// > ?Do I have the hardware type in ar$hrd? ... ?Do I speak the protocol
    /// > in ar$pro? ... Merge_flag := false. If the pair <protocol type,
    /// > sender protocol address> is already in my translation table, update
    /// > the sender hardware address field of the entry with the new
    /// > information in the packet and set Merge_flag to true. ?Am I the
    /// > target protocol address? If Merge_flag is false, add the triplet
    /// > <protocol type, sender protocol address, sender hardware address>
    /// > to the translation table. ?Is the opcode ares_op$REQUEST? Swap
    /// > hardware and protocol fields, ... send the packet.
    pub(crate) fn arp_input(&mut self, tx: &mut Tx<'_, '_>, dev: &DeviceInfo, payload: &[u8]) {
        bump(&mut self.stats.arp.rx_packets);
        let packet = match ArpPacket::new_checked(payload) {
            Ok(p) => p,
            Err(_) => {
                bump(&mut self.stats.arp.drop_malformed);
                return;
            }
        };
        let repr = match ArpRepr::parse(&packet) {
            Ok(r) => r,
            Err(_) => {
                bump(&mut self.stats.arp.drop_unsupported);
                return;
            }
        };
        net_debug!(
            "dev={}, opcode={}, len={}",
            dev.id,
            repr.operation,
            payload.len()
        );
        if matches!(repr.operation, ArpOperation::Unknown(_)) {
            bump(&mut self.stats.arp.drop_unknown_op);
            return;
        }
        let Some(our_mac) = dev.hardware_addr() else {
            bump(&mut self.stats.arp.drop_unsupported);
            return;
        };
        if !self.arp_sender_acceptable(dev.id, our_mac, &repr) {
            return;
        }
        let target_is_us = self
            .ifaces
            .iter()
            .any(|i| i.device == dev.id && i.addr() == repr.target_protocol_addr);
        let merged = self.arp_merge(dev.id, &repr, target_is_us);
        if !target_is_us {
            if !merged {
                bump(&mut self.stats.arp.drop_not_for_us);
            }
            return;
        }
        let (spa, sha) = (repr.source_protocol_addr, repr.source_hardware_addr);
        if repr.operation == ArpOperation::Request {
            let reply = ArpRepr {
                operation: ArpOperation::Reply,
                source_hardware_addr: our_mac,
                source_protocol_addr: repr.target_protocol_addr,
                target_hardware_addr: sha,
                target_protocol_addr: spa,
            };
            self.arp_output(tx, dev.id, our_mac, sha, &reply);
            bump(&mut self.stats.arp.tx_replies);
        }
    }

    /// The sender checks before anything is learnt or answered: a unicast
    /// hardware address not ours, a protocol address not ours (a conflict),
    /// and no martian (RFC 1122 3.2.1.3's, applied to ARP as Linux does: a
    /// broadcast, multicast, loopback or class E sender is neither learnt
    /// nor answered; 0.0.0.0 is a probe's, RFC 5227). Counts what it drops.
    fn arp_sender_acceptable(
        &mut self,
        dev: DeviceId,
        our_mac: EthernetAddress,
        repr: &ArpRepr,
    ) -> bool {
        let (spa, sha) = (repr.source_protocol_addr, repr.source_hardware_addr);
        if !sha.is_unicast() || sha == our_mac {
            bump(&mut self.stats.arp.drop_malformed);
            return false;
        }
        if self.iface_by_addr(&spa).is_some() {
            // Someone else claims one of our addresses (or our own frame
            // came back): never learn it.
            net_warn!("dev={}, address conflict: {} claims {}", dev, sha, spa);
            bump(&mut self.stats.arp.drop_conflict);
            return false;
        }
        if !spa.is_unspecified() && self.arp_martian(dev, &spa) {
            bump(&mut self.stats.arp.drop_martian);
            return false;
        }
        true
    }

    /// RFC 826's "Merge_flag" step, then, if `target_is_us`, its "add the
    /// triplet". Only an on-link sender gets a new entry: one outside every
    /// subnet and on-link route of this device (and no route's gateway) is
    /// answered, not learnt. An entry that exists (we asked for it, or
    /// learnt it on the link) may be updated by its owner. Both on this
    /// device: a packet on another link must not move an entry to it.
    /// Returns the merge flag (the sender was in the table).
    fn arp_merge(&mut self, dev: DeviceId, repr: &ArpRepr, target_is_us: bool) -> bool {
        let (spa, sha) = (repr.source_protocol_addr, repr.source_hardware_addr);
        let now = self.now;
        let known = self.arp.get(&spa).is_some_and(|e| e.device == dev);
        let learnable = !spa.is_unspecified()
            && (known || self.arp_on_link(dev, &spa) || self.arp_gateway_on(dev, &spa));
        let was_pending = self.arp.get(&spa).is_some_and(|e| e.queued > 0);
        let mut merge = match learnable {
            true => self.arp.update(&spa, sha, dev, now),
            false => Merge::Absent,
        };
        let merge_flag = merge.found();
        if target_is_us && !learnable && !spa.is_unspecified() {
            bump(&mut self.stats.arp.ignored_off_link);
        }
        if target_is_us && learnable && !merge_flag {
            match self.arp.insert_resolved(spa, sha, dev, now, &self.routes) {
                Ok(m) => merge = m,
                Err(_) => bump(&mut self.stats.arp.drop_cache_full),
            }
        }
        if merge == Merge::Locked {
            // Debug, not warn: a flood of forged replies would flood the log.
            net_debug!(
                "dev={}, {} is at {}: kept against {}",
                dev,
                spa,
                self.arp.get(&spa).map_or(sha, |e| e.mac),
                sha
            );
            bump(&mut self.stats.arp.drop_locked);
        }
        if was_pending && merge == Merge::Merged {
            // What waited for this neighbour can go (if anything can wait).
            self.pending.ready = cfg!(feature = "pending-queue");
        }
        merge_flag
    }

    /// Whether `spa` can be no host's address on `dev`: not unicast, 127/8,
    /// 0/8, class E, or the directed broadcast of a subnet on `dev`.
    fn arp_martian(&self, dev: DeviceId, spa: &Ipv4Address) -> bool {
        !spa.is_unicast_host()
            || spa.is_martian_source()
            || self
                .ifaces
                .iter()
                .any(|i| i.device == dev && i.broadcast() == Some(*spa))
    }

    /// Whether `spa` is on `dev`'s link: a host address in the subnet of
    /// one of `dev`'s interfaces (not its network address) or covered by an
    /// on-link route through one of them.
    fn arp_on_link(&self, dev: DeviceId, spa: &Ipv4Address) -> bool {
        let host_in = |cidr: &Ipv4Cidr| {
            cidr.contains_addr(spa)
                && cidr.broadcast() != Some(*spa)
                && (cidr.prefix_len() >= 31 || cidr.network().address() != *spa)
        };
        let on_dev = |iface: IfaceId| {
            self.ifaces
                .get(iface.index())
                .is_some_and(|i| i.device == dev)
        };
        self.ifaces
            .iter()
            .any(|i| i.device == dev && host_in(&i.cidr))
            || self
                .routes
                .iter()
                .any(|r| r.gateway.is_none() && on_dev(r.iface) && host_in(&r.network))
    }

    /// Whether `spa` is the gateway of a route through an interface on
    /// `dev`.
    fn arp_gateway_on(&self, dev: DeviceId, spa: &Ipv4Address) -> bool {
        self.routes.iter().any(|r| {
            r.gateway == Some(*spa)
                && self
                    .ifaces
                    .get(r.iface.index())
                    .is_some_and(|i| i.device == dev)
        })
    }

    /// Sends an ARP packet (microps's `arp_reply`/`arp_request`).
    pub(crate) fn arp_output(
        &mut self,
        tx: &mut Tx<'_, '_>,
        dev: DeviceId,
        src: EthernetAddress,
        dst: EthernetAddress,
        repr: &ArpRepr,
    ) {
        net_debug!(
            "dev={}, opcode={}, tpa={}",
            dev,
            repr.operation,
            repr.target_protocol_addr
        );
        let len = frame_len(PACKET_LEN);
        let r = tx.transmit(dev, len, &mut |frame| {
            let payload = ether_emit(frame, src, dst, EtherType::Arp, PACKET_LEN);
            repr.emit(&mut ArpPacket::new_unchecked(payload));
        });
        if r.is_err() {
            bump(&mut self.stats.link.drop_tx_device);
        } else {
            bump(&mut self.stats.link.tx_frames);
            self.stats.link.tx_bytes.add(len as u64);
        }
    }

    /// Asks for `ip` on `dev`: broadcast, or unicast to `to` when
    /// refreshing a known entry (as Linux's probes do).
    pub(crate) fn arp_request(
        &mut self,
        tx: &mut Tx<'_, '_>,
        dev: DeviceId,
        ip: Ipv4Address,
        to: Option<EthernetAddress>,
    ) {
        let Some(info) = self.devices.get(dev.index()).copied() else {
            return;
        };
        let Some(our_mac) = info.hardware_addr() else {
            return;
        };
        // The sender address: our interface on that device in the target's
        // subnet, else the device's first.
        let spa = self
            .ifaces
            .iter()
            .find(|i| i.device == dev && i.cidr.contains_addr(&ip))
            .or_else(|| self.iface_of_device(dev))
            .map(|i| i.addr());
        let Some(spa) = spa else { return };
        let repr = ArpRepr {
            operation: ArpOperation::Request,
            source_hardware_addr: our_mac,
            source_protocol_addr: spa,
            target_hardware_addr: EthernetAddress::UNSPECIFIED,
            target_protocol_addr: ip,
        };
        self.arp_output(
            tx,
            dev,
            our_mac,
            to.unwrap_or(EthernetAddress::BROADCAST),
            &repr,
        );
        bump(&mut self.stats.arp.tx_requests);
    }

    /// A gratuitous ARP for a new interface (RFC 5227 section 2.3: a request
    /// whose sender and target are both our address).
    pub(crate) fn arp_announce(&mut self, tx: &mut Tx<'_, '_>, id: IfaceId) {
        let Some(iface) = self.ifaces.get(id.index()).copied() else {
            return;
        };
        let Some(our_mac) = self
            .devices
            .get(iface.device.index())
            .and_then(|d| d.hardware_addr())
        else {
            return;
        };
        let repr = ArpRepr {
            operation: ArpOperation::Request,
            source_hardware_addr: our_mac,
            source_protocol_addr: iface.addr(),
            target_hardware_addr: EthernetAddress::UNSPECIFIED,
            target_protocol_addr: iface.addr(),
        };
        net_info!(
            "gratuitous ARP, dev={}, addr={}",
            iface.device,
            iface.addr()
        );
        self.arp_output(tx, iface.device, our_mac, EthernetAddress::BROADCAST, &repr);
        bump(&mut self.stats.arp.tx_requests);
    }
}
