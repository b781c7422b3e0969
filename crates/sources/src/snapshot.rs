//! `cluster.yaml`: which cluster a snapshot describes. Accepts `kubectl version -o yaml|json`.

use std::collections::BTreeMap;
use std::path::Path;

use mcp_diag_model::KubeVersion;
use serde_json::Value;

/// What `cluster.yaml` says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterFile {
    pub name: String,
    pub server_version: Option<KubeVersion>,
    pub captured_at: Option<String>,
    pub components: BTreeMap<String, String>,
    pub requested_apis: Vec<mcp_diag_model::RequestedApi>,
    /// What the read that wrote the snapshot got of each kind (`coverage:`); unrecorded in
    /// snapshots written by hand or by older versions.
    pub coverage: mcp_diag_model::Coverage,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ClusterFileError {
    pub path: String,
    pub reason: String,
}

pub fn read_cluster_file(path: &Path) -> Result<ClusterFile, ClusterFileError> {
    let err = |reason: String| ClusterFileError {
        path: path.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| err("not UTF-8 text".to_owned()))?;
    let value: Value = serde_saphyr::from_str(text).map_err(|e| {
        err(format!(
            "invalid YAML: {}",
            e.to_string().lines().next().unwrap_or_default()
        ))
    })?;
    parse_cluster_value(&value).map_err(err)
}

fn parse_cluster_value(value: &Value) -> Result<ClusterFile, String> {
    let Value::Object(map) = value else {
        return Err("expected a mapping like the output of `kubectl version -o yaml`".to_owned());
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let server = map.get("serverVersion");
    let server_version = match server {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(KubeVersion::parse(s).map_err(|e| format!("serverVersion: {e}"))?),
        Some(Value::Object(sv)) => {
            if let Some(git) = text(sv.get("gitVersion")) {
                Some(KubeVersion::parse(&git).map_err(|e| format!("serverVersion.gitVersion: {e}"))?)
            } else {
                let major = text(sv.get("major")).unwrap_or_default();
                let minor = text(sv.get("minor")).unwrap_or_default();
                Some(KubeVersion::from_parts(&major, &minor).map_err(|e| format!("serverVersion: {e}"))?)
            }
        }
        Some(_) => return Err("serverVersion must be a mapping or a version string".to_owned()),
    };
    let components = match map.get("components") {
        Some(Value::Object(c)) => c
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect(),
        _ => BTreeMap::new(),
    };
    let requested_apis = match map.get("requestedDeprecatedApis") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
            format!("requestedDeprecatedApis: {e}; expected a list of {{group, version, resource, removedRelease}}")
        })?,
    };
    let coverage = match map.get("coverage") {
        None | Some(Value::Null) => mcp_diag_model::Coverage::default(),
        Some(v) => {
            let mut c: mcp_diag_model::Coverage = serde_json::from_value(v.clone()).map_err(|e| {
                format!("coverage: {e}; expected {{recorded: true, kinds: [{{group, kind, state, reason, detail, objects}}]}} as `mcp-diag snapshot` writes it")
            })?;
            // Lookups are binary searches; a hand-edited file need not be in order.
            c.kinds
                .sort_by(|a, b| (&a.group, &a.kind).cmp(&(&b.group, &b.kind)));
            c.kinds.dedup_by(|b, a| a.group == b.group && a.kind == b.kind);
            c
        }
    };
    Ok(ClusterFile {
        coverage,
        requested_apis,
        name: text(map.get("name")).unwrap_or_default(),
        server_version,
        captured_at: text(map.get("capturedAt")),
        components,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<ClusterFile, String> {
        parse_cluster_value(&serde_saphyr::from_str::<Value>(yaml).unwrap())
    }

    #[test]
    fn kubectl_version_output() {
        let c = parse("clientVersion:\n  gitVersion: v1.37.1\nkustomizeVersion: v5.8.1\nserverVersion:\n  gitVersion: v1.29.4-eks-1234abcd\n  major: \"1\"\n  minor: \"29+\"\n").unwrap();
        assert_eq!(c.server_version.unwrap().to_string(), "1.29.4-eks-1234abcd");
    }

    #[test]
    fn major_minor_only_and_extras() {
        let c = parse("serverVersion:\n  major: \"1\"\n  minor: \"28+\"\nname: prod\ncapturedAt: \"2026-01-01T00:00:00Z\"\ncomponents:\n  etcd: 3.5.12\n").unwrap();
        assert_eq!(c.server_version.unwrap().minor().to_string(), "1.28");
        assert_eq!(c.name, "prod");
        assert_eq!(c.components["etcd"], "3.5.12");
    }

    #[test]
    fn requested_deprecated_apis() {
        let c = parse("serverVersion: v1.31.2\nrequestedDeprecatedApis:\n- group: flowcontrol.apiserver.k8s.io\n  version: v1beta3\n  resource: flowschemas\n  removedRelease: \"1.32\"\n").unwrap();
        assert_eq!(c.requested_apis.len(), 1);
        assert_eq!(c.requested_apis[0].resource, "flowschemas");
        assert_eq!(c.requested_apis[0].removed_release, "1.32");
        let e = parse("requestedDeprecatedApis: [{group: x}]\n").unwrap_err();
        assert!(e.contains("requestedDeprecatedApis"), "{e}");
    }

    #[test]
    fn coverage_is_read_back_in_order() {
        use mcp_diag_model::{Known, ReadGap, ReadState};
        let c = parse("serverVersion: v1.31.2\ncoverage:\n  recorded: true\n  kinds:\n  - {\"group\":\"apps\",\"kind\":\"ReplicaSet\",\"state\":\"complete\",\"objects\":4}\n  - {\"group\":\"\",\"kind\":\"Pod\",\"state\":\"missing\",\"reason\":\"failed\",\"detail\":\"HTTP 500\"}\n").unwrap();
        assert!(c.coverage.recorded);
        assert!(c.coverage.of("apps", "ReplicaSet").is_complete());
        match c.coverage.of("", "Pod") {
            Known::Incomplete(k) => {
                assert_eq!((k.state, k.reason), (ReadState::Missing, Some(ReadGap::Failed)))
            }
            other => panic!("{other:?}"),
        }
        assert!(!parse("name: x\n").unwrap().coverage.recorded);
        let e = parse("coverage:\n  recorded: true\n  kinds:\n  - {kind: Pod, state: lost}\n").unwrap_err();
        assert!(e.starts_with("coverage:"), "{e}");
    }

    #[test]
    fn bad_versions_are_errors_with_the_field() {
        let e = parse("serverVersion:\n  gitVersion: latest\n").unwrap_err();
        assert!(e.contains("serverVersion.gitVersion"), "{e}");
        assert!(parse("- a\n").is_err());
        assert_eq!(parse("name: x\n").unwrap().server_version, None);
    }
}
