//! `mcp-diag plan` on partial inputs: exports without ReplicaSets (budgets with fresh,
//! stale or failed recorded status), exports without pods, budgets whose expected count is
//! 0, and a node with more than one blocker. Each cluster is written as a snapshot
//! directory (cluster.yaml and the objects), as `kubectl get ... -o yaml` leaves them.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): exit {}\n{}\n{}",
                self.code, self.stdout, self.stderr
            )
        })
    }
}

fn plan(dir: &Path, extra: &[&str]) -> Run {
    let output = Command::cargo_bin("mcp-diag")
        .unwrap()
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .env("MCP_DIAG_TODAY", "2026-11-25")
        .env("MCP_DIAG_NOW", "2026-11-26T03:00:00Z")
        .args(["plan", "--target-version", "1.32"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn node(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": format!("node-{name}"),
        "labels": {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": "eu-1a"}},
        "spec": {}, "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
        "conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.31.4"}}})
}

fn pod(name: &str, labels: Value, owner: Option<(&str, &str, &str)>, node: &str) -> Value {
    let mut meta = json!({"name": name, "namespace": "shop", "uid": format!("pod-{name}"), "labels": labels});
    if let Some((kind, oname, uid)) = owner {
        meta["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": kind, "name": oname,
            "uid": uid, "controller": true}]);
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
        "spec": {"nodeName": node, "containers": [{"name": "main", "image": "registry.example/app:1",
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})
}

/// A Deployment, its ReplicaSet and one pod per node given.
fn workload(name: &str, hash: &str, nodes: &[&str]) -> Vec<Value> {
    let rs = format!("{name}-{hash}");
    let mut out = vec![
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop",
            "uid": format!("deploy-{name}"), "generation": 1},
            "spec": {"replicas": nodes.len(), "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "main"}]}}}}),
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": rs, "namespace": "shop",
            "uid": format!("rs-{name}"), "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                "name": name, "uid": format!("deploy-{name}"), "controller": true}]},
            "spec": {"replicas": nodes.len(), "selector": {"matchLabels": {"app": name, "pod-template-hash": hash}}}}),
    ];
    for (k, n) in nodes.iter().enumerate() {
        out.push(pod(
            &format!("{rs}-p{k}"),
            json!({"app": name, "pod-template-hash": hash}),
            Some(("ReplicaSet", &rs, &format!("rs-{name}"))),
            n,
        ));
    }
    out
}

/// A budget with `spec` and the status the disruption controller records for it.
fn pdb(name: &str, spec: Value, status: Value) -> Value {
    let mut spec = spec;
    spec["selector"] = json!({"matchLabels": {"app": name}});
    json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": "shop", "uid": format!("pdb-{name}"), "generation": 1},
        "spec": spec, "status": status})
}

fn status(current: i64, desired: i64, expected: i64) -> Value {
    let allowed = if expected <= 0 {
        0
    } else {
        (current - desired).max(0)
    };
    json!({"observedGeneration": 1, "currentHealthy": current, "desiredHealthy": desired,
        "expectedPods": expected, "disruptionsAllowed": allowed,
        "conditions": [{"type": "DisruptionAllowed", "status": if allowed > 0 { "True" } else { "False" },
            "reason": if allowed > 0 { "SufficientPods" } else { "InsufficientPods" }, "message": ""}]})
}

/// Three workers: `web` on all three under maxUnavailable 1 (drains), `solo` on w2 under
/// maxUnavailable 0 (blocks w2).
fn cluster() -> Vec<Value> {
    let mut objects: Vec<Value> = ["w1", "w2", "w3"].iter().map(|n| node(n)).collect();
    objects.extend(workload("web", "7c9d8f6b5", &["w1", "w2", "w3"]));
    objects.extend(workload("solo", "5f6d7c8b9", &["w2"]));
    objects.push(pdb("web", json!({"maxUnavailable": 1}), status(3, 2, 3)));
    objects.push(pdb("solo", json!({"maxUnavailable": 0}), status(1, 1, 1)));
    objects
}

fn write(objects: &[Value]) -> tempfile::TempDir {
    write_with(objects, "")
}

/// As [`write`], with more lines for cluster.yaml (a `coverage:` declaration).
fn write_with(objects: &[Value], cluster_extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cluster.yaml"),
        format!(
            "name: partial\nserverVersion:\n  gitVersion: v1.31.4\n  major: \"1\"\n  minor: \"31\"\n{cluster_extra}"
        ),
    )
    .unwrap();
    let text: Vec<String> = objects.iter().map(Value::to_string).collect();
    std::fs::write(dir.path().join("objects.yaml"), text.join("\n---\n")).unwrap();
    dir
}

