//! UDP: any input either fails to parse or gives a `UdpRepr` that emits,
//! with the datagram's payload, into `buffer_len(payload_len)` bytes and
//! parses back to the same repr and payload; emitted with the checksum
//! filled in, it verifies. The pseudo-header is 192.0.2.1 -> 192.0.2.2.
#![no_main]

use std::fmt::Write;

use libfuzzer_sys::fuzz_target;
use microps_core::wire::udp::HEADER_LEN;
use microps_core::wire::{ChecksumCapabilities, Error, Ipv4Address, UdpPacket, UdpRepr};

const SRC: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
const DST: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

fuzz_target!(|data: &[u8]| {
    let ignored = ChecksumCapabilities::ignored();
    let mut out = String::new();

    // Display and the accessors of an unchecked view never panic.
    let unchecked = UdpPacket::new_unchecked(data);
    let _ = write!(out, "{unchecked}");
    assert!(unchecked.payload().len() <= data.len().saturating_sub(HEADER_LEN));
    let _ = (unchecked.is_empty(), unchecked.verify_checksum(&SRC, &DST));
    let via_unchecked = UdpRepr::parse(&unchecked, &SRC, &DST, &ignored);

    let packet = match UdpPacket::new_checked(data) {
        Ok(packet) => packet,
        Err(e) => {
            assert_eq!(via_unchecked, Err(e));
            return;
        }
    };
    out.clear();
    let _ = write!(out, "{packet}");
    let len = usize::from(packet.len());
    assert!(len >= HEADER_LEN && len <= data.len());
    // Bytes past the length field (padding) are not payload.
    assert_eq!(packet.payload(), &data[HEADER_LEN..len]);

    let repr = match UdpRepr::parse(&packet, &SRC, &DST, &ignored) {
        Ok(repr) => repr,
        Err(e) => {
            assert_eq!(e, Error::Malformed);
            assert_eq!(packet.dst_port(), 0);
            assert_eq!(via_unchecked, Err(e));
            return;
        }
    };
    assert_eq!(via_unchecked, Ok(repr));
    let _ = write!(out, "{repr}");

    let payload = packet.payload();
    for caps in [ignored, ChecksumCapabilities::all()] {
        let mut buf = vec![0u8; repr.buffer_len(payload.len())];
        repr.emit(
            &mut UdpPacket::new_unchecked(&mut buf[..]),
            &SRC,
            &DST,
            payload.len(),
            |p| p.copy_from_slice(payload),
            &caps,
        );
        let again = UdpPacket::new_checked(&buf[..]).expect("emitted datagram re-checks");
        assert_eq!(usize::from(again.len()), buf.len());
        assert_eq!(again.payload(), payload);
        if caps.udp.tx() {
            assert_ne!(again.checksum(), 0, "a computed zero is sent as 0xffff");
            assert!(again.verify_checksum(&SRC, &DST));
        } else {
            assert_eq!(again.checksum(), 0);
        }
        assert_eq!(UdpRepr::parse(&again, &SRC, &DST, &caps), Ok(repr));
        // Header fields other than the checksum come back byte for byte.
        assert_eq!(&buf[..6], &data[..6]);
    }
});
