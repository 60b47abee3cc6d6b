//! A fixed-capacity ring buffer over a borrowed or owned slice.

use core::cmp;
use core::fmt;

use managed::ManagedSlice;

use super::{Empty, Full};

/// A first-in, first-out ring buffer of `T` over caller-provided storage.
///
/// The buffer never allocates: its capacity is the length of the slice it is
/// built over (a `&'a mut [T]`, or with the `alloc` feature a `Vec<T>`).
/// A zero-capacity buffer is valid; every operation on it does nothing and
/// returns zero or an empty slice.
///
/// Besides element-wise and slice-wise queueing it offers what a TCP socket
/// needs:
///
/// * **Zero-copy chunks.** [`enqueue_many_with`](RingBuffer::enqueue_many_with)
///   and [`dequeue_many_with`](RingBuffer::dequeue_many_with) lend the largest
///   contiguous free (or filled) region to a closure.
/// * **Out-of-order writes.** [`write_unallocated`](RingBuffer::write_unallocated)
///   stores data beyond the current end without making it readable;
///   [`enqueue_unallocated`](RingBuffer::enqueue_unallocated) later makes it
///   readable once the gap before it has been filled.
/// * **Reads without dequeuing.** [`read_allocated`](RingBuffer::read_allocated)
///   copies queued data out from any offset (for retransmission) and
///   [`dequeue_allocated`](RingBuffer::dequeue_allocated) drops it once it
///   has been acknowledged.
///
/// No method moves the read position on its own when the buffer becomes
/// empty (so data written beyond the end with `write_unallocated` is never
/// lost); call [`clear`](RingBuffer::clear) on an empty buffer to rewind it
/// and offer the largest contiguous free region again.
///
/// # Example
///
/// ```
/// use microps_core::storage::RingBuffer;
///
/// let mut storage = [0u8; 8];
/// let mut ring = RingBuffer::new(&mut storage[..]);
/// assert_eq!(ring.enqueue_slice(b"hello"), 5);
/// let mut out = [0u8; 3];
/// assert_eq!(ring.dequeue_slice(&mut out), 3);
/// assert_eq!(&out, b"hel");
/// // This one wraps around the end of the storage.
/// assert_eq!(ring.enqueue_slice(b", world"), 6);
/// assert!(ring.is_full());
///
/// // Out-of-order data: write 2 bytes one element past the end, then fill
/// // the gap and make all 3 readable at once.
/// ring.clear();
/// assert_eq!(ring.write_unallocated(1, b"yz"), 2);
/// assert_eq!(ring.len(), 0);
/// assert_eq!(ring.write_unallocated(0, b"x"), 1);
/// assert_eq!(ring.enqueue_unallocated(3), 3);
/// assert_eq!(ring.get_allocated(0, 8), b"xyz");
/// ```
pub struct RingBuffer<'a, T: 'a> {
    storage: ManagedSlice<'a, T>,
    /// Index of the first readable element; always `< capacity`, or 0 for a
    /// zero-capacity buffer.
    read_at: usize,
    /// Number of readable elements; always `<= capacity`.
    length: usize,
}

impl<T> fmt::Debug for RingBuffer<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingBuffer")
            .field("capacity", &self.capacity())
            .field("read_at", &self.read_at)
            .field("len", &self.length)
            .finish()
    }
}

