//! Ctrl-C (SIGINT) and SIGTERM handling for the demos: the handler only
//! writes to a pipe; a watcher thread reads it and runs the callback, which
//! may take locks (the runtime's) that a signal handler must not.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, Ordering};

static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(_sig: libc::c_int) {
    let fd = PIPE_WRITE.load(Ordering::Relaxed);
    if fd >= 0 {
        let b = [1u8];
        // SAFETY: write(2) is async-signal-safe; the buffer is valid.
        unsafe {
            libc::write(fd, b.as_ptr().cast(), 1);
        }
    }
}

/// Runs `f` on a watcher thread each time SIGINT or SIGTERM arrives (the
/// process is not killed by them any more). Call once.
pub fn on_interrupt(mut f: impl FnMut() + Send + 'static) -> io::Result<()> {
    let mut fds: [RawFd; 2] = [-1; 2];
    // SAFETY: fds is valid for two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    PIPE_WRITE.store(fds[1], Ordering::Relaxed);
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction with a valid handler function pointer
        // and an empty mask is a valid argument.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            if libc::sigaction(sig, &sa, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    let read_fd = fds[0];
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut b = [0u8; 16];
            loop {
                // SAFETY: b is valid for its length.
                let n = unsafe { libc::read(read_fd, b.as_mut_ptr().cast(), b.len()) };
                if n > 0 {
                    f();
                } else if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                } else {
                    break;
                }
            }
        })?;
    Ok(())
}
