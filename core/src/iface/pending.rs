//! The pending queue: datagrams waiting for their neighbour's link address
//! (RFC 1122 2.3.2.2: a host "SHOULD save (rather than discard) at least
//! one (the latest) packet of each set of packets destined to the same
//! unresolved IP address") or for a device buffer, and the rest of a
//! datagram a busy device stopped halfway. Behind the cargo feature
//! `pending-queue`; without it, the stack behaves as with a queue of no room.

use super::interface::DeviceId;
use super::ipv4::{
    Datagram, FragStop, L4Checksum, NextHop, OutputError, RouteInfo, copy_parts, resolve_next_hop,
    send_fragments,
};
use super::neighbor::Lookup;
use super::stats::bump;
use super::{Inner, Tx};
use crate::storage::{PacketBuffer, PacketMetadata};
use crate::time::{Duration, Instant};
use crate::wire::{EthernetAddress, Ipv4Address, Ipv4Repr};

/// A datagram waiting for its neighbour's address, or for a device buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    repr: Ipv4Repr,
    next_hop: Ipv4Address,
    device: DeviceId,
    state: PendingState,
    /// Bytes of the payload already sent (in fragments, when a busy
    /// device stopped a datagram halfway).
    sent: usize,
    /// When it is dropped if still unsent, whatever happened to its
    /// neighbour entry, so nothing can hold the queue forever.
    deadline: Instant,
}

/// How long a datagram may wait in the pending queue: longer than ARP's
/// three requests a second apart.
const PENDING_LIFETIME: Duration = Duration::from_secs(10);

/// How often the pending queue is revisited while it holds anything.
const PENDING_RECHECK: Duration = Duration::from_secs(1);

/// Where a queued datagram stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PendingState {
    /// Waiting for ARP.
    Resolving,
    /// Ready to go as soon as the device has a buffer.
    Ready,
    /// Sent or dropped; its space is reclaimed when it reaches the front.
    Done,
}

/// Metadata slots of the pending-datagram queue.
pub type PendingMetadata = PacketMetadata<Pending>;

/// The queue, and when it wants a visit.
#[derive(Debug)]
pub(crate) struct PendingQueue<'a> {
    queue: PacketBuffer<'a, Pending>,
    /// Some datagram has become sendable.
    pub(crate) ready: bool,
    /// When the queue is next revisited (expiry, re-resolution).
    pub(crate) check_at: Instant,
}

impl<'a> PendingQueue<'a> {
    /// A queue over the caller's storage.
    pub(crate) fn new(
        meta: impl Into<managed::ManagedSlice<'a, PendingMetadata>>,
        data: impl Into<managed::ManagedSlice<'a, u8>>,
    ) -> Self {
        PendingQueue {
            queue: PacketBuffer::new(meta, data),
            ready: false,
            check_at: Instant::ZERO,
        }
    }

    /// Whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many datagrams wait.
    pub(crate) fn len(&self) -> usize {
        self.queue.packet_count()
    }

    /// Whether [`Inner::flush_pending`] has work at `now`.
    pub(crate) fn due(&self, now: Instant) -> bool {
        self.ready || (!self.is_empty() && self.check_at <= now)
    }

    /// When the queue wants a visit, if it holds anything.
    pub(crate) fn poll_at(&self, now: Instant) -> Option<Instant> {
        (!self.is_empty()).then(|| self.check_at.max(now))
    }
}

