//! A seeded fault injector: drop, duplicate, reorder, delay and corrupt frames
//! in either direction, each with its own rate.
//!
//! It wraps any [`Device`] and is itself a device, so the stack cannot tell it
//! is there. Rates are in parts per million. Corruption flips exactly one bit
//! at a random position, the fault a checksum must catch. Frames held for
//! delay, reordering or duplication wait in `SLOTS` inline buffers of
//! `SLOT_LEN` bytes each (no heap); when all slots are busy, or a frame is
//! longer than a slot, the frame passes unharmed and
//! [`FaultStats::passed_no_slot`] counts it, so a fault injector never loses
//! a frame it was not told to drop.
//!
//! Everything random comes from the seed, so a run is replayed exactly by
//! giving the same seed and the same inputs.
//!
//! ```
//! use microps_core::phy::{Device, DeviceCapabilities, DeviceError, FaultConfig, FaultInjector, RxMeta, TxMeta, TxSink};
//! use microps_core::time::Instant;
//! # #[derive(Debug, Default)] struct Sink { sent: usize }
//! # impl Device for Sink {
//! #     fn capabilities(&self) -> DeviceCapabilities { DeviceCapabilities::ip(1500) }
//! #     fn receive(&mut self, _: Instant, _: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink)) -> Result<bool, DeviceError> { Ok(false) }
//! #     fn transmit(&mut self, _: Instant, len: usize, _: TxMeta, f: &mut dyn FnMut(&mut [u8])) -> Result<(), DeviceError> {
//! #         let mut b = [0u8; 1500]; f(&mut b[..len]); self.sent += 1; Ok(()) }
//! # }
//! let mut lossy: FaultInjector<Sink> = FaultInjector::new(Sink::default(), 1234);
//! lossy.set_tx_config(FaultConfig::none().with_drop(1_000_000));
//! lossy.transmit(Instant::ZERO, 100, TxMeta::default(), &mut |b| b.fill(7)).unwrap();
//! assert_eq!(lossy.inner().sent, 0);
//! assert_eq!(lossy.stats().tx_dropped, 1);
//! ```

use heapless::Vec;

use super::{Device, DeviceCapabilities, DeviceError, DeviceSink, RxMeta, TxMeta, TxSink};
use crate::rand::Rng;
use crate::time::{Duration, Instant};

/// Fault rates for one direction, in parts per million of frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct FaultConfig {
    /// Frames silently dropped.
    pub drop_ppm: u32,
    /// Frames delivered twice (the copy right after the original).
    pub duplicate_ppm: u32,
    /// Frames held back until the next frame has passed (or
    /// `reorder_timeout`, whichever comes first).
    pub reorder_ppm: u32,
    /// Frames delayed by a random time up to `max_delay`.
    pub delay_ppm: u32,
    /// Frames with exactly one bit flipped.
    pub corrupt_ppm: u32,
    /// The longest delay.
    pub max_delay: Duration,
    /// The longest a reordered frame waits for a successor.
    pub reorder_timeout: Duration,
}

impl Default for FaultConfig {
    /// No faults; 50 ms maximum delay, 10 ms reorder timeout when enabled.
    fn default() -> FaultConfig {
        FaultConfig {
            drop_ppm: 0,
            duplicate_ppm: 0,
            reorder_ppm: 0,
            delay_ppm: 0,
            corrupt_ppm: 0,
            max_delay: Duration::from_millis(50),
            reorder_timeout: Duration::from_millis(10),
        }
    }
}

impl FaultConfig {
    /// No faults at all.
    pub fn none() -> FaultConfig {
        FaultConfig::default()
    }

    /// With this drop rate.
    pub fn with_drop(mut self, ppm: u32) -> Self {
        self.drop_ppm = ppm;
        self
    }

    /// With this duplication rate.
    pub fn with_duplicate(mut self, ppm: u32) -> Self {
        self.duplicate_ppm = ppm;
        self
    }

    /// With this reordering rate.
    pub fn with_reorder(mut self, ppm: u32) -> Self {
        self.reorder_ppm = ppm;
        self
    }

    /// With this delay rate and maximum delay.
    pub fn with_delay(mut self, ppm: u32, max_delay: Duration) -> Self {
        self.delay_ppm = ppm;
        self.max_delay = max_delay;
        self
    }

