use mcp_diag_model::{Finding, Minor, Severity};
use serde::Deserialize;

pub use crate::version_range::VersionRange;
use crate::{Check, Context};

/// Kept here too: the registry reads it from its own module.
pub use super::user_rule_info::INFO;

/// One rule from a `--rules` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRule {
    /// The check id findings carry (kebab-case, distinct from built-in ids).
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
    pub remediation: String,
    pub component: String,
    pub version: VersionRange,
    pub kubernetes: VersionRange,
}

/// A parsed rules file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserRules {
    pub rules: Vec<UserRule>,
}

/// Why a rules file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct UserRulesError {
    pub path: String,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    severity: String,
    message: String,
    #[serde(default)]
    remediation: Option<String>,
    when: RawWhen,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    component: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    kubernetes: Option<String>,
}

impl UserRules {
    /// Reads and validates a rules file.
    pub fn load(path: &std::path::Path) -> Result<Self, UserRulesError> {
        let err = |reason: String| UserRulesError {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        Self::parse(&text).map_err(err)
    }

    /// Parses and validates the text of a rules file.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw: RawFile = serde_saphyr::from_str(text).map_err(|e| {
            format!(
                "invalid rules file: {}",
                e.to_string().lines().next().unwrap_or_default()
            )
        })?;
        let mut rules = Vec::with_capacity(raw.rules.len());
        for (index, r) in raw.rules.into_iter().enumerate() {
            let at = |what: String| format!("rule {} ({}): {what}", index + 1, r.id);
            if r.id.is_empty()
                || !r
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(at("the id must be kebab-case (a-z, 0-9, -)".to_owned()));
            }
            if crate::check_info(&r.id).is_some() {
                return Err(at("the id is a built-in check id; choose another".to_owned()));
            }
            if rules.iter().any(|u: &UserRule| u.id == r.id) {
                return Err(at("the id is used twice".to_owned()));
            }
            let severity: Severity = r.severity.parse().map_err(|e| at(format!("{e}")))?;
            let known = crate::components::known_names();
            let component = r.when.component.to_ascii_lowercase();
            if component != "kubernetes" && !known.contains(&component.as_str()) {
                return Err(at(format!(
                    "unknown component {:?}; known: kubernetes, {}",
                    r.when.component,
                    known.join(", ")
                )));
            }
            let range =
                |text: Option<&str>| text.map_or_else(|| Ok(VersionRange::any()), VersionRange::parse);
            let version = range(r.when.version.as_deref()).map_err(&at)?;
            let kubernetes = range(r.when.kubernetes.as_deref()).map_err(&at)?;
            rules.push(UserRule {
                // Rules are loaded once per run; their ids live as long as the findings.
                id: Box::leak(r.id.into_boxed_str()),
                severity,
                message: r.message,
                remediation: r
                    .remediation
                    .unwrap_or_else(|| "Follow your organisation's runbook for this rule.".into()),
                component,
                version,
                kubernetes,
            });
        }
        Ok(Self { rules })
    }
}

pub struct UserRulesCheck;

impl Check for UserRulesCheck {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        // The Kubernetes versions the cluster runs during the upgrade: now, then each hop.
        let mut path: Vec<Minor> = ctx.current.into_iter().collect();
        path.extend(ctx.hops());
        for rule in ctx.rules {
            let Some(hop) = path.iter().copied().find(|m| rule.kubernetes.contains_minor(*m)) else {
                continue;
            };
            if rule.component == "kubernetes" {
                findings.push(finding(rule, hop, None, format!("Kubernetes {hop}")));
                continue;
            }
            let mut seen = Vec::new();
            for c in ctx.components.iter().filter(|c| c.name == rule.component) {
                let Some(version) = &c.version else { continue };
                if !rule.version.contains_version(version) || seen.contains(&c.raw) {
                    continue;
                }
                seen.push(c.raw.clone());
                findings.push(finding(
                    rule,
                    hop,
                    Some(c),
                    format!("{} {} ({})", c.name, c.raw, c.evidence()),
                ));
            }
        }
        findings
    }
}

