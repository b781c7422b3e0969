//! Errors of the client crates, said in words a person on call understands.

use std::error::Error;
use std::io;

/// The most telling description of `err`: a TLS or socket cause deep in the chain wins over
/// the wrappers' generic messages ("error sending request").
pub fn describe(err: &(dyn Error + 'static)) -> String {
    let mut chain: Vec<&(dyn Error + 'static)> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        chain.push(e);
        // io::Error's `source()` skips its own payload (which may be another io::Error
        // holding the rustls error): look inside, however deep.
        let mut payload = e.downcast_ref::<io::Error>().and_then(|io| io.get_ref());
        while let Some(p) = payload {
            let p: &(dyn Error + 'static) = p;
            chain.push(p);
            payload = p.downcast_ref::<io::Error>().and_then(|io| io.get_ref());
        }
        cur = e.source();
        if chain.len() > 64 {
            break;
        }
    }
    for e in &chain {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return tls_words(tls);
        }
    }
    for e in &chain {
        if let Some(io) = e.downcast_ref::<io::Error>()
            && let Some(w) = io_words(io)
        {
            return w;
        }
    }
    for e in &chain {
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_parse() || h.is_parse_status() {
                return "the server's answer is not HTTP (does this port speak another protocol?)".into();
            }
            if h.is_incomplete_message() {
                return "the server closed the connection without an HTTP answer (does this port speak HTTP?)".into();
            }
        }
    }
    // The innermost message that says something, with the outer context when short.
    let last = chain.last().map(|e| e.to_string()).unwrap_or_default();
    let first = err.to_string();
    if chain.len() > 1 && first != last && !last.is_empty() {
        format!("{first}: {last}")
    } else {
        first
    }
}

/// Socket-level failures; `None` when the kind says nothing useful.
pub fn io_words(e: &io::Error) -> Option<String> {
    use io::ErrorKind as K;
    Some(match e.kind() {
        K::ConnectionRefused => "connection refused".into(),
        K::ConnectionReset => "connection reset by the server".into(),
        K::ConnectionAborted => "connection aborted".into(),
        K::TimedOut => "timed out".into(),
        K::UnexpectedEof => "the server closed the connection".into(),
        K::BrokenPipe => "the server closed the connection (broken pipe)".into(),
        K::AddrNotAvailable | K::HostUnreachable | K::NetworkUnreachable => {
            format!("cannot reach the host: {e}")
        }
        _ => return None,
    })
}

/// A rustls failure in words.
pub fn tls_words(e: &rustls::Error) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    let what = match e {
        E::InvalidCertificate(c) => match c {
            C::NotValidForNameContext { expected, presented } => {
                let names = if presented.is_empty() {
                    "no name".to_owned()
                } else {
                    presented.iter().map(|n| clean_name(n)).collect::<Vec<_>>().join(", ")
                };
                format!("the certificate is for {names}, not {}", expected.to_str())
            }
            C::NotValidForName => "the certificate is not for this host name".into(),
            C::UnknownIssuer => {
                "the server's certificate is not signed by a CA this probe trusts (give the CA file with `ca`)".into()
            }
            C::Expired | C::ExpiredContext { .. } => "the server's certificate has expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => "the server's certificate is not valid yet".into(),
            C::Revoked => "the server's certificate is revoked".into(),
            C::BadSignature => "the server's certificate has a bad signature".into(),
            other => format!("the server's certificate was refused ({other:?})"),
        },
        E::AlertReceived(a) => match a {
            A::CertificateRequired | A::BadCertificate | A::HandshakeFailure | A::UnknownCA => format!(
                "the server refused the handshake ({a:?}): it may require a client certificate (`cert` and `key`) it trusts"
            ),
            other => format!("the server refused the handshake ({other:?})"),
        },
        E::InvalidMessage(_) | E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => {
            "the server does not speak TLS here (a plain-text port on a TLS URL?)".into()
        }
        E::NoCertificatesPresented => "the server presented no certificate".into(),
        other => other.to_string(),
    };
    format!("TLS: {what}")
}

/// webpki gives the certificate's names in Debug form (`DnsName("a.b")`): the bare name.
fn clean_name(n: &str) -> String {
    n.strip_prefix("DnsName(")
        .and_then(|r| r.strip_suffix(')'))
        .map(|r| r.trim_matches('"').to_owned())
        .unwrap_or_else(|| n.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_inside_wrappers() {
        let inner = io::Error::new(io::ErrorKind::ConnectionRefused, "os error 111");
        #[derive(Debug)]
        struct Wrap(io::Error);
        impl std::fmt::Display for Wrap {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("error sending request")
            }
        }
        impl Error for Wrap {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        assert_eq!(describe(&Wrap(inner)), "connection refused");
    }

    #[test]
    fn tls_inside_an_io_error() {
        let name = rustls_pki_types::ServerName::try_from("payment-gw")
            .unwrap()
            .to_owned();
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext {
            expected: name,
            presented: vec!["DnsName(\"payment-gw.pay\")".into()],
        });
        let io = io::Error::new(io::ErrorKind::InvalidData, tls);
        let text = describe(&io);
        assert_eq!(text, "TLS: the certificate is for payment-gw.pay, not payment-gw");
    }

    #[test]
    fn unknown_errors_keep_their_chain() {
        let e = io::Error::other("weird");
        assert_eq!(describe(&e), "weird");
    }
}
