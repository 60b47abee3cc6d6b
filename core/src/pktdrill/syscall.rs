//! The BSD socket calls of a script, mapped onto the `SocketSet` and
//! `TcpSocket` API: file descriptors, blocking and non-blocking calls, and
//! Linux's errno values.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;

use core::net::SocketAddrV4;

use super::parse::Call;
use super::run::{Runner, Stop, script_time};
use crate::socket::tcp::{
    RecvError, SackRange, Scoreboard, SendError, SentSegment, SocketBuffer, State, SynSlot,
    TcpError, TcpSocket,
};
use crate::socket::{HandleSlot, IcmpErrorKind, SocketHandle, TcpListener};
use crate::time::{Duration, Instant};

/// Linux's errno values for the names scripts write.
fn errno(name: &str) -> Option<i64> {
    Some(match name {
        "EPIPE" => 32,
        "EBADF" => 9,
        "EAGAIN" | "EWOULDBLOCK" => 11,
        "EINVAL" => 22,
        "EADDRINUSE" => 98,
        "ECONNRESET" => 104,
        "EISCONN" => 106,
        "ENOTCONN" => 107,
        "ETIMEDOUT" => 110,
        "ECONNREFUSED" => 111,
        "EHOSTUNREACH" => 113,
        "ENETUNREACH" => 101,
        "ENOPROTOOPT" => 92,
        "EMSGSIZE" => 90,
        "EALREADY" => 114,
        "EINPROGRESS" => 115,
        _ => return None,
    })
}

fn errno_of(e: TcpError) -> &'static str {
    match e {
        TcpError::Refused => "ECONNREFUSED",
        TcpError::Reset => "ECONNRESET",
        TcpError::TimedOut => "ETIMEDOUT",
        // As Linux's icmp_err_convert.
        TcpError::Unreachable(k) => match k {
            IcmpErrorKind::PortUnreachable => "ECONNREFUSED",
            IcmpErrorKind::ProtocolUnreachable => "ENOPROTOOPT",
            IcmpErrorKind::NetUnreachable => "ENETUNREACH",
            IcmpErrorKind::FragmentationNeeded { .. } => "EMSGSIZE",
            _ => "EHOSTUNREACH",
        },
    }
}

/// Compares a call's result with what the script says it returns.
fn compare_result(call: &Call, result: CallResult) -> Result<(), Stop> {
    let want = match &call.errno {
        Some(name) => {
            if errno(name).is_none() {
                return Err(Stop::Skip(format!("errno {name}")));
            }
            Err(name.as_str())
        }
        None => Ok(call.ret),
    };
    let same = match (&result, &want) {
        (Ok(a), Ok(b)) => a == b,
        (Err(a), Err(b)) => errno(a) == errno(b),
        _ => false,
    };
    if same {
        return Ok(());
    }
    let show = |r: &Result<i64, &str>| match r {
        Ok(v) => format!("{v}"),
        Err(e) => format!("-1 {e}"),
    };
    let result: Result<i64, &str> = result;
    Err(Stop::Fail(format!(
        "  {}(): expected: = {}\n  returned: = {}",
        call.name,
        show(&want),
        show(&result)
    )))
}

/// A blocking call in progress.
#[derive(Debug, Clone)]
pub(crate) struct Blocked {
    call: Call,
    start: Instant,
    end: Instant,
}

/// What a file descriptor is.
#[derive(Debug, Clone)]
pub(crate) enum Fd {
    /// `socket()` was called; nothing else yet.
    Fresh(Opts),
    /// Bound to a port.
    Bound(Opts, u16),
    /// Listening: a `TcpListener`, its backlog the script's.
    Listening(Opts, SocketHandle),
    /// Listening without the `tcp-listener` feature: listening sockets on
    /// the port, each taking one connection.
    ListeningSockets(Opts, u16, vec::Vec<SocketHandle>),
    /// A connection.
    Conn(Opts, SocketHandle),
}

