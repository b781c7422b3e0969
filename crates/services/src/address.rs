//! Finding network addresses in text: URLs with a known scheme and bare `host:port`. Pure
//! string work; whether a host is in the cluster is decided by the caller ([`crate::build`]).

/// An address found in a piece of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// Lower case, without user info or brackets.
    pub host: String,
    /// From the address, else the scheme's default.
    pub port: Option<u16>,
    /// The scheme, normalised (`postgresql` -> `postgres`); `None` for a bare `host:port`.
    pub scheme: Option<&'static str>,
    /// What was written, for the evidence.
    pub text: String,
}

/// The schemes recognised, with their default port and whether they mean TLS.
const SCHEMES: &[(&str, &str, Option<u16>, bool)] = &[
    ("http", "http", Some(80), false),
    ("https", "https", Some(443), true),
    ("grpc", "grpc", None, false),
    ("grpcs", "grpcs", Some(443), true),
    ("h2c", "h2c", Some(80), false),
    ("redis", "redis", Some(6379), false),
    ("rediss", "rediss", Some(6379), true),
    ("postgres", "postgres", Some(5432), false),
    ("postgresql", "postgres", Some(5432), false),
    ("mysql", "mysql", Some(3306), false),
    ("mongodb", "mongodb", Some(27017), false),
    ("amqp", "amqp", Some(5672), false),
    ("nats", "nats", Some(4222), false),
    ("kafka", "kafka", Some(9092), false),
    ("tcp", "tcp", None, false),
];

/// Whether a (normalised) scheme means TLS.
pub fn scheme_is_tls(scheme: &str) -> bool {
    SCHEMES.iter().any(|(_, s, _, tls)| *s == scheme && *tls)
}

fn scheme(name: &str) -> Option<(&'static str, Option<u16>)> {
    let lower = name.to_ascii_lowercase();
    SCHEMES
        .iter()
        .find(|(n, ..)| *n == lower)
        .map(|(_, s, port, _)| (*s, *port))
}

/// `text` with the passwords of URLs (`scheme://user:secret@host`) replaced by `***`:
/// evidence is printed, and connection strings often carry credentials.
pub fn redact_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || is_delimiter(c))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(userinfo_end) => {
                let userinfo = &authority[..userinfo_end];
                match userinfo.split_once(':') {
                    Some((user, _secret)) => {
                        out.push_str(user);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[userinfo_end..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Characters that end an address inside larger text (YAML, JSON, properties, shell).
fn is_delimiter(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | '`' | ',' | ';' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '=' | '|'
        )
}

/// Every address in `text`. Comment lines (`#`, `//`) and the rest of a line after ` #` are
/// skipped, so a commented-out endpoint is not a dependency.
pub fn find_addresses(text: &str) -> Vec<Address> {
    let mut found = Vec::new();
    for line in text.lines() {
        let line = strip_comment(line);
        for token in line.split(is_delimiter) {
            if let Some(address) = parse_token(token) {
                found.push(address);
            }
        }
    }
    found
}

fn strip_comment(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || trimmed.starts_with("//") || trimmed.starts_with("!") {
        return "";
    }
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return &line[..i];
        }
    }
    line
}

/// One token: `scheme://[user@]host[:port][/path]`, or `host:port`. A YAML key such as
/// `url:` leaves an empty host and is no address.
pub fn parse_token(token: &str) -> Option<Address> {
    if let Some((name, rest)) = token.split_once("://") {
        // `key:http://...` (no space after a YAML-ish key) still counts: take the last word.
        let name = name
            .rsplit(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or(name);
        let (scheme, default_port) = scheme(name)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = split_host_port(authority)?;
        let port = match port {
            Some(p) => Some(p),
            None => default_port,
        };
        return Some(Address {
            host,
            port,
            scheme: Some(scheme),
            text: format!("{name}://{rest}"),
        });
    }
    // Bare `host:port`; the port must be all digits and the host a DNS name with a letter
    // (not a time like 10:30, not an IPv6 address).
    let (host_text, port_text) = token.rsplit_once(':')?;
    if port_text.is_empty() || !port_text.bytes().all(|b| b.is_ascii_digit()) || host_text.contains(':') {
        return None;
    }
    let port: u16 = port_text.parse().ok()?;
    let host = dns_name(host_text)?;
    Some(Address {
        host,
        port: Some(port),
        scheme: None,
        text: token.to_owned(),
    })
}

/// `host[:port]` of a URL authority; the port must be a number.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    if authority.starts_with('[') {
        // IPv6 literal: never a Service name.
        return None;
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => {
            let port = if port.is_empty() {
                None
            } else {
                Some(port.parse().ok()?)
            };
            Some((dns_name(host)?, port))
        }
        None => Some((dns_name(authority)?, None)),
    }
}

