//! A small client for the Prometheus HTTP API, for the metric gates of `upgrade` and `rehearse`
//! (a gate is a PromQL expression evaluated now, compared with a threshold), and in
//! [`testing`] a real Prometheus (Debian's `prometheus` package) that tests start on loopback.
//!
//! Only instant queries are made: `POST /api/v1/query` with a form body (`query`, `timeout`).
//! Facts about the API this relies on, from <https://prometheus.io/docs/prometheus/latest/querying/api/>:
//! - every answer that reaches the API handlers is a JSON envelope `{"status": "success" |
//!   "error", "data", "errorType", "error", "warnings"}`; errors come with 400 (`bad_data`:
//!   parameters missing or wrong, e.g. a PromQL syntax error), 422 (`execution`: the expression
//!   cannot be executed) or 503 (`timeout`/`canceled`: the query timed out or was aborted);
//!   other non-2xx codes come from before the API (a proxy, a wrong path) and need not be JSON;
//! - an instant query's `data` is `{"resultType": "vector" | "scalar" | "matrix" | "string",
//!   "result": ...}`; a vector is `[{"metric": {labels}, "value": [time, "v"]}]`, a scalar
//!   `[time, "v"]`; sample values are strings because JSON has no NaN or infinities, which are
//!   written `NaN`, `+Inf` and `-Inf`; with native histograms a series has `histogram` instead of
//!   `value`;
//! - the query may be sent as a URL-encoded form in a POST body, and `timeout` caps the
//!   evaluation on the server (a Prometheus duration, e.g. `1500ms`).
//!
//! Proxies from the environment are not used (as for etcd in crates/live): a gate backend is
//! reached directly.

pub mod testing;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// The default time a query may take, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where Prometheus is and how to authenticate to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The base URL (`http://prometheus.monitoring:9090`, or with a route prefix
    /// `https://host/prometheus`); `/api/v1/query` is appended.
    pub url: String,
    /// For the whole request; also sent to Prometheus as the query's evaluation timeout.
    pub timeout: Duration,
    pub bearer_token: Option<String>,
    /// Read at every query, so a rotated token (a projected service account token) is picked up.
    pub bearer_token_file: Option<PathBuf>,
    pub basic_auth: Option<BasicAuth>,
    /// PEM bundle of the CAs to trust instead of the system's.
    pub ca_file: Option<PathBuf>,
}

impl Config {
    /// A configuration with the default timeout and no authentication.
    pub fn new(url: impl Into<String>) -> Self {
        Config {
            url: url.into(),
            timeout: DEFAULT_TIMEOUT,
            bearer_token: None,
            bearer_token_file: None,
            basic_auth: None,
            ca_file: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    pub username: String,
    pub password: Option<String>,
    /// Read at every query.
    pub password_file: Option<PathBuf>,
}

/// One series of the result.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series' labels, `__name__` included when the expression keeps it.
    pub labels: BTreeMap<String, String>,
    /// May be NaN or infinite (`0/0`, a ratio of empty rates): the caller decides what it means.
    pub value: f64,
}

/// The answer to an instant query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    /// A vector's series; one unlabelled sample for a scalar; empty when the expression
    /// selected nothing ("no data", which is not an error).
    pub samples: Vec<Sample>,
    /// Prometheus's warnings (the data is still there, possibly partial).
    pub warnings: Vec<String>,
}

