//! A queue of variable-size packets, each with a header value.

use core::fmt;

use managed::ManagedSlice;

use super::{Empty, RingBuffer};

/// The size and header of one packet in a [`PacketBuffer`], or of the
/// padding that keeps the next packet contiguous.
///
/// Metadata storage for a buffer of `N` packets is `[PacketMetadata::EMPTY;
/// N]`.
///
/// # Example
///
/// ```
/// use microps_core::storage::PacketMetadata;
///
/// let storage: [PacketMetadata<u16>; 4] = [PacketMetadata::EMPTY; 4];
/// assert_eq!(storage.len(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketMetadata<H> {
    size: usize,
    /// `None` marks padding: bytes skipped at the end of the payload storage
    /// because the next packet did not fit there.
    header: Option<H>,
}

impl<H> PacketMetadata<H> {
    /// An unused metadata slot, to initialise storage with.
    pub const EMPTY: PacketMetadata<H> = PacketMetadata {
        size: 0,
        header: None,
    };

    fn padding(size: usize) -> PacketMetadata<H> {
        PacketMetadata { size, header: None }
    }

    fn packet(size: usize, header: H) -> PacketMetadata<H> {
        PacketMetadata {
            size,
            header: Some(header),
        }
    }

    fn is_padding(&self) -> bool {
        self.header.is_none()
    }
}

/// Why a packet could not be enqueued.
///
/// ```
/// use microps_core::storage::{PacketBuffer, PacketBufferError, PacketMetadata};
///
/// let mut meta = [PacketMetadata::EMPTY; 1];
/// let mut payload = [0u8; 8];
/// let mut queue = PacketBuffer::new(&mut meta[..], &mut payload[..]);
/// assert_eq!(queue.enqueue(9, ()), Err(PacketBufferError::TooLarge));
/// queue.enqueue(4, ()).unwrap();
/// assert_eq!(queue.enqueue(4, ()), Err(PacketBufferError::Full));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PacketBufferError {
    /// No metadata slot is free, or not enough contiguous payload space is
    /// free right now; it may fit after packets are dequeued.
    Full,
    /// The packet is larger than the whole payload storage: it can never
    /// fit.
    TooLarge,
}

impl fmt::Display for PacketBufferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacketBufferError::Full => f.write_str("packet buffer is full"),
            PacketBufferError::TooLarge => {
                f.write_str("packet is larger than the packet buffer's payload storage")
            }
        }
    }
}

impl core::error::Error for PacketBufferError {}

/// A first-in, first-out queue of variable-size packets, each with a header
/// value `H` (a destination address, an endpoint, or `()`).
///
/// Built over two caller-provided stores: one [`PacketMetadata`] slot per
/// packet, and the payload bytes of all packets. Each packet's payload is
/// contiguous, so it is lent as one `&mut [u8]`: when a packet would wrap
/// around the end of the payload storage, the bytes up to the end are
/// skipped with a padding entry (which takes a metadata slot of its own) and
/// the packet starts at the beginning. When the queue becomes empty, its next
/// packet starts at the beginning of the storage again, so any packet up to
/// the payload capacity fits into an empty queue.
///
/// # Example
///
/// ```
/// use microps_core::storage::{Empty, PacketBuffer, PacketBufferError, PacketMetadata};
///
/// let mut meta = [PacketMetadata::EMPTY; 4];
/// let mut payload = [0u8; 16];
/// let mut queue: PacketBuffer<'_, u16> = PacketBuffer::new(&mut meta[..], &mut payload[..]);
///
/// queue.enqueue(5, 7).unwrap().copy_from_slice(b"hello");
/// queue.enqueue_with(10, 8, |buf| { buf[..2].copy_from_slice(b"hi"); (2, ()) }).unwrap();
/// assert_eq!(queue.enqueue(17, 9), Err(PacketBufferError::TooLarge));
/// assert_eq!(queue.packet_count(), 2);
///
/// assert_eq!(queue.peek().unwrap(), (&7, &b"hello"[..]));
/// let (header, payload) = queue.dequeue().unwrap();
/// assert_eq!((header, &*payload), (7, &b"hello"[..]));
/// let (header, payload) = queue.dequeue().unwrap();
/// assert_eq!((header, &*payload), (8, &b"hi"[..]));
/// assert_eq!(queue.dequeue(), Err(Empty));
/// ```
#[derive(Debug)]
pub struct PacketBuffer<'a, H: 'a> {
    metadata_ring: RingBuffer<'a, PacketMetadata<H>>,
    payload_ring: RingBuffer<'a, u8>,
    /// Packets queued, not counting padding entries.
    packets: usize,
}

