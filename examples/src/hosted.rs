//! What the demos on Linux share: the runtime their options build, the
//! statistics report, the pcap capture, the logger and Ctrl-C.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::process::exit;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use microps_core::phy::{Direction, Medium};
use microps_core::time::Instant;
use microps_core::wire::{Ipv4Address, Ipv4Cidr};
use microps_drivers_linux::pcap::{LinkType, PcapWriter};
use microps_drivers_linux::runtime::{Builder, DeviceSpec, FrameHook, HostDevice, Runtime, State};
use microps_drivers_linux::setup::{self, Kind, TapSetup};

use crate::Common;

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

    /// The address the host side gets on an interface created here: the
    /// gateway with the prefix length of `--addr`; without a gateway on
    /// that subnet, the subnet's first address other than the stack's.
    pub fn host_addr(&self) -> Ipv4Cidr {
        let prefix = self.addr.prefix_len();
        let host = match self.gateway {
            Some(gw) if self.addr.contains_addr(&gw) && gw != self.addr.address() => gw,
            _ => {
                let net = u32::from(self.addr.network().address());
                let first = Ipv4Address::from(net.wrapping_add(1));
                if first == self.addr.address() {
                    Ipv4Address::from(net.wrapping_add(2))
                } else {
                    first
                }
            }
        };
        Ipv4Cidr::new(host, prefix).unwrap_or(self.addr)
    }

    /// Starts logging and the stack ([`build`](Common::build) of
    /// [`builder`](Common::builder)); on failure prints why and exits 1.
    pub fn start(&self) -> Runtime {
        init_logging(self.verbose);
        self.build(self.builder()).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            exit(1)
        })
    }

    /// Builds `b` into a running stack, with what the common options add:
    ///
    /// - every TAP or TUN interface of `b` that does not exist is created
    ///   first (see the [crate documentation](crate)), and removed when the
    ///   runtime stops;
    /// - `--pcap`: every frame goes to the capture, flushed when the runtime
    ///   stops;
    /// - `--stats`: the counters are printed to stderr when the runtime
    ///   stops.
    ///
    /// # Errors
    ///
    /// A message for the user: the commands that create a missing interface
    /// without the privilege to do it here, a capture file that cannot be
    /// created, or a device that cannot be opened.
    pub fn build(&self, b: Builder) -> Result<Runtime, String> {
        let mut setups: Vec<TapSetup> = Vec::new();
        for spec in b.device_specs() {
            let (name, kind) = match spec {
                DeviceSpec::Tap(name) => (name, Kind::Tap),
                DeviceSpec::Tun(name) => (name, Kind::Tun),
                _ => continue,
            };
            if setups.iter().any(|s| s.name() == name.as_str()) {
                continue;
            }
            let setup = setup::ensure(name, kind, self.host_addr()).map_err(|e| e.to_string())?;
            // Traffic for our address would leave through another
            // interface: ping and connections fail with no sign of why.
            if let Some((other, net)) = setup::routed_elsewhere(self.addr.address(), name).first() {
                log::warn!(
                    "{net} is also routed through {other}: the host sends traffic for {} there, not to {name} (remove that route, or pick another --addr)",
                    self.addr.address()
                );
            }
            if setup.created() {
                log::info!("{setup}");
                setups.push(setup);
            }
        }
        let capture = match &self.pcap {
            Some(path) => {
                let media: Vec<Medium> = b.device_specs().map(DeviceSpec::medium).collect();
                Some(
                    PcapCapture::create(path, &media)
                        .map_err(|e| format!("--pcap {}: {e}", path.display()))?,
                )
            }
            None => None,
        };
        let b = match &capture {
            Some(c) => b.frame_hook(c.hook()),
            None => b,
        };
        // On failure the setups are dropped here: the interfaces go again.
        let mut rt = b.build().map_err(|e| e.to_string())?;
        if self.stats {
            rt.on_stop(Box::new(|st: &mut State| eprint!("{}", stats_report(st))));
        }
        if let Some(c) = capture {
            rt.on_stop(Box::new(move |_: &mut State| c.finish()));
        }
        if !setups.is_empty() {
            // The runtime's device now holds each interface: the kernel
            // deletes it when that fd closes, at the latest at exit (even
            // if the process dies without stopping the runtime).
            {
                let st = rt.shared().lock();
                for setup in &setups {
                    let fd = (0..)
                        .map_while(|i| st.device(i))
                        .find(|d| d.name() == setup.name())
                        .and_then(HostDevice::fd);
                    if let Some(fd) = fd
                        && let Err(e) = setup::remove_on_close(fd)
                    {
                        log::debug!("{}: {e}", setup.name());
                    }
                }
            }
            rt.on_stop(Box::new(move |_: &mut State| drop(setups)));
        }
        Ok(rt)
    }
}

