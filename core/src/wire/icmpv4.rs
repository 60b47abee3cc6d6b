//! ICMP for IPv4 (RFC 792, with the host requirements of RFC 1122 section
//! 3.2.2, the router codes of RFC 1812 section 5.2.7.1 and the next-hop MTU of
//! RFC 1191 section 4).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            rest of header (depends on the type and code)      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Data ...
//! +-+-+-+-+-
//!
//! Echo and Echo Reply (types 8 and 0): the rest of header is
//! |          Identifier           |        Sequence Number        |
//! and the data is echoed back unchanged.
//!
//! Destination Unreachable (type 3) and Time Exceeded (type 11):
//! |      unused (zero)            |  Next-Hop MTU (code 4 only)   |
//! and the data is the invoking datagram: its IP header and at least the
//! first 64 bits of its payload.
//! ```
//!
//! The checksum is the Internet checksum of the whole ICMP message (there is
//! no pseudo-header), so the view must be given exactly the IP payload.
//!
//! [`QuotedDatagram`] parses the invoking datagram of an error leniently, so
//! that the stack can find the socket the error is about (RFC 1122 section
//! 4.2.3.9, RFC 5927).

use core::fmt;

use super::field::{self, Field};
use super::ipv4::{IpProtocol, Ipv4Address};
use super::seq::SeqNumber;
use super::{ChecksumCapabilities, Error, Result, checksum};

/// The ICMP message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Icmpv4Message {
    /// 0, Echo Reply.
    EchoReply,
    /// 3, Destination Unreachable.
    DstUnreachable,
    /// 5, Redirect.
    Redirect,
    /// 8, Echo (request).
    EchoRequest,
    /// 11, Time Exceeded.
    TimeExceeded,
    /// 12, Parameter Problem.
    ParamProblem,
    /// Any other type (including the deprecated Source Quench, 4).
    Unknown(u8),
}

impl From<u8> for Icmpv4Message {
    fn from(v: u8) -> Icmpv4Message {
        match v {
            0 => Icmpv4Message::EchoReply,
            3 => Icmpv4Message::DstUnreachable,
            5 => Icmpv4Message::Redirect,
            8 => Icmpv4Message::EchoRequest,
            11 => Icmpv4Message::TimeExceeded,
            12 => Icmpv4Message::ParamProblem,
            other => Icmpv4Message::Unknown(other),
        }
    }
}

impl From<Icmpv4Message> for u8 {
    fn from(m: Icmpv4Message) -> u8 {
        match m {
            Icmpv4Message::EchoReply => 0,
            Icmpv4Message::DstUnreachable => 3,
            Icmpv4Message::Redirect => 5,
            Icmpv4Message::EchoRequest => 8,
            Icmpv4Message::TimeExceeded => 11,
            Icmpv4Message::ParamProblem => 12,
            Icmpv4Message::Unknown(v) => v,
        }
    }
}

impl fmt::Display for Icmpv4Message {
    /// The name, as in the parenthesis of microps's `icmp_dump`.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Icmpv4Message::EchoReply => "EchoReply",
            Icmpv4Message::DstUnreachable => "DstUnreachable",
            Icmpv4Message::Redirect => "Redirect",
            Icmpv4Message::EchoRequest => "EchoRequest",
            Icmpv4Message::TimeExceeded => "TimeExceeded",
            Icmpv4Message::ParamProblem => "ParamProblem",
            Icmpv4Message::Unknown(_) => "Unknown",
        })
    }
}

/// The code of a Destination Unreachable message (RFC 792, RFC 1122 section
/// 3.2.2.1, RFC 1812 section 5.2.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DstUnreachable {
    /// 0, net unreachable.
    NetUnreachable,
    /// 1, host unreachable.
    HostUnreachable,
    /// 2, protocol unreachable.
    ProtoUnreachable,
    /// 3, port unreachable.
    PortUnreachable,
    /// 4, fragmentation needed and DF set (carries the next-hop MTU, RFC 1191).
    FragRequired,
    /// 5, source route failed.
    SrcRouteFailed,
    /// 6, destination network unknown.
    DstNetUnknown,
    /// 7, destination host unknown.
    DstHostUnknown,
    /// 8, source host isolated.
    SrcHostIsolated,
    /// 9, communication with the destination network administratively
    /// prohibited.
    NetProhibited,
    /// 10, communication with the destination host administratively
    /// prohibited.
    HostProhibited,
    /// 11, network unreachable for the type of service.
    NetUnreachToS,
    /// 12, host unreachable for the type of service.
    HostUnreachToS,
    /// 13, communication administratively prohibited (RFC 1812).
    CommProhibited,
    /// 14, host precedence violation (RFC 1812).
    HostPrecedenceViolation,
    /// 15, precedence cutoff in effect (RFC 1812).
    PrecedenceCutoff,
    /// Any other code.
    Unknown(u8),
}

impl From<u8> for DstUnreachable {
    fn from(v: u8) -> DstUnreachable {
        match v {
            0 => DstUnreachable::NetUnreachable,
            1 => DstUnreachable::HostUnreachable,
            2 => DstUnreachable::ProtoUnreachable,
            3 => DstUnreachable::PortUnreachable,
            4 => DstUnreachable::FragRequired,
            5 => DstUnreachable::SrcRouteFailed,
            6 => DstUnreachable::DstNetUnknown,
            7 => DstUnreachable::DstHostUnknown,
            8 => DstUnreachable::SrcHostIsolated,
            9 => DstUnreachable::NetProhibited,
            10 => DstUnreachable::HostProhibited,
            11 => DstUnreachable::NetUnreachToS,
            12 => DstUnreachable::HostUnreachToS,
            13 => DstUnreachable::CommProhibited,
            14 => DstUnreachable::HostPrecedenceViolation,
            15 => DstUnreachable::PrecedenceCutoff,
            other => DstUnreachable::Unknown(other),
        }
    }
}

