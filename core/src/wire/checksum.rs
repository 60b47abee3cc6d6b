//! The Internet checksum (RFC 1071), its incremental update (RFC 1624) and
//! the IPv4 pseudo-header (RFC 768, RFC 9293 section 3.1).
//!
//! The ones' complement sum is independent of byte order (RFC 1071 section
//! 2(B)): summing native-endian words and swapping the bytes of the folded
//! result once gives the big-endian sum. [`data`] does exactly that, with
//! one 32-bit accumulator over 16-bit words per 64 KiB, a loop the compiler
//! vectorizes, out of line too (eight explicit 64-bit accumulators, the
//! shape before, stayed scalar there: 0.73 instructions a byte in the stack
//! against 0.46); it is all safe Rust. [`data_reference`] is the plain
//! byte-pair-at-a-time definition it is tested against.
//!
//! The functions here return the *sum*, not its complement; [`finish`] turns a
//! sum into the value that goes into a header.
//!
//! ```
//! use microps_core::wire::checksum;
//! // The example of RFC 1071 section 3: the sum of these bytes is 0xddf2.
//! let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
//! assert_eq!(checksum::data(&bytes), 0xddf2);
//! assert_eq!(checksum::finish(checksum::data(&bytes)), !0xddf2);
//! ```

use super::ipv4::Ipv4Address;

/// Folds a wide ones' complement accumulator into 16 bits.
#[inline]
pub fn fold(mut sum: u64) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff).wrapping_add(sum >> 16);
    }
    sum as u16
}

/// Ones' complement addition of two 16-bit sums.
#[inline]
pub fn add(a: u16, b: u16) -> u16 {
    let (s, carry) = a.overflowing_add(b);
    s.wrapping_add(u16::from(carry))
}

/// Ones' complement sum of several 16-bit sums.
pub fn combine(sums: &[u16]) -> u16 {
    sums.iter().fold(0, |acc, &s| add(acc, s))
}

/// The checksum field value for a sum: its ones' complement.
#[inline]
pub fn finish(sum: u16) -> u16 {
    !sum
}

/// The ones' complement sum of `data` as big-endian 16-bit words (an odd
/// trailing byte is padded with zero), fast path.
pub fn data(data: &[u8]) -> u16 {
    let ne = native_sum(data);
    // The native-endian sum, byte-swapped into network order.
    u16::from_be_bytes(ne.to_ne_bytes())
}

/// The sum of native-endian words; see the module documentation.
#[inline]
fn native_sum(data: &[u8]) -> u16 {
    // A piece of at most 64 KiB has at most 32 768 words, whose sum stays
    // below 2^31: a `u32` accumulator cannot overflow within one. The
    // pieces have even lengths, so word alignment is kept.
    let mut sum: u64 = 0;
    for piece in data.chunks(1 << 16) {
        sum = add64(sum, u64::from(native_sum_piece(piece)));
    }
    fold(sum)
}

/// One accumulator over 16-bit words: the shape the compiler turns into
/// vector code on its own (lanes of 32-bit sums, several words a step),
/// out of line too, with no unrolling in the source to cost code size on
/// small targets.
#[inline]
fn native_sum_piece(data: &[u8]) -> u32 {
    let (words, last) = data.as_chunks::<2>();
    let mut acc: u32 = 0;
    for w in words {
        acc = acc.wrapping_add(u32::from(u16::from_ne_bytes(*w)));
    }
    if let Some(&b) = last.first() {
        acc = acc.wrapping_add(u32::from(u16::from_ne_bytes([b, 0])));
    }
    acc
}

/// Ones' complement addition of 64-bit accumulators (end-around carry).
#[inline]
fn add64(a: u64, b: u64) -> u64 {
    let (s, carry) = a.overflowing_add(b);
    s.wrapping_add(u64::from(carry))
}

