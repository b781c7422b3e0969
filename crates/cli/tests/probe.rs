//! `mcp-diag probe` end to end: the binary against real servers on loopback.

use std::path::Path;

use assert_cmd::Command;
use mcp_diag_probe::testing::{HttpServer, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, Postgres, free_port};

fn mcp_diag(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("mcp-diag").unwrap();
    cmd.env("NO_COLOR", "1").env_remove("PGPASSWORD").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn one_url_passes_and_fails_with_the_exit_status() {
    let server = HttpServer::start();
    let url = server.url("/healthz");
    let (code, out, err) = mcp_diag(
        &[
            "probe",
            &url,
            "--expect",
            "200",
            "--latency-p99",
            "2s",
            "--count",
            "20",
            "--concurrency",
            "5",
            "-o",
            "json",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["schema_version"], 1);
    let p = &v["probes"][0];
    assert_eq!(
        (p["attempts"].as_u64(), p["successes"].as_u64()),
        (Some(20), Some(20))
    );
    assert_eq!(p["kind"], "http");
    assert_eq!(p["limits"][0]["name"], "p99");
    assert!(p["latency_ms"]["p99"].as_f64().unwrap() > 0.0);

    // Too slow for its limit: exit 2, the table says why.
    let (code, out, _) = mcp_diag(&["probe", &server.url("/slow"), "--latency-p99", "10ms"], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("FAIL"), "{out}");
    assert!(out.contains("is above the limit 10ms"), "{out}");

    // Refused: exit 2, in words.
    let refused = format!("http://127.0.0.1:{}/", free_port());
    let (code, out, _) = mcp_diag(&["probe", &refused, "-o", "json"], &[]);
    assert_eq!(code, 2);
    assert_eq!(json(&out)["probes"][0]["first_error"], "connection refused");
}

#[test]
fn a_bad_url_on_the_command_line_is_exit_1() {
    let (code, out, err) = mcp_diag(&["probe", "ftp://files.example/"], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("unknown probe kind `ftp`"), "{err}");
    let (code, _, err) = mcp_diag(&["probe", "localhost"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("is not a URL"), "{err}");
    let (code, _, err) = mcp_diag(&["probe"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("nothing to probe"), "{err}");
    let (code, _, err) = mcp_diag(&["probe", "http://127.0.0.1:1/", "--timeout", "0s"], &[]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn config_probes_run_and_bad_entries_fail_alone() {
    let server = HttpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mcp-diag.yaml");
    std::fs::write(
        &file,
        format!(
            "fail_on: high\nprobes:\n  - name: api\n    url: {}\n    latency_p99: 2s\n  - name: typo\n    url: htp://x/\n  - name: nonsense\n    url: not a url\n  - name: token\n    url: {}\n    oauth2:\n      token_url: {}\n      client_id: {OAUTH_CLIENT_ID}\n      client_secret_env: PROBE_SECRET\n",
            server.url("/healthz"),
            server.url("/protected"),
            server.url("/token"),
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let (code, out, err) = mcp_diag(
        &["probe", "--config", file, "-o", "json"],
        &[("PROBE_SECRET", OAUTH_CLIENT_SECRET)],
    );
    assert_eq!(code, 2, "{err}");
    assert!(!out.contains(OAUTH_CLIENT_SECRET), "the secret leaked");
    let v = json(&out);
    assert_eq!(v["summary"]["probes"], 4);
    assert_eq!(v["summary"]["passed"], 2);
    let probes = v["probes"].as_array().unwrap();
    assert_eq!(probes[0]["name"], "api");
    assert_eq!(probes[0]["passed"], true);
    assert_eq!(probes[0]["attempts"], 3, "config probes default to 3 attempts");
    assert!(
        probes[1]["first_error"]
            .as_str()
            .unwrap()
            .contains("unknown probe kind `htp`")
    );
    assert_eq!(probes[1]["kind"], serde_json::Value::Null);
    assert!(
        probes[2]["first_error"]
            .as_str()
            .unwrap()
            .contains("is not a URL")
    );
    assert_eq!(probes[3]["passed"], true, "{}", probes[3]);

    // JUnit: one testcase per probe.
    let (code, out, _) = mcp_diag(&["probe", "--config", file, "-o", "junit"], &[]);
    assert_eq!(code, 2);
    let doc = roxmltree::Document::parse(&out).unwrap();
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 4);
    // Without the secret's variable, the OAuth2 probe fails too.
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("failure")).count(), 3);

    // A flag wins over the config: one attempt each.
    let (_, out, _) = mcp_diag(&["probe", "--config", file, "--count", "1", "-o", "json"], &[]);
    assert_eq!(json(&out)["probes"][0]["attempts"], 1);
}

#[test]
fn config_mistakes_are_exit_1_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.yaml");
    std::fs::write(
        &file,
        "probes:\n  - url: http://a/\n  - url: http://b/\n  - url: http://c/\n    urll: http://d/\n",
    )
    .unwrap();
    let (code, _, err) = mcp_diag(&["probe", "--config", file.to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    let want = format!("{}:5:5: probes[2].urll: unknown key", file.display());
    assert!(err.contains(&want), "{err}");

    let (code, _, err) = mcp_diag(&["probe", "--config", "/nonexistent/mcp-diag.yaml"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read the config file"), "{err}");

    std::fs::write(&file, "upgrade: {}\n").unwrap();
    let (code, _, err) = mcp_diag(&["probe", "--config", file.to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("no probes"), "{err}");
    let _ = Path::new("");
}

#[test]
fn postgres_password_from_pgpassword_and_write() {
    let pg = Postgres::start().unwrap_or_else(|e| panic!("{e}"));
    let url = pg.url(None);
    let (code, out, err) = mcp_diag(
        &["probe", &url, "--write", "-o", "json"],
        &[("PGPASSWORD", Postgres::APP_PASSWORD)],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["probes"][0]["note"], "role: primary");
    let (code, out, _) = mcp_diag(&["probe", &url, "-o", "json"], &[("PGPASSWORD", "nope")]);
    assert_eq!(code, 2);
    assert_eq!(
        json(&out)["probes"][0]["first_error"],
        "Postgres: password authentication failed for user app"
    );
}
