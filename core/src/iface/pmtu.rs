//! The path MTU cache (RFC 1191): what validated "fragmentation needed"
//! messages taught about paths, per destination, shared by the connections
//! to it, in storage the caller gives ([`StackStorage::with_path_mtu_cache`](super::StackStorage::with_path_mtu_cache),
//! 16 bytes a destination).
//!
//! Every TCP segment leaves with DF set (RFC 1191 3: "sets the DF bit in
//! all datagrams"). When a router answers one with "fragmentation needed"
//! and the connection it quotes accepts it (RFC 5927's sequence check), the
//! path's estimate is learnt here:
//!
//! - "When a host receives a Datagram Too Big message, it MUST reduce its
//!   estimate of the PMTU for the relevant path, based on the value of the
//!   Next-Hop MTU field in the message" (section 3), and "MUST not
//!   increase" it because of one: a message claiming as much as the
//!   estimate already held, or the first hop's MTU, is ignored.
//! - A router that gives no next-hop MTU (RFC 792's, before RFC 1191) gets
//!   section 5's plateau table: the estimate becomes "the largest value
//!   [of the table] less than the Total Length field of the returned IP
//!   header" ([`PLATEAUS`]).
//! - The estimate never goes below [`MIN_PATH_MTU`] (552, Linux's
//!   `min_pmtu`), where RFC 1191 allows 68: an attacker's forged message
//!   cannot shrink a connection to 28-byte segments. A message below the
//!   floor *locks* the path at it instead, as Linux does: segments are
//!   sized for 552 and sent without DF, so a path that really has a
//!   smaller MTU fragments them rather than black-holing them, and their
//!   datagrams get unique identifiers (RFC 6864 4.2). The cache keeps a
//!   lock as the value below the floor ([`is_locked`]); the connections
//!   read it as 552 and no DF.
//! - "PMTU estimates may become stale" (section 6.3): an entry lives
//!   [`PMTU_AGE`] (10 minutes, "the recommended setting"), after which the
//!   path is tried at the first hop's MTU again; connections whose segments
//!   it had lowered go back to their MSS at their next send.
//!
//! When the storage is full, a new destination takes the entry closest to
//! ageing out. Without storage (the default), each connection still lowers
//! its own MSS on a validated message, and forgets it when it closes.

use managed::ManagedSlice;

use crate::time::{Duration, Instant};
use crate::wire::Ipv4Address;

/// RFC 1191 section 7's plateau table, for routers that do not say the
/// next hop's MTU.
pub const PLATEAUS: [u16; 11] = [
    65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68,
];

/// The smallest path MTU learnt (see the [module documentation](self)).
pub const MIN_PATH_MTU: u16 = 552;

/// How long a learnt path MTU is kept (RFC 1191 6.3).
pub const PMTU_AGE: Duration = Duration::from_secs(600);

/// One destination's learnt path MTU, a slot of the cache's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathMtuEntry {
    dst: Ipv4Address,
    mtu: u16,
    expires: Instant,
}

impl PathMtuEntry {
    /// An unused slot, to fill storage with.
    ///
    /// ```
    /// use microps_core::iface::{PathMtuEntry, StackStorage};
    /// let storage = StackStorage::default_owned().with_path_mtu_cache(vec![PathMtuEntry::EMPTY; 8]);
    /// ```
    pub const EMPTY: PathMtuEntry = PathMtuEntry {
        dst: Ipv4Address::UNSPECIFIED,
        mtu: 0,
        expires: Instant::ZERO,
    };

    /// The destination.
    pub fn destination(&self) -> Ipv4Address {
        self.dst
    }

    /// Its path MTU.
    pub fn mtu(&self) -> u16 {
        self.mtu
    }

    /// When it ages out.
    pub fn expires(&self) -> Instant {
        self.expires
    }

    fn live(&self, now: Instant) -> bool {
        self.mtu != 0 && now < self.expires
    }
}

/// The per-destination path MTU estimates (see the [module
/// documentation](self)).
#[derive(Debug)]
pub struct PathMtuCache<'a> {
    entries: ManagedSlice<'a, PathMtuEntry>,
}

impl<'a> PathMtuCache<'a> {
    pub(crate) fn new(entries: ManagedSlice<'a, PathMtuEntry>) -> Self {
        PathMtuCache { entries }
    }

