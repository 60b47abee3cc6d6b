//! ICMPv4: any input either fails to parse or gives an `Icmpv4Repr` that
//! emits into `buffer_len()` bytes and parses back to the same repr (and,
//! emitted with the checksum filled in, verifies). The invoking datagram of
//! an error, and the message data in general, go through
//! `QuotedDatagram::parse` and its helpers, which must agree with the bytes.
#![no_main]

use std::fmt::Write;

use libfuzzer_sys::fuzz_target;
use microps_core::wire::icmpv4::{HEADER_LEN, MIN_INVOKING_LEN, QuotedDatagram};
use microps_core::wire::{ChecksumCapabilities, Icmpv4Packet, Icmpv4Repr, IpProtocol};

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Parses `bytes` as a quoted datagram and checks the helpers against them.
fn check_quoted(bytes: &[u8], out: &mut String) {
    let Ok(q) = QuotedDatagram::parse(bytes) else {
        return;
    };
    let _ = write!(out, "{q:?}");
    assert!(bytes.len() >= 20);
    assert_eq!(bytes[0] >> 4, 4);
    let header_len = usize::from(bytes[0] & 0x0f) * 4;
    assert!(header_len >= 20 && header_len <= bytes.len());
    assert_eq!(q.payload, &bytes[header_len..]);
    assert_eq!(q.src_addr.octets(), bytes[12..16]);
    assert_eq!(q.dst_addr.octets(), bytes[16..20]);
    assert_eq!(u8::from(q.protocol), bytes[9]);
    assert_eq!(q.ident, be16(bytes, 4));
    assert_eq!(q.frag_offset, (be16(bytes, 6) & 0x1fff) << 3);

    let first = q.frag_offset == 0;
    let p = q.payload;
    match q.ports() {
        Some(ports) => {
            assert!(matches!(q.protocol, IpProtocol::Tcp | IpProtocol::Udp));
            assert!(first && p.len() >= 4);
            assert_eq!(ports, (be16(p, 0), be16(p, 2)));
        }
        None => assert!(
            !matches!(q.protocol, IpProtocol::Tcp | IpProtocol::Udp) || !first || p.len() < 4
        ),
    }
    match q.tcp_seq() {
        Some(seq) => {
            assert!(q.protocol == IpProtocol::Tcp && first && p.len() >= 8);
            assert_eq!(seq.0, u32::from_be_bytes([p[4], p[5], p[6], p[7]]));
        }
        None => assert!(q.protocol != IpProtocol::Tcp || !first || p.len() < 8),
    }
    match q.icmp_echo() {
        Some(echo) => {
            assert!(q.protocol == IpProtocol::Icmp && first && p.len() >= HEADER_LEN);
            assert_eq!(p[0], 8);
            assert_eq!(echo, (be16(p, 4), be16(p, 6)));
        }
        None => {
            assert!(q.protocol != IpProtocol::Icmp || !first || p.len() < HEADER_LEN || p[0] != 8)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let ignored = ChecksumCapabilities::ignored();
    let mut out = String::new();

    // Display and the accessors of an unchecked view never panic.
    let unchecked = Icmpv4Packet::new_unchecked(data);
    let _ = write!(out, "{unchecked}");
    let _ = (
        unchecked.values(),
        unchecked.data(),
        unchecked.verify_checksum(),
    );

    // The quote parser is lenient by design: feed it the raw input too.
    check_quoted(data, &mut out);

    let Ok(packet) = Icmpv4Packet::new_checked(data) else {
        assert!(data.len() < HEADER_LEN);
        return;
    };
    out.clear();
    let _ = write!(out, "{packet}");
    assert_eq!(packet.data(), &data[HEADER_LEN..]);
    check_quoted(packet.data(), &mut out);

    let Ok(repr) = Icmpv4Repr::parse(&packet, &ignored) else {
        return;
    };
    let _ = write!(out, "{repr}");
    assert_eq!(repr.data(), packet.data());
    assert_eq!(repr.buffer_len(), data.len());
    if let Icmpv4Repr::DstUnreachable { invoking, .. } | Icmpv4Repr::TimeExceeded { invoking, .. } =
        repr
    {
        assert!(invoking.len() >= MIN_INVOKING_LEN);
        check_quoted(invoking, &mut out);
    }

    for caps in [ignored, ChecksumCapabilities::all()] {
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut Icmpv4Packet::new_unchecked(&mut buf[..]), &caps);
        let again = Icmpv4Packet::new_checked(&buf[..]).expect("emitted message re-checks");
        if caps.icmpv4.tx() {
            assert!(again.verify_checksum());
        } else {
            assert_eq!(again.checksum(), 0);
        }
        assert_eq!(Icmpv4Repr::parse(&again, &caps), Ok(repr));
        assert_eq!(again.data(), packet.data());
    }
});