/// The options set on a descriptor before it had a socket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opts {
    pub(crate) nonblock: bool,
    pub(crate) nodelay: bool,
    pub(crate) keepalive: bool,
    /// Linux's TCP_KEEPIDLE, TCP_KEEPINTVL (seconds) and TCP_KEEPCNT.
    pub(crate) keepidle: u32,
    pub(crate) keepintvl: u32,
    pub(crate) keepcnt: u8,
    pub(crate) rcvbuf: usize,
    pub(crate) sndbuf: usize,
    /// `SO_LINGER` on with a zero time: close(2) sends a RST.
    pub(crate) linger_abort: bool,
    /// RFC 8985 RACK-TLP (Linux's `tcp_recovery` bit 1, on by default).
    pub(crate) rack: bool,
    /// The congestion control (`tcp_congestion_control`; NewReno, ours,
    /// by default, where Linux's is CUBIC).
    pub(crate) congestion: crate::socket::tcp::Congestion,
}

impl Opts {
    /// A new socket's options: Linux's keep-alive defaults (2 h, 75 s, 9
    /// probes) and 64 KiB buffers (FreeBSD's `recvspace` and `sendspace`),
    /// until a `sysctl` says otherwise.
    pub(crate) const DEFAULT: Opts = Opts {
        nonblock: false,
        nodelay: false,
        keepalive: false,
        keepidle: (TcpSocket::DEFAULT_KEEP_ALIVE_IDLE.total_micros() / 1_000_000) as u32,
        keepintvl: 75,
        keepcnt: 9,
        rcvbuf: 65536,
        sndbuf: 65536,
        linger_abort: false,
        rack: true,
        congestion: crate::socket::tcp::Congestion::NewReno,
    };

    /// The largest socket buffer the shim gives.
    pub(crate) const MAX_BUFFER: usize = 1 << 20;
}

impl Fd {
    fn opts_copy(&self) -> Opts {
        match self {
            Fd::Fresh(o)
            | Fd::Bound(o, _)
            | Fd::Listening(o, _)
            | Fd::ListeningSockets(o, _, _)
            | Fd::Conn(o, _) => *o,
        }
    }

    fn opts(&mut self) -> &mut Opts {
        match self {
            Fd::Fresh(o)
            | Fd::Bound(o, _)
            | Fd::Listening(o, _)
            | Fd::ListeningSockets(o, _, _)
            | Fd::Conn(o, _) => o,
        }
    }
}

/// A call's result: its return value, or an errno name.
type CallResult = Result<i64, &'static str>;

impl Runner {
    /// Makes the call at the current time. A call written `start...end`
    /// blocks: the script goes on with the events after it while it waits,
    /// as packetdrill runs it in a thread of its own, and it must return at
    /// `end` ([`Runner::check_blocked`] watches it). Any other call must
    /// return at once.
    pub(crate) fn call(&mut self, call: &Call, returns: Option<Instant>) -> Result<(), Stop> {
        let Some(end) = returns else {
            return match self.try_call(call)? {
                Some(r) => compare_result(call, r),
                None => Err(Stop::Fail(
                    "  the call blocks (a blocking call that waits is written start...end)"
                        .to_string(),
                )),
            };
        };
        if self.blocked.is_some() {
            return Err(Stop::Skip("two blocking calls at once".to_string()));
        }
        self.blocked = Some(Blocked {
            call: call.clone(),
            start: self.now,
            end,
        });
        self.check_blocked()
    }

    /// Tries the blocking call in progress, if any: when it returns, it must
    /// be at its end time and with its result.
    pub(crate) fn check_blocked(&mut self) -> Result<(), Stop> {
        let Some(b) = self.blocked.clone() else {
            return Ok(());
        };
        let tol = self.settings.tolerance;
        let Some(r) = self.try_call(&b.call)? else {
            if self.now > b.end + tol {
                self.blocked = None;
                return Err(Stop::Fail(format!(
                    "  {}(): had not returned by {}",
                    b.call.name,
                    script_time(b.end + tol)
                )));
            }
            return Ok(());
        };
        self.blocked = None;
        if self.now + tol < b.end {
            let when = if self.now == b.start {
                "at once".to_string()
            } else {
                format!("at {}", script_time(self.now))
            };
            return Err(Stop::Fail(format!(
                "  {}() returned {when}; the script says it blocks until {}",
                b.call.name,
                script_time(b.end)
            )));
        }
        compare_result(&b.call, r)
    }

