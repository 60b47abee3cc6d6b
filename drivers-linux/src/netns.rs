//! Test support: throw-away network namespaces.
//!
//! Tests of the Linux devices (and integration tests of the crates built on
//! them) need interfaces they can create and break without touching the
//! host. A [`Netns`] is a fresh, uniquely named namespace (`ip netns add`)
//! that is deleted when the value is dropped, even when the test panics.
//! Commands run inside it with [`Netns::exec`] and [`Netns::spawn`]
//! (`ip netns exec NAME ...`); Rust code runs inside it with
//! [`Netns::run_in`], on a fresh thread that has entered the namespace with
//! `setns(2)` (which switches only the calling thread, so the test's own
//! thread never moves). Devices and sockets must be created on that thread:
//! an fd belongs to the namespace it was created in.
//!
//! All of this needs root. [`require_root`] says whether to go on: without
//! root it prints why the test is skipped and returns `false`, but with
//! `CI=true` in the environment a skip is a failure and it panics.
//!
//! ```no_run
//! use microps_drivers_linux::netns::{require_root, Netns};
//!
//! if !require_root("my_test") {
//!     return;
//! }
//! let ns = Netns::new("mytest").unwrap();
//! ns.exec(&["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"]).unwrap();
//! let up = ns.run_in(|| microps_drivers_linux::fd::interface_exists("veth1")).unwrap();
//! assert!(up);
//! // `ns` is deleted here.
//! ```

use std::fs::File;
use std::io;
use std::ops::{Deref, DerefMut};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Numbers namespaces within this process.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Whether a test that needs root may run.
///
/// Returns `true` when the effective user is root. Otherwise prints
/// `test_name` and the reason to stderr and returns `false` (the test should
/// return: skipped), unless the environment variable `CI` is `true`, where
/// skipping would hide the test: then it panics with the reason.
pub fn require_root(test_name: &str) -> bool {
    // SAFETY: geteuid takes no arguments and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    skip(
        test_name,
        "needs root (network namespaces, TAP/TUN, PF_PACKET)",
    )
}

/// Skips `test_name` for `reason`: prints it and returns `false`, or panics
/// when `CI=true` (see [`require_root`]).
pub fn skip(test_name: &str, reason: &str) -> bool {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test_name}: cannot skip under CI=true: {reason}");
    }
    // Straight to the process's stderr, not through `eprintln!`, which
    // libtest captures: a skipped test shows as skipped, not only as `ok`.
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test_name}: {reason}");
    false
}

