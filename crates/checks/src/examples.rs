//! The `example` case of each check (crates/checks/tests/fixtures/<id>/example.yaml) and the
//! report the fixture harness recorded for it (its insta snapshot), embedded so that
//! `mcp-diag explain ID` shows an example the tests prove, not one written by hand.
//! `every_fixture_example_is_listed` keeps this table and the fixture directories together.

/// One check's example case.
#[derive(Debug)]
pub struct Example {
    pub check: &'static str,
    /// The input, when the case is one file (a case may be a snapshot directory instead).
    pub case: Option<&'static str>,
    /// The harness's snapshot of the findings of `check` on the case.
    pub report: &'static str,
}

impl Example {
    /// The findings as the snapshot records them, without insta's header.
    pub fn findings(&self) -> &'static str {
        // An insta snapshot is `---`, metadata lines, `---`, then the content.
        let mut parts = self.report.splitn(3, "---\n");
        match (parts.next(), parts.next(), parts.next()) {
            (Some(""), Some(_), Some(content)) => content.trim_end(),
            _ => self.report.trim_end(),
        }
    }

    /// The case without its leading comment lines (the header the harness reads), and the
    /// header's first sentence lines (what the case shows).
    pub fn case_parts(&self) -> Option<(String, &'static str)> {
        let text = self.case?;
        let body_start = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.len() + 1)
            .sum::<usize>()
            .min(text.len());
        let about: Vec<&str> = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim())
            .filter(|l| !is_setting(l))
            .collect();
        // A blank line may part the header from the input (a case with no objects).
        Some((about.join(" "), text[body_start..].trim_start_matches('\n')))
    }
}

/// The header keys whose value may hold spaces (an error text, an answer, `VERB WHAT`); the
/// value of any other key is one word, so a sentence that starts with "word:" is description.
pub const FREE_TEXT_KEYS: &[&str] = &["denied", "unreachable", "etcd-health"];

/// `target: 1.32` and the like: a header setting, not part of the description.
fn is_setting(line: &str) -> bool {
    line.split_once(':').is_some_and(|(key, value)| {
        !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
            && !value.trim().is_empty()
            && (!value.trim().contains(' ') || FREE_TEXT_KEYS.contains(&key))
    })
}

/// The example of `check`, if it has one.
pub fn example(check: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.check == check)
}

