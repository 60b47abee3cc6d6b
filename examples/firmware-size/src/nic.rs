//! A stand-in for an Ethernet MAC: the length of a received frame and its
//! bytes come from volatile reads of made-up registers, and sent frames go
//! to another, so that the compiler can neither see what arrives nor drop
//! what leaves, and both stacks link their whole input and output paths.
//! (Never run: the addresses are not real hardware.)

const RX_LEN: *const u32 = 0x4000_0000 as *const u32;
const RX_FIFO: *const u32 = 0x4000_0004 as *const u32;
const TX_FIFO: *mut u32 = 0x4000_0008 as *mut u32;
const CLOCK: *const u32 = 0x4000_000c as *const u32;

/// The length of the next received frame (0: none).
pub fn rx_len() -> usize {
    // SAFETY: a read of a made-up register; this firmware is only linked,
    // never run.
    (unsafe { core::ptr::read_volatile(RX_LEN) } as usize).min(1514)
}

/// Fills `buf` from the receive FIFO.
pub fn rx_read(buf: &mut [u8]) {
    for chunk in buf.chunks_mut(4) {
        // SAFETY: as above.
        let w = unsafe { core::ptr::read_volatile(RX_FIFO) }.to_le_bytes();
        chunk.copy_from_slice(&w[..chunk.len()]);
    }
}

/// Writes `frame` to the transmit FIFO.
pub fn tx_write(frame: &[u8]) {
    for chunk in frame.chunks(4) {
        let mut w = [0u8; 4];
        w[..chunk.len()].copy_from_slice(chunk);
        // SAFETY: as above.
        unsafe { core::ptr::write_volatile(TX_FIFO, u32::from_le_bytes(w)) };
    }
}

/// Milliseconds since boot.
pub fn now_ms() -> u32 {
    // SAFETY: as above.
    unsafe { core::ptr::read_volatile(CLOCK) }
}

pub const MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
