//! `tcps [ADDR] PORT`: TCP echo server, as microps's `tcps` test program,
//! but for many connections at once, until Ctrl-C.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::exit;

use microps_drivers_linux::net::TcpListener;
use microps_examples::{COMMON_USAGE, die_usage, interrupt_on_ctrl_c, parse};

fn main() {
    let usage = format!(
        "usage: tcps [--backlog N] [ADDR] PORT\n  echo every byte of every connection back, until Ctrl-C\n  --backlog N  connections set up before they are accepted (default 64)\n{COMMON_USAGE}"
    );
    let args = parse(&["--backlog"], &[], &usage);
    let (addr, port) = match args.positional.as_slice() {
        [port] => (Ipv4Addr::UNSPECIFIED, port),
        [addr, port] => (
            addr.parse()
                .unwrap_or_else(|_| die_usage(&format!("bad address {addr}"), &usage)),
            port,
        ),
        _ => die_usage("expected [ADDR] PORT", &usage),
    };
    let port: u16 = port
        .parse()
        .unwrap_or_else(|_| die_usage(&format!("bad port {port}"), &usage));
    let backlog: usize = args.opt_parse(
        "--backlog",
        microps_drivers_linux::net::DEFAULT_BACKLOG,
        &usage,
    );
    // Each listening socket of the backlog is one of the runtime's, and
    // connections need some too.
    let max = microps_drivers_linux::runtime::DEFAULT_SOCKET_SLOTS / 2;
    if !(1..=max).contains(&backlog) {
        die_usage(
            &format!(
                "--backlog {backlog}: from 1 to {max} (half the runtime's {} sockets)",
                max * 2
            ),
            &usage,
        );
    }
    let rt = args.common.start();
    let _ = interrupt_on_ctrl_c(&rt);
    let mut listener = TcpListener::bind_with_backlog(&rt, SocketAddrV4::new(addr, port), backlog)
        .unwrap_or_else(|e| {
            eprintln!("tcps: bind: {e}");
            exit(1)
        });
    log::info!(
        "tcps: listening on {}",
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    let mut workers = Vec::new();
    loop {
        match listener.accept() {
            Ok((mut stream, peer)) => {
                log::info!("tcps: connection from {peer}");
                workers.push(std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut total = 0u64;
                    loop {
                        match stream.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => {
                                if let Err(e) = stream.write_all(&buf[..n]) {
                                    log::warn!("tcps: {peer}: write: {e}");
                                    return;
                                }
                                total += n as u64;
                            }
                            Err(e) => {
                                if e.kind() != io::ErrorKind::ConnectionAborted {
                                    log::warn!("tcps: {peer}: read: {e}");
                                }
                                return;
                            }
                        }
                    }
                    let _ = stream.shutdown(std::net::Shutdown::Write);
                    log::info!("tcps: {peer} closed after {total} bytes");
                }));
                workers.retain(|w| !w.is_finished());
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => break,
            Err(e) => {
                eprintln!("tcps: accept: {e}");
                break;
            }
        }
    }
    for w in workers {
        let _ = w.join();
    }
    drop(listener);
    rt.shutdown();
}
