//! Writing a snapshot directory (`mcp-diag snapshot`), in the format `read_snapshot` reads.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use mcp_diag_model::{Doc, Inventory, Object};

use crate::HELM_RELEASES_DIR;

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub files: usize,
    pub objects: usize,
}

/// Why a snapshot could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: the directory exists and is not empty; choose a new directory")]
    NotEmpty { path: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `inventory` into `dir` (created; refused when it exists and is not empty):
/// `cluster.yaml`, one JSON `List` per apiVersion and kind (an object per line), and the manifests
/// of Helm releases under `helm-releases/`. Secrets are never written: the live source
/// keeps none, and any that reach here are dropped.
pub fn write_snapshot(inventory: &Inventory, dir: &Path) -> Result<WriteStats, WriteError> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io_error(dir))?;
        if entries.next().is_some() {
            return Err(WriteError::NotEmpty {
                path: dir.display().to_string(),
            });
        }
    }
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let mut stats = WriteStats::default();
    let cluster_path = dir.join("cluster.yaml");
    std::fs::write(&cluster_path, cluster_yaml(inventory)).map_err(io_error(&cluster_path))?;
    stats.files += 1;

    let mut by_type: BTreeMap<(&str, &str), Vec<&Object>> = BTreeMap::new();
    for object in inventory.objects.iter().filter(|o| !is_secret(o)) {
        by_type
            .entry((object.api_version.as_str(), object.kind.as_str()))
            .or_default()
            .push(object);
    }
    for ((api_version, kind), mut objects) in by_type {
        objects.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let path = dir.join(type_file_name(api_version, kind));
        write_list(&path, &objects)?;
        stats.files += 1;
        stats.objects += objects.len();
    }

    // One file per release, named after where the live source found it.
    let mut by_release: BTreeMap<String, Vec<&Object>> = BTreeMap::new();
    for object in inventory.helm_objects.iter().filter(|o| !is_secret(o)) {
        let release = object
            .location
            .as_ref()
            .map_or_else(|| "release".to_owned(), |l| l.file.clone());
        by_release.entry(release).or_default().push(object);
    }
    if !by_release.is_empty() {
        let helm_dir = dir.join(HELM_RELEASES_DIR);
        std::fs::create_dir_all(&helm_dir).map_err(io_error(&helm_dir))?;
        for (release, objects) in by_release {
            let path = helm_dir.join(format!("{}.json", safe_name(&release)));
            // Helm installs a release's namespaced objects into the release's namespace, which
            // the manifest often leaves out; the reader put it on the object, keep it.
            let placed: Vec<Object> = objects.iter().map(|o| with_namespace(o)).collect();
            let placed: Vec<&Object> = placed.iter().collect();
            write_list(&path, &placed)?;
            stats.files += 1;
            stats.objects += objects.len();
        }
    }
    Ok(stats)
}

fn with_namespace(object: &Object) -> Object {
    let mut copy = object.clone();
    if let Some(ns) = &object.namespace
        && object.raw.path(&["metadata", "namespace"]).is_none()
    {
        let mut json = object.raw.to_json();
        if let Some(meta) = json
            .get_mut("metadata")
            .and_then(serde_json::Value::as_object_mut)
        {
            meta.insert("namespace".to_owned(), serde_json::Value::from(ns.as_str()));
            copy.raw = Doc::from(json);
        }
    }
    copy
}

fn is_secret(object: &Object) -> bool {
    object.kind == "Secret" && object.api_version == "v1"
}

fn write_list(path: &PathBuf, objects: &[&Object]) -> Result<(), WriteError> {
    let file = std::fs::File::create(path).map_err(io_error(path))?;
    let mut out = std::io::BufWriter::new(file);
    // One object per line: `grep` and `jq -c` work per object, a diff shows which objects
    // changed, and the reader parses the lines in parallel without scanning for their ends.
    let mut write = || -> std::io::Result<()> {
        out.write_all(b"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[")?;
        for (i, object) in objects.iter().enumerate() {
            out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut out, &object.raw)?;
        }
        out.write_all(b"\n]}\n")?;
        out.flush()
    };
    write().map_err(io_error(path))
}

/// `apps/v1` `Deployment` → `apps.v1.Deployment.json`; the core group is `core`.
fn type_file_name(api_version: &str, kind: &str) -> String {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("core", api_version));
    safe_name(&format!("{group}.{version}.{kind}.json"))
}

