//! IPv4 reassembly (RFC 791 section 3.2, "Fragmentation and Reassembly";
//! RFC 1122 section 3.3.2; RFC 5722's rule for overlaps, applied to IPv4).
//!
//! Fragments are gathered into a fixed number of caller-provided buffers,
//! one datagram per buffer, keyed by (source, destination, protocol,
//! identification) as RFC 791 says. The rules:
//!
//! * a datagram longer than 65535 bytes, or than its buffer, is dropped;
//! * an *exact* duplicate of a fragment already held is dropped alone (it is
//!   what a retransmitting network does);
//! * any other overlap drops the whole datagram: overlapping fragments are
//!   how reassembly attacks work, and no honest sender produces them;
//! * a datagram not complete within the timeout is dropped; if its first
//!   fragment had arrived, the stack answers with ICMP time exceeded, code
//!   1 (RFC 792, RFC 1122 3.3.2);
//! * a fragment is checked on its own (length, multiple of 8, fits a
//!   buffer) *before* it may take a buffer, so a rejected fragment never
//!   costs another datagram its place;
//! * when every buffer is in use, a newcomer takes the buffer of the
//!   datagram that has made no progress for longest, and only if that was
//!   at least [`STALL`] ago; otherwise the newcomer is refused
//!   ([`FragDrop::Busy`]).
//!
//! Why that eviction policy: "evict the oldest" lets N spoofed 8-byte first
//! fragments flush every datagram in progress, and by start time a large
//! legitimate datagram loses to recent junk. A datagram whose fragments keep
//! arriving (each within [`STALL`] of the last, which any live sender does)
//! cannot be evicted at all; junk that stops is evicted after [`STALL`]
//! rather than holding its buffer for the whole timeout. An attacker who
//! keeps feeding fresh fragments to its junk holds buffers only while it
//! keeps sending, at most [`MAX_FRAGMENTS`] fragments and the timeout per
//! datagram. A cap per source would not help against spoofed sources.

use core::fmt;

use managed::ManagedSlice;

use crate::time::{Duration, Instant};
use crate::wire::{IpProtocol, Ipv4Address};

/// Fragments one datagram may have.
pub const MAX_FRAGMENTS: usize = 128;
/// The most of a first fragment kept for an ICMP time exceeded message: its
/// header (up to 60 bytes) and 8 bytes of data.
pub const QUOTE_LEN: usize = 68;
/// The largest IPv4 datagram.
pub const MAX_DATAGRAM: usize = 65535;
/// How long a datagram must have gone without a new fragment before a
/// newcomer may take its buffer.
pub const STALL: Duration = Duration::from_secs(1);

/// The identity of a datagram being reassembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FragKey {
    /// Source address.
    pub src: Ipv4Address,
    /// Destination address.
    pub dst: Ipv4Address,
    /// Protocol.
    pub protocol: IpProtocol,
    /// Identification.
    pub ident: u16,
}

#[derive(Debug, Clone)]
struct Partial {
    key: FragKey,
    started: Instant,
    /// When a fragment last added data.
    progressed: Instant,
    /// The datagram's payload length, once the last fragment is in.
    total: Option<usize>,
    received: usize,
    frags: heapless::Vec<(u16, u16), MAX_FRAGMENTS>,
    /// Header and first 8 data bytes of the first fragment, for ICMP.
    quote: [u8; QUOTE_LEN],
    quote_len: usize,
    /// TTL and TOS of the first fragment (for delivery).
    ttl: u8,
    tos: u8,
}

/// One reassembly buffer. Build the storage array with
/// [`ReassemblyBuffer::new`] over a byte buffer of the largest datagram you
/// accept (65535 for everything IPv4 allows).
#[derive(Debug)]
pub struct ReassemblyBuffer<'a> {
    buffer: ManagedSlice<'a, u8>,
    partial: Option<Partial>,
}

impl<'a> ReassemblyBuffer<'a> {
    /// A buffer over `storage` bytes.
    pub fn new(storage: impl Into<ManagedSlice<'a, u8>>) -> Self {
        ReassemblyBuffer {
            buffer: storage.into(),
            partial: None,
        }
    }

    /// Its capacity in payload bytes.
    pub fn capacity(&self) -> usize {
        self.buffer.len().min(MAX_DATAGRAM)
    }
}