impl QueryResult {
    /// True when the expression selected no series.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

/// Why a query gave no result. Each says what to do in its `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// No connection: refused, no route, the name does not resolve, a TLS handshake failure.
    Unreachable { url: String, reason: String },
    /// No complete answer within the configured timeout.
    Timeout { url: String, after: Duration },
    /// The API refused or failed the query (its JSON error envelope).
    Http {
        status: u16,
        error_type: String,
        message: String,
    },
    /// 401 or 403.
    Unauthorized { status: u16, message: String },
    /// An answer that is not the API's JSON (a proxy's page, a wrong URL, a truncated body).
    BadResponse { status: u16, reason: String },
    /// A range vector (matrix), a string or native histograms: not something to compare
    /// with a threshold.
    NotInstantVector { result_type: String },
    /// A bearer token or password file that cannot be read.
    Credentials { path: PathBuf, reason: String },
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Unreachable { url, reason } if reason.contains("certificate") => write!(
                f,
                "Prometheus at {url} did not pass the TLS check ({reason}): when its certificate \
                 is signed by your own CA, give that CA's PEM file as the gates' prometheus ca_file"
            ),
            QueryError::Unreachable { url, reason } => write!(
                f,
                "Prometheus at {url} is unreachable ({reason}): check the gates' prometheus url \
                 and that Prometheus is running and reachable from this machine"
            ),
            QueryError::Timeout { url, after } => write!(
                f,
                "Prometheus at {url} did not answer within {}: check that it is not overloaded, \
                 make the query cheaper, or raise the gates' prometheus timeout",
                human(*after)
            ),
            QueryError::Http {
                status,
                error_type,
                message,
            } => {
                let what = match error_type.as_str() {
                    "bad_data" => "fix the gate's PromQL expression",
                    "execution" => {
                        "the expression is valid but cannot be evaluated: check its functions \
                         and operands (e.g. a many-to-many match)"
                    }
                    "timeout" | "canceled" => {
                        "Prometheus gave up on the query: make it cheaper (shorter ranges, fewer \
                         series) or raise the gates' prometheus timeout"
                    }
                    _ => "check Prometheus's own logs",
                };
                write!(
                    f,
                    "Prometheus refused the query (HTTP {status}, {error_type}: {message}): {what}"
                )
            }
            QueryError::Unauthorized { status, message } => write!(
                f,
                "Prometheus refused the credentials (HTTP {status}{}): set bearer_token, \
                 bearer_token_file or basic_auth in the gates' prometheus section, or check them",
                if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                }
            ),
            QueryError::BadResponse { status, reason } => write!(
                f,
                "not an answer of the Prometheus API (HTTP {status}: {reason}): check that the \
                 gates' prometheus url is Prometheus's base URL (without /api/v1) and that no \
                 proxy stands in the way"
            ),
            QueryError::NotInstantVector { result_type } => write!(
                f,
                "the expression gives a {result_type}, not a number per series: use an \
                 instant-vector or scalar expression (e.g. rate(x[5m]) instead of x[5m], \
                 histogram_quantile(...) over histograms)"
            ),
            QueryError::Credentials { path, reason } => write!(
                f,
                "cannot read {} ({reason}): fix the path or the file's permissions",
                path.display()
            ),
        }
    }
}

impl std::error::Error for QueryError {}

/// `1.5s`, `10s`, `250ms`.
fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[derive(Debug, Clone)]
enum Auth {
    None,
    Bearer(String),
    BearerFile(PathBuf),
    Basic {
        username: String,
        password: Option<String>,
    },
    BasicFile {
        username: String,
        password_file: PathBuf,
    },
}

/// A client for one Prometheus. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    endpoint: reqwest::Url,
    timeout: Duration,
    auth: Auth,
}

