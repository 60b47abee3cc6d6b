//! TCP segments (RFC 9293 section 3.1), with the options of RFC 9293
//! section 3.2 (end of list, no-operation, maximum segment size), RFC 7323
//! (window scale, timestamps) and RFC 2018 (SACK-permitted, SACK).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Sequence Number                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Acknowledgment Number                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Data |     |N|C|E|U|A|P|R|S|F|                               |
//! | Offset| Rsrv|S|W|C|R|C|S|S|Y|I|            Window             |
//! |       |     | |R|E|G|K|H|T|N|N|                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Checksum            |         Urgent Pointer        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           [Options]                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               :
//! :                             Data                              :
//! :                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The data offset counts 32-bit words (5 to 15: a 20 to 60 byte header).
//! TCP has no length field: the segment is the whole IP payload, so the view
//! must be given exactly that. The checksum covers an IPv4 pseudo-header
//! (source, destination, zero, protocol 6, TCP length), the header and the
//! data.
//!
//! Options are kind-length-value triples, except end of list (kind 0) and
//! no-operation (kind 1), which are a single byte:
//!
//! ```text
//! kind 0: EOL                 kind 4, len 2:  SACK-permitted
//! kind 1: NOP                 kind 5, len 2+8n (n = 1..4): SACK left/right edges
//! kind 2, len 4:  MSS (16)    kind 8, len 10: TSval (32), TSecr (32)
//! kind 3, len 3:  window scale shift (8)
//! ```

use core::{fmt, ops};

use super::field::{self, Field};
use super::ipv4::{IpProtocol, Ipv4Address};
use super::seq::SeqNumber;
use super::{ChecksumCapabilities, Error, Result, checksum};

/// The nine control bits of the TCP header.
///
/// ```
/// use microps_core::wire::TcpFlags;
/// let f = TcpFlags::SYN | TcpFlags::ACK;
/// assert!(f.contains(TcpFlags::SYN));
/// assert_eq!(f.to_string(), "---A--S-");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TcpFlags(u16);

impl TcpFlags {
    /// No more data from the sender.
    pub const FIN: TcpFlags = TcpFlags(0x001);
    /// Synchronize sequence numbers.
    pub const SYN: TcpFlags = TcpFlags(0x002);
    /// Reset the connection.
    pub const RST: TcpFlags = TcpFlags(0x004);
    /// Push function.
    pub const PSH: TcpFlags = TcpFlags(0x008);
    /// The acknowledgment number is significant.
    pub const ACK: TcpFlags = TcpFlags(0x010);
    /// The urgent pointer is significant.
    pub const URG: TcpFlags = TcpFlags(0x020);
    /// ECN-Echo (RFC 3168).
    pub const ECE: TcpFlags = TcpFlags(0x040);
    /// Congestion window reduced (RFC 3168).
    pub const CWR: TcpFlags = TcpFlags(0x080);
    /// ECN nonce sum (RFC 3540, historic; reserved in RFC 9293).
    pub const NS: TcpFlags = TcpFlags(0x100);
    /// All nine bits.
    const ALL: u16 = 0x1ff;

    /// No flag set.
    pub const fn empty() -> TcpFlags {
        TcpFlags(0)
    }

    /// The flags of the low nine bits of `bits` (the rest is dropped).
    pub const fn from_bits_truncate(bits: u16) -> TcpFlags {
        TcpFlags(bits & Self::ALL)
    }

    /// The bits, as they sit in the low nine bits of header bytes 12 and 13.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set.
    pub const fn intersects(self, other: TcpFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// Sets the flags of `other`.
    pub fn insert(&mut self, other: TcpFlags) {
        self.0 |= other.0;
    }

    /// Clears the flags of `other`.
    pub fn remove(&mut self, other: TcpFlags) {
        self.0 &= !other.0;
    }
}

impl ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | rhs.0)
    }
}

impl ops::BitOrAssign for TcpFlags {
    fn bitor_assign(&mut self, rhs: TcpFlags) {
        self.0 |= rhs.0;
    }
}

impl ops::BitAnd for TcpFlags {
    type Output = TcpFlags;
    fn bitand(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 & rhs.0)
    }
}

impl fmt::Display for TcpFlags {
    /// Eight characters as microps's `tcp_flg_ntoa` prints them: `--UAPRSF`
    /// with `-` for each clear bit (the first two are always `-`).
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("--")?;
        for (flag, c) in [
            (TcpFlags::URG, 'U'),
            (TcpFlags::ACK, 'A'),
            (TcpFlags::PSH, 'P'),
            (TcpFlags::RST, 'R'),
            (TcpFlags::SYN, 'S'),
            (TcpFlags::FIN, 'F'),
        ] {
            fmt::Write::write_char(f, if self.contains(flag) { c } else { '-' })?;
        }
        Ok(())
    }
}

mod fields {
    use super::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const SEQ_NUM: Field = 4..8;
    pub const ACK_NUM: Field = 8..12;
    /// Data offset (high nibble), reserved bits and NS.
    pub const DATA_OFF: usize = 12;
    /// The nine flag bits, as a 16-bit word with the data offset.
    pub const FLAGS: Field = 12..14;
    /// The low byte of the flags (CWR to FIN).
    pub const FLAGS_LOW: usize = 13;
    pub const WIN_SIZE: Field = 14..16;
    pub const CHECKSUM: Field = 16..18;
    pub const URGENT: Field = 18..20;
    pub const OPTIONS: usize = 20;
}

/// Length of the TCP header without options.
pub const HEADER_LEN: usize = fields::OPTIONS;
/// Where the checksum field starts.
pub const CHECKSUM_OFFSET: usize = fields::CHECKSUM.start;
/// The longest header (data offset 15).
pub const MAX_HEADER_LEN: usize = 60;
/// The most option bytes a header can carry.
pub const MAX_OPTIONS_LEN: usize = 40;

/// A view of a TCP segment.
#[derive(Debug, Clone)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Wraps a buffer without checking it; accessors of a short buffer return
    /// zeros instead of panicking, but use [`TcpPacket::new_checked`] for
    /// input.
    pub const fn new_unchecked(buffer: T) -> TcpPacket<T> {
        TcpPacket { buffer }
    }

    /// Wraps a buffer after checking it with [`TcpPacket::check_len`].
    pub fn new_checked(buffer: T) -> Result<TcpPacket<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds the 20-byte fixed header
    /// ([`Error::Truncated`]), that the data offset is at least 5
    /// ([`Error::Malformed`]) and that the buffer holds the whole header with
    /// its options ([`Error::Truncated`]).
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let header_len = self.header_len();
        if header_len < HEADER_LEN {
            Err(Error::Malformed)
        } else if header_len > len {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The source port.
    pub fn src_port(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::SRC_PORT.start)
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::DST_PORT.start)
    }

    /// The sequence number.
    pub fn seq_number(&self) -> SeqNumber {
        SeqNumber(field::get_u32(self.buffer.as_ref(), fields::SEQ_NUM.start))
    }

    /// The acknowledgment number (meaningful with the ACK flag).
    pub fn ack_number(&self) -> SeqNumber {
        SeqNumber(field::get_u32(self.buffer.as_ref(), fields::ACK_NUM.start))
    }

    /// The header length in bytes: the data offset times four.
    pub fn header_len(&self) -> usize {
        usize::from(field::get_u8(self.buffer.as_ref(), fields::DATA_OFF) >> 4) << 2
    }

    /// The nine flag bits.
    pub fn flags(&self) -> TcpFlags {
        TcpFlags::from_bits_truncate(field::get_u16(self.buffer.as_ref(), fields::FLAGS.start))
    }

    /// The window field (unscaled).
    pub fn window_len(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::WIN_SIZE.start)
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::CHECKSUM.start)
    }

    /// The urgent pointer (meaningful with the URG flag).
    pub fn urgent_at(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::URGENT.start)
    }

    /// Where the data starts: the header length, never inside the fixed
    /// header.
    fn payload_start(&self) -> usize {
        self.header_len().max(HEADER_LEN)
    }

    /// The raw option bytes (between the fixed header and the data).
    pub fn options(&self) -> &[u8] {
        field::slice(self.buffer.as_ref(), fields::OPTIONS..self.payload_start())
    }

    /// The data: everything after the header.
    pub fn payload(&self) -> &[u8] {
        field::rest(self.buffer.as_ref(), self.payload_start())
    }

    /// The sequence space the segment occupies: the data length, plus one
    /// for SYN and one for FIN.
    pub fn segment_len(&self) -> usize {
        let flags = self.flags();
        self.payload()
            .len()
            .saturating_add(usize::from(flags.contains(TcpFlags::SYN)))
            .saturating_add(usize::from(flags.contains(TcpFlags::FIN)))
    }

    /// The sum over pseudo-header and the whole buffer.
    fn sum(&self, src: &Ipv4Address, dst: &Ipv4Address) -> u16 {
        let buf = self.buffer.as_ref();
        let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        checksum::combine(&[
            checksum::pseudo_header(src, dst, IpProtocol::Tcp.into(), len),
            checksum::data(buf),
        ])
    }

    /// Whether the checksum verifies with the pseudo-header of `src` and
    /// `dst`.
    pub fn verify_checksum(&self, src: &Ipv4Address, dst: &Ipv4Address) -> bool {
        self.sum(src, dst) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::SRC_PORT.start, v);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::DST_PORT.start, v);
    }

    /// Sets the sequence number.
    pub fn set_seq_number(&mut self, v: SeqNumber) {
        field::set_u32(self.buffer.as_mut(), fields::SEQ_NUM.start, v.0);
    }

    /// Sets the acknowledgment number.
    pub fn set_ack_number(&mut self, v: SeqNumber) {
        field::set_u32(self.buffer.as_mut(), fields::ACK_NUM.start, v.0);
    }

    /// Sets the data offset from a header length in bytes (rounded down to
    /// a multiple of four, at most 60), keeping the low four bits of the byte.
    pub fn set_header_len(&mut self, len: usize) {
        let words = u8::try_from(len >> 2).unwrap_or(0x0f).min(0x0f);
        let buf = self.buffer.as_mut();
        let low = field::get_u8(buf, fields::DATA_OFF) & 0x0f;
        field::set_u8(buf, fields::DATA_OFF, (words << 4) | low);
    }

    /// Sets the nine flag bits, keeping the data offset and reserved bits.
    pub fn set_flags(&mut self, flags: TcpFlags) {
        let buf = self.buffer.as_mut();
        let keep = field::get_u16(buf, fields::FLAGS.start) & !TcpFlags::ALL;
        field::set_u16(buf, fields::FLAGS.start, keep | flags.bits());
    }

    /// Sets the window field.
    pub fn set_window_len(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::WIN_SIZE.start, v);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::CHECKSUM.start, v);
    }

    /// Sets the urgent pointer.
    pub fn set_urgent_at(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::URGENT.start, v);
    }

    /// The raw option bytes, mutably (as long as the header length says).
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = self.payload_start();
        field::slice_mut(self.buffer.as_mut(), fields::OPTIONS..end)
    }

    /// The data, mutably.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.payload_start();
        field::rest_mut(self.buffer.as_mut(), start)
    }

    /// Computes the checksum with the pseudo-header of `src` and `dst` over
    /// the whole buffer and writes it.
    pub fn fill_checksum(&mut self, src: &Ipv4Address, dst: &Ipv4Address) {
        self.set_checksum(0);
        let v = checksum::finish(self.sum(src, dst));
        self.set_checksum(v);
    }
}

