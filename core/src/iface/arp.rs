//! ARP in the stack (RFC 826; RFC 1122 section 2.3.2; RFC 5227's
//! announcement): answering requests for our addresses, learning from
//! packets addressed to us, resolving next hops, and releasing the packets
//! that waited for an answer.

use super::ethernet::{ether_emit, frame_len};
use super::interface::{DeviceId, DeviceInfo, IfaceId};
use super::stats::bump;
use super::{Inner, Tx};
use crate::wire::arp::PACKET_LEN;
use crate::wire::{ArpOperation, ArpPacket, ArpRepr, EtherType, EthernetAddress, Ipv4Address};

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
        let spa = repr.source_protocol_addr;
        let sha = repr.source_hardware_addr;
        if !sha.is_unicast() || repr.source_hardware_addr == our_mac {
            bump(&mut self.stats.arp.drop_malformed);
            return;
        }
        if self.iface_by_addr(&spa).is_some() {
            // Someone else claims one of our addresses (or our own frame
            // came back): never learn it.
            net_warn!("dev={}, address conflict: {} claims {}", dev.id, sha, spa);
            bump(&mut self.stats.arp.drop_conflict);
            return;
        }
        let now = self.now;
        let mut learned = false;
        // "Merge_flag": update an existing entry (a probe's 0.0.0.0 sender
        // teaches nothing).
        let merge = !spa.is_unspecified() && {
            let was_pending = self.arp.get(&spa).is_some_and(|e| e.queued > 0);
            let merged = self.arp.update(&spa, sha, dev.id, now);
            learned = merged && was_pending;
            merged
        };
        let target_is_us = self
            .ifaces
            .iter()
            .any(|i| i.device == dev.id && i.addr() == repr.target_protocol_addr);
        if !target_is_us {
            if !merge {
                bump(&mut self.stats.arp.drop_not_for_us);
            }
            if learned {
                self.pending.ready = cfg!(feature = "pending-queue");
            }
            return;
        }
        if !merge
            && !spa.is_unspecified()
            && self.arp.insert_resolved(spa, sha, dev.id, now).is_err()
        {
            bump(&mut self.stats.arp.drop_cache_full);
        }
        if learned {
            // What waited for this neighbour can go (if anything can wait).
            self.pending.ready = cfg!(feature = "pending-queue");
        }
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
