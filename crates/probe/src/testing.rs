//! Real servers for the probe tests, on free loopback ports, stopped when dropped.
//!
//! - [`Redis`]: Debian's `redis-server` (`$REDIS_SERVER`, else `/usr/bin/redis-server`).
//! - [`Postgres`]: Debian's `postgresql` (`$PG_BIN_DIR`, else the newest
//!   `/usr/lib/postgresql/*/bin`): `initdb` into a temporary directory, `postgres` on a
//!   loopback port with its socket in that directory, run as `nobody` when the tests run as
//!   root (postgres refuses root). A user `app` (password [`Postgres::APP_PASSWORD`]) owns a
//!   database `orders`; password authentication over TCP.
//! - [`HttpServer`]: HTTP or HTTPS (a test CA from [`Pki`]) with a few routes, an OAuth2
//!   client-credentials token endpoint, and optional client-certificate checking.
//! - [`GrpcHealth`]: tonic-health's server, plain or TLS.
//! - [`Dns`]: a UDP DNS server answering from a table (messages built with hickory-proto).
//! - [`Hang`]: accepts connections and never answers (the timeout case);
//!   [`SlowProxy`]: forwards to a real server, delaying every answer (the slow case).
//!
//! A missing server binary is an error that says to run `scripts/test --install-only`: a test
//! that needs it fails rather than passing without having run.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A free loopback port (bound then released; the server binds it right after).
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A tokio runtime on its own thread, running servers until dropped.
pub struct Background {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Background {
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime for the test servers");
        Background {
            runtime: Some(runtime),
        }
    }

    pub fn handle(&self) -> tokio::runtime::Handle {
        self.runtime.as_ref().expect("running").handle().clone()
    }
}

