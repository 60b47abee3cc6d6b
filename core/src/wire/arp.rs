//! ARP for IPv4 over Ethernet (RFC 826; RFC 5227 for probes and
//! announcements, which are ordinary requests with particular addresses).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Hardware Type         |         Protocol Type         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  HW Addr Len  | Proto Addr Len|           Operation           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Sender Hardware Address (6 bytes for Ethernet) ...
//! |      Sender Protocol Address (4 bytes for IPv4) ...
//! |      Target Hardware Address ...
//! |      Target Protocol Address ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The packet format allows any address lengths; this stack handles only
//! Ethernet (hardware type 1, 6-byte addresses) and IPv4 (protocol type
//! 0x0800, 4-byte addresses), a 28-byte packet. [`ArpPacket::check_len`]
//! checks the general form, [`ArpRepr::parse`] refuses the rest as
//! [`Error::Unsupported`]. A buffer may be longer than the packet (Ethernet
//! padding).

use core::fmt;

use super::ethernet::EthernetAddress;
use super::field::{self, Field};
use super::ipv4::Ipv4Address;
use super::{Error, Result};

/// The operation (opcode) field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ArpOperation {
    /// 1, a request.
    Request,
    /// 2, a reply.
    Reply,
    /// Anything else (RARP, InARP, ...): parsed, but not handled.
    Unknown(u16),
}

impl From<u16> for ArpOperation {
    fn from(v: u16) -> ArpOperation {
        match v {
            1 => ArpOperation::Request,
            2 => ArpOperation::Reply,
            other => ArpOperation::Unknown(other),
        }
    }
}

impl From<ArpOperation> for u16 {
    fn from(op: ArpOperation) -> u16 {
        match op {
            ArpOperation::Request => 1,
            ArpOperation::Reply => 2,
            ArpOperation::Unknown(v) => v,
        }
    }
}

impl ArpOperation {
    /// The name microps's `arp_opcode_ntoa` gives: `Request`, `Reply` or
    /// `Unknown`.
    pub const fn name(&self) -> &'static str {
        match self {
            ArpOperation::Request => "Request",
            ArpOperation::Reply => "Reply",
            ArpOperation::Unknown(_) => "Unknown",
        }
    }
}

impl fmt::Display for ArpOperation {
    /// `Request(0x0001)`, `Reply(0x0002)`, `Unknown(0x0007)`.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}(0x{:04x})", self.name(), u16::from(*self))
    }
}

mod fields {
    use super::Field;
    pub const HTYPE: usize = 0;
    pub const PTYPE: usize = 2;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: usize = 6;
    /// Where the addresses start, whatever their lengths.
    pub const ADDRS: usize = 8;
    // The addresses for Ethernet (6 bytes) and IPv4 (4 bytes).
    pub const SHA: Field = 8..14;
    pub const SPA: Field = 14..18;
    pub const THA: Field = 18..24;
    pub const TPA: Field = 24..28;

    /// Hardware type 1, Ethernet.
    pub const HTYPE_ETHERNET: u16 = 1;
    /// Protocol type 0x0800, IPv4.
    pub const PTYPE_IPV4: u16 = 0x0800;
}

/// Length of an ARP packet for IPv4 over Ethernet.
pub const PACKET_LEN: usize = fields::TPA.end;

