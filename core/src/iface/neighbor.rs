//! The ARP cache (RFC 826's "translation table", RFC 1122 section 2.3.2).
//!
//! A fixed table over caller-provided slots, indexed by a keyed hash of the
//! IPv4 address (open addressing with linear probing), so a lookup costs the
//! same whatever the table size and an attacker cannot aim many addresses at
//! one bucket. At most seven eighths of the slots are used, which keeps
//! probe sequences short.
//!
//! Entries are *incomplete* (a request is out), *reachable* (a reply was
//! heard within `entry_ttl`), *stale* (older than that: still used, while a
//! unicast request refreshes it; dropped if the refresh goes unanswered) or
//! *static* (configured, never expire, never evicted).
//!
//! When the table is full, room is made by evicting the oldest incomplete
//! entry, else the least recently used dynamic entry. A resolved entry used
//! in the last [`ArpConfig::protect_recent`] (5 s) is never evicted to make
//! room for a newcomer, incomplete or resolved: a flood of packets to
//! unresolvable addresses, or from sources that answer ARP, cannot push
//! out a peer in use. An entry for a route's gateway is never evicted for
//! a newcomer either, used or not. The newcomer is then not cached
//! (`arp.drop_cache_full`).
//!
//! RFC 826's merge step may change an entry's hardware address, which is
//! how ARP is poisoned. An entry confirmed within [`ArpConfig::locktime`]
//! (1 s, as Linux's `locktime`) keeps its address against a different one
//! ([`Merge::Locked`], counted in `arp.drop_locked`). Unlike Linux, a
//! gratuitous ARP does not override the lock (it is the poisoner's tool as
//! much as a failover's): a host that takes an address over is heard a
//! second after the last confirmation of the old one at most.

use core::fmt;

use managed::ManagedSlice;

use super::interface::DeviceId;
use super::route::RouteTable;
use crate::rand::SipKey;
use crate::time::{Duration, Instant};
use crate::wire::{EthernetAddress, Ipv4Address};

/// ARP timing and limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct ArpConfig {
    /// How long a learned entry is reachable before it is refreshed.
    pub entry_ttl: Duration,
    /// The interval between requests for one address.
    pub request_interval: Duration,
    /// Requests sent for one address before it is declared unreachable.
    pub max_requests: u8,
    /// A resolved entry used this recently is never evicted for a
    /// newcomer.
    pub protect_recent: Duration,
    /// Packets queued per unresolved address (RFC 1122 2.3.2.2 asks for at
    /// least one).
    pub max_queued_per_neighbor: u8,
    /// A resolved entry confirmed this recently keeps its hardware address
    /// when a packet claims another one (Linux's `locktime`).
    pub locktime: Duration,
    /// Bytes queued per unresolved address; the first datagram is queued
    /// whatever its size (RFC 1122's "at least one").
    pub max_queued_bytes_per_neighbor: u32,
}

impl Default for ArpConfig {
    fn default() -> ArpConfig {
        ArpConfig {
            entry_ttl: Duration::from_secs(30),
            request_interval: Duration::from_secs(1),
            max_requests: 3,
            protect_recent: Duration::from_secs(5),
            max_queued_per_neighbor: 16,
            locktime: Duration::from_secs(1),
            max_queued_bytes_per_neighbor: 64 * 1024,
        }
    }
}

/// The state of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NeighborState {
    /// A request is out; no address yet.
    Incomplete,
    /// Resolved and fresh.
    Reachable,
    /// Resolved, older than the TTL, being refreshed.
    Stale,
    /// Configured by hand.
    Static,
}

/// One ARP cache entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Neighbor {
    /// The protocol address.
    pub ip: Ipv4Address,
    /// The hardware address (all zero while incomplete).
    pub mac: EthernetAddress,
    /// The device it is reached through.
    pub device: DeviceId,
    /// The state.
    pub state: NeighborState,
    /// When it was created or last confirmed.
    pub updated_at: Instant,
    /// When it was last used to send.
    pub used_at: Instant,
    /// When the next request is due (incomplete and stale entries).
    pub next_request_at: Instant,
    /// Requests sent in the current resolution or refresh.
    pub requests_sent: u8,
    /// Packets waiting for this entry to resolve.
    pub queued: u8,
    /// Their bytes (IP payload).
    pub queued_bytes: u32,
}

