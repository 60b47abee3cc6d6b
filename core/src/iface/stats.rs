//! Statistics: what each layer received, sent and dropped, and why.
//!
//! Every drop in the stack increments exactly one counter here, so "bad
//! input is counted and dropped" can be checked. The counters are plain
//! `u64`s, public, and printed by `Display` one per line.

use core::fmt;

macro_rules! counters {
    ($(#[$doc:meta])* $name:ident, $title:literal { $($(#[$fdoc:meta])* $field:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        #[non_exhaustive]
        pub struct $name {
            $($(#[$fdoc])* pub $field: u64,)*
        }

        impl $name {
            /// Every counter with its name.
            pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> {
                [$((stringify!($field), self.$field)),*].into_iter()
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
        /// Martian source addresses.
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
        /// Fragments: exact duplicates dropped alone.
        drop_frag_duplicate,
        /// Fragments: overlaps, dropping the whole datagram.
        drop_frag_overlap,
        /// Fragments: too long, inconsistent, too many, or no buffer.
        drop_frag_invalid,
        /// Datagrams not reassembled in time.
        drop_frag_timeout,
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
        /// Retransmission timeouts (RFC 6298 5.4 to 5.6).
        retransmission_timeouts,
        /// Persist timeouts: zero-window probes due (RFC 9293 3.8.6.1).
        persist_timeouts,
        /// Keep-alive timer expiries: a probe, or the re-check of a
        /// connection that was not idle long enough (RFC 1122 4.2.3.6).
        keep_alive_timeouts,
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
pub(crate) fn bump(c: &mut u64) {
    *c = c.saturating_add(1);
}
