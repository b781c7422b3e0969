use std::fs;

use super::*;

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";

fn manifests(paths: &[&Path]) -> Inventory {
    let inputs: Vec<Input> = paths.iter().map(|p| Input::Path(p.to_path_buf())).collect();
    read_manifests(&inputs, &mut std::io::empty()).unwrap()
}

#[test]
fn directories_are_read_recursively_with_extensions() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("a/b")).unwrap();
    fs::write(dir.path().join("a/one.yaml"), POD).unwrap();
    fs::write(dir.path().join("a/b/two.YML"), POD).unwrap();
    fs::write(
        dir.path().join("a/b/three.json"),
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"}}"#,
    )
    .unwrap();
    fs::write(dir.path().join("a/readme.md"), "not yaml: [").unwrap();
    fs::write(dir.path().join("a/values.yaml"), "replicas: 3\n").unwrap();
    fs::create_dir_all(dir.path().join(".git")).unwrap();
    fs::write(dir.path().join(".git/x.yaml"), POD).unwrap();
    fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    fs::write(
        dir.path().join(".github/workflows/ci.yml"),
        "on: push\njobs: {}\n",
    )
    .unwrap();
    let inv = manifests(&[dir.path()]);
    assert_eq!(inv.objects.len(), 3);
    assert_eq!(inv.files_scanned, 3);
    assert!(inv.input_problems.is_empty(), "{:?}", inv.input_problems);
}

#[test]
fn a_file_named_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("k8s")).unwrap();
    fs::write(dir.path().join("k8s/pod.yaml"), POD).unwrap();
    let dotted = dir.path().join("k8s/./pod.yaml");
    let inv = manifests(&[&dir.path().join("k8s"), &dotted, &dir.path().join("k8s/pod.yaml")]);
    assert_eq!(inv.objects.len(), 1);
    assert_eq!(inv.files_scanned, 1);
}

/// `kubectl get pods -A -o yaml` piped in or saved to a file is a cluster export: the kind
/// that decides whether absent kinds and listed apiVersions can be trusted.
#[test]
fn an_export_is_told_from_manifests() {
    let export = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n    namespace: x\n    uid: 0d3c\n    creationTimestamp: \"2026-01-01T00:00:00Z\"\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: b\n    namespace: x\n    uid: 9f1e\n    creationTimestamp: \"2026-01-01T00:00:00Z\"\n";
    let inv = read_manifests(&[Input::Stdin], &mut export.as_bytes()).unwrap();
    assert_eq!(inv.kind, SourceKind::Snapshot);
    assert_eq!(inv.source, "export:-");
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("pods.yaml"), export).unwrap();
    fs::write(dir.path().join("mine.yaml"), POD).unwrap();
    assert_eq!(
        manifests(&[dir.path()]).kind,
        SourceKind::Snapshot,
        "two of three are exported"
    );
    // A manifest that kept a uid by accident among hand-written ones stays manifests.
    fs::write(
        dir.path().join("pods.yaml"),
        export.replace("    uid: 9f1e\n", ""),
    )
    .unwrap();
    fs::write(dir.path().join("more.yaml"), POD.replace("name: p", "name: q")).unwrap();
    assert_eq!(manifests(&[dir.path()]).kind, SourceKind::Manifests);
    let plain = read_manifests(&[Input::Stdin], &mut POD.as_bytes()).unwrap();
    assert_eq!(plain.kind, SourceKind::Manifests);
}

#[test]
fn stdin_is_read() {
    let inv = read_manifests(&[Input::Stdin], &mut POD.as_bytes()).unwrap();
    assert_eq!(inv.objects.len(), 1);
    assert_eq!(inv.objects[0].location.as_ref().unwrap().file, "<stdin>");
}

#[test]
fn a_missing_path_among_others_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("pod.yaml"), POD).unwrap();
    let inputs = [
        Input::Path("/nonexistent/x.yaml".into()),
        Input::Path(dir.path().to_path_buf()),
    ];
    let inv = read_manifests(&inputs, &mut std::io::empty()).unwrap();
    assert_eq!(inv.objects.len(), 1);
    assert_eq!(inv.input_problems.len(), 1);
    assert!(inv.input_problems[0].message.contains("no such file"));
}

