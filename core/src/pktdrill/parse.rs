//! The packetdrill script language (Cardwell et al., "packetdrill: Scriptable
//! Network Stack Testing, from Sockets to Packets", USENIX ATC 2013, and the
//! tool's README): `--option=value` header lines, then one event per line,
//! each a time followed by an inbound (`<`) or outbound (`>`) packet, a
//! system call with its expected result, or a backtick shell command.
//!
//! This module turns the text into a [`Script`]; it knows nothing of the
//! stack. What the runner cannot honour it reports as unsupported, so the
//! script is skipped, never passed.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::wire::TcpFlags;

/// A parsed script.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    /// The `--name=value` lines, in order.
    pub options: Vec<ScriptOption>,
    /// The events, in order.
    pub events: Vec<Event>,
}

/// One `--name[=value]` header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptOption {
    /// The name without the dashes.
    pub name: String,
    /// The value after `=`, if any.
    pub value: Option<String>,
    /// The line it is on (1-based).
    pub line: usize,
}

/// A point in script time, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Time {
    /// From the start of the script.
    Absolute(i64),
    /// From the previous event (`+0.1`).
    Relative(i64),
    /// Whenever (`*`): outbound packets only.
    Any,
}

/// When an event happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTime {
    /// The time, or the start of a range.
    pub start: Time,
    /// `start~end`: the event may happen anywhere in between.
    pub range_end: Option<Time>,
    /// `start...end`: a blocking call made at `start` that returns at `end`.
    pub returns_at: Option<Time>,
}

/// One line of the script after the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The line it starts on (1-based).
    pub line: usize,
    /// The text of the line, for messages.
    pub text: String,
    /// When.
    pub time: EventTime,
    /// What.
    pub kind: EventKind,
}

/// What an event is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// `<`: a segment the script's remote side sends to the stack.
    Inbound(TcpSpec),
    /// `< icmp ...`: an ICMP error the script's remote side sends about a
    /// segment of ours.
    InboundIcmp(IcmpSpec),
    /// `>`: a segment the stack must send.
    Outbound(TcpSpec),
    /// A system call and what it must return.
    Call(Call),
    /// A backtick command.
    Command(String),
    /// Something parsed but not runnable here (ICMP lines, UDP, IPv6
    /// packets, `%{ }%` Python): the script is skipped with this reason.
    Unsupported(String),
}

/// An ICMP error as a script writes it: `icmp unreachable frag_needed mtu
/// 1200 [1:1461(1460)]` (the quoted segment may also come first, as
/// older scripts write it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcmpSpec {
    /// The ICMP type (3 unreachable, 11 time exceeded, 4 source quench, 12
    /// parameter problem).
    pub icmp_type: u8,
    /// The code.
    pub code: u8,
    /// `mtu N`: the next-hop MTU of "fragmentation needed" (RFC 1191).
    pub mtu: Option<u16>,
    /// `[start:end(len)]`: the quoted segment's sequence numbers, ours,
    /// relative to our ISN (0:0(0) when omitted).
    pub quoted: (u32, u32, u32),
}

/// A TCP segment as a script writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSpec {
    /// The control bits (`S`, `.`, `F`, `R`, `P`, `U`, `E`, `W`).
    pub flags: TcpFlags,
    /// `start:end(len)`: the sequence numbers, as the script numbers them.
    pub seq: u32,
    /// The end of the sequence range (`start + len`).
    pub seq_end: u32,
    /// The data length.
    pub len: u32,
    /// `ack N`, if written.
    pub ack: Option<u32>,
    /// `win N`, if written.
    pub win: Option<u32>,
    /// `urg N`, if written.
    pub urg: Option<u16>,
    /// `<...>`, if written (`None`: not checked on outbound lines).
    pub options: Option<Vec<OptionSpec>>,
}

/// One TCP option as a script writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionSpec {
    /// `mss N`.
    Mss(u16),
    /// `nop`.
    Nop,
    /// `eol`.
    Eol,
    /// `wscale N`.
    WindowScale(u8),
    /// `sackOK`.
    SackPermitted,
    /// `sack a:b c:d ...` (up to four blocks).
    Sack([Option<(u32, u32)>; 4]),
    /// `TS val x ecr y`.
    Timestamps {
        /// TSval.
        val: u32,
        /// TSecr.
        ecr: u32,
    },
}

