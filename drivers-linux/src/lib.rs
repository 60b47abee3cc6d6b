//! Linux devices and hosted support for microps.
//!
//! This crate connects the poll-driven, `no_std` core in `microps-core` to a
//! Linux host. Its jobs, by module:
//!
//! - **Devices**: [`tap::TapDevice`] (Ethernet frames through a TAP
//!   interface, `tap0`; the stack has its own MAC behind the kernel's),
//!   [`tun::TunDevice`] (IP datagrams through a TUN interface),
//!   [`packet::PacketDevice`] (the Ethernet frames of an existing interface
//!   through a PF_PACKET socket, promiscuous), and [`fd`]: `poll(2)`-style
//!   waiting ([`fd::wait_readable`]), an eventfd ([`fd::EventFd`]),
//!   interface queries by name, the devices' counters ([`fd::LinkStats`]).
//!   Every device is non-blocking, implements [`microps_core::phy::Device`]
//!   and exposes its fd, so that one thread waits on all of them until the
//!   stack's next deadline.
//! - **Host setup**: [`setup`] creates a missing TAP or TUN with the host
//!   side's address (and says which commands do it without the privilege),
//!   and finds routes that would take the stack's traffic elsewhere.
//! - **The hosted API**: [`runtime`] (the stack on a thread of its own
//!   behind one lock), [`net`] (blocking sockets shaped like `std::net`),
//!   [`signal`] (Ctrl-C interrupts blocked calls).
//! - **Diagnostics**: [`logger`] (microps-style log lines), [`pcap`]
//!   (capture files).
//! - **Test support**: `netns`, throw-away network namespaces for tests that
//!   need the kernel as a peer, behind the cargo feature `test-support`.

pub mod fd;
pub mod logger;
pub mod net;
#[cfg(any(test, feature = "test-support"))]
pub mod netns;
pub mod packet;
pub mod pcap;
pub mod runtime;
pub mod setup;
pub mod signal;
pub mod tap;
pub mod tun;

pub use fd::{EventFd, LinkStats, RxStats, TxStats, interface_exists, wait_readable};
pub use packet::PacketDevice;
pub use pcap::{LinkType, PcapWriter};
pub use tap::TapDevice;
pub use tun::TunDevice;