/// What became of a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FragOutcome {
    /// Held; the datagram is not complete yet.
    Held,
    /// Held, as the first fragment of a datagram that took the buffer of a
    /// stalled one (dropped without ICMP).
    HeldEvicting,
    /// The datagram is complete in this buffer: read it with
    /// [`Reassembler::datagram`], then [`Reassembler::release`] it.
    Complete(usize),
    /// An exact duplicate, dropped alone.
    Duplicate,
    /// Dropped, and with it the whole datagram.
    Dropped(FragDrop),
}

/// Why fragments were dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FragDrop {
    /// No reassembly buffers at all.
    NoBuffer,
    /// Longer than 65535 bytes or than the buffer.
    TooLong,
    /// Overlaps a fragment already held without being its duplicate.
    Overlap,
    /// A non-final fragment whose length is not a multiple of 8, or final
    /// fragments that disagree on the length.
    Inconsistent,
    /// More than [`MAX_FRAGMENTS`] fragments.
    TooManyFragments,
    /// A new datagram, with every buffer held by one that progressed within
    /// [`STALL`].
    Busy,
}

impl fmt::Display for FragDrop {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            FragDrop::NoBuffer => "no reassembly buffer",
            FragDrop::TooLong => "datagram too long",
            FragDrop::Overlap => "overlapping fragments",
            FragDrop::Inconsistent => "inconsistent fragments",
            FragDrop::TooManyFragments => "too many fragments",
            FragDrop::Busy => "every reassembly buffer busy",
        })
    }
}

/// A fragment as the IP layer hands it in.
#[derive(Debug, Clone, Copy)]
pub struct Fragment<'p> {
    /// The datagram it belongs to.
    pub key: FragKey,
    /// Its offset in bytes.
    pub offset: usize,
    /// More fragments follow.
    pub more: bool,
    /// Its TTL and TOS.
    pub ttl: u8,
    /// Its TOS.
    pub tos: u8,
    /// Its IP header as received (for the ICMP quote).
    pub header: &'p [u8],
    /// Its payload.
    pub payload: &'p [u8],
}

/// A datagram that timed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    /// Which.
    pub key: FragKey,
    /// The first fragment's header and 8 data bytes, if it had arrived.
    pub quote: Option<([u8; QUOTE_LEN], usize)>,
}

/// A completed datagram.
#[derive(Debug, Clone, Copy)]
pub struct Reassembled<'b> {
    /// Its identity.
    pub key: FragKey,
    /// The first fragment's TTL.
    pub ttl: u8,
    /// The first fragment's TOS.
    pub tos: u8,
    /// The whole payload.
    pub payload: &'b [u8],
}

/// The reassembly buffers and their timer.
#[derive(Debug)]
pub struct Reassembler<'a> {
    buffers: ManagedSlice<'a, ReassemblyBuffer<'a>>,
    timeout: Duration,
}

impl<'a> Reassembler<'a> {
    /// Reassembly over `buffers`, giving each datagram `timeout` to complete.
    pub fn new(
        buffers: impl Into<ManagedSlice<'a, ReassemblyBuffer<'a>>>,
        timeout: Duration,
    ) -> Self {
        let mut buffers = buffers.into();
        for b in buffers.iter_mut() {
            b.partial = None;
        }
        Reassembler { buffers, timeout }
    }

    /// The number of datagrams in progress.
    pub fn in_progress(&self) -> usize {
        self.buffers.iter().filter(|b| b.partial.is_some()).count()
    }

    /// Adds a fragment.
    pub fn add(&mut self, now: Instant, frag: Fragment<'_>) -> FragOutcome {
        let Some(end) = frag.offset.checked_add(frag.payload.len()) else {
            return FragOutcome::Dropped(FragDrop::TooLong);
        };
        let (idx, evicting) = match self.find(&frag.key) {
            Some(i) => (i, false),
            None => match self.start(now, &frag, end) {
                Ok(started) => started,
                Err(why) => return FragOutcome::Dropped(why),
            },
        };
        let Some(buf) = self.buffers.get_mut(idx) else {
            return FragOutcome::Dropped(FragDrop::NoBuffer);
        };
        let capacity = buf.capacity();
        match Self::add_to(buf, capacity, now, frag, end) {
            FragOutcome::Dropped(why) => {
                buf.partial = None;
                FragOutcome::Dropped(why)
            }
            FragOutcome::Complete(_) => FragOutcome::Complete(idx),
            FragOutcome::Held if evicting => FragOutcome::HeldEvicting,
            outcome => outcome,
        }
    }

