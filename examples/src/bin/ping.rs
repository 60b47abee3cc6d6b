//! `ping [-c N] [-s SIZE] [-i INTERVAL] [-W TIMEOUT] DEST`: ICMP echo client
//! printing a line per reply and a summary, like iputils' ping.

use std::io::{self, Write};
use std::process::exit;
use std::time::{Duration, Instant};

use microps_drivers_linux::net::EchoSocket;
use microps_examples::{COMMON_USAGE, die_usage, interrupt_on_ctrl_c, parse};

fn usage() -> String {
    format!(
        "usage: ping [-c COUNT] [-s SIZE] [-i INTERVAL] [-W TIMEOUT] DEST\n  -c COUNT     stop after COUNT replies (default: until Ctrl-C)\n  -s SIZE      data bytes per request (default 56)\n  -i INTERVAL  seconds between requests (default 1)\n  -W TIMEOUT   seconds to wait for the last reply (default 2)\n{COMMON_USAGE}"
    )
}

fn main() {
    let usage = usage();
    let args = parse(&["-c", "-s", "-i", "-W"], &[], &usage);
    let [dest] = args.positional.as_slice() else {
        die_usage("one destination expected", &usage)
    };
    let dest: std::net::Ipv4Addr = dest
        .parse()
        .unwrap_or_else(|_| die_usage(&format!("bad destination {dest}"), &usage));
    let count: u64 = args.opt_parse("-c", u64::MAX, &usage);
    let size: usize = args.opt_parse("-s", 56, &usage);
    let interval: f64 = args.opt_parse("-i", 1.0, &usage);
    let wait: f64 = args.opt_parse("-W", 2.0, &usage);
    if size > 65507 {
        die_usage("-s: at most 65507 data bytes", &usage);
    }
    let rt = args.common.start();
    let _ = interrupt_on_ctrl_c(&rt);
    let mut sock = EchoSocket::bind(&rt).unwrap_or_else(|e| {
        eprintln!("ping: {e}");
        exit(1)
    });
    println!("PING {dest} ({dest}) {size}({}) bytes of data.", size + 28);
    let _ = io::stdout().flush();
    let start = Instant::now();
    let mut sent_at: Vec<Option<Instant>> = Vec::new();
    let mut answered = std::collections::HashSet::new();
    let mut duplicates = 0u64;
    let mut transmitted = 0u64;
    let mut received = 0u64;
    let mut errors = 0u64;
    let mut rtts: Vec<f64> = Vec::new();
    let mut buf = vec![0u8; size.max(16)];
    let interval = Duration::from_secs_f64(interval.max(0.001));
    let mut interrupted = false;
    'outer: while transmitted < count {
        let seq = (transmitted + 1) as u16;
        let mut data = vec![0u8; size];
        for (i, b) in data.iter_mut().enumerate() {
            *b = (i & 0xff) as u8;
        }
        if let Err(e) = sock.send_echo(dest, seq, &data) {
            eprintln!("ping: sendmsg: {e}");
            break;
        }
        sent_at.push(Some(Instant::now()));
        transmitted += 1;
        let last = transmitted == count;
        let until = Instant::now()
            + if last {
                Duration::from_secs_f64(wait)
            } else {
                interval
            };
        loop {
            let now = Instant::now();
            if now >= until {
                break;
            }
            sock.set_read_timeout(Some(until - now)).ok();
            match sock.recv_reply(&mut buf) {
                Ok(r) => {
                    let Some(&Some(t)) = sent_at.get(usize::from(r.seq_no).wrapping_sub(1)) else {
                        continue;
                    };
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    // A second reply to the same request is a duplicate
                    // (iputils prints "(DUP!)" and does not count it).
                    let dup = !answered.insert(r.seq_no);
                    if dup {
                        duplicates += 1;
                    } else {
                        received += 1;
                        rtts.push(ms);
                    }
                    println!(
                        "{} bytes from {}: icmp_seq={} ttl={} time={:.3} ms{}",
                        r.len + 8,
                        r.from,
                        r.seq_no,
                        r.ttl,
                        ms,
                        if dup { " (DUP!)" } else { "" }
                    );
                    let _ = io::stdout().flush();
                    if last && received + errors >= transmitted {
                        break 'outer;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                    ) =>
                {
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => {
                    interrupted = true;
                    break 'outer;
                }
                Err(e) => {
                    errors += 1;
                    println!("From {dest}: {e}");
                }
            }
        }
    }
    let _ = interrupted;
    let elapsed = start.elapsed().as_millis();
    println!("\n--- {dest} ping statistics ---");
    let loss = if transmitted == 0 {
        0.0
    } else {
        100.0 * transmitted.saturating_sub(received) as f64 / transmitted as f64
    };
    let mut err = if duplicates > 0 {
        format!(", +{duplicates} duplicates")
    } else {
        String::new()
    };
    if errors > 0 {
        err.push_str(&format!(", +{errors} errors"));
    }
    println!(
        "{transmitted} packets transmitted, {received} received{err}, {loss:.0}% packet loss, time {elapsed}ms"
    );
    if !rtts.is_empty() {
        let min = rtts.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = rtts.iter().cloned().fold(0.0, f64::max);
        let avg = rtts.iter().sum::<f64>() / rtts.len() as f64;
        let mdev =
            (rtts.iter().map(|r| (r - avg) * (r - avg)).sum::<f64>() / rtts.len() as f64).sqrt();
        println!("rtt min/avg/max/mdev = {min:.3}/{avg:.3}/{max:.3}/{mdev:.3} ms");
    }
    let _ = io::stdout().flush();
    drop(sock);
    rt.shutdown();
    exit(if received > 0 { 0 } else { 1 })
}
