//! What a source read of each kind: all of it, part of it, or nothing, and why.
//!
//! A tool that moves nodes must not read "no pods on this node" out of a pods list that
//! failed. Sources that know what they asked for (live reads, snapshots written by
//! `mcp-diag snapshot`) record it here; checks and the planner ask [`Coverage::of`] before
//! they treat a missing object as absent.

use serde::{Deserialize, Serialize};

/// How much of one kind was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadState {
    /// Every object of the kind is in the inventory (possibly none).
    Complete,
    /// Some objects were read, then the read stopped.
    Partial,
    /// Nothing was read.
    Missing,
}

/// Why a kind was not read completely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadGap {
    /// The identity may not list it (HTTP 403).
    Denied,
    /// The credentials were rejected (HTTP 401), typically expired mid-read.
    Unauthorized,
    /// The server kept answering 429.
    Throttled,
    /// The server answered errors or dropped the connection.
    Failed,
    /// The list did not finish within its deadline.
    TimedOut,
    /// The answer could not be parsed.
    Invalid,
    /// The server does not serve the kind. Nothing is hidden: there is nothing to read.
    NotServed,
    /// The input names objects of this kind (owner references, selectors) that it does not
    /// hold: an export that left the kind out.
    NotInInput,
}

impl ReadGap {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Denied => "denied",
            Self::Unauthorized => "unauthorized",
            Self::Throttled => "throttled",
            Self::Failed => "failed",
            Self::TimedOut => "timed-out",
            Self::Invalid => "invalid",
            Self::NotServed => "not-served",
            Self::NotInInput => "not-in-input",
        }
    }
}

/// The read of one kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindRead {
    /// The API group; `""` for the core group.
    #[serde(default)]
    pub group: String,
    pub kind: String,
    pub state: ReadState,
    /// Why the read is not complete; `None` when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ReadGap>,
    /// What happened, in words: `HTTP 500 Internal Server Error after 3 attempts`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// Objects read.
    #[serde(default)]
    pub objects: usize,
}

impl KindRead {
    pub fn complete(group: &str, kind: &str, objects: usize) -> Self {
        Self {
            group: group.to_owned(),
            kind: kind.to_owned(),
            state: ReadState::Complete,
            reason: None,
            detail: String::new(),
            objects,
        }
    }

    /// A read that stopped: `Partial` when some objects came, else `Missing`.
    pub fn gap(group: &str, kind: &str, reason: ReadGap, detail: impl Into<String>, objects: usize) -> Self {
        Self {
            group: group.to_owned(),
            kind: kind.to_owned(),
            state: if objects > 0 {
                ReadState::Partial
            } else {
                ReadState::Missing
            },
            reason: Some(reason),
            detail: detail.into(),
            objects,
        }
    }

    /// `Deployment.apps`, `Pod`: how messages name the kind.
    pub fn display(&self) -> String {
        display_kind(&self.group, &self.kind)
    }

    /// Whether objects of the kind may be missing from the inventory. A kind the server does
    /// not serve hides nothing.
    pub fn hides_objects(&self) -> bool {
        self.state != ReadState::Complete && self.reason != Some(ReadGap::NotServed)
    }
}

/// `Kind` for the core group, else `Kind.group`, as `kubectl api-resources` names them.
pub fn display_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}.{group}")
    }
}

/// What one source read, kind by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Whether the source recorded what it read. Manifests, and snapshots not written by
    /// `mcp-diag snapshot` (a `kubectl get -o yaml` export), record nothing: what they hold is
    /// all that is known, and consumers infer gaps from references (see [`Known::Unrecorded`]).
    pub recorded: bool,
    /// Sorted by group, then kind; one entry per kind.
    pub kinds: Vec<KindRead>,
}

/// What is known about whether every object of a kind is in the inventory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Known<'a> {
    /// Read completely, or not served: an absent object is absent.
    Complete,
    /// Not read, or read in part: an absent object may exist.
    Incomplete(&'a KindRead),
    /// The source did not record what it read, or did not ask for this kind. Whatever
    /// the input holds is all there is to go on; say `unknown` rather than "absent" when
    /// the verdict depends on it.
    Unrecorded,
}

impl Known<'_> {
    /// Whether an absent object may be taken as absent.
    pub fn is_complete(self) -> bool {
        matches!(self, Self::Complete)
    }
}

impl Coverage {
    /// A source that records what it reads, with nothing read yet.
    pub fn recorded() -> Self {
        Self {
            recorded: true,
            kinds: Vec::new(),
        }
    }

    /// Records the read of a kind; a later entry for the same kind replaces the earlier one.
    pub fn record(&mut self, read: KindRead) {
        match self.kinds.binary_search_by(|k| {
            (k.group.as_str(), k.kind.as_str()).cmp(&(read.group.as_str(), read.kind.as_str()))
        }) {
            Ok(i) => self.kinds[i] = read,
            Err(i) => self.kinds.insert(i, read),
        }
    }

