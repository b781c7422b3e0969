//! What a probe is (from the config or the command line) and what its URL names.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::stats::Limits;

/// The default time an attempt may take before it counts as failed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// OAuth2 client-credentials for an HTTP probe. The secret is read from an environment
/// variable when the probe runs, and never printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuth2 {
    pub token_url: String,
    pub client_id: String,
    pub client_secret_env: String,
    pub scope: Option<String>,
}

/// One probe, as configured.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub name: String,
    pub url: String,
    /// HTTP: the expected status (default: any 2xx).
    pub expect: Option<u16>,
    pub body_contains: Option<String>,
    pub headers: Vec<(String, String)>,
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub oauth2: Option<OAuth2>,
    /// DNS: addresses the name must resolve to (each of them).
    pub expect_addresses: Vec<IpAddr>,
    /// gRPC: the service name asked about (empty: the server as a whole).
    pub service: Option<String>,
    /// Postgres: also write in a transaction that is rolled back.
    pub write: bool,
    pub count: u32,
    pub concurrency: u32,
    pub timeout: Duration,
    pub limits: Limits,
    /// Why this probe cannot run (a config entry with a bad URL): reported as a failed probe.
    pub problem: Option<String>,
}

impl Probe {
    /// A probe of `url` with the defaults: one attempt, 5 s timeout, no limits.
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        Probe {
            name: redact(&url),
            url,
            expect: None,
            body_contains: None,
            headers: Vec::new(),
            ca: None,
            cert: None,
            key: None,
            oauth2: None,
            expect_addresses: Vec::new(),
            service: None,
            write: false,
            count: 1,
            concurrency: 1,
            timeout: DEFAULT_TIMEOUT,
            limits: Limits::default(),
            problem: None,
        }
    }
}

/// The kinds of probe, named by the URL's scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Http,
    Tcp,
    Dns,
    Grpc,
    Redis,
    Postgres,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Tcp => "tcp",
            Kind::Dns => "dns",
            Kind::Grpc => "grpc",
            Kind::Redis => "redis",
            Kind::Postgres => "postgres",
        }
    }
}

/// The schemes understood, for messages.
pub const SCHEMES: &str = "http, https, tcp, dns, grpc, grpcs, redis, rediss, postgres (postgresql)";

/// A probe's URL, understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Http {
        url: url::Url,
    },
    Tcp {
        host: String,
        port: u16,
    },
    /// `dns:NAME` (the system resolver) or `dns://SERVER[:PORT]/NAME` (RFC 4501).
    Dns {
        name: String,
        server: Option<SocketAddr>,
    },
    /// `grpc://host:port` or `grpcs://` for TLS; an optional path is the service name.
    Grpc {
        uri: String,
        host: String,
        tls: bool,
        service: Option<String>,
    },
    Redis {
        url: String,
        tls: bool,
    },
    Postgres {
        url: String,
    },
}

impl Target {
    pub fn kind(&self) -> Kind {
        match self {
            Target::Http { .. } => Kind::Http,
            Target::Tcp { .. } => Kind::Tcp,
            Target::Dns { .. } => Kind::Dns,
            Target::Grpc { .. } => Kind::Grpc,
            Target::Redis { .. } => Kind::Redis,
            Target::Postgres { .. } => Kind::Postgres,
        }
    }

