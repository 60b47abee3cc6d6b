//! IPv4: any input either fails to parse or gives an `Ipv4Repr` that emits
//! (a 20-byte header: options are not carried) and parses back to the same
//! `Ipv4Repr`, with the payload unchanged. Emitted with the checksum filled
//! in, the header verifies.
#![no_main]

use std::fmt::Write;

use libfuzzer_sys::fuzz_target;
use microps_core::wire::ChecksumCapabilities;
use microps_core::wire::ipv4::{HEADER_LEN, MAX_HEADER_LEN};
use microps_core::wire::{Ipv4Packet, Ipv4Repr};

fuzz_target!(|data: &[u8]| {
    let ignored = ChecksumCapabilities::ignored();

    // Display and the accessors of an unchecked view never panic.
    let unchecked = Ipv4Packet::new_unchecked(data);
    let mut out = String::new();
    let _ = write!(out, "{unchecked}");
    let _ = (
        unchecked.header(),
        unchecked.options(),
        unchecked.payload(),
        unchecked.verify_checksum(),
        unchecked.is_fragment(),
        unchecked.dscp(),
        unchecked.ecn(),
    );
    let via_unchecked = Ipv4Repr::parse(&unchecked, &ignored);

    let packet = match Ipv4Packet::new_checked(data) {
        Ok(packet) => packet,
        Err(e) => {
            assert_eq!(via_unchecked, Err(e));
            return;
        }
    };
    out.clear();
    let _ = write!(out, "{packet}");
    let header_len = packet.header_len();
    assert!((HEADER_LEN..=MAX_HEADER_LEN).contains(&header_len));
    assert_eq!(packet.header().len(), header_len);
    assert_eq!(packet.options().len(), header_len - HEADER_LEN);
    assert_eq!(
        packet.payload().len(),
        usize::from(packet.total_len()) - header_len
    );

    let repr = Ipv4Repr::parse(&packet, &ignored).expect("a checked packet parses");
    assert_eq!(via_unchecked, Ok(repr));
    let _ = write!(out, "{repr}");
    assert_eq!(repr.payload_len, packet.payload().len());
    assert_eq!(repr.is_fragment(), packet.is_fragment());

    // The re-emitted header is 20 bytes whatever the original's IHL; the
    // repr does not carry the options, so the reprs compare equal.
    for caps in [ignored, ChecksumCapabilities::all()] {
        let mut buf = vec![0u8; repr.buffer_len() + repr.payload_len];
        let mut view = Ipv4Packet::new_unchecked(&mut buf[..]);
        repr.emit(&mut view, &caps);
        view.payload_mut().copy_from_slice(packet.payload());
        let again = Ipv4Packet::new_checked(&buf[..]).expect("emitted packet re-checks");
        assert_eq!(again.header_len(), HEADER_LEN);
        assert!(again.options().is_empty());
        assert_eq!(again.payload(), packet.payload());
        assert_eq!(
            again.flags_and_offset() & 0x8000,
            0,
            "reserved flag emitted"
        );
        assert_eq!(Ipv4Repr::parse(&again, &caps), Ok(repr));
        if caps.ipv4.tx() {
            assert!(again.verify_checksum());
        }
        // A header without options is reproduced byte for byte, less the
        // reserved flag and the checksum (zero when not computed).
        if header_len == HEADER_LEN && packet.flags_and_offset() & 0x8000 == 0 {
            assert_eq!(&buf[..10], &data[..10]);
            assert_eq!(&buf[12..20], &data[12..20]);
            // A verifying checksum is the same field, up to the two
            // ones'-complement zeros (0x0000 and 0xffff).
            if caps.ipv4.tx() && packet.verify_checksum() {
                let (ours, theirs) = (again.checksum(), packet.checksum());
                assert!(ours == theirs || matches!((ours, theirs), (0, 0xffff) | (0xffff, 0)));
            }
        }
    }
});