    /// At the end of the script: the blocking call in progress must return
    /// in time.
    pub(crate) fn finish_blocked(&mut self) -> Result<(), Stop> {
        if let Some(b) = self.blocked.clone() {
            let tol = self.settings.tolerance;
            self.advance_until(b.end + tol, |r| r.blocked.is_none())?;
            if self.blocked.is_some() {
                self.now += Duration::from_micros(1);
                self.check_blocked()?;
            }
        }
        Ok(())
    }

    /// The call's result now, or `None` if a blocking call would wait.
    fn try_call(&mut self, call: &Call) -> Result<Option<CallResult>, Stop> {
        let arg = |i: usize| call.args.get(i).map(String::as_str).unwrap_or("");
        let fd_arg = |i: usize| -> Result<i64, Stop> {
            arg(i)
                .parse()
                .map_err(|_| Stop::Fail(format!("  bad descriptor '{}'", arg(i))))
        };
        match call.name.as_str() {
            "socket" => {
                if !arg(1).contains("SOCK_STREAM") {
                    return Err(Stop::Skip(format!("socket type {}", arg(1))));
                }
                let fd = (3..).find(|f| !self.fds.contains_key(f)).unwrap_or(3);
                self.fds.insert(fd, Fd::Fresh(self.socket_defaults));
                Ok(Some(Ok(fd)))
            }
            "setsockopt" => self.setsockopt(fd_arg(0)?, arg(2), arg(3)).map(Some),
            "getsockopt" => self.getsockopt(fd_arg(0)?, arg(2), arg(3)).map(Some),
            "fcntl" => self.fcntl(fd_arg(0)?, arg(1), arg(2)).map(Some),
            "bind" => {
                let fd = fd_arg(0)?;
                let port = self.settings.bind_port;
                Ok(Some(match self.fds.get(&fd).cloned() {
                    Some(Fd::Fresh(o)) => {
                        self.fds.insert(fd, Fd::Bound(o, port));
                        Ok(0)
                    }
                    Some(_) => Err("EINVAL"),
                    None => Err("EBADF"),
                }))
            }
            "listen" => {
                let fd = fd_arg(0)?;
                let backlog: usize = arg(1).parse().unwrap_or(1);
                self.listen(fd, backlog.clamp(1, 8)).map(Some)
            }
            "accept" => self.accept(fd_arg(0)?),
            "connect" => self.connect(fd_arg(0)?),
            "write" | "send" => {
                if call.name == "send" && !matches!(arg(3), "0" | "") {
                    return Err(Stop::Skip(format!("send flags {}", arg(3))));
                }
                let len: usize = arg(2)
                    .parse()
                    .map_err(|_| Stop::Fail(format!("  bad length '{}'", arg(2))))?;
                self.write(fd_arg(0)?, len)
            }
            "read" | "recv" => {
                let peek = call.name == "recv" && arg(3).contains("MSG_PEEK");
                if call.name == "recv" && !peek && !matches!(arg(3), "0" | "") {
                    return Err(Stop::Skip(format!("recv flags {}", arg(3))));
                }
                let len: usize = arg(2)
                    .parse()
                    .map_err(|_| Stop::Fail(format!("  bad length '{}'", arg(2))))?;
                self.read(fd_arg(0)?, len, peek)
            }
            "close" => Ok(Some(self.close(fd_arg(0)?))),
            "shutdown" => {
                let fd = fd_arg(0)?;
                match arg(1) {
                    "SHUT_WR" => Ok(Some(self.shutdown_write(fd))),
                    how => Err(Stop::Skip(format!("shutdown({how})"))),
                }
            }
            other => Err(Stop::Skip(format!("the call {other}()"))),
        }
    }