impl Default for Background {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn bind(bg: &Background) -> (TcpListener, SocketAddr) {
    let std = StdListener::bind("127.0.0.1:0").expect("bind a loopback port");
    std.set_nonblocking(true).expect("non-blocking");
    let addr = std.local_addr().expect("local address");
    let _guard = bg.handle().enter();
    (TcpListener::from_std(std).expect("a tokio listener"), addr)
}

// ---------------------------------------------------------------------------------------------
// Certificates.

/// A test CA and certificates it signs, written to a temporary directory as PEM files.
pub struct Pki {
    pub dir: tempfile::TempDir,
    ca_params: rcgen::CertificateParams,
    ca_key: rcgen::KeyPair,
    pub ca_pem: String,
}

/// A certificate and its key, as PEM text and as files.
#[derive(Clone, Debug)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

impl Pki {
    pub fn new() -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mcp-diag test CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().expect("a CA key");
        let cert = params.self_signed(&key).expect("the CA certificate");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ca_pem = cert.pem();
        std::fs::write(dir.path().join("ca.pem"), &ca_pem).expect("write ca.pem");
        Pki {
            dir,
            ca_params: params,
            ca_key: key,
            ca_pem,
        }
    }

    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A certificate for `names` (DNS names or IP addresses), for a server or a client.
    pub fn issue(&self, file_stem: &str, names: &[&str], client: bool) -> Issued {
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .expect("certificate params");
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().copied().unwrap_or("client"),
        );
        params.extended_key_usages = vec![if client {
            rcgen::ExtendedKeyUsagePurpose::ClientAuth
        } else {
            rcgen::ExtendedKeyUsagePurpose::ServerAuth
        }];
        let key = rcgen::KeyPair::generate().expect("a key");
        let issuer = rcgen::Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params.signed_by(&key, &issuer).expect("a signed certificate");
        let cert_path = self.dir.path().join(format!("{file_stem}.pem"));
        let key_path = self.dir.path().join(format!("{file_stem}.key"));
        std::fs::write(&cert_path, cert.pem()).expect("write the certificate");
        std::fs::write(&key_path, key.serialize_pem()).expect("write the key");
        Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_path,
            key_path,
        }
    }

    /// A rustls server config for `server`, requiring a client certificate from this CA when
    /// `require_client` is set.
    pub fn server_config(&self, server: &Issued, require_client: bool) -> rustls::ServerConfig {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("TLS versions");
        let builder = if require_client {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_slice_iter(self.ca_pem.as_bytes()) {
                roots.add(c.expect("CA PEM")).expect("add the CA");
            }
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .expect("a client verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(server.cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .expect("certificate PEM");
        let key = PrivateKeyDer::from_pem_slice(server.key_pem.as_bytes()).expect("key PEM");
        let mut config = builder.with_single_cert(chain, key).expect("a server config");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config
    }
}

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP.

/// The OAuth2 client the token endpoint accepts.
pub const OAUTH_CLIENT_ID: &str = "probe";
pub const OAUTH_CLIENT_SECRET: &str = "s3cret-never-printed";
pub const OAUTH_TOKEN: &str = "tok-0123456789";

/// An HTTP(S) server. Routes: `/healthz` (200 "ok"), `/slow` (200 after [`HttpServer::SLOW`]),
/// `/hang` (never answers), `/status/CODE`, `POST /token` (OAuth2 client credentials),
/// `/protected` (200 only with the token as a bearer).
pub struct HttpServer {
    pub addr: SocketAddr,
    _bg: Background,
}

impl HttpServer {
    pub const SLOW: Duration = Duration::from_millis(60);

    pub fn start() -> Self {
        Self::start_inner(None)
    }

    /// HTTPS with `config` (see [`Pki::server_config`]).
    pub fn start_tls(config: rustls::ServerConfig) -> Self {
        Self::start_inner(Some(config))
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn start_inner(tls: Option<rustls::ServerConfig>) -> Self {
        use axum::routing::{get, post};
        let bg = Background::new();
        let (listener, addr) = bind(&bg);
        let app = axum::Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(HttpServer::SLOW).await;
                    "ok"
                }),
            )
            .route("/hang", get(std::future::pending::<&'static str>))
            .route(
                "/status/{code}",
                get(|axum::extract::Path(code): axum::extract::Path<u16>| async move {
                    (
                        axum::http::StatusCode::from_u16(code).unwrap_or(axum::http::StatusCode::IM_A_TEAPOT),
                        "status",
                    )
                }),
            )
            .route("/token", post(token))
            .route("/protected", get(protected));
        match tls {
            None => {
                bg.handle().spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
            }
            Some(config) => {
                let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
                bg.handle().spawn(async move {
                    let _ = axum::serve(TlsListener { listener, acceptor }, app).await;
                });
            }
        }
        HttpServer { addr, _bg: bg }
    }
}

async fn token(body: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let ok = form.get("grant_type").map(String::as_str) == Some("client_credentials")
        && form.get("client_id").map(String::as_str) == Some(OAUTH_CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(OAUTH_CLIENT_SECRET);
    if ok {
        (
            [("content-type", "application/json")],
            format!(r#"{{"access_token":"{OAUTH_TOKEN}","token_type":"Bearer","expires_in":300}}"#),
        )
            .into_response()
    } else {
        (
            axum::http::StatusCode::UNAUTHORIZED,
            [("content-type", "application/json")],
            r#"{"error":"invalid_client"}"#,
        )
            .into_response()
    }
}

async fn protected(headers: axum::http::HeaderMap) -> (axum::http::StatusCode, &'static str) {
    let want = format!("Bearer {OAUTH_TOKEN}");
    if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(want.as_str()) {
        (axum::http::StatusCode::OK, "secret ok")
    } else {
        (axum::http::StatusCode::UNAUTHORIZED, "no")
    }
}

/// axum over TLS: handshakes that fail are dropped, the listener goes on.
struct TlsListener {
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.listener.accept().await else {
                continue;
            };
            // The handshake runs inline: fine for tests, where clients are few.
            match tokio::time::timeout(Duration::from_secs(5), self.acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => return (tls, addr),
                _ => continue,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

// ---------------------------------------------------------------------------------------------
// gRPC health.

/// tonic-health's server: the whole server and `service` are SERVING, `sleepy.v1` is
/// NOT_SERVING.
pub struct GrpcHealth {
    pub addr: SocketAddr,
    _bg: Background,
}

impl GrpcHealth {
    pub const SERVICE: &'static str = "registry.v1";
    pub const NOT_SERVING: &'static str = "sleepy.v1";

    pub fn start(tls: Option<&(Pki, Issued)>) -> Self {
        use tonic_health::ServingStatus;
        let bg = Background::new();
        let (listener, addr) = bind(&bg);
        let handle = bg.handle();
        let identity = tls.map(|(_, server)| {
            tonic::transport::Identity::from_pem(server.cert_pem.clone(), server.key_pem.clone())
        });
        handle.spawn(async move {
            let (reporter, service) = tonic_health::server::health_reporter();
            reporter.set_service_status("", ServingStatus::Serving).await;
            reporter
                .set_service_status(GrpcHealth::SERVICE, ServingStatus::Serving)
                .await;
            reporter
                .set_service_status(GrpcHealth::NOT_SERVING, ServingStatus::NotServing)
                .await;
            let mut builder = tonic::transport::Server::builder();
            if let Some(identity) = identity {
                builder = builder
                    .tls_config(tonic::transport::ServerTlsConfig::new().identity(identity))
                    .expect("server TLS");
            }
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            let _ = builder.add_service(service).serve_with_incoming(incoming).await;
            drop(reporter);
        });
        GrpcHealth { addr, _bg: bg }
    }
}

// ---------------------------------------------------------------------------------------------
// DNS.

/// How the DNS server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsMode {
    Answer,
    /// Answers after this delay.
    Slow(Duration),
    /// Reads queries and never answers.
    Silent,
}

/// A UDP DNS server answering A/AAAA queries from a table; unknown names get NXDOMAIN.
pub struct Dns {
    pub addr: SocketAddr,
    _bg: Background,
}

impl Dns {
    pub fn start(records: &[(&str, IpAddr)], mode: DnsMode) -> Self {
        use hickory_proto::op::{Message, MessageType, ResponseCode};
        use hickory_proto::rr::{Name, RData, Record, RecordType, rdata};
        let bg = Background::new();
        let socket = {
            let _guard = bg.handle().enter();
            let std = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind UDP");
            std.set_nonblocking(true).expect("non-blocking");
            tokio::net::UdpSocket::from_std(std).expect("a tokio UDP socket")
        };
        let addr = socket.local_addr().expect("local address");
        let table: Vec<(Name, IpAddr)> = records
            .iter()
            .map(|(n, ip)| {
                (
                    Name::from_ascii(n)
                        .expect("a DNS name")
                        .append_domain(&Name::root())
                        .expect("fqdn"),
                    *ip,
                )
            })
            .collect();
        let socket = Arc::new(socket);
        bg.handle().spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                    continue;
                };
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                if mode == DnsMode::Silent {
                    continue;
                }
                let mut answer = Message::new();
                answer
                    .set_id(query.id())
                    .set_message_type(MessageType::Response)
                    .set_op_code(query.op_code())
                    .set_recursion_desired(query.recursion_desired())
                    .set_recursion_available(true)
                    .set_authoritative(true);
                let mut known = false;
                for q in query.queries() {
                    answer.add_query(q.clone());
                    let name = q
                        .name()
                        .clone()
                        .append_domain(&Name::root())
                        .unwrap_or_else(|_| q.name().clone());
                    for (n, ip) in &table {
                        if n.eq_case(&name) || *n == name {
                            known = true;
                            let rdata = match (q.query_type(), ip) {
                                (RecordType::A, IpAddr::V4(v4)) => RData::A(rdata::A(*v4)),
                                (RecordType::AAAA, IpAddr::V6(v6)) => RData::AAAA(rdata::AAAA(*v6)),
                                _ => continue,
                            };
                            answer.add_answer(Record::from_rdata(q.name().clone(), 5, rdata));
                        }
                    }
                }
                if !known {
                    answer.set_response_code(ResponseCode::NXDomain);
                }
                let Ok(bytes) = answer.to_vec() else { continue };
                let socket = Arc::clone(&socket);
                tokio::spawn(async move {
                    if let DnsMode::Slow(d) = mode {
                        tokio::time::sleep(d).await;
                    }
                    let _ = socket.send_to(&bytes, peer).await;
                });
            }
        });
        Dns { addr, _bg: bg }
    }
}