impl Client {
    /// Checks the configuration (URL, exclusive credentials, the CA file) without any
    /// network access.
    pub fn new(config: &Config) -> Result<Client, String> {
        let base = config.url.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!(
                "prometheus url {:?}: give a URL starting with http:// or https://",
                config.url
            ));
        }
        let endpoint = reqwest::Url::parse(&format!("{base}/api/v1/query"))
            .map_err(|e| format!("prometheus url {:?}: {e}", config.url))?;
        if endpoint.query().is_some() || endpoint.fragment().is_some() {
            return Err(format!(
                "prometheus url {:?}: give the base URL only, without ? or #",
                config.url
            ));
        }
        if config.timeout.is_zero() {
            return Err("prometheus timeout: give a duration above zero (default 10s)".to_owned());
        }
        let auth = auth(config)?;
        let mut builder = reqwest::Client::builder().timeout(config.timeout).no_proxy();
        if let Some(path) = &config.ca_file {
            let pem =
                std::fs::read(path).map_err(|e| format!("prometheus ca_file {}: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                format!(
                    "prometheus ca_file {}: not a PEM certificate bundle: {e}",
                    path.display()
                )
            })?;
            if certs.is_empty() {
                return Err(format!(
                    "prometheus ca_file {}: no PEM certificate in it",
                    path.display()
                ));
            }
            builder = builder.tls_certs_only(certs);
        }
        let http = builder
            .build()
            .map_err(|e| format!("prometheus client: {}", error_chain(&e)))?;
        Ok(Client {
            http,
            base,
            endpoint,
            timeout: config.timeout,
            auth,
        })
    }

    /// The base URL queried, as configured (without a trailing `/`).
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Evaluates `expr` now (an instant query).
    pub async fn query(&self, expr: &str) -> Result<QueryResult, QueryError> {
        // A form body keeps long expressions out of the URL (the API accepts both).
        let body = {
            let mut form = reqwest::Url::parse("http://form.invalid/").expect("a constant URL");
            form.query_pairs_mut()
                .append_pair("query", expr)
                .append_pair("timeout", &format!("{}ms", self.timeout.as_millis()));
            form.query().unwrap_or_default().to_owned()
        };
        let mut request = self
            .http
            .post(self.endpoint.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body);
        request = match &self.auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::BearerFile(path) => request.bearer_auth(read_secret(path)?),
            Auth::Basic { username, password } => request.basic_auth(username, password.as_ref()),
            Auth::BasicFile {
                username,
                password_file,
            } => request.basic_auth(username, Some(read_secret(password_file)?)),
        };
        let response = request.send().await.map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| self.transport(e))?;
        parse_response(status, &body)
    }

    fn transport(&self, e: reqwest::Error) -> QueryError {
        if e.is_timeout() {
            QueryError::Timeout {
                url: self.base.clone(),
                after: self.timeout,
            }
        } else {
            QueryError::Unreachable {
                url: self.base.clone(),
                // The URL is in the message already.
                reason: error_chain(&e.without_url()),
            }
        }
    }
}

fn auth(config: &Config) -> Result<Auth, String> {
    let bearer = match (&config.bearer_token, &config.bearer_token_file) {
        (Some(_), Some(_)) => {
            return Err("prometheus: give bearer_token or bearer_token_file, not both".to_owned());
        }
        (Some(token), None) => Some(Auth::Bearer(token.clone())),
        (None, Some(path)) => Some(Auth::BearerFile(path.clone())),
        (None, None) => None,
    };
    let basic = match &config.basic_auth {
        None => None,
        Some(b) => {
            if b.username.is_empty() {
                return Err("prometheus basic_auth: give a username".to_owned());
            }
            Some(match (&b.password, &b.password_file) {
                (Some(_), Some(_)) => {
                    return Err("prometheus basic_auth: give password or password_file, not both".to_owned());
                }
                (_, Some(path)) => Auth::BasicFile {
                    username: b.username.clone(),
                    password_file: path.clone(),
                },
                (password, None) => Auth::Basic {
                    username: b.username.clone(),
                    password: password.clone(),
                },
            })
        }
    };
    match (bearer, basic) {
        // Prometheus's own HTTP client configuration refuses both too: one Authorization header.
        (Some(_), Some(_)) => Err(
            "prometheus: give a bearer token or basic_auth, not both (one Authorization header)".to_owned(),
        ),
        (Some(a), None) | (None, Some(a)) => Ok(a),
        (None, None) => Ok(Auth::None),
    }
}

/// A token or password file's content without surrounding whitespace (the trailing newline an
/// editor or `echo` adds), as Prometheus's own client configuration reads it.
fn read_secret(path: &Path) -> Result<String, QueryError> {
    let text = std::fs::read_to_string(path).map_err(|e| QueryError::Credentials {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(QueryError::Credentials {
            path: path.to_owned(),
            reason: "the file is empty".to_owned(),
        });
    }
    Ok(secret.to_owned())
}

/// The error and its causes: reqwest's own message ("error sending request") hides the reason.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let s = cause.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = cause.source();
    }
    text
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Value>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warnings: Option<Vec<String>>,
}