impl Inner<'_> {
    /// Copies a datagram into the pending queue.
    pub(crate) fn queue_pending(
        &mut self,
        repr: Ipv4Repr,
        parts: &[&[u8]],
        route: RouteInfo,
        state: PendingState,
    ) -> Result<(), OutputError> {
        self.queue_pending_summed(repr, parts, route, state, None)
    }

    /// [`Inner::queue_pending`], the transport checksum `l4` filled into
    /// the queued copy.
    pub(crate) fn queue_pending_summed(
        &mut self,
        repr: Ipv4Repr,
        parts: &[&[u8]],
        route: RouteInfo,
        state: PendingState,
        l4: Option<L4Checksum>,
    ) -> Result<(), OutputError> {
        self.queue_pending_from(repr, parts, route, state, 0, l4)
    }

    /// [`Inner::queue_pending`] for a datagram whose first `sent` payload
    /// bytes are already out (in fragments).
    pub(crate) fn queue_pending_from(
        &mut self,
        repr: Ipv4Repr,
        parts: &[&[u8]],
        route: RouteInfo,
        state: PendingState,
        sent: usize,
        l4: Option<L4Checksum>,
    ) -> Result<(), OutputError> {
        let len = repr.payload_len;
        if !cfg!(feature = "pending-queue") {
            // As a queue with no room.
            if state == PendingState::Resolving {
                bump(&mut self.stats.arp.drop_queue_full);
            } else {
                bump(&mut self.stats.ipv4.drop_tx_queue_full);
            }
            return Err(OutputError::Dropped);
        }
        let pending = Pending {
            repr,
            next_hop: route.next_hop,
            device: route.device,
            state,
            sent,
            deadline: self.now + PENDING_LIFETIME,
        };
        if self.pending.is_empty() {
            self.pending.check_at = self.now + PENDING_RECHECK;
        }
        match self.pending.queue.enqueue(len, pending) {
            Ok(buf) => {
                copy_parts(parts, 0, buf);
                if let Some(l4) = l4 {
                    l4.apply(buf);
                }
                bump(&mut self.stats.arp.queued);
                if state == PendingState::Ready {
                    self.pending.ready = true;
                }
                Ok(())
            }
            Err(_) => {
                if state == PendingState::Resolving {
                    bump(&mut self.stats.arp.drop_queue_full);
                } else {
                    bump(&mut self.stats.ipv4.drop_tx_queue_full);
                }
                Err(OutputError::Dropped)
            }
        }
    }

    /// Walks the pending queue: sends what can go now (datagrams whose
    /// neighbour resolved, datagrams a busy device refused, the rest of a
    /// datagram a busy device stopped halfway), asks ARP again for a
    /// neighbour whose entry was evicted, and drops (counted) what waited
    /// past its deadline. Sent and dropped entries are reclaimed from the
    /// front.
    pub(crate) fn flush_pending(&mut self, tx: &mut Tx<'_, '_>) {
        self.pending.ready = false;
        let now = self.now;
        self.pending.check_at = now + PENDING_RECHECK;
        let arp = &mut self.arp;
        let routes = &self.routes;
        let devices = &self.devices;
        let stats = &mut self.stats;
        let busy = &mut self.device_busy;
        let mut blocked = false;
        self.pending.queue.for_each_mut(|p, data| {
            if p.state == PendingState::Done {
                return true;
            }
            if p.deadline <= now {
                p.state = PendingState::Done;
                bump(&mut stats.ipv4.drop_pending_timeout);
                return true;
            }
            let Some(info) = devices.get(p.device.index()) else {
                p.state = PendingState::Done;
                return true;
            };
            let mac = match resolve_next_hop(arp, info, p.next_hop, false, now) {
                NextHop::Link(mac) => mac,
                NextHop::Unresolved(Lookup::Miss) => {
                    // The entry was evicted or failed: ask again (until
                    // the datagram's deadline).
                    let _ = arp.start_resolution(p.next_hop, p.device, now, routes);
                    return true;
                }
                NextHop::Unresolved(_) => return true,
                NextHop::Multicast => {
                    p.state = PendingState::Done;
                    bump(&mut stats.ipv4.drop_multicast);
                    return true;
                }
            };
            if blocked {
                return true;
            }
            match transmit_pending(tx, devices, stats, busy, p, mac, data) {
                Ok(()) => {
                    p.state = PendingState::Done;
                    arp.clear_queued(&p.next_hop);
                }
                Err(()) => blocked = true,
            }
            true
        });
        self.pending
            .queue
            .dequeue_while(|p| p.state == PendingState::Done);
        if blocked {
            self.pending.ready = true;
        }
    }

    /// Resolution of `ip` failed: drop what waited for it (RFC 1122
    /// 2.3.2.2 leaves the choice; there is no one to tell for our own
    /// datagrams but the counters).
    pub(crate) fn pending_resolution_failed(&mut self, ip: Ipv4Address) {
        net_debug!("no reply from {}, dropping its queue", ip);
        let mut dropped = 0u64;
        self.pending.queue.for_each_mut(|p, _| {
            if p.state == PendingState::Resolving && p.next_hop == ip {
                p.state = PendingState::Done;
                dropped += 1;
            }
            true
        });
        self.stats.arp.drop_unresolved.add(dropped);
        self.pending
            .queue
            .dequeue_while(|p| p.state == PendingState::Done);
    }
}

/// Sends one queued datagram from where it stopped. `Err` means the device
/// is busy (the datagram stays queued, `p.sent` records the progress); a
/// datagram that cannot be sent at all is dropped, counted, as `Ok`.
fn transmit_pending(
    tx: &mut Tx<'_, '_>,
    devices: &[super::DeviceInfo],
    stats: &mut super::Stats,
    busy: &mut bool,
    p: &mut Pending,
    mac: Option<EthernetAddress>,
    data: &[u8],
) -> Result<(), ()> {
    let Some(info) = devices.get(p.device.index()) else {
        return Ok(());
    };
    let dg = Datagram {
        repr: p.repr,
        parts: &[data],
        l4: None,
    };
    match send_fragments(tx, info, mac, dg, p.sent, stats) {
        Ok(()) => Ok(()),
        Err(FragStop::Busy { sent }) => {
            *busy = true;
            p.sent = sent;
            Err(())
        }
        Err(FragStop::TooBig { .. }) => {
            bump(&mut stats.ipv4.drop_too_big);
            Ok(())
        }
        Err(FragStop::NeedsFragmentation) => {
            bump(&mut stats.ipv4.drop_needs_fragmentation);
            Ok(())
        }
        Err(FragStop::Failed(_)) => {
            bump(&mut stats.link.drop_tx_device);
            Ok(())
        }
    }
}
