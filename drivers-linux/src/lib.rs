//! Linux devices and hosted support for microps.
//!
//! This crate connects the poll-driven, `no_std` core in `microps-core` to a
//! Linux host:
//!
//! - [`tap::TapDevice`]: Ethernet frames through a TAP interface (`tap0`);
//!   the stack has its own MAC behind the kernel's.
//! - [`tun::TunDevice`]: IP datagrams through a TUN interface (`tun0`).
//! - [`packet::PacketDevice`]: Ethernet frames of an existing interface
//!   through a PF_PACKET socket in promiscuous mode.
//! - [`fd`]: `poll(2)`-style waiting ([`fd::wait_readable`]), an eventfd to
//!   wake a waiting thread ([`fd::EventFd`]), interface queries by name, and
//!   the devices' counters ([`fd::LinkStats`]).
//! - [`netns`]: test support, throw-away network namespaces for tests that
//!   need root.
//!
//! Every device is non-blocking, implements [`microps_core::phy::Device`],
//! and exposes its fd so that one thread can wait on all of them with
//! [`fd::wait_readable`] until the stack's next deadline.

pub mod fd;
pub mod logger;
pub mod net;
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
