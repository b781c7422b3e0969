//! Helm 3 releases, stored as Secrets of type `helm.sh/release.v1` labelled `owner=helm`:
//! the manifest of each release's current revision, read like a manifest file.
//!
//! Only `metadata` (name, namespace, labels) and `data.release` of those Secrets are read;
//! nothing else of a Secret is kept, and of the release only name, namespace, revision,
//! chart name and version, status and the rendered manifest (never the values).

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mcp_diag_model::{Finding, Object};
use serde::Deserialize;

/// The label selector of Helm's release Secrets.
pub const SELECTOR: &str = "owner=helm";

/// The largest decompressed release read (a release is limited to 1 MiB compressed by the
/// Secret size limit; this stops a compression bomb).
const MAX_RELEASE_BYTES: u64 = 64 << 20;

/// What is kept of one release Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseSecret {
    pub secret_name: String,
    pub namespace: String,
    /// The release name (label `name`, or from the Secret name `sh.helm.release.v1.NAME.vN`).
    pub release: String,
    pub revision: Option<u64>,
    /// Label `status` (`deployed`, `superseded`, `failed`, ...).
    pub status: Option<String>,
    /// `data.release`, still encoded.
    pub data: Option<String>,
}

/// The release Secrets of one list page.
pub fn page_secrets(body: &[u8]) -> Result<Vec<ReleaseSecret>, String> {
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        items: Option<Vec<Item>>,
    }
    #[derive(Deserialize)]
    struct Item {
        #[serde(default)]
        metadata: Meta,
        #[serde(default)]
        data: Option<Data>,
        #[serde(default, rename = "type")]
        type_: Option<String>,
    }
    #[derive(Deserialize, Default)]
    struct Meta {
        #[serde(default)]
        name: String,
        #[serde(default)]
        namespace: String,
        #[serde(default)]
        labels: BTreeMap<String, String>,
    }
    // Only this key of `data` is read; serde skips the others without keeping them.
    #[derive(Deserialize)]
    struct Data {
        #[serde(default)]
        release: Option<String>,
    }
    let page: Page = serde_json::from_slice(body).map_err(|e| format!("invalid Secret list: {e}"))?;
    Ok(page
        .items
        .unwrap_or_default()
        .into_iter()
        .filter(|i| i.type_.as_deref().is_none_or(|t| t == "helm.sh/release.v1"))
        .map(|i| {
            let from_name = i
                .metadata
                .name
                .strip_prefix("sh.helm.release.v1.")
                .and_then(|rest| rest.rsplit_once(".v"));
            let release = i
                .metadata
                .labels
                .get("name")
                .cloned()
                .or_else(|| from_name.map(|(n, _)| n.to_owned()))
                .unwrap_or_else(|| i.metadata.name.clone());
            let revision = i
                .metadata
                .labels
                .get("version")
                .and_then(|v| v.parse().ok())
                .or_else(|| from_name.and_then(|(_, v)| v.parse().ok()));
            ReleaseSecret {
                secret_name: i.metadata.name,
                namespace: i.metadata.namespace,
                release,
                revision,
                status: i.metadata.labels.get("status").cloned(),
                data: i.data.and_then(|d| d.release),
            }
        })
        .collect())
}

/// The revision that counts for each release: the latest `deployed` one, else the latest.
pub fn current_revisions(secrets: Vec<ReleaseSecret>) -> Vec<ReleaseSecret> {
    let mut by_release: BTreeMap<(String, String), ReleaseSecret> = BTreeMap::new();
    for s in secrets {
        let key = (s.namespace.clone(), s.release.clone());
        let rank = |s: &ReleaseSecret| (s.status.as_deref() == Some("deployed"), s.revision.unwrap_or(0));
        match by_release.get(&key) {
            Some(current) if rank(current) >= rank(&s) => {}
            _ => {
                by_release.insert(key, s);
            }
        }
    }
    by_release.into_values().collect()
}

