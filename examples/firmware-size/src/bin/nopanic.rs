//! The link check of issue 14: the `microps` firmware (`app.rs`) whose
//! panic handler calls a function that exists nowhere. It links only if
//! the compiler proved every panic path of the firmware, the whole stack
//! included, unreachable: a panic reachable from packet input (an index,
//! an `unwrap`, a length mismatch) is a link error naming
//! `__microps_core_has_a_panic_path`. `size.sh` builds it with the lean
//! and the full feature sets.
#![no_std]
#![no_main]

use cortex_m_rt::entry;

#[path = "../nic.rs"]
mod nic;

#[path = "../app.rs"]
mod app;

unsafe extern "C" {
    /// Defined nowhere: referencing it is the failure.
    fn __microps_core_has_a_panic_path() -> !;
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: never called if the link succeeds, which is the point.
    unsafe { __microps_core_has_a_panic_path() }
}

#[entry]
fn main() -> ! {
    app::run()
}
