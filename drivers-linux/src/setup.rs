//! Host-side setup for the demos: the TAP (or TUN) interface they run on.
//!
//! [`ensure_tap`] makes `cargo run --bin tcps -- 7` work on a fresh machine:
//!
//! - when the interface already exists it does nothing (whoever made it
//!   configured it; the demo attaches to it as it is);
//! - when it does not and the process may create it (`CAP_NET_ADMIN`: it
//!   simply tries), it creates it, gives the host side its address (for
//!   instance `192.0.2.1/24`) and brings it up with ioctls, after turning
//!   IPv6 off on it through `/proc` (no router solicitations), and returns
//!   a guard that deletes the interface again when dropped;
//! - without the privilege it returns [`SetupError::NeedsPrivilege`], whose
//!   `Display` is the three `ip` commands that create the interface once
//!   for the calling user, ready to paste.
//!
//! The interface is created *persistent* (`TUNSETPERSIST`) so that it
//! survives closing the fd that created it: a non-persistent,
//! single-queue TAP cannot be opened twice (the second `TUNSETIFF` fails
//! with `EBUSY`), and the runtime opens its own [`TapDevice`]. Once the
//! runtime has attached, [`remove_on_close`] clears the persistence through
//! the runtime's fd, so the kernel deletes the interface when that fd is
//! closed, at the latest when the process exits, however it exits (even
//! by `SIGKILL`). The guard additionally deletes it by `RTM_DELLINK` when
//! dropped (after the runtime has stopped), so the interface is gone as
//! soon as the demo shuts down, and also when the runtime never started.
//!
//! ```no_run
//! use microps_drivers_linux::setup::ensure_tap;
//!
//! let host = "192.0.2.1/24".parse().unwrap();
//! match ensure_tap("tap0", host) {
//!     Ok(setup) if setup.created() => log::info!("{setup}"),
//!     Ok(_) => {}
//!     Err(e) => {
//!         eprintln!("{e}");
//!         std::process::exit(1);
//!     }
//! }
//! ```
//!
//! [`TapDevice`]: crate::tap::TapDevice

use std::ffi::CStr;
use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

use microps_core::wire::{Ipv4Address, Ipv4Cidr};

use crate::fd::{interface_index, socket};

/// The kind of interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A TAP interface (Ethernet frames).
    Tap,
    /// A TUN interface (bare IP datagrams).
    Tun,
}

impl Kind {
    /// `tap` or `tun`, as `ip tuntap add mode ...` spells it.
    pub const fn mode(self) -> &'static str {
        match self {
            Kind::Tap => "tap",
            Kind::Tun => "tun",
        }
    }

    /// The `TUNSETIFF` flags: the kind, without packet information.
    const fn flags(self) -> libc::c_int {
        let kind = match self {
            Kind::Tap => libc::IFF_TAP,
            Kind::Tun => libc::IFF_TUN,
        };
        kind | libc::IFF_NO_PI
    }
}

/// What [`ensure_tap`] found or did; deletes the interface when dropped if
/// it created it.
#[derive(Debug)]
pub struct TapSetup {
    name: String,
    kind: Kind,
    host: Ipv4Cidr,
    /// The index of the interface this setup created (deletion goes by
    /// index, so a later interface of the same name is never touched).
    created: Option<u32>,
}

impl TapSetup {
    /// The interface's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// TAP or TUN.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The host side's address: the one given to the interface if it was
    /// created here, the one asked for otherwise.
    pub fn host(&self) -> Ipv4Cidr {
        self.host
    }

    /// Whether the interface was created here (and will be deleted when this
    /// value is dropped).
    pub fn created(&self) -> bool {
        self.created.is_some()
    }

    /// Deletes the interface now if it was created here; does nothing
    /// otherwise.
    ///
    /// # Errors
    ///
    /// The netlink error (an interface that is already gone is not one).
    pub fn remove(mut self) -> io::Result<()> {
        self.remove_now()
    }

    /// Leaves the interface in place when this value is dropped (it was
    /// created here, but someone else now owns it).
    pub fn keep(mut self) {
        self.created = None;
    }

