//! Backtick lines: `sysctl` of the well-known Linux (`net.ipv4.tcp_*`) and
//! FreeBSD (`net.inet.tcp.*`) TCP knobs, mapped onto the stack's
//! [`TcpConfig`](crate::socket::tcp::TcpConfig) and the shim's socket
//! defaults, and Linux's `defaults.sh` (packetdrill's `gtests/net/common`)
//! as a profile. Any other command, and any knob not named here, skips the
//! script.
//!
//! Three kinds of knob:
//! - mapped: the value changes the stack or the sockets created after it;
//! - absent here, accepted: the feature does not exist in this stack yet
//!   (FACK, ECN, Fast Open, SYN cookies,
//!   F-RTO, pacing) or means nothing without it (TSO, the
//!   metrics cache). Turning one on changes nothing, so a script that
//!   depends on it fails at the first segment that shows it, which is the
//!   truth about this stack;
//! - unknown: the script is skipped, "unsupported sysctl NAME".

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::run::{Runner, Stop};
use super::syscall::Opts;
use crate::time::Duration;

/// Knobs for features this stack does not have yet, or that mean nothing
/// without them: any value is accepted and changes nothing.
const ABSENT_HERE: &[&str] = &[
    "net.ipv4.tcp_fack",
    "net.ipv4.tcp_ecn",
    "net.ipv4.tcp_fastopen",
    "net.ipv4.tcp_fastopen_key",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.tcp_frto",
    "net.ipv4.tcp_early_retrans",
    "net.ipv4.tcp_reordering",
    "net.ipv4.tcp_tso_win_divisor",
    "net.ipv4.tcp_min_tso_segs",
    "net.ipv4.tcp_autocorking",
    "net.ipv4.tcp_pacing_ss_ratio",
    "net.ipv4.tcp_pacing_ca_ratio",
    "net.ipv4.tcp_notsent_lowat",
    "net.ipv4.tcp_no_metrics_save",
    "net.ipv4.tcp_moderate_rcvbuf",
    "net.mptcp.enabled",
    "net.inet.tcp.ecn.enable",
    "net.inet.tcp.syncookies",
    "net.inet.tcp.hostcache.purgenow",
    "net.inet.tcp.cc.algorithm",
    // The largest socket buffer; the shim's is 1 MiB.
    "kern.ipc.maxsockbuf",
];

impl Runner {
    /// A backtick line.
    pub(crate) fn command(&mut self, line: &str) -> Result<(), Stop> {
        let line = line.replace("\\\n", " ");
        for command in line.split([';', '\n']).flat_map(|c| c.split("&&")) {
            let words = shell_words(command)?;
            let args = words.get(1..).unwrap_or_default();
            match words.first().map(String::as_str) {
                None => {}
                Some(w) if w.ends_with("defaults.sh") => self.linux_defaults()?,
                Some("sysctl") => self.sysctl_command(args)?,
                Some(w) if w.ends_with("set_sysctls.py") => self.set_sysctls(args)?,
                Some(_) => return Err(Stop::Skip(format!("command `{}`", command.trim()))),
            }
        }
        Ok(())
    }

    /// `sysctl [-q] [-w] NAME=VALUE...`.
    fn sysctl_command(&mut self, args: &[String]) -> Result<(), Stop> {
        for a in args {
            if matches!(a.as_str(), "-q" | "-w" | "-e") {
                continue;
            }
            let Some((name, value)) = a.split_once('=') else {
                return Err(Stop::Skip(format!("sysctl read or flag `{a}`")));
            };
            self.sysctl(name, value)?;
        }
        Ok(())
    }

    /// packetdrill's `set_sysctls.py /proc/sys/net/ipv4/NAME=VALUE...`.
    fn set_sysctls(&mut self, args: &[String]) -> Result<(), Stop> {
        for a in args {
            let Some((path, value)) = a.split_once('=') else {
                return Err(Stop::Skip(format!("set_sysctls.py argument `{a}`")));
            };
            let Some(name) = path.strip_prefix("/proc/sys/") else {
                return Err(Stop::Skip(format!("set_sysctls.py argument `{a}`")));
            };
            self.sysctl(&name.replace('/', "."), value)?;
        }
        Ok(())
    }

    /// packetdrill's `gtests/net/common/defaults.sh`: Linux's production
    /// settings, of which these mean something here.
    fn linux_defaults(&mut self) -> Result<(), Stop> {
        for (name, value) in [
            ("net.ipv4.tcp_rmem", "4096 540000 15728640"),
            ("net.ipv4.tcp_wmem", "4096 262144 4194304"),
            ("net.ipv4.tcp_syn_retries", "5"),
            ("net.ipv4.tcp_synack_retries", "5"),
            ("net.ipv4.tcp_slow_start_after_idle", "0"),
        ] {
            self.sysctl(name, value)?;
        }
        Ok(())
    }

