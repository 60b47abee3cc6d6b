//! TCP options alone: any byte string either fails `TcpOptions::parse` or
//! gives options that emit into `buffer_len()` bytes (a multiple of four,
//! at most 40) and parse back the same, less the SACK blocks that do not fit
//! next to the other options. Each single option `TcpOption::parse` finds
//! spans exactly its `buffer_len()` and round-trips through `emit`.
#![no_main]

use std::fmt::Write;

use libfuzzer_sys::fuzz_target;
use microps_core::wire::tcp::MAX_OPTIONS_LEN;
use microps_core::wire::{Error, TcpOption, TcpOptions};

fuzz_target!(|data: &[u8]| {
    let mut out = String::new();

    // Option by option, the way `TcpOptions::parse` walks the list.
    let mut rest = data;
    let mut walk_ok = true;
    while !rest.is_empty() {
        match TcpOption::parse(rest) {
            Ok((next, option)) => {
                let _ = write!(out, "{option:?}");
                let len = option.buffer_len();
                assert_eq!(rest.len() - next.len(), len);
                assert_eq!(next, &rest[len..]);
                let mut buf = vec![0u8; len];
                let tail = option.emit(&mut buf);
                assert!(tail.is_empty());
                assert_eq!(&buf[..], &rest[..len]);
                let (left, again) = TcpOption::parse(&buf).expect("emitted option re-parses");
                assert!(left.is_empty());
                assert_eq!(again, option);
                if option == TcpOption::EndOfList {
                    break;
                }
                rest = next;
            }
            Err(e) => {
                assert_eq!(e, Error::Malformed);
                walk_ok = false;
                break;
            }
        }
    }

    let parsed = TcpOptions::parse(data);
    assert_eq!(parsed.is_ok(), walk_ok);
    let Ok(options) = parsed else {
        return;
    };
    let _ = write!(out, "{options}");

    let len = options.buffer_len();
    assert_eq!(len % 4, 0);
    assert!(len <= MAX_OPTIONS_LEN);
    assert_eq!(options.is_empty(), len == 0);
    let n = options.sack_blocks_emitted();
    assert!(n <= options.sack_iter().count());

    let mut buf = vec![0u8; len];
    assert_eq!(options.emit(&mut buf), len);
    let again = TcpOptions::parse(&buf).expect("emitted options re-parse");
    let mut expected = options;
    for (i, slot) in expected.sack_blocks.iter_mut().enumerate() {
        if i >= n {
            *slot = None;
        }
    }
    assert_eq!(again, expected);
    // Emitting what was read back is a fixed point.
    let mut buf2 = vec![0u8; again.buffer_len()];
    again.emit(&mut buf2);
    assert_eq!(buf, buf2);
});
