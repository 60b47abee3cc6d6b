//! File-descriptor helpers shared by the Linux devices and the runtime.
//!
//! - [`wait_readable`] waits with `ppoll(2)` until one of several fds is
//!   readable or a timeout passes: the hosted runtime's only blocking call.
//! - [`EventFd`] wraps `eventfd(2)`: application threads [`notify`]
//!   it to wake the runtime out of [`wait_readable`].
//! - [`interface_exists`], [`interface_index`] and [`interface_mtu`] ask the
//!   kernel about a network interface by name (in the calling thread's
//!   network namespace).
//! - [`LinkStats`] is the set of counters every device here keeps.
//!
//! [`notify`]: EventFd::notify

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use microps_core::phy::{DeviceError, TxMeta, TxSink};

/// How many fds [`wait_readable`] handles without allocating.
const STACK_FDS: usize = 8;

/// Waits until at least one of `fds` is readable (or has an error or hang-up
/// pending), or until `timeout` passes (`None`: forever).
///
/// Returns how many fds are ready: `0` after a timeout, and also `0` when a
/// signal interrupted the wait (`EINTR`), so a caller simply loops. The
/// timeout has nanosecond resolution (`ppoll(2)`), so a deadline a fraction of
/// a millisecond away is neither rounded to a busy loop nor overslept by a
/// millisecond. Negative fds are ignored, as `poll(2)` does. Up to eight fds
/// need no allocation.
///
/// # Errors
///
/// The `ppoll(2)` error, other than `EINTR` (for instance `EINVAL` for more
/// fds than `RLIMIT_NOFILE`).
pub fn wait_readable(fds: &[RawFd], timeout: Option<Duration>) -> io::Result<usize> {
    let to_pollfd = |fd: &RawFd| libc::pollfd {
        fd: *fd,
        events: libc::POLLIN,
        revents: 0,
    };
    if fds.len() <= STACK_FDS {
        let mut array = [libc::pollfd {
            fd: -1,
            events: 0,
            revents: 0,
        }; STACK_FDS];
        for (slot, fd) in array.iter_mut().zip(fds) {
            *slot = to_pollfd(fd);
        }
        ppoll(&mut array[..fds.len()], timeout)
    } else {
        let mut vec: Vec<libc::pollfd> = fds.iter().map(to_pollfd).collect();
        ppoll(&mut vec, timeout)
    }
}

fn ppoll(pollfds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<usize> {
    let ts = timeout.map(|d| libc::timespec {
        tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
        // Always below 10^9, so it fits every `c_long`.
        tv_nsec: d.subsec_nanos() as libc::c_long,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |ts| ts as *const libc::timespec);
    // SAFETY: `pollfds` is a valid, exclusively borrowed array of
    // `pollfds.len()` pollfd structs; `ts_ptr` is null or points to `ts`,
    // which outlives the call; a null sigmask means "keep the current mask".
    let rc = unsafe {
        libc::ppoll(
            pollfds.as_mut_ptr(),
            pollfds.len() as libc::nfds_t,
            ts_ptr,
            std::ptr::null(),
        )
    };
    if rc < 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EINTR) {
            return Ok(0);
        }
        return Err(err);
    }
    // `rc` is non-negative here.
    Ok(rc as usize)
}

/// A non-blocking `eventfd(2)` counter: the way application threads wake the
/// runtime thread that sleeps in [`wait_readable`].
///
/// [`notify`](EventFd::notify) takes `&self`, so one `Arc<EventFd>` can be
/// shared by many threads. The fd is closed on drop.
///
/// ```
/// use microps_drivers_linux::fd::{wait_readable, EventFd};
/// use std::time::Duration;
///
/// let ev = EventFd::new().unwrap();
/// ev.notify().unwrap();
/// ev.notify().unwrap();
/// assert_eq!(wait_readable(&[ev.fd()], Some(Duration::ZERO)).unwrap(), 1);
/// assert_eq!(ev.drain().unwrap(), 2);
/// assert_eq!(wait_readable(&[ev.fd()], Some(Duration::ZERO)).unwrap(), 0);
/// ```
#[derive(Debug)]
pub struct EventFd {
    fd: OwnedFd,
}

