//! What users declare about services: the config's `services:` section and the
//! `mcp-diag.io/service` / `mcp-diag.io/depends-on` annotations (same shape).

use std::collections::BTreeMap;

use serde::Serialize;

/// The config's `services:` section, validated. Keys are `NS/NAME` or `NAME`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Declared {
    pub services: BTreeMap<String, DeclaredService>,
}

/// One service's declaration.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DeclaredService {
    /// Overrides the version read from the label or image tag.
    pub version: Option<String>,
    /// API versions this service serves at its running version (`[v1, v2]`).
    pub provides_api: Vec<String>,
    /// The protocol it serves (`grpc`, `http`), when declared.
    pub provides_protocol: Option<String>,
    /// Provider name (`NS/NAME` or `NAME` in the same namespace) -> what is required of it.
    pub requires: BTreeMap<String, Requirement>,
    /// The version the upgrade moves it to, and what given versions provide (`releases`).
    pub upgrade_to: Option<String>,
    pub releases: BTreeMap<String, Vec<String>>,
}

/// What a consumer requires of a provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// A constraint on the provider's API versions (`>=v2`, `v1`).
    pub api: Option<String>,
    /// A constraint on the provider's running version (`>=2.0`, `^1.4`).
    pub version: Option<String>,
    /// The protocol the consumer speaks to it (`grpc`, `http`).
    pub protocol: Option<String>,
}