    /// How many destinations it can hold.
    pub fn capacity(&self) -> usize {
        self.entries.len()
    }

    /// The live entries at `now`.
    pub fn entries(&self, now: Instant) -> impl Iterator<Item = &PathMtuEntry> {
        self.entries.iter().filter(move |e| e.live(now))
    }

    /// The learnt path MTU to `dst`, if one is live at `now`.
    pub fn lookup(&self, dst: Ipv4Address, now: Instant) -> Option<u16> {
        self.entries
            .iter()
            .find(|e| e.dst == dst && e.live(now))
            .map(|e| e.mtu)
    }

    /// Keeps `mtu` for `dst` from `now` (an estimate [`estimate`] gave).
    pub(crate) fn store(&mut self, dst: Ipv4Address, mtu: u16, now: Instant) {
        let slot = self
            .entries
            .iter()
            .position(|e| e.dst == dst)
            .or_else(|| self.oldest(now));
        if let Some(e) = slot.and_then(|i| self.entries.get_mut(i)) {
            *e = PathMtuEntry {
                dst,
                mtu,
                expires: now + PMTU_AGE,
            };
        }
    }

    /// A free slot, or the one closest to ageing out.
    fn oldest(&self, now: Instant) -> Option<usize> {
        let free = self.entries.iter().position(|e| !e.live(now));
        free.or_else(|| {
            (0..self.entries.len()).min_by_key(|&i| self.entries.get(i).map(|e| e.expires))
        })
    }
}

/// Whether a learnt path MTU is a lock at the floor (a value below
/// [`MIN_PATH_MTU`]; see the [module documentation](self)).
pub fn is_locked(mtu: u16) -> bool {
    mtu < MIN_PATH_MTU
}

