//! Every kind of probe against a real server on loopback: success, failure, timeout (a
//! listener that accepts and never answers) and slow (a latency limit exceeded).

use std::net::IpAddr;
use std::time::Duration;

use mcp_diag_probe::testing::{
    Dns, DnsMode, FullBacklog, GrpcHealth, Hang, HttpServer, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, Pki,
    Postgres, Redis, SlowProxy, free_port,
};
use mcp_diag_probe::{Limits, OAuth2, Probe, ProbeResult, report, run_blocking};

fn run(p: Probe) -> ProbeResult {
    run_blocking(&[p], 1).expect("a runtime").remove(0)
}

fn probe(url: &str) -> Probe {
    let mut p = Probe::new(url);
    p.timeout = Duration::from_secs(5);
    p
}

/// A short timeout, for the cases that must time out.
fn hanging(url: &str) -> Probe {
    let mut p = probe(url);
    p.timeout = Duration::from_millis(300);
    p.count = 2;
    p.concurrency = 2;
    p
}

fn p99(limit_ms: u64) -> Limits {
    Limits {
        p99: Some(Duration::from_millis(limit_ms)),
        ..Limits::default()
    }
}

#[track_caller]
fn assert_pass(r: &ProbeResult) {
    assert!(r.passed, "expected a pass: {r:#?}");
    assert_eq!(r.successes, r.attempts);
}

#[track_caller]
fn assert_fail(r: &ProbeResult, words: &str) {
    assert!(!r.passed, "expected a failure: {r:#?}");
    let e = r.first_error.as_deref().unwrap_or_default();
    assert!(e.contains(words), "first error {e:?} does not say {words:?}");
}

#[track_caller]
fn assert_timed_out(r: &ProbeResult) {
    assert_fail(r, "timed out after 300ms");
    assert_eq!(r.successes, 0);
}

#[track_caller]
fn assert_slow(r: &ProbeResult) {
    assert!(!r.passed, "{r:#?}");
    assert_eq!(r.successes, r.attempts, "a slow target still answers: {r:#?}");
    assert!(r.limits.iter().any(|c| !c.ok), "{r:#?}");
    assert!(
        r.reasons.iter().any(|w| w.contains("is above the limit")),
        "{:?}",
        r.reasons
    );
}

fn refused_port() -> u16 {
    free_port()
}

#[test]
fn http() {
    let server = HttpServer::start();
    let mut ok = probe(&server.url("/healthz"));
    ok.count = 20;
    ok.concurrency = 5;
    ok.expect = Some(200);
    ok.body_contains = Some("ok".into());
    ok.headers = vec![("X-Probe".into(), "1".into())];
    ok.limits = p99(2_000);
    let r = run(ok);
    assert_pass(&r);
    assert_eq!((r.attempts, r.kind), (20, Some("http")));

    assert_fail(
        &run(probe(&server.url("/status/503"))),
        "HTTP 503, expected a 2xx status",
    );
    let mut want_204 = probe(&server.url("/healthz"));
    want_204.expect = Some(204);
    assert_fail(&run(want_204), "HTTP 200, expected 204");
    let mut body = probe(&server.url("/healthz"));
    body.body_contains = Some("ready".into());
    assert_fail(&run(body), "body does not contain \"ready\"");
    assert_fail(
        &run(probe(&format!("http://127.0.0.1:{}/", refused_port()))),
        "connection refused",
    );

    assert_timed_out(&run(hanging(&server.url("/hang"))));
    let hang = Hang::start();
    assert_timed_out(&run(hanging(&format!("http://{}/", hang.addr))));

    let mut slow = probe(&server.url("/slow"));
    slow.count = 3;
    slow.limits = p99(20);
    assert_slow(&run(slow));
}