/// The sum of several byte strings as if they were concatenated: a string
/// that starts at an odd offset has its sum byte-swapped (RFC 1071 section
/// 2(B)), so headers and a payload split across a ring buffer's wrap can be
/// summed without copying them together.
///
/// ```
/// use microps_core::wire::checksum;
/// let all = [1u8, 2, 3, 4, 5, 6, 7];
/// assert_eq!(checksum::data_chained(&[&all[..3], &all[3..]]), checksum::data(&all));
/// ```
pub fn data_chained(parts: &[&[u8]]) -> u16 {
    let mut sum = 0u16;
    let mut odd = false;
    for part in parts {
        let s = data(part);
        sum = add(sum, if odd { s.swap_bytes() } else { s });
        odd ^= part.len() % 2 == 1;
    }
    sum
}

/// The ones' complement sum of `data`, byte pair by byte pair: the
/// definition of RFC 1071, kept as the reference the fast path is tested
/// and benchmarked against.
pub fn data_reference(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut pairs = data.chunks_exact(2);
    for pair in &mut pairs {
        let hi = u32::from(pair.first().copied().unwrap_or(0));
        let lo = u32::from(pair.get(1).copied().unwrap_or(0));
        sum = sum.wrapping_add((hi << 8) | lo);
        sum = (sum & 0xffff).wrapping_add(sum >> 16);
    }
    if let Some(&b) = pairs.remainder().first() {
        sum = sum.wrapping_add(u32::from(b) << 8);
        sum = (sum & 0xffff).wrapping_add(sum >> 16);
    }
    fold(u64::from(sum))
}

/// Copies `src` into `dst` (which must be the same length; otherwise only the
/// common prefix is copied and summed) and returns the sum of the copied
/// bytes.
///
/// Measured on x86-64 (see `shared/notes/checksum-and-copy-speed.md` and the
/// `checksum` bench), `memcpy` followed by the wide sum of the cache-hot
/// destination beats a hand-fused loop, whose copies defeat vectorization; so
/// this is what "fused" means here: one call, one pass over cold memory.
pub fn copy_and_sum(dst: &mut [u8], src: &[u8]) -> u16 {
    let n = dst.len().min(src.len());
    match (dst.get_mut(..n), src.get(..n)) {
        (Some(d), Some(s)) => {
            d.copy_from_slice(s);
            data(d)
        }
        _ => 0,
    }
}

/// The sum of the IPv4 pseudo-header (source, destination, zero, protocol,
/// upper-layer length) for UDP and TCP checksums.
pub fn pseudo_header(src: &Ipv4Address, dst: &Ipv4Address, protocol: u8, length: u32) -> u16 {
    let s = src.octets();
    let d = dst.octets();
    let mut sum: u64 = 0;
    sum = add64(sum, u64::from(u16::from_be_bytes([s[0], s[1]])));
    sum = add64(sum, u64::from(u16::from_be_bytes([s[2], s[3]])));
    sum = add64(sum, u64::from(u16::from_be_bytes([d[0], d[1]])));
    sum = add64(sum, u64::from(u16::from_be_bytes([d[2], d[3]])));
    sum = add64(sum, u64::from(protocol));
    sum = add64(sum, u64::from(length >> 16));
    sum = add64(sum, u64::from(length & 0xffff));
    fold(sum)
}

/// RFC 1624 equation 3: the new checksum field value after a 16-bit word of
/// the covered data changed from `old` to `new`,
/// `HC' = ~(~HC + ~m + m')`.
///
/// ```
/// use microps_core::wire::checksum;
/// let mut words = [0x4500u16, 0x0073, 0x0000, 0x4000, 0x4011];
/// let sum_of = |w: &[u16]| checksum::combine(w);
/// let hc = checksum::finish(sum_of(&words));
/// words[4] = 0x3f11; // TTL decremented
/// assert_eq!(checksum::update(hc, 0x4011, 0x3f11), checksum::finish(sum_of(&words)));
/// ```
pub fn update(checksum: u16, old: u16, new: u16) -> u16 {
    !add(add(!checksum, !old), new)
}

