//! What the common options do around the stack, against the Linux kernel,
//! each test in its own network namespace: the TAP (and TUN) interface
//! created when missing and removed on Ctrl-C, the commands printed without
//! the privilege to create it, `--pcap` captures read back by tcpdump, and
//! `--stats`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use microps_drivers_linux::netns::skip;

const CREATED_TAP0: &str =
    "created tap0 with 192.0.2.1/24 for the host; it will be removed on exit";

/// Whether `ifname` exists in `ns`.
fn link_exists(ns: &Netns, ifname: &str) -> bool {
    ns.exec(&["ip", "link", "show", ifname])
        .unwrap()
        .status
        .success()
}

/// Sends Ctrl-C to `demo` and checks that it exits with status 0 soon.
fn interrupt_and_expect_success(demo: &mut Background) {
    demo.interrupt();
    let status = demo.wait_timeout(Duration::from_secs(5));
    assert!(
        status.is_some_and(|s| s.success()),
        "exit after SIGINT: {status:?}\n{}",
        demo.log()
    );
}

/// The command line of a process, NUL separators as spaces.
fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// A capture file in the temp dir, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(ns: &Netns, ext: &str) -> TempFile {
        TempFile(std::env::temp_dir().join(format!("{}.{ext}", ns.name())))
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `tcpdump -r path -nn`: (stdout, stderr), or `None` when tcpdump cannot
/// run (a skip; a failure under `CI=true`).
fn tcpdump(test: &str, path: &Path) -> Option<(String, String)> {
    match Command::new("tcpdump")
        .arg("-r")
        .arg(path)
        .arg("-nn")
        .output()
    {
        Ok(o) => {
            assert!(o.status.success(), "tcpdump -r: {}", text(&o));
            Some((
                String::from_utf8_lossy(&o.stdout).into_owned(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            ))
        }
        Err(e) => {
            skip(test, &format!("cannot run tcpdump: {e}"));
            None
        }
    }
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn missing_tap_is_created_and_removed_on_ctrl_c() {
    if !require_root("missing_tap_is_created_and_removed_on_ctrl_c") {
        return;
    }
    let ns = Netns::new("mp-mktap").unwrap();
    assert!(!link_exists(&ns, "tap0"));
    let mut demo = spawn(&ns, &[&bin("tcps"), "--stats", "7"]);
    demo.wait_for_log("tcps: listening on", Duration::from_secs(10));
    // `ip netns exec` execs the demo: the child's pid is the demo's.
    assert!(
        cmdline(demo.pid()).contains(&bin("tcps")),
        "pid {} is {:?}",
        demo.pid(),
        cmdline(demo.pid())
    );
    let log = demo.log();
    assert_eq!(count(&log, CREATED_TAP0), 1, "{log}");
    let addr = ns
        .exec_ok(&["ip", "-o", "-4", "addr", "show", "dev", "tap0"])
        .unwrap();
    assert!(addr.contains("inet 192.0.2.1/24"), "{addr}");
    // IPv6 was off before the link went up: no address, no router
    // solicitations for the stack to drop.
    let v6 = ns.exec_ok(&["cat", "/proc/sys/net/ipv6/conf/tap0/disable_ipv6"]);
    if let Ok(v6) = v6 {
        assert_eq!(v6.trim(), "1");
        let addr6 = ns
            .exec_ok(&["ip", "-o", "-6", "addr", "show", "dev", "tap0"])
            .unwrap();
        assert!(addr6.trim().is_empty(), "{addr6}");
    }

    let o = ns
        .exec(&["ping", "-c", "2", "-i", "0.2", "-W", "2", "192.0.2.2"])
        .unwrap();
    assert_eq!(replies(&o), 2, "{}\n{}", text(&o), demo.log());
    let o = run(
        &ns,
        &["nc", "-N", "192.0.2.2", "7"],
        b"through a tap0 made for us\n",
        Duration::from_secs(10),
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "through a tap0 made for us\n",
        "{}\n{}",
        text(&o),
        demo.log()
    );

    interrupt_and_expect_success(&mut demo);
    assert!(!link_exists(&ns, "tap0"), "tap0 left behind");
    let log = demo.log();
    assert!(log.contains("removed tap0"), "{log}");
    // No frame of a type the stack does not handle (IPv6) reached it.
    let link = log
        .lines()
        .find(|l| l.trim_start().starts_with("link:"))
        .unwrap_or("");
    assert!(!link.contains("drop_unknown_type"), "{link}");
}

#[test]
fn missing_tap_without_privilege_prints_the_commands() {
    if !require_root("missing_tap_without_privilege_prints_the_commands") {
        return;
    }
    let ns = Netns::new("mp-noperm").unwrap();
    let as_nobody = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ];
    let tcps = bin("tcps");
    let probe = ns.exec(&[as_nobody.as_slice(), &["test", "-x", tcps.as_str()]].concat());
    if !probe.is_ok_and(|o| o.status.success()) {
        skip(
            "missing_tap_without_privilege_prints_the_commands",
            &format!("uid 65534 cannot run {tcps} (setpriv missing, or a private directory)"),
        );
        return;
    }
    let user = Command::new("id")
        .args(["-nu", "65534"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "65534".to_string());

    let o = run(
        &ns,
        &[as_nobody.as_slice(), &[tcps.as_str(), "7"]].concat(),
        b"",
        Duration::from_secs(10),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    // Where /dev/net/tun is not open to everyone (as most distributions
    // have it), the way to open it follows.
    let tun_open_to_all =
        std::fs::metadata("/dev/net/tun").is_ok_and(|m| m.permissions().mode() & 0o006 == 0o006);
    let chmod = if tun_open_to_all {
        ""
    } else {
        "  sudo chmod 0666 /dev/net/tun\n"
    };
    let expected = format!(
        "error: tap0 does not exist and creating it needs root (CAP_NET_ADMIN). Create it once with:\n  sudo ip tuntap add mode tap user {user} name tap0\n  sudo ip addr add 192.0.2.1/24 dev tap0\n  sudo ip link set tap0 up\n{chmod}"
    );
    assert!(stderr.ends_with(&expected), "{}", text(&o));
    assert!(!link_exists(&ns, "tap0"));

    // The commands as printed do the job: afterwards the same user runs
    // the demo on that tap0.
    for line in stderr.lines().filter_map(|l| l.strip_prefix("  sudo ")) {
        if line.starts_with("chmod ") {
            // That would change the host: done in a private mount
            // namespace below instead.
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        ns.exec_ok(&words).unwrap();
    }
    let udps = bin("udps");
    let node = TempFile::new(&ns, "tun");
    let _server = if tun_open_to_all {
        spawn(&ns, &[as_nobody.as_slice(), &[udps.as_str(), "7"]].concat())
    } else {
        // A /dev/net/tun open to all (the TUN device is char 10:200), over
        // the real one in this process's mount namespace only.
        let script = format!(
            "mknod {0} c 10 200 && chmod 0666 {0} && mount --bind {0} /dev/net/tun && exec {1} {udps} 7",
            node.path(),
            as_nobody.join(" ")
        );
        spawn(&ns, &["unshare", "--mount", "sh", "-c", &script])
    };
    wait_until_pingable(&ns, "192.0.2.2");
    let o = run(
        &ns,
        &["nc", "-u", "-w", "1", "192.0.2.2", "7"],
        b"unprivileged\n",
        Duration::from_secs(5),
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "unprivileged\n",
        "{}",
        text(&o)
    );
}

#[test]
fn pcap_on_tap_shows_arp_and_echo_both_ways() {
    let test = "pcap_on_tap_shows_arp_and_echo_both_ways";
    if !require_root(test) {
        return;
    }
    let ns = tap_namespace("mp-pcap");
    let file = TempFile::new(&ns, "pcap");
    let mut demo = spawn(&ns, &[&bin("udps"), "--pcap", file.path(), "7"]);
    demo.wait_for_log("udps: listening on", Duration::from_secs(10));
    ns.exec_ok(&["ip", "neigh", "flush", "dev", "tap0"])
        .unwrap();
    let o = ns
        .exec(&["ping", "-c", "2", "-i", "0.2", "-W", "2", "192.0.2.2"])
        .unwrap();
    assert_eq!(replies(&o), 2, "{}", text(&o));
    interrupt_and_expect_success(&mut demo);
    assert!(
        demo.log().contains(&format!("frames to {}", file.path())),
        "{}",
        demo.log()
    );

    let Some((out, err)) = tcpdump(test, &file.0) else {
        return;
    };
    assert!(err.contains("link-type EN10MB (Ethernet)"), "{err}");
    // In: the kernel's ARP request and echo requests; out: our ARP reply
    // and echo replies.
    assert_eq!(
        count(&out, "ARP, Request who-has 192.0.2.2 tell 192.0.2.1"),
        1,
        "{out}"
    );
    assert_eq!(
        count(&out, "ARP, Reply 192.0.2.2 is-at 00:00:5e:00:53:01"),
        1,
        "{out}"
    );
    for seq in ["seq 1,", "seq 2,"] {
        let request = out
            .lines()
            .filter(|l| l.contains("IP 192.0.2.1 > 192.0.2.2: ICMP echo request"))
            .filter(|l| l.contains(seq))
            .count();
        let reply = out
            .lines()
            .filter(|l| l.contains("IP 192.0.2.2 > 192.0.2.1: ICMP echo reply"))
            .filter(|l| l.contains(seq))
            .count();
        assert_eq!((request, reply), (1, 1), "{seq} {out}");
    }
}

#[test]
fn pcap_on_a_created_tun_is_raw_ip() {
    let test = "pcap_on_a_created_tun_is_raw_ip";
    if !require_root(test) {
        return;
    }
    let ns = Netns::new("mp-pcaptun").unwrap();
    let file = TempFile::new(&ns, "pcap");
    let mut demo = spawn(
        &ns,
        &[&bin("udps"), "--tun", "tun0", "--pcap", file.path(), "7"],
    );
    demo.wait_for_log("udps: listening on", Duration::from_secs(10));
    assert!(
        demo.log()
            .contains("created tun0 with 192.0.2.1/24 for the host; it will be removed on exit"),
        "{}",
        demo.log()
    );
    let o = ns
        .exec(&["ping", "-c", "2", "-i", "0.2", "-W", "2", "192.0.2.2"])
        .unwrap();
    assert_eq!(replies(&o), 2, "{}\n{}", text(&o), demo.log());
    interrupt_and_expect_success(&mut demo);
    assert!(!link_exists(&ns, "tun0"), "tun0 left behind");

    let Some((out, err)) = tcpdump(test, &file.0) else {
        return;
    };
    assert!(err.contains("link-type RAW (Raw IP)"), "{err}");
    assert_eq!(
        count(&out, "IP 192.0.2.1 > 192.0.2.2: ICMP echo request"),
        2,
        "{out}"
    );
    assert_eq!(
        count(&out, "IP 192.0.2.2 > 192.0.2.1: ICMP echo reply"),
        2,
        "{out}"
    );
}

#[test]
fn stats_are_printed_on_exit() {
    if !require_root("stats_are_printed_on_exit") {
        return;
    }
    let ns = tap_namespace("mp-stats");
    let mut demo = spawn(&ns, &[&bin("udps"), "--stats", "7"]);
    demo.wait_for_log("udps: listening on", Duration::from_secs(10));
    let o = ns
        .exec(&["ping", "-c", "2", "-i", "0.2", "-W", "2", "192.0.2.2"])
        .unwrap();
    assert_eq!(replies(&o), 2, "{}", text(&o));
    let o = run(
        &ns,
        &["nc", "-u", "-w", "1", "192.0.2.2", "7"],
        b"counted\n",
        Duration::from_secs(5),
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout), "counted\n");
    assert!(!demo.log().contains("statistics:"), "printed too early");
    interrupt_and_expect_success(&mut demo);
    let log = demo.log();
    let lines: Vec<&str> = log.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "statistics:")
        .unwrap_or_else(|| panic!("no statistics: {log}"));
    let report = &lines[start + 1..];
    let line = |prefix: &str| {
        report
            .iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line: {log}"))
            .to_string()
    };
    let icmp = line("  icmp:");
    assert!(
        icmp.starts_with("  icmp: rx_packets=2 tx_packets=2 ")
            && icmp.contains(" echo_replies_sent=2"),
        "{log}"
    );
    assert!(
        line("  udp:").starts_with("  udp: rx_packets=1 tx_packets=1"),
        "{log}"
    );
    assert!(line("  arp:").contains("tx_replies=1"), "{log}");
    for layer in ["  link:", "  ip:"] {
        line(layer);
    }
    // No TCP in this run: its layer, all zeros, is left out.
    assert!(!report.iter().any(|l| l.starts_with("  tcp:")), "{log}");
    let dev = line("  dev=net0 (tap0):");
    assert!(
        dev.contains(" rx_frames=") && dev.contains(" tx_frames="),
        "{log}"
    );
}

#[test]
fn demo_all_devices_brings_up_null_loopback_and_tap0() {
    if !require_root("demo_all_devices_brings_up_null_loopback_and_tap0") {
        return;
    }
    let ns = tap_namespace("mp-alldev");
    let mut demo = spawn(&ns, &[&bin("demo"), "--all-devices"]);
    demo.wait_for_log(
        "serving TCP and UDP echo on port 7",
        Duration::from_secs(20),
    );
    let log = demo.log();
    // Registered as microps's test program shows them: null, loopback,
    // Ethernet, with their interfaces and routes.
    for line in [
        "registered, dev=net0, type=0x0000",
        "registered, dev=net1, type=0x0001",
        "registered, dev=net2, type=0x0002",
        "registered: dev=net1, unicast=127.0.0.1, netmask=255.0.0.0, broadcast=127.255.255.255",
        "registered: dev=net2, unicast=192.0.2.2, netmask=255.255.255.0, broadcast=192.0.2.255",
        "route added: network=0.0.0.0, netmask=0.0.0.0, nexthop=192.0.2.1",
        "-> all good",
    ] {
        assert!(log.contains(line), "missing {line:?} in:\n{log}");
    }
    let o = ns
        .exec(&["ping", "-c", "2", "-i", "0.2", "-W", "2", "192.0.2.2"])
        .unwrap();
    assert_eq!(replies(&o), 2, "{}", text(&o));
    let o = run(
        &ns,
        &["nc", "-N", "192.0.2.2", "7"],
        b"through net2\n",
        Duration::from_secs(5),
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "through net2\n",
        "{}",
        text(&o)
    );
    demo.interrupt();
    let status = demo
        .wait_timeout(Duration::from_secs(10))
        .expect("demo exits after Ctrl-C");
    assert!(status.success(), "{status}: {}", demo.log());
}

/// The port a server's "listening on ADDR:PORT" log line names.
fn listening_port(log: &str, name: &str) -> u16 {
    let needle = format!("{name}: listening on ");
    let line = log
        .lines()
        .find(|l| l.contains(&needle))
        .unwrap_or_default();
    let at = line.split(&needle).nth(1).unwrap_or_default();
    // "0.0.0.0:64713 (tcps.rs:40)": the first word, after its colon.
    at.split_whitespace()
        .next()
        .and_then(|ep| ep.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

#[test]
fn servers_given_port_0_take_an_ephemeral_port_and_say_which() {
    if !require_root("servers_given_port_0_take_an_ephemeral_port_and_say_which") {
        return;
    }
    let ns = tap_namespace("mp-port0");
    for name in ["tcps", "udps"] {
        let mut demo = spawn(&ns, &[&bin(name), "0"]);
        demo.wait_for_log(&format!("{name}: listening on"), Duration::from_secs(10));
        let port = listening_port(&demo.log(), name);
        assert!(port >= 49152, "{name}: {}", demo.log());
        let script = if name == "tcps" {
            format!(
                "import socket\ns=socket.create_connection(('192.0.2.2',{port}),timeout=5)\ns.sendall(b'port0')\nprint(s.recv(5).decode())"
            )
        } else {
            format!(
                "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(5)\ns.sendto(b'port0',('192.0.2.2',{port}))\nprint(s.recv(5).decode())"
            )
        };
        let o = ns.exec(&["/usr/bin/python3", "-c", &script]).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).trim(),
            "port0",
            "{name}: {}",
            text(&o)
        );
        interrupt_and_expect_success(&mut demo);
    }
}

#[test]
fn udpc_exits_non_zero_when_a_send_fails() {
    if !require_root("udpc_exits_non_zero_when_a_send_fails") {
        return;
    }
    let ns = tap_namespace("mp-udpcfail");
    // 192.0.2.200 is off the /25 and there is no gateway: no route, so
    // nothing leaves, and the stack reports the send as failed.
    let o = run(
        &ns,
        &[
            &bin("udpc"),
            "--addr",
            "192.0.2.2/25",
            "--gateway",
            "none",
            "-w",
            "0.2",
            "192.0.2.200:9",
        ],
        b"hello\n",
        Duration::from_secs(20),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("udpc: network unreachable"),
        "{}",
        text(&o)
    );
}

/// The errors of opening a device say what is wrong and what to do, not
/// "Invalid argument": an interface that is not a TAP, a PF_PACKET
/// interface that does not exist, and a TAP this user may not open.
#[test]
fn device_errors_say_what_to_do() {
    if !require_root("device_errors_say_what_to_do") {
        return;
    }
    let ns = Netns::new("mp-deverr").unwrap();
    let tcps = bin("tcps");
    let fails_with = |args: &[&str], needle: &str| {
        let o = run(&ns, args, b"", Duration::from_secs(10));
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(needle), "{needle:?} not in: {}", text(&o));
    };
    fails_with(
        &[&tcps, "--tap", "lo", "7"],
        "lo exists and is not a TAP interface",
    );
    fails_with(
        &[&tcps, "--packet", "nosuch0", "7"],
        "opening PF_PACKET on nosuch0: no such interface",
    );
    // A tap0 that exists, root's: another user may not attach to it.
    ns.exec_ok(&["ip", "tuntap", "add", "mode", "tap", "name", "tap0"])
        .unwrap();
    let tun_open_to_all =
        std::fs::metadata("/dev/net/tun").is_ok_and(|m| m.permissions().mode() & 0o006 == 0o006);
    let needle = if tun_open_to_all {
        "needs CAP_NET_ADMIN (run as root), or a TAP created for this user"
    } else {
        "/dev/net/tun is not open to this user: sudo chmod 0666 /dev/net/tun"
    };
    let as_nobody = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ];
    fails_with(
        &[as_nobody.as_slice(), &[tcps.as_str(), "7"]].concat(),
        needle,
    );
}

/// A subnet the host already routes through another interface makes the
/// demo warn: the host would send traffic for 192.0.2.2 there, and ping
/// would fail with no sign of why.
#[test]
fn a_subnet_routed_elsewhere_is_warned_about() {
    if !require_root("a_subnet_routed_elsewhere_is_warned_about") {
        return;
    }
    let ns = Netns::new("mp-routed").unwrap();
    for cmd in [
        "ip link add va type veth peer name vb",
        "ip addr add 192.0.2.100/24 dev va",
        "ip link set va up",
        "ip link set vb up",
    ] {
        ns.exec_ok(&cmd.split(' ').collect::<Vec<_>>()).unwrap();
    }
    let mut server = spawn(&ns, &[&bin("tcps"), "7"]);
    server.wait_for_log(
        "192.0.2.0/24 is also routed through va: the host sends traffic for 192.0.2.2 there, not to tap0",
        Duration::from_secs(10),
    );
    interrupt_and_expect_success(&mut server);
}