    fn remove_now(&mut self) -> io::Result<()> {
        let Some(index) = self.created.take() else {
            return Ok(());
        };
        match delete_link(index) {
            Ok(()) => {
                log::info!("removed {}", self.name);
                Ok(())
            }
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl fmt::Display for TapSetup {
    /// The log line: `created tap0 with 192.0.2.1/24 for the host; it will
    /// be removed on exit`, or `using the existing tap0`.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.created() {
            write!(
                f,
                "created {} with {} for the host; it will be removed on exit",
                self.name, self.host
            )
        } else {
            write!(f, "using the existing {}", self.name)
        }
    }
}

impl Drop for TapSetup {
    fn drop(&mut self) {
        if let Err(e) = self.remove_now() {
            log::warn!("could not remove {}: {e}", self.name);
        }
    }
}

/// Why [`ensure_tap`] could not provide the interface.
#[derive(Debug)]
#[non_exhaustive]
pub enum SetupError {
    /// The interface does not exist and the process may not create it.
    /// `Display` gives the commands that create it once.
    NeedsPrivilege {
        /// The interface's name.
        name: String,
        /// TAP or TUN.
        kind: Kind,
        /// The host side's address.
        host: Ipv4Cidr,
        /// The user the interface should belong to (the calling user).
        user: String,
        /// Whether opening `/dev/net/tun` itself was refused (it is not
        /// open to everyone on this system): the commands then also make it
        /// so.
        tun_denied: bool,
    },
    /// An invalid interface name (empty, too long, or with a NUL byte).
    InvalidName(String),
    /// Creating or configuring the interface failed otherwise.
    Io {
        /// The interface's name.
        name: String,
        /// What was being done.
        what: &'static str,
        /// The error.
        error: io::Error,
    },
}

impl SetupError {
    /// The shell commands that create the interface for `user`, one per
    /// line, each indented by two spaces (without a final newline).
    pub fn commands(name: &str, kind: Kind, host: Ipv4Cidr, user: &str) -> String {
        format!(
            "  sudo ip tuntap add mode {} user {user} name {name}\n  sudo ip addr add {host} dev {name}\n  sudo ip link set {name} up",
            kind.mode()
        )
    }

    /// The command that opens `/dev/net/tun` to every user, as most
    /// distributions have it (creating interfaces still needs
    /// `CAP_NET_ADMIN`).
    pub const CHMOD_TUN: &'static str = "  sudo chmod 0666 /dev/net/tun";
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            SetupError::NeedsPrivilege {
                name,
                kind,
                host,
                user,
                tun_denied,
            } => {
                write!(
                    f,
                    "{name} does not exist and creating it needs root (CAP_NET_ADMIN). Create it once with:\n{}",
                    SetupError::commands(name, *kind, *host, user)
                )?;
                if *tun_denied {
                    write!(f, "\n{}", SetupError::CHMOD_TUN)?;
                }
                Ok(())
            }
            SetupError::InvalidName(name) => write!(f, "invalid interface name {name:?}"),
            SetupError::Io { name, what, error } => write!(f, "{what} {name}: {error}"),
        }
    }
}

impl std::error::Error for SetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SetupError::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Makes sure the TAP interface `name` exists; creates and configures it
/// (host side `host`, up) if it does not and the process may. See the
/// [module documentation](self).
///
/// # Errors
///
/// [`SetupError::NeedsPrivilege`] without `CAP_NET_ADMIN` (its `Display`
/// is the commands to run), [`SetupError::InvalidName`], or
/// [`SetupError::Io`] when creating or configuring failed otherwise (a
/// half-configured interface is deleted again).
pub fn ensure_tap(name: &str, host: Ipv4Cidr) -> Result<TapSetup, SetupError> {
    ensure(name, Kind::Tap, host)
}

/// As [`ensure_tap`], for a TUN interface.
///
/// # Errors
///
/// As [`ensure_tap`].
pub fn ensure_tun(name: &str, host: Ipv4Cidr) -> Result<TapSetup, SetupError> {
    ensure(name, Kind::Tun, host)
}

