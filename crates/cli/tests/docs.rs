//! Generated documentation stays true: the README's list of checks, knowledge tables and
//! evidence values are the tool's own output, between `<!-- generated: NAME -->` and
//! `<!-- end generated -->`. A stale section fails here; `MCP_DIAG_BLESS=1 cargo test -p
//! mcp-diag --test docs` rewrites it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn output(args: &[&str]) -> String {
    let out = Command::cargo_bin("mcp-diag")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn evidence_list() -> String {
    let mut text = String::from("| evidence | where it was seen |\n|---|---|\n");
    for (value, about) in mcp_diag_model::evidence::ALL {
        text.push_str(&format!("| `{value}` | {about} |\n"));
    }
    text
}

/// Replaces (or checks) every generated section of one file.
fn check_generated(file: &str, sections: &[(&str, String)]) {
    let path = repo(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut fresh = text.clone();
    for (name, body) in sections {
        let start = format!("<!-- generated: {name} -->\n");
        let end = "<!-- end generated -->";
        let from = fresh
            .find(&start)
            .unwrap_or_else(|| panic!("{file} has no `{}` marker", start.trim()))
            + start.len();
        let to = from
            + fresh[from..]
                .find(end)
                .unwrap_or_else(|| panic!("{file}: `{name}` is not closed"));
        fresh.replace_range(from..to, body);
    }
    if fresh == text {
        return;
    }
    if std::env::var_os("MCP_DIAG_BLESS").is_some() {
        std::fs::write(&path, fresh).unwrap();
        return;
    }
    panic!(
        "{file}: a generated section is stale; rerun with MCP_DIAG_BLESS=1 cargo test -p mcp-diag --test docs and review the diff"
    );
}

#[test]
fn readme_lists_are_generated_from_the_registry_and_tables() {
    check_generated(
        "README.md",
        &[
            ("checks", output(&["explain", "--markdown"])),
            ("tables", output(&["data", "--markdown"])),
            ("evidence", evidence_list()),
        ],
    );
}

#[test]
fn every_check_is_in_the_readme_exactly_once() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let listed = output(&["explain", "--markdown"]);
    let rows = listed.lines().filter(|l| l.starts_with("| `")).count();
    let list = output(&["explain"]);
    let ids: Vec<&str> = list
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(rows, ids.len(), "every check has a row");
    for id in ids {
        assert_eq!(readme.matches(&format!("| `{id}` |")).count(), 1, "{id}");
    }
}
