//! Ethernet II frames (IEEE 802.3 with the DIX EtherType; RFC 894 for IPv4
//! over Ethernet).
//!
//! ```text
//!  0                   6                  12      14
//! +-------------------+-------------------+-------+--------- ... --+
//! |  destination MAC  |    source MAC     | type  |    payload     |
//! +-------------------+-------------------+-------+--------- ... --+
//! ```
//!
//! The frame check sequence is not part of what devices hand to the stack.
//! Ethernet has no length field, so any buffer of at least 14 bytes is a
//! frame; the payload is whatever follows the header (including any padding
//! up to the 60-byte minimum, which the IP layer trims by its total length).

use core::fmt;

use super::field::{self, Field};
use super::{Error, Result};

/// A 48-bit IEEE MAC address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EthernetAddress(pub [u8; 6]);

impl EthernetAddress {
    /// The broadcast address `ff:ff:ff:ff:ff:ff`.
    pub const BROADCAST: EthernetAddress = EthernetAddress([0xff; 6]);
    /// The all-zero address (ARP's "unknown" target hardware address).
    pub const UNSPECIFIED: EthernetAddress = EthernetAddress([0; 6]);

    /// The address from a byte slice of length 6, or `None`.
    pub fn from_bytes(bytes: &[u8]) -> Option<EthernetAddress> {
        <[u8; 6]>::try_from(bytes).ok().map(EthernetAddress)
    }

    /// The six bytes.
    pub const fn as_bytes(&self) -> &[u8; 6] {
        &self.0
    }

    /// `ff:ff:ff:ff:ff:ff`.
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }

    /// The group bit (least significant bit of the first octet) is set.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// Neither multicast nor broadcast.
    pub fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }

    /// The locally administered bit is set.
    pub fn is_local(&self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (or with `-` separators).
    pub fn parse(s: &str) -> Option<EthernetAddress> {
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for byte in out.iter_mut() {
            let p = parts.next()?;
            if p.is_empty() || p.len() > 2 {
                return None;
            }
            *byte = u8::from_str_radix(p, 16).ok()?;
        }
        if parts.next().is_some() {
            return None;
        }
        Some(EthernetAddress(out))
    }
}

impl fmt::Display for EthernetAddress {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

impl fmt::Debug for EthernetAddress {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The EtherType field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EtherType {
    /// 0x0800, IPv4.
    Ipv4,
    /// 0x0806, ARP.
    Arp,
    /// 0x86dd, IPv6 (recognised so that it can be counted, not handled).
    Ipv6,
    /// Anything else.
    Unknown(u16),
}

impl From<u16> for EtherType {
    fn from(v: u16) -> EtherType {
        match v {
            0x0800 => EtherType::Ipv4,
            0x0806 => EtherType::Arp,
            0x86dd => EtherType::Ipv6,
            other => EtherType::Unknown(other),
        }
    }
}

impl From<EtherType> for u16 {
    fn from(t: EtherType) -> u16 {
        match t {
            EtherType::Ipv4 => 0x0800,
            EtherType::Arp => 0x0806,
            EtherType::Ipv6 => 0x86dd,
            EtherType::Unknown(v) => v,
        }
    }
}

impl fmt::Display for EtherType {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            EtherType::Ipv4 => write!(f, "IPv4(0x0800)"),
            EtherType::Arp => write!(f, "ARP(0x0806)"),
            EtherType::Ipv6 => write!(f, "IPv6(0x86dd)"),
            EtherType::Unknown(v) => write!(f, "0x{v:04x}"),
        }
    }
}

mod fields {
    use super::Field;
    pub const DST: Field = 0..6;
    pub const SRC: Field = 6..12;
    pub const ETHERTYPE: usize = 12;
    pub const PAYLOAD: usize = 14;
}

/// Length of the Ethernet II header.
pub const HEADER_LEN: usize = fields::PAYLOAD;
/// The shortest frame on the wire without FCS; shorter frames are padded.
pub const MIN_FRAME_LEN: usize = 60;

/// A view of an Ethernet II frame.
#[derive(Debug, Clone)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps a buffer without checking it; accessors of a short buffer return
    /// zeros instead of panicking, but use [`EthernetFrame::new_checked`] for
    /// input.
    pub const fn new_unchecked(buffer: T) -> EthernetFrame<T> {
        EthernetFrame { buffer }
    }

    /// Wraps a buffer after checking it holds a whole header.
    pub fn new_checked(buffer: T) -> Result<EthernetFrame<T>> {
        let frame = Self::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
    }

    /// Checks that the buffer holds the 14-byte header.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The destination address.
    pub fn dst_addr(&self) -> EthernetAddress {
        EthernetAddress(field::get_array(self.buffer.as_ref(), fields::DST.start))
    }

    /// The source address.
    pub fn src_addr(&self) -> EthernetAddress {
        EthernetAddress(field::get_array(self.buffer.as_ref(), fields::SRC.start))
    }

    /// The EtherType.
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(field::get_u16(self.buffer.as_ref(), fields::ETHERTYPE))
    }

    /// The bytes after the header.
    pub fn payload(&self) -> &[u8] {
        field::rest(self.buffer.as_ref(), fields::PAYLOAD)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, addr: EthernetAddress) {
        field::set_bytes(self.buffer.as_mut(), fields::DST.start, &addr.0);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, addr: EthernetAddress) {
        field::set_bytes(self.buffer.as_mut(), fields::SRC.start, &addr.0);
    }

    /// Sets the EtherType.
    pub fn set_ethertype(&mut self, t: EtherType) {
        field::set_u16(self.buffer.as_mut(), fields::ETHERTYPE, t.into());
    }

    /// The bytes after the header, mutably.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        field::rest_mut(self.buffer.as_mut(), fields::PAYLOAD)
    }
}

