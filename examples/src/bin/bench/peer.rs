//! The kernel's end of `bench sink` and `bench source`: a small std::net
//! client that sends or receives as fast as Linux's TCP goes, and says how
//! fast (`nc` buffers too little, and quits on a half close).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::exit;
use std::time::Instant;

use crate::harness::Pattern;

fn connect(to: &str) -> TcpStream {
    TcpStream::connect(to).unwrap_or_else(|e| {
        eprintln!("bench peer: connect {to}: {e}");
        exit(1)
    })
}

fn report(what: &str, bytes: u64, t0: Instant) {
    let s = t0.elapsed().as_secs_f64();
    println!(
        "peer {what}: {bytes} bytes in {s:.3} s = {:.2} Gbit/s",
        bytes as f64 * 8.0 / s / 1e9
    );
}

/// Sends `bytes` of the pattern to `to`, half-closes, and waits for the
/// other end to close (so every byte was taken).
pub fn send(to: &str, bytes: u64) {
    let mut s = connect(to);
    let pattern = Pattern::new();
    let mut buf = vec![0u8; 1 << 20];
    let t0 = Instant::now();
    let mut sent = 0u64;
    while sent < bytes {
        let n = (buf.len() as u64).min(bytes - sent) as usize;
        pattern.fill(sent, &mut buf[..n]);
        if let Err(e) = s.write_all(&buf[..n]) {
            eprintln!("bench peer: send: {e}");
            exit(1)
        }
        sent += n as u64;
    }
    let _ = s.shutdown(Shutdown::Write);
    let mut rest = [0u8; 4096];
    while matches!(s.read(&mut rest), Ok(n) if n > 0) {}
    report("send", sent, t0);
}

/// Receives `bytes` from `from` (or until it closes), checking the
/// pattern, then closes.
pub fn recv(from: &str, bytes: u64) {
    let mut s = connect(from);
    let pattern = Pattern::new();
    let mut buf = vec![0u8; 1 << 20];
    let t0 = Instant::now();
    let mut got = 0u64;
    while got < bytes {
        let want = (buf.len() as u64).min(bytes - got) as usize;
        match s.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => {
                if !pattern.check(got, &buf[..n]) {
                    eprintln!("bench peer: wrong bytes at {got}");
                    exit(1)
                }
                got += n as u64;
            }
            Err(e) => {
                eprintln!("bench peer: recv: {e}");
                exit(1)
            }
        }
    }
    report("recv", got, t0);
    let _ = s.shutdown(Shutdown::Both);
}
