//! When each socket next needs the stack, without visiting every socket on
//! every poll.
//!
//! Two structures, both threaded through the [`SocketSlot`]s themselves
//! (no storage of their own):
//!
//! * a **binary min-heap of deadlines**, one entry per socket with a timer
//!   running: the socket's own `poll_at` (a TCP socket's earliest timer, a
//!   listener's earliest SYN queue entry), exact to the microsecond, so a
//!   timer is never early and never late. `heap` of slot `i` holds the slot
//!   at heap position `i`; `heap_pos` of a slot says where it is;
//! * a **touched list**: sockets the application or the stack may have
//!   changed since their deadline was computed. Every mutable access
//!   through the set ([`SocketSet::get_mut`], [`SocketSet::iter_mut`], the
//!   stack's lookups) puts the socket there, since `TcpSocket`'s methods
//!   (`send_slice`, `recv_slice`, `close`) change it without going through
//!   the set. A touched socket's deadline is recomputed when the stack
//!   asks (`poll_at` walks the touched list, not the set) and when egress
//!   has run it.
//!
//! Egress then visits the touched sockets and those whose deadline is due,
//! and nothing else; `Stack::poll_at` reads the heap's top and the touched
//! list. Both cost what is active, not what is open.

use super::{NONE, Socket, SocketHandle, SocketSet};
use crate::time::Instant;

/// `touched_next` of a slot that is not in the touched list.
pub(super) const UNTOUCHED: u16 = u16::MAX - 1;

/// When a socket next needs the stack, as it says itself: `Some(now)` or
/// earlier for work to do at once.
fn socket_poll_at(socket: &Socket<'_>, now: Instant) -> Option<Instant> {
    match socket {
        Socket::Tcp(t) => t.poll_at(now),
        Socket::TcpListener(l) => l.poll_at(),
        Socket::Udp(u) => u.has_pending_tx().then_some(now),
        Socket::Icmp(i) => i.has_pending_tx().then_some(now),
    }
}

impl<'a> SocketSet<'a> {
    /// Puts slot `i` in the touched list (once).
    pub(super) fn touch(&mut self, i: usize) {
        let Some(slot) = self.slots.get_mut(i) else {
            return;
        };
        if slot.touched_next != UNTOUCHED {
            return;
        }
        slot.touched_next = NONE;
        let i = i as u16;
        match self.slots.get_mut(usize::from(self.touched_tail)) {
            Some(tail) if self.touched_head != NONE => tail.touched_next = i,
            _ => self.touched_head = i,
        }
        self.touched_tail = i;
    }

    /// Whether any socket is touched.
    pub(crate) fn has_touched(&self) -> bool {
        self.touched_head != NONE
    }