    /// The buffer holding datagram `key`.
    fn find(&self, key: &FragKey) -> Option<usize> {
        self.buffers
            .iter()
            .position(|b| b.partial.as_ref().is_some_and(|p| p.key == *key))
    }

    /// Gives a new datagram a buffer: a free one, else the one stalled
    /// longest (at least [`STALL`]). The fragment is checked on its own
    /// first, so a fragment that would be rejected takes nothing. Says
    /// whether a datagram was evicted.
    fn start(
        &mut self,
        now: Instant,
        frag: &Fragment<'_>,
        end: usize,
    ) -> Result<(usize, bool), FragDrop> {
        if self.buffers.is_empty() {
            return Err(FragDrop::NoBuffer);
        }
        let free = self.buffers.iter().position(|b| b.partial.is_none());
        let (idx, evicting) = match free {
            Some(i) => (i, false),
            None => match self.stalled_longest(now) {
                Some(i) => (i, true),
                None => {
                    // A fragment bad on its own is that, not a victim of
                    // busy buffers.
                    check_alone(frag, end, MAX_DATAGRAM)?;
                    return Err(FragDrop::Busy);
                }
            },
        };
        let buf = self.buffers.get_mut(idx).ok_or(FragDrop::NoBuffer)?;
        check_alone(frag, end, buf.capacity())?;
        buf.partial = Some(Partial {
            key: frag.key,
            started: now,
            progressed: now,
            total: None,
            received: 0,
            frags: heapless::Vec::new(),
            quote: [0; QUOTE_LEN],
            quote_len: 0,
            ttl: frag.ttl,
            tos: frag.tos,
        });
        Ok((idx, evicting))
    }

    /// The buffer whose datagram has gone longest without progress, if
    /// that was at least [`STALL`] ago.
    fn stalled_longest(&self, now: Instant) -> Option<usize> {
        self.buffers
            .iter()
            .enumerate()
            .filter_map(|(i, b)| Some((i, b.partial.as_ref()?.progressed)))
            .filter(|&(_, progressed)| progressed + STALL <= now)
            .min_by_key(|&(_, progressed)| progressed)
            .map(|(i, _)| i)
    }

    fn add_to(
        buf: &mut ReassemblyBuffer<'_>,
        capacity: usize,
        now: Instant,
        frag: Fragment<'_>,
        end: usize,
    ) -> FragOutcome {
        let Some(p) = buf.partial.as_mut() else {
            return FragOutcome::Dropped(FragDrop::NoBuffer);
        };
        if let Err(why) = check_alone(&frag, end, capacity) {
            return FragOutcome::Dropped(why);
        }
        let (start16, end16) = (frag.offset as u16, end as u16);
        for &(s, e) in p.frags.iter() {
            if s == start16 && e == end16 {
                return FragOutcome::Duplicate;
            }
            if start16 < e && s < end16 {
                return FragOutcome::Dropped(FragDrop::Overlap);
            }
        }
        if !frag.more {
            match p.total {
                Some(t) if t != end => return FragOutcome::Dropped(FragDrop::Inconsistent),
                _ => p.total = Some(end),
            }
        }
        if let Some(t) = p.total
            && (end > t || p.frags.iter().any(|&(_, e)| usize::from(e) > t))
        {
            return FragOutcome::Dropped(FragDrop::Inconsistent);
        }
        if p.frags.push((start16, end16)).is_err() {
            return FragOutcome::Dropped(FragDrop::TooManyFragments);
        }
        if let Some(dst) = buf.buffer.get_mut(frag.offset..end) {
            dst.copy_from_slice(frag.payload);
        }
        if frag.offset == 0 {
            let hl = frag.header.len().min(QUOTE_LEN - 8);
            let dl = frag.payload.len().min(8);
            if let (Some(q), Some(h)) = (p.quote.get_mut(..hl), frag.header.get(..hl)) {
                q.copy_from_slice(h);
            }
            if let (Some(q), Some(d)) = (p.quote.get_mut(hl..hl + dl), frag.payload.get(..dl)) {
                q.copy_from_slice(d);
            }
            p.quote_len = hl + dl;
            p.ttl = frag.ttl;
            p.tos = frag.tos;
        }
        p.received = p.received.saturating_add(frag.payload.len());
        p.progressed = now;
        match p.total {
            Some(t) if p.received == t => FragOutcome::Complete(0),
            _ => FragOutcome::Held,
        }
    }

