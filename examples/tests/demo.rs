//! The newcomer's first command: `demo` with no arguments, no root, no TAP.

use std::process::Command;

#[test]
fn demo_runs_the_whole_stack_on_loopback_without_privilege() {
    let out = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--bytes", "262144"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(
        stdout.matches("bytes from 127.0.0.1: icmp_seq=").count(),
        3,
        "{stdout}"
    );
    assert!(
        stdout.contains("sent 262144 bytes, got 262144 back, intact"),
        "{stdout}"
    );
    assert!(
        stdout.contains("udp echo through 127.0.0.1:7009: 3/3 datagrams back"),
        "{stdout}"
    );
    assert!(stdout.contains("-> all good"), "{stdout}");
    // The logs show the registration, as microps's do.
    assert!(
        stderr.contains("registered: dev=net0, unicast=127.0.0.1, netmask=255.0.0.0"),
        "{stderr}"
    );
}