#[test]
fn https_and_oauth2() {
    let pki = Pki::new();
    let cert = pki.issue("server", &["localhost", "127.0.0.1"], false);
    let server = HttpServer::start_tls(pki.server_config(&cert, false));
    let url = format!("https://localhost:{}/healthz", server.addr.port());

    let mut ok = probe(&url);
    ok.ca = Some(pki.ca_path());
    ok.count = 5;
    ok.concurrency = 5;
    assert_pass(&run(ok));
    // The system's roots do not know the test CA.
    assert_fail(
        &run(probe(&url)),
        "TLS: the server's certificate is not signed by a CA this probe trusts",
    );

    // A certificate for another name.
    let other = pki.issue("pay", &["payment-gw.pay"], false);
    let pay = HttpServer::start_tls(pki.server_config(&other, false));
    let mut wrong = probe(&format!("https://localhost:{}/healthz", pay.addr.port()));
    wrong.ca = Some(pki.ca_path());
    assert_fail(
        &run(wrong),
        "TLS: the certificate is for payment-gw.pay, not localhost",
    );

    // Mutual TLS: refused without a client certificate, accepted with one.
    let mtls = HttpServer::start_tls(pki.server_config(&cert, true));
    let murl = format!("https://localhost:{}/healthz", mtls.addr.port());
    let mut anonymous = probe(&murl);
    anonymous.ca = Some(pki.ca_path());
    let r = run(anonymous.clone());
    assert!(!r.passed);
    let e = r.first_error.unwrap();
    assert!(e.contains("client certificate"), "{e}");
    let client = pki.issue("client", &["probe-client"], true);
    let mut with_cert = anonymous;
    with_cert.cert = Some(client.cert_path.clone());
    with_cert.key = Some(client.key_path.clone());
    assert_pass(&run(with_cert));

    // TLS against a plain-text port.
    let plain = HttpServer::start();
    let mut tls_on_plain = probe(&format!("https://127.0.0.1:{}/healthz", plain.addr.port()));
    tls_on_plain.ca = Some(pki.ca_path());
    assert_fail(&run(tls_on_plain), "TLS: the server does not speak TLS here");

    // A TLS handshake that never completes.
    let hang = Hang::start();
    let mut h = hanging(&format!("https://localhost:{}/", hang.addr.port()));
    h.ca = Some(pki.ca_path());
    assert_timed_out(&run(h));

    // OAuth2 client credentials, the secret from an environment variable of this process:
    // PATH is always set, so a test can use a variable it knows the value of without setting
    // one (setting variables in a threaded test is unsound). The secret must match the
    // endpoint's, so the good case uses a variable only the CLI test sets; here the wrong one.
    let mut oauth = probe(&plain.url("/protected"));
    oauth.oauth2 = Some(OAuth2 {
        token_url: plain.url("/token"),
        client_id: OAUTH_CLIENT_ID.into(),
        client_secret_env: "PATH".into(),
        scope: Some("health".into()),
    });
    let r = run(oauth.clone());
    assert_fail(&r, "OAuth2: the token endpoint");
    assert!(
        r.first_error
            .as_ref()
            .unwrap()
            .contains("answered 401 (invalid_client)"),
        "{r:?}"
    );
    let json = report::json(&[r]).to_string();
    assert!(
        !json.contains(&std::env::var("PATH").unwrap()),
        "the secret leaked: {json}"
    );
    let mut unset = oauth;
    unset.oauth2.as_mut().unwrap().client_secret_env = "MCP_DIAG_TEST_UNSET_SECRET".into();
    assert_fail(
        &run(unset),
        "MCP_DIAG_TEST_UNSET_SECRET (the client secret) is not set",
    );
    // Without the token, the protected route refuses.
    assert_fail(&run(probe(&plain.url("/protected"))), "HTTP 401");
    let _ = OAUTH_CLIENT_SECRET;
}

#[test]
fn tcp() {
    let server = HttpServer::start();
    let mut ok = probe(&format!("tcp://127.0.0.1:{}", server.addr.port()));
    ok.count = 10;
    ok.concurrency = 10;
    assert_pass(&run(ok.clone()));
    assert_fail(
        &run(probe(&format!("tcp://127.0.0.1:{}", refused_port()))),
        "connection refused",
    );
    let full = FullBacklog::start();
    assert_timed_out(&run(hanging(&format!("tcp://{}", full.addr))));
    // No loopback connect takes under a microsecond: the limit is always exceeded.
    let mut slow = ok;
    slow.limits = Limits {
        max: Some(Duration::from_nanos(1_000)),
        ..Limits::default()
    };
    assert_slow(&run(slow));
}