/// A slot of the cache storage; use [`ArpSlot::EMPTY`] to build the array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArpSlot(Option<Neighbor>);

impl ArpSlot {
    /// An empty slot.
    pub const EMPTY: ArpSlot = ArpSlot(None);
}

/// The outcome of a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Lookup {
    /// Resolved: send to this address.
    Found(EthernetAddress),
    /// A request is out; queue the packet.
    Pending,
    /// Nothing known.
    Miss,
}

/// Why an entry could not be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ArpCacheError {
    /// Every entry is static or protected.
    Full,
}

impl fmt::Display for ArpCacheError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("ARP cache full of static or recently used entries")
    }
}

impl core::error::Error for ArpCacheError {}

/// What RFC 826's merge step did with a sender's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Merge {
    /// No entry for it.
    Absent,
    /// The entry was updated (or is static, and stays as it is).
    Merged,
    /// The entry has another hardware address, confirmed within
    /// [`ArpConfig::locktime`]: kept as it is.
    Locked,
}

impl Merge {
    /// RFC 826's `Merge_flag`: the sender was in the table.
    pub fn found(self) -> bool {
        self != Merge::Absent
    }
}

/// What [`ArpCache::poll`] asks the stack to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ArpAction {
    /// Send a request for `ip` on `device`, unicast to `to` when refreshing a
    /// stale entry, broadcast otherwise.
    Request {
        /// Who we ask about.
        ip: Ipv4Address,
        /// Where.
        device: DeviceId,
        /// Unicast target of a refresh.
        to: Option<EthernetAddress>,
    },
    /// Resolution of `ip` failed: drop what waits for it.
    Failed {
        /// The unreachable address.
        ip: Ipv4Address,
    },
}

/// The ARP cache.
#[derive(Debug)]
pub struct ArpCache<'a> {
    slots: ManagedSlice<'a, ArpSlot>,
    key: SipKey,
    len: usize,
    /// The earliest `next_request_at` of incomplete and stale entries, if
    /// any (a lower bound: recomputed when a timer fires).
    next_timer: Option<Instant>,
    config: ArpConfig,
    /// The slot the last lookup found: tried first, so a flow to one
    /// neighbour hashes no address per packet (a slot that changed since
    /// simply fails the comparison).
    last_hit: core::cell::Cell<u16>,
}

