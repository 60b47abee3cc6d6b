//! Blocking sockets over the hosted runtime, shaped like `std::net` and
//! microps's `sock_*` calls.
//!
//! Every type holds a handle to the runtime; calls lock it briefly and wake
//! its thread. Blocking calls wait for the runtime's polls, with optional
//! timeouts (`set_read_timeout`, `set_write_timeout`). When the runtime
//! stops or is interrupted (Ctrl-C), blocked calls fail with
//! `ErrorKind::ConnectionAborted`, which std's retry loops do not swallow.
//!
//! ```no_run
//! use microps_drivers_linux::net::EchoSocket;
//! use microps_drivers_linux::runtime::Runtime;
//!
//! let rt = Runtime::builder().tap("tap0").addr("192.0.2.2/24".parse().unwrap()).build().unwrap();
//! let ping = EchoSocket::bind(&rt).unwrap();
//! ping.send_echo("192.0.2.1".parse().unwrap(), 1, b"hello").unwrap();
//! let reply = ping.recv_reply(&mut [0u8; 64]).unwrap();
//! println!("{} answered seq {}", reply.from, reply.seq_no);
//! ```

use std::io;
use std::net::SocketAddrV4;
use std::sync::Arc;
use std::time::Duration;

use microps_core::socket::icmp::{
    IcmpEvent, IcmpRxBuffer, IcmpRxMetadata, IcmpSocket as CoreIcmp, IcmpTxBuffer, IcmpTxMetadata,
};
use microps_core::socket::udp::{UdpPacketBuffer, UdpPacketMetadata, UdpSocket as CoreUdp};
use microps_core::socket::{
    BindError, IcmpErrorKind, IcmpErrorReport, RecvError, SendError, SocketHandle,
};
use microps_core::wire::Ipv4Address;

use crate::runtime::{Runtime, Shared};

/// The `io::Error` for an ICMP error report, as a BSD socket reports it.
pub fn icmp_error_to_io(report: IcmpErrorReport) -> io::Error {
    let kind = match report.kind {
        IcmpErrorKind::PortUnreachable | IcmpErrorKind::ProtocolUnreachable => {
            io::ErrorKind::ConnectionRefused
        }
        IcmpErrorKind::HostUnreachable => io::ErrorKind::HostUnreachable,
        IcmpErrorKind::NetUnreachable => io::ErrorKind::NetworkUnreachable,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, report.to_string())
}

fn bind_error(e: BindError) -> io::Error {
    let kind = match e {
        BindError::AddrInUse => io::ErrorKind::AddrInUse,
        BindError::NoEphemeralPort => io::ErrorKind::AddrNotAvailable,
        _ => io::ErrorKind::InvalidInput,
    };
    io::Error::new(kind, e.to_string())
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "socket is gone")
}

/// A UDP socket, like `std::net::UdpSocket`.
#[derive(Debug)]
pub struct UdpSocket {
    shared: Arc<Shared>,
    handle: SocketHandle,
    local: SocketAddrV4,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl UdpSocket {
    /// Binds to `addr` (port 0: an ephemeral port; address 0.0.0.0: any of
    /// the stack's addresses).
    pub fn bind(rt: &Runtime, addr: SocketAddrV4) -> io::Result<UdpSocket> {
        let shared = rt.shared().clone();
        let (handle, port) = shared.with(|st| {
            if !addr.ip().is_unspecified() && !st.stack.has_addr(addr.ip()) {
                return Err(io::Error::new(
                    io::ErrorKind::AddrNotAvailable,
                    format!("{} is not an address of the stack", addr.ip()),
                ));
            }
            let s = CoreUdp::new(
                UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 64], vec![0u8; 256 * 1024]),
                UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 64], vec![0u8; 256 * 1024]),
            );
            let h = st
                .sockets
                .add(s)
                .map_err(|e| io::Error::other(e.to_string()))?;
            match st.sockets.bind_udp(h, addr) {
                Ok(port) => Ok((h, port)),
                Err(e) => {
                    st.sockets.remove(h);
                    Err(bind_error(e))
                }
            }
        })?;
        Ok(UdpSocket {
            shared,
            handle,
            local: SocketAddrV4::new(*addr.ip(), port),
            read_timeout: None,
            write_timeout: None,
        })
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddrV4> {
        Ok(self.local)
    }

    /// How long `recv_from` waits (`None`: forever).
    pub fn set_read_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        self.read_timeout = t;
        Ok(())
    }

    /// How long `send_to` waits for room (`None`: forever).
    pub fn set_write_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        self.write_timeout = t;
        Ok(())
    }

    /// Queues `buf` to `addr`; waits while the transmit queue is full.
    pub fn send_to(&self, buf: &[u8], addr: SocketAddrV4) -> io::Result<usize> {
        let h = self.handle;
        self.shared.wait(self.write_timeout, |st| {
            let s = match st.sockets.get_mut::<CoreUdp>(h) {
                Some(s) => s,
                None => return Some(Err(gone())),
            };
            match s.send_slice(buf, addr) {
                Ok(()) => Some(Ok(buf.len())),
                Err(SendError::BufferFull) => None,
                Err(e) => Some(Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    e.to_string(),
                ))),
            }
        })
    }

    /// Receives a datagram into `buf` (truncating it if `buf` is short, as
    /// std does); an ICMP error about what this socket sent is returned
    /// once as an error (`ConnectionRefused` for port unreachable).
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddrV4)> {
        let h = self.handle;
        self.shared.wait(self.read_timeout, |st| {
            let s = match st.sockets.get_mut::<CoreUdp>(h) {
                Some(s) => s,
                None => return Some(Err(gone())),
            };
            match s.recv_slice(buf) {
                Ok(r) => Some(Ok((r.len, r.meta.remote))),
                Err(RecvError::Exhausted) => None,
                Err(RecvError::Icmp(report)) => Some(Err(icmp_error_to_io(report))),
                Err(e) => Some(Err(io::Error::other(e.to_string()))),
            }
        })
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        let h = self.handle;
        self.shared.with(|st| {
            st.sockets.remove(h);
        });
    }
}

