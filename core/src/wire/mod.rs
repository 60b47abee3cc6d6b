//! Wire formats: one module per header, as the RFCs define them.
//!
//! Every format has the same two shapes, as smoltcp's `wire` has:
//!
//! * a **view** (`EthernetFrame<T>`, `Ipv4Packet<T>`, ...) over any
//!   `T: AsRef<[u8]>`, zero-copy. Its checked constructor (`new_checked`)
//!   validates the buffer once (lengths from header fields are checked
//!   against the buffer before use), after which every accessor is
//!   panic-free. With `T: AsMut<[u8]>` it also has setters for emitting.
//!   Its `Display` prints the header the way microps's `*_dump` functions do.
//! * a **representation** (`EthernetRepr`, `Ipv4Repr`, ...): the header
//!   parsed into plain fields, with `parse` (from a view), `emit` (into a
//!   view) and `buffer_len` (the bytes `emit` needs).
//!
//! Parsing never trusts a length field, and the whole module denies
//! `clippy::arithmetic_side_effects`: lengths that come off the wire are
//! combined with checked or wrapping operations only.
//!
//! Checksum verification on parse is controlled by [`ChecksumCapabilities`],
//! so fuzzers and devices that verified in hardware can skip it.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use core::fmt;

mod field;

pub mod arp;
pub mod checksum;
pub mod dump;
pub mod ethernet;
pub mod icmpv4;
pub mod ipv4;
pub mod seq;
pub mod tcp;
pub mod udp;

pub use ethernet::{EtherType, EthernetAddress, EthernetFrame, EthernetRepr};
pub use ipv4::{IpProtocol, Ipv4Address, Ipv4AddressExt, Ipv4Cidr};
pub use seq::SeqNumber;
// Filled in as the formats land:
pub use arp::{ArpOperation, ArpPacket, ArpRepr};
pub use dump::FrameDump;
pub use icmpv4::{DstUnreachable, Icmpv4Message, Icmpv4Packet, Icmpv4Repr, TimeExceeded};
pub use ipv4::{Ipv4Packet, Ipv4Repr};
pub use tcp::{TcpFlags, TcpOption, TcpOptions, TcpPacket, TcpRepr};
pub use udp::{UdpPacket, UdpRepr};

/// Why a buffer could not be parsed as a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The buffer is shorter than the header, or than a length field says.
    Truncated,
    /// A field holds a value the format forbids (a version, a header length,
    /// an option length, a total length shorter than the header).
    Malformed,
    /// The checksum does not verify.
    Checksum,
    /// Well formed, but not something this stack handles (ARP for another
    /// hardware type, an unknown ICMP type when a known one is required).
    Unsupported,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated",
            Error::Malformed => "malformed",
            Error::Checksum => "bad checksum",
            Error::Unsupported => "unsupported",
        })
    }
}

impl core::error::Error for Error {}

/// The result of a parse.
pub type Result<T> = core::result::Result<T, Error>;

/// Who computes a checksum: the stack or the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Checksum {
    /// The stack verifies on receive and computes on transmit.
    #[default]
    Both,
    /// The stack verifies on receive only (the device fills it on transmit).
    Rx,
    /// The stack computes on transmit only (the device verified on receive).
    Tx,
    /// The device does both; the stack neither verifies nor computes.
    None,
}

impl Checksum {
    /// Whether the stack must verify this checksum on receive.
    pub fn rx(&self) -> bool {
        matches!(self, Checksum::Both | Checksum::Rx)
    }

    /// Whether the stack must compute this checksum on transmit.
    pub fn tx(&self) -> bool {
        matches!(self, Checksum::Both | Checksum::Tx)
    }
}

/// Which checksums the stack handles itself, per protocol.
///
/// The default is [`Checksum::Both`] everywhere. [`ChecksumCapabilities::ignored`]
/// skips all verification and is what fuzzers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct ChecksumCapabilities {
    /// The IPv4 header checksum.
    pub ipv4: Checksum,
    /// The ICMPv4 checksum.
    pub icmpv4: Checksum,
    /// The UDP checksum.
    pub udp: Checksum,
    /// The TCP checksum.
    pub tcp: Checksum,
}

impl ChecksumCapabilities {
    /// The stack verifies and computes every checksum.
    pub const fn all() -> ChecksumCapabilities {
        ChecksumCapabilities {
            ipv4: Checksum::Both,
            icmpv4: Checksum::Both,
            udp: Checksum::Both,
            tcp: Checksum::Both,
        }
    }

    /// The stack neither verifies nor computes any checksum.
    pub const fn ignored() -> ChecksumCapabilities {
        ChecksumCapabilities {
            ipv4: Checksum::None,
            icmpv4: Checksum::None,
            udp: Checksum::None,
            tcp: Checksum::None,
        }
    }

    /// The same capabilities with receive verification of the TCP and UDP
    /// checksums turned off (for a frame whose transport checksum the device
    /// vouches for, as Linux's `TP_STATUS_CSUM_VALID` and
    /// `TP_STATUS_CSUMNOTREADY` do; the IPv4 header and ICMP checksums are
    /// still verified).
    pub const fn without_transport_rx(self) -> ChecksumCapabilities {
        const fn strip(c: Checksum) -> Checksum {
            match c {
                Checksum::Both | Checksum::Tx => Checksum::Tx,
                Checksum::Rx | Checksum::None => Checksum::None,
            }
        }
        ChecksumCapabilities {
            ipv4: self.ipv4,
            icmpv4: self.icmpv4,
            udp: strip(self.udp),
            tcp: strip(self.tcp),
        }
    }

    /// The same capabilities with receive verification turned off everywhere.
    pub const fn without_rx(self) -> ChecksumCapabilities {
        const fn strip(c: Checksum) -> Checksum {
            match c {
                Checksum::Both | Checksum::Tx => Checksum::Tx,
                Checksum::Rx | Checksum::None => Checksum::None,
            }
        }
        ChecksumCapabilities {
            ipv4: strip(self.ipv4),
            icmpv4: strip(self.icmpv4),
            udp: strip(self.udp),
            tcp: strip(self.tcp),
        }
    }
}

/// Writes `buf` as a microps-style hex dump table (16 bytes a row, offsets,
/// hex and ASCII columns), as microps's `hexdump()` prints.
pub fn hexdump(f: &mut dyn fmt::Write, buf: &[u8]) -> fmt::Result {
    f.write_str("+------+-------------------------------------------------+------------------+\n")?;
    for (row, chunk) in buf.chunks(16).enumerate() {
        write!(f, "| {:04x} | ", row.wrapping_mul(16))?;
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => write!(f, "{b:02x} ")?,
                None => f.write_str("   ")?,
            }
        }
        f.write_str("| ")?;
        for i in 0..16 {
            match chunk.get(i) {
                Some(&b) if b.is_ascii_graphic() || b == b' ' => f.write_char(char::from(b))?,
                Some(_) => f.write_char('.')?,
                None => f.write_char(' ')?,
            }
        }
        f.write_str(" |\n")?;
    }
    f.write_str("+------+-------------------------------------------------+------------------+\n")
}
