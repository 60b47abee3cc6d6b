//! IPv4 (RFC 791, with the host requirements of RFC 1122 section 3.2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version|  IHL  |Type of Service|          Total Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Identification        |Flags|      Fragment Offset    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Source Address                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Destination Address                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options                    |    Padding    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use core::fmt;

use super::field::{self, Field};
use super::{ChecksumCapabilities, Error, Result, checksum};

/// An IPv4 address: `core::net::Ipv4Addr`, the same type `std::net` uses.
pub type Ipv4Address = core::net::Ipv4Addr;

/// Address classes the stack needs beyond what `Ipv4Addr` offers.
pub trait Ipv4AddressExt {
    /// Neither unspecified, broadcast, multicast nor class E: an address a
    /// single host may have.
    fn is_unicast_host(&self) -> bool;
    /// A source address that must never arrive from the wire (RFC 1122
    /// 3.2.1.3): 0/8 (other than 0.0.0.0 itself, which DHCP uses), 127/8,
    /// multicast 224/4, class E 240/4 and the limited broadcast.
    fn is_martian_source(&self) -> bool;
    /// The address as a big-endian `u32`.
    fn to_u32(&self) -> u32;
}

impl Ipv4AddressExt for Ipv4Address {
    fn is_unicast_host(&self) -> bool {
        !(self.is_unspecified()
            || self.is_broadcast()
            || self.is_multicast()
            || self.octets()[0] >= 240)
    }

    fn is_martian_source(&self) -> bool {
        let o = self.octets();
        (o[0] == 0 && !self.is_unspecified()) || o[0] == 127 || self.is_multicast() || o[0] >= 240
    }

    fn to_u32(&self) -> u32 {
        u32::from_be_bytes(self.octets())
    }
}

/// The protocol field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IpProtocol {
    /// 1, ICMP.
    Icmp,
    /// 6, TCP.
    Tcp,
    /// 17, UDP.
    Udp,
    /// Anything else.
    Unknown(u8),
}

impl From<u8> for IpProtocol {
    fn from(v: u8) -> IpProtocol {
        match v {
            1 => IpProtocol::Icmp,
            6 => IpProtocol::Tcp,
            17 => IpProtocol::Udp,
            other => IpProtocol::Unknown(other),
        }
    }
}

impl From<IpProtocol> for u8 {
    fn from(p: IpProtocol) -> u8 {
        match p {
            IpProtocol::Icmp => 1,
            IpProtocol::Tcp => 6,
            IpProtocol::Udp => 17,
            IpProtocol::Unknown(v) => v,
        }
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            IpProtocol::Icmp => write!(f, "ICMP(1)"),
            IpProtocol::Tcp => write!(f, "TCP(6)"),
            IpProtocol::Udp => write!(f, "UDP(17)"),
            IpProtocol::Unknown(v) => write!(f, "{v}"),
        }
    }
}

/// An address with a prefix length: an interface address and its subnet.
///
/// ```
/// use microps_core::wire::{Ipv4Address, Ipv4Cidr};
/// let cidr: Ipv4Cidr = "192.0.2.2/24".parse().unwrap();
/// assert_eq!(cidr.address(), Ipv4Address::new(192, 0, 2, 2));
/// assert_eq!(cidr.netmask(), Ipv4Address::new(255, 255, 255, 0));
/// assert_eq!(cidr.broadcast(), Some(Ipv4Address::new(192, 0, 2, 255)));
/// assert!(cidr.contains_addr(&Ipv4Address::new(192, 0, 2, 77)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv4Cidr {
    address: Ipv4Address,
    prefix_len: u8,
}

/// Why a CIDR string did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CidrParseError;

impl fmt::Display for CidrParseError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("expected an IPv4 address with a prefix length, such as 192.0.2.2/24")
    }
}

impl core::error::Error for CidrParseError {}

impl Ipv4Cidr {
    /// `address/prefix_len`, or `None` if the prefix is longer than 32.
    pub const fn new(address: Ipv4Address, prefix_len: u8) -> Option<Ipv4Cidr> {
        if prefix_len > 32 {
            None
        } else {
            Some(Ipv4Cidr {
                address,
                prefix_len,
            })
        }
    }

    /// The address with the prefix length of a contiguous netmask, or `None`
    /// if the mask is not contiguous.
    pub fn from_netmask(address: Ipv4Address, netmask: Ipv4Address) -> Option<Ipv4Cidr> {
        let m = u32::from_be_bytes(netmask.octets());
        let len = m.leading_ones();
        if m.checked_shl(len).unwrap_or(0) != 0 {
            return None;
        }
        Ipv4Cidr::new(address, len as u8)
    }

    /// The address.
    pub const fn address(&self) -> Ipv4Address {
        self.address
    }

    /// The prefix length.
    pub const fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// The netmask as a `u32`.
    pub const fn mask_u32(&self) -> u32 {
        match u32::MAX.checked_shl(32u32.saturating_sub(self.prefix_len as u32)) {
            Some(m) if self.prefix_len > 0 => m,
            _ => 0,
        }
    }

    /// The netmask.
    pub const fn netmask(&self) -> Ipv4Address {
        Ipv4Address::from_bits(self.mask_u32())
    }

    /// The network address (host bits zero), with the same prefix.
    pub const fn network(&self) -> Ipv4Cidr {
        Ipv4Cidr {
            address: Ipv4Address::from_bits(self.address.to_bits() & self.mask_u32()),
            prefix_len: self.prefix_len,
        }
    }

    /// The directed broadcast address (host bits one), or `None` for /31
    /// and /32, which have none (RFC 3021).
    pub const fn broadcast(&self) -> Option<Ipv4Address> {
        if self.prefix_len >= 31 {
            None
        } else {
            Some(Ipv4Address::from_bits(
                self.address.to_bits() | !self.mask_u32(),
            ))
        }
    }

    /// Whether `addr` is inside this prefix.
    pub const fn contains_addr(&self, addr: &Ipv4Address) -> bool {
        (addr.to_bits() ^ self.address.to_bits()) & self.mask_u32() == 0
    }

