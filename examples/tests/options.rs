//! Every bad common option is refused before the host is touched: one line
//! on stderr naming the option and why, exit status 2, and no interface
//! created: each demo exits while parsing, before it opens a device. (What
//! is accepted is tested on `check_common` itself, in `args.rs`: a demo
//! that accepts its options goes on to create tap0, which a test run as
//! root must not do outside a namespace.)

use std::process::Command;

/// Runs `bin` with `args`; returns its exit code and stderr.
fn run(bin: &str, args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(bin).args(args).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn refused(args: &[&str], needle: &str) {
    for (name, bin, extra) in [
        ("tcps", env!("CARGO_BIN_EXE_tcps"), &["7"][..]),
        ("udps", env!("CARGO_BIN_EXE_udps"), &["7"][..]),
        ("tcpc", env!("CARGO_BIN_EXE_tcpc"), &["192.0.2.1:7"][..]),
        ("ping", env!("CARGO_BIN_EXE_ping"), &["192.0.2.1"][..]),
    ] {
        let all: Vec<&str> = args.iter().chain(extra).copied().collect();
        let (code, err) = run(bin, &all);
        assert_eq!(code, Some(2), "{name} {all:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{name} {all:?}: one line: {err}");
        assert!(err.starts_with(&format!("{name}: ")), "{name}: {err}");
        assert!(err.contains(needle), "{name} {all:?}: {err}");
    }
}

#[test]
fn addresses_a_host_may_not_take() {
    refused(
        &["--addr", "192.0.2.0/24"],
        "--addr 192.0.2.0/24: the network address",
    );
    refused(
        &["--addr", "192.0.2.255/24"],
        "--addr 192.0.2.255/24: the broadcast address",
    );
    refused(&["--addr", "127.0.0.2/8"], "loopback");
    refused(&["--addr", "224.0.0.5/24"], "multicast");
    refused(&["--addr", "0.1.2.3/24"], "0.0.0.0/8");
    refused(&["--addr", "240.0.0.1/24"], "240.0.0.0/4");
    refused(&["--addr", "255.255.255.255/24"], "240.0.0.0/4");
    refused(&["--addr", "192.0.2.2/0"], "a /0 prefix");
    refused(&["--addr", "192.0.2.2"], "bad --addr 192.0.2.2");
}

#[test]
fn macs_a_host_may_not_take() {
    refused(&["--mac", "ff:ff:ff:ff:ff:ff"], "the broadcast address");
    refused(&["--mac", "01:00:5e:00:00:01"], "multicast");
    refused(&["--mac", "00:00:00:00:00:00"], "all zeros");
}

#[test]
fn gateways_outside_the_subnet_or_ours() {
    refused(
        &["--gateway", "198.51.100.1"],
        "--gateway 198.51.100.1 is outside 192.0.2.0/24",
    );
    refused(&["--gateway", "192.0.2.2"], "is the stack's own address");
    // The default gateway (192.0.2.1) follows no --addr: say so.
    refused(
        &["--addr", "198.51.100.2/24"],
        "--gateway 192.0.2.1 is outside 198.51.100.0/24",
    );
}

#[test]
fn one_device_at_a_time() {
    refused(
        &["--tap", "tap0", "--tun", "tun0"],
        "--tap and --tun at once",
    );
    refused(
        &["--tun", "tun0", "--packet", "eth0"],
        "--tun and --packet at once",
    );
}

/// `bin` refuses `args` with `needle` in its one line, status 2.
fn refused_by(name: &str, bin: &str, args: &[&str], needle: &str) {
    let (code, err) = run(bin, args);
    assert_eq!(code, Some(2), "{name} {args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{name}: {err}");
    assert!(err.contains(needle), "{name} {args:?}: {err}");
}

#[test]
fn a_backlog_beyond_the_limit_says_the_limit() {
    let tcps = env!("CARGO_BIN_EXE_tcps");
    refused_by(
        "tcps",
        tcps,
        &["--backlog", "5000", "7"],
        "--backlog 5000: from 1 to 1024 (--max-connections)",
    );
    refused_by(
        "tcps",
        tcps,
        &["--backlog", "0", "7"],
        "--backlog 0: from 1 to 1024",
    );
}

#[test]
fn clients_refuse_port_0() {
    refused_by(
        "udpc",
        env!("CARGO_BIN_EXE_udpc"),
        &["192.0.2.1:0"],
        "192.0.2.1:0: port 0 is no destination",
    );
    refused_by(
        "tcpc",
        env!("CARGO_BIN_EXE_tcpc"),
        &["192.0.2.1:0"],
        "192.0.2.1:0: port 0 is no destination",
    );
}