    /// The completed datagram in buffer `idx`.
    pub fn datagram(&self, idx: usize) -> Option<Reassembled<'_>> {
        let b = self.buffers.get(idx)?;
        let p = b.partial.as_ref()?;
        let total = p.total?;
        if p.received != total {
            return None;
        }
        Some(Reassembled {
            key: p.key,
            ttl: p.ttl,
            tos: p.tos,
            payload: b.buffer.get(..total)?,
        })
    }

    /// Frees buffer `idx` after its datagram was processed.
    pub fn release(&mut self, idx: usize) {
        if let Some(b) = self.buffers.get_mut(idx) {
            b.partial = None;
        }
    }

    /// When the next partial datagram times out.
    pub fn poll_at(&self) -> Option<Instant> {
        self.buffers
            .iter()
            .filter_map(|b| b.partial.as_ref())
            .map(|p| p.started + self.timeout)
            .min()
    }

    /// Drops the datagrams whose time is up, telling `f` about each.
    pub fn poll(&mut self, now: Instant, f: &mut dyn FnMut(Expired)) {
        let timeout = self.timeout;
        for b in self.buffers.iter_mut() {
            let expired = b
                .partial
                .as_ref()
                .is_some_and(|p| p.started + timeout <= now);
            if expired && let Some(p) = b.partial.take() {
                let first_in = p.frags.iter().any(|&(s, _)| s == 0);
                f(Expired {
                    key: p.key,
                    quote: first_in.then_some((p.quote, p.quote_len)),
                });
            }
        }
    }
}

