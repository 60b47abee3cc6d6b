//! `bench`: TCP throughput of microps, and of smoltcp side by side.
//!
//! ```text
//! bench [--stack microps|smoltcp] [--json] inproc [--bytes N] [--mtu N]
//!       [--buffer N] [--checksum soft|off] [--cc reno|none] [--timestamps on|off]
//!       [--idle N]
//! bench [--stack microps|smoltcp] [common options] sink PORT
//! bench [--stack microps|smoltcp] [common options] source PORT
//! bench peer send HOST:PORT [--bytes N]      (a std::net peer, Linux's TCP)
//! bench peer recv HOST:PORT [--bytes N]
//! ```
//!
//! `inproc` runs two stacks of the chosen kind in this process over an
//! in-memory Ethernet link (a buffer pool, no allocation per frame): one
//! sends `--bytes` of a pattern, the other checks every byte; a virtual
//! clock jumps to the next deadline only when both are idle, so timers cost
//! no wall time. It prints Gbit/s, the frames each way and the poll rounds
//! (`--json`: one line). `sink` accepts on PORT and discards what arrives,
//! printing Gbit/s per connection; `source` accepts and sends a pattern
//! until the peer closes; both run on tap0 at 192.0.2.2 like the demos
//! (the common options choose the device). `peer` is the kernel's end for
//! them, with std::net.

mod harness;
mod link;
mod ours;
mod peer;
#[cfg(feature = "smoltcp")]
mod smol;
#[cfg(feature = "hosted")]
mod tap;

use microps_examples::{Args, COMMON_USAGE, die_usage, parse};

const USAGE: &str = "usage: bench [--stack microps|smoltcp] [--json] MODE ...
modes:
  inproc [--bytes N] [--mtu N] [--buffer N] [--checksum soft|off] [--cc reno|none]
         [--timestamps on|off]   (microps: RFC 7323 timestamps, on by default;
                                  smoltcp here never sends them)
         [--idle N]   (microps: N more connections open and idle meanwhile)
      two stacks in this process over an in-memory Ethernet link
      (defaults: 64 MiB, MTU 1500, 64 KiB buffers, soft checksums, reno)
  sink PORT [--once] [--buffer N]     accept on PORT (tap0, 192.0.2.2),
                 discard what arrives, print Gbit/s per connection
  source PORT [--once] [--buffer N]   accept on PORT, send a pattern until
                 the peer closes (--once: stop after one connection)
  peer send HOST:PORT [--bytes N]   Linux's TCP sends N bytes (default 1 GiB)
  peer recv HOST:PORT [--bytes N]   Linux's TCP receives N bytes, closes";

/// Which stack runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Microps,
    Smoltcp,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Microps => "microps",
            Kind::Smoltcp => "smoltcp",
        }
    }
}

fn main() {
    let usage = format!("{USAGE}\n{COMMON_USAGE}");
    let args = parse(
        &[
            "--stack",
            "--bytes",
            "--mtu",
            "--buffer",
            "--checksum",
            "--cc",
            "--timestamps",
            "--idle",
        ],
        &["--json", "--once"],
        &usage,
    );
    let kind = match args.opt("--stack").unwrap_or("microps") {
        "microps" => Kind::Microps,
        "smoltcp" => Kind::Smoltcp,
        s => die_usage(&format!("unknown stack {s}"), &usage),
    };
    let mode: Vec<&str> = args.positional.iter().map(String::as_str).collect();
    match mode.as_slice() {
        ["inproc"] => inproc(kind, &args, &usage),
        ["peer", "send", to] => peer::send(to, args.opt_parse("--bytes", 1u64 << 30, &usage)),
        ["peer", "recv", from] => peer::recv(from, args.opt_parse("--bytes", 1u64 << 30, &usage)),
        [m @ ("sink" | "source"), port] => {
            let port: u16 = port
                .parse()
                .unwrap_or_else(|_| die_usage(&format!("bad port {port}"), &usage));
            serve(kind, m == &"sink", port, &args, &usage)
        }
        _ => die_usage("which mode?", &usage),
    }
}

#[cfg(feature = "hosted")]
fn serve(kind: Kind, sink: bool, port: u16, args: &Args, usage: &str) {
    tap::serve(kind, sink, port, args, usage)
}

