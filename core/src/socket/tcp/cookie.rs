//! SYN cookies (RFC 4987 3.6): a listener whose SYN queue is full answers
//! a SYN with a SYN,ACK whose sequence number is the only record of it, and
//! rebuilds the connection from the final ACK.
//!
//! Our initial sequence number, as a cookie, is 32 bits:
//!
//! ```text
//!  31      27 26  24 23                                            0
//! +----------+------+-----------------------------------------------+
//! |  minute  | MSS  |  MAC: keyed hash of the 4-tuple, the peer's   |
//! | (mod 32) | class|  ISN, the minute and the MSS class (24 bits)  |
//! +----------+------+-----------------------------------------------+
//! ```
//!
//! RFC 4987: "the SYN-ACK sequence number is the cookie ... the only
//! information that has to be stored is encoded into the sequence number"
//! and "t is a slowly incrementing timestamp"; the MSS is "a 3-bit
//! encoding of an MSS value". A cookie is valid in the minute it was made
//! and the next one, so its age is at most two minutes (Linux's
//! `TCP_SYNCOOKIE_VALID`); anything else is rejected, and so is a MAC that
//! does not match, which a blind attacker guesses with probability 2^-24 per
//! try. The MAC covers the whole minute counter, not just the five bits the
//! cookie shows, so a captured cookie is not valid again 32 minutes later.
//! A peer whose MSS is below the smallest class (536) gets no cookie: its
//! SYN is dropped, and sent again finds room or a cookie it fits.
//!
//! When the peer's SYN carried timestamps, the low six bits of our TSval
//! carry what else the SYN said (as Linux does): its window scale (4 bits,
//! 15 for none) and SACK-permitted (1 bit). The peer echoes the TSval in
//! every ACK, so the final ACK gives them back. Without timestamps the
//! cookie SYN,ACK offers neither window scaling nor SACK, since nothing
//! could remember them: a peer that scaled its windows by a shift we forgot
//! would be misread. Our own shift (from the listener's buffers) and our
//! timestamp offset (a keyed hash of the 4-tuple) are recomputed when the
//! ACK comes.

use core::net::SocketAddrV4;

use crate::rand::SipKey;
use crate::time::Instant;
use crate::wire::SeqNumber;

/// The MSS classes a cookie can say, smallest first: the class of a SYN is
/// the largest value not above the MSS the connection would use.
pub const COOKIE_MSS: [u16; 8] = [536, 1200, 1300, 1360, 1400, 1440, 1460, 8960];

/// What a cookie's SYN,ACK puts in the low bits of its TSval.
const TS_OPT_BITS: u32 = 6;
const TS_OPT_MASK: u32 = (1 << TS_OPT_BITS) - 1;
/// The window scale field's "none".
const TS_NO_WSCALE: u32 = 0xF;
const TS_SACK_BIT: u32 = 1 << 4;

/// The minute counter at `now` (the cookie carries its low five bits; the
/// MAC covers all of it, so a captured cookie does not come back valid 32
/// minutes later).
fn minute(now: Instant) -> u32 {
    (now.secs().max(0) / 60) as u32
}

/// The index into [`COOKIE_MSS`] for a connection whose MSS is `mss`.
pub fn mss_class(mss: u16) -> u8 {
    let mut class = 0;
    for (i, &m) in COOKIE_MSS.iter().enumerate() {
        if m <= mss {
            class = i as u8;
        }
    }
    class
}

fn mac(
    key: &SipKey,
    local: SocketAddrV4,
    remote: SocketAddrV4,
    irs: SeqNumber,
    minute: u32,
    class: u8,
) -> u32 {
    (key.hash_parts(&[
        b"syncookie",
        &local.ip().octets(),
        &local.port().to_be_bytes(),
        &remote.ip().octets(),
        &remote.port().to_be_bytes(),
        &irs.0.to_be_bytes(),
        &minute.to_be_bytes(),
        &[class],
    ]) as u32)
        & 0x00FF_FFFF
}

