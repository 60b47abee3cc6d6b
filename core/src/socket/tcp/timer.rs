//! The timers of one connection, as one table (quinn-proto's shape).
//!
//! Every deadline a connection has is a [`Timer`] in its [`TimerTable`]:
//! set, stopped and read in one place, so that `poll_at` is the table's
//! earliest deadline and nothing else, and entering a state stops every
//! timer that state does not use ([`Timer::used_in`], the table below). A
//! timer that expires is handled once by `handle_timeout`: stopped,
//! re-armed, or turned into a pending send that `dispatch` acts on.
//!
//! | state        | timers                                                    |
//! |--------------|-----------------------------------------------------------|
//! | CLOSED       | none                                                      |
//! | LISTEN       | none                                                      |
//! | SYN-SENT     | retransmit, user timeout                                  |
//! | SYN-RECEIVED | retransmit, user timeout                                  |
//! | ESTABLISHED  | retransmit, persist, delayed ACK, keep-alive, SWS override, user timeout |
//! | FIN-WAIT-1   | retransmit, persist, delayed ACK, SWS override, user timeout |
//! | FIN-WAIT-2   | delayed ACK, keep-alive, FIN-WAIT-2                       |
//! | CLOSE-WAIT   | retransmit, persist, delayed ACK, keep-alive, SWS override, user timeout |
//! | CLOSING      | retransmit, persist, SWS override, user timeout           |
//! | LAST-ACK     | retransmit, persist, SWS override, user timeout           |
//! | TIME-WAIT    | TIME-WAIT                                                 |
//!
//! (CLOSING and LAST-ACK keep the sending timers because our FIN may still
//! wait there for the peer's window; keep-alive stops wherever our FIN is
//! outstanding, since the retransmission timer then watches the peer.)
//!
//! Deadlines are stored as `u32` milliseconds from a per-table epoch, the
//! epoch a whole millisecond: a table of eight `Option<Instant>` would be
//! 128 bytes, this one is 48 with its timestamps. A deadline is rounded up
//! to the next millisecond, so a timer never fires early and at most 1 ms
//! late, and is at least 1 ms after the time it was set at, so a re-armed
//! timer cannot make a poll loop spin. The epoch moves forward before an
//! offset could overflow (after 24 days), so intervals of hours are fine;
//! durations are capped at [`MAX_TIMER`].

use crate::time::{Duration, Instant};

use super::State;

/// One of a connection's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Timer {
    /// RFC 6298's retransmission timer.
    Retransmit,
    /// RFC 9293 3.8.6.1's persist timer: zero-window probes.
    Persist,
    /// RFC 1122 4.2.3.2's delayed ACK.
    DelayedAck,
    /// RFC 1122 4.2.3.6's keep-alive.
    KeepAlive,
    /// RFC 9293 3.8.6.2.1's override timeout of sender SWS avoidance.
    SwsOverride,
    /// How long an orphaned connection may wait in FIN-WAIT-2.
    FinWait2,
    /// 2*MSL in TIME-WAIT.
    TimeWait,
    /// RFC 9293 3.10.1's user timeout.
    UserTimeout,
}

/// The number of timers.
const COUNT: usize = 8;

impl Timer {
    /// Every timer, in table order.
    pub const ALL: [Timer; COUNT] = [
        Timer::Retransmit,
        Timer::Persist,
        Timer::DelayedAck,
        Timer::KeepAlive,
        Timer::SwsOverride,
        Timer::FinWait2,
        Timer::TimeWait,
        Timer::UserTimeout,
    ];

    const fn index(self) -> usize {
        self as usize
    }

    /// Whether `state` uses this timer (the table in the module docs).
    pub fn used_in(self, state: State) -> bool {
        use Timer::*;
        match state {
            State::Closed | State::Listen => false,
            State::SynSent | State::SynReceived => matches!(self, Retransmit | UserTimeout),
            State::Established | State::CloseWait => !matches!(self, FinWait2 | TimeWait),
            State::FinWait1 => !matches!(self, KeepAlive | FinWait2 | TimeWait),
            State::FinWait2 => matches!(self, DelayedAck | KeepAlive | FinWait2),
            State::Closing | State::LastAck => {
                matches!(self, Retransmit | Persist | SwsOverride | UserTimeout)
            }
            State::TimeWait => self == TimeWait,
        }
    }
}

/// A set of timers (what [`TcpSocket::handle_timeout`](super::TcpSocket::handle_timeout)
/// found expired).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimerSet(u8);

impl TimerSet {
    /// The empty set.
    pub const EMPTY: TimerSet = TimerSet(0);

    /// Whether `timer` is in the set.
    pub fn contains(self, timer: Timer) -> bool {
        self.0 & (1 << timer.index()) != 0
    }

