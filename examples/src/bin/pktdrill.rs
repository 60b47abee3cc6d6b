//! `pktdrill [--strict|--portable] [-v] SCRIPT...`: runs packetdrill scripts
//! against a microps stack in virtual time and prints one line per script
//! and `N passed, M failed, K skipped`. Exits 1 if any script failed, 2 on
//! bad usage, an unreadable file, or output that cannot be written (a
//! closed pipe, as `| head` leaves: the run stops there, without a panic).
//!
//! `--strict` (the default) compares every field a script writes;
//! `--portable` is for scripts written for another stack (option order, the
//! window's exact value, `TS val` and `wscale` values not compared). `-v`
//! prints each event as it ran, with the segments the stack sent written as
//! script lines.

use std::io::Write;
use std::process::ExitCode;

use microps_core::pktdrill::{Mode, Outcome, run_script_traced};

fn usage() -> ExitCode {
    eprintln!("usage: pktdrill [--strict|--portable] [-v] SCRIPT...");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut mode = Mode::Strict;
    let mut verbose = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--strict" => mode = Mode::Strict,
            "--portable" => mode = Mode::Portable,
            "-v" | "--verbose" => verbose = true,
            "-h" | "--help" => {
                usage();
                return ExitCode::SUCCESS;
            }
            a if a.starts_with('-') => return usage(),
            f => files.push(f.to_string()),
        }
    }
    if files.is_empty() {
        return usage();
    }
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut stdout = std::io::stdout().lock();
    let mut out = |line: &str| {
        writeln!(stdout, "{line}").map_err(|e| {
            eprintln!("pktdrill: stdout: {e}");
            ExitCode::from(2)
        })
    };
    for file in &files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("pktdrill: {file}: {e}");
                return ExitCode::from(2);
            }
        };
        let (outcome, trace) = run_script_traced(&text, mode);
        if verbose {
            for line in &trace {
                if let Err(code) = out(line) {
                    return code;
                }
            }
        }
        let line = match &outcome {
            Outcome::Passed => {
                passed += 1;
                format!("PASS {file}")
            }
            Outcome::Failed(f) => {
                failed += 1;
                format!("FAIL {file}: {f}")
            }
            Outcome::Skipped(why) => {
                skipped += 1;
                format!("SKIP {file}: unsupported {why}")
            }
        };
        if let Err(code) = out(&line) {
            return code;
        }
    }
    if let Err(code) = out(&format!(
        "{passed} passed, {failed} failed, {skipped} skipped"
    )) {
        return code;
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
