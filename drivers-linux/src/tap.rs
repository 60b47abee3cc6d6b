//! The TAP device: Ethernet frames through a Linux TAP interface.
//!
//! [`TapDevice::open`] attaches to the TAP interface of that name (a
//! persistent one made with `ip tuntap add mode tap name tap0`, or a new one
//! when it does not exist and the process has `CAP_NET_ADMIN`) through the
//! `tun-tap` crate, without packet information, and makes it non-blocking.
//! The kernel side of the TAP (the interface `ip addr` shows) has its own
//! MAC address; the stack behind this device uses a different one, given to
//! `open`, exactly as if the two were hosts on one Ethernet segment.
//!
//! ```no_run
//! use microps_core::phy::Device;
//! use microps_core::wire::EthernetAddress;
//! use microps_drivers_linux::tap::TapDevice;
//!
//! let mac = EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
//! let dev = TapDevice::open("tap0", mac)?;
//! assert_eq!(dev.capabilities().hardware_addr, Some(mac));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use microps_core::phy::{Device, DeviceCapabilities, DeviceError, RxMeta, TxMeta, TxSink};
use microps_core::time::Instant;
use microps_core::wire::EthernetAddress;
use tun_tap::{Iface, Mode};

use crate::fd::{self, FrameWriter, LinkStats, ReadOutcome, RxStats};

pub use crate::fd::interface_exists;

/// The MTU used when the interface's cannot be read.
pub const DEFAULT_MTU: usize = 1500;

/// Room in the receive buffer for an 802.1Q tag, which the kernel writes
/// inline on a TAP and which does not count against the MTU.
const VLAN_MARGIN: usize = 4;

/// The callback [`Device::receive`] takes.
pub(crate) type RxFn<'a> = dyn FnMut(RxMeta, &[u8], &mut dyn TxSink) + 'a;

/// What TAP and TUN devices share: the interface, the receive buffer, the
/// transmit half and the counters.
#[derive(Debug)]
pub(crate) struct TunTap {
    /// The open interface; owns the fd that `tx` writes to (`tx` only holds
    /// its number and never closes it).
    iface: Iface,
    /// The MTU (without link header).
    mtu: usize,
    /// The link header length: 14 for TAP, 0 for TUN.
    header_len: usize,
    /// The receive buffer: one byte more than the largest frame accepted, so
    /// a read that fills it is known to be truncated.
    rx_buf: Box<[u8]>,
    /// Receive counters.
    rx: RxStats,
    /// The transmit half, lent as the [`TxSink`] of a receive.
    tx: FrameWriter,
}

impl TunTap {
    /// Attaches to (or creates) the interface and sizes the buffers from its
    /// MTU.
    pub(crate) fn open(name: &str, mode: Mode) -> io::Result<TunTap> {
        let iface = Iface::without_packet_info(name, mode)?;
        iface.set_non_blocking()?;
        let mtu = fd::interface_mtu(iface.name()).unwrap_or_else(|e| {
            log::debug!("{}: MTU unknown ({e}), using {DEFAULT_MTU}", iface.name());
            DEFAULT_MTU
        });
        let header_len = match mode {
            Mode::Tap => microps_core::wire::ethernet::HEADER_LEN,
            Mode::Tun => 0,
        };
        let fd = iface.as_raw_fd();
        let mut dev = TunTap {
            iface,
            mtu,
            header_len,
            rx_buf: Box::default(),
            rx: RxStats::default(),
            tx: FrameWriter::new(fd, 0),
        };
        dev.set_mtu(mtu);
        Ok(dev)
    }

    /// Resizes the buffers for `mtu`.
    pub(crate) fn set_mtu(&mut self, mtu: usize) {
        self.mtu = mtu;
        let max_frame_len = mtu.saturating_add(self.header_len);
        let margin = if self.header_len == 0 { 0 } else { VLAN_MARGIN };
        self.rx_buf =
            vec![0; max_frame_len.saturating_add(margin).saturating_add(1)].into_boxed_slice();
        self.tx = FrameWriter::new(self.iface.as_raw_fd(), max_frame_len).with_eio_as_down();
    }

    pub(crate) fn mtu(&self) -> usize {
        self.mtu
    }

    pub(crate) fn name(&self) -> &str {
        self.iface.name()
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.iface.as_raw_fd()
    }

    pub(crate) fn stats(&self) -> LinkStats {
        let mut stats = LinkStats::default();
        stats.rx = self.rx;
        stats.tx = self.tx.stats;
        stats
    }

