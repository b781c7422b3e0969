//! `--etcd-endpoint` against a real etcd (Debian's `etcd-server`), started on loopback ports
//! for each test and stopped after it. Without etcd installed the tests fail and say how to
//! install it, unless `MCP_DIAG_SKIP_ETCD=1`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mcp_diag_live::etcd::{EtcdEndpoint, probe};

fn etcd_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ETCD_BIN") {
        return Some(PathBuf::from(path));
    }
    ["/usr/bin/etcd", "/usr/local/bin/etcd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
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
fn start_etcd(tls: Option<(&Path, &Path, &Path)>, extra: &[&str]) -> Option<Etcd> {
    let Some(bin) = etcd_binary() else {
        if std::env::var_os("MCP_DIAG_SKIP_ETCD").is_some() {
            return None;
        }
        panic!(
            "etcd not found: install Debian's etcd-server (apt-get install etcd-server) or set ETCD_BIN; MCP_DIAG_SKIP_ETCD=1 skips these tests"
        );
    };
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
    Some(etcd)
}

fn installed_version() -> String {
    let out = Command::new(etcd_binary().unwrap())
        .arg("--version")
        .output()
        .unwrap();
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
    let Some(etcd) = start_etcd(None, &[]) else { return };
    let status = probe_until_healthy(&endpoint(&etcd.url)).await;
    assert_eq!(status.server_version, installed_version());
    assert!(status.cluster_version.is_some());
}

#[tokio::test]
async fn a_space_alarm_makes_etcd_unhealthy() {
    // A tiny backend quota, filled through etcd's own JSON gateway: the NOSPACE alarm is raised
    // and /health turns false, as on a cluster whose etcd ran out of space.
    let Some(etcd) = start_etcd(None, &["--quota-backend-bytes=200000"]) else {
        return;
    };
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
    let Some(pki) = make_pki(dir.path()) else {
        panic!("openssl is needed to make test certificates");
    };
    let Some(etcd) = start_etcd(Some((&pki.server_cert, &pki.server_key, &pki.ca)), &[]) else {
        return;
    };
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
fn make_pki(dir: &Path) -> Option<Pki> {
    let run = |args: &[&str]| {
        let ok = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "openssl {args:?} failed");
    };
    Command::new("openssl").arg("version").output().ok()?;
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
    Some(Pki {
        ca: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
    })
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
