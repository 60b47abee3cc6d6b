//! `udpc [-s ADDR] [-p PORT] FOREIGN:PORT`: sends each line of stdin to a
//! UDP peer and prints what comes back, as microps's `udpc`.

use std::io::{self, BufRead, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::exit;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use microps_drivers_linux::net::UdpSocket;
use microps_examples::{COMMON_USAGE, die_usage, interrupt_on_ctrl_c, parse, parse_peer};

fn main() {
    let usage = format!(
        "usage: udpc [-s ADDR] [-p PORT] [-w SECONDS] FOREIGN:PORT\n  -s ADDR     local address (default: chosen by the route)\n  -p PORT     local port (default: ephemeral)\n  -w SECONDS  wait this long for replies after stdin ends (default 2)\n{COMMON_USAGE}"
    );
    let args = parse(&["-s", "-p", "-w"], &[], &usage);
    let [foreign] = args.positional.as_slice() else {
        die_usage("expected FOREIGN:PORT", &usage)
    };
    let foreign = parse_peer(foreign, &usage);
    let local_addr: Ipv4Addr = args.opt_parse("-s", Ipv4Addr::UNSPECIFIED, &usage);
    let local_port: u16 = args.opt_parse("-p", 0, &usage);
    let wait: f64 = args.opt_parse("-w", 2.0, &usage);
    let rt = args.common.start();
    let _ = interrupt_on_ctrl_c(&rt);
    let sock = Arc::new(
        UdpSocket::bind(&rt, SocketAddrV4::new(local_addr, local_port)).unwrap_or_else(|e| {
            eprintln!("udpc: bind: {e}");
            exit(1)
        }),
    );
    // Connected, as microps's udpc: only the peer's datagrams are taken,
    // and its ICMP errors (port unreachable) are reported.
    if let Err(e) = sock.connect(foreign) {
        eprintln!("udpc: connect {foreign}: {e}");
        exit(1)
    }
    let sent = Arc::new(AtomicU64::new(0));
    let got = Arc::new(AtomicU64::new(0));
    // Errors the stack reported for what we sent (ICMP, no route, ...).
    let errors = Arc::new(AtomicU64::new(0));
    let receiver = {
        let sock = sock.clone();
        let got = got.clone();
        let errors = errors.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65535];
            loop {
                match sock.recv_from(&mut buf) {
                    Ok((n, _from)) => {
                        let mut out = io::stdout().lock();
                        let _ = out.write_all(&buf[..n]);
                        let _ = out.flush();
                        got.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => break,
                    Err(e) => {
                        eprintln!("udpc: {e}");
                        got.fetch_add(1, Ordering::SeqCst);
                        errors.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        })
    };
    let mut failed = false;
    for line in io::stdin().lock().lines() {
        let Ok(mut line) = line else { break };
        line.push('\n');
        if let Err(e) = sock.send(line.as_bytes()) {
            // Any failed send is a failure of the run (exit 1).
            eprintln!("udpc: send_to {foreign}: {e}");
            failed = true;
            break;
        }
        sent.fetch_add(1, Ordering::SeqCst);
    }
    let deadline = Instant::now() + Duration::from_secs_f64(wait);
    while got.load(Ordering::SeqCst) < sent.load(Ordering::SeqCst) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let complete = got.load(Ordering::SeqCst) >= sent.load(Ordering::SeqCst);
    rt.interrupt();
    let _ = receiver.join();
    drop(sock);
    rt.shutdown();
    // A failed send, or one the stack reported an error for, fails the run.
    let ok = complete && !failed && errors.load(Ordering::SeqCst) == 0;
    exit(if ok { 0 } else { 1 })
}