    fn setsockopt(&mut self, fd: i64, name: &str, value: &str) -> Result<CallResult, Stop> {
        if name == "SO_LINGER" {
            return self.set_linger(fd, value);
        }
        let v: i64 = value
            .trim_matches(|c| c == '[' || c == ']')
            .parse()
            .map_err(|_| Stop::Skip(format!("setsockopt value {value}")))?;
        let Some(entry) = self.fds.get_mut(&fd) else {
            return Ok(Err("EBADF"));
        };
        let conn = match entry {
            Fd::Conn(_, h) => Some(*h),
            _ => None,
        };
        let o = entry.opts();
        match name {
            "SO_REUSEADDR" | "SO_REUSEPORT" => {}
            "TCP_NODELAY" => o.nodelay = v != 0,
            "SO_KEEPALIVE" => o.keepalive = v != 0,
            "TCP_KEEPIDLE" => o.keepidle = u32::try_from(v).unwrap_or(7200),
            "TCP_KEEPINTVL" => o.keepintvl = u32::try_from(v).unwrap_or(75),
            "TCP_KEEPCNT" => o.keepcnt = u8::try_from(v).unwrap_or(9),
            "SO_RCVBUF" if conn.is_none() => o.rcvbuf = (v.max(256) as usize).min(Opts::MAX_BUFFER),
            "SO_SNDBUF" if conn.is_none() => o.sndbuf = (v.max(256) as usize).min(Opts::MAX_BUFFER),
            other => return Err(Stop::Skip(format!("setsockopt {other}"))),
        }
        let o = *o;
        if let Some(h) = conn {
            self.apply(h, o);
        }
        Ok(Ok(0))
    }

    /// `SO_LINGER` `{onoff=1, linger=0}`: close(2) aborts with a RST.
    /// (A linger time makes close(2) block until the FIN is acknowledged;
    /// not modelled.)
    fn set_linger(&mut self, fd: i64, value: &str) -> Result<CallResult, Stop> {
        let field = |name: &str| {
            value
                .trim_matches(|c| c == '{' || c == '}')
                .split(',')
                .filter_map(|f| f.split_once('='))
                .find(|(k, _)| k.trim().trim_start_matches("l_") == name)
                .and_then(|(_, v)| v.trim().parse::<i64>().ok())
        };
        let (Some(onoff), Some(linger)) = (field("onoff"), field("linger")) else {
            return Err(Stop::Skip(format!("setsockopt SO_LINGER {value}")));
        };
        if onoff != 0 && linger != 0 {
            return Err(Stop::Skip("SO_LINGER with a linger time".to_string()));
        }
        let Some(entry) = self.fds.get_mut(&fd) else {
            return Ok(Err("EBADF"));
        };
        entry.opts().linger_abort = onoff != 0;
        Ok(Ok(0))
    }

    fn getsockopt(&mut self, fd: i64, name: &str, value: &str) -> Result<CallResult, Stop> {
        // A number, or an errno name (`[ECONNREFUSED]`).
        let v = value.trim_matches(|c| c == '[' || c == ']');
        let want: i64 = v
            .parse()
            .ok()
            .or_else(|| errno(v))
            .ok_or_else(|| Stop::Skip(format!("getsockopt value {value}")))?;
        let Some(entry) = self.fds.get(&fd).cloned() else {
            return Ok(Err("EBADF"));
        };
        let got = match name {
            "SO_ERROR" => match entry {
                Fd::Conn(_, h) => self
                    .tcp(h)
                    .and_then(|s| s.error())
                    .map_or(0, |e| errno(errno_of(e)).unwrap_or(0)),
                _ => 0,
            },
            "SO_RCVBUF" => entry.opts_copy().rcvbuf as i64,
            "SO_SNDBUF" => entry.opts_copy().sndbuf as i64,
            "TCP_NODELAY" => i64::from(entry.opts_copy().nodelay),
            "SO_KEEPALIVE" => i64::from(entry.opts_copy().keepalive),
            other => return Err(Stop::Skip(format!("getsockopt {other}"))),
        };
        if got != want {
            return Err(Stop::Fail(format!(
                "  getsockopt {name}: expected [{want}], got [{got}]"
            )));
        }
        Ok(Ok(0))
    }

    fn fcntl(&mut self, fd: i64, cmd: &str, flags: &str) -> Result<CallResult, Stop> {
        let Some(entry) = self.fds.get_mut(&fd) else {
            return Ok(Err("EBADF"));
        };
        match cmd {
            "F_SETFL" => {
                entry.opts().nonblock = flags.contains("O_NONBLOCK");
                Ok(Ok(0))
            }
            "F_GETFL" => Ok(Ok(if entry.opts().nonblock { 0x802 } else { 0x2 })),
            other => Err(Stop::Skip(format!("fcntl {other}"))),
        }
    }