/// Turns an HTTP status and body of `/api/v1/query` into a result (no I/O: unit-tested).
pub fn parse_response(status: u16, body: &[u8]) -> Result<QueryResult, QueryError> {
    let envelope = serde_json::from_slice::<Envelope>(body);
    if status == 401 || status == 403 {
        let message = match &envelope {
            Ok(e) => e.error.clone().unwrap_or_default(),
            Err(_) => snippet(body),
        };
        return Err(QueryError::Unauthorized { status, message });
    }
    let envelope = envelope.map_err(|e| QueryError::BadResponse {
        status,
        reason: if body.is_empty() {
            "empty body".to_owned()
        } else {
            format!("{e}; the body starts with {:?}", snippet(body))
        },
    })?;
    if envelope.status != "success" || !(200..300).contains(&status) {
        return Err(QueryError::Http {
            status,
            error_type: envelope.error_type.unwrap_or_else(|| "unknown".to_owned()),
            message: envelope
                .error
                .unwrap_or_else(|| format!("status {:?} without an error message", envelope.status)),
        });
    }
    let bad = |reason: String| QueryError::BadResponse { status, reason };
    let data = envelope
        .data
        .ok_or_else(|| bad("a success without data".to_owned()))?;
    let result_type = data
        .get("resultType")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("data without resultType".to_owned()))?;
    let result = data
        .get("result")
        .ok_or_else(|| bad("data without result".to_owned()))?;
    let samples = match result_type {
        "vector" => {
            let series = result
                .as_array()
                .ok_or_else(|| bad("a vector result that is not a list".to_owned()))?;
            let mut samples = Vec::with_capacity(series.len());
            for s in series {
                if s.get("value").is_none() && s.get("histogram").is_some() {
                    return Err(QueryError::NotInstantVector {
                        result_type: "native histogram".to_owned(),
                    });
                }
                let labels = s
                    .get("metric")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                let value = s
                    .get("value")
                    .ok_or_else(|| bad("a series without a value".to_owned()))
                    .and_then(|v| sample_value(v).map_err(&bad))?;
                samples.push(Sample { labels, value });
            }
            samples
        }
        "scalar" => vec![Sample {
            labels: BTreeMap::new(),
            value: sample_value(result).map_err(bad)?,
        }],
        other => {
            return Err(QueryError::NotInstantVector {
                result_type: match other {
                    "matrix" => "range vector (matrix)".to_owned(),
                    "string" => "string".to_owned(),
                    _ => format!("result of type {other:?}"),
                },
            });
        }
    };
    Ok(QueryResult {
        samples,
        warnings: envelope.warnings.unwrap_or_default(),
    })
}

/// `[time, "value"]` to the value; `NaN`, `+Inf`, `-Inf` included.
fn sample_value(v: &Value) -> Result<f64, String> {
    let text = v
        .as_array()
        .filter(|pair| pair.len() == 2)
        .and_then(|pair| pair[1].as_str())
        .ok_or_else(|| format!("a sample that is not [time, \"value\"]: {v}"))?;
    parse_float(text).ok_or_else(|| format!("a sample value that is not a number: {text:?}"))
}