/// The cookie for a SYN from `remote` to `local` with sequence number
/// `irs`, at `now`, for a connection whose MSS is `mss`: our ISS.
pub fn make(
    key: &SipKey,
    local: SocketAddrV4,
    remote: SocketAddrV4,
    irs: SeqNumber,
    mss: u16,
    now: Instant,
) -> SeqNumber {
    let t = minute(now);
    let class = mss_class(mss);
    SeqNumber(
        ((t & 0x1F) << 27) | (u32::from(class) << 24) | mac(key, local, remote, irs, t, class),
    )
}

/// Why an ACK is not a valid cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CookieError {
    /// Made more than two minutes ago (or in the future).
    Stale,
    /// The MAC does not match: forged, or for other endpoints.
    Forged,
}

/// Checks the final ACK of a cookie handshake: `ack` is its SEG.ACK and
/// `seq` its SEG.SEQ (our cookie + 1 and the peer's ISN + 1). Returns the
/// MSS the cookie carried.
pub fn check(
    key: &SipKey,
    local: SocketAddrV4,
    remote: SocketAddrV4,
    seq: SeqNumber,
    ack: SeqNumber,
    now: Instant,
) -> Result<u16, CookieError> {
    let cookie = (ack - 1usize).0;
    let irs = seq - 1usize;
    let class = ((cookie >> 24) & 0x7) as u8;
    let now_minute = minute(now);
    let age = now_minute.wrapping_sub(cookie >> 27) & 0x1F;
    if age > 1 {
        return Err(CookieError::Stale);
    }
    let t = now_minute.wrapping_sub(age);
    if mac(key, local, remote, irs, t, class) != cookie & 0x00FF_FFFF {
        return Err(CookieError::Forged);
    }
    Ok(COOKIE_MSS
        .get(usize::from(class))
        .copied()
        .unwrap_or(COOKIE_MSS[0]))
}

/// The options of the peer's SYN that a cookie keeps in our TSval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CookieOptions {
    /// The peer's window scale shift, if it offered one (at most 14).
    pub window_scale: Option<u8>,
    /// Whether the peer offered SACK.
    pub sack_permitted: bool,
}

/// Our TSval for a cookie SYN,ACK: `tsval` (our clock now) with its low six
/// bits replaced by `opts`, and never later than `tsval`, so that our next
/// timestamps do not go backwards.
pub fn encode_ts(tsval: u32, opts: CookieOptions) -> u32 {
    let wscale = opts
        .window_scale
        .map_or(TS_NO_WSCALE, |s| u32::from(s.min(14)));
    let bits = wscale | if opts.sack_permitted { TS_SACK_BIT } else { 0 };
    let v = (tsval & !TS_OPT_MASK) | bits;
    if v.wrapping_sub(tsval) as i32 > 0 {
        v.wrapping_sub(1 << TS_OPT_BITS)
    } else {
        v
    }
}

