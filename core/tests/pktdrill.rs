//! The conformance corpus: every script in `tests/pktdrill/` runs in strict
//! mode and must pass; and the runner itself fails a script whose stack
//! does otherwise, with the line and both segments.

use microps_core::pktdrill::{Mode, Outcome, missing_feature, run_script};

#[test]
fn the_corpus_passes_in_strict_mode() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pktdrill");
    let mut scripts: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pkt"))
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 10, "the corpus is in {dir}");
    let mut failures = Vec::new();
    for path in &scripts {
        let text = std::fs::read_to_string(path).unwrap();
        let first = text.lines().next().unwrap_or("");
        assert!(
            first.starts_with("// RFC"),
            "{}: a script names the RFC sentence it checks first",
            path.display()
        );
        match run_script(&text, Mode::Strict) {
            Outcome::Passed => {}
            // A build without the cargo feature the script needs (the
            // lean test run) skips it, and says so.
            Outcome::Skipped(why) if missing_feature(&text).is_some() => {
                println!("{}: skipped, {why}", path.display())
            }
            other => failures.push(format!("{}: {other}", path.display())),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_defect_of_the_tcp_second_pass_has_a_script() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pktdrill");
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for defect in 1..=9 {
        let prefix = format!("second-pass-{defect}-");
        assert!(
            names
                .iter()
                .any(|n| n.starts_with(&prefix) && n.ends_with(".pkt")),
            "no script for the second pass's defect {defect} ({prefix}*.pkt)"
        );
    }
}

const HANDSHAKE: &str = "
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 65535 <mss 1460>
";

fn failed(script: &str) -> (usize, String) {
    match run_script(script, Mode::Strict) {
        Outcome::Failed(f) => (f.line, f.message),
        other => panic!("expected a failure, got {other}"),
    }
}

#[test]
fn a_wrong_field_fails_with_both_segments() {
    let script = format!("{HANDSHAKE}+0  > S. 0:0(0) ack 2 <mss 1460>\n");
    let (line, message) = failed(&script);
    assert_eq!(line, 6);
    assert!(
        message.contains("expected: S. 0:0(0) ack 2 <mss 1460>"),
        "{message}"
    );
    assert!(
        message.contains("sent:     S. 0:0(0) ack 1 win 65535 <mss 1460>"),
        "{message}"
    );
    assert!(message.contains("(acknowledgment number)"), "{message}");
    assert!(
        message.contains("as the logs decode it") && message.contains("flg: 0x12 (---A--S-)"),
        "the headers decoded: {message}"
    );
    assert!(message.contains("SYN-RECEIVED"), "the TCP state: {message}");
}

#[test]
fn each_field_is_compared() {
    for (line, why) in [
        ("> S 0:0(0) ack 1 <mss 1460>", "flags"),
        ("> S. 0:0(0) ack 1 win 1000 <mss 1460>", "window"),
        ("> S. 0:0(0) ack 1 <mss 536>", "options"),
        ("> S. 0:0(0) ack 1 <nop,mss 1460>", "options"),
    ] {
        let (_, message) = failed(&format!("{HANDSHAKE}+0  {line}\n"));
        assert!(message.contains(&format!("({why})")), "{line}: {message}");
    }
    // The SYN's sequence number gives our ISN; the others count from it.
    let established = format!(
        "{HANDSHAKE}+0  > S. 0:0(0) ack 1 <mss 1460>\n+.1 < . 1:1(0) ack 1 win 65535\n+0  accept(3, ..., ...) = 4\n+0  write(4, ..., 10) = 10\n"
    );
    for (line, why) in [
        ("> P. 2:12(10) ack 1", "sequence number"),
        ("> . 1:11(10) ack 1", "flags"),
    ] {
        let (_, message) = failed(&format!("{established}+0  {line}\n"));
        assert!(message.contains(&format!("({why})")), "{line}: {message}");
    }
    // Segments aggregate up to the script's length (packetdrill's rule), so
    // a short one is waited for, then reported.
    let (_, message) = failed(&format!("{established}+0  > P. 1:12(11) ack 1\n"));
    assert!(message.contains("10 of it by"), "{message}");
    let right = format!("{established}+0  > P. 1:11(10) ack 1\n");
    assert_eq!(run_script(&right, Mode::Strict), Outcome::Passed);
}

#[test]
fn a_segment_at_the_wrong_time_fails() {
    let late = format!("{HANDSHAKE}+1  > S. 0:0(0) ack 1 <mss 1460>\n");
    assert!(failed(&late).1.contains("too early"));
    let script = format!(
        "{HANDSHAKE}+0  > S. 0:0(0) ack 1 <mss 1460>\n+.1 < . 1:1(0) ack 1 win 65535\n+0  accept(3, ..., ...) = 4\n+0  < P. 1:101(100) ack 1 win 65535\n+0  > . 1:1(0) ack 101\n"
    );
    let (line, message) = failed(&script);
    assert_eq!(line, 10, "the delayed ACK is not immediate");
    assert!(message.contains("nothing by"), "{message}");
}

#[test]
fn a_segment_the_script_does_not_expect_fails() {
    let (line, message) = failed(&format!("{HANDSHAKE}+1  close(3) = 0\n"));
    assert_eq!(line, 6);
    assert!(message.contains("does not expect"), "{message}");
}

#[test]
fn results_and_errnos_are_compared() {
    let (_, message) = failed(&format!("{HANDSHAKE}+0  listen(3, 1) = 7\n"));
    assert!(
        message.contains("expected: = 7") && message.contains("returned: = 0"),
        "{message}"
    );
    let script = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 connect(3, ..., ...) = 0\n";
    let (_, message) = failed(script);
    assert!(message.contains("returned: = -1 EINPROGRESS"), "{message}");
    let blocking = format!("{HANDSHAKE}+0  accept(3, ..., ...) = 4\n");
    assert!(failed(&blocking).1.contains("blocks"));
}

#[test]
fn what_the_runner_does_not_model_is_skipped_never_passed() {
    for (script, why) in [
        ("0 `cat /proc/net/sockstat | grep TCP`\n", "command"),
        (
            "--mss=1000\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
            "option --mss",
        ),
        ("0 < icmp echo_request [1:1(0)]\n", "ICMP type"),
        (
            "0 > icmp unreachable port_unreachable [1:1(0)]\n",
            "packets of kind 'icmp'",
        ),
        (
            "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n",
            "socket type",
        ),
        (
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 ioctl(3, SIOCINQ, [0]) = 0\n",
            "ioctl",
        ),
    ] {
        match run_script(script, Mode::Strict) {
            Outcome::Skipped(w) => assert!(w.contains(why), "{script}: {w}"),
            other => panic!("{script}: {other}"),
        }
    }
}

#[test]
fn a_blocking_call_returns_when_the_script_says() {
    let script = format!(
        "{HANDSHAKE}+0  > S. 0:0(0) ack 1 <mss 1460>\n+0...0.2 accept(3, ..., ...) = 4\n+.2 < . 1:1(0) ack 1 win 65535\n"
    );
    assert_eq!(run_script(&script, Mode::Strict), Outcome::Passed);
    let early = format!(
        "{HANDSHAKE}+0  > S. 0:0(0) ack 1 <mss 1460>\n+0...0.5 accept(3, ..., ...) = 4\n+.2 < . 1:1(0) ack 1 win 65535\n"
    );
    assert!(failed(&early).1.contains("blocks until"));
    // `+a...b` after an event at 1 s: the call returns at 1.2 s (b counts
    // from the previous event, as packetdrill's adjust_relative_event_times).
    let later = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+1 < S 0:0(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 1 <mss 1460>\n+0...0.2 accept(3, ..., ...) = 4\n+.2 < . 1:1(0) ack 1 win 65535\n";
    assert_eq!(run_script(later, Mode::Strict), Outcome::Passed);
}

#[test]
fn portable_mode_ignores_the_window_value_not_its_being_zero() {
    let script = format!("{HANDSHAKE}+0  > S. 0:0(0) ack 1 win 29200 <mss 1460>\n");
    assert!(matches!(
        run_script(&script, Mode::Strict),
        Outcome::Failed(_)
    ));
    assert_eq!(run_script(&script, Mode::Portable), Outcome::Passed);
    let zero = format!("{HANDSHAKE}+0  > S. 0:0(0) ack 1 win 0 <mss 1460>\n");
    assert!(matches!(
        run_script(&zero, Mode::Portable),
        Outcome::Failed(_)
    ));
}

#[test]
fn sysctls_map_to_the_stack_or_skip_the_script() {
    let established = format!(
        "{HANDSHAKE}+0  > S. 0:0(0) ack 1 <mss 1460>\n+.1 < . 1:1(0) ack 1 win 65535\n+0  accept(3, ..., ...) = 4\n"
    );
    // A knob this runner does not know: skipped, with its name.
    let script = format!("0 `sysctl -q net.ipv4.tcp_nonsense=1`\n{established}");
    match run_script(&script, Mode::Strict) {
        Outcome::Skipped(why) => assert!(why.contains("net.ipv4.tcp_nonsense=1"), "{why}"),
        other => panic!("{other}"),
    }
    // Linux's profile and a feature this stack lacks are accepted.
    let script = format!(
        "0 `../common/defaults.sh`\n+0 `sysctl -q net.ipv4.tcp_sack=1 net.ipv4.tcp_ecn=0`\n{established}"
    );
    assert_eq!(run_script(&script, Mode::Strict), Outcome::Passed);
    // A mapped knob changes what the stack does: Linux's keep-alive time.
    let script = format!(
        "0 `sysctl -q net.ipv4.tcp_keepalive_time=10`\n{established}+0  setsockopt(4, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0\n+10 > . 0:0(0) ack 1\n"
    );
    assert_eq!(run_script(&script, Mode::Strict), Outcome::Passed);
    // The same script with Linux's default (two hours) fails.
    let script = script.replace("tcp_keepalive_time=10", "tcp_keepalive_time=7200");
    assert!(matches!(
        run_script(&script, Mode::Strict),
        Outcome::Failed(_)
    ));
    // Without RFC 5681's restart after idle (Linux's profile turns it off,
    // as packetdrill's set_sysctls.py may), the corpus's restart script
    // sees the whole window go after its idle second.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/pktdrill/rfc5681-4.1-restart-window-after-an-idle-rto.pkt"
    );
    let idle = std::fs::read_to_string(path).unwrap();
    assert_eq!(run_script(&idle, Mode::Strict), Outcome::Passed);
    for off in [
        "`../common/defaults.sh`",
        "`../common/set_sysctls.py /proc/sys/net/ipv4/tcp_slow_start_after_idle=0`",
    ] {
        let script = format!("{off}\n{idle}");
        assert!(
            matches!(run_script(&script, Mode::Strict), Outcome::Failed(_)),
            "{off}"
        );
    }
}

#[test]
fn tolerance_percent_widens_the_window_with_the_interval() {
    // The retransmission is due 300 ms after the segment; the script says
    // 320 ms: 4 ms of tolerance is too little, 10 % of 320 ms enough.
    let script = format!(
        "{HANDSHAKE}+0  > S. 0:0(0) ack 1 <mss 1460>\n+.1 < . 1:1(0) ack 1 win 65535\n+0  accept(3, ..., ...) = 4\n+0  write(4, ..., 10) = 10\n+0  > P. 1:11(10) ack 1\n+.32 > P. 1:11(10) ack 1\n"
    );
    assert!(matches!(
        run_script(&script, Mode::Strict),
        Outcome::Failed(_)
    ));
    let script = format!("--tolerance_percent=10\n{script}");
    assert_eq!(run_script(&script, Mode::Strict), Outcome::Passed);
}

#[test]
fn a_syns_numbers_are_absolute_and_the_others_relative() {
    // packetdrill's numbering with ISNs other than 0 (as Linux's Fast Open
    // scripts write them): the SYN's sequence number and the SYN,ACK's
    // numbers as written, everything after relative to the two ISNs.
    let script = "
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 999000:999000(0) win 65535 <mss 1460>
+0  > S. 1234:1234(0) ack 999001 <mss 1460>
+.1 < . 1:1(0) ack 1 win 65535
+0  accept(3, ..., ...) = 4
+0  < P. 1:11(10) ack 1 win 65535
+0  write(4, ..., 10) = 10
+0  > P. 1:11(10) ack 11
";
    assert_eq!(run_script(script, Mode::Strict), Outcome::Passed);
    assert_eq!(run_script(script, Mode::Portable), Outcome::Passed);
    let wrong = script.replace("ack 999001", "ack 1");
    assert!(matches!(
        run_script(&wrong, Mode::Strict),
        Outcome::Failed(_)
    ));
}

#[test]
fn a_segment_nobody_expects_at_the_end_fails_the_script() {
    // An out-of-order segment gets an immediate duplicate ACK; a script
    // that ends there without saying so fails.
    let script = format!(
        "{HANDSHAKE}+0  > S. 0:0(0) ack 1 <mss 1460>\n+.1 < . 1:1(0) ack 1 win 65535\n+0  accept(3, ..., ...) = 4\n+0  < . 101:201(100) ack 1 win 65535\n"
    );
    let (line, message) = failed(&script);
    assert_eq!(line, 0, "{message}");
    assert!(
        message.contains("does not expect") && message.contains("ack 1"),
        "{message}"
    );
    let script = format!("{script}+0  > . 1:1(0) ack 1\n");
    assert_eq!(run_script(&script, Mode::Strict), Outcome::Passed);
}

#[test]
fn the_corpus_passes_in_portable_mode_too() {
    // What strict mode accepts, portable mode accepts: it compares less,
    // and checks that our right edge never moves left.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pktdrill");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let outcome = run_script(&text, Mode::Portable);
        if missing_feature(&text).is_some() {
            assert!(matches!(outcome, Outcome::Skipped(_)), "{}", path.display());
            continue;
        }
        assert_eq!(outcome, Outcome::Passed, "{}", path.display());
    }
}

