//! What the simulated kubelets keep in the cluster's [`State`](crate::store::State): the
//! faults set per node and the upgrades in flight. Apart from `kubelet` (which acts on it),
//! so that the store and the application model can hold and read it without importing the
//! kubelet simulation.

use std::collections::BTreeMap;
use std::fmt;

// (namespace, name) of a Job, as `store::ObjKey`, spelled out: the store holds this state,
// so this module does not import the store.
type ObjKey = (String, String);

/// What goes wrong when a node is upgraded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeFault {
    /// The action fails at once: the control endpoint answers 500, the Job fails, the label
    /// does nothing. The node is not touched.
    Fail,
    /// The action never ends: the control endpoint never answers, the Job stays active, the
    /// label does nothing. The node is not touched.
    Hang,
    /// The node goes NotReady and never comes back.
    NeverReady,
    /// The node comes back Ready reporting this kubelet version instead of the one asked for.
    WrongVersion(String),
}

impl NodeFault {
    /// Reads `fail`, `hang`, `never-ready` or `wrong-version=v1.31.4`.
    pub fn parse(text: &str) -> Result<NodeFault, String> {
        let t = text.trim();
        match t {
            "fail" => Ok(Self::Fail),
            "hang" => Ok(Self::Hang),
            "never-ready" => Ok(Self::NeverReady),
            _ => match t.split_once('=') {
                Some(("wrong-version", v)) => Ok(Self::WrongVersion(normalize_version(v)?)),
                _ => Err(format!(
                    "unknown node fault {t:?}; the faults are: fail, hang, never-ready, wrong-version=vX.Y.Z"
                )),
            },
        }
    }
}

impl fmt::Display for NodeFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fail => f.write_str("fail"),
            Self::Hang => f.write_str("hang"),
            Self::NeverReady => f.write_str("never-ready"),
            Self::WrongVersion(v) => write!(f, "wrong-version={v}"),
        }
    }
}

/// `v1.32.0` from `v1.32.0` or `1.32.0`; a suffix such as `-eks-1` or `+k3s1` is kept.
pub fn normalize_version(text: &str) -> Result<String, String> {
    let t = text.trim();
    let bare = t.strip_prefix('v').unwrap_or(t);
    let end = bare.find(['-', '+']).unwrap_or(bare.len());
    let (core, suffix) = bare.split_at(end);
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |p: &str| !p.is_empty() && p.len() <= 6 && p.chars().all(|c| c.is_ascii_digit());
    let suffix_ok = suffix.is_empty()
        || (suffix.len() > 1
            && suffix[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+')));
    if parts.len() == 3 && parts.iter().all(|p| numeric(p)) && suffix_ok {
        Ok(format!("v{bare}"))
    } else {
        Err(format!(
            "{t:?} is not a kubelet version: write vMAJOR.MINOR.PATCH, such as v1.32.0"
        ))
    }
}

/// `1.32` from `v1.32.0-eks-1`; `None` when the text is no version.
pub(crate) fn minor_of(version: &str) -> Option<String> {
    let bare = version.trim().strip_prefix('v').unwrap_or(version.trim());
    let mut it = bare.split('.');
    let major = it
        .next()
        .filter(|m| m.chars().all(|c| c.is_ascii_digit()) && !m.is_empty())?;
    let minor: String = it.next()?.chars().take_while(char::is_ascii_digit).collect();
    (!minor.is_empty()).then(|| format!("{major}.{minor}"))
}

/// One upgrade in flight.
#[derive(Debug)]
pub(crate) struct Flight {
    pub(crate) version: String,
    /// Distinguishes this flight from a later one on the same node (a rollback mid-flight).
    pub(crate) generation: u64,
    /// Jobs (namespace, name) that succeed when the node is back.
    pub(crate) jobs: Vec<ObjKey>,
    /// A timer will bring the node back (false for a node that never comes back).
    pub(crate) returning: bool,
}

/// Every kubelet's bookkeeping; lives in [`State`], under its lock.
#[derive(Debug, Default)]
pub(crate) struct Kubelets {
    pub faults: BTreeMap<String, NodeFault>,
    pub(crate) flights: BTreeMap<String, Flight>,
    pub(crate) upgrades: BTreeMap<String, u32>,
    pub(crate) generation: u64,
}

impl Kubelets {
    pub fn in_flight(&self, node: &str) -> Option<&str> {
        self.flights.get(node).map(|f| f.version.as_str())
    }
}