/// A host name as Kubernetes names Services: letters, digits, `-` and `.`, with a letter
/// somewhere (an IP address is no Service name). Lower-cased.
pub fn dns_name(text: &str) -> Option<String> {
    let text = text.strip_suffix('.').unwrap_or(text);
    if text.is_empty()
        || text.len() > 253
        || !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        || !text.bytes().any(|b| b.is_ascii_alphabetic())
        || text.starts_with(['-', '.'])
        || text.contains("..")
    {
        return None;
    }
    Some(text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Option<(String, Option<u16>, Option<&'static str>)> {
        let mut all = find_addresses(text);
        assert!(all.len() <= 1, "{all:?}");
        all.pop().map(|a| (a.host, a.port, a.scheme))
    }

    #[test]
    fn urls_and_bare_addresses() {
        assert_eq!(
            one("http://payment-gw.shop.svc:9090/pay?x=1"),
            Some(("payment-gw.shop.svc".into(), Some(9090), Some("http")))
        );
        assert_eq!(
            one("postgresql://app:secret@postgres.data:5432/orders"),
            Some(("postgres.data".into(), Some(5432), Some("postgres")))
        );
        assert_eq!(
            one("redis://redis"),
            Some(("redis".into(), Some(6379), Some("redis")))
        );
        assert_eq!(
            one("grpc://x.y.svc"),
            Some(("x.y.svc".into(), None, Some("grpc")))
        );
        assert_eq!(
            one("--sync-endpoint=sync-controller.sync-controller.svc:9090"),
            Some(("sync-controller.sync-controller.svc".into(), Some(9090), None))
        );
        assert_eq!(
            one("  database: postgres.data.svc:5432"),
            Some(("postgres.data.svc".into(), Some(5432), None))
        );
        assert_eq!(
            one(
                "clusters: {source: registry, registryUrl: grpc://cluster-registry.cluster-registry.svc:9090}"
            ),
            Some((
                "cluster-registry.cluster-registry.svc".into(),
                Some(9090),
                Some("grpc")
            ))
        );
        assert_eq!(
            redact_credentials(
                "env DB=postgres://app:s3cr:et@pg.data:5432/x and redis://:pw@r:6379 http://h/a@b"
            ),
            "env DB=postgres://app:***@pg.data:5432/x and redis://:***@r:6379 http://h/a@b"
        );
        assert!(scheme_is_tls("grpcs") && scheme_is_tls("rediss") && !scheme_is_tls("http"));
    }

    #[test]
    fn nearest_negatives() {
        assert_eq!(one("10:30"), None, "a time is no address");
        assert_eq!(one("10.0.0.1:80"), None, "an IP address is no Service");
        assert_eq!(one("ftp://files.shop.svc"), None, "unknown scheme");
        assert_eq!(one("# url: http://old.shop.svc:80"), None, "comment line");
        assert_eq!(
            one("url: http://a.b:80 # http://old.shop.svc:80").map(|a| a.0),
            Some("a.b".into())
        );
        assert_eq!(one("key: value"), None);
        assert_eq!(one("http://[::1]:8080"), None);
        assert_eq!(one("http://host:notaport"), None);
    }
}