/// A view of an ARP packet.
///
/// [`ArpPacket::check_len`] checks the packet against its own address
/// lengths; the address accessors assume the Ethernet/IPv4 layout (6- and
/// 4-byte addresses), which [`ArpRepr::parse`] checks. On a packet with
/// other lengths they read whatever bytes sit at those offsets (or zeros),
/// never panicking.
#[derive(Debug, Clone)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    /// Wraps a buffer without checking it; accessors of a short buffer return
    /// zeros instead of panicking, but use [`ArpPacket::new_checked`] for
    /// input.
    pub const fn new_unchecked(buffer: T) -> ArpPacket<T> {
        ArpPacket { buffer }
    }

    /// Wraps a buffer after [`ArpPacket::check_len`].
    pub fn new_checked(buffer: T) -> Result<ArpPacket<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds the 8-byte fixed part and then the four
    /// addresses of the lengths it declares (`8 + 2 * hln + 2 * pln`
    /// bytes); [`Error::Truncated`] otherwise.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < fields::ADDRS {
            return Err(Error::Truncated);
        }
        if len < self.packet_len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The length of the packet its address length fields declare,
    /// `8 + 2 * hln + 2 * pln` (28 for Ethernet/IPv4).
    pub fn packet_len(&self) -> usize {
        let hln = usize::from(self.hardware_len());
        let pln = usize::from(self.protocol_len());
        // At most 8 + 2 * 255 + 2 * 255: no overflow, but keep it checked.
        fields::ADDRS
            .saturating_add(hln.saturating_mul(2))
            .saturating_add(pln.saturating_mul(2))
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The hardware type (1 for Ethernet).
    pub fn hardware_type(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::HTYPE)
    }

    /// The protocol type (an EtherType, 0x0800 for IPv4).
    pub fn protocol_type(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::PTYPE)
    }

    /// The hardware address length (6 for Ethernet).
    pub fn hardware_len(&self) -> u8 {
        field::get_u8(self.buffer.as_ref(), fields::HLEN)
    }

    /// The protocol address length (4 for IPv4).
    pub fn protocol_len(&self) -> u8 {
        field::get_u8(self.buffer.as_ref(), fields::PLEN)
    }

    /// The operation.
    pub fn operation(&self) -> ArpOperation {
        ArpOperation::from(field::get_u16(self.buffer.as_ref(), fields::OPER))
    }

    /// The sender hardware address (at the Ethernet/IPv4 offset).
    pub fn source_hardware_addr(&self) -> EthernetAddress {
        EthernetAddress(field::get_array(self.buffer.as_ref(), fields::SHA.start))
    }

    /// The sender protocol address (at the Ethernet/IPv4 offset).
    pub fn source_protocol_addr(&self) -> Ipv4Address {
        Ipv4Address::from(field::get_array::<4>(
            self.buffer.as_ref(),
            fields::SPA.start,
        ))
    }

    /// The target hardware address (at the Ethernet/IPv4 offset).
    pub fn target_hardware_addr(&self) -> EthernetAddress {
        EthernetAddress(field::get_array(self.buffer.as_ref(), fields::THA.start))
    }

    /// The target protocol address (at the Ethernet/IPv4 offset).
    pub fn target_protocol_addr(&self) -> Ipv4Address {
        Ipv4Address::from(field::get_array::<4>(
            self.buffer.as_ref(),
            fields::TPA.start,
        ))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    /// Sets the hardware type.
    pub fn set_hardware_type(&mut self, value: u16) {
        field::set_u16(self.buffer.as_mut(), fields::HTYPE, value);
    }

    /// Sets the protocol type.
    pub fn set_protocol_type(&mut self, value: u16) {
        field::set_u16(self.buffer.as_mut(), fields::PTYPE, value);
    }

    /// Sets the hardware address length.
    pub fn set_hardware_len(&mut self, value: u8) {
        field::set_u8(self.buffer.as_mut(), fields::HLEN, value);
    }

    /// Sets the protocol address length.
    pub fn set_protocol_len(&mut self, value: u8) {
        field::set_u8(self.buffer.as_mut(), fields::PLEN, value);
    }

    /// Sets the operation.
    pub fn set_operation(&mut self, op: ArpOperation) {
        field::set_u16(self.buffer.as_mut(), fields::OPER, op.into());
    }

    /// Sets the sender hardware address (at the Ethernet/IPv4 offset).
    pub fn set_source_hardware_addr(&mut self, addr: EthernetAddress) {
        field::set_bytes(self.buffer.as_mut(), fields::SHA.start, addr.as_bytes());
    }

    /// Sets the sender protocol address (at the Ethernet/IPv4 offset).
    pub fn set_source_protocol_addr(&mut self, addr: Ipv4Address) {
        field::set_bytes(self.buffer.as_mut(), fields::SPA.start, &addr.octets());
    }

    /// Sets the target hardware address (at the Ethernet/IPv4 offset).
    pub fn set_target_hardware_addr(&mut self, addr: EthernetAddress) {
        field::set_bytes(self.buffer.as_mut(), fields::THA.start, addr.as_bytes());
    }

    /// Sets the target protocol address (at the Ethernet/IPv4 offset).
    pub fn set_target_protocol_addr(&mut self, addr: Ipv4Address) {
        field::set_bytes(self.buffer.as_mut(), fields::TPA.start, &addr.octets());
    }
}

