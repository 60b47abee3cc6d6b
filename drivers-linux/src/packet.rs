//! The PF_PACKET device: Ethernet frames of an existing interface, through a
//! raw packet socket.
//!
//! [`PacketDevice::open`] binds a non-blocking `AF_PACKET`/`SOCK_RAW` socket
//! to one interface (a veth end, a bridge port, a real NIC) and puts the
//! interface into promiscuous mode for as long as the socket lives, so that
//! frames addressed to the stack's own MAC (which the NIC does not know)
//! arrive. The stack then shares the wire with the host: it sees what
//! arrives on the interface and sends frames with its own MAC, while the
//! host keeps its own address and traffic.
//!
//! What the kernel tells about each frame shapes what the stack gets:
//!
//! - Frames the host itself sends on the interface (`PACKET_OUTGOING`) are
//!   not delivered: the socket asks the kernel to leave them out
//!   (`PACKET_IGNORE_OUTGOING`, Linux 4.20), and any that still arrive are
//!   counted in [`RxStats::outgoing`] and dropped. Frames this device sends
//!   never come back to it.
//! - A frame whose checksum the kernel has not filled yet (it comes from
//!   this host, `TP_STATUS_CSUMNOTREADY`) or which the NIC verified
//!   (`TP_STATUS_CSUM_VALID`) is delivered with [`RxMeta::verified`]: its
//!   transport checksum field holds only the pseudo-header sum, and
//!   verifying it would drop a good frame.
//! - GRO (and, on veth, the host's own TSO/GSO) hands up frames much larger
//!   than the MTU: up to 64 KiB of IP datagram. The receive buffer holds
//!   them and the capabilities say so with
//!   [`Offloads::rx_coalesce`]; the MTU stays the interface's, and
//!   transmitted frames are at most `mtu + 14` bytes.
//! - A VLAN tag the NIC stripped (`TP_STATUS_VLAN_VALID`) is put back in
//!   the frame, as libpcap does, so that the stack sees an 802.1Q frame
//!   rather than mistaking another VLAN's traffic for its own.
//!
//! ```no_run
//! use microps_core::phy::Device;
//! use microps_core::wire::EthernetAddress;
//! use microps_drivers_linux::packet::PacketDevice;
//!
//! let mac = EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]);
//! let dev = PacketDevice::open("veth1", mac)?;
//! assert!(dev.capabilities().offloads.rx_coalesce);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::mem::{size_of, size_of_val};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use microps_core::phy::{
    Device, DeviceCapabilities, DeviceError, Offloads, RxMeta, TxMeta, TxSink,
};
use microps_core::time::Instant;
use microps_core::wire::EthernetAddress;
use microps_core::wire::ethernet::HEADER_LEN;

use crate::fd::{self, FrameWriter, LinkStats, RxStats};
use crate::tap::DEFAULT_MTU;

/// The largest IP datagram GRO builds (`gro_max_size`'s default; IPv4 total
/// length cannot say more without BIG TCP).
const MAX_COALESCED: usize = 65536;

/// The largest frame delivered to the stack, as the capabilities report it.
pub const MAX_RX_FRAME_LEN: usize = MAX_COALESCED + HEADER_LEN;

/// Room for one 802.1Q tag: in front of the frame for a tag the kernel
/// reports out of band, and after it for one that stayed inline.
const VLAN_LEN: usize = 4;

/// The size of the receive buffer.
const RX_BUF_LEN: usize = VLAN_LEN + MAX_RX_FRAME_LEN + VLAN_LEN;

/// The receive buffer the socket asks for (with `SO_RCVBUFFORCE` when
/// allowed): room for a few dozen coalesced frames.
const SOCKET_RCVBUF: libc::c_int = 4 << 20;