// ---------------------------------------------------------------------------------------------
// Hang and slow.

/// Accepts connections, reads and discards, never answers: every protocol's timeout case.
pub struct Hang {
    pub addr: SocketAddr,
    _bg: Background,
}

impl Hang {
    pub fn start() -> Self {
        let bg = Background::new();
        let (listener, addr) = bind(&bg);
        bg.handle().spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                    }
                });
            }
        });
        Hang { addr, _bg: bg }
    }
}

/// A loopback port whose connections are never completed: its accept queue is kept full,
/// so the kernel drops new SYNs and `connect` waits (the TCP probe's timeout case).
pub struct FullBacklog {
    pub addr: SocketAddr,
    _listener: tokio::net::TcpListener,
    _fillers: Vec<std::net::TcpStream>,
    _bg: Background,
}

impl FullBacklog {
    pub fn start() -> Self {
        let bg = Background::new();
        let handle = bg.handle();
        let _guard = handle.enter();
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket.bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
        let listener = socket.listen(0).expect("listen with no backlog");
        let addr = listener.local_addr().expect("local address");
        // Connections until one no longer completes at once: the queue is then full.
        let mut fillers = Vec::new();
        for _ in 0..8 {
            match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(s) => fillers.push(s),
                Err(_) => break,
            }
        }
        drop(_guard);
        FullBacklog {
            addr,
            _listener: listener,
            _fillers: fillers,
            _bg: bg,
        }
    }
}

