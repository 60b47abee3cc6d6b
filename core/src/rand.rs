//! Seeded randomness and a keyed hash.
//!
//! The stack never draws entropy itself: the caller provides a 64-bit seed
//! (the hosted runtime reads getrandom(2) at every start; tests and `--seed`
//! fix it). From the seed come
//!
//! * [`Rng`], a small PCG-XSH-RR generator for ephemeral ports, fault
//!   injection and retransmission jitter, and
//! * [`SipKey`], a 128-bit key for SipHash-2-4 ([`SipKey::hash`]), the keyed
//!   pseudo-random function behind RFC 6528 initial sequence numbers, RFC 6864
//!   IP identifier start points, RFC 6056 port selection and the hash indexes
//!   whose buckets an attacker must not be able to predict.
//!
//! Given the same seed, everything derived from it is the same on every
//! platform, which is what makes simulated runs replayable.

/// A seeded pseudo-random generator (PCG-XSH-RR 64/32).
///
/// Not cryptographic; use [`SipKey`] where an attacker must not predict the
/// output.
///
/// ```
/// use microps_core::rand::Rng;
/// let mut a = Rng::new(42);
/// let mut b = Rng::new(42);
/// assert_eq!(a.next_u32(), b.next_u32());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

const PCG_MUL: u64 = 6364136223846793005;
const PCG_INC: u64 = 1442695040888963407;

impl Rng {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut rng = Rng { state: 0 };
        rng.step();
        rng.state = rng.state.wrapping_add(splitmix64(seed));
        rng.step();
        rng
    }

    fn step(&mut self) {
        self.state = self.state.wrapping_mul(PCG_MUL).wrapping_add(PCG_INC);
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.step();
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }

    /// A value uniformly distributed in `0..n` (0 when `n == 0`).
    pub fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift with rejection, unbiased.
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u64::from(self.next_u32()).wrapping_mul(u64::from(n));
            if (m as u32) >= threshold {
                return (m >> 32) as u32;
            }
        }
    }

    /// True with probability `per_million / 1_000_000`.
    pub fn chance(&mut self, per_million: u32) -> bool {
        per_million > 0 && self.below(1_000_000) < per_million
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(4) {
            let bytes = self.next_u32().to_le_bytes();
            for (d, s) in chunk.iter_mut().zip(bytes.iter()) {
                *d = *s;
            }
        }
    }
}

/// SplitMix64's finaliser: spreads a seed so that nearby seeds give unrelated
/// streams.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

/// A 128-bit key for SipHash-2-4, the keyed pseudo-random function of the
/// stack.
///
/// ```
/// use microps_core::rand::SipKey;
/// let key = SipKey::new(1, 2);
/// assert_eq!(key.hash(b"abc"), key.hash(b"abc"));
/// assert_ne!(key.hash(b"abc"), SipKey::new(1, 3).hash(b"abc"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SipKey {
    k0: u64,
    k1: u64,
}

impl core::fmt::Debug for SipKey {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        // Never print a secret.
        f.write_str("SipKey(..)")
    }
}

impl SipKey {
    /// A key from two 64-bit halves.
    pub const fn new(k0: u64, k1: u64) -> SipKey {
        SipKey { k0, k1 }
    }

    /// A key drawn from a generator.
    pub fn from_rng(rng: &mut Rng) -> SipKey {
        SipKey {
            k0: rng.next_u64(),
            k1: rng.next_u64(),
        }
    }

    /// SipHash-2-4 of `data` under this key.
    pub fn hash(&self, data: &[u8]) -> u64 {
        let mut h = SipHasher::new(*self);
        h.write(data);
        h.finish()
    }

    /// SipHash-2-4 of several byte strings, as if concatenated.
    pub fn hash_parts(&self, parts: &[&[u8]]) -> u64 {
        let mut h = SipHasher::new(*self);
        for p in parts {
            h.write(p);
        }
        h.finish()
    }
}

