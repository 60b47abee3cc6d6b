//! Network devices: the [`Device`] trait, its capabilities, and generic
//! middleware (a seeded [`FaultInjector`] and a frame [`Tracer`]).
//!
//! # The Device contract
//!
//! A device moves whole link-layer frames (Ethernet frames without FCS, or
//! bare IP datagrams for [`Medium::Ip`]) between the stack and a medium. The
//! trait is shaped by four requirements:
//!
//! 1. **Dyn-compatible.** No generic methods and no generic associated types,
//!    so one stack drives `&mut dyn Device`s of different kinds at once
//!    (TAP, loopback and null together, as microps's `net_device` list).
//! 2. **Zero-copy transmit.** [`Device::transmit`] lends the stack the
//!    device's own transmit buffer (a DMA descriptor, a TAP write buffer, a
//!    queue slot) and the stack writes the frame straight into it.
//! 3. **Answer while borrowed.** [`Device::receive`] hands the received frame
//!    to a callback together with a [`TxSink`]: the stack can emit an ARP
//!    reply, an echo reply or a RST while it still reads the request, with no
//!    heap and no copy of the request.
//! 4. **No leaks by construction.** Buffers never leave the device: they are
//!    lent for the duration of a callback, so a driver cannot lose one and
//!    the stack cannot hold one.
//!
//! Every call is non-blocking: a device with nothing to deliver returns
//! `Ok(false)`, a device with no free transmit buffer returns
//! [`DeviceError::Exhausted`].
//!
//! ```
//! use microps_core::phy::{Device, DeviceCapabilities, DeviceError, RxMeta, TxMeta, TxSink};
//! use microps_core::time::Instant;
//!
//! /// A device that counts what it is asked to send and never receives.
//! #[derive(Debug, Default)]
//! struct Counter { frames: usize, bytes: usize }
//!
//! impl Device for Counter {
//!     fn capabilities(&self) -> DeviceCapabilities {
//!         DeviceCapabilities::ip(1500)
//!     }
//!     fn receive(
//!         &mut self,
//!         _now: Instant,
//!         _f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
//!     ) -> Result<bool, DeviceError> {
//!         Ok(false)
//!     }
//!     fn transmit(
//!         &mut self,
//!         _now: Instant,
//!         len: usize,
//!         _meta: TxMeta,
//!         f: &mut dyn FnMut(&mut [u8]),
//!     ) -> Result<(), DeviceError> {
//!         let mut buf = [0u8; 1500];
//!         let frame = buf.get_mut(..len).ok_or(DeviceError::TooLong)?;
//!         f(frame);
//!         self.frames += 1;
//!         self.bytes += len;
//!         Ok(())
//!     }
//! }
//!
//! let mut dev = Counter::default();
//! let dyn_dev: &mut dyn Device = &mut dev;
//! dyn_dev.transmit(Instant::ZERO, 60, TxMeta::default(), &mut |buf| buf.fill(0)).unwrap();
//! assert_eq!((dev.frames, dev.bytes), (1, 60));
//! ```

use core::fmt;

use crate::time::Instant;
use crate::wire::{ChecksumCapabilities, EthernetAddress};

mod fault_injector;
mod tracer;

pub use fault_injector::{FaultConfig, FaultInjector, FaultStats};
pub use tracer::{Direction, Tracer};

/// What frames a device carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Medium {
    /// Ethernet II frames (TAP, PF_PACKET, an MCU's MAC, loopback here).
    Ethernet,
    /// Bare IP datagrams (TUN, point-to-point links).
    Ip,
}

/// Segmentation and receive offloads a device offers (virtio-net's vocabulary,
/// so that a vnet-header TAP can be added without changing the trait).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Offloads {
    /// The device segments large TCP/IPv4 frames itself (TSO): the stack may
    /// hand it frames up to `max_frame_len` with a [`TxMeta::gso`].
    pub tso4: bool,
    /// The device segments large UDP/IPv4 frames (UFO/USO).
    pub uso4: bool,
    /// The device may deliver coalesced frames larger than the MTU (GRO/LRO).
    pub rx_coalesce: bool,
}

/// Device flags, as microps's `NET_DEVICE_FLAG_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct DeviceFlags {
    /// Frames sent come back to this host only.
    pub loopback: bool,
    /// The medium has a broadcast address.
    pub broadcast: bool,
    /// The medium links exactly two hosts.
    pub point_to_point: bool,
}

