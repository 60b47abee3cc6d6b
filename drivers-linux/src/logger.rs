//! A microps-style logger for the `log` crate.
//!
//! Every record becomes one line on stderr, as microps's `lprintf()` prints
//! it:
//!
//! ```text
//! 18:43:57.931 [D] arp_input: dev=net2, opcode=Request(0x0001), len=28 (iface/arp.rs:239)
//! ```
//!
//! that is the local wall-clock time with milliseconds, the level letter
//! (`E`, `W`, `I`, `D`, `T`), the message (the core's macros already put the
//! function name in front of it) and the source file with the line number,
//! its path from the crate's `src/` (`iface/mod.rs`, not a bare `mod.rs`
//! that three files of the core share).
//!
//! Records whose target is [`DUMP_TARGET`] (the decoded, multi-line headers
//! that the core logs at debug level right after the line that introduced
//! them) or [`HEXDUMP_TARGET`] (a hex dump of a frame, at trace level) are
//! printed as they are, without time, level or location, as microps prints its
//! dumps.
//!
//! Which records are printed is decided by a [`Filter`]: either from the
//! command line's verbosity ([`Filter::from_verbosity`]) or, when the
//! `RUST_LOG` environment variable is set, from the common subset of
//! `env_logger`'s syntax ([`Filter::parse`]). [`init`] installs the logger.
//!
//! Each record is formatted into one string first and then written with one
//! `write_all` under the stderr lock, so lines from several threads never
//! interleave.

use std::fmt::{self, Write as _};
use std::io::{self, Write as _};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use log::{Level, LevelFilter, Log, Metadata, Record, SetLoggerError};

/// The target of the core's decoded header dumps (`net_dump!`), printed
/// without prefix or location.
pub const DUMP_TARGET: &str = "microps_core::dump";

/// The target under which the hosted runtime logs a hex dump of each frame
/// (at trace level), printed without prefix or location.
pub const HEXDUMP_TARGET: &str = "microps_drivers_linux::hexdump";

/// The name of the environment variable that overrides the verbosity.
pub const ENV_VAR: &str = "RUST_LOG";

/// A time of day with millisecond resolution, as a log line shows it
/// (`HH:MM:SS.mmm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WallClock {
    /// Hour, `0..=23`.
    pub hour: u8,
    /// Minute, `0..=59`.
    pub minute: u8,
    /// Second, `0..=60` (60 only for a leap second).
    pub second: u8,
    /// Millisecond, `0..=999`.
    pub millis: u16,
}

impl WallClock {
    /// The current local time of day (UTC if the local time zone cannot be
    /// determined).
    pub fn now() -> Self {
        Self::local(SystemTime::now())
    }

    /// The local time of day of `t`, through `localtime_r(3)`; UTC if that
    /// fails. A time before the Unix epoch counts as the epoch.
    pub fn local(t: SystemTime) -> Self {
        let (secs, millis) = epoch_parts(t);
        match local_hms(secs) {
            Some((hour, minute, second)) => WallClock {
                hour,
                minute,
                second,
                millis,
            },
            None => Self::utc_from_epoch(secs, millis),
        }
    }

    /// The UTC time of day of `t`. A time before the Unix epoch counts as the
    /// epoch.
    pub fn utc(t: SystemTime) -> Self {
        let (secs, millis) = epoch_parts(t);
        Self::utc_from_epoch(secs, millis)
    }

    fn utc_from_epoch(secs: u64, millis: u16) -> Self {
        let of_day = secs % 86_400;
        // Each quotient is below 60 (or 24), so the casts cannot truncate.
        WallClock {
            hour: (of_day / 3600) as u8,
            minute: (of_day / 60 % 60) as u8,
            second: (of_day % 60) as u8,
            millis,
        }
    }
}

impl fmt::Display for WallClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}:{:02}.{:03}",
            self.hour, self.minute, self.second, self.millis
        )
    }
}

