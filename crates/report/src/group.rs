//! Folding repeated findings into one entry for the table (the JSON keeps one per object).
//!
//! Two findings fold together when they come from the same check at the same severity and
//! their message and fix read the same once the object's own name is taken out: the same
//! problem on many objects ("has no readiness probe" on 40 Deployments). Any other
//! difference (a container, a path, a count) keeps them apart, so nothing a reader needs is
//! hidden behind the first one shown.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use mcp_diag_model::{Finding, ObjectRef};

/// Objects named in a folded entry before "and K more".
pub(crate) const SHOWN: usize = 5;

/// The findings in their order, those alike folded into the place of the first of them.
pub(crate) fn fold<'a>(findings: &[&'a Finding]) -> Vec<Vec<&'a Finding>> {
    // A map, not a scan of the groups so far: a large cluster has tens of thousands.
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut groups: Vec<Vec<&'a Finding>> = Vec::new();
    for &f in findings {
        match index.entry(Key::of(f)) {
            Entry::Occupied(slot) => groups[*slot.get()].push(f),
            Entry::Vacant(slot) => {
                slot.insert(groups.len());
                groups.push(vec![f]);
            }
        }
    }
    groups
}

#[derive(PartialEq, Eq, Hash)]
struct Key {
    check: &'static str,
    severity: mcp_diag_model::Severity,
    message: String,
    remediation: String,
}

impl Key {
    fn of(f: &Finding) -> Self {
        Self {
            check: f.check,
            severity: f.severity,
            message: shape(&f.message, f.object.as_ref()),
            remediation: shape(&f.remediation, f.object.as_ref()),
        }
    }
}

/// `text` with the ways it can name `object` replaced by one marker, longest first (so that
/// "Deployment shop/web" is one marker, not "Deployment shop/" and a marker).
fn shape(text: &str, object: Option<&ObjectRef>) -> String {
    const MARK: &str = "\u{1}";
    let Some(o) = object else {
        return text.to_owned();
    };
    let qualified = match &o.namespace {
        Some(ns) => format!("{ns}/{}", o.name),
        None => o.name.clone(),
    };
    let mut out = text.replace(&o.to_string(), MARK);
    out = out.replace(&format!("{} {qualified}", o.kind), MARK);
    out = out.replace(&qualified, MARK);
    if !o.name.is_empty() {
        out = out.replace(&o.name, MARK);
    }
    out
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::Severity;

    use super::*;

    fn probe(kind: &str, name: &str, container: &str) -> Finding {
        Finding {
            check: "probe-missing-liveness",
            severity: Severity::Low,
            title: "no livenessProbe".into(),
            object: Some(ObjectRef {
                api_version: "apps/v1".into(),
                kind: kind.into(),
                namespace: Some("shop".into()),
                name: name.into(),
            }),
            location: None,
            message: format!("{kind} shop/{name}: container {container} has no livenessProbe."),
            remediation: format!("Add a livenessProbe to {container} in {kind} shop/{name}."),
            evidence: None,
            details: Default::default(),
        }
    }

    #[test]
    fn the_same_problem_on_several_objects_folds() {
        let a = probe("Deployment", "web", "web");
        let b = probe("Deployment", "api", "api");
        let c = probe("Pod", "debug", "debug");
        let groups = fold(&[&a, &b, &c]);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].len(), 3);
    }

    #[test]
    fn any_other_difference_keeps_findings_apart() {
        let a = probe("Deployment", "web", "web");
        // The container is not the object's name: the message says something different.
        let b = probe("Deployment", "api", "sidecar");
        let mut c = probe("Deployment", "cart", "cart");
        c.severity = Severity::High;
        let groups = fold(&[&a, &b, &c]);
        assert_eq!(groups.iter().map(Vec::len).collect::<Vec<_>>(), [1, 1, 1]);
    }

    #[test]
    fn order_is_kept_with_each_fold_at_its_first_member() {
        let a = probe("Deployment", "web", "web");
        let b = probe("Deployment", "api", "sidecar");
        let c = probe("Deployment", "cart", "cart");
        let groups = fold(&[&a, &b, &c]);
        let names: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|f| f.object.as_ref().unwrap().name.as_str())
                    .collect()
            })
            .collect();
        assert_eq!(names, [vec!["web", "cart"], vec!["api"]]);
    }
}