impl EventFd {
    /// Creates a non-blocking, close-on-exec eventfd with a zero counter.
    ///
    /// # Errors
    ///
    /// The `eventfd(2)` error (for instance `EMFILE`).
    pub fn new() -> io::Result<EventFd> {
        // SAFETY: eventfd takes no pointers; it returns a new fd or -1.
        let raw = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a freshly created fd that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(EventFd { fd })
    }

    /// Adds one to the counter, making the fd readable.
    ///
    /// A counter already at its maximum (`EAGAIN`, after 2^64 - 2 notifies
    /// without a drain) is readable anyway, so that is not an error.
    ///
    /// # Errors
    ///
    /// Any other `write(2)` error.
    pub fn notify(&self) -> io::Result<()> {
        let one: u64 = 1;
        loop {
            // SAFETY: writes the 8 bytes of `one`, which lives across the call.
            let rc = unsafe {
                libc::write(
                    self.fd.as_raw_fd(),
                    (&one as *const u64).cast::<libc::c_void>(),
                    8,
                )
            };
            if rc >= 0 {
                return Ok(());
            }
            match errno() {
                libc::EINTR => continue,
                libc::EAGAIN => return Ok(()),
                code => return Err(io::Error::from_raw_os_error(code)),
            }
        }
    }

    /// Resets the counter to zero and returns how many notifies it held
    /// (`0` if none: the fd was not readable).
    ///
    /// # Errors
    ///
    /// A `read(2)` error other than `EAGAIN` and `EINTR`.
    pub fn drain(&self) -> io::Result<u64> {
        let mut value: u64 = 0;
        loop {
            // SAFETY: reads at most 8 bytes into `value`, which is 8 bytes
            // long and exclusively borrowed for the call.
            let rc = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    (&mut value as *mut u64).cast::<libc::c_void>(),
                    8,
                )
            };
            if rc >= 0 {
                return Ok(value);
            }
            match errno() {
                libc::EINTR => continue,
                libc::EAGAIN => return Ok(0),
                code => return Err(io::Error::from_raw_os_error(code)),
            }
        }
    }

    /// The raw fd, for [`wait_readable`].
    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsRawFd for EventFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for EventFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Whether a network interface called `name` exists in the calling thread's
/// network namespace (`if_nametoindex(3)`).
pub fn interface_exists(name: &str) -> bool {
    interface_index(name).is_ok()
}

/// The index of the network interface called `name` (`if_nametoindex(3)`).
///
/// # Errors
///
/// `NotFound` (`ENODEV`) if there is no such interface, `InvalidInput` if
/// the name contains a NUL byte.
pub fn interface_index(name: &str) -> io::Result<u32> {
    let cname = CString::new(name).map_err(|_| invalid_name())?;
    // SAFETY: `cname` is a valid NUL-terminated string for the call.
    let index = unsafe { libc::if_nametoindex(cname.as_ptr()) };
    if index == 0 {
        let err = io::Error::last_os_error();
        // glibc leaves ENODEV; make sure a missing interface reads as one.
        return Err(match err.raw_os_error() {
            Some(0) | None => io::Error::from_raw_os_error(libc::ENODEV),
            _ => err,
        });
    }
    Ok(index)
}

/// The MTU of the network interface called `name`, read with the
/// `SIOCGIFMTU` ioctl on an `AF_INET` datagram socket.
///
/// # Errors
///
/// `InvalidInput` for a name that is empty, too long (`IFNAMSIZ`) or holds a
/// NUL byte; the `socket(2)` or `ioctl(2)` error otherwise (`ENODEV` if
/// there is no such interface).
pub fn interface_mtu(name: &str) -> io::Result<usize> {
    let mut ifr = ifreq_for(name)?;
    let sock = socket(libc::AF_INET, libc::SOCK_DGRAM, 0)?;
    // SAFETY: SIOCGIFMTU reads `ifr_name` and writes `ifr_ifru.ifru_mtu`
    // of the exclusively borrowed, fully initialised `ifr`.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFMTU, &mut ifr) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel filled the `ifru_mtu` member of the union, and every
    // bit pattern is a valid c_int anyway.
    let mtu = unsafe { ifr.ifr_ifru.ifru_mtu };
    usize::try_from(mtu).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// An `ifreq` with `ifr_name` set and the rest zeroed.
fn ifreq_for(name: &str) -> io::Result<libc::ifreq> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(invalid_name());
    }
    // SAFETY: `ifreq` is plain old data (a name array and a union of
    // integers, sockaddrs and a pointer), for which all-zero bytes is valid.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in ifr.ifr_name.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    Ok(ifr)
}

