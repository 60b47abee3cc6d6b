//! `demo`: the whole stack in this process, no privilege needed.
//!
//! With no arguments it runs on the loopback device alone (127.0.0.1/8): it
//! pings itself, echoes data through TCP and UDP, prints the logs and a
//! summary, and exits 0 if everything came back intact. This is what a
//! newcomer runs first: `cargo run -p microps-examples --bin demo`.
//!
//! With `--all-devices` it brings up the null device, the loopback device
//! and tap0 together, as microps's test program does, logs their
//! registration, runs the same self-test, and then serves TCP and UDP echo
//! on port 7 of every address until Ctrl-C.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::exit;
use std::time::{Duration, Instant};

use microps_drivers_linux::net::{EchoSocket, TcpListener, TcpStream, UdpSocket};
use microps_drivers_linux::runtime::Runtime;
use microps_examples::{COMMON_USAGE, init_logging, interrupt_on_ctrl_c, parse};

const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

fn ping_self(rt: &Runtime) -> io::Result<usize> {
    let mut sock = EchoSocket::bind(rt)?;
    sock.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut got = 0;
    let mut buf = [0u8; 128];
    for seq in 1..=3u16 {
        let t = Instant::now();
        sock.send_echo(LOCALHOST, seq, b"microps demo ping")?;
        match sock.recv_reply(&mut buf) {
            Ok(r) => {
                println!(
                    "demo: {} bytes from {}: icmp_seq={} ttl={} time={:.3} ms",
                    r.len + 8,
                    r.from,
                    r.seq_no,
                    r.ttl,
                    t.elapsed().as_secs_f64() * 1e3
                );
                got += 1;
            }
            Err(e) => println!("demo: ping icmp_seq={seq}: {e}"),
        }
    }
    Ok(got)
}

fn tcp_echo(rt: &Runtime, len: usize) -> io::Result<bool> {
    let mut listener = TcpListener::bind_with_backlog(rt, SocketAddrV4::new(LOCALHOST, 7007), 2)?;
    let server = std::thread::spawn(move || -> io::Result<u64> {
        let (mut s, _) = listener.accept()?;
        let mut total = 0u64;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = s.read(&mut buf)?;
            if n == 0 {
                break;
            }
            s.write_all(&buf[..n])?;
            total += n as u64;
        }
        s.shutdown(std::net::Shutdown::Write)?;
        Ok(total)
    });
    let mut c = TcpStream::connect_timeout(
        rt,
        SocketAddrV4::new(LOCALHOST, 7007),
        Some(Duration::from_secs(5)),
    )?;
    c.set_read_timeout(Some(Duration::from_secs(5)))?;
    let data: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
    let mut writer = c.try_clone()?;
    let to_send = data.clone();
    let w = std::thread::spawn(move || -> io::Result<()> {
        writer.write_all(&to_send)?;
        writer.shutdown(std::net::Shutdown::Write)
    });
    let mut back = Vec::with_capacity(len);
    c.read_to_end(&mut back)?;
    w.join()
        .map_err(|_| io::Error::other("writer panicked"))??;
    let served = server
        .join()
        .map_err(|_| io::Error::other("server panicked"))??;
    let ok = back == data && served == len as u64;
    println!(
        "demo: tcp echo through 127.0.0.1:7007: sent {len} bytes, got {} back, {}",
        back.len(),
        if ok { "intact" } else { "DIFFERENT" }
    );
    Ok(ok)
}