/// An existing interface, through a PF_PACKET socket, as a [`Device`] of
/// [`Medium::Ethernet`].
///
/// Capabilities: Ethernet with the interface's MTU, the stack's own MAC,
/// every checksum done by the stack (except for frames delivered with
/// [`RxMeta::verified`]), `rx_coalesce` on and `max_frame_len` =
/// [`MAX_RX_FRAME_LEN`]. See the [module documentation](self) for what is
/// delivered. Transmit lends a buffer of at most `mtu + 14` bytes
/// ([`DeviceError::TooLong`] beyond) and makes one `write(2)`;
/// `EAGAIN`/`ENOBUFS` (socket buffer or qdisc full) drop the frame and
/// return [`DeviceError::Exhausted`], `ENETDOWN` returns
/// [`DeviceError::Down`]; other errors return [`DeviceError::Io`].
///
/// [`Medium::Ethernet`]: microps_core::phy::Medium::Ethernet
#[derive(Debug)]
pub struct PacketDevice {
    /// The socket; `tx` writes to its fd but does not own it.
    sock: OwnedFd,
    name: String,
    ifindex: u32,
    mac: EthernetAddress,
    mtu: usize,
    /// `RX_BUF_LEN` bytes; frames are read at offset `VLAN_LEN`.
    rx_buf: Box<[u8]>,
    rx: RxStats,
    tx: FrameWriter,
}

impl PacketDevice {
    /// Binds a packet socket to the interface `ifname` (which must exist,
    /// in the calling thread's network namespace), non-blocking, in
    /// promiscuous mode, with the MTU read from the interface (1500 if that
    /// fails). `mac` is the stack's own address, not the interface's.
    ///
    /// # Errors
    ///
    /// `ENODEV` if there is no such interface; `EPERM` without
    /// `CAP_NET_RAW`; the error of any other socket call.
    pub fn open(ifname: &str, mac: EthernetAddress) -> io::Result<PacketDevice> {
        let ifindex = fd::interface_index(ifname)?;
        let mtu = fd::interface_mtu(ifname).unwrap_or_else(|e| {
            log::debug!("{ifname}: MTU unknown ({e}), using {DEFAULT_MTU}");
            DEFAULT_MTU
        });
        // Protocol 0 receives nothing until bind: no frame of another
        // interface slips in before the socket is bound to this one.
        let sock = fd::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_NONBLOCK, 0)?;
        let raw = sock.as_raw_fd();
        let ifindex_c = libc::c_int::try_from(ifindex)
            .map_err(|_| io::Error::from_raw_os_error(libc::ENODEV))?;

