//! What the demo programs share: the common command-line options and the
//! stack they build from them.
//!
//! Options common to every demo:
//!
//! | option | meaning | default |
//! |---|---|---|
//! | `--tap NAME` | run on a TAP interface | `tap0` |
//! | `--tun NAME` | run on a TUN interface (IP, no Ethernet) | |
//! | `--packet IFACE` | run on an existing interface through PF_PACKET | |
//! | `--addr CIDR` | the stack's address | `192.0.2.2/24` |
//! | `--gateway IP` | the default gateway | `192.0.2.1` |
//! | `--mac MAC` | the stack's MAC (TAP, PF_PACKET) | `00:00:5e:00:53:01` |
//! | `--seed N` | fix the random seed (replay) | from getrandom(2) |
//! | `-v`, `-vv`, `-vvv` | more logs: state, decoded headers, hex dumps | |

use std::io;
use std::process::exit;

use microps_core::wire::{EthernetAddress, Ipv4Address, Ipv4Cidr};
use microps_drivers_linux::runtime::{Builder, Runtime};

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
  -v, -vv, -vvv    logs: state changes, decoded headers, hex dumps";

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

impl Common {
    /// A runtime builder with the device and addresses these options say.
    pub fn builder(&self) -> Builder {
        let mut b = Runtime::builder().mac(self.mac).seed(self.seed);
        b = if let Some(t) = &self.tun {
            b.tun(t)
        } else if let Some(p) = &self.packet {
            b.packet(p)
        } else {
            b.tap(self.tap.as_deref().unwrap_or("tap0"))
        };
        b = b.addr(self.addr);
        if let Some(gw) = self.gateway
            && self.addr.contains_addr(&gw)
            && gw != self.addr.address()
        {
            b = b.gateway(gw);
        }
        b
    }

    /// Starts logging and the stack; on failure prints why and exits 1.
    pub fn start(&self) -> Runtime {
        init_logging(self.verbose);
        match self.builder().build() {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("error: {e}");
                exit(1)
            }
        }
    }
}

/// Starts the microps-style logger at this verbosity.
pub fn init_logging(verbose: u8) {
    let _ = microps_drivers_linux::logger::init(verbose);
}

/// Makes Ctrl-C interrupt blocked socket calls of `rt`.
pub fn interrupt_on_ctrl_c(rt: &Runtime) -> io::Result<()> {
    let shared = rt.shared().clone();
    microps_drivers_linux::signal::on_interrupt(move || {
        shared.lock().interrupted = true;
        shared.wake();
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Args {
        parse_from(v.iter().map(|s| s.to_string()), &["-c", "-s"], &[], "usage")
    }

    #[test]
    fn common_and_own_options() {
        let a = args(&[
            "--tap",
            "tap1",
            "-c",
            "3",
            "--addr",
            "10.0.0.2/8",
            "-vv",
            "192.0.2.1",
            "--gateway",
            "none",
        ]);
        assert_eq!(a.common.tap.as_deref(), Some("tap1"));
        assert_eq!(a.common.addr, "10.0.0.2/8".parse().unwrap());
        assert_eq!(a.common.verbose, 2);
        assert_eq!(a.common.gateway, None);
        assert_eq!(a.opt("-c"), Some("3"));
        assert_eq!(a.positional, ["192.0.2.1"]);
    }

    #[test]
    fn defaults() {
        let a = args(&["7"]);
        assert_eq!(a.common.addr, "192.0.2.2/24".parse().unwrap());
        assert_eq!(a.common.gateway, Some(Ipv4Address::new(192, 0, 2, 1)));
        assert_eq!(a.common.mac, EthernetAddress([0, 0, 0x5e, 0, 0x53, 1]));
        assert_eq!(a.positional, ["7"]);
    }
}