    /// Adds `timer`.
    pub fn insert(&mut self, timer: Timer) {
        self.0 |= 1 << timer.index();
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl core::fmt::Debug for TimerSet {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.debug_set()
            .entries(Timer::ALL.iter().filter(|t| self.contains(**t)))
            .finish()
    }
}

/// Past events the connection times from, kept in the table's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stamp {
    /// The last segment received (keep-alive idleness).
    LastRx,
    /// The last data sent (RFC 5681 4.1's restart after idle).
    LastTx,
    /// The start of the current RFC 5961 challenge ACK second.
    ChallengeWindow,
    /// The last ACK to an unacceptable segment (valid with
    /// `Flags::OOW_ACKED`).
    OowAck,
}

const STAMPS: usize = 4;

/// The longest a timer may run: 2^31 - 1 ms, about 24.8 days.
pub const MAX_TIMER: Duration = Duration::from_millis((1 << 31) - 1);

/// A stopped timer.
const STOPPED: u32 = u32::MAX;

/// The deadlines of one connection. See the [module documentation](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerTable {
    /// A whole millisecond; every offset counts from it.
    epoch: Instant,
    deadlines: [u32; COUNT],
    stamps: [u32; STAMPS],
}

impl Default for TimerTable {
    fn default() -> Self {
        TimerTable::new()
    }
}

impl TimerTable {
    /// A table with every timer stopped.
    pub const fn new() -> Self {
        TimerTable {
            epoch: Instant::ZERO,
            deadlines: [STOPPED; COUNT],
            stamps: [0; STAMPS],
        }
    }

