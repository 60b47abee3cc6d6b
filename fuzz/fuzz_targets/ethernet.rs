//! Ethernet II: any input either fails `new_checked` (shorter than the
//! header) or parses; the parsed header emits into 14 bytes and parses back
//! to the same `EthernetRepr`, with the payload carried over unchanged.
#![no_main]

use std::fmt::Write;

use libfuzzer_sys::fuzz_target;
use microps_core::wire::ethernet::HEADER_LEN;
use microps_core::wire::{EthernetFrame, EthernetRepr};

fuzz_target!(|data: &[u8]| {
    // The logger prints every frame, checked or not: Display never panics.
    let mut out = String::new();
    let _ = write!(out, "{}", EthernetFrame::new_unchecked(data));

    let Ok(frame) = EthernetFrame::new_checked(data) else {
        assert!(data.len() < HEADER_LEN);
        return;
    };
    out.clear();
    let _ = write!(out, "{frame}");
    let Ok(repr) = EthernetRepr::parse(&frame) else {
        panic!("a checked frame must parse");
    };
    let _ = write!(out, "{repr}");
    assert_eq!(frame.payload().len(), data.len() - HEADER_LEN);

    // Header alone, in a buffer of exactly buffer_len().
    let mut header = vec![0u8; repr.buffer_len()];
    repr.emit(&mut EthernetFrame::new_unchecked(&mut header[..]));
    let again = EthernetFrame::new_checked(&header[..]).expect("emitted header re-checks");
    assert_eq!(EthernetRepr::parse(&again), Ok(repr));
    assert!(again.payload().is_empty());

    // Header and payload: the whole frame comes back byte for byte.
    let mut whole = vec![0u8; repr.buffer_len() + frame.payload().len()];
    let mut view = EthernetFrame::new_unchecked(&mut whole[..]);
    repr.emit(&mut view);
    view.payload_mut().copy_from_slice(frame.payload());
    assert_eq!(&whole[..], data);
});