/// Keeps names portable: letters, digits, `.`, `-`, `_`; anything else becomes `_`.
pub fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `cluster.yaml`, in the shape `kubectl version -o yaml` prints plus our fields. Strings are
/// written as JSON strings, which YAML reads as double-quoted scalars.
fn cluster_yaml(inventory: &Inventory) -> String {
    let q = |s: &str| serde_json::Value::from(s).to_string();
    let cluster = &inventory.cluster;
    let mut out = String::from("# Written by mcp-diag snapshot; see docs/snapshot.md\n");
    if let Some(v) = &cluster.server_version {
        let _ = writeln!(
            out,
            "serverVersion:\n  gitVersion: {}\n  major: {}\n  minor: {}",
            q(&format!("v{v}")),
            q(&v.major.to_string()),
            q(&v.minor.to_string())
        );
    }
    let _ = writeln!(out, "name: {}", q(&cluster.name));
    if let Some(at) = &cluster.captured_at {
        let _ = writeln!(out, "capturedAt: {}", q(at));
    }
    if !cluster.components.is_empty() {
        out.push_str("components:\n");
        for (name, version) in &cluster.components {
            let _ = writeln!(out, "  {}: {}", q(name), q(version));
        }
    }
    // What the read got of each kind, so that an offline scan or plan of this snapshot still
    // knows which kinds were missing from the cluster it copied.
    if inventory.coverage.recorded {
        out.push_str("coverage:\n  recorded: true\n  kinds:\n");
        for read in &inventory.coverage.kinds {
            let line = serde_json::to_string(read).unwrap_or_default();
            let _ = writeln!(out, "  - {line}");
        }
    }
    if !cluster.requested_apis.is_empty() {
        out.push_str("requestedDeprecatedApis:\n");
        for api in &cluster.requested_apis {
            let _ = writeln!(
                out,
                "- group: {}\n  version: {}\n  resource: {}\n  subresource: {}\n  removedRelease: {}",
                q(&api.group),
                q(&api.version),
                q(&api.resource),
                q(&api.subresource),
                q(&api.removed_release)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_diag_model::{KubeVersion, Location, RequestedApi, SourceKind};

    fn object(json: serde_json::Value, location: Option<Location>) -> Object {
        Object::from_node(json, location).unwrap()
    }

    #[test]
    fn round_trip_through_read_snapshot() {
        let mut inv = Inventory::new(SourceKind::Live, "context:prod", "prod");
        inv.cluster.server_version = Some(KubeVersion::parse("v1.31.4-eks-abc").unwrap());
        inv.cluster.captured_at = Some("2026-11-25T10:00:00Z".into());
        inv.cluster.components.insert("etcd".into(), "3.5.16".into());
        inv.cluster.requested_apis.push(RequestedApi {
            group: "flowcontrol.apiserver.k8s.io".into(),
            version: "v1beta3".into(),
            resource: "flowschemas".into(),
            subresource: String::new(),
            removed_release: "1.32".into(),
        });
        inv.coverage = mcp_diag_model::Coverage::recorded();
        inv.coverage
            .record(mcp_diag_model::KindRead::complete("apps", "Deployment", 1));
        inv.coverage.record(mcp_diag_model::KindRead::gap(
            "",
            "Pod",
            mcp_diag_model::ReadGap::Throttled,
            "throttled (HTTP 429) for 45 s",
            0,
        ));
        inv.objects.push(object(
            serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}}, "spec": {"replicas": 3}}),
            None,
        ));
        inv.objects.push(object(
            serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}),
            None,
        ));
        inv.objects.push(object(
            serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "shop"}, "data": {"password": "c2VjcmV0"}}),
            None,
        ));
        inv.helm_objects.push(object(
            serde_json::json!({"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "web", "namespace": "shop"}}),
            Some(Location::new("helm:shop/web (revision 3, chart web-1.2.0)", 4)),
        ));
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("snap");
        let stats = write_snapshot(&inv, &out).unwrap();
        assert_eq!(stats.objects, 3, "the Secret is never written");
        let back = crate::read_snapshot(&out).unwrap();
        assert_eq!(back.cluster.name, "prod");
        assert_eq!(back.cluster.server_version, inv.cluster.server_version);
        assert_eq!(back.cluster.captured_at, inv.cluster.captured_at);
        assert_eq!(back.cluster.components, inv.cluster.components);
        assert_eq!(back.cluster.requested_apis, inv.cluster.requested_apis);
        assert_eq!(
            back.coverage, inv.coverage,
            "an offline read still knows what the live read missed"
        );
        assert!(back.input_problems.is_empty(), "{:?}", back.input_problems);
        let mut names: Vec<_> = back
            .objects
            .iter()
            .map(|o| (o.kind.clone(), o.name.clone()))
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ("Deployment".to_owned(), "web".to_owned()),
                ("Node".into(), "n1".into())
            ]
        );
        let web = back.objects.iter().find(|o| o.kind == "Deployment").unwrap();
        assert_eq!(web.raw, inv.objects[0].raw);
        assert!(
            web.location.as_ref().unwrap().line > 1,
            "items keep their own lines"
        );
        assert_eq!(back.helm_objects.len(), 1);
        assert_eq!(back.helm_objects[0].kind, "PodDisruptionBudget");
        let all = std::fs::read_dir(&out).unwrap().count();
        assert_eq!(all, 4, "cluster.yaml, two lists, helm-releases/");
        let text: String = walkdir::WalkDir::new(&out)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        assert!(!text.contains("c2VjcmV0"), "no secret value on disk");
    }

    #[test]
    fn refuses_a_non_empty_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), "y").unwrap();
        let inv = Inventory::new(SourceKind::Live, "x", "x");
        assert!(matches!(
            write_snapshot(&inv, dir.path()),
            Err(WriteError::NotEmpty { .. })
        ));
        // An empty existing directory is fine.
        let empty = tempfile::tempdir().unwrap();
        assert!(write_snapshot(&inv, empty.path()).is_ok());
    }

    #[test]
    fn names_are_portable() {
        assert_eq!(type_file_name("v1", "Pod"), "core.v1.Pod.json");
        assert_eq!(type_file_name("apps/v1", "Deployment"), "apps.v1.Deployment.json");
        assert_eq!(
            safe_name("helm:shop/web (revision 3)"),
            "helm_shop_web__revision_3_"
        );
    }
}