    /// With this one-bit corruption rate.
    pub fn with_corrupt(mut self, ppm: u32) -> Self {
        self.corrupt_ppm = ppm;
        self
    }

    /// Whether any fault is enabled.
    pub fn is_active(&self) -> bool {
        self.drop_ppm | self.duplicate_ppm | self.reorder_ppm | self.delay_ppm | self.corrupt_ppm
            != 0
    }
}

/// What the fault injector did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct FaultStats {
    /// Received frames dropped.
    pub rx_dropped: u64,
    /// Received frames duplicated.
    pub rx_duplicated: u64,
    /// Received frames reordered.
    pub rx_reordered: u64,
    /// Received frames delayed.
    pub rx_delayed: u64,
    /// Received frames corrupted.
    pub rx_corrupted: u64,
    /// Transmitted frames dropped.
    pub tx_dropped: u64,
    /// Transmitted frames duplicated.
    pub tx_duplicated: u64,
    /// Transmitted frames reordered.
    pub tx_reordered: u64,
    /// Transmitted frames delayed.
    pub tx_delayed: u64,
    /// Transmitted frames corrupted.
    pub tx_corrupted: u64,
    /// Frames that should have been held but passed unharmed: no free slot,
    /// or longer than a slot.
    pub passed_no_slot: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Rx,
    Tx,
}

#[derive(Debug)]
struct Held<const SLOT_LEN: usize> {
    dir: Dir,
    release_at: Instant,
    /// Released early once another frame in the same direction has passed.
    after_next: bool,
    meta_rx: RxMeta,
    meta_tx: TxMeta,
    len: usize,
    data: [u8; SLOT_LEN],
}

/// What to do with one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Drop,
    Pass {
        corrupt: bool,
        duplicate: bool,
    },
    Hold {
        corrupt: bool,
        release_at: Instant,
        after_next: bool,
    },
}

/// A device wrapper that injects faults, each kind at its own rate
/// ([`FaultConfig`]), from a seeded generator so that runs replay.
#[derive(Debug)]
pub struct FaultInjector<D: Device, const SLOTS: usize = 8, const SLOT_LEN: usize = 1536> {
    inner: D,
    rng: Rng,
    rx: FaultConfig,
    tx: FaultConfig,
    held: Vec<Held<SLOT_LEN>, SLOTS>,
    stats: FaultStats,
}

impl<D: Device, const SLOTS: usize, const SLOT_LEN: usize> FaultInjector<D, SLOTS, SLOT_LEN> {
    /// Wraps `inner`, with no faults configured yet.
    pub fn new(inner: D, seed: u64) -> Self {
        FaultInjector {
            inner,
            rng: Rng::new(seed),
            rx: FaultConfig::none(),
            tx: FaultConfig::none(),
            held: Vec::new(),
            stats: FaultStats::default(),
        }
    }

    /// The faults applied to received frames.
    pub fn set_rx_config(&mut self, config: FaultConfig) {
        self.rx = config;
    }

    /// The faults applied to transmitted frames.
    pub fn set_tx_config(&mut self, config: FaultConfig) {
        self.tx = config;
    }

    /// The faults applied to received frames.
    pub fn rx_config(&self) -> &FaultConfig {
        &self.rx
    }

    /// The faults applied to transmitted frames.
    pub fn tx_config(&self) -> &FaultConfig {
        &self.tx
    }

    /// What has been done so far.
    pub fn stats(&self) -> &FaultStats {
        &self.stats
    }

    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped device, mutably.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// Unwraps the device.
    pub fn into_inner(self) -> D {
        self.inner
    }

