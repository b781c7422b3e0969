use mcp_diag_model::{Finding, Known, Severity};

use crate::rules::pvc_storageclass_missing::{
    ClaimClass, Classes, DEFAULT_ANNOTATION, STORAGE_CLASS, claim_name, claims,
};
use crate::words::name_list;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "storageclass-default-count",
    severity: Severity::Medium,
    title: "No default StorageClass, or several",
    doc: r#"## What it checks
How many StorageClasses are marked default (annotation
`storageclass.kubernetes.io/is-default-class: "true"`, or its beta form; Kubernetes compares
the value with "true" exactly):

- several: reported whenever the input holds StorageClasses;
- none: reported only when a claim relies on a default (a PersistentVolumeClaim without
  `storageClassName` that is not bound yet, or, in manifests, a StatefulSet claim template
  without one). `storageClassName: ""` asks for no class and does not count. Not reported
  when the StorageClasses were not read completely (see `input-incomplete`): the default may
  be among those not read.

## Why it matters
With several defaults, a claim without class gets the most recently created one (Kubernetes
1.26 and later, kubernetes/kubernetes#110559); older API servers reject such claims
("2 default StorageClasses were found"). Which disk type, zone binding and reclaim policy a
new volume gets then depends on creation order. Upgrades that install a new default class (a CSI driver add-on,
a cloud provider's `gp3`) produce exactly this. With no default, claims that rely on one
stay Pending.

## Example
`gp2` (created 2021) and `gp3` (created 2024) are both marked default: new claims without
class get `gp3`, but a chart written for `gp2` behaviour now provisions `gp3` volumes.

## Fix
Keep exactly one default: remove the annotation from the others
(`kubectl annotate storageclass gp2 storageclass.kubernetes.io/is-default-class-`), or mark
one class default when claims rely on it.
"#,
};

pub struct StorageclassDefaultCount;

impl Check for StorageclassDefaultCount {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let classes = Classes::of(ctx);
        if classes.all.is_empty() {
            return Vec::new();
        }
        match classes.defaults.as_slice() {
            // "None is default" needs every class; a recorded gap is input-incomplete's.
            [] if matches!(ctx.known(STORAGE_CLASS.0, STORAGE_CLASS.1), Known::Incomplete(_)) => Vec::new(),
            [] => none(ctx, &classes).into_iter().collect(),
            [_] => Vec::new(),
            [.., newest] => {
                let names: Vec<&str> = classes.defaults.iter().map(|c| c.name.as_str()).collect();
                let listed = name_list(&names, 6);
                vec![
                    INFO.about(newest)
                        .title(format!("{} StorageClasses are marked default", names.len()))
                        .message(format!(
                            "{} StorageClasses are marked default: {listed}. A claim without storageClassName gets the most recently created one ({}) on Kubernetes 1.26 and later, and is rejected by older API servers (\"{} default StorageClasses were found\"); which disk type, binding mode and reclaim policy a new volume gets depends on creation order.",
                            names.len(),
                            newest.name,
                            names.len(),
                        ))
                        .fix(format!(
                            "Keep exactly one default: remove the annotation from the others (kubectl annotate storageclass NAME {DEFAULT_ANNOTATION}-)."
                        ))
                        .evidence("storage classes")
                        .detail("defaults", names.join(", "))
                        .detail("newest_default", newest.name.clone())
                        .build()
                ]
            }
        }
    }
}

fn none(ctx: &Context<'_>, classes: &Classes<'_>) -> Option<Finding> {
    let relying: Vec<String> = claims(ctx)
        .iter()
        .filter(|c| c.class == ClaimClass::Unset && !c.bound)
        .map(claim_name)
        .collect();
    if relying.is_empty() {
        return None;
    }
    let names: Vec<&str> = classes.all.iter().map(|c| c.name.as_str()).collect();
    Some(
        INFO.finding()
            .title("No default StorageClass")
            .message(format!(
                "No StorageClass is marked default ({}), but {} claim{} rel{} on one: {}. They stay Pending until a default exists.",
                name_list(&names, 6),
                relying.len(),
                if relying.len() == 1 { "" } else { "s" },
                if relying.len() == 1 { "ies" } else { "y" },
                name_list(&relying, 5),
            ))
            .fix(format!(
                "Mark one StorageClass as default (kubectl annotate storageclass NAME {DEFAULT_ANNOTATION}=true), or give the claims a storageClassName."
            ))
            .evidence("storage classes")
            .detail("defaults", String::new())
            .detail("claims", relying.join(", "))
            .build()
    )
}
