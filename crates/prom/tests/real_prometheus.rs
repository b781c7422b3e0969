//! The client against a real Prometheus (Debian's package, `$PROMETHEUS_BIN`; `scripts/test`
//! installs it) scraping a tiny metrics server that the test changes. Prometheus's first scrape
//! comes ~5 s after its start, so each test starts one and checks several things with it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use mcp_diag_prom::testing::{Prometheus, Target};
use mcp_diag_prom::{Client, Config, QueryError};

/// What the metrics server exposes; the test changes it.
#[derive(Debug, Clone)]
struct Metrics {
    gauge: f64,
    ok: u64,
    errors: u64,
}

type Shared = Arc<Mutex<Metrics>>;

/// The Prometheus text format, with Prometheus's spelling of NaN.
async fn render(State(m): State<Shared>) -> String {
    let m = m.lock().unwrap().clone();
    let gauge = if m.gauge.is_nan() {
        "NaN".to_owned()
    } else {
        m.gauge.to_string()
    };
    format!(
        "# TYPE test_gauge gauge\ntest_gauge{{zone=\"a\"}} {gauge}\n\
         # TYPE test_requests_total counter\n\
         test_requests_total{{code=\"200\"}} {}\ntest_requests_total{{code=\"500\"}} {}\n",
        m.ok, m.errors
    )
}

async fn metrics_server(initial: Metrics) -> (SocketAddr, Shared) {
    let shared = Arc::new(Mutex::new(initial));
    let app = Router::new()
        .route("/metrics", get(render))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, shared)
}

const SCRAPE: Duration = Duration::from_millis(100);
const WAIT: Duration = Duration::from_secs(60);

async fn start(targets: &[Target]) -> Prometheus {
    let t0 = Instant::now();
    let p = Prometheus::start(targets, SCRAPE).await.unwrap();
    eprintln!("Prometheus ready after {:?}", t0.elapsed());
    p
}

