//! `pktdrill`: packetdrill scripts run against one microps stack in virtual
//! time (feature `sim`).
//!
//! A packetdrill script says what the application calls, which segments
//! arrive and which the stack must send, each with a time:
//!
//! ```text
//! 0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
//! +0  bind(3, ..., ...) = 0
//! +0  listen(3, 1) = 0
//! +0  < S 0:0(0) win 65535 <mss 1460>
//! +0  > S. 0:0(0) ack 1 <mss 1460>
//! ```
//!
//! The runner gives the stack a device of its own: what the script's remote
//! side sends is injected as frames, every frame the stack sends is captured
//! and compared with the next `>` line, and the clock jumps from one event
//! (or one of the stack's own deadlines) to the next, so a script of minutes
//! runs in milliseconds, the same way every time. Sequence numbers follow
//! packetdrill's convention: a SYN's numbers (and the acknowledgment in a
//! SYN,ACK) are written absolute, every other segment's relative to the two
//! initial sequence numbers. Backtick lines may run `sysctl`, packetdrill's
//! `set_sysctls.py` and Linux's `defaults.sh`, mapped onto the stack's
//! configuration.
//!
//! Inbound ICMP errors (`< icmp unreachable frag_needed mtu 1200
//! [1:1461(1460)]`) quote the segment of ours the bracket names. What the
//! runner cannot model (outbound ICMP, UDP lines, Python blocks, other
//! shell commands, options and calls it does not know) makes
//! the script
//! [`Outcome::Skipped`] with the reason, never passed.
//!
//! ```
//! use microps_core::pktdrill::{run_script, Mode, Outcome};
//! let script = "
//! 0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
//! +0  bind(3, ..., ...) = 0
//! +0  listen(3, 1) = 0
//! +0  < S 0:0(0) win 65535 <mss 1460>
//! +0  > S. 0:0(0) ack 1 <mss 1460>
//! +.1 < . 1:1(0) ack 1 win 65535
//! +0  accept(3, ..., ...) = 4
//! ";
//! assert_eq!(run_script(script, Mode::Strict), Outcome::Passed);
//! ```

pub mod parse;
mod run;
mod syscall;
mod sysctl;

pub use run::{
    Failure, Mode, Outcome, missing_feature, run_parsed, run_parsed_traced, run_script,
    run_script_traced,
};
