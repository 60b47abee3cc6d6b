//! # microps-drivers-null
//!
//! Two devices that need no hardware, as microps's `null.c` and
//! `loopback.c`:
//!
//! * [`NullDevice`] accepts every frame and drops it; it never receives.
//! * [`LoopbackDevice`] queues every frame it is given, in a bounded queue
//!   over storage the caller provides, and receives them back in order.
//!
//! Both carry bare IP datagrams ([`Medium::Ip`](microps_core::phy::Medium::Ip))
//! and have an MTU of 65535 by default (microps's `NULL_MTU` and
//! `LOOPBACK_MTU`, `UINT16_MAX`). Neither allocates, reads a clock or
//! blocks: the crate is `#![no_std]` and runs in firmware as well as on a
//! host.
//!
//! ```
//! use microps_core::phy::{Device, TxMeta};
//! use microps_core::storage::PacketMetadata;
//! use microps_core::time::Instant;
//! use microps_drivers_null::{LoopbackDevice, NullDevice};
//!
//! // The null device counts and drops.
//! let mut null = NullDevice::new();
//! null.transmit(Instant::ZERO, 84, TxMeta::default(), &mut |_| {}).unwrap();
//! assert_eq!((null.tx_frames(), null.tx_bytes()), (1, 84));
//!
//! // The loopback device: room for 4 frames and 4 KiB, MTU 1500.
//! let mut meta = [PacketMetadata::EMPTY; 4];
//! let mut payload = [0u8; 4096];
//! let mut scratch = [0u8; 1500];
//! let mut lo = LoopbackDevice::new(&mut meta[..], &mut payload[..], &mut scratch[..]).with_mtu(1500);
//! lo.transmit(Instant::ZERO, 5, TxMeta::default(), &mut |buf| buf.copy_from_slice(b"hello")).unwrap();
//!
//! let mut got = [0u8; 5];
//! let received = lo.receive(Instant::ZERO, &mut |_meta, frame, _sink| got.copy_from_slice(frame)).unwrap();
//! assert!(received);
//! assert_eq!(&got, b"hello");
//! assert!(!lo.receive(Instant::ZERO, &mut |_, _, _| {}).unwrap());
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

#[cfg(test)]
extern crate std;

use core::fmt;

use managed::ManagedSlice;
use microps_core::phy::{Device, DeviceCapabilities, DeviceError, RxMeta, TxMeta, TxSink};
use microps_core::storage::{PacketBuffer, PacketMetadata};
use microps_core::time::Instant;

/// The default MTU of both devices: 65535 (`UINT16_MAX`), microps's
/// `NULL_MTU` and `LOOPBACK_MTU`, the largest IPv4 datagram.
pub const DEFAULT_MTU: usize = u16::MAX as usize;

/// A device that drops every frame it is asked to send and never receives
/// one, as microps's `null.c`.
///
/// Its capabilities are an IP medium, the configured MTU and no flags.
/// [`Device::transmit`] checks the length, counts the frame and its bytes
/// and returns `Ok(())` **without calling the closure**: there is nowhere
/// to write to, and a 64 KiB scratch buffer just to throw its contents away
/// would cost firmware more RAM than the whole stack. The stack never
/// relies on the closure having run.
///
/// # Example
///
/// ```
/// use microps_core::phy::{Device, DeviceError, TxMeta};
/// use microps_core::time::Instant;
/// use microps_drivers_null::NullDevice;
///
/// let mut null = NullDevice::with_mtu(1500);
/// let dev: &mut dyn Device = &mut null;
/// assert_eq!(dev.capabilities().mtu, 1500);
/// dev.transmit(Instant::ZERO, 1500, TxMeta::default(), &mut |_| {}).unwrap();
/// assert_eq!(
///     dev.transmit(Instant::ZERO, 1501, TxMeta::default(), &mut |_| {}),
///     Err(DeviceError::TooLong)
/// );
/// assert!(!dev.receive(Instant::ZERO, &mut |_, _, _| {}).unwrap());
/// assert_eq!((null.tx_frames(), null.tx_bytes()), (1, 1500));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NullDevice {
    mtu: usize,
    tx_frames: u64,
    tx_bytes: u64,
}

impl Default for NullDevice {
    fn default() -> Self {
        NullDevice::new()
    }
}