    /// One knob.
    fn sysctl(&mut self, name: &str, value: &str) -> Result<(), Stop> {
        let unsupported = || Stop::Skip(format!("sysctl {name}={value}"));
        let number = || parse_number(value).ok_or_else(unsupported);
        let small = || number().and_then(|n| u8::try_from(n).map_err(|_| unsupported()));
        let ms = || number().map(Duration::from_millis);
        let secs = || number().and_then(|n| u32::try_from(n).map_err(|_| unsupported()));
        let flag = || number().map(|n| n != 0);
        let defaults = &mut self.socket_defaults;
        let tcp = self.stack.tcp_config_mut();
        match name {
            // Linux.
            "net.ipv4.tcp_rmem" => defaults.rcvbuf = buffer(middle(value).ok_or_else(unsupported)?),
            "net.ipv4.tcp_wmem" => defaults.sndbuf = buffer(middle(value).ok_or_else(unsupported)?),
            "net.ipv4.tcp_syn_retries" => tcp.max_syn_retransmissions = small()?,
            // One count serves SYN and SYN,ACK here.
            "net.ipv4.tcp_synack_retries" if small()? == tcp.max_syn_retransmissions => {}
            "net.ipv4.tcp_retries1" => tcp.r1 = small()?,
            "net.ipv4.tcp_retries2" => tcp.max_retransmissions = small()?,
            "net.ipv4.tcp_fin_timeout" => {
                tcp.fin_wait2_timeout = Some(Duration::from_secs(number()?))
            }
            // Linux reads 0 as 8.
            "net.ipv4.tcp_orphan_retries" => {
                tcp.orphan_retries = match small()? {
                    0 => 8,
                    n => n,
                }
            }
            "net.ipv4.tcp_slow_start_after_idle" => tcp.restart_after_idle = flag()?,
            "net.ipv4.tcp_window_scaling" => tcp.window_scaling = flag()?,
            // Linux's 2 (timestamps without the random offset) is a 1 here.
            "net.ipv4.tcp_timestamps" => tcp.timestamps = number()? != 0,
            "net.ipv4.tcp_sack" => tcp.sack = flag()?,
            "net.ipv4.tcp_dsack" => tcp.dsack = flag()?,
            // Bit 1 is RACK-TLP; the others (no static reordering
            // window, no DupThresh) are not taken.
            "net.ipv4.tcp_recovery" if number()? & !1 == 0 => defaults.rack = number()? & 1 != 0,
            "net.ipv4.tcp_congestion_control" => {
                defaults.congestion = match value.trim() {
                    "reno" => crate::socket::tcp::Congestion::NewReno,
                    "cubic" => crate::socket::tcp::Congestion::Cubic,
                    _ => return Err(unsupported()),
                }
            }
            "net.ipv4.tcp_keepalive_time" => defaults.keepidle = secs()?,
            "net.ipv4.tcp_keepalive_intvl" => defaults.keepintvl = secs()?,
            "net.ipv4.tcp_keepalive_probes" => defaults.keepcnt = small()?,
            // Linux's limit is for the host, ours per connection.
            "net.ipv4.tcp_challenge_ack_limit" => {
                tcp.challenge_ack_limit = number()?.min(255) as u8
            }
            "net.ipv4.tcp_invalid_ratelimit" => tcp.oow_ack_interval = ms()?,
            // A RST in TIME-WAIT closes it, as Linux without RFC 1337.
            "net.ipv4.tcp_rfc1337" if !flag()? => {}
            "net.ipv4.tcp_abort_on_overflow" if !flag()? => {}
            "net.ipv4.tcp_mtu_probing" if !flag()? => {}
            // FreeBSD.
            "net.inet.tcp.insecure_rst" => tcp.rfc5961.rst_challenge = !flag()?,
            "net.inet.tcp.insecure_syn" => tcp.rfc5961.syn_challenge = !flag()?,
            "net.inet.tcp.drop_synfin" => tcp.drop_syn_fin = flag()?,
            // Window scaling and timestamps.
            "net.inet.tcp.rfc1323" => {
                tcp.window_scaling = flag()?;
                tcp.timestamps = tcp.window_scaling;
            }
            "net.inet.tcp.sack.enable" => tcp.sack = flag()?,
            // A segment without timestamps once they are agreed is dropped
            // here (RFC 7323 3.2), as FreeBSD's 0.
            "net.inet.tcp.tolerate_missing_ts" if !flag()? => {}
            // At least the clock's granularity: an RTO of 0 would resend
            // at the same instant.
            "net.inet.tcp.rexmit_initial" => tcp.rto_initial = ms()?.max(Duration::from_millis(1)),
            "net.inet.tcp.rexmit_min" => tcp.rto_min = ms()?.max(Duration::from_millis(1)),
            "net.inet.tcp.delacktime" => tcp.ack_delay = Some(ms()?),
            "net.inet.tcp.delayed_ack" => {
                let default = tcp.ack_delay.unwrap_or(Duration::from_millis(40));
                tcp.ack_delay = flag()?.then_some(default);
            }
            "net.inet.tcp.msl" => {
                tcp.time_wait = Duration::from_millis(number()?.saturating_mul(2))
            }
            "net.inet.tcp.keepidle" => defaults.keepidle = millis_as_secs(number()?),
            "net.inet.tcp.keepintvl" => defaults.keepintvl = millis_as_secs(number()?),
            "net.inet.tcp.keepcnt" => defaults.keepcnt = small()?,
            "net.inet.tcp.sendspace" => defaults.sndbuf = buffer(number()?),
            "net.inet.tcp.recvspace" => defaults.rcvbuf = buffer(number()?),
            // Ours: the one RFC 5961 mitigation neither system can turn
            // off, and the other two by name.
            "microps.tcp.rfc5961_rst" => tcp.rfc5961.rst_challenge = flag()?,
            "microps.tcp.rfc5961_syn" => tcp.rfc5961.syn_challenge = flag()?,
            "microps.tcp.rfc5961_ack" => tcp.rfc5961.ack_check = flag()?,
            "microps.tcp.challenge_ack_limit" => tcp.challenge_ack_limit = small()?,
            // 10: RFC 6928's initial window; 0: RFC 5681's.
            "microps.tcp.initial_window" => {
                tcp.initial_window = match number()? {
                    0 => crate::socket::tcp::InitialWindow::Rfc5681,
                    10 => crate::socket::tcp::InitialWindow::Rfc6928,
                    _ => return Err(unsupported()),
                }
            }
            "microps.tcp.limited_transmit" => tcp.limited_transmit = flag()?,
            _ if ABSENT_HERE.contains(&name) => {}
            _ => return Err(unsupported()),
        }
        Ok(())
    }
}

