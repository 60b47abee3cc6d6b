//! Storage: ring buffers, packet queues and the out-of-order assembler, over
//! borrowed or owned (`managed`) slices.
//!
//! Nothing here allocates. Every buffer is built over storage the caller
//! gives (a `&'a mut [T]`, or with the `alloc` feature a `Vec<T>`, through
//! [`managed::ManagedSlice`]), so its memory use is fixed before the first
//! packet; the [`Assembler`] is a fixed-size value whose capacity is a const
//! generic.
//!
//! | type | holds | used by |
//! |---|---|---|
//! | [`RingBuffer`] | a FIFO of elements, with zero-copy chunks, out-of-order writes and reads without dequeuing | TCP send and receive buffers |
//! | [`PacketBuffer`] | a FIFO of variable-size packets, each with a header value, stored contiguously | UDP and ICMP sockets, the loopback device, the ARP queue |
//! | [`Assembler`] | which byte ranges after a point have arrived | TCP out-of-order reassembly, SACK blocks |
//!
//! ```
//! use microps_core::storage::{Assembler, PacketBuffer, PacketMetadata, RingBuffer};
//!
//! let mut bytes = [0u8; 16];
//! let mut ring = RingBuffer::new(&mut bytes[..]);
//! assert_eq!(ring.enqueue_slice(b"abc"), 3);
//!
//! let mut meta = [PacketMetadata::EMPTY; 2];
//! let mut payload = [0u8; 64];
//! let mut packets = PacketBuffer::new(&mut meta[..], &mut payload[..]);
//! packets.enqueue(3, 'x').unwrap().copy_from_slice(b"xyz");
//! let (header, payload) = packets.dequeue().unwrap();
//! assert_eq!((header, &*payload), ('x', &b"xyz"[..]));
//!
//! let mut asm: Assembler<4> = Assembler::new();
//! asm.add(0, 10).unwrap();
//! assert_eq!(asm.remove_front(), 10);
//! ```

use core::fmt;

mod assembler;
mod packet_buffer;
mod ring_buffer;

pub use assembler::{Assembler, TooManyHoles};
pub use packet_buffer::{PacketBuffer, PacketBufferError, PacketMetadata};
pub use ring_buffer::RingBuffer;

/// `copy_within` without its panics: copies the elements `src` to start
/// at `dest`, overlapping or not, skipping any that would fall outside the
/// slice (the tables it moves are a few elements long).
pub(crate) fn move_within<T: Copy>(s: &mut [T], src: core::ops::Range<usize>, dest: usize) {
    let len = src.end.saturating_sub(src.start);
    let mut step = |k: usize| {
        if let Some(v) = s.get(src.start + k).copied()
            && let Some(d) = s.get_mut(dest + k)
        {
            *d = v;
        }
    };
    if dest <= src.start {
        (0..len).for_each(&mut step);
    } else {
        (0..len).rev().for_each(&mut step);
    }
}

/// Copies the first `min(dst.len(), src.len())` bytes of `src` to `dst`
/// and returns how many: `copy_from_slice` without its length-mismatch
/// panic, for the copies whose lengths packet input decides (the compiler
/// sees both sides are `n` long, so no panic path is linked).
pub(crate) fn copy_prefix(dst: &mut [u8], src: &[u8]) -> usize {
    let n = dst.len().min(src.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
        d.copy_from_slice(s);
    }
    n
}

/// A buffer had no room for what was to be enqueued.
///
/// ```
/// use microps_core::storage::{Full, RingBuffer};
///
/// let mut storage = [0u8; 1];
/// let mut ring = RingBuffer::new(&mut storage[..]);
/// ring.enqueue_one().unwrap();
/// assert_eq!(ring.enqueue_one(), Err(Full));
/// assert_eq!(Full.to_string(), "buffer is full");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Full;

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("buffer is full")
    }
}

impl core::error::Error for Full {}

/// A buffer had nothing to dequeue.
///
/// ```
/// use microps_core::storage::{Empty, RingBuffer};
///
/// let mut storage = [0u8; 1];
/// let mut ring = RingBuffer::new(&mut storage[..]);
/// assert_eq!(ring.dequeue_one(), Err(Empty));
/// assert_eq!(Empty.to_string(), "buffer is empty");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Empty;

impl fmt::Display for Empty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("buffer is empty")
    }
}

impl core::error::Error for Empty {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn move_within_is_copy_within_without_panics() {
        for (src, dest) in [(0..3, 1), (1..4, 0), (2..5, 2), (0..5, 0), (3..3, 1)] {
            let mut a = [1, 2, 3, 4, 5, 6];
            let mut b = a;
            move_within(&mut a, src.clone(), dest);
            b.copy_within(src, dest);
            assert_eq!(a, b);
        }
        // Out of range: what falls outside is skipped, nothing panics.
        let mut a = [1, 2, 3];
        move_within(&mut a, 1..9, 2);
        assert_eq!(a, [1, 2, 2]);
        let mut bytes = [0u8; 3];
        assert_eq!(copy_prefix(&mut bytes, b"abcdef"), 3);
        assert_eq!(&bytes, b"abc");
        assert_eq!(copy_prefix(&mut bytes, b"z"), 1);
        assert_eq!(&bytes, b"zbc");
    }
}
