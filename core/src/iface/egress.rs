//! Egress: what a poll sends after the input is processed, in order:
//! gratuitous ARPs, ARP timers, the pending queue, reassembly timeouts, then
//! the sockets that were touched or are due (their timers, then what they
//! have to send, up to a budget), and
//! the ARP timers again, so that a resolution a socket's first datagram
//! started sends its request in this poll.

use super::stats::bump;
use super::{Inner, Reassembler, Tx, neighbor};
use crate::socket::{Socket, SocketSet};

impl Inner<'_> {
    /// Timers and queued output: gratuitous ARP, ARP requests, pending
    /// datagrams, reassembly timeouts, then the sockets.
    pub(crate) fn egress(
        &mut self,
        tx: &mut Tx<'_, '_>,
        reasm: &mut Reassembler<'_>,
        sockets: &mut SocketSet<'_>,
    ) {
        let now = tx.now;
        while let Some(id) = self.announce.first().copied() {
            self.announce.remove(0);
            self.arp_announce(tx, id);
        }
        self.arp_timers(tx);
        if cfg!(feature = "pending-queue") && self.pending.due(now) {
            self.flush_pending(tx);
        }
        if cfg!(feature = "ipv4-reassembly") {
            reasm.poll(now, &mut |e| self.reassembly_expired(tx, e));
        }
        if cfg!(feature = "tcp-time-wait") {
            self.time_wait.expire(now);
        }
        self.sockets_egress(tx, sockets);
        // A socket's first datagram to a new neighbour started its
        // resolution: the request goes in this poll, not the next.
        self.arp_timers(tx);
    }

    /// ARP timers, in rounds of at most 32 actions (a flood of
    /// unresolvable addresses cannot make this unbounded per round).
    fn arp_timers(&mut self, tx: &mut Tx<'_, '_>) {
        let now = tx.now;
        for _ in 0..64 {
            let mut actions: heapless::Vec<neighbor::ArpAction, 32> = heapless::Vec::new();
            let more = self.arp.poll(now, &mut |a| actions.push(a).is_ok());
            for a in actions {
                match a {
                    neighbor::ArpAction::Request { ip, device, to } => {
                        self.arp_request(tx, device, ip, to)
                    }
                    neighbor::ArpAction::Failed { ip } => self.pending_resolution_failed(ip),
                }
            }
            if !more {
                break;
            }
        }
    }

    /// Gives every socket that was touched since the last poll, or whose
    /// deadline has come, the chance to send (a bounded number of packets
    /// each per poll); the others are not visited (`socket/schedule.rs`).
    pub(crate) fn sockets_egress(&mut self, tx: &mut Tx<'_, '_>, sockets: &mut SocketSet<'_>) {
        const PER_SOCKET: usize = 64;
        sockets.for_each_due(tx.now, |socket| {
            match socket {
                Socket::Tcp(s) => self.tcp_socket_timeout(s),
                Socket::TcpListener(l) => {
                    if cfg!(feature = "tcp-listener") {
                        self.tcp_listener_timers(tx, l);
                    }
                    return;
                }
                _ => {}
            }
            for _ in 0..PER_SOCKET {
                let sent = match socket {
                    Socket::Udp(s) => s.has_pending_tx() && self.udp_socket_dispatch(tx, s),
                    Socket::Icmp(s) => s.has_pending_tx() && self.icmp_socket_dispatch(tx, s),
                    Socket::Tcp(s) => self.tcp_socket_dispatch(tx, s),
                    Socket::TcpListener(_) => false,
                };
                if !sent || self.device_busy {
                    break;
                }
            }
            // A TIME-WAIT nobody holds any more waits as a record; its
            // socket goes CLOSED for its owner to free or reuse.
            if let Socket::Tcp(s) = socket
                && cfg!(feature = "tcp-time-wait")
                && self.time_wait.capacity() > 0
                && s.wants_compact_time_wait(tx.now)
            {
                let record = s.hand_time_wait_to_record(tx.now);
                bump(&mut self.stats.tcp.time_wait_records);
                if self.time_wait.insert(record).is_some() {
                    bump(&mut self.stats.tcp.drop_time_wait_evicted);
                }
            }
        });
    }
}