/// A network namespace that is deleted (`ip netns del`) when dropped.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Creates the namespace `{prefix}-{pid}-{n}` (`n` counts within the
    /// process) and sets its loopback interface up.
    ///
    /// # Errors
    ///
    /// `ip` could not run or failed (for instance without root); the error
    /// carries its stderr.
    pub fn new(prefix: &str) -> io::Result<Netns> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("{prefix}-{}-{n}", std::process::id());
        check(
            Command::new("ip").args(["netns", "add", &name]).output()?,
            "ip netns add",
        )?;
        // From here on, drop deletes it.
        let ns = Netns { name };
        ns.exec_ok(&["ip", "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// The namespace's name (as `ip netns list` shows it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace's bind mount, which `setns(2)` opens.
    pub fn path(&self) -> String {
        format!("/var/run/netns/{}", self.name)
    }

    /// Runs `cmd` (program and arguments) inside the namespace with
    /// `ip netns exec` and waits for it, collecting its output. A failing
    /// exit status is not an error here: look at `status`.
    ///
    /// # Errors
    ///
    /// `cmd` is empty, or `ip` could not be started.
    pub fn exec(&self, cmd: &[&str]) -> io::Result<Output> {
        self.command(cmd)?.output()
    }

    /// As [`exec`](Netns::exec), but a failing exit status is an error
    /// carrying the command and its stderr; returns stdout.
    ///
    /// # Errors
    ///
    /// `cmd` could not run or exited unsuccessfully.
    pub fn exec_ok(&self, cmd: &[&str]) -> io::Result<String> {
        let out = check(self.exec(cmd)?, &cmd.join(" "))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts `cmd` inside the namespace in the background, its output
    /// discarded. The child is killed and reaped when the returned value is
    /// dropped.
    ///
    /// # Errors
    ///
    /// `cmd` is empty, or `ip` could not be started.
    pub fn spawn(&self, cmd: &[&str]) -> io::Result<KillOnDrop> {
        let child = self
            .command(cmd)?
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(KillOnDrop(child))
    }

    /// Runs `f` on a new thread that has entered the namespace, waits for
    /// it and returns its result. A panic in `f` resumes on the caller's
    /// thread, so a failed assertion fails the test (and drops the `Netns`).
    ///
    /// # Errors
    ///
    /// The thread could not be spawned, or the namespace could not be
    /// opened or entered (`setns(2)` needs `CAP_SYS_ADMIN`).
    pub fn run_in<R, F>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce() -> R + Send,
        R: Send,
    {
        let path = self.path();
        std::thread::scope(|scope| {
            let handle = std::thread::Builder::new()
                .name(format!("netns {}", self.name))
                .spawn_scoped(scope, move || -> io::Result<R> {
                    enter(&path)?;
                    Ok(f())
                })?;
            match handle.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    fn command(&self, cmd: &[&str]) -> io::Result<Command> {
        if cmd.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty command"));
        }
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).args(cmd);
        Ok(command)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        match Command::new("ip")
            .args(["netns", "del", &self.name])
            .stdout(Stdio::null())
            .output()
        {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "ip netns del {}: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(e) => eprintln!("ip netns del {}: {e}", self.name),
        }
    }
}

/// Moves the calling thread into the network namespace at `path`.
fn enter(path: &str) -> io::Result<()> {
    let file = File::open(path)?;
    // SAFETY: `file` is an open namespace fd for the duration of the call;
    // setns only changes the calling thread's network namespace.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// An error for an unsuccessful exit status, with stderr.
fn check(out: Output, what: &str) -> io::Result<Output> {
    if out.status.success() {
        return Ok(out);
    }
    Err(io::Error::other(format!(
        "{what}: {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

/// A child process that is killed and reaped when dropped. Dereferences to
/// the [`Child`].
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl Deref for KillOnDrop {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // Already exited (and reaped by `wait`) is fine.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netns_is_created_entered_and_deleted() {
        if !require_root("netns_is_created_entered_and_deleted") {
            return;
        }
        let ns = Netns::new("mpns").unwrap();
        let name = ns.name().to_owned();
        let list = Command::new("ip").args(["netns", "list"]).output().unwrap();
        assert!(String::from_utf8_lossy(&list.stdout).contains(&name));
        ns.exec_ok(&[
            "ip", "link", "add", "mpveth0", "type", "veth", "peer", "name", "mpveth1",
        ])
        .unwrap();
        // The thread in the namespace sees the veth; this thread does not.
        assert!(
            ns.run_in(|| crate::fd::interface_exists("mpveth0"))
                .unwrap()
        );
        assert!(!crate::fd::interface_exists("mpveth0"));
        assert!(ns.exec(&["false"]).is_ok_and(|o| !o.status.success()));
        assert!(ns.exec_ok(&["false"]).is_err());
        assert!(ns.exec(&[]).is_err());
        drop(ns);
        let list = Command::new("ip").args(["netns", "list"]).output().unwrap();
        assert!(!String::from_utf8_lossy(&list.stdout).contains(&name));
    }

    #[test]
    fn netns_is_deleted_when_the_test_panics() {
        if !require_root("netns_is_deleted_when_the_test_panics") {
            return;
        }
        let mut name = String::new();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let ns = Netns::new("mpns").unwrap();
            name = ns.name().to_owned();
            ns.run_in(|| panic!("deliberate")).unwrap();
        }));
        assert!(result.is_err());
        assert!(!name.is_empty());
        assert!(!std::path::Path::new(&format!("/var/run/netns/{name}")).exists());
    }

    #[test]
    fn skip_panics_only_under_ci() {
        // Reads the real environment: no test sets CI, so this tests
        // whichever branch the environment selects.
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        let result = std::panic::catch_unwind(|| skip("skip_panics_only_under_ci", "testing skip"));
        assert_eq!(result.is_err(), ci);
    }
}
