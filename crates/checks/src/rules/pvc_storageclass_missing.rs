use std::collections::{BTreeMap, HashMap};

use mcp_diag_model::time::parse_timestamp;
use mcp_diag_model::{Finding, Node, Object, Severity, SourceKind};

use crate::rules::workload_single_replica::namespace_of;
use crate::words::name_list;
use crate::workloads::claim_templates;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pvc-storageclass-missing",
    severity: Severity::High,
    title: "Claim naming a StorageClass that does not exist",
    doc: r#"## What it checks
Every PersistentVolumeClaim (and, in manifests, every `volumeClaimTemplates` entry of a
StatefulSet) against the StorageClasses of the input:

- it names a StorageClass (`spec.storageClassName`, or the old annotation
  `volume.beta.kubernetes.io/storage-class`) that does not exist;
- it names none, is not bound yet, and no StorageClass is marked default (annotation
  `storageclass.kubernetes.io/is-default-class: "true"`).

`storageClassName: ""` asks for static binding to a pre-created PersistentVolume without a
class and is not an error. A claim that is already Bound keeps working without its class
(its volume exists), so it is reported as `medium`: expansion and re-provisioning fail. The
check runs only when the input holds StorageClasses (a snapshot with claims but no
StorageClass gets one `info` finding); for manifests that declare no StorageClass the
cluster's classes are unknown and nothing is reported. When the StorageClasses were not read
completely (see `input-incomplete`, which names this check), nothing is reported: a class
that seems missing may be one that was not read.

## Why it matters
A claim whose class does not exist is never provisioned: it stays Pending, and so does every
pod that mounts it. Upgrades often replace StorageClasses (in-tree to CSI, `gp2` to `gp3`);
a StatefulSet whose pods are recreated during the drains and whose claims are recreated
with them then cannot start.

## Example
PersistentVolumeClaim `data/cache` names `fast-ssd`; the cluster has `gp2-legacy` and `gp3`.

## Fix
Create the StorageClass the claim names, or point the claim at an existing one
(`storageClassName` is immutable: recreate the claim, restoring its data from a backup if it
has any). For claims without a class, mark exactly one StorageClass as default.
"#,
};

pub struct PvcStorageclassMissing;

impl Check for PvcStorageclassMissing {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let claims = claims(ctx);
        if claims.is_empty() {
            return Vec::new();
        }
        // "Does not exist" needs every StorageClass; a recorded gap in their read leaves it to
        // input-incomplete, which names this check.
        if matches!(
            ctx.known(STORAGE_CLASS.0, STORAGE_CLASS.1),
            mcp_diag_model::Known::Incomplete(_)
        ) {
            return Vec::new();
        }
        let classes = Classes::of(ctx);
        if classes.all.is_empty() {
            if ctx.inventory.kind == SourceKind::Manifests {
                return Vec::new();
            }
            return vec![
                INFO.finding()
                    .notice("No StorageClass in the input")
                    .message(format!(
                        "The input holds {} but no StorageClass, so whether their classes exist cannot be checked.",
                        mcp_diag_model::plural(claims.len(), "PersistentVolumeClaim", "PersistentVolumeClaims"),
                    ))
                    .fix("Capture StorageClasses too (kubectl get storageclasses -o yaml) and scan again.")
                    .evidence("storage classes")
                    .detail("claims", claims.len())
                    .build()
            ];
        }
        claims.iter().filter_map(|c| missing(c, &classes)).collect()
    }
}

// ---------------------------------------------------------------------------------------
// Shared by the storage checks.

pub(crate) const STORAGE_CLASS: (&str, &str) = ("storage.k8s.io", "StorageClass");
pub(crate) const DEFAULT_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";
const BETA_DEFAULT_ANNOTATION: &str = "storageclass.beta.kubernetes.io/is-default-class";
const BETA_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

/// The class a claim asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClaimClass<'a> {
    Named(&'a str),
    /// `storageClassName: ""`: static binding to a PersistentVolume without class.
    Static,
    /// No class: the default StorageClass is assigned (at creation, or retroactively).
    Unset,
}

impl<'a> ClaimClass<'a> {
    /// Reads the class of a claim, or of a claim template (`spec` is its spec).
    pub(crate) fn of(meta: Option<Node<'a>>, spec: Option<Node<'a>>) -> Self {
        let annotated = meta
            .and_then(|m| m.path(&["annotations", BETA_CLASS_ANNOTATION]))
            .and_then(Node::as_str);
        let named = annotated.or_else(|| {
            spec.and_then(|s| s.get("storageClassName"))
                .and_then(Node::as_str)
        });
        match named {
            Some("") => Self::Static,
            Some(name) => Self::Named(name),
            None => Self::Unset,
        }
    }

    /// The class name as PersistentVolumes carry it (`""` for none).
    pub(crate) const fn name(self) -> &'a str {
        match self {
            Self::Named(n) => n,
            Self::Static | Self::Unset => "",
        }
    }
}

/// A claim, or a StatefulSet's claim template (manifests).
#[derive(Debug)]
pub(crate) struct Claim<'a> {
    pub object: &'a Object,
    /// `Some(template name)` for a StatefulSet's `volumeClaimTemplates` entry.
    pub template: Option<&'a str>,
    pub class: ClaimClass<'a>,
    /// Bound, or pre-bound to a volume (`spec.volumeName`).
    pub bound: bool,
}