    fn new_socket(&mut self, o: Opts) -> Result<SocketHandle, Stop> {
        let mut s = TcpSocket::new(
            SocketBuffer::new(vec![0u8; o.rcvbuf]),
            SocketBuffer::new(vec![0u8; o.sndbuf]),
        );
        // RFC 6675 and RACK-TLP recovery, as a Linux socket has it.
        let ranges = Scoreboard::ranges_for(o.sndbuf, 536);
        let times = Scoreboard::segments_for(o.sndbuf, 536);
        s.set_scoreboard(
            Scoreboard::new(vec![SackRange::EMPTY; ranges])
                .with_send_times(vec![SentSegment::EMPTY; times]),
        );
        s.set_rack(o.rack);
        s.set_congestion(o.congestion);
        let h = self
            .sockets
            .add(s)
            .map_err(|_| Stop::Skip("more than 16 sockets".to_string()))?;
        self.apply(h, o);
        Ok(h)
    }

    fn apply(&mut self, h: SocketHandle, o: Opts) {
        if let Some(s) = self.tcp(h) {
            s.set_nagle_enabled(!o.nodelay);
            s.set_keep_alive(
                o.keepalive
                    .then(|| Duration::from_secs(u64::from(o.keepidle))),
            );
            s.set_keep_alive_interval(Some(Duration::from_secs(u64::from(o.keepintvl))));
            s.set_keep_alive_probes(o.keepcnt);
        }
    }

    /// listen(2) as Linux: a SYN queue of `backlog` entries and an accept
    /// queue that holds `backlog + 1` connections (`sk_acceptq_is_full`
    /// is `>`), with a pool of as many sockets.
    fn listen(&mut self, fd: i64, backlog: usize) -> Result<CallResult, Stop> {
        let (o, port) = match self.fds.get(&fd).cloned() {
            Some(Fd::Bound(o, p)) => (o, p),
            Some(Fd::Listening(..) | Fd::ListeningSockets(..)) => return Ok(Ok(0)),
            Some(_) => return Ok(Err("EINVAL")),
            None => return Ok(Err("EBADF")),
        };
        if !cfg!(feature = "tcp-listener") {
            return self.listen_with_sockets(fd, o, port, backlog);
        }
        let listener = TcpListener::new(
            vec![SynSlot::EMPTY; backlog.max(1)],
            vec![HandleSlot::EMPTY; backlog + 1],
            vec![HandleSlot::EMPTY; backlog + 1],
        );
        let l = self
            .sockets
            .add(listener)
            .map_err(|_| Stop::Skip("more than 16 sockets".to_string()))?;
        if self.sockets.tcp_listen(l, port).is_err() {
            self.sockets.remove(l);
            return Ok(Err("EADDRINUSE"));
        }
        for _ in 0..=backlog {
            self.pool_socket(l, o)?;
        }
        self.fds.insert(fd, Fd::Listening(o, l));
        Ok(Ok(0))
    }

    /// listen(2) without listeners with a backlog: `backlog` sockets
    /// listening on the port, each taking one connection.
    fn listen_with_sockets(
        &mut self,
        fd: i64,
        o: Opts,
        port: u16,
        backlog: usize,
    ) -> Result<CallResult, Stop> {
        let mut waiting = vec::Vec::new();
        for _ in 0..backlog.max(1) {
            let h = self.new_socket(o)?;
            if self.sockets.tcp_listen(h, port).is_err() {
                return Ok(Err("EADDRINUSE"));
            }
            waiting.push(h);
        }
        self.fds.insert(fd, Fd::ListeningSockets(o, port, waiting));
        Ok(Ok(0))
    }