/// Without the `solo` budget, whose maxUnavailable 0 is also a blocker finding of the hops
/// (so that the verdict shows what the nodes alone give).
fn without_solo_budget(objects: Vec<Value>) -> Vec<Value> {
    objects
        .into_iter()
        .filter(|o| !(o["kind"] == "PodDisruptionBudget" && o["metadata"]["name"] == "solo"))
        .collect()
}

fn without_replicasets(objects: &[Value]) -> Vec<Value> {
    objects
        .iter()
        .filter(|o| o["kind"] != "ReplicaSet")
        .cloned()
        .collect()
}

fn verdicts(json: &Value) -> Vec<(String, Value)> {
    let mut v: Vec<(String, Value)> = json["waves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["nodes"].as_array().unwrap())
        .map(|n| (n["name"].as_str().unwrap().to_owned(), n["drainable"].clone()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn an_export_without_replicasets_with_fresh_status_plans_as_the_full_cluster() {
    let full = write(&cluster());
    let export = write(&without_replicasets(&cluster()));
    let full = plan(full.path(), &["-o", "json"]);
    let export = plan(export.path(), &["-o", "json"]);
    assert_eq!(full.code, 3, "{}", full.stderr);
    assert_eq!(export.code, 3, "{}", export.stderr);
    let (full, export) = (full.json(), export.json());
    assert_eq!(verdicts(&export), verdicts(&full));
    assert_eq!(
        verdicts(&full),
        vec![
            ("w1".to_owned(), json!(true)),
            ("w2".to_owned(), json!(false)),
            ("w3".to_owned(), json!(true))
        ]
    );
    // Evicted pods of the missing ReplicaSets are replaced, as their Deployments are there.
    let not_replaced = export["waves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["nodes"].as_array().unwrap())
        .flat_map(|n| n["moves"].as_array().unwrap())
        .filter(|m| m["outcome"] == "not-replaced")
        .count();
    assert_eq!(not_replaced, 0, "{export}");
}

#[test]
fn stale_recorded_status_gives_unknown_never_drainable() {
    let mut objects = without_replicasets(&without_solo_budget(cluster()));
    for o in &mut objects {
        if o["kind"] == "PodDisruptionBudget" {
            o["metadata"]["generation"] = json!(2);
        }
    }
    let dir = write(&objects);
    let run = plan(dir.path(), &["-o", "json"]);
    let json = run.json();
    for (name, drainable) in verdicts(&json) {
        assert_eq!(drainable, json!("unknown"), "node {name}");
    }
    assert_eq!(json["verdict"], "unknown");
    assert!(
        json["incomplete"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["kind"] == "ReplicaSet"),
        "{json}"
    );
    // Not "ready", even when only blockers fail the run.
    assert_eq!(run.code, 2);
    assert_eq!(plan(dir.path(), &["--fail-on", "blocker"]).code, 2);
    let table = plan(dir.path(), &[]);
    assert!(table.stdout.contains("kubectl get rs"), "{}", table.stdout);
    assert!(table.stdout.contains("INCOMPLETE"), "{}", table.stdout);
}

#[test]
fn budgets_whose_expected_count_is_zero_block() {
    let mut objects: Vec<Value> = ["w1", "w2"].iter().map(|n| node(n)).collect();
    objects.extend(workload("web", "7c9d8f6b5", &["w1", "w2"]));
    // Neither minAvailable nor maxUnavailable: expectedPods 0, 0 allowed.
    objects.push(pdb("web", json!({}), status(2, 0, 0)));
    let dir = write(&objects);
    let run = plan(dir.path(), &["-o", "json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let json = run.json();
    for (name, drainable) in verdicts(&json) {
        assert_eq!(drainable, json!(false), "node {name}");
    }
    // The rule is said once.
    let message = nodes_of(&json)[0]["blockers"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        message.matches("neither minAvailable nor maxUnavailable").count(),
        1,
        "{message}"
    );
}

#[test]
fn a_node_with_an_unmanaged_pod_and_a_blocking_budget_lists_both() {
    let mut objects = cluster();
    objects.push(pod("debug", json!({"app": "debug"}), None, "w2"));
    let dir = write(&objects);
    let run = plan(dir.path(), &["-o", "json"]);
    let json = run.json();
    let w2 = json["waves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["nodes"].as_array().unwrap())
        .find(|n| n["name"] == "w2")
        .unwrap()
        .clone();
    assert_eq!(w2["drainable"], false);
    assert_eq!(w2["blockers"][0]["kind"], "unmovable", "{w2}");
    let remaining: Vec<&Value> = w2["remaining"].as_array().unwrap().iter().collect();
    assert!(
        remaining
            .iter()
            .any(|b| b["kind"] == "pdb" && b["object"]["name"] == "solo"),
        "{w2}"
    );
    let table = plan(dir.path(), &[]);
    assert!(
        table.stdout.contains("then: [pdb] PodDisruptionBudget shop/solo"),
        "{}",
        table.stdout
    );
    let md = plan(dir.path(), &["-o", "markdown"]);
    assert!(md.stdout.contains("then **pdb**"), "{}", md.stdout);
}

#[test]
fn nodes_without_pods_are_never_drainable() {
    // `kubectl get nodes -o yaml`: nodes, and not one pod.
    let objects: Vec<Value> = without_solo_budget(cluster())
        .into_iter()
        .filter(|o| o["kind"] != "Pod")
        .collect();
    let dir = write(&objects);
    let run = plan(dir.path(), &["-o", "json"]);
    let json = run.json();
    assert_eq!(json["summary"]["drainable"], 0, "{json}");
    assert_eq!(json["verdict"], "unknown");
    assert_eq!(json["incomplete"][0]["kind"], "Pod");
    assert_eq!(run.code, 2);
    let run = plan(dir.path(), &["--fail-on", "blocker"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("0 drainable"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Input incomplete: the input holds no Pods"),
        "{}",
        run.stdout
    );
    let html = plan(dir.path(), &["-o", "html"]);
    assert!(html.stdout.contains("The plan is incomplete"), "{}", html.stdout);
    let md = plan(dir.path(), &["-o", "markdown"]);
    assert!(md.stdout.contains("**The plan is incomplete**"), "{}", md.stdout);
    assert!(
        md.stdout.contains("- **Pod**: the input holds no Pods"),
        "{}",
        md.stdout
    );
    // --fail-on none is a report-only run.
    assert_eq!(plan(dir.path(), &["--fail-on", "none"]).code, 0);
}

fn nodes_of(json: &Value) -> Vec<Value> {
    json["waves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["nodes"].as_array().unwrap())
        .cloned()
        .collect()
}

/// Every kind the planner reads, complete, except those named (recorded as failed).
fn coverage(failed: &[&str]) -> String {
    let kinds = mcp_diag_planner::testing::READ_KINDS.iter().copied();
    let mut out = "coverage:\n  recorded: true\n  kinds:\n".to_owned();
    for (group, kind) in kinds {
        if failed.contains(&kind) {
            out.push_str(&format!(
                "  - {{group: \"{group}\", kind: {kind}, state: missing, reason: failed, detail: \"HTTP 500 after 8 attempts\"}}\n"
            ));
        } else {
            out.push_str(&format!(
                "  - {{group: \"{group}\", kind: {kind}, state: complete}}\n"
            ));
        }
    }
    out
}

#[test]
fn failed_pods_read_makes_no_absence_claims() {
    // The pods list failed: no budget "selects no pod", no canary "runs no pod".
    let objects: Vec<Value> = without_solo_budget(cluster())
        .into_iter()
        .filter(|o| o["kind"] != "Pod")
        .collect();
    let dir = write_with(&objects, &coverage(&["Pod"]));
    let run = plan(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let out = run.stdout;
    assert!(!out.contains("protect nothing"), "{out}");
    assert!(!out.contains("runs no pod"), "{out}");
    assert!(out.contains("protects anything is not known"), "{out}");
    assert!(!out.contains("0 pods moved"), "{out}");
    // The read is known to have failed: the summary says so, not "may lack".
    assert!(!out.contains("may lack Pods"), "{out}");
    assert!(
        out.contains("Pods were not read at all (failed: HTTP 500 after 8 attempts)"),
        "{out}"
    );
    // No node predicted: no "0 pods evicted" as a fact.
    assert!(out.contains("evictions not predicted"), "{out}");
    assert!(!out.contains("0 pods evicted"), "{out}");
    let md = plan(dir.path(), &["-o", "markdown"]).stdout;
    assert!(md.contains("| not predicted | not predicted |"), "{md}");
    let json = plan(dir.path(), &["-o", "json"]).json();
    let reasons: Vec<String> = nodes_of(&json)
        .iter()
        .map(|n| n["reason"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        reasons.iter().all(|r| !r.contains("running 0 workloads")),
        "{reasons:?}"
    );
    // An export without them, unrecorded: "may lack".
    let dir = write(&objects);
    let out = plan(dir.path(), &[]).stdout;
    assert!(out.contains("may lack Pods"), "{out}");
}

#[test]
fn a_blocked_node_says_its_budgets_were_not_read() {
    // w2 runs an unmanaged pod and a `web` pod; the budgets list failed.
    let mut objects: Vec<Value> = cluster()
        .into_iter()
        .filter(|o| o["kind"] != "PodDisruptionBudget")
        .collect();
    objects.push(pod("debug", json!({"app": "debug"}), None, "w2"));
    let dir = write_with(&objects, &coverage(&["PodDisruptionBudget"]));
    let json = plan(dir.path(), &["-o", "json"]).json();
    let w2 = nodes_of(&json).into_iter().find(|n| n["name"] == "w2").unwrap();
    assert_eq!(w2["drainable"], false, "{w2}");
    assert_eq!(w2["blockers"][0]["kind"], "unmovable", "{w2}");
    let budgets = w2["remaining"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["kind"] == "unknown")
        .unwrap_or_else(|| panic!("no unknown budget line in {w2}"));
    let message = budgets["message"].as_str().unwrap();
    assert!(
        message.contains("PodDisruptionBudgets over this node's pods were not read"),
        "{message}"
    );
    assert!(message.contains("HTTP 500"), "{message}");
}

#[test]
fn a_pending_pod_without_a_node_is_not_evicted_from_one() {
    // `web` has a fourth pod, Pending without a node; the simulation places it on w3 once
    // room frees up, but the drain of w3 must not report it as moved from there.
    let mut objects = without_solo_budget(without_replicasets(&cluster()));
    let mut pending = pod(
        "web-7c9d8f6b5-pending",
        json!({"app": "web", "pod-template-hash": "7c9d8f6b5"}),
        Some(("ReplicaSet", "web-7c9d8f6b5", "rs-web")),
        "",
    );
    pending["spec"].as_object_mut().unwrap().remove("nodeName");
    // Only w3, drained last, takes it.
    pending["spec"]["nodeSelector"] = json!({"kubernetes.io/hostname": "w3"});
    pending["status"] =
        json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False"}]});
    objects.push(pending);
    let dir = write(&objects);
    let json = plan(dir.path(), &["-o", "json"]).json();
    for n in nodes_of(&json) {
        for m in n["moves"].as_array().unwrap() {
            assert_ne!(m["pod"], "shop/web-7c9d8f6b5-pending", "{n}");
        }
        for b in n["blockers"]
            .as_array()
            .unwrap()
            .iter()
            .chain(n["remaining"].as_array().unwrap())
        {
            assert_ne!(b["pod"], "shop/web-7c9d8f6b5-pending", "{n}");
        }
    }
}

#[test]
fn replacements_are_named_after_the_evicted_pod() {
    // Replacements land on nodes drained later and move again: the plan names the pod
    // evicted first, never a name the simulation made up.
    let objects: Vec<Value> = cluster()
        .into_iter()
        .filter(|o| o["kind"] != "PodDisruptionBudget")
        .collect();
    let dir = write(&objects);
    let json = plan(dir.path(), &["-o", "json"]).json();
    let moved: Vec<String> = nodes_of(&json)
        .iter()
        .flat_map(|n| n["moves"].as_array().unwrap().clone())
        .map(|m| m["pod"].as_str().unwrap().to_owned())
        .collect();
    assert!(moved.len() > 4, "some pod moves twice: {moved:?}");
    assert!(!json.to_string().contains("-r000"), "{json}");
}

#[test]
fn a_hand_made_snapshot_can_declare_budgets_complete() {
    // An export without budgets is incomplete for them; declared complete in cluster.yaml,
    // the plan has no budget gap.
    let objects: Vec<Value> = cluster()
        .into_iter()
        .filter(|o| o["kind"] != "PodDisruptionBudget")
        .collect();
    let plain = write(&objects);
    let json = plan(plain.path(), &["-o", "json"]).json();
    assert!(
        json["incomplete"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["kind"] == "PodDisruptionBudget"),
        "{json}"
    );
    let declared = write_with(
        &objects,
        "coverage: {recorded: true, kinds: [{group: policy, kind: PodDisruptionBudget, state: complete}]}\n",
    );
    let run = plan(declared.path(), &["-o", "json"]);
    let json = run.json();
    assert!(
        !json["incomplete"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["kind"] == "PodDisruptionBudget"),
        "{json}"
    );
    assert_eq!(json["verdict"], "ready", "{json}");
}