fn invalid_name() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "invalid interface name")
}

/// A new close-on-exec socket.
pub(crate) fn socket(
    domain: libc::c_int,
    ty: libc::c_int,
    proto: libc::c_int,
) -> io::Result<OwnedFd> {
    // SAFETY: socket takes no pointers; it returns a new fd or -1.
    let raw = unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC, proto) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a freshly created fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// The calling thread's `errno`.
pub(crate) fn errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// Maps an `errno` of a device read or write to a [`DeviceError`].
pub(crate) fn device_error(code: i32) -> DeviceError {
    match code {
        libc::EAGAIN | libc::ENOBUFS => DeviceError::Exhausted,
        libc::ENETDOWN => DeviceError::Down,
        code => DeviceError::Io(code),
    }
}

/// What [`read_frame`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadOutcome {
    /// A frame of this many bytes is at the start of the buffer.
    Frame(usize),
    /// A frame that did not fit: the kernel truncated it (or reported a
    /// length at least as large as the buffer).
    Truncated,
    /// Nothing to read (`EAGAIN`).
    Empty,
}

/// One `read(2)` of a frame into `buf`, retried on `EINTR`.
///
/// `buf` must be at least one byte longer than the largest frame accepted:
/// a read that fills it entirely is reported as [`ReadOutcome::Truncated`],
/// since the TUN/TAP driver copies what fits, returns that length and
/// discards the rest without a word (no `MSG_TRUNC` on a character device).
pub(crate) fn read_frame(fd: RawFd, buf: &mut [u8]) -> Result<ReadOutcome, i32> {
    loop {
        // SAFETY: `buf` is exclusively borrowed and `buf.len()` bytes long.
        let rc = unsafe { libc::read(fd, buf.as_mut_ptr().cast::<libc::c_void>(), buf.len()) };
        if rc >= 0 {
            // Non-negative, so the cast is lossless.
            let n = rc as usize;
            return Ok(if n >= buf.len() {
                ReadOutcome::Truncated
            } else {
                ReadOutcome::Frame(n)
            });
        }
        match errno() {
            libc::EINTR => continue,
            libc::EAGAIN => return Ok(ReadOutcome::Empty),
            code => return Err(code),
        }
    }
}

/// Receive counters of a Linux device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RxStats {
    /// Frames delivered to the stack.
    pub frames: u64,
    /// Bytes of the frames delivered.
    pub bytes: u64,
    /// Frames dropped because they did not fit the receive buffer.
    pub truncated: u64,
    /// Frames dropped because the kernel reported them as sent by this host
    /// (`PACKET_OUTGOING`; PF_PACKET only).
    pub outgoing: u64,
    /// Reads that failed with an error other than "nothing to read".
    pub errors: u64,
}

/// Transmit counters of a Linux device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TxStats {
    /// Frames handed to the kernel.
    pub frames: u64,
    /// Bytes of the frames handed to the kernel.
    pub bytes: u64,
    /// Frames refused as longer than the largest frame.
    pub too_long: u64,
    /// Frames the kernel had no room for (`EAGAIN`, `ENOBUFS`): dropped.
    pub exhausted: u64,
    /// Writes that failed otherwise (or were short).
    pub errors: u64,
}

/// The counters of a Linux device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LinkStats {
    /// What was received.
    pub rx: RxStats,
    /// What was transmitted.
    pub tx: TxStats,
}