    /// accept(2) on listening sockets: the first that has a connection,
    /// replaced by a fresh listening socket.
    fn accept_from_sockets(
        &mut self,
        fd: i64,
        o: Opts,
        port: u16,
        mut waiting: vec::Vec<SocketHandle>,
    ) -> Result<Option<CallResult>, Stop> {
        let ready = waiting.iter().position(|h| {
            self.sockets
                .get::<TcpSocket>(*h)
                .is_some_and(|s| !matches!(s.state(), State::Listen | State::SynReceived))
        });
        let Some(i) = ready else {
            return Ok(if o.nonblock {
                Some(Err("EAGAIN"))
            } else {
                None
            });
        };
        let h = waiting.remove(i);
        let fresh = self.new_socket(o)?;
        let _ = self.sockets.tcp_listen(fresh, port);
        waiting.push(fresh);
        self.fds.insert(fd, Fd::ListeningSockets(o, port, waiting));
        let new_fd = (3..).find(|f| !self.fds.contains_key(f)).unwrap_or(3);
        self.fds.insert(new_fd, Fd::Conn(o, h));
        Ok(Some(Ok(new_fd)))
    }

    /// A fresh socket for the listener's pool.
    fn pool_socket(&mut self, l: SocketHandle, o: Opts) -> Result<(), Stop> {
        let h = self.new_socket(o)?;
        self.sockets
            .tcp_pool_add(l, h)
            .map_err(|e| Stop::Skip(format!("listener pool: {e}")))
    }

    fn accept(&mut self, fd: i64) -> Result<Option<CallResult>, Stop> {
        let (o, l) = match self.fds.get(&fd).cloned() {
            Some(Fd::Listening(o, l)) => (o, l),
            Some(Fd::ListeningSockets(o, port, waiting)) => {
                return self.accept_from_sockets(fd, o, port, waiting);
            }
            _ => return Ok(Some(Err("EINVAL"))),
        };
        let Some(h) = self.sockets.tcp_accept(l) else {
            return Ok(if o.nonblock {
                Some(Err("EAGAIN"))
            } else {
                None
            });
        };
        // The pool gets a socket for the next connection.
        self.pool_socket(l, o)?;
        let new_fd = (3..).find(|f| !self.fds.contains_key(f)).unwrap_or(3);
        self.fds.insert(new_fd, Fd::Conn(o, h));
        Ok(Some(Ok(new_fd)))
    }

    fn connect(&mut self, fd: i64) -> Result<Option<CallResult>, Stop> {
        match self.fds.get(&fd).cloned() {
            Some(Fd::Fresh(o)) | Some(Fd::Bound(o, _)) => {
                let h = self.new_socket(o)?;
                let remote = SocketAddrV4::new(self.settings.remote, self.settings.connect_port);
                // A new connection: our next SYN gives our ISN.
                self.local_isn = None;
                if self
                    .stack
                    .tcp_connect(self.now, &mut self.sockets, h, remote, 0)
                    .is_err()
                {
                    return Ok(Some(Err("EADDRINUSE")));
                }
                self.remote_port = self.settings.connect_port;
                self.fds.insert(fd, Fd::Conn(o, h));
                self.poll_now()?;
                if o.nonblock {
                    return Ok(Some(Err("EINPROGRESS")));
                }
                Ok(self.connect_done(h))
            }
            Some(Fd::Conn(o, h)) => Ok(match self.connect_done(h) {
                None if o.nonblock => Some(Err("EALREADY")),
                Some(Ok(_)) if o.nonblock => Some(Err("EISCONN")),
                r => r,
            }),
            Some(Fd::Listening(..) | Fd::ListeningSockets(..)) => Ok(Some(Err("EINVAL"))),
            None => Ok(Some(Err("EBADF"))),
        }
    }

    fn connect_done(&mut self, h: SocketHandle) -> Option<CallResult> {
        let s = self.tcp(h)?;
        if let Some(e) = s.error() {
            return Some(Err(errno_of(e)));
        }
        match s.state() {
            State::SynSent | State::SynReceived => None,
            State::Closed => Some(Err("ECONNREFUSED")),
            _ => Some(Ok(0)),
        }
    }