impl From<DstUnreachable> for u8 {
    fn from(c: DstUnreachable) -> u8 {
        match c {
            DstUnreachable::NetUnreachable => 0,
            DstUnreachable::HostUnreachable => 1,
            DstUnreachable::ProtoUnreachable => 2,
            DstUnreachable::PortUnreachable => 3,
            DstUnreachable::FragRequired => 4,
            DstUnreachable::SrcRouteFailed => 5,
            DstUnreachable::DstNetUnknown => 6,
            DstUnreachable::DstHostUnknown => 7,
            DstUnreachable::SrcHostIsolated => 8,
            DstUnreachable::NetProhibited => 9,
            DstUnreachable::HostProhibited => 10,
            DstUnreachable::NetUnreachToS => 11,
            DstUnreachable::HostUnreachToS => 12,
            DstUnreachable::CommProhibited => 13,
            DstUnreachable::HostPrecedenceViolation => 14,
            DstUnreachable::PrecedenceCutoff => 15,
            DstUnreachable::Unknown(v) => v,
        }
    }
}

impl fmt::Display for DstUnreachable {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            DstUnreachable::NetUnreachable => f.write_str("net unreachable"),
            DstUnreachable::HostUnreachable => f.write_str("host unreachable"),
            DstUnreachable::ProtoUnreachable => f.write_str("protocol unreachable"),
            DstUnreachable::PortUnreachable => f.write_str("port unreachable"),
            DstUnreachable::FragRequired => f.write_str("fragmentation needed and DF set"),
            DstUnreachable::SrcRouteFailed => f.write_str("source route failed"),
            DstUnreachable::DstNetUnknown => f.write_str("destination network unknown"),
            DstUnreachable::DstHostUnknown => f.write_str("destination host unknown"),
            DstUnreachable::SrcHostIsolated => f.write_str("source host isolated"),
            DstUnreachable::NetProhibited => f.write_str("network administratively prohibited"),
            DstUnreachable::HostProhibited => f.write_str("host administratively prohibited"),
            DstUnreachable::NetUnreachToS => f.write_str("net unreachable for type of service"),
            DstUnreachable::HostUnreachToS => f.write_str("host unreachable for type of service"),
            DstUnreachable::CommProhibited => {
                f.write_str("communication administratively prohibited")
            }
            DstUnreachable::HostPrecedenceViolation => f.write_str("host precedence violation"),
            DstUnreachable::PrecedenceCutoff => f.write_str("precedence cutoff in effect"),
            DstUnreachable::Unknown(v) => write!(f, "unknown code {v}"),
        }
    }
}

/// The code of a Time Exceeded message (RFC 792).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TimeExceeded {
    /// 0, time to live exceeded in transit.
    TtlExpired,
    /// 1, fragment reassembly time exceeded.
    FragExpired,
    /// Any other code.
    Unknown(u8),
}

impl From<u8> for TimeExceeded {
    fn from(v: u8) -> TimeExceeded {
        match v {
            0 => TimeExceeded::TtlExpired,
            1 => TimeExceeded::FragExpired,
            other => TimeExceeded::Unknown(other),
        }
    }
}

impl From<TimeExceeded> for u8 {
    fn from(c: TimeExceeded) -> u8 {
        match c {
            TimeExceeded::TtlExpired => 0,
            TimeExceeded::FragExpired => 1,
            TimeExceeded::Unknown(v) => v,
        }
    }
}

impl fmt::Display for TimeExceeded {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            TimeExceeded::TtlExpired => f.write_str("time to live exceeded in transit"),
            TimeExceeded::FragExpired => f.write_str("fragment reassembly time exceeded"),
            TimeExceeded::Unknown(v) => write!(f, "unknown code {v}"),
        }
    }
}

mod fields {
    use super::Field;
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    /// The whole "rest of header" word.
    pub const VALUES: usize = 4;
    pub const ECHO_IDENT: usize = 4;
    pub const ECHO_SEQ_NO: usize = 6;
    pub const NEXT_HOP_MTU: usize = 6;
    pub const DATA: usize = 8;
}

/// Length of the ICMP header (type, code, checksum and the rest of header).
pub const HEADER_LEN: usize = fields::DATA;

/// The shortest invoking datagram accepted in an error message: a 20-byte IP
/// header and the first 8 bytes of its payload (RFC 792).
pub const MIN_INVOKING_LEN: usize = 28;

