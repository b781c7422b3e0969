//! PodDisruptionBudgets as the disruption controller computes them: which pods a budget
//! selects, how many are healthy and expected, and how many disruptions it allows now (with
//! the snapshot's recorded status standing in where the emulator cannot compute it). Pure
//! over the store, so that the server's state, the eviction handler, tables and the
//! controllers can all read it.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::store::{Entry, State, controller_owner};

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

pub(crate) fn generation(pdb: &Value) -> i64 {
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

pub(crate) fn entry_labels(e: &Entry) -> impl Fn(&str) -> Option<String> + '_ {
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

pub(crate) fn ceil_percent(p: i64, of: i64) -> i64 {
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