/// Seconds since the epoch and the millisecond within the second.
fn epoch_parts(t: SystemTime) -> (u64, u16) {
    match t.duration_since(UNIX_EPOCH) {
        // subsec_millis() < 1000, so it fits.
        Ok(d) => (d.as_secs(), d.subsec_millis() as u16),
        Err(_) => (0, 0),
    }
}

/// The local hour, minute and second of `secs` since the epoch.
fn local_hms(secs: u64) -> Option<(u8, u8, u8)> {
    let t = libc::time_t::try_from(secs).ok()?;
    // SAFETY: `libc::tm` is plain data (integers and a pointer) for which all
    // zero bytes is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call;
    // localtime_r is the thread-safe variant and writes only into `tm`.
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    if r.is_null() {
        return None;
    }
    Some((
        u8::try_from(tm.tm_hour).ok()?,
        u8::try_from(tm.tm_min).ok()?,
        u8::try_from(tm.tm_sec).ok()?,
    ))
}

/// The letter microps prints for a level: `E`, `W`, `I`, `D` or `T`.
pub fn level_char(level: Level) -> char {
    match level {
        Level::Error => 'E',
        Level::Warn => 'W',
        Level::Info => 'I',
        Level::Debug => 'D',
        Level::Trace => 'T',
    }
}

/// The last component of a source path (`core/src/iface/arp.rs` -> `arp.rs`).
pub fn basename(file: &str) -> &str {
    file.rsplit(['/', '\\']).next().unwrap_or(file)
}

/// A source path from its crate's `src/` (`core/src/iface/arp.rs` ->
/// `iface/arp.rs`, `examples/src/bin/tcps.rs` -> `bin/tcps.rs`); a path
/// with no `src` component is reduced to its basename.
pub fn crate_relative(file: &str) -> &str {
    let unix = file.rfind("/src/").map(|i| i + 5);
    let windows = file.rfind("\\src\\").map(|i| i + 5);
    let start = unix
        .max(windows)
        .or_else(|| (file.starts_with("src/") || file.starts_with("src\\")).then_some(4));
    match start {
        Some(i) => file.get(i..).unwrap_or(file),
        None => basename(file),
    }
}

/// Formats one log line, without the trailing newline:
/// `HH:MM:SS.mmm [L] message (file.rs:line)`.
///
/// `file` is shown from its crate's `src/` ([`crate_relative`]). Without a
/// file the location is left out; without a line only the file is shown.
pub fn format_line(
    clock: WallClock,
    level: Level,
    message: fmt::Arguments<'_>,
    file: Option<&str>,
    line: Option<u32>,
) -> String {
    let mut s = String::with_capacity(128);
    // Writing into a String cannot fail (only a Display impl returning an
    // error could make it, and then the line is simply cut short).
    let _ = write!(s, "{clock} [{}] {message}", level_char(level));
    match (file, line) {
        (Some(file), Some(line)) => {
            let _ = write!(s, " ({}:{line})", crate_relative(file));
        }
        (Some(file), None) => {
            let _ = write!(s, " ({})", crate_relative(file));
        }
        (None, _) => {}
    }
    s
}

/// Whether records of `target` are printed raw (dumps), without time, level
/// or location.
pub fn is_raw_target(target: &str) -> bool {
    target == DUMP_TARGET || target == HEXDUMP_TARGET
}

/// The exact text written to stderr for `record` at `clock`: the line of
/// [`format_line`] and a newline, or for a dump target the message itself,
/// ended by a newline if it does not end with one (nothing for an empty
/// dump).
pub fn format_record(clock: WallClock, record: &Record<'_>) -> String {
    if is_raw_target(record.target()) {
        let mut s = String::new();
        let _ = write!(s, "{}", record.args());
        if !s.is_empty() && !s.ends_with('\n') {
            s.push('\n');
        }
        s
    } else {
        let mut s = format_line(
            clock,
            record.level(),
            *record.args(),
            record.file(),
            record.line(),
        );
        s.push('\n');
        s
    }
}

