//! The live source against the emulator serving a snapshot: complete reads, pagination,
//! faults (500s, 429 storms, dropped connections, expired continue tokens, a hang), Helm
//! releases and `/metrics` evidence.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mcp_diag_emulator::{Emulator, Faults, Options};
use mcp_diag_live::{LiveError, LiveOptions, LiveRead, RetryPolicy, read};
use mcp_diag_model::{Inventory, Node, Object};

const CONTEXT: &str = "emulated";

fn demo() -> Inventory {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-cluster");
    mcp_diag_sources::read_snapshot(&dir).expect("the demo snapshot reads")
}

struct Served {
    emulator: Emulator,
    kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

async fn serve(inventory: Inventory) -> Served {
    let emulator = Emulator::start(inventory, Options::default())
        .await
        .expect("the emulator starts");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, emulator.kubeconfig(CONTEXT)).unwrap();
    Served {
        emulator,
        kubeconfig,
        _dir: dir,
    }
}

fn options(served: &Served, page_size: u32) -> LiveOptions {
    LiveOptions {
        kubeconfig: Some(served.kubeconfig.clone()),
        page_size,
        timeout: Duration::from_secs(60),
        retry: RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(500),
            ..RetryPolicy::default()
        },
        ..LiveOptions::default()
    }
}

type Key = (String, Option<String>, String);

fn key(o: &Object) -> Key {
    (o.kind.clone(), o.namespace.clone(), o.name.clone())
}

fn keys(objects: &[Object]) -> BTreeSet<Key> {
    objects.iter().map(key).collect()
}

/// Kinds of the demo snapshot the live read does not list, on purpose: no check reads them.
const NOT_LISTED: &[&str] = &["ServiceAccount"];

/// The snapshot's objects of the kinds a live read lists.
fn expected(snapshot: &Inventory) -> BTreeSet<Key> {
    snapshot
        .objects
        .iter()
        .filter(|o| !NOT_LISTED.contains(&o.kind.as_str()))
        .map(key)
        .collect()
}

