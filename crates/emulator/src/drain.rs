//! Eviction, PodDisruptionBudget status, the ReplicaSet/StatefulSet controllers, the
//! scheduler and the kubelet's readiness, exactly as `docs/drain-model.md` specifies.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::server::{Ctx, Shared, Target, bad_request, json_response, lock, not_found, status};
use crate::store::{Entry, State, controller_owner, pod_requests};

/// A budget's status as the disruption controller computes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BudgetStatus {
    pub expected: i64,
    pub current: i64,
    pub desired: i64,
    pub allowed: i64,
    /// `status.observedGeneration`: the budget's generation once computed; on a fail-safe,
    /// whatever the budget held before (the controller does not advance it then).
    pub observed_generation: i64,
    /// The controller could not compute the budget (a selected pod's controller is missing
    /// or has no scale): 0 allowed, condition `SyncFailed` with this message.
    pub fail_safe: Option<String>,
}

impl BudgetStatus {
    pub fn to_value(&self, pdb: &Value) -> Value {
        let (cond_status, reason, message) = match &self.fail_safe {
            Some(m) => ("False", "SyncFailed", m.as_str()),
            None if self.allowed > 0 => ("True", "SufficientPods", ""),
            None => ("False", "InsufficientPods", ""),
        };
        json!({
            "observedGeneration": self.observed_generation,
            "disruptionsAllowed": self.allowed,
            "currentHealthy": self.current,
            "desiredHealthy": self.desired,
            "expectedPods": self.expected,
            "conditions": [{
                "type": "DisruptionAllowed",
                "status": cond_status,
                "reason": reason,
                "message": message,
                "observedGeneration": self.observed_generation,
                "lastTransitionTime": pdb.pointer("/metadata/creationTimestamp").cloned().unwrap_or(Value::Null),
            }],
        })
    }
}

