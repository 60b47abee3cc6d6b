//! UDP (RFC 768, with the host requirements of RFC 1122 section 4.1).
//!
//! ```text
//!  0      7 8     15 16    23 24    31
//! +--------+--------+--------+--------+
//! |     Source      |   Destination   |
//! |      Port       |      Port       |
//! +--------+--------+--------+--------+
//! |                 |                 |
//! |     Length      |    Checksum     |
//! +--------+--------+--------+--------+
//! |
//! |          data octets ...
//! +---------------- ...
//! ```
//!
//! The length counts the header and the data. The checksum covers an IPv4
//! pseudo-header (source, destination, zero, protocol 17, UDP length), the
//! header and the data; a transmitted checksum of zero means "none" (and a
//! computed zero is sent as all ones).

use core::fmt;

use super::field::{self, Field};
use super::ipv4::{IpProtocol, Ipv4Address};
use super::{ChecksumCapabilities, Error, Result, checksum};

mod fields {
    use super::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
    pub const PAYLOAD: usize = 8;
}

/// Length of the UDP header.
pub const HEADER_LEN: usize = fields::PAYLOAD;

/// A view of a UDP datagram.
#[derive(Debug, Clone)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    /// Wraps a buffer without checking it; accessors of a short buffer return
    /// zeros instead of panicking, but use [`UdpPacket::new_checked`] for
    /// input.
    pub const fn new_unchecked(buffer: T) -> UdpPacket<T> {
        UdpPacket { buffer }
    }

    /// Wraps a buffer after checking it with [`UdpPacket::check_len`].
    pub fn new_checked(buffer: T) -> Result<UdpPacket<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds the 8-byte header ([`Error::Truncated`]),
    /// that the length field covers at least the header
    /// ([`Error::Malformed`]) and that the buffer holds as many bytes as the
    /// length field says ([`Error::Truncated`]). Bytes past the length are
    /// ignored.
    pub fn check_len(&self) -> Result<()> {
        let buf_len = self.buffer.as_ref().len();
        if buf_len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let len = usize::from(self.len());
        if len < HEADER_LEN {
            Err(Error::Malformed)
        } else if len > buf_len {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The source port (zero if the sender expects no reply).
    pub fn src_port(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::SRC_PORT.start)
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::DST_PORT.start)
    }

    /// The length field: header plus data.
    pub fn len(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::LENGTH.start)
    }

    /// Whether the datagram carries no data (the length field is at most 8).
    pub fn is_empty(&self) -> bool {
        usize::from(self.len()) <= HEADER_LEN
    }

    /// The checksum field (zero: none was computed).
    pub fn checksum(&self) -> u16 {
        field::get_u16(self.buffer.as_ref(), fields::CHECKSUM.start)
    }

    /// The end of the datagram: the length field, bounded by the buffer and
    /// by the header.
    fn end(&self) -> usize {
        usize::from(self.len())
            .min(self.buffer.as_ref().len())
            .max(HEADER_LEN)
    }

    /// The data, as far as the length field says.
    pub fn payload(&self) -> &[u8] {
        field::slice(self.buffer.as_ref(), fields::PAYLOAD..self.end())
    }

    /// The sum the checksum is checked against: pseudo-header, header and
    /// data up to the length field.
    fn sum(&self, src: &Ipv4Address, dst: &Ipv4Address) -> u16 {
        let len = self.end();
        checksum::combine(&[
            checksum::pseudo_header(src, dst, IpProtocol::Udp.into(), u32::from(self.len())),
            checksum::data(field::slice(self.buffer.as_ref(), 0..len)),
        ])
    }

    /// Whether the checksum verifies with the pseudo-header of `src` and
    /// `dst`; a zero checksum means none was sent and verifies.
    pub fn verify_checksum(&self, src: &Ipv4Address, dst: &Ipv4Address) -> bool {
        self.checksum() == 0 || self.sum(src, dst) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::SRC_PORT.start, v);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::DST_PORT.start, v);
    }

    /// Sets the length field.
    pub fn set_len(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::LENGTH.start, v);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        field::set_u16(self.buffer.as_mut(), fields::CHECKSUM.start, v);
    }

    /// The data as far as the length field says, mutably.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = self.end();
        field::slice_mut(self.buffer.as_mut(), fields::PAYLOAD..end)
    }

    /// Computes the checksum with the pseudo-header of `src` and `dst` and
    /// writes it; a computed zero is written as `0xffff` (RFC 768).
    pub fn fill_checksum(&mut self, src: &Ipv4Address, dst: &Ipv4Address) {
        self.set_checksum(0);
        let v = checksum::finish(self.sum(src, dst));
        self.set_checksum(if v == 0 { 0xffff } else { v });
    }
}

