//! The ReplicaSet/StatefulSet controllers, the scheduler and the kubelet's readiness, exactly
//! as `docs/drain-model.md` specifies (budgets are in `budgets`, the eviction handler in
//! `eviction`). Shared by every module that writes pods or nodes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::budgets::{entry_labels, selector_matches};
use crate::ctx::{Shared, lock};
use crate::store::{Entry, State, pod_requests};

/// Deletes a pod now (no kubelet to wait for) and lets its controller replace it.
pub(crate) fn delete_pod(shared: &Arc<Shared>, state: &mut State, ns: &str, name: &str) {
    let Some(gone) = state.remove("", "pods", ns, name) else {
        return;
    };
    // Succeeded or Failed pods are done: their controllers do not replace them.
    let terminal = matches!(gone.phase.as_str(), "Succeeded" | "Failed");
    let owner = gone
        .pod
        .as_ref()
        .and_then(|f| f.owner.clone())
        .filter(|_| !terminal);
    if let Some((kind, owner_name)) = owner {
        let new_name = match kind.as_str() {
            "ReplicaSet" | "ReplicationController"
                if {
                    let (group, plural) = if kind == "ReplicaSet" {
                        ("apps", "replicasets")
                    } else {
                        ("", "replicationcontrollers")
                    };
                    state.get(group, plural, ns, &owner_name).is_some()
                } =>
            {
                loop {
                    let candidate = format!("{owner_name}-{}", state.rng.suffix(5));
                    if state.get("", "pods", ns, &candidate).is_none() {
                        break Some(candidate);
                    }
                }
            }
            "StatefulSet"
                if state.get("apps", "statefulsets", ns, name).is_some()
                    || state.get("apps", "statefulsets", ns, &owner_name).is_some() =>
            {
                Some(name.to_owned())
            }
            _ => None,
        };
        if let Some(new_name) = new_name {
            let mut v = gone.value();
            let api_version = gone.api_version.clone();
            if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                for key in [
                    "uid",
                    "resourceVersion",
                    "creationTimestamp",
                    "deletionTimestamp",
                    "deletionGracePeriodSeconds",
                    "managedFields",
                    "generateName",
                ] {
                    meta.remove(key);
                }
                meta.insert("name".to_owned(), Value::String(new_name));
            }
            if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) {
                spec.remove("nodeName");
            }
            v["apiVersion"] = Value::String(api_version);
            create_pod(shared, state, v);
        }
    }
    after_change(shared, state, "pods");
}

/// Binds a pod document to a node (a malformed `spec` is replaced, never indexed into).
fn set_node(v: &mut Value, node: String) {
    if !v.get("spec").is_some_and(Value::is_object) {
        v["spec"] = json!({});
    }
    v["spec"]["nodeName"] = Value::String(node);
}

/// Stores a new pod: scheduled at once when it has no node, Ready after the delay when it has.
pub(crate) fn create_pod(shared: &Arc<Shared>, state: &mut State, mut v: Value) -> Arc<Entry> {
    let api_version = v
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("v1")
        .to_owned();
    let now = (state.now)();
    let has_node = v
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let placed = if has_node {
        Ok(())
    } else {
        match schedule(state, &v) {
            Ok(node) => {
                set_node(&mut v, node);
                Ok(())
            }
            Err(msg) => Err(msg),
        }
    };
    v["status"] = match &placed {
        Ok(()) => json!({"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}]}),
        Err(msg) => json!({"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": msg,
             "lastProbeTime": null, "lastTransitionTime": now}]}),
    };
    let entry = state.put("", "pods", &api_version, v);
    let key = (entry.namespace.clone(), entry.name.clone());
    if placed.is_ok() {
        spawn_ready(shared, &key.0, &key.1, &entry.uid);
    } else {
        state.unscheduled.insert(key);
    }
    entry
}