impl NullDevice {
    /// A null device with the [`DEFAULT_MTU`].
    pub const fn new() -> NullDevice {
        NullDevice::with_mtu(DEFAULT_MTU)
    }

    /// A null device with the given MTU.
    pub const fn with_mtu(mtu: usize) -> NullDevice {
        NullDevice {
            mtu,
            tx_frames: 0,
            tx_bytes: 0,
        }
    }

    /// The MTU.
    pub const fn mtu(&self) -> usize {
        self.mtu
    }

    /// Frames accepted (and dropped) so far.
    pub const fn tx_frames(&self) -> u64 {
        self.tx_frames
    }

    /// Bytes of the frames accepted so far.
    pub const fn tx_bytes(&self) -> u64 {
        self.tx_bytes
    }
}

impl Device for NullDevice {
    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::ip(self.mtu);
        // microps's null device has no flags at all.
        caps.flags.point_to_point = false;
        caps
    }

    fn receive(
        &mut self,
        _now: Instant,
        _f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError> {
        Ok(false)
    }

    fn transmit(
        &mut self,
        _now: Instant,
        len: usize,
        _meta: TxMeta,
        _f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        if len > self.mtu {
            return Err(DeviceError::TooLong);
        }
        self.tx_frames = self.tx_frames.saturating_add(1);
        self.tx_bytes = self
            .tx_bytes
            .saturating_add(u64::try_from(len).unwrap_or(u64::MAX));
        Ok(())
    }
}

/// A device that receives back, in order, every frame it is asked to send,
/// as microps's `loopback.c`, through a bounded queue over caller-provided
/// storage (no heap).
///
/// It is built over three stores:
///
/// * `metadata`: one [`PacketMetadata`] slot per queued frame (plus one when
///   a frame must skip the end of the payload storage), so its length bounds
///   the frames in flight;
/// * `payload`: the bytes of all queued frames;
/// * `scratch`: where a frame is copied when it is received (see below).
///
/// Capabilities: IP medium, the loopback flag, and an MTU that is the
/// configured one (65535 unless [`with_mtu`](LoopbackDevice::with_mtu) says
/// otherwise) **clamped to the payload and scratch sizes**, so that the MTU
/// the stack sees is one the device can always carry.
///
/// **Transmit** is zero-copy: the closure writes straight into the queue
/// slot. When the queue has no room, the frame is refused with
/// [`DeviceError::Exhausted`] and [`dropped`](LoopbackDevice::dropped)
/// counts it. microps's loopback logs an error and drops the frame; here the
/// stack learns of it from the error (and may retry after draining the
/// queue with a receive), while the counter keeps the statistics microps
/// would log.
///
/// **Receive** dequeues one frame, copies it into the scratch area and lends
/// the copy to the closure with a [`TxSink`] that enqueues into the same
/// queue. The copy is what makes answering possible: the dequeued frame's
/// bytes still live in the queue's payload storage, which the sink's
/// writes may reuse, and the borrow checker rightly refuses a shared borrow
/// of the frame alongside a mutable borrow of the queue. A reply sent
/// through the sink is received by a later call, after the frames queued
/// before it. Received frames carry [`RxMeta::verified`]: they never left
/// the host, so there is nothing for a checksum to catch.
///
/// # Example
///
/// ```
/// use microps_core::phy::{Device, DeviceError, TxMeta};
/// use microps_core::storage::PacketMetadata;
/// use microps_core::time::Instant;
/// use microps_drivers_null::LoopbackDevice;
///
/// let mut meta = [PacketMetadata::EMPTY; 1];
/// let mut payload = [0u8; 256];
/// let mut scratch = [0u8; 256];
/// let mut lo = LoopbackDevice::new(&mut meta[..], &mut payload[..], &mut scratch[..]);
/// assert_eq!(lo.capabilities().mtu, 256);
///
/// let now = Instant::ZERO;
/// lo.transmit(now, 4, TxMeta::default(), &mut |b| b.copy_from_slice(b"ping")).unwrap();
/// // Room for one frame only.
/// assert_eq!(lo.transmit(now, 4, TxMeta::default(), &mut |_| {}), Err(DeviceError::Exhausted));
/// assert_eq!(lo.dropped(), 1);
///
/// // Answer the request while it is borrowed; the answer comes back next.
/// lo.receive(now, &mut |_meta, frame, sink| {
///     assert_eq!(frame, b"ping");
///     sink.transmit(4, TxMeta::default(), &mut |b| b.copy_from_slice(b"pong")).unwrap();
/// }).unwrap();
/// let mut reply = [0u8; 4];
/// lo.receive(now, &mut |_, frame, _| reply.copy_from_slice(frame)).unwrap();
/// assert_eq!(&reply, b"pong");
/// assert_eq!((lo.tx_frames(), lo.rx_frames()), (2, 2));
/// ```
pub struct LoopbackDevice<'a> {
    queue: PacketBuffer<'a, ()>,
    scratch: ManagedSlice<'a, u8>,
    /// The MTU asked for; the effective one is clamped, see `mtu()`.
    mtu: usize,
    counters: Counters,
}