fn finding(rule: &UserRule, hop: Minor, component: Option<&crate::Component<'_>>, what: String) -> Finding {
    let mut details = std::collections::BTreeMap::new();
    details.insert("kubernetes", hop.to_string());
    details.insert("rule_version_range", rule.version.to_string());
    details.insert("rule_kubernetes_range", rule.kubernetes.to_string());
    // Reported under the rule's own id and severity.
    INFO.finding()
        .check(rule.id)
        .severity(rule.severity)
        .object(component.and_then(crate::Component::object_ref))
        .location(component.and_then(crate::Component::location))
        .title(format!("Organisation rule {}", rule.id))
        .message(format!(
            "{} (matched: {what}, Kubernetes {hop}).",
            rule.message.trim_end_matches('.'),
        ))
        .fix(rule.remediation.clone())
        .evidence("rules file")
        .details(details)
        .build()
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::SourceKind;

    use super::*;
    use crate::Settings;
    use crate::rules::test_support::{TODAY, inventory};

    const CALICO_325: &str = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: calico-node, namespace: calico-system}\nspec:\n  template:\n    spec:\n      containers:\n      - name: calico-node\n        image: docker.io/calico/node:v3.25.2\n";

    const RULES: &str = r#"
rules:
  - id: calico-startup-race
    severity: high
    message: "Calico 3.25 with Kubernetes 1.27: CNI start-up race"
    remediation: "Upgrade Calico first."
    when: {component: calico, version: ">=3.25, <3.26", kubernetes: "1.27"}
"#;

    fn run(rules: &str, target: Minor, current: Option<Minor>) -> Vec<Finding> {
        let rules = UserRules::parse(rules).unwrap();
        let inv = inventory(CALICO_325, SourceKind::Snapshot);
        crate::run_all(
            &inv,
            &Settings {
                target,
                current,
                today: TODAY,
                rules: &rules.rules,
                options: &crate::rules::test_support::options(),
            },
        )
        .into_iter()
        .filter(|f| f.evidence == Some("rules file"))
        .collect()
    }

    #[test]
    fn matches_component_and_hop() {
        let f = run(RULES, Minor::new(1, 28), Some(Minor::new(1, 26)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].check, "calico-startup-race");
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].message.contains("calico v3.25.2"), "{}", f[0].message);
        assert_eq!(f[0].details["kubernetes"], "1.27");
        // Nearest negatives: a path that does not pass 1.27, and Calico 3.26.
        assert!(run(RULES, Minor::new(1, 30), Some(Minor::new(1, 28))).is_empty());
        assert!(
            run(
                &RULES.replace("<3.26", "<3.25.2"),
                Minor::new(1, 28),
                Some(Minor::new(1, 26))
            )
            .is_empty()
        );
    }

    #[test]
    fn bad_rules_files_are_explained() {
        for (text, expected) in [
            (
                "rules: [{id: api-removed, severity: high, message: m, when: {component: calico}}]",
                "built-in",
            ),
            (
                "rules: [{id: Bad_Id, severity: high, message: m, when: {component: calico}}]",
                "kebab-case",
            ),
            (
                "rules: [{id: a, severity: critical, message: m, when: {component: calico}}]",
                "severity",
            ),
            (
                "rules: [{id: a, severity: high, message: m, when: {component: weave}}]",
                "unknown component",
            ),
            (
                "rules: [{id: a, severity: high, message: m, when: {component: calico, version: '>=x'}}]",
                "cannot read",
            ),
            (
                "rules: [{id: a, severity: high, message: m, when: {component: calico, kubernets: '1.27'}}]",
                "invalid rules file",
            ),
            (
                "rules: [{id: a, severity: high, message: m, when: {component: calico}}, {id: a, severity: high, message: m, when: {component: calico}}]",
                "twice",
            ),
            ("rules: [", "invalid rules file"),
        ] {
            let e = UserRules::parse(text).unwrap_err();
            assert!(e.contains(expected), "{text}: {e}");
        }
    }

    #[test]
    fn kubernetes_only_rules() {
        let rules = "rules: [{id: no-131, severity: blocker, message: 'Our ingress breaks on 1.31', when: {component: kubernetes, kubernetes: '1.31'}}]";
        let f = run(rules, Minor::new(1, 32), Some(Minor::new(1, 30)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Blocker);
    }
}