/// After a change to `plural`: pods waiting for a node try again when nodes or pods change.
pub(crate) fn after_change(shared: &Arc<Shared>, state: &mut State, plural: &str) {
    if !matches!(
        plural,
        "nodes" | "pods" | "persistentvolumes" | "persistentvolumeclaims"
    ) {
        return;
    }
    let waiting: Vec<(String, String)> = state.unscheduled.iter().cloned().collect();
    if waiting.is_empty() {
        return;
    }
    for (ns, name) in waiting {
        let Some(e) = state.get("", "pods", &ns, &name) else {
            state.unscheduled.remove(&(ns, name));
            continue;
        };
        let mut v = e.value();
        // Each placement updates the state's usage before the next pod is tried.
        if let Ok(node) = schedule(state, &v) {
            state.unscheduled.remove(&(ns.clone(), name.clone()));
            set_node(&mut v, node);
            let now = (state.now)();
            v["status"]["conditions"] = json!([{"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}]);
            let api_version = e.api_version.clone();
            let entry = state.put("", "pods", &api_version, v);
            spawn_ready(shared, &ns, &name, &entry.uid);
        }
    }
}

/// The kubelet: a scheduled pod starts and becomes Ready after `ready_delay`.
fn spawn_ready(shared: &Arc<Shared>, ns: &str, name: &str, uid: &str) {
    let shared = shared.clone();
    let (ns, name, uid) = (ns.to_owned(), name.to_owned(), uid.to_owned());
    let delay = shared.options.ready_delay;
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    handle.spawn(async move {
        tokio::time::sleep(delay).await;
        let mut state = lock(&shared.state);
        let Some(e) = state.get("", "pods", &ns, &name).filter(|e| e.uid == uid) else {
            return;
        };
        if e.node_name.is_empty() {
            return;
        }
        let mut v = e.value();
        let now = (state.now)();
        let ip_tail = state.rng.next_u64();
        let containers: Vec<Value> = v
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .map(|c| {
                        json!({"name": c.get("name").cloned().unwrap_or(Value::Null),
                            "image": c.get("image").cloned().unwrap_or(Value::Null),
                            "ready": true, "started": true, "restartCount": 0,
                            "state": {"running": {"startedAt": now}}})
                    })
                    .collect()
            })
            .unwrap_or_default();
        let cond = |t: &str| json!({"type": t, "status": "True", "lastProbeTime": null, "lastTransitionTime": now});
        v["status"] = json!({
            "phase": "Running",
            "conditions": [cond("PodReadyToStartContainers"), cond("Initialized"), cond("Ready"), cond("ContainersReady"), cond("PodScheduled")],
            "containerStatuses": containers,
            "podIP": format!("10.{}.{}.{}", 64 + (ip_tail >> 16) % 64, (ip_tail >> 8) % 256, 1 + ip_tail % 254),
            "startTime": now,
            "qosClass": "Burstable",
        });
        let api_version = e.api_version.clone();
        state.put("", "pods", &api_version, v);
    });
}

fn node_labels(node: &Entry) -> impl Fn(&str) -> Option<String> + '_ {
    move |k| node.label(k).map(str::to_owned)
}

/// `nodeSelectorTerms`: terms ORed, each term's expressions (and fields) ANDed.
fn node_selector_terms(terms: &Value, node: &Entry) -> bool {
    let Some(terms) = terms.as_array() else {
        return true;
    };
    let name = node.name.clone();
    terms.iter().any(|term| {
        let exprs = json!({"matchExpressions": term.get("matchExpressions").cloned().unwrap_or(json!([]))});
        let fields = json!({"matchExpressions": term.get("matchFields").cloned().unwrap_or(json!([]))});
        let field_get = |k: &str| (k == "metadata.name").then(|| name.clone());
        let empty = term
            .get("matchExpressions")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
            && term
                .get("matchFields")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty);
        !empty && selector_matches(&exprs, &node_labels(node)) && selector_matches(&fields, &field_get)
    })
}

fn tolerates(tolerations: &[Value], taint: &Value) -> bool {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    tolerations.iter().any(|t| {
        let (key, op, effect) = (s(t, "key"), s(t, "operator"), s(t, "effect"));
        if !effect.is_empty() && effect != s(taint, "effect") {
            return false;
        }
        if key.is_empty() {
            return op == "Exists";
        }
        key == s(taint, "key") && (op == "Exists" || s(t, "value") == s(taint, "value"))
    })
}

