//! The kind of input an inventory comes from, in a module of its own: both the inventory and
//! its coverage (which judges kinds differently per source) name it.

use serde::Serialize;

/// What kind of input an inventory was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Manifests,
    Snapshot,
    Live,
}