/// A system call line: `name(args) = ret [ERRNO (text)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The call's name.
    pub name: String,
    /// Its arguments as written, split at top-level commas.
    pub args: Vec<String>,
    /// The expected return value.
    pub ret: i64,
    /// The expected errno name, with `ret` -1.
    pub errno: Option<String>,
}

/// Why a script does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The line (1-based).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl core::error::Error for ParseError {}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

/// Parses a whole script.
///
/// ```
/// use microps_core::pktdrill::parse::{parse, EventKind};
/// let s = parse("--tolerance_usecs=10000\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1000\n").unwrap();
/// assert_eq!(s.options[0].name, "tolerance_usecs");
/// assert!(matches!(s.events[1].kind, EventKind::Inbound(_)));
/// ```
pub fn parse(text: &str) -> Result<Script, ParseError> {
    let mut script = Script::default();
    for (line, stmt) in statements(text)? {
        let stmt = stmt.trim();
        if stmt.is_empty() {
            continue;
        }
        if let Some(opt) = stmt.strip_prefix("--") {
            let (name, value) = match opt.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim().to_string())),
                None => (opt.trim(), None),
            };
            script.options.push(ScriptOption {
                name: name.to_string(),
                value,
                line,
            });
            continue;
        }
        script.events.push(parse_event(line, stmt)?);
    }
    Ok(script)
}

/// Splits the text into statements with their first line, without
/// comments: one per line, except that a backtick command or a `%{ }%`
/// block may span lines.
fn statements(text: &str) -> Result<Vec<(usize, String)>, ParseError> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    let mut in_block_comment = false;
    let mut open: Option<&'static str> = None;
    // Brackets open in the statement so far (a call's arguments).
    let mut depth = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let mut rest = raw;
        let mut kept = String::new();
        while !rest.is_empty() {
            if in_block_comment {
                match rest.find("*/") {
                    Some(p) => {
                        in_block_comment = false;
                        rest = rest.get(p + 2..).unwrap_or("");
                    }
                    None => rest = "",
                }
                continue;
            }
            if matches!(open, None | Some(")")) {
                let slash = rest.find("//");
                let block = rest.find("/*");
                match (slash, block) {
                    (Some(s), b) if b.is_none_or(|b| s < b) => {
                        kept.push_str(rest.get(..s).unwrap_or(""));
                        rest = "";
                        continue;
                    }
                    (_, Some(b)) => {
                        kept.push_str(rest.get(..b).unwrap_or(""));
                        in_block_comment = true;
                        rest = rest.get(b + 2..).unwrap_or("");
                        continue;
                    }
                    _ => {}
                }
            }
            kept.push_str(rest);
            rest = "";
        }
        if current.is_empty() {
            start = line;
        } else {
            current.push('\n');
        }
        current.push_str(&kept);
        if matches!(open, None | Some(")")) {
            depth += nesting(&kept);
        }
        open = match open {
            Some("`") if kept.contains('`') => None,
            Some("}%") if kept.contains("}%") => None,
            Some(")") if depth <= 0 => None,
            Some(o) => Some(o),
            None if kept.matches('`').count() % 2 == 1 => Some("`"),
            None if kept.contains("%{") && !kept.contains("}%") => Some("}%"),
            // A call's arguments (a struct, an iovec) may go on for lines.
            None if depth > 0 && is_call(&current) => Some(")"),
            None => None,
        };
        if open.is_none() {
            depth = 0;
        }
        if open.is_none() {
            out.push((start, core::mem::take(&mut current)));
        }
    }
    if in_block_comment {
        return Err(err(start, "unterminated /* comment"));
    }
    if open.is_some() {
        return Err(err(start, "unterminated command or %{ block"));
    }
    Ok(out)
}