#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    rx_frames: u64,
    tx_frames: u64,
    dropped: u64,
}

impl fmt::Debug for LoopbackDevice<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopbackDevice")
            .field("mtu", &self.mtu())
            .field("queued", &self.queued())
            .field("metadata_capacity", &self.queue.metadata_capacity())
            .field("payload_capacity", &self.queue.payload_capacity())
            .field("scratch_len", &self.scratch.len())
            .field("rx_frames", &self.counters.rx_frames)
            .field("tx_frames", &self.counters.tx_frames)
            .field("dropped", &self.counters.dropped)
            .finish()
    }
}

impl<'a> LoopbackDevice<'a> {
    /// A loopback device over `metadata` (one slot per queued frame),
    /// `payload` (the bytes of the queued frames) and `scratch` (at least
    /// the MTU, for received frames), with the [`DEFAULT_MTU`] clamped to
    /// the payload and scratch sizes.
    pub fn new<M, P, S>(metadata: M, payload: P, scratch: S) -> LoopbackDevice<'a>
    where
        M: Into<ManagedSlice<'a, PacketMetadata<()>>>,
        P: Into<ManagedSlice<'a, u8>>,
        S: Into<ManagedSlice<'a, u8>>,
    {
        LoopbackDevice {
            queue: PacketBuffer::new(metadata, payload),
            scratch: scratch.into(),
            mtu: DEFAULT_MTU,
            counters: Counters::default(),
        }
    }

    /// The same device with the MTU set to `mtu` (still clamped to the
    /// payload and scratch sizes).
    pub fn with_mtu(mut self, mtu: usize) -> LoopbackDevice<'a> {
        self.mtu = mtu;
        self
    }

    /// The effective MTU: the configured one, at most the payload storage
    /// and the scratch area.
    pub fn mtu(&self) -> usize {
        self.mtu
            .min(self.queue.payload_capacity())
            .min(self.scratch.len())
    }

    /// The number of frames waiting to be received.
    pub fn queued(&self) -> usize {
        self.queue.packet_count()
    }

    /// Frames received (delivered to the stack) so far.
    pub fn rx_frames(&self) -> u64 {
        self.counters.rx_frames
    }

    /// Frames queued for transmission so far, through
    /// [`Device::transmit`] or a receive's sink.
    pub fn tx_frames(&self) -> u64 {
        self.counters.tx_frames
    }

    /// Frames refused with [`DeviceError::Exhausted`] because the queue was
    /// full (a refused frame the stack sends again later counts again).
    pub fn dropped(&self) -> u64 {
        self.counters.dropped
    }
}

/// Queues one frame of `len` bytes written by `f`; shared by
/// [`Device::transmit`] and the receive sink.
fn enqueue_frame(
    queue: &mut PacketBuffer<'_, ()>,
    counters: &mut Counters,
    mtu: usize,
    len: usize,
    f: &mut dyn FnMut(&mut [u8]),
) -> Result<(), DeviceError> {
    if len > mtu {
        return Err(DeviceError::TooLong);
    }
    match queue.enqueue(len, ()) {
        Ok(buf) => {
            f(buf);
            counters.tx_frames = counters.tx_frames.saturating_add(1);
            Ok(())
        }
        Err(_) => {
            counters.dropped = counters.dropped.saturating_add(1);
            Err(DeviceError::Exhausted)
        }
    }
}

/// The sink lent with a received frame: it queues into the same queue.
struct LoopbackSink<'q, 'a> {
    queue: &'q mut PacketBuffer<'a, ()>,
    counters: &'q mut Counters,
    mtu: usize,
}

