//! A scripted peer against one connection, started in a state the first
//! byte chooses (ESTABLISHED, CLOSE-WAIT, FIN-WAIT-1, FIN-WAIT-2, CLOSING,
//! TIME-WAIT, LAST-ACK, SYN-SENT or SYN-RECEIVED; see
//! `Harness::into_state`), the rest of the input interleaving the peer's
//! segments (relative to RCV.NXT and SND.UNA, valid checksums and
//! timestamps) with the application's reads, writes, closes and aborts,
//! and time. The invariants are `Harness::check`'s, after every step.
#![no_main]

mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use microps_core::time::Duration;

fuzz_target!(|data: &[u8]| {
    let mut h = Harness::new();
    let mut input = Input(data);
    h.into_state(input.u8());
    let mut steps = 0;
    while !input.is_empty() && steps < 512 {
        steps += 1;
        match input.u8() % 8 {
            0..=3 => connection_segment(&mut h, &mut input),
            4 | 5 => {
                let op = input.u8() % 4;
                let n = usize::from(input.u16() % 9000);
                h.app(op, n);
            }
            _ => {
                let ms = u64::from(input.u16() % 4096);
                h.run_timers(Duration::from_millis(ms));
            }
        }
    }
    h.run_timers(Duration::from_secs(600));
    h.report("tcp_conversation");
});
