//! `--etcd-endpoint` against a real etcd (Debian's `etcd-server`), started on loopback ports
//! for each test and stopped after it. etcd is `$ETCD_BIN`, else `/usr/bin/etcd`; openssl (for
//! the test certificates) is `$OPENSSL`, else `/usr/bin/openssl`: pinned paths, never whatever
//! is on PATH. Without them the tests fail and say how to install them (`scripts/test` does).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mcp_diag_live::etcd::{EtcdEndpoint, probe};

/// A tool at `$var`, else at its Debian path; panics with how to install it when it is not there.
fn tool(var: &str, debian_path: &str, package: &str) -> PathBuf {
    let (path, from) = match std::env::var_os(var) {
        Some(p) if !p.is_empty() => (PathBuf::from(p), format!("${var}")),
        _ => (PathBuf::from(debian_path), "the Debian package's path".to_owned()),
    };
    assert!(
        path.is_file(),
        "{} not found ({from}): run scripts/test once (it installs it), or `apt-get install {package}`, \
         or set {var} to the binary",
        path.display()
    );
    path
}

fn etcd_binary() -> PathBuf {
    tool("ETCD_BIN", "/usr/bin/etcd", "etcd-server")
}

fn openssl_binary() -> PathBuf {
    tool("OPENSSL", "/usr/bin/openssl", "openssl")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A single-member etcd in a temporary directory; killed on drop.
struct Etcd {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts etcd; `tls` is (cert, key, ca) for a client-certificate-authenticated endpoint.
fn start_etcd(tls: Option<(&Path, &Path, &Path)>, extra: &[&str]) -> Etcd {
    let bin = etcd_binary();
    let dir = tempfile::tempdir().unwrap();
    let (client, peer) = (free_port(), free_port());
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://127.0.0.1:{client}");
    let peer_url = format!("http://127.0.0.1:{peer}");
    let mut cmd = Command::new(bin);
    cmd.arg("--name=t")
        .arg(format!("--data-dir={}", dir.path().join("data").display()))
        .arg(format!("--listen-client-urls={url}"))
        .arg(format!("--advertise-client-urls={url}"))
        .arg(format!("--listen-peer-urls={peer_url}"))
        .arg(format!("--initial-advertise-peer-urls={peer_url}"))
        .arg(format!("--initial-cluster=t={peer_url}"))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some((cert, key, ca)) = tls {
        cmd.arg(format!("--cert-file={}", cert.display()))
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--trusted-ca-file={}", ca.display()))
            .arg("--client-cert-auth");
    }
    let child = cmd.spawn().expect("start etcd");
    let etcd = Etcd {
        child,
        url,
        _dir: dir,
    };
    // Ready when the client port accepts connections.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", client)).is_err() {
        assert!(
            Instant::now() < deadline,
            "etcd did not start listening on {client}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    etcd
}

fn installed_version() -> String {
    let out = Command::new(etcd_binary()).arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("etcd Version: "))
        .expect("etcd --version prints its version")
        .trim()
        .to_owned()
}

fn endpoint(url: &str) -> EtcdEndpoint {
    EtcdEndpoint {
        url: url.to_owned(),
        timeout: Duration::from_secs(5),
        ..EtcdEndpoint::default()
    }
}

/// etcd may answer /health 503 for a moment after it starts listening (no leader yet).
async fn probe_until_healthy(endpoint: &EtcdEndpoint) -> mcp_diag_live::etcd::EtcdStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = probe(endpoint).await;
        match status {
            Ok(s) if s.healthy => return s,
            other if Instant::now() > deadline => panic!("etcd never became healthy: {other:?}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

#[tokio::test]
async fn reads_version_and_health_of_a_real_etcd() {
    let etcd = start_etcd(None, &[]);
    let status = probe_until_healthy(&endpoint(&etcd.url)).await;
    assert_eq!(status.server_version, installed_version());
    assert!(status.cluster_version.is_some());
}

#[tokio::test]
async fn a_space_alarm_makes_etcd_unhealthy() {
    // A tiny backend quota, filled through etcd's own JSON gateway: the NOSPACE alarm is raised
    // and /health turns false, as on a cluster whose etcd ran out of space.
    let etcd = start_etcd(None, &["--quota-backend-bytes=200000"]);
    let ep = endpoint(&etcd.url);
    probe_until_healthy(&ep).await;
    let value = base64_of(&vec![b'x'; 60_000]);
    let mut alarmed = false;
    for i in 0..200 {
        let body = format!(
            "{{\"key\":\"{}\",\"value\":\"{value}\"}}",
            base64_of(format!("k{i}").as_bytes())
        );
        let status = post(&etcd.url, "/v3/kv/put", &body).await;
        if status == 429 || status >= 500 {
            alarmed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(alarmed, "etcd never refused a write");
    let status = probe(&ep).await.unwrap();
    assert!(!status.healthy, "{status:?}");
    assert!(status.health_detail.contains("503"), "{}", status.health_detail);
}

#[tokio::test]
async fn unreachable_and_bad_urls_are_errors_that_say_so() {
    let port = free_port();
    let e = probe(&endpoint(&format!("http://127.0.0.1:{port}")))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cannot reach etcd"), "{e}");
    let e = probe(&endpoint("127.0.0.1:2379")).await.unwrap_err();
    assert!(e.to_string().contains("https://"), "{e}");
    let mut half = endpoint("https://127.0.0.1:2379");
    half.cert = Some(PathBuf::from("/nonexistent.pem"));
    let e = probe(&half).await.unwrap_err();
    assert!(e.to_string().contains("go together"), "{e}");
}

#[tokio::test]
async fn client_certificates_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let etcd = start_etcd(Some((&pki.server_cert, &pki.server_key, &pki.ca)), &[]);
    let mut ep = endpoint(&etcd.url);
    ep.cacert = Some(pki.ca.clone());
    ep.cert = Some(pki.client_cert.clone());
    ep.key = Some(pki.client_key.clone());
    let status = probe_until_healthy(&ep).await;
    assert_eq!(status.server_version, installed_version());
    // Without the client certificate etcd refuses the handshake.
    let mut anonymous = endpoint(&etcd.url);
    anonymous.cacert = Some(pki.ca.clone());
    assert!(probe(&anonymous).await.is_err());
}

struct Pki {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
fn make_pki(dir: &Path) -> Pki {
    let openssl = openssl_binary();
    let run = |args: &[&str]| {
        let ok = Command::new(&openssl)
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "openssl {args:?} failed");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n",
    )
    .unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for (name, ext) in [("server", "server.ext"), ("client", "client.ext")] {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let pem = format!("{name}.pem");
        let subj = format!("/CN={name}");
        run(&[
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj", &subj,
        ]);
        run(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &pem,
            "-days",
            "2",
            "-extfile",
            ext,
        ]);
    }
    Pki {
        ca: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn post(base: &str, path: &str, body: &str) -> u16 {
    let client = reqwest::Client::new();
    match client
        .post(format!("{base}{path}"))
        .body(body.to_owned())
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}