async fn value(client: &Client, expr: &str) -> f64 {
    let r = client.query(expr).await.unwrap();
    assert_eq!(r.samples.len(), 1, "{expr}: {r:?}");
    r.samples[0].value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_against_a_real_prometheus() {
    let (addr, metrics) = metrics_server(Metrics {
        gauge: 0.5,
        ok: 90,
        errors: 10,
    })
    .await;
    let prometheus = start(&[Target::new("app", addr)]).await;
    let t0 = Instant::now();
    prometheus.wait_scraped("app", 1, WAIT).await.unwrap();
    eprintln!("first successful scrape {:?} after ready", t0.elapsed());
    let client = prometheus.client();

    // A vector: the series with its labels (the target's and the metric's) and value.
    let r = client.query("test_gauge").await.unwrap();
    assert!(r.warnings.is_empty(), "{r:?}");
    assert_eq!(r.samples.len(), 1, "{r:?}");
    let s = &r.samples[0];
    assert_eq!(s.value, 0.5);
    assert_eq!(s.labels["__name__"], "test_gauge");
    assert_eq!(s.labels["job"], "app");
    assert_eq!(s.labels["zone"], "a");
    assert_eq!(s.labels["instance"], addr.to_string());

    // A gate-like ratio over both series of the counter.
    let ratio = "sum(test_requests_total{code=~\"5..\"}) / sum(test_requests_total)";
    assert!((value(&client, ratio).await - 0.1).abs() < 1e-9);

    // Changed by the test: seen after new scrapes.
    {
        let mut m = metrics.lock().unwrap();
        m.gauge = 2.25;
        m.errors = 110;
    }
    prometheus.wait_new_scrapes("app", 2, WAIT).await.unwrap();
    assert_eq!(value(&client, "test_gauge").await, 2.25);
    assert!((value(&client, ratio).await - 0.55).abs() < 1e-9);
    let by_code = client.query("sum by (code) (test_requests_total)").await.unwrap();
    assert_eq!(by_code.samples.len(), 2, "{by_code:?}");

    // NaN and infinities, computed and scraped.
    assert!(value(&client, "0/0").await.is_nan());
    assert_eq!(value(&client, "1/0").await, f64::INFINITY);
    assert_eq!(value(&client, "-1/0").await, f64::NEG_INFINITY);
    metrics.lock().unwrap().gauge = f64::NAN;
    prometheus.wait_new_scrapes("app", 2, WAIT).await.unwrap();
    assert!(value(&client, "test_gauge").await.is_nan());

    // No data: a metric that does not exist is an empty result, not an error.
    let none = client.query("no_such_metric_total").await.unwrap();
    assert!(none.is_empty(), "{none:?}");
    let none = client.query("sum(rate(no_such_metric_total[1m]))").await.unwrap();
    assert!(none.is_empty(), "{none:?}");

    // A syntax error: bad_data, 400.
    match client.query("sum(rate(test_requests_total[1m])").await {
        Err(QueryError::Http {
            status: 400,
            error_type,
            message,
        }) => {
            assert_eq!(error_type, "bad_data");
            assert!(message.contains("parse error"), "{message}");
        }
        other => panic!("expected bad_data: {other:?}"),
    }
    // A valid expression that cannot be evaluated: execution, 422.
    match client
        .query("test_requests_total + on() test_requests_total")
        .await
    {
        Err(e @ QueryError::Http { status: 422, .. }) => {
            assert!(e.to_string().contains("execution"), "{e}");
        }
        other => panic!("expected an execution error: {other:?}"),
    }

    // A range vector and a string are refused with what to use instead.
    for expr in ["test_gauge[1m]", "\"text\""] {
        let e = client.query(expr).await.unwrap_err();
        assert!(matches!(e, QueryError::NotInstantVector { .. }), "{expr}: {e:?}");
        assert!(e.to_string().contains("instant-vector"), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_targets_are_waited_for_and_the_process_goes_with_drop() {
    let (a, _ma) = metrics_server(Metrics {
        gauge: 1.0,
        ok: 1,
        errors: 0,
    })
    .await;
    let (b, _mb) = metrics_server(Metrics {
        gauge: 2.0,
        ok: 1,
        errors: 0,
    })
    .await;
    let prometheus = start(&[Target::new("app", a), Target::new("app", b)]).await;
    prometheus.wait_scraped("app", 3, WAIT).await.unwrap();
    let scrapes = prometheus.scrapes("app").await.unwrap();
    assert_eq!(scrapes.len(), 2, "{scrapes:?}");
    assert!(scrapes.iter().all(|(_, n)| *n >= 3), "{scrapes:?}");
    let r = prometheus
        .client()
        .query("sum(test_gauge{job=\"app\"})")
        .await
        .unwrap();
    assert_eq!(r.samples[0].value, 3.0);

    // A job nobody was given is an error, not a wait.
    let e = prometheus
        .wait_scraped("other", 1, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(e.contains("no target of job"), "{e}");

    // Dropped: the process is gone and the port closed.
    let url = prometheus.url().to_owned();
    drop(prometheus);
    let mut config = Config::new(url);
    config.timeout = Duration::from_secs(5);
    let e = Client::new(&config).unwrap().query("up").await.unwrap_err();
    assert!(matches!(e, QueryError::Unreachable { .. }), "{e:?}");
}

/// Prometheus's own HTTPS and basic auth (`--web.config.file`): the client's `ca_file` and
/// `basic_auth` against the real server, and what a missing CA or password gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_and_basic_auth_against_a_real_prometheus() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    // bcrypt("gate-password"), cost 4 (made with Python's crypt, METHOD_BLOWFISH).
    let hash = "$2b$04$dh2XkfVG1OLR0LUkWKX4zuavgOnsZYctbTQz/oE23dwllkyrA4poq";
    let web = dir.path().join("web.yml");
    std::fs::write(
        &web,
        format!(
            "tls_server_config:\n  cert_file: {:?}\n  key_file: {:?}\nbasic_auth_users:\n  gate: {:?}\n",
            pki.cert, pki.key, hash
        ),
    )
    .unwrap();
    let server = Secured::start(dir.path(), &web);

    let mut config = Config::new(&server.url);
    config.ca_file = Some(pki.ca.clone());
    config.basic_auth = Some(mcp_diag_prom::BasicAuth {
        username: "gate".into(),
        password: Some("gate-password".into()),
        password_file: None,
    });
    config.timeout = Duration::from_secs(5);
    let client = Client::new(&config).unwrap();
    // Ready: the API answers (503 before the storage is open).
    let deadline = Instant::now() + WAIT;
    let answer = loop {
        match client.query("1 + 1").await {
            Ok(r) => break r,
            Err(e) if Instant::now() > deadline => {
                panic!("{e}; Prometheus's log:\n{}", server.log())
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    assert_eq!(answer.samples[0].value, 2.0);

    // Without the password: 401.
    let mut no_auth = config.clone();
    no_auth.basic_auth = None;
    let e = Client::new(&no_auth).unwrap().query("1").await.unwrap_err();
    assert!(matches!(e, QueryError::Unauthorized { status: 401, .. }), "{e:?}");
    // Without the CA: the handshake fails, and says it is the certificate.
    let mut no_ca = config.clone();
    no_ca.ca_file = None;
    let e = Client::new(&no_ca).unwrap().query("1").await.unwrap_err();
    match &e {
        QueryError::Unreachable { reason, .. } => {
            assert!(reason.contains("certificate"), "{reason}");
            assert!(e.to_string().contains("ca_file"), "{e}");
            eprintln!("{e}");
        }
        other => panic!("expected a TLS failure: {other:?}"),
    }
}

struct Pki {
    ca: std::path::PathBuf,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
}

/// A CA and a server certificate for 127.0.0.1, made with `$OPENSSL` (else Debian's path).
fn make_pki(dir: &std::path::Path) -> Pki {
    let openssl = match std::env::var_os("OPENSSL") {
        Some(p) if !p.is_empty() => std::path::PathBuf::from(p),
        _ => std::path::PathBuf::from("/usr/bin/openssl"),
    };
    assert!(
        openssl.is_file(),
        "{} not found: run scripts/test once (it installs openssl), or set OPENSSL",
        openssl.display()
    );
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&openssl)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &["-keyout", "ca.key", "-out", "ca.pem"],
        &["-days", "2", "-subj", "/CN=test-ca"],
    ]
    .concat());
    std::fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    ]
    .concat());
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    }
}

/// Prometheus with a web configuration, started by hand (the testing module serves plain HTTP).
struct Secured {
    child: std::process::Child,
    url: String,
    log: std::path::PathBuf,
}

impl Secured {
    fn start(dir: &std::path::Path, web: &std::path::Path) -> Secured {
        let bin = mcp_diag_prom::testing::binary().unwrap();
        let config = dir.join("prometheus.yml");
        std::fs::write(&config, mcp_diag_prom::testing::config_yaml(&[], SCRAPE).unwrap()).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join("stderr.log");
        let child = std::process::Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--web.config.file={}", web.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg("--log.level=warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Secured {
            child,
            url: format!("https://127.0.0.1:{port}"),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Secured {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