        // SAFETY: `sockaddr_ll` is plain old data; all-zero is valid.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as libc::c_ushort;
        sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        sll.sll_ifindex = ifindex_c;
        // SAFETY: `sll` is a valid sockaddr_ll of the size passed.
        let rc = unsafe {
            libc::bind(
                raw,
                (&sll as *const libc::sockaddr_ll).cast::<libc::sockaddr>(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }

        // SAFETY: `packet_mreq` is plain old data; all-zero is valid.
        let mut mreq: libc::packet_mreq = unsafe { std::mem::zeroed() };
        mreq.mr_ifindex = ifindex_c;
        mreq.mr_type = libc::PACKET_MR_PROMISC as libc::c_ushort;
        setsockopt(raw, libc::SOL_PACKET, libc::PACKET_ADD_MEMBERSHIP, &mreq)?;
        setsockopt(
            raw,
            libc::SOL_PACKET,
            libc::PACKET_AUXDATA,
            &1 as &libc::c_int,
        )?;
        // Best effort: older kernels lack it, and the pkttype check in
        // `receive` drops outgoing frames anyway.
        if let Err(e) = setsockopt(
            raw,
            libc::SOL_PACKET,
            libc::PACKET_IGNORE_OUTGOING,
            &1 as &libc::c_int,
        ) {
            log::debug!("{ifname}: PACKET_IGNORE_OUTGOING unavailable: {e}");
        }
        // Best effort too: FORCE needs CAP_NET_ADMIN, plain SO_RCVBUF is
        // capped by net.core.rmem_max.
        if setsockopt(raw, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &SOCKET_RCVBUF).is_err() {
            let _ = setsockopt(raw, libc::SOL_SOCKET, libc::SO_RCVBUF, &SOCKET_RCVBUF);
        }

        let tx = FrameWriter::new(raw, mtu.saturating_add(HEADER_LEN));
        Ok(PacketDevice {
            sock,
            name: ifname.to_owned(),
            ifindex,
            mac,
            mtu,
            rx_buf: vec![0; RX_BUF_LEN].into_boxed_slice(),
            rx: RxStats::default(),
            tx,
        })
    }

    /// With this MTU instead of the interface's: the largest transmitted
    /// frame becomes `mtu + 14` (received frames stay up to
    /// [`MAX_RX_FRAME_LEN`]).
    #[must_use]
    pub fn with_mtu(mut self, mtu: usize) -> PacketDevice {
        self.mtu = mtu;
        self.tx = FrameWriter::new(self.sock.as_raw_fd(), mtu.saturating_add(HEADER_LEN));
        self
    }

    /// The interface's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The interface's index.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// The stack's MAC address on this device.
    pub fn mac(&self) -> EthernetAddress {
        self.mac
    }

    /// The MTU.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// The socket's fd, to wait on with
    /// [`wait_readable`](crate::fd::wait_readable).
    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// The counters.
    pub fn stats(&self) -> LinkStats {
        let mut stats = LinkStats::default();
        stats.rx = self.rx;
        stats.tx = self.tx.stats;
        stats
    }

    /// One `recvmsg(2)` into `rx_buf[VLAN_LEN..]`.
    fn recv(&mut self) -> Result<Option<Received>, i32> {
        let Some(space) = self.rx_buf.get_mut(VLAN_LEN..) else {
            return Err(libc::EINVAL);
        };
        // SAFETY: `sockaddr_ll` is plain old data; all-zero is valid.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut iov = libc::iovec {
            iov_base: space.as_mut_ptr().cast::<libc::c_void>(),
            iov_len: space.len(),
        };
        // u64 elements align it for cmsghdr; 64 bytes hold the auxdata
        // message (CMSG_SPACE(20) = 40 on 64-bit).
        let mut control = [0u64; 8];
        // SAFETY: `msghdr` is plain old data (pointers and integers); the
        // all-zero value is valid and the pointers are set below.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = (&mut addr as *mut libc::sockaddr_ll).cast::<libc::c_void>();
        msg.msg_namelen = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast::<libc::c_void>();
        msg.msg_controllen = size_of_val(&control) as _;
        let n = loop {
            // SAFETY: every pointer in `msg` points to a live local (`addr`,
            // `iov` over `space`, `control`) with the length given beside it.
            let rc = unsafe { libc::recvmsg(self.sock.as_raw_fd(), &mut msg, 0) };
            if rc >= 0 {
                // Non-negative, so lossless.
                break rc as usize;
            }
            match fd::errno() {
                libc::EINTR => continue,
                libc::EAGAIN => return Ok(None),
                code => return Err(code),
            }
        };
        let mut aux = None;
        // SAFETY: `msg` was filled by recvmsg; CMSG_FIRSTHDR/CMSG_NXTHDR
        // stay within `msg_control`/`msg_controllen` and return null at its
        // end; CMSG_DATA of a PACKET_AUXDATA message points to a
        // tpacket_auxdata, read unaligned.
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::SOL_PACKET
                    && (*cmsg).cmsg_type == libc::PACKET_AUXDATA
                    && (*cmsg).cmsg_len as usize
                        >= libc::CMSG_LEN(size_of::<libc::tpacket_auxdata>() as u32) as usize
                {
                    aux = Some(std::ptr::read_unaligned(
                        libc::CMSG_DATA(cmsg).cast::<libc::tpacket_auxdata>(),
                    ));
                }
                cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
            }
        }
        Ok(Some(Received {
            len: n,
            truncated: msg.msg_flags & libc::MSG_TRUNC != 0 || n >= space.len(),
            pkttype: addr.sll_pkttype,
            aux,
        }))
    }
}

