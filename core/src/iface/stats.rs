//! Statistics: what each layer received, sent and dropped, and why.
//!
//! Every drop in the stack increments exactly one counter here, so "bad
//! input is counted and dropped" can be checked. The counters are public
//! [`Counter`]s, read as `u64`, and printed by `Display` one per line.

use core::fmt;

/// The storage of a [`Counter`]: 32 bits on 32-bit targets, where the
/// stack's statistics are then half the RAM, 64 bits elsewhere. Chosen by
/// the target, not by a feature, so the public type is the same for every
/// build on one target.
#[cfg(target_pointer_width = "32")]
type CounterRepr = u32;
#[cfg(not(target_pointer_width = "32"))]
type CounterRepr = u64;

/// A statistics counter. It saturates instead of wrapping; [`Counter::get`]
/// reads it.
///
/// ```
/// use microps_core::iface::stats::Counter;
/// let c = Counter::default();
/// assert_eq!(c.get(), 0);
/// assert_eq!(c, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Counter(CounterRepr);

impl Counter {
    /// The count.
    pub const fn get(self) -> u64 {
        #[allow(clippy::unnecessary_cast)] // u64 on 64-bit targets
        let c = self.0 as u64;
        c
    }

    /// Adds `n`, saturating.
    pub(crate) fn add(&mut self, n: u64) {
        let n = CounterRepr::try_from(n).unwrap_or(CounterRepr::MAX);
        self.0 = self.0.saturating_add(n);
    }
}

impl PartialEq<u64> for Counter {
    fn eq(&self, other: &u64) -> bool {
        self.get() == *other
    }
}

impl PartialOrd<u64> for Counter {
    fn partial_cmp(&self, other: &u64) -> Option<core::cmp::Ordering> {
        self.get().partial_cmp(other)
    }
}

