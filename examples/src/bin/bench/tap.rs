//! `bench sink` and `bench source` on a TAP interface, for either stack:
//! one thread, one poll loop that waits on the TAP's fd until the stack's
//! next deadline, the application's work inline (discard, or fill with the
//! pattern). Both stacks are driven the same way and pay one system call
//! per frame.

use std::process::exit;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant as WallClock};

use microps_drivers_linux::setup;

use crate::harness::Pattern;
use crate::{Args, Kind};
use microps_examples::die_usage;

/// What the application does with one connection.
struct App {
    sink: bool,
    pattern: Pattern,
    bytes: u64,
    started: Option<WallClock>,
}

impl App {
    fn new(sink: bool) -> App {
        App {
            sink,
            pattern: Pattern::new(),
            bytes: 0,
            started: None,
        }
    }

    fn fill(&mut self, buf: &mut [u8]) -> usize {
        self.started.get_or_insert_with(WallClock::now);
        self.pattern.fill(self.bytes, buf);
        self.bytes += buf.len() as u64;
        buf.len()
    }

    fn take(&mut self, buf: &[u8]) -> usize {
        self.started.get_or_insert_with(WallClock::now);
        self.bytes += buf.len() as u64;
        buf.len()
    }

    /// Prints the connection's rate and starts afresh.
    fn report(&mut self, kind: Kind, peer: &str) {
        let secs = self.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
        let what = if self.sink { "received" } else { "sent" };
        println!(
            "bench {} {}: {} bytes {what} with {peer} in {secs:.3} s = {:.2} Gbit/s",
            kind.name(),
            if self.sink { "sink" } else { "source" },
            self.bytes,
            self.bytes as f64 * 8.0 / secs.max(1e-9) / 1e9
        );
        self.bytes = 0;
        self.started = None;
    }
}

pub fn serve(kind: Kind, sink: bool, port: u16, args: &Args, usage: &str) {
    let common = &args.common;
    if common.tun.is_some() || common.packet.is_some() {
        die_usage(
            "bench sink and source run on a TAP interface (--tap)",
            usage,
        );
    }
    let name = common.tap.clone().unwrap_or_else(|| "tap0".into());
    let buffer: usize = args.opt_parse("--buffer", 64 * 1024, usage);
    let once = args.opt("--once").is_some();
    let setup = setup::ensure_tap(&name, common.host_addr()).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        exit(1)
    });
    if setup.created() {
        eprintln!("{setup}");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let _ = microps_drivers_linux::signal::on_interrupt(move || s.store(true, Ordering::Relaxed));
    let app = App::new(sink);
    let r = match kind {
        Kind::Microps => ours::serve(&name, port, buffer, once, args, app, &stop),
        Kind::Smoltcp => smol_serve(&name, port, buffer, once, args, app, &stop),
    };
    drop(setup);
    if let Err(e) = r {
        eprintln!("bench: {e}");
        exit(1)
    }
}

#[cfg(feature = "smoltcp")]
fn smol_serve(
    name: &str,
    port: u16,
    buffer: usize,
    once: bool,
    args: &Args,
    app: App,
    stop: &AtomicBool,
) -> Result<(), String> {
    smol::serve(name, port, buffer, once, args, app, stop)
}

#[cfg(not(feature = "smoltcp"))]
fn smol_serve(
    _: &str,
    _: u16,
    _: usize,
    _: bool,
    _: &Args,
    _: App,
    _: &AtomicBool,
) -> Result<(), String> {
    Err("this bench was built without smoltcp (cargo build --features smoltcp)".into())
}

/// How long until `at`, from `now` (microseconds of the same clock).
fn timeout(now: u64, at: Option<u64>) -> Option<Duration> {
    at.map(|t| Duration::from_micros(t.saturating_sub(now)))
}

mod ours {
    use super::*;
    use microps_core::iface::{Stack, StackConfig, StackStorage};
    use microps_core::phy::Device;
    use microps_core::socket::tcp::{SocketBuffer, State, TcpSocket};
    use microps_core::socket::{SocketSet, SocketSlot};
    use microps_core::time::Instant;
    use microps_drivers_linux::fd::wait_readable;
    use microps_drivers_linux::tap::TapDevice;

