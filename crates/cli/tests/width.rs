//! The reports at a given terminal width: the demo scan and plan at 80 and 120 columns
//! (snapshots), no line wider than the terminal unless it is one word that cannot break,
//! and no identifier cut across two lines.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;

const DEMO: &str = "examples/demo-cluster";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary from the repository root at `columns` columns, without colour, with a
/// pinned date and clock so that the output is the same on every run.
fn at_width(columns: u16, args: &[&str]) -> Run {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::cargo_bin("mcp-diag")
        .unwrap()
        .current_dir(root)
        .env_remove("NO_COLOR")
        .env("COLUMNS", columns.to_string())
        .env("MCP_DIAG_NOW", "2026-11-26T03:00:00Z")
        .args(args)
        .args(["--color", "never", "--today", "2026-11-25"])
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

impl Run {
    fn snapshot(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn scan(columns: u16) -> Run {
    let run = at_width(columns, &["scan", DEMO]);
    assert_eq!(run.code, 3, "{}", run.snapshot());
    run
}

fn compact(columns: u16) -> Run {
    let run = at_width(columns, &["scan", "--compact", DEMO]);
    assert_eq!(run.code, 3, "{}", run.snapshot());
    run
}

fn plan(columns: u16) -> Run {
    let run = at_width(columns, &["plan", DEMO]);
    assert_eq!(run.code, 3, "{}", run.snapshot());
    run
}

/// The JSON report of the demo: where the identifiers to look for come from.
fn demo_json() -> serde_json::Value {
    let run = at_width(80, &["scan", "-o", "json", DEMO]);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.stderr))
}

#[test]
fn demo_scan_at_80_columns() {
    insta::assert_snapshot!(scan(80).snapshot());
}

#[test]
fn demo_scan_at_120_columns() {
    insta::assert_snapshot!(scan(120).snapshot());
}

#[test]
fn demo_scan_compact_at_80_columns() {
    insta::assert_snapshot!(compact(80).snapshot());
}

#[test]
fn demo_plan_at_80_columns() {
    insta::assert_snapshot!(plan(80).snapshot());
}

#[test]
fn demo_plan_at_120_columns() {
    insta::assert_snapshot!(plan(120).snapshot());
}

/// Lines longer than `columns`, other than a single word that no break could shorten.
fn too_wide(text: &str, columns: usize) -> Vec<String> {
    text.lines()
        .filter(|line| line.chars().count() > columns)
        .filter(|line| line.split_whitespace().count() > 1)
        .map(str::to_owned)
        .collect()
}

#[test]
fn no_line_is_wider_than_the_terminal() {
    for columns in [60, 80, 100, 120, 160] {
        let width = usize::from(columns);
        for (what, run) in [
            ("scan", scan(columns)),
            ("scan --compact", compact(columns)),
            ("plan", plan(columns)),
        ] {
            let wide = too_wide(&run.stdout, width);
            assert!(
                wide.is_empty(),
                "{what} at {columns} columns has lines wider than that:\n{}",
                wide.join("\n")
            );
        }
    }
}

#[test]
fn the_width_check_itself_catches_a_wide_line() {
    assert_eq!(too_wide("a b\nshort\n", 3), Vec::<String>::new());
    assert_eq!(too_wide("a b c\n", 3), ["a b c"]);
    // One word is let through: breaking it would cut an identifier.
    assert!(too_wide("  examples/demo-cluster/deployments.yaml:1\n", 10).is_empty());
}

/// Every check id, object name, `namespace/name` and `file:line` in the demo's findings, and
/// the words of their messages and fixes that look like names (a `/`, `.`, `:` or `-` inside).
fn identifiers(json: &serde_json::Value) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for f in json["clusters"][0]["findings"].as_array().unwrap() {
        ids.insert(f["check"].as_str().unwrap().to_owned());
        let object = &f["object"];
        if let Some(name) = object["name"].as_str() {
            ids.insert(name.to_owned());
            if let Some(ns) = object["namespace"].as_str() {
                ids.insert(format!("{ns}/{name}"));
            }
        }
        if let Some(file) = f["location"]["file"].as_str() {
            ids.insert(format!("{file}:{}", f["location"]["line"]));
        }
        for key in ["message", "remediation"] {
            for word in f[key].as_str().unwrap().split_whitespace() {
                let word = word.trim_matches(|c: char| !c.is_alphanumeric());
                if word.contains(['/', '.', ':', '-']) {
                    ids.insert(word.to_owned());
                }
            }
        }
    }
    ids
}

