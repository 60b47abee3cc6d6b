//! Compact TIME-WAIT (RFC 9293 3.10.7.4, TIME-WAIT STATE; RFC 6191):
//! what stays of a connection for 2*MSL once its socket is given back.
//!
//! A connection in TIME-WAIT whose application has let go of it
//! ([`TcpSocket::orphan`], which dropping a hosted stream does) needs none
//! of its buffers: all it may still do is acknowledge a resent FIN, answer
//! what is not acceptable with an ACK, challenge a RST or a SYN (RFC 5961),
//! close on a RST at RCV.NXT, and let RFC 6191 reopen it. A
//! [`TimeWaitRecord`] keeps what that takes, in 56 bytes (thumbv7em): both
//! endpoints, SND.NXT and RCV.NXT, the window it advertised, with
//! timestamps its offset and TS.Recent with its age, the identifier
//! counter, when it expires and how many ACKs it sent in the current
//! second. The socket then goes CLOSED and its owner frees it.
//!
//! The [`TimeWaitTable`] is a FIFO in storage the stack's caller gives
//! ([`StackStorage::with_time_wait`](crate::iface::StackStorage::with_time_wait)):
//! every record lives the same 2*MSL, so the oldest is always first, and a
//! record whose 2*MSL restarts (a resent FIN) moves to the back. A full
//! table evicts the oldest record, never a live connection: a deviation
//! from MUST-13 under resource limits (docs/CONFORMANCE.md), counted in
//! `tcp.drop_time_wait_evicted`.
//!
//! A RST at RCV.NXT ends the record, as RFC 9293 says ("If the RST bit is
//! set, then enter the CLOSED state"), not RFC 1337's "ignore": with RFC
//! 5961's exact-match rule a blind attacker must guess RCV.NXT, and a peer
//! that really lost its side should be able to end ours, as a socket in
//! TIME-WAIT lets it.

use core::net::SocketAddrV4;

use managed::ManagedSlice;

use super::{Flags, State, TcpConfig, TcpSocket, Timer};
use crate::time::Instant;
use crate::wire::{SeqNumber, TcpFlags, TcpRepr};

/// RFC 7323 5.5's 24 days, after which TS.Recent says nothing.
const TS_RECENT_LIFETIME_MS: u32 = 24 * 24 * 3600 * 1000;

/// What a connection in TIME-WAIT keeps once its socket is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimeWaitRecord {
    local: SocketAddrV4,
    remote: SocketAddrV4,
    /// SND.NXT (the highest sent, our FIN included).
    snd_nxt: SeqNumber,
    /// RCV.NXT (past the peer's FIN).
    rcv_nxt: SeqNumber,
    /// When the 2*MSL wait ends.
    expires: Instant,
    /// Our timestamp offset, TS.Recent, and when it was set (our clock's
    /// milliseconds), with timestamps.
    ts_offset: u32,
    ts_recent: u32,
    ts_recent_at: u32,
    /// The second (of our clock) in which `acks` ACKs were sent.
    ack_second: u32,
    /// The window field of our ACKs (already scaled).
    window: u16,
    /// The IP identifier counter.
    ident: u16,
    /// The window in bytes (the acceptability test's RCV.WND).
    rcv_wnd: u32,
    /// With timestamps.
    ts: bool,
    /// ACKs sent in `ack_second` (at most the challenge ACK limit).
    acks: u8,
}

/// What a segment to a TIME-WAIT record calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeWaitAction {
    /// Nothing (dropped).
    Drop,
    /// Send the record's ACK.
    Ack,
    /// The record is over (a RST at RCV.NXT).
    Close,
    /// RFC 6191: a SYN that may open a new incarnation, with this ISS; the
    /// record is over and the SYN goes to a listener.
    Reopen(SeqNumber),
}

impl TimeWaitRecord {
    /// The record of a socket in TIME-WAIT, at `now`.
    pub(crate) fn of(s: &TcpSocket<'_>, now: Instant) -> TimeWaitRecord {
        let (window, _) = s.window_to_advertise();
        let expires = s.timers.get(Timer::TimeWait).unwrap_or(now);
        TimeWaitRecord {
            local: s.local,
            remote: s.remote,
            snd_nxt: s.snd.max,
            rcv_nxt: s.rcv.nxt,
            expires,
            ts_offset: s.ts.offset,
            ts_recent: s.ts.recent,
            ts_recent_at: s.ts.recent_at,
            ack_second: 0,
            window,
            ident: s.ip_ident,
            rcv_wnd: s.rcv_wnd().min(u32::MAX as usize) as u32,
            ts: s.flags.has(Flags::TS_OK),
            acks: 0,
        }
    }