/// Picks the node for a pod (feasibility, then the score; ties by name), or says why none fits.
pub(crate) fn schedule(state: &State, pod: &Value) -> Result<String, String> {
    let usage = &state.usage;
    let Some(nodes) = state.col("", "nodes") else {
        return Err("0/0 nodes are available: no nodes available to schedule pods.".to_owned());
    };
    let ns = pod
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (req_cpu, req_mem) = pod_requests(pod);
    let want_ports: Vec<(i64, String)> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| {
            c.get("ports")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|p| {
            let hp = p.get("hostPort").and_then(Value::as_i64).filter(|x| *x > 0)?;
            Some((
                hp,
                p.get("protocol")
                    .and_then(Value::as_str)
                    .unwrap_or("TCP")
                    .to_owned(),
            ))
        })
        .collect();
    let tolerations: Vec<Value> = pod
        .pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let node_selector = pod.pointer("/spec/nodeSelector").and_then(Value::as_object);
    let required_affinity = pod.pointer(
        "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
    );
    let anti: Vec<Value> = pod
        .pointer("/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // Volume node affinity of the bound PersistentVolumes the pod mounts.
    let volume_terms: Vec<Value> = pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| {
            v.pointer("/persistentVolumeClaim/claimName")
                .and_then(Value::as_str)
        })
        .filter_map(|claim| state.get("", "persistentvolumeclaims", ns, claim))
        .filter_map(|pvc| {
            pvc.value()
                .pointer("/spec/volumeName")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .filter_map(|pv| state.get("", "persistentvolumes", "", &pv))
        .filter_map(|pv| {
            pv.value()
                .pointer("/spec/nodeAffinity/required/nodeSelectorTerms")
                .cloned()
        })
        .collect();
    let anti_domains = anti_affinity_domains(state, ns, &anti);
    let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut best: Option<(i64, &str)> = None;
    // Nodes are cluster-scoped: the collection is in name order already.
    for ((_, name), node) in nodes {
        let mut fail = |r: &'static str| {
            *reasons.entry(r).or_default() += 1;
        };
        let facts = node.node.clone().unwrap_or_default();
        if !facts.ready {
            fail("node(s) were not ready");
            continue;
        }
        if node.unschedulable {
            fail("node(s) were unschedulable");
            continue;
        }
        if facts.taints.iter().any(|t| !tolerates(&tolerations, t)) {
            fail("node(s) had untolerated taint(s)");
            continue;
        }
        let labels = node_labels(node);
        let selector_ok =
            node_selector.is_none_or(|m| m.iter().all(|(k, v)| labels(k).as_deref() == v.as_str()));
        if !selector_ok || required_affinity.is_some_and(|t| !node_selector_terms(t, node)) {
            fail("node(s) didn't match Pod's node affinity/selector");
            continue;
        }
        let Some((alloc_cpu, alloc_mem, alloc_pods)) = facts.alloc else {
            fail("Insufficient cpu");
            continue;
        };
        let u = usage.get(name).cloned().unwrap_or_default();
        if u.cpu.saturating_add(req_cpu) > alloc_cpu {
            fail("Insufficient cpu");
            continue;
        }
        if u.mem.saturating_add(req_mem) > alloc_mem {
            fail("Insufficient memory");
            continue;
        }
        if u.pods >= alloc_pods {
            fail("Too many pods");
            continue;
        }
        if want_ports.iter().any(|p| u.ports.contains(p)) {
            fail("node(s) didn't have free ports for the requested pod ports");
            continue;
        }
        if anti_domains
            .iter()
            .any(|(key, domains)| labels(key).is_some_and(|d| domains.contains(&d)))
        {
            fail("node(s) didn't match pod anti-affinity rules");
            continue;
        }
        if volume_terms.iter().any(|t| !node_selector_terms(t, node)) {
            fail("node(s) had volume node affinity conflict");
            continue;
        }
        let free = |alloc: i64, used: i64| {
            if alloc > 0 {
                alloc.saturating_sub(used).saturating_mul(1000) / alloc
            } else {
                0
            }
        };
        let score = free(alloc_cpu, u.cpu.saturating_add(req_cpu))
            .saturating_add(free(alloc_mem, u.mem.saturating_add(req_mem)));
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, name.as_str()));
        }
    }
    match best {
        Some((_, name)) => Ok(name.to_owned()),
        None => {
            let parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
            Err(format!(
                "0/{} nodes are available: {}. preemption: not eligible due to preemptionPolicy=Never.",
                nodes.len(),
                parts.join(", ")
            ))
        }
    }
}