impl<T: AsRef<[u8]>> fmt::Display for ArpPacket<T> {
    /// The packet as microps's `arp_dump` prints it.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        writeln!(f, "        hrd: 0x{:04x}", self.hardware_type())?;
        writeln!(f, "        pro: 0x{:04x}", self.protocol_type())?;
        writeln!(f, "        hln: {}", self.hardware_len())?;
        writeln!(f, "        pln: {}", self.protocol_len())?;
        let op = self.operation();
        writeln!(f, "         op: {} ({})", u16::from(op), op.name())?;
        writeln!(f, "        sha: {}", self.source_hardware_addr())?;
        writeln!(f, "        spa: {}", self.source_protocol_addr())?;
        writeln!(f, "        tha: {}", self.target_hardware_addr())?;
        write!(f, "        tpa: {}", self.target_protocol_addr())
    }
}

/// A parsed ARP packet for IPv4 over Ethernet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ArpRepr {
    /// Request, reply, or an operation the stack does not handle.
    pub operation: ArpOperation,
    /// The sender's MAC address.
    pub source_hardware_addr: EthernetAddress,
    /// The sender's IPv4 address.
    pub source_protocol_addr: Ipv4Address,
    /// The target's MAC address (all zeros in a request).
    pub target_hardware_addr: EthernetAddress,
    /// The target's IPv4 address.
    pub target_protocol_addr: Ipv4Address,
}

impl ArpRepr {
    /// Parses a packet: [`Error::Truncated`] if it does not fit the buffer,
    /// [`Error::Unsupported`] unless it is Ethernet (hardware type 1, length
    /// 6) and IPv4 (protocol type 0x0800, length 4). Unknown operations
    /// parse; the stack decides what to do with them.
    pub fn parse<T: AsRef<[u8]>>(packet: &ArpPacket<T>) -> Result<ArpRepr> {
        packet.check_len()?;
        if packet.hardware_type() != fields::HTYPE_ETHERNET
            || packet.protocol_type() != fields::PTYPE_IPV4
            || packet.hardware_len() != 6
            || packet.protocol_len() != 4
        {
            return Err(Error::Unsupported);
        }
        Ok(ArpRepr {
            operation: packet.operation(),
            source_hardware_addr: packet.source_hardware_addr(),
            source_protocol_addr: packet.source_protocol_addr(),
            target_hardware_addr: packet.target_hardware_addr(),
            target_protocol_addr: packet.target_protocol_addr(),
        })
    }

    /// The packet length, always 28.
    pub const fn buffer_len(&self) -> usize {
        PACKET_LEN
    }

    /// Writes the 28-byte packet into the start of `packet`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut ArpPacket<T>) {
        packet.set_hardware_type(fields::HTYPE_ETHERNET);
        packet.set_protocol_type(fields::PTYPE_IPV4);
        packet.set_hardware_len(6);
        packet.set_protocol_len(4);
        packet.set_operation(self.operation);
        packet.set_source_hardware_addr(self.source_hardware_addr);
        packet.set_source_protocol_addr(self.source_protocol_addr);
        packet.set_target_hardware_addr(self.target_hardware_addr);
        packet.set_target_protocol_addr(self.target_protocol_addr);
    }
}

