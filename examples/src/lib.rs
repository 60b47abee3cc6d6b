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
//! | `--pcap FILE` | capture every frame sent and received into FILE | |
//! | `--stats` | print the counters of every layer and device on exit | |
//! | `-v`, `-vv`, `-vvv` | more logs: state, decoded headers, hex dumps | |
//!
//! # The interface
//!
//! [`Common::start`] (and [`Common::build`]) make sure the TAP or TUN
//! interface exists before the stack opens it: if it is missing and the
//! demo runs as root (`CAP_NET_ADMIN`), they create it, give the host side
//! [`Common::host_addr`] (`192.0.2.1/24` by default), bring it up, log
//! `created tap0 with 192.0.2.1/24 for the host; it will be removed on
//! exit`, and delete it again when the runtime stops (and, failing that,
//! when the process exits). Without the privilege the demo prints the `ip`
//! commands that create it once, and exits with status 1. An interface that
//! exists is used as it is. PF_PACKET interfaces are never created.
//!
//! # Capture
//!
//! `--pcap FILE` writes a classic pcap file (microsecond wall-clock
//! timestamps) of every frame every device sends and receives, readable by
//! `tcpdump -r FILE` and Wireshark. Its link type is Ethernet when the
//! devices are Ethernet (TAP, PF_PACKET), raw IP (`LINKTYPE_RAW`) when
//! they are all IP-medium (TUN, loopback, null); when both kinds are
//! mixed it is Ethernet, and every IP-medium frame is written behind a
//! synthesized Ethernet header (both addresses `00:00:00:00:00:00`,
//! EtherType IPv4, or IPv6 for a version-6 datagram). See [`PcapCapture`].
//!
//! # Statistics
//!
//! `--stats` prints, to stderr when the runtime stops, the stack's
//! counters (one line per layer, non-zero counters only, as
//! [`Stats`](microps_core::iface::Stats) displays them) and each device's
//! counters ([`DeviceStats`](microps_drivers_linux::runtime::DeviceStats)).

mod args;
pub use args::{Args, COMMON_USAGE, Common, die_usage, parse, parse_from, parse_peer};

#[cfg(feature = "hosted")]
mod hosted;
#[cfg(feature = "hosted")]
pub use hosted::*;