/// What is read of a decoded release.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Release {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub manifest: String,
    #[serde(default)]
    pub chart: Option<Chart>,
    #[serde(default)]
    pub info: Option<Info>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Chart {
    #[serde(default)]
    pub metadata: Option<ChartMetadata>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ChartMetadata {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Info {
    #[serde(default)]
    pub status: String,
}

/// Decodes `data.release`: base64 (the Secret's encoding) of base64 (Helm's) of gzip (or
/// plain) JSON.
pub fn decode_release(data: &str) -> Result<Release, String> {
    let once = STANDARD
        .decode(data.trim())
        .map_err(|e| format!("data.release is not base64: {e}"))?;
    let trimmed: Vec<u8> = once
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let twice = STANDARD
        .decode(&trimmed)
        .map_err(|e| format!("the release is not base64 inside the Secret's encoding: {e}"))?;
    let json = if twice.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(twice.as_slice())
            .take(MAX_RELEASE_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("the release is not valid gzip: {e}"))?;
        if out.len() as u64 > MAX_RELEASE_BYTES {
            return Err(format!(
                "the release expands beyond {} MiB",
                MAX_RELEASE_BYTES >> 20
            ));
        }
        out
    } else {
        twice
    };
    serde_json::from_slice(&json).map_err(|e| format!("the release is not JSON: {e}"))
}

impl Release {
    /// How findings name the manifest: `helm:NAMESPACE/RELEASE (revision N, chart NAME-VERSION)`.
    pub fn file_label(&self) -> String {
        let chart = self
            .chart
            .as_ref()
            .and_then(|c| c.metadata.as_ref())
            .map(|m| format!(", chart {}-{}", m.name, m.version))
            .unwrap_or_default();
        format!(
            "helm:{}/{} (revision {}{chart})",
            self.namespace, self.name, self.version
        )
    }
}

/// Objects and problems of one release.
#[derive(Debug, Default)]
pub struct ReleaseObjects {
    /// The release (name, namespace, revision, chart, status and manifest; never values).
    pub release: Release,
    /// How findings name the manifest ([`Release::file_label`]).
    pub file: String,
    pub objects: Vec<Object>,
    pub problems: Vec<Finding>,
}

/// Reads a release Secret's manifest into objects located at `helm:...` and the line in the
/// manifest. Objects without a namespace get the release's when `namespaced(kind)` does not
/// say the kind is cluster-scoped.
pub fn release_objects(
    secret: &ReleaseSecret,
    namespaced: &dyn Fn(&str, &str) -> Option<bool>,
) -> Result<ReleaseObjects, String> {
    let data = secret.data.as_deref().ok_or("the Secret has no data.release")?;
    let mut release = decode_release(data)?;
    if release.name.is_empty() {
        release.name.clone_from(&secret.release);
    }
    if release.namespace.is_empty() {
        release.namespace.clone_from(&secret.namespace);
    }
    if release.version == 0 {
        release.version = secret.revision.unwrap_or(0);
    }
    let label = release.file_label();
    let parsed = mcp_diag_sources::parse_bytes(&label, release.manifest.as_bytes());
    let mut objects = parsed.objects;
    for object in &mut objects {
        if object.namespace.is_none() {
            let (group, _) = object.group_version();
            if namespaced(group, &object.kind) != Some(false) {
                object.namespace = Some(release.namespace.clone());
            }
        }
    }
    Ok(ReleaseObjects {
        release,
        file: label,
        objects,
        problems: parsed.problems,
    })
}

/// Builds `data.release` as Helm and the API server would store it (for tests and the
/// emulator): base64 of base64 of gzip of `json`.
pub fn encode_release(json: &[u8]) -> String {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(json);
    let zipped = gz.finish().unwrap_or_default();
    STANDARD.encode(STANDARD.encode(zipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const MANIFEST: &str = "---\n# Source: web/templates/ingress.yaml\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  backend:\n    serviceName: web\n    servicePort: 80\n---\n# Source: web/templates/pdb.yaml\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 1\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n";

    fn release_json(version: u64, status: &str) -> String {
        serde_json::json!({
            "name": "web", "namespace": "shop", "version": version,
            "info": {"status": status},
            "chart": {"metadata": {"name": "web", "version": "1.2.3"}, "values": {"password": "hunter2"}},
            "config": {"password": "hunter2"},
            "manifest": MANIFEST,
        })
        .to_string()
    }

    fn secret_item(version: u64, status: &str, data: &str) -> String {
        format!(
            r#"{{"metadata":{{"name":"sh.helm.release.v1.web.v{version}","namespace":"shop","labels":{{"name":"web","owner":"helm","status":"{status}","version":"{version}"}}}},"type":"helm.sh/release.v1","data":{{"release":"{data}","other":"c2VjcmV0"}}}}"#
        )
    }

    #[test]
    fn decode_gzip_and_plain() {
        let json = release_json(3, "deployed");
        let r = decode_release(&encode_release(json.as_bytes())).unwrap();
        assert_eq!((r.name.as_str(), r.version), ("web", 3));
        assert_eq!(r.file_label(), "helm:shop/web (revision 3, chart web-1.2.3)");
        assert_eq!(r.info.unwrap().status, "deployed");
        let plain = STANDARD.encode(STANDARD.encode(json.as_bytes()));
        assert_eq!(decode_release(&plain).unwrap().manifest, MANIFEST);
        assert!(decode_release("***").is_err());
        assert!(decode_release(&STANDARD.encode("***")).is_err());
        assert!(decode_release(&STANDARD.encode(STANDARD.encode([0x1f, 0x8b, 0, 1]))).is_err());
        assert!(decode_release(&STANDARD.encode(STANDARD.encode("{nope"))).is_err());
    }

    #[test]
    fn latest_deployed_revision_wins() {
        let data = encode_release(release_json(2, "deployed").as_bytes());
        let page = format!(
            r#"{{"kind":"SecretList","items":[{},{},{}]}}"#,
            secret_item(1, "superseded", "x"),
            secret_item(2, "deployed", &data),
            secret_item(3, "failed", "y")
        );
        let secrets = page_secrets(page.as_bytes()).unwrap();
        assert_eq!(secrets.len(), 3);
        let current = current_revisions(secrets.clone());
        assert_eq!(current.len(), 1);
        assert_eq!(current[0].revision, Some(2));
        // Nothing deployed: the latest.
        let none_deployed: Vec<_> = secrets.into_iter().filter(|s| s.revision != Some(2)).collect();
        assert_eq!(current_revisions(none_deployed)[0].revision, Some(3));
    }

    #[test]
    fn manifest_objects_are_located_in_the_release() {
        let data = encode_release(release_json(2, "deployed").as_bytes());
        let page = format!(r#"{{"items":[{}]}}"#, secret_item(2, "deployed", &data));
        let secret = page_secrets(page.as_bytes()).unwrap().remove(0);
        let debug = format!("{secret:?}");
        assert!(!debug.contains("c2VjcmV0"), "other Secret data kept: {debug}");
        let namespaced = |_: &str, kind: &str| Some(kind != "Namespace");
        let read = release_objects(&secret, &namespaced).unwrap();
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        let kinds: Vec<(&str, &str)> = read
            .objects
            .iter()
            .map(|o| (o.api_version.as_str(), o.kind.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("extensions/v1beta1", "Ingress"),
                ("policy/v1beta1", "PodDisruptionBudget"),
                ("v1", "Namespace")
            ]
        );
        let ingress = &read.objects[0];
        let location = ingress.location.as_ref().unwrap();
        assert_eq!(location.file, "helm:shop/web (revision 2, chart web-1.2.3)");
        assert_eq!(location.line, 3);
        assert_eq!(location.template.as_deref(), Some("web/templates/ingress.yaml"));
        assert_eq!(ingress.namespace.as_deref(), Some("shop"));
        assert_eq!(read.objects[2].namespace, None);
        assert!(
            !read
                .objects
                .iter()
                .any(|o| format!("{:?}", o.raw).contains("hunter2")),
            "values leaked"
        );
        let empty = ReleaseSecret { data: None, ..secret };
        assert!(release_objects(&empty, &namespaced).is_err());
    }

    #[test]
    fn names_from_the_secret_name_when_labels_are_missing() {
        let page = br#"{"items":[{"metadata":{"name":"sh.helm.release.v1.my.app.v12","namespace":"a"},"type":"helm.sh/release.v1"},{"metadata":{"name":"x"},"type":"Opaque"}]}"#;
        let s = page_secrets(page).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].release.as_str(), s[0].revision), ("my.app", Some(12)));
        assert!(page_secrets(b"5").is_err());
    }
}
