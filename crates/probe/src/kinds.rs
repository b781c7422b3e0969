//! The I/O: one attempt of each kind of probe, with the client crates.
//!
//! A probe is first *prepared* once (clients, TLS settings, an OAuth2 token), then attempted
//! `count` times. HTTP and gRPC keep their connection pool between attempts, as a caller would;
//! TCP, Redis and Postgres open a new connection per attempt (the connection is what they check).

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::spec::{OAuth2, Probe, Target};
use crate::words::describe;

/// What an attempt found besides success (a Postgres role, the resolved addresses).
pub type Note = Option<String>;

/// A probe ready to be attempted (one per probe, so the variants' sizes do not matter).
#[allow(clippy::large_enum_variant)]
pub enum Prepared {
    Http {
        client: reqwest::Client,
        url: url::Url,
        headers: Vec<(String, String)>,
        bearer: Option<String>,
        expect: Option<u16>,
        body_contains: Option<String>,
    },
    Tcp {
        host: String,
        port: u16,
    },
    Dns {
        resolver: hickory_resolver::TokioResolver,
        name: String,
        expect: Vec<IpAddr>,
    },
    Grpc {
        channel: tonic::transport::Channel,
        service: String,
    },
    Redis {
        client: redis::Client,
        timeout: Duration,
    },
    Postgres {
        config: tokio_postgres::Config,
        tls: tokio_postgres_rustls::MakeRustlsConnect,
        write: bool,
    },
}

/// The aws-lc-rs provider as the process default, for crates that build their own rustls
/// configs from it (redis). Installing twice is harmless; ring is never compiled in.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

fn certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = read(path, what)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the {what} {} is not PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("the {what} {} holds no certificate", path.display()));
    }
    Ok(certs)
}