impl<T: AsRef<[u8]>> fmt::Display for UdpPacket<T> {
    /// The header as microps's `udp_dump` prints it.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        writeln!(f, "        src: {}", self.src_port())?;
        writeln!(f, "        dst: {}", self.dst_port())?;
        writeln!(f, "        len: {}", self.len())?;
        write!(f, "        sum: 0x{:04x}", self.checksum())
    }
}

/// A parsed UDP header; the data is handled separately (see
/// [`UdpPacket::payload`] and [`UdpRepr::emit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UdpRepr {
    /// The source port (zero if the sender expects no reply).
    pub src_port: u16,
    /// The destination port.
    pub dst_port: u16,
}

impl UdpRepr {
    /// Parses a checked datagram that travelled from `src` to `dst`.
    ///
    /// A destination port of zero is [`Error::Malformed`] (a source port of
    /// zero is allowed, RFC 768); the checksum is verified if `caps.udp` says
    /// the stack verifies it (and a zero checksum always passes).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &UdpPacket<&T>,
        src: &Ipv4Address,
        dst: &Ipv4Address,
        caps: &ChecksumCapabilities,
    ) -> Result<UdpRepr> {
        packet.check_len()?;
        if packet.dst_port() == 0 {
            return Err(Error::Malformed);
        }
        if caps.udp.rx() && !packet.verify_checksum(src, dst) {
            return Err(Error::Checksum);
        }
        Ok(UdpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
        })
    }

    /// The header length, always 8.
    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// The bytes `emit` needs for `payload_len` bytes of data.
    pub const fn buffer_len(&self, payload_len: usize) -> usize {
        HEADER_LEN.saturating_add(payload_len)
    }

    /// Writes the header for `payload_len` bytes of data, lets `emit_payload`
    /// fill the data in place, then fills the checksum if `caps.udp` says the
    /// stack computes it (zero otherwise).
    ///
    /// The packet must hold [`UdpRepr::buffer_len`] bytes; the payload handed
    /// to `emit_payload` is cut short if it does not. A `payload_len` beyond
    /// what the 16-bit length field can say is clamped to it.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut UdpPacket<T>,
        src: &Ipv4Address,
        dst: &Ipv4Address,
        payload_len: usize,
        emit_payload: impl FnOnce(&mut [u8]),
        caps: &ChecksumCapabilities,
    ) {
        let len = u16::try_from(self.buffer_len(payload_len)).unwrap_or(u16::MAX);
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_len(len);
        packet.set_checksum(0);
        emit_payload(packet.payload_mut());
        if caps.udp.tx() {
            packet.fill_checksum(src, dst);
        }
    }

    /// Writes the 8-byte header of a datagram whose data lies elsewhere,
    /// in `payload`'s pieces (the stack copies them into the frame after
    /// the header): the length, and the checksum over the pseudo-header,
    /// the header and the pieces if `caps.udp` says the stack computes it
    /// (zero otherwise; a computed zero is sent as `0xffff`, RFC 768).
    ///
    /// ```
    /// use microps_core::wire::{ChecksumCapabilities, Ipv4Address, UdpPacket, UdpRepr};
    /// let (src, dst) = (Ipv4Address::new(192, 0, 2, 1), Ipv4Address::new(192, 0, 2, 2));
    /// let repr = UdpRepr { src_port: 7, dst_port: 9 };
    /// let caps = ChecksumCapabilities::all();
    /// let mut whole = [0u8; 13];
    /// repr.emit(&mut UdpPacket::new_unchecked(&mut whole[..]), &src, &dst, 5,
    ///     |p| p.copy_from_slice(b"hello"), &caps);
    /// let mut header = [0u8; 8];
    /// repr.emit_header(&mut UdpPacket::new_unchecked(&mut header[..]), &src, &dst,
    ///     &[b"hel", b"lo"], &caps);
    /// assert_eq!(header, whole[..8]);
    /// ```
    pub fn emit_header<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut UdpPacket<T>,
        src: &Ipv4Address,
        dst: &Ipv4Address,
        payload: &[&[u8]],
        caps: &ChecksumCapabilities,
    ) {
        let payload_len = payload.iter().map(|p| p.len()).sum();
        let len = u16::try_from(self.buffer_len(payload_len)).unwrap_or(u16::MAX);
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_len(len);
        packet.set_checksum(0);
        if caps.udp.tx() {
            let header = packet.buffer.as_ref().get(..HEADER_LEN).unwrap_or(&[]);
            let sum = checksum::combine(&[
                checksum::pseudo_header(src, dst, IpProtocol::Udp.into(), u32::from(len)),
                checksum::data(header),
                checksum::data_chained(payload),
            ]);
            let v = checksum::finish(sum);
            packet.set_checksum(if v == 0 { 0xffff } else { v });
        }
    }
}