    /// Our end.
    pub fn local(&self) -> SocketAddrV4 {
        self.local
    }

    /// The peer's end.
    pub fn remote(&self) -> SocketAddrV4 {
        self.remote
    }

    /// When the 2*MSL wait ends.
    pub fn expires(&self) -> Instant {
        self.expires
    }

    /// The segment of [`TimeWaitAction::Ack`]: `<SEQ=SND.NXT><ACK=RCV.NXT>
    /// <CTL=ACK>`, with our timestamps; the identifier counter moves.
    pub(crate) fn ack(&mut self, now: Instant) -> super::Segment<'static> {
        let mut options = crate::wire::TcpOptions::new();
        if self.ts {
            let tsval = (now.total_millis() as u32).wrapping_add(self.ts_offset);
            options.timestamps = Some((tsval, self.ts_recent));
        }
        let ident = self.ident;
        self.ident = self.ident.wrapping_add(1);
        super::Segment {
            local: self.local,
            remote: self.remote,
            seq: self.snd_nxt,
            ack: self.rcv_nxt,
            flags: TcpFlags::ACK,
            window: self.window,
            urgent: 0,
            options,
            payload: [&[], &[]],
            ident,
            dont_frag: true,
        }
    }

    /// An ACK, if this second's allowance (RFC 5961's challenge ACK limit,
    /// applied to every ACK a record sends) is not spent.
    fn rate_limited_ack(&mut self, now: Instant, config: &TcpConfig) -> TimeWaitAction {
        let second = (now.total_millis() / 1000) as u32;
        if second != self.ack_second {
            self.ack_second = second;
            self.acks = 0;
        }
        if self.acks < config.challenge_ack_limit {
            self.acks += 1;
            TimeWaitAction::Ack
        } else {
            TimeWaitAction::Drop
        }
    }

    /// RFC 9293 3.10.7.4 for TIME-WAIT, as a socket in TIME-WAIT does it.
    pub(crate) fn segment_arrives(
        &mut self,
        now: Instant,
        config: &TcpConfig,
        seg: &TcpRepr<'_>,
    ) -> TimeWaitAction {
        let f = seg.flags;
        let rst = f.contains(TcpFlags::RST);
        // RFC 6191: "If the SYN segment is acceptable (timestamp greater
        // than the last seen, or a higher sequence number without
        // timestamps), honor the connection request", with an ISS beyond
        // the old connection's (RFC 1122 4.2.2.13), as Linux: +65537.
        if f.contains(TcpFlags::SYN) && !f.intersects(TcpFlags::ACK | TcpFlags::RST) {
            let seq_higher = seg.seq_number > self.rcv_nxt;
            let allowed = match (self.ts, seg.options.timestamps) {
                (true, Some((val, _))) if config.timestamps => {
                    (val != self.ts_recent && ts_at_or_after(val, self.ts_recent))
                        || (val == self.ts_recent && seq_higher)
                }
                _ => seq_higher,
            };
            if allowed {
                return TimeWaitAction::Reopen(self.snd_nxt + 65537);
            }
        }
        // RFC 7323 3.2 and 5.3 R1: without the option once agreed, dropped;
        // an older TSval is not acceptable (an ACK answers it).
        if self.ts && !rst {
            let Some((val, _)) = seg.options.timestamps else {
                return TimeWaitAction::Drop;
            };
            let age = (now.total_millis() as u32).wrapping_sub(self.ts_recent_at);
            if age <= TS_RECENT_LIFETIME_MS && !ts_at_or_after(val, self.ts_recent) {
                return self.rate_limited_ack(now, config);
            }
        }
        // "If an incoming segment is not acceptable, an acknowledgment
        // should be sent in reply (unless the RST bit is set, if so drop
        // the segment and return)"; a resent FIN (before RCV.NXT) is that,
        // and "restart the 2 MSL timeout".
        let seg_len = seg.segment_len();
        if !acceptable(self.rcv_nxt, self.rcv_wnd as usize, seg.seq_number, seg_len) {
            if rst {
                return TimeWaitAction::Drop;
            }
            // "Acknowledge it, and restart the 2 MSL timeout": the peer's
            // own FIN sent again, not any FIN (a blind one would keep the
            // record for ever).
            if f.contains(TcpFlags::FIN) && seg.seq_number + seg_len == self.rcv_nxt {
                self.expires = now + config.time_wait;
            }
            return self.rate_limited_ack(now, config);
        }
        if self.ts
            && let Some((val, _)) = seg.options.timestamps
            && ts_at_or_after(val, self.ts_recent)
            && seg.seq_number <= self.rcv_nxt
        {
            self.ts_recent = val;
            self.ts_recent_at = now.total_millis() as u32;
        }
        // RFC 5961 3: a RST at RCV.NXT closes ("CLOSING, LAST-ACK,
        // TIME-WAIT STATES: If the RST bit is set, then enter the CLOSED
        // state"); elsewhere in the window, a challenge ACK.
        if rst {
            if seg.seq_number == self.rcv_nxt || !config.rfc5961.rst_challenge {
                return TimeWaitAction::Close;
            }
            return self.rate_limited_ack(now, config);
        }
        // RFC 5961 4: a SYN in the window gets a challenge ACK.
        if f.contains(TcpFlags::SYN) {
            return self.rate_limited_ack(now, config);
        }
        if !f.contains(TcpFlags::ACK) {
            return TimeWaitAction::Drop;
        }
        // An ACK of something never sent: "send an ACK, drop the segment".
        if seg.ack_number > self.snd_nxt {
            return self.rate_limited_ack(now, config);
        }
        // Data or a FIN at or after RCV.NXT come after the peer's FIN: they
        // are ignored, as the socket ignores them.
        TimeWaitAction::Drop
    }
}