/// RFC 1624 for a 32-bit field (an address): two 16-bit updates.
pub fn update32(checksum: u16, old: u32, new: u32) -> u16 {
    let c = update(checksum, (old >> 16) as u16, (new >> 16) as u16);
    update(c, old as u16, new as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rand::Rng;

    #[test]
    fn rfc1071_example() {
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(data_reference(&bytes), 0xddf2);
        assert_eq!(data(&bytes), 0xddf2);
    }

    /// The fast path against the reference on random data of every length
    /// 0..2048 at every alignment 0..32 within a buffer.
    #[test]
    fn fast_path_matches_reference_every_length_and_alignment() {
        let mut rng = Rng::new(0x5eed);
        let mut buf = [0u8; 2048 + 32];
        rng.fill(&mut buf);
        for align in 0..32 {
            for len in 0..2048 {
                let d = &buf[align..align + len];
                assert_eq!(data(d), data_reference(d), "len {len} align {align}");
            }
            rng.fill(&mut buf);
        }
    }

    #[test]
    fn all_ones_and_carries() {
        // Data that makes every accumulator carry: 0xff bytes.
        let buf = [0xffu8; 4099];
        for len in [0, 1, 2, 31, 32, 33, 64, 1500, 4096, 4099] {
            assert_eq!(data(&buf[..len]), data_reference(&buf[..len]), "len {len}");
        }
        let mut big = alloc::vec![0xffu8; 1 << 20];
        big[7] = 0x12;
        assert_eq!(data(&big), data_reference(&big));
    }

    #[test]
    fn chained_sums_match_concatenation_at_every_split() {
        let mut rng = Rng::new(11);
        let mut buf = [0u8; 101];
        rng.fill(&mut buf);
        for a in 0..buf.len() {
            for b in a..buf.len() {
                let parts: [&[u8]; 3] = [&buf[..a], &buf[a..b], &buf[b..]];
                assert_eq!(data_chained(&parts), data_reference(&buf), "split {a} {b}");
            }
        }
    }

    #[test]
    fn copy_and_sum_copies_and_sums() {
        let mut rng = Rng::new(3);
        let mut src = [0u8; 1461];
        rng.fill(&mut src);
        let mut dst = [0u8; 1461];
        assert_eq!(copy_and_sum(&mut dst, &src), data_reference(&src));
        assert_eq!(dst, src);
        let mut short = [0u8; 3];
        assert_eq!(copy_and_sum(&mut short, &src), data_reference(&src[..3]));
    }

    #[test]
    fn incremental_update_matches_recompute() {
        let mut rng = Rng::new(9);
        for _ in 0..1000 {
            let mut words = [0u8; 20];
            rng.fill(&mut words);
            words[10] = 0;
            words[11] = 0;
            let ck = finish(data(&words));
            let at = 2 * rng.below(10) as usize;
            if at == 10 {
                continue;
            }
            let old = u16::from_be_bytes([words[at], words[at + 1]]);
            let new = rng.next_u32() as u16;
            words[at..at + 2].copy_from_slice(&new.to_be_bytes());
            let updated = update(ck, old, new);
            // Both are valid encodings of the same sum (0x0000 and 0xffff
            // are equivalent in ones' complement): compare verification.
            words[10..12].copy_from_slice(&updated.to_be_bytes());
            assert!(
                matches!(data(&words), 0xffff | 0x0000),
                "update broke the sum"
            );
        }
        assert_eq!(update32(0x1234, 0x0a00_0001, 0x0a00_0001), 0x1234);
    }

    #[test]
    fn pseudo_header_sum() {
        let src = Ipv4Address::new(192, 0, 2, 1);
        let dst = Ipv4Address::new(192, 0, 2, 2);
        let mut manual = [0u8; 12];
        manual[..4].copy_from_slice(&src.octets());
        manual[4..8].copy_from_slice(&dst.octets());
        manual[9] = 6;
        manual[10..12].copy_from_slice(&40u16.to_be_bytes());
        assert_eq!(pseudo_header(&src, &dst, 6, 40), data_reference(&manual));
    }
}
