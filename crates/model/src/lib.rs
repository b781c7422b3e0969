//! The shared vocabulary of mcp-diag: versions, objects, inventories and findings.
//!
//! This crate does no I/O. Sources produce an [`Inventory`]; checks read it and return
//! [`Finding`]s; renderers turn findings into reports.

pub mod coverage;
mod date;
pub mod evidence;
mod finding;
mod inventory;
mod json;
mod node;
mod plural;
mod source_kind;
pub mod text;
pub mod time;
mod tree;
mod version;

pub use coverage::{Coverage, KindRead, Known, ReadGap, ReadState};
pub use date::Date;
pub use finding::{Finding, Location, ObjectRef, Severity, SeverityParseError};
pub use inventory::{ClusterInfo, Inventory, LAST_APPLIED, ManagedWrite, Object, RequestedApi};
pub use json::{JsonError, parse_json_list_items, parse_json_value};
pub use node::{BuildError, Builder, Doc, Map, MapIter, Node, Seq, SeqIter, Value, View, name_in_use};
pub use plural::{Count, noun, plural};
pub use source_kind::SourceKind;
pub use tree::{INLINE_TEXT, Key, Tree, key, key_from_string};
pub use version::{KubeVersion, Minor, VersionParseError};