/// What a device is and can do.
///
/// Built with [`DeviceCapabilities::ethernet`] or [`DeviceCapabilities::ip`]
/// and adjusted with the `with_*` methods, since the struct is
/// `#[non_exhaustive]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct DeviceCapabilities {
    /// The medium.
    pub medium: Medium,
    /// The largest IP datagram the link carries (the MTU, without the link
    /// header).
    pub mtu: usize,
    /// The largest frame the device delivers or accepts, with its link
    /// header; larger than `mtu + 14` only with segmentation or coalescing
    /// offloads.
    pub max_frame_len: usize,
    /// The device's hardware address, for Ethernet.
    pub hardware_addr: Option<EthernetAddress>,
    /// Which checksums the stack must verify and compute for this device.
    pub checksum: ChecksumCapabilities,
    /// Segmentation and coalescing offloads.
    pub offloads: Offloads,
    /// Loopback, broadcast, point-to-point.
    pub flags: DeviceFlags,
}

impl DeviceCapabilities {
    /// An Ethernet device with the given MTU and address, broadcast capable.
    pub const fn ethernet(mtu: usize, hardware_addr: EthernetAddress) -> DeviceCapabilities {
        DeviceCapabilities {
            medium: Medium::Ethernet,
            mtu,
            max_frame_len: mtu.saturating_add(crate::wire::ethernet::HEADER_LEN),
            hardware_addr: Some(hardware_addr),
            checksum: ChecksumCapabilities::all(),
            offloads: Offloads {
                tso4: false,
                uso4: false,
                rx_coalesce: false,
            },
            flags: DeviceFlags {
                loopback: false,
                broadcast: true,
                point_to_point: false,
            },
        }
    }

    /// An IP (TUN-like, point-to-point) device with the given MTU.
    pub const fn ip(mtu: usize) -> DeviceCapabilities {
        DeviceCapabilities {
            medium: Medium::Ip,
            mtu,
            max_frame_len: mtu,
            hardware_addr: None,
            checksum: ChecksumCapabilities::all(),
            offloads: Offloads {
                tso4: false,
                uso4: false,
                rx_coalesce: false,
            },
            flags: DeviceFlags {
                loopback: false,
                broadcast: false,
                point_to_point: true,
            },
        }
    }

    /// The link header length: 14 for Ethernet, 0 for IP.
    pub const fn header_len(&self) -> usize {
        match self.medium {
            Medium::Ethernet => crate::wire::ethernet::HEADER_LEN,
            Medium::Ip => 0,
        }
    }

    /// With the loopback flag set (and broadcast/point-to-point cleared).
    pub const fn with_loopback(mut self) -> DeviceCapabilities {
        self.flags = DeviceFlags {
            loopback: true,
            broadcast: false,
            point_to_point: false,
        };
        self
    }

    /// With these checksum responsibilities.
    pub const fn with_checksum(mut self, checksum: ChecksumCapabilities) -> DeviceCapabilities {
        self.checksum = checksum;
        self
    }

    /// With these offloads and the largest frame they allow.
    pub const fn with_offloads(
        mut self,
        offloads: Offloads,
        max_frame_len: usize,
    ) -> DeviceCapabilities {
        self.offloads = offloads;
        self.max_frame_len = max_frame_len;
        self
    }

    /// With a different largest frame.
    pub const fn with_max_frame_len(mut self, max_frame_len: usize) -> DeviceCapabilities {
        self.max_frame_len = max_frame_len;
        self
    }
}

/// What the device knows about a checksum of a received frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RxChecksum {
    /// Nothing: the stack verifies per [`DeviceCapabilities::checksum`].
    #[default]
    Unknown,
    /// The transport (TCP/UDP) checksum was verified by hardware, or the
    /// frame comes from this host with it left unfilled (Linux's
    /// `CHECKSUM_PARTIAL`, `TP_STATUS_CSUMNOTREADY`): the stack skips that
    /// verification (it still checks the IPv4 header and ICMP checksums).
    Verified,
}

/// Metadata of a received frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct RxMeta {
    /// Checksum status.
    pub checksum: RxChecksum,
}

impl RxMeta {
    /// Metadata saying the frame's checksums need not be verified.
    pub const fn verified() -> RxMeta {
        RxMeta {
            checksum: RxChecksum::Verified,
        }
    }
}