impl<T: AsRef<[u8]>> fmt::Display for EthernetFrame<T> {
    /// The header as microps's `ether_dump` prints it.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        writeln!(f, "        src: {}", self.src_addr())?;
        writeln!(f, "        dst: {}", self.dst_addr())?;
        write!(f, "       type: 0x{:04x}", u16::from(self.ethertype()))
    }
}

/// A parsed Ethernet II header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EthernetRepr {
    /// Source address.
    pub src_addr: EthernetAddress,
    /// Destination address.
    pub dst_addr: EthernetAddress,
    /// What the payload is.
    pub ethertype: EtherType,
}

impl EthernetRepr {
    /// Parses the header of a checked frame.
    pub fn parse<T: AsRef<[u8]>>(frame: &EthernetFrame<T>) -> Result<EthernetRepr> {
        frame.check_len()?;
        Ok(EthernetRepr {
            src_addr: frame.src_addr(),
            dst_addr: frame.dst_addr(),
            ethertype: frame.ethertype(),
        })
    }

    /// The header length, always 14.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header into the first 14 bytes of `frame`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut EthernetFrame<T>) {
        frame.set_src_addr(self.src_addr);
        frame.set_dst_addr(self.dst_addr);
        frame.set_ethertype(self.ethertype);
    }
}

impl fmt::Display for EthernetRepr {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "Ethernet src={} dst={} type={}",
            self.src_addr, self.dst_addr, self.ethertype
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    /// The start of an ARP request captured on a Linux tap0: broadcast
    /// destination, the host's MAC as source, EtherType ARP.
    const ARP_FRAME_HEAD: [u8; 14] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x86, 0x3c, 0x2a, 0x0b, 0x61, 0x9d, 0x08, 0x06,
    ];

    #[test]
    fn parses_captured_header_field_by_field() {
        let frame = EthernetFrame::new_checked(&ARP_FRAME_HEAD[..]).unwrap();
        assert_eq!(frame.dst_addr(), EthernetAddress::BROADCAST);
        assert_eq!(
            frame.src_addr(),
            EthernetAddress([0x86, 0x3c, 0x2a, 0x0b, 0x61, 0x9d])
        );
        assert_eq!(frame.ethertype(), EtherType::Arp);
        assert!(frame.payload().is_empty());
        let repr = EthernetRepr::parse(&frame).unwrap();
        assert_eq!(repr.ethertype, EtherType::Arp);
    }

    #[test]
    fn round_trip() {
        let repr = EthernetRepr {
            src_addr: EthernetAddress([0, 0, 0x5e, 0, 0x53, 1]),
            dst_addr: EthernetAddress([2, 0, 0, 0, 0, 1]),
            ethertype: EtherType::Ipv4,
        };
        let mut buf = [0u8; 20];
        let mut frame = EthernetFrame::new_unchecked(&mut buf[..]);
        repr.emit(&mut frame);
        frame.payload_mut().copy_from_slice(&[1, 2, 3, 4, 5, 6]);
        let frame = EthernetFrame::new_checked(&buf[..]).unwrap();
        assert_eq!(EthernetRepr::parse(&frame).unwrap(), repr);
        assert_eq!(frame.payload(), &[1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn every_truncation_is_an_error_or_shorter_payload() {
        let mut buf = [0u8; 30];
        buf[..14].copy_from_slice(&ARP_FRAME_HEAD);
        for len in 0..=buf.len() {
            match EthernetFrame::new_checked(&buf[..len]) {
                Ok(frame) => {
                    assert!(len >= HEADER_LEN);
                    assert_eq!(frame.payload().len(), len - HEADER_LEN);
                    assert_eq!(frame.ethertype(), EtherType::Arp);
                }
                Err(e) => {
                    assert!(len < HEADER_LEN);
                    assert_eq!(e, Error::Truncated);
                }
            }
        }
    }

    #[test]
    fn address_parsing_and_display() {
        let a = EthernetAddress::parse("00:00:5e:00:53:01").unwrap();
        assert_eq!(a, EthernetAddress([0, 0, 0x5e, 0, 0x53, 1]));
        assert_eq!(format!("{a}"), "00:00:5e:00:53:01");
        assert_eq!(EthernetAddress::parse("00-00-5e-00-53-01"), Some(a));
        assert!(EthernetAddress::parse("00:00:5e:00:53").is_none());
        assert!(EthernetAddress::parse("00:00:5e:00:53:01:02").is_none());
        assert!(EthernetAddress::parse("00:00:5e:00:53:zz").is_none());
        assert!(EthernetAddress::BROADCAST.is_broadcast());
        assert!(EthernetAddress([0x01, 0, 0x5e, 0, 0, 1]).is_multicast());
        assert!(a.is_unicast());
    }

    #[test]
    fn display_is_microps_dump() {
        let frame = EthernetFrame::new_checked(&ARP_FRAME_HEAD[..]).unwrap();
        assert_eq!(
            format!("{frame}"),
            "        src: 86:3c:2a:0b:61:9d\n        dst: ff:ff:ff:ff:ff:ff\n       type: 0x0806"
        );
    }
}