#[cfg(not(feature = "hosted"))]
fn serve(_: Kind, _: bool, _: u16, _: &Args, usage: &str) {
    die_usage("sink and source need the `hosted` feature", usage)
}

fn inproc(kind: Kind, args: &Args, usage: &str) {
    let bytes: u64 = args.opt_parse("--bytes", 64 << 20, usage);
    let mtu: usize = args.opt_parse("--mtu", 1500, usage);
    let buffer: usize = args.opt_parse("--buffer", 64 * 1024, usage);
    let soft = match args.opt("--checksum").unwrap_or("soft") {
        "soft" => true,
        "off" => false,
        s => die_usage(&format!("--checksum soft|off, not {s}"), usage),
    };
    let reno = match args.opt("--cc").unwrap_or("reno") {
        "reno" => true,
        "none" => false,
        s => die_usage(&format!("--cc reno|none, not {s}"), usage),
    };
    let timestamps = match args.opt("--timestamps").unwrap_or("on") {
        "on" => true,
        "off" => false,
        s => die_usage(&format!("--timestamps on|off, not {s}"), usage),
    };
    if !(576..=65535).contains(&mtu) {
        die_usage("--mtu from 576 to 65535", usage);
    }
    let idle: usize = args.opt_parse("--idle", 0, usage);
    if idle > 20_000 {
        die_usage("--idle from 0 to 20000", usage);
    }
    if idle > 0 && kind == Kind::Smoltcp {
        die_usage("--idle is for --stack microps", usage);
    }
    let (a, b) = link::link(mtu, soft);
    let r = match kind {
        Kind::Microps => {
            let (mut tx, mut rx) = ours::pair(a, b, buffer, reno, timestamps, idle);
            harness::run(&mut tx, &mut rx, bytes)
        }
        Kind::Smoltcp => run_smoltcp(a, b, buffer, reno, bytes, usage),
    };
    let o = match r {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench: {} inproc failed: {e}", kind.name());
            std::process::exit(1)
        }
    };
    let checksum = if soft { "soft" } else { "off" };
    let cc = if reno { "reno" } else { "none" };
    if args.opt("--json").is_some() {
        println!(
            "{{\"stack\":\"{}\",\"mode\":\"inproc\",\"mtu\":{mtu},\"buffer\":{buffer},\"checksum\":\"{checksum}\",\"cc\":\"{cc}\",\"bytes\":{},\"seconds\":{:.6},\"gbit_per_s\":{:.4},\"frames_ab\":{},\"frames_ba\":{},\"data_frames_ab\":{},\"polls\":{},\"virtual_us\":{},\"idle\":{idle},\"visits_per_poll\":{:.2}}}",
            kind.name(),
            o.bytes,
            o.seconds,
            o.gbit_per_s(),
            o.frames_ab,
            o.frames_ba,
            o.data_frames_ab,
            o.polls,
            o.virtual_us,
            o.visits as f64 / o.polls.max(1) as f64
        );
    } else {
        println!(
            "{} inproc, MTU {mtu}, {buffer}-byte buffers, checksums {checksum}, {cc}: {} bytes in {:.3} s = {:.2} Gbit/s; frames {} a->b ({} with data), {} b->a; {} poll rounds; {:.3} s virtual; {idle} idle connections, {:.2} sockets visited a poll round",
            kind.name(),
            o.bytes,
            o.seconds,
            o.gbit_per_s(),
            o.frames_ab,
            o.data_frames_ab,
            o.frames_ba,
            o.polls,
            o.virtual_us as f64 / 1e6,
            o.visits as f64 / o.polls.max(1) as f64
        );
    }
}

#[cfg(feature = "smoltcp")]
fn run_smoltcp(
    a: link::Port,
    b: link::Port,
    buffer: usize,
    reno: bool,
    bytes: u64,
    _usage: &str,
) -> Result<harness::Outcome, String> {
    let (mut tx, mut rx) = smol::pair(a, b, buffer, reno);
    harness::run(&mut tx, &mut rx, bytes)
}

#[cfg(not(feature = "smoltcp"))]
fn run_smoltcp(
    _: link::Port,
    _: link::Port,
    _: usize,
    _: bool,
    _: u64,
    usage: &str,
) -> Result<harness::Outcome, String> {
    die_usage(
        "this bench was built without smoltcp (cargo build --features smoltcp)",
        usage,
    )
}