#[test]
fn stdin_twice_is_read_once() {
    let inv = read_manifests(&[Input::Stdin, Input::Stdin], &mut POD.as_bytes()).unwrap();
    assert_eq!((inv.objects.len(), inv.files_scanned), (1, 1));
}

#[test]
fn a_missing_path_is_an_error() {
    let err = read_manifests(
        &[Input::Path("/nonexistent/x.yaml".into())],
        &mut std::io::empty(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/x.yaml"));
}

#[test]
fn empty_file_is_counted_without_findings() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("empty.yaml"), "").unwrap();
    fs::write(dir.path().join("pod.yaml"), POD).unwrap();
    let inv = manifests(&[dir.path()]);
    assert_eq!(inv.files_scanned, 2);
    assert_eq!(inv.objects.len(), 1);
    assert!(inv.input_problems.is_empty());
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_reported_and_the_rest_scanned() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("a")).unwrap();
    fs::write(dir.path().join("a/pod.yaml"), POD).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
    let inv = manifests(&[dir.path()]);
    assert_eq!(inv.objects.len(), 1);
    assert_eq!(inv.input_problems.len(), 1, "{:?}", inv.input_problems);
    assert!(inv.input_problems[0].message.contains("loop"));
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_reported_and_the_rest_scanned() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ok.yaml"), POD).unwrap();
    // A dangling link is unreadable for every user, root included.
    std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("dangling.yaml")).unwrap();
    let locked = dir.path().join("locked.yaml");
    fs::write(&locked, POD).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let root_can_read = fs::read(&locked).is_ok();
    let inv = manifests(&[dir.path()]);
    let expected_problems = if root_can_read { 1 } else { 2 };
    assert_eq!(
        inv.input_problems.len(),
        expected_problems,
        "{:?}",
        inv.input_problems
    );
    assert!(inv.input_problems.iter().all(|p| p.check == "input-invalid"));
    assert!(
        inv.input_problems
            .iter()
            .any(|p| p.location.as_ref().unwrap().file.ends_with("dangling.yaml"))
    );
    assert!(!inv.objects.is_empty());
}

#[test]
fn helm_templates_are_skipped_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("chart/templates")).unwrap();
    fs::write(dir.path().join("chart/Chart.yaml"), "apiVersion: v2\nname: c\n").unwrap();
    fs::write(
        dir.path().join("chart/templates/d.yaml"),
        "kind: {{ .Values.kind }}\n",
    )
    .unwrap();
    let inv = manifests(&[dir.path()]);
    assert_eq!(inv.input_problems.len(), 1);
    assert_eq!(inv.input_problems[0].check, "input-skipped");
    assert!(inv.input_problems[0].remediation.contains("helm template"));
}

#[test]
fn snapshot_reads_cluster_file_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("cluster.yaml"),
        "serverVersion:\n  gitVersion: v1.29.4\nname: demo\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("pods.yaml"),
        format!(
            "apiVersion: v1\nkind: List\nitems:\n- {}",
            POD.replace('\n', "\n  ")
        ),
    )
    .unwrap();
    assert!(is_snapshot(dir.path()));
    let inv = read_snapshot(dir.path()).unwrap();
    assert_eq!(inv.cluster.name, "demo");
    assert_eq!(inv.cluster.server_version.as_ref().unwrap().to_string(), "1.29.4");
    assert_eq!(inv.objects.len(), 1);
    assert_eq!(inv.files_scanned, 1);
    assert_eq!(inv.kind, SourceKind::Snapshot);
}

#[test]
fn snapshot_with_broken_cluster_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("cluster.yaml"), "serverVersion: [").unwrap();
    let err = read_snapshot(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("cluster.yaml") && err.contains("invalid YAML"),
        "{err}"
    );
}

/// Every manifest in the repository parses to the same objects, lines and problems with and
/// without the fast YAML path.
#[test]
fn fast_path_agrees_with_the_general_parser_on_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut checked = 0;
    for dir in ["examples", "crates/cli/tests/fixtures"] {
        for entry in walkdir::WalkDir::new(root.join(dir))
            .into_iter()
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                continue;
            }
            let bytes = fs::read(path).unwrap();
            let name = path.display().to_string();
            let fast = parse_bytes(&name, &bytes);
            let general = parse::parse_bytes_general(&name, &bytes);
            assert_eq!(fast.objects, general.objects, "{name}");
            assert_eq!(fast.problems.len(), general.problems.len(), "{name}");
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} files found");
}

