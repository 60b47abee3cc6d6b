//! TCP against Linux through real loss: nftables drops 2% of the frames
//! each way between a Linux client (a namespace of its own, routed through
//! the tap0 namespace) and `tcps` (see ../shared/notes, "linux-loss-with-
//! nftables"). A 16 MiB echo must come back byte-identical; the stack's
//! capture must show the SYNs negotiating window scaling, SACK and
//! timestamps, SACK blocks both ways, and retransmissions close to the
//! frames dropped (recovery resends holes, not flights). The same client
//! then echoes through Linux's own TCP as the server, over a veth through
//! the same rules, and both times are printed (`--nocapture`): measured,
//! not asserted.

mod common;

use std::time::Duration;

use common::*;

/// The echo client: sends FILE to HOST:PORT while reading the echo, then
/// prints the bytes back, their SHA-256 and the seconds it took.
const PY_ECHO_CLIENT: &str = "
import socket, hashlib, sys, threading, time
host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = open(path, 'rb').read()
s = socket.create_connection((host, port))
t0 = time.time()
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
w = threading.Thread(target=send)
w.start()
h = hashlib.sha256()
n = 0
while True:
    d = s.recv(1 << 16)
    if not d:
        break
    h.update(d)
    n += len(d)
w.join()
print(n, h.hexdigest(), '%.3f' % (time.time() - t0), flush=True)
";

/// Linux's echo server, for the comparison.
const PY_ECHO_SERVER: &str = "
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 7))
s.listen(1)
print('listening', flush=True)
while True:
    c, a = s.accept()
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        c.sendall(d)
    c.shutdown(socket.SHUT_WR)
    c.close()
";

/// What the stack's capture says (scapy over the pcap).
const PY_CAPTURE: &str = "
import sys
from scapy.all import rdpcap, TCP, IP
ours = '192.0.2.2'
syn_opts = {}
sack = {'ours': 0, 'peer': 0}
seen = set()
resent = 0
for p in rdpcap(sys.argv[1]):
    if IP not in p or TCP not in p:
        continue
    t = p[TCP]
    side = 'ours' if p[IP].src == ours else 'peer'
    names = [o[0] for o in t.options]
    if t.flags & 0x02:
        syn_opts[side] = sorted(set(n for n in names if n in ('WScale', 'SAckOK', 'Timestamp')))
    if 'SAck' in names:
        sack[side] += 1
    n = len(t.payload)
    if side == 'ours' and n > 0:
        key = (t.seq, n)
        if key in seen:
            resent += 1
        seen.add(key)
print(','.join(syn_opts.get('ours', [])), ','.join(syn_opts.get('peer', [])), sack['ours'], sack['peer'], resent, len(seen))
";

/// One frame per packet and no reordering by the veths, on `dev` in `ns`.
fn one_frame_per_packet(ns: &Netns, dev: &str) {
    let _ = ns.exec(&["ip", "link", "set", "dev", dev, "gso_max_segs", "1"]);
    let _ = ns.exec(&[
        "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off",
    ]);
    let _ = ns.exec(&[
        "sh",
        "-c",
        &format!("echo 1 > /sys/class/net/{dev}/queues/rx-0/rps_cpus"),
    ]);
}

