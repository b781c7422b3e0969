//! Precision: a clean, well-configured cluster (tests/fixtures/clean-cluster, see its README)
//! scanned for an upgrade to 1.32 must produce no finding above `low`.

use std::path::Path;

use mcp_diag_checks::{CheckOptions, Settings, run_all};
use mcp_diag_model::{Date, Finding, KubeVersion, Minor, Severity, time};

/// Findings that are not about the cluster's configuration but about the calendar or the
/// upgrade path itself, which a well-configured cluster cannot avoid: (check, a part of the
/// title that identifies the case, why).
const NOT_CONFIGURATION: &[(&str, &str, &str)] = &[
    (
        "version-end-of-life",
        "past end of life",
        "1.31 and 1.32 are past their end of life on 2026-11-25: a fact of the calendar",
    ),
    (
        "etcd-version",
        "older than kubeadm's",
        "kubeadm moves stacked etcd from 3.5.15-0 (its pin for 1.31) to 3.5.16-0 at the 1.32 hop; the check reports every such hop by design",
    ),
];

fn scan() -> Vec<Finding> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clean-cluster");
    let inventory = mcp_diag_sources::read_snapshot(&dir).expect("the clean-cluster fixture reads");
    assert!(
        inventory.input_problems.is_empty(),
        "the fixture has input problems: {:#?}",
        inventory.input_problems
    );
    let current = inventory.cluster.server_version.as_ref().map(KubeVersion::minor);
    assert_eq!(current, Some(Minor::new(1, 31)));
    let now = inventory
        .cluster
        .captured_at
        .as_deref()
        .and_then(time::parse_timestamp)
        .expect("cluster.yaml has capturedAt");
    let options = CheckOptions {
        now,
        ..CheckOptions::default()
    };
    run_all(
        &inventory,
        &Settings {
            target: Minor::new(1, 32),
            current,
            today: Date::new(2026, 11, 25),
            rules: &[],
            options: &options,
        },
    )
}

fn show(f: &Finding) -> String {
    let object = f
        .object
        .as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string);
    format!(
        "  {} {} [{object}]\n    {}\n    {}",
        f.severity, f.check, f.title, f.message
    )
}

#[test]
fn clean_cluster_has_no_finding_above_low() {
    let findings = scan();
    let (allowed, offending): (Vec<&Finding>, Vec<&Finding>) = findings
        .iter()
        .filter(|f| f.severity > Severity::Low)
        .partition(|f| {
            NOT_CONFIGURATION
                .iter()
                .any(|(check, title, _)| f.check == *check && f.title.contains(title))
        });
    for f in &allowed {
        println!("allowed (not about configuration):\n{}", show(f));
    }
    assert!(
        offending.is_empty(),
        "{} finding(s) above low on the clean cluster (false positives, or a fixture that is not clean):\n{}",
        offending.len(),
        offending.iter().map(|f| show(f)).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_fixture_is_what_its_readme_says() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clean-cluster");
    let inventory = mcp_diag_sources::read_snapshot(&dir).expect("reads");
    let count = |kind: &str| inventory.objects.iter().filter(|o| o.kind == kind).count();
    assert_eq!(count("Node"), 7);
    assert_eq!(count("BackupStorageLocation"), 1);
    assert_eq!(count("Schedule"), 1);
    assert_eq!(count("Backup"), 3);
    assert_eq!(count("StorageClass"), 1);
    assert_eq!(count("CSIDriver"), 1);
    assert_eq!(count("PersistentVolumeClaim"), 3);
    assert_eq!(count("PersistentVolume"), 3);
    // The backup checks see Velero, and nothing is wrong with it.
    let findings = scan();
    let backup: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.check.starts_with("backup-") || f.check.starts_with("drift-"))
        .collect();
    assert!(
        backup.is_empty(),
        "{}",
        backup.iter().map(|f| show(f)).collect::<Vec<_>>().join("\n")
    );
}
