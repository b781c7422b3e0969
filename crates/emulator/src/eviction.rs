//! The eviction subresource (`POST .../pods/NAME/eviction`), as `kubectl drain` uses it: a
//! pod goes only when every budget that selects it allows a disruption, else 429.

use std::sync::Arc;

use axum::body::Body;
use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::budgets::{budget_selector, budget_status, entry_labels, generation, selector_matches};
use crate::ctx::{Ctx, Shared, Target, bad_request, json_response, not_found, status};
use crate::drain::delete_pod;
use crate::store::State;

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

#[cfg(test)]
mod budget_tests {
    use super::*;
    use crate::budgets::BudgetStatus;
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