#[test]
fn fast_path_agrees_on_typical_documents() {
    let docs = [
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: a\ndata:\n  app.properties: |\n    a=1\n    b=2\n\n    c=3\n  other: \"x\"\n  folded: >-\n    one\n    two\n",
        "# Source: chart/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  labels:\n    helm.sh/chart: web-1.2.3\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          args: [\"--port\", \"8080\"]\n          env:\n            - name: A\n              value: \"1\"\n            - {name: B, value: two}\n",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n  spec:\n    ports:\n    - port: 80\n      targetPort: http\n      protocol: TCP\nmetadata:\n  resourceVersion: \"\"\n",
    ];
    for doc in docs {
        let fast = parse_bytes("t.yaml", doc.as_bytes());
        let general = parse::parse_bytes_general("t.yaml", doc.as_bytes());
        assert!(fast.problems.is_empty(), "{:?}", fast.problems);
        assert_eq!(fast.objects, general.objects, "{doc}");
    }
}

/// Damaged input never panics: thousands of random edits (deleted, repeated and replaced
/// bytes, including structural characters) of real manifests go through the parser.
#[test]
fn random_damage_never_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let seeds: Vec<Vec<u8>> = [
        "examples/manifests/k8s/legacy.yaml",
        "examples/manifests/k8s/list.json",
        "examples/demo-cluster/cluster.yaml",
    ]
    .iter()
    .filter_map(|p| fs::read(root.join(p)).ok())
    .collect();
    assert!(!seeds.is_empty());
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        // xorshift64*: deterministic, no dependency.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    const SPECIAL: &[u8] = b"-:{}[]'\"#&*!|>\n \t\\,?%@`\xff\x00";
    // More rounds: FUZZ_ROUNDS=200000 cargo test --release -p mcp-diag-sources random_damage
    let rounds = std::env::var("FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_200);
    for round in 0..rounds {
        let mut bytes = seeds[round % seeds.len()].clone();
        for _ in 0..(1 + next() % 6) {
            if bytes.is_empty() {
                break;
            }
            let at = (next() as usize) % bytes.len();
            match next() % 4 {
                0 => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, SPECIAL[(next() as usize) % SPECIAL.len()]),
                2 => bytes[at] = SPECIAL[(next() as usize) % SPECIAL.len()],
                _ => {
                    let end = (at + (next() as usize) % 40).min(bytes.len());
                    let piece = bytes[at..end].to_vec();
                    bytes.splice(at..at, piece);
                }
            }
        }
        let fast = parse_bytes("fuzz.yaml", &bytes);
        let general = parse::parse_bytes_general("fuzz.yaml", &bytes);
        // Both paths agree on what they could read.
        if fast.objects != general.objects {
            let _ = fs::write("/tmp/fuzz-fail.yaml", &bytes);
            for (a, b) in fast.objects.iter().zip(&general.objects) {
                if a != b {
                    panic!(
                        "round {round}: fast {:?}\n general {:?}",
                        a.raw.to_json(),
                        b.raw.to_json()
                    );
                }
            }
            panic!(
                "round {round}: {} vs {} objects",
                fast.objects.len(),
                general.objects.len()
            );
        }
    }
}