    pub fn serve(
        name: &str,
        port: u16,
        buffer: usize,
        once: bool,
        args: &Args,
        mut app: App,
        stop: &AtomicBool,
    ) -> Result<(), String> {
        let common = &args.common;
        let mut dev = TapDevice::open(name, common.mac).map_err(|e| format!("{name}: {e}"))?;
        let mut config = StackConfig::default();
        config.seed = common.seed.unwrap_or(1);
        let mut stack = Stack::new(config, StackStorage::owned(64, 64, 256 * 1024, 4, 65535));
        let id = stack
            .add_device(dev.capabilities())
            .map_err(|e| e.to_string())?;
        let iface = stack
            .add_interface(id, common.addr)
            .map_err(|e| e.to_string())?;
        if let Some(gw) = common.gateway.filter(|gw| common.addr.contains_addr(gw)) {
            stack
                .set_default_gateway(gw, iface)
                .map_err(|e| e.to_string())?;
        }
        let mut sockets = SocketSet::new(vec![SocketSlot::new(), SocketSlot::new()], 1);
        let h = sockets
            .add(TcpSocket::new(
                SocketBuffer::new(vec![0u8; buffer]),
                SocketBuffer::new(vec![0u8; buffer]),
            ))
            .map_err(|e| e.to_string())?;
        sockets.tcp_listen(h, port).map_err(|e| e.to_string())?;
        let epoch = WallClock::now();
        let clock = || epoch.elapsed().as_micros() as u64;
        let mut peer = String::new();
        while !stop.load(Ordering::Relaxed) {
            let now = clock();
            stack.poll(
                Instant::from_micros(now as i64),
                &mut [&mut dev],
                &mut sockets,
            );
            let Some(s) = sockets.get_mut::<TcpSocket>(h) else {
                return Err("the socket went away".into());
            };
            if s.is_active() && peer.is_empty() {
                peer = s.remote_endpoint().to_string();
            }
            if app.sink {
                while let Ok(n) = s.recv(|b| {
                    let n = app.take(b);
                    (n, n)
                }) {
                    if n == 0 {
                        break;
                    }
                }
                if s.peer_closed() && s.recv_queue() == 0 && s.may_send() {
                    s.close();
                }
            } else if s.may_send() {
                if s.peer_closed() {
                    s.close();
                } else {
                    let _ = s.send(|b| {
                        let n = app.fill(b);
                        (n, n)
                    });
                }
            }
            if matches!(s.state(), State::Closed | State::TimeWait) {
                app.report(Kind::Microps, &peer);
                peer.clear();
                if once {
                    return Ok(());
                }
                s.abort();
                sockets.tcp_listen(h, port).map_err(|e| e.to_string())?;
                continue;
            }
            let at = stack
                .poll_at(Instant::from_micros(clock() as i64), &sockets)
                .map(|t| t.total_micros().max(0) as u64);
            wait_readable(&[dev.fd()], timeout(clock(), at)).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

#[cfg(feature = "smoltcp")]
mod smol {
    use super::*;
    use smoltcp::iface::{Config, Interface, SocketSet};
    use smoltcp::phy::{Medium, TunTapInterface, wait};
    use smoltcp::socket::tcp;
    use smoltcp::time::Instant;
    use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address};
    use std::os::unix::io::AsRawFd;

    pub fn serve(
        name: &str,
        port: u16,
        buffer: usize,
        once: bool,
        args: &Args,
        mut app: App,
        stop: &AtomicBool,
    ) -> Result<(), String> {
        let common = &args.common;
        let mut dev =
            TunTapInterface::new(name, Medium::Ethernet).map_err(|e| format!("{name}: {e}"))?;
        let fd = dev.as_raw_fd();
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(common.mac.0)));
        config.random_seed = common.seed.unwrap_or(1);
        let epoch = WallClock::now();
        let clock = || Instant::from_micros(epoch.elapsed().as_micros() as i64);
        let mut iface = Interface::new(config, &mut dev, clock());
        let a = common.addr.address().octets();
        iface.update_ip_addrs(|addrs| {
            let _ = addrs.push(IpCidr::new(
                IpAddress::v4(a[0], a[1], a[2], a[3]),
                common.addr.prefix_len(),
            ));
        });
        if let Some(gw) = common.gateway.filter(|gw| common.addr.contains_addr(gw)) {
            let g = gw.octets();
            let _ = iface
                .routes_mut()
                .add_default_ipv4_route(Ipv4Address::new(g[0], g[1], g[2], g[3]));
        }
        let mut sockets = SocketSet::new(Vec::new());
        let new_socket = || {
            let mut s = tcp::Socket::new(
                tcp::SocketBuffer::new(vec![0u8; buffer]),
                tcp::SocketBuffer::new(vec![0u8; buffer]),
            );
            s.set_congestion_control(tcp::CongestionControl::Reno);
            s
        };
        let h = sockets.add(new_socket());
        sockets
            .get_mut::<tcp::Socket>(h)
            .listen(port)
            .map_err(|e| e.to_string())?;
        let mut peer = String::new();
        let mut was_open = false;
        while !stop.load(Ordering::Relaxed) {
            iface.poll(clock(), &mut dev, &mut sockets);
            let s = sockets.get_mut::<tcp::Socket>(h);
            if s.is_active() {
                was_open = true;
                if peer.is_empty()
                    && let Some(r) = s.remote_endpoint()
                {
                    peer = r.to_string();
                }
            }
            if app.sink {
                while s.can_recv() {
                    let _ = s.recv(|b| {
                        let n = app.take(b);
                        (n, n)
                    });
                }
                if !s.may_recv() && s.may_send() {
                    s.close();
                }
            } else if s.may_send() {
                if !s.may_recv() {
                    s.close();
                } else {
                    let _ = s.send(|b| {
                        let n = app.fill(b);
                        (n, n)
                    });
                }
            }
            if was_open && matches!(s.state(), tcp::State::Closed | tcp::State::TimeWait) {
                app.report(Kind::Smoltcp, &peer);
                peer.clear();
                was_open = false;
                if once {
                    return Ok(());
                }
                s.abort();
                *s = new_socket();
                s.listen(port).map_err(|e| e.to_string())?;
                continue;
            }
            let delay = iface.poll_delay(clock(), &sockets);
            wait(fd, delay).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}