impl fmt::Display for ArpRepr {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "ARP op={} sha={} spa={} tha={} tpa={}",
            self.operation,
            self.source_hardware_addr,
            self.source_protocol_addr,
            self.target_hardware_addr,
            self.target_protocol_addr
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    /// An ARP request captured with tcpdump on a veth pair between two Linux
    /// network namespaces (192.0.2.1 at 86:3c:2a:0b:61:9d asks for
    /// 192.0.2.2), without its 14-byte Ethernet header.
    const REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x86, 0x3c, 0x2a, 0x0b, 0x61, 0x9d, 0xc0,
        0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x02,
    ];

    /// The reply to [`REQUEST`] from the same capture: 192.0.2.2 is at
    /// 02:00:5e:00:53:02.
    const REPLY: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00, 0x5e, 0x00, 0x53, 0x02, 0xc0,
        0x00, 0x02, 0x02, 0x86, 0x3c, 0x2a, 0x0b, 0x61, 0x9d, 0xc0, 0x00, 0x02, 0x01,
    ];

    const MAC_A: EthernetAddress = EthernetAddress([0x86, 0x3c, 0x2a, 0x0b, 0x61, 0x9d]);
    const MAC_B: EthernetAddress = EthernetAddress([0x02, 0x00, 0x5e, 0x00, 0x53, 0x02]);
    const IP_A: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
    const IP_B: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

    #[test]
    fn captured_request_field_by_field() {
        let packet = ArpPacket::new_checked(&REQUEST[..]).unwrap();
        assert_eq!(packet.hardware_type(), 1);
        assert_eq!(packet.protocol_type(), 0x0800);
        assert_eq!(packet.hardware_len(), 6);
        assert_eq!(packet.protocol_len(), 4);
        assert_eq!(packet.packet_len(), PACKET_LEN);
        assert_eq!(packet.operation(), ArpOperation::Request);
        assert_eq!(packet.source_hardware_addr(), MAC_A);
        assert_eq!(packet.source_protocol_addr(), IP_A);
        assert_eq!(packet.target_hardware_addr(), EthernetAddress::UNSPECIFIED);
        assert_eq!(packet.target_protocol_addr(), IP_B);
        assert_eq!(
            ArpRepr::parse(&packet).unwrap(),
            ArpRepr {
                operation: ArpOperation::Request,
                source_hardware_addr: MAC_A,
                source_protocol_addr: IP_A,
                target_hardware_addr: EthernetAddress::UNSPECIFIED,
                target_protocol_addr: IP_B,
            }
        );
    }

    #[test]
    fn captured_reply_field_by_field() {
        let packet = ArpPacket::new_checked(&REPLY[..]).unwrap();
        assert_eq!(packet.hardware_type(), 1);
        assert_eq!(packet.protocol_type(), 0x0800);
        assert_eq!(packet.hardware_len(), 6);
        assert_eq!(packet.protocol_len(), 4);
        assert_eq!(packet.operation(), ArpOperation::Reply);
        assert_eq!(packet.source_hardware_addr(), MAC_B);
        assert_eq!(packet.source_protocol_addr(), IP_B);
        assert_eq!(packet.target_hardware_addr(), MAC_A);
        assert_eq!(packet.target_protocol_addr(), IP_A);
        let repr = ArpRepr::parse(&packet).unwrap();
        assert_eq!(repr.operation, ArpOperation::Reply);
        assert_eq!(repr.source_hardware_addr, MAC_B);
        assert_eq!(repr.source_protocol_addr, IP_B);
        assert_eq!(repr.target_hardware_addr, MAC_A);
        assert_eq!(repr.target_protocol_addr, IP_A);
    }

    #[test]
    fn emit_reproduces_captured_bytes() {
        for captured in [REQUEST, REPLY] {
            let repr = ArpRepr::parse(&ArpPacket::new_checked(&captured[..]).unwrap()).unwrap();
            assert_eq!(repr.buffer_len(), 28);
            let mut buf = [0xaau8; 28];
            repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
            assert_eq!(buf, captured);
        }
    }

    #[test]
    fn round_trip_including_unknown_operation() {
        for op in [
            ArpOperation::Request,
            ArpOperation::Reply,
            ArpOperation::Unknown(0),
            ArpOperation::Unknown(8),
            ArpOperation::Unknown(0xffff),
        ] {
            let repr = ArpRepr {
                operation: op,
                source_hardware_addr: MAC_B,
                source_protocol_addr: IP_B,
                target_hardware_addr: MAC_A,
                target_protocol_addr: IP_A,
            };
            let mut buf = [0u8; PACKET_LEN];
            repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
            let packet = ArpPacket::new_checked(&buf[..]).unwrap();
            assert_eq!(ArpRepr::parse(&packet).unwrap(), repr);
        }
    }

    #[test]
    fn setters_and_getters() {
        let mut buf = [0u8; PACKET_LEN];
        let mut packet = ArpPacket::new_unchecked(&mut buf[..]);
        packet.set_hardware_type(0x1234);
        packet.set_protocol_type(0x5678);
        packet.set_hardware_len(6);
        packet.set_protocol_len(4);
        packet.set_operation(ArpOperation::Unknown(9));
        packet.set_source_hardware_addr(MAC_A);
        packet.set_source_protocol_addr(IP_A);
        packet.set_target_hardware_addr(MAC_B);
        packet.set_target_protocol_addr(IP_B);
        assert_eq!(packet.hardware_type(), 0x1234);
        assert_eq!(packet.protocol_type(), 0x5678);
        assert_eq!(packet.hardware_len(), 6);
        assert_eq!(packet.protocol_len(), 4);
        assert_eq!(packet.operation(), ArpOperation::Unknown(9));
        assert_eq!(packet.source_hardware_addr(), MAC_A);
        assert_eq!(packet.source_protocol_addr(), IP_A);
        assert_eq!(packet.target_hardware_addr(), MAC_B);
        assert_eq!(packet.target_protocol_addr(), IP_B);
        assert_eq!(
            buf,
            [
                0x12, 0x34, 0x56, 0x78, 6, 4, 0, 9, 0x86, 0x3c, 0x2a, 0x0b, 0x61, 0x9d, 192, 0, 2,
                1, 0x02, 0x00, 0x5e, 0x00, 0x53, 0x02, 192, 0, 2, 2
            ]
        );
    }

    #[test]
    fn every_truncation_is_an_error_or_the_same_repr() {
        for captured in [REQUEST, REPLY] {
            let whole = ArpRepr::parse(&ArpPacket::new_checked(&captured[..]).unwrap()).unwrap();
            for len in 0..=captured.len() {
                let buf = &captured[..len];
                match ArpPacket::new_checked(buf) {
                    Ok(packet) => {
                        assert_eq!(len, PACKET_LEN);
                        assert_eq!(ArpRepr::parse(&packet).unwrap(), whole);
                    }
                    Err(e) => {
                        assert!(len < PACKET_LEN);
                        assert_eq!(e, Error::Truncated);
                        // The unchecked view and the parse never panic either.
                        let packet = ArpPacket::new_unchecked(buf);
                        assert_eq!(ArpRepr::parse(&packet), Err(Error::Truncated));
                        let _ = format!("{packet}");
                    }
                }
            }
        }
    }

    #[test]
    fn ethernet_padding_is_ignored() {
        // A 60-byte Ethernet frame carries the 28-byte packet and 18 bytes of
        // padding.
        let mut buf = [0u8; 46];
        buf[..28].copy_from_slice(&REQUEST);
        buf[28..].fill(0x5a);
        let packet = ArpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(
            ArpRepr::parse(&packet).unwrap(),
            ArpRepr::parse(&ArpPacket::new_checked(&REQUEST[..]).unwrap()).unwrap()
        );
    }

    #[test]
    fn other_hardware_and_protocols_are_unsupported() {
        // Hardware address length 8: a well-formed 8 + 16 + 8 = 32 bytes.
        let mut hln8 = [0u8; 32];
        hln8[..8].copy_from_slice(&REQUEST[..8]);
        hln8[4] = 8;
        let packet = ArpPacket::new_checked(&hln8[..]).unwrap();
        assert_eq!(packet.packet_len(), 32);
        assert_eq!(ArpRepr::parse(&packet), Err(Error::Unsupported));
        // ... and with only 28 bytes it does not even fit.
        assert_eq!(
            ArpPacket::new_checked(&hln8[..28]).unwrap_err(),
            Error::Truncated
        );

        // Hardware type 6 (IEEE 802).
        let mut hrd6 = REQUEST;
        hrd6[1] = 6;
        let packet = ArpPacket::new_checked(&hrd6[..]).unwrap();
        assert_eq!(ArpRepr::parse(&packet), Err(Error::Unsupported));

        // Protocol type IPv6 with 4-byte addresses, and IPv4 with pln 16.
        let mut pro = REQUEST;
        pro[2..4].copy_from_slice(&[0x86, 0xdd]);
        let packet = ArpPacket::new_checked(&pro[..]).unwrap();
        assert_eq!(ArpRepr::parse(&packet), Err(Error::Unsupported));
        let mut pln16 = [0u8; 8 + 12 + 32];
        pln16[..8].copy_from_slice(&REQUEST[..8]);
        pln16[5] = 16;
        let packet = ArpPacket::new_checked(&pln16[..]).unwrap();
        assert_eq!(ArpRepr::parse(&packet), Err(Error::Unsupported));

        // The largest declared lengths: 8 + 510 + 510 bytes needed.
        let mut huge = [0u8; 8];
        huge[4] = 255;
        huge[5] = 255;
        let packet = ArpPacket::new_unchecked(&huge[..]);
        assert_eq!(packet.packet_len(), 1028);
        assert_eq!(packet.check_len(), Err(Error::Truncated));
    }

    #[test]
    fn operation_conversions_and_display() {
        assert_eq!(ArpOperation::from(1), ArpOperation::Request);
        assert_eq!(ArpOperation::from(2), ArpOperation::Reply);
        assert_eq!(ArpOperation::from(7), ArpOperation::Unknown(7));
        assert_eq!(u16::from(ArpOperation::Request), 1);
        assert_eq!(u16::from(ArpOperation::Reply), 2);
        assert_eq!(u16::from(ArpOperation::Unknown(7)), 7);
        assert_eq!(format!("{}", ArpOperation::Request), "Request(0x0001)");
        assert_eq!(format!("{}", ArpOperation::Reply), "Reply(0x0002)");
        assert_eq!(format!("{}", ArpOperation::Unknown(7)), "Unknown(0x0007)");
    }

    #[test]
    fn display_is_microps_dump() {
        let packet = ArpPacket::new_checked(&REQUEST[..]).unwrap();
        assert_eq!(
            format!("{packet}"),
            "        hrd: 0x0001\n        pro: 0x0800\n        hln: 6\n        pln: 4\n         \
             op: 1 (Request)\n        sha: 86:3c:2a:0b:61:9d\n        spa: 192.0.2.1\n        \
             tha: 00:00:00:00:00:00\n        tpa: 192.0.2.2"
        );
        let mut unknown = REPLY;
        unknown[7] = 7;
        let packet = ArpPacket::new_checked(&unknown[..]).unwrap();
        assert_eq!(
            format!("{packet}"),
            "        hrd: 0x0001\n        pro: 0x0800\n        hln: 6\n        pln: 4\n         \
             op: 7 (Unknown)\n        sha: 02:00:5e:00:53:02\n        spa: 192.0.2.2\n        \
             tha: 86:3c:2a:0b:61:9d\n        tpa: 192.0.2.1"
        );
    }

    #[test]
    fn repr_display_is_one_line() {
        let repr = ArpRepr::parse(&ArpPacket::new_checked(&REPLY[..]).unwrap()).unwrap();
        assert_eq!(
            format!("{repr}"),
            "ARP op=Reply(0x0002) sha=02:00:5e:00:53:02 spa=192.0.2.2 \
             tha=86:3c:2a:0b:61:9d tpa=192.0.2.1"
        );
    }
}