/// What one `recvmsg(2)` returned.
struct Received {
    len: usize,
    truncated: bool,
    pkttype: u8,
    aux: Option<libc::tpacket_auxdata>,
}

/// What to do with a received frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The host sent it: drop.
    Outgoing,
    /// It did not fit: drop.
    Truncated,
    /// Deliver `buf[start..start + len]` with `meta`.
    Deliver {
        meta: RxMeta,
        start: usize,
        len: usize,
    },
}

/// Decides what to do with the frame `got` describes, read into
/// `buf[VLAN_LEN..]`, and puts back a VLAN tag the kernel stripped (so the
/// frame then starts at 0).
fn place(buf: &mut [u8], got: &Received) -> Verdict {
    if got.pkttype == libc::PACKET_OUTGOING {
        return Verdict::Outgoing;
    }
    if got.truncated || got.len > MAX_RX_FRAME_LEN + VLAN_LEN {
        return Verdict::Truncated;
    }
    let status = got.aux.map_or(0, |aux| aux.tp_status);
    let meta = if status & (libc::TP_STATUS_CSUMNOTREADY | libc::TP_STATUS_CSUM_VALID) != 0 {
        RxMeta::verified()
    } else {
        RxMeta::default()
    };
    match got.aux {
        Some(aux)
            if status & libc::TP_STATUS_VLAN_VALID != 0 && got.len >= 12 && buf.len() >= 16 =>
        {
            let tpid = if status & libc::TP_STATUS_VLAN_TPID_VALID != 0 {
                aux.tp_vlan_tpid
            } else {
                0x8100
            };
            // Move the two addresses 4 bytes forward, into the margin, and
            // write the tag between them and the EtherType.
            buf.copy_within(VLAN_LEN..VLAN_LEN + 12, 0);
            buf[12..14].copy_from_slice(&tpid.to_be_bytes());
            buf[14..16].copy_from_slice(&aux.tp_vlan_tci.to_be_bytes());
            Verdict::Deliver {
                meta,
                start: 0,
                len: got.len + VLAN_LEN,
            }
        }
        _ => Verdict::Deliver {
            meta,
            start: VLAN_LEN,
            len: got.len,
        },
    }
}

