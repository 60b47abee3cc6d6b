//! RFC 9293 3.10.8, TIMEOUTS, and the timers that wait for something.
//!
//! [`TcpSocket::handle_timeout`] takes every expired timer of the table and
//! stops it, re-arms it, or turns it into a pending send for `dispatch`;
//! afterwards no timer is expired, so a poll cannot spin on one. `schedule`
//! arms the timers that wait for a condition rather than an event (the
//! persist timer while the peer's window is closed, the SWS override
//! while sender SWS avoidance holds data back, keep-alive while the
//! connection is idle, an orphan's FIN-WAIT-2 limit), and stops them when
//! the condition is gone; it runs after every segment and whenever
//! `dispatch` has nothing to send.

use super::output::Blocked;
use super::rack::RtxTimer;
use super::timer::{Stamp, Timer, TimerSet};
use super::{Flags, Pending, State, TcpConfig, TcpSocket};
use crate::time::{Duration, Instant};

/// The longest wait between zero-window probes: the RTO doubled six times,
/// at most a minute.
const PERSIST_MAX: Duration = Duration::from_secs(60);
const PERSIST_MAX_BACKOFF: u8 = 6;

impl TcpSocket<'_> {
    /// Handles every timer that has expired at `now`: each is stopped,
    /// re-armed, or turned into a pending send that `dispatch` then makes
    /// (so a failed send leaves the pending send, not an expired timer).
    /// Returns the timers that expired.
    pub fn handle_timeout(&mut self, now: Instant, config: &TcpConfig) -> TimerSet {
        let mut expired = TimerSet::EMPTY;
        // Each round stops or re-arms (in the future) the timer it handles,
        // or closes the connection (which stops them all).
        for _ in 0..2 * Timer::ALL.len() {
            let Some(timer) = self.timers.first_expired(now) else {
                return expired;
            };
            expired.insert(timer);
            match timer {
                Timer::Retransmit => match self.rtx_timer() {
                    RtxTimer::Rto => self.retransmission_timeout(now, config),
                    RtxTimer::Probe => self.probe_timeout(now),
                    RtxTimer::Reorder => self.reorder_timeout(now),
                },
                Timer::Persist => self.persist_timeout(now, config),
                Timer::DelayedAck => {
                    self.timers.stop(Timer::DelayedAck);
                    self.pending.set(Pending::ACK, true);
                }
                Timer::KeepAlive => self.keep_alive_timeout(now),
                Timer::SwsOverride => {
                    self.timers.stop(Timer::SwsOverride);
                    self.pending.set(Pending::FORCE, true);
                }
                Timer::FinWait2 => {
                    net_debug!(
                        "FIN-WAIT-2 timeout of an orphan: reset, local={}, remote={}",
                        self.local,
                        self.remote
                    );
                    self.pending.set(Pending::RST, true);
                    self.set_closed();
                }
                // "TIME-WAIT TIMEOUT: If the time-wait timeout expires on a
                // connection, delete the TCB, enter the CLOSED state, and
                // return."
                Timer::TimeWait => self.set_closed(),
                // "USER TIMEOUT: For any state if the user timeout expires,
                // flush all queues, signal the user "error: connection
                // aborted due to user timeout" in general and for any
                // outstanding calls, delete the TCB, enter the CLOSED state,
                // and return."
                Timer::UserTimeout => {
                    net_debug!("user timeout");
                    self.timed_out();
                }
            }
        }
        debug_assert!(self.timers.first_expired(now).is_none());
        expired
    }

    /// "RETRANSMISSION TIMEOUT: For any state if the retransmission timeout
    /// expires on a segment in the retransmission queue, send the segment
    /// at the front of the retransmission queue again, reinitialize the
    /// retransmission timer, and return." With RFC 6298 (5.4) to (5.6) and
    /// RFC 9293 3.8.3's limits.
    fn retransmission_timeout(&mut self, now: Instant, config: &TcpConfig) {
        self.timers.stop(Timer::Retransmit);
        let syn = !self.flags.has(Flags::SYN_ACKED);
        if !syn && self.snd.wnd == 0 {
            // The peer's window closed on data in flight: its
            // retransmissions are zero-window probes (RFC 9293 3.8.6.1),
            // which do not count towards R2.
            self.snd.nxt = self.snd.una;
            self.clear_mtu_resend();
            self.persist_timeout(now, config);
            return;
        }
        let limit = if syn {
            config.max_syn_retransmissions
        } else {
            config.max_retransmissions
        };
        if self.retries >= limit {
            // RFC 9293 3.8.3: "when the number of transmissions of the same
            // segment reaches a threshold R2 ... close the connection."
            net_debug!("giving up after {} retransmissions", self.retries);
            if self.state == State::SynReceived && self.flags.has(Flags::PASSIVE) {
                // A half-open connection from a passive OPEN: the listener
                // goes back to waiting (it must not be lost to a SYN whose
                // sender never answers).
                self.back_to_listen();
            } else {
                self.timed_out();
            }
            return;
        }
        self.retries += 1;
        if self.retries == config.r1 {
            net_info!(
                "{} retransmissions to {} (R1): the path may be broken",
                self.retries,
                self.remote
            );
        }
        // "(5.5) The host MUST set RTO <- RTO * 2 ("back off the timer")."
        self.rtt.back_off(config.rto_max);
        if syn {
            self.flags.set(Flags::SYN_RETRANSMITTED, true);
            self.pending.set(Pending::SYN, true);
        } else {
            let flight = (self.snd.max - self.snd.una) as u32;
            self.cc
                .on_timeout(flight, self.snd.max, u32::from(self.snd_mss));
        }
        // "(5.4) Retransmit the earliest segment that has not been
        // acknowledged by the TCP receiver" (and, as the window allows,
        // what follows it: go-back-N). Karn: nothing in flight is timed.
        self.snd.nxt = self.snd.una;
        self.pending.set(Pending::REXMIT, false);
        self.karn_stop_timing();
        self.forget_sack_blocks();
        self.rack_timed_out();
        if self.ts_agreed() {
            // Echoes older than this are no samples while backed off.
            self.rtt_sent_us = self.ts.tsval(now);
        }
        // "(5.6) Start the retransmission timer, such that it expires after
        // RTO seconds (for the value of RTO after the doubling operation
        // outlined in 5.5)."
        self.arm_rto(now);
    }

    /// RFC 9293 3.8.6.1: "The transmitting host SHOULD send the first
    /// zero-window probe when a zero window has existed for the
    /// retransmission timeout period (SHLD-29), and SHOULD increase
    /// exponentially the interval between successive probes (SHLD-30)."
    /// "As long as the receiving TCP peer continues to send acknowledgments
    /// in response to the probe segments, the sending TCP peer MUST allow
    /// the connection to stay open (MUST-37)": only unanswered probes count
    /// (R2 of them end it), and an orphan gives up after
    /// `orphan_retries` probes, answered or not (MUST-37's resource-limit
    /// exception). The user timeout still applies.
    fn persist_timeout(&mut self, now: Instant, config: &TcpConfig) {
        let orphan_done = self.is_orphan() && self.persist_backoff >= config.orphan_retries;
        if self.probes >= config.max_retransmissions || orphan_done {
            net_debug!(
                "zero-window probes: giving up after {} ({} unanswered)",
                self.persist_backoff,
                self.probes
            );
            self.timed_out();
            return;
        }
        self.probes = self.probes.saturating_add(1);
        self.persist_backoff = self.persist_backoff.saturating_add(1);
        self.pending.set(Pending::PROBE, true);
        let mut interval = self.rtt.rto();
        for _ in 0..self.persist_backoff.min(PERSIST_MAX_BACKOFF) {
            interval = interval.saturating_mul(2);
        }
        self.timers
            .set(Timer::Persist, now, interval.min(PERSIST_MAX));
    }

    /// RFC 1122 4.2.3.6: keep-alive "MUST only be sent when no data or
    /// acknowledgement packets have been received for the connection within
    /// an interval", here also only with nothing in flight and nothing
    /// queued (the retransmission timer watches the peer then). Unanswered
    /// probes count against the keep-alive limit only.
    fn keep_alive_timeout(&mut self, now: Instant) {
        let Some(idle) = self.keep_alive() else {
            self.timers.stop(Timer::KeepAlive);
            return;
        };
        if self.snd.max != self.snd.una || !self.tx.is_empty() {
            self.timers.set(Timer::KeepAlive, now, idle);
            return;
        }
        let quiet = self.timers.since(Stamp::LastRx, now);
        if quiet < idle {
            self.timers
                .set(Timer::KeepAlive, now, idle.saturating_sub(quiet));
            return;
        }
        if self.probes >= self.opts.keep_cnt {
            net_debug!("keep-alive: {} probes unanswered", self.probes);
            self.timed_out();
            return;
        }
        self.probes = self.probes.saturating_add(1);
        self.pending.set(Pending::KEEPALIVE, true);
        self.timers
            .set(Timer::KeepAlive, now, self.keep_alive_interval());
    }

    /// Arms or stops the timers that wait for a condition (see the module
    /// documentation).
    pub(crate) fn schedule(&mut self, now: Instant, config: &TcpConfig) {
        self.schedule_send_timers(now, config);
        self.schedule_keep_alive(now);
        self.schedule_fin_wait2(now, config);
        self.schedule_user_timeout(now);
    }

    /// A user timeout set (or changed) while data is outstanding counts
    /// from now; one with nothing outstanding is not running.
    fn schedule_user_timeout(&mut self, now: Instant) {
        match self.user_timeout() {
            Some(t)
                if Timer::UserTimeout.used_in(self.state)
                    && self.snd.max != self.snd.una
                    && !self.timers.is_running(Timer::UserTimeout) =>
            {
                self.timers.set(Timer::UserTimeout, now, t);
            }
            None => self.timers.stop(Timer::UserTimeout),
            _ => {}
        }
    }

    /// The persist timer while the window is closed on data, a FIN or a
    /// probe, with nothing else in flight; the SWS override while sender
    /// SWS avoidance holds data back with nothing in flight (RFC 9293
    /// 3.8.6.2.1: "(4) data is PUSHed and the override timeout occurs";
    /// without it one lost window update would freeze the connection).
    fn schedule_send_timers(&mut self, now: Instant, config: &TcpConfig) {
        if !self.state.may_transmit() {
            return;
        }
        let blocked = if self.timers.is_running(Timer::Retransmit) {
            Blocked::No
        } else {
            self.plan_data(false).blocked
        };
        if blocked != Blocked::Window && self.timers.is_running(Timer::Persist) {
            self.timers.stop(Timer::Persist);
            self.persist_backoff = 0;
        }
        if blocked != Blocked::Sws {
            self.timers.stop(Timer::SwsOverride);
        }
        match blocked {
            Blocked::Window if !self.timers.is_running(Timer::Persist) => {
                self.timers.set(Timer::Persist, now, self.rtt.rto());
            }
            Blocked::Sws if !self.timers.is_running(Timer::SwsOverride) => {
                self.timers
                    .set(Timer::SwsOverride, now, config.sws_override);
            }
            _ => {}
        }
    }

    /// Keep-alive runs in ESTABLISHED, CLOSE-WAIT and, for a socket the
    /// application still holds, FIN-WAIT-2 (a half-closed peer that died is
    /// found that way, as Linux does); never in TIME-WAIT.
    fn schedule_keep_alive(&mut self, now: Instant) {
        let idle = self.keep_alive().filter(|_| {
            Timer::KeepAlive.used_in(self.state)
                && !(self.state == State::FinWait2 && self.is_orphan())
        });
        match idle {
            None => self.timers.stop(Timer::KeepAlive),
            Some(idle) if !self.timers.is_running(Timer::KeepAlive) => {
                let due = self.timers.stamped(Stamp::LastRx) + idle;
                self.timers
                    .set(Timer::KeepAlive, now, due.saturating_duration_since(now));
            }
            Some(_) => {}
        }
    }

    /// An orphan in FIN-WAIT-2 is reset after `fin_wait2_timeout`, counted
    /// from entry (`enter_fin_wait2`) or from when it was orphaned there.
    fn schedule_fin_wait2(&mut self, now: Instant, config: &TcpConfig) {
        match config.fin_wait2_timeout {
            Some(t) if self.state == State::FinWait2 && self.is_orphan() => {
                if !self.timers.is_running(Timer::FinWait2) {
                    self.timers.set(Timer::FinWait2, now, t);
                }
            }
            _ => self.timers.stop(Timer::FinWait2),
        }
    }
}