/// An echo reply (or error) received by an [`EchoSocket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoReply {
    /// Who answered.
    pub from: Ipv4Address,
    /// The sequence number.
    pub seq_no: u16,
    /// The TTL the reply arrived with.
    pub ttl: u8,
    /// Data bytes (copied into the caller's buffer, up to its length).
    pub len: usize,
}

/// An ICMP echo socket, for `ping`.
#[derive(Debug)]
pub struct EchoSocket {
    shared: Arc<Shared>,
    handle: SocketHandle,
    ident: u16,
    read_timeout: Option<Duration>,
}

impl EchoSocket {
    /// Opens a socket with a random free echo identifier.
    pub fn bind(rt: &Runtime) -> io::Result<EchoSocket> {
        let shared = rt.shared().clone();
        let (handle, ident) = shared.with(|st| {
            let s = CoreIcmp::new(
                IcmpRxBuffer::new(vec![IcmpRxMetadata::EMPTY; 32], vec![0u8; 256 * 1024]),
                IcmpTxBuffer::new(vec![IcmpTxMetadata::EMPTY; 32], vec![0u8; 256 * 1024]),
            );
            let h = st
                .sockets
                .add(s)
                .map_err(|e| io::Error::other(e.to_string()))?;
            match st.sockets.bind_icmp(h, 0) {
                Ok(id) => Ok((h, id)),
                Err(e) => {
                    st.sockets.remove(h);
                    Err(bind_error(e))
                }
            }
        })?;
        Ok(EchoSocket {
            shared,
            handle,
            ident,
            read_timeout: None,
        })
    }

    /// The echo identifier.
    pub fn ident(&self) -> u16 {
        self.ident
    }

    /// How long `recv_reply` waits.
    pub fn set_read_timeout(&mut self, t: Option<Duration>) -> io::Result<()> {
        self.read_timeout = t;
        Ok(())
    }

    /// Sends an echo request.
    pub fn send_echo(&self, dst: Ipv4Address, seq_no: u16, data: &[u8]) -> io::Result<()> {
        let h = self.handle;
        self.shared.wait(None, |st| {
            let s = match st.sockets.get_mut::<CoreIcmp>(h) {
                Some(s) => s,
                None => return Some(Err(gone())),
            };
            match s.send_echo(dst, seq_no, data) {
                Ok(()) => Some(Ok(())),
                Err(SendError::BufferFull) => None,
                Err(e) => Some(Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    e.to_string(),
                ))),
            }
        })
    }

    /// Waits for an echo reply; an ICMP error about one of our requests is
    /// returned as an error.
    pub fn recv_reply(&self, buf: &mut [u8]) -> io::Result<EchoReply> {
        let h = self.handle;
        self.shared.wait(self.read_timeout, |st| {
            let s = match st.sockets.get_mut::<CoreIcmp>(h) {
                Some(s) => s,
                None => return Some(Err(gone())),
            };
            match s.recv() {
                Ok((IcmpEvent::Reply { from, seq_no, ttl }, data)) => {
                    let n = data.len().min(buf.len());
                    buf[..n].copy_from_slice(&data[..n]);
                    Some(Ok(EchoReply {
                        from,
                        seq_no,
                        ttl,
                        len: data.len(),
                    }))
                }
                Ok((IcmpEvent::Error { report, seq_no, .. }, _)) => {
                    let e = icmp_error_to_io(report);
                    Some(Err(io::Error::new(
                        e.kind(),
                        format!("icmp_seq={seq_no}: {e}"),
                    )))
                }
                Err(_) => None,
            }
        })
    }
}

impl Drop for EchoSocket {
    fn drop(&mut self) {
        let h = self.handle;
        self.shared.with(|st| {
            st.sockets.remove(h);
        });
    }
}
