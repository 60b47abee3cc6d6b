//! The hosted API over the in-process loopback: timeouts, interruption,
//! shutdown. No privilege needed.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use microps_drivers_linux::net::{EchoSocket, TcpListener, TcpStream, UdpSocket};
use microps_drivers_linux::runtime::Runtime;

fn rt() -> Runtime {
    Runtime::builder().loopback().seed(Some(7)).build().unwrap()
}

const LO: Ipv4Addr = Ipv4Addr::LOCALHOST;

#[test]
fn udp_read_timeout_expires_with_timed_out() {
    let rt = rt();
    let mut s = UdpSocket::bind(&rt, SocketAddrV4::new(LO, 0)).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(150)))
        .unwrap();
    let t = Instant::now();
    let e = s.recv_from(&mut [0u8; 16]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert!(t.elapsed() >= Duration::from_millis(150));
}

#[test]
fn udp_round_trip_and_port_unreachable_is_connection_refused() {
    let rt = rt();
    let a = UdpSocket::bind(&rt, SocketAddrV4::new(LO, 5000)).unwrap();
    let mut b = UdpSocket::bind(&rt, SocketAddrV4::new(LO, 0)).unwrap();
    b.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let b_addr = b.local_addr().unwrap();
    a.send_to(b"hello", SocketAddrV4::new(LO, b_addr.port()))
        .unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"hello"[..], SocketAddrV4::new(LO, 5000))
    );
    // Nobody on 5999: a connected socket hears of it, as on Linux.
    b.connect(SocketAddrV4::new(LO, 5999)).unwrap();
    assert_eq!(b.peer_addr().unwrap(), SocketAddrV4::new(LO, 5999));
    b.send(b"x").unwrap();
    assert_eq!(
        b.recv(&mut buf).unwrap_err().kind(),
        ErrorKind::ConnectionRefused
    );
    // An unconnected one does not: the error is no datagram.
    let mut c = UdpSocket::bind(&rt, SocketAddrV4::new(LO, 0)).unwrap();
    c.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    c.send_to(b"x", SocketAddrV4::new(LO, 5999)).unwrap();
    assert_eq!(
        c.recv_from(&mut buf).unwrap_err().kind(),
        ErrorKind::TimedOut
    );
    // A second bind to a bound port fails.
    assert_eq!(
        UdpSocket::bind(&rt, SocketAddrV4::new(LO, 5000))
            .unwrap_err()
            .kind(),
        ErrorKind::AddrInUse
    );
}

#[test]
fn interrupt_wakes_blocked_calls_with_connection_aborted() {
    let rt = rt();
    let u = UdpSocket::bind(&rt, SocketAddrV4::new(LO, 0)).unwrap();
    let mut l = TcpListener::bind(&rt, SocketAddrV4::new(LO, 7100)).unwrap();
    let t1 = std::thread::spawn(move || u.recv_from(&mut [0u8; 8]).map(|_| ()));
    let t2 = std::thread::spawn(move || l.accept().map(|_| ()));
    std::thread::sleep(Duration::from_millis(200));
    rt.interrupt();
    for t in [t1, t2] {
        let e = t.join().unwrap().unwrap_err();
        // Not Interrupted: std's retry loops would swallow that.
        assert_eq!(e.kind(), ErrorKind::ConnectionAborted);
    }
}

#[test]
fn tcp_read_timeout_then_data_then_eof() {
    let rt = rt();
    let mut l = TcpListener::bind(&rt, SocketAddrV4::new(LO, 7200)).unwrap();
    let mut c = TcpStream::connect(&rt, SocketAddrV4::new(LO, 7200)).unwrap();
    let (mut s, peer) = l.accept().unwrap();
    assert_eq!(peer, c.local_addr().unwrap());
    assert_eq!(s.peer_addr().unwrap(), c.local_addr().unwrap());
    assert_eq!(c.peer_addr().unwrap(), SocketAddrV4::new(LO, 7200));
    c.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    assert_eq!(
        c.read(&mut [0u8; 4]).unwrap_err().kind(),
        ErrorKind::TimedOut
    );
    assert_eq!(
        c.set_read_timeout(Some(Duration::ZERO)).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    s.write_all(b"pong").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut got = Vec::new();
    c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    c.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"pong");
    // Half close: the other direction still works.
    c.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
}

#[test]
fn tcp_connect_to_a_closed_port_is_refused() {
    let rt = rt();
    let e = TcpStream::connect_timeout(
        &rt,
        SocketAddrV4::new(LO, 7999),
        Some(Duration::from_secs(2)),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn shutdown_closes_connections_and_returns_within_the_linger() {
    let rt = rt();
    let mut l = TcpListener::bind(&rt, SocketAddrV4::new(LO, 7300)).unwrap();
    let c = TcpStream::connect(&rt, SocketAddrV4::new(LO, 7300)).unwrap();
    let (s, _) = l.accept().unwrap();
    let t = Instant::now();
    rt.shutdown();
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "the runtime waits at most 2 s for ACKs"
    );
    drop((c, s, l));
}

#[test]
fn echo_socket_pings_itself() {
    let rt = rt();
    let mut p = EchoSocket::bind(&rt).unwrap();
    p.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    p.send_echo(LO, 1, b"abc").unwrap();
    let mut buf = [0u8; 8];
    let r = p.recv_reply(&mut buf).unwrap();
    assert_eq!(
        (r.from, r.seq_no, r.len, &buf[..3]),
        (LO, 1, 3, &b"abc"[..])
    );
}

/// CPU time this process has used.
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct it is given.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    Duration::from_secs((ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) as u64)
        + Duration::from_micros((ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) as u64)
}