impl<T: AsRef<[u8]>> fmt::Display for TcpPacket<T> {
    /// The header as microps's `tcp_dump` prints it.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let buf = self.buffer.as_ref();
        let off = field::get_u8(buf, fields::DATA_OFF);
        let flg = field::get_u8(buf, fields::FLAGS_LOW);
        writeln!(f, "        src: {}", self.src_port())?;
        writeln!(f, "        dst: {}", self.dst_port())?;
        writeln!(f, "        seq: {}", self.seq_number())?;
        writeln!(f, "        ack: {}", self.ack_number())?;
        writeln!(f, "        off: 0x{off:02x} ({})", self.header_len())?;
        writeln!(
            f,
            "        flg: 0x{flg:02x} ({})",
            TcpFlags::from_bits_truncate(u16::from(flg))
        )?;
        writeln!(f, "        wnd: {}", self.window_len())?;
        writeln!(f, "        sum: 0x{:04x}", self.checksum())?;
        write!(f, "         up: {}", self.urgent_at())
    }
}

mod kind {
    pub const END: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
    pub const WS: u8 = 3;
    pub const SACK_PERMITTED: u8 = 4;
    pub const SACK: u8 = 5;
    pub const TIMESTAMPS: u8 = 8;
}

/// The most SACK blocks one option can carry (2 + 8 * 4 = 34 bytes).
pub const MAX_SACK_BLOCKS: usize = 4;

/// One TCP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TcpOption<'a> {
    /// Kind 0: the end of the option list; what follows is padding.
    EndOfList,
    /// Kind 1: padding between options.
    NoOperation,
    /// Kind 2: the maximum segment size the sender can receive (SYN only).
    MaxSegmentSize(u16),
    /// Kind 3: the window scale shift count (SYN only; RFC 7323 section 2.3:
    /// a shift above 14 is used as 14, which is the TCP layer's job).
    WindowScale(u8),
    /// Kind 4: the sender can receive SACK options (SYN only).
    SackPermitted,
    /// Kind 5: the left and right edges of up to four received blocks, in
    /// order, `None` after the last.
    SackRange([Option<(u32, u32)>; MAX_SACK_BLOCKS]),
    /// Kind 8: timestamps (RFC 7323 section 3).
    Timestamps {
        /// The sender's timestamp clock.
        tsval: u32,
        /// The echoed timestamp (meaningful with ACK).
        tsecr: u32,
    },
    /// Any other kind, with its data (the bytes after kind and length).
    Unknown {
        /// The kind byte.
        kind: u8,
        /// The option data.
        data: &'a [u8],
    },
}

impl<'a> TcpOption<'a> {
    /// Parses the option at the start of `buffer` and returns the bytes after
    /// it with the option.
    ///
    /// An empty buffer is [`Error::Truncated`]. A length byte missing or
    /// below 2, a length running past the buffer, or a wrong length for a
    /// known kind (MSS 4, window scale 3, SACK-permitted 2, timestamps 10,
    /// SACK 2 + 8n with n from 1 to 4) is [`Error::Malformed`].
    pub fn parse(buffer: &'a [u8]) -> Result<(&'a [u8], TcpOption<'a>)> {
        let (&k, after_kind) = buffer.split_first().ok_or(Error::Truncated)?;
        match k {
            kind::END => return Ok((after_kind, TcpOption::EndOfList)),
            kind::NOP => return Ok((after_kind, TcpOption::NoOperation)),
            _ => {}
        }
        let len = usize::from(*after_kind.first().ok_or(Error::Malformed)?);
        if len < 2 || len > buffer.len() {
            return Err(Error::Malformed);
        }
        let data = field::slice(buffer, 2..len);
        let rest = field::rest(buffer, len);
        let option = match (k, len) {
            (kind::MSS, 4) => TcpOption::MaxSegmentSize(field::get_u16(data, 0)),
            (kind::WS, 3) => TcpOption::WindowScale(field::get_u8(data, 0)),
            (kind::SACK_PERMITTED, 2) => TcpOption::SackPermitted,
            (kind::TIMESTAMPS, 10) => TcpOption::Timestamps {
                tsval: field::get_u32(data, 0),
                tsecr: field::get_u32(data, 4),
            },
            (kind::SACK, 10 | 18 | 26 | 34) => {
                let mut blocks = [None; MAX_SACK_BLOCKS];
                for (slot, edges) in blocks.iter_mut().zip(data.chunks_exact(8)) {
                    *slot = Some((field::get_u32(edges, 0), field::get_u32(edges, 4)));
                }
                TcpOption::SackRange(blocks)
            }
            (kind::MSS | kind::WS | kind::SACK_PERMITTED | kind::TIMESTAMPS | kind::SACK, _) => {
                return Err(Error::Malformed);
            }
            (kind, _) => TcpOption::Unknown { kind, data },
        };
        Ok((rest, option))
    }

    /// The number of SACK blocks of a [`TcpOption::SackRange`] (the leading
    /// `Some`s).
    fn sack_count(blocks: &[Option<(u32, u32)>; MAX_SACK_BLOCKS]) -> usize {
        blocks.iter().take_while(|b| b.is_some()).count()
    }

