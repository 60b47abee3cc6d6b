//! Ethernet, ARP, IPv4, ICMP echo, a UDP echo socket and a TCP echo socket
//! with 4 KiB buffers, on microps-core, over the stand-in NIC (the
//! application is `app.rs`).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_halt as _;

#[path = "../nic.rs"]
mod nic;

#[path = "../app.rs"]
mod app;

#[entry]
fn main() -> ! {
    app::run()
}
