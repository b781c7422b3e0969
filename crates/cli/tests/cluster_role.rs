//! The shipped ClusterRoles match what `mcp-diag scan`, `snapshot` and `plan` read, exactly:
//! every request they make against an emulator that serves every kind the scan wants (at an
//! old, a middle and the newest release) is allowed by the roles, enforced by the emulator as
//! RBAC does (no 403), and every rule of the roles is used by some request. Secrets only with
//! `--helm-releases`, and only through the second role.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use mcp_diag_emulator::{Access, Emulator, LoggedRequest, Options, PolicyRule, Token};
use serde_json::{Value, json};

const MAIN_ROLE: &str = "deploy/mcp-diag-readonly-clusterrole.yaml";
const HELM_ROLE: &str = "deploy/mcp-diag-helm-releases-clusterrole.yaml";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn rules(path: &str) -> Vec<PolicyRule> {
    let text = std::fs::read_to_string(repo(path)).unwrap();
    PolicyRule::from_yaml(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn crd(group: &str, kind: &str, plural: &str, namespaced: bool) -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {"group": group, "scope": if namespaced { "Namespaced" } else { "Cluster" },
            "names": {"plural": plural, "kind": kind},
            "versions": [{"name": "v1", "served": true, "storage": true}]},
        "status": {"storedVersions": ["v1"]}})
}

/// The custom-resource groups the scan reads (`CHECKED_GROUPS` in crates/live/src/discovery.rs),
/// a suffix entry (`.kio.kasten.io`) standing for the role's groups that end with it.
fn checked_groups(role: &[PolicyRule]) -> Vec<String> {
    let granted: BTreeSet<&str> = role
        .iter()
        .flat_map(|r| r.api_groups.iter().map(String::as_str))
        .collect();
    let mut out = Vec::new();
    for g in mcp_diag_live::discovery::CHECKED_GROUPS {
        match g.strip_prefix('.') {
            Some(suffix) => {
                let matching: Vec<&&str> = granted.iter().filter(|x| x.ends_with(g)).collect();
                assert!(!matching.is_empty(), "the role grants no group of *.{suffix}");
                out.extend(matching.into_iter().map(|x| (*x).to_owned()));
            }
            None => out.push((*g).to_owned()),
        }
    }
    out
}

/// A cluster at `version` that serves every kind the scan wants: the built-in ones the
/// release serves, node metrics, and one custom resource in each checked group.
fn inventory(version: &str, role: &[PolicyRule]) -> mcp_diag_model::Inventory {
    use mcp_diag_emulator::testing::{node, pod};
    let mut objects = vec![
        node("n1", "4", "8Gi"),
        pod("default", "p", "n1", json!({"app": "p"}), "1m", "1Mi", None),
        crd("metrics.k8s.io", "NodeMetrics", "nodes", false),
        crd("metrics.k8s.io", "PodMetrics", "pods", true),
        // Calico's per-node kinds are not read, ClusterInformation is.
        crd("crd.projectcalico.org", "IPAMBlock", "ipamblocks", false),
    ];
    for group in checked_groups(role) {
        if group == "crd.projectcalico.org" {
            objects.push(crd(&group, "ClusterInformation", "clusterinformations", false));
        } else {
            objects.push(crd(&group, "Thing", "things", true));
        }
    }
    mcp_diag_emulator::testing::inventory(version, objects)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn mcp_diag(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("mcp-diag")
        .unwrap()
        .args(args)
        .env_remove("KUBECONFIG")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `args` (plus `--kubeconfig`) against an emulator of `version` whose only token has
/// the rules `granted`; returns the requests it received.
fn requests(version: &str, granted: Vec<PolicyRule>, args: &[&str]) -> Vec<LoggedRequest> {
    let rt = runtime();
    let inv = inventory(version, &rules(MAIN_ROLE));
    let emu = rt.block_on(Emulator::start(inv, Options::default())).unwrap();
    emu.set_access(Access {
        tokens: vec![Token {
            token: "scanner-token".into(),
            user: "system:serviceaccount:ci:scanner".into(),
            rules: Some(granted),
        }],
    });
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, emu.kubeconfig("role-test")).unwrap();
    let out = dir.path().join("snap");
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["--kubeconfig", kubeconfig.to_str().unwrap()]);
    if args[0] == "snapshot" {
        full.extend(["--output", out.to_str().unwrap()]);
    }
    let (status, stderr) = mcp_diag(&full);
    assert!(matches!(status, 0 | 2 | 3), "{full:?} exited {status}: {stderr}");
    let log = emu.request_log();
    rt.block_on(emu.stop());
    assert!(!log.is_empty());
    log
}

fn watch(r: &LoggedRequest) -> bool {
    r.query.split('&').any(|p| p == "watch=1" || p == "watch=true")
}

fn allowed_by(rules: &[PolicyRule], r: &LoggedRequest) -> bool {
    rules
        .iter()
        .any(|rule| rule.allows_request(&r.method, &r.path, watch(r)))
}

