//! Fault injection at the HTTP level.

use std::time::{Duration, Instant};

use mcp_diag_emulator::testing::Cluster;
use mcp_diag_emulator::{Emulator, Faults, Options};
use serde_json::Value;

async fn emulator(seed: u64) -> Emulator {
    let mut c = Cluster::new("1.29.4").nodes(&["n1"], "64", "256Gi");
    for i in 0..12 {
        c = c.bare_pod("a", &format!("p{i:02}"), "n1");
    }
    Emulator::start(
        c.build(),
        Options {
            seed,
            ..Options::default()
        },
    )
    .await
    .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn error_and_throttle_shares() {
    let emu = emulator(3).await;
    let http = client();
    emu.set_faults(Faults {
        error_share: 1.0,
        ..Faults::default()
    });
    for path in ["/version", "/healthz", "/api/v1/pods"] {
        let r = http.get(format!("{}{path}", emu.url())).send().await.unwrap();
        assert_eq!(r.status(), 500);
        let s: Value = r.json().await.unwrap();
        assert_eq!(s["kind"], "Status");
        assert_eq!(s["reason"], "InternalError");
        assert_eq!(s["code"], 500);
    }
    emu.set_faults(Faults {
        throttle_share: 1.0,
        ..Faults::default()
    });
    let r = http
        .get(format!("{}/api/v1/pods", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["reason"], "TooManyRequests");

    // A share is a share, and the same seed gives the same answers.
    let mut runs = Vec::new();
    for _ in 0..2 {
        let emu = emulator(11).await;
        emu.set_faults(Faults {
            error_share: 0.3,
            throttle_share: 0.2,
            ..Faults::default()
        });
        let mut codes = Vec::new();
        for _ in 0..200 {
            codes.push(
                http.get(format!("{}/healthz", emu.url()))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
            );
        }
        assert_eq!(emu.requests(), 200);
        emu.stop().await;
        runs.push(codes);
    }
    assert_eq!(runs[0], runs[1]);
    let errors = runs[0].iter().filter(|c| **c == 500).count();
    let throttled = runs[0].iter().filter(|c| **c == 429).count();
    assert!((40..=80).contains(&errors), "{errors} errors of 200");
    assert!((20..=60).contains(&throttled), "{throttled} throttled of 200");
    emu.stop().await;
}

#[tokio::test]
async fn dropped_connections_and_hangs() {
    let emu = emulator(5).await;
    emu.set_faults(Faults {
        drop_share: 1.0,
        ..Faults::default()
    });
    let err = client()
        .get(format!("{}/version", emu.url()))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout() && err.status().is_none(), "{err}");

    emu.set_faults(Faults {
        hang: true,
        ..Faults::default()
    });
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = quick
        .get(format!("{}/healthz", emu.url()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");

    emu.set_faults(Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    });
    let start = Instant::now();
    let r = client()
        .get(format!("{}/version", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(start.elapsed() >= Duration::from_millis(150));
    emu.stop().await;
}

#[tokio::test]
async fn continue_tokens_expire_and_pages_drop() {
    let emu = emulator(9).await;
    let http = client();
    let first: Value = http
        .get(format!("{}/api/v1/pods?limit=5", emu.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = first["metadata"]["continue"].as_str().unwrap().to_owned();
    emu.set_faults(Faults {
        expire_continue: true,
        ..Faults::default()
    });
    let r = http
        .get(format!("{}/api/v1/pods?limit=5&continue={token}", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["reason"], "Expired");
    assert!(
        s["message"]
            .as_str()
            .unwrap()
            .starts_with("The provided continue parameter is too old")
    );
    // Lists without a token still work.
    let r = http
        .get(format!("{}/api/v1/pods?limit=5", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The second page request loses its connection, once.
    emu.set_faults(Faults {
        drop_after_pages: Some(2),
        ..Faults::default()
    });
    let page = |t: Option<&str>| {
        let url = match t {
            Some(t) => format!("{}/api/v1/pods?limit=5&continue={t}", emu.url()),
            None => format!("{}/api/v1/pods?limit=5", emu.url()),
        };
        async move { client().get(url).send().await }
    };
    let p1: Value = page(None).await.unwrap().json().await.unwrap();
    let t = p1["metadata"]["continue"].as_str().unwrap().to_owned();
    assert!(page(Some(&t)).await.is_err());
    let p2: Value = page(Some(&t)).await.unwrap().json().await.unwrap();
    assert_eq!(p2["items"][0]["metadata"]["name"], "p05");
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_is_not_serialised() {
    let emu = emulator(13).await;
    emu.set_faults(Faults {
        latency: Duration::from_millis(200),
        ..Faults::default()
    });
    let http = client();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let http = http.clone();
        let url = if i % 2 == 0 {
            format!("{}/api/v1/pods?limit=3", emu.url())
        } else {
            format!("{}/version", emu.url())
        };
        tasks.push(tokio::spawn(async move {
            http.get(url).send().await.map(|r| r.status().as_u16())
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 200);
    }
    // 40 requests of 200 ms each, side by side: far less than 40 x 200 ms.
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    assert_eq!(emu.requests(), 40);
    emu.stop().await;
}

/// Tokens, roles and the request log through the library: 401 without a token, 403 outside
/// the role (a POST body included: the refusal arrives, not a reset), and every request
/// logged with its user and status.
#[tokio::test]
async fn tokens_roles_and_the_request_log() {
    use mcp_diag_emulator::{Access, PolicyRule, Token};
    let emu = emulator(1).await;
    let role = "kind: ClusterRole\nmetadata: {name: pods-reader}\nrules:\n- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [list]\n";
    emu.set_access(Access {
        tokens: vec![Token {
            token: "t-reader".into(),
            user: "reader".into(),
            rules: Some(PolicyRule::from_yaml(role).unwrap()),
        }],
    });
    assert!(emu.kubeconfig("c").contains("token: t-reader"));
    let http = client();
    let get = |path: &str, token: Option<&str>| {
        let mut r = http.get(format!("{}{path}", emu.url()));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    assert_eq!(get("/api/v1/pods", None).await.unwrap().status(), 401);
    assert_eq!(get("/api/v1/pods", Some("t-reader")).await.unwrap().status(), 200);
    // Discovery and /version come with every authenticated user's bootstrap roles.
    assert_eq!(get("/version", Some("t-reader")).await.unwrap().status(), 200);
    let r = get("/api/v1/nodes", Some("t-reader")).await.unwrap();
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["message"],
        "nodes is forbidden: User \"reader\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
    );
    let r = http
        .post(format!("{}/api/v1/namespaces/a/pods/p00/eviction", emu.url()))
        .bearer_auth("t-reader")
        .header("Content-Type", "application/json")
        .body(r#"{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p00","namespace":"a"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["message"],
        "pods \"p00\" is forbidden: User \"reader\" cannot create resource \"pods/eviction\" in API group \"\" in the namespace \"a\""
    );
    let log = emu.request_log();
    let seen: Vec<(String, u16, Option<String>)> = log
        .iter()
        .map(|r| (format!("{} {}", r.method, r.path), r.status, r.user.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET /api/v1/pods".to_owned(), 401, None),
            ("GET /api/v1/pods".to_owned(), 200, Some("reader".to_owned())),
            ("GET /version".to_owned(), 200, Some("reader".to_owned())),
            ("GET /api/v1/nodes".to_owned(), 403, Some("reader".to_owned())),
            (
                "POST /api/v1/namespaces/a/pods/p00/eviction".to_owned(),
                403,
                Some("reader".to_owned())
            ),
        ]
    );
    // Back to open access.
    emu.set_access(Access::default());
    assert_eq!(get("/api/v1/nodes", None).await.unwrap().status(), 200);
    emu.stop().await;
}