/// A rustls client config with aws-lc-rs: trust `ca` only when given (else the system's
/// roots), and present `cert` + `key` when given.
pub fn tls_config(probe: &Probe, alpn: &[&[u8]]) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    match &probe.ca {
        Some(ca) => {
            for c in certs(ca, "CA file")? {
                roots
                    .add(c)
                    .map_err(|e| format!("the CA file {}: {e}", ca.display()))?;
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
        }
    }
    let builder = builder.with_root_certificates(roots);
    let mut config = match (&probe.cert, &probe.key) {
        (Some(cert), Some(key)) => {
            let chain = certs(cert, "client certificate")?;
            let key_bytes = read(key, "client key")?;
            let key = PrivateKeyDer::from_pem_slice(&key_bytes)
                .map_err(|e| format!("the client key {} is not a PEM private key: {e}", key.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("the client certificate and key do not go together: {e}"))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err("give both `cert` and `key` for a client certificate, or neither".into()),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// Prepares `probe` (whose URL parsed as `target`): everything done once per probe.
pub async fn prepare(probe: &Probe, target: &Target) -> Result<Prepared, String> {
    Ok(match target {
        Target::Http { url } => {
            // HTTP/1.1 only: over h2 a refused client certificate (a TLS 1.3 alert after the
            // handshake) is lost in the connection set-up, and health checks are plain requests.
            let tls = tls_config(probe, &[b"http/1.1"])?;
            // Direct connections: a probe checks this machine's path to the target, not a proxy's.
            let client = reqwest::Client::builder()
                .use_preconfigured_tls(tls)
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(probe.concurrency as usize)
                .build()
                .map_err(|e| format!("HTTP client set-up: {}", describe(&e)))?;
            let bearer = match &probe.oauth2 {
                Some(o) => Some(
                    tokio::time::timeout(probe.timeout, oauth2_token(&client, o))
                        .await
                        .map_err(|_| {
                            format!(
                                "OAuth2: the token endpoint did not answer within {}",
                                crate::stats::format_duration(probe.timeout)
                            )
                        })??,
                ),
                None => None,
            };
            Prepared::Http {
                client,
                url: url.clone(),
                headers: probe.headers.clone(),
                bearer,
                expect: probe.expect,
                body_contains: probe.body_contains.clone(),
            }
        }
        Target::Tcp { host, port } => Prepared::Tcp {
            host: host.clone(),
            port: *port,
        },
        Target::Dns { name, server } => {
            use hickory_resolver::Resolver;
            use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
            use hickory_resolver::name_server::TokioConnectionProvider;
            use hickory_resolver::proto::xfer::Protocol;
            let mut opts = ResolverOpts::default();
            // Every attempt asks the server: a cached answer would measure nothing.
            opts.cache_size = 0;
            opts.attempts = 1;
            // The attempt's own timeout cuts first and says so; this one is a backstop.
            opts.timeout = probe.timeout + Duration::from_secs(1);
            let builder = match server {
                Some(addr) => {
                    let mut config = ResolverConfig::new();
                    config.add_name_server(NameServerConfig::new(*addr, Protocol::Udp));
                    Resolver::builder_with_config(config, TokioConnectionProvider::default())
                }
                None => Resolver::builder_tokio()
                    .map_err(|e| format!("DNS: cannot read the system resolver's configuration: {e}"))?,
            };
            let mut builder = builder;
            let system = builder.options_mut().clone();
            opts.ndots = system.ndots;
            Prepared::Dns {
                resolver: builder.with_options(opts).build(),
                name: name.clone(),
                expect: probe.expect_addresses.clone(),
            }
        }
        Target::Grpc {
            uri,
            host,
            tls,
            service,
        } => {
            use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
            let mut endpoint = Endpoint::from_shared(uri.clone())
                .map_err(|e| format!("gRPC: `{uri}` is not a valid endpoint: {e}"))?;
            if *tls {
                let mut config = ClientTlsConfig::new().domain_name(host.clone());
                match &probe.ca {
                    Some(ca) => config = config.ca_certificate(Certificate::from_pem(read(ca, "CA file")?)),
                    None => config = config.with_native_roots(),
                }
                match (&probe.cert, &probe.key) {
                    (Some(c), Some(k)) => {
                        config = config.identity(Identity::from_pem(
                            read(c, "client certificate")?,
                            read(k, "client key")?,
                        ))
                    }
                    (None, None) => {}
                    _ => return Err("give both `cert` and `key` for a client certificate, or neither".into()),
                }
                endpoint = endpoint
                    .tls_config(config)
                    .map_err(|e| format!("gRPC TLS set-up: {}", describe(&e)))?;
            }
            Prepared::Grpc {
                channel: endpoint.connect_lazy(),
                service: probe
                    .service
                    .clone()
                    .or_else(|| service.clone())
                    .unwrap_or_default(),
            }
        }
        Target::Redis { url, tls } => {
            let client = if *tls && (probe.ca.is_some() || probe.cert.is_some()) {
                let client_tls = match (&probe.cert, &probe.key) {
                    (Some(c), Some(k)) => Some(redis::ClientTlsConfig {
                        client_cert: read(c, "client certificate")?,
                        client_key: read(k, "client key")?,
                    }),
                    (None, None) => None,
                    _ => return Err("give both `cert` and `key` for a client certificate, or neither".into()),
                };
                let root_cert = match &probe.ca {
                    Some(ca) => Some(read(ca, "CA file")?),
                    None => None,
                };
                redis::Client::build_with_tls(
                    url.as_str(),
                    redis::TlsCertificates {
                        client_tls,
                        root_cert,
                    },
                )
            } else {
                redis::Client::open(url.as_str())
            }
            .map_err(|e| format!("Redis: {}", redis_words(&e)))?;
            Prepared::Redis {
                client,
                timeout: probe.timeout,
            }
        }
        Target::Postgres { url } => {
            let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
                format!(
                    "Postgres: `{}` is not a valid connection URL: {e}",
                    crate::spec::redact(url)
                )
            })?;
            if config.get_password().is_none()
                && let Ok(p) = std::env::var("PGPASSWORD")
            {
                config.password(p);
            }
            config.application_name("mcp-diag probe");
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(probe, &[b"postgresql"])?);
            Prepared::Postgres {
                config,
                tls,
                write: probe.write,
            }
        }
    })
}

async fn oauth2_token(client: &reqwest::Client, o: &OAuth2) -> Result<String, String> {
    let secret = std::env::var(&o.client_secret_env).map_err(|_| {
        format!(
            "OAuth2: the environment variable {} (the client secret) is not set",
            o.client_secret_env
        )
    })?;
    let body = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &o.client_id)
            .append_pair("client_secret", &secret);
        if let Some(scope) = &o.scope {
            form.append_pair("scope", scope);
        }
        form.finish()
    };
    let response = client
        .post(&o.token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("OAuth2: token endpoint {}: {}", o.token_url, describe(&e)))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("OAuth2: token endpoint {}: {}", o.token_url, describe(&e)))?;
    if !status.is_success() {
        // The endpoint's own error code (RFC 6749 5.2) when it gives one; never the secret.
        let code = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned));
        return Err(format!(
            "OAuth2: the token endpoint {} answered {}{} for client {}",
            o.token_url,
            status.as_u16(),
            code.map(|c| format!(" ({c})")).unwrap_or_default(),
            o.client_id
        ));
    }
    serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("access_token").and_then(|t| t.as_str()).map(str::to_owned))
        .ok_or_else(|| format!("OAuth2: the token endpoint {} gave no access_token", o.token_url))
}