/// What `--stats` prints: `statistics:`, then the stack's counters, one
/// line per layer that counted anything (a layer with every counter at
/// zero is left out), then one line per device, each line indented by two
/// spaces.
pub fn stats_report(st: &State) -> String {
    let mut out = String::from("statistics:\n");
    for line in st.stack.stats().to_string().lines() {
        if !line.contains('=') {
            continue;
        }
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    for dev in st.device_stats() {
        out.push_str(&format!("  {dev}\n"));
    }
    out
}

/// How often, at most, the capture is flushed while frames flow (and once
/// when the runtime stops).
const PCAP_FLUSH_INTERVAL: Duration = Duration::from_millis(200);

/// A pcap capture of every device of a runtime (`--pcap FILE`).
///
/// The link type follows the devices' media: Ethernet if any device is an
/// Ethernet one, raw IP if all are IP-medium. In a file of link type
/// Ethernet, the frames of IP-medium devices (TUN, loopback, null) get a
/// synthesized 14-byte Ethernet header: destination and source
/// `00:00:00:00:00:00`, EtherType `0x0800` (`0x86dd` for an IPv6
/// datagram). Timestamps are the wall-clock time at which the runtime saw
/// each frame. The file is written through a buffer, flushed at most every
/// 200 ms while frames flow and by [`finish`](PcapCapture::finish).
#[derive(Debug, Clone)]
pub struct PcapCapture {
    inner: Arc<Mutex<CaptureState>>,
}

#[derive(Debug)]
struct CaptureState {
    writer: PcapWriter<BufWriter<File>>,
    path: PathBuf,
    /// Per device id: whether its frames need a synthesized header.
    synthesize: Vec<bool>,
    scratch: Vec<u8>,
    frames: u64,
    last_flush: std::time::Instant,
    failed: bool,
}

impl PcapCapture {
    /// Creates the file at `path` for devices of these media (in device-id
    /// order).
    ///
    /// # Errors
    ///
    /// The file cannot be created or written.
    pub fn create(path: &Path, media: &[Medium]) -> io::Result<PcapCapture> {
        let any_ethernet = media.contains(&Medium::Ethernet);
        let link = if any_ethernet || media.is_empty() {
            LinkType::Ethernet
        } else {
            LinkType::RawIpv4
        };
        let synthesize = media
            .iter()
            .map(|m| link == LinkType::Ethernet && *m != Medium::Ethernet)
            .collect();
        Ok(PcapCapture {
            inner: Arc::new(Mutex::new(CaptureState {
                writer: PcapWriter::create(path, link)?,
                path: path.to_path_buf(),
                synthesize,
                scratch: Vec::new(),
                frames: 0,
                last_flush: std::time::Instant::now(),
                failed: false,
            })),
        })
    }

    /// The link type of the file.
    pub fn link_type(&self) -> LinkType {
        self.lock().writer.link_type()
    }

    /// The runtime's frame hook that writes into this capture.
    pub fn hook(&self) -> FrameHook {
        let inner = self.inner.clone();
        Box::new(
            move |dev: usize, _dir: Direction, _now: Instant, frame: &[u8]| {
                let mut st = inner.lock().unwrap_or_else(|e| e.into_inner());
                st.write(dev, frame);
            },
        )
    }

    /// Writes one frame of device `dev` now.
    pub fn write(&self, dev: usize, frame: &[u8]) {
        self.lock().write(dev, frame);
    }

    /// How many frames were written.
    pub fn frames(&self) -> u64 {
        self.lock().frames
    }

    /// Flushes the file and logs how many frames it holds.
    pub fn finish(&self) {
        let mut st = self.lock();
        if st.failed {
            return;
        }
        match st.writer.flush() {
            Ok(()) => log::info!("wrote {} frames to {}", st.frames, st.path.display()),
            Err(e) => log::warn!("pcap {}: {e}", st.path.display()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CaptureState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl CaptureState {
    fn write(&mut self, dev: usize, frame: &[u8]) {
        if self.failed {
            return;
        }
        let now = SystemTime::now();
        let result = if self.synthesize.get(dev).copied().unwrap_or(false) {
            let ethertype: [u8; 2] = match frame.first() {
                Some(b) if b >> 4 == 6 => [0x86, 0xdd],
                _ => [0x08, 0x00],
            };
            let mut buf = std::mem::take(&mut self.scratch);
            buf.clear();
            buf.extend_from_slice(&[0; 12]);
            buf.extend_from_slice(&ethertype);
            buf.extend_from_slice(frame);
            let r = self.writer.write_frame(now, &buf);
            self.scratch = buf;
            r
        } else {
            self.writer.write_frame(now, frame)
        };
        let result = result.and_then(|()| {
            self.frames += 1;
            if self.last_flush.elapsed() >= PCAP_FLUSH_INTERVAL {
                self.last_flush = std::time::Instant::now();
                self.writer.flush()
            } else {
                Ok(())
            }
        });
        if let Err(e) = result {
            log::warn!("pcap {}: {e}; capture stopped", self.path.display());
            self.failed = true;
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
    use crate::{Args, parse_from};
    use microps_core::wire::EthernetAddress;

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
    fn pcap_and_stats_options() {
        let a = args(&["--pcap", "/tmp/x.pcap", "--stats", "7"]);
        assert_eq!(a.common.pcap.as_deref(), Some(Path::new("/tmp/x.pcap")));
        assert!(a.common.stats);
        assert_eq!(a.positional, ["7"]);
        let a = args(&["7"]);
        assert_eq!(a.common.pcap, None);
        assert!(!a.common.stats);
    }

    #[test]
    fn host_side_address() {
        let host = |v: &[&str]| args(v).common.host_addr().to_string();
        assert_eq!(host(&[]), "192.0.2.1/24");
        assert_eq!(
            host(&["--addr", "192.0.2.77/25", "--gateway", "192.0.2.100"]),
            "192.0.2.100/25"
        );
        // No gateway on the subnet: its first address, or the second.
        assert_eq!(host(&["--gateway", "none"]), "192.0.2.1/24");
        assert_eq!(
            host(&["--addr", "192.0.2.1/24", "--gateway", "none"]),
            "192.0.2.2/24"
        );
        // (A gateway outside the subnet is refused by the parser; built
        // by hand, host_addr still keeps to the subnet.)
        let outside = crate::args::Common {
            gateway: Some("198.51.100.1".parse().unwrap()),
            ..crate::args::Common::default()
        };
        assert_eq!(outside.host_addr().to_string(), "192.0.2.1/24");
    }

    /// The pcap records of a file: (captured bytes) each.
    fn records(bytes: &[u8]) -> Vec<&[u8]> {
        let mut out = Vec::new();
        let mut rest = &bytes[24..];
        while rest.len() >= 16 {
            let len = u32::from_le_bytes(rest[8..12].try_into().unwrap()) as usize;
            out.push(&rest[16..16 + len]);
            rest = &rest[16 + len..];
        }
        out
    }

    #[test]
    fn capture_link_type_follows_the_media() {
        let dir = std::env::temp_dir();
        let path = dir.join(format!(
            "microps-examples-{}-mixed.pcap",
            std::process::id()
        ));
        let ip = [0x45u8, 0, 0, 20];
        let ip6 = [0x60u8, 0, 0, 0];
        let eth = [0xffu8; 14];

        // Mixed: Ethernet, and IP frames behind a synthesized header.
        let c = PcapCapture::create(&path, &[Medium::Ethernet, Medium::Ip]).unwrap();
        assert_eq!(c.link_type(), LinkType::Ethernet);
        c.write(0, &eth);
        c.write(1, &ip);
        c.write(1, &ip6);
        assert_eq!(c.frames(), 3);
        c.finish();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes[20..24], [1, 0, 0, 0]);
        let r = records(&bytes);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0], eth);
        assert_eq!(r[1][..14], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00]);
        assert_eq!(r[1][14..], ip);
        assert_eq!(r[2][12..14], [0x86, 0xdd]);
        assert_eq!(r[2][14..], ip6);

        // IP only: raw IP, frames as they are.
        let c = PcapCapture::create(&path, &[Medium::Ip, Medium::Ip]).unwrap();
        assert_eq!(c.link_type(), LinkType::RawIpv4);
        c.write(1, &ip);
        c.finish();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes[20..24], [101, 0, 0, 0]);
        assert_eq!(records(&bytes), [&ip[..]]);

        // Ethernet only.
        let c = PcapCapture::create(&path, &[Medium::Ethernet]).unwrap();
        assert_eq!(c.link_type(), LinkType::Ethernet);
        let _ = std::fs::remove_file(&path);
        assert!(PcapCapture::create(Path::new("/nonexistent-dir/x.pcap"), &[]).is_err());
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