/// The narrowest pieces of a rule: one (group, resource, verb), or one (URL, verb).
fn pieces(rule: &PolicyRule) -> Vec<(String, PolicyRule)> {
    let one = |s: &String| vec![s.clone()];
    let mut out = Vec::new();
    for verb in &rule.verbs {
        for url in &rule.non_resource_urls {
            let p = PolicyRule {
                verbs: one(verb),
                non_resource_urls: one(url),
                ..PolicyRule::default()
            };
            out.push((format!("{verb} {url}"), p));
        }
        for group in &rule.api_groups {
            for resource in &rule.resources {
                let p = PolicyRule {
                    verbs: one(verb),
                    api_groups: one(group),
                    resources: one(resource),
                    ..PolicyRule::default()
                };
                out.push((format!("{verb} {resource} in {group:?}"), p));
            }
        }
    }
    out
}

fn assert_every_piece_used(role: &str, rules: &[PolicyRule], log: &[LoggedRequest]) {
    let unused: Vec<String> = rules
        .iter()
        .flat_map(pieces)
        .filter(|(_, p)| !log.iter().any(|r| p.allows_request(&r.method, &r.path, watch(r))))
        .map(|(name, _)| name)
        .collect();
    assert!(
        unused.is_empty(),
        "{role} grants what no request used: {unused:#?}"
    );
}

fn assert_all_allowed(what: &str, rules: &[PolicyRule], log: &[LoggedRequest]) {
    let refused: Vec<String> = log
        .iter()
        .filter(|r| r.status == 403 || !allowed_by(rules, r))
        .map(|r| format!("{} {}?{} -> {}", r.method, r.path, r.query, r.status))
        .collect();
    assert!(
        refused.is_empty(),
        "{what}: not allowed by the role: {refused:#?}"
    );
}

/// Kinds that cannot be listed (their only verb is create, or they are subresources).
const NOT_LISTABLE: &[&str] = &[
    "Binding",
    "DeploymentRollback",
    "Eviction",
    "LocalSubjectAccessReview",
    "Scale",
    "SelfSubjectAccessReview",
    "SelfSubjectReview",
    "SelfSubjectRulesReview",
    "SubjectAccessReview",
    "TokenRequest",
    "TokenReview",
];

/// The plural Kubernetes gives a built-in kind (its default pluralization).
fn plural(kind: &str) -> String {
    let k = kind.to_ascii_lowercase();
    if k.ends_with("endpoints") || k.ends_with("parameters") {
        k
    } else if let Some(stem) = k.strip_suffix('y').filter(|s| !s.ends_with(['a', 'e', 'o', 'u'])) {
        format!("{stem}ies")
    } else if k.ends_with('s') || k.ends_with("ch") || k.ends_with('x') {
        format!("{k}es")
    } else {
        format!("{k}s")
    }
}

/// The list requests the scan would make on every release the data tables know, derived
/// from `discovery::select` over what each release serves (stable versions, and pre-GA ones
/// the removal tables list, as the emulator serves them): this covers built-in kinds the
/// emulator does not serve.
fn lists_on_every_release() -> Vec<LoggedRequest> {
    use mcp_diag_data::{API_PLANNED_REMOVALS, API_REMOVALS, API_SERVED, Stability};
    use mcp_diag_live::discovery::{Discovered, ResourceType, select};
    let on_by_default = |g: &str, v: &str, k: &str| {
        Stability::of(v) == Stability::Stable
            || API_REMOVALS
                .iter()
                .any(|r| (r.group, r.version, r.kind) == (g, v, k))
            || API_PLANNED_REMOVALS
                .iter()
                .any(|r| (r.group, r.version, r.kind) == (g, v, k))
    };
    let mut out = Vec::new();
    let (oldest, newest) = (
        mcp_diag_data::OLDEST_KNOWN_MINOR,
        mcp_diag_data::NEWEST_KNOWN_MINOR,
    );
    for minor in oldest.minor..=newest.minor {
        let at = mcp_diag_model::Minor::new(1, minor);
        let mut types: std::collections::BTreeMap<(&str, &str), Vec<String>> = Default::default();
        for s in API_SERVED {
            if s.first <= at && at <= s.last && on_by_default(s.group, s.version, s.kind) {
                types
                    .entry((s.group, s.kind))
                    .or_default()
                    .push(s.version.to_owned());
            }
        }
        let discovered = Discovered {
            types: types
                .into_iter()
                .map(|((group, kind), versions)| ResourceType {
                    group: group.to_owned(),
                    resource: plural(kind),
                    kind: kind.to_owned(),
                    namespaced: true,
                    listable: !NOT_LISTABLE.contains(&kind),
                    preferred_version: versions[0].clone(),
                    versions,
                })
                .collect(),
            aggregated: true,
            unavailable: Vec::new(),
        };
        for (job, _) in select(&discovered, &[]) {
            let path = if job.group.is_empty() {
                format!("/api/{}/{}", job.version, job.resource)
            } else {
                format!("/apis/{}/{}/{}", job.group, job.version, job.resource)
            };
            out.push(LoggedRequest {
                method: "GET".into(),
                path,
                query: format!("limit=500&release=1.{minor}"),
                status: 200,
                user: None,
            });
        }
    }
    out
}