    /// The bytes the option takes.
    pub fn buffer_len(&self) -> usize {
        match self {
            TcpOption::EndOfList | TcpOption::NoOperation => 1,
            TcpOption::MaxSegmentSize(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::SackRange(blocks) => {
                Self::sack_count(blocks).saturating_mul(8).saturating_add(2)
            }
            TcpOption::Timestamps { .. } => 10,
            TcpOption::Unknown { data, .. } => data.len().saturating_add(2),
        }
    }

    /// Writes the option at the start of `buffer` and returns the bytes
    /// after it. `buffer` must hold [`TcpOption::buffer_len`] bytes (what
    /// does not fit is not written); the data of an unknown option is cut to
    /// 253 bytes, what its length byte can say.
    pub fn emit<'b>(&self, buffer: &'b mut [u8]) -> &'b mut [u8] {
        let mut w = Writer::new(buffer);
        match *self {
            TcpOption::EndOfList => w.u8(kind::END),
            TcpOption::NoOperation => w.u8(kind::NOP),
            TcpOption::MaxSegmentSize(mss) => {
                w.u8(kind::MSS);
                w.u8(4);
                w.u16(mss);
            }
            TcpOption::WindowScale(shift) => {
                w.u8(kind::WS);
                w.u8(3);
                w.u8(shift);
            }
            TcpOption::SackPermitted => {
                w.u8(kind::SACK_PERMITTED);
                w.u8(2);
            }
            TcpOption::SackRange(blocks) => {
                let n = Self::sack_count(&blocks);
                w.u8(kind::SACK);
                w.u8(u8::try_from(n.saturating_mul(8).saturating_add(2)).unwrap_or(2));
                for (left, right) in blocks.iter().map_while(|b| *b) {
                    w.u32(left);
                    w.u32(right);
                }
            }
            TcpOption::Timestamps { tsval, tsecr } => {
                w.u8(kind::TIMESTAMPS);
                w.u8(10);
                w.u32(tsval);
                w.u32(tsecr);
            }
            TcpOption::Unknown { kind, data } => {
                let data = data.get(..253).unwrap_or(data);
                w.u8(kind);
                w.u8(u8::try_from(data.len().saturating_add(2)).unwrap_or(u8::MAX));
                w.bytes(data);
            }
        }
        w.into_rest()
    }
}

/// A panic-free forward writer over a buffer.
struct Writer<'b> {
    buf: &'b mut [u8],
    at: usize,
}

impl<'b> Writer<'b> {
    fn new(buf: &'b mut [u8]) -> Writer<'b> {
        Writer { buf, at: 0 }
    }

    fn u8(&mut self, v: u8) {
        field::set_u8(self.buf, self.at, v);
        self.at = self.at.saturating_add(1);
    }

    fn u16(&mut self, v: u16) {
        field::set_u16(self.buf, self.at, v);
        self.at = self.at.saturating_add(2);
    }

    fn u32(&mut self, v: u32) {
        field::set_u32(self.buf, self.at, v);
        self.at = self.at.saturating_add(4);
    }

    fn bytes(&mut self, v: &[u8]) {
        field::set_bytes(self.buf, self.at, v);
        self.at = self.at.saturating_add(v.len());
    }

    fn into_rest(self) -> &'b mut [u8] {
        field::rest_mut(self.buf, self.at)
    }
}

/// The options the stack understands, gathered from (or to be written into)
/// one header.
///
/// Emitted in the order and padding Linux uses, so that every option but the
/// SACK blocks lands on a 32-bit boundary:
///
/// ```text
/// MSS:                 kind 2, len 4, mss
/// SACK-perm + TS:      kind 4, len 2, kind 8, len 10, TSval, TSecr
/// TS alone:            NOP, NOP, kind 8, len 10, TSval, TSecr
/// SACK-perm alone:     NOP, NOP, kind 4, len 2
/// window scale:        NOP, kind 3, len 3, shift
/// SACK blocks:         NOP, NOP, kind 5, len 2+8n, edges...
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TcpOptions {
    /// The maximum segment size (SYN).
    pub mss: Option<u16>,
    /// The window scale shift count (SYN), as received (not clamped to 14).
    pub window_scale: Option<u8>,
    /// SACK-permitted (SYN).
    pub sack_permitted: bool,
    /// SACK blocks (left edge, right edge), in order; `None` after the last.
    /// On emit, only as many as fit in 40 option bytes are written.
    pub sack_blocks: [Option<(SeqNumber, SeqNumber)>; MAX_SACK_BLOCKS],
    /// Timestamps (TSval, TSecr).
    pub timestamps: Option<(u32, u32)>,
}

impl TcpOptions {
    /// No options.
    pub const fn new() -> TcpOptions {
        TcpOptions {
            mss: None,
            window_scale: None,
            sack_permitted: false,
            sack_blocks: [None; MAX_SACK_BLOCKS],
            timestamps: None,
        }
    }

    /// Parses raw option bytes (a header's [`TcpPacket::options`]).
    ///
    /// Parsing stops at end of list; unknown kinds are skipped by their
    /// length; a malformed option fails the whole list with
    /// [`Error::Malformed`] (see [`TcpOption::parse`]). When a kind repeats,
    /// the last one counts.
    pub fn parse(raw: &[u8]) -> Result<TcpOptions> {
        let mut opts = TcpOptions::new();
        let mut rest = raw;
        while !rest.is_empty() {
            let (next, option) = TcpOption::parse(rest)?;
            match option {
                TcpOption::EndOfList => break,
                TcpOption::NoOperation | TcpOption::Unknown { .. } => {}
                TcpOption::MaxSegmentSize(mss) => opts.mss = Some(mss),
                TcpOption::WindowScale(shift) => opts.window_scale = Some(shift),
                TcpOption::SackPermitted => opts.sack_permitted = true,
                TcpOption::SackRange(blocks) => {
                    for (slot, block) in opts.sack_blocks.iter_mut().zip(blocks) {
                        *slot = block.map(|(l, r)| (SeqNumber(l), SeqNumber(r)));
                    }
                }
                TcpOption::Timestamps { tsval, tsecr } => opts.timestamps = Some((tsval, tsecr)),
            }
            rest = next;
        }
        Ok(opts)
    }

    /// Whether there is nothing to emit.
    pub fn is_empty(&self) -> bool {
        self.buffer_len() == 0
    }

    /// The SACK blocks (the leading `Some`s of `sack_blocks`).
    pub fn sack_iter(&self) -> impl Iterator<Item = (SeqNumber, SeqNumber)> + '_ {
        self.sack_blocks.iter().map_while(|b| *b)
    }

    /// The option bytes without SACK blocks.
    fn base_len(&self) -> usize {
        let mut len = 0usize;
        if self.mss.is_some() {
            len = len.saturating_add(4);
        }
        if self.timestamps.is_some() {
            len = len.saturating_add(12);
        } else if self.sack_permitted {
            len = len.saturating_add(4);
        }
        if self.window_scale.is_some() {
            len = len.saturating_add(4);
        }
        len
    }

    /// How many SACK blocks are emitted: those given, as far as they fit in
    /// the 40 option bytes after the other options.
    pub fn sack_blocks_emitted(&self) -> usize {
        let room = MAX_OPTIONS_LEN.saturating_sub(self.base_len());
        // NOP, NOP, kind, length, then 8 bytes a block.
        let fit = room.saturating_sub(4) >> 3;
        self.sack_iter().count().min(fit)
    }

    /// The bytes `emit` writes: a multiple of four, at most 40.
    pub fn buffer_len(&self) -> usize {
        let n = self.sack_blocks_emitted();
        let sack = if n == 0 {
            0
        } else {
            n.saturating_mul(8).saturating_add(4)
        };
        self.base_len().saturating_add(sack)
    }

    /// Writes the options into `buffer` (which must hold
    /// [`TcpOptions::buffer_len`] bytes; what does not fit is not written)
    /// and returns the number of bytes written.
    pub fn emit(&self, buffer: &mut [u8]) -> usize {
        let len = self.buffer_len();
        let mut rest = buffer;
        if let Some(mss) = self.mss {
            rest = TcpOption::MaxSegmentSize(mss).emit(rest);
        }
        if let Some((tsval, tsecr)) = self.timestamps {
            if self.sack_permitted {
                rest = TcpOption::SackPermitted.emit(rest);
            } else {
                rest = TcpOption::NoOperation.emit(rest);
                rest = TcpOption::NoOperation.emit(rest);
            }
            rest = TcpOption::Timestamps { tsval, tsecr }.emit(rest);
        } else if self.sack_permitted {
            rest = TcpOption::NoOperation.emit(rest);
            rest = TcpOption::NoOperation.emit(rest);
            rest = TcpOption::SackPermitted.emit(rest);
        }
        if let Some(shift) = self.window_scale {
            rest = TcpOption::NoOperation.emit(rest);
            rest = TcpOption::WindowScale(shift).emit(rest);
        }
        let n = self.sack_blocks_emitted();
        if n > 0 {
            let mut blocks = [None; MAX_SACK_BLOCKS];
            for (slot, (l, r)) in blocks.iter_mut().zip(self.sack_iter().take(n)) {
                *slot = Some((l.0, r.0));
            }
            rest = TcpOption::NoOperation.emit(rest);
            rest = TcpOption::NoOperation.emit(rest);
            TcpOption::SackRange(blocks).emit(rest);
        }
        len
    }
}