    fn conn(&self, fd: i64) -> Result<(Opts, SocketHandle), &'static str> {
        match self.fds.get(&fd) {
            Some(Fd::Conn(o, h)) => Ok((*o, *h)),
            Some(_) => Err("ENOTCONN"),
            None => Err("EBADF"),
        }
    }

    fn write(&mut self, fd: i64, len: usize) -> Result<Option<CallResult>, Stop> {
        let (o, h) = match self.conn(fd) {
            Ok(c) => c,
            Err(e) => return Ok(Some(Err(e))),
        };
        let Some(s) = self.tcp(h) else {
            return Ok(Some(Err("EBADF")));
        };
        if matches!(s.state(), State::SynSent | State::SynReceived) {
            return Ok(if o.nonblock {
                Some(Err("EAGAIN"))
            } else {
                None
            });
        }
        let data = vec![0u8; len];
        let r = match s.send_slice(&data) {
            Ok(0) if len > 0 => {
                if o.nonblock {
                    Some(Err("EAGAIN"))
                } else {
                    None
                }
            }
            // A blocking write that did not take everything returns what it
            // took once the rest would have to wait (a short write).
            Ok(n) => Some(Ok(n as i64)),
            Err(SendError::Failed(e)) => Some(Err(errno_of(e))),
            Err(SendError::InvalidState) => Some(Err("EPIPE")),
        };
        Ok(r)
    }

    fn read(&mut self, fd: i64, len: usize, peek: bool) -> Result<Option<CallResult>, Stop> {
        let (o, h) = match self.conn(fd) {
            Ok(c) => c,
            Err(e) => return Ok(Some(Err(e))),
        };
        let Some(s) = self.tcp(h) else {
            return Ok(Some(Err("EBADF")));
        };
        let mut buf = vec![0u8; len];
        if peek {
            let n = s.peek_slice(&mut buf);
            return Ok(match n {
                0 if !o.nonblock => None,
                0 => Some(Err("EAGAIN")),
                n => Some(Ok(n as i64)),
            });
        }
        Ok(match s.recv_slice(&mut buf) {
            Ok(0) if len > 0 => {
                if o.nonblock {
                    Some(Err("EAGAIN"))
                } else {
                    None
                }
            }
            Ok(n) => Some(Ok(n as i64)),
            Err(RecvError::Finished) => Some(Ok(0)),
            Err(RecvError::Failed(e)) => Some(Err(errno_of(e))),
            Err(RecvError::InvalidState) => Some(Err("ENOTCONN")),
        })
    }

    fn close(&mut self, fd: i64) -> CallResult {
        let Some(entry) = self.fds.remove(&fd) else {
            return Err("EBADF");
        };
        let (o, handles) = match entry {
            Fd::Conn(o, h) => (o, vec![h]),
            Fd::Listening(o, l) => {
                // As Linux's `inet_csk_listen_stop`: the connections nobody
                // accepted are reset; the half-open ones just go.
                let (waiting, pool) = match self.sockets.get::<TcpListener>(l) {
                    Some(listener) => (
                        listener.accept_queue().collect::<vec::Vec<_>>(),
                        listener.pool().collect::<vec::Vec<_>>(),
                    ),
                    None => (vec::Vec::new(), vec::Vec::new()),
                };
                for h in pool {
                    self.sockets.remove(h);
                }
                self.sockets.remove(l);
                for h in &waiting {
                    if let Some(s) = self.tcp(*h) {
                        s.abort();
                        s.orphan();
                    }
                }
                (o, vec::Vec::new())
            }
            Fd::ListeningSockets(o, _, w) => (o, w),
            Fd::Fresh(o) | Fd::Bound(o, _) => (o, vec::Vec::new()),
        };
        for h in handles {
            if let Some(s) = self.tcp(h) {
                if o.linger_abort {
                    s.abort();
                    s.orphan();
                    continue;
                }
                // As close(2) (and the Linux runtime's drop): RST if data
                // arrived that nobody will read, else FIN after the queued
                // data, and data arriving later resets (RFC 1122
                // 4.2.2.13).
                if s.recv_queue() > 0 {
                    s.abort();
                } else {
                    s.close();
                    s.shutdown_read();
                }
                s.orphan();
            }
        }
        Ok(0)
    }

    fn shutdown_write(&mut self, fd: i64) -> CallResult {
        let (_, h) = self.conn(fd)?;
        if let Some(s) = self.tcp(h) {
            s.shutdown_write();
        }
        Ok(0)
    }
}