    /// Decides a frame's fate under `cfg`. Each fault is drawn independently
    /// from the seeded generator, in a fixed order, so runs replay.
    fn decide(rng: &mut Rng, cfg: &FaultConfig, now: Instant) -> Fate {
        if !cfg.is_active() {
            return Fate::Pass {
                corrupt: false,
                duplicate: false,
            };
        }
        if rng.chance(cfg.drop_ppm) {
            return Fate::Drop;
        }
        let corrupt = rng.chance(cfg.corrupt_ppm);
        if rng.chance(cfg.delay_ppm) {
            let max = cfg.max_delay.total_micros().min(u64::from(u32::MAX));
            let d = u64::from(rng.below(u32::try_from(max).unwrap_or(u32::MAX).saturating_add(1)));
            return Fate::Hold {
                corrupt,
                release_at: now + Duration::from_micros(d),
                after_next: false,
            };
        }
        if rng.chance(cfg.reorder_ppm) {
            return Fate::Hold {
                corrupt,
                release_at: now + cfg.reorder_timeout,
                after_next: true,
            };
        }
        let duplicate = rng.chance(cfg.duplicate_ppm);
        Fate::Pass { corrupt, duplicate }
    }

    fn flip_one_bit(rng: &mut Rng, frame: &mut [u8]) {
        let bits = u32::try_from(frame.len().saturating_mul(8)).unwrap_or(u32::MAX);
        if bits == 0 {
            return;
        }
        let bit = rng.below(bits) as usize;
        if let Some(b) = frame.get_mut(bit / 8) {
            *b ^= 1 << (bit % 8);
        }
    }

    /// Copies `frame` into a free slot; `None` if all are busy or it is too
    /// long.
    fn hold(
        held: &mut Vec<Held<SLOT_LEN>, SLOTS>,
        dir: Dir,
        release_at: Instant,
        after_next: bool,
        meta_rx: RxMeta,
        meta_tx: TxMeta,
        frame: &[u8],
    ) -> Option<usize> {
        if frame.len() > SLOT_LEN || held.is_full() {
            return None;
        }
        let mut slot = Held {
            dir,
            release_at,
            after_next,
            meta_rx,
            meta_tx,
            len: frame.len(),
            data: [0; SLOT_LEN],
        };
        slot.data.get_mut(..frame.len())?.copy_from_slice(frame);
        held.push(slot).ok()?;
        Some(held.len().saturating_sub(1))
    }

    /// Marks reordered frames in `dir` as due: a successor has passed.
    fn successor_passed(held: &mut Vec<Held<SLOT_LEN>, SLOTS>, dir: Dir, now: Instant) {
        for h in held.iter_mut() {
            if h.dir == dir && h.after_next {
                h.release_at = now;
                h.after_next = false;
            }
        }
    }

    /// The index of the earliest held frame in `dir` due at `now`.
    fn due(&self, dir: Dir, now: Instant) -> Option<usize> {
        self.held
            .iter()
            .enumerate()
            .filter(|(_, h)| h.dir == dir && h.release_at <= now)
            .min_by_key(|(_, h)| h.release_at)
            .map(|(i, _)| i)
    }

    /// Sends every transmit-side frame that is due.
    fn flush_tx(&mut self, now: Instant) {
        while let Some(i) = self.due(Dir::Tx, now) {
            let h = self.held.swap_remove(i);
            let data = h.data.get(..h.len).unwrap_or(&[]);
            // A device without a free buffer loses the held frame, as a
            // real link would; it was a test frame in flight.
            let _ = self.inner.transmit(now, h.len, h.meta_tx, &mut |buf| {
                buf.copy_from_slice(data);
            });
        }
    }
}