    /// Whole milliseconds from the epoch to `t` (0 before the epoch).
    fn floor_ms(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.epoch).total_micros() / 1000
    }

    /// Moves the epoch to `now` if `now` is so far from it that a deadline
    /// could overflow; deadlines and stamps before `now` become `now`
    /// (which is never early: they are due, or past). A clock that went
    /// back before the epoch moves nothing: what is set then counts from
    /// the epoch, later than asked, never earlier.
    fn rebase(&mut self, now: Instant) {
        if self.floor_ms(now) < 1 << 31 {
            return;
        }
        let new_epoch = Instant::from_millis(now.total_millis());
        let shift = new_epoch
            .saturating_duration_since(self.epoch)
            .total_millis();
        let shift = u32::try_from(shift).unwrap_or(u32::MAX);
        for d in self.deadlines.iter_mut().filter(|d| **d != STOPPED) {
            *d = d.saturating_sub(shift);
        }
        for s in self.stamps.iter_mut() {
            *s = s.saturating_sub(shift);
        }
        self.epoch = new_epoch;
    }

    /// Starts (or restarts) `timer` to expire `after` from `now` (at least
    /// 1 ms after it, at most [`MAX_TIMER`]).
    pub fn set(&mut self, timer: Timer, now: Instant, after: Duration) {
        self.rebase(now);
        let after = after.min(MAX_TIMER);
        let at = now + after;
        let off = at.saturating_duration_since(self.epoch).total_micros();
        let ceil = off.div_ceil(1000);
        let at_least = self.floor_ms(now) + 1;
        let ticks = ceil.max(at_least);
        if let Some(d) = self.deadlines.get_mut(timer.index()) {
            *d = u32::try_from(ticks).unwrap_or(STOPPED - 1).min(STOPPED - 1);
        }
    }

    /// Stops `timer`.
    pub fn stop(&mut self, timer: Timer) {
        if let Some(d) = self.deadlines.get_mut(timer.index()) {
            *d = STOPPED;
        }
    }

    /// Stops every timer `state` does not use.
    pub fn stop_unused(&mut self, state: State) {
        for t in Timer::ALL {
            if !t.used_in(state) {
                self.stop(t);
            }
        }
    }

    fn instant(&self, ticks: u32) -> Instant {
        self.epoch + Duration::from_millis(u64::from(ticks))
    }

    /// When `timer` expires, if it runs.
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        match self.deadlines.get(timer.index()) {
            Some(&d) if d != STOPPED => Some(self.instant(d)),
            _ => None,
        }
    }

    /// Whether `timer` runs.
    pub fn is_running(&self, timer: Timer) -> bool {
        self.get(timer).is_some()
    }

    /// Whether `timer` runs and has expired at `now`.
    pub fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|t| t <= now)
    }

    /// The earliest deadline, if any timer runs.
    pub fn next(&self) -> Option<Instant> {
        let min = self.deadlines.iter().copied().min()?;
        (min != STOPPED).then(|| self.instant(min))
    }

    /// The first timer (in table order) that has expired at `now`.
    pub fn first_expired(&self, now: Instant) -> Option<Timer> {
        Timer::ALL.into_iter().find(|t| self.is_expired(*t, now))
    }

    /// Records that `stamp` happened at `now` (to the millisecond).
    pub(crate) fn stamp(&mut self, stamp: Stamp, now: Instant) {
        self.rebase(now);
        let ms = u32::try_from(self.floor_ms(now)).unwrap_or(u32::MAX);
        if let Some(s) = self.stamps.get_mut(stamp as usize) {
            *s = ms;
        }
    }

    /// When `stamp` last happened (to the millisecond; the epoch if
    /// never, or if longer ago than the epoch).
    pub(crate) fn stamped(&self, stamp: Stamp) -> Instant {
        self.instant(self.stamps.get(stamp as usize).copied().unwrap_or(0))
    }

    /// Time elapsed at `now` since `stamp`.
    pub(crate) fn since(&self, stamp: Stamp, now: Instant) -> Duration {
        now.saturating_duration_since(self.stamped(stamp))
    }

    /// Stops every timer and forgets the stamps; the epoch becomes `now`.
    pub fn reset(&mut self, now: Instant) {
        *self = TimerTable::new();
        self.epoch = Instant::from_millis(now.total_millis());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_us(us: i64) -> Instant {
        Instant::from_micros(us)
    }

    #[test]
    fn deadlines_are_never_early_and_at_most_a_millisecond_late() {
        let mut t = TimerTable::new();
        t.reset(at_us(1_500));
        for (now, after) in [(1_500, 40_000), (2_001, 999), (7_777, 1), (1_000_000, 0)] {
            t.set(Timer::DelayedAck, at_us(now), Duration::from_micros(after));
            let want = at_us(now) + Duration::from_micros(after);
            let got = t.get(Timer::DelayedAck).unwrap();
            assert!(got >= want, "early: {got} < {want}");
            assert!(got > at_us(now), "not after now");
            assert!(
                got <= want + Duration::from_millis(1),
                "late: {got} for {want}"
            );
        }
    }

    #[test]
    fn next_is_the_earliest_and_stop_removes() {
        let mut t = TimerTable::new();
        let now = Instant::from_secs(10);
        assert_eq!(t.next(), None);
        t.set(Timer::KeepAlive, now, Duration::from_secs(7200));
        t.set(Timer::Retransmit, now, Duration::from_millis(200));
        t.set(Timer::TimeWait, now, Duration::from_secs(60));
        assert_eq!(t.next(), Some(now + Duration::from_millis(200)));
        assert_eq!(t.first_expired(now + Duration::from_millis(199)), None);
        assert_eq!(
            t.first_expired(now + Duration::from_millis(200)),
            Some(Timer::Retransmit)
        );
        t.stop(Timer::Retransmit);
        assert_eq!(t.next(), Some(now + Duration::from_secs(60)));
        t.stop_unused(State::Established);
        assert_eq!(t.next(), Some(now + Duration::from_secs(7200)));
        t.stop_unused(State::TimeWait);
        assert_eq!(t.next(), None);
    }

    #[test]
    fn the_epoch_moves_before_offsets_overflow() {
        let mut t = TimerTable::new();
        let start = Instant::from_secs(5);
        t.reset(start);
        t.stamp(Stamp::LastRx, start);
        // Forty days later, a keep-alive of two hours and a short timer.
        let later = start + Duration::from_secs(40 * 86_400);
        t.set(Timer::KeepAlive, later, Duration::from_secs(7200));
        t.set(Timer::Retransmit, later, Duration::from_millis(300));
        assert_eq!(
            t.get(Timer::KeepAlive),
            Some(later + Duration::from_secs(7200))
        );
        assert_eq!(
            t.get(Timer::Retransmit),
            Some(later + Duration::from_millis(300))
        );
        // A stamp older than the new epoch reads as the epoch: late, never
        // early.
        assert!(t.stamped(Stamp::LastRx) >= start);
        assert!(t.since(Stamp::LastRx, later) <= Duration::from_secs(40 * 86_400));
    }

    #[test]
    fn a_clock_that_goes_back_makes_no_timer_early() {
        let mut t = TimerTable::new();
        let now = Instant::from_secs(100);
        t.reset(now);
        t.set(Timer::TimeWait, now, Duration::from_secs(60));
        t.set(
            Timer::Retransmit,
            now - Duration::from_secs(50),
            Duration::from_secs(1),
        );
        assert_eq!(t.get(Timer::TimeWait), Some(now + Duration::from_secs(60)));
        assert!(t.get(Timer::Retransmit).unwrap() > now);
    }

    #[test]
    fn durations_are_capped() {
        let mut t = TimerTable::new();
        t.set(
            Timer::UserTimeout,
            Instant::ZERO,
            Duration::from_secs(1 << 40),
        );
        assert_eq!(t.get(Timer::UserTimeout), Some(Instant::ZERO + MAX_TIMER));
    }

    #[test]
    fn every_state_uses_what_the_table_says() {
        let count = |s| Timer::ALL.iter().filter(|t| t.used_in(s)).count();
        assert_eq!(count(State::Closed), 0);
        assert_eq!(count(State::Listen), 0);
        assert_eq!(count(State::Established), 6);
        assert!(Timer::TimeWait.used_in(State::TimeWait));
        assert_eq!(count(State::TimeWait), 1);
        assert!(!Timer::KeepAlive.used_in(State::TimeWait));
        assert!(Timer::KeepAlive.used_in(State::FinWait2));
        assert!(!Timer::Retransmit.used_in(State::FinWait2));
    }
}