/// `a >= b` in the circular space of 32-bit timestamps (RFC 7323 5.2).
fn ts_at_or_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

/// RFC 9293 3.3's acceptability test (its four cases).
fn acceptable(rcv_nxt: SeqNumber, wnd: usize, seq: SeqNumber, len: usize) -> bool {
    let end = rcv_nxt + wnd;
    match (len, wnd) {
        (0, 0) => seq == rcv_nxt,
        (0, _) => seq.in_window(rcv_nxt, end),
        (_, 0) => false,
        (_, _) => seq.in_window(rcv_nxt, end) || (seq + (len - 1)).in_window(rcv_nxt, end),
    }
}

/// A slot of a [`TimeWaitTable`]; build arrays with [`TimeWaitSlot::EMPTY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeWaitSlot(Option<TimeWaitRecord>);

impl TimeWaitSlot {
    /// An empty slot.
    pub const EMPTY: TimeWaitSlot = TimeWaitSlot(None);
}

/// The TIME-WAIT records, oldest first, in caller storage.
#[derive(Debug)]
pub struct TimeWaitTable<'a> {
    slots: ManagedSlice<'a, TimeWaitSlot>,
    /// The oldest slot in use (or a hole a moved record left).
    head: usize,
    /// Slots from `head` on, holes included.
    span: usize,
    /// Records (holes excluded).
    records: usize,
}

impl<'a> TimeWaitTable<'a> {
    /// A table over `slots` (none: connections stay in their sockets
    /// through TIME-WAIT).
    pub fn new(slots: impl Into<ManagedSlice<'a, TimeWaitSlot>>) -> Self {
        let mut slots = slots.into();
        for s in slots.iter_mut() {
            *s = TimeWaitSlot::EMPTY;
        }
        TimeWaitTable {
            slots,
            head: 0,
            span: 0,
            records: 0,
        }
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.records
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Records it can hold.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn at(&self, k: usize) -> usize {
        (self.head + k) % self.slots.len().max(1)
    }

    /// Every record, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &TimeWaitRecord> + '_ {
        (0..self.span).filter_map(move |k| self.slots.get(self.at(k))?.0.as_ref())
    }

    /// Appends a record; when full, the oldest goes (returned).
    pub(crate) fn insert(&mut self, r: TimeWaitRecord) -> Option<TimeWaitRecord> {
        let cap = self.slots.len();
        if cap == 0 {
            return Some(r);
        }
        if self.span >= cap && self.records < cap {
            self.close_holes();
        }
        let mut evicted = None;
        while self.span >= cap {
            if let Some(old) = self.pop_front() {
                evicted = Some(old);
            }
        }
        let i = self.at(self.span);
        if let Some(slot) = self.slots.get_mut(i) {
            slot.0 = Some(r);
            self.span += 1;
            self.records += 1;
        }
        evicted
    }