impl<'a> ArpCache<'a> {
    /// A cache over `slots` (all should be [`ArpSlot::EMPTY`]).
    pub fn new(
        slots: impl Into<ManagedSlice<'a, ArpSlot>>,
        key: SipKey,
        config: ArpConfig,
    ) -> Self {
        let mut slots = slots.into();
        for s in slots.iter_mut() {
            *s = ArpSlot::EMPTY;
        }
        ArpCache {
            slots,
            key,
            len: 0,
            next_timer: None,
            last_hit: core::cell::Cell::new(0),
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ArpConfig {
        &self.config
    }

    /// The most entries the cache holds (seven eighths of the slots).
    pub fn capacity(&self) -> usize {
        let n = self.slots.len();
        if n >= 8 {
            n - n / 8
        } else {
            n.saturating_sub(1).max(usize::from(n > 0))
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every entry.
    pub fn iter(&self) -> impl Iterator<Item = &Neighbor> {
        self.slots.iter().filter_map(|s| s.0.as_ref())
    }

    fn home(&self, ip: &Ipv4Address) -> usize {
        let n = self.slots.len().max(1);
        (self.key.hash(&ip.octets()) % n as u64) as usize
    }

    /// The slot index holding `ip`.
    fn find(&self, ip: &Ipv4Address) -> Option<usize> {
        let last = usize::from(self.last_hit.get());
        if let Some(ArpSlot(Some(e))) = self.slots.get(last)
            && e.ip == *ip
        {
            return Some(last);
        }
        let n = self.slots.len();
        let mut i = self.home(ip);
        for _ in 0..n {
            match self.slots.get(i)?.0 {
                None => return None,
                Some(ref e) if e.ip == *ip => {
                    self.last_hit.set(i as u16);
                    return Some(i);
                }
                Some(_) => i = (i + 1) % n,
            }
        }
        None
    }

    /// The entry for `ip`, if any.
    pub fn get(&self, ip: &Ipv4Address) -> Option<&Neighbor> {
        let i = self.find(ip)?;
        self.slots.get(i)?.0.as_ref()
    }

    fn get_mut(&mut self, ip: &Ipv4Address) -> Option<&mut Neighbor> {
        let i = self.find(ip)?;
        self.slots.get_mut(i)?.0.as_mut()
    }

    /// Looks up `ip` to send to it at `now`, marking the entry used. A stale
    /// entry is still returned (its refresh is under way).
    pub fn lookup(&mut self, ip: &Ipv4Address, now: Instant) -> Lookup {
        let ttl = self.config.entry_ttl;
        let interval = self.config.request_interval;
        let mut arm = None;
        let result = match self.get_mut(ip) {
            None => Lookup::Miss,
            Some(e) => {
                e.used_at = now;
                match e.state {
                    NeighborState::Incomplete => Lookup::Pending,
                    NeighborState::Static => Lookup::Found(e.mac),
                    NeighborState::Reachable => {
                        if now >= e.updated_at + ttl {
                            // Reachable -> stale: refresh now, without
                            // holding traffic back.
                            e.state = NeighborState::Stale;
                            e.requests_sent = 0;
                            e.next_request_at = now;
                            arm = Some(now);
                        }
                        Lookup::Found(e.mac)
                    }
                    NeighborState::Stale => Lookup::Found(e.mac),
                }
            }
        };
        let _ = interval;
        if let Some(t) = arm {
            self.arm(t);
        }
        result
    }

    fn arm(&mut self, t: Instant) {
        self.next_timer = Some(match self.next_timer {
            Some(old) => old.min(t),
            None => t,
        });
    }

    /// RFC 826's merge step: if `ip` is in the table, update its hardware
    /// address and freshness, unless it is another address than the one
    /// confirmed within [`ArpConfig::locktime`]. Incomplete entries become
    /// reachable (the caller then flushes their queue).
    pub fn update(
        &mut self,
        ip: &Ipv4Address,
        mac: EthernetAddress,
        device: DeviceId,
        now: Instant,
    ) -> Merge {
        let locktime = self.config.locktime;
        let Some(e) = self.get_mut(ip) else {
            return Merge::Absent;
        };
        let resolved = matches!(e.state, NeighborState::Reachable | NeighborState::Stale);
        if resolved && e.mac != mac && now < e.updated_at + locktime {
            return Merge::Locked;
        }
        if e.state != NeighborState::Static {
            e.mac = mac;
            e.device = device;
            e.state = NeighborState::Reachable;
            e.updated_at = now;
            e.requests_sent = 0;
        }
        Merge::Merged
    }

    /// Adds or updates a resolved entry (we are the target of the sender's
    /// packet, RFC 826: "add the triplet"). A full table evicts an entry
    /// that is neither recently used nor one of `routes`' gateways.
    pub fn insert_resolved(
        &mut self,
        ip: Ipv4Address,
        mac: EthernetAddress,
        device: DeviceId,
        now: Instant,
        routes: &RouteTable,
    ) -> Result<Merge, ArpCacheError> {
        let merge = self.update(&ip, mac, device, now);
        if merge.found() {
            return Ok(merge);
        }
        self.insert(
            Neighbor {
                ip,
                mac,
                device,
                state: NeighborState::Reachable,
                updated_at: now,
                used_at: now,
                next_request_at: now,
                requests_sent: 0,
                queued: 0,
                queued_bytes: 0,
            },
            now,
            routes,
        )
        .map(|()| Merge::Absent)
    }

    /// Adds a static entry, replacing whatever was there; a full table
    /// evicts as [`ArpCache::insert_resolved`] does (never `routes`'
    /// gateways).
    pub fn insert_static(
        &mut self,
        ip: Ipv4Address,
        mac: EthernetAddress,
        device: DeviceId,
        routes: &RouteTable,
    ) -> Result<(), ArpCacheError> {
        let e = Neighbor {
            ip,
            mac,
            device,
            state: NeighborState::Static,
            updated_at: Instant::ZERO,
            used_at: Instant::ZERO,
            next_request_at: Instant::ZERO,
            requests_sent: 0,
            queued: 0,
            queued_bytes: 0,
        };
        if let Some(slot) = self.get_mut(&ip) {
            *slot = e;
            return Ok(());
        }
        self.insert(e, Instant::ZERO, routes)
    }

    /// Starts resolving `ip` on `device`: creates an incomplete entry whose
    /// first request is due at once. Returns `Ok(false)` if an entry exists
    /// already. A full table evicts as [`ArpCache::insert_resolved`] does.
    pub fn start_resolution(
        &mut self,
        ip: Ipv4Address,
        device: DeviceId,
        now: Instant,
        routes: &RouteTable,
    ) -> Result<bool, ArpCacheError> {
        if self.find(&ip).is_some() {
            return Ok(false);
        }
        self.insert(
            Neighbor {
                ip,
                mac: EthernetAddress::UNSPECIFIED,
                device,
                state: NeighborState::Incomplete,
                updated_at: now,
                used_at: now,
                next_request_at: now,
                requests_sent: 0,
                queued: 0,
                queued_bytes: 0,
            },
            now,
            routes,
        )?;
        self.arm(now);
        Ok(true)
    }

    /// Counts a packet queued for `ip`; `false` if its per-neighbour limit
    /// is reached (or it is not pending).
    pub fn note_queued(&mut self, ip: &Ipv4Address, len: usize) -> bool {
        let max = self.config.max_queued_per_neighbor;
        let max_bytes = self.config.max_queued_bytes_per_neighbor;
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        match self.get_mut(ip) {
            Some(e) if e.state == NeighborState::Incomplete && e.queued < max => {
                let bytes = e.queued_bytes.saturating_add(len);
                if e.queued > 0 && bytes > max_bytes {
                    return false;
                }
                e.queued = e.queued.saturating_add(1);
                e.queued_bytes = bytes;
                true
            }
            _ => false,
        }
    }

    /// Takes back a [`ArpCache::note_queued`] whose packet was not queued
    /// after all (the queue had no room).
    pub fn unnote_queued(&mut self, ip: &Ipv4Address, len: usize) {
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        if let Some(e) = self.get_mut(ip) {
            e.queued = e.queued.saturating_sub(1);
            e.queued_bytes = e.queued_bytes.saturating_sub(len);
        }
    }

    /// Clears the queued count of `ip` (its packets were sent or dropped).
    pub fn clear_queued(&mut self, ip: &Ipv4Address) {
        if let Some(e) = self.get_mut(ip) {
            e.queued = 0;
            e.queued_bytes = 0;
        }
    }

    /// Removes the entry for `ip`; returns it.
    pub fn remove(&mut self, ip: &Ipv4Address) -> Option<Neighbor> {
        let i = self.find(ip)?;
        self.remove_at(i)
    }

    /// Removes every dynamic entry.
    pub fn flush(&mut self) {
        let ips: heapless::Vec<Ipv4Address, 64> = self
            .iter()
            .filter(|e| e.state != NeighborState::Static)
            .map(|e| e.ip)
            .take(64)
            .collect();
        for ip in ips {
            self.remove(&ip);
        }
    }

    /// Backward-shift deletion: keeps every remaining entry reachable from
    /// its home slot without tombstones.
    fn remove_at(&mut self, mut hole: usize) -> Option<Neighbor> {
        let n = self.slots.len();
        let removed = self.slots.get_mut(hole)?.0.take();
        if removed.is_some() {
            self.len = self.len.saturating_sub(1);
        }
        let mut i = hole;
        for _ in 0..n {
            i = (i + 1) % n;
            let Some(e) = self.slots.get(i).and_then(|s| s.0) else {
                break;
            };
            let home = self.home(&e.ip);
            // Move e into the hole if its home is not in (hole, i].
            let dist_home = (i + n - home) % n;
            let dist_hole = (i + n - hole) % n;
            if dist_home >= dist_hole {
                if let Some(s) = self.slots.get_mut(hole) {
                    s.0 = Some(e);
                }
                if let Some(s) = self.slots.get_mut(i) {
                    s.0 = None;
                }
                hole = i;
            }
        }
        removed
    }

    fn insert(
        &mut self,
        e: Neighbor,
        now: Instant,
        routes: &RouteTable,
    ) -> Result<(), ArpCacheError> {
        if self.slots.is_empty() {
            return Err(ArpCacheError::Full);
        }
        if self.len >= self.capacity() {
            let victim = self.victim(now, routes).ok_or(ArpCacheError::Full)?;
            self.remove_at(victim);
        }
        let n = self.slots.len();
        let mut i = self.home(&e.ip);
        for _ in 0..n {
            let slot = self.slots.get_mut(i).ok_or(ArpCacheError::Full)?;
            if slot.0.is_none() {
                slot.0 = Some(e);
                self.len += 1;
                return Ok(());
            }
            i = (i + 1) % n;
        }
        Err(ArpCacheError::Full)
    }

    /// The slot to evict: the oldest incomplete entry, else the least
    /// recently used dynamic one, never one used in the last
    /// `protect_recent` and never a gateway of `routes`.
    fn victim(&self, now: Instant, routes: &RouteTable) -> Option<usize> {
        let entries = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.0.map(|e| (i, e)))
            .filter(|(_, e)| !routes.is_gateway(&e.ip));
        let oldest_incomplete = entries
            .clone()
            .filter(|(_, e)| e.state == NeighborState::Incomplete)
            .min_by_key(|(_, e)| e.updated_at);
        if let Some((i, _)) = oldest_incomplete {
            return Some(i);
        }
        let protect = self.config.protect_recent;
        entries
            .filter(|(_, e)| matches!(e.state, NeighborState::Reachable | NeighborState::Stale))
            .filter(|(_, e)| now.saturating_duration_since(e.used_at) >= protect)
            .min_by_key(|(_, e)| e.used_at)
            .map(|(i, _)| i)
    }

    /// When [`ArpCache::poll`] next has work.
    pub fn poll_at(&self) -> Option<Instant> {
        self.next_timer
    }

    /// Runs the timers due at `now`: requests to (re)send and resolutions
    /// that failed. Failed entries are removed; stale entries whose refresh
    /// went unanswered are removed too. `f` takes each action and returns
    /// `false` when it can take no more; the round then stops and the rest
    /// stays due (the function returns `true`: call again).
    pub fn poll(&mut self, now: Instant, f: &mut dyn FnMut(ArpAction) -> bool) -> bool {
        match self.next_timer {
            Some(t) if t <= now => {}
            _ => return false,
        }
        let max = self.config.max_requests;
        let interval = self.config.request_interval;
        let mut next: Option<Instant> = None;
        let mut failed: heapless::Vec<Ipv4Address, 16> = heapless::Vec::new();
        let mut stopped = false;
        for slot in self.slots.iter_mut() {
            let Some(e) = slot.0.as_mut() else { continue };
            if !matches!(e.state, NeighborState::Incomplete | NeighborState::Stale) {
                continue;
            }
            if e.next_request_at <= now && !stopped {
                if e.requests_sent >= max {
                    if failed.push(e.ip).is_err() {
                        stopped = true;
                    }
                    continue;
                }
                let to = (e.state == NeighborState::Stale).then_some(e.mac);
                let action = ArpAction::Request {
                    ip: e.ip,
                    device: e.device,
                    to,
                };
                if f(action) {
                    e.requests_sent = e.requests_sent.saturating_add(1);
                    e.next_request_at = now + interval;
                } else {
                    stopped = true;
                }
            }
            next = Some(next.map_or(e.next_request_at, |n: Instant| n.min(e.next_request_at)));
        }
        for ip in &failed {
            if f(ArpAction::Failed { ip: *ip }) {
                self.remove(ip);
            } else {
                stopped = true;
            }
        }
        // Stopped early: the rest is due at once, in the next round.
        self.next_timer = if stopped { Some(now) } else { next };
        stopped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static NO_ROUTES: RouteTable = RouteTable::new();
    use alloc::vec::Vec;

    fn ip(n: u32) -> Ipv4Address {
        Ipv4Address::from_bits(0xc000_0200 + n)
    }

    fn mac(n: u8) -> EthernetAddress {
        EthernetAddress([2, 0, 0, 0, 0, n])
    }

    fn cache(slots: usize) -> ArpCache<'static> {
        ArpCache::new(vec_slots(slots), SipKey::new(1, 2), ArpConfig::default())
    }

    fn vec_slots(n: usize) -> ManagedSlice<'static, ArpSlot> {
        ManagedSlice::Owned(alloc::vec![ArpSlot::EMPTY; n])
    }

    const DEV: DeviceId = DeviceId(0);

    #[test]
    fn resolve_lookup_expire_refresh() {
        let mut c = cache(16);
        let t0 = Instant::from_secs(100);
        assert_eq!(c.lookup(&ip(1), t0), Lookup::Miss);
        assert_eq!(c.start_resolution(ip(1), DEV, t0, &NO_ROUTES), Ok(true));
        assert_eq!(c.start_resolution(ip(1), DEV, t0, &NO_ROUTES), Ok(false));
        assert_eq!(c.lookup(&ip(1), t0), Lookup::Pending);
        let mut actions = Vec::new();
        c.poll(t0, &mut |a| {
            actions.push(a);
            true
        });
        assert_eq!(
            actions,
            [ArpAction::Request {
                ip: ip(1),
                device: DEV,
                to: None
            }]
        );
        assert_eq!(c.update(&ip(1), mac(1), DEV, t0), Merge::Merged);
        assert_eq!(c.lookup(&ip(1), t0), Lookup::Found(mac(1)));
        // After the TTL the entry goes stale but stays usable while a
        // unicast refresh goes out.
        let t1 = t0 + Duration::from_secs(31);
        assert_eq!(c.lookup(&ip(1), t1), Lookup::Found(mac(1)));
        assert_eq!(c.get(&ip(1)).unwrap().state, NeighborState::Stale);
        actions.clear();
        c.poll(t1, &mut |a| {
            actions.push(a);
            true
        });
        assert_eq!(
            actions,
            [ArpAction::Request {
                ip: ip(1),
                device: DEV,
                to: Some(mac(1))
            }]
        );
        // A reply makes it reachable again.
        assert_eq!(c.update(&ip(1), mac(1), DEV, t1), Merge::Merged);
        assert_eq!(c.get(&ip(1)).unwrap().state, NeighborState::Reachable);
    }

    #[test]
    fn retries_are_rate_limited_per_entry_then_fail() {
        let mut c = cache(16);
        let t0 = Instant::from_secs(1);
        c.start_resolution(ip(1), DEV, t0, &NO_ROUTES).unwrap();
        let mut requests = 0;
        let mut failed = Vec::new();
        // Poll every 100 ms for 5 s: 3 requests 1 s apart, then failure.
        for step in 0..50 {
            let now = t0 + Duration::from_millis(100 * step);
            if step == 5 {
                // A second address started later keeps its own schedule.
                c.start_resolution(ip(2), DEV, now, &NO_ROUTES).unwrap();
            }
            c.poll(now, &mut |a| {
                match a {
                    ArpAction::Request { ip: i, .. } if i == ip(1) => requests += 1,
                    ArpAction::Failed { ip } => failed.push((ip, now)),
                    _ => {}
                }
                true
            });
        }
        assert_eq!(requests, 3);
        assert_eq!(failed[0], (ip(1), t0 + Duration::from_secs(3)));
        assert_eq!(failed[1], (ip(2), t0 + Duration::from_millis(3500)));
        assert!(c.get(&ip(1)).is_none());
        assert_eq!(c.poll_at(), None);
    }

    #[test]
    fn a_full_round_stops_and_resumes_without_losing_actions() {
        let mut c = cache(64);
        let t0 = Instant::from_secs(1);
        for n in 0..40 {
            c.start_resolution(ip(n), DEV, t0, &NO_ROUTES).unwrap();
        }
        let mut seen = Vec::new();
        // Take 10 actions per round.
        for _ in 0..10 {
            let mut taken = 0;
            let more = c.poll(t0, &mut |a| {
                if taken == 10 {
                    return false;
                }
                taken += 1;
                seen.push(a);
                true
            });
            if !more {
                break;
            }
        }
        assert_eq!(seen.len(), 40, "every address asked for once");
        let mut ips: Vec<_> = seen
            .iter()
            .map(|a| match a {
                ArpAction::Request { ip, .. } => *ip,
                ArpAction::Failed { ip } => *ip,
            })
            .collect();
        ips.sort();
        ips.dedup();
        assert_eq!(ips.len(), 40);
    }

    #[test]
    fn request_not_for_us_creates_no_entry_but_updates() {
        let mut c = cache(16);
        let t = Instant::ZERO;
        assert_eq!(c.update(&ip(7), mac(7), DEV, t), Merge::Absent);
        assert!(c.get(&ip(7)).is_none());
        c.insert_resolved(ip(7), mac(7), DEV, t, &NO_ROUTES)
            .unwrap();
        let later = t + Duration::from_secs(1);
        assert_eq!(c.update(&ip(7), mac(8), DEV, later), Merge::Merged);
        assert_eq!(c.get(&ip(7)).unwrap().mac, mac(8));
    }

    /// Linux's `locktime`: within a second of its last confirmation an
    /// entry keeps its address against another; the same address still
    /// confirms it, and after the second another address is taken.
    #[test]
    fn a_fresh_entry_keeps_its_address_for_locktime() {
        let mut c = cache(16);
        let t0 = Instant::from_secs(3);
        c.insert_resolved(ip(7), mac(7), DEV, t0, &NO_ROUTES)
            .unwrap();
        let t1 = t0 + Duration::from_millis(999);
        assert_eq!(c.update(&ip(7), mac(66), DEV, t1), Merge::Locked);
        assert_eq!(
            c.insert_resolved(ip(7), mac(66), DEV, t1, &NO_ROUTES),
            Ok(Merge::Locked)
        );
        assert_eq!(c.get(&ip(7)).unwrap().mac, mac(7));
        // Confirming with the same address restarts the lock.
        assert_eq!(c.update(&ip(7), mac(7), DEV, t1), Merge::Merged);
        let t2 = t1 + Duration::from_millis(999);
        assert_eq!(c.update(&ip(7), mac(66), DEV, t2), Merge::Locked);
        let t3 = t1 + Duration::from_secs(1);
        assert_eq!(c.update(&ip(7), mac(66), DEV, t3), Merge::Merged);
        assert_eq!(c.get(&ip(7)).unwrap().mac, mac(66));
        // An incomplete entry takes the first answer at once.
        c.start_resolution(ip(8), DEV, t3, &NO_ROUTES).unwrap();
        assert_eq!(c.update(&ip(8), mac(8), DEV, t3), Merge::Merged);
    }

    /// A route's gateway keeps its entry against newcomers however long
    /// ago it was used; other idle entries give way.
    #[test]
    fn a_gateway_entry_is_never_evicted_for_a_newcomer() {
        let mut routes = RouteTable::new();
        routes
            .add(super::super::route::Route {
                network: crate::wire::Ipv4Cidr::new(Ipv4Address::UNSPECIFIED, 0).unwrap(),
                gateway: Some(ip(1)),
                iface: super::super::interface::IfaceId(0),
            })
            .unwrap();
        let mut c = cache(8); // capacity 7
        let t0 = Instant::from_secs(10);
        for n in 1..=7 {
            c.insert_resolved(ip(n), mac(n as u8), DEV, t0, &routes)
                .unwrap();
        }
        // A minute later nothing is recently used; newcomers arrive. Six
        // take the six idle entries; the seventh finds only the gateway and
        // newcomers just used, and is not cached.
        let t1 = t0 + Duration::from_secs(60);
        for n in 100..106 {
            c.insert_resolved(ip(n), mac(n as u8), DEV, t1, &routes)
                .unwrap();
        }
        assert_eq!(
            c.insert_resolved(ip(106), mac(106), DEV, t1, &routes),
            Err(ArpCacheError::Full)
        );
        assert_eq!(c.get(&ip(1)).map(|e| e.mac), Some(mac(1)));
        assert!((2..=7).all(|n| c.get(&ip(n)).is_none()));
    }

    #[test]
    fn eviction_protects_static_and_recently_used() {
        let mut c = cache(8); // capacity 7
        let t0 = Instant::from_secs(10);
        c.insert_static(ip(100), mac(100), DEV, &NO_ROUTES).unwrap();
        // The gateway, used continuously.
        c.insert_resolved(ip(1), mac(1), DEV, t0, &NO_ROUTES)
            .unwrap();
        for n in 2..=6 {
            c.insert_resolved(ip(n), mac(n as u8), DEV, t0, &NO_ROUTES)
                .unwrap();
        }
        assert_eq!(c.len(), 7);
        let t1 = t0 + Duration::from_secs(10);
        // Entries 2..=6 were last used at t0 (10 s ago); the gateway now.
        assert_eq!(c.lookup(&ip(1), t1), Lookup::Found(mac(1)));
        // A flood of unresolvable addresses: incomplete entries evict the
        // old idle ones first, then each other, never the gateway or the
        // static entry.
        for n in 1000..1100 {
            let _ =
                c.start_resolution(ip(n), DEV, t1 + Duration::from_millis(n as u64), &NO_ROUTES);
            assert_eq!(
                c.lookup(&ip(1), t1 + Duration::from_millis(n as u64)),
                Lookup::Found(mac(1))
            );
        }
        assert!(c.get(&ip(100)).is_some());
        assert!(c.get(&ip(1)).is_some());
        assert_eq!(c.len(), 7);
        // Every lookup still finds what is there (probing intact).
        for e in c.iter().copied().collect::<Vec<_>>() {
            assert_eq!(c.get(&e.ip).unwrap().ip, e.ip);
        }
    }

    #[test]
    fn full_of_protected_entries_refuses_newcomers_incomplete_or_resolved() {
        let mut c = cache(8);
        let t0 = Instant::from_secs(10);
        for n in 1..=7 {
            c.insert_resolved(ip(n), mac(n as u8), DEV, t0, &NO_ROUTES)
                .unwrap();
        }
        assert_eq!(
            c.start_resolution(ip(50), DEV, t0 + Duration::from_secs(1), &NO_ROUTES),
            Err(ArpCacheError::Full)
        );
        // A resolved newcomer (a reply from a host that answers ARP for
        // addresses that flood us) is refused too while every entry is in
        // use...
        c.lookup(&ip(1), t0 + Duration::from_secs(4));
        assert_eq!(
            c.insert_resolved(
                ip(60),
                mac(60),
                DEV,
                t0 + Duration::from_secs(2),
                &NO_ROUTES
            ),
            Err(ArpCacheError::Full)
        );
        // ...and evicts the least recently used once it is idle.
        c.insert_resolved(
            ip(60),
            mac(60),
            DEV,
            t0 + Duration::from_secs(6),
            &NO_ROUTES,
        )
        .unwrap();
        assert!(c.get(&ip(60)).is_some());
        assert!(c.get(&ip(1)).is_some());
        assert_eq!(c.len(), 7);
    }

    #[test]
    fn removal_keeps_probe_chains_intact() {
        let mut c = cache(32);
        let t = Instant::ZERO;
        for n in 0..28 {
            c.insert_resolved(ip(n), mac(n as u8), DEV, t, &NO_ROUTES)
                .unwrap();
        }
        for n in (0..28).step_by(3) {
            assert!(c.remove(&ip(n)).is_some());
        }
        for n in 0..28 {
            assert_eq!(c.get(&ip(n)).is_some(), n % 3 != 0, "ip {n}");
        }
    }

    #[test]
    fn queue_accounting_per_neighbor() {
        let mut c = cache(16);
        c.start_resolution(ip(1), DEV, Instant::ZERO, &NO_ROUTES)
            .unwrap();
        for _ in 0..16 {
            assert!(c.note_queued(&ip(1), 100));
        }
        assert!(!c.note_queued(&ip(1), 100));
        assert!(!c.note_queued(&ip(2), 100));
        c.clear_queued(&ip(1));
        assert!(c.note_queued(&ip(1), 100));
    }

    /// Bytes are limited per neighbour too, but the first datagram is
    /// always queued (RFC 1122 2.3.2.2's "at least one").
    #[test]
    fn queued_bytes_per_neighbor() {
        let mut c = cache(16);
        c.start_resolution(ip(1), DEV, Instant::ZERO, &NO_ROUTES)
            .unwrap();
        assert!(c.note_queued(&ip(1), 65_000), "the first, however big");
        assert!(!c.note_queued(&ip(1), 1_000));
        c.clear_queued(&ip(1));
        assert!(c.note_queued(&ip(1), 40_000));
        assert!(c.note_queued(&ip(1), 25_536));
        assert!(!c.note_queued(&ip(1), 1));
        assert_eq!(c.get(&ip(1)).unwrap().queued_bytes, 65_536);
    }
}