    pub fn of(&self, group: &str, kind: &str) -> Known<'_> {
        match self
            .kinds
            .binary_search_by(|k| (k.group.as_str(), k.kind.as_str()).cmp(&(group, kind)))
        {
            Ok(i) if self.kinds[i].hides_objects() => Known::Incomplete(&self.kinds[i]),
            Ok(_) => Known::Complete,
            Err(_) => Known::Unrecorded,
        }
    }

    /// What a consumer may assume about a kind of an inventory read from `source`, given
    /// whether the input holds any object of it (`present`). Recorded reads answer for
    /// themselves. Without a record, manifests are the whole input by definition, and a
    /// cluster export that holds one object of a kind was exported with that kind
    /// (`kubectl get pods -A` brings every pod); an export without any is [`Known::Unrecorded`]:
    /// the kind may simply have been left out.
    pub fn judge(&self, source: crate::SourceKind, group: &str, kind: &str, present: bool) -> Known<'_> {
        match self.of(group, kind) {
            Known::Unrecorded if source == crate::SourceKind::Manifests || present => Known::Complete,
            known => known,
        }
    }

    /// The kinds whose objects may be missing, in order.
    pub fn gaps(&self) -> impl Iterator<Item = &KindRead> {
        self.kinds.iter().filter(|k| k.hides_objects())
    }

    /// Whether nothing is known to be missing.
    pub fn is_complete(&self) -> bool {
        self.gaps().next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_answers_by_group_and_kind() {
        let mut c = Coverage::recorded();
        c.record(KindRead::complete("", "Node", 3));
        c.record(KindRead::gap("", "Pod", ReadGap::Failed, "HTTP 500", 0));
        c.record(KindRead::gap(
            "apps",
            "ReplicaSet",
            ReadGap::TimedOut,
            "after 30 s",
            120,
        ));
        c.record(KindRead::gap(
            "metrics.k8s.io",
            "NodeMetrics",
            ReadGap::NotServed,
            "",
            0,
        ));
        assert!(c.of("", "Node").is_complete());
        assert!(
            c.of("metrics.k8s.io", "NodeMetrics").is_complete(),
            "not served hides nothing"
        );
        match c.of("", "Pod") {
            Known::Incomplete(k) => {
                assert_eq!((k.state, k.reason), (ReadState::Missing, Some(ReadGap::Failed)))
            }
            other => panic!("{other:?}"),
        }
        match c.of("apps", "ReplicaSet") {
            Known::Incomplete(k) => assert_eq!(k.state, ReadState::Partial),
            other => panic!("{other:?}"),
        }
        assert_eq!(c.of("apps", "Deployment"), Known::Unrecorded);
        assert_eq!(
            c.of("", "ReplicaSet"),
            Known::Unrecorded,
            "the group is part of the key"
        );
        let gaps: Vec<String> = c.gaps().map(KindRead::display).collect();
        assert_eq!(gaps, ["Pod", "ReplicaSet.apps"]);
        assert!(!c.is_complete());
    }

    #[test]
    fn unrecorded_exports_are_complete_only_for_kinds_they_hold() {
        use crate::SourceKind::{Live, Manifests, Snapshot};
        let unrecorded = Coverage::default();
        assert!(unrecorded.judge(Manifests, "", "Pod", false).is_complete());
        assert!(unrecorded.judge(Snapshot, "", "Pod", true).is_complete());
        assert_eq!(unrecorded.judge(Snapshot, "", "Pod", false), Known::Unrecorded);
        let mut live = Coverage::recorded();
        live.record(KindRead::gap("", "Pod", ReadGap::Failed, "HTTP 500", 3));
        assert!(
            !live.judge(Live, "", "Pod", true).is_complete(),
            "a recorded gap wins over the objects that did arrive"
        );
    }

    #[test]
    fn serializes_as_the_report_shows_it() {
        let mut c = Coverage::recorded();
        c.record(KindRead::gap(
            "",
            "Pod",
            ReadGap::TimedOut,
            "no answer in 30 s",
            0,
        ));
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"recorded": true, "kinds": [
                {"group": "", "kind": "Pod", "state": "missing", "reason": "timed-out",
                 "detail": "no answer in 30 s", "objects": 0}]})
        );
        let back: Coverage = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
        for gap in [
            ReadGap::Denied,
            ReadGap::Unauthorized,
            ReadGap::Throttled,
            ReadGap::Failed,
            ReadGap::TimedOut,
            ReadGap::Invalid,
            ReadGap::NotServed,
            ReadGap::NotInInput,
        ] {
            assert_eq!(serde_json::to_value(gap).unwrap(), gap.as_str());
        }
    }
}
