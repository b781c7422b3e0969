use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// How bad a finding is. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    /// The upgrade will fail or break workloads.
    Blocker,
}

impl Severity {
    /// Most severe first, the order reports use.
    pub const DESCENDING: [Self; 5] = [Self::Blocker, Self::High, Self::Medium, Self::Low, Self::Info];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Blocker => "blocker",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeverityParseError(pub String);

impl fmt::Display for SeverityParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown severity {:?}: use one of blocker, high, medium, low, info",
            self.0
        )
    }
}

impl std::error::Error for SeverityParseError {}

impl FromStr for Severity {
    type Err = SeverityParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "info" => Self::Info,
            "low" => Self::Low,
            "medium" => Self::Medium,
            "high" => Self::High,
            "blocker" => Self::Blocker,
            _ => return Err(SeverityParseError(s.to_owned())),
        })
    }
}

/// Which object a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.kind)?;
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        write!(
            f,
            "{} ({})",
            if self.name.is_empty() {
                "<unnamed>"
            } else {
                &self.name
            },
            self.api_version
        )
    }
}

/// Where in the input something was found. Lines and columns count from 1.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// The template a rendered document came from (`# Source:` in `helm template` output).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

impl Location {
    pub fn new(file: impl Into<String>, line: u64) -> Self {
        Self {
            file: file.into(),
            line,
            column: None,
            template: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        if let Some(template) = &self.template {
            write!(f, " ({template})")?;
        }
        Ok(())
    }
}

/// One thing a check found. The JSON form is part of the report contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The stable id of the check, such as `api-removed`.
    pub check: &'static str,
    pub severity: Severity,
    pub title: String,
    pub object: Option<ObjectRef>,
    pub location: Option<Location>,
    pub message: String,
    pub remediation: String,
    /// Where the evidence came from: `manifest`, `stored object`, `last-applied annotation`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<&'static str>,
    /// Machine-readable facts behind the message, such as `removed_in` and `replacement`.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub details: std::collections::BTreeMap<&'static str, String>,
}

impl Finding {
    /// Report order: most severe first, then by place, then by object.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.severity),
            self.check,
            &self.location,
            &self.object,
            &self.message,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_order_and_parse() {
        assert!(Severity::Blocker > Severity::High);
        assert!(Severity::Info < Severity::Low);
        for s in Severity::DESCENDING {
            assert_eq!(s.as_str().parse::<Severity>().unwrap(), s);
        }
        assert!("critical".parse::<Severity>().is_err());
    }

    #[test]
    fn object_ref_display() {
        let o = ObjectRef {
            api_version: "policy/v1beta1".into(),
            kind: "PodDisruptionBudget".into(),
            namespace: Some("shop".into()),
            name: "web".into(),
        };
        assert_eq!(o.to_string(), "PodDisruptionBudget shop/web (policy/v1beta1)");
    }
}
