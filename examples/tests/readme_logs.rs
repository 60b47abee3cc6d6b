//! README's log samples are what the demos print (issue 15): each sample
//! line must match a line the demo prints now, in the sample's order, once
//! timestamps, numbers, addresses and checksums are masked; the `(file.rs:line)` of every log
//! line is compared as it is, since that is what drifts when code moves.
//! `README_LOGS=write` rewrites the sample lines whose location moved with
//! what the demo printed (the regeneration); a sample line that matches
//! nothing else fails either way.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;

fn readme_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md")
}

/// A line with everything that changes from run to run masked: the time,
/// numbers (but not a log line's `file.rs:line`), hex, MAC addresses.
fn normalize(line: &str) -> String {
    // Keep the source location aside.
    let (body, location) = match line.rfind(" (") {
        Some(i) if line.ends_with(')') && line[i..].contains(".rs:") => (&line[..i], &line[i..]),
        _ => (line, ""),
    };
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_hexdigit()
            && (c.is_ascii_digit()
                || chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_hexdigit() || *n == ':'))
        {
            // A run of hex digits, dots and colons: a number, an address,
            // a time, a MAC.
            let mut run = String::from(c);
            while let Some(&n) = chars.peek() {
                if n.is_ascii_hexdigit() || n == '.' || n == ':' || n == 'x' {
                    run.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            let word_start = out.chars().last().is_none_or(|p| !p.is_ascii_alphabetic());
            if word_start && run.chars().any(|d| d.is_ascii_digit()) {
                out.push('#');
            } else {
                out.push_str(&run);
            }
        } else {
            out.push(c);
        }
    }
    out + location
}

/// The lines of the fenced block that starts after the line `marker`, with
/// their line numbers in README.md.
fn sample(readme: &str, marker: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = readme.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == marker)
        .unwrap_or_else(|| panic!("README has no line {marker:?}"));
    // A marker outside the block is followed (after blank lines) by the
    // opening fence.
    let mut first = start + 1;
    while lines.get(first).is_some_and(|l| l.trim().is_empty()) {
        first += 1;
    }
    if lines.get(first).is_some_and(|l| l.starts_with("```")) {
        first += 1;
    }
    lines
        .iter()
        .enumerate()
        .skip(first)
        .take_while(|(_, l)| !l.starts_with("```"))
        .filter(|(_, l)| l.trim() != "...")
        .map(|(i, l)| (i, l.to_string()))
        .collect()
}

/// Checks (or, with `README_LOGS=write`, regenerates) the sample after
/// `marker` against `printed`.
fn check_sample(marker: &str, printed: &str) {
    let path = readme_path();
    let readme = std::fs::read_to_string(&path).unwrap();
    let printed: Vec<&str> = printed.lines().collect();
    let write = std::env::var("README_LOGS").is_ok_and(|v| v == "write");
    let exact = |p: &str, want: &str| normalize(p) == normalize(want);
    // The same but for the location of log lines (the code moved).
    let moved = |p: &str, want: &str| {
        let strip = |l: &str| {
            let n = normalize(l);
            match n.rsplit_once(" (") {
                Some((t, loc)) if loc.contains(".rs:") => t.to_string(),
                _ => n,
            }
        };
        strip(p) == strip(want)
    };
    // Each sample line must be printed, in the sample's order (the demos
    // print more than the sample shows).
    let mut missing = Vec::new();
    let mut replace = Vec::new();
    let mut from = 0;
    for (i, line) in sample(&readme, marker) {
        let at = |same: &dyn Fn(&str, &str) -> bool| {
            (from..printed.len()).find(|&k| same(printed[k], &line))
        };
        // Only a line that no longer matches is rewritten: the others keep
        // their times and addresses, so a regeneration changes little.
        let found = match at(&exact) {
            Some(k) => Some(k),
            None if write => at(&moved).inspect(|&k| replace.push((i, printed[k].to_string()))),
            None => None,
        };
        match found {
            Some(k) => from = k + 1,
            None => {
                let near = at(&moved).map(|k| printed[k]);
                missing.push(format!(
                    "README line {}: {line}\n  printed: {near:?}",
                    i + 1
                ));
            }
        }
    }
    if write {
        let mut lines: Vec<String> = readme.lines().map(String::from).collect();
        for (i, l) in replace {
            lines[i] = l;
        }
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }
    assert!(
        missing.is_empty(),
        "README's sample after {marker:?} no longer matches what is printed (fix the code or README; README_LOGS=write rewrites it):\n{}",
        missing.join("\n")
    );
}

#[test]
fn normalize_masks_what_changes_and_keeps_the_location() {
    assert_eq!(
        normalize(
            "09:24:54.326 [I] add_device: registered, dev=net0, mtu=65535 (iface/mod.rs:394)"
        ),
        "# [I] add_device: registered, dev=net0, mtu=# (iface/mod.rs:394)"
    );
    assert_eq!(
        normalize("        src: 16:24:a7:0a:42:db"),
        "        src: #"
    );
    assert_eq!(normalize("        sum: 0x2bb0"), "        sum: #");
    assert_ne!(
        normalize("x (iface/mod.rs:394)"),
        normalize("x (iface/mod.rs:395)")
    );
}

/// The `demo` sample of the quick start.
#[test]
fn the_demo_sample_is_what_demo_prints() {
    let o = std::process::Command::new(bin("demo"))
        .output()
        .expect("run demo");
    assert!(o.status.success(), "{}", text(&o));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    check_sample("$ cargo run -p microps-examples --bin demo", &printed);
}

/// The `-vv` frame dump of the Logs section: tcps -vv on tap0, one ping.
#[test]
fn the_frame_dump_sample_is_what_tcps_prints() {
    if !require_root("the_frame_dump_sample_is_what_tcps_prints") {
        return;
    }
    let ns = tap_namespace("mp-readme");
    let mut server = spawn(&ns, &[&bin("tcps"), "-vv", "7"]);
    wait_until_pingable(&ns, "192.0.2.2");
    let o = run(
        &ns,
        &["ping", "-c", "1", "-s", "56", "192.0.2.2"],
        b"",
        Duration::from_secs(5),
    );
    assert!(o.status.success(), "{}", text(&o));
    std::thread::sleep(Duration::from_millis(200));
    server.interrupt();
    server.wait_timeout(Duration::from_secs(10));
    check_sample("each frame:", &server.log());
}