#[test]
fn kustomize_configuration_is_skipped_once_per_directory_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    let prod = dir.path().join("overlays/prod");
    fs::create_dir_all(&base).unwrap();
    fs::create_dir_all(&prod).unwrap();
    fs::write(
        base.join("kustomization.yaml"),
        "resources:\n- deploy.yaml\ntransformers:\n- labels.yaml\n",
    )
    .unwrap();
    fs::write(
        base.join("deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
    )
    .unwrap();
    // A transformer config (what one public GitOps repository holds ten of).
    fs::write(
        base.join("labels.yaml"),
        "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: team\nlabels:\n  team: shop\nfieldSpecs:\n- path: metadata/labels\n  create: true\n---\napiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata:\n  name: prefix\nprefix: prod-\n",
    )
    .unwrap();
    fs::write(
        prod.join("kustomization.yml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../base\n",
    )
    .unwrap();
    fs::write(
        prod.join("component.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
    )
    .unwrap();
    let inv = manifests(&[dir.path()]);
    let kinds: Vec<&str> = inv.objects.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(kinds, vec!["Deployment"]);
    assert_eq!(inv.input_problems.len(), 2, "{:#?}", inv.input_problems);
    let mut found: Vec<(&str, &str, &str)> = inv
        .input_problems
        .iter()
        .map(|f| {
            assert_eq!(
                (f.check, f.severity),
                ("input-skipped", mcp_diag_model::Severity::Info)
            );
            (
                f.location.as_ref().unwrap().file.as_str(),
                f.details["files"].as_str(),
                f.remediation.as_str(),
            )
        })
        .collect();
    found.sort();
    let base_shown = base.display().to_string();
    let prod_shown = prod.display().to_string();
    assert_eq!(found[0].0, base_shown);
    assert_eq!(
        found[0].1,
        "kustomization.yaml, labels.yaml (LabelTransformer), labels.yaml (PrefixSuffixTransformer)"
    );
    assert!(
        found[0]
            .2
            .contains(&format!("kubectl kustomize {base_shown} | mcp-diag scan -")),
        "{}",
        found[0].2
    );
    assert_eq!(found[1].0, prod_shown);
    assert_eq!(found[1].1, "component.yaml (Component), kustomization.yml");
    // Named directly, a kustomization file is skipped the same way.
    let inv = manifests(&[&prod.join("kustomization.yml")]);
    assert!(inv.objects.is_empty());
    assert_eq!(inv.input_problems.len(), 1);
    assert_eq!(inv.input_problems[0].check, "input-skipped");
    assert!(
        inv.input_problems[0].message.contains("1 file:"),
        "{}",
        inv.input_problems[0].message
    );
}

#[test]
fn kustomize_patches_are_skipped_with_their_kustomization() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    let prod = dir.path().join("prod");
    fs::create_dir_all(&base).unwrap();
    fs::create_dir_all(&prod).unwrap();
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n";
    fs::write(base.join("deploy.yaml"), deploy).unwrap();
    fs::write(base.join("kustomization.yaml"), "resources:\n- deploy.yaml\n").unwrap();
    fs::write(
        prod.join("kustomization.yaml"),
        "resources:\n- ../base\npatchesStrategicMerge:\n- replicas.yaml\n- |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: inline\npatches:\n- path: ./more/probe.yaml\n  target: {kind: Deployment}\npatchesJson6902:\n- path: ops.yaml\n  target: {group: apps, version: v1, kind: Deployment, name: web}\n",
    )
    .unwrap();
    // Partial objects and JSON patch operations: not objects to check.
    fs::write(
        prod.join("replicas.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
    )
    .unwrap();
    fs::create_dir_all(prod.join("more")).unwrap();
    fs::write(
        prod.join("more/probe.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
    )
    .unwrap();
    fs::write(
        prod.join("ops.yaml"),
        "- op: replace\n  path: /spec/replicas\n  value: 3\n",
    )
    .unwrap();
    // A full object beside the kustomization that no patch names is read.
    fs::write(
        prod.join("extra.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n",
    )
    .unwrap();
    let inv = manifests(&[dir.path()]);
    let mut read: Vec<(&str, &str)> = inv
        .objects
        .iter()
        .map(|o| (o.kind.as_str(), o.name.as_str()))
        .collect();
    read.sort();
    assert_eq!(read, vec![("ConfigMap", "extra"), ("Deployment", "web")]);
    assert!(
        inv.input_problems.iter().all(|f| f.check == "input-skipped"),
        "{:#?}",
        inv.input_problems
    );
    let files: Vec<&str> = inv
        .input_problems
        .iter()
        .map(|f| f.details["files"].as_str())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files.contains(
            &"kustomization.yaml, more/probe.yaml (patch), ops.yaml (patch), replicas.yaml (patch)"
        ),
        "{files:?}"
    );
}