/// As [`ensure_tap`], for either kind.
///
/// # Errors
///
/// As [`ensure_tap`].
pub fn ensure(name: &str, kind: Kind, host: Ipv4Cidr) -> Result<TapSetup, SetupError> {
    let mut setup = TapSetup {
        name: name.to_string(),
        kind,
        host,
        created: None,
    };
    let ifr = ifreq_for(name).ok_or_else(|| SetupError::InvalidName(name.to_string()))?;
    if interface_index(name).is_ok() {
        log::debug!("{name} exists; using it as it is");
        return Ok(setup);
    }
    let io_error = |what, error| SetupError::Io {
        name: name.to_string(),
        what,
        error,
    };
    match create_persistent(ifr, kind) {
        Ok(()) => {}
        Err((stage, e)) if is_permission(&e) => {
            return Err(SetupError::NeedsPrivilege {
                name: name.to_string(),
                kind,
                host,
                user: user_name(),
                tun_denied: stage == Stage::Open,
            });
        }
        // Someone created it between the check and here: theirs to keep.
        Err((_, e)) if e.raw_os_error() == Some(libc::EBUSY) => return Ok(setup),
        Err((_, e)) => return Err(io_error("creating", e)),
    }
    // From here on, dropping `setup` deletes the interface.
    let index = interface_index(name).map_err(|e| io_error("finding the new", e))?;
    setup.created = Some(index);
    disable_ipv6(name);
    configure(ifr, host).map_err(|e| io_error("configuring", e))?;
    Ok(setup)
}

/// Turns IPv6 off on the new interface before it goes up, so the kernel
/// sends it no router solicitations and the stack's first screens are not
/// IPv6 frames it does not decode. A kernel without IPv6 has no such
/// setting: nothing to turn off.
fn disable_ipv6(name: &str) {
    let path = format!("/proc/sys/net/ipv6/conf/{name}/disable_ipv6");
    match std::fs::write(&path, "1") {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => log::debug!("{path}: {e}"),
    }
}

/// Hands the lifetime of a persistent TUN/TAP interface to `fd`, an fd
/// attached to it (the runtime's device): clears `IFF_PERSIST`, so the
/// kernel deletes the interface when the last fd attached to it closes.
///
/// # Errors
///
/// The `ioctl(2)` error (`EBADFD` if `fd` is not attached to an interface).
pub fn remove_on_close(fd: RawFd) -> io::Result<()> {
    let off: libc::c_ulong = 0;
    // SAFETY: TUNSETPERSIST takes its argument by value; no memory is
    // passed.
    let rc = unsafe { libc::ioctl(fd, libc::TUNSETPERSIST, off) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether an error means "not allowed".
fn is_permission(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES))
}

/// Where [`create_persistent`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Opening `/dev/net/tun`.
    Open,
    /// An ioctl on it.
    Ioctl,
}

/// Creates the interface with `TUNSETIFF` (exclusively: an interface that
/// appeared meanwhile is `EBUSY`, never taken over), makes it persistent
/// and closes the fd.
fn create_persistent(ifr: libc::ifreq, kind: Kind) -> Result<(), (Stage, io::Error)> {
    let tun = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")
        .map_err(|e| (Stage::Open, e))?;
    set_persistent_tun(&tun, ifr, kind).map_err(|e| (Stage::Ioctl, e))
}