/// The new estimate from a message: the router's next-hop MTU, or the
/// plateau below the quoted datagram's length; `None` unless below `known`
/// (as the floor sees them). A value below [`MIN_PATH_MTU`] is returned as
/// it is, a lock, unless the path is locked already.
pub(crate) fn estimate(next_hop: u16, total_len: u16, known: u16) -> Option<u16> {
    let mtu = if next_hop >= 68 {
        next_hop
    } else {
        // "the largest value less than the Total Length field", and below
        // what is known if the quote's length says nothing (a router that
        // changed it, or a datagram shorter than the estimate).
        let len = if total_len > 68 && total_len <= known {
            total_len
        } else {
            known
        };
        PLATEAUS.iter().copied().find(|&p| p < len)?
    };
    if is_locked(mtu) {
        return (!is_locked(known)).then_some(mtu);
    }
    (mtu < known).then_some(mtu)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DST: Ipv4Address = Ipv4Address::new(192, 0, 2, 130);
    const NOW: Instant = Instant::from_secs(100);

    fn cache(n: usize) -> PathMtuCache<'static> {
        PathMtuCache::new(ManagedSlice::Owned(alloc::vec![PathMtuEntry::EMPTY; n]))
    }

    /// What the stack does with a validated message: estimate, then keep.
    #[derive(Debug, PartialEq, Eq)]
    enum Learnt {
        Lowered(u16),
        Ignored,
    }

    impl PathMtuCache<'_> {
        fn learn(
            &mut self,
            dst: Ipv4Address,
            next_hop: u16,
            total_len: u16,
            first_hop: u16,
            now: Instant,
        ) -> Learnt {
            let known = self.lookup(dst, now).unwrap_or(first_hop);
            match estimate(next_hop, total_len, known) {
                Some(mtu) => {
                    self.store(dst, mtu, now);
                    Learnt::Lowered(mtu)
                }
                None => Learnt::Ignored,
            }
        }
    }

    #[test]
    fn rfc1191_3_a_message_lowers_the_estimate_never_raises_it() {
        let mut c = cache(4);
        assert_eq!(c.learn(DST, 1280, 1500, 1500, NOW), Learnt::Lowered(1280));
        assert_eq!(c.lookup(DST, NOW), Some(1280));
        // "MUST not increase": equal or larger says nothing.
        assert_eq!(c.learn(DST, 1280, 1280, 1500, NOW), Learnt::Ignored);
        assert_eq!(c.learn(DST, 1400, 1280, 1500, NOW), Learnt::Ignored);
        assert_eq!(c.learn(DST, 1000, 1280, 1500, NOW), Learnt::Lowered(1000));
        assert_eq!(c.lookup(DST, NOW), Some(1000));
        // Nothing at or above the first hop's MTU.
        let other = Ipv4Address::new(192, 0, 2, 131);
        assert_eq!(c.learn(other, 1500, 1500, 1500, NOW), Learnt::Ignored);
        assert_eq!(c.lookup(other, NOW), None);
    }

    #[test]
    fn rfc1191_5_without_a_next_hop_mtu_the_plateau_below_the_datagram() {
        let mut c = cache(4);
        assert_eq!(c.learn(DST, 0, 1500, 1500, NOW), Learnt::Lowered(1492));
        // The next message about a 1492-byte datagram: the next plateau.
        assert_eq!(c.learn(DST, 0, 1492, 1500, NOW), Learnt::Lowered(1006));
        // A quoted length that says nothing (above the estimate): below
        // the estimate, here below the floor too: a lock.
        assert_eq!(c.learn(DST, 0, 9000, 1500, NOW), Learnt::Lowered(508));
        assert!(is_locked(508));
        assert_eq!(estimate(0, 65535, 65535), Some(32000));
        assert_eq!(estimate(0, 0, 8166), Some(4352));
    }

    #[test]
    fn below_552_the_path_mtu_locks_at_the_floor() {
        let mut c = cache(4);
        // Kept as the value below the floor: the connections read it as
        // 552 without DF.
        assert_eq!(c.learn(DST, 296, 1500, 1500, NOW), Learnt::Lowered(296));
        assert!(is_locked(296) && !is_locked(MIN_PATH_MTU));
        // Locked once: later messages, below or above the floor, teach
        // nothing.
        assert_eq!(c.learn(DST, 68, 552, 1500, NOW), Learnt::Ignored);
        assert_eq!(c.learn(DST, 1000, 1500, 1500, NOW), Learnt::Ignored);
        assert_eq!(c.lookup(DST, NOW), Some(296));
        // A first hop at the floor locks too; a locked path stays so.
        assert_eq!(estimate(300, 552, 552), Some(300));
        assert_eq!(estimate(300, 552, 300), None);
    }

    #[test]
    fn rfc1191_6_3_an_entry_ages_out_after_10_minutes() {
        let mut c = cache(4);
        c.learn(DST, 1280, 1500, 1500, NOW);
        let later = NOW + PMTU_AGE - Duration::from_millis(1);
        assert_eq!(c.lookup(DST, later), Some(1280));
        assert_eq!(c.lookup(DST, NOW + PMTU_AGE), None);
        assert_eq!(c.entries(NOW + PMTU_AGE).count(), 0);
        // After it, the first hop's MTU is the estimate again: 1400 lowers.
        assert_eq!(
            c.learn(DST, 1400, 1500, 1500, NOW + PMTU_AGE),
            Learnt::Lowered(1400)
        );
        // Learning again restarts the age.
        assert_eq!(
            c.entries(NOW + PMTU_AGE).next().unwrap().expires(),
            NOW + PMTU_AGE + PMTU_AGE
        );
    }

    #[test]
    fn a_full_cache_replaces_the_entry_closest_to_ageing_out() {
        let mut c = cache(2);
        let a = Ipv4Address::new(192, 0, 2, 10);
        let b = Ipv4Address::new(192, 0, 2, 11);
        c.learn(a, 1280, 1500, 1500, NOW);
        c.learn(b, 1280, 1500, 1500, NOW + Duration::from_secs(1));
        c.learn(DST, 1000, 1500, 1500, NOW + Duration::from_secs(2));
        let t = NOW + Duration::from_secs(2);
        assert_eq!(
            (c.lookup(a, t), c.lookup(b, t), c.lookup(DST, t)),
            (None, Some(1280), Some(1000))
        );
        // Without storage, nothing is kept but the estimate is still given.
        let mut none = cache(0);
        assert_eq!(
            none.learn(DST, 1280, 1500, 1500, NOW),
            Learnt::Lowered(1280)
        );
        assert_eq!(none.lookup(DST, NOW), None);
    }
}