    /// Whether `other` is inside this prefix entirely.
    pub const fn contains_subnet(&self, other: &Ipv4Cidr) -> bool {
        self.prefix_len <= other.prefix_len && self.contains_addr(&other.address)
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

impl core::str::FromStr for Ipv4Cidr {
    type Err = CidrParseError;
    fn from_str(s: &str) -> core::result::Result<Ipv4Cidr, CidrParseError> {
        let (addr, len) = s.split_once('/').ok_or(CidrParseError)?;
        let addr: Ipv4Address = addr.parse().map_err(|_| CidrParseError)?;
        let len: u8 = len.parse().map_err(|_| CidrParseError)?;
        Ipv4Cidr::new(addr, len).ok_or(CidrParseError)
    }
}

// ---------------------------------------------------------------------------
// The packet view and the representation follow.
// ---------------------------------------------------------------------------

mod fields {
    use super::Field;
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLG_OFF: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC_ADDR: Field = 12..16;
    pub const DST_ADDR: Field = 16..20;
    pub const OPTIONS: usize = 20;

    /// Don't Fragment, in the flags/offset word.
    pub const FLAG_DF: u16 = 0x4000;
    /// More Fragments, in the flags/offset word.
    pub const FLAG_MF: u16 = 0x2000;
    /// The fragment offset bits (in 8-byte units) of the flags/offset word.
    pub const OFFSET_MASK: u16 = 0x1fff;
}

/// Length of the IPv4 header without options (IHL 5).
pub const HEADER_LEN: usize = fields::OPTIONS;
/// Length of the longest IPv4 header (IHL 15, 40 bytes of options).
pub const MAX_HEADER_LEN: usize = 60;

/// A view of an IPv4 packet.
///
/// After [`Ipv4Packet::new_checked`] the header, its options and
/// `total_len` bytes are known to be inside the buffer. The buffer may be
/// longer than `total_len` (Ethernet pads short frames to 60 bytes):
/// [`Ipv4Packet::payload`] ends at `total_len`, not at the buffer's end.
#[derive(Debug, Clone)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps a buffer without checking it; accessors of a short or
    /// inconsistent buffer return zeros or empty slices instead of
    /// panicking, but use [`Ipv4Packet::new_checked`] for input.
    pub const fn new_unchecked(buffer: T) -> Ipv4Packet<T> {
        Ipv4Packet { buffer }
    }

    /// Wraps a buffer after [`Ipv4Packet::check_len`].
    pub fn new_checked(buffer: T) -> Result<Ipv4Packet<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the length fields against each other and the buffer.
    ///
    /// * [`Error::Truncated`] if the buffer is shorter than 20 bytes, than
    ///   the header length, or than the total length;
    /// * [`Error::Malformed`] if the version is not 4, the IHL is below 5,
    ///   or the total length is shorter than the header.
    ///
    /// The header checksum is not verified here (see [`Ipv4Repr::parse`]).
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if self.version() != 4 {
            return Err(Error::Malformed);
        }
        let header_len = self.header_len();
        if header_len < HEADER_LEN {
            return Err(Error::Malformed);
        }
        if header_len > len {
            return Err(Error::Truncated);
        }
        let total_len = usize::from(self.total_len());
        if total_len < header_len {
            return Err(Error::Malformed);
        }
        if total_len > len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The version field (4 for IPv4).
    pub fn version(&self) -> u8 {
        field::get_u8(self.buffer.as_ref(), fields::VER_IHL) >> 4
    }

    /// The header length in bytes (the IHL field times four).
    pub fn header_len(&self) -> usize {
        usize::from(field::get_u8(self.buffer.as_ref(), fields::VER_IHL) & 0x0f).wrapping_mul(4)
    }

    /// The type-of-service byte as it is on the wire (DSCP and ECN).
    pub fn tos(&self) -> u8 {
        field::get_u8(self.buffer.as_ref(), fields::TOS)
    }

    /// The Differentiated Services Code Point (RFC 2474): the top six bits
    /// of the type-of-service byte.
    pub fn dscp(&self) -> u8 {
        self.tos() >> 2
    }

    /// The Explicit Congestion Notification bits (RFC 3168): the low two bits
    /// of the type-of-service byte.
    pub fn ecn(&self) -> u8 {
        self.tos() & 0x03
    }

    /// The total length of the datagram (header and payload) in bytes.
    pub fn total_len(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::LENGTH)
    }