#[test]
fn the_readonly_role_allows_exactly_what_scan_and_snapshot_read() {
    let main = rules(MAIN_ROLE);
    let newest = format!("1.{}.0", mcp_diag_data::NEWEST_KNOWN_MINOR.minor);
    let mut all = Vec::new();
    for version in ["1.12.0", "1.15.0", "1.21.0", "1.25.0", "1.28.0", newest.as_str()] {
        let next = version.split('.').nth(1).unwrap().parse::<u32>().unwrap() + 1;
        let target = format!("1.{next}");
        let log = requests(version, main.clone(), &["scan", "-o", "json", "-t", &target]);
        assert_all_allowed(&format!("scan of {version}"), &main, &log);
        // Never a Secret without --helm-releases.
        assert!(!log.iter().any(|r| r.path.contains("secrets")), "{log:#?}");
        all.extend(log);
    }
    for cmd in ["snapshot", "plan"] {
        let log = requests(&newest, main.clone(), &[cmd]);
        assert_all_allowed(cmd, &main, &log);
        all.extend(log);
    }
    // Only reads.
    assert!(all.iter().all(|r| r.method == "GET"), "{all:#?}");
    let tables = lists_on_every_release();
    assert_all_allowed(
        "the kinds the scan selects on every known release",
        &main,
        &tables,
    );
    all.extend(tables);
    assert_every_piece_used(MAIN_ROLE, &main, &all);
}

#[test]
fn helm_releases_need_the_second_role_and_only_it() {
    let main = rules(MAIN_ROLE);
    let helm = rules(HELM_ROLE);
    let both: Vec<PolicyRule> = main.iter().chain(&helm).cloned().collect();
    let newest = format!("1.{}.0", mcp_diag_data::NEWEST_KNOWN_MINOR.minor);
    let log = requests(&newest, both.clone(), &["scan", "-o", "json", "--helm-releases"]);
    assert_all_allowed("scan --helm-releases", &both, &log);
    let secrets: Vec<&LoggedRequest> = log.iter().filter(|r| r.path.contains("secrets")).collect();
    assert!(!secrets.is_empty(), "--helm-releases lists Secrets");
    for r in &secrets {
        assert!(!allowed_by(&main, r), "the main role must not allow {r:?}");
    }
    assert_every_piece_used(HELM_ROLE, &helm, &log);
    // With the main role alone, the Secrets list is refused (403) and the scan goes on.
    let log = requests(&newest, main, &["scan", "-o", "json", "--helm-releases"]);
    assert!(log.iter().any(|r| r.path.contains("secrets") && r.status == 403));
}

/// docs/live.md's recipe: the demo served with a token bound to the role. Every kind the
/// scan reads is granted except the demo's own custom resources with several versions, which
/// no fixed role can name: those, and only those, are gaps (before, NodeMetrics was one too,
/// as the emulator named it `nodemetricses` where metrics-server serves `nodes`).
#[test]
fn the_demo_scanned_with_only_the_role_misses_only_its_own_custom_resources() {
    let rt = runtime();
    let inv = mcp_diag_sources::read_snapshot(&repo("examples/demo-cluster")).unwrap();
    let emu = rt.block_on(Emulator::start(inv, Options::default())).unwrap();
    emu.set_access(Access {
        tokens: vec![Token {
            token: "scanner-token".into(),
            user: "system:serviceaccount:ci:scanner".into(),
            rules: Some(rules(MAIN_ROLE)),
        }],
    });
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, emu.kubeconfig("demo")).unwrap();
    let out = Command::cargo_bin("mcp-diag")
        .unwrap()
        .args([
            "scan",
            "-t",
            "1.30",
            "-o",
            "json",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ])
        .env_remove("KUBECONFIG")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cluster = &report["clusters"][0];
    let gaps: Vec<(String, String)> = cluster["coverage"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["state"] != "complete")
        .map(|k| {
            (
                k["group"].as_str().unwrap().to_owned(),
                k["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let granted = checked_groups(&rules(MAIN_ROLE));
    for (group, reason) in &gaps {
        assert!(
            group.ends_with(".platform.example.com") && reason == "denied",
            "{gaps:?}"
        );
        assert!(!granted.contains(group), "{group} is granted yet denied");
    }
    assert!(
        emu.request_log()
            .iter()
            .any(|r| r.path == "/apis/metrics.k8s.io/v1beta1/nodes"),
        "node metrics are listed where metrics-server serves them"
    );
    rt.block_on(emu.stop());
}
