//! The stack against the Linux kernel on tap0 (and tun0, and PF_PACKET over
//! a veth pair), each test in its own network namespace.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn kernel_pings_the_stack_and_udp_echoes() {
    if !require_root("kernel_pings_the_stack_and_udp_echoes") {
        return;
    }
    let ns = tap_namespace("mp-ping");
    let _server = spawn(&ns, &[&bin("udps"), "7"]);
    wait_until_pingable(&ns, "192.0.2.2");
    let o = ns
        .exec(&["ping", "-c", "5", "-i", "0.2", "-W", "2", "192.0.2.2"])
        .unwrap();
    assert_eq!(replies(&o), 5, "{}", text(&o));
    // nc -u round trip through udps.
    let o = run(
        &ns,
        &["nc", "-u", "-w", "1", "192.0.2.2", "7"],
        b"hello microps\n",
        Duration::from_secs(5),
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "hello microps\n",
        "{}",
        text(&o)
    );
    // Our reassembly and fragmentation: the kernel's big pings.
    for size in ["3000", "30000", "65507"] {
        let o = ns
            .exec(&[
                "ping",
                "-c",
                "2",
                "-i",
                "0.3",
                "-W",
                "2",
                "-s",
                size,
                "192.0.2.2",
            ])
            .unwrap();
        assert_eq!(replies(&o), 2, "ping -s {size}: {}", text(&o));
    }
}

#[test]
fn closed_udp_port_brings_back_port_unreachable() {
    if !require_root("closed_udp_port_brings_back_port_unreachable") {
        return;
    }
    let ns = tap_namespace("mp-unreach");
    let _server = spawn(&ns, &[&bin("udps"), "7"]);
    wait_until_pingable(&ns, "192.0.2.2");
    // A connected UDP socket on Linux reports the ICMP error as
    // ECONNREFUSED on the next receive.
    let script = "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect(('192.0.2.2', 9))
s.send(b'anyone there?')
try:
    s.recv(100)
    print('no error')
except ConnectionRefusedError:
    print('refused')
except socket.timeout:
    print('timeout')
";
    let o = ns.exec(&["/usr/bin/python3", "-c", script]).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "refused",
        "{}",
        text(&o)
    );
}

#[test]
fn our_ping_gets_every_reply_with_empty_neighbour_caches() {
    if !require_root("our_ping_gets_every_reply_with_empty_neighbour_caches") {
        return;
    }
    let ns = tap_namespace("mp-ourping");
    ns.exec_ok(&["ip", "neigh", "flush", "dev", "tap0"])
        .unwrap();
    let o = run(
        &ns,
        &[&bin("ping"), "-c", "3", "-i", "0.2", "192.0.2.1"],
        b"",
        Duration::from_secs(10),
    );
    assert_eq!(replies(&o), 3, "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("icmp_seq=1 "),
        "the first one too: {}",
        text(&o)
    );
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("3 packets transmitted, 3 received, 0% packet loss")
    );
    assert!(o.status.success());
    // Our fragmentation towards the kernel and its reassembly.
    let o = run(
        &ns,
        &[
            &bin("ping"),
            "-c",
            "2",
            "-i",
            "0.2",
            "-s",
            "30000",
            "192.0.2.1",
        ],
        b"",
        Duration::from_secs(10),
    );
    assert_eq!(replies(&o), 2, "{}", text(&o));
}

#[test]
fn our_first_udp_datagram_is_answered() {
    if !require_root("our_first_udp_datagram_is_answered") {
        return;
    }
    let ns = tap_namespace("mp-udpc");
    let _echo = spawn(
        &ns,
        &["/usr/bin/python3", "-c", PY_UDP_ECHO, "192.0.2.1", "7777"],
    );
    std::thread::sleep(Duration::from_millis(300));
    ns.exec_ok(&["ip", "neigh", "flush", "dev", "tap0"])
        .unwrap();
    let o = run(
        &ns,
        &[&bin("udpc"), "-w", "3", "192.0.2.1:7777"],
        b"first\nsecond\n",
        Duration::from_secs(10),
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "first\nsecond\n",
        "{}",
        text(&o)
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn tun_variant_answers_ping() {
    if !require_root("tun_variant_answers_ping") {
        return;
    }
    let ns = Netns::new("mp-tun").unwrap();
    ns.exec_ok(&["ip", "tuntap", "add", "mode", "tun", "name", "tun0"])
        .unwrap();
    ns.exec_ok(&["ip", "addr", "add", "192.0.2.1/24", "dev", "tun0"])
        .unwrap();
    ns.exec_ok(&["ip", "link", "set", "tun0", "up"]).unwrap();
    let _server = spawn(&ns, &[&bin("udps"), "--tun", "tun0", "7"]);
    wait_until_pingable(&ns, "192.0.2.2");
    let o = ns
        .exec(&["ping", "-c", "3", "-i", "0.2", "-s", "3000", "192.0.2.2"])
        .unwrap();
    assert_eq!(replies(&o), 3, "{}", text(&o));
    let o = run(
        &ns,
        &["nc", "-u", "-w", "1", "192.0.2.2", "7"],
        b"over tun\n",
        Duration::from_secs(5),
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "over tun\n",
        "{}",
        text(&o)
    );
}

#[test]
fn packet_socket_variant_over_veth() {
    if !require_root("packet_socket_variant_over_veth") {
        return;
    }
    let ns = Netns::new("mp-pkt").unwrap();
    ns.exec_ok(&[
        "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
    ])
    .unwrap();
    ns.exec_ok(&["ip", "addr", "add", "192.0.2.1/24", "dev", "veth0"])
        .unwrap();
    ns.exec_ok(&["ip", "link", "set", "veth0", "up"]).unwrap();
    ns.exec_ok(&["ip", "link", "set", "veth1", "up"]).unwrap();
    let _server = spawn(&ns, &[&bin("udps"), "--packet", "veth1", "7"]);
    wait_until_pingable(&ns, "192.0.2.2");
    let o = ns
        .exec(&["ping", "-c", "3", "-i", "0.2", "192.0.2.2"])
        .unwrap();
    assert_eq!(replies(&o), 3, "{}", text(&o));
    let o = run(
        &ns,
        &["nc", "-u", "-w", "1", "192.0.2.2", "7"],
        b"over veth\n",
        Duration::from_secs(5),
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "over veth\n",
        "{}",
        text(&o)
    );
}