/// Whether a statement is a system call (`TIME name(...`), whose
/// arguments may go on for lines.
fn is_call(stmt: &str) -> bool {
    let (_, rest) = split_first_word(stmt);
    rest.trim_start()
        .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

/// Brackets opened and not closed yet: `(`, `[` and `{`.
fn nesting(s: &str) -> i32 {
    s.chars().fold(0, |n, c| match c {
        '(' | '[' | '{' => n + 1,
        ')' | ']' | '}' => n - 1,
        _ => n,
    })
}

fn parse_event(line: usize, stmt: &str) -> Result<Event, ParseError> {
    // A backtick command may go without a time (`+0`, as packetdrill
    // reads it); `+ 0.1` spells a time in two words.
    let (time, rest) = match split_first_word(stmt) {
        _ if stmt.trim_start().starts_with('`') => (parse_event_time(line, "+0")?, stmt),
        ("+", rest) => {
            let (n, rest) = split_first_word(rest);
            (parse_event_time(line, &format!("+{n}"))?, rest)
        }
        // `start ... end` with spaces around the dots.
        (token, rest) if token.ends_with("...") || split_first_word(rest).0.starts_with("...") => {
            let (next, after) = split_first_word(rest);
            let (joined, rest) = if next == "..." {
                let (end, after) = split_first_word(after);
                (format!("{token}...{end}"), after)
            } else {
                (format!("{token}{next}"), after)
            };
            (parse_event_time(line, &joined)?, rest)
        }
        (token, rest) => (parse_event_time(line, token)?, rest),
    };
    let text = stmt.lines().next().unwrap_or("").trim().to_string();
    let rest = rest.trim();
    let kind = if let Some(r) = rest.strip_prefix('<')
        && let Some(icmp) = parse_icmp(line, r.trim())?
    {
        icmp
    } else if let Some(r) = rest.strip_prefix('<') {
        match parse_packet(line, r.trim())? {
            Ok(p) => EventKind::Inbound(p),
            Err(why) => EventKind::Unsupported(why),
        }
    } else if let Some(r) = rest.strip_prefix('>') {
        match parse_packet(line, r.trim())? {
            Ok(p) => EventKind::Outbound(p),
            Err(why) => EventKind::Unsupported(why),
        }
    } else if let Some(r) = rest.strip_prefix('`') {
        EventKind::Command(r.trim_end().trim_end_matches('`').trim().to_string())
    } else if rest.starts_with("%{") {
        EventKind::Unsupported("%{ }% Python blocks".to_string())
    } else {
        EventKind::Call(parse_call(line, rest)?)
    };
    Ok(Event {
        line,
        text,
        time,
        kind,
    })
}

fn split_first_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (s.get(..i).unwrap_or(""), s.get(i..).unwrap_or("")),
        None => (s, ""),
    }
}

fn parse_event_time(line: usize, token: &str) -> Result<EventTime, ParseError> {
    if let Some((a, b)) = token.split_once("...") {
        return Ok(EventTime {
            start: parse_time(line, a)?,
            range_end: None,
            returns_at: Some(parse_time(line, b)?),
        });
    }
    if let Some((a, b)) = token.split_once('~') {
        return Ok(EventTime {
            start: parse_time(line, a)?,
            range_end: Some(parse_time(line, b)?),
            returns_at: None,
        });
    }
    Ok(EventTime {
        start: parse_time(line, token)?,
        range_end: None,
        returns_at: None,
    })
}

/// `0`, `1.5`, `.1`, `+0.010`, `*`: seconds, to microseconds.
pub(crate) fn parse_time(line: usize, token: &str) -> Result<Time, ParseError> {
    if token == "*" {
        return Ok(Time::Any);
    }
    let (relative, num) = match token.strip_prefix('+') {
        Some(n) => (true, n),
        None => (false, token),
    };
    let us = seconds_to_micros(num).ok_or_else(|| err(line, format_args_str("bad time", token)))?;
    Ok(if relative {
        Time::Relative(us)
    } else {
        Time::Absolute(us)
    })
}

fn format_args_str(what: &str, token: &str) -> String {
    let mut s = String::from(what);
    s.push_str(" '");
    s.push_str(token);
    s.push('\'');
    s
}

fn seconds_to_micros(s: &str) -> Option<i64> {
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    if !frac.chars().all(|c| c.is_ascii_digit()) || frac.len() > 6 {
        return None;
    }
    let mut f: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..6 {
        f *= 10;
    }
    w.checked_mul(1_000_000)?.checked_add(f)
}