/// A view of an ICMPv4 message.
#[derive(Debug, Clone)]
pub struct Icmpv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    /// Wraps a buffer without checking it; accessors of a short buffer return
    /// zeros instead of panicking, but use [`Icmpv4Packet::new_checked`] for
    /// input.
    pub const fn new_unchecked(buffer: T) -> Icmpv4Packet<T> {
        Icmpv4Packet { buffer }
    }

    /// Wraps a buffer after checking it holds a whole header.
    pub fn new_checked(buffer: T) -> Result<Icmpv4Packet<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds the 8-byte header.
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

    /// The message type.
    pub fn msg_type(&self) -> Icmpv4Message {
        Icmpv4Message::from(field::get_u8(self.buffer.as_ref(), fields::TYPE))
    }

    /// The message code (its meaning depends on the type).
    pub fn msg_code(&self) -> u8 {
        field::get_u8(self.buffer.as_ref(), fields::CODE)
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::CHECKSUM.start)
    }

    /// The identifier of an echo request or reply.
    pub fn echo_ident(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::ECHO_IDENT)
    }

    /// The sequence number of an echo request or reply.
    pub fn echo_seq_no(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::ECHO_SEQ_NO)
    }

    /// The next-hop MTU of a "fragmentation needed" message (RFC 1191; zero
    /// from routers that predate it).
    pub fn next_hop_mtu(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::NEXT_HOP_MTU)
    }

    /// The raw 4-byte "rest of header" word.
    pub fn values(&self) -> u32 {
        field::get_u32(self.buffer.as_ref(), fields::VALUES)
    }

    /// The bytes after the 8-byte header: echo data or the invoking datagram.
    pub fn data(&self) -> &[u8] {
        field::rest(self.buffer.as_ref(), fields::DATA)
    }

    /// Whether the checksum over the whole buffer verifies.
    pub fn verify_checksum(&self) -> bool {
        checksum::data(self.buffer.as_ref()) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv4Packet<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, t: Icmpv4Message) {
        field::set_u8(self.buffer.as_mut(), fields::TYPE, t.into());
    }

    /// Sets the message code.
    pub fn set_msg_code(&mut self, code: u8) {
        field::set_u8(self.buffer.as_mut(), fields::CODE, code);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::CHECKSUM.start, v);
    }

    /// Sets the echo identifier.
    pub fn set_echo_ident(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::ECHO_IDENT, v);
    }

    /// Sets the echo sequence number.
    pub fn set_echo_seq_no(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::ECHO_SEQ_NO, v);
    }

    /// Sets the next-hop MTU.
    pub fn set_next_hop_mtu(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::NEXT_HOP_MTU, v);
    }

    /// Sets the whole "rest of header" word.
    pub fn set_values(&mut self, v: u32) {
        field::set_u32(self.buffer.as_mut(), fields::VALUES, v);
    }

    /// The bytes after the header, mutably.
    pub fn data_mut(&mut self) -> &mut [u8] {
        field::rest_mut(self.buffer.as_mut(), fields::DATA)
    }

    /// Computes the checksum over the whole buffer and writes it.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = checksum::data(self.buffer.as_ref());
        self.set_checksum(checksum::finish(sum));
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Icmpv4Packet<T> {
    /// The header as microps's `icmp_dump` prints it.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let t = self.msg_type();
        writeln!(f, "       type: {} ({})", u8::from(t), t)?;
        writeln!(f, "       code: {}", self.msg_code())?;
        writeln!(f, "        sum: 0x{:04x}", self.checksum())?;
        match t {
            Icmpv4Message::EchoRequest | Icmpv4Message::EchoReply => {
                writeln!(f, "         id: {}", self.echo_ident())?;
                write!(f, "        seq: {}", self.echo_seq_no())
            }
            _ => write!(f, "     values: 0x{:08x}", self.values()),
        }
    }
}

/// A parsed ICMPv4 message of the kinds the stack sends and acts upon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Icmpv4Repr<'a> {
    /// An echo request (type 8, code 0).
    EchoRequest {
        /// The identifier.
        ident: u16,
        /// The sequence number.
        seq_no: u16,
        /// The data to be echoed.
        data: &'a [u8],
    },
    /// An echo reply (type 0, code 0).
    EchoReply {
        /// The identifier of the request.
        ident: u16,
        /// The sequence number of the request.
        seq_no: u16,
        /// The data of the request.
        data: &'a [u8],
    },
    /// A destination unreachable error (type 3).
    DstUnreachable {
        /// The code.
        reason: DstUnreachable,
        /// The next-hop MTU (RFC 1191); zero unless the reason is
        /// [`DstUnreachable::FragRequired`].
        next_hop_mtu: u16,
        /// The invoking datagram as received: its IP header and at least 8
        /// bytes of its payload.
        invoking: &'a [u8],
    },
    /// A time exceeded error (type 11).
    TimeExceeded {
        /// The code.
        reason: TimeExceeded,
        /// The invoking datagram as received: its IP header and at least 8
        /// bytes of its payload.
        invoking: &'a [u8],
    },
}

impl<'a> Icmpv4Repr<'a> {
    /// Parses a checked message; the checksum is verified if `caps.icmpv4`
    /// says the stack verifies it.
    ///
    /// Types other than echo, echo reply, destination unreachable and time
    /// exceeded, and codes these cannot represent, are
    /// [`Error::Unsupported`]. An error whose invoking datagram is shorter
    /// than [`MIN_INVOKING_LEN`] is [`Error::Truncated`].
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Icmpv4Packet<&'a T>,
        caps: &ChecksumCapabilities,
    ) -> Result<Icmpv4Repr<'a>> {
        packet.check_len()?;
        if caps.icmpv4.rx() && !packet.verify_checksum() {
            return Err(Error::Checksum);
        }
        let data: &'a [u8] = field::rest(packet.buffer.as_ref(), fields::DATA);
        match (packet.msg_type(), packet.msg_code()) {
            (Icmpv4Message::EchoRequest, 0) => Ok(Icmpv4Repr::EchoRequest {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            }),
            (Icmpv4Message::EchoReply, 0) => Ok(Icmpv4Repr::EchoReply {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            }),
            (Icmpv4Message::DstUnreachable, code) => {
                let reason = DstUnreachable::from(code);
                if let DstUnreachable::Unknown(_) = reason {
                    return Err(Error::Unsupported);
                }
                if data.len() < MIN_INVOKING_LEN {
                    return Err(Error::Truncated);
                }
                let next_hop_mtu = if reason == DstUnreachable::FragRequired {
                    packet.next_hop_mtu()
                } else {
                    0
                };
                Ok(Icmpv4Repr::DstUnreachable {
                    reason,
                    next_hop_mtu,
                    invoking: data,
                })
            }
            (Icmpv4Message::TimeExceeded, code) => {
                let reason = TimeExceeded::from(code);
                if let TimeExceeded::Unknown(_) = reason {
                    return Err(Error::Unsupported);
                }
                if data.len() < MIN_INVOKING_LEN {
                    return Err(Error::Truncated);
                }
                Ok(Icmpv4Repr::TimeExceeded {
                    reason,
                    invoking: data,
                })
            }
            _ => Err(Error::Unsupported),
        }
    }

    /// The bytes after the header: the echo data or the invoking datagram.
    pub fn data(&self) -> &'a [u8] {
        match *self {
            Icmpv4Repr::EchoRequest { data, .. } | Icmpv4Repr::EchoReply { data, .. } => data,
            Icmpv4Repr::DstUnreachable { invoking, .. }
            | Icmpv4Repr::TimeExceeded { invoking, .. } => invoking,
        }
    }

    /// The length of the message `emit` writes: 8 plus the data.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN.saturating_add(self.data().len())
    }

    /// Writes the message into `packet`, which should be exactly
    /// [`Icmpv4Repr::buffer_len`] bytes long (the checksum covers the whole
    /// buffer); the checksum is filled if `caps.icmpv4` says the stack
    /// computes it, and left zero otherwise.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Icmpv4Packet<T>,
        caps: &ChecksumCapabilities,
    ) {
        match *self {
            Icmpv4Repr::EchoRequest { ident, seq_no, .. } => {
                packet.set_msg_type(Icmpv4Message::EchoRequest);
                packet.set_msg_code(0);
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
            }
            Icmpv4Repr::EchoReply { ident, seq_no, .. } => {
                packet.set_msg_type(Icmpv4Message::EchoReply);
                packet.set_msg_code(0);
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
            }
            Icmpv4Repr::DstUnreachable {
                reason,
                next_hop_mtu,
                ..
            } => {
                packet.set_msg_type(Icmpv4Message::DstUnreachable);
                packet.set_msg_code(reason.into());
                packet.set_values(0);
                if reason == DstUnreachable::FragRequired {
                    packet.set_next_hop_mtu(next_hop_mtu);
                }
            }
            Icmpv4Repr::TimeExceeded { reason, .. } => {
                packet.set_msg_type(Icmpv4Message::TimeExceeded);
                packet.set_msg_code(reason.into());
                packet.set_values(0);
            }
        }
        let data = self.data();
        let out = packet.data_mut();
        let n = out.len().min(data.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), data.get(..n)) {
            dst.copy_from_slice(src);
        }
        if caps.icmpv4.tx() {
            packet.fill_checksum();
        } else {
            packet.set_checksum(0);
        }
    }
}