impl fmt::Display for UdpRepr {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "UDP src={} dst={}", self.src_port, self.dst_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Checksum;
    use alloc::format;

    const HOST_A: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
    const HOST_B: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

    /// `printf 'hello microps' | nc -u -p 40000 192.0.2.2 7` from 192.0.2.1,
    /// captured with tcpdump on a Linux veth pair: the whole IP datagram.
    const UDP_DGRAM: [u8; 41] = [
        0x45, 0x00, 0x00, 0x29, 0xe4, 0xd7, 0x40, 0x00, 0x40, 0x11, 0xd1, 0xe8, //
        0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x9c, 0x40, 0x00, 0x07, //
        0x00, 0x15, 0xe8, 0x39, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x6d, 0x69, //
        0x63, 0x72, 0x6f, 0x70, 0x73, //
    ];

    /// `printf 'anyone?' | nc -u -p 40001 192.0.2.2 9` (a closed port; the
    /// port unreachable answer is in the icmpv4 tests).
    const UDP_CLOSED_PORT_DGRAM: [u8; 35] = [
        0x45, 0x00, 0x00, 0x23, 0x68, 0xa6, 0x40, 0x00, 0x40, 0x11, 0x4e, 0x20, //
        0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x9c, 0x41, 0x00, 0x09, //
        0x00, 0x0f, 0x57, 0x3e, 0x61, 0x6e, 0x79, 0x6f, 0x6e, 0x65, 0x3f, //
    ];

    fn udp(dgram: &[u8]) -> &[u8] {
        assert_eq!(dgram[0], 0x45);
        assert_eq!(dgram[9], 17, "protocol UDP");
        assert_eq!(&dgram[12..16], &HOST_A.octets());
        assert_eq!(&dgram[16..20], &HOST_B.octets());
        &dgram[20..]
    }

    #[test]
    fn captured_datagram_field_by_field() {
        let packet = UdpPacket::new_checked(udp(&UDP_DGRAM)).unwrap();
        assert_eq!(packet.src_port(), 40000);
        assert_eq!(packet.dst_port(), 7);
        assert_eq!(packet.len(), 21);
        assert!(!packet.is_empty());
        assert_eq!(packet.checksum(), 0xe839);
        assert_eq!(packet.payload(), b"hello microps");
        assert!(packet.verify_checksum(&HOST_A, &HOST_B));
        // The pseudo-header matters: other addresses do not verify.
        assert!(!packet.verify_checksum(&HOST_A, &Ipv4Address::new(192, 0, 2, 3)));
        let repr = UdpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::all()).unwrap();
        assert_eq!(
            repr,
            UdpRepr {
                src_port: 40000,
                dst_port: 7
            }
        );