    /// The identification field.
    pub fn ident(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::IDENT)
    }

    /// The raw flags and fragment offset word: three flag bits (reserved,
    /// DF, MF) above a 13-bit offset in 8-byte units.
    pub fn flags_and_offset(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::FLG_OFF)
    }

    /// The Don't Fragment flag.
    pub fn dont_frag(&self) -> bool {
        self.flags_and_offset() & fields::FLAG_DF != 0
    }

    /// The More Fragments flag.
    pub fn more_frags(&self) -> bool {
        self.flags_and_offset() & fields::FLAG_MF != 0
    }

    /// The fragment offset in bytes (the field times eight).
    pub fn frag_offset(&self) -> u16 {
        (self.flags_and_offset() & fields::OFFSET_MASK) << 3
    }

    /// Whether this is a fragment of a larger datagram (MF set or a nonzero
    /// offset).
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }

    /// The time-to-live field.
    pub fn ttl(&self) -> u8 {
        field::get_u8(self.buffer.as_ref(), fields::TTL)
    }

    /// The protocol of the payload.
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol::from(field::get_u8(self.buffer.as_ref(), fields::PROTOCOL))
    }

    /// The header checksum field.
    pub fn checksum(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::CHECKSUM)
    }

    /// The source address.
    pub fn src_addr(&self) -> Ipv4Address {
        Ipv4Address::from(field::get_array::<4>(
            self.buffer.as_ref(),
            fields::SRC_ADDR.start,
        ))
    }

    /// The destination address.
    pub fn dst_addr(&self) -> Ipv4Address {
        Ipv4Address::from(field::get_array::<4>(
            self.buffer.as_ref(),
            fields::DST_ADDR.start,
        ))
    }

    /// The header bytes, options included (`header_len` bytes).
    pub fn header(&self) -> &[u8] {
        field::slice(self.buffer.as_ref(), 0..self.header_len())
    }

    /// The options: the header bytes after the first 20 (empty for IHL 5).
    pub fn options(&self) -> &[u8] {
        field::slice(self.buffer.as_ref(), fields::OPTIONS..self.header_len())
    }

    /// The payload: from the end of the header to `total_len`, so Ethernet
    /// padding after the datagram is not part of it.
    pub fn payload(&self) -> &[u8] {
        let end = usize::from(self.total_len());
        field::slice(self.buffer.as_ref(), self.header_len()..end)
    }

    /// Whether the header checksum verifies (the ones' complement sum of the
    /// header, options included, is all ones).
    pub fn verify_checksum(&self) -> bool {
        let header = self.header();
        !header.is_empty() && checksum::data(header) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// Sets the version field, keeping the IHL.
    pub fn set_version(&mut self, version: u8) {
        let b = field::get_u8(self.buffer.as_ref(), fields::VER_IHL);
        field::set_u8(
            self.buffer.as_mut(),
            fields::VER_IHL,
            (version << 4) | (b & 0x0f),
        );
    }

    /// Sets the IHL field from a header length in bytes, keeping the version.
    ///
    /// The length should be a multiple of four in `20..=60`; the remainder is
    /// dropped and longer lengths are clamped to 60.
    pub fn set_header_len(&mut self, header_len: usize) {
        let ihl = u8::try_from((header_len / 4).min(15)).unwrap_or(15);
        let b = field::get_u8(self.buffer.as_ref(), fields::VER_IHL);
        field::set_u8(self.buffer.as_mut(), fields::VER_IHL, (b & 0xf0) | ihl);
    }

    /// Sets the type-of-service byte (DSCP and ECN).
    pub fn set_tos(&mut self, tos: u8) {
        field::set_u8(self.buffer.as_mut(), fields::TOS, tos);
    }

    /// Sets the total length field.
    pub fn set_total_len(&mut self, total_len: u16) {
        field::set_u16(self.buffer.as_mut(), fields::LENGTH, total_len);
    }

    /// Sets the identification field.
    pub fn set_ident(&mut self, ident: u16) {
        field::set_u16(self.buffer.as_mut(), fields::IDENT, ident);
    }

    /// Sets the raw flags and fragment offset word.
    pub fn set_flags_and_offset(&mut self, word: u16) {
        field::set_u16(self.buffer.as_mut(), fields::FLG_OFF, word);
    }

    /// Sets or clears the Don't Fragment flag.
    pub fn set_dont_frag(&mut self, value: bool) {
        self.set_flag(fields::FLAG_DF, value);
    }

    /// Sets or clears the More Fragments flag.
    pub fn set_more_frags(&mut self, value: bool) {
        self.set_flag(fields::FLAG_MF, value);
    }

    fn set_flag(&mut self, flag: u16, value: bool) {
        let word = self.flags_and_offset();
        let word = if value { word | flag } else { word & !flag };
        self.set_flags_and_offset(word);
    }

    /// Sets the fragment offset from a value in bytes, keeping the flags.
    ///
    /// The offset should be a multiple of eight; the remainder is dropped.
    pub fn set_frag_offset(&mut self, offset: u16) {
        let word = (self.flags_and_offset() & !fields::OFFSET_MASK) | (offset >> 3);
        self.set_flags_and_offset(word);
    }

    /// Sets the time-to-live field.
    pub fn set_ttl(&mut self, ttl: u8) {
        field::set_u8(self.buffer.as_mut(), fields::TTL, ttl);
    }

    /// Sets the protocol field.
    pub fn set_protocol(&mut self, protocol: IpProtocol) {
        field::set_u8(self.buffer.as_mut(), fields::PROTOCOL, protocol.into());
    }

    /// Sets the header checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        field::set_u16(self.buffer.as_mut(), fields::CHECKSUM, value);
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, addr: Ipv4Address) {
        field::set_bytes(self.buffer.as_mut(), fields::SRC_ADDR.start, &addr.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, addr: Ipv4Address) {
        field::set_bytes(self.buffer.as_mut(), fields::DST_ADDR.start, &addr.octets());
    }

    /// Computes the header checksum over `header_len` bytes (after the
    /// version, IHL and options are in place) and stores it.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = checksum::data(self.header());
        self.set_checksum(checksum::finish(sum));
    }

    /// The options, mutably.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        field::slice_mut(self.buffer.as_mut(), fields::OPTIONS..end)
    }

    /// The payload, mutably: from the end of the header to `total_len`.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = self.header_len()..usize::from(self.total_len());
        field::slice_mut(self.buffer.as_mut(), range)
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Ipv4Packet<T> {
    /// The header as microps's `ip_dump` prints it.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let vhl = field::get_u8(self.buffer.as_ref(), fields::VER_IHL);
        let hl = vhl & 0x0f;
        let hlen = self.header_len();
        writeln!(
            f,
            "        vhl: 0x{vhl:02x} [v: {}, hl: {hl} ({hlen})]",
            self.version()
        )?;
        writeln!(f, "        tos: 0x{:02x}", self.tos())?;
        let total = self.total_len();
        writeln!(
            f,
            "      total: {total} (payload: {})",
            usize::from(total).saturating_sub(hlen)
        )?;
        writeln!(f, "         id: {}", self.ident())?;
        let offset = self.flags_and_offset();
        writeln!(
            f,
            "     offset: 0x{offset:04x} [flags={:x}, offset={}]",
            offset >> 13,
            offset & fields::OFFSET_MASK
        )?;
        writeln!(f, "        ttl: {}", self.ttl())?;
        let protocol = self.protocol();
        match protocol {
            IpProtocol::Icmp => writeln!(f, "   protocol: 1 (ICMP)")?,
            IpProtocol::Tcp => writeln!(f, "   protocol: 6 (TCP)")?,
            IpProtocol::Udp => writeln!(f, "   protocol: 17 (UDP)")?,
            IpProtocol::Unknown(v) => writeln!(f, "   protocol: {v}")?,
        }
        writeln!(f, "        sum: 0x{:04x}", self.checksum())?;
        writeln!(f, "        src: {}", self.src_addr())?;
        write!(f, "        dst: {}", self.dst_addr())
    }
}

/// A parsed IPv4 header.
///
/// Options are skipped on parse and never emitted: [`Ipv4Repr::emit`] writes
/// a 20-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv4Repr {
    /// Source address.
    pub src_addr: Ipv4Address,
    /// Destination address.
    pub dst_addr: Ipv4Address,
    /// What the payload is.
    pub protocol: IpProtocol,
    /// The payload length in bytes (total length minus header length).
    pub payload_len: usize,
    /// Time to live.
    pub ttl: u8,
    /// The type-of-service byte (DSCP and ECN).
    pub tos: u8,
    /// The identification field.
    pub ident: u16,
    /// The Don't Fragment flag.
    pub dont_frag: bool,
    /// The More Fragments flag.
    pub more_frags: bool,
    /// The fragment offset in bytes (a multiple of eight).
    pub frag_offset: u16,
}