/// The part of a packet line after `<` or `>`: a TCP segment, or
/// `Err(reason)` for a packet this runner does not model (ICMP, UDP, an
/// explicit IP header, an unknown TCP field).
fn parse_packet(line: usize, s: &str) -> Result<Result<TcpSpec, String>, ParseError> {
    let (flags_token, rest) = split_first_word(s);
    let Some(flags) = parse_flags(flags_token) else {
        // `icmp unreachable ...`, `udp (1000)`, `[ip ...]` and the like.
        return Ok(Err(format_args_str("packets of kind", flags_token)));
    };
    let (seq_token, mut rest) = split_first_word(rest);
    let (seq, seq_end, len) = parse_seq(seq_token)
        .ok_or_else(|| err(line, format_args_str("bad sequence range", seq_token)))?;
    let mut spec = TcpSpec {
        flags,
        seq,
        seq_end,
        len,
        ack: None,
        win: None,
        urg: None,
        options: None,
    };
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(r) = rest.strip_prefix('<') {
            let end = r
                .find('>')
                .ok_or_else(|| err(line, "unterminated option list"))?;
            let list = r.get(..end).unwrap_or("");
            if list.trim() == "..." {
                // `<...>`: whatever options the segment has.
                spec.options = None;
                rest = r.get(end + 1..).unwrap_or("");
                continue;
            }
            match parse_options(line, list)? {
                Ok(options) => spec.options = Some(options),
                // Fast Open, MD5, experimental options: not modelled.
                Err(why) => return Ok(Err(why)),
            }
            rest = r.get(end + 1..).unwrap_or("");
            continue;
        }
        let (word, r) = split_first_word(rest);
        let (value, r) = split_first_word(r);
        rest = r;
        let number = || {
            value
                .parse::<u32>()
                .map_err(|_| err(line, format_args_str("bad number", value)))
        };
        match word {
            "ack" => spec.ack = Some(number()?),
            "win" => spec.win = Some(number()?),
            "urg" => spec.urg = Some(number()?.try_into().map_err(|_| err(line, "urg too big"))?),
            _ => return Ok(Err(format_args_str("the TCP field", word))),
        }
    }
    Ok(Ok(spec))
}

fn parse_flags(token: &str) -> Option<TcpFlags> {
    let mut flags = TcpFlags::empty();
    for c in token.chars() {
        flags |= match c {
            'S' => TcpFlags::SYN,
            'F' => TcpFlags::FIN,
            'R' => TcpFlags::RST,
            'P' => TcpFlags::PSH,
            '.' => TcpFlags::ACK,
            'U' => TcpFlags::URG,
            'E' => TcpFlags::ECE,
            'W' => TcpFlags::CWR,
            _ => return None,
        };
    }
    (!token.is_empty()).then_some(flags)
}

/// `start:end(len)`.
/// `icmp TYPE [CODE] [mtu N] [[start:end(len)]]`, or the quoted segment
/// first; `None` if the line is no ICMP packet.
fn parse_icmp(line: usize, s: &str) -> Result<Option<EventKind>, ParseError> {
    let (quoted_first, s) = match s.strip_prefix('[') {
        Some(r) if r.contains("icmp") => {
            let end = r.find(']').ok_or_else(|| err(line, "unterminated [...]"))?;
            (
                Some(r.get(..end).unwrap_or("")),
                r.get(end + 1..).unwrap_or("").trim(),
            )
        }
        _ => (None, s),
    };
    let Some(rest) = s.strip_prefix("icmp ") else {
        return Ok(None);
    };
    let (body, quoted_last) = match rest.find('[') {
        Some(i) => {
            let q = rest.get(i + 1..).unwrap_or("");
            let end = q.find(']').ok_or_else(|| err(line, "unterminated [...]"))?;
            (
                rest.get(..i).unwrap_or(""),
                Some(q.get(..end).unwrap_or("")),
            )
        }
        None => (rest, None),
    };
    let quoted = match quoted_first.or(quoted_last) {
        None => (0, 0, 0),
        Some(q) => {
            // `[1:1461(1460)]`, perhaps with flags or `tcp` before it.
            let range = q.split_whitespace().last().unwrap_or("");
            parse_seq(range).ok_or_else(|| err(line, format_args_str("bad quoted segment", q)))?
        }
    };
    let words: Vec<&str> = body.split_whitespace().collect();
    let (icmp_type, codes): (u8, &[&str]) = match words.first().copied() {
        Some("unreachable") => (3, &UNREACHABLE_CODES),
        Some("time_exceeded") => (11, &["ttl_exceeded", "frag_reassembly_exceeded"]),
        Some("source_quench") => (4, &[]),
        Some("parameter_problem") => (12, &["pointer_indicates_error", "missing_option"]),
        other => {
            let why = format_args_str("ICMP type", other.unwrap_or(""));
            return Ok(Some(EventKind::Unsupported(why)));
        }
    };
    let mut code = 0u8;
    let mut mtu = None;
    let mut rest = words.get(1..).unwrap_or_default().iter();
    while let Some(w) = rest.next() {
        if *w == "mtu" {
            let v = rest.next().and_then(|v| v.parse().ok());
            mtu = Some(v.ok_or_else(|| err(line, "mtu needs a number"))?);
        } else if let Some(k) = codes.iter().position(|c| c == w) {
            code = k as u8;
        } else if let Ok(n) = w.parse() {
            code = n;
        } else {
            let why = format_args_str("ICMP code", w);
            return Ok(Some(EventKind::Unsupported(why)));
        }
    }
    Ok(Some(EventKind::InboundIcmp(IcmpSpec {
        icmp_type,
        code,
        mtu,
        quoted,
    })))
}

