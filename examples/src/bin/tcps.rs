//! `tcps [ADDR] PORT`: TCP echo server, as microps's `tcps` test program,
//! but for many connections at once, until Ctrl-C.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::exit;

use microps_drivers_linux::net::{DEFAULT_BACKLOG, ListenConfig, TcpListener, TcpStream};
use microps_examples::{Args, COMMON_USAGE, die_usage, init_logging, interrupt_on_ctrl_c, parse};

/// Connections at once unless `--max-connections` says otherwise.
const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// The socket set's handles are 16 bits.
const MAX_CONNECTIONS_LIMIT: usize = 30_000;
const MIN_BUFFER: usize = 1024;
const MAX_BUFFER: usize = 64 * 1024 * 1024;

fn main() {
    let usage = format!(
        "usage: tcps [--backlog N] [--buffer BYTES] [--max-connections N] [ADDR] PORT
  echo every byte of every connection back, until Ctrl-C
  --backlog N           connections waiting to be accepted, and as many half-open
                        ones before SYN cookies (default {DEFAULT_BACKLOG})
  --buffer BYTES        each connection's receive and send buffer (default
                        65536 receive, 131072 send)
  --max-connections N   connections at once (default {DEFAULT_MAX_CONNECTIONS})
{COMMON_USAGE}"
    );
    let args = parse(&["--backlog", "--buffer", "--max-connections"], &[], &usage);
    let Options {
        endpoint,
        max_connections,
        config,
    } = options(&args, &usage);
    let backlog = config.backlog;
    // Room for every connection, the sockets waiting in the pool, and a
    // few more.
    let slots = max_connections + backlog + 8;
    init_logging(args.common.verbose);
    let rt = args
        .common
        .build(args.common.builder().socket_slots(slots))
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            exit(1)
        });
    let _ = interrupt_on_ctrl_c(&rt);
    let mut listener = TcpListener::bind_with_config(&rt, endpoint, config).unwrap_or_else(|e| {
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
    // The memory is known before the first SYN: the pool's sockets exist,
    // the others are made as connections are accepted, up to the limit.
    let each = config.connection_bytes();
    let most = (max_connections + backlog) * each + config.queue_bytes();
    eprintln!(
        "tcps: backlog {backlog}; at most {max_connections} connections of {each} bytes \
         (buffers {} + {}): {most} bytes ({:.1} MiB) in all",
        config.rx_buffer,
        config.tx_buffer,
        most as f64 / (1024.0 * 1024.0)
    );
    let mut workers = Vec::new();
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                log::info!("tcps: connection from {peer}");
                workers.push(std::thread::spawn(move || echo(stream, peer)));
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

/// What the command line asks for.
struct Options {
    endpoint: SocketAddrV4,
    max_connections: usize,
    config: ListenConfig,
}

/// The options, checked: one line and exit status 2 for a bad one.
fn options(args: &Args, usage: &str) -> Options {
    let (addr, port) = match args.positional.as_slice() {
        [port] => (Ipv4Addr::UNSPECIFIED, port),
        [addr, port] => (
            addr.parse()
                .unwrap_or_else(|_| die_usage(&format!("bad address {addr}"), usage)),
            port,
        ),
        _ => die_usage("expected [ADDR] PORT", usage),
    };
    let port: u16 = port
        .parse()
        .unwrap_or_else(|_| die_usage(&format!("bad port {port}"), usage));
    let max_connections: usize =
        args.opt_parse("--max-connections", DEFAULT_MAX_CONNECTIONS, usage);
    if !(1..=MAX_CONNECTIONS_LIMIT).contains(&max_connections) {
        die_usage(
            &format!("--max-connections {max_connections}: from 1 to {MAX_CONNECTIONS_LIMIT}"),
            usage,
        );
    }
    let backlog: usize = args.opt_parse("--backlog", DEFAULT_BACKLOG, usage);
    if !(1..=max_connections).contains(&backlog) {
        die_usage(
            &format!("--backlog {backlog}: from 1 to {max_connections} (--max-connections)"),
            usage,
        );
    }
    let mut config = ListenConfig::default();
    config.backlog = backlog;
    if let Some(b) = args.opt("--buffer") {
        let bytes: usize = b
            .parse()
            .ok()
            .filter(|n| (MIN_BUFFER..=MAX_BUFFER).contains(n))
            .unwrap_or_else(|| {
                die_usage(
                    &format!("--buffer {b}: from {MIN_BUFFER} to {MAX_BUFFER} bytes"),
                    usage,
                )
            });
        config.rx_buffer = bytes;
        config.tx_buffer = bytes;
    }
    Options {
        endpoint: SocketAddrV4::new(addr, port),
        max_connections,
        config,
    }
}

/// Echoes one connection until the peer closes its side, then closes ours.
fn echo(mut stream: TcpStream, peer: SocketAddrV4) {
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
}
