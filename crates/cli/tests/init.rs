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
fn init_without_a_path_reads_the_live_cluster_and_says_when_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-kubeconfig");
    let out = Command::cargo_bin("mcp-diag")
        .unwrap()
        .env("NO_COLOR", "1")
        .env("KUBECONFIG", &missing)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args(["init"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("hint:"), "{stderr}");
}

const DEMO: &str = "../../../examples/demo-cluster";

#[test]
fn init_of_the_demo_writes_services_probes_and_settings_that_every_reader_accepts() {
    let (code, stdout, stderr) = mcp_diag(&["init", DEMO]);
    assert_eq!(code, 0, "{stderr}");
    // The cluster runs 1.29: the next minor is the target.
    assert!(stdout.contains("target_version: \"1.30\""), "{stdout}");
    // Services found, with their evidence and versions.
    assert!(stdout.contains("  shop/order-svc:\n"), "{stdout}");
    assert!(
        stdout.contains(
            "- \"shop/payment-gw:http\"  # Deployment order: env PAYMENT_URL=http://payment-gw.shop.svc:9090"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("runs 1.9.4"), "{stdout}");
    // The annotation's requirement is shown, not copied into the file.
    assert!(
        stdout.contains("# declared in the cluster or this file: requires profile-svc api >=v2"),
        "{stdout}"
    );
    // Probes: the readiness path on the Service's port, and kinds by appProtocol or image.
    assert!(
        stdout.contains("url: \"http://profile-svc.shop.svc.cluster.local:80/readyz\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("url: \"redis://redis.data.svc.cluster.local:6379\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("url: \"grpc://payment-gw.shop.svc.cluster.local:9090\""),
        "{stdout}"
    );
    // A headless Service beside its Service gets no second probe.
    assert!(!stdout.contains("redis-headless.data"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mcp-diag.yaml");
    std::fs::write(&file, &stdout).unwrap();
    let file = file.to_str().unwrap();
    // scan reads it (0, 2 or 3 are findings; 1 would be a refused config) ...
    let (code, _, stderr) = mcp_diag(&["scan", "--config", file, DEMO, "-o", "json"]);
    assert_ne!(code, 1, "scan --config refused the generated config: {stderr}");
    // ... and so does the services reader, with no problem.
    mcp_diag_services::declared::load(std::path::Path::new(file)).unwrap_or_else(|e| panic!("{e:?}"));
}

#[test]
fn init_upgrade_of_a_cluster_adds_the_rollout_sections() {
    let (code, stdout, stderr) = mcp_diag(&["init", DEMO, "--upgrade"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("services:\n"), "{stdout}");
    let config = mcp_diag_rollout::config_file::parse(&stdout, Path::new("mcp-diag.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.upgrade.waves, vec![1, 10, 50, 100]);
}

#[test]
fn init_update_keeps_the_file_and_adds_only_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mcp-diag.yaml");
    let mine = "# our config\nfail_on: medium   # stricter than the default\n\nservices:\n  # we own this one\n  shop/order-svc:\n    requires:\n      payment-gw: {protocol: grpc}\n\nprobes:\n  - name: \"ours\"\n    url: \"http://127.0.0.1:1/healthz\"\n";
    std::fs::write(&file, mine).unwrap();
    let f = file.to_str().unwrap();
    let (code, _, stderr) = mcp_diag(&["init", DEMO, "--update", f]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("added"), "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();
    // Everything that was there is still there, as it was.
    let mut lines = text.lines();
    for kept in mine.lines() {
        assert!(lines.any(|l| l == kept), "{kept:?} lost or moved:\n{text}");
    }
    assert!(text.contains("fail_on: medium   # stricter than the default"));
    assert!(!text.contains("fail_on: high"), "{text}");
    assert_eq!(text.matches("  shop/order-svc:\n").count(), 1, "{text}");
    // New services and probes are added to the existing sections.
    assert!(text.contains("  shop/user-auth:\n"), "{text}");
    assert!(
        text.contains("redis://redis.data.svc.cluster.local:6379"),
        "{text}"
    );
    assert_eq!(text.matches("\nservices:").count(), 1, "{text}");
    assert_eq!(text.matches("\nprobes:").count(), 1, "{text}");
    mcp_diag_services::declared::load(&file).unwrap_or_else(|e| panic!("{e:?}"));

    // A second run finds nothing new and changes nothing.
    let (code, _, stderr) = mcp_diag(&["init", DEMO, "--update", f]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("up to date"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn init_update_refuses_a_file_with_unknown_keys_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mcp-diag.yaml");
    std::fs::write(
        &file,
        "fail_on: high\nservices:\n  shop/user-auth:\n    requiress: {}\n",
    )
    .unwrap();
    let (code, _, stderr) = mcp_diag(&["init", DEMO, "--update", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("mcp-diag.yaml:4:5"), "{stderr}");
    assert!(stderr.contains("requiress"), "{stderr}");
    // The file is left as it was.
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .ends_with("requiress: {}\n")
    );
}

#[test]
fn init_of_a_live_cluster_names_its_context_and_scan_reads_it_from_clusters() {
    use mcp_diag_emulator::{Emulator, Options};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let inventory = mcp_diag_sources::read_snapshot(&root.join("examples/demo-cluster")).unwrap();
    let emu = rt
        .block_on(Emulator::start(inventory, Options::default()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kc");
    std::fs::write(&kc, emu.kubeconfig("emu")).unwrap();
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("mcp-diag")
            .unwrap()
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, config, stderr) = run(&["init", "--kubeconfig", kc.to_str().unwrap(), "--context", "emu"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(config.contains("clusters:\n  - context: \"emu\"\n"), "{config}");
    assert!(config.contains("  shop/order-svc:\n"), "{config}");
    // The file names the kubeconfig beside it; a scan with no path and no --context reads
    // the cluster the file names.
    let file = dir.path().join("mcp-diag.yaml");
    std::fs::write(
        &file,
        config.replace(
            "  - context: \"emu\"\n",
            "  - context: \"emu\"\n    kubeconfig: kc\n",
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = run(&["scan", "--config", file.to_str().unwrap(), "-o", "json"]);
    assert_ne!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["clusters"][0]["name"], "emu", "{stdout}");
    rt.block_on(emu.stop());
}
