//! # microps-core
//!
//! The protocol core of microps in Rust: Ethernet, ARP, IPv4 (routing,
//! fragmentation, reassembly), ICMP, UDP and TCP as pure, poll-driven state
//! machines over buffers the caller provides.
//!
//! * `#![no_std]`, no allocation (the `alloc` feature only lets `managed`
//!   slices own `Vec`s), `#![forbid(unsafe_code)]`.
//! * Sans-IO: nothing here reads a clock or performs I/O. Time comes in as
//!   [`time::Instant`] arguments; frames come from and go to [`phy::Device`]s
//!   that the caller passes to each poll.
//! * Deterministic: randomness (initial sequence numbers, ephemeral ports,
//!   IP identifiers) is derived from a seed the caller provides.
//!
//! The layers, from the bottom:
//!
//! | module | job |
//! |---|---|
//! | [`wire`] | zero-copy views and parsed representations of every header |
//! | [`phy`] | the [`phy::Device`] trait, capabilities, fault injector, tracer |
//! | [`time`] | caller-supplied [`time::Instant`] and [`time::Duration`] |
//! | [`storage`] | ring buffers, packet queues, the out-of-order assembler |
//! | [`rand`] | the seeded generator and the keyed hash (SipHash-2-4) |
//! | [`iface`] | the [`iface::Stack`]: devices, interfaces, routes, ARP, IPv4, ICMP, the demultiplexing to sockets, statistics |
//! | [`socket`] | the [`socket::SocketSet`] and its sockets: TCP (and `TcpListener`), UDP, ICMP echo |
//!
//! With the `sim` feature, `sim` runs several stacks over in-memory links in
//! virtual time, and `pktdrill` runs packetdrill scripts against a stack.
//!
//! See `docs/ARCHITECTURE.md` in the repository for the reasoning behind the
//! shapes, and where each RFC lives in the code.
//!
//! # In firmware
//!
//! The core owns no memory and reads no clock: you give it buffers, devices
//! and the time. A main loop over one device looks like this (the README
//! shows the same):
//!
//! ```no_run
//! use microps_core::iface::{ArpSlot, PendingMetadata, Stack, StackConfig, StackStorage};
//! use microps_core::phy::Device;
//! use microps_core::socket::{SocketSet, SocketSlot};
//! use microps_core::time::Instant;
//!
//! fn run(
//!     nic: &mut dyn Device,
//!     storage: StackStorage<'static>,
//!     slots: &'static mut [SocketSlot<'static>],
//!     seed: u64,
//!     now: impl Fn() -> Instant,
//! ) -> ! {
//!     let mut config = StackConfig::default();
//!     config.seed = seed;
//!     let mut stack = Stack::new(config, storage);
//!     let dev = stack.add_device(nic.capabilities()).unwrap();
//!     stack.add_interface(dev, "192.0.2.2/24".parse().unwrap()).unwrap();
//!     let mut sockets = SocketSet::new(slots, seed);
//!     loop {
//!         stack.poll(now(), &mut [&mut *nic], &mut sockets);
//!         let _next = stack.poll_at(now(), &sockets);
//!         // sleep until `_next` or an interrupt from the NIC
//!     }
//! }
//!
//! // Storage sized at compile time, in statics (no heap):
//! // static mut ARP: [ArpSlot; 16] = [ArpSlot::EMPTY; 16];
//! // static mut PENDING: [PendingMetadata; 8] = [PendingMetadata::EMPTY; 8];
//! let _ = (ArpSlot::EMPTY, PendingMetadata::EMPTY);
//! ```
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `ipv4-reassembly` | on | reassembly of received fragments; off: dropped, counted in `ipv4.drop_frag_unsupported` |
//! | `ipv4-fragmentation` | on | fragmenting datagrams over the MTU; off: a datagram without DF that does not fit is dropped, counted in `ipv4.drop_needs_fragmentation` |
//! | `ipv4-forwarding` | on | forwarding when `StackConfig::forwarding` asks; off: counted in `ipv4.drop_not_for_us` |
//! | `pending-queue` | on | datagrams wait for ARP or a busy device; off: as a queue with no room |
//! | `log`, `defmt` | off | logging back ends (mutually exclusive) |
//! | `alloc` | off | `managed` slices may own `Vec`s |
//! | `sim` | off | the deterministic simulator (test support, uses `alloc`) |
//!
//! Types, storage and statistics are the same with every feature set.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// The Device callbacks are `&mut dyn FnMut(..)` by design (dyn-compatible).
#![allow(clippy::type_complexity)]

#[cfg(all(feature = "log", feature = "defmt"))]
compile_error!("the `log` and `defmt` features of microps-core are mutually exclusive");

#[cfg(any(feature = "alloc", test))]
extern crate alloc;

#[macro_use]
mod macros;

pub mod iface;
pub mod phy;
#[cfg(feature = "sim")]
pub mod pktdrill;
pub mod rand;
#[cfg(feature = "sim")]
pub mod sim;
pub mod socket;
pub mod storage;
pub mod time;
pub mod wire;
