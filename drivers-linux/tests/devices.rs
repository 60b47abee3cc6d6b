//! The Linux devices against the real kernel, each test in its own network
//! namespace. They need root: without it they are skipped (and fail with
//! `CI=true`).

use std::net::{Ipv4Addr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant as StdInstant};

use microps_core::phy::{Device, DeviceError, Medium, RxChecksum, RxMeta, TxMeta, TxSink};
use microps_core::time::Instant;
use microps_core::wire::EthernetAddress;
use microps_drivers_linux::fd::wait_readable;
use microps_drivers_linux::netns::{Netns, require_root};
use microps_drivers_linux::{PacketDevice, TapDevice, TunDevice};

/// The stack's MAC in these tests (locally administered).
const OUR_MAC: EthernetAddress = EthernetAddress([0x02, 0x00, 0x00, 0x4d, 0x50, 0x01]);
/// The kernel's address in the namespace.
const KERNEL_IP: [u8; 4] = [192, 0, 2, 1];
/// The stack's address.
const OUR_IP: [u8; 4] = [192, 0, 2, 2];

const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_IPV4: u16 = 0x0800;

fn mac_str(mac: EthernetAddress) -> String {
    let b = mac.0;
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        b[0], b[1], b[2], b[3], b[4], b[5]
    )
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn ethertype(frame: &[u8]) -> Option<u16> {
    (frame.len() >= 14).then(|| be16(frame, 12))
}

/// An ARP packet (after the Ethernet header), for IPv4 over Ethernet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Arp {
    op: u16,
    sender_mac: [u8; 6],
    sender_ip: [u8; 4],
    target_mac: [u8; 6],
    target_ip: [u8; 4],
}

fn parse_arp(frame: &[u8]) -> Option<Arp> {
    if ethertype(frame) != Some(ETHERTYPE_ARP) || frame.len() < 42 {
        return None;
    }
    let a = &frame[14..42];
    Some(Arp {
        op: be16(a, 6),
        sender_mac: a[8..14].try_into().unwrap(),
        sender_ip: a[14..18].try_into().unwrap(),
        target_mac: a[18..24].try_into().unwrap(),
        target_ip: a[24..28].try_into().unwrap(),
    })
}

/// Writes a 42-byte ARP reply saying `OUR_IP` is at `OUR_MAC`, to `to`.
fn write_arp_reply(buf: &mut [u8], to_mac: [u8; 6], to_ip: [u8; 4]) {
    assert_eq!(buf.len(), 42);
    buf[0..6].copy_from_slice(&to_mac);
    buf[6..12].copy_from_slice(&OUR_MAC.0);
    buf[12..14].copy_from_slice(&ETHERTYPE_ARP.to_be_bytes());
    let a = &mut buf[14..];
    a[0..2].copy_from_slice(&1u16.to_be_bytes()); // Ethernet
    a[2..4].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
    a[4] = 6;
    a[5] = 4;
    a[6..8].copy_from_slice(&2u16.to_be_bytes()); // reply
    a[8..14].copy_from_slice(&OUR_MAC.0);
    a[14..18].copy_from_slice(&OUR_IP);
    a[18..24].copy_from_slice(&to_mac);
    a[24..28].copy_from_slice(&to_ip);
}