    /// Moves the records together, oldest first, so the holes renewed
    /// records left are free again.
    fn close_holes(&mut self) {
        let mut kept = 0;
        for k in 0..self.span {
            let from = self.at(k);
            let r = self.slots.get_mut(from).and_then(|s| s.0.take());
            if let Some(r) = r {
                let to = self.at(kept);
                if let Some(slot) = self.slots.get_mut(to) {
                    slot.0 = Some(r);
                }
                kept += 1;
            }
        }
        self.span = kept;
    }

    fn pop_front(&mut self) -> Option<TimeWaitRecord> {
        if self.span == 0 {
            return None;
        }
        let r = self.slots.get_mut(self.head)?.0.take();
        self.head = (self.head + 1) % self.slots.len().max(1);
        self.span -= 1;
        if r.is_some() {
            self.records -= 1;
        }
        self.skip_holes();
        r
    }

    /// Moves `head` past the holes renewed records left, so the oldest
    /// record is always at `head`.
    fn skip_holes(&mut self) {
        while self.span > 0 && self.slots.get(self.head).is_some_and(|s| s.0.is_none()) {
            self.head = (self.head + 1) % self.slots.len().max(1);
            self.span -= 1;
        }
    }

    /// The position of the record of `local` and `remote`.
    pub(crate) fn find(&self, local: &SocketAddrV4, remote: &SocketAddrV4) -> Option<usize> {
        if self.records == 0 {
            return None;
        }
        (0..self.span).map(|k| self.at(k)).find(|&i| {
            self.slots
                .get(i)
                .and_then(|s| s.0.as_ref())
                .is_some_and(|r| r.remote == *remote && r.local == *local)
        })
    }

    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut TimeWaitRecord> {
        self.slots.get_mut(i)?.0.as_mut()
    }

    /// Takes the record at `i` out (a hole stays until it is the oldest).
    pub(crate) fn remove(&mut self, i: usize) -> Option<TimeWaitRecord> {
        let r = self.slots.get_mut(i)?.0.take()?;
        self.records -= 1;
        self.skip_holes();
        Some(r)
    }

    /// Moves the record at `i` to the back (its 2*MSL restarted).
    pub(crate) fn renew(&mut self, i: usize) {
        if let Some(r) = self.remove(i) {
            self.insert(r);
        }
    }

    /// Whether a record holds these endpoints.
    pub fn contains(&self, local: &SocketAddrV4, remote: &SocketAddrV4) -> bool {
        self.find(local, remote).is_some()
    }

    /// When the oldest record expires.
    pub fn poll_at(&self) -> Option<Instant> {
        self.iter().next().map(|r| r.expires)
    }

    /// Drops the records whose 2*MSL is over; returns how many.
    pub(crate) fn expire(&mut self, now: Instant) -> usize {
        let mut n = 0;
        while let Some(r) = self.slots.get(self.head).and_then(|s| s.0.as_ref()) {
            if r.expires > now || self.span == 0 {
                break;
            }
            self.pop_front();
            n += 1;
        }
        n
    }
}