impl fmt::Display for Counter {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

macro_rules! counters {
    ($(#[$doc:meta])* $name:ident, $title:literal { $($(#[$fdoc:meta])* $field:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        #[non_exhaustive]
        pub struct $name {
            $($(#[$fdoc])* pub $field: Counter,)*
        }

        impl $name {
            /// Every counter with its name.
            pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> {
                [$((stringify!($field), self.$field.get())),*].into_iter()
            }

            /// The sum of the counters whose names start with `drop_`.
            pub fn dropped(&self) -> u64 {
                self.iter().filter(|(n, _)| n.starts_with("drop_")).map(|(_, v)| v).sum()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{}:", $title)?;
                for (name, value) in self.iter() {
                    if value != 0 {
                        write!(f, " {name}={value}")?;
                    }
                }
                Ok(())
            }
        }
    };
}

counters!(
    /// Link layer (Ethernet and IP-medium devices).
    LinkStats, "link" {
        /// Frames received.
        rx_frames,
        /// Frames sent.
        tx_frames,
        /// Bytes received.
        rx_bytes,
        /// Bytes sent.
        tx_bytes,
        /// Frames shorter than a header.
        drop_malformed,
        /// Frames to another host's unicast address.
        drop_not_for_us,
        /// Multicast frames (no multicast groups are joined).
        drop_multicast,
        /// Frames with an EtherType the stack does not handle.
        drop_unknown_type,
        /// Transmissions the device refused (no buffer, too long, error).
        drop_tx_device,
        /// Frames from a device index the stack does not know.
        drop_unknown_device,
    }
);

counters!(
    /// ARP.
    ArpStats, "arp" {
        /// Packets received.
        rx_packets,
        /// Requests sent (including gratuitous ones).
        tx_requests,
        /// Replies sent.
        tx_replies,
        /// Malformed packets.
        drop_malformed,
        /// Packets for another hardware or protocol type.
        drop_unsupported,
        /// Unknown operations.
        drop_unknown_op,
        /// Packets claiming one of our addresses as their sender.
        drop_conflict,
        /// Packets neither for us nor about a known neighbour.
        drop_not_for_us,
        /// Entries that could not be created (cache full of protected ones).
        drop_cache_full,
        /// Packets from a sender that is no host (broadcast, multicast,
        /// loopback, 0/8 or class E): neither learned nor answered.
        drop_martian,
        /// Packets for us from senders outside every subnet and on-link
        /// route of the device: not learned (a request is still answered).
        ignored_off_link,
        /// Updates refused: a different hardware address for an entry
        /// confirmed within `ArpConfig::locktime`.
        drop_locked,
        /// Replies (echo replies, ICMP errors, RSTs, SYN,ACKs) not sent:
        /// their destination was never resolved, and replies do not wait
        /// for ARP (a request goes out instead).
        drop_reply_unresolved,
        /// Packets dropped because resolution failed.
        drop_unresolved,
        /// Packets dropped because the wait queue or the per-neighbour
        /// limit was full.
        drop_queue_full,
        /// Packets queued to wait for resolution.
        queued,
    }
);

counters!(
    /// IPv4.
    Ipv4Stats, "ip" {
        /// Datagrams received (fragments count one each).
        rx_packets,
        /// Datagrams delivered to a protocol.
        delivered,
        /// Datagrams sent (before fragmentation).
        tx_packets,
        /// Fragments created.
        tx_fragments,
        /// Datagrams forwarded.
        forwarded,
        /// Datagrams reassembled.
        reassembled,
        /// Truncated or malformed headers.
        drop_malformed,
        /// Header checksum errors.
        drop_checksum,
        /// Martian source addresses; when forwarding, also a source of
        /// 0.0.0.0 or a destination no host can have (RFC 1812 5.3.7).
        drop_martian,
        /// Not addressed to us and not forwarded.
        drop_not_for_us,
        /// Unicast datagrams that arrived as link-layer broadcast.
        drop_link_broadcast,
        /// Multicast destinations.
        drop_multicast,
        /// Unknown protocols.
        drop_unknown_protocol,
        /// No route to the destination.
        drop_no_route,
        /// Too big for the MTU with DF set.
        drop_too_big,
        /// TTL expired while forwarding.
        drop_ttl,
        /// Directed broadcasts for another interface's subnet, not
        /// forwarded (`StackConfig::forward_directed_broadcasts` off).
        drop_directed_broadcast,
        /// Fragments: exact duplicates dropped alone.
        drop_frag_duplicate,
        /// Fragments: overlaps, dropping the whole datagram.
        drop_frag_overlap,
        /// Fragments: too long, inconsistent, too many, or no buffer at all.
        drop_frag_invalid,
        /// Datagrams not reassembled in time.
        drop_frag_timeout,
        /// Fragments of a new datagram refused: every reassembly buffer
        /// held a datagram still making progress.
        drop_frag_busy,
        /// Partial datagrams dropped to give their buffer to a new one,
        /// having had no fragment for `reassembly::STALL`.
        frag_evicted,
        /// Fragments received with reassembly compiled out (cargo feature
        /// `ipv4-reassembly` off).
        drop_frag_unsupported,
        /// Datagrams without DF larger than the MTU, with fragmentation
        /// compiled out (cargo feature `ipv4-fragmentation` off).
        drop_needs_fragmentation,
        /// Outgoing datagrams dropped for want of a device or queue buffer.
        drop_tx_queue_full,
        /// Datagrams that waited in the pending queue past their deadline.
        drop_pending_timeout,
    }
);

counters!(
    /// ICMP.
    IcmpStats, "icmp" {
        /// Messages received.
        rx_packets,
        /// Messages sent.
        tx_packets,
        /// Echo requests answered.
        echo_replies_sent,
        /// Errors sent.
        errors_sent,
        /// Errors delivered to sockets.
        errors_delivered,
        /// "Fragmentation needed" messages, accepted by a connection, that
        /// lowered a path's MTU estimate (RFC 1191).
        path_mtu_lowered,
        /// Those that did not (no smaller than what was known).
        path_mtu_ignored,
        /// Malformed messages.
        drop_malformed,
        /// Checksum errors.
        drop_checksum,
        /// Unknown types.
        drop_unsupported,
        /// Broadcast echo requests ignored.
        drop_broadcast_echo,
        /// Echo replies nobody waits for.
        drop_no_socket,
        /// Errors whose quoted datagram is not ours or matches no socket.
        drop_unmatched_error,
        /// "Fragmentation needed" below `pmtu::MIN_PATH_MTU` (552) that a
        /// connection took: its path MTU locked at 552, sent without DF.
        path_mtu_locked,
        /// Errors not sent because of the rate limit.
        drop_rate_limited,
    }
);

counters!(
    /// UDP.
    UdpStats, "udp" {
        /// Datagrams received.
        rx_packets,
        /// Datagrams sent.
        tx_packets,
        /// Malformed datagrams.
        drop_malformed,
        /// Checksum errors.
        drop_checksum,
        /// Datagrams to a port nobody listens on.
        drop_no_socket,
        /// Datagrams dropped because the socket's queue was full.
        drop_socket_full,
        /// Datagrams the socket could not send (no route, too big).
        drop_tx,
    }
);

counters!(
    /// TCP.
    TcpStats, "tcp" {
        /// Segments received.
        rx_segments,
        /// Segments sent.
        tx_segments,
        /// Resets sent outside a connection (closed ports, bad ACKs).
        tx_resets,
        /// Malformed segments.
        drop_malformed,
        /// Checksum errors.
        drop_checksum,
        /// Segments to or from broadcast or multicast addresses.
        drop_broadcast,
        /// Segments for no connection and no listener.
        drop_no_socket,
        /// ACKs not sent to unacceptable segments without data or FIN: one
        /// per `TcpConfig::oow_ack_interval` per connection.
        oow_acks_limited,
        /// Connections whose peer announced an MSS below
        /// `tcp::MIN_SND_MSS` (48), raised to it.
        mss_floored,
        /// Retransmission timeouts (RFC 6298 5.4 to 5.6).
        retransmission_timeouts,
        /// Tail loss probe timeouts: a probe due (RFC 8985 7.3).
        loss_probe_timeouts,
        /// RACK reordering timer expiries (RFC 8985 6.3).
        reorder_timeouts,
        /// Persist timeouts: zero-window probes due (RFC 9293 3.8.6.1).
        persist_timeouts,
        /// Keep-alive timer expiries: a probe, or the re-check of a
        /// connection that was not idle long enough (RFC 1122 4.2.3.6).
        keep_alive_timeouts,
        /// SYNs a listener took into its SYN queue.
        listen_syns,
        /// Handshakes a listener completed (a socket from its pool, into
        /// its accept queue).
        listen_established,
        /// SYN,ACKs a listener sent again for an entry of its SYN queue.
        listen_synack_retransmits,
        /// SYN queue entries given up after `synack_retries`.
        listen_syn_timeouts,
        /// SYN queue entries dropped because the peer never answered ARP.
        listen_syn_unreachable,
        /// SYN queue entries a RST removed.
        listen_resets,
        /// SYNs dropped because the listener's accept queue was full.
        drop_listen_accept_full,
        /// SYNs dropped because the SYN queue was full and no cookie could
        /// answer (cookies off, or the peer's MSS below the smallest class).
        drop_listen_syn_queue_full,
        /// Final ACKs dropped (their entry kept) because the accept queue
        /// was full.
        drop_listen_ack_accept_full,
        /// Final ACKs dropped (their entry kept) because the listener's
        /// pool had no socket.
        drop_listen_ack_no_socket,
        /// SYN cookies sent (RFC 4987), the SYN queue being full.
        syn_cookies_sent,
        /// ACKs that were valid cookies: connections made from them.
        syn_cookies_validated,
        /// ACKs checked as cookies and rejected (stale or forged).
        syn_cookies_rejected,
        /// Connections whose TIME-WAIT went from their socket to a record.
        time_wait_records,
        /// SYNs that reopened a TIME-WAIT record (RFC 6191).
        time_wait_reopened,
        /// TIME-WAIT records evicted, the oldest, for a newer one (the
        /// table was full).
        drop_time_wait_evicted,
    }
);

/// All counters of a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Stats {
    /// Link layer.
    pub link: LinkStats,
    /// ARP.
    pub arp: ArpStats,
    /// IPv4.
    pub ipv4: Ipv4Stats,
    /// ICMP.
    pub icmp: IcmpStats,
    /// UDP.
    pub udp: UdpStats,
    /// TCP.
    pub tcp: TcpStats,
}

impl Stats {
    /// Every drop counted anywhere.
    pub fn total_dropped(&self) -> u64 {
        self.link.dropped()
            + self.arp.dropped()
            + self.ipv4.dropped()
            + self.icmp.dropped()
            + self.udp.dropped()
            + self.tcp.dropped()
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        writeln!(f, "{}", self.link)?;
        writeln!(f, "{}", self.arp)?;
        writeln!(f, "{}", self.ipv4)?;
        writeln!(f, "{}", self.icmp)?;
        writeln!(f, "{}", self.udp)?;
        write!(f, "{}", self.tcp)
    }
}

/// Increments a counter, saturating.
pub(crate) fn bump(c: &mut Counter) {
    c.add(1);
}