/// The options a cookie's TSval kept, read from the TSecr of the final ACK.
pub fn decode_ts(tsecr: u32) -> CookieOptions {
    let wscale = tsecr & 0xF;
    CookieOptions {
        window_scale: (wscale <= 14).then_some(wscale as u8),
        sack_permitted: tsecr & TS_SACK_BIT != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Ipv4Address;

    fn key() -> SipKey {
        SipKey::new(7, 9)
    }
    fn ends() -> (SocketAddrV4, SocketAddrV4) {
        (
            SocketAddrV4::new(Ipv4Address::new(192, 0, 2, 2), 7),
            SocketAddrV4::new(Ipv4Address::new(192, 0, 2, 1), 40000),
        )
    }

    #[test]
    fn every_mss_class_round_trips() {
        let (l, r) = ends();
        let now = Instant::from_secs(1000);
        for &mss in COOKIE_MSS.iter() {
            for irs in [0u32, 1, 0x7FFF_FFFF, u32::MAX] {
                let iss = make(&key(), l, r, SeqNumber(irs), mss, now);
                let got = check(&key(), l, r, SeqNumber(irs) + 1, iss + 1, now);
                assert_eq!(got, Ok(mss), "mss {mss} irs {irs}");
            }
        }
    }

    #[test]
    fn mss_rounds_down_to_its_class() {
        assert_eq!(COOKIE_MSS[usize::from(mss_class(1459))], 1440);
        assert_eq!(COOKIE_MSS[usize::from(mss_class(100))], 536);
        assert_eq!(COOKIE_MSS[usize::from(mss_class(65495))], 8960);
        assert_eq!(COOKIE_MSS[usize::from(mss_class(1460))], 1460);
    }

    #[test]
    fn a_cookie_lives_two_minutes() {
        let (l, r) = ends();
        let made = Instant::from_secs(60 * 7 + 59);
        let iss = make(&key(), l, r, SeqNumber(5), 1460, made);
        let ok = |at| check(&key(), l, r, SeqNumber(6), iss + 1, at);
        assert_eq!(ok(made), Ok(1460));
        assert_eq!(ok(Instant::from_secs(60 * 8 + 59)), Ok(1460));
        assert_eq!(ok(Instant::from_secs(60 * 9)), Err(CookieError::Stale));
        assert_eq!(ok(Instant::from_secs(60 * 6)), Err(CookieError::Stale));
    }

    #[test]
    fn a_cookie_does_not_come_back_valid_32_minutes_later() {
        let (l, r) = ends();
        let made = Instant::from_secs(600);
        let iss = make(&key(), l, r, SeqNumber(5), 1460, made);
        let later = Instant::from_secs(600 + 32 * 60);
        assert_eq!(
            check(&key(), l, r, SeqNumber(6), iss + 1, later),
            Err(CookieError::Forged)
        );
    }

    #[test]
    fn forged_cookies_are_rejected() {
        let (l, r) = ends();
        let now = Instant::from_secs(100);
        let iss = make(&key(), l, r, SeqNumber(5), 1460, now);
        // Another ISN, another peer port, another key, one bit flipped.
        assert_eq!(
            check(&key(), l, r, SeqNumber(7), iss + 1, now),
            Err(CookieError::Forged)
        );
        let r2 = SocketAddrV4::new(*r.ip(), r.port() + 1);
        assert_eq!(
            check(&key(), l, r2, SeqNumber(6), iss + 1, now),
            Err(CookieError::Forged)
        );
        assert_eq!(
            check(&SipKey::new(8, 9), l, r, SeqNumber(6), iss + 1, now),
            Err(CookieError::Forged)
        );
        assert_eq!(
            check(&key(), l, r, SeqNumber(6), SeqNumber((iss + 1).0 ^ 1), now),
            Err(CookieError::Forged)
        );
        // Another MSS class with the same MAC.
        assert_eq!(
            check(
                &key(),
                l,
                r,
                SeqNumber(6),
                SeqNumber((iss + 1).0 ^ (1 << 24)),
                now
            ),
            Err(CookieError::Forged)
        );
    }

    #[test]
    fn timestamp_bits_round_trip_and_never_run_ahead() {
        for wscale in [None, Some(0), Some(7), Some(14)] {
            for sack in [false, true] {
                let opts = CookieOptions {
                    window_scale: wscale,
                    sack_permitted: sack,
                };
                for now in [0u32, 1, 63, 64, 1000, u32::MAX] {
                    let ts = encode_ts(now, opts);
                    assert_eq!(decode_ts(ts), opts);
                    assert!((now.wrapping_sub(ts) as i32) >= 0, "{ts} after {now}");
                    assert!(now.wrapping_sub(ts) < 128);
                }
            }
        }
        // A shift above 14 is taken as 14, as RFC 7323 2.3 says.
        let opts = CookieOptions {
            window_scale: Some(20),
            sack_permitted: false,
        };
        assert_eq!(decode_ts(encode_ts(500, opts)).window_scale, Some(14));
    }
}