        let packet = UdpPacket::new_checked(udp(&UDP_CLOSED_PORT_DGRAM)).unwrap();
        assert_eq!(packet.src_port(), 40001);
        assert_eq!(packet.dst_port(), 9);
        assert_eq!(packet.len(), 15);
        assert_eq!(packet.checksum(), 0x573e);
        assert_eq!(packet.payload(), b"anyone?");
        assert!(packet.verify_checksum(&HOST_A, &HOST_B));
    }

    #[test]
    fn emit_matches_linux() {
        let repr = UdpRepr {
            src_port: 40000,
            dst_port: 7,
        };
        assert_eq!(repr.header_len(), 8);
        assert_eq!(repr.buffer_len(13), 21);
        let mut buf = [0xeeu8; 21];
        repr.emit(
            &mut UdpPacket::new_unchecked(&mut buf[..]),
            &HOST_A,
            &HOST_B,
            13,
            |p| p.copy_from_slice(b"hello microps"),
            &ChecksumCapabilities::all(),
        );
        assert_eq!(&buf[..], udp(&UDP_DGRAM));
    }

    #[test]
    fn round_trips() {
        let caps = ChecksumCapabilities::all();
        for (src_port, dst_port, payload) in [
            (0u16, 53u16, &b""[..]),
            (65535, 1, b"x"),
            (12345, 54321, b"an odd number of bytes!"),
        ] {
            let repr = UdpRepr { src_port, dst_port };
            let mut buf = [0u8; 64];
            let buf = &mut buf[..repr.buffer_len(payload.len())];
            repr.emit(
                &mut UdpPacket::new_unchecked(&mut buf[..]),
                &HOST_B,
                &HOST_A,
                payload.len(),
                |p| p.copy_from_slice(payload),
                &caps,
            );
            let packet = UdpPacket::new_checked(&buf[..]).unwrap();
            assert_ne!(packet.checksum(), 0);
            assert_eq!(
                UdpRepr::parse(&packet, &HOST_B, &HOST_A, &caps).unwrap(),
                repr
            );
            assert_eq!(packet.payload(), payload);
        }
    }

    #[test]
    fn every_truncation_errors_or_parses_consistently() {
        for dgram in [&UDP_DGRAM[..], &UDP_CLOSED_PORT_DGRAM] {
            let full = udp(dgram);
            for len in 0..=full.len() {
                let buf = &full[..len];
                match UdpPacket::new_checked(buf) {
                    Ok(packet) => {
                        assert_eq!(len, full.len(), "truncated below its length field");
                        let _ = format!("{packet}");
                        assert!(
                            UdpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::all())
                                .is_ok()
                        );
                    }
                    Err(e) => {
                        assert!(len < full.len());
                        assert_eq!(e, Error::Truncated);
                        // The unchecked view stays panic-free and bounded.
                        let packet = UdpPacket::new_unchecked(buf);
                        assert!(packet.payload().len() <= len.saturating_sub(8));
                        let _ = packet.verify_checksum(&HOST_A, &HOST_B);
                        let _ = format!("{packet}");
                    }
                }
            }
        }
    }

    #[test]
    fn bytes_past_the_length_field_are_ignored() {
        // Ethernet padding after a short datagram.
        let mut buf = [0u8; 26];
        buf[..21].copy_from_slice(udp(&UDP_DGRAM));
        buf[21..].copy_from_slice(&[1, 2, 3, 4, 5]);
        let packet = UdpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.payload(), b"hello microps");
        assert!(packet.verify_checksum(&HOST_A, &HOST_B));
    }

    #[test]
    fn length_field_below_header_is_malformed() {
        let mut buf = [0u8; 21];
        buf.copy_from_slice(udp(&UDP_DGRAM));
        for bad in [0u16, 1, 7] {
            buf[4..6].copy_from_slice(&bad.to_be_bytes());
            assert_eq!(
                UdpPacket::new_checked(&buf[..]).err(),
                Some(Error::Malformed)
            );
        }
        buf[4..6].copy_from_slice(&8u16.to_be_bytes());
        let packet = UdpPacket::new_checked(&buf[..]).unwrap();
        assert!(packet.is_empty());
        assert_eq!(packet.payload(), b"");
        buf[4..6].copy_from_slice(&22u16.to_be_bytes());
        assert_eq!(
            UdpPacket::new_checked(&buf[..]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn zero_checksum_means_none() {
        let mut buf = [0u8; 21];
        buf.copy_from_slice(udp(&UDP_DGRAM));
        buf[6] = 0;
        buf[7] = 0;
        let packet = UdpPacket::new_checked(&buf[..]).unwrap();
        assert!(packet.verify_checksum(&HOST_A, &HOST_B));
        assert!(UdpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::all()).is_ok());
    }

    #[test]
    fn computed_zero_checksum_is_sent_as_all_ones() {
        let repr = UdpRepr {
            src_port: 40000,
            dst_port: 7,
        };
        let caps = ChecksumCapabilities::all();
        // With two zero data bytes, the sum over pseudo-header, header and
        // data is some S; data equal to !S makes the total 0xffff, whose
        // complement (the checksum) is zero.
        let mut buf = [0u8; 10];
        repr.emit(
            &mut UdpPacket::new_unchecked(&mut buf[..]),
            &HOST_A,
            &HOST_B,
            2,
            |p| p.fill(0),
            &ChecksumCapabilities::ignored(),
        );
        let s = checksum::combine(&[
            checksum::pseudo_header(&HOST_A, &HOST_B, 17, 10),
            checksum::data(&buf),
        ]);
        let word = (!s).to_be_bytes();
        repr.emit(
            &mut UdpPacket::new_unchecked(&mut buf[..]),
            &HOST_A,
            &HOST_B,
            2,
            |p| p.copy_from_slice(&word),
            &caps,
        );
        let packet = UdpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.checksum(), 0xffff);
        assert!(packet.verify_checksum(&HOST_A, &HOST_B));
        assert_eq!(
            UdpRepr::parse(&packet, &HOST_A, &HOST_B, &caps).unwrap(),
            repr
        );
    }

    #[test]
    fn bad_checksum_rejected_unless_ignored() {
        let mut buf = [0u8; 21];
        buf.copy_from_slice(udp(&UDP_DGRAM));
        buf[20] ^= 0x20;
        let packet = UdpPacket::new_checked(&buf[..]).unwrap();
        assert!(!packet.verify_checksum(&HOST_A, &HOST_B));
        assert_eq!(
            UdpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::all()),
            Err(Error::Checksum)
        );
        assert!(
            UdpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::ignored()).is_ok()
        );
        let mut caps = ChecksumCapabilities::all();
        caps.udp = Checksum::Tx;
        assert!(UdpRepr::parse(&packet, &HOST_A, &HOST_B, &caps).is_ok());
    }

    #[test]
    fn emit_without_tx_checksum_sends_none() {
        let mut caps = ChecksumCapabilities::all();
        caps.udp = Checksum::Rx;
        let repr = UdpRepr {
            src_port: 1,
            dst_port: 2,
        };
        let mut buf = [0xffu8; 11];
        repr.emit(
            &mut UdpPacket::new_unchecked(&mut buf[..]),
            &HOST_A,
            &HOST_B,
            3,
            |p| p.copy_from_slice(b"abc"),
            &caps,
        );
        assert_eq!(buf, [0, 1, 0, 2, 0, 11, 0, 0, b'a', b'b', b'c']);
    }

    #[test]
    fn ports() {
        let mut buf = [0u8; 21];
        buf.copy_from_slice(udp(&UDP_DGRAM));
        buf[2] = 0;
        buf[3] = 0;
        let packet = UdpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(
            UdpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::ignored()),
            Err(Error::Malformed)
        );
        // Source port zero is allowed ("no reply expected").
        let mut buf = [0u8; 8];
        let repr = UdpRepr {
            src_port: 0,
            dst_port: 7,
        };
        repr.emit(
            &mut UdpPacket::new_unchecked(&mut buf[..]),
            &HOST_A,
            &HOST_B,
            0,
            |_| {},
            &ChecksumCapabilities::all(),
        );
        let packet = UdpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(
            UdpRepr::parse(&packet, &HOST_A, &HOST_B, &ChecksumCapabilities::all()).unwrap(),
            repr
        );
    }

    #[test]
    fn display_is_microps_dump() {
        let packet = UdpPacket::new_checked(udp(&UDP_DGRAM)).unwrap();
        assert_eq!(
            format!("{packet}"),
            "        src: 40000\n        dst: 7\n        len: 21\n        sum: 0xe839"
        );
        assert_eq!(
            format!(
                "{}",
                UdpRepr {
                    src_port: 40000,
                    dst_port: 7
                }
            ),
            "UDP src=40000 dst=7"
        );
    }
}