fn assert_same(snapshot: &Inventory, live: &LiveRead) {
    let got = keys(&live.inventory.objects);
    let want = expected(snapshot);
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}\ntypes {:?}\nproblems {:?}",
        live.stats.types,
        live.inventory.input_problems
    );
    assert_eq!(
        live.inventory.objects.len(),
        got.len(),
        "duplicates in the live read"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn full_read_of_the_demo_snapshot() {
    let snapshot = demo();
    let served = serve(snapshot.clone()).await;
    let live = read(&options(&served, 500)).await.unwrap();
    assert_same(&snapshot, &live);
    let inv = &live.inventory;
    assert_eq!(inv.cluster.name, CONTEXT);
    assert_eq!(inv.source, format!("context:{CONTEXT}"));
    assert_eq!(inv.cluster.server_version, snapshot.cluster.server_version);
    assert!(inv.input_problems.is_empty(), "{:?}", inv.input_problems);
    assert!(live.stats.aggregated_discovery);
    assert_eq!(live.stats.retries, 0);
    // Every type fits one page; discovery and /version, /metrics on top.
    assert_eq!(live.stats.pages as usize, live.stats.types.len());
    // Live objects carry no file location, and list items got their apiVersion and kind.
    assert!(inv.objects.iter().all(|o| o.location.is_none()));
    let pod = inv.objects.iter().find(|o| o.kind == "Pod").unwrap();
    assert_eq!(pod.raw.get("apiVersion").and_then(Node::as_str), Some("v1"));
    // Same content, not only the same names: a pod's spec matches the snapshot's.
    let original = snapshot.objects.iter().find(|o| key(o) == key(pod)).unwrap();
    assert_eq!(pod.raw.get("spec"), original.raw.get("spec"));
    // The last-applied apiVersion survives the round trip (a deprecated CRD version).
    let policy = inv.objects.iter().find(|o| o.kind == "ClusterPolicy").unwrap();
    assert_eq!(
        policy.applied_api_version.as_deref(),
        Some("policy.platform.example.com/v1alpha2")
    );
    // Secrets are never listed.
    assert!(!inv.objects.iter().any(|o| o.kind == "Secret"));
    served.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn small_pages() {
    let snapshot = demo();
    let served = serve(snapshot.clone()).await;
    let live = read(&options(&served, 3)).await.unwrap();
    assert_same(&snapshot, &live);
    let pods = snapshot.objects.iter().filter(|o| o.kind == "Pod").count() as u64;
    assert!(live.stats.pages >= pods / 3, "{:?}", live.stats);
    served.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_and_a_429_storm_still_give_a_complete_read() {
    let snapshot = demo();
    let served = serve(snapshot.clone()).await;
    served.emulator.set_faults(Faults {
        throttle_share: 1.0,
        ..Faults::default()
    });
    let storm = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        served.emulator.set_faults(Faults {
            error_share: 0.1,
            throttle_share: 0.05,
            ..Faults::default()
        });
    };
    let opts = options(&served, 4);
    let (live, ()) = tokio::join!(read(&opts), storm);
    let live = live.unwrap();
    assert_same(&snapshot, &live);
    assert!(live.inventory.input_problems.is_empty());
    // The storm alone answered every request 429 for 1.5 s, with Retry-After: 1.
    assert!(live.stats.retries >= 2, "{:?}", live.stats);
    eprintln!(
        "500s and a 429 storm: {} requests, {} retries, {:.2} s",
        live.stats.requests,
        live.stats.retries,
        live.stats.elapsed.as_secs_f64()
    );
    served.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_connection_mid_pagination_resumes() {
    let snapshot = demo();
    let served = serve(snapshot.clone()).await;
    served.emulator.set_faults(Faults {
        drop_after_pages: Some(10),
        ..Faults::default()
    });
    let live = read(&options(&served, 5)).await.unwrap();
    assert_same(&snapshot, &live);
    assert_eq!(live.stats.retries, 1, "{:?}", live.stats);
    assert_eq!(live.stats.restarts, 0);
    // Dropped connections at random, as well.
    served.emulator.set_faults(Faults {
        drop_share: 0.1,
        ..Faults::default()
    });
    let live = read(&options(&served, 5)).await.unwrap();
    assert_same(&snapshot, &live);
    assert!(live.stats.retries > 0, "{:?}", live.stats);
    served.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_continue_tokens_restart_the_list() {
    let snapshot = demo();
    let served = serve(snapshot.clone()).await;
    // Every continued request expires: each list that needs a second page starts over a
    // bounded number of times, then is reported, and the rest of the read completes.
    served.emulator.set_faults(Faults {
        expire_continue: true,
        ..Faults::default()
    });
    let live = read(&options(&served, 50)).await.unwrap();
    let pods = live
        .inventory
        .coverage
        .gaps()
        .find(|k| k.kind == "Pod")
        .unwrap_or_else(|| panic!("pods not a gap: {:?}", live.inventory.coverage));
    assert_eq!(pods.reason, Some(mcp_diag_model::ReadGap::Failed));
    assert!(pods.detail.contains("410"), "{}", pods.detail);
    assert!(live.inventory.coverage.gaps().all(|k| k.detail.contains("410")));
    assert!(
        live.inventory.input_problems.is_empty(),
        "{:?}",
        live.inventory.input_problems
    );
    assert!(live.stats.restarts >= 3, "{:?}", live.stats);
    // The first page of the last start is kept, as a part.
    assert_eq!(pods.state, mcp_diag_model::ReadState::Partial);
    assert_eq!(
        live.inventory.objects.iter().filter(|o| o.kind == "Pod").count(),
        pods.objects
    );
    assert!(live.inventory.objects.iter().any(|o| o.kind == "Node"));

    // Tokens expire until the first 410 was answered: the restarted lists complete.
    served.emulator.set_faults(Faults {
        latency: Duration::from_millis(30),
        expire_continue: true,
        ..Faults::default()
    });
    let before = expired_answers(&served).await;
    let heal = async {
        for _ in 0..1000 {
            if expired_answers(&served).await > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        served.emulator.set_faults(Faults::default());
    };
    let opts = options(&served, 50);
    let (live, ()) = tokio::join!(read(&opts), heal);
    let live = live.unwrap();
    assert!(live.stats.restarts >= 1, "{:?}", live.stats);
    assert_same(&snapshot, &live);
    served.emulator.stop().await;
}

/// How many 410 answers the emulator gave, from its own `/metrics` (a plain HTTP/1.0 GET).
async fn expired_answers(served: &Served) -> u64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(served.emulator.addr()).await else {
        return 0;
    };
    if stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: emulator\r\n\r\n")
        .await
        .is_err()
    {
        return 0;
    }
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text).await;
    mcp_diag_live::metrics::parse(&text, |n| n == "apiserver_request_total")
        .0
        .iter()
        .filter(|s| s.label("code") == Some("410"))
        .map(|s| s.value as u64)
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_cluster_times_out() {
    let served = serve(demo()).await;
    served.emulator.set_faults(Faults {
        hang: true,
        ..Faults::default()
    });
    let opts = LiveOptions {
        timeout: Duration::from_millis(800),
        ..options(&served, 500)
    };
    let started = std::time::Instant::now();
    let err = read(&opts).await.unwrap_err();
    assert!(
        matches!(err, LiveError::Timeout(t) if t == Duration::from_millis(800)),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    served.emulator.set_faults(Faults::default());
    served.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn helm_releases_and_request_metrics() {
    let mut snapshot = demo();
    let manifest = "---\n# Source: shop/templates/ingress.yaml\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: shop\nspec:\n  backend:\n    serviceName: shop\n    servicePort: 80\n---\n# Source: shop/templates/pdb.yaml\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: shop\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: shop}\n";
    let release = |version: u64, status: &str, manifest: &str| {
        serde_json::json!({"name": "shop", "namespace": "web", "version": version,
            "info": {"status": status}, "chart": {"metadata": {"name": "shop", "version": "2.1.0"}},
            "config": {"dbPassword": "s3cr3t-value"}, "manifest": manifest})
        .to_string()
    };
    let secret = |version: u64, status: &str, manifest: &str| {
        let data = mcp_diag_live::helm::encode_release(release(version, status, manifest).as_bytes());
        let json = serde_json::json!({"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
            "metadata": {"name": format!("sh.helm.release.v1.shop.v{version}"), "namespace": "web",
                         "labels": {"owner": "helm", "name": "shop", "status": status, "version": version.to_string()}},
            "data": {"release": data}});
        Object::from_node(json, None).unwrap()
    };
    snapshot.objects.push(secret(
        1,
        "superseded",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old}\n",
    ));
    snapshot.objects.push(secret(2, "deployed", manifest));
    let other = serde_json::json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "db", "namespace": "web"}, "data": {"password": "czNjcjN0LXZhbHVl"}});
    snapshot.objects.push(Object::from_node(other, None).unwrap());
    snapshot.cluster.requested_apis = vec![mcp_diag_model::RequestedApi {
        group: "flowcontrol.apiserver.k8s.io".into(),
        version: "v1beta3".into(),
        resource: "flowschemas".into(),
        subresource: String::new(),
        removed_release: "1.32".into(),
    }];
    let served = serve(snapshot.clone()).await;
    let opts = LiveOptions {
        helm_releases: true,
        ..options(&served, 500)
    };
    let live = read(&opts).await.unwrap();
    let inv = &live.inventory;
    assert_eq!(live.stats.helm_releases, 1);
    assert_eq!(live.helm_releases.len(), 1);
    let release = &live.helm_releases[0];
    assert_eq!(
        (
            release.name.as_str(),
            release.revision,
            release.status.as_str(),
            release.chart.as_deref()
        ),
        ("shop", 2, "deployed", Some("shop-2.1.0"))
    );
    assert_eq!(release.manifest, manifest);
    assert_eq!(release.file, "helm:web/shop (revision 2, chart shop-2.1.0)");
    let from_helm: Vec<&Object> = inv.objects.iter().filter(|o| o.location.is_some()).collect();
    let kinds: Vec<(&str, &str)> = from_helm
        .iter()
        .map(|o| (o.api_version.as_str(), o.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("extensions/v1beta1", "Ingress"),
            ("policy/v1beta1", "PodDisruptionBudget")
        ]
    );
    let location = from_helm[0].location.as_ref().unwrap();
    assert_eq!(location.file, "helm:web/shop (revision 2, chart shop-2.1.0)");
    assert_eq!(location.line, 3);
    assert_eq!(from_helm[1].location.as_ref().unwrap().line, 13);
    assert_eq!(from_helm[0].namespace.as_deref(), Some("web"));
    let everything = format!("{:?}", inv.objects);
    assert!(
        !everything.contains("s3cr3t") && !everything.contains("czNjcjN0"),
        "secret values kept"
    );
    assert!(!inv.objects.iter().any(|o| o.kind == "Secret"));
    assert_eq!(inv.cluster.requested_apis, snapshot.cluster.requested_apis);
    // The checks see the Helm manifest like a manifest file.
    let findings = mcp_diag_checks_free::removed(inv);
    assert!(findings >= 2, "{findings}");
    served.emulator.stop().await;
}

/// A stand-in for the checks (this crate does not depend on them): objects at API versions
/// that Kubernetes removed, as the `api-removed` check would see them.
mod mcp_diag_checks_free {
    pub fn removed(inventory: &mcp_diag_model::Inventory) -> usize {
        inventory
            .objects
            .iter()
            .filter(|o| {
                let (group, version) = o.group_version();
                mcp_diag_data::API_REMOVALS
                    .iter()
                    .any(|r| r.group == group && r.version == version && r.kind == o.kind)
            })
            .count()
    }
}