impl Ipv4Repr {
    /// Parses the header of a packet: checks its lengths
    /// ([`Ipv4Packet::check_len`]: [`Error::Truncated`] or
    /// [`Error::Malformed`]), and verifies the header checksum if
    /// `checksum_caps.ipv4` says the stack verifies it ([`Error::Checksum`]).
    /// Options are skipped.
    pub fn parse<T: AsRef<[u8]>>(
        packet: &Ipv4Packet<T>,
        checksum_caps: &ChecksumCapabilities,
    ) -> Result<Ipv4Repr> {
        packet.check_len()?;
        if packet.version() != 4 {
            return Err(Error::Malformed);
        }
        if checksum_caps.ipv4.rx() && !packet.verify_checksum() {
            return Err(Error::Checksum);
        }
        Ok(Ipv4Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            protocol: packet.protocol(),
            payload_len: packet.payload().len(),
            ttl: packet.ttl(),
            tos: packet.tos(),
            ident: packet.ident(),
            dont_frag: packet.dont_frag(),
            more_frags: packet.more_frags(),
            frag_offset: packet.frag_offset(),
        })
    }

    /// The header length `emit` writes, always 20 (no options).
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Whether this is a fragment of a larger datagram (MF set or a nonzero
    /// offset).
    pub fn is_fragment(&self) -> bool {
        self.more_frags || self.frag_offset != 0
    }

    /// Writes a 20-byte header (IHL 5) into the start of `packet`, with
    /// total length `20 + payload_len`, and fills the checksum if
    /// `checksum_caps.ipv4` says the stack computes it (else writes 0).
    ///
    /// Emitting cannot fail: callers ensure `payload_len <= 65515` (the
    /// total length saturates at 65535 otherwise) and that `frag_offset` is a
    /// multiple of eight (the remainder is dropped). The payload itself is
    /// written afterwards through [`Ipv4Packet::payload_mut`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Ipv4Packet<T>,
        checksum_caps: &ChecksumCapabilities,
    ) {
        packet.set_version(4);
        packet.set_header_len(HEADER_LEN);
        packet.set_tos(self.tos);
        let total = HEADER_LEN.saturating_add(self.payload_len);
        packet.set_total_len(u16::try_from(total).unwrap_or(u16::MAX));
        packet.set_ident(self.ident);
        let mut word = (self.frag_offset >> 3) & fields::OFFSET_MASK;
        if self.dont_frag {
            word |= fields::FLAG_DF;
        }
        if self.more_frags {
            word |= fields::FLAG_MF;
        }
        packet.set_flags_and_offset(word);
        packet.set_ttl(self.ttl);
        packet.set_protocol(self.protocol);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
        if checksum_caps.ipv4.tx() {
            packet.fill_checksum();
        } else {
            packet.set_checksum(0);
        }
    }
}