impl TcpSocket<'_> {
    /// Whether this socket's TIME-WAIT can go to the table: the
    /// application let go of it and nothing is left to send at once.
    pub(crate) fn wants_compact_time_wait(&self, now: Instant) -> bool {
        self.state == State::TimeWait
            && self.is_orphan()
            && self.poll_at(now).is_none_or(|t| t > now)
    }

    /// Hands TIME-WAIT to a record: the socket goes CLOSED.
    pub(crate) fn hand_time_wait_to_record(&mut self, now: Instant) -> TimeWaitRecord {
        let r = TimeWaitRecord::of(self, now);
        self.set_closed();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Duration;
    use crate::wire::{Ipv4Address, TcpOptions};

    fn record(ts: bool) -> TimeWaitRecord {
        TimeWaitRecord {
            local: SocketAddrV4::new(Ipv4Address::new(192, 0, 2, 2), 7),
            remote: SocketAddrV4::new(Ipv4Address::new(192, 0, 2, 1), 4000),
            snd_nxt: SeqNumber(1000),
            rcv_nxt: SeqNumber(5000),
            expires: Instant::from_secs(60),
            ts_offset: 7,
            ts_recent: 100,
            ts_recent_at: 0,
            ack_second: 0,
            window: 1000,
            ident: 0,
            rcv_wnd: 1000,
            ts,
            acks: 0,
        }
    }

    fn seg(flags: TcpFlags, seq: u32, ack: u32, ts: Option<u32>) -> TcpRepr<'static> {
        let mut options = TcpOptions::new();
        options.timestamps = ts.map(|v| (v, 0));
        TcpRepr {
            src_port: 4000,
            dst_port: 7,
            seq_number: SeqNumber(seq),
            ack_number: SeqNumber(ack),
            flags,
            window_len: 100,
            urgent_pointer: 0,
            options,
            payload: &[],
        }
    }

    const NOW: Instant = Instant::from_secs(1);

    #[test]
    fn rfc6191_a_newer_timestamp_or_a_higher_sequence_reopens() {
        let c = TcpConfig::default();
        let mut r = record(true);
        let newer = seg(TcpFlags::SYN, 1, 0, Some(200));
        assert_eq!(
            r.segment_arrives(NOW, &c, &newer),
            TimeWaitAction::Reopen(SeqNumber(1000 + 65537))
        );
        // An older TSval: the SYN is in the window? No (seq 1): an ACK.
        let older = seg(TcpFlags::SYN, 9000, 0, Some(50));
        assert_eq!(r.segment_arrives(NOW, &c, &older), TimeWaitAction::Ack);
        let mut r = record(false);
        assert_eq!(
            r.segment_arrives(NOW, &c, &seg(TcpFlags::SYN, 6000, 0, None)),
            TimeWaitAction::Reopen(SeqNumber(66537))
        );
        assert_eq!(
            r.segment_arrives(NOW, &c, &seg(TcpFlags::SYN, 4000, 0, None)),
            TimeWaitAction::Ack
        );
    }

    #[test]
    fn a_rst_closes_only_at_rcv_nxt() {
        let c = TcpConfig::default();
        let mut r = record(false);
        assert_eq!(
            r.segment_arrives(NOW, &c, &seg(TcpFlags::RST, 9999, 0, None)),
            TimeWaitAction::Drop
        );
        assert_eq!(
            r.segment_arrives(NOW, &c, &seg(TcpFlags::RST, 5001, 0, None)),
            TimeWaitAction::Ack
        );
        assert_eq!(
            r.segment_arrives(NOW, &c, &seg(TcpFlags::RST, 5000, 0, None)),
            TimeWaitAction::Close
        );
    }

    #[test]
    fn a_resent_fin_is_acked_and_restarts_2msl_and_acks_are_rate_limited() {
        let c = TcpConfig::default();
        let mut r = record(false);
        let fin = seg(TcpFlags::FIN | TcpFlags::ACK, 4999, 1000, None);
        assert_eq!(r.segment_arrives(NOW, &c, &fin), TimeWaitAction::Ack);
        assert_eq!(r.expires(), NOW + c.time_wait);
        for _ in 1..c.challenge_ack_limit {
            assert_eq!(r.segment_arrives(NOW, &c, &fin), TimeWaitAction::Ack);
        }
        assert_eq!(r.segment_arrives(NOW, &c, &fin), TimeWaitAction::Drop);
        let later = NOW + Duration::from_secs(1);
        assert_eq!(r.segment_arrives(later, &c, &fin), TimeWaitAction::Ack);
        // Data after the FIN is ignored; an ACK of what was never sent
        // is answered.
        let data = seg(TcpFlags::ACK | TcpFlags::PSH, 5000, 1000, None);
        assert_eq!(r.segment_arrives(later, &c, &data), TimeWaitAction::Drop);
        let ahead = seg(TcpFlags::ACK, 5000, 2000, None);
        assert_eq!(r.segment_arrives(later, &c, &ahead), TimeWaitAction::Ack);
    }

    #[test]
    fn paws_drops_segments_without_timestamps_and_answers_old_ones() {
        let c = TcpConfig::default();
        let mut r = record(true);
        let bare = seg(TcpFlags::ACK, 5000, 1000, None);
        assert_eq!(r.segment_arrives(NOW, &c, &bare), TimeWaitAction::Drop);
        let old = seg(TcpFlags::ACK | TcpFlags::FIN, 4999, 1000, Some(99));
        assert_eq!(r.segment_arrives(NOW, &c, &old), TimeWaitAction::Ack);
        // The ACK carries our timestamps: our clock plus the offset, and
        // TS.Recent.
        let ack = r.ack(NOW);
        assert_eq!(ack.options.timestamps, Some((1007, 100)));
        assert_eq!(
            (ack.seq, ack.ack, ack.window),
            (SeqNumber(1000), SeqNumber(5000), 1000)
        );
    }

    #[test]
    fn a_full_table_evicts_the_oldest_and_a_renewed_record_moves_back() {
        let mut slots = [TimeWaitSlot::EMPTY; 3];
        let mut t = TimeWaitTable::new(&mut slots[..]);
        let rec = |port: u16, exp: u64| {
            let mut r = record(false);
            r.remote = SocketAddrV4::new(*r.remote.ip(), port);
            r.expires = Instant::from_secs(exp as i64);
            r
        };
        assert_eq!(t.insert(rec(1, 10)), None);
        assert_eq!(t.insert(rec(2, 11)), None);
        assert_eq!(t.insert(rec(3, 12)), None);
        let evicted = t.insert(rec(4, 13)).unwrap();
        assert_eq!(evicted.remote.port(), 1);
        assert_eq!(t.len(), 3);
        // Port 2 renewed: it moves to the back.
        let i = t.find(&evicted.local, &rec(2, 0).remote).unwrap();
        t.get_mut(i).unwrap().expires = Instant::from_secs(20);
        t.renew(i);
        let order: alloc::vec::Vec<u16> = t.iter().map(|r| r.remote.port()).collect();
        assert_eq!(order, alloc::vec![3, 4, 2]);
        assert_eq!(t.poll_at(), Some(Instant::from_secs(12)));
        assert_eq!(t.expire(Instant::from_secs(13)), 2);
        assert_eq!(t.len(), 1);
        assert_eq!(t.poll_at(), Some(Instant::from_secs(20)));
        assert!(t.contains(&evicted.local, &rec(2, 0).remote));
        assert_eq!(t.expire(Instant::from_secs(20)), 1);
        assert!(t.is_empty());
    }

    #[test]
    fn a_record_behind_a_hole_still_expires() {
        let mut slots = [TimeWaitSlot::EMPTY; 4];
        let mut t = TimeWaitTable::new(&mut slots[..]);
        let local = record(false).local;
        for (port, exp) in [(1, 10), (2, 11), (3, 12)] {
            let mut r = record(false);
            r.remote = SocketAddrV4::new(*r.remote.ip(), port);
            r.expires = Instant::from_secs(exp);
            t.insert(r);
        }
        // Port 2 renewed: a hole between 1 and 3.
        let two = SocketAddrV4::new(*record(false).remote.ip(), 2);
        let i = t.find(&local, &two).unwrap();
        t.get_mut(i).unwrap().expires = Instant::from_secs(30);
        t.renew(i);
        // 1 and then 3 expire, past the hole; 2 stays.
        assert_eq!(t.expire(Instant::from_secs(12)), 2);
        let left: alloc::vec::Vec<u16> = t.iter().map(|r| r.remote.port()).collect();
        assert_eq!(left, alloc::vec![2]);
        assert_eq!(t.poll_at(), Some(Instant::from_secs(30)));
    }

    #[test]
    fn renewing_a_record_in_the_middle_of_a_full_table_evicts_nobody() {
        let mut slots = [TimeWaitSlot::EMPTY; 3];
        let mut t = TimeWaitTable::new(&mut slots[..]);
        for port in 1..=3 {
            let mut r = record(false);
            r.remote = SocketAddrV4::new(*r.remote.ip(), port);
            t.insert(r);
        }
        let local = record(false).local;
        let middle = SocketAddrV4::new(*record(false).remote.ip(), 2);
        let i = t.find(&local, &middle).unwrap();
        t.renew(i);
        let order: alloc::vec::Vec<u16> = t.iter().map(|r| r.remote.port()).collect();
        assert_eq!(order, alloc::vec![1, 3, 2]);
        assert_eq!(t.len(), 3);
    }
}
