//! The id and documentation of the user-rules check, apart from its code: the registry lists
//! every check's info, and the rules-file parser asks the registry which ids are taken, so
//! the info and the parser must not share a file.

use mcp_diag_model::Severity;

use crate::CheckInfo;

pub static INFO: CheckInfo = CheckInfo {
    id: "user-rule",
    severity: Severity::High,
    title: "An organisation rule from --rules matched",
    doc: r#"## What it checks
Risky combinations an organisation knows from its own incidents and that no public table
lists, written in a rules file given with `--rules FILE`. A rule matches when a component
found in the cluster (from container images or `cluster.yaml`) is in a version range and the
Kubernetes version of a hop of the upgrade is in another; the finding carries the rule's own
id, severity and message. The format is in `docs/rules.md`.

## Why it matters
The worst upgrade surprises are often known somewhere in the company (a post-mortem, a
runbook) but not in any scanner. Writing them down as rules makes every later upgrade check
for them automatically.

## Example
```yaml
rules:
  - id: calico-startup-race
    severity: high
    message: "Calico 3.25 with Kubernetes 1.27: CNI start-up race; upgrade Calico first"
    remediation: "Upgrade Calico to 3.26 or later before the control plane."
    when:
      component: calico
      version: ">=3.25, <3.26"
      kubernetes: ">=1.27, <1.28"
```

## Fix
What the rule's `remediation` says.
"#,
};
