//! TCP against the Linux kernel on tap0: bulk echo with nc, tcpc both ways,
//! many clients at once, RST from a closed port, half close, and windows
//! that close and reopen in both directions.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn nc_sends_64_mib_through_tcps_and_gets_it_back() {
    if !require_root("nc_sends_64_mib_through_tcps_and_gets_it_back") {
        return;
    }
    let ns = tap_namespace("mp-bulk");
    let _server = spawn(&ns, &[&bin("tcps"), "7"]);
    wait_until_listening(&ns, "192.0.2.2", 7);
    let (input, sum) = random_file("mp-bulk-in", 64 << 20);
    let output = input.with_extension("out");
    // nc -N: half close when stdin ends, keep reading until the server
    // closes (the half close must work for this to finish).
    let cmd = format!(
        "nc -N 192.0.2.2 7 < {} > {}",
        input.display(),
        output.display()
    );
    let o = run(&ns, &["sh", "-c", &cmd], b"", Duration::from_secs(120));
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::metadata(&output).unwrap().len(), 64 << 20);
    assert_eq!(sha256_file(&output), sum);
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
}

const PY_SINK_THEN_SOURCE: &str = "
import socket, hashlib, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('192.0.2.1', 8000))
s.listen(1)
c, a = s.accept()
h = hashlib.sha256()
n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    h.update(d)
    n += len(d)
print(n, h.hexdigest(), flush=True)
c.sendall(open(sys.argv[1], 'rb').read())
c.close()
";

#[test]
fn tcpc_to_and_from_a_linux_server_4_mib_each_way() {
    if !require_root("tcpc_to_and_from_a_linux_server_4_mib_each_way") {
        return;
    }
    let ns = tap_namespace("mp-tcpc");
    let (up, up_sum) = random_file("mp-tcpc-up", 4 << 20);
    let (down, down_sum) = random_file("mp-tcpc-down", (4 << 20) + 12345);
    let server = spawn(
        &ns,
        &[
            "/usr/bin/python3",
            "-c",
            PY_SINK_THEN_SOURCE,
            down.to_str().unwrap(),
        ],
    );
    std::thread::sleep(Duration::from_millis(300));
    let data = std::fs::read(&up).unwrap();
    let o = run(
        &ns,
        &[&bin("tcpc"), "192.0.2.1:8000"],
        &data,
        Duration::from_secs(60),
    );
    assert!(o.status.success(), "{}", text(&o));
    let got = o.stdout.clone();
    std::fs::write(up.with_extension("got"), &got).unwrap();
    assert_eq!(got.len(), (4 << 20) + 12345);
    assert_eq!(
        sha256_file(&up.with_extension("got")),
        down_sum,
        "the server's bytes arrived intact"
    );
    std::thread::sleep(Duration::from_millis(200));
    let log = server.log();
    assert!(
        log.contains(&format!("{} {}", 4 << 20, up_sum)),
        "the server got our bytes intact: {log}"
    );
    for p in [up.clone(), down, up.with_extension("got")] {
        let _ = std::fs::remove_file(p);
    }
}

const PY_MANY_CLIENTS: &str = "
import socket, threading, os, sys
N, SIZE = int(sys.argv[1]), int(sys.argv[2])
errors = []
def client(i):
    try:
        data = os.urandom(SIZE)
        s = socket.create_connection(('192.0.2.2', 7), timeout=60)
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
for t in ts: t.join()
print('errors:', len(errors))
for e in errors[:10]: print(e)
sys.exit(1 if errors else 0)
";

#[test]
fn a_hundred_concurrent_clients_each_echo_1_mib() {
    if !require_root("a_hundred_concurrent_clients_each_echo_1_mib") {
        return;
    }
    let ns = tap_namespace("mp-many");
    let _server = spawn(&ns, &[&bin("tcps"), "--backlog", "128", "7"]);
    wait_until_listening(&ns, "192.0.2.2", 7);
    let o = run(
        &ns,
        &[
            "/usr/bin/python3",
            "-c",
            PY_MANY_CLIENTS,
            "100",
            &(1 << 20).to_string(),
        ],
        b"",
        Duration::from_secs(180),
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn closed_port_answers_rst() {
    if !require_root("closed_port_answers_rst") {
        return;
    }
    let ns = tap_namespace("mp-rst");
    let _server = spawn(&ns, &[&bin("tcps"), "7"]);
    wait_until_listening(&ns, "192.0.2.2", 7);
    let script = "
import socket
try:
    socket.create_connection(('192.0.2.2', 9), timeout=3)
    print('connected')
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

const PY_SLOW_READER: &str = "
import socket, os, time, threading
data = os.urandom(2 * 1024 * 1024)
s = socket.create_connection(('192.0.2.2', 7), timeout=30)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
# Send everything while not reading: the echo fills our receive window,
# the server stops reading, its window closes, our send blocks -- both
# directions go through zero windows and window updates.
sent = [0]
def send():
    s.sendall(data)
    sent[0] = 1
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
time.sleep(2)
got = bytearray()
while True:
    d = s.recv(4096)
    if not d:
        break
    got += d
    if len(got) % (256 * 1024) < 4096:
        time.sleep(0.05)
t.join()
print('ok' if bytes(got) == data else 'mismatch %d' % len(got))
";

#[test]
fn windows_close_and_reopen_in_both_directions() {
    if !require_root("windows_close_and_reopen_in_both_directions") {
        return;
    }
    let ns = tap_namespace("mp-window");
    let _server = spawn(&ns, &[&bin("tcps"), "7"]);
    wait_until_listening(&ns, "192.0.2.2", 7);
    let o = run(
        &ns,
        &["/usr/bin/python3", "-c", PY_SLOW_READER],
        b"",
        Duration::from_secs(60),
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "ok",
        "{}",
        text(&o)
    );
}

const PY_REQUEST_RESPONSE: &str = "
import socket, time
s = socket.create_connection(('192.0.2.2', 7), timeout=10)
t0 = time.time()
for i in range(200):
    msg = ('request %d ' % i).encode() * 3
    s.sendall(msg)
    got = b''
    while len(got) < len(msg):
        got += s.recv(4096)
    assert got == msg
s.close()
print('ok %.3f' % (time.time() - t0))
";

#[test]
fn request_response_is_not_held_by_delayed_acks() {
    if !require_root("request_response_is_not_held_by_delayed_acks") {
        return;
    }
    let ns = tap_namespace("mp-rr");
    let _server = spawn(&ns, &[&bin("tcps"), "7"]);
    wait_until_listening(&ns, "192.0.2.2", 7);
    let o = run(
        &ns,
        &["/usr/bin/python3", "-c", PY_REQUEST_RESPONSE],
        b"",
        Duration::from_secs(60),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("ok"), "{}", text(&o));
}
