//! The application's side of `bench inproc`, the same for both stacks: a
//! sender that fills its socket with a pattern, a receiver that checks
//! every byte against it, and a virtual clock that jumps to the next
//! deadline only when both stacks are idle (so timers cost no wall time).

use std::time::Instant as WallClock;

/// One endpoint of a TCP connection on either stack, driven by the
/// harness. Times are microseconds of the virtual clock.
pub trait Endpoint {
    /// Polls the stack once; returns whether a frame was sent or received.
    fn poll(&mut self, now: u64) -> bool;
    /// When the stack next needs a poll.
    fn poll_at(&mut self, now: u64) -> Option<u64>;
    /// Lends the free part of the send buffer to `fill`, which returns how
    /// many bytes it wrote; returns that (0 when the socket cannot send).
    fn send(&mut self, fill: &mut dyn FnMut(&mut [u8]) -> usize) -> usize;
    /// Lends received bytes to `take`, which returns how many it consumed;
    /// returns that.
    fn recv(&mut self, take: &mut dyn FnMut(&[u8]) -> usize) -> usize;
    /// Frames sent: all, and those of more than 100 bytes.
    fn frames_sent(&self) -> (u64, u64);
    /// Sockets the stack has visited in its polls so far (0 if it does
    /// not say).
    fn visits(&self) -> u64 {
        0
    }
}

/// What a run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    pub bytes: u64,
    pub seconds: f64,
    pub frames_ab: u64,
    pub frames_ba: u64,
    pub data_frames_ab: u64,
    pub polls: u64,
    /// Virtual time the transfer took.
    pub virtual_us: u64,
    /// Sockets both stacks visited in their polls during the transfer.
    pub visits: u64,
}

impl Outcome {
    pub fn gbit_per_s(&self) -> f64 {
        self.bytes as f64 * 8.0 / self.seconds / 1e9
    }
}

/// The byte pattern: 64 KiB of a sequence no segment boundary aligns with.
pub struct Pattern(Vec<u8>);

impl Pattern {
    const LEN: usize = 65_521; // prime

    pub fn new() -> Pattern {
        Pattern(
            (0..Self::LEN)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
        )
    }

    /// Writes the stream's bytes from `offset` into `buf`.
    pub fn fill(&self, offset: u64, buf: &mut [u8]) {
        let mut at = (offset % Self::LEN as u64) as usize;
        let mut done = 0;
        while done < buf.len() {
            let n = (Self::LEN - at).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&self.0[at..at + n]);
            done += n;
            at = 0;
        }
    }

    /// Whether `buf` is the stream's bytes from `offset`.
    pub fn check(&self, offset: u64, buf: &[u8]) -> bool {
        let mut at = (offset % Self::LEN as u64) as usize;
        let mut done = 0;
        while done < buf.len() {
            let n = (Self::LEN - at).min(buf.len() - done);
            if buf[done..done + n] != self.0[at..at + n] {
                return false;
            }
            done += n;
            at = 0;
        }
        true
    }
}

/// Moves `total` bytes from `a` to `b` (already connected or connecting)
/// and checks them. `Err` if a byte is wrong or nothing is scheduled
/// before the end.
pub fn run(a: &mut dyn Endpoint, b: &mut dyn Endpoint, total: u64) -> Result<Outcome, String> {
    let pattern = Pattern::new();
    let mut now: u64 = 1_000_000;
    let (mut sent, mut received, mut polls) = (0u64, 0u64, 0u64);
    let start = WallClock::now();
    let begin = now;
    let visits_before = a.visits() + b.visits();
    let mut idle_now = 0;
    while received < total {
        let moved = a.poll(now) | b.poll(now);
        polls += 1;
        let wrote = if sent < total {
            a.send(&mut |buf| {
                let n = (buf.len() as u64).min(total - sent) as usize;
                pattern.fill(sent, &mut buf[..n]);
                n
            })
        } else {
            0
        };
        sent += wrote as u64;
        let mut bad = false;
        let read = b.recv(&mut |buf| {
            bad |= !pattern.check(received, buf);
            buf.len()
        });
        if bad {
            return Err(format!("wrong bytes at offset {received}"));
        }
        received += read as u64;
        if !moved && wrote == 0 && read == 0 {
            let next = [a.poll_at(now), b.poll_at(now)].into_iter().flatten().min();
            match next {
                Some(t) if t > now => {
                    now = t;
                    idle_now = 0;
                }
                Some(_) => {
                    idle_now += 1;
                    if idle_now > 1000 {
                        return Err(format!("due now with nothing to do at {now} us"));
                    }
                }
                None => return Err(format!("stalled: {received} of {total} bytes")),
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let (frames_ab, data_frames_ab) = a.frames_sent();
    let (frames_ba, _) = b.frames_sent();
    Ok(Outcome {
        bytes: total,
        seconds,
        frames_ab,
        frames_ba,
        data_frames_ab,
        polls,
        virtual_us: now - begin,
        visits: a.visits() + b.visits() - visits_before,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_checks_what_it_fills_across_its_wrap() {
        let p = Pattern::new();
        let mut buf = vec![0u8; 200_000];
        p.fill(12_345, &mut buf);
        assert!(p.check(12_345, &buf));
        assert!(p.check(12_345 + 70_000, &buf[70_000..]));
        assert!(!p.check(12_346, &buf));
        buf[150_000] ^= 1;
        assert!(!p.check(12_345, &buf));
    }
}