    /// Reads one frame and hands it to `f` with the transmit half as sink.
    pub(crate) fn receive(&mut self, f: &mut RxFn<'_>) -> Result<bool, DeviceError> {
        match fd::read_frame(self.iface.as_raw_fd(), &mut self.rx_buf) {
            Ok(ReadOutcome::Empty) => Ok(false),
            Ok(ReadOutcome::Truncated) => {
                self.rx.truncated += 1;
                log::debug!(
                    "{}: dropped a frame longer than {} bytes",
                    self.iface.name(),
                    self.rx_buf.len().saturating_sub(1)
                );
                Ok(true)
            }
            Ok(ReadOutcome::Frame(n)) => {
                let Some(frame) = self.rx_buf.get(..n) else {
                    // read_frame guarantees n < rx_buf.len().
                    self.rx.truncated += 1;
                    return Ok(true);
                };
                self.rx.frames += 1;
                self.rx.bytes += n as u64;
                // Disjoint fields: the frame borrows `rx_buf`, the sink `tx`.
                f(RxMeta::default(), frame, &mut self.tx);
                Ok(true)
            }
            Err(code) => {
                self.rx.errors += 1;
                Err(fd::device_error(code))
            }
        }
    }

    pub(crate) fn transmit(
        &mut self,
        len: usize,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        self.tx.send(len, f)
    }

    pub(crate) fn max_frame_len(&self) -> usize {
        self.tx.max_frame_len()
    }
}

/// A TAP interface as a [`Device`] of [`Medium::Ethernet`].
///
/// Capabilities: Ethernet, the interface's MTU (or [`with_mtu`]'s),
/// `max_frame_len = mtu + 14`, the stack's own MAC as hardware address, and
/// every checksum computed and verified by the stack.
///
/// [`receive`](Device::receive) makes one `read(2)` into a receive buffer
/// and lends the frame to the callback together with the device's transmit
/// buffer as the [`TxSink`]. A frame longer than the buffer (the kernel
/// truncates it) is counted in [`RxStats::truncated`] and dropped.
/// [`transmit`](Device::transmit) lends the transmit buffer, then makes one
/// `write(2)`; when the kernel has no room (`EAGAIN`, `ENOBUFS`) the frame
/// is dropped and [`DeviceError::Exhausted`] returned, after `f` ran; on an
/// interface that is down (`EIO` from the driver) it returns
/// [`DeviceError::Down`].
/// No path panics; errors of the OS are returned as [`DeviceError::Io`]
/// with the errno.
///
/// [`Medium::Ethernet`]: microps_core::phy::Medium::Ethernet
/// [`with_mtu`]: TapDevice::with_mtu
#[derive(Debug)]
pub struct TapDevice {
    inner: TunTap,
    mac: EthernetAddress,
}

impl TapDevice {
    /// Attaches to the TAP interface `name` (creating it if it does not
    /// exist and the process may), non-blocking, with the MTU read from the
    /// interface (1500 if that fails). `mac` is the stack's own address.
    ///
    /// # Errors
    ///
    /// Opening `/dev/net/tun` or the `TUNSETIFF` ioctl failed: `EPERM`
    /// without `CAP_NET_ADMIN`, `EBUSY` if another process holds the
    /// interface, `EINVAL` if `name` is a TUN interface.
    pub fn open(name: &str, mac: EthernetAddress) -> io::Result<TapDevice> {
        Ok(TapDevice {
            inner: TunTap::open(name, Mode::Tap)?,
            mac,
        })
    }

    /// With this MTU instead of the interface's (the buffers are resized).
    #[must_use]
    pub fn with_mtu(mut self, mtu: usize) -> TapDevice {
        self.inner.set_mtu(mtu);
        self
    }

    /// The interface's name, as the kernel spells it.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// The stack's MAC address on this device.
    pub fn mac(&self) -> EthernetAddress {
        self.mac
    }

    /// The MTU.
    pub fn mtu(&self) -> usize {
        self.inner.mtu()
    }

    /// The fd, to wait on with [`wait_readable`](crate::fd::wait_readable).
    pub fn fd(&self) -> RawFd {
        self.inner.fd()
    }

    /// The counters.
    pub fn stats(&self) -> LinkStats {
        self.inner.stats()
    }
}

impl AsRawFd for TapDevice {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.fd()
    }
}

impl Device for TapDevice {
    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::ethernet(self.inner.mtu(), self.mac)
            .with_max_frame_len(self.inner.max_frame_len())
    }

    fn receive(
        &mut self,
        _now: Instant,
        f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError> {
        self.inner.receive(f)
    }

    fn transmit(
        &mut self,
        _now: Instant,
        len: usize,
        _meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        self.inner.transmit(len, f)
    }
}