/// Forwards connections to `upstream`, holding every chunk the server sends for `delay`.
pub struct SlowProxy {
    pub addr: SocketAddr,
    _bg: Background,
}

impl SlowProxy {
    pub fn start(upstream: SocketAddr, delay: Duration) -> Self {
        let bg = Background::new();
        let (listener, addr) = bind(&bg);
        bg.handle().spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut cr, &mut sw).await;
                        let _ = sw.shutdown().await;
                    });
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        match sr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                tokio::time::sleep(delay).await;
                                if cw.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = cw.shutdown().await;
                    up.abort();
                });
            }
        });
        SlowProxy { addr, _bg: bg }
    }
}

// ---------------------------------------------------------------------------------------------
// Processes: Redis and Postgres.

const INSTALL: &str =
    "run scripts/test --install-only (it installs Debian's redis-server and postgresql packages)";

/// `$REDIS_SERVER`, else Debian's path.
pub fn redis_binary() -> Result<PathBuf, String> {
    let (path, from) = match std::env::var_os("REDIS_SERVER") {
        Some(p) if !p.is_empty() => (PathBuf::from(p), "$REDIS_SERVER"),
        _ => (
            PathBuf::from("/usr/bin/redis-server"),
            "the Debian package's path",
        ),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "redis-server not found at {} ({from}): {INSTALL}, or set REDIS_SERVER to the binary",
            path.display()
        ))
    }
}

/// `$PG_BIN_DIR`, else the newest `/usr/lib/postgresql/*/bin`; it must hold initdb and postgres.
pub fn pg_bin_dir() -> Result<PathBuf, String> {
    let (dir, from) = match std::env::var_os("PG_BIN_DIR") {
        Some(p) if !p.is_empty() => (Some(PathBuf::from(p)), "$PG_BIN_DIR"),
        _ => {
            let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
                .collect();
            versions.sort();
            (versions.pop().map(|(_, p)| p), "/usr/lib/postgresql/*/bin")
        }
    };
    match dir {
        Some(d) if d.join("initdb").is_file() && d.join("postgres").is_file() => Ok(d),
        Some(d) => Err(format!(
            "no initdb and postgres in {} ({from}): {INSTALL}, or set PG_BIN_DIR",
            d.display()
        )),
        None => Err(format!(
            "no Postgres found ({from}): {INSTALL}, or set PG_BIN_DIR"
        )),
    }
}