static SCRATCH: AtomicU64 = AtomicU64::new(0);

/// One attempt; the error is in words.
pub async fn attempt(p: &Prepared) -> Result<Note, String> {
    match p {
        Prepared::Http {
            client,
            url,
            headers,
            bearer,
            expect,
            body_contains,
        } => {
            let mut request = client.get(url.clone());
            for (k, v) in headers {
                request = request.header(k.as_str(), v.as_str());
            }
            if let Some(token) = bearer {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.map_err(|e| describe(&e))?;
            let status = response.status().as_u16();
            let status_ok = match expect {
                Some(want) => status == *want,
                None => (200..300).contains(&status),
            };
            if !status_ok {
                let want = expect.map_or_else(|| "a 2xx status".to_owned(), |w| w.to_string());
                return Err(format!("HTTP {status}, expected {want}"));
            }
            match body_contains {
                Some(needle) => {
                    let body = response.text().await.map_err(|e| describe(&e))?;
                    if body.contains(needle.as_str()) {
                        Ok(None)
                    } else {
                        Err(format!("HTTP {status}, but the body does not contain {needle:?}"))
                    }
                }
                None => {
                    // Read the body so the connection can be reused, as a real caller would.
                    response.bytes().await.map_err(|e| describe(&e))?;
                    Ok(None)
                }
            }
        }
        Prepared::Tcp { host, port } => {
            let stream = tokio::net::TcpStream::connect((host.as_str(), *port))
                .await
                .map_err(|e| crate::words::io_words(&e).unwrap_or_else(|| e.to_string()))?;
            drop(stream);
            Ok(None)
        }
        Prepared::Dns {
            resolver,
            name,
            expect,
        } => {
            let lookup = resolver.lookup_ip(name.as_str()).await.map_err(|e| {
                if e.is_no_records_found() || e.is_nx_domain() {
                    format!("DNS: no address for {name}")
                } else {
                    format!("DNS: {e}")
                }
            })?;
            let mut got: Vec<IpAddr> = lookup.iter().collect();
            got.sort();
            got.dedup();
            let missing: Vec<String> = expect
                .iter()
                .filter(|a| !got.contains(a))
                .map(|a| a.to_string())
                .collect();
            let shown = got.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ");
            if !missing.is_empty() {
                return Err(format!(
                    "DNS: {name} resolved to {shown}, expected also {}",
                    missing.join(", ")
                ));
            }
            Ok(Some(format!("{name} -> {shown}")))
        }
        Prepared::Grpc { channel, service } => {
            use tonic_health::pb::HealthCheckRequest;
            use tonic_health::pb::health_check_response::ServingStatus;
            use tonic_health::pb::health_client::HealthClient;
            let mut client = HealthClient::new(channel.clone());
            let response = client
                .check(HealthCheckRequest {
                    service: service.clone(),
                })
                .await
                .map_err(|s| grpc_words(&s, service))?;
            let status = response.into_inner().status();
            let shown = if service.is_empty() {
                "the server"
            } else {
                service.as_str()
            };
            match status {
                ServingStatus::Serving => Ok(None),
                other => Err(format!("gRPC health: {shown} is {}", other.as_str_name())),
            }
        }
        Prepared::Redis { client, timeout } => {
            use redis::AsyncCommands;
            // Longer than the attempt's timeout, which cuts first and says so.
            let backstop = *timeout + Duration::from_secs(1);
            let config = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(backstop))
                .set_response_timeout(Some(backstop));
            let mut con = client
                .get_multiplexed_async_connection_with_config(&config)
                .await
                .map_err(|e| format!("Redis: {}", redis_words(&e)))?;
            let pong: String = redis::cmd("PING")
                .query_async(&mut con)
                .await
                .map_err(|e| format!("Redis: PING: {}", redis_words(&e)))?;
            if pong != "PONG" {
                return Err(format!("Redis: PING answered {pong:?}, not PONG"));
            }
            // A key no one else uses, gone by itself after 30 s should the DEL never come.
            let n = SCRATCH.fetch_add(1, Ordering::Relaxed);
            let key = format!("mcp-diag:probe:{}:{}:{n}", std::process::id(), nanos());
            let value = format!("v{n}");
            let () = con
                .set_ex(&key, &value, 30)
                .await
                .map_err(|e| format!("Redis: SET: {}", redis_words(&e)))?;
            let got: Option<String> = con
                .get(&key)
                .await
                .map_err(|e| format!("Redis: GET: {}", redis_words(&e)))?;
            let deleted: u32 = con
                .del(&key)
                .await
                .map_err(|e| format!("Redis: DEL: {}", redis_words(&e)))?;
            if got.as_deref() != Some(value.as_str()) {
                return Err(format!(
                    "Redis: GET of the scratch key gave {got:?}, not the value just SET"
                ));
            }
            if deleted != 1 {
                return Err("Redis: DEL of the scratch key deleted nothing".into());
            }
            Ok(None)
        }
        Prepared::Postgres { config, tls, write } => {
            let (mut client, connection) = config.connect(tls.clone()).await.map_err(|e| pg_words(&e))?;
            let driver = tokio::spawn(connection);
            let result = async {
                let one: i32 = client
                    .query_one("SELECT 1", &[])
                    .await
                    .map_err(|e| pg_words(&e))?
                    .get(0);
                if one != 1 {
                    return Err(format!("Postgres: SELECT 1 returned {one}"));
                }
                let replica: bool = client
                    .query_one("SELECT pg_is_in_recovery()", &[])
                    .await
                    .map_err(|e| pg_words(&e))?
                    .get(0);
                let role = if replica { "replica" } else { "primary" };
                if *write {
                    if replica {
                        return Err(
                            "Postgres: a write was asked for, but the server is a replica (read-only)".into(),
                        );
                    }
                    let tx = client.transaction().await.map_err(|e| pg_words(&e))?;
                    tx.batch_execute(
                        "CREATE TEMP TABLE mcp_diag_probe (id int) ON COMMIT DROP; \
                         INSERT INTO mcp_diag_probe VALUES (1);",
                    )
                    .await
                    .map_err(|e| pg_words(&e))?;
                    tx.rollback().await.map_err(|e| pg_words(&e))?;
                }
                Ok(Some(format!("role: {role}")))
            }
            .await;
            drop(client);
            let _ = driver.await;
            result
        }
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// A Postgres error: the server's own message when it sent one.
fn pg_words(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        // `password authentication failed for user "app"`: the quotes add nothing on a line.
        return format!("Postgres: {}", db.message().replace('"', ""));
    }
    let words = describe(e);
    if words.starts_with("TLS:") || words.starts_with("connection") {
        words
    } else {
        format!("Postgres: {words}")
    }
}

fn redis_words(e: &redis::RedisError) -> String {
    match e.kind() {
        redis::ErrorKind::AuthenticationFailed => {
            "authentication failed (check the user and password in the URL)".into()
        }
        // redis keeps its I/O cause behind an `Arc<dyn Error>`, which cannot be downcast:
        // the cause's text is all there is.
        redis::ErrorKind::Io => {
            let d = describe(e);
            if d.contains("invalid peer certificate") || d.contains("received fatal alert") {
                format!("TLS: {d}")
            } else if d.contains("reset by peer") {
                "connection reset by the server (plain text against a TLS port, or the reverse?)".into()
            } else if d.contains("refused") {
                "connection refused".into()
            } else {
                d
            }
        }
        _ => {
            let d = describe(e);
            if e.is_connection_refusal() && !d.contains("refused") {
                format!("connection refused ({d})")
            } else {
                d
            }
        }
    }
}

fn grpc_words(s: &tonic::Status, service: &str) -> String {
    use tonic::Code;
    match s.code() {
        Code::Unimplemented => "gRPC: the server does not implement grpc.health.v1.Health".into(),
        Code::NotFound => format!("gRPC health: the server does not know the service {service:?}"),
        Code::Unavailable | Code::Unknown | Code::Internal => {
            // Transport failures come as Unavailable with the cause as the source.
            let cause = std::error::Error::source(s).map(describe);
            match cause {
                Some(c) => c,
                None => format!("gRPC: {}", s.message()),
            }
        }
        Code::DeadlineExceeded | Code::Cancelled => "timed out".into(),
        other => format!("gRPC: {other:?}: {}", s.message()),
    }
}
