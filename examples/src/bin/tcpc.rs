//! `tcpc [-s ADDR] [-p PORT] FOREIGN:PORT`: stdin to the peer, the peer's
//! bytes to stdout; exits 0 when both directions are closed (a `nc -N`
//! replacement, as microps's `tcpc`).

use std::io::{self, Read, Write};
use std::process::exit;
use std::time::Duration;

use microps_drivers_linux::net::TcpStream;
use microps_examples::{COMMON_USAGE, die_usage, interrupt_on_ctrl_c, parse, parse_peer};

fn main() {
    let usage = format!(
        "usage: tcpc [-s ADDR] [-p PORT] [-t SECONDS] FOREIGN:PORT\n  -s ADDR     local address (must be the stack's, see --addr)\n  -p PORT     local port (default: ephemeral)\n  -t SECONDS  connect timeout (default 10)\n  stdin goes to the peer, the peer's bytes to stdout; exit 0 once both\n  directions are closed\n{COMMON_USAGE}"
    );
    let args = parse(&["-s", "-p", "-t"], &[], &usage);
    let [foreign] = args.positional.as_slice() else {
        die_usage("expected FOREIGN:PORT", &usage)
    };
    let foreign = parse_peer(foreign, &usage);
    let local_port: u16 = args.opt_parse("-p", 0, &usage);
    let connect_timeout: f64 = args.opt_parse("-t", 10.0, &usage);
    if let Some(s) = args.opt("-s") {
        let a: std::net::Ipv4Addr = s
            .parse()
            .unwrap_or_else(|_| die_usage(&format!("bad -s {s}"), &usage));
        if a != args.common.addr.address() {
            die_usage(
                &format!(
                    "-s {a}: the stack's address is {} (set it with --addr)",
                    args.common.addr.address()
                ),
                &usage,
            );
        }
    }
    let rt = args.common.start();
    let _ = interrupt_on_ctrl_c(&rt);
    let stream = TcpStream::connect_from(
        &rt,
        foreign,
        local_port,
        Some(Duration::from_secs_f64(connect_timeout)),
    )
    .unwrap_or_else(|e| {
        eprintln!("tcpc: connect {foreign}: {e}");
        exit(1)
    });
    log::info!(
        "tcpc: connected {} -> {foreign}",
        stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    // stdin -> peer on a thread of its own; a half close when stdin ends.
    let mut to_peer = stream.try_clone().unwrap_or_else(|e| {
        eprintln!("tcpc: {e}");
        exit(1)
    });
    let writer = std::thread::spawn(move || -> io::Result<()> {
        let mut stdin = io::stdin().lock();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = stdin.read(&mut buf)?;
            if n == 0 {
                break;
            }
            to_peer.write_all(&buf[..n])?;
        }
        to_peer.shutdown(std::net::Shutdown::Write)
    });
    // peer -> stdout until the peer closes.
    let mut from_peer = stream;
    let mut out = io::stdout().lock();
    let mut buf = vec![0u8; 64 * 1024];
    let mut ok = true;
    loop {
        match from_peer.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if let Err(e) = out.write_all(&buf[..n]) {
                    eprintln!("tcpc: stdout: {e}");
                    ok = false;
                    break;
                }
            }
            Err(e) => {
                eprintln!("tcpc: read: {e}");
                ok = false;
                break;
            }
        }
    }
    let _ = out.flush();
    if ok {
        // Both directions must close: wait for stdin's end to be sent.
        match writer.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                eprintln!("tcpc: write: {e}");
                ok = false;
            }
            Err(_) => ok = false,
        }
    }
    drop(from_peer);
    rt.shutdown();
    exit(if ok { 0 } else { 1 })
}