    /// The earliest deadline of the untouched sockets.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let top = self.slots.first().map(|s| s.heap)?;
        if self.heap_len == 0 {
            return None;
        }
        self.slots.get(usize::from(top)).map(|s| s.at)
    }

    /// The touched sockets' own `poll_at`, earliest first.
    pub(crate) fn touched_poll_at(&self, now: Instant) -> Option<Instant> {
        let mut at: Option<Instant> = None;
        let mut i = self.touched_head;
        let mut steps = 0;
        while i != NONE && steps <= self.slots.len() {
            let Some(slot) = self.slots.get(usize::from(i)) else {
                break;
            };
            if let Some(t) = slot.socket.as_ref().and_then(|s| socket_poll_at(s, now)) {
                at = Some(at.map_or(t, |a| a.min(t)));
            }
            i = slot.touched_next;
            steps += 1;
        }
        at
    }

    /// Sockets handed to egress so far: those due or touched, not the
    /// idle ones (a measure of the per-poll cost).
    pub fn visits(&self) -> u64 {
        self.visits
    }

    /// Hands `f` every socket that is touched or whose deadline has come,
    /// each once, then computes its deadline again: into the heap, or back
    /// in the touched list (for the next poll) when it still has work at
    /// once. A TCP socket's index entry follows its state right after
    /// (a TIME-WAIT that ended, a connection aborted since the last poll),
    /// so closed endpoints do not look taken.
    pub(crate) fn for_each_due(&mut self, now: Instant, mut f: impl FnMut(&mut Socket<'a>)) {
        while let Some(top) = self.heap_top()
            && self.slots.get(top).is_some_and(|s| s.at <= now)
        {
            self.heap_remove(top);
            self.touch(top);
        }
        let mut i = core::mem::replace(&mut self.touched_head, NONE);
        self.touched_tail = NONE;
        let mut steps = 0;
        while i != NONE && steps <= self.slots.len() {
            let idx = usize::from(i);
            let Some(slot) = self.slots.get_mut(idx) else {
                break;
            };
            i = core::mem::replace(&mut slot.touched_next, UNTOUCHED);
            steps += 1;
            let Some(socket) = slot.socket.as_mut() else {
                continue;
            };
            self.visits += 1;
            f(socket);
            let tcp = matches!(socket, Socket::Tcp(_));
            let at = socket_poll_at(socket, now);
            if tcp {
                self.sync_tcp_index(SocketHandle(idx as u16));
            }
            self.schedule(idx, at, now);
        }
    }

    /// Files slot `i` under its deadline `at`.
    fn schedule(&mut self, i: usize, at: Option<Instant>, now: Instant) {
        match at {
            Some(t) if t <= now => {
                self.heap_remove(i);
                self.touch(i);
            }
            Some(t) => self.heap_set(i, t),
            None => self.heap_remove(i),
        }
    }

    /// Takes slot `i` out of both structures (its socket is gone).
    pub(super) fn unschedule(&mut self, i: usize) {
        self.heap_remove(i);
        // A slot left in the touched list is skipped once it is empty, and
        // visited once more if a new socket took it: harmless.
    }

    // ---- the heap --------------------------------------------------------

    fn heap_top(&self) -> Option<usize> {
        if self.heap_len == 0 {
            return None;
        }
        self.slots.first().map(|s| usize::from(s.heap))
    }

    fn at_of_pos(&self, pos: usize) -> Option<Instant> {
        let item = self.slots.get(pos)?.heap;
        self.slots.get(usize::from(item)).map(|s| s.at)
    }

    fn swap_pos(&mut self, a: usize, b: usize) {
        let (Some(ia), Some(ib)) = (
            self.slots.get(a).map(|s| s.heap),
            self.slots.get(b).map(|s| s.heap),
        ) else {
            return;
        };
        if let Some(s) = self.slots.get_mut(a) {
            s.heap = ib;
        }
        if let Some(s) = self.slots.get_mut(b) {
            s.heap = ia;
        }
        if let Some(s) = self.slots.get_mut(usize::from(ia)) {
            s.heap_pos = b as u16;
        }
        if let Some(s) = self.slots.get_mut(usize::from(ib)) {
            s.heap_pos = a as u16;
        }
    }

    fn sift_up(&mut self, mut pos: usize) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if self.at_of_pos(pos) >= self.at_of_pos(parent) {
                break;
            }
            self.swap_pos(pos, parent);
            pos = parent;
        }
    }

    fn sift_down(&mut self, mut pos: usize) {
        let n = usize::from(self.heap_len);
        loop {
            let (l, r) = (2 * pos + 1, 2 * pos + 2);
            let mut least = pos;
            if l < n && self.at_of_pos(l) < self.at_of_pos(least) {
                least = l;
            }
            if r < n && self.at_of_pos(r) < self.at_of_pos(least) {
                least = r;
            }
            if least == pos {
                break;
            }
            self.swap_pos(pos, least);
            pos = least;
        }
    }

    /// Sets slot `i`'s deadline, adding it to the heap or moving it there.
    fn heap_set(&mut self, i: usize, at: Instant) {
        let Some(slot) = self.slots.get_mut(i) else {
            return;
        };
        let old = slot.at;
        slot.at = at;
        let pos = slot.heap_pos;
        if pos == NONE {
            let n = usize::from(self.heap_len);
            if n >= self.slots.len() {
                return;
            }
            if let Some(s) = self.slots.get_mut(n) {
                s.heap = i as u16;
            }
            if let Some(s) = self.slots.get_mut(i) {
                s.heap_pos = n as u16;
            }
            self.heap_len += 1;
            self.sift_up(n);
        } else if at < old {
            self.sift_up(usize::from(pos));
        } else if at > old {
            self.sift_down(usize::from(pos));
        }
    }

    /// Takes slot `i` out of the heap, if it is there.
    fn heap_remove(&mut self, i: usize) {
        let Some(pos) = self.slots.get(i).map(|s| s.heap_pos) else {
            return;
        };
        if pos == NONE || self.heap_len == 0 {
            return;
        }
        let pos = usize::from(pos);
        let last = usize::from(self.heap_len) - 1;
        self.swap_pos(pos, last);
        self.heap_len -= 1;
        if let Some(s) = self.slots.get_mut(i) {
            s.heap_pos = NONE;
        }
        if pos < last {
            self.sift_down(pos);
            self.sift_up(pos);
        }
    }

    /// The heap's deadlines in slot order (for tests).
    #[cfg(test)]
    pub(super) fn deadlines(&self) -> alloc::vec::Vec<(usize, Instant)> {
        let mut v: alloc::vec::Vec<_> = (0..usize::from(self.heap_len))
            .filter_map(|p| {
                let i = usize::from(self.slots.get(p)?.heap);
                Some((i, self.slots.get(i)?.at))
            })
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::SocketSlot;
    use crate::time::Duration;

    fn set(n: usize) -> SocketSet<'static> {
        let slots: alloc::vec::Vec<SocketSlot<'static>> =
            (0..n).map(|_| SocketSlot::new()).collect();
        SocketSet::new(slots, 1)
    }

    fn ms(n: i64) -> Instant {
        Instant::from_millis(n)
    }

    /// Pops every due slot in order, as egress would see them.
    fn pop_due(s: &mut SocketSet<'_>, now: Instant) -> alloc::vec::Vec<usize> {
        let mut out = alloc::vec::Vec::new();
        while let Some(top) = s.heap_top()
            && s.slots.get(top).is_some_and(|x| x.at <= now)
        {
            out.push(top);
            s.heap_remove(top);
        }
        out
    }

    #[test]
    fn the_heap_gives_deadlines_in_order_never_early() {
        let mut s = set(16);
        let times = [50, 10, 30, 20, 70, 60, 40, 0, 80, 90, 5, 15];
        for (i, t) in times.iter().enumerate() {
            s.heap_set(i, ms(*t));
        }
        assert_eq!(s.next_deadline(), Some(ms(0)));
        assert_eq!(pop_due(&mut s, ms(-1)), alloc::vec![]);
        assert_eq!(pop_due(&mut s, ms(15)), alloc::vec![7, 10, 1, 11]);
        assert_eq!(s.next_deadline(), Some(ms(20)));
        assert_eq!(
            pop_due(&mut s, ms(100)),
            alloc::vec![3, 2, 6, 0, 5, 4, 8, 9]
        );
        assert_eq!(s.next_deadline(), None);
    }

    #[test]
    fn moving_and_cancelling_keeps_the_heap_whole() {
        let mut s = set(8);
        for i in 0..8 {
            s.heap_set(i, ms(10 * i as i64 + 10));
        }
        s.heap_set(7, ms(1)); // earlier
        s.heap_set(0, ms(75)); // later
        s.heap_remove(3); // cancelled
        s.heap_remove(3); // twice is nothing
        assert_eq!(
            s.deadlines(),
            alloc::vec![
                (0, ms(75)),
                (1, ms(20)),
                (2, ms(30)),
                (4, ms(50)),
                (5, ms(60)),
                (6, ms(70)),
                (7, ms(1))
            ]
        );
        assert_eq!(pop_due(&mut s, ms(1000)), alloc::vec![7, 1, 2, 4, 5, 6, 0]);
    }

    #[test]
    fn a_random_schedule_matches_a_sorted_list() {
        let mut rng = crate::rand::Rng::new(9);
        let mut s = set(64);
        let mut model: alloc::vec::Vec<Option<Instant>> = alloc::vec![None; 64];
        for _ in 0..5000 {
            let i = rng.below(64) as usize;
            if rng.below(4) == 0 {
                s.heap_remove(i);
                model[i] = None;
            } else {
                let t = ms(i64::from(rng.below(1000)));
                s.heap_set(i, t);
                model[i] = Some(t);
            }
            let want = model.iter().flatten().min().copied();
            assert_eq!(s.next_deadline(), want);
        }
        let now = ms(500);
        let mut want: alloc::vec::Vec<(Instant, usize)> = model
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.filter(|t| *t <= now).map(|t| (t, i)))
            .collect();
        want.sort();
        let got = pop_due(&mut s, now);
        let got_times: alloc::vec::Vec<Instant> = got.iter().map(|&i| model[i].unwrap()).collect();
        let want_times: alloc::vec::Vec<Instant> = want.iter().map(|w| w.0).collect();
        assert_eq!(got_times, want_times);
        let _ = Duration::ZERO;
    }

    #[test]
    fn the_touched_list_holds_each_socket_once_in_order() {
        let mut s = set(8);
        for i in [3, 1, 3, 5, 1] {
            s.touch(i);
        }
        let mut order = alloc::vec::Vec::new();
        let mut i = s.touched_head;
        while i != NONE {
            order.push(i);
            i = s.slots[usize::from(i)].touched_next;
        }
        assert_eq!(order, alloc::vec![3, 1, 5]);
    }
}