    /// Reads a probe URL; the error says what is wrong in words.
    pub fn parse(text: &str) -> Result<Target, String> {
        let shown = redact(text);
        let url = url::Url::parse(text.trim()).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => {
                format!("`{shown}` is not a URL: give a scheme ({SCHEMES}), such as http://host:8080/healthz")
            }
            e => format!("`{shown}` is not a valid URL: {e}"),
        })?;
        let host = || -> Result<String, String> {
            match url.host() {
                Some(url::Host::Ipv6(a)) => Ok(a.to_string()),
                Some(h) => Ok(h.to_string()),
                None => Err(format!("`{shown}` names no host")),
            }
        };
        let port = |kind: &str| -> Result<u16, String> {
            url.port()
                .ok_or_else(|| format!("`{shown}`: a {kind} probe needs a port, such as {kind}://host:5000"))
        };
        match url.scheme() {
            "http" | "https" => {
                host()?;
                Ok(Target::Http { url })
            }
            "tcp" => Ok(Target::Tcp {
                host: host()?,
                port: port("tcp")?,
            }),
            "dns" => {
                // dns:NAME has no authority; dns://SERVER/NAME has one.
                let (server, name) = match url.host() {
                    Some(h) => {
                        let ip: IpAddr = match h {
                            url::Host::Ipv4(a) => a.into(),
                            url::Host::Ipv6(a) => a.into(),
                            // Not a special scheme: the url crate leaves IPv4 as a name.
                            url::Host::Domain(d) if d.parse::<IpAddr>().is_ok() => {
                                d.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
                            }
                            url::Host::Domain(d) => {
                                return Err(format!(
                                    "`{shown}`: the DNS server `{d}` must be an IP address (dns://10.0.0.10/NAME)"
                                ));
                            }
                        };
                        let name = url.path().trim_start_matches('/');
                        (
                            Some(SocketAddr::new(ip, url.port().unwrap_or(53))),
                            name.to_owned(),
                        )
                    }
                    None => (None, url.path().trim_start_matches('/').to_owned()),
                };
                if name.is_empty() {
                    return Err(format!(
                        "`{shown}` names nothing to resolve: dns:NAME or dns://SERVER/NAME"
                    ));
                }
                Ok(Target::Dns { name, server })
            }
            "grpc" | "grpcs" => {
                let tls = url.scheme() == "grpcs";
                let host = host()?;
                let port = port(url.scheme())?;
                let service = Some(url.path().trim_matches('/'))
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned);
                let authority = if host.contains(':') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                };
                let uri = format!("{}://{authority}", if tls { "https" } else { "http" });
                Ok(Target::Grpc {
                    uri,
                    host,
                    tls,
                    service,
                })
            }
            "redis" | "rediss" => {
                host()?;
                Ok(Target::Redis {
                    url: text.trim().to_owned(),
                    tls: url.scheme() == "rediss",
                })
            }
            "postgres" | "postgresql" => {
                host()?;
                Ok(Target::Postgres {
                    url: text.trim().to_owned(),
                })
            }
            other => Err(format!(
                "unknown probe kind `{other}` in `{shown}`: the scheme says the kind ({SCHEMES})"
            )),
        }
    }
}

/// The URL with any password replaced by `***`, for printing.
pub fn redact(text: &str) -> String {
    match url::Url::parse(text.trim()) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => text.trim().to_owned(),
        // Not a URL: it may still hold `user:secret@`; cut what is between `:` and `@`.
        Err(_) => match (text.find("://"), text.rfind('@')) {
            (Some(s), Some(at)) if at > s => {
                let creds = &text[s + 3..at];
                match creds.find(':') {
                    Some(c) => format!("{}{}:***{}", &text[..s + 3], &creds[..c], &text[at..]),
                    None => text.to_owned(),
                }
            }
            _ => text.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_schemes() {
        assert_eq!(
            Target::parse("http://127.0.0.1:8080/healthz").unwrap().kind(),
            Kind::Http
        );
        assert_eq!(Target::parse("https://a.example/").unwrap().kind(), Kind::Http);
        assert_eq!(
            Target::parse("tcp://db:5432").unwrap(),
            Target::Tcp {
                host: "db".into(),
                port: 5432
            }
        );
        assert_eq!(
            Target::parse("dns:api.shop.svc.cluster.local").unwrap(),
            Target::Dns {
                name: "api.shop.svc.cluster.local".into(),
                server: None
            }
        );
        assert_eq!(
            Target::parse("dns://127.0.0.1:5353/api.shop").unwrap(),
            Target::Dns {
                name: "api.shop".into(),
                server: Some("127.0.0.1:5353".parse().unwrap())
            }
        );
        assert_eq!(
            Target::parse("grpcs://reg:9443/registry.v1").unwrap(),
            Target::Grpc {
                uri: "https://reg:9443".into(),
                host: "reg".into(),
                tls: true,
                service: Some("registry.v1".into())
            }
        );
        assert_eq!(Target::parse("rediss://:pw@r:6380").unwrap().kind(), Kind::Redis);
        assert_eq!(
            Target::parse("postgresql://app@db/orders").unwrap().kind(),
            Kind::Postgres
        );
    }

    #[test]
    fn bad_urls_in_words() {
        assert!(
            Target::parse("ftp://x/")
                .unwrap_err()
                .contains("unknown probe kind `ftp`")
        );
        assert!(
            Target::parse("localhost:80")
                .unwrap_err()
                .contains("unknown probe kind")
        );
        assert!(Target::parse("healthz").unwrap_err().contains("is not a URL"));
        assert!(Target::parse("tcp://db").unwrap_err().contains("needs a port"));
        assert!(
            Target::parse("http://[::1")
                .unwrap_err()
                .contains("not a valid URL")
        );
        assert!(
            Target::parse("dns://resolver.local/x")
                .unwrap_err()
                .contains("IP address")
        );
        assert!(Target::parse("dns:").unwrap_err().contains("names nothing"));
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(redact("redis://:s3cret@r:6379"), "redis://:***@r:6379");
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/orders"),
            "postgres://app:***@db:5432/orders"
        );
        assert_eq!(redact("http://h/"), "http://h/");
        assert!(!Target::parse("ftp://u:s3cret@x/").unwrap_err().contains("s3cret"));
    }
}