/// Whether `id` shows up cut in two: a word of one line ending with its head and a word of
/// the next line starting with the rest. Every word counts, not only the last of a line: in a
/// table a cell's line ends between other cells. Cuts leave at least two characters on
/// either side, so that a stray letter does not look like half a name.
fn split_in(text: &str, id: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    for pair in lines.windows(2) {
        for end in pair[0].split_whitespace() {
            for cut in 2..id.len().saturating_sub(1) {
                if !id.is_char_boundary(cut) || !end.ends_with(&id[..cut]) {
                    continue;
                }
                let tail = &id[cut..];
                if pair[1].split_whitespace().any(|start| start.starts_with(tail)) {
                    return Some(format!("{}\n{}", pair[0], pair[1]));
                }
            }
        }
    }
    None
}

#[test]
fn no_identifier_is_cut_across_lines() {
    let ids: Vec<String> = identifiers(&demo_json())
        .into_iter()
        // Short names ("web", "data") would be found cut by chance in any two lines.
        .filter(|id| id.len() >= 8)
        .collect();
    assert!(ids.iter().any(|id| id == "tigera-operator/tigera-operator"));
    for columns in [80, 120] {
        for (what, run) in [("scan", scan(columns)), ("plan", plan(columns))] {
            for id in &ids {
                if let Some(lines) = split_in(&run.stdout, id) {
                    panic!("{what} at {columns} columns cuts {id}:\n{lines}");
                }
            }
        }
    }
}

#[test]
fn the_cut_check_itself_finds_a_cut() {
    let text = "x Deployment tigera-op   fix\n  erator/tigera-operator y\n";
    assert!(split_in(text, "tigera-operator/tigera-operator").is_some());
    assert!(
        split_in(
            "tigera-operator/tigera-operator\nnext\n",
            "tigera-operator/tigera-operator"
        )
        .is_none()
    );
}

#[test]
fn the_demo_scan_is_shorter_at_80_columns() {
    // 1,257 lines before this change (issue 11), 739 after; 800 once issue 14 planted the
    // service problems in the demo and their findings name all their evidence.
    let lines = scan(80).stdout.lines().count();
    assert!(lines < 850, "the demo scan takes {lines} lines at 80 columns");
    // One line per finding and per check, and the heading: far shorter than the full report.
    let compact = compact(80).stdout.lines().count();
    assert!(
        compact * 5 < lines,
        "the compact demo scan takes {compact} lines at 80 columns"
    );
}

#[test]
fn compact_only_goes_with_the_table() {
    let run = at_width(80, &["scan", "--compact", "-o", "json", DEMO]);
    assert_eq!(run.code, 1, "{}", run.snapshot());
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("--compact"), "{}", run.stderr);
    assert!(run.stderr.contains("--output table"), "{}", run.stderr);
}

#[test]
fn compact_has_one_entry_per_finding_under_a_heading_per_check() {
    let run = compact(80);
    let json = demo_json();
    let findings = json["clusters"][0]["findings"].as_array().unwrap();
    let headings: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(" (") && !l.starts_with(' ') && l.ends_with(')'))
        .filter(|l| {
            findings
                .iter()
                .any(|f| l.starts_with(&format!("{} (", f["check"].as_str().unwrap())))
        })
        .collect();
    // Each heading counts its findings, and the lines under it are that many.
    let lines: Vec<&str> = run.stdout.lines().collect();
    let mut counted = 0;
    for heading in &headings {
        let count: usize = heading
            .rsplit(", ")
            .next()
            .and_then(|n| n.trim_end_matches(')').parse().ok())
            .unwrap_or_else(|| panic!("no count in {heading:?}"));
        let at = lines.iter().position(|l| l == heading).unwrap();
        // An entry starts at two spaces; a name too long to leave room for the message puts
        // the message on a deeper-indented line of its own.
        let under = lines[at + 1..]
            .iter()
            .take_while(|l| l.starts_with("  ") && !l.trim().is_empty())
            .filter(|l| !l.starts_with("   "))
            .count();
        assert_eq!(under, count, "{heading}");
        counted += count;
    }
    assert_eq!(counted, findings.len());
    assert!(run.stdout.contains("api-removed (high, "));
    assert!(
        run.stdout.lines().all(|l| l.chars().count() <= 80),
        "{}",
        run.stdout
    );
}