/// A socket buffer the shim can give.
fn buffer(n: u64) -> usize {
    usize::try_from(n)
        .unwrap_or(usize::MAX)
        .clamp(256, Opts::MAX_BUFFER)
}

/// FreeBSD's keep-alive times are in milliseconds, the shim's in seconds.
fn millis_as_secs(ms: u64) -> u32 {
    u32::try_from(ms.div_ceil(1000)).unwrap_or(u32::MAX)
}

/// The middle of Linux's "min default max".
fn middle(value: &str) -> Option<u64> {
    parse_number(value.split_whitespace().nth(1)?)
}

/// Decimal or `0x` hexadecimal.
fn parse_number(v: &str) -> Option<u64> {
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

/// A command's words: quotes removed, output redirections dropped.
fn shell_words(command: &str) -> Result<Vec<String>, Stop> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            // A comment runs to the end of the line.
            (None, '#') if !in_word => break,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(core::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, '|' | '<' | '`' | '$' | '(' | ')') => {
                return Err(Stop::Skip(format!("command `{}`", command.trim())));
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(Stop::Skip(format!("command `{}`", command.trim())));
    }
    if in_word {
        words.push(word);
    }
    // `> /dev/null`, `2>&1`, `>/dev/null`.
    let mut kept = Vec::new();
    let mut skip_next = false;
    for w in words {
        if skip_next {
            skip_next = false;
        } else if w == ">" || w == "2>" || w == ">>" {
            skip_next = true;
        } else if !(w.starts_with('>') || w.starts_with("2>") || w.starts_with("1>")) {
            kept.push(w);
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_lose_quotes_and_redirections() {
        let w = shell_words("sysctl -q net.ipv4.tcp_rmem=\"4096 87380 6291456\" > /dev/null 2>&1")
            .ok()
            .unwrap_or_default();
        assert_eq!(w, ["sysctl", "-q", "net.ipv4.tcp_rmem=4096 87380 6291456"]);
        assert!(shell_words("cat /proc/net/sockstat | grep TCP").is_err());
        assert!(shell_words("sysctl -q x=\"unterminated").is_err());
        let w = shell_words("set_sysctls.py /proc/sys/net/ipv4/tcp_tw_reuse=1 # global enable")
            .ok()
            .unwrap_or_default();
        assert_eq!(w, ["set_sysctls.py", "/proc/sys/net/ipv4/tcp_tw_reuse=1"]);
    }

    #[test]
    fn numbers_and_the_middle_of_three() {
        assert_eq!(parse_number("0x70403"), Some(0x70403));
        assert_eq!(parse_number(" 42 "), Some(42));
        assert_eq!(parse_number("cubic"), None);
        assert_eq!(middle("4096 540000 15728640"), Some(540_000));
        assert_eq!(middle("4096"), None);
        assert_eq!(buffer(1), 256);
        assert_eq!(buffer(u64::MAX), Opts::MAX_BUFFER);
        assert_eq!(millis_as_secs(7_200_000), 7200);
        assert_eq!(millis_as_secs(1), 1);
    }
}