#[test]
fn a_stack_with_one_rule_flipped_fails_the_scripts_line_readably() {
    // The corpus's RFC 5961 3.2 script against a stack that takes any RST
    // in the window (the mitigation off, as RFC 793 had it): the
    // challenge ACK never comes, and the failure says where and why.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/pktdrill/rfc5961-3.2-in-window-rst-gets-a-challenge-ack.pkt"
    );
    let script = std::fs::read_to_string(path).unwrap();
    assert_eq!(run_script(&script, Mode::Strict), Outcome::Passed);
    let flipped = format!("`sysctl -w microps.tcp.rfc5961_rst=0`\n{script}");
    let Outcome::Failed(f) = run_script(&flipped, Mode::Strict) else {
        panic!("the flipped rule must fail the script");
    };
    assert_eq!(f.text, "+0  > . 1:1(0) ack 1", "{f}");
    assert!(f.message.contains("expected: . 1:1(0) ack 1"), "{f}");
    assert!(f.message.contains("sent:     nothing"), "{f}");
    assert!(
        f.message.contains("CLOSED"),
        "the connection was reset: {f}"
    );
}

#[test]
fn mangled_scripts_never_panic_the_parser_or_the_runner() {
    // Scripts with characters replaced, dropped or repeated, and lines cut
    // short: each parses, or fails to with a line number; some run. None
    // may panic or hang.
    use microps_core::pktdrill::parse::parse;
    use microps_core::rand::Rng;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pktdrill");
    let mut scripts: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    scripts.sort();
    let alphabet = b" \n+-.:,()[]{}<>`%=/0123456789SFRPUEW.acklwinmss...";
    let mut rng = Rng::new(0x5eed);
    let mut ran = 0;
    for round in 0..3000u32 {
        let base = scripts[round as usize % scripts.len()].as_bytes();
        let mut text = base.to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(text.len() as u32) as usize;
            match rng.below(4) {
                0 => text[at] = alphabet[rng.below(alphabet.len() as u32) as usize],
                1 => {
                    text.remove(at);
                }
                2 => {
                    let c = text[at];
                    text.insert(at, c);
                }
                _ => text.truncate(at),
            }
            if text.is_empty() {
                break;
            }
        }
        let text = String::from_utf8_lossy(&text);
        if parse(&text).is_ok() && round % 10 == 0 {
            let _ = run_script(&text, Mode::Portable);
            ran += 1;
        }
    }
    assert!(ran > 50, "enough mangled scripts parsed to run: {ran}");
}
