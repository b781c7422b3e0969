//! The closed set of `evidence` values in the report: where the evidence behind a finding
//! was seen. Checks describe what they looked at in their own words ("pod template", "claim
//! status"); [`classify`] turns that into one of these values and keeps the words in the
//! finding's `details.seen_in`, so a pipeline can filter on a value that never drifts.

use crate::{Finding, SourceKind};

pub const MANIFEST: &str = "manifest";
pub const STORED_OBJECT: &str = "stored object";
pub const OBJECT_STATUS: &str = "object status";
pub const LAST_APPLIED: &str = "last-applied annotation";
pub const MANAGED_FIELDS: &str = "managed fields";
pub const HELM_RELEASE: &str = "Helm release";
pub const REQUEST_METRICS: &str = "request metrics";
pub const SERVER_VERSION: &str = "server version";
pub const CONTAINER_IMAGE: &str = "container image";
pub const ETCD_ENDPOINT: &str = "etcd endpoint";
pub const KNOWLEDGE_TABLE: &str = "knowledge table";
pub const RULES_FILE: &str = "rules file";
pub const DECLARED_MANIFESTS: &str = "declared manifests";
pub const INPUT: &str = "input";
pub const API_SERVER: &str = "API server";

/// Every value, with what it means (the README and `docs/report.schema.json` list the same).
pub const ALL: &[(&str, &str)] = &[
    (
        MANIFEST,
        "a manifest file given as input (file and line in `location`)",
    ),
    (
        STORED_OBJECT,
        "an object's spec or metadata as stored in the cluster (live read or snapshot)",
    ),
    (
        OBJECT_STATUS,
        "the status a controller or kubelet recorded on an object (conditions, phase, budget status, stored versions)",
    ),
    (
        LAST_APPLIED,
        "the `kubectl.kubernetes.io/last-applied-configuration` annotation: what `kubectl apply` last sent",
    ),
    (
        MANAGED_FIELDS,
        "`metadata.managedFields`: which client wrote the object, when, and at which apiVersion",
    ),
    (
        HELM_RELEASE,
        "a manifest stored inside a Helm release: what Helm applies next",
    ),
    (
        REQUEST_METRICS,
        "the API server's `apiserver_requested_deprecated_apis` metric: clients still calling an API",
    ),
    (
        SERVER_VERSION,
        "the version the API server or nodes report (`/version`, `cluster.yaml`)",
    ),
    (
        CONTAINER_IMAGE,
        "a component version read from a container image tag",
    ),
    (ETCD_ENDPOINT, "etcd's own answer at `--etcd-endpoint`"),
    (
        KNOWLEDGE_TABLE,
        "the tool's knowledge tables (release dates, upgrade paths), with their sources (`mcp-diag data`)",
    ),
    (RULES_FILE, "an organisation rule from `--rules`"),
    (
        DECLARED_MANIFESTS,
        "the declared state given with `--desired`, compared with the cluster",
    ),
    (
        INPUT,
        "the input itself: a file or path that could not be read, or was skipped",
    ),
    (
        API_SERVER,
        "the API server's answer to a request (refused, failed, not reachable)",
    ),
];

/// Whether `value` is one of the closed set.
pub fn is_known(value: &str) -> bool {
    ALL.iter().any(|(v, _)| *v == value)
}

/// Puts `finding.evidence` into the closed set. A check's own words, when they are not a
/// value of the set, move to `details.seen_in`. Where a check said nothing, the source
/// decides: a manifest for manifests, the stored object for clusters and snapshots.
pub fn classify(finding: &mut Finding, kind: SourceKind) {
    let by_source = match kind {
        SourceKind::Manifests => MANIFEST,
        SourceKind::Snapshot | SourceKind::Live => STORED_OBJECT,
    };
    let value = match finding.evidence {
        Some(text) if is_known(text) => text,
        Some(text) => {
            finding
                .details
                .entry("seen_in")
                .or_insert_with(|| text.to_owned());
            describe(text).unwrap_or(by_source)
        }
        None => match finding.check {
            "input-invalid" | "input-skipped" => INPUT,
            "cluster-unreachable" | "access-denied" => API_SERVER,
            "version-hops" | "version-end-of-life" => KNOWLEDGE_TABLE,
            _ => by_source,
        },
    };
    finding.evidence = Some(value);
}

/// The value for a check's own words, where the words say it; None means "the object itself",
/// which depends on the source.
fn describe(text: &str) -> Option<&'static str> {
    // Checks write these words in lower case; no allocation per finding (a scan can have
    // tens of thousands).
    Some(match text {
        "cluster.yaml" | "node versions" | "/version" => SERVER_VERSION,
        "release table" | "release tables" => KNOWLEDGE_TABLE,
        "metadata.managedFields" => MANAGED_FIELDS,
        t if t.contains("status") => OBJECT_STATUS,
        t if t.contains("image") => CONTAINER_IMAGE,
        t if t.contains("last-applied") => LAST_APPLIED,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    fn finding(check: &'static str, evidence: Option<&'static str>) -> Finding {
        Finding {
            check,
            severity: Severity::Low,
            title: String::new(),
            object: None,
            location: None,
            message: String::new(),
            remediation: String::new(),
            evidence,
            details: Default::default(),
        }
    }

    #[test]
    fn values_are_distinct_and_documented() {
        for (i, (value, doc)) in ALL.iter().enumerate() {
            assert!(!doc.is_empty(), "{value} has no description");
            assert!(ALL[..i].iter().all(|(v, _)| v != value), "{value} twice");
        }
    }

    #[test]
    fn words_move_to_details_and_the_value_is_closed() {
        let mut f = finding("pod-crashloop", Some("pod status"));
        classify(&mut f, SourceKind::Live);
        assert_eq!(f.evidence, Some(OBJECT_STATUS));
        assert_eq!(f.details.get("seen_in").map(String::as_str), Some("pod status"));

        let mut f = finding("probe-missing-readiness", Some("pod template"));
        classify(&mut f, SourceKind::Manifests);
        assert_eq!(f.evidence, Some(MANIFEST));
        let mut f = finding("probe-missing-readiness", Some("pod template"));
        classify(&mut f, SourceKind::Snapshot);
        assert_eq!(f.evidence, Some(STORED_OBJECT));

        let mut f = finding("api-removed", Some(LAST_APPLIED));
        classify(&mut f, SourceKind::Live);
        assert_eq!(f.evidence, Some(LAST_APPLIED));
        assert!(f.details.is_empty(), "a known value keeps no copy");

        let mut f = finding("skew-control-plane", Some("cluster.yaml"));
        classify(&mut f, SourceKind::Snapshot);
        assert_eq!(f.evidence, Some(SERVER_VERSION));
    }

    #[test]
    fn silent_checks_get_a_value_by_check_or_source() {
        for (check, kind, want) in [
            ("input-invalid", SourceKind::Manifests, INPUT),
            ("cluster-unreachable", SourceKind::Live, API_SERVER),
            ("version-hops", SourceKind::Snapshot, KNOWLEDGE_TABLE),
            ("pdb-overlap", SourceKind::Live, STORED_OBJECT),
        ] {
            let mut f = finding(check, None);
            classify(&mut f, kind);
            assert_eq!(f.evidence, Some(want), "{check}");
        }
    }
}