/// `setsockopt(2)` with a value of type `T`.
fn setsockopt<T>(fd: RawFd, level: libc::c_int, name: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` points to a live `T` of the size passed.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (value as *const T).cast::<libc::c_void>(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl AsRawFd for PacketDevice {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl Device for PacketDevice {
    fn capabilities(&self) -> DeviceCapabilities {
        let mut offloads = Offloads::default();
        offloads.rx_coalesce = true;
        DeviceCapabilities::ethernet(self.mtu, self.mac).with_offloads(offloads, MAX_RX_FRAME_LEN)
    }

    fn receive(
        &mut self,
        _now: Instant,
        f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError> {
        let got = match self.recv() {
            Ok(Some(got)) => got,
            Ok(None) => return Ok(false),
            Err(code) => {
                self.rx.errors += 1;
                return Err(fd::device_error(code));
            }
        };
        let (meta, frame) = match place(&mut self.rx_buf, &got) {
            Verdict::Outgoing => {
                self.rx.outgoing += 1;
                return Ok(true);
            }
            Verdict::Truncated => {
                self.rx.truncated += 1;
                log::debug!(
                    "{}: dropped a frame longer than {MAX_RX_FRAME_LEN} bytes",
                    self.name
                );
                return Ok(true);
            }
            Verdict::Deliver { meta, start, len } => match self.rx_buf.get(start..start + len) {
                Some(frame) => (meta, frame),
                None => {
                    // `place` keeps the range inside the buffer.
                    self.rx.truncated += 1;
                    return Ok(true);
                }
            },
        };
        let len = frame.len();
        self.rx.frames += 1;
        self.rx.bytes += len as u64;
        // Disjoint fields: the frame borrows `rx_buf`, the sink `tx`.
        f(meta, frame, &mut self.tx);
        Ok(true)
    }

    fn transmit(
        &mut self,
        _now: Instant,
        len: usize,
        _meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        self.tx.send(len, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aux(status: u32, tci: u16, tpid: u16) -> libc::tpacket_auxdata {
        // SAFETY: plain old data; all-zero is valid.
        let mut aux: libc::tpacket_auxdata = unsafe { std::mem::zeroed() };
        aux.tp_status = status;
        aux.tp_vlan_tci = tci;
        aux.tp_vlan_tpid = tpid;
        aux
    }

    fn received(len: usize, pkttype: u8, aux: Option<libc::tpacket_auxdata>) -> Received {
        Received {
            len,
            truncated: false,
            pkttype,
            aux,
        }
    }

    #[test]
    fn outgoing_and_truncated_frames_are_dropped() {
        let mut buf = vec![0u8; RX_BUF_LEN];
        let got = received(60, libc::PACKET_OUTGOING, None);
        assert_eq!(place(&mut buf, &got), Verdict::Outgoing);
        let mut got = received(60, libc::PACKET_HOST, None);
        got.truncated = true;
        assert_eq!(place(&mut buf, &got), Verdict::Truncated);
        let got = received(RX_BUF_LEN, libc::PACKET_HOST, None);
        assert_eq!(place(&mut buf, &got), Verdict::Truncated);
    }

    #[test]
    fn checksum_status_becomes_meta() {
        let mut buf = vec![0u8; RX_BUF_LEN];
        for (status, meta) in [
            (0, RxMeta::default()),
            (libc::TP_STATUS_CSUMNOTREADY, RxMeta::verified()),
            (libc::TP_STATUS_CSUM_VALID, RxMeta::verified()),
        ] {
            let got = received(60, libc::PACKET_OTHERHOST, Some(aux(status, 0, 0)));
            assert_eq!(
                place(&mut buf, &got),
                Verdict::Deliver {
                    meta,
                    start: VLAN_LEN,
                    len: 60
                }
            );
        }
        // No auxdata at all: nothing known.
        let got = received(60, libc::PACKET_BROADCAST, None);
        assert_eq!(
            place(&mut buf, &got),
            Verdict::Deliver {
                meta: RxMeta::default(),
                start: VLAN_LEN,
                len: 60
            }
        );
    }

    #[test]
    fn stripped_vlan_tag_is_put_back() {
        let mut buf = vec![0u8; RX_BUF_LEN];
        let frame: Vec<u8> = (1..=20).collect();
        buf[VLAN_LEN..VLAN_LEN + 20].copy_from_slice(&frame);
        let status = libc::TP_STATUS_VLAN_VALID | libc::TP_STATUS_CSUMNOTREADY;
        let got = received(20, libc::PACKET_HOST, Some(aux(status, 0x2064, 0)));
        assert_eq!(
            place(&mut buf, &got),
            Verdict::Deliver {
                meta: RxMeta::verified(),
                start: 0,
                len: 24
            }
        );
        assert_eq!(buf[..12], frame[..12], "addresses first");
        assert_eq!(buf[12..16], [0x81, 0x00, 0x20, 0x64], "then the tag");
        assert_eq!(buf[16..24], frame[12..], "then the EtherType and payload");

        // An 802.1ad tag with its TPID reported.
        buf[VLAN_LEN..VLAN_LEN + 20].copy_from_slice(&frame);
        let status = libc::TP_STATUS_VLAN_VALID | libc::TP_STATUS_VLAN_TPID_VALID;
        let got = received(20, libc::PACKET_HOST, Some(aux(status, 7, 0x88a8)));
        assert!(matches!(
            place(&mut buf, &got),
            Verdict::Deliver {
                start: 0,
                len: 24,
                ..
            }
        ));
        assert_eq!(buf[12..16], [0x88, 0xa8, 0x00, 0x07]);
    }
}
