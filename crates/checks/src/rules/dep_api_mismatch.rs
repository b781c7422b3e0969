use mcp_diag_model::{Finding, Severity};
use mcp_diag_services::{Edge, Graph, Node, Requirement};

use crate::constraints::{api_meets, version_meets};
use crate::deps::{Objects, caller_name, caller_ref, calls, evidence_words, node_name, pair_details};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "dep-api-mismatch",
    severity: Severity::Blocker,
    title: "Declared API or version requirement the provider does not meet",
    doc: r#"## What it checks
Declared requirements of a consumer on a provider (the config's `services:` section or the
`mcp-diag.io/service` annotation: `requires: {profile-svc: {api: ">=v2", version: "^1.4"}}`)
against what the provider provides:
- `api`: a constraint on API versions (`v1`, `>=v2`, `>=v1beta1`, `<v3`, several joined by
  commas), met when one of the provider's `provides.api` versions satisfies it. API versions are
  ordered as Kubernetes orders them: v1alpha1 < v1beta1 < v1 < v2alpha1 < v2beta1 < v2.
- `version`: a constraint on the provider's running version (`>=2.0`, `^1.4`, `~1.2`, `<3`,
  `1.2.3`, `*`; comma or space = and, `||` = or), the version from the declaration, else the
  `app.kubernetes.io/version` label, else the image tag.

Blocker when the running versions already break a requirement. High when they meet it but the
provider's declared `upgrade_to` version breaks it (its API set from `releases`): a hop of the
upgrade would. When the provider's version or its provided APIs are unknown, nothing is
claimed (the dependency table of `scan --target-service` says `unknown`).

## Why it matters
A consumer that needs v2 of an API while the provider serves only v1 fails on every call that
uses v2; an upgrade that moves the provider past what its consumers speak breaks them in the
middle of the rollout. Upgrade the provider before its consumers, and never past what they
need.

## Example
`shop/user-auth` 2.1.0 declares `requires: {profile-svc: {api: ">=v2"}}`; `shop/profile-svc`
runs 1.9.4, which declares `provides: {api: [v1]}`.

## Fix
Upgrade the provider to a version that serves the required API first (providers before
consumers: `mcp-diag graph --order`), or roll the consumer back to a version that speaks
what the provider serves; correct the declaration if it is wrong.
"#,
};

pub struct DepApiMismatch;

impl Check for DepApiMismatch {
    info_from!(INFO, reads_graph);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let graph = ctx.graph;
        if !graph.edges.iter().any(|e| e.requirement.is_some()) {
            return Vec::new();
        }
        let objects = Objects::build(ctx);
        let mut out = Vec::new();
        for edge in calls(graph) {
            let Some(req) = &edge.requirement else {
                continue;
            };
            let to = graph.node(edge.to);
            let Verdict::Broken(broken) = judge(req, to) else {
                continue;
            };
            out.push(finding(&objects, graph, edge, to, &broken));
        }
        out
    }
}

/// What a requirement meets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Met now and after the provider's upgrade (or no upgrade declared).
    Met,
    /// Cannot tell: the provider's version or APIs are unknown, or a constraint does not
    /// parse (in words).
    Unknown(String),
    Broken(Broken),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// `None`: the running version breaks it; `Some(v)`: the upgrade to `v` would.
    pub at_upgrade: Option<String>,
    /// What is required and what is provided, in words.
    pub what: String,
}

/// The provider's running version: declared, else found in the cluster.
fn running_version(to: &Node) -> Option<&str> {
    to.declared
        .as_ref()
        .and_then(|d| d.version.as_deref())
        .or(to.version.as_deref())
}