impl TxSink for LoopbackSink<'_, '_> {
    fn transmit(
        &mut self,
        len: usize,
        _meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        enqueue_frame(self.queue, self.counters, self.mtu, len, f)
    }
}

impl Device for LoopbackDevice<'_> {
    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::ip(self.mtu()).with_loopback()
    }

    fn receive(
        &mut self,
        _now: Instant,
        f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError> {
        let mtu = self.mtu();
        let LoopbackDevice {
            queue,
            scratch,
            counters,
            ..
        } = self;
        let len = match queue.dequeue() {
            Ok(((), frame)) => match scratch.get_mut(..frame.len()) {
                Some(copy) => {
                    copy.copy_from_slice(frame);
                    frame.len()
                }
                None => {
                    // Cannot happen: frames are at most the MTU, which is at
                    // most the scratch size. Drop rather than truncate.
                    counters.dropped = counters.dropped.saturating_add(1);
                    return Ok(true);
                }
            },
            Err(_) => return Ok(false),
        };
        let frame = scratch.get(..len).unwrap_or(&[]);
        counters.rx_frames = counters.rx_frames.saturating_add(1);
        let mut sink = LoopbackSink {
            queue,
            counters,
            mtu,
        };
        f(RxMeta::verified(), frame, &mut sink);
        Ok(true)
    }

    fn transmit(
        &mut self,
        _now: Instant,
        len: usize,
        _meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        let mtu = self.mtu();
        enqueue_frame(&mut self.queue, &mut self.counters, mtu, len, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use microps_core::phy::{Medium, RxChecksum};
    use std::vec;
    use std::vec::Vec;

    const NOW: Instant = Instant::ZERO;

    fn send(dev: &mut dyn Device, data: &[u8]) -> Result<(), DeviceError> {
        dev.transmit(NOW, data.len(), TxMeta::default(), &mut |buf| {
            buf.copy_from_slice(data)
        })
    }

    fn recv(dev: &mut dyn Device) -> Option<Vec<u8>> {
        let mut got = None;
        let progressed = dev
            .receive(NOW, &mut |meta, frame, _| {
                assert_eq!(meta.checksum, RxChecksum::Verified);
                got = Some(frame.to_vec());
            })
            .unwrap();
        assert_eq!(progressed, got.is_some());
        got
    }

    #[test]
    fn null_counts_and_drops() {
        let mut null = NullDevice::default();
        assert_eq!(null.mtu(), 65535);
        let caps = null.capabilities();
        assert_eq!(caps.medium, Medium::Ip);
        assert_eq!(caps.mtu, 65535);
        assert_eq!(caps.header_len(), 0);
        assert!(!caps.flags.loopback && !caps.flags.point_to_point && !caps.flags.broadcast);
        for len in [0usize, 1, 1500, 65535] {
            null.transmit(NOW, len, TxMeta::default(), &mut |_| {})
                .unwrap();
        }
        assert_eq!(null.tx_frames(), 4);
        assert_eq!(null.tx_bytes(), 1 + 1500 + 65535);
        assert!(recv(&mut null).is_none());
        assert_eq!(null.poll_at(), None);
    }

    #[test]
    fn null_enforces_mtu() {
        let mut null = NullDevice::with_mtu(576);
        assert_eq!(null.capabilities().mtu, 576);
        assert_eq!(send(&mut null, &[0; 577]), Err(DeviceError::TooLong));
        assert_eq!(null.tx_frames(), 0);
        assert_eq!(send(&mut null, &[0; 576]), Ok(()));
        assert_eq!((null.tx_frames(), null.tx_bytes()), (1, 576));
    }

    #[test]
    fn loopback_capabilities() {
        let mut meta = [PacketMetadata::EMPTY; 2];
        let mut payload = vec![0u8; 70_000];
        let mut scratch = vec![0u8; 70_000];
        let lo = LoopbackDevice::new(&mut meta[..], &mut payload[..], &mut scratch[..]);
        let caps = lo.capabilities();
        assert_eq!(caps.medium, Medium::Ip);
        assert_eq!(caps.mtu, 65535);
        assert_eq!(caps.max_frame_len, 65535);
        assert!(caps.flags.loopback);
        // Clamped to the storage it is given.
        let mut meta = [PacketMetadata::EMPTY; 2];
        let mut payload = [0u8; 3000];
        let mut scratch = [0u8; 2000];
        let lo = LoopbackDevice::new(&mut meta[..], &mut payload[..], &mut scratch[..]);
        assert_eq!(lo.mtu(), 2000);
        let lo = lo.with_mtu(1500);
        assert_eq!(lo.capabilities().mtu, 1500);
        assert!(std::format!("{lo:?}").contains("mtu: 1500"));
    }

    #[test]
    fn loopback_round_trip_in_order() {
        let mut meta = [PacketMetadata::EMPTY; 8];
        let mut payload = [0u8; 1024];
        let mut scratch = [0u8; 1024];
        let mut lo = LoopbackDevice::new(&mut meta[..], &mut payload[..], &mut scratch[..]);
        let frames: Vec<Vec<u8>> = (0..20u8)
            .map(|i| (0..(i as usize * 13 % 200)).map(|j| i ^ j as u8).collect())
            .collect();
        // Several rounds, so the queue wraps around its storage.
        for chunk in frames.chunks(5) {
            for frame in chunk {
                send(&mut lo, frame).unwrap();
            }
            assert_eq!(lo.queued(), chunk.len());
            for frame in chunk {
                assert_eq!(recv(&mut lo).as_ref(), Some(frame));
            }
            assert!(recv(&mut lo).is_none());
        }
        assert_eq!((lo.tx_frames(), lo.rx_frames(), lo.dropped()), (20, 20, 0));
    }

    #[test]
    fn loopback_full_queue_drops_and_counts() {
        let mut meta = [PacketMetadata::EMPTY; 3];
        let mut payload = [0u8; 100];
        let mut scratch = [0u8; 100];
        let mut lo = LoopbackDevice::new(&mut meta[..], &mut payload[..], &mut scratch[..]);
        // Out of metadata slots.
        for i in 0..3u8 {
            send(&mut lo, &[i; 10]).unwrap();
        }
        let mut called = false;
        let r = lo.transmit(NOW, 10, TxMeta::default(), &mut |_| called = true);
        assert_eq!(r, Err(DeviceError::Exhausted));
        assert!(!called);
        assert_eq!(lo.dropped(), 1);
        // Out of payload bytes.
        assert_eq!(recv(&mut lo), Some(vec![0; 10]));
        assert_eq!(send(&mut lo, &[9; 90]), Err(DeviceError::Exhausted));
        assert_eq!(lo.dropped(), 2);
        assert_eq!(lo.tx_frames(), 3);
        // What was queued before is intact.
        assert_eq!(recv(&mut lo), Some(vec![1; 10]));
        assert_eq!(recv(&mut lo), Some(vec![2; 10]));
        assert!(recv(&mut lo).is_none());
        // Drained: the large frame fits now.
        assert_eq!(send(&mut lo, &[9; 100]), Ok(()));
        assert_eq!(recv(&mut lo), Some(vec![9; 100]));
    }

    #[test]
    fn loopback_reply_through_sink_comes_back_next() {
        let mut meta = [PacketMetadata::EMPTY; 2];
        let mut payload = [0u8; 64];
        let mut scratch = [0u8; 64];
        let mut lo = LoopbackDevice::new(&mut meta[..], &mut payload[..], &mut scratch[..]);
        send(&mut lo, b"request").unwrap();
        let progressed = lo
            .receive(NOW, &mut |meta, frame, sink| {
                assert_eq!(meta, RxMeta::verified());
                assert_eq!(frame, b"request");
                // The reply may reuse the request's queue space: the
                // request was copied out first, so it must stay intact.
                sink.transmit(7, TxMeta::default(), &mut |buf| {
                    buf.copy_from_slice(b"replied")
                })
                .unwrap();
                assert_eq!(frame, b"request");
                // Too long for the MTU through the sink too.
                assert_eq!(
                    sink.transmit(65, TxMeta::default(), &mut |_| {}),
                    Err(DeviceError::TooLong)
                );
            })
            .unwrap();
        assert!(progressed);
        assert_eq!(lo.queued(), 1);
        assert_eq!(recv(&mut lo).as_deref(), Some(&b"replied"[..]));
        assert!(recv(&mut lo).is_none());
        assert_eq!((lo.tx_frames(), lo.rx_frames()), (2, 2));
    }

    #[test]
    fn loopback_sink_full_is_exhausted() {
        let mut meta = [PacketMetadata::EMPTY; 1];
        let mut payload = [0u8; 16];
        let mut scratch = [0u8; 16];
        let mut lo = LoopbackDevice::new(&mut meta[..], &mut payload[..], &mut scratch[..]);
        send(&mut lo, b"a").unwrap();
        lo.receive(NOW, &mut |_, _, sink| {
            sink.transmit(1, TxMeta::default(), &mut |b| b[0] = b'b')
                .unwrap();
            assert_eq!(
                sink.transmit(1, TxMeta::default(), &mut |_| {}),
                Err(DeviceError::Exhausted)
            );
        })
        .unwrap();
        assert_eq!(lo.dropped(), 1);
        assert_eq!(recv(&mut lo).as_deref(), Some(&b"b"[..]));
    }

    #[test]
    fn loopback_enforces_mtu() {
        let mut meta = [PacketMetadata::EMPTY; 4];
        let mut payload = [0u8; 4096];
        let mut scratch = [0u8; 4096];
        let mut lo =
            LoopbackDevice::new(&mut meta[..], &mut payload[..], &mut scratch[..]).with_mtu(1500);
        assert_eq!(send(&mut lo, &[0; 1501]), Err(DeviceError::TooLong));
        assert_eq!(lo.dropped(), 0);
        assert_eq!(send(&mut lo, &[7; 1500]), Ok(()));
        assert_eq!(recv(&mut lo), Some(vec![7; 1500]));
        // Clamped by a small scratch area.
        let mut meta = [PacketMetadata::EMPTY; 4];
        let mut payload = [0u8; 4096];
        let mut scratch = [0u8; 100];
        let mut lo = LoopbackDevice::new(&mut meta[..], &mut payload[..], &mut scratch[..]);
        assert_eq!(send(&mut lo, &[0; 101]), Err(DeviceError::TooLong));
        assert_eq!(send(&mut lo, &[0; 100]), Ok(()));
    }

    #[test]
    fn loopback_zero_capacity() {
        // No metadata slots: nothing is ever queued.
        let mut payload = [0u8; 64];
        let mut scratch = [0u8; 64];
        let mut lo = LoopbackDevice::new(&mut [][..], &mut payload[..], &mut scratch[..]);
        assert_eq!(send(&mut lo, b"x"), Err(DeviceError::Exhausted));
        assert_eq!(lo.dropped(), 1);
        assert!(recv(&mut lo).is_none());
        // No payload storage: the MTU is 0, only empty frames fit.
        let mut meta = [PacketMetadata::EMPTY; 2];
        let mut lo = LoopbackDevice::new(&mut meta[..], &mut [][..], &mut [][..]);
        assert_eq!(lo.capabilities().mtu, 0);
        assert_eq!(send(&mut lo, b"x"), Err(DeviceError::TooLong));
        assert_eq!(send(&mut lo, b""), Ok(()));
        assert_eq!(recv(&mut lo), Some(vec![]));
        assert!(recv(&mut lo).is_none());
    }

    #[test]
    fn used_through_dyn_device() {
        let mut meta = [PacketMetadata::EMPTY; 4];
        let mut payload = [0u8; 256];
        let mut scratch = [0u8; 256];
        let mut lo = LoopbackDevice::new(&mut meta[..], &mut payload[..], &mut scratch[..]);
        let mut null = NullDevice::new();
        {
            let mut devices: [&mut dyn Device; 2] = [&mut lo, &mut null];
            for dev in devices.iter_mut() {
                send(*dev, b"one").unwrap();
                send(*dev, b"two").unwrap();
            }
            let mut received = Vec::new();
            for dev in devices.iter_mut() {
                while let Some(frame) = recv(*dev) {
                    received.push(frame);
                }
            }
            assert_eq!(received, [b"one".to_vec(), b"two".to_vec()]);
            // `&mut D` is a device too.
            let mut by_ref: &mut dyn Device = &mut *devices[0];
            send(&mut by_ref, b"three").unwrap();
            assert_eq!(recv(&mut by_ref).as_deref(), Some(&b"three"[..]));
        }
        assert_eq!((lo.tx_frames(), lo.rx_frames()), (3, 3));
        assert_eq!(null.tx_frames(), 2);
    }
}
