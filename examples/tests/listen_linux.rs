//! `tcps`'s listener against the Linux kernel on tap0: a thousand clients
//! at once with small buffers, and SYN floods from spoofed on-link sources
//! (ones that never answer ARP, and ones that answer ARP but never finish
//! the handshake) during which, and after which, a real client is served.

mod common;

use std::time::Duration;

use common::*;

/// N clients connect at once, each sends SIZE random bytes, half closes
/// and checks what comes back; prints the connect rate.
const PY_MANY_CLIENTS: &str = "
import socket, threading, os, sys, time
N, SIZE = int(sys.argv[1]), int(sys.argv[2])
errors = []
connected = []
go = threading.Event()
def client(i):
    try:
        data = os.urandom(SIZE)
        go.wait()
        s = socket.create_connection(('192.0.2.2', 7), timeout=120)
        connected.append(time.monotonic())
        def send():
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        t = threading.Thread(target=send)
        t.start()
        got = bytearray()
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
        t.join()
        s.close()
        if bytes(got) != data:
            errors.append('client %d: %d bytes back, mismatch' % (i, len(got)))
    except Exception as e:
        errors.append('client %d: %r' % (i, e))
ts = [threading.Thread(target=client, args=(i,)) for i in range(N)]
for t in ts: t.start()
start = time.monotonic()
go.set()
for t in ts: t.join()
if connected:
    span = max(connected) - start
    print('connected %d in %.2f s: %.0f/s' % (len(connected), span, len(connected) / max(span, 1e-6)))
print('errors:', len(errors))
for e in errors[:10]: print(e)
sys.exit(1 if errors else 0)
";

#[test]
fn a_thousand_concurrent_clients_each_echo_16_kib_through_4_kib_buffers() {
    if !require_root("a_thousand_concurrent_clients_each_echo_16_kib_through_4_kib_buffers") {
        return;
    }
    let ns = tap_namespace("mp-k");
    let mut server = spawn(
        &ns,
        &[
            &bin("tcps"),
            "--buffer",
            "4096",
            "--max-connections",
            "1100",
            "--stats",
            "7",
        ],
    );
    // The memory is known before the first SYN.
    server.wait_for_log("connections of", Duration::from_secs(10));
    let log = server.log();
    assert!(
        log.contains("at most 1100 connections of") && log.contains("MiB) in all"),
        "{log}"
    );
    wait_until_listening(&ns, "192.0.2.2", 7);
    let o = run(
        &ns,
        &[
            "/usr/bin/python3",
            "-c",
            PY_MANY_CLIENTS,
            "1000",
            &(16 << 10).to_string(),
        ],
        b"",
        Duration::from_secs(300),
    );
    eprintln!("{}", String::from_utf8_lossy(&o.stdout));
    server.interrupt();
    server.wait_timeout(Duration::from_secs(10));
    let log = server.log();
    let stats: String = log
        .lines()
        .filter(|l| l.trim_start().starts_with("tcp:"))
        .collect();
    assert!(o.status.success(), "{}\n{stats}", text(&o));
    assert!(stats.contains("listen_established="), "{log}");
}

