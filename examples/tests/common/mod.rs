//! Helpers for the tests that run the demos against the Linux kernel in a
//! private network namespace.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

pub use microps_drivers_linux::netns::{Netns, require_root};

/// A namespace with `tap0` at 192.0.2.1/24, up.
pub fn tap_namespace(prefix: &str) -> Netns {
    let ns = Netns::new(prefix).expect("create namespace");
    ns.exec_ok(&["ip", "tuntap", "add", "mode", "tap", "name", "tap0"])
        .unwrap();
    ns.exec_ok(&["ip", "addr", "add", "192.0.2.1/24", "dev", "tap0"])
        .unwrap();
    ns.exec_ok(&["ip", "link", "set", "tap0", "up"]).unwrap();
    ns
}

/// The path of a demo binary of this package.
pub fn bin(name: &str) -> String {
    match name {
        "udps" => env!("CARGO_BIN_EXE_udps").to_string(),
        "udpc" => env!("CARGO_BIN_EXE_udpc").to_string(),
        "ping" => env!("CARGO_BIN_EXE_ping").to_string(),
        "tcps" => env!("CARGO_BIN_EXE_tcps").to_string(),
        "tcpc" => env!("CARGO_BIN_EXE_tcpc").to_string(),
        "demo" => env!("CARGO_BIN_EXE_demo").to_string(),
        other => panic!("no binary {other}"),
    }
}

/// A background process in a namespace, killed on drop; its stderr goes to
/// a log file shown by [`Background::log`].
pub struct Background {
    child: Child,
    log: PathBuf,
}

impl Background {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The process id: `ip netns exec` execs the program, so this is the
    /// demo's own.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the log contains `needle`; panics with the log after
    /// `timeout` or if the process exits first.
    pub fn wait_for_log(&mut self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.log().contains(needle) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "exited ({status}) before logging {needle:?}:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "never logged {needle:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGINT (Ctrl-C) to the process.
    pub fn interrupt(&self) {
        let o = Command::new("kill")
            .args(["-INT", &self.pid().to_string()])
            .output()
            .unwrap();
        assert!(o.status.success(), "kill -INT: {}", text(&o));
    }

    /// Waits for the process to exit, at most `timeout`.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("---- log of {} ----\n{}", self.log.display(), self.log());
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Starts `args` (a program and arguments) inside `ns` in the background.
pub fn spawn(ns: &Netns, args: &[&str]) -> Background {
    let log = std::env::temp_dir().join(format!(
        "{}-{}.log",
        ns.name(),
        args[0].rsplit('/').next().unwrap()
    ));
    let file = std::fs::File::create(&log).unwrap();
    let child = Command::new("ip")
        .args(["netns", "exec", ns.name()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    Background { child, log }
}

/// Runs `args` inside `ns` with `input` on stdin; kills it after `timeout`.
pub fn run(ns: &Netns, args: &[&str], input: &[u8], timeout: Duration) -> Output {
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns.name()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    Output {
        status,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    }
}

pub fn text(o: &Output) -> String {
    format!(
        "status: {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Waits until the kernel in `ns` can ping `addr` once (the stack is up).
pub fn wait_until_pingable(ns: &Netns, addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let o = ns.exec(&["ping", "-c", "1", "-W", "1", addr]).unwrap();
        if o.status.success() {
            return;
        }
    }
    panic!("{addr} never answered a ping");
}

/// The number of "bytes from" lines in ping output.
pub fn replies(o: &Output) -> usize {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.contains(" bytes from "))
        .count()
}

/// A UDP echo server on the kernel side, in Python.
pub const PY_UDP_ECHO: &str = "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
";

/// Waits until a TCP connect to `addr:port` succeeds from `ns`.
pub fn wait_until_listening(ns: &Netns, addr: &str, port: u16) {
    let script = format!(
        "import socket,time,sys\nfor i in range(100):\n    try:\n        socket.create_connection(('{addr}',{port}),timeout=1).close(); sys.exit(0)\n    except OSError: time.sleep(0.1)\nsys.exit(1)"
    );
    let o = ns.exec(&["/usr/bin/python3", "-c", &script]).unwrap();
    assert!(
        o.status.success(),
        "{addr}:{port} never accepted a connection: {}",
        text(&o)
    );
}

/// A file of `len` random bytes in the temp dir, and its sha256.
pub fn random_file(name: &str, len: usize) -> (std::path::PathBuf, String) {
    let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let mut data = vec![0u8; len];
    microps_core::rand::Rng::new(len as u64).fill(&mut data);
    std::fs::write(&path, &data).unwrap();
    let sum = sha256_file(&path);
    (path, sum)
}

pub fn sha256_file(path: &std::path::Path) -> String {
    let o = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string()
}

/// A veth pair: `name` in `ns`, `eth0` in `peer`.
pub fn veth(name: &str, ns: &Netns, peer: &Netns) {
    ns.exec_ok(&[
        "ip",
        "link",
        "add",
        name,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        peer.name(),
    ])
    .unwrap();
}

/// Runs each line of `commands` (words split on spaces) in `ns`.
pub fn setup(ns: &Netns, commands: &[&str]) {
    for c in commands {
        let args: Vec<&str> = c.split(' ').collect();
        ns.exec_ok(&args).unwrap();
    }
}

/// The stack's MAC as the kernel in `ns` learnt it.
pub fn stack_mac(ns: &Netns) -> String {
    let o = ns.exec(&["ip", "neigh", "show", "192.0.2.2"]).unwrap();
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    out.split_whitespace()
        .skip_while(|w| *w != "lladdr")
        .nth(1)
        .unwrap_or_else(|| panic!("no neighbour entry: {out}"))
        .to_string()
}
