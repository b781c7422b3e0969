//! `mcp-diag init --upgrade`: the starter config on standard output, readable by both the
//! rollout (`upgrade`, `rehearse`) and `scan --config`.

use std::path::Path;

use assert_cmd::Command;

fn mcp_diag(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("mcp-diag")
        .unwrap()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"))
        .env("NO_COLOR", "1")
        .env("MCP_DIAG_TODAY", "2026-11-25")
        .env("MCP_DIAG_NOW", "2026-11-26T03:00:00Z")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn init_upgrade_prints_the_starter_and_scan_accepts_it() {
    let (code, stdout, stderr) = mcp_diag(&["init", "--upgrade"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, mcp_diag_rollout::config_file::STARTER);
    let config = mcp_diag_rollout::config_file::parse(&stdout, Path::new("upgrade.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.upgrade.waves, vec![1, 10, 50, 100]);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upgrade.yaml");
    std::fs::write(&file, &stdout).unwrap();
    let file = file.to_str().unwrap();
    let (code, _, stderr) = mcp_diag(&[
        "scan",
        "--config",
        file,
        "--target-version",
        "1.32",
        "fixtures/manifests",
    ]);
    // 0, 2 or 3 depend on the findings; 1 would be a rejected config.
    assert_ne!(code, 1, "scan --config refused the starter: {stderr}");
    assert!(!stderr.contains("unknown field"), "{stderr}");
}

#[test]
fn init_without_a_starter_says_which_one_exists() {
    let (code, stdout, stderr) = mcp_diag(&["init"]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("only the upgrade starter"), "{stderr}");
    assert!(
        stderr.contains("hint: run `mcp-diag init --upgrade > upgrade.yaml`"),
        "{stderr}"
    );
}