fn generation(pdb: &Value) -> i64 {
    pdb.pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

/// Does a `metav1.LabelSelector` (matchLabels + matchExpressions) select these labels?
pub(crate) fn selector_matches(sel: &Value, get: &dyn Fn(&str) -> Option<String>) -> bool {
    if let Some(ml) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in ml {
            if get(k).as_deref() != v.as_str() {
                return false;
            }
        }
    }
    for e in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e.get("key").and_then(Value::as_str).unwrap_or("");
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|vs| vs.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let have = get(key);
        let ok = match e.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => have.as_deref().is_some_and(|h| values.contains(&h)),
            "NotIn" => have.as_deref().is_none_or(|h| !values.contains(&h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            "Gt" | "Lt" => {
                let op_gt = e.get("operator").and_then(Value::as_str) == Some("Gt");
                match (
                    have.and_then(|h| h.parse::<i64>().ok()),
                    values.first().and_then(|v| v.parse::<i64>().ok()),
                ) {
                    (Some(h), Some(v)) => {
                        if op_gt {
                            h > v
                        } else {
                            h < v
                        }
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

fn entry_labels(e: &Entry) -> impl Fn(&str) -> Option<String> + '_ {
    move |k| e.label(k).map(str::to_owned)
}

/// The selector of a budget, `None` when it selects nothing: a missing selector, or an empty
/// one on a budget written as policy/v1beta1 (where `{}` meant no pods; the API server keeps
/// that meaning for objects created through v1beta1).
pub(crate) fn budget_selector(pdb: &Value) -> Option<&Value> {
    let sel = pdb.pointer("/spec/selector").filter(|s| !s.is_null())?;
    let empty = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_none_or(serde_json::Map::is_empty)
        && sel
            .get("matchExpressions")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
    if empty && pdb.get("apiVersion").and_then(Value::as_str) == Some("policy/v1beta1") {
        return None;
    }
    Some(sel)
}

/// Pods of `ns` the budget's selector picks, terminating ones included (the controller's
/// lister holds them: they count in `expectedPods` for an integer minAvailable, never as
/// healthy); a missing selector picks none.
fn budget_pods<'a>(state: &'a State, ns: &str, pdb: &Value) -> Vec<&'a Arc<Entry>> {
    let Some(sel) = budget_selector(pdb) else {
        return Vec::new();
    };
    let Some(pods) = state.col("", "pods") else {
        return Vec::new();
    };
    pods.range((ns.to_owned(), String::new())..)
        .take_while(|((n, _), _)| n == ns)
        .map(|(_, e)| e)
        .filter(|e| selector_matches(sel, &entry_labels(e)))
        .collect()
}

/// Ready pods that are not terminating: the controller's `currentHealthy`.
fn healthy(pods: &[&Arc<Entry>]) -> i64 {
    let n = pods
        .iter()
        .filter(|p| p.pod.as_ref().is_some_and(|f| f.ready && !f.terminating))
        .count();
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn replicas(v: &Value) -> i64 {
    v.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)
}

/// The scale behind a pod's controller: (controller key, replicas), or the error the
/// disruption controller's `getExpectedScale` gives (which makes it fail safe).
fn controller_scale(
    state: &State,
    ns: &str,
    pod: &str,
    kind: &str,
    name: &str,
) -> Result<((String, String), i64), String> {
    let lookup = |group: &str, plural: &str, n: &str| state.get(group, plural, ns, n).map(|e| e.value());
    let none = || format!("found no controllers for pod \"{pod}\"");
    match kind {
        "ReplicaSet" => {
            let rs = lookup("apps", "replicasets", name).ok_or_else(none)?;
            match controller_owner(&rs) {
                Some((k, dep)) if k == "Deployment" => match lookup("apps", "deployments", &dep) {
                    Some(d) => Ok((("Deployment".to_owned(), dep), replicas(&d))),
                    // The Deployment finder finds nothing and the ReplicaSet finder skips a
                    // Deployment-owned set, but the scale finder reads the ReplicaSet's own
                    // `/scale`.
                    None => Ok((("ReplicaSet".to_owned(), name.to_owned()), replicas(&rs))),
                },
                // Owned by something else (an Argo Rollout, say): the disruption controller
                // counts the ReplicaSet's own scale.
                _ => Ok((("ReplicaSet".to_owned(), name.to_owned()), replicas(&rs))),
            }
        }
        "StatefulSet" => {
            let s = lookup("apps", "statefulsets", name).ok_or_else(none)?;
            Ok((("StatefulSet".to_owned(), name.to_owned()), replicas(&s)))
        }
        "ReplicationController" => {
            let rc = lookup("", "replicationcontrollers", name).ok_or_else(none)?;
            Ok((
                ("ReplicationController".to_owned(), name.to_owned()),
                replicas(&rc),
            ))
        }
        // Found through the scale client, which these kinds do not have (the controller's
        // wording, from `getScaleController`).
        "DaemonSet" => Err("daemonsets.apps does not implement the scale subresource".to_owned()),
        "Job" => Err("jobs.batch does not implement the scale subresource".to_owned()),
        _ => Err(none()),
    }
}

enum IntOrPercent {
    Int(i64),
    Percent(i64),
}

fn int_or_percent(v: &Value) -> Option<IntOrPercent> {
    match v {
        Value::Number(n) => n.as_i64().map(IntOrPercent::Int),
        Value::String(s) => match s.strip_suffix('%') {
            Some(p) => p.trim().parse().ok().map(IntOrPercent::Percent),
            None => s.trim().parse().ok().map(IntOrPercent::Int),
        },
        _ => None,
    }
}

fn ceil_percent(p: i64, of: i64) -> i64 {
    p.saturating_mul(of).saturating_add(99).div_euclid(100)
}

/// A budget's recorded status, when it can be trusted as the controller's last word: it
/// observed the current generation and did not fail. (expected, desired, current).
fn fresh_recorded(pdb: &Value) -> Option<(i64, i64, i64)> {
    let st = pdb.get("status")?;
    let int = |k: &str| st.get(k).and_then(Value::as_i64);
    let observed = int("observedGeneration")?;
    if observed != pdb.pointer("/metadata/generation").and_then(Value::as_i64)? {
        return None;
    }
    let failed = st
        .get("conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c.get("reason").and_then(Value::as_str) == Some("SyncFailed"));
    if failed {
        return None;
    }
    Some((
        int("expectedPods")?,
        int("desiredHealthy")?,
        int("currentHealthy")?,
    ))
}

/// Notes, for each budget loaded with a fresh recorded status, how many Ready pods it
/// selects now, so that `budget_status` can follow the recorded `currentHealthy` as pods come
/// and go. Called once, after the snapshot is loaded.
pub(crate) fn record_budget_baselines(state: &mut State) {
    let Some(budgets) = state.col("policy", "poddisruptionbudgets") else {
        return;
    };
    let mut baselines = std::collections::HashMap::new();
    for (key, entry) in budgets {
        let pdb = entry.value();
        // A status whose currentHealthy disagrees with the Ready pods the snapshot holds was
        // computed from another state of the cluster: not trusted (as the planner does).
        if let Some((_, _, current)) = fresh_recorded(&pdb) {
            let ns = entry.namespace.as_str();
            let ready = healthy(&budget_pods(state, ns, &pdb));
            if ready == current {
                baselines.insert(key.clone(), (entry.rv, ready));
            }
        }
    }
    state.budget_baselines = baselines;
}

/// The disruption controller's computation for one budget (from the current pods), as
/// `pkg/controller/disruption` does it: `getExpectedPodCount`, then `updatePdbStatus`
/// (allowed = currentHealthy - desiredHealthy, and 0 when `expectedCount <= 0`), or
/// `failSafe` when a selected pod's controller cannot be found.
///
/// One departure, on purpose: when a controller is missing from the emulator's store but
/// the budget came from the snapshot with a fresh recorded status, that status is used
/// instead of failing safe. A snapshot is a copy of a real cluster, and an export without
/// ReplicaSets is common (`kubectl get deploy,sts,pods,pdb`): the controller is in the
/// cluster, and the recorded status is what the real controller computed from it. The
/// recorded expected and desired counts stand; `currentHealthy` follows the pods (the
/// recorded value, plus or minus the change in Ready selected pods since the snapshot was
/// loaded), so evicting a healthy pod lowers it by one. Once the budget is written to (its
/// resourceVersion changes), the recorded status no longer applies.
pub(crate) fn budget_status(state: &State, pdb: &Value) -> BudgetStatus {
    let ns = pdb
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = pdb
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let pods = budget_pods(state, ns, pdb);
    let current = healthy(&pods);
    let min = pdb.pointer("/spec/minAvailable").and_then(int_or_percent);
    let max = pdb.pointer("/spec/maxUnavailable").and_then(int_or_percent);
    // SUM of the scales of the selected pods' controllers; pods without a controller are
    // skipped (the controller only logs them as unmanaged).
    let scaled = || -> Result<i64, String> {
        // Pods of one budget nearly always share one owner: look each owner up once (a
        // lookup parses the owner's stored JSON), not once per pod.
        let mut owners: BTreeMap<(String, String), &str> = BTreeMap::new();
        for p in &pods {
            if let Some(owner) = p.pod.as_ref().and_then(|f| f.owner.clone()) {
                owners.entry(owner).or_insert(p.name.as_str());
            }
        }
        let mut seen: BTreeMap<(String, String), i64> = BTreeMap::new();
        for ((kind, owner), pod) in &owners {
            let (key, n) = controller_scale(state, ns, pod, kind, owner)?;
            seen.insert(key, n);
        }
        Ok(seen.values().fold(0i64, |a, b| a.saturating_add(*b)))
    };
    // (expected, desired) as `getExpectedPodCount` computes them; maxUnavailable wins when
    // both are set; neither gives (0, 0).
    let counts: Result<(i64, i64), String> = match (max, min) {
        (Some(m), _) => scaled().map(|expected| {
            let n = match m {
                IntOrPercent::Int(n) => n,
                IntOrPercent::Percent(p) => ceil_percent(p, expected),
            };
            (expected, expected.saturating_sub(n).max(0))
        }),
        (None, Some(IntOrPercent::Int(n))) => Ok((i64::try_from(pods.len()).unwrap_or(i64::MAX), n)),
        (None, Some(IntOrPercent::Percent(p))) => {
            scaled().map(|expected| (expected, ceil_percent(p, expected)))
        }
        (None, None) => Ok((0, 0)),
    };
    let computed = |expected: i64, desired: i64, current: i64| {
        let allowed = if expected <= 0 {
            0
        } else {
            current.saturating_sub(desired).max(0)
        };
        BudgetStatus {
            expected,
            current,
            desired,
            allowed,
            observed_generation: generation(pdb),
            fail_safe: None,
        }
    };
    match counts {
        Ok((expected, desired)) => computed(expected, desired, current),
        Err(message) => {
            let key = (ns.to_owned(), name.to_owned());
            let stored_rv = state
                .get("policy", "poddisruptionbudgets", ns, name)
                .map(|e| e.rv);
            let baseline = state
                .budget_baselines
                .get(&key)
                .filter(|(rv, _)| Some(*rv) == stored_rv);
            if let (Some((_, ready_then)), Some((expected, desired, recorded))) =
                (baseline, fresh_recorded(pdb))
            {
                let now = recorded
                    .saturating_add(current.saturating_sub(*ready_then))
                    .max(0);
                return computed(expected, desired, now);
            }
            // failSafe: 0 allowed, the other fields as they were, the condition says why.
            let int = |k: &str| {
                pdb.pointer(&format!("/status/{k}"))
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
            };
            BudgetStatus {
                expected: int("expectedPods"),
                current: int("currentHealthy"),
                desired: int("desiredHealthy"),
                allowed: 0,
                observed_generation: int("observedGeneration"),
                fail_safe: Some(message),
            }
        }
    }
}

fn eviction_done() -> Response<Body> {
    json_response(
        StatusCode::CREATED,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    )
}

/// `POST .../pods/NAME/eviction`.
pub(crate) fn evict(shared: &Arc<Shared>, ctx: &Ctx, t: &Target<'_>) -> Response<Body> {
    let name = t.name.clone().unwrap_or_default();
    let ns = t.ns.clone().unwrap_or_default();
    let body: Value = if ctx.body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&ctx.body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return bad_request("error decoding request body: the body is not an Eviction object"),
        }
    };
    if let Some(n) = body.pointer("/metadata/name").and_then(Value::as_str)
        && n != name
    {
        return bad_request("name in URL does not match name in Eviction object");
    }
    let dry_run = body
        .pointer("/deleteOptions/dryRun")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
        || ctx.params.contains_key("dryRun");
    let mut state = shared.state();
    let Some(pod) = state.get("", "pods", &ns, &name) else {
        return not_found(t, &name);
    };
    if let Some(uid) = body
        .pointer("/deleteOptions/preconditions/uid")
        .and_then(Value::as_str)
        && uid != pod.uid
    {
        return status(
            StatusCode::CONFLICT,
            "Conflict",
            &format!(
                "Operation cannot be fulfilled on pods \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                pod.uid
            ),
            Some(json!({"name": name, "kind": "pods"})),
        );
    }
    let facts = pod.pod.clone().unwrap_or_default();
    let finish = |state: &mut State| {
        if !dry_run {
            delete_pod(shared, state, &ns, &name);
        }
        eviction_done()
    };
    if matches!(pod.phase.as_str(), "Pending" | "Succeeded" | "Failed") || facts.terminating {
        return finish(&mut state);
    }
    let budgets: Vec<Value> = state
        .col("policy", "poddisruptionbudgets")
        .map(|c| {
            c.range((ns.clone(), String::new())..)
                .take_while(|((n, _), _)| *n == ns)
                .map(|(_, e)| e.value())
                .filter(|b| budget_selector(b).is_some_and(|s| selector_matches(s, &entry_labels(&pod))))
                .collect()
        })
        .unwrap_or_default();
    let pdb = match budgets.as_slice() {
        [] => return finish(&mut state),
        [one] => one,
        _ => {
            return status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                Some(
                    json!({"causes": [{"message": "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."}]}),
                ),
            );
        }
    };
    let st = budget_status(&state, pdb);
    // The eviction handler's order: an unready pod goes without touching the budget when the
    // policy says AlwaysAllow, or when the budget is met and wants some healthy pods
    // (IfHealthyBudget, the default); otherwise it is checked like any pod.
    if !facts.ready {
        let always = pdb
            .pointer("/spec/unhealthyPodEvictionPolicy")
            .and_then(Value::as_str)
            == Some("AlwaysAllow");
        if always || (st.current >= st.desired && st.desired > 0) {
            return finish(&mut state);
        }
    }
    let pdb_name = pdb
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    // `checkAndDecrement`: a status the controller has not caught up with refuses first.
    if st.observed_generation < generation(pdb) {
        return too_many(
            10,
            &format!("The disruption budget {pdb_name} is still being processed by the server."),
        );
    }
    if st.allowed > 0 {
        return finish(&mut state);
    }
    too_many(
        0,
        &format!(
            "The disruption budget {pdb_name} needs {} healthy pods and has {} currently",
            st.desired, st.current
        ),
    )
}

/// The eviction handler's 429 (`errors.NewTooManyRequests` with a DisruptionBudget cause).
fn too_many(retry_after: u64, cause: &str) -> Response<Body> {
    let mut details = json!({"causes": [{"reason": "DisruptionBudget", "message": cause}]});
    if retry_after > 0 {
        details["retryAfterSeconds"] = json!(retry_after);
    }
    let mut r = status(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        "Cannot evict pod as it would violate the pod's disruption budget.",
        Some(details),
    );
    if retry_after > 0
        && let Ok(h) = http::HeaderValue::from_str(&retry_after.to_string())
    {
        r.headers_mut().insert(http::header::RETRY_AFTER, h);
    }
    r
}

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

#[cfg(test)]
mod budget_tests {
    use super::*;
    use crate::server::Shared;
    use crate::testing::{Cluster, pod};

    const NO_CONTROLLER: &str = "found no controllers for pod \"web-rs-0\"";

    /// A Deployment of 3 (pods web-rs-0..2) and a budget `web-pdb` of maxUnavailable 1 whose
    /// recorded status is `status`; `with_rs`: whether the ReplicaSet is in the snapshot.
    fn shared(with_rs: bool, status: Option<Value>) -> Shared {
        let mut c = Cluster::new("1.31.0")
            .nodes(&["n1", "n2"], "8", "16Gi")
            .deployment("shop", "web", 3, "100m", "128Mi", &["n1", "n1", "n2"])
            .pdb_max_unavailable("shop", "web", json!(1));
        let objects = c.objects_mut();
        if !with_rs {
            objects.retain(|o| o["kind"] != "ReplicaSet");
        }
        if let Some(s) = status {
            let pdb = objects
                .iter_mut()
                .find(|o| o["kind"] == "PodDisruptionBudget")
                .unwrap();
            pdb["status"] = s;
        }
        Shared::new(c.build(), crate::Options::default())
    }

    fn recorded(observed: i64, reason: &str) -> Value {
        json!({"observedGeneration": observed, "disruptionsAllowed": 1, "currentHealthy": 3,
            "desiredHealthy": 2, "expectedPods": 3,
            "conditions": [{"type": "DisruptionAllowed", "status": "True", "reason": reason, "message": ""}]})
    }

    fn status_of(shared: &Shared) -> BudgetStatus {
        let state = shared.state();
        let pdb = state
            .get("policy", "poddisruptionbudgets", "shop", "web-pdb")
            .unwrap()
            .value();
        budget_status(&state, &pdb)
    }

    #[test]
    fn computed_when_the_controller_is_there() {
        let s = shared(true, None);
        let st = status_of(&s);
        assert_eq!((st.expected, st.desired, st.current, st.allowed), (3, 2, 3, 1));
        assert_eq!(st.fail_safe, None);
        assert_eq!(st.observed_generation, 1);
    }

    #[test]
    fn a_fresh_recorded_status_stands_in_for_a_missing_replicaset_and_follows_evictions() {
        let s = shared(false, Some(recorded(1, "SufficientPods")));
        let st = status_of(&s);
        assert_eq!(st.fail_safe, None);
        assert_eq!((st.expected, st.desired, st.current, st.allowed), (3, 2, 3, 1));
        // A healthy pod goes (evicted; no ReplicaSet here to replace it): one fewer healthy.
        s.state().remove("", "pods", "shop", "web-rs-0");
        let st = status_of(&s);
        assert_eq!((st.expected, st.desired, st.current, st.allowed), (3, 2, 2, 0));
        assert_eq!(
            st.to_value(&json!({}))["conditions"][0]["reason"],
            "InsufficientPods"
        );
    }

    #[test]
    fn a_stale_or_failed_recorded_status_fails_safe_keeping_its_fields() {
        let mut other_state = recorded(1, "SufficientPods");
        // Computed when 2 pods were Ready; the snapshot holds 3: another moment of the cluster.
        other_state["currentHealthy"] = json!(2);
        for status in [
            recorded(0, "SufficientPods"),
            recorded(1, "SyncFailed"),
            other_state,
            json!({}),
        ] {
            let s = shared(false, Some(status.clone()));
            let st = status_of(&s);
            assert_eq!(st.fail_safe.as_deref(), Some(NO_CONTROLLER), "{status}");
            assert_eq!(st.allowed, 0);
            // The other fields are what the budget held (0 where it held nothing).
            let held = |k: &str| status.get(k).and_then(Value::as_i64).unwrap_or(0);
            assert_eq!(st.current, held("currentHealthy"));
            assert_eq!(st.desired, held("desiredHealthy"));
            assert_eq!(st.expected, held("expectedPods"));
            assert_eq!(st.observed_generation, held("observedGeneration"));
            let v = st.to_value(&json!({}));
            let cond = &v["conditions"][0];
            assert_eq!(cond["reason"], "SyncFailed");
            assert_eq!(cond["status"], "False");
            assert_eq!(cond["message"], NO_CONTROLLER);
            assert_eq!(v["disruptionsAllowed"], 0);
        }
    }

    #[test]
    fn a_written_budget_no_longer_trusts_its_recorded_status() {
        let s = shared(false, Some(recorded(1, "SufficientPods")));
        {
            let mut state = s.state();
            let pdb = state
                .get("policy", "poddisruptionbudgets", "shop", "web-pdb")
                .unwrap()
                .value();
            state.put("policy", "poddisruptionbudgets", "policy/v1", pdb);
        }
        assert_eq!(status_of(&s).fail_safe.as_deref(), Some(NO_CONTROLLER));
    }

    /// `expectedCount <= 0` gives 0 allowed whatever the healthy pods.
    #[test]
    fn no_expected_pods_allows_nothing() {
        let base = || {
            Cluster::new("1.31.0").nodes(&["n1"], "8", "16Gi").replicaset(
                "a",
                "web",
                2,
                "100m",
                "128Mi",
                &["n1", "n1"],
            )
        };
        let check = |c: Cluster, spec: Value, want: (i64, i64, i64, i64)| {
            let c = c.pdb("a", "b", json!({"matchLabels": {"app": "web"}}), spec.clone());
            let s = Shared::new(c.build(), crate::Options::default());
            let state = s.state();
            let pdb = state
                .get("policy", "poddisruptionbudgets", "a", "b")
                .unwrap()
                .value();
            let st = budget_status(&state, &pdb);
            assert_eq!((st.expected, st.desired, st.current, st.allowed), want, "{spec}");
            assert_eq!(st.fail_safe, None, "{spec}");
        };
        // Neither minAvailable nor maxUnavailable: expected 0, desired 0.
        check(base(), json!({}), (0, 0, 2, 0));
        // minAvailable 0 (an integer): expected is the pod count, so evictions go.
        check(base(), json!({"minAvailable": 0}), (2, 0, 2, 2));
        // Only unmanaged pods: no controller scale to add up.
        let bare = Cluster::new("1.31.0").nodes(&["n1"], "8", "16Gi").object(pod(
            "a",
            "solo",
            "n1",
            json!({"app": "web"}),
            "1m",
            "1Mi",
            None,
        ));
        check(bare, json!({"maxUnavailable": 1}), (0, 0, 1, 0));
        // A controller scaled to 0 whose pods are still there.
        let mut zero = base();
        zero.objects_mut()
            .iter_mut()
            .find(|o| o["kind"] == "ReplicaSet")
            .unwrap()["spec"]["replicas"] = json!(0);
        check(zero, json!({"maxUnavailable": "50%"}), (0, 0, 2, 0));
        // The same budget on the controller's real scale allows one.
        check(base(), json!({"maxUnavailable": "50%"}), (2, 1, 2, 1));
    }

    #[test]
    fn a_replicaset_whose_deployment_is_missing_counts_its_own_scale() {
        let mut c = Cluster::new("1.31.0")
            .nodes(&["n1"], "8", "16Gi")
            .deployment("a", "web", 4, "100m", "128Mi", &["n1", "n1"])
            .pdb_max_unavailable("a", "web", json!(1));
        c.objects_mut().retain(|o| o["kind"] != "Deployment");
        for o in c.objects_mut() {
            if o["kind"] == "ReplicaSet" {
                o["spec"]["replicas"] = json!(2);
            }
        }
        let s = Shared::new(c.build(), crate::Options::default());
        let state = s.state();
        let pdb = state
            .get("policy", "poddisruptionbudgets", "a", "web-pdb")
            .unwrap()
            .value();
        let st = budget_status(&state, &pdb);
        assert_eq!(st.fail_safe, None);
        assert_eq!((st.expected, st.desired, st.current, st.allowed), (2, 1, 2, 1));
    }

    #[test]
    fn a_controller_without_scale_fails_safe_in_the_controller_words() {
        let c = Cluster::new("1.31.0")
            .nodes(&["n1"], "8", "16Gi")
            .daemonset("a", "agent", &["n1"])
            .pdb(
                "a",
                "b",
                json!({"matchLabels": {"app": "agent"}}),
                json!({"maxUnavailable": 1}),
            );
        let s = Shared::new(c.build(), crate::Options::default());
        let state = s.state();
        let pdb = state
            .get("policy", "poddisruptionbudgets", "a", "b")
            .unwrap()
            .value();
        let st = budget_status(&state, &pdb);
        assert_eq!(
            st.fail_safe.as_deref(),
            Some("daemonsets.apps does not implement the scale subresource")
        );
        assert_eq!(st.allowed, 0);
    }
}
