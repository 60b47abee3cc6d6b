//! The `pktdrill` binary as a user runs it: piped into a reader that goes
//! away early (`| head`), it stops with a message and exit status 2, not a
//! panic.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn a_closed_stdout_stops_the_run_with_status_2_and_no_panic() {
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/pktdrill");
    let mut scripts: Vec<_> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pkt"))
        .collect();
    scripts.sort();
    assert!(scripts.len() > 10);
    let mut child = Command::new(env!("CARGO_BIN_EXE_pktdrill"))
        .arg("-v")
        .args(&scripts)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty(), "one line before the reader leaves");
    // The reader is gone (dropped above): the next writes fail.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("pktdrill: stdout:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