impl fmt::Display for Icmpv4Repr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => write!(
                f,
                "ICMPv4 echo request id={ident} seq={seq_no} len={}",
                data.len()
            ),
            Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => write!(
                f,
                "ICMPv4 echo reply id={ident} seq={seq_no} len={}",
                data.len()
            ),
            Icmpv4Repr::DstUnreachable {
                reason,
                next_hop_mtu,
                invoking,
            } => {
                write!(f, "ICMPv4 destination unreachable ({reason})")?;
                if *reason == DstUnreachable::FragRequired {
                    write!(f, " mtu={next_hop_mtu}")?;
                }
                write!(f, " invoking={}", invoking.len())
            }
            Icmpv4Repr::TimeExceeded { reason, invoking } => write!(
                f,
                "ICMPv4 time exceeded ({reason}) invoking={}",
                invoking.len()
            ),
        }
    }
}

mod quoted {
    pub const VER_IHL: usize = 0;
    pub const TOTAL_LEN: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLAGS_FRAG: usize = 6;
    pub const PROTOCOL: usize = 9;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
    pub const MIN_HEADER_LEN: usize = 20;
}

/// The invoking datagram quoted in an ICMP error, parsed leniently: enough
/// to find the socket the error is about.
///
/// The quote is truncated by design, so the total length field is not
/// checked against the buffer, and neither is the header checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QuotedDatagram<'a> {
    /// The source address of the invoking datagram (normally ours).
    pub src_addr: Ipv4Address,
    /// The destination address of the invoking datagram (the peer).
    pub dst_addr: Ipv4Address,
    /// The protocol of the invoking datagram.
    pub protocol: IpProtocol,
    /// The identification field of the invoking datagram.
    pub ident: u16,
    /// Its total length field (as sent: the quote is shorter), which RFC
    /// 1191 5 uses when a router gives no next-hop MTU.
    pub total_len: u16,
    /// The fragment offset of the invoking datagram, in bytes. Only the
    /// first fragment (offset zero) quotes the transport header.
    pub frag_offset: u16,
    /// The quoted bytes after the IP header (usually the first 8 bytes of
    /// the transport header).
    pub payload: &'a [u8],
}

