//! ARP: any input either fails to parse or gives an `ArpRepr` that emits
//! into 28 bytes and parses back to the same `ArpRepr`.
#![no_main]

use std::fmt::Write;

use libfuzzer_sys::fuzz_target;
use microps_core::wire::arp::PACKET_LEN;
use microps_core::wire::{ArpPacket, ArpRepr, Error};

fuzz_target!(|data: &[u8]| {
    // Display and the accessors of an unchecked view never panic.
    let unchecked = ArpPacket::new_unchecked(data);
    let mut out = String::new();
    let _ = write!(out, "{unchecked}");
    let _ = unchecked.packet_len();
    // Parsing an unchecked view checks the lengths itself.
    let via_unchecked = ArpRepr::parse(&unchecked);

    let packet = match ArpPacket::new_checked(data) {
        Ok(packet) => packet,
        Err(e) => {
            assert_eq!(e, Error::Truncated);
            assert_eq!(via_unchecked, Err(Error::Truncated));
            return;
        }
    };
    assert!(packet.packet_len() <= data.len());
    out.clear();
    let _ = write!(out, "{packet}");

    let repr = match ArpRepr::parse(&packet) {
        Ok(repr) => repr,
        Err(e) => {
            assert_eq!(e, Error::Unsupported);
            assert_eq!(via_unchecked, Err(e));
            return;
        }
    };
    assert_eq!(via_unchecked, Ok(repr));
    assert_eq!(packet.packet_len(), PACKET_LEN);
    let _ = write!(out, "{repr}");

    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
    let again = ArpPacket::new_checked(&buf[..]).expect("emitted packet re-checks");
    assert_eq!(ArpRepr::parse(&again), Ok(repr));
    // An Ethernet/IPv4 packet is all fields: the bytes come back too.
    assert_eq!(&buf[..], &data[..PACKET_LEN]);
});