/// Go's `strconv.FormatFloat` output as Prometheus writes it.
fn parse_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => text.parse::<f64>().ok().filter(|v| v.is_finite()),
    }
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> QueryResult {
        parse_response(200, body.as_bytes()).unwrap()
    }

    #[test]
    fn a_vector_gives_its_series_with_labels() {
        let r = ok(r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"up","job":"a"},"value":[1.5,"1"]},
            {"metric":{"job":"b"},"value":[1.5,"0.25"]}]}}"#);
        assert_eq!(r.samples.len(), 2);
        assert_eq!(r.samples[0].labels["job"], "a");
        assert_eq!(r.samples[0].labels["__name__"], "up");
        assert_eq!(r.samples[1].value, 0.25);
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn special_values_parse() {
        let value = |v: &str| {
            ok(&format!(
                r#"{{"status":"success","data":{{"resultType":"scalar","result":[1,"{v}"]}}}}"#
            ))
            .samples[0]
                .value
        };
        assert!(value("NaN").is_nan());
        assert_eq!(value("+Inf"), f64::INFINITY);
        assert_eq!(value("-Inf"), f64::NEG_INFINITY);
        assert_eq!(value("1e-3"), 0.001);
        let bad = parse_response(
            200,
            br#"{"status":"success","data":{"resultType":"scalar","result":[1,"x"]}}"#,
        );
        assert!(matches!(bad, Err(QueryError::BadResponse { .. })), "{bad:?}");
    }

    #[test]
    fn an_empty_vector_is_no_data_not_an_error() {
        let r = ok(r#"{"status":"success","data":{"resultType":"vector","result":[]},"warnings":["w"]}"#);
        assert!(r.is_empty());
        assert_eq!(r.warnings, ["w"]);
    }

    #[test]
    fn api_errors_keep_their_type() {
        let e = parse_response(
            422,
            br#"{"status":"error","errorType":"execution","error":"many-to-many matching"}"#,
        )
        .unwrap_err();
        assert_eq!(
            e,
            QueryError::Http {
                status: 422,
                error_type: "execution".into(),
                message: "many-to-many matching".into()
            }
        );
        assert!(e.to_string().contains("cannot be evaluated"), "{e}");
    }

    #[test]
    fn not_json_is_a_bad_response_and_401_is_unauthorized() {
        let e = parse_response(502, b"<html>Bad Gateway</html>").unwrap_err();
        assert!(matches!(e, QueryError::BadResponse { status: 502, .. }), "{e:?}");
        assert!(e.to_string().contains("base URL"), "{e}");
        let e = parse_response(401, b"Unauthorized").unwrap_err();
        assert_eq!(
            e,
            QueryError::Unauthorized {
                status: 401,
                message: "Unauthorized".into()
            }
        );
    }

    #[test]
    fn matrix_string_and_histograms_are_refused() {
        for (body, kind) in [
            (
                r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
                "matrix",
            ),
            (
                r#"{"status":"success","data":{"resultType":"string","result":[1,"a"]}}"#,
                "string",
            ),
            (
                r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{}]}]}}"#,
                "histogram",
            ),
        ] {
            let e = parse_response(200, body.as_bytes()).unwrap_err();
            assert!(matches!(e, QueryError::NotInstantVector { .. }), "{e:?}");
            assert!(e.to_string().contains(kind), "{e}");
            assert!(e.to_string().contains("instant-vector"), "{e}");
        }
    }

    #[test]
    fn configuration_errors_say_what_to_fix() {
        let err = |c: Config| Client::new(&c).unwrap_err();
        assert!(err(Config::new("prometheus:9090")).contains("http://"));
        assert!(err(Config::new("http://p:9090/?x=1")).contains("base URL"));
        let mut c = Config::new("http://p:9090");
        c.timeout = Duration::ZERO;
        assert!(err(c).contains("above zero"));
        let mut c = Config::new("http://p:9090");
        c.bearer_token = Some("t".into());
        c.basic_auth = Some(BasicAuth {
            username: "u".into(),
            password: None,
            password_file: None,
        });
        assert!(err(c).contains("not both"));
        let mut c = Config::new("http://p:9090");
        c.ca_file = Some("/nonexistent/ca.pem".into());
        assert!(err(c).contains("/nonexistent/ca.pem"));
        let client = Client::new(&Config::new("http://p:9090/prefix/")).unwrap();
        assert_eq!(client.url(), "http://p:9090/prefix");
        assert_eq!(client.endpoint.as_str(), "http://p:9090/prefix/api/v1/query");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let mut c = Config::new("https://p:9090");
        c.ca_file = Some(path);
        let e = Client::new(&c).unwrap_err();
        assert!(e.contains("ca.pem"), "{e}");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_secs(10)), "10s");
        assert_eq!(human(Duration::from_millis(250)), "250ms");
        assert_eq!(human(Duration::from_millis(1500)), "1.5s");
    }
}