impl fmt::Display for TcpOptions {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let mut sep = "";
        if let Some(mss) = self.mss {
            write!(f, "mss={mss}")?;
            sep = " ";
        }
        if self.sack_permitted {
            write!(f, "{sep}sackOK")?;
            sep = " ";
        }
        if let Some((tsval, tsecr)) = self.timestamps {
            write!(f, "{sep}ts={tsval}/{tsecr}")?;
            sep = " ";
        }
        if let Some(shift) = self.window_scale {
            write!(f, "{sep}wscale={shift}")?;
            sep = " ";
        }
        for (l, r) in self.sack_iter() {
            write!(f, "{sep}sack={l}-{r}")?;
            sep = " ";
        }
        Ok(())
    }
}

/// A parsed TCP segment: header fields, understood options and the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TcpRepr<'a> {
    /// The source port.
    pub src_port: u16,
    /// The destination port.
    pub dst_port: u16,
    /// The sequence number.
    pub seq_number: SeqNumber,
    /// The acknowledgment number (written as given; meaningful with ACK).
    pub ack_number: SeqNumber,
    /// All nine control bits, as sent.
    pub flags: TcpFlags,
    /// The window field (unscaled).
    pub window_len: u16,
    /// The urgent pointer (meaningful with URG).
    pub urgent_pointer: u16,
    /// The options.
    pub options: TcpOptions,
    /// The data.
    pub payload: &'a [u8],
}

impl<'a> TcpRepr<'a> {
    /// Parses a checked segment that travelled from `src` to `dst`.
    ///
    /// A port of zero is [`Error::Malformed`]; the checksum is verified if
    /// `caps.tcp` says the stack verifies it; malformed options fail the
    /// parse (see [`TcpOptions::parse`]).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &TcpPacket<&'a T>,
        src: &Ipv4Address,
        dst: &Ipv4Address,
        caps: &ChecksumCapabilities,
    ) -> Result<TcpRepr<'a>> {
        packet.check_len()?;
        if packet.src_port() == 0 || packet.dst_port() == 0 {
            return Err(Error::Malformed);
        }
        if caps.tcp.rx() && !packet.verify_checksum(src, dst) {
            return Err(Error::Checksum);
        }
        let options = TcpOptions::parse(packet.options())?;
        let payload: &'a [u8] = field::rest(packet.buffer.as_ref(), packet.payload_start());
        Ok(TcpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq_number: packet.seq_number(),
            ack_number: packet.ack_number(),
            flags: packet.flags(),
            window_len: packet.window_len(),
            urgent_pointer: packet.urgent_at(),
            options,
            payload,
        })
    }

    /// The header length `emit` writes: 20 plus the options.
    pub fn header_len(&self) -> usize {
        HEADER_LEN.saturating_add(self.options.buffer_len())
    }

    /// The bytes `emit` needs: header and data.
    pub fn buffer_len(&self) -> usize {
        self.header_len().saturating_add(self.payload.len())
    }

    /// The sequence space the segment occupies: data, plus SYN and FIN.
    pub fn segment_len(&self) -> usize {
        self.payload
            .len()
            .saturating_add(usize::from(self.is_syn()))
            .saturating_add(usize::from(self.is_fin()))
    }

    /// The SYN bit is set.
    pub const fn is_syn(&self) -> bool {
        self.flags.contains(TcpFlags::SYN)
    }

    /// The FIN bit is set.
    pub const fn is_fin(&self) -> bool {
        self.flags.contains(TcpFlags::FIN)
    }

    /// The RST bit is set.
    pub const fn is_rst(&self) -> bool {
        self.flags.contains(TcpFlags::RST)
    }

    /// The ACK bit is set (the segment may carry data or other flags too).
    pub const fn is_ack(&self) -> bool {
        self.flags.contains(TcpFlags::ACK)
    }

    /// The PSH bit is set.
    pub const fn is_psh(&self) -> bool {
        self.flags.contains(TcpFlags::PSH)
    }

    /// The URG bit is set.
    pub const fn is_urg(&self) -> bool {
        self.flags.contains(TcpFlags::URG)
    }

    /// Writes the segment into `packet`, which must be exactly
    /// [`TcpRepr::buffer_len`] bytes long (the checksum covers the whole
    /// buffer): header, options, a copy of the data, then the checksum if
    /// `caps.tcp` says the stack computes it (zero otherwise).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut TcpPacket<T>,
        src: &Ipv4Address,
        dst: &Ipv4Address,
        caps: &ChecksumCapabilities,
    ) {
        self.emit_header(packet);
        let out = packet.payload_mut();
        let n = out.len().min(self.payload.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), self.payload.get(..n)) {
            dst.copy_from_slice(src);
        }
        if caps.tcp.tx() {
            packet.fill_checksum(src, dst);
        }
    }

    /// Writes the header and options only, the checksum field zero, into a
    /// packet at least [`TcpRepr::header_len`] bytes long, and returns that
    /// length: for a sender that places the data itself (from a ring
    /// buffer's pieces) and sums the segment once it is in the frame
    /// ([`CHECKSUM_OFFSET`] says where the sum goes).
    ///
    /// ```
    /// use microps_core::wire::{SeqNumber, TcpFlags, TcpOptions, TcpPacket, TcpRepr};
    /// let repr = TcpRepr {
    ///     src_port: 7, dst_port: 9, seq_number: SeqNumber(1), ack_number: SeqNumber(2),
    ///     flags: TcpFlags::ACK, window_len: 512, urgent_pointer: 0,
    ///     options: TcpOptions::new(), payload: &[],
    /// };
    /// let mut header = [0xffu8; 20];
    /// assert_eq!(repr.emit_header(&mut TcpPacket::new_unchecked(&mut header[..])), 20);
    /// let p = TcpPacket::new_checked(&header[..]).unwrap();
    /// assert_eq!((p.header_len(), p.ack_number(), p.checksum()), (20, SeqNumber(2), 0));
    /// ```
    pub fn emit_header<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut TcpPacket<T>) -> usize {
        let header_len = self.header_len();
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_seq_number(self.seq_number);
        packet.set_ack_number(self.ack_number);
        // Clear the reserved bits before the offset and the flags go in.
        field::set_u16(packet.buffer.as_mut(), fields::FLAGS.start, 0);
        packet.set_header_len(header_len);
        packet.set_flags(self.flags);
        packet.set_window_len(self.window_len);
        packet.set_checksum(0);
        packet.set_urgent_at(self.urgent_pointer);
        self.options.emit(packet.options_mut());
        header_len
    }
}

