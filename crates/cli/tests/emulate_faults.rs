//! `mcp-diag emulate` as a test bed: tokens (401 without one), roles (403 outside them, in
//! the real server's words) and faults limited to a path, through a child process and plain
//! HTTP requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

/// Kills the emulator when the test ends, passed or not. Its stdout stays open meanwhile:
/// closing it would make the emulator's next line fail and end it.
struct Running {
    child: Child,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `mcp-diag emulate` with `args` on a free port; returns it and its URL.
fn emulate(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcp-diag"))
        .arg("emulate")
        .arg(repo("examples/demo-cluster"))
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first).unwrap();
    let running = Running {
        child,
        _stdout: stdout,
    };
    // "Serving examples/demo-cluster (N objects) at http://127.0.0.1:PORT"
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_owned();
    (running, url)
}

/// One HTTP/1.1 request; (status, JSON body or Null).
fn http(method: &str, url: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let body = if method == "POST" {
        r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"intruder"}}"#
    } else {
        ""
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[test]
fn tokens_roles_and_faults_on_one_path() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let role = repo("deploy/mcp-diag-readonly-clusterrole.yaml");
    let jane = format!("jane=t-jane:{}", role.display());
    let (_emu, url) = emulate(&[
        "--require-token",
        "t-admin",
        "--token",
        &jane,
        "--faults",
        "error=1",
        "--fault-path",
        "^/api/v1/nodes$",
        "--kubeconfig-out",
        kubeconfig.to_str().unwrap(),
    ]);

    // Without a token, or with an unknown one: 401 with the server's Status.
    for token in [None, Some("nope")] {
        let (code, body) = http("GET", &url, "/api/v1/pods", token);
        assert_eq!(code, 401, "{body}");
        assert_eq!(body["kind"], "Status");
        assert_eq!(body["reason"], "Unauthorized");
        assert_eq!(body["message"], "Unauthorized");
        assert_eq!(body["code"], 401);
    }
    // An anonymous write is refused too.
    assert_eq!(http("POST", &url, "/api/v1/namespaces", None).0, 401);

    // The role's token reads what the role grants, and nothing else.
    assert_eq!(http("GET", &url, "/api/v1/pods", Some("t-jane")).0, 200);
    assert_eq!(http("GET", &url, "/api", Some("t-jane")).0, 200);
    let (code, body) = http("GET", &url, "/api/v1/secrets", Some("t-jane"));
    assert_eq!(code, 403, "{body}");
    assert_eq!(body["reason"], "Forbidden");
    assert_eq!(
        body["message"],
        "secrets is forbidden: User \"jane\" cannot list resource \"secrets\" in API group \"\" at the cluster scope"
    );
    assert_eq!(body["details"]["kind"], "secrets");
    let (code, body) = http(
        "GET",
        &url,
        "/apis/apps/v1/namespaces/shop/deployments/web",
        Some("t-jane"),
    );
    assert_eq!(code, 403, "{body}");
    assert_eq!(
        body["message"],
        "deployments.apps \"web\" is forbidden: User \"jane\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"shop\""
    );
    let (code, body) = http("POST", &url, "/api/v1/namespaces", Some("t-jane"));
    assert_eq!(code, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cannot create resource \"namespaces\""),
        "{body}"
    );

    // The admin token may do anything; the fault hits the nodes list only.
    let (code, body) = http("GET", &url, "/api/v1/nodes", Some("t-admin"));
    assert_eq!(code, 500, "{body}");
    assert_eq!(body["reason"], "InternalError");
    assert_eq!(http("GET", &url, "/api/v1/pods", Some("t-admin")).0, 200);
    let (code, nodes) = http("GET", &url, "/api/v1/nodes?limit=1", Some("t-admin"));
    assert_eq!(
        code, 500,
        "the pattern is matched against the path, not the query: {nodes}"
    );
    let (code, _) = http("GET", &url, "/api/v1/nodes/no-such-node", Some("t-admin"));
    assert_eq!(code, 404, "a path the pattern does not match is served");
    let (code, ns) = http("GET", &url, "/api/v1/namespaces/default", Some("t-admin"));
    assert_eq!(code, 200, "{ns}");

    // The kubeconfig written carries the required token.
    let text = std::fs::read_to_string(&kubeconfig).unwrap();
    assert!(text.contains("token: t-admin"), "{text}");
    assert!(text.contains(&format!("server: {url}")), "{text}");
}

#[test]
fn bad_fault_and_token_specs_are_refused_with_the_valid_forms() {
    for (args, says) in [
        (
            vec!["--faults", "boom=0.1"],
            "the faults are: error, throttle, drop, latency",
        ),
        (vec!["--faults", "error=0.7,drop=0.5"], "more than 1"),
        (vec!["--faults", "throttle=2"], "from 0 to 1"),
        (vec!["--fault-path", "(["], "not a regular expression"),
        (
            vec!["--latency", "10ms", "--faults", "latency=5ms"],
            "given twice",
        ),
        (vec!["--token", "no-equals"], "USER=TOKEN"),
        (
            vec!["--token", "jane=t:/no/such/role.yaml"],
            "cannot read /no/such/role.yaml",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mcp-diag"))
            .arg("emulate")
            .arg(repo("examples/demo-cluster"))
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
