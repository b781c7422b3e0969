//! A TLS API server whose certificate is not signed by the CA in the kubeconfig: the read
//! says so, in those words, at once (a certificate does not change on the next attempt).
//! The server is a TLS listener on loopback with test certificates (`fixtures/tls`) that
//! answers every request 401, which is enough to tell a handshake that failed from one that
//! worked.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use mcp_diag_live::{LiveError, LiveOptions, read};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/tls")
            .join(name),
    )
    .unwrap()
}

/// Serves TLS on a loopback port; returns the port and the count of accepted connections.
fn tls_server() -> (u16, Arc<AtomicUsize>) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs = vec![CertificateDer::from_pem_slice(&fixture("server.crt")).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(&fixture("server.key")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut tcp) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            let config = config.clone();
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let Ok(mut conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
                let mut request = [0u8; 4096];
                // The handshake happens on the first read; a client that rejects the
                // certificate ends it here.
                if tls.read(&mut request).is_ok() {
                    let _ = tls.write_all(
                        b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                    );
                    let _ = tls.flush();
                }
            });
        }
    });
    (port, accepted)
}

fn kubeconfig(dir: &Path, port: u16, ca: &str) -> std::path::PathBuf {
    let ca = base64::engine::general_purpose::STANDARD.encode(fixture(ca));
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: tls\nclusters:\n- name: tls\n  cluster:\n    server: https://127.0.0.1:{port}\n    certificate-authority-data: {ca}\ncontexts:\n- name: tls\n  context: {{cluster: tls, user: u}}\nusers:\n- name: u\n  user: {{token: t}}\n"
    );
    let path = dir.join(format!("kubeconfig-{port}"));
    std::fs::write(&path, text).unwrap();
    path
}

fn options(kubeconfig: std::path::PathBuf) -> LiveOptions {
    LiveOptions {
        kubeconfig: Some(kubeconfig),
        timeout: Duration::from_secs(30),
        ..LiveOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_from_another_ca_is_named_as_such_and_not_retried() {
    let (port, accepted) = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let err = read(&options(kubeconfig(dir.path(), port, "other-ca.crt")))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, LiveError::Unreachable(_)), "{text}");
    assert!(
        text.contains("TLS: the server's certificate is not signed by a CA in the kubeconfig"),
        "{text}"
    );
    assert!(
        !text.contains("attempts"),
        "a certificate error was retried: {text}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_right_ca_gets_through_the_handshake() {
    let (port, _) = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let err = read(&options(kubeconfig(dir.path(), port, "ca.crt")))
        .await
        .unwrap_err();
    let text = err.to_string();
    // The handshake worked: the server's own answer (401) is what stops the read.
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(!text.contains("TLS"), "{text}");
}