/// An incremental SipHash-2-4 computation.
#[derive(Debug, Clone)]
pub struct SipHasher {
    v0: u64,
    v1: u64,
    v2: u64,
    v3: u64,
    tail: u64,
    ntail: u32,
    length: u64,
}

impl SipHasher {
    /// Starts a hash under `key`.
    pub fn new(key: SipKey) -> SipHasher {
        SipHasher {
            v0: key.k0 ^ 0x736f6d6570736575,
            v1: key.k1 ^ 0x646f72616e646f6d,
            v2: key.k0 ^ 0x6c7967656e657261,
            v3: key.k1 ^ 0x7465646279746573,
            tail: 0,
            ntail: 0,
            length: 0,
        }
    }

    fn round(&mut self) {
        self.v0 = self.v0.wrapping_add(self.v1);
        self.v1 = self.v1.rotate_left(13);
        self.v1 ^= self.v0;
        self.v0 = self.v0.rotate_left(32);
        self.v2 = self.v2.wrapping_add(self.v3);
        self.v3 = self.v3.rotate_left(16);
        self.v3 ^= self.v2;
        self.v0 = self.v0.wrapping_add(self.v3);
        self.v3 = self.v3.rotate_left(21);
        self.v3 ^= self.v0;
        self.v2 = self.v2.wrapping_add(self.v1);
        self.v1 = self.v1.rotate_left(17);
        self.v1 ^= self.v2;
        self.v2 = self.v2.rotate_left(32);
    }

    fn compress(&mut self, m: u64) {
        self.v3 ^= m;
        self.round();
        self.round();
        self.v0 ^= m;
    }

    /// Feeds bytes.
    pub fn write(&mut self, data: &[u8]) {
        for &b in data {
            self.tail |= u64::from(b) << (8 * self.ntail);
            self.ntail += 1;
            self.length = self.length.wrapping_add(1);
            if self.ntail == 8 {
                let m = self.tail;
                self.compress(m);
                self.tail = 0;
                self.ntail = 0;
            }
        }
    }

    /// The 64-bit result.
    pub fn finish(mut self) -> u64 {
        let b = ((self.length & 0xff) << 56) | self.tail;
        self.compress(b);
        self.v2 ^= 0xff;
        self.round();
        self.round();
        self.round();
        self.round();
        self.v0 ^ self.v1 ^ self.v2 ^ self.v3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference vectors of the SipHash paper (key 00..0f, message
    /// 00..len-1), first and last of the 64.
    #[test]
    fn siphash_reference_vectors() {
        let key = SipKey::new(
            u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]),
            u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15]),
        );
        assert_eq!(key.hash(&[]), 0x726fdb47dd0e0e31);
        let msg: [u8; 15] = core::array::from_fn(|i| i as u8);
        assert_eq!(key.hash(&msg), 0xa129ca6149be45e5);
        let msg63: [u8; 63] = core::array::from_fn(|i| i as u8);
        assert_eq!(key.hash(&msg63), 0x958a324ceb064572);
        assert_eq!(
            key.hash_parts(&[&msg63[..10], &msg63[10..]]),
            key.hash(&msg63)
        );
    }

    #[test]
    fn rng_is_deterministic_and_spread() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let mut c = Rng::new(8);
        let xs: [u32; 8] = core::array::from_fn(|_| a.next_u32());
        let ys: [u32; 8] = core::array::from_fn(|_| b.next_u32());
        let zs: [u32; 8] = core::array::from_fn(|_| c.next_u32());
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
        let mut counts = [0u32; 4];
        for _ in 0..4000 {
            counts[a.below(4) as usize] += 1;
        }
        for n in counts {
            assert!((800..1200).contains(&n), "{counts:?}");
        }
        assert_eq!(a.below(0), 0);
        assert!(!a.chance(0));
        assert!(a.chance(1_000_000));
    }
}
