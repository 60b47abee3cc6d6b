//! The Ethernet layer of the stack: `ether_input` accepts frames for our
//! address and broadcast, drops the rest with a counted reason, and hands
//! ARP and IPv4 on; `ether_emit` writes the header (RFC 894) of frames we
//! send, padded to the 60-byte minimum.

use super::interface::DeviceInfo;
use super::stats::bump;
use super::{Inner, Rx};
use crate::wire::ethernet::{HEADER_LEN, MIN_FRAME_LEN};
use crate::wire::{EtherType, EthernetAddress, EthernetFrame, EthernetRepr};

/// The length of a frame carrying `payload_len` bytes, padding included.
pub(crate) fn frame_len(payload_len: usize) -> usize {
    HEADER_LEN.saturating_add(payload_len).max(MIN_FRAME_LEN)
}

/// Writes an Ethernet header into `frame`, zeroes the padding after
/// `payload_len` bytes, and returns the payload part.
pub(crate) fn ether_emit(
    frame: &mut [u8],
    src: EthernetAddress,
    dst: EthernetAddress,
    ethertype: EtherType,
    payload_len: usize,
) -> &mut [u8] {
    let mut f = EthernetFrame::new_unchecked(&mut *frame);
    EthernetRepr {
        src_addr: src,
        dst_addr: dst,
        ethertype,
    }
    .emit(&mut f);
    let payload = frame.get_mut(HEADER_LEN..).unwrap_or(&mut []);
    if let Some(pad) = payload.get_mut(payload_len..) {
        pad.fill(0);
    }
    payload
}

impl Inner<'_> {
    /// microps's `ether_input_helper`: check the destination, dispatch by
    /// EtherType.
    pub(crate) fn ethernet_input(
        &mut self,
        rx: &mut Rx<'_, '_, '_, '_, '_>,
        dev: &DeviceInfo,
        frame: &[u8],
    ) {
        let Ok(f) = EthernetFrame::new_checked(frame) else {
            net_debug!("dev={}, too short ({} bytes)", dev.id, frame.len());
            bump(&mut self.stats.link.drop_malformed);
            return;
        };
        let dst = f.dst_addr();
        let ours = dev.hardware_addr().is_some_and(|m| m == dst) || dev.caps.flags.loopback;
        if !ours && !dst.is_broadcast() {
            if dst.is_multicast() {
                bump(&mut self.stats.link.drop_multicast);
            } else {
                bump(&mut self.stats.link.drop_not_for_us);
            }
            return;
        }
        net_debug!(
            "dev={}, type={}, len={}",
            dev.id,
            f.ethertype(),
            frame.len()
        );
        match f.ethertype() {
            EtherType::Arp => self.arp_input(rx.tx, dev, f.payload()),
            EtherType::Ipv4 => {
                rx.link_broadcast = dst.is_broadcast();
                self.ip_input(rx, f.payload())
            }
            _ => bump(&mut self.stats.link.drop_unknown_type),
        }
    }
}