impl<'a> QuotedDatagram<'a> {
    /// Parses the invoking datagram of an ICMP error.
    ///
    /// Checks the version (4, else [`Error::Malformed`]), the header length
    /// (at least 20, else [`Error::Malformed`]) and that the header fits the
    /// buffer (else [`Error::Truncated`]).
    pub fn parse(invoking: &'a [u8]) -> Result<QuotedDatagram<'a>> {
        if invoking.len() < quoted::MIN_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let ver_ihl = field::get_u8(invoking, quoted::VER_IHL);
        if ver_ihl >> 4 != 4 {
            return Err(Error::Malformed);
        }
        let header_len = usize::from(ver_ihl & 0x0f).wrapping_mul(4);
        if header_len < quoted::MIN_HEADER_LEN {
            return Err(Error::Malformed);
        }
        if header_len > invoking.len() {
            return Err(Error::Truncated);
        }
        let frag = field::get_u16(invoking, quoted::FLAGS_FRAG);
        Ok(QuotedDatagram {
            src_addr: Ipv4Address::from(field::get_array::<4>(invoking, quoted::SRC)),
            dst_addr: Ipv4Address::from(field::get_array::<4>(invoking, quoted::DST)),
            protocol: IpProtocol::from(field::get_u8(invoking, quoted::PROTOCOL)),
            ident: field::get_u16(invoking, quoted::IDENT),
            total_len: field::get_u16(invoking, quoted::TOTAL_LEN),
            frag_offset: (frag & 0x1fff) << 3,
            payload: field::rest(invoking, header_len),
        })
    }

    /// Whether the quote starts with the transport header: the datagram was
    /// not a later fragment.
    fn quotes_transport_header(&self) -> bool {
        self.frag_offset == 0
    }

    /// The (source, destination) ports of a quoted TCP or UDP header, if the
    /// quote holds them.
    pub fn ports(&self) -> Option<(u16, u16)> {
        if !matches!(self.protocol, IpProtocol::Tcp | IpProtocol::Udp)
            || !self.quotes_transport_header()
            || self.payload.len() < 4
        {
            return None;
        }
        Some((
            field::get_u16(self.payload, 0),
            field::get_u16(self.payload, 2),
        ))
    }

    /// The sequence number of a quoted TCP header (RFC 5927 section 4.1 checks
    /// it against the send window), if the quote holds it.
    pub fn tcp_seq(&self) -> Option<SeqNumber> {
        if self.protocol != IpProtocol::Tcp
            || !self.quotes_transport_header()
            || self.payload.len() < 8
        {
            return None;
        }
        Some(SeqNumber(field::get_u32(self.payload, 4)))
    }

    /// The (identifier, sequence number) of a quoted ICMP echo request, if
    /// the quote holds one: how a ping socket finds its errors.
    pub fn icmp_echo(&self) -> Option<(u16, u16)> {
        if self.protocol != IpProtocol::Icmp
            || !self.quotes_transport_header()
            || self.payload.len() < HEADER_LEN
            || field::get_u8(self.payload, fields::TYPE) != u8::from(Icmpv4Message::EchoRequest)
        {
            return None;
        }
        Some((
            field::get_u16(self.payload, fields::ECHO_IDENT),
            field::get_u16(self.payload, fields::ECHO_SEQ_NO),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    const HOST_A: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
    const HOST_B: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

    /// `ping -c1 -p 6d6963726f7073 192.0.2.2` from 192.0.2.1, captured with
    /// tcpdump on a Linux veth pair: the IP datagram of the echo request.
    const ECHO_REQUEST_DGRAM: [u8; 84] = [
        0x45, 0x00, 0x00, 0x54, 0xf0, 0x24, 0x40, 0x00, 0x40, 0x01, 0xc6, 0x80, //
        0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x08, 0x00, 0xf4, 0xda, //
        0x18, 0x81, 0x00, 0x01, 0xb1, 0xf4, 0x07, 0x6b, 0x00, 0x00, 0x00, 0x00, //
        0x92, 0xac, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x63, 0x72, 0x6f, 0x70, //
        0x73, 0x6d, 0x69, 0x63, 0x72, 0x6f, 0x70, 0x73, 0x6d, 0x69, 0x63, 0x72, //
        0x6f, 0x70, 0x73, 0x6d, 0x69, 0x63, 0x72, 0x6f, 0x70, 0x73, 0x6d, 0x69, //
        0x63, 0x72, 0x6f, 0x70, 0x73, 0x6d, 0x69, 0x63, 0x72, 0x6f, 0x70, 0x73, //
    ];

    /// The echo reply Linux sent back from 192.0.2.2.
    const ECHO_REPLY_DGRAM: [u8; 84] = [
        0x45, 0x00, 0x00, 0x54, 0x1e, 0x77, 0x00, 0x00, 0x40, 0x01, 0xd8, 0x2e, //
        0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0xfc, 0xda, //
        0x18, 0x81, 0x00, 0x01, 0xb1, 0xf4, 0x07, 0x6b, 0x00, 0x00, 0x00, 0x00, //
        0x92, 0xac, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x63, 0x72, 0x6f, 0x70, //
        0x73, 0x6d, 0x69, 0x63, 0x72, 0x6f, 0x70, 0x73, 0x6d, 0x69, 0x63, 0x72, //
        0x6f, 0x70, 0x73, 0x6d, 0x69, 0x63, 0x72, 0x6f, 0x70, 0x73, 0x6d, 0x69, //
        0x63, 0x72, 0x6f, 0x70, 0x73, 0x6d, 0x69, 0x63, 0x72, 0x6f, 0x70, 0x73, //
    ];

    /// `printf 'anyone?' | nc -u -p 40001 192.0.2.2 9` to a closed port: the
    /// port unreachable error Linux sent from 192.0.2.2 (TOS 0xc0), quoting
    /// the whole 35-byte UDP datagram.
    const PORT_UNREACH_DGRAM: [u8; 63] = [
        0x45, 0xc0, 0x00, 0x3f, 0x1e, 0x8a, 0x00, 0x00, 0x40, 0x01, 0xd7, 0x70, //
        0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01, 0x03, 0x03, 0x81, 0x21, //
        0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x23, 0x68, 0xa6, 0x40, 0x00, //
        0x40, 0x11, 0x4e, 0x20, 0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, //
        0x9c, 0x41, 0x00, 0x09, 0x00, 0x0f, 0x57, 0x3e, 0x61, 0x6e, 0x79, 0x6f, //
        0x6e, 0x65, 0x3f, //
    ];

    /// The ICMP message inside a captured datagram (20-byte IP header).
    fn icmp(dgram: &[u8]) -> &[u8] {
        assert_eq!(dgram[0], 0x45);
        assert_eq!(dgram[9], 1, "protocol ICMP");
        &dgram[20..]
    }

    fn echo_payload() -> [u8; 56] {
        let mut d = [0u8; 56];
        // The timestamp ping puts first, then its -p pattern repeated.
        d[..16].copy_from_slice(&ECHO_REQUEST_DGRAM[28..44]);
        for (i, b) in d[16..].iter_mut().enumerate() {
            *b = b"microps"[(i + 2) % 7];
        }
        d
    }

    #[test]
    fn captured_echo_request_field_by_field() {
        let packet = Icmpv4Packet::new_checked(icmp(&ECHO_REQUEST_DGRAM)).unwrap();
        assert_eq!(packet.msg_type(), Icmpv4Message::EchoRequest);
        assert_eq!(packet.msg_code(), 0);
        assert_eq!(packet.checksum(), 0xf4da);
        assert_eq!(packet.echo_ident(), 0x1881);
        assert_eq!(packet.echo_seq_no(), 1);
        assert_eq!(packet.values(), 0x1881_0001);
        assert_eq!(packet.data().len(), 56);
        assert_eq!(packet.data(), &echo_payload()[..]);
        assert!(packet.verify_checksum());
        let repr = Icmpv4Repr::parse(&packet, &ChecksumCapabilities::all()).unwrap();
        assert_eq!(
            repr,
            Icmpv4Repr::EchoRequest {
                ident: 0x1881,
                seq_no: 1,
                data: &echo_payload(),
            }
        );
        assert_eq!(repr.buffer_len(), 64);
    }

    #[test]
    fn captured_echo_reply_field_by_field() {
        let packet = Icmpv4Packet::new_checked(icmp(&ECHO_REPLY_DGRAM)).unwrap();
        assert_eq!(packet.msg_type(), Icmpv4Message::EchoReply);
        assert_eq!(packet.msg_code(), 0);
        assert_eq!(packet.checksum(), 0xfcda);
        assert_eq!(packet.echo_ident(), 0x1881);
        assert_eq!(packet.echo_seq_no(), 1);
        assert!(packet.verify_checksum());
        let repr = Icmpv4Repr::parse(&packet, &ChecksumCapabilities::all()).unwrap();
        assert_eq!(
            repr,
            Icmpv4Repr::EchoReply {
                ident: 0x1881,
                seq_no: 1,
                data: &echo_payload(),
            }
        );
    }

    /// Answering the captured request the way the stack will (type 0, same
    /// identifier, sequence number and data) gives Linux's reply byte for
    /// byte.
    #[test]
    fn reply_to_captured_request_matches_linux() {
        let packet = Icmpv4Packet::new_checked(icmp(&ECHO_REQUEST_DGRAM)).unwrap();
        let Icmpv4Repr::EchoRequest {
            ident,
            seq_no,
            data,
        } = Icmpv4Repr::parse(&packet, &ChecksumCapabilities::all()).unwrap()
        else {
            panic!("not an echo request");
        };
        let reply = Icmpv4Repr::EchoReply {
            ident,
            seq_no,
            data,
        };
        let mut buf = [0xa5u8; 64];
        reply.emit(
            &mut Icmpv4Packet::new_unchecked(&mut buf[..]),
            &ChecksumCapabilities::all(),
        );
        assert_eq!(&buf[..], icmp(&ECHO_REPLY_DGRAM));
    }

    #[test]
    fn captured_port_unreachable_field_by_field() {
        let packet = Icmpv4Packet::new_checked(icmp(&PORT_UNREACH_DGRAM)).unwrap();
        assert_eq!(packet.msg_type(), Icmpv4Message::DstUnreachable);
        assert_eq!(packet.msg_code(), 3);
        assert_eq!(packet.checksum(), 0x8121);
        assert_eq!(packet.values(), 0);
        assert_eq!(packet.next_hop_mtu(), 0);
        assert_eq!(packet.data().len(), 35);
        assert!(packet.verify_checksum());
        let repr = Icmpv4Repr::parse(&packet, &ChecksumCapabilities::all()).unwrap();
        assert_eq!(
            repr,
            Icmpv4Repr::DstUnreachable {
                reason: DstUnreachable::PortUnreachable,
                next_hop_mtu: 0,
                invoking: &PORT_UNREACH_DGRAM[28..],
            }
        );

        let quoted = QuotedDatagram::parse(repr.data()).unwrap();
        assert_eq!(quoted.src_addr, HOST_A);
        assert_eq!(quoted.dst_addr, HOST_B);
        assert_eq!(quoted.protocol, IpProtocol::Udp);
        assert_eq!(quoted.ident, 0x68a6);
        assert_eq!(quoted.frag_offset, 0);
        assert_eq!(quoted.payload, &PORT_UNREACH_DGRAM[48..]);
        assert_eq!(quoted.payload.len(), 15);
        assert_eq!(quoted.ports(), Some((40001, 9)));
        assert_eq!(quoted.tcp_seq(), None);
        assert_eq!(quoted.icmp_echo(), None);
    }

    #[test]
    fn port_unreachable_emits_like_linux() {
        let repr = Icmpv4Repr::DstUnreachable {
            reason: DstUnreachable::PortUnreachable,
            next_hop_mtu: 0,
            invoking: &PORT_UNREACH_DGRAM[28..],
        };
        assert_eq!(repr.buffer_len(), 43);
        let mut buf = [0xffu8; 43];
        repr.emit(
            &mut Icmpv4Packet::new_unchecked(&mut buf[..]),
            &ChecksumCapabilities::all(),
        );
        assert_eq!(&buf[..], icmp(&PORT_UNREACH_DGRAM));
    }

    fn round_trip(repr: Icmpv4Repr) {
        let mut buf = [0x5au8; 128];
        let buf = &mut buf[..repr.buffer_len()];
        repr.emit(
            &mut Icmpv4Packet::new_unchecked(&mut buf[..]),
            &ChecksumCapabilities::all(),
        );
        let packet = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        assert!(packet.verify_checksum());
        assert_eq!(
            Icmpv4Repr::parse(&packet, &ChecksumCapabilities::all()).unwrap(),
            repr
        );
    }

    #[test]
    fn round_trips() {
        let invoking = &PORT_UNREACH_DGRAM[28..];
        round_trip(Icmpv4Repr::EchoRequest {
            ident: 0xbeef,
            seq_no: 0xffff,
            data: b"",
        });
        round_trip(Icmpv4Repr::EchoRequest {
            ident: 1,
            seq_no: 2,
            data: b"odd",
        });
        round_trip(Icmpv4Repr::EchoReply {
            ident: 0,
            seq_no: 0,
            data: &echo_payload(),
        });
        for code in 0..16 {
            let reason = DstUnreachable::from(code);
            assert_eq!(u8::from(reason), code);
            let next_hop_mtu = if reason == DstUnreachable::FragRequired {
                1400
            } else {
                0
            };
            round_trip(Icmpv4Repr::DstUnreachable {
                reason,
                next_hop_mtu,
                invoking,
            });
        }
        for reason in [TimeExceeded::TtlExpired, TimeExceeded::FragExpired] {
            round_trip(Icmpv4Repr::TimeExceeded { reason, invoking });
        }
    }

    #[test]
    fn frag_required_carries_next_hop_mtu() {
        let repr = Icmpv4Repr::DstUnreachable {
            reason: DstUnreachable::FragRequired,
            next_hop_mtu: 1280,
            invoking: &PORT_UNREACH_DGRAM[28..56],
        };
        let mut buf = [0u8; 36];
        let mut packet = Icmpv4Packet::new_unchecked(&mut buf[..]);
        repr.emit(&mut packet, &ChecksumCapabilities::all());
        assert_eq!(&buf[..8], &[3, 4, buf[2], buf[3], 0, 0, 0x05, 0x00]);
        let packet = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.next_hop_mtu(), 1280);
        assert_eq!(packet.values(), 1280);
        // The MTU is only meaningful with code 4: other codes report zero.
        let mut other = buf;
        other[1] = 1;
        Icmpv4Packet::new_unchecked(&mut other[..]).fill_checksum();
        let packet = Icmpv4Packet::new_checked(&other[..]).unwrap();
        assert_eq!(
            Icmpv4Repr::parse(&packet, &ChecksumCapabilities::all()).unwrap(),
            Icmpv4Repr::DstUnreachable {
                reason: DstUnreachable::HostUnreachable,
                next_hop_mtu: 0,
                invoking: &PORT_UNREACH_DGRAM[28..56],
            }
        );
    }

    #[test]
    fn every_truncation_errors_or_parses_consistently() {
        for dgram in [
            &ECHO_REQUEST_DGRAM[..],
            &ECHO_REPLY_DGRAM,
            &PORT_UNREACH_DGRAM,
        ] {
            let full = icmp(dgram);
            for len in 0..=full.len() {
                let buf = &full[..len];
                let packet = match Icmpv4Packet::new_checked(buf) {
                    Ok(p) => p,
                    Err(e) => {
                        assert!(len < HEADER_LEN);
                        assert_eq!(e, Error::Truncated);
                        continue;
                    }
                };
                assert!(len >= HEADER_LEN);
                let _ = format!("{packet}");
                let checked = Icmpv4Repr::parse(&packet, &ChecksumCapabilities::all());
                let ignored = Icmpv4Repr::parse(&packet, &ChecksumCapabilities::ignored());
                // ICMP has no length in its checksum, so a cut can verify by
                // chance: the echo request cut to 36 bytes does, as the 28
                // bytes dropped (four times "microps") sum to zero.
                match checked {
                    Err(Error::Checksum) => assert!(!packet.verify_checksum()),
                    other => {
                        assert!(packet.verify_checksum());
                        assert_eq!(other, ignored);
                    }
                }
                if len == full.len() {
                    assert!(checked.is_ok());
                }
                match ignored {
                    Ok(repr) => {
                        assert_eq!(repr.data(), &full[HEADER_LEN..len]);
                        assert_eq!(repr.buffer_len(), len);
                        if let Icmpv4Repr::DstUnreachable { invoking, .. } = repr {
                            assert!(invoking.len() >= MIN_INVOKING_LEN);
                            let q = QuotedDatagram::parse(invoking).unwrap();
                            assert_eq!(q.payload.len(), invoking.len() - 20);
                        }
                    }
                    Err(e) => {
                        assert_eq!(packet.msg_type(), Icmpv4Message::DstUnreachable);
                        assert_eq!(e, Error::Truncated);
                        assert!(len < HEADER_LEN + MIN_INVOKING_LEN);
                    }
                }
            }
        }
    }

    #[test]
    fn bad_checksum_rejected_unless_ignored() {
        let mut buf = [0u8; 64];
        buf.copy_from_slice(icmp(&ECHO_REQUEST_DGRAM));
        buf[63] ^= 0x01;
        let packet = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        assert!(!packet.verify_checksum());
        assert_eq!(
            Icmpv4Repr::parse(&packet, &ChecksumCapabilities::all()),
            Err(Error::Checksum)
        );
        assert!(Icmpv4Repr::parse(&packet, &ChecksumCapabilities::ignored()).is_ok());
        let mut caps = ChecksumCapabilities::all();
        caps.icmpv4 = crate::wire::Checksum::Tx;
        assert!(Icmpv4Repr::parse(&packet, &caps).is_ok());
    }

    #[test]
    fn emit_without_tx_checksum_leaves_zero() {
        let mut caps = ChecksumCapabilities::all();
        caps.icmpv4 = crate::wire::Checksum::Rx;
        let repr = Icmpv4Repr::EchoRequest {
            ident: 7,
            seq_no: 8,
            data: b"abcd",
        };
        let mut buf = [0xffu8; 12];
        repr.emit(&mut Icmpv4Packet::new_unchecked(&mut buf[..]), &caps);
        assert_eq!(buf, [8, 0, 0, 0, 0, 7, 0, 8, b'a', b'b', b'c', b'd']);
    }

    #[test]
    fn unsupported_types_and_codes() {
        let caps = ChecksumCapabilities::all();
        let invoking = &PORT_UNREACH_DGRAM[28..];
        let mut buf = [0u8; 43];
        buf[8..].copy_from_slice(invoking);
        for (t, code) in [
            (3u8, 16u8),
            (11, 2),
            (8, 1),
            (0, 9),
            (5, 0),
            (12, 0),
            (4, 0),
            (13, 0),
            (255, 255),
        ] {
            buf[0] = t;
            buf[1] = code;
            Icmpv4Packet::new_unchecked(&mut buf[..]).fill_checksum();
            let packet = Icmpv4Packet::new_checked(&buf[..]).unwrap();
            assert!(packet.verify_checksum());
            assert_eq!(
                Icmpv4Repr::parse(&packet, &caps),
                Err(Error::Unsupported),
                "type {t} code {code}"
            );
        }
        // A known error with a short quote.
        let mut short = [3u8, 3, 0, 0, 0, 0, 0, 0, 0x45, 0, 0, 0];
        Icmpv4Packet::new_unchecked(&mut short[..]).fill_checksum();
        let packet = Icmpv4Packet::new_checked(&short[..]).unwrap();
        assert_eq!(Icmpv4Repr::parse(&packet, &caps), Err(Error::Truncated));
    }

    #[test]
    fn message_and_code_conversions() {
        for v in 0..=255u8 {
            assert_eq!(u8::from(Icmpv4Message::from(v)), v);
            assert_eq!(u8::from(DstUnreachable::from(v)), v);
            assert_eq!(u8::from(TimeExceeded::from(v)), v);
        }
        assert_eq!(Icmpv4Message::from(8), Icmpv4Message::EchoRequest);
        assert_eq!(Icmpv4Message::from(0), Icmpv4Message::EchoReply);
        assert_eq!(Icmpv4Message::from(3), Icmpv4Message::DstUnreachable);
        assert_eq!(Icmpv4Message::from(5), Icmpv4Message::Redirect);
        assert_eq!(Icmpv4Message::from(11), Icmpv4Message::TimeExceeded);
        assert_eq!(Icmpv4Message::from(12), Icmpv4Message::ParamProblem);
        assert_eq!(Icmpv4Message::from(4), Icmpv4Message::Unknown(4));
        assert_eq!(DstUnreachable::from(15), DstUnreachable::PrecedenceCutoff);
        assert_eq!(DstUnreachable::from(16), DstUnreachable::Unknown(16));
        assert_eq!(TimeExceeded::from(1), TimeExceeded::FragExpired);
        assert_eq!(
            format!("{}", DstUnreachable::PortUnreachable),
            "port unreachable"
        );
        assert_eq!(format!("{}", Icmpv4Message::Unknown(42)), "Unknown");
    }

    #[test]
    fn display_is_microps_dump() {
        let packet = Icmpv4Packet::new_checked(icmp(&ECHO_REQUEST_DGRAM)).unwrap();
        assert_eq!(
            format!("{packet}"),
            "       type: 8 (EchoRequest)\n       code: 0\n        sum: 0xf4da\n         id: 6273\n        seq: 1"
        );
        let packet = Icmpv4Packet::new_checked(icmp(&PORT_UNREACH_DGRAM)).unwrap();
        assert_eq!(
            format!("{packet}"),
            "       type: 3 (DstUnreachable)\n       code: 3\n        sum: 0x8121\n     values: 0x00000000"
        );
        let packet =
            Icmpv4Packet::new_checked(&[4u8, 0, 0xab, 0xcd, 0xde, 0xad, 0xbe, 0xef][..]).unwrap();
        assert_eq!(
            format!("{packet}"),
            "       type: 4 (Unknown)\n       code: 0\n        sum: 0xabcd\n     values: 0xdeadbeef"
        );
        let repr = Icmpv4Repr::parse(
            &Icmpv4Packet::new_checked(icmp(&PORT_UNREACH_DGRAM)).unwrap(),
            &ChecksumCapabilities::all(),
        )
        .unwrap();
        assert_eq!(
            format!("{repr}"),
            "ICMPv4 destination unreachable (port unreachable) invoking=35"
        );
    }

    #[test]
    fn quoted_datagram_checks_and_helpers() {
        let udp = &PORT_UNREACH_DGRAM[28..];
        // Only the version, the header length and its fit are checked; the
        // total length (35) is allowed to exceed the quote.
        let q = QuotedDatagram::parse(&udp[..28]).unwrap();
        assert_eq!(q.payload.len(), 8);
        assert_eq!(q.ports(), Some((40001, 9)));
        assert_eq!(QuotedDatagram::parse(&udp[..20]).unwrap().ports(), None);
        assert_eq!(QuotedDatagram::parse(&udp[..19]), Err(Error::Truncated));

        let mut bad = [0u8; 28];
        bad.copy_from_slice(&udp[..28]);
        bad[0] = 0x65;
        assert_eq!(QuotedDatagram::parse(&bad), Err(Error::Malformed));
        bad[0] = 0x44;
        assert_eq!(QuotedDatagram::parse(&bad), Err(Error::Malformed));
        bad[0] = 0x48; // 32-byte header in a 28-byte quote
        assert_eq!(QuotedDatagram::parse(&bad), Err(Error::Truncated));
        bad[0] = 0x46; // 24-byte header: options are skipped
        let q = QuotedDatagram::parse(&bad).unwrap();
        assert_eq!(q.payload, &udp[24..28]);

        // A TCP quote: ports and sequence number.
        let mut tcp = [0u8; 28];
        tcp[..20].copy_from_slice(&udp[..20]);
        tcp[9] = 6;
        tcp[20..28].copy_from_slice(&[0x9c, 0x40, 0x00, 0x07, 0x5b, 0x2c, 0x9e, 0x46]);
        let q = QuotedDatagram::parse(&tcp).unwrap();
        assert_eq!(q.protocol, IpProtocol::Tcp);
        assert_eq!(q.ports(), Some((40000, 7)));
        assert_eq!(q.tcp_seq(), Some(SeqNumber(0x5b2c_9e46)));
        assert_eq!(QuotedDatagram::parse(&tcp[..27]).unwrap().tcp_seq(), None);
        // A later fragment quotes no transport header.
        tcp[6] = 0x00;
        tcp[7] = 0xb9;
        let q = QuotedDatagram::parse(&tcp).unwrap();
        assert_eq!(q.frag_offset, 185 * 8);
        assert_eq!(q.ports(), None);
        assert_eq!(q.tcp_seq(), None);

        // An ICMP echo quote, as a traceroute-style time exceeded carries.
        let q = QuotedDatagram::parse(&ECHO_REQUEST_DGRAM[..28]).unwrap();
        assert_eq!(q.protocol, IpProtocol::Icmp);
        assert_eq!(q.frag_offset, 0);
        assert_eq!(q.icmp_echo(), Some((0x1881, 1)));
        assert_eq!(q.ports(), None);
    }
}