impl<'a, T: 'a> RingBuffer<'a, T> {
    /// A buffer over `storage`, empty. Its capacity is `storage`'s length.
    ///
    /// ```
    /// # use microps_core::storage::RingBuffer;
    /// let mut storage = [0u32; 4];
    /// let ring = RingBuffer::new(&mut storage[..]);
    /// assert_eq!((ring.capacity(), ring.len()), (4, 0));
    /// ```
    pub fn new<S>(storage: S) -> RingBuffer<'a, T>
    where
        S: Into<ManagedSlice<'a, T>>,
    {
        RingBuffer {
            storage: storage.into(),
            read_at: 0,
            length: 0,
        }
    }

    /// Empties the buffer and rewinds it to the start of its storage.
    ///
    /// ```
    /// # use microps_core::storage::RingBuffer;
    /// let mut storage = [0u8; 4];
    /// let mut ring = RingBuffer::new(&mut storage[..]);
    /// ring.enqueue_slice(b"abc");
    /// ring.clear();
    /// assert!(ring.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.read_at = 0;
        self.length = 0;
    }

    /// The number of elements the buffer can hold.
    pub fn capacity(&self) -> usize {
        self.storage.len()
    }

    /// The number of elements queued (readable).
    pub fn len(&self) -> usize {
        self.length
    }

    /// The number of free elements (how many more can be enqueued).
    pub fn window(&self) -> usize {
        self.capacity().saturating_sub(self.length)
    }

    /// The number of free elements that follow the end of the queued data
    /// without wrapping: the size of the chunk
    /// [`enqueue_many_with`](RingBuffer::enqueue_many_with) would lend.
    pub fn contiguous_window(&self) -> usize {
        let write_at = self.write_at();
        cmp::min(self.window(), self.capacity().saturating_sub(write_at))
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Whether nothing more can be enqueued. A zero-capacity buffer is both
    /// empty and full.
    pub fn is_full(&self) -> bool {
        self.window() == 0
    }

    /// `(base + offset) % capacity` without overflow, for `base < capacity`
    /// (or any `base` when the capacity is 0, which yields 0).
    fn wrap(&self, base: usize, offset: usize) -> usize {
        let capacity = self.capacity();
        let offset = match offset.checked_rem(capacity) {
            Some(offset) => offset,
            None => return 0,
        };
        let room = capacity.saturating_sub(base);
        if offset >= room {
            offset - room
        } else {
            base + offset
        }
    }

    /// The storage index right after the last queued element.
    fn write_at(&self) -> usize {
        self.wrap(self.read_at, self.length)
    }

    /// `storage[start..start + len]`, or an empty slice if out of range
    /// (which the callers' arithmetic rules out).
    fn chunk(&self, start: usize, len: usize) -> &[T] {
        start
            .checked_add(len)
            .and_then(|end| self.storage.get(start..end))
            .unwrap_or(&[])
    }

    /// `storage[start..start + len]`, mutably; see [`RingBuffer::chunk`].
    fn chunk_mut(&mut self, start: usize, len: usize) -> &mut [T] {
        match start.checked_add(len) {
            Some(end) => self.storage.get_mut(start..end).unwrap_or(&mut []),
            None => &mut [],
        }
    }

    /// Makes room for one element at the end and returns it, for the caller
    /// to overwrite; fails if the buffer is full.
    ///
    /// ```
    /// # use microps_core::storage::RingBuffer;
    /// let mut storage = [0u8; 1];
    /// let mut ring = RingBuffer::new(&mut storage[..]);
    /// *ring.enqueue_one().unwrap() = 7;
    /// assert!(ring.enqueue_one().is_err());
    /// assert_eq!(*ring.dequeue_one().unwrap(), 7);
    /// ```
    pub fn enqueue_one(&mut self) -> Result<&mut T, Full> {
        if self.is_full() {
            return Err(Full);
        }
        let index = self.write_at();
        self.length += 1;
        self.storage.get_mut(index).ok_or(Full)
    }

    /// Removes the first element and returns it (it stays in the storage
    /// until overwritten); fails if the buffer is empty.
    pub fn dequeue_one(&mut self) -> Result<&mut T, Empty> {
        if self.is_empty() {
            return Err(Empty);
        }
        let index = self.read_at;
        self.read_at = self.wrap(self.read_at, 1);
        self.length -= 1;
        self.storage.get_mut(index).ok_or(Empty)
    }

    /// Lends the largest contiguous free chunk after the end of the queued
    /// data to `f`, which returns how many elements it filled (from the
    /// start of the chunk) and a value of its own. Those elements are
    /// enqueued; a count larger than the chunk is taken as the whole chunk.
    /// Returns the count enqueued and `f`'s value.
    ///
    /// The chunk may be shorter than [`window`](RingBuffer::window) when the
    /// free space wraps around the end of the storage; call again for the
    /// rest.
    ///
    /// ```
    /// # use microps_core::storage::RingBuffer;
    /// let mut storage = [0u8; 8];
    /// let mut ring = RingBuffer::new(&mut storage[..]);
    /// let (n, chunk_len) = ring.enqueue_many_with(|free| {
    ///     free[..3].copy_from_slice(b"abc");
    ///     (3, free.len())
    /// });
    /// assert_eq!((n, chunk_len, ring.len()), (3, 8, 3));
    /// ```
    pub fn enqueue_many_with<'b, R, F>(&'b mut self, f: F) -> (usize, R)
    where
        F: FnOnce(&'b mut [T]) -> (usize, R),
    {
        let write_at = self.write_at();
        let max = self.contiguous_window();
        // The chunk borrows only the `storage` field for `'b`, so the length
        // can still be updated after `f` returns.
        let storage: &'b mut [T] = &mut self.storage;
        let chunk = write_at
            .checked_add(max)
            .and_then(|end| storage.get_mut(write_at..end))
            .unwrap_or(&mut []);
        let (size, result) = f(chunk);
        let size = cmp::min(size, max);
        self.length += size;
        (size, result)
    }

    /// Enqueues up to `size` elements from the contiguous free chunk and
    /// returns them for the caller to overwrite; the slice is shorter than
    /// `size` when the chunk is.
    pub fn enqueue_many(&mut self, size: usize) -> &mut [T] {
        self.enqueue_many_with(|chunk| {
            let size = cmp::min(size, chunk.len());
            let (head, _) = chunk.split_at_mut(size);
            (size, head)
        })
        .1
    }

    /// Lends the largest contiguous chunk of queued data (from the front) to
    /// `f`, which returns how many elements it consumed and a value of its
    /// own. Those elements are dequeued; a count larger than the chunk is
    /// taken as the whole chunk. Returns the count dequeued and `f`'s value.
    ///
    /// ```
    /// # use microps_core::storage::RingBuffer;
    /// let mut storage = [0u8; 8];
    /// let mut ring = RingBuffer::new(&mut storage[..]);
    /// ring.enqueue_slice(b"abcdef");
    /// let (n, first) = ring.dequeue_many_with(|data| (2, data[0]));
    /// assert_eq!((n, first, ring.len()), (2, b'a', 4));
    /// ```
    pub fn dequeue_many_with<'b, R, F>(&'b mut self, f: F) -> (usize, R)
    where
        F: FnOnce(&'b mut [T]) -> (usize, R),
    {
        let read_at = self.read_at;
        let capacity = self.capacity();
        let max = cmp::min(self.length, capacity.saturating_sub(read_at));
        // The chunk borrows only the `storage` field for `'b`.
        let storage: &'b mut [T] = &mut self.storage;
        let chunk = read_at
            .checked_add(max)
            .and_then(|end| storage.get_mut(read_at..end))
            .unwrap_or(&mut []);
        let (size, result) = f(chunk);
        let size = cmp::min(size, max);
        let room = capacity.saturating_sub(read_at);
        // `size <= room`, so this is `(read_at + size) % capacity`.
        self.read_at = if size >= room { 0 } else { read_at + size };
        self.length -= size;
        (size, result)
    }

    /// Dequeues up to `size` elements from the contiguous chunk at the front
    /// and returns them; the slice is shorter than `size` when the chunk is.
    pub fn dequeue_many(&mut self, size: usize) -> &mut [T] {
        self.dequeue_many_with(|chunk| {
            let size = cmp::min(size, chunk.len());
            let (head, _) = chunk.split_at_mut(size);
            (size, head)
        })
        .1
    }

    /// A slice of the free space, starting `offset` elements after the end
    /// of the queued data and at most `size` long, without enqueuing it. It
    /// is shorter than `size` where the free space ends or wraps around the
    /// end of the storage, and empty if `offset` is at or beyond the window.
    pub fn get_unallocated(&mut self, offset: usize, size: usize) -> &mut [T] {
        let window = self.window();
        if offset >= window {
            return &mut [];
        }
        let start = self.wrap(self.write_at(), offset);
        let size = cmp::min(
            cmp::min(size, window - offset),
            self.capacity().saturating_sub(start),
        );
        self.chunk_mut(start, size)
    }

    /// The free region `offset` elements after the end of the queued data,
    /// at most `size` long, as up to two storage ranges `(start, len)` (the
    /// second one wraps to the start of the storage).
    fn unallocated_parts(&self, offset: usize, size: usize) -> [(usize, usize); 2] {
        let window = self.window();
        if offset >= window {
            return [(0, 0); 2];
        }
        let size = cmp::min(size, window - offset);
        let start = self.wrap(self.write_at(), offset);
        let first = cmp::min(size, self.capacity().saturating_sub(start));
        // The rest (if any) wraps to the start of the storage.
        [(start, first), (0, size - first)]
    }

    /// The queued region `offset` elements from the front, at most `size`
    /// long, as up to two storage ranges `(start, len)`.
    fn allocated_parts(&self, offset: usize, size: usize) -> [(usize, usize); 2] {
        if offset >= self.length {
            return [(0, 0); 2];
        }
        let size = cmp::min(size, self.length - offset);
        let start = self.wrap(self.read_at, offset);
        let first = cmp::min(size, self.capacity().saturating_sub(start));
        [(start, first), (0, size - first)]
    }

    /// Makes `count` elements of the free space that follows the queued data
    /// readable, without writing them (they were written with
    /// [`write_unallocated`](RingBuffer::write_unallocated)). A count larger
    /// than the window is taken as the window. Returns the count enqueued.
    pub fn enqueue_unallocated(&mut self, count: usize) -> usize {
        let count = cmp::min(count, self.window());
        self.length += count;
        count
    }

    /// A slice of the queued data, starting `offset` elements from the front
    /// and at most `size` long, without dequeuing it. It is shorter than
    /// `size` where the data ends or wraps around the end of the storage,
    /// and empty if `offset` is at or beyond the end of the data.
    pub fn get_allocated(&self, offset: usize, size: usize) -> &[T] {
        let [(start, len), _] = self.allocated_parts(offset, size);
        self.chunk(start, len)
    }

    /// Like [`get_allocated`](RingBuffer::get_allocated), mutably: to patch
    /// queued data in place.
    pub fn get_allocated_mut(&mut self, offset: usize, size: usize) -> &mut [T] {
        let [(start, len), _] = self.allocated_parts(offset, size);
        self.chunk_mut(start, len)
    }

    /// Drops up to `count` elements from the front without reading them.
    /// Returns the count dropped.
    pub fn dequeue_allocated(&mut self, count: usize) -> usize {
        let count = cmp::min(count, self.length);
        self.read_at = self.wrap(self.read_at, count);
        self.length -= count;
        count
    }
}