pub static EXAMPLES: &[Example] = &[
    Example {
        check: "access-denied",
        case: Some(include_str!("../tests/fixtures/access-denied/example.yaml")),
        report: include_str!("../tests/snapshots/access-denied__example.snap"),
    },
    Example {
        check: "addon-unsupported",
        case: Some(include_str!("../tests/fixtures/addon-unsupported/example.yaml")),
        report: include_str!("../tests/snapshots/addon-unsupported__example.snap"),
    },
    Example {
        check: "api-deprecated",
        case: Some(include_str!("../tests/fixtures/api-deprecated/example.yaml")),
        report: include_str!("../tests/snapshots/api-deprecated__example.snap"),
    },
    Example {
        check: "api-removed",
        case: Some(include_str!("../tests/fixtures/api-removed/example.yaml")),
        report: include_str!("../tests/snapshots/api-removed__example.snap"),
    },
    Example {
        check: "api-requested-deprecated",
        case: None,
        report: include_str!("../tests/snapshots/api-requested-deprecated__example.snap"),
    },
    Example {
        check: "api-unavailable",
        case: Some(include_str!("../tests/fixtures/api-unavailable/example.yaml")),
        report: include_str!("../tests/snapshots/api-unavailable__example.snap"),
    },
    Example {
        check: "backup-failed",
        case: Some(include_str!("../tests/fixtures/backup-failed/example.yaml")),
        report: include_str!("../tests/snapshots/backup-failed__example.snap"),
    },
    Example {
        check: "backup-location-unavailable",
        case: Some(include_str!(
            "../tests/fixtures/backup-location-unavailable/example.yaml"
        )),
        report: include_str!("../tests/snapshots/backup-location-unavailable__example.snap"),
    },
    Example {
        check: "backup-namespace-uncovered",
        case: Some(include_str!(
            "../tests/fixtures/backup-namespace-uncovered/example.yaml"
        )),
        report: include_str!("../tests/snapshots/backup-namespace-uncovered__example.snap"),
    },
    Example {
        check: "backup-no-schedule",
        case: Some(include_str!("../tests/fixtures/backup-no-schedule/example.yaml")),
        report: include_str!("../tests/snapshots/backup-no-schedule__example.snap"),
    },
    Example {
        check: "backup-stale",
        case: Some(include_str!("../tests/fixtures/backup-stale/example.yaml")),
        report: include_str!("../tests/snapshots/backup-stale__example.snap"),
    },
    Example {
        check: "backup-velero-missing",
        case: Some(include_str!(
            "../tests/fixtures/backup-velero-missing/example.yaml"
        )),
        report: include_str!("../tests/snapshots/backup-velero-missing__example.snap"),
    },
    Example {
        check: "cluster-unreachable",
        case: Some(include_str!("../tests/fixtures/cluster-unreachable/example.yaml")),
        report: include_str!("../tests/snapshots/cluster-unreachable__example.snap"),
    },
    Example {
        check: "crd-stored-version-unserved",
        case: Some(include_str!(
            "../tests/fixtures/crd-stored-version-unserved/example.yaml"
        )),
        report: include_str!("../tests/snapshots/crd-stored-version-unserved__example.snap"),
    },
    Example {
        check: "crd-version-deprecated",
        case: Some(include_str!(
            "../tests/fixtures/crd-version-deprecated/example.yaml"
        )),
        report: include_str!("../tests/snapshots/crd-version-deprecated__example.snap"),
    },
    Example {
        check: "dep-api-mismatch",
        case: Some(include_str!("../tests/fixtures/dep-api-mismatch/example.yaml")),
        report: include_str!("../tests/snapshots/dep-api-mismatch__example.snap"),
    },
    Example {
        check: "dep-cycle",
        case: Some(include_str!("../tests/fixtures/dep-cycle/example.yaml")),
        report: include_str!("../tests/snapshots/dep-cycle__example.snap"),
    },
    Example {
        check: "dep-missing",
        case: Some(include_str!("../tests/fixtures/dep-missing/example.yaml")),
        report: include_str!("../tests/snapshots/dep-missing__example.snap"),
    },
    Example {
        check: "dep-protocol-mismatch",
        case: Some(include_str!(
            "../tests/fixtures/dep-protocol-mismatch/example.yaml"
        )),
        report: include_str!("../tests/snapshots/dep-protocol-mismatch__example.snap"),
    },
    Example {
        check: "dep-undeclared-egress",
        case: Some(include_str!(
            "../tests/fixtures/dep-undeclared-egress/example.yaml"
        )),
        report: include_str!("../tests/snapshots/dep-undeclared-egress__example.snap"),
    },
    Example {
        check: "deployment-rollout-stuck",
        case: Some(include_str!(
            "../tests/fixtures/deployment-rollout-stuck/example.yaml"
        )),
        report: include_str!("../tests/snapshots/deployment-rollout-stuck__example.snap"),
    },
    Example {
        check: "drift-desired",
        case: Some(include_str!("../tests/fixtures/drift-desired/example.yaml")),
        report: include_str!("../tests/snapshots/drift-desired__example.snap"),
    },
    Example {
        check: "drift-manual-edit",
        case: Some(include_str!("../tests/fixtures/drift-manual-edit/example.yaml")),
        report: include_str!("../tests/snapshots/drift-manual-edit__example.snap"),
    },
    Example {
        check: "drift-untracked-config",
        case: Some(include_str!(
            "../tests/fixtures/drift-untracked-config/example.yaml"
        )),
        report: include_str!("../tests/snapshots/drift-untracked-config__example.snap"),
    },
    Example {
        check: "etcd-unhealthy",
        case: Some(include_str!("../tests/fixtures/etcd-unhealthy/example.yaml")),
        report: include_str!("../tests/snapshots/etcd-unhealthy__example.snap"),
    },
    Example {
        check: "etcd-version",
        case: Some(include_str!("../tests/fixtures/etcd-version/example.yaml")),
        report: include_str!("../tests/snapshots/etcd-version__example.snap"),
    },
    Example {
        check: "ignore-expired",
        case: Some(include_str!("../tests/fixtures/ignore-expired/example.yaml")),
        report: include_str!("../tests/snapshots/ignore-expired__example.snap"),
    },
    Example {
        check: "ignore-invalid",
        case: Some(include_str!("../tests/fixtures/ignore-invalid/example.yaml")),
        report: include_str!("../tests/snapshots/ignore-invalid__example.snap"),
    },
    Example {
        check: "input-duplicate-key",
        case: Some(include_str!("../tests/fixtures/input-duplicate-key/example.yaml")),
        report: include_str!("../tests/snapshots/input-duplicate-key__example.snap"),
    },
    Example {
        check: "input-incomplete",
        case: Some(include_str!("../tests/fixtures/input-incomplete/example.yaml")),
        report: include_str!("../tests/snapshots/input-incomplete__example.snap"),
    },
    Example {
        check: "input-invalid",
        case: Some(include_str!("../tests/fixtures/input-invalid/example.yaml")),
        report: include_str!("../tests/snapshots/input-invalid__example.snap"),
    },
    Example {
        check: "input-skipped",
        case: None,
        report: include_str!("../tests/snapshots/input-skipped__example.snap"),
    },
    Example {
        check: "node-cordoned",
        case: Some(include_str!("../tests/fixtures/node-cordoned/example.yaml")),
        report: include_str!("../tests/snapshots/node-cordoned__example.snap"),
    },
    Example {
        check: "node-headroom",
        case: Some(include_str!("../tests/fixtures/node-headroom/example.yaml")),
        report: include_str!("../tests/snapshots/node-headroom__example.snap"),
    },
    Example {
        check: "node-not-ready",
        case: Some(include_str!("../tests/fixtures/node-not-ready/example.yaml")),
        report: include_str!("../tests/snapshots/node-not-ready__example.snap"),
    },
    Example {
        check: "node-pressure",
        case: Some(include_str!("../tests/fixtures/node-pressure/example.yaml")),
        report: include_str!("../tests/snapshots/node-pressure__example.snap"),
    },
    Example {
        check: "node-taint-untolerated",
        case: Some(include_str!(
            "../tests/fixtures/node-taint-untolerated/example.yaml"
        )),
        report: include_str!("../tests/snapshots/node-taint-untolerated__example.snap"),
    },
    Example {
        check: "pdb-blocks-drain",
        case: Some(include_str!("../tests/fixtures/pdb-blocks-drain/example.yaml")),
        report: include_str!("../tests/snapshots/pdb-blocks-drain__example.snap"),
    },
    Example {
        check: "pdb-no-match",
        case: Some(include_str!("../tests/fixtures/pdb-no-match/example.yaml")),
        report: include_str!("../tests/snapshots/pdb-no-match__example.snap"),
    },
    Example {
        check: "pdb-overlap",
        case: Some(include_str!("../tests/fixtures/pdb-overlap/example.yaml")),
        report: include_str!("../tests/snapshots/pdb-overlap__example.snap"),
    },
    Example {
        check: "pod-crashloop",
        case: Some(include_str!("../tests/fixtures/pod-crashloop/example.yaml")),
        report: include_str!("../tests/snapshots/pod-crashloop__example.snap"),
    },
    Example {
        check: "pod-local-data",
        case: Some(include_str!("../tests/fixtures/pod-local-data/example.yaml")),
        report: include_str!("../tests/snapshots/pod-local-data__example.snap"),
    },
    Example {
        check: "pod-oomkilled",
        case: Some(include_str!("../tests/fixtures/pod-oomkilled/example.yaml")),
        report: include_str!("../tests/snapshots/pod-oomkilled__example.snap"),
    },
    Example {
        check: "pod-pending",
        case: Some(include_str!("../tests/fixtures/pod-pending/example.yaml")),
        report: include_str!("../tests/snapshots/pod-pending__example.snap"),
    },
    Example {
        check: "pod-restarts",
        case: Some(include_str!("../tests/fixtures/pod-restarts/example.yaml")),
        report: include_str!("../tests/snapshots/pod-restarts__example.snap"),
    },
    Example {
        check: "pod-unmanaged",
        case: Some(include_str!("../tests/fixtures/pod-unmanaged/example.yaml")),
        report: include_str!("../tests/snapshots/pod-unmanaged__example.snap"),
    },
    Example {
        check: "probe-liveness-equals-readiness",
        case: Some(include_str!(
            "../tests/fixtures/probe-liveness-equals-readiness/example.yaml"
        )),
        report: include_str!("../tests/snapshots/probe-liveness-equals-readiness__example.snap"),
    },
    Example {
        check: "probe-liveness-no-failure-threshold",
        case: Some(include_str!(
            "../tests/fixtures/probe-liveness-no-failure-threshold/example.yaml"
        )),
        report: include_str!("../tests/snapshots/probe-liveness-no-failure-threshold__example.snap"),
    },
    Example {
        check: "probe-missing-liveness",
        case: Some(include_str!(
            "../tests/fixtures/probe-missing-liveness/example.yaml"
        )),
        report: include_str!("../tests/snapshots/probe-missing-liveness__example.snap"),
    },
    Example {
        check: "probe-missing-readiness",
        case: Some(include_str!(
            "../tests/fixtures/probe-missing-readiness/example.yaml"
        )),
        report: include_str!("../tests/snapshots/probe-missing-readiness__example.snap"),
    },
    Example {
        check: "probe-no-startup",
        case: Some(include_str!("../tests/fixtures/probe-no-startup/example.yaml")),
        report: include_str!("../tests/snapshots/probe-no-startup__example.snap"),
    },
    Example {
        check: "pv-pvc-mismatch",
        case: Some(include_str!("../tests/fixtures/pv-pvc-mismatch/example.yaml")),
        report: include_str!("../tests/snapshots/pv-pvc-mismatch__example.snap"),
    },
    Example {
        check: "pv-released-or-failed",
        case: Some(include_str!(
            "../tests/fixtures/pv-released-or-failed/example.yaml"
        )),
        report: include_str!("../tests/snapshots/pv-released-or-failed__example.snap"),
    },
    Example {
        check: "pvc-storageclass-missing",
        case: Some(include_str!(
            "../tests/fixtures/pvc-storageclass-missing/example.yaml"
        )),
        report: include_str!("../tests/snapshots/pvc-storageclass-missing__example.snap"),
    },
    Example {
        check: "pvc-unbound",
        case: Some(include_str!("../tests/fixtures/pvc-unbound/example.yaml")),
        report: include_str!("../tests/snapshots/pvc-unbound__example.snap"),
    },
    Example {
        check: "runtime-dockershim",
        case: Some(include_str!("../tests/fixtures/runtime-dockershim/example.yaml")),
        report: include_str!("../tests/snapshots/runtime-dockershim__example.snap"),
    },
    Example {
        check: "skew-control-plane",
        case: Some(include_str!("../tests/fixtures/skew-control-plane/example.yaml")),
        report: include_str!("../tests/snapshots/skew-control-plane__example.snap"),
    },
    Example {
        check: "skew-kube-proxy",
        case: Some(include_str!("../tests/fixtures/skew-kube-proxy/example.yaml")),
        report: include_str!("../tests/snapshots/skew-kube-proxy__example.snap"),
    },
    Example {
        check: "skew-kubelet",
        case: Some(include_str!("../tests/fixtures/skew-kubelet/example.yaml")),
        report: include_str!("../tests/snapshots/skew-kubelet__example.snap"),
    },
    Example {
        check: "storage-intree-plugin-removed",
        case: Some(include_str!(
            "../tests/fixtures/storage-intree-plugin-removed/example.yaml"
        )),
        report: include_str!("../tests/snapshots/storage-intree-plugin-removed__example.snap"),
    },
    Example {
        check: "storageclass-default-count",
        case: Some(include_str!(
            "../tests/fixtures/storageclass-default-count/example.yaml"
        )),
        report: include_str!("../tests/snapshots/storageclass-default-count__example.snap"),
    },
    Example {
        check: "sts-not-ready",
        case: Some(include_str!("../tests/fixtures/sts-not-ready/example.yaml")),
        report: include_str!("../tests/snapshots/sts-not-ready__example.snap"),
    },
    Example {
        check: "sts-ondelete",
        case: Some(include_str!("../tests/fixtures/sts-ondelete/example.yaml")),
        report: include_str!("../tests/snapshots/sts-ondelete__example.snap"),
    },
    Example {
        check: "sts-partition",
        case: Some(include_str!("../tests/fixtures/sts-partition/example.yaml")),
        report: include_str!("../tests/snapshots/sts-partition__example.snap"),
    },
    Example {
        check: "user-rule",
        case: Some(include_str!("../tests/fixtures/user-rule/example.yaml")),
        report: include_str!("../tests/snapshots/user-rule__example.snap"),
    },
    Example {
        check: "version-end-of-life",
        case: Some(include_str!("../tests/fixtures/version-end-of-life/example.yaml")),
        report: include_str!("../tests/snapshots/version-end-of-life__example.snap"),
    },
    Example {
        check: "version-hops",
        case: Some(include_str!("../tests/fixtures/version-hops/example.yaml")),
        report: include_str!("../tests/snapshots/version-hops__example.snap"),
    },
    Example {
        check: "workload-single-replica",
        case: Some(include_str!(
            "../tests/fixtures/workload-single-replica/example.yaml"
        )),
        report: include_str!("../tests/snapshots/workload-single-replica__example.snap"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_example_is_listed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut on_disk: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("example.yaml").exists() || e.path().join("example").is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let listed: Vec<String> = EXAMPLES.iter().map(|e| e.check.to_owned()).collect();
        assert_eq!(
            listed, on_disk,
            "regenerate the table from the fixture directories"
        );
        for e in EXAMPLES {
            assert!(crate::check_info(e.check).is_some(), "{} is no check", e.check);
            assert!(
                !e.findings().is_empty() && !e.findings().contains("(no findings)"),
                "{}",
                e.check
            );
            // An organisation rule's findings carry the rule's own id.
            let own_id = e.check == "user-rule" || e.findings().starts_with(e.check);
            assert!(own_id, "{}: {}", e.check, e.findings());
        }
    }

    #[test]
    fn the_case_splits_into_what_it_shows_and_the_input() {
        let e = example("api-removed").unwrap();
        let (about, input) = e.case_parts().unwrap();
        assert!(!about.is_empty() && !about.contains("target:"), "{about}");
        assert!(
            input.starts_with("apiVersion") || input.starts_with("---") || input.starts_with("kind"),
            "{input}"
        );
    }
}
