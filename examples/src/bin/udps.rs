//! `udps [ADDR] PORT`: UDP echo server, as microps's `udps` test program.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::exit;

use microps_drivers_linux::net::UdpSocket;
use microps_examples::{COMMON_USAGE, die_usage, interrupt_on_ctrl_c, parse};

fn main() {
    let usage = format!(
        "usage: udps [ADDR] PORT\n  echo every UDP datagram back to its sender\n{COMMON_USAGE}"
    );
    let args = parse(&[], &[], &usage);
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
    let rt = args.common.start();
    let _ = interrupt_on_ctrl_c(&rt);
    let sock = UdpSocket::bind(&rt, SocketAddrV4::new(addr, port)).unwrap_or_else(|e| {
        eprintln!("udps: bind: {e}");
        exit(1)
    });
    log::info!(
        "udps: listening on {}",
        sock.local_addr().map(|a| a.to_string()).unwrap_or_default()
    );
    let mut buf = vec![0u8; 65535];
    loop {
        match sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                log::info!("udps: {n} bytes from {from}");
                if let Err(e) = sock.send_to(&buf[..n], from) {
                    log::warn!("udps: send_to {from}: {e}");
                }
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => break,
            // An ICMP error about an echo we sent: report and go on.
            Err(e) => log::warn!("udps: {e}"),
        }
    }
    drop(sock);
    rt.shutdown();
}
