//! IPv4 identifiers for datagrams that may be fragmented (RFC 6864 section
//! 4.2: unique per source, destination and protocol for at least the
//! datagram's lifetime; RFC 7739 section 5.3's "hash-based" scheme, so the
//! identifiers reveal nothing of the traffic to other hosts). Atomic
//! datagrams (DF set, never fragmented: TCP's) do not come here; they carry
//! their connection's own counter (RFC 6864 section 4.1).

use crate::rand::SipKey;
use crate::wire::{IpProtocol, Ipv4Address};

/// Counter buckets, chosen by a keyed hash of the destination.
const BUCKETS: usize = 64;

/// The per-destination-bucket counters.
#[derive(Debug, Clone)]
pub(crate) struct IdentGenerator {
    counters: [u16; BUCKETS],
}

impl IdentGenerator {
    /// All counters at zero.
    pub(crate) const fn new() -> Self {
        IdentGenerator {
            counters: [0; BUCKETS],
        }
    }

    /// The next identifier from `src` to `dst`: the destination bucket's
    /// counter, incremented, added to a keyed hash of the flow, so that the
    /// identifiers of one flow do not repeat before the counter wraps.
    pub(crate) fn next(
        &mut self,
        key: &SipKey,
        src: &Ipv4Address,
        dst: &Ipv4Address,
        protocol: IpProtocol,
    ) -> u16 {
        let s = src.octets();
        let d = dst.octets();
        let bucket = (key.hash(&d) % BUCKETS as u64) as usize;
        let offset = key.hash_parts(&[&s, &d, &[u8::from(protocol)]]) as u16;
        let counter = match self.counters.get_mut(bucket) {
            Some(c) => {
                *c = c.wrapping_add(1);
                *c
            }
            None => 0,
        };
        offset.wrapping_add(counter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_does_not_repeat_before_its_counter_wraps() {
        let key = SipKey::new(1, 2);
        let mut g = IdentGenerator::new();
        let (a, b) = (
            Ipv4Address::new(192, 0, 2, 1),
            Ipv4Address::new(192, 0, 2, 2),
        );
        let mut seen = [false; 65536];
        for _ in 0..65536 {
            let id = g.next(&key, &a, &b, IpProtocol::Udp);
            assert!(!seen[usize::from(id)], "{id} repeated");
            seen[usize::from(id)] = true;
        }
    }

    #[test]
    fn flows_start_at_unrelated_offsets() {
        let key = SipKey::new(1, 2);
        let a = Ipv4Address::new(192, 0, 2, 1);
        let first = |dst| IdentGenerator::new().next(&key, &a, &dst, IpProtocol::Udp);
        let ids = [2, 3, 4, 5].map(|h| first(Ipv4Address::new(192, 0, 2, h)));
        assert!(ids.windows(2).all(|w| w[0] != w[1]), "{ids:?}");
    }
}
