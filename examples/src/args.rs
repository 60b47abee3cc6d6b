//! The command line every demo shares: the common options and a small
//! parser (no dependency beyond the core's address types).

use std::path::PathBuf;
use std::process::exit;

use microps_core::wire::{EthernetAddress, Ipv4Address, Ipv4Cidr};

/// The options every demo takes.
#[derive(Debug, Clone)]
pub struct Common {
    /// TAP interfaces to use.
    pub tap: Option<String>,
    /// TUN interface to use.
    pub tun: Option<String>,
    /// Existing interface for PF_PACKET.
    pub packet: Option<String>,
    /// The stack's address.
    pub addr: Ipv4Cidr,
    /// The default gateway.
    pub gateway: Option<Ipv4Address>,
    /// The MAC address.
    pub mac: EthernetAddress,
    /// The seed.
    pub seed: Option<u64>,
    /// Where to capture every frame (`--pcap`).
    pub pcap: Option<PathBuf>,
    /// Print the counters on exit (`--stats`).
    pub stats: bool,
    /// Log verbosity.
    pub verbose: u8,
}

impl Default for Common {
    fn default() -> Self {
        Common {
            tap: None,
            tun: None,
            packet: None,
            addr: Ipv4Cidr::new(Ipv4Address::new(192, 0, 2, 2), 24)
                .unwrap_or_else(|| unreachable!()),
            gateway: Some(Ipv4Address::new(192, 0, 2, 1)),
            mac: EthernetAddress([0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]),
            seed: None,
            pcap: None,
            stats: false,
            verbose: 0,
        }
    }
}

/// Parsed command line: the common options, the demo's own options (as
/// `(flag, value)`), and the positional arguments.
#[derive(Debug, Default)]
pub struct Args {
    /// Common options.
    pub common: Common,
    /// Demo-specific options, in order.
    pub options: Vec<(String, String)>,
    /// Positional arguments.
    pub positional: Vec<String>,
}

impl Args {
    /// The last value of a demo option.
    pub fn opt(&self, flag: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(f, _)| f == flag)
            .map(|(_, v)| v.as_str())
    }

    /// A demo option parsed, or `default`; exits with usage on a bad value.
    pub fn opt_parse<T: std::str::FromStr>(&self, flag: &str, default: T, usage: &str) -> T {
        match self.opt(flag) {
            None => default,
            Some(v) => v
                .parse()
                .unwrap_or_else(|_| die_usage(&format!("bad value for {flag}: {v}"), usage)),
        }
    }
}

/// Prints a message and the usage, exits with status 2.
pub fn die_usage(msg: &str, usage: &str) -> ! {
    eprintln!("error: {msg}");
    eprintln!("{usage}");
    exit(2)
}

/// The usage lines of the common options.
pub const COMMON_USAGE: &str = "common options:
  --tap NAME       TAP interface (default tap0)
  --tun NAME       TUN interface instead of TAP
  --packet IFACE   existing interface through PF_PACKET instead of TAP
  --addr CIDR      the stack's address (default 192.0.2.2/24)
  --gateway IP     default gateway (default 192.0.2.1; 'none' for none)
  --mac MAC        the stack's MAC (default 00:00:5e:00:53:01)
  --seed N         fix the random seed (default: getrandom)
  --pcap FILE      write every frame sent and received to FILE (pcap format)
  --stats          print the counters of every layer and device on exit
  -v, -vv, -vvv    logs: state changes, decoded headers, hex dumps
a missing TAP/TUN interface is created when run as root (the host side
gets the gateway's address) and removed on exit";

/// Parses the command line. `takes_value` lists the demo's own options
/// that take a value (`-c`, `-s`, ...); `flags` those that do not.
pub fn parse(takes_value: &[&str], flags: &[&str], usage: &str) -> Args {
    parse_from(std::env::args().skip(1), takes_value, flags, usage)
}

/// [`parse`] over any argument list.
pub fn parse_from(
    argv: impl IntoIterator<Item = String>,
    takes_value: &[&str],
    flags: &[&str],
    usage: &str,
) -> Args {
    let mut a = Args::default();
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .unwrap_or_else(|| die_usage(&format!("{name} needs a value"), usage))
        };
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{usage}");
                exit(0)
            }
            "--tap" => a.common.tap = Some(value("--tap")),
            "--tun" => a.common.tun = Some(value("--tun")),
            "--packet" => a.common.packet = Some(value("--packet")),
            "--addr" => {
                let v = value("--addr");
                a.common.addr = v.parse().unwrap_or_else(|_| {
                    die_usage(&format!("bad --addr {v} (want 192.0.2.2/24)"), usage)
                });
            }
            "--gateway" => {
                let v = value("--gateway");
                a.common.gateway = if v == "none" {
                    None
                } else {
                    Some(
                        v.parse()
                            .unwrap_or_else(|_| die_usage(&format!("bad --gateway {v}"), usage)),
                    )
                };
            }
            "--mac" => {
                let v = value("--mac");
                a.common.mac = EthernetAddress::parse(&v)
                    .unwrap_or_else(|| die_usage(&format!("bad --mac {v}"), usage));
            }
            "--seed" => {
                let v = value("--seed");
                a.common.seed = Some(
                    v.parse()
                        .unwrap_or_else(|_| die_usage(&format!("bad --seed {v}"), usage)),
                );
            }
            "--pcap" => a.common.pcap = Some(PathBuf::from(value("--pcap"))),
            "--stats" => a.common.stats = true,
            "-v" => a.common.verbose += 1,
            "-vv" => a.common.verbose += 2,
            "-vvv" => a.common.verbose += 3,
            s if takes_value.contains(&s) => {
                let v = value(s);
                a.options.push((s.to_string(), v));
            }
            s if flags.contains(&s) => a.options.push((s.to_string(), String::new())),
            s if s.starts_with('-') && s.len() > 1 && s.parse::<i64>().is_err() => {
                die_usage(&format!("unknown option {s}"), usage)
            }
            _ => a.positional.push(arg),
        }
    }
    a
}
