//! Devices and logical interfaces, as microps's `net_device` and
//! `net_iface`: a stack drives several devices, and each device carries one
//! or more IPv4 interfaces (address, netmask, derived broadcast).

use core::fmt;

use crate::phy::{DeviceCapabilities, Medium};
use crate::wire::{EthernetAddress, Ipv4Address, Ipv4Cidr};

/// How many devices a stack drives.
pub const MAX_DEVICES: usize = 8;
/// How many IPv4 interfaces a stack has, over all devices.
pub const MAX_IFACES: usize = 16;

/// A device's index: its position in the device slice given to
/// [`Stack::poll`](super::Stack::poll), in the order of
/// [`Stack::add_device`](super::Stack::add_device).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DeviceId(pub u8);

impl DeviceId {
    /// The index into the device slice.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for DeviceId {
    /// microps's device names: `net0`, `net1`, ...
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "net{}", self.0)
    }
}

/// An interface's index in the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IfaceId(pub u8);

impl IfaceId {
    /// The index into the stack's interface table.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for IfaceId {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "iface{}", self.0)
    }
}

/// What the stack knows of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Its id (and name, `net<N>`).
    pub id: DeviceId,
    /// Its capabilities, as last read.
    pub caps: DeviceCapabilities,
}

impl DeviceInfo {
    /// The device's Ethernet address, if it has one.
    pub fn hardware_addr(&self) -> Option<EthernetAddress> {
        match self.caps.medium {
            Medium::Ethernet => self.caps.hardware_addr,
            Medium::Ip => None,
        }
    }

    /// Whether frames on it carry an Ethernet header.
    pub fn is_ethernet(&self) -> bool {
        self.caps.medium == Medium::Ethernet
    }

    /// The device type microps prints: `0x0000` null/IP, `0x0001` loopback,
    /// `0x0002` Ethernet.
    pub fn type_code(&self) -> u16 {
        if self.caps.flags.loopback {
            0x0001
        } else if self.is_ethernet() {
            0x0002
        } else {
            0x0000
        }
    }
}

/// An IPv4 interface: an address on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Interface {
    /// Its id.
    pub id: IfaceId,
    /// The device it is on.
    pub device: DeviceId,
    /// Its address and prefix.
    pub cidr: Ipv4Cidr,
}

impl Interface {
    /// The unicast address.
    pub fn addr(&self) -> Ipv4Address {
        self.cidr.address()
    }

    /// The netmask.
    pub fn netmask(&self) -> Ipv4Address {
        self.cidr.netmask()
    }

    /// The directed broadcast address (none for /31 and /32).
    pub fn broadcast(&self) -> Option<Ipv4Address> {
        self.cidr.broadcast()
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "dev={}, unicast={}, netmask={}, broadcast={}",
            self.device,
            self.addr(),
            self.netmask(),
            self.broadcast().unwrap_or(Ipv4Address::BROADCAST)
        )
    }
}