#[test]
fn dns() {
    let a: IpAddr = "10.1.2.3".parse().unwrap();
    let server = Dns::start(&[("api.shop.test", a)], DnsMode::Answer);
    let mut ok = probe(&format!("dns://{}/api.shop.test", server.addr));
    ok.expect_addresses = vec![a];
    ok.count = 10;
    ok.concurrency = 5;
    let r = run(ok.clone());
    assert_pass(&r);
    assert_eq!(r.note.as_deref(), Some("api.shop.test -> 10.1.2.3"));

    let mut wrong = ok.clone();
    wrong.expect_addresses = vec!["10.9.9.9".parse().unwrap()];
    assert_fail(
        &run(wrong),
        "DNS: api.shop.test resolved to 10.1.2.3, expected also 10.9.9.9",
    );
    assert_fail(
        &run(probe(&format!("dns://{}/nothing.shop.test", server.addr))),
        "DNS: no address for nothing.shop.test",
    );

    let silent = Dns::start(&[("api.shop.test", a)], DnsMode::Silent);
    let r = run(hanging(&format!("dns://{}/api.shop.test", silent.addr)));
    assert!(!r.passed && r.successes == 0, "{r:?}");

    let slow_server = Dns::start(&[("api.shop.test", a)], DnsMode::Slow(Duration::from_millis(60)));
    let mut slow = probe(&format!("dns://{}/api.shop.test", slow_server.addr));
    slow.count = 3;
    slow.limits = p99(20);
    assert_slow(&run(slow));
}

#[test]
fn grpc_health() {
    let server = GrpcHealth::start(None);
    let mut ok = probe(&format!("grpc://127.0.0.1:{}", server.addr.port()));
    ok.count = 10;
    ok.concurrency = 5;
    assert_pass(&run(ok));
    assert_pass(&run(probe(&format!(
        "grpc://127.0.0.1:{}/{}",
        server.addr.port(),
        GrpcHealth::SERVICE
    ))));
    let mut not_serving = probe(&format!("grpc://127.0.0.1:{}", server.addr.port()));
    not_serving.service = Some(GrpcHealth::NOT_SERVING.into());
    assert_fail(&run(not_serving), "gRPC health: sleepy.v1 is NOT_SERVING");
    assert_fail(
        &run(probe(&format!(
            "grpc://127.0.0.1:{}/unknown.v1",
            server.addr.port()
        ))),
        "does not know the service \"unknown.v1\"",
    );
    assert_fail(
        &run(probe(&format!("grpc://127.0.0.1:{}", refused_port()))),
        "connection refused",
    );
    // gRPC against an HTTP/1 server.
    let http = HttpServer::start();
    let r = run(probe(&format!("grpc://127.0.0.1:{}", http.addr.port())));
    assert!(!r.passed, "{r:?}");

    let hang = Hang::start();
    assert_timed_out(&run(hanging(&format!("grpc://127.0.0.1:{}", hang.addr.port()))));

    let proxy = SlowProxy::start(server.addr, Duration::from_millis(40));
    let mut slow = probe(&format!("grpc://127.0.0.1:{}", proxy.addr.port()));
    slow.count = 3;
    slow.limits = p99(20);
    assert_slow(&run(slow));

    // With TLS.
    let pki = Pki::new();
    let cert = pki.issue("grpc", &["localhost"], false);
    let tls = (pki, cert);
    let secure = GrpcHealth::start(Some(&tls));
    let mut good = probe(&format!("grpcs://localhost:{}", secure.addr.port()));
    good.ca = Some(tls.0.ca_path());
    good.count = 3;
    assert_pass(&run(good));
    let other = tls.0.issue("other", &["registry.internal"], false);
    let wrong_name = GrpcHealth::start(Some(&(Pki::new(), other)));
    let mut wrong = probe(&format!("grpcs://localhost:{}", wrong_name.addr.port()));
    wrong.ca = Some(tls.0.ca_path());
    assert_fail(
        &run(wrong),
        "TLS: the certificate is for registry.internal, not localhost",
    );
}