fn udp_echo(rt: &Runtime) -> io::Result<usize> {
    let server = UdpSocket::bind(rt, SocketAddrV4::new(LOCALHOST, 7009))?;
    let mut client = UdpSocket::bind(rt, SocketAddrV4::new(LOCALHOST, 0))?;
    client.set_read_timeout(Some(Duration::from_secs(2)))?;
    let echo = std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        for _ in 0..3 {
            match server.recv_from(&mut buf) {
                Ok((n, from)) => {
                    let _ = server.send_to(&buf[..n], from);
                }
                Err(_) => break,
            }
        }
    });
    let mut ok = 0;
    let mut buf = [0u8; 2048];
    for i in 0..3 {
        let msg = format!("datagram {i} through the whole stack");
        client.send_to(msg.as_bytes(), SocketAddrV4::new(LOCALHOST, 7009))?;
        match client.recv_from(&mut buf) {
            Ok((n, _)) if &buf[..n] == msg.as_bytes() => ok += 1,
            Ok(_) => println!("demo: udp datagram {i} came back different"),
            Err(e) => println!("demo: udp datagram {i}: {e}"),
        }
    }
    let _ = echo.join();
    println!("demo: udp echo through 127.0.0.1:7009: {ok}/3 datagrams back");
    Ok(ok)
}

fn serve_echo(rt: &Runtime) {
    let mut listener = match TcpListener::bind(rt, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 7)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("demo: tcp listen on 7: {e}");
            return;
        }
    };
    let udp = UdpSocket::bind(rt, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 7));
    let udp_thread = udp.ok().map(|u| {
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65535];
            loop {
                match u.recv_from(&mut buf) {
                    Ok((n, from)) => {
                        let _ = u.send_to(&buf[..n], from);
                    }
                    Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => break,
                    // An ICMP error about an echo sent earlier: go on.
                    Err(_) => {}
                }
            }
        })
    });
    println!("demo: serving TCP and UDP echo on port 7 of every address; Ctrl-C to stop");
    while let Ok((mut s, peer)) = listener.accept() {
        log::info!("demo: connection from {peer}");
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 16 * 1024];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 || s.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = s.shutdown(std::net::Shutdown::Write);
        });
    }
    drop(listener);
    if let Some(t) = udp_thread {
        let _ = t.join();
    }
}

fn main() {
    let usage = format!(
        "usage: demo [--all-devices] [--bytes N]\n  run the whole stack in this process and check it end to end\n  (no arguments: on the loopback device only, no privilege needed)\n  --all-devices  null, loopback and tap0 together, as microps's test\n                 program; then serve echo on port 7 until Ctrl-C\n  --bytes N      bytes for the TCP echo (default 1 MiB)\n{COMMON_USAGE}"
    );
    let args = parse(&["--bytes"], &["--all-devices"], &usage);
    let all = args.opt("--all-devices").is_some();
    let bytes: usize = args.opt_parse("--bytes", 1 << 20, &usage);
    // A newcomer should see the registration lines without -v.
    init_logging(args.common.verbose.max(1));
    let builder = if all {
        let b = Runtime::builder().null().loopback();
        let common = &args.common;
        let mut b = b
            .mac(common.mac)
            .seed(common.seed)
            .tap(common.tap.as_deref().unwrap_or("tap0"))
            .addr(common.addr);
        if let Some(gw) = common.gateway {
            b = b.gateway(gw);
        }
        b
    } else {
        Runtime::builder().loopback().seed(args.common.seed)
    };
    let rt = match args.common.build(builder) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("demo: {e}");
            exit(1)
        }
    };
    let _ = interrupt_on_ctrl_c(&rt);
    let pings = ping_self(&rt).unwrap_or_else(|e| {
        println!("demo: ping: {e}");
        0
    });
    let tcp_ok = tcp_echo(&rt, bytes).unwrap_or_else(|e| {
        println!("demo: tcp echo: {e}");
        false
    });
    let udp_ok = udp_echo(&rt).unwrap_or_else(|e| {
        println!("demo: udp echo: {e}");
        0
    });
    let ok = pings == 3 && tcp_ok && udp_ok == 3;
    println!(
        "demo: summary: ping {pings}/3, tcp echo {}, udp echo {udp_ok}/3 -> {}",
        if tcp_ok { "ok" } else { "FAILED" },
        if ok { "all good" } else { "FAILED" }
    );
    println!("demo: stack counters:\n{}", rt.stats());
    if all && ok {
        serve_echo(&rt);
    }
    rt.shutdown();
    exit(if ok { 0 } else { 1 })
}