impl fmt::Display for TcpRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "TCP src={} dst={} seq={} ack={} flg={} wnd={} len={}",
            self.src_port,
            self.dst_port,
            self.seq_number,
            self.ack_number,
            self.flags,
            self.window_len,
            self.payload.len()
        )?;
        if self.urgent_pointer != 0 {
            write!(f, " up={}", self.urgent_pointer)?;
        }
        if !self.options.is_empty() {
            write!(f, " {}", self.options)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Checksum;
    use alloc::{format, string::ToString, vec::Vec};

    const HOST_A: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
    const HOST_B: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

    // A connection captured with tcpdump on a Linux veth pair:
    // `printf 'hello tcp\n' | nc -N -p 40000 192.0.2.2 7` from 192.0.2.1 to
    // `nc -l -p 7` on 192.0.2.2. Whole IP datagrams, in order.

    /// A -> B SYN: MSS 1460, SACK-permitted, TS, NOP, window scale 10.
    const SYN: [u8; 60] = [
        0x45, 0x00, 0x00, 0x3c, 0x8d, 0xc8, 0x40, 0x00, 0x40, 0x06, 0x28, 0xf0, //
        0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x9c, 0x40, 0x00, 0x07, //
        0x5b, 0x2c, 0x9e, 0x46, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, //
        0x6d, 0xb1, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, //
        0x78, 0x84, 0x4d, 0x18, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a, //
    ];
    /// B -> A SYN-ACK.
    const SYN_ACK: [u8; 60] = [
        0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0xb6, 0xb8, //
        0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x07, 0x9c, 0x40, //
        0x49, 0x64, 0xd1, 0x83, 0x5b, 0x2c, 0x9e, 0x47, 0xa0, 0x12, 0xfe, 0x88, //
        0x05, 0x39, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, //
        0xb9, 0x3b, 0x90, 0xab, 0x78, 0x84, 0x4d, 0x18, 0x01, 0x03, 0x03, 0x0a, //
    ];
    /// A -> B ACK completing the handshake: NOP, NOP, TS.
    const ACK: [u8; 52] = [
        0x45, 0x00, 0x00, 0x34, 0x8d, 0xc9, 0x40, 0x00, 0x40, 0x06, 0x28, 0xf7, //
        0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x9c, 0x40, 0x00, 0x07, //
        0x5b, 0x2c, 0x9e, 0x47, 0x49, 0x64, 0xd1, 0x84, 0x80, 0x10, 0x00, 0x3f, //
        0x32, 0x52, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x78, 0x84, 0x4d, 0x18, //
        0xb9, 0x3b, 0x90, 0xab, //
    ];
    /// A -> B PSH|ACK with "hello tcp\n".
    const DATA: [u8; 62] = [
        0x45, 0x00, 0x00, 0x3e, 0x8d, 0xca, 0x40, 0x00, 0x40, 0x06, 0x28, 0xec, //
        0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x9c, 0x40, 0x00, 0x07, //
        0x5b, 0x2c, 0x9e, 0x47, 0x49, 0x64, 0xd1, 0x84, 0x80, 0x18, 0x00, 0x3f, //
        0x09, 0xe0, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x78, 0x84, 0x4d, 0x18, //
        0xb9, 0x3b, 0x90, 0xab, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x74, 0x63, //
        0x70, 0x0a, //
    ];
    /// B -> A ACK of the data.
    const DATA_ACK: [u8; 52] = [
        0x45, 0x00, 0x00, 0x34, 0x44, 0x27, 0x40, 0x00, 0x40, 0x06, 0x72, 0x99, //
        0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x07, 0x9c, 0x40, //
        0x49, 0x64, 0xd1, 0x84, 0x5b, 0x2c, 0x9e, 0x51, 0x80, 0x10, 0x00, 0x40, //
        0x32, 0x47, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xb9, 0x3b, 0x90, 0xab, //
        0x78, 0x84, 0x4d, 0x18, //
    ];
    /// A -> B FIN|ACK.
    const FIN: [u8; 52] = [
        0x45, 0x00, 0x00, 0x34, 0x8d, 0xcb, 0x40, 0x00, 0x40, 0x06, 0x28, 0xf5, //
        0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x9c, 0x40, 0x00, 0x07, //
        0x5b, 0x2c, 0x9e, 0x51, 0x49, 0x64, 0xd1, 0x84, 0x80, 0x11, 0x00, 0x3f, //
        0x32, 0x47, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x78, 0x84, 0x4d, 0x18, //
        0xb9, 0x3b, 0x90, 0xab, //
    ];
    /// B -> A FIN|ACK.
    const FIN_ACK: [u8; 52] = [
        0x45, 0x00, 0x00, 0x34, 0x44, 0x28, 0x40, 0x00, 0x40, 0x06, 0x72, 0x98, //
        0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x07, 0x9c, 0x40, //
        0x49, 0x64, 0xd1, 0x84, 0x5b, 0x2c, 0x9e, 0x52, 0x80, 0x11, 0x00, 0x40, //
        0x32, 0x45, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xb9, 0x3b, 0x90, 0xab, //
        0x78, 0x84, 0x4d, 0x18, //
    ];
    /// A -> B last ACK.
    const LAST_ACK: [u8; 52] = [
        0x45, 0x00, 0x00, 0x34, 0x8d, 0xcc, 0x40, 0x00, 0x40, 0x06, 0x28, 0xf4, //
        0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x9c, 0x40, 0x00, 0x07, //
        0x5b, 0x2c, 0x9e, 0x52, 0x49, 0x64, 0xd1, 0x85, 0x80, 0x10, 0x00, 0x3f, //
        0x32, 0x46, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x78, 0x84, 0x4d, 0x18, //
        0xb9, 0x3b, 0x90, 0xab, //
    ];

    const ISS_A: u32 = 0x5b2c_9e46; // 1529650758
    const ISS_B: u32 = 0x4964_d183; // 1231344003
    const TS_A: u32 = 0x7884_4d18; // 2021936408
    const TS_B: u32 = 0xb93b_90ab; // 3107688619

    /// Every captured segment with its source and destination address.
    fn captured() -> [(&'static [u8], Ipv4Address, Ipv4Address); 8] {
        [
            (&SYN[..], HOST_A, HOST_B),
            (&SYN_ACK, HOST_B, HOST_A),
            (&ACK, HOST_A, HOST_B),
            (&DATA, HOST_A, HOST_B),
            (&DATA_ACK, HOST_B, HOST_A),
            (&FIN, HOST_A, HOST_B),
            (&FIN_ACK, HOST_B, HOST_A),
            (&LAST_ACK, HOST_A, HOST_B),
        ]
    }

    /// The TCP segment inside a captured datagram, after checking the IP
    /// addresses are the ones the checksum is verified with.
    fn tcp(dgram: &[u8], src: Ipv4Address, dst: Ipv4Address) -> &[u8] {
        assert_eq!(dgram[0], 0x45);
        assert_eq!(dgram[9], 6, "protocol TCP");
        assert_eq!(&dgram[12..16], &src.octets());
        assert_eq!(&dgram[16..20], &dst.octets());
        &dgram[20..]
    }

    fn parse_all(seg: &[u8], src: Ipv4Address, dst: Ipv4Address) -> TcpRepr<'_> {
        let packet = TcpPacket::new_checked(seg).unwrap();
        assert!(packet.verify_checksum(&src, &dst));
        TcpRepr::parse(&packet, &src, &dst, &ChecksumCapabilities::all()).unwrap()
    }

    #[test]
    fn captured_syn_field_by_field() {
        let seg = tcp(&SYN, HOST_A, HOST_B);
        let packet = TcpPacket::new_checked(seg).unwrap();
        assert_eq!(packet.src_port(), 40000);
        assert_eq!(packet.dst_port(), 7);
        assert_eq!(packet.seq_number(), SeqNumber(ISS_A));
        assert_eq!(packet.seq_number(), SeqNumber(1_529_650_758));
        assert_eq!(packet.ack_number(), SeqNumber(0));
        assert_eq!(packet.header_len(), 40);
        assert_eq!(packet.flags(), TcpFlags::SYN);
        assert_eq!(packet.window_len(), 64240);
        assert_eq!(packet.checksum(), 0x6db1);
        assert_eq!(packet.urgent_at(), 0);
        assert_eq!(packet.options(), &seg[20..40]);
        assert_eq!(packet.payload(), b"");
        assert_eq!(packet.segment_len(), 1);
        assert!(packet.verify_checksum(&HOST_A, &HOST_B));
        assert!(!packet.verify_checksum(&HOST_A, &Ipv4Address::new(192, 0, 2, 3)));

        // The options one by one, in Linux's order.
        let mut rest = packet.options();
        let mut seen = Vec::new();
        while !rest.is_empty() {
            let (next, option) = TcpOption::parse(rest).unwrap();
            assert_eq!(rest.len() - next.len(), option.buffer_len());
            seen.push(option);
            rest = next;
        }
        assert_eq!(
            seen,
            [
                TcpOption::MaxSegmentSize(1460),
                TcpOption::SackPermitted,
                TcpOption::Timestamps {
                    tsval: TS_A,
                    tsecr: 0
                },
                TcpOption::NoOperation,
                TcpOption::WindowScale(10),
            ]
        );

        let repr = TcpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::all()).unwrap();
        assert_eq!(
            repr,
            TcpRepr {
                src_port: 40000,
                dst_port: 7,
                seq_number: SeqNumber(ISS_A),
                ack_number: SeqNumber(0),
                flags: TcpFlags::SYN,
                window_len: 64240,
                urgent_pointer: 0,
                options: TcpOptions {
                    mss: Some(1460),
                    window_scale: Some(10),
                    sack_permitted: true,
                    sack_blocks: [None; 4],
                    timestamps: Some((TS_A, 0)),
                },
                payload: b"",
            }
        );
        assert!(repr.is_syn() && !repr.is_ack() && !repr.is_fin() && !repr.is_rst());
        assert_eq!(repr.segment_len(), 1);
        assert_eq!(repr.header_len(), 40);
        assert_eq!(repr.buffer_len(), 40);
    }

    #[test]
    fn captured_syn_ack_field_by_field() {
        let repr = parse_all(tcp(&SYN_ACK, HOST_B, HOST_A), HOST_B, HOST_A);
        assert_eq!(repr.src_port, 7);
        assert_eq!(repr.dst_port, 40000);
        assert_eq!(repr.seq_number, SeqNumber(ISS_B));
        assert_eq!(repr.ack_number, SeqNumber(ISS_A) + 1);
        assert_eq!(repr.flags, TcpFlags::SYN | TcpFlags::ACK);
        assert!(repr.is_syn() && repr.is_ack());
        assert_eq!(repr.window_len, 65160);
        assert_eq!(repr.urgent_pointer, 0);
        assert_eq!(repr.options.mss, Some(1460));
        assert!(repr.options.sack_permitted);
        assert_eq!(repr.options.timestamps, Some((TS_B, TS_A)));
        assert_eq!(repr.options.window_scale, Some(10));
        assert_eq!(repr.options.sack_iter().count(), 0);
        assert_eq!(repr.payload, b"");
        assert_eq!(repr.segment_len(), 1);
        let packet = TcpPacket::new_checked(tcp(&SYN_ACK, HOST_B, HOST_A)).unwrap();
        assert_eq!(packet.checksum(), 0x0539);
        assert_eq!(packet.header_len(), 40);
    }

    #[test]
    fn captured_data_and_fin_field_by_field() {
        let seg = tcp(&DATA, HOST_A, HOST_B);
        let packet = TcpPacket::new_checked(seg).unwrap();
        assert_eq!(packet.src_port(), 40000);
        assert_eq!(packet.dst_port(), 7);
        assert_eq!(packet.seq_number(), SeqNumber(ISS_A) + 1);
        assert_eq!(packet.ack_number(), SeqNumber(ISS_B) + 1);
        assert_eq!(packet.header_len(), 32);
        assert_eq!(packet.flags(), TcpFlags::PSH | TcpFlags::ACK);
        assert_eq!(packet.window_len(), 63);
        assert_eq!(packet.checksum(), 0x09e0);
        assert_eq!(packet.urgent_at(), 0);
        assert_eq!(
            packet.options(),
            &[1, 1, 8, 10, 0x78, 0x84, 0x4d, 0x18, 0xb9, 0x3b, 0x90, 0xab]
        );
        assert_eq!(packet.payload(), b"hello tcp\n");
        assert_eq!(packet.segment_len(), 10);
        let repr = parse_all(seg, HOST_A, HOST_B);
        assert!(repr.is_psh() && repr.is_ack() && !repr.is_syn());
        assert_eq!(repr.payload, b"hello tcp\n");
        assert_eq!(
            repr.options,
            TcpOptions {
                timestamps: Some((TS_A, TS_B)),
                ..TcpOptions::new()
            }
        );

        let ack = parse_all(tcp(&DATA_ACK, HOST_B, HOST_A), HOST_B, HOST_A);
        assert_eq!(ack.flags, TcpFlags::ACK);
        assert_eq!(ack.seq_number, SeqNumber(ISS_B) + 1);
        assert_eq!(ack.ack_number, SeqNumber(ISS_A) + 11);
        assert_eq!(ack.window_len, 64);
        assert_eq!(ack.options.timestamps, Some((TS_B, TS_A)));
        assert_eq!(ack.segment_len(), 0);

        let fin = parse_all(tcp(&FIN, HOST_A, HOST_B), HOST_A, HOST_B);
        assert_eq!(fin.flags, TcpFlags::FIN | TcpFlags::ACK);
        assert!(fin.is_fin() && fin.is_ack());
        assert_eq!(fin.seq_number, SeqNumber(ISS_A) + 11);
        assert_eq!(fin.ack_number, SeqNumber(ISS_B) + 1);
        assert_eq!(fin.payload, b"");
        assert_eq!(fin.segment_len(), 1);
        assert_eq!(
            TcpPacket::new_checked(tcp(&FIN, HOST_A, HOST_B))
                .unwrap()
                .segment_len(),
            1
        );

        let fin_ack = parse_all(tcp(&FIN_ACK, HOST_B, HOST_A), HOST_B, HOST_A);
        assert_eq!(fin_ack.flags, TcpFlags::FIN | TcpFlags::ACK);
        assert_eq!(fin_ack.seq_number, SeqNumber(ISS_B) + 1);
        assert_eq!(fin_ack.ack_number, SeqNumber(ISS_A) + 12);

        let last = parse_all(tcp(&LAST_ACK, HOST_A, HOST_B), HOST_A, HOST_B);
        assert_eq!(last.flags, TcpFlags::ACK);
        assert_eq!(last.seq_number, SeqNumber(ISS_A) + 12);
        assert_eq!(last.ack_number, SeqNumber(ISS_B) + 2);

        let hs_ack = parse_all(tcp(&ACK, HOST_A, HOST_B), HOST_A, HOST_B);
        assert_eq!(hs_ack.flags, TcpFlags::ACK);
        assert_eq!(hs_ack.seq_number, SeqNumber(ISS_A) + 1);
        assert_eq!(hs_ack.ack_number, SeqNumber(ISS_B) + 1);
    }

    /// Parsing any captured segment and emitting it again gives Linux's bytes:
    /// the options come out in Linux's order and padding.
    #[test]
    fn captured_segments_re_emit_byte_for_byte() {
        for (dgram, src, dst) in captured() {
            let seg = tcp(dgram, src, dst);
            let repr = parse_all(seg, src, dst);
            assert_eq!(repr.buffer_len(), seg.len());
            let mut buf = [0xa5u8; 64];
            let buf = &mut buf[..repr.buffer_len()];
            repr.emit(
                &mut TcpPacket::new_unchecked(&mut buf[..]),
                &src,
                &dst,
                &ChecksumCapabilities::all(),
            );
            assert_eq!(&buf[..], seg);
        }
    }

    fn round_trip(repr: &TcpRepr) {
        let mut storage = [0x77u8; 128];
        let buf = &mut storage[..repr.buffer_len()];
        repr.emit(
            &mut TcpPacket::new_unchecked(&mut buf[..]),
            &HOST_A,
            &HOST_B,
            &ChecksumCapabilities::all(),
        );
        let packet = TcpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.header_len(), repr.header_len());
        assert_eq!(packet.segment_len(), repr.segment_len());
        let parsed =
            TcpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::all()).unwrap();
        assert_eq!(&parsed, repr);
    }

    #[test]
    fn round_trips_every_option_combination() {
        let blocks = [
            (SeqNumber(1000), SeqNumber(2000)),
            (SeqNumber(3000), SeqNumber(4000)),
            (SeqNumber(u32::MAX - 10), SeqNumber(5)),
            (SeqNumber(7), SeqNumber(8)),
        ];
        let mut count = 0;
        for mss in [None, Some(536), Some(1460), Some(u16::MAX)] {
            for window_scale in [None, Some(0), Some(7), Some(14)] {
                for sack_permitted in [false, true] {
                    for timestamps in [None, Some((0, 0)), Some((TS_A, TS_B))] {
                        for n in 0..=4 {
                            let mut sack_blocks = [None; 4];
                            for (slot, b) in sack_blocks.iter_mut().zip(&blocks[..n]) {
                                *slot = Some(*b);
                            }
                            let options = TcpOptions {
                                mss,
                                window_scale,
                                sack_permitted,
                                sack_blocks,
                                timestamps,
                            };
                            // Independently: the other options' bytes, then
                            // as many blocks as fit in 40 bytes.
                            let base = 4 * usize::from(mss.is_some())
                                + if timestamps.is_some() {
                                    12
                                } else {
                                    4 * usize::from(sack_permitted)
                                }
                                + 4 * usize::from(window_scale.is_some());
                            let mut fit = 0;
                            while fit < n && base + 4 + 8 * (fit + 1) <= 40 {
                                fit += 1;
                            }
                            let expect_len = base + if fit > 0 { 4 + 8 * fit } else { 0 };
                            assert_eq!(options.sack_blocks_emitted(), fit);
                            assert_eq!(options.buffer_len(), expect_len);
                            assert_eq!(expect_len % 4, 0);
                            assert!(expect_len <= MAX_OPTIONS_LEN);

                            let mut raw = [0xeeu8; 40];
                            assert_eq!(options.emit(&mut raw[..expect_len]), expect_len);
                            let mut expected = options;
                            for slot in &mut expected.sack_blocks[fit..] {
                                *slot = None;
                            }
                            assert_eq!(TcpOptions::parse(&raw[..expect_len]).unwrap(), expected);

                            for (flags, payload) in [
                                (TcpFlags::SYN, &b""[..]),
                                (TcpFlags::SYN | TcpFlags::ACK, b""),
                                (TcpFlags::ACK | TcpFlags::PSH, b"data!"),
                                (TcpFlags::SYN | TcpFlags::FIN | TcpFlags::URG, b"x"),
                            ] {
                                round_trip(&TcpRepr {
                                    src_port: 40000,
                                    dst_port: 80,
                                    seq_number: SeqNumber(ISS_A),
                                    ack_number: SeqNumber(ISS_B),
                                    flags,
                                    window_len: 29200,
                                    urgent_pointer: u16::from(flags.contains(TcpFlags::URG)),
                                    options: expected,
                                    payload,
                                });
                            }
                            count += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(count, 4 * 4 * 2 * 3 * 5);
    }

    /// `emit_header` writes byte for byte the header `emit` writes (before
    /// the checksum), with every option and every header field in use, on a
    /// buffer that held garbage.
    #[test]
    fn emit_header_writes_what_emit_writes() {
        let options = TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            sack_blocks: [Some((SeqNumber(10), SeqNumber(20))), None, None, None],
            timestamps: Some((0x0102_0304, 0x0506_0708)),
        };
        let repr = TcpRepr {
            src_port: 0x1234,
            dst_port: 0x5678,
            seq_number: SeqNumber(0x9abc_def0),
            ack_number: SeqNumber(0x1357_9bdf),
            flags: TcpFlags::ACK | TcpFlags::PSH | TcpFlags::URG | TcpFlags::FIN,
            window_len: 0xfedc,
            urgent_pointer: 0x0042,
            options,
            payload: b"data",
        };
        let hl = repr.header_len();
        let mut whole = alloc::vec![0xaau8; repr.buffer_len()];
        repr.emit(
            &mut TcpPacket::new_unchecked(&mut whole[..]),
            &Ipv4Address::new(192, 0, 2, 1),
            &Ipv4Address::new(192, 0, 2, 2),
            &ChecksumCapabilities::ignored(),
        );
        let mut header = [0x55u8; MAX_HEADER_LEN];
        let n = repr.emit_header(&mut TcpPacket::new_unchecked(&mut header[..]));
        assert_eq!(n, hl);
        assert_eq!(&header[..hl], &whole[..hl]);
        let parsed = TcpPacket::new_checked(&header[..hl]).unwrap();
        assert_eq!(parsed.header_len(), hl);
        assert_eq!(parsed.flags(), repr.flags);
        assert_eq!(parsed.urgent_at(), 0x0042);
        assert_eq!(TcpOptions::parse(parsed.options()).unwrap(), options);
    }

    #[test]
    fn sack_blocks_limited_to_option_space() {
        let four = [
            Some((SeqNumber(1), SeqNumber(2))),
            Some((SeqNumber(3), SeqNumber(4))),
            Some((SeqNumber(5), SeqNumber(6))),
            Some((SeqNumber(7), SeqNumber(8))),
        ];
        // Alone: NOP NOP + 2 + 32 = 36 bytes.
        let alone = TcpOptions {
            sack_blocks: four,
            ..TcpOptions::new()
        };
        assert_eq!(alone.buffer_len(), 36);
        let mut raw = [0u8; 40];
        alone.emit(&mut raw);
        assert_eq!(&raw[..4], &[1, 1, 5, 34]);
        // With timestamps (as on every Linux ACK): three blocks, 12 + 28.
        let with_ts = TcpOptions {
            sack_blocks: four,
            timestamps: Some((1, 2)),
            ..TcpOptions::new()
        };
        assert_eq!(with_ts.sack_blocks_emitted(), 3);
        assert_eq!(with_ts.buffer_len(), 40);
        let mut raw = [0u8; 40];
        with_ts.emit(&mut raw);
        assert_eq!(&raw[..4], &[1, 1, 8, 10]);
        assert_eq!(&raw[12..16], &[1, 1, 5, 26]);
        let parsed = TcpOptions::parse(&raw).unwrap();
        assert_eq!(parsed.sack_iter().count(), 3);
        assert_eq!(parsed.sack_blocks[3], None);
        // Everything on a SYN: 20 bytes, room for two blocks.
        let full = TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            sack_blocks: four,
            timestamps: Some((1, 2)),
        };
        assert_eq!(full.sack_blocks_emitted(), 2);
        assert_eq!(full.buffer_len(), 40);
        // Blocks after a gap are not emitted: the list ends at the first None.
        let gap = TcpOptions {
            sack_blocks: [None, Some((SeqNumber(1), SeqNumber(2))), None, None],
            ..TcpOptions::new()
        };
        assert_eq!(gap.buffer_len(), 0);
        assert!(gap.is_empty());
    }

    #[test]
    fn option_layouts_match_linux() {
        let mut raw = [0u8; 40];
        let syn = TcpOptions {
            mss: Some(1460),
            window_scale: Some(10),
            sack_permitted: true,
            sack_blocks: [None; 4],
            timestamps: Some((TS_A, 0)),
        };
        assert_eq!(syn.emit(&mut raw), 20);
        assert_eq!(&raw[..20], &tcp(&SYN, HOST_A, HOST_B)[20..40]);

        let sack_only = TcpOptions {
            mss: Some(1460),
            sack_permitted: true,
            window_scale: Some(7),
            ..TcpOptions::new()
        };
        assert_eq!(sack_only.emit(&mut raw), 12);
        assert_eq!(&raw[..12], &[2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7]);

        let ws_only = TcpOptions {
            window_scale: Some(14),
            ..TcpOptions::new()
        };
        assert_eq!(ws_only.emit(&mut raw), 4);
        assert_eq!(&raw[..4], &[1, 3, 3, 14]);
        assert_eq!(TcpOptions::new().buffer_len(), 0);
        assert_eq!(TcpOptions::new().emit(&mut raw), 0);
        assert_eq!(TcpOptions::new(), TcpOptions::default());
    }

    #[test]
    fn single_options_parse_and_emit() {
        let sack =
            TcpOption::SackRange([Some((1, 2)), Some((0xffff_ffff, 0x8000_0000)), None, None]);
        for option in [
            TcpOption::EndOfList,
            TcpOption::NoOperation,
            TcpOption::MaxSegmentSize(1460),
            TcpOption::WindowScale(3),
            TcpOption::SackPermitted,
            sack,
            TcpOption::Timestamps {
                tsval: 1,
                tsecr: u32::MAX,
            },
            TcpOption::Unknown {
                kind: 30,
                data: &[1, 2, 3],
            },
            TcpOption::Unknown {
                kind: 99,
                data: &[],
            },
        ] {
            let mut buf = [0u8; 40];
            let len = option.buffer_len();
            let rest_len = option.emit(&mut buf).len();
            assert_eq!(rest_len, 40 - len);
            let (rest, parsed) = TcpOption::parse(&buf[..len + 3]).unwrap();
            assert_eq!(parsed, option);
            assert_eq!(rest.len(), 3);
        }
        assert_eq!(TcpOption::parse(&[]), Err(Error::Truncated));
    }

    #[test]
    fn malformed_options_rejected() {
        for raw in [
            &[2u8][..],                // no length byte
            &[2, 0],                   // length below 2
            &[2, 1, 0, 0],             // length below 2
            &[30, 1],                  // unknown kind, length below 2
            &[2, 4, 5],                // runs past the option space
            &[30, 5, 1, 1],            // unknown kind runs past
            &[2, 3, 5],                // MSS length 3
            &[2, 5, 5, 0xb4, 0],       // MSS length 5
            &[3, 4, 7, 0],             // window scale length 4
            &[3, 2],                   // window scale length 2
            &[4, 3, 0],                // SACK-permitted length 3
            &[8, 8, 0, 0, 0, 0, 0, 0], // timestamps length 8
            &[8, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            &[5, 2],             // SACK without blocks
            &[5, 6, 0, 0, 0, 0], // SACK length not 2 + 8n
            &[5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ] {
            assert_eq!(TcpOption::parse(raw), Err(Error::Malformed), "{raw:?}");
            assert_eq!(TcpOptions::parse(raw), Err(Error::Malformed), "{raw:?}");
        }
        // SACK with five blocks (42 bytes) cannot be valid either.
        let mut five = [0u8; 42];
        five[0] = 5;
        five[1] = 42;
        assert_eq!(TcpOption::parse(&five), Err(Error::Malformed));
        // After valid options, a malformed one still fails the whole list.
        assert_eq!(
            TcpOptions::parse(&[2, 4, 5, 0xb4, 1, 3, 2, 0]),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn unknown_options_skipped_and_eol_ends_parsing() {
        // MSS, an unknown kind 30 with 4 data bytes, NOP, window scale.
        let raw = [2, 4, 0x05, 0xb4, 30, 6, 0xde, 0xad, 0xbe, 0xef, 1, 3, 3, 2];
        let opts = TcpOptions::parse(&raw).unwrap();
        assert_eq!(opts.mss, Some(1460));
        assert_eq!(opts.window_scale, Some(2));
        // An unknown option as the last bytes of the option space.
        let opts = TcpOptions::parse(&[1, 1, 254, 2]).unwrap();
        assert_eq!(opts, TcpOptions::new());
        // EOL: whatever follows is padding, even if it looks malformed.
        let raw = [2, 4, 0x05, 0xb4, 0, 3, 9, 9, 9, 2, 0];
        let opts = TcpOptions::parse(&raw).unwrap();
        assert_eq!(opts.mss, Some(1460));
        assert_eq!(opts.window_scale, None);
        // Zero padding after a 3-byte option.
        let opts = TcpOptions::parse(&[3, 3, 5, 0]).unwrap();
        assert_eq!(opts.window_scale, Some(5));
        // A repeated kind: the last one counts.
        let opts = TcpOptions::parse(&[2, 4, 0, 100, 2, 4, 0, 200]).unwrap();
        assert_eq!(opts.mss, Some(200));
    }

    #[test]
    fn every_truncation_errors_or_parses_consistently() {
        for (dgram, src, dst) in captured() {
            let full = tcp(dgram, src, dst);
            let header_len = TcpPacket::new_checked(full).unwrap().header_len();
            for len in 0..=full.len() {
                let buf = &full[..len];
                let packet = match TcpPacket::new_checked(buf) {
                    Ok(p) => p,
                    Err(e) => {
                        assert!(len < header_len, "len {len}");
                        assert_eq!(e, Error::Truncated);
                        // The unchecked view stays panic-free.
                        let packet = TcpPacket::new_unchecked(buf);
                        let _ = (packet.options(), packet.payload(), packet.segment_len());
                        let _ = packet.verify_checksum(&src, &dst);
                        let _ = format!("{packet}");
                        continue;
                    }
                };
                assert!(len >= header_len);
                let _ = format!("{packet}");
                let checked = TcpRepr::parse(&packet, &src, &dst, &ChecksumCapabilities::all());
                assert_eq!(checked.is_ok(), len == full.len(), "len {len}");
                let repr =
                    TcpRepr::parse(&packet, &src, &dst, &ChecksumCapabilities::ignored()).unwrap();
                assert_eq!(repr.payload, &full[header_len..len]);
                assert_eq!(repr.header_len(), header_len);
                let whole = parse_all(full, src, dst);
                assert_eq!(
                    TcpRepr {
                        payload: whole.payload,
                        ..repr
                    },
                    whole
                );
            }
        }
    }

    #[test]
    fn header_length_checks() {
        let mut seg = [0u8; 40];
        seg.copy_from_slice(tcp(&SYN, HOST_A, HOST_B));
        for off in 0..5u8 {
            seg[12] = off << 4;
            assert_eq!(
                TcpPacket::new_checked(&seg[..]).err(),
                Some(Error::Malformed)
            );
        }
        seg[12] = 11 << 4; // 44 bytes in a 40-byte buffer
        assert_eq!(
            TcpPacket::new_checked(&seg[..]).err(),
            Some(Error::Truncated)
        );
        seg[12] = 15 << 4;
        assert_eq!(
            TcpPacket::new_checked(&seg[..]).err(),
            Some(Error::Truncated)
        );
        seg[12] = 5 << 4; // the options become data
        let packet = TcpPacket::new_checked(&seg[..]).unwrap();
        assert_eq!(packet.options(), b"");
        assert_eq!(packet.payload().len(), 20);
        assert_eq!(
            TcpPacket::new_checked(&seg[..19]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn bad_checksum_rejected_unless_ignored() {
        let mut seg = [0u8; 42];
        seg.copy_from_slice(tcp(&DATA, HOST_A, HOST_B));
        seg[41] ^= 0x40;
        let packet = TcpPacket::new_checked(&seg[..]).unwrap();
        assert!(!packet.verify_checksum(&HOST_A, &HOST_B));
        assert_eq!(
            TcpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::all()),
            Err(Error::Checksum)
        );
        let repr =
            TcpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::ignored()).unwrap();
        assert_eq!(repr.payload, b"hello tcpJ");
        let mut caps = ChecksumCapabilities::all();
        caps.tcp = Checksum::Tx;
        assert!(TcpRepr::parse(&packet, &HOST_A, &HOST_B, &caps).is_ok());
        // Wrong addresses in the pseudo-header fail too.
        let good = TcpPacket::new_checked(tcp(&DATA, HOST_A, HOST_B)).unwrap();
        assert_eq!(
            TcpRepr::parse(
                &good,
                &HOST_A,
                &Ipv4Address::new(192, 0, 2, 9),
                &ChecksumCapabilities::all()
            ),
            Err(Error::Checksum)
        );
    }

    #[test]
    fn zero_ports_are_malformed() {
        for at in [0usize, 2] {
            let mut seg = [0u8; 32];
            seg.copy_from_slice(tcp(&ACK, HOST_A, HOST_B));
            seg[at] = 0;
            seg[at + 1] = 0;
            let packet = TcpPacket::new_checked(&seg[..]).unwrap();
            assert_eq!(
                TcpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::ignored()),
                Err(Error::Malformed)
            );
        }
    }

    #[test]
    fn emit_without_tx_checksum_leaves_zero_and_keeps_flags() {
        let mut caps = ChecksumCapabilities::all();
        caps.tcp = Checksum::Rx;
        let repr = TcpRepr {
            src_port: 1,
            dst_port: 2,
            seq_number: SeqNumber(3),
            ack_number: SeqNumber(4),
            flags: TcpFlags::SYN | TcpFlags::FIN | TcpFlags::NS | TcpFlags::CWR | TcpFlags::ECE,
            window_len: 5,
            urgent_pointer: 6,
            options: TcpOptions::new(),
            payload: b"ab",
        };
        let mut buf = [0xffu8; 22];
        repr.emit(
            &mut TcpPacket::new_unchecked(&mut buf[..]),
            &HOST_A,
            &HOST_B,
            &caps,
        );
        assert_eq!(
            buf,
            [
                0, 1, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0x51, 0xc3, 0, 5, 0, 0, 0, 6, b'a', b'b'
            ]
        );
        let packet = TcpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.flags(), repr.flags);
        assert_eq!(packet.segment_len(), 4);
        let parsed =
            TcpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::ignored()).unwrap();
        assert_eq!(parsed, repr);
    }

    #[test]
    fn setters_keep_neighbouring_bits() {
        let mut buf = [0u8; 20];
        let mut packet = TcpPacket::new_unchecked(&mut buf[..]);
        packet.set_flags(TcpFlags::NS | TcpFlags::ACK);
        packet.set_header_len(24);
        assert_eq!(packet.header_len(), 24);
        assert_eq!(packet.flags(), TcpFlags::NS | TcpFlags::ACK);
        packet.set_flags(TcpFlags::RST);
        assert_eq!(packet.header_len(), 24);
        packet.set_header_len(1000);
        assert_eq!(packet.header_len(), 60);
        assert_eq!(packet.flags(), TcpFlags::RST);
    }

    #[test]
    fn flags_ops_and_string() {
        assert_eq!((TcpFlags::SYN | TcpFlags::ACK).to_string(), "---A--S-");
        assert_eq!(TcpFlags::empty().to_string(), "--------");
        assert_eq!(TcpFlags::SYN.to_string(), "------S-");
        assert_eq!((TcpFlags::FIN | TcpFlags::ACK).to_string(), "---A---F");
        assert_eq!((TcpFlags::PSH | TcpFlags::ACK).to_string(), "---AP---");
        assert_eq!(TcpFlags::RST.to_string(), "-----R--");
        assert_eq!(TcpFlags::from_bits_truncate(0x1ff).to_string(), "--UAPRSF");
        // ECE, CWR and NS are kept but microps does not print them.
        assert_eq!(
            (TcpFlags::ECE | TcpFlags::CWR | TcpFlags::NS).to_string(),
            "--------"
        );
        assert_eq!(TcpFlags::from_bits_truncate(0xffff).bits(), 0x1ff);

        let mut f = TcpFlags::empty();
        assert!(f.is_empty());
        f.insert(TcpFlags::SYN);
        f |= TcpFlags::FIN;
        assert!(f.contains(TcpFlags::SYN | TcpFlags::FIN));
        assert!(!f.contains(TcpFlags::SYN | TcpFlags::ACK));
        assert!(f.intersects(TcpFlags::SYN | TcpFlags::ACK));
        f.remove(TcpFlags::SYN);
        assert_eq!(f, TcpFlags::FIN);
        assert_eq!(f & TcpFlags::FIN, TcpFlags::FIN);
        assert!((f & TcpFlags::SYN).is_empty());
    }

    #[test]
    fn display_is_microps_dump() {
        let packet = TcpPacket::new_checked(tcp(&SYN, HOST_A, HOST_B)).unwrap();
        assert_eq!(
            format!("{packet}"),
            "        src: 40000\n        dst: 7\n        seq: 1529650758\n        ack: 0\n        off: 0xa0 (40)\n        flg: 0x02 (------S-)\n        wnd: 64240\n        sum: 0x6db1\n         up: 0"
        );
        let packet = TcpPacket::new_checked(tcp(&FIN, HOST_A, HOST_B)).unwrap();
        assert_eq!(
            format!("{packet}"),
            "        src: 40000\n        dst: 7\n        seq: 1529650769\n        ack: 1231344004\n        off: 0x80 (32)\n        flg: 0x11 (---A---F)\n        wnd: 63\n        sum: 0x3247\n         up: 0"
        );
        let repr = parse_all(tcp(&SYN, HOST_A, HOST_B), HOST_A, HOST_B);
        assert_eq!(
            format!("{repr}"),
            "TCP src=40000 dst=7 seq=1529650758 ack=0 flg=------S- wnd=64240 len=0 mss=1460 sackOK ts=2021936408/0 wscale=10"
        );
    }
}