/// The Internet checksum of `data`.
fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in data.chunks(2) {
        let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Whether `ip` is an IPv4 ICMP echo request to `OUR_IP`.
fn is_echo_request_to_us(ip: &[u8]) -> bool {
    ip.len() >= 28 && ip[0] == 0x45 && ip[9] == 1 && ip[16..20] == OUR_IP && ip[20] == 8
}

/// Writes into `out` the echo reply to the echo request `ip` (an IPv4
/// datagram without options), `out` being exactly as long.
fn write_echo_reply(ip: &[u8], out: &mut [u8]) {
    let total = usize::from(be16(ip, 2));
    assert_eq!(out.len(), total);
    out.copy_from_slice(&ip[..total]);
    // Swapping the addresses keeps the header checksum right.
    out[12..16].copy_from_slice(&ip[16..20]);
    out[16..20].copy_from_slice(&ip[12..16]);
    out[20] = 0; // echo reply
    out[22..24].fill(0);
    let sum = checksum(&out[20..]);
    out[22..24].copy_from_slice(&sum.to_be_bytes());
}

/// Receives from `dev` until `pred` returns true for a frame (true) or
/// `timeout` passes (false), waiting on `fd` in between.
fn recv_until(
    dev: &mut dyn Device,
    fd: RawFd,
    timeout: Duration,
    mut pred: impl FnMut(RxMeta, &[u8], &mut dyn TxSink) -> bool,
) -> bool {
    let deadline = StdInstant::now() + timeout;
    loop {
        loop {
            let mut hit = false;
            let progress = dev
                .receive(Instant::ZERO, &mut |meta, frame, sink| {
                    hit |= pred(meta, frame, sink)
                })
                .expect("receive");
            if hit {
                return true;
            }
            if !progress {
                break;
            }
        }
        let left = deadline.saturating_duration_since(StdInstant::now());
        if left.is_zero() {
            return false;
        }
        wait_readable(&[fd], Some(left)).expect("wait_readable");
    }
}

/// Waits up to two seconds for `ip neigh show ADDR dev DEV` to list `mac`.
fn kernel_learns(ns: &Netns, addr: &str, dev: &str, mac: EthernetAddress) -> String {
    let want = format!("lladdr {}", mac_str(mac));
    let deadline = StdInstant::now() + Duration::from_secs(2);
    loop {
        let shown = ns
            .exec_ok(&["ip", "neigh", "show", addr, "dev", dev])
            .unwrap();
        if shown.contains(&want) || StdInstant::now() > deadline {
            return shown;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn setup_tap(ns: &Netns) {
    ns.exec_ok(&["ip", "tuntap", "add", "mode", "tap", "name", "tap0"])
        .unwrap();
    ns.exec_ok(&["ip", "addr", "add", "192.0.2.1/24", "dev", "tap0"])
        .unwrap();
    ns.exec_ok(&["ip", "link", "set", "tap0", "up"]).unwrap();
}

/// Waits for the kernel's ARP request for `OUR_IP` and returns the kernel
/// side's MAC, answering it through the sink when `answer` is set.
fn await_arp_request(dev: &mut dyn Device, fd: RawFd, answer: bool) -> [u8; 6] {
    let mut kernel_mac = None;
    let seen = recv_until(dev, fd, Duration::from_secs(5), |meta, frame, sink| {
        assert_eq!(meta.checksum, RxChecksum::Unknown);
        let Some(arp) = parse_arp(frame) else {
            return false;
        };
        if arp.op != 1 || arp.target_ip != OUR_IP || arp.sender_ip != KERNEL_IP {
            return false;
        }
        assert_eq!(frame[0..6], [0xff; 6], "a broadcast request");
        assert_eq!(frame[6..12], arp.sender_mac);
        kernel_mac = Some(arp.sender_mac);
        if answer {
            sink.transmit(42, TxMeta::default(), &mut |buf| {
                write_arp_reply(buf, arp.sender_mac, arp.sender_ip)
            })
            .expect("reply through the sink");
        }
        true
    });
    assert!(seen, "no ARP request for 192.0.2.2 from the kernel");
    kernel_mac.unwrap()
}

/// Waits for the echo request the kernel held back until ARP resolved,
/// now addressed to `OUR_MAC`.
fn await_echo_request(dev: &mut dyn Device, fd: RawFd, reply: bool) {
    let seen = recv_until(dev, fd, Duration::from_secs(5), |_, frame, sink| {
        if ethertype(frame) != Some(ETHERTYPE_IPV4) || frame[0..6] != OUR_MAC.0 {
            return false;
        }
        let ip = &frame[14..];
        if !is_echo_request_to_us(ip) {
            return false;
        }
        if reply {
            let len = 14 + usize::from(be16(ip, 2));
            sink.transmit(len, TxMeta::default(), &mut |buf| {
                buf[0..6].copy_from_slice(&frame[6..12]);
                buf[6..12].copy_from_slice(&OUR_MAC.0);
                buf[12..14].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
                write_echo_reply(ip, &mut buf[14..]);
            })
            .expect("echo reply through the sink");
        }
        true
    });
    assert!(
        seen,
        "no echo request to our MAC: the kernel did not use our ARP reply"
    );
}

#[test]
fn tap_receives_arp_and_transmit_teaches_the_kernel() {
    if !require_root("tap_receives_arp_and_transmit_teaches_the_kernel") {
        return;
    }
    let ns = Netns::new("mpdev").unwrap();
    setup_tap(&ns);
    ns.run_in(|| {
        let mut dev = TapDevice::open("tap0", OUR_MAC).unwrap();
        assert_eq!(dev.name(), "tap0");
        let caps = dev.capabilities();
        assert_eq!(caps.medium, Medium::Ethernet);
        assert_eq!((caps.mtu, caps.max_frame_len), (1500, 1514));
        assert_eq!(caps.hardware_addr, Some(OUR_MAC));
        assert!(caps.checksum.ipv4.rx() && caps.checksum.tcp.tx());
        assert_eq!(dev.fd(), dev.as_raw_fd());
        let fd = dev.fd();

        // Nothing yet (IPv6 chatter aside): receive never blocks.
        let _ping = ns
            .spawn(&["ping", "-c", "3", "-W", "1", "192.0.2.2"])
            .unwrap();
        let kernel_mac = await_arp_request(&mut dev, fd, false);

        // Answer with Device::transmit, outside any receive.
        dev.transmit(Instant::ZERO, 42, TxMeta::default(), &mut |buf| {
            write_arp_reply(buf, kernel_mac, KERNEL_IP)
        })
        .unwrap();
        let shown = kernel_learns(&ns, "192.0.2.2", "tap0", OUR_MAC);
        assert!(
            shown.contains(&mac_str(OUR_MAC)),
            "kernel did not learn our MAC: {shown:?}"
        );
        await_echo_request(&mut dev, fd, false);

        // Too long: refused before the buffer is lent.
        let mut called = false;
        let err = dev.transmit(Instant::ZERO, 1515, TxMeta::default(), &mut |_| {
            called = true
        });
        assert_eq!(err, Err(DeviceError::TooLong));
        assert!(!called);

        let stats = dev.stats();
        assert!(stats.rx.frames >= 2, "{stats:?}");
        assert!(stats.rx.bytes >= 42 + 98, "{stats:?}");
        assert_eq!(
            (stats.tx.frames, stats.tx.bytes, stats.tx.too_long),
            (1, 42, 1)
        );
        assert_eq!(
            (stats.rx.errors, stats.tx.errors, stats.rx.truncated),
            (0, 0, 0)
        );
    })
    .unwrap();
}

#[test]
fn tap_answers_through_the_sink_while_the_frame_is_borrowed() {
    if !require_root("tap_answers_through_the_sink_while_the_frame_is_borrowed") {
        return;
    }
    let ns = Netns::new("mpdev").unwrap();
    setup_tap(&ns);
    ns.run_in(|| {
        let mut dev = TapDevice::open("tap0", OUR_MAC).unwrap();
        let fd = dev.fd();
        let mut ping = ns
            .spawn(&["ping", "-c", "1", "-W", "5", "192.0.2.2"])
            .unwrap();
        await_arp_request(&mut dev, fd, true);
        let shown = kernel_learns(&ns, "192.0.2.2", "tap0", OUR_MAC);
        assert!(
            shown.contains(&mac_str(OUR_MAC)),
            "kernel did not learn our MAC: {shown:?}"
        );
        // Answer the ping through the sink too: ping exits 0 only if the
        // kernel accepted our echo reply.
        await_echo_request(&mut dev, fd, true);
        assert!(ping.wait().unwrap().success(), "ping got no reply");
        assert_eq!(dev.stats().tx.frames, 2);
    })
    .unwrap();
}

#[test]
fn tap_drops_frames_longer_than_its_buffer() {
    if !require_root("tap_drops_frames_longer_than_its_buffer") {
        return;
    }
    let ns = Netns::new("mpdev").unwrap();
    setup_tap(&ns);
    // The kernel knows our MAC, so pings go straight out.
    ns.exec_ok(&[
        "ip",
        "neigh",
        "add",
        "192.0.2.2",
        "lladdr",
        &mac_str(OUR_MAC),
        "dev",
        "tap0",
    ])
    .unwrap();
    ns.run_in(|| {
        // The interface's MTU is 1500, ours 500: the kernel sends frames
        // our buffer cannot hold.
        let mut dev = TapDevice::open("tap0", OUR_MAC).unwrap().with_mtu(500);
        assert_eq!(dev.mtu(), 500);
        assert_eq!(dev.capabilities().max_frame_len, 514);
        let fd = dev.fd();
        ns.exec(&["ping", "-c", "1", "-W", "1", "-s", "1000", "192.0.2.2"])
            .unwrap();
        let _small = ns
            .spawn(&["ping", "-c", "1", "-W", "1", "-s", "400", "192.0.2.2"])
            .unwrap();
        let mut len = 0;
        let seen = recv_until(&mut dev, fd, Duration::from_secs(5), |_, frame, _| {
            let hit =
                ethertype(frame) == Some(ETHERTYPE_IPV4) && is_echo_request_to_us(&frame[14..]);
            if hit {
                len = frame.len();
            }
            hit
        });
        assert!(seen, "the small echo request did not arrive");
        assert_eq!(len, 14 + 20 + 8 + 400);
        assert_eq!(dev.stats().rx.truncated, 1, "{:?}", dev.stats());
        let err = dev.transmit(Instant::ZERO, 515, TxMeta::default(), &mut |_| {});
        assert_eq!(err, Err(DeviceError::TooLong));
    })
    .unwrap();
}

#[test]
fn tap_reports_errors_without_panicking() {
    if !require_root("tap_reports_errors_without_panicking") {
        return;
    }
    let ns = Netns::new("mpdev").unwrap();
    ns.exec_ok(&["ip", "tuntap", "add", "mode", "tun", "name", "tun0"])
        .unwrap();
    setup_tap(&ns);
    ns.run_in(|| {
        // A TUN interface cannot be opened as a TAP, nor the reverse.
        let err = TapDevice::open("tun0", OUR_MAC).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
        let err = TunDevice::open("tap0").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");

        let mut dev = TapDevice::open("tap0", OUR_MAC).unwrap();
        // A second open fails while we hold it.
        let err = TapDevice::open("tap0", OUR_MAC).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBUSY), "{err}");
        ns.exec_ok(&["ip", "link", "set", "tap0", "down"]).unwrap();
        let err = dev.transmit(Instant::ZERO, 42, TxMeta::default(), &mut |buf| {
            write_arp_reply(buf, [0xff; 6], KERNEL_IP)
        });
        assert_eq!(err, Err(DeviceError::Down));
        assert_eq!(
            dev.receive(Instant::ZERO, &mut |_, _, _| panic!("no frame")),
            Ok(false)
        );
        assert_eq!(dev.stats().tx.errors, 1);
        // Deleting the interface under the device: reads fail, no panic.
        ns.exec_ok(&["ip", "link", "del", "tap0"]).unwrap();
        // The TUN driver answers EBADFD from then on.
        let got = dev.receive(Instant::ZERO, &mut |_, _, _| {});
        assert_eq!(got, Err(DeviceError::Io(libc::EBADFD)));
        let err = dev.transmit(Instant::ZERO, 42, TxMeta::default(), &mut |_| {});
        assert_eq!(err, Err(DeviceError::Io(libc::EBADFD)));
        let stats = dev.stats();
        assert_eq!((stats.rx.errors, stats.tx.errors), (1, 2));
    })
    .unwrap();
}

#[test]
fn tun_receives_an_echo_request_and_answers_it() {
    if !require_root("tun_receives_an_echo_request_and_answers_it") {
        return;
    }
    let ns = Netns::new("mpdev").unwrap();
    ns.exec_ok(&["ip", "tuntap", "add", "mode", "tun", "name", "tun0"])
        .unwrap();
    ns.exec_ok(&[
        "ip",
        "addr",
        "add",
        "192.0.2.1",
        "peer",
        "192.0.2.2",
        "dev",
        "tun0",
    ])
    .unwrap();
    ns.exec_ok(&["ip", "link", "set", "tun0", "up"]).unwrap();
    ns.run_in(|| {
        let mut dev = TunDevice::open("tun0").unwrap();
        assert_eq!(dev.name(), "tun0");
        let caps = dev.capabilities();
        assert_eq!(caps.medium, Medium::Ip);
        assert_eq!(
            (caps.mtu, caps.max_frame_len, caps.hardware_addr),
            (1500, 1500, None)
        );
        assert!(caps.flags.point_to_point);
        let fd = dev.fd();
        let mut ping = ns
            .spawn(&["ping", "-c", "1", "-W", "5", "192.0.2.2"])
            .unwrap();
        let mut first_byte = 0;
        let seen = recv_until(&mut dev, fd, Duration::from_secs(5), |meta, ip, sink| {
            assert_eq!(meta, RxMeta::default());
            if !is_echo_request_to_us(ip) {
                return false;
            }
            first_byte = ip[0];
            assert_eq!(ip[12..16], KERNEL_IP);
            let len = usize::from(be16(ip, 2));
            sink.transmit(len, TxMeta::default(), &mut |buf| write_echo_reply(ip, buf))
                .expect("echo reply through the sink");
            true
        });
        assert!(seen, "no echo request on tun0");
        assert_eq!(first_byte, 0x45);
        assert!(ping.wait().unwrap().success(), "ping got no reply");
        let stats = dev.stats();
        assert_eq!((stats.tx.frames, stats.tx.bytes), (1, 84));
        assert_eq!(
            dev.transmit(Instant::ZERO, 1501, TxMeta::default(), &mut |_| {}),
            Err(DeviceError::TooLong)
        );
    })
    .unwrap();
}

fn setup_veth(ns: &Netns) {
    ns.exec_ok(&[
        "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
    ])
    .unwrap();
    ns.exec_ok(&["ip", "addr", "add", "192.0.2.1/24", "dev", "veth0"])
        .unwrap();
    ns.exec_ok(&["ip", "link", "set", "veth0", "up"]).unwrap();
    ns.exec_ok(&["ip", "link", "set", "veth1", "up"]).unwrap();
}

#[test]
fn packet_device_on_veth_answers_arp_and_ping() {
    if !require_root("packet_device_on_veth_answers_arp_and_ping") {
        return;
    }
    let ns = Netns::new("mpdev").unwrap();
    setup_veth(&ns);
    ns.run_in(|| {
        let mut dev = PacketDevice::open("veth1", OUR_MAC).unwrap();
        assert_eq!(dev.name(), "veth1");
        let caps = dev.capabilities();
        assert_eq!(caps.medium, Medium::Ethernet);
        assert_eq!(caps.mtu, 1500);
        assert!(caps.offloads.rx_coalesce);
        assert_eq!(
            caps.max_frame_len,
            microps_drivers_linux::packet::MAX_RX_FRAME_LEN
        );
        assert_eq!(caps.hardware_addr, Some(OUR_MAC));
        let link = ns.exec_ok(&["ip", "-d", "link", "show", "veth1"]).unwrap();
        assert!(link.contains("promiscuity 1"), "not promiscuous: {link}");
        let fd = dev.fd();

        let mut ping = ns
            .spawn(&["ping", "-c", "1", "-W", "5", "192.0.2.2"])
            .unwrap();
        await_arp_request(&mut dev, fd, true);
        let shown = kernel_learns(&ns, "192.0.2.2", "veth0", OUR_MAC);
        assert!(
            shown.contains(&mac_str(OUR_MAC)),
            "kernel did not learn our MAC: {shown:?}"
        );
        await_echo_request(&mut dev, fd, true);
        assert!(ping.wait().unwrap().success(), "ping got no reply");

        let mut called = false;
        let err = dev.transmit(Instant::ZERO, 1515, TxMeta::default(), &mut |_| {
            called = true
        });
        assert_eq!(err, Err(DeviceError::TooLong));
        assert!(!called);
        let stats = dev.stats();
        assert_eq!(
            (stats.tx.frames, stats.tx.too_long, stats.tx.errors),
            (2, 1, 0)
        );
    })
    .unwrap();
    // Closing the socket leaves promiscuous mode.
    let link = ns.exec_ok(&["ip", "-d", "link", "show", "veth1"]).unwrap();
    assert!(link.contains("promiscuity 0"), "still promiscuous: {link}");
}

#[test]
fn packet_device_skips_outgoing_frames() {
    if !require_root("packet_device_skips_outgoing_frames") {
        return;
    }
    let ns = Netns::new("mpdev").unwrap();
    setup_veth(&ns);
    // The host itself sends out of veth1: ARP requests for 192.0.2.9.
    ns.exec_ok(&["ip", "route", "add", "192.0.2.9/32", "dev", "veth1"])
        .unwrap();
    ns.run_in(|| {
        let mut dev = PacketDevice::open("veth1", OUR_MAC).unwrap();
        let fd = dev.fd();
        // Our own frames: gratuitous ARP replies, which veth0 receives.
        for _ in 0..3 {
            dev.transmit(Instant::ZERO, 42, TxMeta::default(), &mut |buf| {
                write_arp_reply(buf, [0xff; 6], OUR_IP)
            })
            .unwrap();
        }
        let _ping = ns
            .spawn(&["ping", "-c", "2", "-i", "0.2", "-W", "1", "192.0.2.9"])
            .unwrap();
        // Give the host time to send its ARP requests (one per second).
        let seen = recv_until(&mut dev, fd, Duration::from_millis(1500), |_, frame, _| {
            if frame[6..12] == OUR_MAC.0 {
                panic!("our own frame came back: {frame:02x?}");
            }
            parse_arp(frame).is_some_and(|arp| arp.target_ip == [192, 0, 2, 9])
        });
        assert!(!seen, "the host's outgoing ARP request was delivered");
        let stats = dev.stats();
        assert_eq!(stats.tx.frames, 3);
        // PACKET_IGNORE_OUTGOING keeps them out of the socket altogether on
        // Linux >= 4.20; older kernels count them here.
        eprintln!("outgoing frames dropped by pkttype: {}", stats.rx.outgoing);
    })
    .unwrap();
}

/// `setsockopt(SOL_UDP, UDP_SEGMENT)` (Linux 4.18), missing from `libc` for
/// glibc targets.
const UDP_SEGMENT: libc::c_int = 103;

#[test]
fn packet_device_gets_unfilled_checksums_and_coalesced_frames() {
    if !require_root("packet_device_gets_unfilled_checksums_and_coalesced_frames") {
        return;
    }
    let ns = Netns::new("mpdev").unwrap();
    setup_veth(&ns);
    ns.exec_ok(&[
        "ip",
        "neigh",
        "replace",
        "192.0.2.2",
        "lladdr",
        &mac_str(OUR_MAC),
        "dev",
        "veth0",
        "nud",
        "permanent",
    ])
    .unwrap();
    ns.run_in(|| {
        let mut dev = PacketDevice::open("veth1", OUR_MAC).unwrap();
        let fd = dev.fd();
        let sock = UdpSocket::bind((Ipv4Addr::from(KERNEL_IP), 0)).unwrap();
        let to = (Ipv4Addr::from(OUR_IP), 9);

        // A datagram from this host leaves its UDP checksum to the
        // "hardware" (veth), so the kernel marks it CSUMNOTREADY.
        sock.send_to(b"hello microps", to).unwrap();
        let mut meta_seen = None;
        let seen = recv_until(&mut dev, fd, Duration::from_secs(3), |meta, frame, _| {
            let hit = ethertype(frame) == Some(ETHERTYPE_IPV4)
                && frame.len() >= 42
                && frame[14 + 9] == 17
                && frame.ends_with(b"hello microps");
            if hit {
                meta_seen = Some(meta);
            }
            hit
        });
        assert!(seen, "the UDP datagram did not arrive");
        assert_eq!(meta_seen, Some(RxMeta::verified()));

        // UDP GSO: one 8000-byte send in 1000-byte segments crosses the
        // veth as one 8042-byte frame, far over the MTU.
        let segment: libc::c_int = 1000;
        // SAFETY: a valid fd and a c_int option value of the size passed.
        let rc = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::SOL_UDP,
                UDP_SEGMENT,
                (&segment as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0, "UDP_SEGMENT: {}", std::io::Error::last_os_error());
        let payload: Vec<u8> = (0..8000u32).map(|i| (i % 251) as u8).collect();
        sock.send_to(&payload, to).unwrap();
        let mut sizes = Vec::new();
        let seen = recv_until(&mut dev, fd, Duration::from_secs(3), |_, frame, _| {
            if ethertype(frame) == Some(ETHERTYPE_IPV4) && frame.len() >= 42 && frame[14 + 9] == 17
            {
                sizes.push(frame.len());
            }
            sizes.iter().sum::<usize>() >= 8000
        });
        assert!(seen, "the UDP GSO send did not arrive: {sizes:?}");
        eprintln!("UDP GSO send arrived as frames of {sizes:?} bytes");
        assert!(
            sizes.iter().any(|&len| len > 1514),
            "no frame over the MTU: {sizes:?}"
        );
        assert_eq!(dev.stats().rx.truncated, 0);
    })
    .unwrap();
}

#[test]
fn packet_device_open_errors() {
    // No root needed: the interface lookup fails first.
    let err = PacketDevice::open("mpnosuchif0", OUR_MAC).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENODEV), "{err}");
    let err = PacketDevice::open("", OUR_MAC).unwrap_err();
    assert!(
        err.raw_os_error() == Some(libc::ENODEV) || err.kind() == std::io::ErrorKind::InvalidInput
    );
}