#[test]
fn a_blocked_call_sleeps_instead_of_spinning() {
    // Not a performance figure: a busy loop between the waiting thread and
    // the runtime once burned a whole core; sleeping uses almost none.
    let rt = rt();
    let mut s = UdpSocket::bind(&rt, SocketAddrV4::new(LO, 0)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let before = cpu_time();
    assert_eq!(
        s.recv_from(&mut [0u8; 8]).unwrap_err().kind(),
        ErrorKind::TimedOut
    );
    let used = cpu_time() - before;
    assert!(
        used < Duration::from_millis(500),
        "a blocked receive used {used:?} of CPU in 1 s"
    );
}

#[test]
fn a_connection_reset_before_accept_does_not_shrink_the_listener() {
    use microps_core::socket::TcpSocket;
    let rt = rt();
    let mut l = TcpListener::bind_with_backlog(&rt, SocketAddrV4::new(LO, 7400), 1).unwrap();
    for round in 0..5 {
        // A client connects and resets before anyone accepts: the one
        // listening socket ends CLOSED.
        let c = TcpStream::connect_timeout(
            &rt,
            SocketAddrV4::new(LO, 7400),
            Some(Duration::from_secs(2)),
        )
        .unwrap();
        let port = c.local_addr().unwrap().port();
        rt.with(|st| {
            let h = st
                .sockets
                .iter()
                .map(|(h, _)| h)
                .find(|&h| {
                    st.sockets
                        .get::<TcpSocket>(h)
                        .is_some_and(|s| s.local_endpoint().port() == port)
                })
                .unwrap();
            st.sockets.get_mut::<TcpSocket>(h).unwrap().abort();
        });
        drop(c);
        std::thread::sleep(Duration::from_millis(50));
        // accept() makes it listen again, and takes the next connection.
        let server = std::thread::spawn(move || {
            let r = l.accept().map(|(_, peer)| peer);
            (l, r)
        });
        std::thread::sleep(Duration::from_millis(100));
        let c2 = TcpStream::connect_timeout(
            &rt,
            SocketAddrV4::new(LO, 7400),
            Some(Duration::from_secs(2)),
        )
        .unwrap_or_else(|e| panic!("round {round}: the listener is gone: {e}"));
        let (back, peer) = server.join().unwrap();
        assert_eq!(peer.unwrap(), c2.local_addr().unwrap());
        l = back;
    }
}

#[test]
fn a_listener_that_cannot_be_built_leaves_nothing_behind() {
    let rt = Runtime::builder().loopback().seed(Some(3)).build().unwrap();
    // Far more listening sockets than the set has slots.
    let e = TcpListener::bind_with_backlog(&rt, SocketAddrV4::new(LO, 7500), 100_000).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Other, "{e}");
    assert_eq!(
        rt.with(|st| st.sockets.iter().count()),
        0,
        "every socket it made is gone"
    );
    // The port is free again.
    let mut l = TcpListener::bind_with_backlog(&rt, SocketAddrV4::new(LO, 7500), 2).unwrap();
    let c = TcpStream::connect(&rt, SocketAddrV4::new(LO, 7500)).unwrap();
    let (_s, peer) = l.accept().unwrap();
    assert_eq!(peer, c.local_addr().unwrap());
}

#[test]
fn dropping_a_stream_with_unread_data_resets_the_connection() {
    // RFC 1122 4.2.2.13 (RFC 9293 SHLD-3): a close after which nothing can
    // read "while received data is still pending in TCP ... SHOULD send a
    // RST to show that data was lost"; with nothing unread it is a FIN.
    let rt = rt();
    let mut l = TcpListener::bind(&rt, SocketAddrV4::new(LO, 7203)).unwrap();
    let mut c = TcpStream::connect(&rt, SocketAddrV4::new(LO, 7203)).unwrap();
    let (mut s, _) = l.accept().unwrap();
    c.write_all(b"never read").unwrap();
    // One byte read: the rest has arrived and stays unread.
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.read_exact(&mut [0u8; 1]).unwrap();
    drop(s);
    c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let e = c.read(&mut [0u8; 4]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionReset);

    let mut c = TcpStream::connect(&rt, SocketAddrV4::new(LO, 7203)).unwrap();
    let (s, _) = l.accept().unwrap();
    drop(s);
    c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    assert_eq!(c.read(&mut [0u8; 4]).unwrap(), 0, "a FIN: end of stream");
}

#[test]
fn a_listener_bound_to_port_0_takes_an_ephemeral_port_as_std_does() {
    let rt = rt();
    let mut a = TcpListener::bind(&rt, SocketAddrV4::new(LO, 0)).unwrap();
    let b = TcpListener::bind(&rt, SocketAddrV4::new(LO, 0)).unwrap();
    let (pa, pb) = (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    );
    assert!(pa >= 49152 && pb >= 49152, "{pa} {pb}");
    assert_ne!(pa, pb, "two listeners, two ports");
    // The port works.
    let mut c = TcpStream::connect(&rt, SocketAddrV4::new(LO, pa)).unwrap();
    let (mut s, _) = a.accept().unwrap();
    c.write_all(b"hi").unwrap();
    let mut buf = [0u8; 2];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hi");
}
