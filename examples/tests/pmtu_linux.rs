//! RFC 1191 path MTU discovery through a Linux router: `tcpc` at
//! 192.0.2.2/25 sends 1 MiB to a Python sink at 192.0.2.130 behind the
//! kernel of the tap0 namespace, whose link to it has an MTU of 1280 while
//! the sink's own is 1500 (so the sink announces an MSS of 1460). The
//! kernel answers our first full-sized segments with "fragmentation
//! needed, next-hop MTU 1280"; the connection lowers its MSS to 1240
//! (1228 bytes of data beside the timestamps),
//! resends what no longer fits, and every byte arrives. The capture shows
//! the message and our segments before and after it; `--stats` shows the
//! path MTU cache learning it once.

mod common;

use std::time::Duration;

use common::*;

/// The sink: reads everything, then answers with the byte count and the
/// SHA-256 of what it read.
const PY_SINK: &str = "
import socket, hashlib
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('192.0.2.130', 9))
s.listen(1)
print('listening', flush=True)
c, a = s.accept()
h = hashlib.sha256()
n = 0
while True:
    d = c.recv(1 << 16)
    if not d:
        break
    h.update(d)
    n += len(d)
c.sendall(('%d %s\\n' % (n, h.hexdigest())).encode())
c.close()
";

/// What the capture says: the MTU of each "fragmentation needed" we
/// received, and the largest data segment we sent before the first and
/// after it (`0` if none).
const PY_CAPTURE: &str = "
import sys
from scapy.all import rdpcap, TCP, IP, ICMP
ours = '192.0.2.2'
mtus = []
before = after = 0
for p in rdpcap(sys.argv[1]):
    if IP not in p:
        continue
    if ICMP in p and p[ICMP].type == 3 and p[ICMP].code == 4:
        mtus.append(p[ICMP].nexthopmtu)
    elif TCP in p and p[IP].src == ours and len(p[TCP].payload) > 0:
        n = len(p[TCP].payload)
        if mtus:
            after = max(after, n)
        else:
            before = max(before, n)
print(','.join(map(str, mtus)) or '-', before, after)
";

#[test]
fn rfc1191_a_kernel_router_with_a_1280_byte_link_lowers_the_mss_and_every_byte_arrives() {
    if !require_root(
        "rfc1191_a_kernel_router_with_a_1280_byte_link_lowers_the_mss_and_every_byte_arrives",
    ) {
        return;
    }
    let ns = tap_namespace("mp-pmtu");
    let far = Netns::new("mp-pmtu-far").unwrap();
    veth("far0", &ns, &far);
    setup(
        &ns,
        &[
            "ip addr add 192.0.2.129/26 dev far0",
            "ip link set far0 mtu 1280",
            "ip link set far0 up",
            "sysctl -q -w net.ipv4.ip_forward=1",
        ],
    );
    setup(
        &far,
        &[
            "ip addr add 192.0.2.130/26 dev eth0",
            "ip link set eth0 up",
            "ip route add default via 192.0.2.129",
        ],
    );
    let mut sink = spawn(&far, &["/usr/bin/python3", "-c", PY_SINK]);
    sink.wait_for_log("listening", Duration::from_secs(10));
    let pcap = std::env::temp_dir().join(format!("{}.pcap", ns.name()));
    let (input, sum) = random_file("mp-pmtu-in", 1 << 20);
    let data = std::fs::read(&input).unwrap();
    let o = run(
        &ns,
        &[
            &bin("tcpc"),
            "--addr",
            "192.0.2.2/25",
            "--stats",
            "--pcap",
            pcap.to_str().unwrap(),
            "192.0.2.130:9",
        ],
        &data,
        Duration::from_secs(60),
    );
    assert!(o.status.success(), "tcpc: {}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(
        out.trim(),
        format!("{} {sum}", 1 << 20),
        "the sink read every byte: {}",
        text(&o)
    );
    let cap = ns
        .exec_ok(&["/usr/bin/python3", "-c", PY_CAPTURE, pcap.to_str().unwrap()])
        .unwrap();
    let f: Vec<&str> = cap.split_whitespace().collect();
    assert_eq!(f.len(), 3, "{cap}");
    println!(
        "fragmentation needed: MTU {}; our largest segment {} bytes before, {} after",
        f[0], f[1], f[2]
    );
    assert!(
        f[0].split(',').all(|m| m == "1280"),
        "the router's MTU: {cap}"
    );
    // Data per segment: the MSS less the 12 bytes of timestamps.
    assert_eq!(
        f[1], "1448",
        "full-sized before the message (MSS 1460): {cap}"
    );
    assert_eq!(f[2], "1228", "after it, MSS 1280 - 40: {cap}");
    // The cache learnt it once (the kernel may send more than one message
    // for the segments already in flight; those say nothing new).
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    let icmp = err
        .lines()
        .find(|l| l.trim_start().starts_with("icmp:"))
        .unwrap_or_default()
        .to_string();
    assert!(icmp.contains("path_mtu_lowered=1"), "{err}");
    let _ = std::fs::remove_file(&pcap);
    let _ = std::fs::remove_file(&input);
}