/// microps's hex dump table of `buf` (offset, hex and ASCII columns), as
/// [`microps_core::wire::hexdump`] writes it, ending with a newline.
pub fn hexdump_to_string(buf: &[u8]) -> String {
    // 80 columns per 16 bytes, plus the two border lines.
    let mut s = String::with_capacity((buf.len() / 16 + 3) * 81);
    // Writing into a String cannot fail.
    let _ = microps_core::wire::hexdump(&mut s, buf);
    s
}

/// Logs the hex dump of `frame` at trace level under [`HEXDUMP_TARGET`],
/// formatting it only if that level is enabled.
pub fn trace_hexdump(frame: &[u8]) {
    if log::log_enabled!(target: HEXDUMP_TARGET, Level::Trace) {
        log::trace!(target: HEXDUMP_TARGET, "{}", hexdump_to_string(frame));
    }
}

/// Which records are printed: a default level and per-target levels.
///
/// A record's target is matched against the directive targets by string
/// prefix, as `env_logger` does; the longest matching target wins, and a
/// target without a match gets the default level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    default: LevelFilter,
    directives: Vec<(String, LevelFilter)>,
}

impl Filter {
    /// A filter that lets through everything up to `default` for every target.
    pub fn new(default: LevelFilter) -> Self {
        Filter {
            default,
            directives: Vec::new(),
        }
    }

    /// This filter with `target` (and every target that starts with it) set
    /// to `level`, replacing an earlier directive for the same target.
    pub fn with(mut self, target: &str, level: LevelFilter) -> Self {
        self.set(target, level);
        self
    }

    fn set(&mut self, target: &str, level: LevelFilter) {
        match self.directives.iter_mut().find(|(t, _)| t == target) {
            Some(entry) => entry.1 = level,
            None => self.directives.push((target.to_owned(), level)),
        }
    }

    /// Parses the common subset of `env_logger`'s `RUST_LOG` syntax.
    ///
    /// The spec is a comma-separated list of directives:
    ///
    /// - `level` (`off`, `error`, `warn`, `info`, `debug`, `trace`, in any
    ///   case): the default level for every target;
    /// - `target=level`: the level for targets starting with `target`;
    /// - `target` alone: every level for that target.
    ///
    /// Later directives replace earlier ones for the same target. Anything
    /// after a `/` (an `env_logger` message regex) is ignored, as are
    /// directives that do not parse. As in `env_logger`, when the spec sets no
    /// default level, targets without a directive are off, unless the spec
    /// has no valid directive at all, in which case the default is `error`.
    pub fn parse(spec: &str) -> Self {
        let mods = spec.split('/').next().unwrap_or("");
        let mut default = None;
        let mut filter = Filter::new(LevelFilter::Off);
        for item in mods.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item.split_once('=') {
                Some((target, level)) => {
                    let target = target.trim();
                    if target.is_empty() {
                        continue;
                    }
                    if let Ok(level) = LevelFilter::from_str(level.trim()) {
                        filter.set(target, level);
                    }
                }
                None => match LevelFilter::from_str(item) {
                    Ok(level) => default = Some(level),
                    Err(_) => filter.set(item, LevelFilter::Trace),
                },
            }
        }
        filter.default = match default {
            Some(level) => level,
            None if filter.directives.is_empty() => LevelFilter::Error,
            None => LevelFilter::Off,
        };
        filter
    }

    /// The filter for a verbosity given on the command line (the number of
    /// `-v`):
    ///
    /// - `0`: `info` for the hosted crates (`microps_drivers_linux`,
    ///   `microps_examples`, the demo binaries and anything else), `warn` for
    ///   `microps_core`;
    /// - `1`: `info` everywhere (registrations, state changes);
    /// - `2`: `debug` everywhere (a line per frame and the decoded headers);
    /// - `3` and more: `trace` everywhere (also a hex dump of every frame).
    pub fn from_verbosity(verbosity: u8) -> Self {
        match verbosity {
            0 => Filter::new(LevelFilter::Info)
                .with("microps_drivers_linux", LevelFilter::Info)
                .with("microps_examples", LevelFilter::Info)
                .with("microps_core", LevelFilter::Warn),
            1 => Filter::new(LevelFilter::Info),
            2 => Filter::new(LevelFilter::Debug),
            _ => Filter::new(LevelFilter::Trace),
        }
    }

    /// The filter from `RUST_LOG`'s value if it is set and not blank
    /// ([`Filter::parse`]), else from the verbosity
    /// ([`Filter::from_verbosity`]).
    pub fn from_env_or_verbosity(rust_log: Option<&str>, verbosity: u8) -> Self {
        match rust_log {
            Some(spec) if !spec.trim().is_empty() => Filter::parse(spec),
            _ => Filter::from_verbosity(verbosity),
        }
    }

    /// The most verbose level enabled for `target`.
    pub fn level_for(&self, target: &str) -> LevelFilter {
        self.directives
            .iter()
            .filter(|(t, _)| target.starts_with(t.as_str()))
            .max_by_key(|(t, _)| t.len())
            .map_or(self.default, |&(_, level)| level)
    }

    /// Whether a record of `target` at `level` is printed.
    pub fn enabled(&self, target: &str, level: Level) -> bool {
        level <= self.level_for(target)
    }

    /// The most verbose level enabled for any target (for
    /// [`log::set_max_level`]).
    pub fn max_level(&self) -> LevelFilter {
        self.directives
            .iter()
            .map(|&(_, level)| level)
            .fold(self.default, Ord::max)
    }
}

