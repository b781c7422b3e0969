//! The client against servers that are not Prometheus: what it sends (method, form, credentials)
//! and how it fails (refused connection, no answer, 401, a page that is not the API's).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::any;
use mcp_diag_prom::{BasicAuth, Client, Config, QueryError};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: String,
}

#[derive(Clone)]
struct Fake {
    seen: Arc<Mutex<Vec<Seen>>>,
    status: StatusCode,
    body: &'static str,
}

async fn answer(
    State(fake): State<Fake>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().to_owned())
    };
    fake.seen.lock().unwrap().push(Seen {
        method,
        path: uri.path().to_owned(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body,
    });
    (fake.status, fake.body)
}

const NO_DATA: &str = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;

/// A server answering every request with `status` and `body`; what it saw is returned.
async fn fake(status: StatusCode, body: &'static str) -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new().fallback(any(answer)).with_state(Fake {
        seen: seen.clone(),
        status,
        body,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

fn config(addr: SocketAddr) -> Config {
    Config::new(format!("http://{addr}"))
}

async fn last_seen(config: &Config, seen: &Arc<Mutex<Vec<Seen>>>) -> Seen {
    Client::new(config).unwrap().query("up").await.unwrap();
    seen.lock().unwrap().last().cloned().unwrap()
}

#[tokio::test]
async fn the_query_is_a_form_post_to_the_api_under_the_base_url() {
    let (addr, seen) = fake(StatusCode::OK, NO_DATA).await;
    let mut c = Config::new(format!("http://{addr}/prefix/"));
    c.timeout = Duration::from_millis(2500);
    let client = Client::new(&c).unwrap();
    let r = client.query("sum(rate(x{code=~\"5..\"}[1m])) > 0").await.unwrap();
    assert!(r.is_empty());
    let s = seen.lock().unwrap()[0].clone();
    assert_eq!(s.method, Method::POST);
    assert_eq!(s.path, "/prefix/api/v1/query");
    assert_eq!(
        s.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        s.body,
        "query=sum%28rate%28x%7Bcode%3D%7E%225..%22%7D%5B1m%5D%29%29+%3E+0&timeout=2500ms"
    );
    assert_eq!(s.authorization, None);
}

#[tokio::test]
async fn a_bearer_token_is_sent_as_a_header() {
    let (addr, seen) = fake(StatusCode::OK, NO_DATA).await;
    let mut c = config(addr);
    c.bearer_token = Some("s3cret".into());
    assert_eq!(
        last_seen(&c, &seen).await.authorization.as_deref(),
        Some("Bearer s3cret")
    );

    // From a file, re-read at every query (a rotated token is used), without its newline.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "from-file\n").unwrap();
    let mut c = config(addr);
    c.bearer_token_file = Some(file.clone());
    let client = Client::new(&c).unwrap();
    client.query("up").await.unwrap();
    std::fs::write(&file, "rotated\n").unwrap();
    client.query("up").await.unwrap();
    let auth: Vec<Option<String>> = seen.lock().unwrap()[1..]
        .iter()
        .map(|s| s.authorization.clone())
        .collect();
    assert_eq!(
        auth,
        [
            Some("Bearer from-file".to_owned()),
            Some("Bearer rotated".to_owned())
        ]
    );

    // A file that went away: a credentials error naming it.
    std::fs::remove_file(&file).unwrap();
    let e = client.query("up").await.unwrap_err();
    assert!(matches!(e, QueryError::Credentials { .. }), "{e:?}");
    assert!(e.to_string().contains("token"), "{e}");
}

#[tokio::test]
async fn basic_auth_is_sent_as_a_header() {
    let (addr, seen) = fake(StatusCode::OK, NO_DATA).await;
    let mut c = config(addr);
    c.basic_auth = Some(BasicAuth {
        username: "gate".into(),
        password: Some("pa:ss".into()),
        password_file: None,
    });
    // base64("gate:pa:ss")
    assert_eq!(
        last_seen(&c, &seen).await.authorization.as_deref(),
        Some("Basic Z2F0ZTpwYTpzcw==")
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("password");
    std::fs::write(&file, "pa:ss\n").unwrap();
    c.basic_auth = Some(BasicAuth {
        username: "gate".into(),
        password: None,
        password_file: Some(file),
    });
    assert_eq!(
        last_seen(&c, &seen).await.authorization.as_deref(),
        Some("Basic Z2F0ZTpwYTpzcw==")
    );
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let e = Client::new(&config(addr)).unwrap().query("up").await.unwrap_err();
    match &e {
        QueryError::Unreachable { url, reason } => {
            assert_eq!(url, &format!("http://{addr}"));
            assert!(reason.to_lowercase().contains("refused"), "{reason}");
        }
        other => panic!("expected Unreachable: {other:?}"),
    }
    assert!(e.to_string().contains("unreachable"), "{e}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // Accepts connections and reads nothing: the request is sent, no answer comes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let mut c = config(addr);
    c.timeout = Duration::from_secs(1);
    let t0 = Instant::now();
    let e = Client::new(&c).unwrap().query("up").await.unwrap_err();
    let took = t0.elapsed();
    assert_eq!(
        e,
        QueryError::Timeout {
            url: format!("http://{addr}"),
            after: Duration::from_secs(1)
        }
    );
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(e.to_string().contains("within 1s"), "{e}");
}

#[tokio::test]
async fn refused_credentials_are_unauthorized() {
    for status in [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN] {
        let (addr, _) = fake(status, "Unauthorized\n").await;
        let e = Client::new(&config(addr)).unwrap().query("up").await.unwrap_err();
        assert_eq!(
            e,
            QueryError::Unauthorized {
                status: status.as_u16(),
                message: "Unauthorized".into()
            }
        );
        assert!(e.to_string().contains("bearer_token"), "{e}");
    }
}

#[tokio::test]
async fn what_is_not_the_api_is_a_bad_response() {
    let (addr, _) = fake(StatusCode::OK, "<html><body>Grafana</body></html>").await;
    let e = Client::new(&config(addr)).unwrap().query("up").await.unwrap_err();
    assert!(matches!(e, QueryError::BadResponse { status: 200, .. }), "{e:?}");
    assert!(e.to_string().contains("Grafana"), "{e}");

    let (addr, _) = fake(StatusCode::NOT_FOUND, "404 page not found").await;
    let e = Client::new(&config(addr)).unwrap().query("up").await.unwrap_err();
    assert!(matches!(e, QueryError::BadResponse { status: 404, .. }), "{e:?}");
    assert!(e.to_string().contains("without /api/v1"), "{e}");
}

#[tokio::test]
async fn a_prometheus_timeout_is_an_api_error() {
    let (addr, _) = fake(
        StatusCode::SERVICE_UNAVAILABLE,
        r#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#,
    )
    .await;
    let e = Client::new(&config(addr)).unwrap().query("up").await.unwrap_err();
    assert!(
        matches!(&e, QueryError::Http { status: 503, error_type, .. } if error_type == "timeout"),
        "{e:?}"
    );
    assert!(e.to_string().contains("make it cheaper"), "{e}");
}