/// The transmit half of a Linux device: the fd, the buffer the stack writes
/// frames into, and the transmit counters.
///
/// A separate struct from the receive buffer, so that a device can lend it
/// as a [`TxSink`] while the received frame is still borrowed.
#[derive(Debug)]
pub(crate) struct FrameWriter {
    /// The fd to `write(2)` frames to. Owned by the device that owns this
    /// writer, which keeps it open as long as the writer lives.
    fd: RawFd,
    /// The transmit buffer, exactly as long as the largest frame.
    buf: Box<[u8]>,
    /// The counters.
    pub(crate) stats: TxStats,
    /// Whether `EIO` means the interface is down (as it does for TUN/TAP).
    eio_is_down: bool,
}

impl FrameWriter {
    /// A writer to `fd` (which the caller keeps open) for frames of at most
    /// `max_frame_len` bytes.
    pub(crate) fn new(fd: RawFd, max_frame_len: usize) -> FrameWriter {
        FrameWriter {
            fd,
            buf: vec![0; max_frame_len].into_boxed_slice(),
            stats: TxStats::default(),
            eio_is_down: false,
        }
    }

    /// Reports `EIO` as [`DeviceError::Down`]: the TUN/TAP driver refuses
    /// writes to an interface that is down with `EIO`.
    pub(crate) fn with_eio_as_down(mut self) -> FrameWriter {
        self.eio_is_down = true;
        self
    }

    /// The largest frame.
    pub(crate) fn max_frame_len(&self) -> usize {
        self.buf.len()
    }

    /// Lends `len` bytes of the buffer to `f`, then writes them.
    pub(crate) fn send(
        &mut self,
        len: usize,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        let Some(frame) = self.buf.get_mut(..len) else {
            self.stats.too_long += 1;
            return Err(DeviceError::TooLong);
        };
        f(frame);
        loop {
            // SAFETY: `frame` is a valid slice of `frame.len()` bytes,
            // borrowed for the call.
            let rc =
                unsafe { libc::write(self.fd, frame.as_ptr().cast::<libc::c_void>(), frame.len()) };
            if rc >= 0 {
                if rc as usize != len {
                    // A frame is written whole or not at all; never seen.
                    self.stats.errors += 1;
                    return Err(DeviceError::Io(libc::EIO));
                }
                self.stats.frames += 1;
                self.stats.bytes += len as u64;
                return Ok(());
            }
            let code = errno();
            if code == libc::EINTR {
                continue;
            }
            let err = if code == libc::EIO && self.eio_is_down {
                DeviceError::Down
            } else {
                device_error(code)
            };
            if err == DeviceError::Exhausted {
                self.stats.exhausted += 1;
            } else {
                self.stats.errors += 1;
            }
            return Err(err);
        }
    }
}