/// The logger: a [`Filter`] and the microps format, writing to stderr.
#[derive(Debug, Clone)]
pub struct Logger {
    filter: Filter,
}

impl Logger {
    /// A logger that prints what `filter` lets through.
    pub fn new(filter: Filter) -> Self {
        Logger { filter }
    }

    /// The logger's filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The text this logger writes for `record` at `clock`, or `None` if the
    /// filter drops it.
    pub fn render(&self, clock: WallClock, record: &Record<'_>) -> Option<String> {
        if self.enabled(record.metadata()) {
            Some(format_record(clock, record))
        } else {
            None
        }
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.filter.enabled(metadata.target(), metadata.level())
    }

    fn log(&self, record: &Record<'_>) {
        if let Some(text) = self.render(WallClock::now(), record) {
            // One write under the lock: lines from threads do not interleave.
            // A logger has nowhere to report its own write errors.
            let mut err = io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
        }
    }

    fn flush(&self) {
        let _ = io::stderr().lock().flush();
    }
}

/// Installs the logger with the filter of `RUST_LOG` if that is set (and not
/// blank), else of `verbosity` (see [`Filter::from_env_or_verbosity`]).
///
/// # Errors
///
/// If a logger is already installed.
pub fn init(verbosity: u8) -> Result<(), SetLoggerError> {
    let rust_log = std::env::var(ENV_VAR).ok();
    init_with_filter(Filter::from_env_or_verbosity(
        rust_log.as_deref(),
        verbosity,
    ))
}