/// For each required anti-affinity term: its topology key and the domains (values of that
/// key) where a pod it selects already runs. A node in one of those domains is infeasible.
fn anti_affinity_domains(
    state: &State,
    ns: &str,
    terms: &[Value],
) -> Vec<(String, std::collections::HashSet<String>)> {
    let Some(pods) = state.col("", "pods") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for term in terms {
        let Some(key) = term.get("topologyKey").and_then(Value::as_str) else {
            continue;
        };
        let Some(sel) = term.get("labelSelector").filter(|s| !s.is_null()) else {
            continue;
        };
        let namespaces: Vec<String> = term
            .get("namespaces")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .filter(|v: &Vec<String>| !v.is_empty())
            .unwrap_or_else(|| vec![ns.to_owned()]);
        let all_ns = term
            .get("namespaceSelector")
            .and_then(Value::as_object)
            .is_some_and(serde_json::Map::is_empty);
        let domains = pods
            .values()
            .filter(|p| {
                !p.node_name.is_empty()
                    && (all_ns || namespaces.contains(&p.namespace))
                    && !matches!(p.phase.as_str(), "Succeeded" | "Failed")
                    && selector_matches(sel, &entry_labels(p))
            })
            .filter_map(|p| {
                state
                    .get("", "nodes", "", &p.node_name)
                    .and_then(|n| node_labels(&n)(key))
            })
            .collect();
        out.push((key.to_owned(), domains));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budgets::{budget_status, ceil_percent};

    #[test]
    fn selectors_and_tolerations() {
        let labels = |k: &str| match k {
            "app" => Some("web".to_owned()),
            "n" => Some("5".to_owned()),
            _ => None,
        };
        assert!(selector_matches(&json!({}), &labels));
        assert!(selector_matches(&json!({"matchLabels": {"app": "web"}}), &labels));
        assert!(!selector_matches(
            &json!({"matchLabels": {"app": "api"}}),
            &labels
        ));
        assert!(selector_matches(
            &json!({"matchExpressions": [{"key": "n", "operator": "Gt", "values": ["3"]}]}),
            &labels
        ));
        assert!(selector_matches(
            &json!({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}),
            &labels
        ));
        let taint = json!({"key": "gpu", "value": "yes", "effect": "NoSchedule"});
        assert!(tolerates(&[json!({"operator": "Exists"})], &taint));
        assert!(tolerates(
            &[json!({"key": "gpu", "operator": "Equal", "value": "yes"})],
            &taint
        ));
        assert!(!tolerates(&[json!({"key": "gpu", "value": "no"})], &taint));
        assert!(!tolerates(
            &[json!({"key": "gpu", "operator": "Exists", "effect": "NoExecute"})],
            &taint
        ));
        assert_eq!(ceil_percent(50, 3), 2);
        assert_eq!(ceil_percent(10, 10), 1);
    }

    fn state_with(objects: Vec<Value>) -> State {
        let mut st = State::new(1);
        for o in objects {
            let kind = o["kind"].as_str().unwrap_or("").to_owned();
            let plural = match kind.as_str() {
                "Node" => "nodes",
                "Pod" => "pods",
                "PersistentVolume" => "persistentvolumes",
                _ => "persistentvolumeclaims",
            };
            st.put("", plural, "v1", o);
        }
        st
    }

    fn want(name: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "a", "labels": {"app": "x"}},
            "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]}})
    }

    #[test]
    fn scheduling_rules() {
        use crate::testing::{node, pod};
        let mut tainted = node("n0-tainted", "8", "16Gi");
        tainted["spec"]["taints"] = json!([{"key": "gpu", "effect": "NoSchedule"}]);
        let mut zoned = node("n3", "8", "16Gi");
        zoned["metadata"]["labels"]["zone"] = json!("b");
        let mut bare = node("n4-bare", "8", "16Gi");
        bare["status"].as_object_mut().unwrap().remove("allocatable");
        bare["status"].as_object_mut().unwrap().remove("capacity");
        let st = state_with(vec![
            tainted,
            node("n1", "4", "8Gi"),
            node("n2", "4", "8Gi"),
            zoned,
            bare,
            pod("a", "busy", "n1", json!({"app": "x"}), "1", "1Gi", None),
        ]);
        // n3 is the emptiest; the tainted node and the node without resources never fit.
        assert_eq!(schedule(&st, &want("p")).unwrap(), "n3");
        let mut p = want("p");
        p["spec"]["nodeSelector"] = json!({"kubernetes.io/hostname": "n2"});
        assert_eq!(schedule(&st, &p).unwrap(), "n2");
        p["spec"]["tolerations"] = json!([{"key": "gpu", "operator": "Exists"}]);
        p["spec"]["nodeSelector"] = json!({"kubernetes.io/hostname": "n0-tainted"});
        assert_eq!(schedule(&st, &p).unwrap(), "n0-tainted");
        // Anti-affinity against app=x on the same host rules out n1 (busy is there).
        let mut p = want("p");
        p["spec"]["affinity"] = json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "x"}}}]},
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["n1", "n2"]}]}]}}});
        assert_eq!(schedule(&st, &p).unwrap(), "n2");
        // Too big for every node: the message counts the reasons.
        let mut huge = want("p");
        huge["spec"]["containers"][0]["resources"]["requests"]["cpu"] = json!("64");
        let msg = schedule(&st, &huge).unwrap_err();
        assert!(msg.starts_with("0/5 nodes are available: "), "{msg}");
        assert!(
            msg.contains("4 Insufficient cpu") && msg.contains("1 node(s) had untolerated taint(s)"),
            "{msg}"
        );
        // Equal scores: the first name wins.
        let st = state_with(vec![node("b", "4", "8Gi"), node("a", "4", "8Gi")]);
        assert_eq!(schedule(&st, &want("p")).unwrap(), "a");
    }

    #[test]
    fn ports_pods_and_volumes() {
        use crate::testing::{node, pod};
        let mut hp = pod("a", "hp", "n1", json!({}), "1m", "1Mi", None);
        hp["spec"]["containers"][0]["ports"] = json!([{"containerPort": 80, "hostPort": 8080}]);
        let mut small = node("n2", "8", "16Gi");
        small["status"]["allocatable"]["pods"] = json!("1");
        let mut zonal = json!({"kind": "PersistentVolume", "metadata": {"name": "pv1"},
            "spec": {"nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": "In", "values": ["n1"]}]}]}}}});
        zonal["apiVersion"] = json!("v1");
        let claim = json!({"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": {"name": "data", "namespace": "a"}, "spec": {"volumeName": "pv1"}});
        let st = state_with(vec![
            node("n1", "8", "16Gi"),
            small,
            hp,
            pod("a", "full", "n2", json!({}), "1m", "1Mi", None),
            zonal,
            claim,
        ]);
        let mut p = want("p");
        p["spec"]["containers"][0]["ports"] = json!([{"containerPort": 80, "hostPort": 8080}]);
        let msg = schedule(&st, &p).unwrap_err();
        assert!(
            msg.contains("free ports") && msg.contains("Too many pods"),
            "{msg}"
        );
        let mut p = want("p");
        p["spec"]["volumes"] = json!([{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]);
        assert_eq!(schedule(&st, &p).unwrap(), "n1");
    }

    #[test]
    fn absurd_budgets_do_not_overflow() {
        use crate::testing::{node, pod};
        let mut st = state_with(vec![
            node("n1", "4", "8Gi"),
            pod("a", "p", "n1", json!({"app": "x"}), "1", "1Gi", None),
        ]);
        st.put(
            "apps",
            "replicasets",
            "apps/v1",
            json!({"metadata": {"name": "rs", "namespace": "a"}, "spec": {"replicas": i64::MAX}}),
        );
        st.put(
            "",
            "pods",
            "v1",
            pod(
                "a",
                "q",
                "n1",
                json!({"app": "x"}),
                "1",
                "1Gi",
                Some(("ReplicaSet", "rs")),
            ),
        );
        for spec in [
            json!({"minAvailable": i64::MIN}),
            json!({"minAvailable": "9223372036854775807%"}),
            json!({"maxUnavailable": i64::MIN}),
            json!({"maxUnavailable": "300%"}),
        ] {
            let mut pdb = json!({"metadata": {"name": "b", "namespace": "a"}, "spec": spec});
            pdb["spec"]["selector"] = json!({});
            let status = budget_status(&st, &pdb);
            assert!(status.allowed >= 0);
        }
        let mut huge = want("h");
        huge["spec"]["containers"][0]["resources"]["requests"] = json!({"cpu": "1e300", "memory": "1e300"});
        assert!(schedule(&st, &huge).is_err());
    }
}
