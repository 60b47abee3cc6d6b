//! TCP: any input (a whole segment, as the IP payload) either fails to parse
//! or gives a `TcpRepr` that emits into `buffer_len()` bytes and parses back
//! to the same repr; emitted with the checksum filled in, it verifies. The
//! pseudo-header is 192.0.2.1 -> 192.0.2.2.
//!
//! What the repr intentionally drops: unknown options, padding and option
//! order are not carried (the options are re-emitted in Linux's layout), and
//! SACK blocks beyond what fits in 40 option bytes next to the other options
//! are not emitted (`TcpOptions::sack_blocks_emitted`). The comparison is
//! against the parsed repr with its SACK blocks cut to that number.
#![no_main]

use std::fmt::Write;

use libfuzzer_sys::fuzz_target;
use microps_core::wire::tcp::{HEADER_LEN, MAX_HEADER_LEN, MAX_OPTIONS_LEN};
use microps_core::wire::{ChecksumCapabilities, Ipv4Address, TcpOptions, TcpPacket, TcpRepr};

const SRC: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
const DST: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

/// The options as they read back after `emit`.
fn as_emitted(options: &TcpOptions) -> TcpOptions {
    let mut out = *options;
    let n = options.sack_blocks_emitted();
    for (i, slot) in out.sack_blocks.iter_mut().enumerate() {
        if i >= n {
            *slot = None;
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let ignored = ChecksumCapabilities::ignored();
    let mut out = String::new();

    // Display and the accessors of an unchecked view never panic.
    let unchecked = TcpPacket::new_unchecked(data);
    let _ = write!(out, "{unchecked}");
    let _ = (
        unchecked.options(),
        unchecked.payload(),
        unchecked.segment_len(),
        unchecked.verify_checksum(&SRC, &DST),
    );
    let via_unchecked = TcpRepr::parse(&unchecked, &SRC, &DST, &ignored);

    let packet = match TcpPacket::new_checked(data) {
        Ok(packet) => packet,
        Err(e) => {
            assert_eq!(via_unchecked, Err(e));
            return;
        }
    };
    out.clear();
    let _ = write!(out, "{packet}");
    let header_len = packet.header_len();
    assert!((HEADER_LEN..=MAX_HEADER_LEN).contains(&header_len) && header_len <= data.len());
    assert_eq!(packet.options(), &data[HEADER_LEN..header_len]);
    assert_eq!(packet.payload(), &data[header_len..]);

    let repr = match TcpRepr::parse(&packet, &SRC, &DST, &ignored) {
        Ok(repr) => repr,
        Err(e) => {
            assert_eq!(via_unchecked, Err(e));
            return;
        }
    };
    assert_eq!(via_unchecked, Ok(repr));
    let _ = write!(out, "{repr}");
    assert_eq!(repr.payload, packet.payload());
    assert_eq!(repr.segment_len(), packet.segment_len());
    assert_eq!(repr.options.buffer_len() % 4, 0);
    assert!(repr.options.buffer_len() <= MAX_OPTIONS_LEN);
    assert!(repr.header_len() <= MAX_HEADER_LEN);

    let expected = TcpRepr {
        options: as_emitted(&repr.options),
        ..repr
    };
    for caps in [ignored, ChecksumCapabilities::all()] {
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(
            &mut TcpPacket::new_unchecked(&mut buf[..]),
            &SRC,
            &DST,
            &caps,
        );
        let again = TcpPacket::new_checked(&buf[..]).expect("emitted segment re-checks");
        assert_eq!(again.header_len(), repr.header_len());
        assert_eq!(again.payload(), packet.payload());
        if caps.tcp.tx() {
            assert!(again.verify_checksum(&SRC, &DST));
        } else {
            assert_eq!(again.checksum(), 0);
        }
        let reparsed = TcpRepr::parse(&again, &SRC, &DST, &caps);
        assert_eq!(reparsed, Ok(expected));
        // Ports, numbers, the nine flags, window and urgent pointer come
        // back byte for byte (the reserved bits are cleared).
        assert_eq!(&buf[..12], &data[..12]);
        assert_eq!(buf[12] & 0x0f, data[12] & 0x01);
        assert_eq!(buf[13], data[13]);
        assert_eq!(&buf[14..16], &data[14..16]);
        assert_eq!(&buf[18..20], &data[18..20]);
    }
});
