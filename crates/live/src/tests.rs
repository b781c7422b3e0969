//! The whole read against a small fake API server (a tower service behind a kube client):
//! discovery, pagination, retries, expired continue tokens, denied types, metrics, Helm.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use http::{Request, Response};
use kube::client::Body;
use serde_json::{Value, json};

use super::*;

/// Scripted answers for one path (without query), used before the real one.
#[derive(Clone, Debug)]
enum Fault {
    Status(u16, Option<&'static str>),
    /// Only when the request carries a continue token.
    ExpireContinue,
    /// Only when the request carries a continue token: the connection drops.
    DropContinue,
    /// No answer for an hour.
    Hang,
}

/// What the fake does with one request.
enum Act {
    Answer(Response<Body>),
    Drop,
    Hang,
}

#[derive(Default)]
struct Fake {
    /// Collection path → items.
    lists: HashMap<String, Vec<Value>>,
    faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    denied: Vec<String>,
    /// Paths requested, with query.
    log: Mutex<Vec<String>>,
    aggregated: bool,
    metrics: String,
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
}

fn status(code: u16, reason: &str) -> Response<Body> {
    let body = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code, "message": format!("fake {code}")});
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string().into_bytes()))
        .unwrap()
}

fn ok(body: Vec<u8>) -> Response<Body> {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

impl Fake {
    fn act(&self, req: &Request<Body>) -> Act {
        let path = req.uri().path().to_owned();
        let token = req
            .uri()
            .query()
            .and_then(|q| query_param(q, "continue"))
            .is_some();
        let mut faults = self.faults.lock().unwrap();
        let queue = faults.entry(path).or_default();
        match queue.front() {
            Some(Fault::DropContinue) if token => {
                queue.pop_front();
                self.log.lock().unwrap().push("drop".to_owned());
                Act::Drop
            }
            Some(Fault::Hang) => {
                queue.pop_front();
                Act::Hang
            }
            _ => {
                drop(faults);
                Act::Answer(self.respond(req))
            }
        }
    }

    fn respond(&self, req: &Request<Body>) -> Response<Body> {
        assert_eq!(req.method(), http::Method::GET, "the live source only reads");
        let path = req.uri().path().to_owned();
        let query = req.uri().query().unwrap_or_default().to_owned();
        self.log.lock().unwrap().push(format!("{path}?{query}"));
        let token = query_param(&query, "continue");
        if let Some(fault) = {
            let mut faults = self.faults.lock().unwrap();
            let queue = faults.entry(path.clone()).or_default();
            match queue.front() {
                Some(Fault::ExpireContinue | Fault::DropContinue) if token.is_none() => None,
                _ => queue.pop_front(),
            }
        } {
            return match fault {
                Fault::Status(code, retry_after) => {
                    let mut r = status(code, "Fault");
                    if let Some(after) = retry_after {
                        r.headers_mut().insert("retry-after", after.parse().unwrap());
                    }
                    r
                }
                Fault::ExpireContinue => status(410, "Expired"),
                Fault::DropContinue | Fault::Hang => status(500, "Unexpected"),
            };
        }
        if self.denied.contains(&path) {
            return status(403, "Forbidden");
        }
        match path.as_str() {
            "/version" => return ok(br#"{"major":"1","minor":"29","gitVersion":"v1.29.4"}"#.to_vec()),
            "/metrics" => {
                return Response::builder()
                    .status(200)
                    .header("content-type", "text/plain")
                    .body(Body::from(self.metrics.clone().into_bytes()))
                    .unwrap();
            }
            "/api" | "/apis" => return ok(self.discovery(&path).to_string().into_bytes()),
            _ => {}
        }
        if let Some(gv) = path.strip_prefix("/api/").or_else(|| path.strip_prefix("/apis/"))
            && !self.lists.contains_key(&path)
            && gv.matches('/').count() <= 1
        {
            return ok(self.resource_list(&path).to_string().into_bytes());
        }
        let Some(items) = self.lists.get(&path) else {
            return status(404, "NotFound");
        };
        let selector = query_param(&query, "labelSelector");
        let items: Vec<&Value> = items
            .iter()
            .filter(|i| selector.is_none() || i["metadata"]["labels"]["owner"] == "helm")
            .collect();
        let limit: usize = query_param(&query, "limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(usize::MAX);
        let start: usize = token.and_then(|t| t.parse().ok()).unwrap_or(0);
        let end = (start + limit).min(items.len());
        let next = if end < items.len() {
            end.to_string()
        } else {
            String::new()
        };
        let remaining = items.len() - end;
        let page = json!({"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "7", "continue": next, "remainingItemCount": remaining}, "items": items[start.min(end)..end]});
        ok(page.to_string().into_bytes())
    }

    /// (group, version, resource, kind, namespaced) of every list.
    fn types(&self) -> Vec<(String, String, String, String, bool)> {
        let mut out: Vec<_> = self
            .lists
            .keys()
            .map(|path| {
                let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
                let (group, version, resource) = if parts[0] == "api" {
                    (String::new(), parts[1].to_owned(), parts[2].to_owned())
                } else {
                    (parts[1].to_owned(), parts[2].to_owned(), parts[3].to_owned())
                };
                let kind = match resource.as_str() {
                    "pods" => "Pod",
                    "nodes" => "Node",
                    "secrets" => "Secret",
                    "serviceaccounts" => "ServiceAccount",
                    "deployments" => "Deployment",
                    "ingresses" => "Ingress",
                    "customresourcedefinitions" => "CustomResourceDefinition",
                    "widgets" => "Widget",
                    _ => "Other",
                };
                (
                    group,
                    version,
                    resource.clone(),
                    kind.to_owned(),
                    resource != "nodes" && resource != "customresourcedefinitions",
                )
            })
            .collect();
        out.sort();
        out
    }

    fn resource(t: &(String, String, String, String, bool)) -> Value {
        json!({"resource": t.2, "responseKind": {"group": t.0, "version": t.1, "kind": t.3},
               "scope": if t.4 {"Namespaced"} else {"Cluster"}, "verbs": ["get", "list", "watch"]})
    }

    fn discovery(&self, path: &str) -> Value {
        let core = path == "/api";
        let types: Vec<_> = self
            .types()
            .into_iter()
            .filter(|t| t.0.is_empty() == core)
            .collect();
        if self.aggregated {
            let mut groups: Vec<Value> = Vec::new();
            let mut names: Vec<String> = types.iter().map(|t| t.0.clone()).collect();
            names.dedup();
            for name in names {
                let mut versions: Vec<String> = types
                    .iter()
                    .filter(|t| t.0 == name)
                    .map(|t| t.1.clone())
                    .collect();
                versions.sort();
                versions.dedup();
                versions.reverse();
                let versions: Vec<Value> = versions
                    .iter()
                    .map(|v| {
                        let resources: Vec<Value> = types
                            .iter()
                            .filter(|t| t.0 == name && &t.1 == v)
                            .map(Self::resource)
                            .collect();
                        json!({"version": v, "resources": resources, "freshness": "Current"})
                    })
                    .collect();
                groups.push(json!({"metadata": {"name": name}, "versions": versions}));
            }
            json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": groups})
        } else if core {
            json!({"kind": "APIVersions", "versions": ["v1"]})
        } else {
            let mut names: Vec<String> = types.iter().map(|t| t.0.clone()).collect();
            names.dedup();
            let groups: Vec<Value> = names
                .iter()
                .map(|n| {
                    let mut versions: Vec<String> =
                        types.iter().filter(|t| &t.0 == n).map(|t| t.1.clone()).collect();
                    versions.sort();
                    versions.dedup();
                    versions.reverse();
                    let vs: Vec<Value> = versions
                        .iter()
                        .map(|v| json!({"groupVersion": format!("{n}/{v}"), "version": v}))
                        .collect();
                    json!({"name": n, "versions": vs, "preferredVersion": vs[0]})
                })
                .collect();
            json!({"kind": "APIGroupList", "groups": groups})
        }
    }

    fn resource_list(&self, path: &str) -> Value {
        let resources: Vec<Value> = self
            .types()
            .iter()
            .filter(|t| {
                let gv = if t.0.is_empty() {
                    format!("/api/{}", t.1)
                } else {
                    format!("/apis/{}/{}", t.0, t.1)
                };
                gv == path
            })
            .map(|t| json!({"name": t.2, "kind": t.3, "namespaced": t.4, "verbs": ["list"]}))
            .collect();
        json!({"kind": "APIResourceList", "resources": resources})
    }
}

fn client(fake: Arc<Fake>) -> kube::Client {
    let service = tower::service_fn(move |req: Request<Body>| {
        let fake = fake.clone();
        async move {
            match fake.act(&req) {
                Act::Answer(response) => Ok(response),
                Act::Drop => Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection reset by peer",
                )),
                Act::Hang => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(status(500, "Late"))
                }
            }
        }
    });
    kube::Client::new(service, "default")
}

fn pod(i: usize) -> Value {
    json!({"metadata": {"name": format!("p{i}"), "namespace": "shop", "uid": format!("u{i}")}, "spec": {"nodeName": "n1"}})
}

fn cluster(aggregated: bool) -> Fake {
    let mut lists = HashMap::new();
    lists.insert("/api/v1/pods".to_owned(), (0..7).map(pod).collect());
    lists.insert(
        "/api/v1/nodes".to_owned(),
        vec![json!({"metadata": {"name": "n1"}})],
    );
    lists.insert(
        "/api/v1/serviceaccounts".to_owned(),
        vec![json!({"metadata": {"name": "default", "namespace": "shop"}})],
    );
    let release = helm::encode_release(
        json!({"name": "web", "namespace": "shop", "version": 2, "info": {"status": "deployed"},
               "chart": {"metadata": {"name": "web", "version": "1.0.0"}},
               "config": {"password": "hunter2"},
               "manifest": "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n---\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 1\n"})
        .to_string()
        .as_bytes(),
    );
    lists.insert(
        "/api/v1/secrets".to_owned(),
        vec![
            json!({"metadata": {"name": "db-password", "namespace": "shop"}, "type": "Opaque", "data": {"password": "aHVudGVyMg=="}}),
            json!({"metadata": {"name": "sh.helm.release.v1.web.v2", "namespace": "shop", "labels": {"owner": "helm", "name": "web", "status": "deployed", "version": "2"}},
                   "type": "helm.sh/release.v1", "data": {"release": release}}),
        ],
    );
    lists.insert(
        "/apis/apps/v1/deployments".to_owned(),
        vec![json!({"metadata": {"name": "web", "namespace": "shop"}})],
    );
    lists.insert(
        "/apis/networking.k8s.io/v1/ingresses".to_owned(),
        vec![json!({"metadata": {"name": "web", "namespace": "shop"}})],
    );
    lists.insert(
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions".to_owned(),
        vec![json!({"metadata": {"name": "widgets.example.com"}, "spec": {"group": "example.com", "names": {"plural": "widgets", "kind": "Widget"},
                    "versions": [{"name": "v1", "served": true, "storage": true, "deprecated": true}]}, "status": {"storedVersions": ["v1"]}})],
    );
    lists.insert(
        "/apis/example.com/v1/widgets".to_owned(),
        vec![json!({"metadata": {"name": "w", "namespace": "shop"}})],
    );
    Fake {
        lists,
        aggregated,
        metrics: "# TYPE apiserver_requested_deprecated_apis gauge\napiserver_requested_deprecated_apis{group=\"policy\",removed_release=\"1.25\",resource=\"poddisruptionbudgets\",subresource=\"\",version=\"v1beta1\"} 1\n".to_owned(),
        ..Fake::default()
    }
}

fn options() -> LiveOptions {
    LiveOptions {
        page_size: 3,
        helm_releases: true,
        timeout: Duration::from_secs(30),
        retry: RetryPolicy {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
            ..RetryPolicy::default()
        },
        ..LiveOptions::default()
    }
}

fn names(inventory: &Inventory) -> Vec<String> {
    let mut names: Vec<String> = inventory
        .objects
        .iter()
        .map(|o| {
            format!(
                "{} {} {}/{}",
                o.api_version,
                o.kind,
                o.namespace.as_deref().unwrap_or("-"),
                o.name
            )
        })
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn full_read_with_faults() {
    for aggregated in [true, false] {
        let fake = cluster(aggregated);
        fake.faults.lock().unwrap().insert(
            "/api/v1/pods".to_owned(),
            VecDeque::from([
                Fault::Status(429, Some("0")),
                Fault::Status(500, None),
                Fault::ExpireContinue,
                Fault::Status(503, None),
            ]),
        );
        let fake = Arc::new(fake);
        let read = read_with_client(client(fake.clone()), "fake", &options())
            .await
            .unwrap();
        let inv = &read.inventory;
        assert_eq!(inv.kind, SourceKind::Live);
        assert_eq!(inv.source, "context:fake");
        assert_eq!(inv.cluster.name, "fake");
        assert_eq!(inv.cluster.server_version.as_ref().unwrap().to_string(), "1.29.4");
        assert!(inv.cluster.captured_at.as_deref().unwrap().ends_with('Z'));
        let names = names(inv);
        let pods = names.iter().filter(|n| n.starts_with("v1 Pod shop/")).count();
        assert_eq!(pods, 7, "{names:?}");
        for expected in [
            "v1 Node -/n1",
            "apps/v1 Deployment shop/web",
            "networking.k8s.io/v1 Ingress shop/web",
            "apiextensions.k8s.io/v1 CustomResourceDefinition -/widgets.example.com",
            "example.com/v1 Widget shop/w",
            "extensions/v1beta1 Ingress shop/web",
            "policy/v1beta1 PodDisruptionBudget shop/web",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} missing (aggregated {aggregated}): {names:?}"
            );
        }
        assert!(
            !names
                .iter()
                .any(|n| n.contains("Secret") || n.contains("ServiceAccount")),
            "{names:?}"
        );
        let all = format!("{:?}", inv.objects);
        assert!(
            !all.contains("hunter2") && !all.contains("aHVudGVyMg"),
            "secret data kept"
        );
        let helm = inv
            .objects
            .iter()
            .find(|o| o.kind == "PodDisruptionBudget")
            .unwrap();
        assert_eq!(
            helm.location.as_ref().unwrap().file,
            "helm:shop/web (revision 2, chart web-1.0.0)"
        );
        assert_eq!(helm.location.as_ref().unwrap().line, 6);
        assert_eq!(inv.cluster.requested_apis.len(), 1);
        assert_eq!(inv.cluster.requested_apis[0].resource, "poddisruptionbudgets");
        assert!(inv.input_problems.is_empty(), "{:?}", inv.input_problems);
        // 429 and 500 on the first page and 503 after the restart: three retries; the
        // expired token one restart.
        assert_eq!(read.stats.retries, 3, "{:?}", read.stats);
        assert_eq!(read.stats.restarts, 1);
        assert_eq!(read.stats.helm_releases, 1);
        assert_eq!(read.stats.aggregated_discovery, aggregated);
        let log = fake.log.lock().unwrap().clone();
        let pod_pages: Vec<&String> = log.iter().filter(|l| l.starts_with("/api/v1/pods?")).collect();
        // 2 faults + page 1, 410 on page 2, then 1 fault + 3 pages.
        assert_eq!(pod_pages.len(), 8, "{pod_pages:?}");
        assert!(pod_pages.iter().all(|l| l.contains("limit=3")));
        assert!(
            log.iter()
                .all(|l| !l.starts_with("/api/v1/secrets?") || l.contains("labelSelector=owner%3Dhelm"))
        );
        assert!(log.iter().all(|l| !l.starts_with("/api/v1/serviceaccounts")));
    }
}

/// The coverage entry of a kind; panics when there is none.
fn read_of<'a>(inventory: &'a Inventory, group: &str, kind: &str) -> &'a KindRead {
    inventory
        .coverage
        .kinds
        .iter()
        .find(|k| k.group == group && k.kind == kind)
        .unwrap_or_else(|| panic!("no coverage of {kind}.{group}: {:?}", inventory.coverage))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_complete_read_records_every_kind_and_what_is_not_served() {
    let read = read_with_client(client(Arc::new(cluster(true))), "fake", &options())
        .await
        .unwrap();
    let coverage = &read.inventory.coverage;
    assert!(coverage.recorded);
    assert!(coverage.is_complete(), "{coverage:?}");
    let pods = read_of(&read.inventory, "", "Pod");
    assert_eq!(
        (pods.state, pods.objects),
        (mcp_diag_model::ReadState::Complete, 7)
    );
    assert_eq!(read_of(&read.inventory, "example.com", "Widget").objects, 1);
    // The fake serves no ReplicaSets: nothing is hidden, and the report can say why.
    let rs = read_of(&read.inventory, "apps", "ReplicaSet");
    assert_eq!(rs.reason, Some(ReadGap::NotServed));
    assert!(!rs.hides_objects());
    // Secrets are never a kind of the inventory, so never in its coverage.
    assert!(
        coverage
            .kinds
            .iter()
            .all(|k| k.kind != "Secret" && k.kind != "ServiceAccount")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn denied_kinds_are_gaps_and_denied_extras_findings() {
    let mut fake = cluster(true);
    fake.denied = vec![
        "/apis/apps/v1/deployments".to_owned(),
        "/metrics".to_owned(),
        "/api/v1/secrets".to_owned(),
    ];
    let read = read_with_client(client(Arc::new(fake)), "fake", &options())
        .await
        .unwrap();
    // The denied kind is in the coverage, not a finding of its own: the checks build one
    // finding per cluster out of every gap.
    let deployments = read_of(&read.inventory, "apps", "Deployment");
    assert_eq!(deployments.reason, Some(ReadGap::Denied));
    assert_eq!(deployments.state, mcp_diag_model::ReadState::Missing);
    assert!(deployments.detail.contains("HTTP 403"), "{}", deployments.detail);
    assert!(
        deployments.detail.contains("deployments.apps (apps/v1)"),
        "{}",
        deployments.detail
    );
    // What is not a kind (metrics, Helm's Secrets) stays a finding.
    let problems = &read.inventory.input_problems;
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .all(|p| p.check == ACCESS_DENIED && p.severity == Severity::Info)
    );
    assert!(
        problems
            .iter()
            .any(|p| p.title.contains("get the API server's /metrics"))
    );
    assert!(problems.iter().any(|p| p.title.contains("Helm release Secrets")));
    assert!(problems.iter().all(|p| p.remediation.contains(CLUSTER_ROLE)));
    assert!(read.inventory.objects.iter().any(|o| o.kind == "Pod"));
    assert_eq!(read.inventory.coverage.gaps().count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_beyond_the_retries() {
    let fake = cluster(true);
    fake.faults.lock().unwrap().insert(
        "/api/v1/nodes".to_owned(),
        (0..20).map(|_| Fault::Status(503, None)).collect(),
    );
    let read = read_with_client(client(Arc::new(fake)), "fake", &options())
        .await
        .unwrap();
    assert!(
        read.inventory.input_problems.is_empty(),
        "{:?}",
        read.inventory.input_problems
    );
    let nodes = read_of(&read.inventory, "", "Node");
    assert_eq!(nodes.reason, Some(ReadGap::Failed));
    assert_eq!(nodes.state, mcp_diag_model::ReadState::Missing);
    assert!(
        nodes.detail.contains("HTTP 503") && nodes.detail.contains("after 8 attempts"),
        "{}",
        nodes.detail
    );
    assert_eq!(read.stats.retries, 7);
    assert_eq!(
        read_of(&read.inventory, "", "Pod").state,
        mcp_diag_model::ReadState::Complete
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_list_that_breaks_after_some_pages_is_partial_and_keeps_them() {
    // Page 1 of the pods (3 of 7) comes, then the connection drops on page 2, and no
    // attempt is left.
    let opts = LiveOptions {
        retry: RetryPolicy {
            max_attempts: 1,
            ..options().retry
        },
        ..options()
    };
    let fake = cluster(true);
    fake.faults.lock().unwrap().insert(
        "/api/v1/pods".to_owned(),
        std::iter::once(Fault::DropContinue).collect(),
    );
    let read = read_with_client(client(Arc::new(fake)), "fake", &opts)
        .await
        .unwrap();
    let pods = read_of(&read.inventory, "", "Pod");
    assert_eq!(pods.state, mcp_diag_model::ReadState::Partial, "{pods:?}");
    assert_eq!(pods.reason, Some(ReadGap::Failed));
    assert_eq!(pods.objects, 3);
    assert!(pods.detail.contains("stopped after 3 objects"), "{}", pods.detail);
    assert_eq!(
        read.inventory.objects.iter().filter(|o| o.kind == "Pod").count(),
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_in_the_middle_of_the_scan_is_expired_credentials() {
    let fake = cluster(true);
    fake.faults.lock().unwrap().insert(
        "/api/v1/pods".to_owned(),
        VecDeque::from([Fault::Status(401, None)]),
    );
    let read = read_with_client(client(Arc::new(fake)), "fake", &options())
        .await
        .unwrap();
    let pods = read_of(&read.inventory, "", "Pod");
    assert_eq!(pods.reason, Some(ReadGap::Unauthorized));
    assert!(
        pods.detail.contains("expired or revoked") && pods.detail.contains("log in again"),
        "{}",
        pods.detail
    );
    assert!(read.inventory.input_problems.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_throttled_kind_stops_at_its_deadline_and_the_rest_is_read() {
    let fake = cluster(true);
    fake.faults.lock().unwrap().insert(
        "/api/v1/pods".to_owned(),
        (0..10_000).map(|_| Fault::Status(429, Some("0"))).collect(),
    );
    let opts = LiveOptions {
        list_timeout: Some(Duration::from_millis(600)),
        retry: RetryPolicy {
            max_attempts: u32::MAX,
            base: Duration::from_millis(20),
            cap: Duration::from_millis(50),
            ..RetryPolicy::default()
        },
        ..options()
    };
    let started = Instant::now();
    let read = read_with_client(client(Arc::new(fake)), "fake", &opts)
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let pods = read_of(&read.inventory, "", "Pod");
    assert_eq!(pods.reason, Some(ReadGap::Throttled), "{pods:?}");
    assert!(
        pods.detail.contains("throttled (HTTP 429) for"),
        "{}",
        pods.detail
    );
    assert_eq!(
        read_of(&read.inventory, "", "Node").state,
        mcp_diag_model::ReadState::Complete
    );
    assert_eq!(read.inventory.coverage.gaps().count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_list_is_timed_out_and_the_rest_is_kept() {
    let fake = cluster(true);
    fake.faults.lock().unwrap().insert(
        "/apis/apps/v1/deployments".to_owned(),
        VecDeque::from([Fault::Hang]),
    );
    let opts = LiveOptions {
        timeout: Duration::from_secs(2),
        request_timeout: Some(Duration::from_secs(60)),
        ..options()
    };
    let read = read_with_client(client(Arc::new(fake)), "fake", &opts)
        .await
        .unwrap();
    let deployments = read_of(&read.inventory, "apps", "Deployment");
    assert_eq!(deployments.reason, Some(ReadGap::TimedOut), "{deployments:?}");
    assert!(
        deployments.detail.contains("no answer within"),
        "{}",
        deployments.detail
    );
    assert_eq!(
        read.inventory.objects.iter().filter(|o| o.kind == "Pod").count(),
        7
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_clusters_time_runs_out_what_was_read_is_returned() {
    let fake = cluster(true);
    // Lists one at a time; the first (pods) hangs past the cluster's time, so nothing else
    // starts before the lists' share of the time is over.
    fake.faults
        .lock()
        .unwrap()
        .insert("/api/v1/pods".to_owned(), VecDeque::from([Fault::Hang]));
    let opts = LiveOptions {
        timeout: Duration::from_secs(2),
        list_timeout: Some(Duration::from_secs(60)),
        request_timeout: Some(Duration::from_secs(60)),
        concurrency: 1,
        helm_releases: false,
        ..options()
    };
    let read = read_with_client(client(Arc::new(fake)), "fake", &opts)
        .await
        .expect("a partial read, not a lost one");
    let pods = read_of(&read.inventory, "", "Pod");
    assert_eq!(pods.reason, Some(ReadGap::TimedOut), "{pods:?}");
    let nodes = read_of(&read.inventory, "", "Node");
    assert_eq!(nodes.reason, Some(ReadGap::TimedOut), "{nodes:?}");
    assert!(nodes.detail.contains("ran out first"), "{}", nodes.detail);
    // Every kind meant to be listed is named.
    let listed = read
        .inventory
        .coverage
        .kinds
        .iter()
        .filter(|k| k.reason != Some(ReadGap::NotServed))
        .count();
    assert_eq!(listed, read.stats.types.len());
    assert!(
        read.inventory
            .coverage
            .gaps()
            .all(|k| k.reason == Some(ReadGap::TimedOut))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn version_answers_after_a_few_server_errors() {
    let fake = cluster(true);
    fake.faults.lock().unwrap().insert(
        "/version".to_owned(),
        (0..6).map(|_| Fault::Status(500, None)).collect(),
    );
    let opts = LiveOptions {
        retry: RetryPolicy {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(400),
            ..RetryPolicy::default()
        },
        ..options()
    };
    let read = read_with_client(client(Arc::new(fake)), "fake", &opts)
        .await
        .unwrap();
    assert!(read.inventory.cluster.server_version.is_some());
    assert!(read.stats.retries >= 6, "{:?}", read.stats);
}

#[tokio::test(flavor = "multi_thread")]
async fn unauthorized_and_unreachable() {
    let fake = cluster(true);
    fake.faults
        .lock()
        .unwrap()
        .insert("/version".to_owned(), VecDeque::from([Fault::Status(401, None)]));
    let err = read_with_client(client(Arc::new(fake)), "fake", &options())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    // 502 for longer than /version's retry budget (here the request timeout, 300 ms).
    let fake = cluster(true);
    fake.faults.lock().unwrap().insert(
        "/version".to_owned(),
        (0..10_000).map(|_| Fault::Status(502, None)).collect(),
    );
    let opts = LiveOptions {
        request_timeout: Some(Duration::from_millis(300)),
        ..options()
    };
    let started = Instant::now();
    let err = read_with_client(client(Arc::new(fake)), "fake", &opts)
        .await
        .unwrap_err();
    assert!(matches!(err, LiveError::Unreachable(_)), "{err}");
    assert!(err.to_string().contains("HTTP 502"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_tokens_restart_a_bounded_number_of_times() {
    let fake = cluster(true);
    fake.faults.lock().unwrap().insert(
        "/api/v1/pods".to_owned(),
        (0..10).map(|_| Fault::ExpireContinue).collect(),
    );
    let read = read_with_client(client(Arc::new(fake)), "fake", &options())
        .await
        .unwrap();
    assert_eq!(read.stats.restarts, u64::from(list::MAX_RESTARTS));
    let pods = read_of(&read.inventory, "", "Pod");
    assert_eq!(pods.reason, Some(ReadGap::Failed));
    assert!(pods.detail.contains("HTTP 410"), "{}", pods.detail);
    // The first page of the last start is kept, and said to be a part.
    assert_eq!(pods.state, mcp_diag_model::ReadState::Partial);
    assert_eq!(
        read.inventory.objects.iter().filter(|o| o.kind == "Pod").count(),
        pods.objects
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused_is_unreachable_and_hangs_time_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    // Port 9 (discard) on loopback: nothing listens there in the test environment.
    std::fs::write(&path, "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:9'}\ncontexts:\n- name: c\n  context: {cluster: c}\n").unwrap();
    let opts = LiveOptions {
        kubeconfig: Some(path),
        ..options()
    };
    let err = read(&opts).await.unwrap_err();
    assert!(matches!(err, LiveError::Unreachable(_)), "{err}");

    let hang = tower::service_fn(|_req: Request<Body>| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok::<_, std::convert::Infallible>(ok(Vec::new()))
    });
    let opts = LiveOptions {
        timeout: Duration::from_millis(300),
        ..options()
    };
    let started = Instant::now();
    let err = read_with_client(kube::Client::new(hang, "default"), "h", &opts)
        .await
        .unwrap_err();
    assert!(matches!(err, LiveError::Timeout(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_connections_resume_and_stuck_requests_are_retried() {
    let fake = cluster(true);
    fake.faults.lock().unwrap().insert(
        "/api/v1/pods".to_owned(),
        VecDeque::from([Fault::DropContinue, Fault::Hang, Fault::DropContinue]),
    );
    let fake = Arc::new(fake);
    let opts = LiveOptions {
        request_timeout: Some(Duration::from_millis(200)),
        ..options()
    };
    let read = read_with_client(client(fake.clone()), "fake", &opts)
        .await
        .unwrap();
    assert!(
        read.inventory.input_problems.is_empty(),
        "{:?}",
        read.inventory.input_problems
    );
    assert_eq!(
        read.inventory.objects.iter().filter(|o| o.kind == "Pod").count(),
        7
    );
    assert_eq!(read.stats.retries, 3, "{:?}", read.stats);
    assert_eq!(read.stats.restarts, 0);
    let log = fake.log.lock().unwrap().clone();
    let pods: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("/api/v1/pods?") || *l == "drop")
        .collect();
    // Page 1 once; page 2 dropped, timed out, dropped again, then read with the same token:
    // the list never went back to the first page.
    assert_eq!(
        pods.iter()
            .filter(|l| !l.contains("continue=") && l.starts_with("/api"))
            .count(),
        1,
        "{pods:?}"
    );
    assert_eq!(pods.iter().filter(|l| **l == "drop").count(), 2, "{pods:?}");
    assert!(pods.iter().any(|l| l.contains("continue=3")), "{pods:?}");
    assert!(pods.iter().any(|l| l.contains("continue=6")), "{pods:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn long_lists_continue_with_bigger_pages() {
    let mut fake = cluster(true);
    fake.lists
        .insert("/api/v1/pods".to_owned(), (0..100).map(pod).collect());
    let fake = Arc::new(fake);
    let read = read_with_client(client(fake.clone()), "fake", &options())
        .await
        .unwrap();
    assert_eq!(
        read.inventory.objects.iter().filter(|o| o.kind == "Pod").count(),
        100
    );
    let log = fake.log.lock().unwrap().clone();
    let limits: Vec<&str> = log
        .iter()
        .filter(|l| l.starts_with("/api/v1/pods?"))
        .filter_map(|l| l.split('&').next()?.split("limit=").nth(1))
        .collect();
    // 97 remain after the first 3: the rest comes 12 at a time.
    assert_eq!(limits[0], "3");
    assert!(limits[1..].iter().all(|l| *l == "12"), "{limits:?}");
    assert_eq!(limits.len(), 1 + 97usize.div_ceil(12));
}
