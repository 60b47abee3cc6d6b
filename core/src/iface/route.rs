//! The routing table: longest-prefix match over a small fixed table
//! (RFC 1122 section 3.3.1, RFC 1812 section 5.2.4.3).
//!
//! Routes are kept sorted by prefix length, longest first, so a lookup
//! returns the first match and stops there; the default route (prefix
//! length 0) is the last resort. Connected routes are added by
//! [`Stack::add_interface`](super::Stack::add_interface), as microps's
//! `ip_iface_register` does.

use core::fmt;

use heapless::Vec;

use super::interface::IfaceId;
use crate::wire::{Ipv4Address, Ipv4Cidr};

/// How many routes a stack holds.
pub const MAX_ROUTES: usize = 16;

/// One route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Route {
    /// The destination prefix (host bits are ignored).
    pub network: Ipv4Cidr,
    /// The next hop, or `None` when the destination is on-link.
    pub gateway: Option<Ipv4Address>,
    /// The interface to send through (its address is the preferred source).
    pub iface: IfaceId,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "network={}, nexthop=", self.network.network())?;
        match self.gateway {
            Some(g) => write!(f, "{g}")?,
            None => f.write_str("0.0.0.0")?,
        }
        write!(f, ", iface={}", self.iface)
    }
}

/// Why a route could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RouteError {
    /// The table holds [`MAX_ROUTES`] routes already.
    TableFull,
    /// The interface does not exist.
    NoSuchInterface,
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            RouteError::TableFull => "routing table full",
            RouteError::NoSuchInterface => "no such interface",
        })
    }
}

impl core::error::Error for RouteError {}

/// The routing table.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<Route, MAX_ROUTES>,
}

impl RouteTable {
    /// An empty table.
    pub const fn new() -> RouteTable {
        RouteTable { routes: Vec::new() }
    }

    /// Adds a route, replacing one with the same destination prefix.
    pub fn add(&mut self, route: Route) -> Result<(), RouteError> {
        let route = Route {
            network: route.network.network(),
            ..route
        };
        if let Some(existing) = self.routes.iter_mut().find(|r| r.network == route.network) {
            *existing = route;
            return Ok(());
        }
        // Insert before the first route with a shorter prefix.
        let at = self
            .routes
            .iter()
            .position(|r| r.network.prefix_len() < route.network.prefix_len())
            .unwrap_or(self.routes.len());
        self.routes
            .insert(at, route)
            .map_err(|_| RouteError::TableFull)
    }

    /// Removes the route for exactly this prefix; returns whether one was
    /// removed.
    pub fn remove(&mut self, network: Ipv4Cidr) -> bool {
        let network = network.network();
        match self.routes.iter().position(|r| r.network == network) {
            Some(i) => {
                self.routes.remove(i);
                true
            }
            None => false,
        }
    }

    /// Removes every route through `iface`.
    pub fn remove_iface(&mut self, iface: IfaceId) {
        self.routes.retain(|r| r.iface != iface);
    }

    /// The longest-prefix match for `dst`.
    pub fn lookup(&self, dst: &Ipv4Address) -> Option<&Route> {
        self.routes.iter().find(|r| r.network.contains_addr(dst))
    }

    /// Whether `ip` is some route's gateway.
    pub fn is_gateway(&self, ip: &Ipv4Address) -> bool {
        self.routes.iter().any(|r| r.gateway == Some(*ip))
    }

    /// All routes, longest prefix first.
    pub fn iter(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter()
    }

    /// The number of routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Ipv4Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn longest_prefix_wins_regardless_of_insertion_order() {
        let mut t = RouteTable::new();
        t.add(Route {
            network: cidr("0.0.0.0/0"),
            gateway: Some(Ipv4Address::new(192, 0, 2, 1)),
            iface: IfaceId(0),
        })
        .unwrap();
        t.add(Route {
            network: cidr("192.0.2.0/24"),
            gateway: None,
            iface: IfaceId(0),
        })
        .unwrap();
        t.add(Route {
            network: cidr("192.0.2.128/25"),
            gateway: None,
            iface: IfaceId(1),
        })
        .unwrap();
        t.add(Route {
            network: cidr("10.0.0.0/8"),
            gateway: None,
            iface: IfaceId(2),
        })
        .unwrap();
        assert_eq!(
            t.lookup(&Ipv4Address::new(192, 0, 2, 200)).unwrap().iface,
            IfaceId(1)
        );
        assert_eq!(
            t.lookup(&Ipv4Address::new(192, 0, 2, 5)).unwrap().iface,
            IfaceId(0)
        );
        assert_eq!(
            t.lookup(&Ipv4Address::new(192, 0, 2, 5)).unwrap().gateway,
            None
        );
        assert_eq!(
            t.lookup(&Ipv4Address::new(198, 51, 100, 1))
                .unwrap()
                .gateway,
            Some(Ipv4Address::new(192, 0, 2, 1))
        );
        let lens: alloc::vec::Vec<u8> = t.iter().map(|r| r.network.prefix_len()).collect();
        assert_eq!(lens, [25, 24, 8, 0]);
    }

    #[test]
    fn no_default_route_means_no_route() {
        let mut t = RouteTable::new();
        t.add(Route {
            network: cidr("192.0.2.2/24"),
            gateway: None,
            iface: IfaceId(0),
        })
        .unwrap();
        assert!(t.lookup(&Ipv4Address::new(198, 51, 100, 1)).is_none());
        // Host bits of the prefix are cleared on insertion.
        assert_eq!(t.iter().next().unwrap().network, cidr("192.0.2.0/24"));
    }

    #[test]
    fn replace_remove_and_capacity() {
        let mut t = RouteTable::new();
        t.add(Route {
            network: cidr("192.0.2.0/24"),
            gateway: None,
            iface: IfaceId(0),
        })
        .unwrap();
        t.add(Route {
            network: cidr("192.0.2.0/24"),
            gateway: None,
            iface: IfaceId(3),
        })
        .unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(
            t.lookup(&Ipv4Address::new(192, 0, 2, 9)).unwrap().iface,
            IfaceId(3)
        );
        assert!(t.remove(cidr("192.0.2.0/24")));
        assert!(!t.remove(cidr("192.0.2.0/24")));
        for i in 0..MAX_ROUTES {
            t.add(Route {
                network: Ipv4Cidr::new(Ipv4Address::new(10, i as u8, 0, 0), 16).unwrap(),
                gateway: None,
                iface: IfaceId(0),
            })
            .unwrap();
        }
        assert_eq!(
            t.add(Route {
                network: cidr("11.0.0.0/8"),
                gateway: None,
                iface: IfaceId(0)
            }),
            Err(RouteError::TableFull)
        );
        t.remove_iface(IfaceId(0));
        assert!(t.is_empty());
    }
}