impl fmt::Display for Ipv4Repr {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "IPv4 src={} dst={} proto={} len={} ttl={}",
            self.src_addr, self.dst_addr, self.protocol, self.payload_len, self.ttl
        )?;
        if self.is_fragment() {
            write!(f, " frag_offset={}", self.frag_offset)?;
            if self.more_frags {
                f.write_str(" MF")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ethernet::{EtherType, EthernetFrame};
    use alloc::format;
    use alloc::vec::Vec;

    // Every capture below was taken with tcpdump on a veth pair between two
    // Linux network namespaces, 192.0.2.1 (86:3c:2a:0b:61:9d) and 192.0.2.2
    // (02:00:5e:00:53:02), and is shown without its Ethernet header.

    /// `ping -c 1 -p 0123456789abcdef 192.0.2.2`: an 84-byte echo request,
    /// DF set, id 0x3ad9.
    const ECHO_REQUEST: [u8; 84] = [
        0x45, 0x00, 0x00, 0x54, 0x3a, 0xd9, 0x40, 0x00, 0x40, 0x01, 0x7b, 0xcc, 0xc0, 0x00, 0x02,
        0x01, 0xc0, 0x00, 0x02, 0x02, 0x08, 0x00, 0x50, 0xa6, 0x17, 0xf2, 0x00, 0x01, 0xa8, 0xf4,
        0x07, 0x6b, 0x00, 0x00, 0x00, 0x00, 0xc1, 0x4a, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
        0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
    ];

    /// `ping -c 1 -s 0 192.0.2.2`: the shortest echo request, 28 bytes, which
    /// Ethernet pads to a 60-byte frame.
    const MIN_ECHO_REQUEST: [u8; 28] = [
        0x45, 0x00, 0x00, 0x1c, 0xbf, 0x99, 0x40, 0x00, 0x40, 0x01, 0xf7, 0x43, 0xc0, 0x00, 0x02,
        0x01, 0xc0, 0x00, 0x02, 0x02, 0x08, 0x00, 0xde, 0xd2, 0x19, 0x2c, 0x00, 0x01,
    ];

    /// Linux's reply to [`MIN_ECHO_REQUEST`]: DF clear.
    const MIN_ECHO_REPLY: [u8; 28] = [
        0x45, 0x00, 0x00, 0x1c, 0x6b, 0xb8, 0x00, 0x00, 0x40, 0x01, 0x8b, 0x25, 0xc0, 0x00, 0x02,
        0x02, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0xe6, 0xd2, 0x19, 0x2c, 0x00, 0x01,
    ];

    /// `ping -c 1 -R -s 8 192.0.2.2`: IHL 15, a NOP and a 39-byte Record
    /// Route option holding 192.0.2.1, then a 16-byte echo request.
    const RECORD_ROUTE_REQUEST: [u8; 76] = [
        0x4f, 0x00, 0x00, 0x4c, 0xbf, 0x9a, 0x40, 0x00, 0x40, 0x01, 0x03, 0x02, 0xc0, 0x00, 0x02,
        0x01, 0xc0, 0x00, 0x02, 0x02, 0x01, 0x07, 0x27, 0x08, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x08, 0x00, 0xd2, 0xc1, 0x19, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
        0x07,
    ];

    // `ping -c 1 -s 3000 192.0.2.2` over a 1500-byte MTU: a 3008-byte ICMP
    // message in three fragments of 1480, 1480 and 48 bytes. Past its first
    // 24 bytes (ICMP header and timestamp), ping's data is the byte pattern
    // `(i - 8) & 0xff` at ICMP offset `i`, so the two 1500-byte fragments
    // are kept as their captured header (and the first one's ICMP head) and
    // the rest is regenerated by `ping_fragment`; the ICMP checksum over the
    // reassembled message proves the regeneration byte-exact.

    /// The first fragment's IPv4 header: MF set, offset 0.
    const FRAG_FIRST_HEADER: [u8; 20] = [
        0x45, 0x00, 0x05, 0xdc, 0x3a, 0xda, 0x20, 0x00, 0x40, 0x01, 0x96, 0x43, 0xc0, 0x00, 0x02,
        0x01, 0xc0, 0x00, 0x02, 0x02,
    ];
    /// The ICMP echo header and ping's timestamp that start the first
    /// fragment's payload.
    const FRAG_FIRST_ICMP_HEAD: [u8; 24] = [
        0x08, 0x00, 0x54, 0xa3, 0x17, 0xf3, 0x00, 0x01, 0xa8, 0xf4, 0x07, 0x6b, 0x00, 0x00, 0x00,
        0x00, 0xf4, 0x5a, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    /// The second fragment's IPv4 header: MF set, offset 185 * 8 = 1480.
    const FRAG_MIDDLE_HEADER: [u8; 20] = [
        0x45, 0x00, 0x05, 0xdc, 0x3a, 0xda, 0x20, 0xb9, 0x40, 0x01, 0x95, 0x8a, 0xc0, 0x00, 0x02,
        0x01, 0xc0, 0x00, 0x02, 0x02,
    ];
    /// The last fragment, whole: MF clear, offset 370 * 8 = 2960.
    const FRAG_LAST: [u8; 68] = [
        0x45, 0x00, 0x00, 0x44, 0x3a, 0xda, 0x01, 0x72, 0x40, 0x01, 0xba, 0x69, 0xc0, 0x00, 0x02,
        0x01, 0xc0, 0x00, 0x02, 0x02, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91,
        0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0,
        0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
        0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
    ];

    const A: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
    const B: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

    /// A captured ping fragment: its header, the captured start of its
    /// payload, then ping's pattern up to the header's total length.
    fn ping_fragment(header: &[u8; 20], head: &[u8]) -> Vec<u8> {
        let view = Ipv4Packet::new_unchecked(&header[..]);
        let total = usize::from(view.total_len());
        let icmp_offset = usize::from(view.frag_offset());
        let mut out = Vec::from(&header[..]);
        out.extend_from_slice(head);
        while out.len() < total {
            let i = icmp_offset + out.len() - HEADER_LEN;
            out.push((i - 8) as u8);
        }
        out
    }

    fn fragments() -> [Vec<u8>; 3] {
        [
            ping_fragment(&FRAG_FIRST_HEADER, &FRAG_FIRST_ICMP_HEAD),
            ping_fragment(&FRAG_MIDDLE_HEADER, &[]),
            Vec::from(&FRAG_LAST[..]),
        ]
    }

    /// Every capture, whole.
    fn captures() -> Vec<Vec<u8>> {
        let mut all = Vec::from([
            Vec::from(&ECHO_REQUEST[..]),
            Vec::from(&MIN_ECHO_REQUEST[..]),
            Vec::from(&MIN_ECHO_REPLY[..]),
            Vec::from(&RECORD_ROUTE_REQUEST[..]),
        ]);
        all.extend(fragments());
        all
    }

    #[test]
    fn captured_echo_request_field_by_field() {
        let p = Ipv4Packet::new_checked(&ECHO_REQUEST[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.tos(), 0);
        assert_eq!(p.dscp(), 0);
        assert_eq!(p.ecn(), 0);
        assert_eq!(p.total_len(), 84);
        assert_eq!(p.ident(), 0x3ad9);
        assert_eq!(p.flags_and_offset(), 0x4000);
        assert!(p.dont_frag());
        assert!(!p.more_frags());
        assert_eq!(p.frag_offset(), 0);
        assert!(!p.is_fragment());
        assert_eq!(p.ttl(), 64);
        assert_eq!(p.protocol(), IpProtocol::Icmp);
        assert_eq!(p.checksum(), 0x7bcc);
        assert!(p.verify_checksum());
        assert_eq!(p.src_addr(), A);
        assert_eq!(p.dst_addr(), B);
        assert!(p.options().is_empty());
        assert_eq!(p.header(), &ECHO_REQUEST[..20]);
        assert_eq!(p.payload(), &ECHO_REQUEST[20..]);
        // The ICMP message inside verifies too.
        assert_eq!(checksum::data(p.payload()), 0xffff);

        let repr = Ipv4Repr::parse(&p, &ChecksumCapabilities::default()).unwrap();
        assert_eq!(
            repr,
            Ipv4Repr {
                src_addr: A,
                dst_addr: B,
                protocol: IpProtocol::Icmp,
                payload_len: 64,
                ttl: 64,
                tos: 0,
                ident: 0x3ad9,
                dont_frag: true,
                more_frags: false,
                frag_offset: 0,
            }
        );
        assert!(!repr.is_fragment());
    }

    #[test]
    fn captured_minimal_echo_pair() {
        let p = Ipv4Packet::new_checked(&MIN_ECHO_REQUEST[..]).unwrap();
        assert_eq!((p.version(), p.header_len(), p.total_len()), (4, 20, 28));
        assert_eq!((p.ident(), p.ttl(), p.checksum()), (0xbf99, 64, 0xf743));
        assert!(p.dont_frag() && !p.more_frags());
        assert_eq!(p.payload().len(), 8);
        assert!(p.verify_checksum());

        let p = Ipv4Packet::new_checked(&MIN_ECHO_REPLY[..]).unwrap();
        assert_eq!(p.flags_and_offset(), 0);
        assert!(!p.dont_frag() && !p.more_frags() && !p.is_fragment());
        assert_eq!((p.ident(), p.ttl(), p.checksum()), (0x6bb8, 64, 0x8b25));
        assert_eq!((p.src_addr(), p.dst_addr()), (B, A));
        assert!(p.verify_checksum());
        let repr = Ipv4Repr::parse(&p, &ChecksumCapabilities::default()).unwrap();
        assert_eq!(repr.payload_len, 8);
        assert!(!repr.dont_frag);
        assert_eq!(repr.ident, 0x6bb8);
    }

    #[test]
    fn captured_record_route_options_are_skipped() {
        let p = Ipv4Packet::new_checked(&RECORD_ROUTE_REQUEST[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 60);
        assert_eq!(p.total_len(), 76);
        assert_eq!(p.ident(), 0xbf9a);
        assert!(p.dont_frag());
        assert_eq!(p.checksum(), 0x0302);
        assert!(p.verify_checksum());
        assert_eq!(p.header(), &RECORD_ROUTE_REQUEST[..60]);
        let options = p.options();
        assert_eq!(options.len(), 40);
        // NOP, then RR: type 7, length 39, pointer 8, the first slot filled.
        assert_eq!(&options[..8], &[0x01, 0x07, 0x27, 0x08, 192, 0, 2, 1]);
        assert!(options[8..].iter().all(|&b| b == 0));
        assert_eq!(p.payload(), &RECORD_ROUTE_REQUEST[60..]);
        assert_eq!(checksum::data(p.payload()), 0xffff);
        let repr = Ipv4Repr::parse(&p, &ChecksumCapabilities::default()).unwrap();
        assert_eq!(repr.payload_len, 16);
        // Emitting drops the options: a 20-byte header, the same payload.
        let mut buf = [0u8; 36];
        let mut out = Ipv4Packet::new_unchecked(&mut buf[..]);
        repr.emit(&mut out, &ChecksumCapabilities::default());
        out.payload_mut().copy_from_slice(p.payload());
        let out = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(out.header_len(), 20);
        assert_eq!(out.total_len(), 36);
        assert!(out.verify_checksum());
        assert_eq!(
            Ipv4Repr::parse(&out, &ChecksumCapabilities::default()).unwrap(),
            repr
        );
    }

    #[test]
    fn captured_fragments_field_by_field() {
        let [first, middle, last] = fragments();
        let caps = ChecksumCapabilities::default();

        let p = Ipv4Packet::new_checked(&first[..]).unwrap();
        assert_eq!(
            (p.total_len(), p.ident(), p.checksum()),
            (1500, 0x3ada, 0x9643)
        );
        assert_eq!(p.flags_and_offset(), 0x2000);
        assert!(p.more_frags() && !p.dont_frag());
        assert_eq!(p.frag_offset(), 0);
        assert!(p.is_fragment());
        assert!(p.verify_checksum());
        let r1 = Ipv4Repr::parse(&p, &caps).unwrap();
        assert!(r1.is_fragment());
        assert_eq!(
            (r1.more_frags, r1.frag_offset, r1.payload_len),
            (true, 0, 1480)
        );

        let p = Ipv4Packet::new_checked(&middle[..]).unwrap();
        assert_eq!(
            (p.total_len(), p.ident(), p.checksum()),
            (1500, 0x3ada, 0x958a)
        );
        assert_eq!(p.flags_and_offset(), 0x20b9);
        assert!(p.more_frags() && !p.dont_frag());
        assert_eq!(p.frag_offset(), 1480);
        assert!(p.verify_checksum());
        let r2 = Ipv4Repr::parse(&p, &caps).unwrap();
        assert_eq!(
            (r2.more_frags, r2.frag_offset, r2.payload_len),
            (true, 1480, 1480)
        );

        let p = Ipv4Packet::new_checked(&last[..]).unwrap();
        assert_eq!(
            (p.total_len(), p.ident(), p.checksum()),
            (68, 0x3ada, 0xba69)
        );
        assert_eq!(p.flags_and_offset(), 0x0172);
        assert!(!p.more_frags() && !p.dont_frag());
        assert_eq!(p.frag_offset(), 2960);
        assert!(p.is_fragment());
        assert!(p.verify_checksum());
        let r3 = Ipv4Repr::parse(&p, &caps).unwrap();
        assert!(r3.is_fragment());
        assert_eq!(
            (r3.more_frags, r3.frag_offset, r3.payload_len),
            (false, 2960, 48)
        );

        for r in [r1, r2, r3] {
            assert_eq!((r.src_addr, r.dst_addr, r.ident), (A, B, 0x3ada));
            assert_eq!((r.protocol, r.ttl), (IpProtocol::Icmp, 64));
        }

        // Reassembled, the 3008-byte ICMP message's checksum verifies.
        let mut message = Vec::new();
        for f in [&first, &middle, &last] {
            message.extend_from_slice(Ipv4Packet::new_checked(&f[..]).unwrap().payload());
        }
        assert_eq!(message.len(), 3008);
        assert_eq!(checksum::data(&message), 0xffff);
    }

    #[test]
    fn emit_reproduces_captured_headers() {
        let caps = ChecksumCapabilities::default();
        for captured in captures() {
            let p = Ipv4Packet::new_checked(&captured[..]).unwrap();
            if p.header_len() != HEADER_LEN {
                continue;
            }
            let repr = Ipv4Repr::parse(&p, &caps).unwrap();
            let mut buf = Vec::from([0xaau8; 20]);
            repr.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]), &caps);
            assert_eq!(&buf[..], &captured[..20]);
        }
    }

    #[test]
    fn round_trip() {
        let reprs = [
            Ipv4Repr {
                src_addr: A,
                dst_addr: B,
                protocol: IpProtocol::Udp,
                payload_len: 12,
                ttl: 1,
                tos: 0xb8,
                ident: 0xffff,
                dont_frag: true,
                more_frags: false,
                frag_offset: 0,
            },
            Ipv4Repr {
                src_addr: Ipv4Address::UNSPECIFIED,
                dst_addr: Ipv4Address::BROADCAST,
                protocol: IpProtocol::Unknown(253),
                payload_len: 0,
                ttl: 255,
                tos: 0x03,
                ident: 0,
                dont_frag: false,
                more_frags: true,
                frag_offset: 65528,
            },
            Ipv4Repr {
                src_addr: B,
                dst_addr: A,
                protocol: IpProtocol::Tcp,
                payload_len: 40,
                ttl: 64,
                tos: 0,
                ident: 7,
                dont_frag: false,
                more_frags: false,
                frag_offset: 8,
            },
        ];
        for repr in reprs {
            for caps in [ChecksumCapabilities::all(), ChecksumCapabilities::ignored()] {
                let mut buf = [0u8; 80];
                let len = repr.buffer_len() + repr.payload_len;
                let mut p = Ipv4Packet::new_unchecked(&mut buf[..len]);
                repr.emit(&mut p, &caps);
                p.payload_mut().fill(0x42);
                let p = Ipv4Packet::new_checked(&buf[..len]).unwrap();
                assert_eq!(p.header_len(), 20);
                assert_eq!(usize::from(p.total_len()), len);
                assert_eq!(p.payload().len(), repr.payload_len);
                assert_eq!(p.flags_and_offset() & 0x8000, 0, "reserved bit");
                if caps.ipv4.tx() {
                    assert!(p.verify_checksum());
                } else {
                    assert_eq!(p.checksum(), 0);
                }
                assert_eq!(Ipv4Repr::parse(&p, &caps).unwrap(), repr);
            }
        }
    }

    #[test]
    fn emit_saturates_an_oversized_total_len() {
        let repr = Ipv4Repr {
            src_addr: A,
            dst_addr: B,
            protocol: IpProtocol::Udp,
            payload_len: usize::MAX,
            ttl: 64,
            tos: 0,
            ident: 1,
            dont_frag: false,
            more_frags: false,
            frag_offset: 0,
        };
        let mut buf = [0u8; 20];
        let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
        repr.emit(&mut p, &ChecksumCapabilities::default());
        assert_eq!(p.total_len(), u16::MAX);
        // The view over the short buffer stays panic-free.
        assert!(p.payload_mut().is_empty());
        assert_eq!(p.check_len(), Err(Error::Truncated));
    }

    #[test]
    fn setters_and_getters() {
        let mut buf = [0u8; 32];
        let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
        p.set_version(4);
        p.set_header_len(24);
        assert_eq!((p.version(), p.header_len()), (4, 24));
        p.set_header_len(20);
        p.set_version(6);
        assert_eq!((p.version(), p.header_len()), (6, 20));
        p.set_version(4);
        p.set_tos(0xb9);
        assert_eq!((p.tos(), p.dscp(), p.ecn()), (0xb9, 46, 1));
        p.set_total_len(32);
        p.set_ident(0xbeef);
        p.set_dont_frag(true);
        p.set_more_frags(true);
        p.set_frag_offset(8 * 0x1fff);
        assert_eq!(p.flags_and_offset(), 0x7fff);
        assert_eq!(p.frag_offset(), 65528);
        p.set_dont_frag(false);
        assert_eq!(p.flags_and_offset(), 0x3fff);
        p.set_frag_offset(16);
        assert_eq!(p.flags_and_offset(), 0x2002);
        p.set_more_frags(false);
        assert_eq!((p.flags_and_offset(), p.frag_offset()), (0x0002, 16));
        p.set_flags_and_offset(0xa001);
        assert!(!p.dont_frag() && p.more_frags());
        assert_eq!(p.frag_offset(), 8);
        p.set_flags_and_offset(0);
        p.set_ttl(3);
        p.set_protocol(IpProtocol::Tcp);
        p.set_src_addr(A);
        p.set_dst_addr(B);
        p.set_checksum(0x1234);
        assert_eq!(p.checksum(), 0x1234);
        assert!(!p.verify_checksum());
        p.fill_checksum();
        assert!(p.verify_checksum());
        p.payload_mut().copy_from_slice(&[9; 12]);
        assert_eq!(p.ident(), 0xbeef);
        assert_eq!(p.ttl(), 3);
        assert_eq!(p.protocol(), IpProtocol::Tcp);
        assert_eq!((p.src_addr(), p.dst_addr()), (A, B));
        let sum = p.checksum();
        assert_eq!(
            buf,
            [
                0x45,
                0xb9,
                0,
                32,
                0xbe,
                0xef,
                0,
                0,
                3,
                6,
                (sum >> 8) as u8,
                sum as u8,
                192,
                0,
                2,
                1,
                192,
                0,
                2,
                2,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
                9,
                9
            ]
        );

        // A header with options: options_mut covers bytes 20..24, the
        // checksum covers them.
        let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
        p.set_header_len(24);
        p.options_mut().copy_from_slice(&[1, 1, 1, 0]);
        p.fill_checksum();
        assert!(p.verify_checksum());
        assert_eq!(p.options(), &[1, 1, 1, 0]);
        assert_eq!(p.payload().len(), 8);
        p.set_header_len(64);
        assert_eq!(p.header_len(), 60);
    }

    #[test]
    fn every_truncation_is_an_error_or_the_same_repr() {
        for caps in [ChecksumCapabilities::all(), ChecksumCapabilities::ignored()] {
            for captured in captures() {
                let whole =
                    Ipv4Repr::parse(&Ipv4Packet::new_checked(&captured[..]).unwrap(), &caps)
                        .unwrap();
                let total_len = captured.len();
                // A few bytes of trailing padding as well.
                let mut padded = captured.clone();
                padded.extend_from_slice(&[0; 7]);
                for len in 0..=padded.len() {
                    let buf = &padded[..len];
                    let checked = Ipv4Packet::new_checked(buf);
                    let parsed = Ipv4Repr::parse(&Ipv4Packet::new_unchecked(buf), &caps);
                    if len < total_len {
                        assert_eq!(checked.unwrap_err(), Error::Truncated, "len {len}");
                        assert_eq!(parsed, Err(Error::Truncated), "len {len}");
                    } else {
                        let p = checked.unwrap();
                        assert_eq!(p.payload().len(), whole.payload_len);
                        assert_eq!(parsed.unwrap(), whole, "len {len}");
                    }
                    // Accessors of the unchecked view never panic.
                    let p = Ipv4Packet::new_unchecked(buf);
                    let _ = (p.header(), p.options(), p.payload(), p.verify_checksum());
                    let _ = format!("{p}");
                }
            }
        }
    }

    #[test]
    fn malformed_headers() {
        let caps = ChecksumCapabilities::default();
        let check = |bytes: &[u8]| Ipv4Packet::new_checked(bytes).map(|_| ());
        let parse = |bytes: &[u8]| Ipv4Repr::parse(&Ipv4Packet::new_unchecked(bytes), &caps);

        // IHL below 5, every value.
        for ihl in 0..5u8 {
            let mut b = ECHO_REQUEST;
            b[0] = 0x40 | ihl;
            assert_eq!(check(&b), Err(Error::Malformed), "ihl {ihl}");
            assert_eq!(parse(&b), Err(Error::Malformed));
        }
        // IHL 15 (60 bytes) in a 28-byte buffer: the header is truncated.
        let mut b = MIN_ECHO_REQUEST;
        b[0] = 0x4f;
        assert_eq!(check(&b), Err(Error::Truncated));
        // Total length shorter than the header (0, 19) and than the options.
        for total in [0u16, 19] {
            let mut b = ECHO_REQUEST;
            b[2..4].copy_from_slice(&total.to_be_bytes());
            assert_eq!(check(&b), Err(Error::Malformed), "total {total}");
        }
        let mut b = RECORD_ROUTE_REQUEST;
        b[2..4].copy_from_slice(&40u16.to_be_bytes());
        assert_eq!(check(&b), Err(Error::Malformed));
        // Total length longer than the buffer, by one and by the most.
        for total in [85u16, 0xffff] {
            let mut b = ECHO_REQUEST;
            b[2..4].copy_from_slice(&total.to_be_bytes());
            assert_eq!(check(&b), Err(Error::Truncated), "total {total}");
            assert_eq!(parse(&b), Err(Error::Truncated));
        }
        // Other versions.
        for version in [0u8, 5, 6, 15] {
            let mut b = ECHO_REQUEST;
            b[0] = (version << 4) | 5;
            assert_eq!(check(&b), Err(Error::Malformed), "version {version}");
            assert_eq!(parse(&b), Err(Error::Malformed));
        }
        // A flipped bit in the header: the checksum fails unless ignored.
        let mut b = ECHO_REQUEST;
        b[8] = 63; // TTL decremented without updating the checksum
        let p = Ipv4Packet::new_checked(&b[..]).unwrap();
        assert!(!p.verify_checksum());
        assert_eq!(parse(&b), Err(Error::Checksum));
        let repr = Ipv4Repr::parse(&p, &ChecksumCapabilities::ignored()).unwrap();
        assert_eq!(repr.ttl, 63);
        // Verified by the device: the stack does not verify it again.
        let rx_off = ChecksumCapabilities::all().without_rx();
        assert_eq!(rx_off.ipv4, crate::wire::Checksum::Tx);
        assert!(Ipv4Repr::parse(&p, &rx_off).is_ok());
        // A bad checksum in the options is caught too.
        let mut b = RECORD_ROUTE_REQUEST;
        b[40] = 1;
        assert_eq!(parse(&b), Err(Error::Checksum));
        // A payload corruption is not the header checksum's business.
        let mut b = ECHO_REQUEST;
        b[50] ^= 0xff;
        assert!(parse(&b).is_ok());
    }

    #[test]
    fn ethernet_padding_is_not_payload() {
        // The minimal echo request as it arrives in a 60-byte Ethernet frame:
        // 14 bytes of header, 28 of datagram, 18 of padding.
        let mut frame = [0u8; 60];
        frame[..14].copy_from_slice(&[
            0x02, 0x00, 0x5e, 0x00, 0x53, 0x02, 0x86, 0x3c, 0x2a, 0x0b, 0x61, 0x9d, 0x08, 0x00,
        ]);
        frame[14..42].copy_from_slice(&MIN_ECHO_REQUEST);
        frame[42..].fill(0xee);
        let eth = EthernetFrame::new_checked(&frame[..]).unwrap();
        assert_eq!(eth.ethertype(), EtherType::Ipv4);
        assert_eq!(eth.payload().len(), 46);
        let p = Ipv4Packet::new_checked(eth.payload()).unwrap();
        assert_eq!(p.total_len(), 28);
        assert_eq!(p.payload(), &MIN_ECHO_REQUEST[20..]);
        assert!(p.payload().iter().all(|&b| b != 0xee));
        let repr = Ipv4Repr::parse(&p, &ChecksumCapabilities::default()).unwrap();
        assert_eq!(repr.payload_len, 8);

        let mut buf = frame;
        let mut p = Ipv4Packet::new_checked(&mut buf[14..]).unwrap();
        assert_eq!(p.payload_mut().len(), 8);
    }

    #[test]
    fn display_is_microps_dump() {
        let p = Ipv4Packet::new_checked(&ECHO_REQUEST[..]).unwrap();
        assert_eq!(
            format!("{p}"),
            "        vhl: 0x45 [v: 4, hl: 5 (20)]\n\
             \x20       tos: 0x00\n\
             \x20     total: 84 (payload: 64)\n\
             \x20        id: 15065\n\
             \x20    offset: 0x4000 [flags=2, offset=0]\n\
             \x20       ttl: 64\n\
             \x20  protocol: 1 (ICMP)\n\
             \x20       sum: 0x7bcc\n\
             \x20       src: 192.0.2.1\n\
             \x20       dst: 192.0.2.2"
        );

        let [_, middle, _] = fragments();
        let p = Ipv4Packet::new_checked(&middle[..]).unwrap();
        assert_eq!(
            format!("{p}"),
            "        vhl: 0x45 [v: 4, hl: 5 (20)]\n\
             \x20       tos: 0x00\n\
             \x20     total: 1500 (payload: 1480)\n\
             \x20        id: 15066\n\
             \x20    offset: 0x20b9 [flags=1, offset=185]\n\
             \x20       ttl: 64\n\
             \x20  protocol: 1 (ICMP)\n\
             \x20       sum: 0x958a\n\
             \x20       src: 192.0.2.1\n\
             \x20       dst: 192.0.2.2"
        );

        let p = Ipv4Packet::new_checked(&RECORD_ROUTE_REQUEST[..]).unwrap();
        let dump = format!("{p}");
        assert!(dump.starts_with("        vhl: 0x4f [v: 4, hl: 15 (60)]\n"));
        assert!(dump.contains("\n      total: 76 (payload: 16)\n"));

        // Other protocols: TCP, UDP by name, the rest as a number.
        for (number, line) in [
            (6u8, "   protocol: 6 (TCP)"),
            (17, "   protocol: 17 (UDP)"),
            (89, "   protocol: 89"),
        ] {
            let mut b = MIN_ECHO_REPLY;
            b[9] = number;
            let dump = format!("{}", Ipv4Packet::new_unchecked(&b[..]));
            assert!(dump.lines().any(|l| l == line), "{dump}");
            assert!(!dump.ends_with('\n'));
        }
    }

    #[test]
    fn repr_display_is_one_line() {
        let p = Ipv4Packet::new_checked(&ECHO_REQUEST[..]).unwrap();
        let repr = Ipv4Repr::parse(&p, &ChecksumCapabilities::default()).unwrap();
        assert_eq!(
            format!("{repr}"),
            "IPv4 src=192.0.2.1 dst=192.0.2.2 proto=ICMP(1) len=64 ttl=64"
        );
        let [_, middle, last] = fragments();
        let caps = ChecksumCapabilities::default();
        let r = Ipv4Repr::parse(&Ipv4Packet::new_checked(&middle[..]).unwrap(), &caps).unwrap();
        assert_eq!(
            format!("{r}"),
            "IPv4 src=192.0.2.1 dst=192.0.2.2 proto=ICMP(1) len=1480 ttl=64 frag_offset=1480 MF"
        );
        let r = Ipv4Repr::parse(&Ipv4Packet::new_checked(&last[..]).unwrap(), &caps).unwrap();
        assert_eq!(
            format!("{r}"),
            "IPv4 src=192.0.2.1 dst=192.0.2.2 proto=ICMP(1) len=48 ttl=64 frag_offset=2960"
        );
    }
}