fn set_persistent_tun(tun: &std::fs::File, mut ifr: libc::ifreq, kind: Kind) -> io::Result<()> {
    // The flags are a 16-bit field; IFF_TUN_EXCL (0x8000) is its sign bit.
    ifr.ifr_ifru.ifru_flags = (kind.flags() | libc::IFF_TUN_EXCL) as u16 as libc::c_short;
    // SAFETY: TUNSETIFF reads and writes the exclusively borrowed,
    // initialised `ifr`.
    let rc = unsafe { libc::ioctl(tun.as_raw_fd(), libc::TUNSETIFF, &mut ifr) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let on: libc::c_ulong = 1;
    // SAFETY: TUNSETPERSIST takes its argument by value.
    let rc = unsafe { libc::ioctl(tun.as_raw_fd(), libc::TUNSETPERSIST, on) };
    if rc < 0 {
        // Closing `tun` deletes the non-persistent interface.
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Gives the interface `host` (address and netmask) and brings it up.
fn configure(ifr: libc::ifreq, host: Ipv4Cidr) -> io::Result<()> {
    let sock = socket(libc::AF_INET, libc::SOCK_DGRAM, 0)?;
    let fd = sock.as_raw_fd();
    let mut req = ifr;
    set_sockaddr(&mut req, host.address());
    ioctl(fd, libc::SIOCSIFADDR, &mut req)?;
    let mut req = ifr;
    set_sockaddr(&mut req, host.netmask());
    ioctl(fd, libc::SIOCSIFNETMASK, &mut req)?;
    let mut req = ifr;
    ioctl(fd, libc::SIOCGIFFLAGS, &mut req)?;
    // SAFETY: SIOCGIFFLAGS filled the `ifru_flags` member; any bit pattern
    // is a valid c_short.
    let flags = unsafe { req.ifr_ifru.ifru_flags };
    req.ifr_ifru.ifru_flags = flags | libc::IFF_UP as libc::c_short;
    ioctl(fd, libc::SIOCSIFFLAGS, &mut req)
}

fn ioctl(fd: RawFd, request: libc::Ioctl, ifr: &mut libc::ifreq) -> io::Result<()> {
    // SAFETY: the interface ioctls read and write the exclusively borrowed,
    // initialised `ifreq`.
    let rc = unsafe { libc::ioctl(fd, request, ifr as *mut libc::ifreq) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Puts an `AF_INET` `sockaddr_in` for `addr` into the request's address
/// member.
fn set_sockaddr(ifr: &mut libc::ifreq, addr: Ipv4Address) {
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(addr.octets()),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: `sockaddr_in` and `sockaddr` are both 16 bytes, and the union
    // member is written whole (an unaligned write: the union's alignment
    // may be smaller than `sockaddr_in`'s on paper, never in fact).
    unsafe {
        std::ptr::write_unaligned(
            (&raw mut ifr.ifr_ifru.ifru_addr).cast::<libc::sockaddr_in>(),
            sin,
        );
    }
}

/// An `ifreq` with `ifr_name` set and the rest zeroed, or `None` for a name
/// that is empty, too long or has a NUL byte.
fn ifreq_for(name: &str) -> Option<libc::ifreq> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return None;
    }
    // SAFETY: `ifreq` is plain old data, for which all-zero bytes is valid.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in ifr.ifr_name.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    Some(ifr)
}

/// Deletes the interface with this index through rtnetlink (`RTM_DELLINK`,
/// what `ip link del` sends); works whether or not an fd is attached.
fn delete_link(index: u32) -> io::Result<()> {
    let index = i32::try_from(index).map_err(|_| io::Error::from_raw_os_error(libc::ENODEV))?;
    let sock = socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_ROUTE)?;
    // struct nlmsghdr (16 bytes) + struct ifinfomsg (16 bytes), native
    // byte order.
    let mut msg = [0u8; 32];
    msg[0..4].copy_from_slice(&32u32.to_ne_bytes());
    msg[4..6].copy_from_slice(&libc::RTM_DELLINK.to_ne_bytes());
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16;
    msg[6..8].copy_from_slice(&flags.to_ne_bytes());
    msg[8..12].copy_from_slice(&1u32.to_ne_bytes());
    // nlmsg_pid (12..16) = 0; ifi_family = AF_UNSPEC, ifi_type = 0.
    msg[20..24].copy_from_slice(&index.to_ne_bytes());
    // SAFETY: `msg` is valid for its length; an unconnected netlink socket
    // sends to the kernel.
    let rc = unsafe { libc::send(sock.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut reply = [0u8; 1024];
    loop {
        // SAFETY: `reply` is valid for its length.
        let n = unsafe { libc::recv(sock.as_raw_fd(), reply.as_mut_ptr().cast(), reply.len(), 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        // The acknowledgement: nlmsghdr of type NLMSG_ERROR, then the error
        // code (0 for success, a negative errno otherwise).
        let reply = reply.get(..n as usize).unwrap_or(&[]);
        let (Some(ty), Some(code)) = (reply.get(4..6), reply.get(16..20)) else {
            return Err(io::Error::from_raw_os_error(libc::EPROTO));
        };
        if u16::from_ne_bytes([ty[0], ty[1]]) != libc::NLMSG_ERROR as u16 {
            // Not the acknowledgement (nothing else is expected): go on.
            continue;
        }
        let code = i32::from_ne_bytes([code[0], code[1], code[2], code[3]]);
        return if code == 0 {
            Ok(())
        } else {
            Err(io::Error::from_raw_os_error(code.saturating_neg()))
        };
    }
}

/// The calling user's name (for `ip tuntap add ... user NAME`): from the
/// password database by real uid, else `$USER`, else the uid.
pub fn user_name() -> String {
    // SAFETY: getuid takes no arguments and cannot fail.
    let uid = unsafe { libc::getuid() };
    // SAFETY: `passwd` is plain old data (integers and pointers), for
    // which all-zero bytes is valid.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call: `pwd` and `result` are
    // exclusively borrowed, `buf` is valid for `buf.len()` bytes.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc == 0 && !result.is_null() && !pwd.pw_name.is_null() {
        // SAFETY: on success `pw_name` points to a NUL-terminated string in
        // `buf`, which is still alive.
        let name = unsafe { CStr::from_ptr(pwd.pw_name) };
        if let Ok(name) = name.to_str()
            && !name.is_empty()
        {
            return name.to_string();
        }
    }
    match std::env::var("USER") {
        Ok(user) if !user.is_empty() => user,
        _ => uid.to_string(),
    }
}

/// The host's routes (from `/proc/net/route`, this network namespace's)
/// that cover `addr` through an interface other than `iface`, most specific
/// first, as `(interface, network)`: the kernel would send traffic for
/// `addr` there, not to the stack on `iface`. The default route is left
/// out.
pub fn routed_elsewhere(addr: Ipv4Address, iface: &str) -> Vec<(String, Ipv4Cidr)> {
    let table = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    let mut found = routes_covering(&table, addr, iface);
    found.sort_by_key(|(_, cidr)| core::cmp::Reverse(cidr.prefix_len()));
    found
}

/// [`routed_elsewhere`] over the text of `/proc/net/route`, whose
/// addresses are the in-memory network-order words printed as host-order
/// hexadecimal numbers (so their native-endian bytes are the address).
fn routes_covering(table: &str, addr: Ipv4Address, iface: &str) -> Vec<(String, Ipv4Cidr)> {
    let ip = u32::from_be_bytes(addr.octets());
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (name, dest, mask) = (*f.first()?, *f.get(1)?, *f.get(7)?);
            let word = |hex: &str| {
                let n = u32::from_str_radix(hex, 16).ok()?;
                Some(u32::from_be_bytes(n.to_ne_bytes()))
            };
            let (dest, mask) = (word(dest)?, word(mask)?);
            (mask != 0 && name != iface && ip & mask == dest).then(|| {
                let prefix = mask.leading_ones() as u8;
                let net = Ipv4Address::from_bits(dest);
                Some((name.to_string(), Ipv4Cidr::new(net, prefix)?))
            })?
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Ipv4Cidr {
        Ipv4Cidr::new(Ipv4Address::new(192, 0, 2, 1), 24).unwrap()
    }

    #[test]
    fn needs_privilege_message_has_the_commands() {
        let e = SetupError::NeedsPrivilege {
            name: "tap0".into(),
            kind: Kind::Tap,
            host: host(),
            user: "alice".into(),
            tun_denied: false,
        };
        let message = "tap0 does not exist and creating it needs root (CAP_NET_ADMIN). Create it once with:\n  sudo ip tuntap add mode tap user alice name tap0\n  sudo ip addr add 192.0.2.1/24 dev tap0\n  sudo ip link set tap0 up";
        assert_eq!(e.to_string(), message);
        let e = SetupError::NeedsPrivilege {
            name: "tap0".into(),
            kind: Kind::Tap,
            host: host(),
            user: "alice".into(),
            tun_denied: true,
        };
        assert_eq!(
            e.to_string(),
            format!("{message}\n  sudo chmod 0666 /dev/net/tun")
        );
        assert!(
            SetupError::commands("tun0", Kind::Tun, host(), "bob")
                .starts_with("  sudo ip tuntap add mode tun user bob name tun0\n")
        );
    }

    #[test]
    fn routes_through_other_interfaces_are_found() {
        // /proc/net/route: addresses little-endian hex on x86.
        let table = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n\
            eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
            eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
            tap0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
            eth1\t000033C6\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
        let ours = Ipv4Address::new(192, 0, 2, 2);
        let found = routes_covering(table, ours, "tap0");
        assert_eq!(
            found,
            [("eth0".to_string(), "192.0.2.0/24".parse().unwrap())]
        );
        assert!(routes_covering(table, Ipv4Address::new(203, 0, 113, 1), "tap0").is_empty());
    }

    #[test]
    fn invalid_names_are_refused() {
        for name in ["", "a-name-far-too-long-for-linux", "nul\0"] {
            assert!(matches!(
                ensure_tap(name, host()),
                Err(SetupError::InvalidName(_))
            ));
        }
    }

    #[test]
    fn an_existing_interface_is_left_alone() {
        let setup = ensure_tap("lo", host()).unwrap();
        assert!(!setup.created());
        assert_eq!(setup.to_string(), "using the existing lo");
        drop(setup);
        assert!(crate::fd::interface_exists("lo"));
    }

    #[test]
    fn user_name_is_not_empty() {
        assert!(!user_name().is_empty());
    }

    #[test]
    fn created_tap_is_configured_and_removed() {
        if !crate::netns::require_root("created_tap_is_configured_and_removed") {
            return;
        }
        let ns = crate::netns::Netns::new("mpsetup").unwrap();
        ns.run_in(|| {
            let setup = ensure_tap("tap0", host()).unwrap();
            assert!(setup.created());
            assert_eq!(
                setup.to_string(),
                "created tap0 with 192.0.2.1/24 for the host; it will be removed on exit"
            );
            // The runtime's device attaches to it, and persistence moves
            // to that fd.
            let mac = microps_core::wire::EthernetAddress([2, 0, 0, 0, 0, 1]);
            let dev = crate::TapDevice::open("tap0", mac).unwrap();
            remove_on_close(dev.fd()).unwrap();
            // A second call finds it and leaves it alone.
            let again = ensure_tap("tap0", host()).unwrap();
            assert!(!again.created());
            drop(again);
            assert!(crate::fd::interface_exists("tap0"));
            drop(setup);
            assert!(!crate::fd::interface_exists("tap0"), "removed on drop");
            drop(dev);
            // Closing the device's fd alone also removes it.
            let setup = ensure_tap("tap0", host()).unwrap();
            let dev = crate::TapDevice::open("tap0", mac).unwrap();
            remove_on_close(dev.fd()).unwrap();
            setup.keep();
            assert!(crate::fd::interface_exists("tap0"));
            drop(dev);
            assert!(!crate::fd::interface_exists("tap0"), "removed on close");
        })
        .unwrap();
        let addr = ns.exec_ok(&["ip", "-o", "-4", "addr", "show"]).unwrap();
        assert!(!addr.contains("tap0"), "{addr}");
        // The host side as `ip` sees it while the interface exists.
        ns.run_in(|| {
            let setup = ensure_tun("tun0", host()).unwrap();
            assert!(setup.created());
            setup.keep();
        })
        .unwrap();
        let addr = ns
            .exec_ok(&["ip", "-o", "-4", "addr", "show", "tun0"])
            .unwrap();
        assert!(addr.contains("inet 192.0.2.1/24"), "{addr}");
        let link = ns.exec_ok(&["ip", "-o", "link", "show", "tun0"]).unwrap();
        assert!(link.contains(",UP"), "{link}");
        let route = ns.exec_ok(&["ip", "route", "show", "dev", "tun0"]).unwrap();
        assert!(route.contains("192.0.2.0/24"), "{route}");
    }
}