impl<D: Device, const SLOTS: usize, const SLOT_LEN: usize> Device
    for FaultInjector<D, SLOTS, SLOT_LEN>
{
    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }

    fn receive(
        &mut self,
        now: Instant,
        f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError> {
        self.flush_tx(now);
        // A held frame that is due goes first.
        if let Some(i) = self.due(Dir::Rx, now) {
            let h = self.held.swap_remove(i);
            let data = h.data.get(..h.len).unwrap_or(&[]);
            f(
                h.meta_rx,
                data,
                &mut DeviceSink {
                    device: &mut self.inner,
                    now,
                },
            );
            return Ok(true);
        }
        let rng = &mut self.rng;
        let cfg = &self.rx;
        let held = &mut self.held;
        let stats = &mut self.stats;
        self.inner.receive(now, &mut |meta, frame, sink| {
            let fate = Self::decide(rng, cfg, now);
            match fate {
                Fate::Drop => {
                    stats.rx_dropped = stats.rx_dropped.saturating_add(1);
                }
                Fate::Pass { corrupt, duplicate } => {
                    Self::successor_passed(held, Dir::Rx, now);
                    if duplicate {
                        if Self::hold(held, Dir::Rx, now, false, meta, TxMeta::default(), frame)
                            .is_some()
                        {
                            stats.rx_duplicated = stats.rx_duplicated.saturating_add(1);
                        } else {
                            stats.passed_no_slot = stats.passed_no_slot.saturating_add(1);
                        }
                    }
                    if corrupt && frame.len() <= SLOT_LEN {
                        let mut copy = [0u8; SLOT_LEN];
                        if let Some(c) = copy.get_mut(..frame.len()) {
                            c.copy_from_slice(frame);
                            Self::flip_one_bit(rng, c);
                            stats.rx_corrupted = stats.rx_corrupted.saturating_add(1);
                            f(meta, c, sink);
                        }
                    } else {
                        f(meta, frame, sink);
                    }
                }
                Fate::Hold {
                    corrupt,
                    release_at,
                    after_next,
                } => {
                    match Self::hold(
                        held,
                        Dir::Rx,
                        release_at,
                        after_next,
                        meta,
                        TxMeta::default(),
                        frame,
                    ) {
                        Some(i) => {
                            if let Some(h) = held.get_mut(i)
                                && corrupt
                            {
                                {
                                    Self::flip_one_bit(
                                        rng,
                                        h.data.get_mut(..h.len).unwrap_or(&mut []),
                                    );
                                    stats.rx_corrupted = stats.rx_corrupted.saturating_add(1);
                                }
                            }
                            if after_next {
                                stats.rx_reordered = stats.rx_reordered.saturating_add(1);
                            } else {
                                stats.rx_delayed = stats.rx_delayed.saturating_add(1);
                            }
                        }
                        None => {
                            stats.passed_no_slot = stats.passed_no_slot.saturating_add(1);
                            f(meta, frame, sink);
                        }
                    }
                }
            }
        })
    }

    fn transmit(
        &mut self,
        now: Instant,
        len: usize,
        meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        self.flush_tx(now);
        if !self.tx.is_active() || len > SLOT_LEN {
            self.inner.transmit(now, len, meta, f)?;
            Self::successor_passed(&mut self.held, Dir::Tx, now);
            self.flush_tx(now);
            return Ok(());
        }
        let mut scratch = [0u8; SLOT_LEN];
        let frame = scratch.get_mut(..len).ok_or(DeviceError::TooLong)?;
        f(frame);
        match Self::decide(&mut self.rng, &self.tx, now) {
            Fate::Drop => {
                self.stats.tx_dropped = self.stats.tx_dropped.saturating_add(1);
                Ok(())
            }
            Fate::Pass { corrupt, duplicate } => {
                if corrupt {
                    Self::flip_one_bit(&mut self.rng, frame);
                    self.stats.tx_corrupted = self.stats.tx_corrupted.saturating_add(1);
                }
                let frame: &[u8] = frame;
                self.inner
                    .transmit(now, len, meta, &mut |buf| buf.copy_from_slice(frame))?;
                Self::successor_passed(&mut self.held, Dir::Tx, now);
                if duplicate {
                    if Self::hold(
                        &mut self.held,
                        Dir::Tx,
                        now,
                        false,
                        RxMeta::default(),
                        meta,
                        frame,
                    )
                    .is_some()
                    {
                        self.stats.tx_duplicated = self.stats.tx_duplicated.saturating_add(1);
                    } else {
                        self.stats.passed_no_slot = self.stats.passed_no_slot.saturating_add(1);
                    }
                }
                self.flush_tx(now);
                Ok(())
            }
            Fate::Hold {
                corrupt,
                release_at,
                after_next,
            } => {
                if corrupt {
                    Self::flip_one_bit(&mut self.rng, frame);
                    self.stats.tx_corrupted = self.stats.tx_corrupted.saturating_add(1);
                }
                let frame: &[u8] = frame;
                match Self::hold(
                    &mut self.held,
                    Dir::Tx,
                    release_at,
                    after_next,
                    RxMeta::default(),
                    meta,
                    frame,
                ) {
                    Some(_) => {
                        if after_next {
                            self.stats.tx_reordered = self.stats.tx_reordered.saturating_add(1);
                        } else {
                            self.stats.tx_delayed = self.stats.tx_delayed.saturating_add(1);
                        }
                        Ok(())
                    }
                    None => {
                        self.stats.passed_no_slot = self.stats.passed_no_slot.saturating_add(1);
                        self.inner
                            .transmit(now, len, meta, &mut |buf| buf.copy_from_slice(frame))
                    }
                }
            }
        }
    }

    fn poll_at(&self) -> Option<Instant> {
        let own = self.held.iter().map(|h| h.release_at).min();
        match (own, self.inner.poll_at()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::VecDeque;
    use alloc::vec::Vec;

    /// A device with a receive queue and a record of what was sent.
    #[derive(Debug, Default)]
    struct Queue {
        rx: VecDeque<Vec<u8>>,
        sent: Vec<Vec<u8>>,
    }

    impl Device for Queue {
        fn capabilities(&self) -> DeviceCapabilities {
            DeviceCapabilities::ip(1500)
        }
        fn receive(
            &mut self,
            _now: Instant,
            f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
        ) -> Result<bool, DeviceError> {
            let Some(frame) = self.rx.pop_front() else {
                return Ok(false);
            };
            let mut sink = Recorder(&mut self.sent);
            f(RxMeta::default(), &frame, &mut sink);
            Ok(true)
        }
        fn transmit(
            &mut self,
            _now: Instant,
            len: usize,
            _meta: TxMeta,
            f: &mut dyn FnMut(&mut [u8]),
        ) -> Result<(), DeviceError> {
            let mut buf = alloc::vec![0u8; len];
            f(&mut buf);
            self.sent.push(buf);
            Ok(())
        }
    }

    struct Recorder<'a>(&'a mut Vec<Vec<u8>>);
    impl TxSink for Recorder<'_> {
        fn transmit(
            &mut self,
            len: usize,
            _meta: TxMeta,
            f: &mut dyn FnMut(&mut [u8]),
        ) -> Result<(), DeviceError> {
            let mut buf = alloc::vec![0u8; len];
            f(&mut buf);
            self.0.push(buf);
            Ok(())
        }
    }

    fn frame(i: u32) -> Vec<u8> {
        let mut f = alloc::vec![0u8; 64];
        f[..4].copy_from_slice(&i.to_be_bytes());
        f
    }

    fn drain(d: &mut FaultInjector<Queue>, now: Instant) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while d.receive(now, &mut |_, f, _| out.push(f.to_vec())).unwrap() {}
        out
    }

    #[test]
    fn drop_rate_is_close_to_configured() {
        let mut d: FaultInjector<Queue> = FaultInjector::new(Queue::default(), 1);
        d.set_rx_config(FaultConfig::none().with_drop(100_000));
        for i in 0..10_000 {
            d.inner_mut().rx.push_back(frame(i));
        }
        let got = drain(&mut d, Instant::ZERO);
        let dropped = 10_000 - got.len();
        assert!((800..1200).contains(&dropped), "{dropped}");
        assert_eq!(d.stats().rx_dropped, dropped as u64);
        // Order is kept when only dropping.
        assert!(got.windows(2).all(|w| w[0][..4] < w[1][..4]));
    }

    #[test]
    fn corruption_flips_exactly_one_bit() {
        let mut d: FaultInjector<Queue> = FaultInjector::new(Queue::default(), 2);
        d.set_rx_config(FaultConfig::none().with_corrupt(1_000_000));
        d.set_tx_config(FaultConfig::none().with_corrupt(1_000_000));
        for i in 0..200 {
            d.inner_mut().rx.push_back(frame(i));
        }
        let got = drain(&mut d, Instant::ZERO);
        assert_eq!(got.len(), 200);
        for (i, g) in got.iter().enumerate() {
            let orig = frame(i as u32);
            let flipped: u32 = g.iter().zip(&orig).map(|(a, b)| (a ^ b).count_ones()).sum();
            assert_eq!(flipped, 1, "frame {i}");
        }
        d.transmit(Instant::ZERO, 64, TxMeta::default(), &mut |b| {
            b.copy_from_slice(&frame(7))
        })
        .unwrap();
        let sent = &d.inner().sent[0];
        let flipped: u32 = sent
            .iter()
            .zip(&frame(7))
            .map(|(a, b)| (a ^ b).count_ones())
            .sum();
        assert_eq!(flipped, 1);
        assert_eq!(d.stats().tx_corrupted, 1);
    }

    #[test]
    fn duplicate_reorder_and_delay() {
        let mut d: FaultInjector<Queue> = FaultInjector::new(Queue::default(), 3);
        d.set_rx_config(FaultConfig::none().with_duplicate(1_000_000));
        d.inner_mut().rx.push_back(frame(1));
        assert_eq!(drain(&mut d, Instant::ZERO), [frame(1), frame(1)]);

        d.set_rx_config(FaultConfig::none().with_reorder(1_000_000));
        d.inner_mut().rx.push_back(frame(2));
        assert!(
            drain(&mut d, Instant::ZERO).is_empty(),
            "held for a successor"
        );
        assert_eq!(d.poll_at(), Some(Instant::from_millis(10)));
        d.set_rx_config(FaultConfig::none());
        d.inner_mut().rx.push_back(frame(3));
        assert_eq!(
            drain(&mut d, Instant::from_millis(1)),
            [frame(3), frame(2)],
            "3 overtook 2"
        );

        d.set_rx_config(FaultConfig::none().with_delay(1_000_000, Duration::from_millis(50)));
        d.inner_mut().rx.push_back(frame(4));
        assert!(drain(&mut d, Instant::from_millis(2)).is_empty());
        let at = d.poll_at().unwrap();
        assert!(at <= Instant::from_millis(52));
        assert_eq!(drain(&mut d, at), [frame(4)]);
    }

    #[test]
    fn same_seed_same_fates() {
        let run = |seed| {
            let mut d: FaultInjector<Queue> = FaultInjector::new(Queue::default(), seed);
            d.set_rx_config(
                FaultConfig::none()
                    .with_drop(200_000)
                    .with_duplicate(100_000)
                    .with_corrupt(100_000),
            );
            for i in 0..500 {
                d.inner_mut().rx.push_back(frame(i));
            }
            drain(&mut d, Instant::ZERO)
        };
        assert_eq!(run(9), run(9));
        assert_ne!(run(9), run(10));
    }

    #[test]
    fn no_free_slot_means_the_frame_passes() {
        let mut d: FaultInjector<Queue, 1, 128> = FaultInjector::new(Queue::default(), 4);
        d.set_rx_config(FaultConfig::none().with_delay(1_000_000, Duration::from_secs(1)));
        d.inner_mut().rx.push_back(frame(1));
        d.inner_mut().rx.push_back(frame(2));
        let mut got = Vec::new();
        while d
            .receive(Instant::ZERO, &mut |_, f, _| got.push(f.to_vec()))
            .unwrap()
        {}
        assert_eq!(
            got,
            [frame(2)],
            "the first is held, the second passes unharmed"
        );
        assert_eq!(d.stats().passed_no_slot, 1);
        // A frame longer than a slot passes too.
        d.inner_mut().rx.push_back(alloc::vec![0u8; 200]);
        let mut n = 0;
        d.receive(Instant::ZERO, &mut |_, f, _| n = f.len())
            .unwrap();
        assert_eq!(n, 200);
    }

    #[test]
    fn tx_drop_does_not_reach_the_device() {
        let mut d: FaultInjector<Queue> = FaultInjector::new(Queue::default(), 5);
        d.set_tx_config(FaultConfig::none().with_drop(1_000_000));
        d.transmit(Instant::ZERO, 10, TxMeta::default(), &mut |b| b.fill(1))
            .unwrap();
        assert!(d.inner().sent.is_empty());
        d.set_tx_config(FaultConfig::none().with_reorder(1_000_000));
        d.transmit(Instant::ZERO, 10, TxMeta::default(), &mut |b| b.fill(2))
            .unwrap();
        assert!(d.inner().sent.is_empty());
        d.set_tx_config(FaultConfig::none());
        d.transmit(Instant::ZERO, 10, TxMeta::default(), &mut |b| b.fill(3))
            .unwrap();
        // The held frame is flushed at the next call once its successor went.
        let _ = d.receive(Instant::ZERO, &mut |_, _, _| {});
        let firsts: Vec<u8> = d.inner().sent.iter().map(|f| f[0]).collect();
        assert_eq!(firsts, [3, 2]);
    }
}
