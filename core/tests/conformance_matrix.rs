//! Keeps docs/CONFORMANCE.md honest: every row marked `met` names evidence
//! that exists (a script of `tests/pktdrill/`, which must pass, or a
//! `#[test]` function under `core/` or `drivers-linux/`), every MUST-n,
//! SHLD-n and MAY-n id of
//! RFC 9293 Appendix B has a row, and the counts at the end are what the
//! rows say.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use microps_core::pktdrill::{Mode, Outcome, missing_feature, run_script};

const STATUSES: [&str; 5] = ["met", "not met", "n/a", "optional, not done", "deviation"];

#[derive(Debug)]
struct Row {
    table: String,
    id: String,
    requirement: String,
    status: String,
    evidence: String,
    line: usize,
}

fn core_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn matrix() -> String {
    let path = core_dir().join("../docs/CONFORMANCE.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A table line's cells.
fn cells(line: &str) -> Vec<&str> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .collect()
}

/// The requirement tables' rows (not the counts table).
fn rows(text: &str) -> Vec<Row> {
    let mut table = String::new();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(h) = line.strip_prefix("## ") {
            table = h.trim().to_string();
            continue;
        }
        if table == "Counts" || !line.starts_with("| ") || line.starts_with("| Id ") {
            continue;
        }
        let cells = cells(line);
        assert_eq!(cells.len(), 4, "line {}: four cells: {line}", i + 1);
        out.push(Row {
            table: table.clone(),
            id: cells[0].to_string(),
            requirement: cells[1].to_string(),
            status: cells[2].to_string(),
            evidence: cells[3].to_string(),
            line: i + 1,
        });
    }
    out
}

/// Every `#[test]` function's name in the Rust files under `dir`.
fn test_names(dir: &Path, names: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            test_names(&path, names);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            // A `#[test]` that is not `#[ignore]`d: evidence runs.
            let mut after_test = false;
            let mut ignored = false;
            for line in text.lines().map(str::trim) {
                if line.starts_with("#[test]") {
                    after_test = true;
                    ignored = false;
                } else if line.starts_with("#[ignore") {
                    ignored = true;
                } else if after_test && let Some(rest) = line.strip_prefix("fn ") {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !ignored {
                        names.insert(name);
                    }
                    after_test = false;
                } else if !line.starts_with("#[") && !line.starts_with("//") {
                    after_test = false;
                }
            }
        }
    }
}

/// A row's level: MUST, SHOULD (SHOULD, MAY and RECOMMENDED outside RFC
/// 9293), MAY (RFC 9293), or rule (RFC 6582).
fn level(row: &Row) -> &'static str {
    if row.table.starts_with("RFC 9293") {
        match row.id.split('-').next() {
            Some("MUST") => "MUST",
            Some("SHLD") => "SHOULD",
            Some("MAY") => "MAY",
            _ => panic!(
                "line {}: an RFC 9293 id is MUST-n, SHLD-n or MAY-n",
                row.line
            ),
        }
    } else if row.table == "RFC 6582" {
        "rule"
    } else if ["(SHOULD)", "(MAY)", "(RECOMMENDED)"]
        .iter()
        .any(|p| row.requirement.starts_with(p))
    {
        "SHOULD"
    } else {
        "MUST"
    }
}

#[test]
fn every_met_row_names_evidence_that_exists_and_passes() {
    let text = matrix();
    let rows = rows(&text);
    assert!(rows.len() > 150, "the matrix has its rows");
    let mut tests = BTreeSet::new();
    for dir in [
        "src",
        "tests",
        "../drivers-linux/src",
        "../drivers-linux/tests",
    ] {
        test_names(&core_dir().join(dir), &mut tests);
    }
    let scripts = core_dir().join("tests/pktdrill");
    let mut problems = Vec::new();
    for row in &rows {
        let at = format!("line {} ({})", row.line, row.id);
        if !STATUSES.contains(&row.status.as_str()) {
            problems.push(format!("{at}: status '{}'", row.status));
        }
        if row.evidence.is_empty() {
            problems.push(format!("{at}: no evidence or reason"));
        }
        if row.status != "met" {
            continue;
        }
        let items: Vec<&str> = row.evidence.split(',').map(str::trim).collect();
        for item in &items {
            if let Some(name) = item.strip_prefix("test:") {
                if !tests.contains(name) {
                    problems.push(format!("{at}: no #[test] fn {name}"));
                }
            } else if let Some(file) = item.strip_prefix("pkt:") {
                match std::fs::read_to_string(scripts.join(file)) {
                    Err(_) => problems.push(format!("{at}: no script {file}")),
                    Ok(script) => match run_script(&script, Mode::Strict) {
                        Outcome::Passed => {}
                        // (A lean build lacks the feature the script needs.)
                        Outcome::Skipped(_) if missing_feature(&script).is_some() => {}
                        other => problems.push(format!("{at}: {file}: {other}")),
                    },
                }
            } else {
                problems.push(format!("{at}: met, but '{item}' is no pkt: or test:"));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_id_of_rfc_9293_appendix_b_has_a_row() {
    let text = matrix();
    let ids: BTreeSet<String> = rows(&text)
        .into_iter()
        .filter(|r| r.table.starts_with("RFC 9293"))
        .map(|r| r.id)
        .collect();
    let mut missing = Vec::new();
    for (prefix, last) in [("MUST", 69), ("SHLD", 31), ("MAY", 18)] {
        for n in 1..=last {
            let id = format!("{prefix}-{n}");
            if !ids.contains(&id) {
                missing.push(id);
            }
        }
    }
    assert!(missing.is_empty(), "no row for {missing:?}");
}

#[test]
fn the_counts_are_what_the_rows_say() {
    let text = matrix();
    // (table, level) -> (met, applicable, rows)
    let mut counted: BTreeMap<(String, String), (u32, u32, u32)> = BTreeMap::new();
    for row in rows(&text) {
        let c = counted
            .entry((row.table.clone(), level(&row).to_string()))
            .or_default();
        c.2 += 1;
        if row.status != "n/a" {
            c.1 += 1;
        }
        if row.status == "met" {
            c.0 += 1;
        }
    }
    let mut written = BTreeMap::new();
    let counts = text.split("## Counts").nth(1).expect("a Counts section");
    for line in counts.lines().filter(|l| l.starts_with("| RFC")) {
        let cells = cells(line);
        let n = |i: usize| cells[i].parse::<u32>().unwrap();
        written.insert(
            (cells[0].to_string(), cells[1].to_string()),
            (n(2), n(3), n(4)),
        );
    }
    assert_eq!(written, counted, "the Counts table against the rows");
}