impl TxSink for FrameWriter {
    fn transmit(
        &mut self,
        len: usize,
        _meta: TxMeta,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        self.send(len, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn eventfd_notify_and_drain() {
        let ev = EventFd::new().unwrap();
        assert_eq!(ev.drain().unwrap(), 0, "a new eventfd is empty");
        ev.notify().unwrap();
        ev.notify().unwrap();
        ev.notify().unwrap();
        assert_eq!(ev.drain().unwrap(), 3);
        assert_eq!(ev.drain().unwrap(), 0, "drain resets the counter");
    }

    #[test]
    fn wait_readable_times_out() {
        let ev = EventFd::new().unwrap();
        let start = Instant::now();
        let ready = wait_readable(&[ev.fd()], Some(Duration::from_millis(30))).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(ready, 0);
        assert!(
            elapsed >= Duration::from_millis(30),
            "woke early: {elapsed:?}"
        );
        assert!(elapsed < Duration::from_secs(2), "overslept: {elapsed:?}");
        // A zero timeout returns at once.
        assert_eq!(wait_readable(&[ev.fd()], Some(Duration::ZERO)).unwrap(), 0);
        // No fds at all is a plain sleep.
        assert_eq!(
            wait_readable(&[], Some(Duration::from_millis(1))).unwrap(),
            0
        );
    }

    #[test]
    fn wait_readable_counts_ready_fds() {
        let a = EventFd::new().unwrap();
        let b = EventFd::new().unwrap();
        let c = EventFd::new().unwrap();
        a.notify().unwrap();
        c.notify().unwrap();
        let fds = [a.fd(), b.fd(), c.fd(), -1];
        assert_eq!(wait_readable(&fds, None).unwrap(), 2);
        // More fds than fit on the stack.
        let many: Vec<EventFd> = (0..STACK_FDS + 3)
            .map(|_| EventFd::new().unwrap())
            .collect();
        many[STACK_FDS + 1].notify().unwrap();
        let raw: Vec<RawFd> = many.iter().map(EventFd::fd).collect();
        assert_eq!(
            wait_readable(&raw, Some(Duration::from_secs(5))).unwrap(),
            1
        );
    }

    #[test]
    fn eventfd_wakes_another_thread() {
        let ev = Arc::new(EventFd::new().unwrap());
        let waiter = {
            let ev = Arc::clone(&ev);
            std::thread::spawn(move || {
                let start = Instant::now();
                let ready = wait_readable(&[ev.fd()], Some(Duration::from_secs(10))).unwrap();
                (ready, start.elapsed(), ev.drain().unwrap())
            })
        };
        std::thread::sleep(Duration::from_millis(20));
        ev.notify().unwrap();
        let (ready, elapsed, drained) = waiter.join().unwrap();
        assert_eq!(ready, 1);
        assert_eq!(drained, 1);
        assert!(elapsed < Duration::from_secs(5), "not woken: {elapsed:?}");
    }

    #[test]
    fn interface_queries() {
        assert!(interface_exists("lo"));
        assert_eq!(interface_index("lo").unwrap(), 1);
        assert!(interface_mtu("lo").unwrap() >= 1500);
        assert!(!interface_exists("mpnosuchif0"));
        assert_eq!(
            interface_mtu("mpnosuchif0").unwrap_err().raw_os_error(),
            Some(libc::ENODEV)
        );
        assert_eq!(
            interface_mtu("a-name-far-too-long-for-linux")
                .unwrap_err()
                .kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(
            interface_mtu("").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert!(!interface_exists("nul\0byte"));
    }

    #[test]
    fn device_errors() {
        assert_eq!(device_error(libc::EAGAIN), DeviceError::Exhausted);
        assert_eq!(device_error(libc::ENOBUFS), DeviceError::Exhausted);
        assert_eq!(device_error(libc::ENETDOWN), DeviceError::Down);
        assert_eq!(device_error(libc::EIO), DeviceError::Io(libc::EIO));
    }

    #[test]
    fn writer_refuses_long_frames_and_reports_errors() {
        let ev = EventFd::new().unwrap();
        // An eventfd accepts only 8-byte writes: a 4-byte one fails with
        // EINVAL, which a writer reports as an I/O error.
        let mut w = FrameWriter::new(ev.fd(), 16);
        assert_eq!(w.max_frame_len(), 16);
        let mut called = false;
        assert_eq!(
            w.send(17, &mut |_| called = true),
            Err(DeviceError::TooLong)
        );
        assert!(!called, "f must not run for a frame that is too long");
        assert_eq!(
            w.send(4, &mut |b| b.fill(0)),
            Err(DeviceError::Io(libc::EINVAL))
        );
        // An 8-byte write of 1 is a notify.
        let sink: &mut dyn TxSink = &mut w;
        sink.transmit(8, TxMeta::default(), &mut |b| {
            b.copy_from_slice(&1u64.to_ne_bytes())
        })
        .unwrap();
        assert_eq!(ev.drain().unwrap(), 1);
        assert_eq!(
            (
                w.stats.frames,
                w.stats.bytes,
                w.stats.too_long,
                w.stats.errors
            ),
            (1, 8, 1, 1)
        );
    }

    #[test]
    fn read_frame_outcomes() {
        let ev = EventFd::new().unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(read_frame(ev.fd(), &mut buf), Ok(ReadOutcome::Empty));
        ev.notify().unwrap();
        assert_eq!(read_frame(ev.fd(), &mut buf), Ok(ReadOutcome::Frame(8)));
        ev.notify().unwrap();
        let mut exact = [0u8; 8];
        assert_eq!(read_frame(ev.fd(), &mut exact), Ok(ReadOutcome::Truncated));
        let mut small = [0u8; 4];
        ev.notify().unwrap();
        assert_eq!(read_frame(ev.fd(), &mut small), Err(libc::EINVAL));
    }
}