/// RFC 792's and RFC 1812's destination unreachable codes, by the names
/// packetdrill gives them.
const UNREACHABLE_CODES: [&str; 16] = [
    "net_unreachable",
    "host_unreachable",
    "protocol_unreachable",
    "port_unreachable",
    "frag_needed",
    "source_route_failed",
    "net_unknown",
    "host_unknown",
    "source_host_isolated",
    "net_prohibited",
    "host_prohibited",
    "net_tos",
    "host_tos",
    "packet_filtered",
    "precedence_violation",
    "precedence_cutoff",
];

fn parse_seq(token: &str) -> Option<(u32, u32, u32)> {
    let (range, len) = token.split_once('(')?;
    let len: u32 = len.strip_suffix(')')?.parse().ok()?;
    let (a, b) = range.split_once(':')?;
    let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
    (b.wrapping_sub(a) == len).then_some((a, b, len))
}

fn parse_options(line: usize, s: &str) -> Result<Result<Vec<OptionSpec>, String>, ParseError> {
    let mut out = Vec::new();
    for item in s.split(',') {
        let words: Vec<&str> = item.split_whitespace().collect();
        let num = |i: usize| -> Result<u32, ParseError> {
            words
                .get(i)
                .and_then(|w| w.parse().ok())
                .ok_or_else(|| err(line, format_args_str("bad option", item.trim())))
        };
        let opt = match words.first().copied() {
            None => continue,
            Some("mss") => {
                OptionSpec::Mss(num(1)?.try_into().map_err(|_| err(line, "mss too big"))?)
            }
            Some("nop") => OptionSpec::Nop,
            Some("eol") => OptionSpec::Eol,
            Some("wscale") => OptionSpec::WindowScale(
                num(1)?
                    .try_into()
                    .map_err(|_| err(line, "wscale too big"))?,
            ),
            Some("sackOK") => OptionSpec::SackPermitted,
            Some("sack") => {
                let mut blocks = [None; 4];
                for (slot, w) in blocks.iter_mut().zip(words.iter().skip(1)) {
                    let (a, b) = w
                        .split_once(':')
                        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
                        .ok_or_else(|| err(line, format_args_str("bad sack block", w)))?;
                    *slot = Some((a, b));
                }
                OptionSpec::Sack(blocks)
            }
            Some("TS") => match (words.get(1), words.get(3)) {
                (Some(&"val"), Some(&"ecr")) => OptionSpec::Timestamps {
                    val: num(2)?,
                    ecr: num(4)?,
                },
                _ => return Err(err(line, format_args_str("bad option", item.trim()))),
            },
            Some(_) => return Ok(Err(format_args_str("TCP option", item.trim()))),
        };
        out.push(opt);
    }
    Ok(Ok(out))
}