impl<'a, T: 'a + Copy> RingBuffer<'a, T> {
    /// Enqueues as much of `data` as fits (wrapping around the end of the
    /// storage as needed) and returns how much that was.
    pub fn enqueue_slice(&mut self, data: &[T]) -> usize {
        let mut done: usize = 0;
        // At most two rounds: up to the end of the storage, then from its
        // start.
        for _ in 0..2 {
            let rest = data.get(done..).unwrap_or(&[]);
            let (n, ()) = self.enqueue_many_with(|chunk| {
                let n = cmp::min(chunk.len(), rest.len());
                if let (Some(dst), Some(src)) = (chunk.get_mut(..n), rest.get(..n)) {
                    dst.copy_from_slice(src);
                }
                (n, ())
            });
            done += n;
        }
        done
    }

    /// Dequeues as much as fits into `data` (wrapping around the end of the
    /// storage as needed) and returns how much that was.
    pub fn dequeue_slice(&mut self, data: &mut [T]) -> usize {
        let mut done: usize = 0;
        for _ in 0..2 {
            let rest = data.get_mut(done..).unwrap_or(&mut []);
            let (n, ()) = self.dequeue_many_with(|chunk| {
                let n = cmp::min(chunk.len(), rest.len());
                if let (Some(dst), Some(src)) = (rest.get_mut(..n), chunk.get(..n)) {
                    dst.copy_from_slice(src);
                }
                (n, ())
            });
            done += n;
        }
        done
    }

    /// Writes as much of `data` as fits into the free space starting
    /// `offset` elements after the end of the queued data, without enqueuing
    /// it (wrapping around the end of the storage as needed). Returns how
    /// much was written: TCP's out-of-order segments go here.
    pub fn write_unallocated(&mut self, offset: usize, data: &[T]) -> usize {
        let parts = self.unallocated_parts(offset, data.len());
        let mut done: usize = 0;
        for (start, len) in parts {
            let src = data.get(done..done.saturating_add(len)).unwrap_or(&[]);
            let dst = self.chunk_mut(start, src.len());
            if dst.len() == src.len() {
                dst.copy_from_slice(src);
                done += len;
            }
        }
        done
    }

    /// Copies queued data starting `offset` elements from the front into
    /// `data`, as much as fits and exists, without dequeuing it (wrapping
    /// around the end of the storage as needed). Returns how much was
    /// copied: TCP's retransmissions read from here.
    pub fn read_allocated(&self, offset: usize, data: &mut [T]) -> usize {
        let parts = self.allocated_parts(offset, data.len());
        let mut done: usize = 0;
        for (start, len) in parts {
            let src = self.chunk(start, len);
            if let Some(dst) = data.get_mut(done..done.saturating_add(src.len())) {
                dst.copy_from_slice(src);
                done += src.len();
            }
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::VecDeque;
    use alloc::vec;
    use alloc::vec::Vec;

    /// A small xorshift generator for the model tests.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            if n == 0 {
                0
            } else {
                (self.next() % n as u64) as usize
            }
        }
    }

    #[test]
    fn one_at_a_time() {
        let mut storage = [0u32; 3];
        let mut ring = RingBuffer::new(&mut storage[..]);
        assert!(ring.is_empty());
        assert_eq!(ring.dequeue_one(), Err(Empty));
        for round in 0..10u32 {
            *ring.enqueue_one().unwrap() = round;
            *ring.enqueue_one().unwrap() = round + 100;
            assert_eq!(ring.len(), 2);
            assert_eq!(ring.window(), 1);
            assert_eq!(*ring.dequeue_one().unwrap(), round);
            assert_eq!(*ring.dequeue_one().unwrap(), round + 100);
            assert!(ring.is_empty());
        }
        for i in 0..3 {
            *ring.enqueue_one().unwrap() = i;
        }
        assert!(ring.is_full());
        assert_eq!(ring.enqueue_one(), Err(Full));
        assert_eq!(ring.len(), 3);
    }

    #[test]
    fn zero_capacity() {
        let mut ring: RingBuffer<'_, u8> = RingBuffer::new(&mut [][..]);
        assert_eq!(ring.capacity(), 0);
        assert!(ring.is_empty());
        assert!(ring.is_full());
        assert_eq!(ring.window(), 0);
        assert_eq!(ring.contiguous_window(), 0);
        assert_eq!(ring.enqueue_one(), Err(Full));
        assert_eq!(ring.dequeue_one(), Err(Empty));
        assert_eq!(ring.enqueue_slice(b"abc"), 0);
        assert_eq!(ring.dequeue_slice(&mut [0; 3]), 0);
        assert_eq!(ring.enqueue_many_with(|c| (c.len() + 5, c.len())), (0, 0));
        assert_eq!(ring.dequeue_many_with(|c| (5, c.len())), (0, 0));
        assert!(ring.enqueue_many(4).is_empty());
        assert!(ring.dequeue_many(4).is_empty());
        assert!(ring.get_unallocated(0, 4).is_empty());
        assert_eq!(ring.write_unallocated(0, b"ab"), 0);
        assert_eq!(ring.enqueue_unallocated(2), 0);
        assert!(ring.get_allocated(0, 4).is_empty());
        assert!(ring.get_allocated_mut(0, 4).is_empty());
        assert_eq!(ring.read_allocated(0, &mut [0; 2]), 0);
        assert_eq!(ring.dequeue_allocated(2), 0);
        ring.clear();
        assert_eq!(ring.len(), 0);
    }

    #[test]
    fn many_with_wraps_in_two_chunks() {
        let mut storage = [0u8; 8];
        let mut ring = RingBuffer::new(&mut storage[..]);
        assert_eq!(ring.enqueue_slice(b"abcdef"), 6);
        assert_eq!(ring.dequeue_slice(&mut [0; 4]), 4);
        // Free: storage[6..8] then storage[0..4].
        assert_eq!(ring.contiguous_window(), 2);
        let (n, len) = ring.enqueue_many_with(|c| {
            c.copy_from_slice(b"gh");
            (c.len(), c.len())
        });
        assert_eq!((n, len), (2, 2));
        let (n, len) = ring.enqueue_many_with(|c| {
            c[..3].copy_from_slice(b"ijk");
            (3, c.len())
        });
        assert_eq!((n, len), (3, 4));
        assert_eq!(ring.len(), 7);
        // Data: storage[4..8] = "efgh", storage[0..3] = "ijk".
        let (n, s) = ring.dequeue_many_with(|c| (c.len(), c.to_vec()));
        assert_eq!((n, s.as_slice()), (4, &b"efgh"[..]));
        let (n, s) = ring.dequeue_many_with(|c| (c.len(), c.to_vec()));
        assert_eq!((n, s.as_slice()), (3, &b"ijk"[..]));
        assert!(ring.is_empty());
    }

    #[test]
    fn many_with_clamps_oversized_counts() {
        let mut storage = [0u8; 4];
        let mut ring = RingBuffer::new(&mut storage[..]);
        assert_eq!(ring.enqueue_many_with(|c| (c.len() + 10, ())).0, 4);
        assert!(ring.is_full());
        assert_eq!(ring.dequeue_many_with(|c| (c.len() + 10, ())).0, 4);
        assert!(ring.is_empty());
        assert_eq!(ring.enqueue_many_with(|_| (usize::MAX, ())).0, 4);
        assert_eq!(ring.dequeue_many(usize::MAX).len(), 4);
    }

    #[test]
    fn slices_wrap_around() {
        let mut storage = [0u8; 5];
        let mut ring = RingBuffer::new(&mut storage[..]);
        let mut out = [0u8; 5];
        for start in 0..20u8 {
            let data: Vec<u8> = (start..start + 4).collect();
            assert_eq!(ring.enqueue_slice(&data), 4);
            assert_eq!(ring.enqueue_slice(&[9, 9]), 1);
            assert_eq!(ring.dequeue_slice(&mut out[..4]), 4);
            assert_eq!(&out[..4], &data[..]);
            assert_eq!(ring.dequeue_slice(&mut out), 1);
            assert_eq!(out[0], 9);
        }
    }

    #[test]
    fn unallocated_out_of_order() {
        let mut storage = [0u8; 8];
        let mut ring = RingBuffer::new(&mut storage[..]);
        assert_eq!(ring.enqueue_slice(b"abcde"), 5);
        assert_eq!(ring.dequeue_slice(&mut [0; 5]), 5);
        // read_at = 5, empty; write "hijk" at offset 2 (wraps at 8).
        assert_eq!(ring.write_unallocated(2, b"hijk"), 4);
        assert_eq!(ring.len(), 0);
        assert_eq!(ring.get_unallocated(2, 10), b"h");
        // Beyond the window nothing is written; partially beyond, truncated.
        assert_eq!(ring.write_unallocated(8, b"z"), 0);
        assert_eq!(ring.write_unallocated(6, b"lmn"), 2);
        assert_eq!(ring.write_unallocated(0, b"fg"), 2);
        assert_eq!(ring.enqueue_unallocated(100), 8);
        assert!(ring.is_full());
        let mut out = [0u8; 8];
        assert_eq!(ring.dequeue_slice(&mut out), 8);
        assert_eq!(&out, b"fghijklm");
    }

    #[test]
    fn allocated_reads_without_dequeuing() {
        let mut storage = [0u8; 6];
        let mut ring = RingBuffer::new(&mut storage[..]);
        ring.enqueue_slice(b"xxxx");
        ring.dequeue_allocated(4);
        ring.enqueue_slice(b"abcdef");
        // Data: storage[4..6] = "ab", storage[0..4] = "cdef".
        assert_eq!(ring.get_allocated(0, 6), b"ab");
        assert_eq!(ring.get_allocated(1, 6), b"b");
        assert_eq!(ring.get_allocated(2, 3), b"cde");
        assert_eq!(ring.get_allocated(6, 3), b"");
        let mut out = [0u8; 6];
        assert_eq!(ring.read_allocated(1, &mut out), 5);
        assert_eq!(&out[..5], b"bcdef");
        assert_eq!(ring.read_allocated(1, &mut out[..2]), 2);
        assert_eq!(&out[..2], b"bc");
        assert_eq!(ring.read_allocated(7, &mut out), 0);
        ring.get_allocated_mut(3, 1)[0] = b'D';
        assert_eq!(ring.len(), 6);
        assert_eq!(ring.dequeue_allocated(3), 3);
        assert_eq!(ring.get_allocated(0, 6), b"Def");
        assert_eq!(ring.dequeue_allocated(10), 3);
        assert!(ring.is_empty());
    }

    #[test]
    fn wrap_does_not_overflow() {
        let mut storage = [0u8; 7];
        let mut ring = RingBuffer::new(&mut storage[..]);
        ring.enqueue_slice(b"abc");
        ring.dequeue_allocated(2);
        assert!(ring.get_unallocated(usize::MAX, usize::MAX).is_empty());
        assert!(ring.get_allocated(usize::MAX, usize::MAX).is_empty());
        assert_eq!(ring.get_allocated(0, usize::MAX), b"c");
        assert_eq!(ring.get_unallocated(0, usize::MAX).len(), 4);
        assert_eq!(ring.write_unallocated(usize::MAX, b"x"), 0);
        assert_eq!(ring.read_allocated(usize::MAX, &mut [0; 1]), 0);
    }

    #[test]
    #[cfg(feature = "alloc")]
    fn owned_storage() {
        let mut ring = RingBuffer::new(vec![0u8; 4]);
        assert_eq!(ring.enqueue_slice(b"abcdef"), 4);
        assert_eq!(ring.capacity(), 4);
        assert!(ring.is_full());
    }

    #[test]
    fn debug_does_not_dump_storage() {
        let mut storage = [0u8; 4];
        let ring = RingBuffer::new(&mut storage[..]);
        assert_eq!(
            alloc::format!("{ring:?}"),
            "RingBuffer { capacity: 4, read_at: 0, len: 0 }"
        );
    }

    /// Random operations against a `VecDeque` model, with out-of-order data
    /// checked against a shadow of the free space.
    #[test]
    fn random_against_model() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for capacity in 0..12usize {
            let mut storage = vec![0u8; capacity];
            let mut ring = RingBuffer::new(&mut storage[..]);
            let mut model: VecDeque<u8> = VecDeque::new();
            // Bytes written past the end, as `offset -> value`.
            let mut shadow: Vec<Option<u8>> = vec![None; capacity];
            let mut counter = 0u8;
            for _ in 0..3000 {
                counter = counter.wrapping_add(1);
                match rng.below(9) {
                    0 => {
                        let n = rng.below(capacity + 3);
                        let data: Vec<u8> = (0..n).map(|i| counter.wrapping_add(i as u8)).collect();
                        let done = ring.enqueue_slice(&data);
                        assert_eq!(done, n.min(capacity - model.len()));
                        model.extend(&data[..done]);
                        shadow.clear();
                        shadow.resize(capacity, None);
                    }
                    1 => {
                        let n = rng.below(capacity + 3);
                        let mut out = vec![0u8; n];
                        let done = ring.dequeue_slice(&mut out);
                        assert_eq!(done, n.min(model.len()));
                        let expected: Vec<u8> = model.drain(..done).collect();
                        assert_eq!(&out[..done], &expected[..]);
                        shadow.clear();
                        shadow.resize(capacity, None);
                    }
                    2 => match ring.enqueue_one() {
                        Ok(slot) => {
                            *slot = counter;
                            model.push_back(counter);
                            shadow.clear();
                            shadow.resize(capacity, None);
                        }
                        Err(Full) => assert_eq!(model.len(), capacity),
                    },
                    3 => match ring.dequeue_one() {
                        Ok(v) => assert_eq!(Some(*v), model.pop_front()),
                        Err(Empty) => assert!(model.is_empty()),
                    },
                    4 => {
                        let window = capacity - model.len();
                        let offset = rng.below(window + 2);
                        let n = rng.below(capacity + 2);
                        let data: Vec<u8> = (0..n).map(|i| counter ^ (i as u8)).collect();
                        let done = ring.write_unallocated(offset, &data);
                        let expected = if offset >= window {
                            0
                        } else {
                            n.min(window - offset)
                        };
                        assert_eq!(done, expected);
                        for (i, v) in data[..done].iter().enumerate() {
                            shadow[offset + i] = Some(*v);
                        }
                    }
                    5 => {
                        // Make the written prefix of the free space readable.
                        let n = shadow.iter().take_while(|v| v.is_some()).count();
                        let n = rng.below(n + 1);
                        assert_eq!(ring.enqueue_unallocated(n), n);
                        model.extend(shadow.drain(..n).map(|v| v.unwrap()));
                        shadow.resize(capacity, None);
                    }
                    6 => {
                        let offset = rng.below(capacity + 2);
                        let n = rng.below(capacity + 2);
                        let mut out = vec![0u8; n];
                        let done = ring.read_allocated(offset, &mut out);
                        let expected: Vec<u8> =
                            model.iter().skip(offset).take(n).copied().collect();
                        assert_eq!(&out[..done], &expected[..]);
                        let chunk = ring.get_allocated(offset, n);
                        assert_eq!(chunk, &expected[..chunk.len()]);
                    }
                    7 => {
                        let n = rng.below(capacity + 2);
                        let done = ring.dequeue_allocated(n);
                        assert_eq!(done, n.min(model.len()));
                        model.drain(..done);
                        shadow.clear();
                        shadow.resize(capacity, None);
                    }
                    _ => {
                        if ring.is_empty() && rng.below(2) == 0 {
                            ring.clear();
                            shadow.clear();
                            shadow.resize(capacity, None);
                        }
                        let (n, chunk_len) = ring.dequeue_many_with(|c| {
                            let n = c.len() / 2 + 1;
                            (n, c.len())
                        });
                        assert_eq!(n, chunk_len.min(chunk_len / 2 + 1));
                        assert!(n <= model.len());
                        model.drain(..n);
                        if n > 0 {
                            shadow.clear();
                            shadow.resize(capacity, None);
                        }
                    }
                }
                assert_eq!(ring.len(), model.len());
                assert_eq!(ring.window(), capacity - model.len());
                assert!(ring.contiguous_window() <= ring.window());
                assert!(ring.contiguous_window() > 0 || ring.window() == 0);
                let mut all = vec![0u8; capacity];
                let n = ring.read_allocated(0, &mut all);
                assert!(all[..n].iter().eq(model.iter()));
            }
        }
    }
}