fn wait_port(addr: SocketAddr, child: &mut Child, what: &str, log: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("{what} exited at start ({status}):\n{log}"));
        }
        if Instant::now() > deadline {
            return Err(format!("{what} did not listen on {addr} within 30 s"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running redis-server; killed on drop.
pub struct Redis {
    pub addr: SocketAddr,
    pub password: Option<String>,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Redis {
    pub fn start(password: Option<&str>) -> Result<Self, String> {
        Self::start_inner(password, None)
    }

    /// Redis speaking only TLS (`rediss://`), with `server`'s certificate; clients need none.
    pub fn start_tls(password: Option<&str>, server: &Issued, ca: &Path) -> Result<Self, String> {
        Self::start_inner(password, Some((server, ca)))
    }

    fn start_inner(password: Option<&str>, tls: Option<(&Issued, &Path)>) -> Result<Self, String> {
        let bin = redis_binary()?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = free_port();
        let log = dir.path().join("redis.log");
        let mut cmd = Command::new(&bin);
        match tls {
            None => cmd.args(["--port", &port.to_string()]),
            Some((server, ca)) => cmd
                .args([
                    "--port",
                    "0",
                    "--tls-port",
                    &port.to_string(),
                    "--tls-auth-clients",
                    "no",
                ])
                .arg("--tls-cert-file")
                .arg(&server.cert_path)
                .arg("--tls-key-file")
                .arg(&server.key_path)
                .arg("--tls-ca-cert-file")
                .arg(ca),
        };
        cmd.args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .arg("--logfile")
            .arg(&log);
        if let Some(p) = password {
            cmd.args(["--requirepass", p]);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        if let Err(e) = wait_port(addr, &mut child, "redis-server", &log) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        Ok(Redis {
            addr,
            password: password.map(str::to_owned),
            child,
            _dir: dir,
        })
    }

    pub fn url(&self) -> String {
        match &self.password {
            Some(p) => format!("redis://:{p}@{}", self.addr),
            None => format!("redis://{}", self.addr),
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running Postgres; shut down on drop.
pub struct Postgres {
    pub addr: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Postgres {
    pub const APP_PASSWORD: &'static str = "app-pw";
    const SUPER_PASSWORD: &'static str = "super-pw";

    pub fn start() -> Result<Self, String> {
        let bin = pg_bin_dir()?;
        let dir = tempfile::Builder::new()
            .prefix("mcp-diag-pg")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let root = is_root();
        if root {
            // postgres refuses to run as root: the directory goes to `nobody`, who runs it.
            let status = Command::new("chown")
                .args(["nobody:nogroup"])
                .arg(dir.path())
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err(format!("chown nobody {} failed", dir.path().display()));
            }
        }
        let as_user = |program: &Path| -> Command {
            if root {
                let mut c = Command::new("setpriv");
                c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
                    .arg(program);
                c
            } else {
                Command::new(program)
            }
        };
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, Self::SUPER_PASSWORD).map_err(|e| e.to_string())?;
        if root {
            let _ = Command::new("chown")
                .args(["nobody:nogroup"])
                .arg(&pwfile)
                .status();
        }
        let out = as_user(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .current_dir(dir.path())
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let port = free_port();
        let log = dir.path().join("postgres.log");
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let mut child = as_user(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ])
            .args(["-c", "max_connections=200"])
            .arg("-k")
            .arg(dir.path())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot start postgres: {e}"))?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let pg = Postgres {
            addr,
            child: {
                if let Err(e) = wait_port(addr, &mut child, "postgres", &log) {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(e);
                }
                child
            },
            _dir: dir,
        };
        pg.setup()?;
        Ok(pg)
    }

    /// The user `app` and its database `orders`.
    fn setup(&self) -> Result<(), String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async {
            let url = format!(
                "postgres://postgres:{}@{}/postgres",
                Self::SUPER_PASSWORD,
                self.addr
            );
            // The server accepts TCP a moment before it accepts logins.
            let deadline = Instant::now() + Duration::from_secs(30);
            let (client, conn) = loop {
                match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
                    Ok(c) => break c,
                    Err(e) if Instant::now() > deadline => {
                        return Err(format!("cannot log in to the test Postgres: {e}"));
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            };
            let driver = tokio::spawn(conn);
            // One statement per call: CREATE DATABASE refuses a (implicit) transaction block.
            for sql in [
                format!("CREATE ROLE app LOGIN PASSWORD '{}'", Self::APP_PASSWORD),
                "CREATE DATABASE orders OWNER app".to_owned(),
            ] {
                client.batch_execute(&sql).await.map_err(|e| {
                    format!(
                        "the test Postgres: {sql}: {}",
                        e.as_db_error().map_or(e.to_string(), |d| d.message().to_owned())
                    )
                })?;
            }
            drop(client);
            let _ = driver.await;
            Ok(())
        })
    }

    /// `postgres://app:PASSWORD@addr/orders` (no password with `with_password` false).
    pub fn url(&self, password: Option<&str>) -> String {
        match password {
            Some(p) => format!("postgres://app:{p}@{}/orders?sslmode=disable", self.addr),
            None => format!("postgres://app@{}/orders?sslmode=disable", self.addr),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGINT is Postgres's fast shutdown: it stops its backends too.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