/// `name(args) = ret [ERRNO (text)]`.
fn parse_call(line: usize, s: &str) -> Result<Call, ParseError> {
    let open = s
        .find('(')
        .ok_or_else(|| err(line, "expected a packet or a call"))?;
    let name = s.get(..open).unwrap_or("").trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(err(line, format_args_str("bad call name", name)));
    }
    let after = s.get(open + 1..).unwrap_or("");
    let close = matching_paren(after).ok_or_else(|| err(line, "unbalanced parentheses"))?;
    let args = split_args(after.get(..close).unwrap_or(""));
    let tail = after.get(close + 1..).unwrap_or("").trim();
    let tail = tail
        .strip_prefix('=')
        .ok_or_else(|| err(line, "expected '= result' after the call"))?
        .trim();
    let (ret, rest) = split_first_word(tail);
    let value = match ret.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => ret.parse().ok(),
    };
    let ret = value.ok_or_else(|| err(line, format_args_str("bad return value", ret)))?;
    // `= -1 EINPROGRESS (Operation now in progress)`; a comment alone in
    // parentheses (`= 0x02 (flags O_RDWR)`) names no errno.
    let (errno, _) = split_first_word(rest);
    let errno = (!errno.is_empty() && !errno.starts_with('(')).then(|| errno.to_string());
    Ok(Call {
        name: name.to_string(),
        args,
        ret,
        errno,
    })
}

fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() || !out.is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn times() {
        assert_eq!(parse_time(1, "0").unwrap(), Time::Absolute(0));
        assert_eq!(parse_time(1, "+.1").unwrap(), Time::Relative(100_000));
        assert_eq!(
            parse_time(1, "1.000250").unwrap(),
            Time::Absolute(1_000_250)
        );
        assert_eq!(parse_time(1, "*").unwrap(), Time::Any);
        assert!(parse_time(1, "+x").is_err());
        assert!(parse_time(1, "1.0000001").is_err());
        let t = parse_event_time(1, "0.1~0.2").unwrap();
        assert_eq!(t.range_end, Some(Time::Absolute(200_000)));
        let t = parse_event_time(1, "0...0.5").unwrap();
        assert_eq!(t.returns_at, Some(Time::Absolute(500_000)));
    }

    #[test]
    fn packets() {
        let p = parse_packet(
            1,
            "S. 0:0(0) ack 1 win 5792 <mss 1460,nop,nop,sackOK,nop,wscale 7>",
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.flags, TcpFlags::SYN | TcpFlags::ACK);
        assert_eq!(
            (p.seq, p.seq_end, p.len, p.ack, p.win),
            (0, 0, 0, Some(1), Some(5792))
        );
        assert_eq!(
            p.options.unwrap(),
            vec![
                OptionSpec::Mss(1460),
                OptionSpec::Nop,
                OptionSpec::Nop,
                OptionSpec::SackPermitted,
                OptionSpec::Nop,
                OptionSpec::WindowScale(7)
            ]
        );
        let p = parse_packet(
            1,
            "P. 1:1001(1000) ack 1 <nop,nop,TS val 100 ecr 7,sack 1:2 3:4>",
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.len, 1000);
        assert_eq!(
            p.options.unwrap()[2],
            OptionSpec::Timestamps { val: 100, ecr: 7 }
        );
        assert!(
            parse_packet(1, "P. 1:1001(999)").is_err(),
            "length disagrees"
        );
        assert!(parse_packet(1, "udp (1000)").unwrap().is_err());
        assert!(parse_packet(1, ". 1:1(0) ack 1 ecr 3").unwrap().is_err());
    }

    #[test]
    fn calls() {
        let c = parse_call(1, "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0").unwrap();
        assert_eq!(c.name, "setsockopt");
        assert_eq!(c.args, vec!["3", "SOL_SOCKET", "SO_REUSEADDR", "[1]", "4"]);
        assert_eq!((c.ret, c.errno), (0, None));
        let c = parse_call(
            1,
            "connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)",
        )
        .unwrap();
        assert_eq!((c.ret, c.errno.as_deref()), (-1, Some("EINPROGRESS")));
        assert!(parse_call(1, "close(3)").is_err());
    }

    #[test]
    fn comments_and_multi_line_commands() {
        let s = parse(
            "// a comment\n--mss=1000 // trailing\n/* block\n comment */ 0 close(3) = 0\n+0 `sysctl -q\n net.x=1`\n",
        )
        .unwrap();
        assert_eq!(s.options.len(), 1);
        assert_eq!(s.events.len(), 2);
        assert_eq!(s.events[0].line, 4);
        assert!(matches!(&s.events[1].kind, EventKind::Command(c) if c.contains("net.x=1")));
        assert!(parse("0 `never closed\n").is_err());
    }

    #[test]
    fn icmp_errors_in_both_orders() {
        let want = EventKind::InboundIcmp(IcmpSpec {
            icmp_type: 3,
            code: 4,
            mtu: Some(1200),
            quoted: (1, 1461, 1460),
        });
        for line in [
            "0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]",
            "0 < [1:1461(1460)] icmp unreachable frag_needed mtu 1200",
        ] {
            assert_eq!(parse(line).unwrap().events[0].kind, want, "{line}");
        }
        let s = parse("0 < icmp unreachable port_unreachable").unwrap();
        let EventKind::InboundIcmp(spec) = &s.events[0].kind else {
            panic!("{:?}", s.events[0].kind);
        };
        assert_eq!((spec.code, spec.mtu, spec.quoted), (3, None, (0, 0, 0)));
        for (line, why) in [
            ("0 < icmp echo_request", "ICMP type"),
            ("0 < icmp unreachable sideways", "ICMP code"),
        ] {
            let kind = &parse(line).unwrap().events[0].kind;
            assert!(
                matches!(kind, EventKind::Unsupported(w) if w.contains(why)),
                "{line}: {kind:?}"
            );
        }
        assert!(parse("0 < icmp unreachable frag_needed mtu [1:1(0)]").is_err());
        assert!(parse("0 < icmp unreachable [1:2(5)]").is_err());
    }

    #[test]
    fn the_public_scripts_dialect() {
        // As Linux's and FreeBSD's scripts write it: a command without a
        // time, `+ 0.1`, `a ... b`, a hexadecimal result with a comment, a
        // call over several lines, `<...>`, and options not modelled.
        let s = parse(
            "`../common/defaults.sh`\n+ 0.1 close(3) = 0\n+.002 ... 0.052 connect(4, ..., ...) = 0\n+0 fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)\n+0 sendmsg(4, {msg_name(...)=...,\n     msg_iov(1)=[{..., 1000}]}, 0) = 1000\n+0 > S. 0:0(0) ack 1 <...>\n+0 < S 0:0(0) win 1000 <mss 1460,FO abcd>\n",
        )
        .unwrap();
        let e = &s.events;
        assert_eq!(e.len(), 7);
        assert_eq!(e[0].time.start, Time::Relative(0));
        assert!(matches!(&e[0].kind, EventKind::Command(c) if c.ends_with("defaults.sh")));
        assert_eq!(e[1].time.start, Time::Relative(100_000));
        assert_eq!(e[2].time.returns_at, Some(Time::Absolute(52_000)));
        assert!(matches!(&e[3].kind, EventKind::Call(c) if c.ret == 2 && c.errno.is_none()));
        assert!(matches!(&e[4].kind, EventKind::Call(c) if c.name == "sendmsg" && c.ret == 1000));
        assert!(matches!(&e[5].kind, EventKind::Outbound(p) if p.options.is_none()));
        assert!(matches!(&e[6].kind, EventKind::Unsupported(w) if w.contains("FO")));
    }

    #[test]
    fn only_a_call_goes_on_for_lines_and_comments_stay_comments() {
        // A comment on a call's continuation line, and a stray bracket in
        // a comment or a packet line, do not join the lines that follow.
        let s = parse(
            "0 sendmsg(4, {msg_iov(1)=[{..., 10}], // the iovec\n  msg_flags=0}, 0) = 10 // sent\n// :-(\n+0 < . 1:1(0 ack 1 win 5\n+0 close(4) = 0\n",
        );
        let err = s.expect_err("the broken packet line is an error of its own");
        assert_eq!(err.line, 4, "{err:?}");
        let s = parse("0 sendmsg(4, {msg_iov(1)=[{..., 10}], // (\n  msg_flags=0}, 0) = 10\n+0 close(4) = 0\n").unwrap();
        assert_eq!(s.events.len(), 2);
        assert!(
            matches!(&s.events[0].kind, EventKind::Call(c) if c.ret == 10 && c.errno.is_none())
        );
    }
}