/// The PersistentVolumeClaims, and in manifests the StatefulSets' claim templates.
pub(crate) fn claims<'a>(ctx: &Context<'a>) -> Vec<Claim<'a>> {
    let mut claims: Vec<Claim<'a>> = ctx
        .index
        .of_kind("PersistentVolumeClaim")
        .iter()
        .map(|pvc| {
            let phase = pvc.raw.path(&["status", "phase"]).and_then(Node::as_str);
            let volume = pvc
                .raw
                .path(&["spec", "volumeName"])
                .and_then(Node::as_str)
                .unwrap_or("");
            Claim {
                object: pvc,
                template: None,
                class: ClaimClass::of(pvc.raw.get("metadata"), pvc.raw.get("spec")),
                bound: phase == Some("Bound") || !volume.is_empty(),
            }
        })
        .collect();
    claims.extend(claim_templates(ctx).map(|(sts, t)| Claim {
        object: sts,
        template: Some(t.path(&["metadata", "name"]).and_then(Node::as_str).unwrap_or("")),
        class: ClaimClass::of(t.get("metadata"), t.get("spec")),
        bound: false,
    }));
    claims
}

/// The StorageClasses of the input, by name, and the defaults among them.
#[derive(Debug, Default)]
pub(crate) struct Classes<'a> {
    pub all: Vec<&'a Object>,
    pub by_name: HashMap<&'a str, &'a Object>,
    /// Marked default, newest (by creationTimestamp, then input order) last.
    pub defaults: Vec<&'a Object>,
}

impl<'a> Classes<'a> {
    pub(crate) fn of(ctx: &Context<'a>) -> Self {
        let all: Vec<&'a Object> = ctx.index.of_kind("StorageClass").to_vec();
        let by_name = all.iter().map(|c| (c.name.as_str(), *c)).collect();
        let mut defaults: Vec<&'a Object> = all.iter().copied().filter(|c| is_default(c)).collect();
        defaults.sort_by_key(|c| created(c).unwrap_or(i64::MIN));
        Self {
            all,
            by_name,
            defaults,
        }
    }
}

/// Marked default: the annotation (or its beta form) is exactly "true", as Kubernetes reads it.
pub(crate) fn is_default(class: &Object) -> bool {
    class.annotation(DEFAULT_ANNOTATION) == Some("true")
        || class.annotation(BETA_DEFAULT_ANNOTATION) == Some("true")
}

pub(crate) fn created(object: &Object) -> Option<i64> {
    object
        .raw
        .path(&["metadata", "creationTimestamp"])
        .and_then(Node::as_str)
        .and_then(parse_timestamp)
}

/// `PersistentVolumeClaim data/cache`, or `StatefulSet data/redis (volumeClaimTemplates data)`.
pub(crate) fn claim_name(claim: &Claim<'_>) -> String {
    let o = claim.object;
    let ns = namespace_of(o);
    match claim.template {
        Some(t) => format!("{} {ns}/{} (volumeClaimTemplates {t})", o.kind, o.name),
        None => format!("PersistentVolumeClaim {ns}/{}", o.name),
    }
}

fn missing(claim: &Claim<'_>, classes: &Classes<'_>) -> Option<Finding> {
    let fine = match claim.class {
        ClaimClass::Static => true,
        ClaimClass::Named(name) => classes.by_name.contains_key(name),
        ClaimClass::Unset => claim.bound || !classes.defaults.is_empty(),
    };
    if fine {
        return None;
    }
    let who = claim_name(claim);
    let existing: Vec<&str> = classes.all.iter().map(|c| c.name.as_str()).collect();
    let existing = name_list(&existing, 6);
    let mut details = BTreeMap::from([("claim", who.clone()), ("storage_classes", existing.clone())]);
    if let Some(t) = claim.template {
        details.insert("template", t.to_owned());
    }
    let (severity, title, message, remediation) = match claim.class {
        ClaimClass::Static => return None,
        ClaimClass::Named(name) => {
            if classes.by_name.contains_key(name) {
                return None;
            }
            details.insert("storage_class", name.to_owned());
            let (severity, effect) = if claim.bound {
                (
                    Severity::Medium,
                    "Its volume is bound and keeps working, but expanding it fails, and a claim recreated with the same spec (a StatefulSet pod rescheduled with its claim deleted, a restore) is never provisioned.",
                )
            } else {
                (
                    INFO.severity,
                    "It can never be provisioned: it stays Pending, and so does every pod that mounts it.",
                )
            };
            (
                severity,
                format!("{who} names the missing StorageClass {name}"),
                format!(
                    "{who} names StorageClass {name}, which does not exist (StorageClasses: {existing}). {effect}"
                ),
                format!(
                    "Create StorageClass {name}, or point the claim at an existing class ({existing}); storageClassName is immutable, so recreate the claim (restoring its data from a backup if it has any){}.",
                    if claim.template.is_some() {
                        " and the StatefulSet's volumeClaimTemplates"
                    } else {
                        ""
                    }
                ),
            )
        }
        ClaimClass::Unset => {
            if claim.bound || !classes.defaults.is_empty() {
                return None;
            }
            details.insert("storage_class", String::new());
            (
                INFO.severity,
                format!("{who} relies on a default StorageClass, and there is none"),
                format!(
                    "{who} names no StorageClass and is not bound, so it needs the default StorageClass, but none of {existing} is marked default (annotation {DEFAULT_ANNOTATION}: \"true\"). It stays Pending until a default exists (Kubernetes 1.28 and later then assign it retroactively), and so do the pods that mount it."
                ),
                format!(
                    "Mark exactly one StorageClass as default (kubectl annotate storageclass NAME {DEFAULT_ANNOTATION}=true), or set storageClassName on the claim."
                ),
            )
        }
    };
    Some(
        INFO.about(claim.object)
            .severity(severity)
            .words(title, message, remediation)
            .evidence("claim and storage classes")
            .details(details)
            .build(),
    )
}
