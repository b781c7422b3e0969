//! The one way rules build their findings: `INFO.about(object)` (or `INFO.finding()` for a
//! finding about no object), then the words and facts, then `.build()`. The check id and
//! its default severity come from the [`CheckInfo`], the object reference and the file and
//! line from the object, so a rule only says what it decided and in which words.

use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Location, Object, ObjectRef, Severity};

use crate::CheckInfo;

impl CheckInfo {
    /// A finding of this check about no object (the cluster, the input, a version), at the
    /// check's severity.
    pub fn finding(&'static self) -> FindingBuilder {
        FindingBuilder {
            finding: Finding {
                check: self.id,
                severity: self.severity,
                title: String::new(),
                object: None,
                location: None,
                message: String::new(),
                remediation: String::new(),
                evidence: None,
                details: BTreeMap::new(),
            },
        }
    }

    /// A finding of this check about `object`: its reference, and its file and line when it
    /// came from a manifest.
    pub fn about(&'static self, object: &Object) -> FindingBuilder {
        self.finding().about(object)
    }

    /// [`CheckInfo::about`] when there is an object, [`CheckInfo::finding`] otherwise.
    pub fn about_maybe(&'static self, object: Option<&Object>) -> FindingBuilder {
        match object {
            Some(object) => self.about(object),
            None => self.finding(),
        }
    }
}

/// A [`Finding`] being filled in; see the module documentation.
#[derive(Clone, Debug)]
#[must_use = "a finding is only reported once built"]
pub struct FindingBuilder {
    finding: Finding,
}

impl FindingBuilder {
    /// The object the finding is about, and its place in the input.
    pub fn about(mut self, object: &Object) -> Self {
        self.finding.object = Some(object.object_ref());
        self.finding.location = object.location.clone();
        self
    }

    /// Names another reference than the object's own (such as the API version a manifest
    /// used), keeping the place set by [`FindingBuilder::about`].
    pub fn object(mut self, object: Option<ObjectRef>) -> Self {
        self.finding.object = object;
        self
    }

    /// Names the object with the apiVersion the input used for it (a manifest, a
    /// last-applied annotation, a client's write), rather than the one it is stored at.
    pub fn api_version(mut self, api_version: &str) -> Self {
        if let Some(object) = &mut self.finding.object {
            object.api_version = api_version.to_owned();
        }
        self
    }

    /// The place in the input, when it is not the object's own.
    pub fn location(mut self, location: Option<Location>) -> Self {
        self.finding.location = location;
        self
    }

    /// Another severity than the check's default.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.finding.severity = severity;
        self
    }

    /// Reports under another check's id (a custom resource reported as `api-removed`).
    pub fn check(mut self, id: &'static str) -> Self {
        self.finding.check = id;
        self
    }

    /// An `info` finding titled `title`: what the check could not judge, or does not
    /// check, said so that nobody takes its silence for a pass.
    pub fn notice(self, title: impl Into<String>) -> Self {
        self.severity(Severity::Info).title(title)
    }

    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.finding.title = title.into();
        self
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.finding.message = message.into();
        self
    }

    /// Title, message and fix at once, for rules that choose their words in one `match`.
    pub fn words(self, title: impl Into<String>, message: impl Into<String>, fix: impl Into<String>) -> Self {
        self.title(title).message(message).fix(fix)
    }

    /// What to do about it.
    pub fn fix(mut self, remediation: impl Into<String>) -> Self {
        self.finding.remediation = remediation.into();
        self
    }

    /// Where the evidence came from (`manifest`, `stored object`, ...); most rules leave it
    /// to [`mcp_diag_model::evidence::classify`].
    pub fn evidence(mut self, evidence: impl Into<Option<&'static str>>) -> Self {
        self.finding.evidence = evidence.into();
        self
    }

    /// One machine-readable fact behind the message, in its display form.
    pub fn detail(mut self, key: &'static str, value: impl std::fmt::Display) -> Self {
        self.finding.details.insert(key, value.to_string());
        self
    }

    /// A fact that is not always known: nothing when `value` is `None`.
    pub fn maybe_detail(self, key: &'static str, value: Option<impl std::fmt::Display>) -> Self {
        match value {
            Some(value) => self.detail(key, value),
            None => self,
        }
    }

    /// Facts behind the message, added to those given before.
    pub fn details(mut self, details: impl IntoIterator<Item = (&'static str, String)>) -> Self {
        self.finding.details.extend(details);
        self
    }

    pub fn build(self) -> Finding {
        self.finding
    }
}

impl From<FindingBuilder> for Finding {
    fn from(builder: FindingBuilder) -> Self {
        builder.build()
    }
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::Severity;

    use super::*;

    static INFO: CheckInfo = CheckInfo {
        id: "test-check",
        severity: Severity::Medium,
        title: "A check for the builder's tests",
        doc: "",
    };

    fn object() -> Object {
        let yaml =
            "# a comment\n\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n";
        let parsed = mcp_diag_sources::parse_bytes("web.yaml", yaml.as_bytes());
        parsed
            .objects
            .into_iter()
            .next()
            .expect("the manifest holds one object")
    }

    #[test]
    fn a_finding_about_an_object_takes_its_reference_and_place_and_the_check_defaults() {
        let web = object();
        let f = INFO
            .about(&web)
            .title("t")
            .message("m")
            .fix("r")
            .detail("b", 2)
            .maybe_detail("c", None::<u8>)
            .details(BTreeMap::from([("a", "1".to_owned())]))
            .build();
        assert_eq!(f.check, "test-check");
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(f.object, Some(web.object_ref()));
        assert_eq!(f.location.as_ref().map(|l| l.line), Some(3));
        assert_eq!(
            (f.title.as_str(), f.message.as_str(), f.remediation.as_str()),
            ("t", "m", "r")
        );
        assert_eq!(f.details.keys().copied().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(f.evidence, None);
    }

    #[test]
    fn overrides_replace_the_defaults() {
        let web = object();
        let f = INFO
            .about(&web)
            .severity(Severity::Blocker)
            .check("other")
            .object(None)
            .evidence("manifest")
            .build();
        assert_eq!(
            (f.check, f.severity, f.object),
            ("other", Severity::Blocker, None)
        );
        assert!(
            f.location.is_some(),
            "the place stays when only the reference changes"
        );
        assert_eq!(f.evidence, Some("manifest"));
        let used = INFO
            .about(&web)
            .api_version("extensions/v1beta1")
            .words("t", "m", "r")
            .build();
        let expected = mcp_diag_model::ObjectRef {
            api_version: "extensions/v1beta1".into(),
            ..web.object_ref()
        };
        assert_eq!(used.object, Some(expected));
        assert_eq!(
            (
                used.title.as_str(),
                used.message.as_str(),
                used.remediation.as_str()
            ),
            ("t", "m", "r")
        );
        assert!(INFO.about_maybe(None).build().location.is_none());
        let note = INFO.finding().notice("n").build();
        assert_eq!((note.severity, note.title.as_str()), (Severity::Info, "n"));
    }
}