#[test]
fn redis() {
    let redis = Redis::start(Some("redis-pw")).unwrap_or_else(|e| panic!("{e}"));
    let mut ok = probe(&redis.url());
    ok.count = 20;
    ok.concurrency = 5;
    ok.limits = p99(2_000);
    let r = run(ok);
    assert_pass(&r);
    assert_eq!(r.kind, Some("redis"));
    // The URL with its password is never shown.
    assert!(!report::json(&[r]).to_string().contains("redis-pw"));

    let bad = format!("redis://:wrong@{}", redis.addr);
    let r = run(probe(&bad));
    assert_fail(&r, "Redis: ");
    assert!(
        r.first_error.as_ref().unwrap().contains("auth")
            || r.first_error.as_ref().unwrap().contains("password"),
        "{r:?}"
    );
    assert_fail(&run(probe(&format!("redis://{}", redis.addr))), "Redis: ");
    assert_fail(
        &run(probe(&format!("redis://127.0.0.1:{}", refused_port()))),
        "refused",
    );

    // An HTTP probe against Redis says the server does not speak HTTP.
    let r = run(probe(&format!("http://{}/", redis.addr)));
    assert!(!r.passed);
    let e = r.first_error.unwrap();
    assert!(e.contains("HTTP"), "{e}");

    let hang = Hang::start();
    assert_timed_out(&run(hanging(&format!("redis://{}", hang.addr))));

    let proxy = SlowProxy::start(redis.addr, Duration::from_millis(30));
    let mut slow = probe(&format!("redis://:redis-pw@{}", proxy.addr));
    slow.count = 2;
    slow.limits = p99(20);
    assert_slow(&run(slow));
}

#[test]
fn redis_tls() {
    let pki = Pki::new();
    let cert = pki.issue("redis", &["localhost"], false);
    let redis = Redis::start_tls(Some("pw"), &cert, &pki.ca_path()).unwrap_or_else(|e| panic!("{e}"));
    let url = format!("rediss://:pw@localhost:{}", redis.addr.port());
    let mut ok = probe(&url);
    ok.ca = Some(pki.ca_path());
    ok.count = 3;
    assert_pass(&run(ok));
    // The system's roots do not know the test CA.
    assert_fail(
        &run(probe(&url)),
        "Redis: TLS: invalid peer certificate: UnknownIssuer",
    );
    // Plain text against the TLS port.
    let r = run(hanging(&format!("redis://:pw@localhost:{}", redis.addr.port())));
    assert_fail(&r, "connection reset by the server");
}

#[test]
fn postgres() {
    let pg = Postgres::start().unwrap_or_else(|e| panic!("{e}"));
    let mut ok = probe(&pg.url(Some(Postgres::APP_PASSWORD)));
    ok.count = 5;
    ok.concurrency = 5;
    let r = run(ok.clone());
    assert_pass(&r);
    assert_eq!(r.note.as_deref(), Some("role: primary"));
    let mut write = ok.clone();
    write.write = true;
    assert_pass(&run(write));

    let r = run(probe(&pg.url(Some("wrong"))));
    assert_fail(&r, "Postgres: password authentication failed for user app");
    assert!(!report::json(&[r]).to_string().contains("wrong@"));
    assert_fail(
        &run(probe(&format!(
            "postgres://app:x@127.0.0.1:{}/orders",
            refused_port()
        ))),
        "connection refused",
    );

    let hang = Hang::start();
    assert_timed_out(&run(hanging(&format!(
        "postgres://app:x@{}/orders?sslmode=disable",
        hang.addr
    ))));

    let proxy = SlowProxy::start(pg.addr, Duration::from_millis(20));
    let mut slow = probe(&format!(
        "postgres://app:{}@{}/orders?sslmode=disable",
        Postgres::APP_PASSWORD,
        proxy.addr
    ));
    slow.count = 2;
    slow.limits = p99(20);
    assert_slow(&run(slow));
}
