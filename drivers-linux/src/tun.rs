//! The TUN device: bare IP datagrams through a Linux TUN interface.
//!
//! [`TunDevice::open`] attaches to the TUN interface of that name (made with
//! `ip tuntap add mode tun name tun0`, or created when missing and the
//! process has `CAP_NET_ADMIN`) without packet information, non-blocking.
//! The link is point-to-point: give the kernel side an address with a peer
//! (`ip addr add 192.0.2.1 peer 192.0.2.2 dev tun0`) and the stack the
//! peer's address.
//!
//! ```no_run
//! use microps_core::phy::{Device, Medium};
//! use microps_drivers_linux::tun::TunDevice;
//!
//! let dev = TunDevice::open("tun0")?;
//! assert_eq!(dev.capabilities().medium, Medium::Ip);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use microps_core::phy::{Device, DeviceCapabilities, DeviceError, RxMeta, TxMeta, TxSink};
use microps_core::time::Instant;
use tun_tap::Mode;

use crate::fd::LinkStats;
use crate::tap::TunTap;

/// A TUN interface as a [`Device`] of [`Medium::Ip`].
///
/// Capabilities: [`DeviceCapabilities::ip`] with the interface's MTU (or
/// [`with_mtu`]'s): point-to-point, `max_frame_len = mtu`, every checksum
/// computed and verified by the stack. Receive and transmit behave as
/// [`TapDevice`](crate::tap::TapDevice)'s, one IP datagram per `read(2)` or
/// `write(2)`.
///
/// [`Medium::Ip`]: microps_core::phy::Medium::Ip
/// [`with_mtu`]: TunDevice::with_mtu
#[derive(Debug)]
pub struct TunDevice {
    inner: TunTap,
}

impl TunDevice {
    /// Attaches to the TUN interface `name` (creating it if it does not
    /// exist and the process may), non-blocking, with the MTU read from the
    /// interface (1500 if that fails).
    ///
    /// # Errors
    ///
    /// Opening `/dev/net/tun` or the `TUNSETIFF` ioctl failed: `EPERM`
    /// without `CAP_NET_ADMIN`, `EBUSY` if another process holds the
    /// interface, `EINVAL` if `name` is a TAP interface.
    pub fn open(name: &str) -> io::Result<TunDevice> {
        Ok(TunDevice {
            inner: TunTap::open(name, Mode::Tun)?,
        })
    }

    /// With this MTU instead of the interface's (the buffers are resized).
    #[must_use]
    pub fn with_mtu(mut self, mtu: usize) -> TunDevice {
        self.inner.set_mtu(mtu);
        self
    }

    /// The interface's name, as the kernel spells it.
    pub fn name(&self) -> &str {
        self.inner.name()
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

impl AsRawFd for TunDevice {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.fd()
    }
}

impl Device for TunDevice {
    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::ip(self.inner.mtu())
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