/// Installs the logger with `filter` and sets `log`'s maximum level to match.
///
/// # Errors
///
/// If a logger is already installed.
pub fn init_with_filter(filter: Filter) -> Result<(), SetLoggerError> {
    let max = filter.max_level();
    log::set_boxed_logger(Box::new(Logger::new(filter)))?;
    log::set_max_level(max);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOCK: WallClock = WallClock {
        hour: 18,
        minute: 43,
        second: 57,
        millis: 931,
    };

    #[test]
    fn line_format_golden() {
        let line = format_line(
            CLOCK,
            Level::Debug,
            format_args!(
                "arp_input: dev={}, opcode=Request(0x{:04x}), len={}",
                "net2", 1, 28
            ),
            Some("core/src/iface/arp.rs"),
            Some(239),
        );
        assert_eq!(
            line,
            "18:43:57.931 [D] arp_input: dev=net2, opcode=Request(0x0001), len=28 (iface/arp.rs:239)"
        );
    }

    #[test]
    fn line_format_pads_and_letters() {
        let clock = WallClock {
            hour: 1,
            minute: 2,
            second: 3,
            millis: 4,
        };
        let cases = [
            (Level::Error, 'E'),
            (Level::Warn, 'W'),
            (Level::Info, 'I'),
            (Level::Debug, 'D'),
            (Level::Trace, 'T'),
        ];
        for (level, c) in cases {
            let line = format_line(clock, level, format_args!("f: x"), Some("a.rs"), Some(7));
            assert_eq!(line, format!("01:02:03.004 [{c}] f: x (a.rs:7)"));
        }
        assert_eq!(
            format_line(clock, Level::Info, format_args!("m"), None, Some(1)),
            "01:02:03.004 [I] m"
        );
        assert_eq!(
            format_line(clock, Level::Info, format_args!("m"), Some("x/y.rs"), None),
            "01:02:03.004 [I] m (y.rs)"
        );
        assert_eq!(basename("C:\\src\\tcp.rs"), "tcp.rs");
        assert_eq!(basename("tcp.rs"), "tcp.rs");
    }

    #[test]
    fn file_names_are_crate_relative() {
        assert_eq!(crate_relative("core/src/iface/mod.rs"), "iface/mod.rs");
        assert_eq!(crate_relative("core/src/socket/mod.rs"), "socket/mod.rs");
        assert_eq!(
            crate_relative("/work/x/drivers-linux/src/runtime.rs"),
            "runtime.rs"
        );
        assert_eq!(crate_relative("examples/src/bin/tcps.rs"), "bin/tcps.rs");
        assert_eq!(crate_relative("src/x.rs"), "x.rs");
        assert_eq!(
            crate_relative("C:\\w\\core\\src\\iface\\arp.rs"),
            "iface\\arp.rs"
        );
        // A crate whose path has a `src` directory above its own.
        assert_eq!(
            crate_relative("/home/u/src/microps/core/src/wire/tcp.rs"),
            "wire/tcp.rs"
        );
        assert_eq!(crate_relative("tcp.rs"), "tcp.rs");
        assert_eq!(crate_relative("a/b.rs"), "b.rs");
    }

    #[test]
    fn record_format_golden() {
        let text = format_record(
            CLOCK,
            &Record::builder()
                .level(Level::Info)
                .target("microps_core::iface")
                .file(Some("core/src/iface/mod.rs"))
                .line(Some(12))
                .args(format_args!("net_device_register: dev=net0, type=loopback"))
                .build(),
        );
        assert_eq!(
            text,
            "18:43:57.931 [I] net_device_register: dev=net0, type=loopback (iface/mod.rs:12)\n"
        );
    }

    #[test]
    fn dump_passes_through() {
        let dump = "        hrd: 0x0001\n        pro: 0x0800\n";
        let text = format_record(
            CLOCK,
            &Record::builder()
                .level(Level::Debug)
                .target(DUMP_TARGET)
                .file(Some("core/src/wire/arp.rs"))
                .line(Some(300))
                .args(format_args!("{dump}"))
                .build(),
        );
        assert_eq!(text, dump);
        // A dump without a final newline gets one; an empty dump prints nothing.
        let text = format_record(
            CLOCK,
            &Record::builder()
                .level(Level::Debug)
                .target(DUMP_TARGET)
                .args(format_args!("        a: 1\n        b: 2"))
                .build(),
        );
        assert_eq!(text, "        a: 1\n        b: 2\n");
        let text = format_record(
            CLOCK,
            &Record::builder()
                .level(Level::Debug)
                .target(DUMP_TARGET)
                .args(format_args!(""))
                .build(),
        );
        assert_eq!(text, "");
    }

    #[test]
    fn hexdump_passes_through() {
        let frame = [0x45u8, 0x00, 0x00, 0x1c, b'A', b'B'];
        let table = hexdump_to_string(&frame);
        let expected = "\
+------+-------------------------------------------------+------------------+
| 0000 | 45 00 00 1c 41 42                               | E...AB           |
+------+-------------------------------------------------+------------------+
";
        assert_eq!(table, expected);
        let text = format_record(
            CLOCK,
            &Record::builder()
                .level(Level::Trace)
                .target(HEXDUMP_TARGET)
                .args(format_args!("{table}"))
                .build(),
        );
        assert_eq!(text, expected);
        assert_eq!(
            hexdump_to_string(&[]),
            "+------+-------------------------------------------------+------------------+\n\
             +------+-------------------------------------------------+------------------+\n"
        );
    }

    #[test]
    fn logger_render_filters() {
        let logger = Logger::new(Filter::from_verbosity(0));
        let render = |level: Level, target: &str| {
            logger.render(
                CLOCK,
                &Record::builder()
                    .level(level)
                    .target(target)
                    .file(Some("src/x.rs"))
                    .line(Some(1))
                    .args(format_args!("f: m"))
                    .build(),
            )
        };
        assert_eq!(
            render(Level::Info, "microps_drivers_linux::tap").as_deref(),
            Some("18:43:57.931 [I] f: m (x.rs:1)\n")
        );
        assert_eq!(render(Level::Info, "microps_core::iface"), None);
        assert!(render(Level::Warn, "microps_core::iface").is_some());
        assert_eq!(render(Level::Debug, DUMP_TARGET), None);
    }

    #[test]
    fn verbosity_mapping() {
        let cases: [(u8, &str, Level, bool); 22] = [
            (0, "microps_drivers_linux::tap", Level::Info, true),
            (0, "microps_drivers_linux::tap", Level::Debug, false),
            (0, "microps_examples", Level::Info, true),
            (0, "tcps", Level::Info, true),
            (0, "microps_core::iface", Level::Info, false),
            (0, "microps_core::iface", Level::Warn, true),
            (0, DUMP_TARGET, Level::Debug, false),
            (0, HEXDUMP_TARGET, Level::Trace, false),
            (1, "microps_core::iface", Level::Info, true),
            (1, "microps_core::iface", Level::Debug, false),
            (1, "microps_drivers_linux", Level::Info, true),
            (1, DUMP_TARGET, Level::Debug, false),
            (2, "microps_core::iface::arp", Level::Debug, true),
            (2, DUMP_TARGET, Level::Debug, true),
            (2, "microps_core::iface", Level::Trace, false),
            (2, HEXDUMP_TARGET, Level::Trace, false),
            (3, "microps_core::iface", Level::Trace, true),
            (3, HEXDUMP_TARGET, Level::Trace, true),
            (3, DUMP_TARGET, Level::Debug, true),
            (4, HEXDUMP_TARGET, Level::Trace, true),
            (255, "anything", Level::Trace, true),
            (1, "anything", Level::Warn, true),
        ];
        for (v, target, level, want) in cases {
            assert_eq!(
                Filter::from_verbosity(v).enabled(target, level),
                want,
                "verbosity {v}, {target} at {level}"
            );
        }
        assert_eq!(Filter::from_verbosity(0).max_level(), LevelFilter::Info);
        assert_eq!(Filter::from_verbosity(1).max_level(), LevelFilter::Info);
        assert_eq!(Filter::from_verbosity(2).max_level(), LevelFilter::Debug);
        assert_eq!(Filter::from_verbosity(3).max_level(), LevelFilter::Trace);
    }

    #[test]
    fn rust_log_global_level() {
        let f = Filter::parse("debug");
        assert!(f.enabled("microps_core::iface", Level::Debug));
        assert!(f.enabled(DUMP_TARGET, Level::Debug));
        assert!(!f.enabled("microps_core::iface", Level::Trace));
        assert_eq!(f.max_level(), LevelFilter::Debug);
        // Level names in any case.
        assert_eq!(Filter::parse("WARN"), Filter::new(LevelFilter::Warn));
        assert_eq!(Filter::parse(" Trace "), Filter::new(LevelFilter::Trace));
    }

    #[test]
    fn rust_log_target_pairs_longest_prefix_wins() {
        let f = Filter::parse("microps_core=debug,microps_core::dump=off");
        assert!(f.enabled("microps_core::iface", Level::Debug));
        assert!(!f.enabled(DUMP_TARGET, Level::Debug));
        assert!(!f.enabled(DUMP_TARGET, Level::Error));
        // No global level given: other targets are off.
        assert!(!f.enabled("microps_drivers_linux", Level::Error));
        assert_eq!(f.max_level(), LevelFilter::Debug);

        // Order does not matter for different targets: longest wins.
        let f = Filter::parse("microps_core::dump=off,microps_core=debug");
        assert!(!f.enabled(DUMP_TARGET, Level::Debug));
        assert!(f.enabled("microps_core::socket::tcp", Level::Debug));

        // A global level plus overrides.
        let f = Filter::parse("info,microps_core::iface=trace,microps_drivers_linux=warn");
        assert!(f.enabled("microps_core::iface::arp", Level::Trace));
        assert!(f.enabled("microps_core::socket", Level::Info));
        assert!(!f.enabled("microps_core::socket", Level::Debug));
        assert!(!f.enabled("microps_drivers_linux::tap", Level::Info));
        assert!(f.enabled("tcps", Level::Info));
        assert_eq!(f.max_level(), LevelFilter::Trace);
    }

    #[test]
    fn rust_log_edge_cases() {
        // A bare target means every level for it.
        let f = Filter::parse("microps_core");
        assert!(f.enabled("microps_core::iface", Level::Trace));
        assert!(!f.enabled("tcps", Level::Error));
        // Later directives for the same target replace earlier ones; the last
        // global level wins.
        let f = Filter::parse("warn,microps_core=trace,debug,microps_core=info");
        assert_eq!(f.level_for("microps_core::x"), LevelFilter::Info);
        assert_eq!(f.level_for("other"), LevelFilter::Debug);
        // Invalid directives are ignored; an env_logger regex is ignored.
        let f = Filter::parse("microps_core=loud, ,=debug,info/arp_.*");
        assert_eq!(f, Filter::new(LevelFilter::Info));
        // Nothing valid at all: error level, as env_logger.
        assert_eq!(Filter::parse(""), Filter::new(LevelFilter::Error));
        assert_eq!(Filter::parse("x=bogus"), Filter::new(LevelFilter::Error));
        // Spaces around names and levels.
        let f = Filter::parse(" microps_core = debug , microps_core::dump = off ");
        assert_eq!(f.level_for("microps_core::iface"), LevelFilter::Debug);
        assert_eq!(f.level_for(DUMP_TARGET), LevelFilter::Off);
    }

    #[test]
    fn rust_log_overrides_verbosity() {
        assert_eq!(
            Filter::from_env_or_verbosity(Some("trace"), 0),
            Filter::new(LevelFilter::Trace)
        );
        assert_eq!(
            Filter::from_env_or_verbosity(Some("microps_core=debug,microps_core::dump=off"), 3),
            Filter::parse("microps_core=debug,microps_core::dump=off")
        );
        // Unset or blank: the verbosity decides.
        assert_eq!(
            Filter::from_env_or_verbosity(None, 2),
            Filter::from_verbosity(2)
        );
        assert_eq!(
            Filter::from_env_or_verbosity(Some("  "), 1),
            Filter::from_verbosity(1)
        );
    }

    #[test]
    fn wall_clock() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(86_400_000 + 3_723_045);
        assert_eq!(
            WallClock::utc(t),
            WallClock {
                hour: 1,
                minute: 2,
                second: 3,
                millis: 45
            }
        );
        assert_eq!(WallClock::utc(t).to_string(), "01:02:03.045");
        // Local time differs from UTC by whole minutes at most, never in the
        // milliseconds.
        let local = WallClock::local(t);
        assert_eq!(local.millis, 45);
        assert!(local.hour < 24 && local.minute < 60 && local.second < 61);
        // Before the epoch counts as the epoch.
        let before = UNIX_EPOCH - std::time::Duration::from_secs(5);
        assert_eq!(WallClock::utc(before).to_string(), "00:00:00.000");
        let now = WallClock::now().to_string();
        assert_eq!(now.len(), 12, "{now}");
    }
}