/// The frames each rule dropped, in the order of the ruleset.
fn drop_counters(ns: &Netns) -> Vec<u64> {
    let rules = ns.exec_ok(&["nft", "list", "ruleset"]).unwrap();
    rules
        .split("counter packets ")
        .skip(1)
        .map(|r| r.split(' ').next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn a_16_mib_echo_through_2_percent_loss_each_way_with_sack_both_ways() {
    if !require_root("a_16_mib_echo_through_2_percent_loss_each_way_with_sack_both_ways") {
        return;
    }
    let ns = tap_namespace("mp-loss");
    let cli = Netns::new("mp-loss-cli").unwrap();
    let srv = Netns::new("mp-loss-srv").unwrap();
    // CLI 192.0.2.130 - NS 192.0.2.129 / tap0 192.0.2.1 - the stack
    // 192.0.2.2/25 (so that the client is off-link, through NS);
    // NS 192.0.2.133 - SRV 192.0.2.134 (Linux's echo server).
    veth("cli0", &ns, &cli);
    veth("srv0", &ns, &srv);
    for (n, cmds) in [
        (
            &ns,
            vec![
                "ip addr add 192.0.2.129/30 dev cli0",
                "ip link set cli0 up",
                "ip addr add 192.0.2.133/30 dev srv0",
                "ip link set srv0 up",
                "sysctl -q -w net.ipv4.ip_forward=1",
            ],
        ),
        (
            &cli,
            vec![
                "ip addr add 192.0.2.130/30 dev eth0",
                "ip link set eth0 up",
                "ip route add default via 192.0.2.129",
            ],
        ),
        (
            &srv,
            vec![
                "ip addr add 192.0.2.134/30 dev eth0",
                "ip link set eth0 up",
                "ip route add default via 192.0.2.133",
            ],
        ),
    ] {
        for c in cmds {
            let args: Vec<&str> = c.split(' ').collect();
            n.exec_ok(&args).unwrap();
        }
    }
    for (n, dev) in [
        (&ns, "tap0"),
        (&ns, "cli0"),
        (&ns, "srv0"),
        (&cli, "eth0"),
        (&srv, "eth0"),
    ] {
        one_frame_per_packet(n, dev);
    }
    let pcap = std::env::temp_dir().join(format!("{}.pcap", ns.name()));
    let mut server = spawn(
        &ns,
        &[
            &bin("tcps"),
            "--addr",
            "192.0.2.2/25",
            "--stats",
            "--pcap",
            pcap.to_str().unwrap(),
            "7",
        ],
    );
    wait_until_listening(&ns, "192.0.2.2", 7);
    let linux = spawn(&srv, &["/usr/bin/python3", "-c", PY_ECHO_SERVER]);
    // 2% each way, in the forward hook (a drop on output would be retried
    // by the sender's kernel, never seen as a hole).
    let rules = "table inet loss {
  chain lossy {
    type filter hook forward priority 0;
    iifname \"tap0\" oifname \"cli0\" numgen random mod 1000 < 20 counter drop
    iifname \"cli0\" oifname \"tap0\" numgen random mod 1000 < 20 counter drop
    iifname \"srv0\" oifname \"cli0\" numgen random mod 1000 < 20 counter drop
    iifname \"cli0\" oifname \"srv0\" numgen random mod 1000 < 20 counter drop
  }
}";
    let o = run(
        &ns,
        &["nft", "-f", "-"],
        rules.as_bytes(),
        Duration::from_secs(10),
    );
    assert!(o.status.success(), "nft: {}", text(&o));
    let (input, sum) = random_file("mp-loss-in", 16 << 20);
    let path = input.to_str().unwrap();
    let echo = |host: &str| {
        let o = run(
            &cli,
            &["/usr/bin/python3", "-c", PY_ECHO_CLIENT, host, "7", path],
            b"",
            Duration::from_secs(180),
        );
        assert!(o.status.success(), "{host}: {}", text(&o));
        let out = String::from_utf8_lossy(&o.stdout).to_string();
        let f: Vec<&str> = out.split_whitespace().collect();
        assert_eq!(f.len(), 3, "{out}");
        assert_eq!(f[0], (16u64 << 20).to_string(), "{host}: bytes back");
        assert_eq!(f[1], sum, "{host}: the echo differs");
        f[2].parse::<f64>().unwrap()
    };
    let ours = echo("192.0.2.2");
    let dropped = drop_counters(&ns);
    let mut linux = linux;
    linux.wait_for_log("listening", Duration::from_secs(10));
    let theirs = echo("192.0.2.134");
    let all = drop_counters(&ns);
    server.interrupt();
    let _ = server.wait_timeout(Duration::from_secs(10));
    let log = server.log();
    // `--stats` prints a layer's non-zero counters on its `tcp:` line.
    let tcp_line = log.lines().find(|l| l.trim_start().starts_with("tcp:"));
    let counter = |name: &str| -> String {
        let Some(line) = tcp_line else {
            return "?".to_string();
        };
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or("0")
            .to_string()
    };
    let timeouts = counter("retransmission_timeouts");
    let probes = counter("loss_probe_timeouts");
    let cap = run(
        &ns,
        &["/usr/bin/python3", "-c", PY_CAPTURE, pcap.to_str().unwrap()],
        b"",
        Duration::from_secs(120),
    );
    assert!(cap.status.success(), "capture: {}", text(&cap));
    let c = String::from_utf8_lossy(&cap.stdout).to_string();
    let f: Vec<&str> = c.split_whitespace().collect();
    assert_eq!(f.len(), 6, "{c}");
    println!(
        "16 MiB echo, 2% loss each way: microps {ours:.2} s, Linux {theirs:.2} s ({:.1}x); dropped to the client {} and to us {} (Linux's run {} and {}); our SACK blocks {}, the peer's {}; our data segments {} sent again of {}, {timeouts} retransmission timeouts and {probes} loss probes",
        ours / theirs,
        dropped[0],
        dropped[1],
        all[2],
        all[3],
        f[2],
        f[3],
        f[4],
        f[5]
    );
    // RFC 7323 and RFC 2018, in both SYNs.
    assert_eq!(f[0], "SAckOK,Timestamp,WScale", "our SYN,ACK: {c}");
    assert_eq!(f[1], "SAckOK,Timestamp,WScale", "the peer's SYN: {c}");
    assert!(
        dropped[0] > 0 && dropped[1] > 0,
        "nft dropped nothing: {dropped:?}"
    );
    let (our_sacks, peer_sacks): (u64, u64) = (f[2].parse().unwrap(), f[3].parse().unwrap());
    assert!(
        our_sacks > 0 && peer_sacks > 0,
        "SACK blocks both ways: {c}"
    );
    // Recovery resends what was lost: a go-back-N after every loss would
    // resend a window (tens of segments) for each drop.
    let resent: u64 = f[4].parse().unwrap();
    assert!(
        resent <= 2 * dropped[0] + 20,
        "{resent} resent for {} dropped",
        dropped[0]
    );
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&pcap);
}