/// The checks a fragment passes on its own, before it meets the others:
/// it ends within 65535 bytes and the buffer, and a non-final fragment is a
/// non-empty multiple of 8 bytes (RFC 791: "the fragment offset is measured
/// in units of 8 octets").
fn check_alone(frag: &Fragment<'_>, end: usize, capacity: usize) -> Result<(), FragDrop> {
    if end > MAX_DATAGRAM.saturating_sub(frag.header.len().max(20)) || end > capacity {
        return Err(FragDrop::TooLong);
    }
    if frag.more && (!frag.payload.len().is_multiple_of(8) || frag.payload.is_empty()) {
        return Err(FragDrop::Inconsistent);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rand::Rng;
    use alloc::vec;
    use alloc::vec::Vec;

    fn key(ident: u16) -> FragKey {
        FragKey {
            src: Ipv4Address::new(192, 0, 2, 1),
            dst: Ipv4Address::new(192, 0, 2, 2),
            protocol: IpProtocol::Udp,
            ident,
        }
    }

    const HDR: [u8; 20] = [
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
    ];

    fn frag<'p>(ident: u16, data: &'p [u8], offset: usize, len: usize, more: bool) -> Fragment<'p> {
        Fragment {
            key: key(ident),
            offset,
            more,
            ttl: 64,
            tos: 0,
            header: &HDR,
            payload: &data[offset..offset + len],
        }
    }

    fn reassembler(n: usize, size: usize) -> Reassembler<'static> {
        let bufs: Vec<ReassemblyBuffer<'static>> = (0..n)
            .map(|_| ReassemblyBuffer::new(vec![0u8; size]))
            .collect();
        Reassembler::new(bufs, Duration::from_secs(30))
    }

    fn data(len: usize) -> Vec<u8> {
        let mut d = vec![0u8; len];
        Rng::new(len as u64).fill(&mut d);
        d
    }

    /// Splits `len` bytes into fragments of `size` (multiple of 8).
    fn pieces(len: usize, size: usize) -> Vec<(usize, usize, bool)> {
        (0..len)
            .step_by(size)
            .map(|o| (o, size.min(len - o), o + size < len))
            .collect()
    }

    #[test]
    fn in_order_and_reordered_and_duplicated() {
        let d = data(3000);
        for seed in 0..20u64 {
            let mut r = reassembler(2, 65535);
            let mut ps = pieces(3000, 1480);
            ps.extend(pieces(3000, 1480)); // every fragment twice
            let mut rng = Rng::new(seed);
            for i in (1..ps.len()).rev() {
                ps.swap(i, rng.below(i as u32 + 1) as usize);
            }
            let mut done = None;
            let mut dups = 0;
            for &(o, l, m) in &ps {
                match r.add(Instant::ZERO, frag(7, &d, o, l, m)) {
                    FragOutcome::Complete(i) => done = Some(i),
                    FragOutcome::Duplicate => dups += 1,
                    FragOutcome::Held | FragOutcome::HeldEvicting => {}
                    FragOutcome::Dropped(why) => {
                        // Duplicates arriving after completion start a new
                        // datagram that never completes; that is fine.
                        panic!("dropped: {why}")
                    }
                }
                if let Some(i) = done {
                    let dg = r.datagram(i).unwrap();
                    assert_eq!(dg.payload, &d[..]);
                    r.release(i);
                    break;
                }
            }
            assert!(done.is_some(), "seed {seed}");
            let _ = dups;
        }
    }

    #[test]
    fn overlap_drops_whole_datagram() {
        let d = data(4000);
        let mut r = reassembler(1, 65535);
        assert_eq!(
            r.add(Instant::ZERO, frag(1, &d, 0, 1480, true)),
            FragOutcome::Held
        );
        // Overlaps the first fragment without being its duplicate.
        assert_eq!(
            r.add(Instant::ZERO, frag(1, &d, 1472, 1480, true)),
            FragOutcome::Dropped(FragDrop::Overlap)
        );
        assert_eq!(r.in_progress(), 0);
        // A superset of an earlier fragment is an overlap too.
        assert_eq!(
            r.add(Instant::ZERO, frag(2, &d, 8, 16, true)),
            FragOutcome::Held
        );
        assert_eq!(
            r.add(Instant::ZERO, frag(2, &d, 0, 32, true)),
            FragOutcome::Dropped(FragDrop::Overlap)
        );
    }

    #[test]
    fn hard_limits() {
        let d = data(65535 + 100);
        let mut r = reassembler(1, 65535);
        // Ends past 65535 - 20 bytes of payload.
        assert_eq!(
            r.add(Instant::ZERO, frag(1, &d, 65520, 100, false)),
            FragOutcome::Dropped(FragDrop::TooLong)
        );
        let mut small = reassembler(1, 2000);
        assert_eq!(
            small.add(Instant::ZERO, frag(1, &d, 1480, 1480, false)),
            FragOutcome::Dropped(FragDrop::TooLong)
        );
        // A non-final fragment whose length is not a multiple of 8.
        assert_eq!(
            small.add(Instant::ZERO, frag(2, &d, 0, 100, true)),
            FragOutcome::Dropped(FragDrop::Inconsistent)
        );
        // Two final fragments disagreeing on the end.
        assert_eq!(
            small.add(Instant::ZERO, frag(3, &d, 0, 8, false)),
            FragOutcome::Complete(0)
        );
        small.release(0);
        assert_eq!(
            small.add(Instant::ZERO, frag(4, &d, 800, 8, false)),
            FragOutcome::Held
        );
        assert_eq!(
            small.add(Instant::ZERO, frag(4, &d, 808, 8, false)),
            FragOutcome::Dropped(FragDrop::Inconsistent)
        );
        assert_eq!(
            reassembler(0, 0).add(Instant::ZERO, frag(1, &d, 0, 8, true)),
            FragOutcome::Dropped(FragDrop::NoBuffer)
        );
    }

    #[test]
    fn a_full_datagram_of_65535_bytes() {
        let d = data(65515);
        let mut r = reassembler(1, 65535);
        let ps = pieces(65515, 1480);
        let mut got = None;
        for &(o, l, m) in ps.iter().rev() {
            if let FragOutcome::Complete(i) = r.add(Instant::ZERO, frag(9, &d, o, l, m)) {
                got = Some(i);
            }
        }
        assert_eq!(r.datagram(got.unwrap()).unwrap().payload.len(), 65515);
    }

    #[test]
    fn timeout_quotes_first_fragment_only_if_it_arrived() {
        let d = data(3000);
        let mut r = reassembler(2, 65535);
        let t0 = Instant::from_secs(5);
        r.add(t0, frag(1, &d, 0, 1480, true));
        r.add(t0 + Duration::from_secs(1), frag(2, &d, 1480, 1480, true));
        assert_eq!(r.poll_at(), Some(t0 + Duration::from_secs(30)));
        let mut expired = Vec::new();
        r.poll(t0 + Duration::from_secs(29), &mut |e| expired.push(e));
        assert!(expired.is_empty());
        r.poll(t0 + Duration::from_secs(31), &mut |e| expired.push(e));
        assert_eq!(expired.len(), 2);
        let (q, ql) = expired[0].quote.unwrap();
        assert_eq!(ql, 28);
        assert_eq!(&q[..20], &HDR);
        assert_eq!(&q[20..28], &d[..8]);
        assert_eq!(expired[1].quote, None);
        assert_eq!(r.in_progress(), 0);
        assert_eq!(r.poll_at(), None);
    }

    #[test]
    fn the_longest_stalled_gives_way_and_only_after_stall() {
        let d = data(3000);
        let ms = Instant::from_millis;
        let mut r = reassembler(2, 65535);
        assert_eq!(r.add(ms(1000), frag(1, &d, 0, 8, true)), FragOutcome::Held);
        assert_eq!(r.add(ms(1500), frag(2, &d, 0, 8, true)), FragOutcome::Held);
        // Neither has been quiet for STALL: the newcomer is refused.
        assert_eq!(
            r.add(ms(1800), frag(3, &d, 0, 8, true)),
            FragOutcome::Dropped(FragDrop::Busy)
        );
        // Datagram 1 has: it gives way, and datagram 2 keeps its buffer.
        assert_eq!(
            r.add(ms(2200), frag(3, &d, 0, 8, true)),
            FragOutcome::HeldEvicting
        );
        assert_eq!(r.in_progress(), 2);
        assert_eq!(r.find(&key(1)), None);
        assert_eq!(
            r.add(ms(2300), frag(2, &d, 8, 8, false)),
            FragOutcome::Complete(1)
        );
    }

    /// A fragment rejected on its own must not cost a datagram in progress
    /// its buffer (it used to: the newcomer's slot was installed first and
    /// cleared on rejection).
    #[test]
    fn a_rejected_fragment_takes_no_buffer() {
        let d = data(3000);
        let mut r = reassembler(2, 2000);
        r.add(Instant::ZERO, frag(1, &d, 0, 8, true));
        r.add(Instant::ZERO, frag(2, &d, 0, 8, true));
        let later = Instant::from_secs(5);
        // A 1-byte non-final fragment, and one past the buffer.
        assert_eq!(
            r.add(later, frag(3, &d, 0, 1, true)),
            FragOutcome::Dropped(FragDrop::Inconsistent)
        );
        assert_eq!(
            r.add(later, frag(4, &d, 1480, 1480, false)),
            FragOutcome::Dropped(FragDrop::TooLong)
        );
        assert_eq!(r.in_progress(), 2);
        assert_eq!(
            r.add(later, frag(1, &d, 8, 8, false)),
            FragOutcome::Complete(0)
        );
        assert_eq!(
            r.add(later, frag(2, &d, 8, 8, false)),
            FragOutcome::Complete(1)
        );
    }

    /// Junk first fragments, ten for every real one, cannot flush a
    /// datagram whose fragments keep coming; junk only displaces junk.
    #[test]
    fn junk_cannot_flush_a_progressing_datagram() {
        let d = data(6000);
        let mut r = reassembler(3, 65535);
        let mut ident = 100;
        let (mut busy, mut evicted) = (0, 0);
        let ps = pieces(6000, 1480);
        for (step, &(o, l, m)) in ps.iter().enumerate() {
            let now = Instant::from_millis(900 * step as i64);
            let got = r.add(now, frag(7, &d, o, l, m));
            if m {
                assert_eq!(got, FragOutcome::Held, "step {step}");
            } else {
                let FragOutcome::Complete(i) = got else {
                    panic!("last fragment: {got:?}")
                };
                assert_eq!(r.datagram(i).unwrap().payload, &d[..]);
                r.release(i);
            }
            for _ in 0..10 {
                ident += 1;
                match r.add(now, frag(ident, &d, 0, 8, true)) {
                    FragOutcome::Dropped(FragDrop::Busy) => busy += 1,
                    FragOutcome::HeldEvicting => evicted += 1,
                    FragOutcome::Held => {}
                    other => panic!("junk: {other:?}"),
                }
            }
        }
        assert!(busy > 30 && evicted > 0, "busy {busy}, evicted {evicted}");
    }
}
