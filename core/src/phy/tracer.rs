//! A tracer: a device wrapper that hands every frame, received or sent, to a
//! callback (for logging, pcap capture, or assertions in tests).
//!
//! Frames sent through the reply sink of a receive are traced too, after the
//! frame they answer.
//!
//! ```
//! use microps_core::phy::{Device, DeviceCapabilities, DeviceError, Direction, RxMeta, Tracer, TxMeta, TxSink};
//! use microps_core::time::Instant;
//! # #[derive(Debug)] struct Quiet;
//! # impl Device for Quiet {
//! #     fn capabilities(&self) -> DeviceCapabilities { DeviceCapabilities::ip(1500) }
//! #     fn receive(&mut self, _: Instant, _: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink)) -> Result<bool, DeviceError> { Ok(false) }
//! #     fn transmit(&mut self, _: Instant, len: usize, _: TxMeta, f: &mut dyn FnMut(&mut [u8])) -> Result<(), DeviceError> {
//! #         let mut b = [0u8; 1500]; f(&mut b[..len]); Ok(()) }
//! # }
//! let mut seen = 0usize;
//! let mut dev = Tracer::new(Quiet, |dir: Direction, _now: Instant, frame: &[u8]| {
//!     assert_eq!(dir, Direction::Tx);
//!     seen += frame.len();
//! });
//! dev.transmit(Instant::ZERO, 42, TxMeta::default(), &mut |b| b.fill(1)).unwrap();
//! drop(dev);
//! assert_eq!(seen, 42);
//! ```

use super::{Device, DeviceCapabilities, DeviceError, RxMeta, TxMeta, TxSink};
use crate::time::Instant;

/// Which way a traced frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Direction {
    /// Received by the stack.
    Rx,
    /// Sent by the stack.
    Tx,
}

/// A device wrapper that shows every frame to a callback.
pub struct Tracer<D: Device, F: FnMut(Direction, Instant, &[u8])> {
    inner: D,
    trace: F,
}

impl<D: Device + core::fmt::Debug, F: FnMut(Direction, Instant, &[u8])> core::fmt::Debug
    for Tracer<D, F>
{
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.debug_struct("Tracer")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<D: Device, F: FnMut(Direction, Instant, &[u8])> Tracer<D, F> {
    /// Wraps `inner`; `trace` sees every frame.
    pub fn new(inner: D, trace: F) -> Self {
        Tracer { inner, trace }
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
}

struct TracingSink<'a, F: FnMut(Direction, Instant, &[u8])> {
    sink: &'a mut dyn TxSink,
    trace: &'a mut F,
    now: Instant,
}

impl<F: FnMut(Direction, Instant, &[u8])> TxSink for TracingSink<'_, F> {
    fn transmit(
        &mut self,
        len: usize,
        meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        let trace = &mut *self.trace;
        let now = self.now;
        self.sink.transmit(len, meta, &mut |buf| {
            f(buf);
            trace(Direction::Tx, now, buf);
        })
    }
}

impl<D: Device, F: FnMut(Direction, Instant, &[u8])> Device for Tracer<D, F> {
    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }

    fn receive(
        &mut self,
        now: Instant,
        f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError> {
        let trace = &mut self.trace;
        self.inner.receive(now, &mut |meta, frame, sink| {
            trace(Direction::Rx, now, frame);
            let mut sink = TracingSink {
                sink,
                trace: &mut *trace,
                now,
            };
            f(meta, frame, &mut sink);
        })
    }

    fn transmit(
        &mut self,
        now: Instant,
        len: usize,
        meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        let trace = &mut self.trace;
        self.inner.transmit(now, len, meta, &mut |buf| {
            f(buf);
            trace(Direction::Tx, now, buf);
        })
    }

    fn poll_at(&self) -> Option<Instant> {
        self.inner.poll_at()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[derive(Debug)]
    struct Echo {
        pending: Option<Vec<u8>>,
        sent: usize,
    }

    impl Device for Echo {
        fn capabilities(&self) -> DeviceCapabilities {
            DeviceCapabilities::ip(1500)
        }
        fn receive(
            &mut self,
            _now: Instant,
            f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
        ) -> Result<bool, DeviceError> {
            let Some(frame) = self.pending.take() else {
                return Ok(false);
            };
            struct Count<'a>(&'a mut usize);
            impl TxSink for Count<'_> {
                fn transmit(
                    &mut self,
                    len: usize,
                    _m: TxMeta,
                    f: &mut dyn FnMut(&mut [u8]),
                ) -> Result<(), DeviceError> {
                    let mut b = alloc::vec![0u8; len];
                    f(&mut b);
                    *self.0 += 1;
                    Ok(())
                }
            }
            f(RxMeta::default(), &frame, &mut Count(&mut self.sent));
            Ok(true)
        }
        fn transmit(
            &mut self,
            _now: Instant,
            len: usize,
            _meta: TxMeta,
            f: &mut dyn FnMut(&mut [u8]),
        ) -> Result<(), DeviceError> {
            let mut b = alloc::vec![0u8; len];
            f(&mut b);
            self.sent += 1;
            Ok(())
        }
    }

    #[test]
    fn traces_received_frames_and_replies_in_order() {
        let mut log: Vec<(Direction, Vec<u8>)> = Vec::new();
        {
            let mut dev = Tracer::new(
                Echo {
                    pending: Some(alloc::vec![1, 2, 3]),
                    sent: 0,
                },
                |d, _t, f: &[u8]| log.push((d, f.to_vec())),
            );
            assert!(
                dev.receive(Instant::ZERO, &mut |_m, frame, sink| {
                    let reply: Vec<u8> = frame.iter().rev().copied().collect();
                    sink.transmit(3, TxMeta::default(), &mut |b| b.copy_from_slice(&reply))
                        .unwrap();
                })
                .unwrap()
            );
            assert!(!dev.receive(Instant::ZERO, &mut |_, _, _| {}).unwrap());
            dev.transmit(Instant::ZERO, 2, TxMeta::default(), &mut |b| b.fill(9))
                .unwrap();
            assert_eq!(dev.inner().sent, 2);
        }
        assert_eq!(
            log,
            [
                (Direction::Rx, alloc::vec![1, 2, 3]),
                (Direction::Tx, alloc::vec![3, 2, 1]),
                (Direction::Tx, alloc::vec![9, 9])
            ]
        );
    }
}