/// Sends COUNT SYNs to 192.0.2.2:7 from SOURCES addresses 192.0.2.100
/// and up, as fast as a packet socket takes them, through tap0; half way
/// through, a real client (the kernel's) connects and echoes 1 KiB three
/// times, each within LIMIT seconds.
const PY_SYN_FLOOD: &str = r"
import socket, struct, sys, time, random, os
COUNT, SOURCES, LIMIT = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[4])
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
dst_mac = bytes.fromhex(sys.argv[3].replace(':', ''))
dst = socket.inet_aton('192.0.2.2')
frames = []
for i in range(COUNT):
    src = socket.inet_aton('192.0.2.%d' % (100 + i % SOURCES))
    sport = 1024 + i
    tcp = struct.pack('!HHIIBBHHH', sport, 7, random.getrandbits(32), 0, 5 << 4, 0x02, 65535, 0, 0)
    tcp = tcp[:16] + struct.pack('!H', csum(src + dst + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), i & 0xffff, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    mac = bytes([2, 0, 0, 0, 100 + i % SOURCES, 1])
    frames.append(dst_mac + mac + b'\x08\x00' + ip + tcp)
def echo():
    t = time.monotonic()
    s = socket.create_connection(('192.0.2.2', 7), timeout=LIMIT)
    s.settimeout(LIMIT)
    data = os.urandom(1024)
    s.sendall(data)
    got = b''
    while len(got) < len(data):
        d = s.recv(4096)
        if not d: break
        got += d
    s.close()
    took = time.monotonic() - t
    if got != data or took > LIMIT:
        print('echo: %d bytes in %.3f s' % (len(got), took)); sys.exit(1)
    return took
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
p.bind(('tap0', 0))
t = time.monotonic()
for f in frames[:COUNT // 2]:
    p.send(f)
took = [echo() for _ in range(3)]
for f in frames[COUNT // 2:]:
    p.send(f)
print('sent %d SYNs in %.1f ms; echoes mid-flood took %s s' % (COUNT, (time.monotonic() - t) * 1000, ', '.join('%.3f' % x for x in took)))
";

/// A client that connects and echoes 1 KiB COUNT times in a row, each
/// within LIMIT seconds, and prints the slowest.
const PY_TIMED_ECHO: &str = r"
import socket, sys, time, os
COUNT, LIMIT = int(sys.argv[1]), float(sys.argv[2])
worst = 0
for i in range(COUNT):
    t = time.monotonic()
    s = socket.create_connection(('192.0.2.2', 7), timeout=LIMIT)
    s.settimeout(LIMIT)
    data = os.urandom(1024)
    s.sendall(data)
    got = b''
    while len(got) < len(data):
        d = s.recv(4096)
        if not d: break
        got += d
    s.close()
    took = time.monotonic() - t
    worst = max(worst, took)
    if got != data or took > LIMIT:
        print('echo %d: %d bytes in %.3f s' % (i, len(got), took)); sys.exit(1)
print('%d echoes, slowest %.3f s' % (COUNT, worst))
";

/// Answers every ARP request on tap0 for 192.0.2.LO to 192.0.2.HI-1 with
/// a made-up MAC: hosts that resolve but never answer anything else.
const PY_ARP_RESPONDER: &str = r"
import socket, struct, sys
LO, HI = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind(('tap0', 0))
while True:
    f = s.recv(2048)
    if len(f) < 42 or f[20:22] != b'\x00\x01':
        continue
    tip = f[38:42]
    if not (tip[:3] == bytes([192, 0, 2]) and LO <= tip[3] < HI):
        continue
    mac = bytes([2, 0, 0, 0, tip[3], 1])
    reply = f[6:12] + mac + b'\x08\x06' + f[14:20] + b'\x00\x02' + mac + tip + f[22:28] + f[28:32]
    s.send(reply)
";

/// The flood of the scale issue, then a real client during and after it.
/// `answer_arp`: the spoofed sources answer ARP (a responder on tap0) but
/// never complete the handshake; otherwise nobody answers for them.
fn syn_flood_leaves_a_real_client_served(prefix: &str, answer_arp: bool) {
    let ns = tap_namespace(prefix);
    // The stack reads one frame per system call, slower than a packet
    // socket writes 3000 SYNs in tens of milliseconds: a queue in front of
    // the TAP long enough for the whole flood, so that what loses the real
    // client's SYN is never the kernel's queue (a NIC's ring would be).
    ns.exec_ok(&["ip", "link", "set", "tap0", "txqueuelen", "4000"])
        .unwrap();
    let _responder = answer_arp.then(|| {
        spawn(
            &ns,
            &["/usr/bin/python3", "-c", PY_ARP_RESPONDER, "100", "250"],
        )
    });
    let mut server = spawn(&ns, &[&bin("tcps"), "--stats", "7"]);
    wait_until_listening(&ns, "192.0.2.2", 7);
    let mac = stack_mac(&ns);
    let echo = |what: &str| {
        let o = run(
            &ns,
            &["/usr/bin/python3", "-c", PY_TIMED_ECHO, "5", "1.0"],
            b"",
            Duration::from_secs(30),
        );
        (what.to_string(), o)
    };
    let mut runs = vec![(
        "during the flood".to_string(),
        run(
            &ns,
            &[
                "/usr/bin/python3",
                "-c",
                PY_SYN_FLOOD,
                "3000",
                "150",
                &mac,
                "1.0",
            ],
            b"",
            Duration::from_secs(60),
        ),
    )];
    // Right after it, while the SYN queue is full of spoofed entries, and
    // once ARP has given up on them (or, when they answer ARP, while
    // their SYN,ACKs are still sent again).
    runs.push(echo("right after the flood"));
    std::thread::sleep(Duration::from_secs(8));
    runs.push(echo("8 s after the flood"));
    server.interrupt();
    server.wait_timeout(Duration::from_secs(10));
    let log = server.log();
    let stats: String = log
        .lines()
        .filter(|l| l.contains("tcp:") || l.contains("arp:") || l.contains("rx_frames"))
        .collect::<Vec<_>>()
        .join("\n");
    for (what, o) in &runs {
        assert!(o.status.success(), "{what}: {}\n{stats}", text(o));
        eprintln!("{what}: {}", String::from_utf8_lossy(&o.stdout));
    }
    eprintln!("{stats}");
    let counter = |name: &str| -> u64 {
        log.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    // The SYN queue filled (128 entries), cookies went out for the rest
    // of the flood and let the real client in, and the spoofed entries
    // went: early when ARP failed, else through retransmissions.
    assert!(counter("listen_syns") >= 128, "{log}");
    assert!(counter("syn_cookies_sent") > 1000, "{log}");
    assert!(counter("syn_cookies_validated") >= 3, "{log}");
    assert!(counter("listen_established") >= 14, "{log}");
    if answer_arp {
        assert!(counter("listen_synack_retransmits") >= 128, "{log}");
    } else {
        assert!(counter("listen_syn_unreachable") >= 128, "{log}");
    }
}

#[test]
fn a_syn_flood_from_sources_that_never_answer_arp_leaves_a_real_client_served() {
    if !require_root("a_syn_flood_from_sources_that_never_answer_arp_leaves_a_real_client_served") {
        return;
    }
    syn_flood_leaves_a_real_client_served("mp-flood", false);
}

#[test]
fn a_syn_flood_from_sources_that_answer_arp_but_never_ack_leaves_a_real_client_served() {
    if !require_root(
        "a_syn_flood_from_sources_that_answer_arp_but_never_ack_leaves_a_real_client_served",
    ) {
        return;
    }
    syn_flood_leaves_a_real_client_served("mp-flood-arp", true);
}
