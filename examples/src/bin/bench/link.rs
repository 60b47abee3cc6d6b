//! An in-memory Ethernet link between two stacks in one process: a queue of
//! frames each way and a pool of frame buffers, so that after warm-up no
//! frame allocates. Both stacks' devices are adapters over a [`Port`]:
//! microps's `Device` here, smoltcp's token device in `smol.rs`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use microps_core::phy::{Device, DeviceCapabilities, DeviceError, RxMeta, TxMeta, TxSink};
use microps_core::time::Instant;
use microps_core::wire::{ChecksumCapabilities, EthernetAddress};

/// Frame buffers no queue holds, for reuse.
#[derive(Debug, Default)]
pub struct Pool {
    free: Vec<Vec<u8>>,
}

impl Pool {
    /// A buffer of `len` bytes (zeroed only when new).
    pub fn take(&mut self, len: usize) -> Vec<u8> {
        let mut b = self.free.pop().unwrap_or_default();
        b.resize(len, 0);
        b
    }

    /// Gives a buffer back.
    pub fn give(&mut self, b: Vec<u8>) {
        self.free.push(b);
    }
}

/// The frames in flight one way, and what crossed.
#[derive(Debug, Default)]
pub struct Lane {
    frames: VecDeque<Vec<u8>>,
    /// Frames that crossed.
    pub frames_sent: u64,
    /// Bytes that crossed.
    pub bytes_sent: u64,
    /// Frames of more than 100 bytes (data segments, for the fair-count
    /// check).
    pub data_frames: u64,
}

impl Lane {
    pub fn push(&mut self, frame: Vec<u8>) {
        self.frames_sent += 1;
        self.bytes_sent += frame.len() as u64;
        if frame.len() > 100 {
            self.data_frames += 1;
        }
        self.frames.push_back(frame);
    }

    pub fn pop(&mut self) -> Option<Vec<u8>> {
        self.frames.pop_front()
    }

    /// Frames waiting.
    pub fn len(&self) -> usize {
        self.frames.len()
    }
}

/// One end of the link.
#[derive(Debug, Clone)]
pub struct Port {
    pub rx: Rc<RefCell<Lane>>,
    pub tx: Rc<RefCell<Lane>>,
    pub pool: Rc<RefCell<Pool>>,
    /// The IP MTU.
    pub mtu: usize,
    pub mac: EthernetAddress,
    /// Checksums computed and verified in software (else: offloaded, so
    /// neither stack computes one).
    pub soft_checksums: bool,
}

/// A link's two ends.
pub fn link(mtu: usize, soft_checksums: bool) -> (Port, Port) {
    let ab = Rc::new(RefCell::new(Lane::default()));
    let ba = Rc::new(RefCell::new(Lane::default()));
    let pool = Rc::new(RefCell::new(Pool::default()));
    let port = |rx: &Rc<RefCell<Lane>>, tx: &Rc<RefCell<Lane>>, n: u8| Port {
        rx: rx.clone(),
        tx: tx.clone(),
        pool: pool.clone(),
        mtu,
        mac: EthernetAddress([2, 0, 0, 0, 0, n]),
        soft_checksums,
    };
    (port(&ba, &ab, 1), port(&ab, &ba, 2))
}

impl Port {
    /// Frames this end has sent.
    pub fn sent(&self) -> (u64, u64) {
        let l = self.tx.borrow();
        (l.frames_sent, l.data_frames)
    }

    fn send(&self, len: usize, f: &mut dyn FnMut(&mut [u8])) {
        let mut b = self.pool.borrow_mut().take(len);
        f(&mut b);
        self.tx.borrow_mut().push(b);
    }
}

/// microps's device over a port.
#[derive(Debug)]
pub struct OurPort(pub Port);

impl Device for OurPort {
    fn capabilities(&self) -> DeviceCapabilities {
        let caps = DeviceCapabilities::ethernet(self.0.mtu, self.0.mac);
        if self.0.soft_checksums {
            caps.with_checksum(ChecksumCapabilities::all())
        } else {
            caps.with_checksum(ChecksumCapabilities::ignored())
        }
    }

    fn receive(
        &mut self,
        _now: Instant,
        f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
    ) -> Result<bool, DeviceError> {
        let Some(frame) = self.0.rx.borrow_mut().pop() else {
            return Ok(false);
        };
        let mut sink = PortSink(&self.0);
        f(RxMeta::default(), &frame, &mut sink);
        self.0.pool.borrow_mut().give(frame);
        Ok(true)
    }

    fn transmit(
        &mut self,
        _now: Instant,
        len: usize,
        _meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        self.0.send(len, f);
        Ok(())
    }
}

struct PortSink<'p>(&'p Port);

impl TxSink for PortSink<'_> {
    fn transmit(
        &mut self,
        len: usize,
        _meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        self.0.send(len, f);
        Ok(())
    }
}
