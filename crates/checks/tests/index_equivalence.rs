//! The label-keyed lookups the relational checks share (issue 15) answer exactly what trying
//! every Service of the namespace answers, on the demo cluster, the clean-cluster fixture and
//! the example clusters: for every pod and every pod template, the same Services.

use std::path::Path;

use mcp_diag_checks::index::Index;
use mcp_diag_checks::selector::Selector;
use mcp_diag_model::{Inventory, Node, Object};

fn snapshot(dir: &str) -> Inventory {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(dir);
    mcp_diag_sources::read_snapshot(&root).unwrap_or_else(|e| panic!("{dir} reads: {e}"))
}

/// Every Service of `namespace` whose non-empty selector matches `labels`, in input order:
/// the linear pass the index replaces.
fn linear<'a>(services: &[&'a Object], namespace: &str, labels: Option<Node<'_>>) -> Vec<&'a Object> {
    services
        .iter()
        .copied()
        .filter(|s| s.namespace.as_deref().unwrap_or("default") == namespace)
        .filter(|s| {
            s.raw
                .path(&["spec", "selector"])
                .filter(|n| !n.is_null())
                .is_some_and(|sel| {
                    let selector = Selector::from_map(sel);
                    !selector.is_empty() && selector.matches(labels)
                })
        })
        .collect()
}

/// (object, namespace, labels) for every pod and every pod template of a workload.
fn labelled(inventory: &Inventory) -> Vec<(&Object, &str, Option<Node<'_>>)> {
    inventory
        .objects
        .iter()
        .filter_map(|o| {
            let labels = match o.kind.as_str() {
                "Pod" => o.raw.path(&["metadata", "labels"]),
                "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                    o.raw.path(&["spec", "template", "metadata", "labels"])
                }
                _ => return None,
            };
            Some((o, o.namespace.as_deref().unwrap_or("default"), labels))
        })
        .collect()
}

#[test]
fn services_by_label_agree_with_trying_every_service() {
    let mut compared = 0;
    let mut selected = 0;
    for dir in [
        "examples/demo-cluster",
        "examples/edge-cluster",
        "examples/branch-cluster",
        "crates/checks/tests/fixtures/clean-cluster",
    ] {
        let inventory = snapshot(dir);
        let index = Index::build(&inventory);
        let services = index.of_kind("Service");
        for (object, namespace, labels) in labelled(&inventory) {
            let expected = linear(services, namespace, labels);
            let found = index.services_selecting(namespace, labels);
            let names = |list: &[&Object]| list.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
            assert_eq!(
                names(&found),
                names(&expected),
                "{dir}: {} {namespace}/{}",
                object.kind,
                object.name
            );
            compared += 1;
            selected += usize::from(!expected.is_empty());
        }
    }
    // The inputs exercise both answers, so the comparison says something.
    assert!(
        compared > 100 && selected > 20,
        "compared {compared}, selected {selected}"
    );
}