impl<'a, H: Copy + 'a> PacketBuffer<'a, H> {
    /// A queue over `metadata_storage` (one slot per packet, plus one per
    /// padding entry) and `payload_storage` (the bytes of all packets).
    ///
    /// ```
    /// # use microps_core::storage::{PacketBuffer, PacketMetadata};
    /// let mut meta = [PacketMetadata::EMPTY; 8];
    /// let mut payload = [0u8; 1500];
    /// let queue: PacketBuffer<'_, ()> = PacketBuffer::new(&mut meta[..], &mut payload[..]);
    /// assert_eq!((queue.metadata_capacity(), queue.payload_capacity()), (8, 1500));
    /// ```
    pub fn new<MS, PS>(metadata_storage: MS, payload_storage: PS) -> PacketBuffer<'a, H>
    where
        MS: Into<ManagedSlice<'a, PacketMetadata<H>>>,
        PS: Into<ManagedSlice<'a, u8>>,
    {
        PacketBuffer {
            metadata_ring: RingBuffer::new(metadata_storage),
            payload_ring: RingBuffer::new(payload_storage),
            packets: 0,
        }
    }

    /// Drops every queued packet.
    pub fn clear(&mut self) {
        self.metadata_ring.clear();
        self.payload_ring.clear();
        self.packets = 0;
    }

    /// The number of packets queued.
    pub fn packet_count(&self) -> usize {
        self.packets
    }

    /// Whether no packet is queued.
    pub fn is_empty(&self) -> bool {
        self.packets == 0
    }

    /// Whether no packet of one byte or more can be enqueued right now: all
    /// metadata slots, or all payload bytes, are in use.
    pub fn is_full(&self) -> bool {
        self.metadata_ring.is_full() || self.payload_ring.is_full()
    }

    /// The size of the payload storage: the largest packet the queue can
    /// ever hold.
    pub fn payload_capacity(&self) -> usize {
        self.payload_ring.capacity()
    }

    /// The payload bytes in use, including padding skipped at the end of the
    /// storage.
    pub fn payload_bytes_used(&self) -> usize {
        self.payload_ring.len()
    }

    /// The number of metadata slots: the most packets the queue can hold.
    pub fn metadata_capacity(&self) -> usize {
        self.metadata_ring.capacity()
    }

    /// Decides where a packet of `size` bytes goes: returns the padding to
    /// insert before it (0 if none), or why it does not fit. Changes nothing
    /// except rewinding an empty queue.
    fn plan(&mut self, size: usize) -> Result<usize, PacketBufferError> {
        if size > self.payload_ring.capacity() {
            return Err(PacketBufferError::TooLarge);
        }
        if self.metadata_ring.is_full() {
            return Err(PacketBufferError::Full);
        }
        if self.metadata_ring.is_empty() {
            // No packets and so no padding either: start at the beginning of
            // the storage, where the whole capacity is contiguous.
            self.metadata_ring.clear();
            self.payload_ring.clear();
        }
        let contiguous = self.payload_ring.contiguous_window();
        if size <= contiguous {
            return Ok(0);
        }
        // The free space runs to the end of the storage and continues at its
        // start; skip the tail if the packet fits at the start and there is
        // a metadata slot for the padding too.
        let at_start = self.payload_ring.window().saturating_sub(contiguous);
        if size <= at_start && self.metadata_ring.window() >= 2 {
            Ok(contiguous)
        } else {
            Err(PacketBufferError::Full)
        }
    }

    /// Records a padding entry (if `padding > 0`) and a packet of `size`
    /// bytes, whose payload has already been written after the padding.
    fn commit(&mut self, padding: usize, size: usize, header: H) {
        if padding > 0
            && let Ok(slot) = self.metadata_ring.enqueue_one()
        {
            *slot = PacketMetadata::padding(padding);
            self.payload_ring.enqueue_unallocated(padding);
        }
        if let Ok(slot) = self.metadata_ring.enqueue_one() {
            *slot = PacketMetadata::packet(size, header);
            self.payload_ring.enqueue_unallocated(size);
            self.packets += 1;
        }
    }

    /// Enqueues a packet of `size` bytes with `header` and returns its
    /// payload for the caller to fill.
    ///
    /// Fails with [`PacketBufferError::TooLarge`] if `size` exceeds the
    /// payload capacity, and with [`PacketBufferError::Full`] if no metadata
    /// slot or not enough contiguous payload space is free; nothing changes
    /// on failure.
    pub fn enqueue(&mut self, size: usize, header: H) -> Result<&mut [u8], PacketBufferError> {
        let padding = self.plan(size)?;
        self.commit(padding, size, header);
        let offset = self.payload_ring.len().saturating_sub(size);
        Ok(self.payload_ring.get_allocated_mut(offset, size))
    }

    /// Lends `f` a payload buffer of `max_size` bytes; `f` writes the packet
    /// from its start and returns the packet's actual size (larger values
    /// are taken as `max_size`) and a value of its own, which is returned.
    /// The packet is enqueued with `header` and that size.
    ///
    /// Fails as [`enqueue`](PacketBuffer::enqueue) does for `max_size`,
    /// without calling `f`.
    pub fn enqueue_with<R, F>(
        &mut self,
        max_size: usize,
        header: H,
        f: F,
    ) -> Result<R, PacketBufferError>
    where
        F: FnOnce(&mut [u8]) -> (usize, R),
    {
        let padding = self.plan(max_size)?;
        let (size, result) = f(self.payload_ring.get_unallocated(padding, max_size));
        self.commit(padding, size.min(max_size), header);
        Ok(result)
    }

    /// Drops a padding entry at the front, if any.
    fn skip_padding(&mut self) {
        let size = match self.metadata_ring.get_allocated(0, 1).first() {
            Some(meta) if meta.is_padding() => meta.size,
            _ => return,
        };
        self.metadata_ring.dequeue_allocated(1);
        self.payload_ring.dequeue_allocated(size);
    }

    /// Where the first packet is: the offset of its metadata (1 past a
    /// padding entry, else 0) and of its payload from the fronts of the
    /// rings.
    fn front(&self) -> Result<(usize, usize), Empty> {
        let first = self
            .metadata_ring
            .get_allocated(0, 1)
            .first()
            .ok_or(Empty)?;
        if first.is_padding() {
            Ok((1, first.size))
        } else {
            Ok((0, 0))
        }
    }

    /// The first packet's metadata and payload offset; see
    /// [`PacketBuffer::front`].
    fn front_packet(&self) -> Result<(&PacketMetadata<H>, usize), Empty> {
        let (meta_offset, payload_offset) = self.front()?;
        let meta = self
            .metadata_ring
            .get_allocated(meta_offset, 1)
            .first()
            .filter(|m| !m.is_padding())
            .ok_or(Empty)?;
        Ok((meta, payload_offset))
    }

    /// Dequeues the first packet and returns its header and payload (which
    /// stays valid until the queue is used again).
    pub fn dequeue(&mut self) -> Result<(H, &mut [u8]), Empty> {
        self.skip_padding();
        let (&meta, _) = self.front_packet()?;
        let header = meta.header.ok_or(Empty)?;
        self.metadata_ring.dequeue_allocated(1);
        self.packets = self.packets.saturating_sub(1);
        Ok((header, self.payload_ring.dequeue_many(meta.size)))
    }

    /// Calls `f` with the first packet's header and payload, and dequeues the
    /// packet only if `f` returns `Ok`; an `Err` leaves it queued (say, a
    /// reply could not be sent yet). Returns `f`'s result, or [`Empty`] if no
    /// packet is queued.
    ///
    /// ```
    /// # use microps_core::storage::{PacketBuffer, PacketMetadata};
    /// # let mut meta = [PacketMetadata::EMPTY; 2];
    /// # let mut payload = [0u8; 8];
    /// let mut queue = PacketBuffer::new(&mut meta[..], &mut payload[..]);
    /// queue.enqueue(2, 1u8).unwrap().copy_from_slice(b"ok");
    /// let busy: Result<(), &str> = Err("busy");
    /// assert_eq!(queue.dequeue_with(|_, _| busy), Ok(Err("busy")));
    /// assert_eq!(queue.packet_count(), 1);
    /// assert_eq!(queue.dequeue_with(|h, p| Ok::<_, ()>((*h, p.len()))), Ok(Ok((1, 2))));
    /// assert!(queue.is_empty());
    /// ```
    pub fn dequeue_with<'c, R, E, F>(&'c mut self, f: F) -> Result<Result<R, E>, Empty>
    where
        F: FnOnce(&H, &'c mut [u8]) -> Result<R, E>,
    {
        self.skip_padding();
        let (&meta, _) = self.front_packet()?;
        let header = meta.header.ok_or(Empty)?;
        // The payload is lent for `'c`; only the `payload_ring` field stays
        // borrowed, so the metadata can be updated afterwards.
        let (_, result) = self.payload_ring.dequeue_many_with(|chunk| {
            let payload = chunk.get_mut(..meta.size).unwrap_or(&mut []);
            match f(&header, payload) {
                Ok(value) => (meta.size, Ok(value)),
                Err(err) => (0, Err(err)),
            }
        });
        if result.is_ok() {
            self.metadata_ring.dequeue_allocated(1);
            self.packets = self.packets.saturating_sub(1);
        }
        Ok(result)
    }

    /// Calls `f` on every queued packet, front to back, with its header
    /// mutable (to mark it, say); stops early when `f` returns `false`.
    ///
    /// ```
    /// # use microps_core::storage::{PacketBuffer, PacketMetadata};
    /// let mut queue = PacketBuffer::new(vec![PacketMetadata::EMPTY; 4], vec![0u8; 16]);
    /// queue.enqueue(2, 1u8).unwrap();
    /// queue.enqueue(3, 2u8).unwrap();
    /// queue.for_each_mut(|h, p| { *h += 10; p.fill(*h); true });
    /// assert_eq!(queue.dequeue().unwrap(), (11, &mut [11u8, 11][..]));
    /// assert_eq!(queue.dequeue_while(|h| *h == 12), 1);
    /// assert!(queue.is_empty());
    /// ```
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&mut H, &mut [u8]) -> bool) {
        let mut offset = 0usize;
        for i in 0..self.metadata_ring.len() {
            let Some(meta) = self.metadata_ring.get_allocated_mut(i, 1).first_mut() else {
                break;
            };
            let size = meta.size;
            if let Some(header) = meta.header.as_mut() {
                let payload = self.payload_ring.get_allocated_mut(offset, size);
                if !f(header, payload) {
                    break;
                }
            }
            offset = offset.saturating_add(size);
        }
    }

    /// Dequeues packets from the front while `pred` holds for their headers;
    /// returns how many.
    pub fn dequeue_while(&mut self, mut pred: impl FnMut(&H) -> bool) -> usize {
        let mut n = 0;
        loop {
            self.skip_padding();
            match self.front_packet() {
                Ok((meta, _)) if meta.header.as_ref().is_some_and(&mut pred) => {}
                _ => break,
            }
            if self.dequeue().is_err() {
                break;
            }
            n += 1;
        }
        n
    }

    /// The first packet's header and payload, without dequeuing it.
    pub fn peek(&self) -> Result<(&H, &[u8]), Empty> {
        let (meta, offset) = self.front_packet()?;
        let header = meta.header.as_ref().ok_or(Empty)?;
        Ok((header, self.payload_ring.get_allocated(offset, meta.size)))
    }

    /// The first packet's header and payload, mutably, without dequeuing it.
    pub fn peek_mut(&mut self) -> Result<(&H, &mut [u8]), Empty> {
        let (meta_offset, offset) = self.front()?;
        let meta = self
            .metadata_ring
            .get_allocated(meta_offset, 1)
            .first()
            .filter(|m| !m.is_padding())
            .ok_or(Empty)?;
        let header = meta.header.as_ref().ok_or(Empty)?;
        Ok((
            header,
            self.payload_ring.get_allocated_mut(offset, meta.size),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::VecDeque;
    use alloc::vec;
    use alloc::vec::Vec;

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

    fn deq<H: Copy>(queue: &mut PacketBuffer<'_, H>) -> (H, Vec<u8>) {
        let (h, p) = queue.dequeue().unwrap();
        (h, p.to_vec())
    }

    #[test]
    fn fifo_order_and_sizes() {
        let mut meta = [PacketMetadata::EMPTY; 4];
        let mut payload = [0u8; 32];
        let mut queue = PacketBuffer::new(&mut meta[..], &mut payload[..]);
        assert!(queue.is_empty());
        queue.enqueue(3, 1u32).unwrap().copy_from_slice(b"abc");
        queue.enqueue(0, 2).unwrap();
        queue.enqueue(5, 3).unwrap().copy_from_slice(b"defgh");
        assert_eq!(queue.packet_count(), 3);
        assert_eq!(queue.payload_bytes_used(), 8);
        assert_eq!(deq(&mut queue), (1, b"abc".to_vec()));
        assert_eq!(deq(&mut queue), (2, vec![]));
        assert_eq!(deq(&mut queue), (3, b"defgh".to_vec()));
        assert_eq!(queue.dequeue(), Err(Empty));
        assert!(queue.is_empty());
    }

    #[test]
    fn too_large_and_full() {
        let mut meta = [PacketMetadata::EMPTY; 2];
        let mut payload = [0u8; 10];
        let mut queue = PacketBuffer::new(&mut meta[..], &mut payload[..]);
        assert_eq!(queue.enqueue(11, ()), Err(PacketBufferError::TooLarge));
        assert_eq!(queue.enqueue(10, ()).map(|p| p.len()), Ok(10));
        assert!(queue.is_full());
        assert_eq!(queue.enqueue(1, ()), Err(PacketBufferError::Full));
        assert_eq!(queue.enqueue(0, ()).map(|p| p.len()), Ok(0));
        // Out of metadata even for an empty packet.
        assert_eq!(queue.enqueue(0, ()), Err(PacketBufferError::Full));
        queue.dequeue().unwrap();
        queue.dequeue().unwrap();
        // Empty again: the whole capacity is available at once.
        assert_eq!(queue.enqueue(10, ()).map(|p| p.len()), Ok(10));
        assert_eq!(
            alloc::format!(
                "{} / {}",
                PacketBufferError::Full,
                PacketBufferError::TooLarge
            ),
            "packet buffer is full / packet is larger than the packet buffer's payload storage"
        );
    }

    #[test]
    fn padding_keeps_packets_contiguous() {
        let mut meta = [PacketMetadata::EMPTY; 4];
        let mut payload = [0u8; 10];
        let mut queue = PacketBuffer::new(&mut meta[..], &mut payload[..]);
        queue.enqueue(4, 1u8).unwrap().copy_from_slice(b"aaaa");
        queue.enqueue(4, 2).unwrap().copy_from_slice(b"bbbb");
        queue.dequeue().unwrap();
        // 2 bytes free at the end, 4 at the start: pad the end.
        queue.enqueue(3, 3).unwrap().copy_from_slice(b"ccc");
        assert_eq!(queue.payload_bytes_used(), 4 + 2 + 3);
        assert_eq!(queue.packet_count(), 2);
        // Only 1 byte left, at the start.
        assert_eq!(queue.enqueue(2, 4), Err(PacketBufferError::Full));
        assert_eq!(queue.peek().unwrap(), (&2, &b"bbbb"[..]));
        assert_eq!(deq(&mut queue), (2, b"bbbb".to_vec()));
        // The padding is at the front now; peek and dequeue skip it.
        assert_eq!(queue.peek().unwrap(), (&3, &b"ccc"[..]));
        queue.peek_mut().unwrap().1[0] = b'C';
        assert_eq!(deq(&mut queue), (3, b"Ccc".to_vec()));
        assert!(queue.is_empty());
        assert_eq!(queue.payload_bytes_used(), 0);
    }

    #[test]
    fn padding_needs_a_metadata_slot() {
        let mut meta = [PacketMetadata::EMPTY; 2];
        let mut payload = [0u8; 10];
        let mut queue = PacketBuffer::new(&mut meta[..], &mut payload[..]);
        queue.enqueue(8, 1u8).unwrap();
        queue.enqueue(1, 2).unwrap(); // at 8..9
        queue.dequeue().unwrap();
        // 1 byte free at the end, 8 at the start, but only one metadata slot.
        assert_eq!(queue.enqueue(3, 3), Err(PacketBufferError::Full));
        assert_eq!(queue.enqueue(1, 3).map(|p| p.len()), Ok(1));
    }

    #[test]
    fn enqueue_with_shrinks() {
        let mut meta = [PacketMetadata::EMPTY; 4];
        let mut payload = [0u8; 16];
        let mut queue = PacketBuffer::new(&mut meta[..], &mut payload[..]);
        let r = queue.enqueue_with(10, 'a', |buf| {
            assert_eq!(buf.len(), 10);
            buf[..3].copy_from_slice(b"xyz");
            (3, "done")
        });
        assert_eq!(r, Ok("done"));
        assert_eq!(queue.payload_bytes_used(), 3);
        // A size larger than offered is clamped.
        queue
            .enqueue_with(2, 'b', |buf| {
                buf.fill(b'q');
                (99, ())
            })
            .unwrap();
        let mut called = false;
        assert_eq!(
            queue.enqueue_with(17, 'c', |_| {
                called = true;
                (0, ())
            }),
            Err(PacketBufferError::TooLarge)
        );
        assert!(!called);
        assert_eq!(deq(&mut queue), ('a', b"xyz".to_vec()));
        assert_eq!(deq(&mut queue), ('b', b"qq".to_vec()));
    }

    #[test]
    fn dequeue_with_error_keeps_packet() {
        let mut meta = [PacketMetadata::EMPTY; 3];
        let mut payload = [0u8; 8];
        let mut queue = PacketBuffer::new(&mut meta[..], &mut payload[..]);
        assert_eq!(queue.dequeue_with(|_, _| Ok::<(), ()>(())), Err(Empty));
        queue.enqueue(5, 1u8).unwrap().copy_from_slice(b"first");
        queue.dequeue().unwrap();
        queue.enqueue(2, 2).unwrap().copy_from_slice(b"ab"); // 5..7
        queue.enqueue(4, 3).unwrap().copy_from_slice(b"wxyz"); // padded to 0..4
        assert_eq!(
            queue.dequeue_with(|h, p| Ok::<_, ()>((*h, p.to_vec()))),
            Ok(Ok((2, b"ab".to_vec())))
        );
        assert_eq!(queue.dequeue_with(|h, _| Err::<(), _>(*h)), Ok(Err(3)));
        assert_eq!(queue.packet_count(), 1);
        assert_eq!(queue.peek().unwrap(), (&3, &b"wxyz"[..]));
        let payload = queue.dequeue_with(|_, p| Ok::<_, ()>(p)).unwrap().unwrap();
        assert_eq!(payload, b"wxyz");
        assert!(queue.is_empty());
    }

    #[test]
    fn zero_capacity() {
        let mut queue: PacketBuffer<'_, ()> = PacketBuffer::new(&mut [][..], &mut [][..]);
        assert_eq!(queue.enqueue(1, ()), Err(PacketBufferError::TooLarge));
        assert_eq!(queue.enqueue(0, ()), Err(PacketBufferError::Full));
        assert!(queue.is_full());
        assert!(queue.is_empty());
        assert_eq!(queue.dequeue(), Err(Empty));
        assert_eq!(queue.peek(), Err(Empty));
        assert!(queue.peek_mut().is_err());
        let mut meta = [PacketMetadata::EMPTY; 2];
        let mut queue: PacketBuffer<'_, ()> = PacketBuffer::new(&mut meta[..], &mut [][..]);
        assert_eq!(queue.enqueue(0, ()).map(|p| p.len()), Ok(0));
        assert_eq!(queue.dequeue(), Ok(((), &mut [][..])));
        let mut payload = [0u8; 4];
        let mut queue: PacketBuffer<'_, ()> = PacketBuffer::new(&mut [][..], &mut payload[..]);
        assert_eq!(queue.enqueue(1, ()), Err(PacketBufferError::Full));
    }

    /// Random enqueues and dequeues against a `VecDeque` model.
    #[test]
    fn random_against_model() {
        let mut rng = XorShift(0x1234_5678_9abc_def1);
        for meta_cap in 1..6 {
            for payload_cap in [0usize, 1, 7, 16, 33] {
                let mut meta = vec![PacketMetadata::EMPTY; meta_cap];
                let mut payload = vec![0u8; payload_cap];
                let mut queue = PacketBuffer::new(&mut meta[..], &mut payload[..]);
                let mut model: VecDeque<(u32, Vec<u8>)> = VecDeque::new();
                let mut counter = 0u32;
                for _ in 0..2000 {
                    counter += 1;
                    if rng.below(2) == 0 {
                        let size = rng.below(payload_cap + 3);
                        let data: Vec<u8> =
                            (0..size).map(|i| (counter as u8) ^ (i as u8)).collect();
                        match queue.enqueue(size, counter) {
                            Ok(buf) => {
                                buf.copy_from_slice(&data);
                                model.push_back((counter, data));
                            }
                            Err(PacketBufferError::TooLarge) => assert!(size > payload_cap),
                            Err(PacketBufferError::Full) => {
                                assert!(size <= payload_cap);
                                // Refused only if no free contiguous chunk
                                // holds it (with a slot for the padding
                                // when it goes at the start).
                                let contiguous = queue.payload_ring.contiguous_window();
                                let at_start = queue.payload_ring.window() - contiguous;
                                let slots = meta_cap - queue.metadata_ring.len();
                                assert!(
                                    slots == 0
                                        || size > contiguous && (size > at_start || slots < 2)
                                );
                                // An empty queue takes any packet that fits.
                                assert!(!model.is_empty());
                            }
                        }
                    } else {
                        match model.pop_front() {
                            Some((header, data)) => {
                                assert_eq!(queue.peek().unwrap(), (&header, &data[..]));
                                if rng.below(3) == 0 {
                                    let r = queue.dequeue_with(|_, _| Err::<(), ()>(()));
                                    assert_eq!(r, Ok(Err(())));
                                }
                                let (h, p) = queue.dequeue().unwrap();
                                assert_eq!((h, &*p), (header, &data[..]));
                            }
                            None => assert_eq!(queue.dequeue(), Err(Empty)),
                        }
                    }
                    assert_eq!(queue.packet_count(), model.len());
                    let used: usize = model.iter().map(|(_, d)| d.len()).sum();
                    assert!(queue.payload_bytes_used() >= used);
                    assert!(queue.payload_bytes_used() <= payload_cap);
                }
            }
        }
    }
}
