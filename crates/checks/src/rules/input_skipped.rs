use mcp_diag_model::Severity;

use crate::CheckInfo;

pub static INFO: CheckInfo = CheckInfo {
    id: "input-skipped",
    severity: Severity::Info,
    title: "Input skipped",
    doc: r#"## What it checks
Notes parts of a directory that `scan` deliberately does not read: the `templates/` directory of
a Helm chart (a directory with `Chart.yaml`), whose files are Go templates rather than YAML, and
kustomize's configuration: files named `kustomization.yaml`, `kustomization.yml` or
`Kustomization`, and documents whose apiVersion is `builtin` or `kustomize.config.k8s.io/*`
(`Kustomization`, `Component`, transformer configs such as `kind: LabelTransformer`). The
kustomize files of one directory make one finding that lists them. The patch files a
kustomization names (`patchesStrategicMerge`, `patches[].path`, `patchesJson6902[].path`) are
partial objects or patch operations, and are listed and skipped with it; its resources and any
other file beside it are read as plain manifests.
Files that are known not to be manifests (`Chart.yaml`, `values*.yaml`, compose files, `.git`)
are skipped silently when found in a directory, and read when named directly.
Kinds a cluster read could not list (refused, failed, timed out) are not reported here but by
`input-incomplete`, which names the checks they hide.

## Why it matters
Templates cannot be parsed before they are rendered; reading them would bury real findings in
parse errors, and skipping them silently would hide that they were not checked.

## Example
```
input-skipped  charts/web/templates:1  Helm chart templates are not plain manifests
input-skipped  overlays/prod:1  kustomize configuration, not Kubernetes objects (2 files: ...)
```

## Fix
Render the chart with the values you deploy and scan the output:
`helm template web charts/web -f values-prod.yaml | mcp-diag scan --target-version 1.32 -`.
Build a kustomization the same way: `kubectl kustomize overlays/prod | mcp-diag scan -`.
"#,
};