/// How the transport checksum of a frame to transmit is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TxChecksum {
    /// The stack filled every checksum.
    #[default]
    Complete,
    /// The device must compute the ones' complement sum from byte `start`
    /// (relative to the frame) to the end and store it at `start + offset`;
    /// the stack filled the pseudo-header sum there (virtio's
    /// `VIRTIO_NET_HDR_F_NEEDS_CSUM`).
    Partial {
        /// Where the checksummed region starts.
        start: u16,
        /// Where the checksum field is, from `start`.
        offset: u16,
    },
}

/// The kind of segmentation the device must apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum GsoKind {
    /// TCP over IPv4.
    Tcp4,
    /// UDP over IPv4.
    Udp4,
}

/// A segmentation request for a frame larger than the MTU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Gso {
    /// What to segment.
    pub kind: GsoKind,
    /// The length of the headers to repeat in every segment.
    pub header_len: u16,
    /// The payload size of each segment.
    pub segment_size: u16,
}

/// Metadata of a frame to transmit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct TxMeta {
    /// Checksum state.
    pub checksum: TxChecksum,
    /// Segmentation request, only to devices with the matching offload.
    pub gso: Option<Gso>,
}

/// Why a device could not receive or transmit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DeviceError {
    /// No transmit buffer is free right now (try again after a poll).
    Exhausted,
    /// The frame is longer than the device's largest frame.
    TooLong,
    /// The device is down.
    Down,
    /// An I/O error from the operating system or the hardware, with its code
    /// (an `errno` on Linux).
    Io(i32),
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            DeviceError::Exhausted => f.write_str("no transmit buffer available"),
            DeviceError::TooLong => f.write_str("frame longer than the device accepts"),
            DeviceError::Down => f.write_str("device is down"),
            DeviceError::Io(code) => write!(f, "I/O error (code {code})"),
        }
    }
}

impl core::error::Error for DeviceError {}

/// Where a frame can be sent while a received frame is still borrowed.
///
/// Given to the callback of [`Device::receive`]; see the module docs.
pub trait TxSink {
    /// Lends a transmit buffer of exactly `len` bytes to `f`, then sends what
    /// `f` wrote. Fails with [`DeviceError::Exhausted`] if no buffer is free.
    fn transmit(
        &mut self,
        len: usize,
        meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError>;
}

/// A network device. See the [module documentation](self) for the contract.
pub trait Device {
    /// What the device is and can do. Cheap; called once per poll.
    fn capabilities(&self) -> DeviceCapabilities;

    /// Receives at most one frame: if one is ready, takes it, normally calls
    /// `f` with its metadata, its bytes and a sink for replies, and returns
    /// `Ok(true)`; returns `Ok(false)` at once if none is ready. `Ok(true)`
    /// means progress, not delivery: middleware such as the
    /// [`FaultInjector`] may take a frame and drop it without calling `f`,
    /// and the caller keeps draining.
    fn receive(
        &mut self,
        now: Instant,
        f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError>;

    /// Lends a transmit buffer of exactly `len` bytes to `f`, then sends the
    /// frame `f` wrote. Fails with [`DeviceError::Exhausted`] when no buffer
    /// is free (nothing is sent and `f` is not called), and with
    /// [`DeviceError::TooLong`] when `len` exceeds the largest frame.
    fn transmit(
        &mut self,
        now: Instant,
        len: usize,
        meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError>;

    /// When the device itself next needs a poll (a delayed frame becomes
    /// deliverable), if ever. Most devices have no timers.
    fn poll_at(&self) -> Option<Instant> {
        None
    }
}

impl<D: Device + ?Sized> Device for &mut D {
    fn capabilities(&self) -> DeviceCapabilities {
        (**self).capabilities()
    }
    fn receive(
        &mut self,
        now: Instant,
        f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError> {
        (**self).receive(now, f)
    }
    fn transmit(
        &mut self,
        now: Instant,
        len: usize,
        meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        (**self).transmit(now, len, meta, f)
    }
    fn poll_at(&self) -> Option<Instant> {
        (**self).poll_at()
    }
}

/// A [`TxSink`] that transmits through a device at a fixed time; what
/// middleware hands on when it wraps another device's sink is its own.
#[derive(Debug)]
pub struct DeviceSink<'d, D: Device + ?Sized> {
    /// The device.
    pub device: &'d mut D,
    /// The time of the receive that lent this sink.
    pub now: Instant,
}

impl<D: Device + ?Sized> TxSink for DeviceSink<'_, D> {
    fn transmit(
        &mut self,
        len: usize,
        meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        self.device.transmit(self.now, len, meta, f)
    }
}
