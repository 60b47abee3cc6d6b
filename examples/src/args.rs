//! The command line every demo shares: the common options and a small
//! parser (no dependency beyond the core's address types).

use std::net::SocketAddrV4;
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

/// Prints the message on one line, exits with status 2 (the usage is
/// `--help`'s). `usage` is the demo's, for `--help`.
pub fn die_usage(msg: &str, usage: &str) -> ! {
    let name = usage
        .strip_prefix("usage: ")
        .and_then(|u| u.split_whitespace().next())
        .unwrap_or("error");
    eprintln!("{name}: {msg} (see {name} --help)");
    exit(2)
}

/// A client's FOREIGN:PORT, or exit with usage (port 0 is no destination).
pub fn parse_peer(s: &str, usage: &str) -> SocketAddrV4 {
    let peer: SocketAddrV4 = s
        .parse()
        .unwrap_or_else(|_| die_usage(&format!("bad peer {s} (want ADDR:PORT)"), usage));
    if peer.port() == 0 {
        die_usage(&format!("{peer}: port 0 is no destination"), usage);
    }
    peer
}

/// What is wrong with the common options, if anything: checked before the
/// host is touched (no interface is created for options that cannot
/// work).
pub fn check_common(c: &Common) -> Result<(), String> {
    let devices = [
        ("--tap", &c.tap),
        ("--tun", &c.tun),
        ("--packet", &c.packet),
    ];
    let given: Vec<&str> = devices
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(f, _)| *f)
        .collect();
    if given.len() > 1 {
        return Err(format!("{} at once: give one device", given.join(" and ")));
    }
    check_addr(&c.addr)?;
    check_mac(&c.mac)?;
    if let Some(gw) = c.gateway {
        if gw == c.addr.address() {
            return Err(format!("--gateway {gw} is the stack's own address"));
        }
        if !c.addr.network().contains_addr(&gw) {
            return Err(format!(
                "--gateway {gw} is outside {}/{} (on purpose: no on-link gateways; give --gateway IP in the subnet, or --gateway none)",
                c.addr.network().address(),
                c.addr.prefix_len()
            ));
        }
    }
    Ok(())
}

/// An address a host may take (RFC 1122 3.2.1.3, RFC 3021).
fn check_addr(cidr: &Ipv4Cidr) -> Result<(), String> {
    let a = cidr.address();
    let o = a.octets();
    let why = if cidr.prefix_len() == 0 {
        Some("a /0 prefix covers every address")
    } else if o[0] == 127 {
        Some("a loopback address (127/8, RFC 1122 3.2.1.3)")
    } else if o[0] == 0 {
        Some("in 0.0.0.0/8 (\"this network\", RFC 1122 3.2.1.3)")
    } else if a.is_multicast() {
        Some("a multicast address (224/4)")
    } else if o[0] >= 240 {
        Some("in 240.0.0.0/4 (reserved) or the broadcast address")
    } else if cidr.prefix_len() < 31 && a == cidr.network().address() {
        Some("the network address of its prefix (only /31 and /32 may use it, RFC 3021)")
    } else if cidr.broadcast() == Some(a) {
        Some("the broadcast address of its prefix (only /31 and /32 may use it, RFC 3021)")
    } else {
        None
    };
    match why {
        Some(why) => Err(format!("--addr {a}/{}: {why}", cidr.prefix_len())),
        None => Ok(()),
    }
}

/// A MAC a host may take: unicast, not all zeros.
fn check_mac(mac: &EthernetAddress) -> Result<(), String> {
    let why = if mac.is_broadcast() {
        "the broadcast address"
    } else if mac.is_multicast() {
        "a multicast address (the group bit of the first octet is set)"
    } else if mac.0 == [0; 6] {
        "all zeros"
    } else {
        return Ok(());
    };
    Err(format!("--mac {mac}: {why}"))
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
    if let Err(e) = check_common(&a.common) {
        die_usage(&e, usage)
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn common(addr: &str, gateway: Option<&str>) -> Common {
        Common {
            addr: addr.parse().unwrap(),
            gateway: gateway.map(|g| g.parse().unwrap()),
            ..Common::default()
        }
    }

    #[test]
    fn the_defaults_pass() {
        assert_eq!(check_common(&Common::default()), Ok(()));
        assert_eq!(
            check_common(&common("192.0.2.2/25", Some("192.0.2.1"))),
            Ok(())
        );
    }

    #[test]
    fn rfc3021_a_31_or_32_may_use_every_address() {
        for addr in [
            "192.0.2.0/31",
            "192.0.2.1/31",
            "192.0.2.0/32",
            "192.0.2.255/32",
        ] {
            assert_eq!(check_common(&common(addr, None)), Ok(()), "{addr}");
        }
        assert!(check_common(&common("192.0.2.0/30", None)).is_err());
        assert!(check_common(&common("192.0.2.3/30", None)).is_err());
    }

    #[test]
    fn a_gateway_in_the_subnet_and_not_ours() {
        assert!(check_common(&common("10.0.0.2/8", Some("10.255.0.1"))).is_ok());
        let e = check_common(&common("10.0.0.2/8", Some("11.0.0.1"))).unwrap_err();
        assert!(e.contains("outside 10.0.0.0/8"), "{e}");
        assert!(check_common(&common("10.0.0.2/8", Some("10.0.0.2"))).is_err());
    }

    #[test]
    fn one_device() {
        let c = Common {
            tap: Some("tap0".into()),
            packet: Some("eth0".into()),
            ..Common::default()
        };
        assert_eq!(
            check_common(&c),
            Err("--tap and --packet at once: give one device".into())
        );
    }
}
