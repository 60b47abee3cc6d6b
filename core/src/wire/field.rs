//! Panic-free field access for the views.
//!
//! The views check buffer lengths once, in their constructors; these helpers
//! then read and write fixed-size fields through `get`, so that even a wrong
//! constant could at worst read zero or write nothing, never panic.

use byteorder::{ByteOrder, NetworkEndian};
use core::ops::Range;

/// A byte range of a header.
pub(crate) type Field = Range<usize>;

#[inline]
pub(crate) fn get_u8(buf: &[u8], at: usize) -> u8 {
    buf.get(at).copied().unwrap_or(0)
}

#[inline]
pub(crate) fn get_u16(buf: &[u8], at: usize) -> u16 {
    match buf.get(at..at.wrapping_add(2)) {
        Some(b) => NetworkEndian::read_u16(b),
        None => 0,
    }
}

#[inline]
pub(crate) fn get_u32(buf: &[u8], at: usize) -> u32 {
    match buf.get(at..at.wrapping_add(4)) {
        Some(b) => NetworkEndian::read_u32(b),
        None => 0,
    }
}

#[inline]
pub(crate) fn get_array<const N: usize>(buf: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(b) = buf.get(at..at.wrapping_add(N)) {
        out.copy_from_slice(b);
    }
    out
}

#[inline]
pub(crate) fn set_u8(buf: &mut [u8], at: usize, v: u8) {
    if let Some(b) = buf.get_mut(at) {
        *b = v;
    }
}

#[inline]
pub(crate) fn set_u16(buf: &mut [u8], at: usize, v: u16) {
    if let Some(b) = buf.get_mut(at..at.wrapping_add(2)) {
        NetworkEndian::write_u16(b, v);
    }
}

#[inline]
pub(crate) fn set_u32(buf: &mut [u8], at: usize, v: u32) {
    if let Some(b) = buf.get_mut(at..at.wrapping_add(4)) {
        NetworkEndian::write_u32(b, v);
    }
}

#[inline]
pub(crate) fn set_bytes(buf: &mut [u8], at: usize, v: &[u8]) {
    if let Some(b) = buf.get_mut(at..at.wrapping_add(v.len())) {
        b.copy_from_slice(v);
    }
}

/// The bytes of `buf` from `start` on (empty if `start` is past the end).
#[inline]
pub(crate) fn rest(buf: &[u8], start: usize) -> &[u8] {
    buf.get(start..).unwrap_or(&[])
}

/// The bytes of `buf` from `start` on, mutably (empty if past the end).
#[inline]
pub(crate) fn rest_mut(buf: &mut [u8], start: usize) -> &mut [u8] {
    buf.get_mut(start..).unwrap_or(&mut [])
}

/// `buf[start..end]`, or empty if out of range.
#[inline]
pub(crate) fn slice(buf: &[u8], r: Field) -> &[u8] {
    buf.get(r).unwrap_or(&[])
}

/// `buf[start..end]` mutably, or empty if out of range.
#[inline]
pub(crate) fn slice_mut(buf: &mut [u8], r: Field) -> &mut [u8] {
    buf.get_mut(r).unwrap_or(&mut [])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_reads_zero_and_writes_nothing() {
        let mut buf = [1u8, 2, 3];
        assert_eq!(get_u16(&buf, 1), 0x0203);
        assert_eq!(get_u16(&buf, 2), 0);
        assert_eq!(get_u32(&buf, usize::MAX), 0);
        assert_eq!(get_array::<4>(&buf, 0), [0; 4]);
        set_u32(&mut buf, 0, 0xdead_beef);
        assert_eq!(buf, [1, 2, 3]);
        set_u16(&mut buf, usize::MAX, 7);
        assert_eq!(buf, [1, 2, 3]);
        assert_eq!(rest(&buf, 9), &[] as &[u8]);
    }
}