/// Judges a requirement against the provider now and at its declared upgrade.
pub fn judge(req: &Requirement, to: &Node) -> Verdict {
    let declared = to.declared.as_deref().cloned().unwrap_or_default();
    let version = running_version(to);
    let mut unknown = Vec::new();
    // Now.
    if let Some(api) = &req.api {
        match api_meets(api, &declared.provides_api) {
            Some(true) => {}
            Some(false) => {
                return Verdict::Broken(Broken {
                    at_upgrade: None,
                    what: format!(
                        "api {api} required; {} {} provides {}",
                        node_name(to),
                        version.unwrap_or("(version unknown)"),
                        declared.provides_api.join(", ")
                    ),
                });
            }
            None => unknown.push(if declared.provides_api.is_empty() {
                format!("the APIs {} provides are not declared", node_name(to))
            } else {
                format!("cannot read the API constraint {api:?}")
            }),
        }
    }
    if let Some(constraint) = &req.version {
        match version.map(|v| version_meets(constraint, v)) {
            Some(Some(true)) => {}
            Some(Some(false)) => {
                return Verdict::Broken(Broken {
                    at_upgrade: None,
                    what: format!(
                        "version {constraint} required; {} runs {}",
                        node_name(to),
                        version.unwrap_or_default()
                    ),
                });
            }
            Some(None) => unknown.push(format!(
                "cannot read version {:?} against {constraint:?}",
                version.unwrap_or_default()
            )),
            None => unknown.push(format!("the running version of {} is unknown", node_name(to))),
        }
    }
    // At the provider's upgrade.
    if let Some(next) = &declared.upgrade_to {
        if let Some(api) = &req.api {
            let provided = declared.releases.get(next);
            match provided.map(|p| api_meets(api, p)) {
                Some(Some(false)) => {
                    return Verdict::Broken(Broken {
                        at_upgrade: Some(next.clone()),
                        what: format!(
                            "api {api} required; {} {next} provides {}",
                            node_name(to),
                            provided.map(|p| p.join(", ")).unwrap_or_default()
                        ),
                    });
                }
                Some(Some(true)) => {}
                _ => unknown.push(format!(
                    "the APIs {} {next} provides are not declared (releases)",
                    node_name(to)
                )),
            }
        }
        if let Some(constraint) = &req.version
            && version_meets(constraint, next) == Some(false)
        {
            return Verdict::Broken(Broken {
                at_upgrade: Some(next.clone()),
                what: format!(
                    "version {constraint} required; the upgrade moves {} to {next}",
                    node_name(to)
                ),
            });
        }
    }
    if unknown.is_empty() {
        Verdict::Met
    } else {
        Verdict::Unknown(unknown.join("; "))
    }
}

fn finding(objects: &Objects<'_>, graph: &Graph, edge: &Edge, to: &Node, broken: &Broken) -> Finding {
    let who = caller_name(graph, edge);
    let name = node_name(to);
    let mut details = pair_details(graph, edge);
    details.insert("requirement", broken.what.clone());
    let declared_where = if edge.evidence.is_empty() {
        "declared".to_owned()
    } else {
        format!("evidence: {}", evidence_words(edge))
    };
    let (severity, title, message, fix) = match &broken.at_upgrade {
        None => (
            Severity::Blocker,
            format!("{who} needs what {name} does not provide"),
            format!(
                "{who} requires of {name} what its running version does not meet: {} ({declared_where}). Its calls that need it fail now, before any upgrade.",
                broken.what
            ),
            format!(
                "Upgrade {name} to a version that provides what {who} requires before anything else (providers before consumers), or roll {who} back to a version that works with what {name} provides; correct the declaration if it is wrong."
            ),
        ),
        Some(next) => {
            details.insert("upgrade_to", next.clone());
            (
                Severity::High,
                format!("The upgrade of {name} to {next} breaks {who}"),
                format!(
                    "{who} requires of {name} what it meets now but not at {next}, the version the upgrade moves it to: {} ({declared_where}).",
                    broken.what
                ),
                format!(
                    "Upgrade {who} to a version that works with {name} {next} first, keep {name} below {next}, or have {next} keep serving what {who} needs."
                ),
            )
        }
    };
    objects
        .finding(&INFO, caller_ref(graph, edge))
        .severity(severity)
        .words(title, message, fix)
        .details(details)
        .build()
}
