//! Duplicate mapping keys in YAML (and in JSON documents read whole): read as kubectl's
//! decoder reads them (the last value wins) and reported as `input-duplicate-key`, because
//! strict field validation (kubectl's default `--validate=strict` against Kubernetes 1.27
//! and later) rejects the document.
//!
//! The general parser passes every entry through ([`serde_saphyr::DuplicateKeyPolicy::PassThrough`]);
//! the visitor here keeps one entry per key and notes each repeat. The path to a repeat is
//! put together only when there is one: each enclosing mapping or sequence adds its step to
//! the repeats found inside the value it just read, so a document without repeats pays a
//! length comparison per value. The places of keys are read only by a second reading of a
//! document that has a repeat ([`read_placed`]). The fast path gives such documents up.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;

use mcp_diag_model::{Finding, Location, Severity, Tree};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// The check id of findings about repeated mapping keys.
pub const INPUT_DUPLICATE_KEY: &str = "input-duplicate-key";

/// Mappings with more entries than this look keys up in a hash map; smaller ones compare
/// with each entry (cheaper for the few keys objects have).
const LINEAR_MAX: usize = 16;

/// One step of the path to a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A repeated key: where the repeat is (line and column in the text parsed), where the
/// first one was, and the path to the mapping holding them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Duplicate {
    pub key: String,
    pub line: u64,
    pub column: u64,
    pub first_line: u64,
    /// Innermost step first, while the reading unwinds; see [`Duplicate::path`].
    steps: Vec<Step>,
}

impl Duplicate {
    /// The path to the mapping that holds the key, as `metadata.labels` or
    /// `spec.template.spec.containers[0]`; empty for the document's top level.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for step in self.steps.iter().rev() {
            match step {
                Step::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Step::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    /// Moves the lines by `lines` and the columns by `columns` (for text that was cut out
    /// of a bigger document).
    pub fn shift(&mut self, lines: u64, columns: u64) {
        self.line += lines;
        // Zero is "not known", and stays so.
        if self.first_line > 0 {
            self.first_line += lines;
        }
        if self.column > 0 {
            self.column += columns;
        }
    }

    /// The same repeat without a place (line 1 of the document, no column, first line
    /// unknown), for readers that give none.
    pub fn unplaced(self) -> Self {
        Self {
            line: 1,
            column: 0,
            first_line: 0,
            ..self
        }
    }

    /// Adds a step in front of the path (the enclosing level).
    fn prepend(&mut self, step: Step) {
        self.steps.push(step);
    }

    /// The finding, for a repeat at its final place in `file`.
    pub fn finding(&self, file: &str) -> Finding {
        let path = self.path();
        let place = if path.is_empty() {
            "the top level of the document".to_owned()
        } else {
            path.clone()
        };
        let mut details = std::collections::BTreeMap::new();
        details.insert("key", self.key.clone());
        details.insert("path", path);
        let first = if self.first_line > 0 {
            details.insert("first_line", self.first_line.to_string());
            format!(" (first at line {})", self.first_line)
        } else {
            String::new()
        };
        Finding {
            check: INPUT_DUPLICATE_KEY,
            severity: Severity::Medium,
            title: "Duplicate key in a mapping".to_owned(),
            object: None,
            location: Some(Location {
                file: file.to_owned(),
                line: self.line,
                column: (self.column > 0).then_some(self.column),
                template: None,
            }),
            message: format!(
                "duplicate key `{}` in {place}{first}: kubectl apply --validate=strict and \
                 the API server's strict field validation (Kubernetes 1.27 and later) reject this \
                 document; other tools keep the last value, and so did this scan",
                self.key
            ),
            remediation: format!(
                "Remove one of the two `{}` entries, keeping the value you mean.",
                self.key
            ),
            evidence: Some(mcp_diag_model::evidence::INPUT),
            details,
        }
    }
}

thread_local! {
    /// Repeats found by the document being read on this thread. A document is read on one
    /// thread from start to end; [`begin`] and [`finish`] bracket it.
    static FOUND: RefCell<Vec<Duplicate>> = const { RefCell::new(Vec::new()) };
    /// Whether keys are read with their places. Reading every key's place costs the general
    /// parser about a tenth of its time, so a document is read without them, and read again
    /// with them only when it has a repeat ([`read_placed`]).
    static PLACES: Cell<bool> = const { Cell::new(false) };
}

/// Runs `read` on a text, and when the reading finds repeats without places, once more
/// with places. `read` brackets its document with [`begin`] and [`finish`] and returns the
/// repeats it found; the repeats of the second reading replace those of the first.
pub(crate) fn read_placed<T, E>(
    mut read: impl FnMut() -> Result<T, E>,
    duplicates: impl Fn(&mut T) -> Option<&mut Vec<Duplicate>>,
) -> Result<T, E> {
    let mut first = read()?;
    if duplicates(&mut first).is_none_or(|d| d.is_empty()) || PLACES.with(Cell::get) {
        return Ok(first);
    }
    PLACES.with(|p| p.set(true));
    let second = read();
    PLACES.with(|p| p.set(false));
    // The same text gives the same repeats; only their places are new.
    match second {
        Ok(mut second) => {
            if let (Some(a), Some(b)) = (duplicates(&mut first), duplicates(&mut second)) {
                std::mem::swap(a, b);
            }
        }
        // Not expected (the same text read again); the repeats are still reported.
        Err(_) => {
            if let Some(found) = duplicates(&mut first) {
                for d in found.iter_mut() {
                    *d = d.clone().unplaced();
                }
            }
        }
    }
    Ok(first)
}

fn found_len() -> usize {
    FOUND.with(|f| f.borrow().len())
}

/// Adds `step` to the repeats found since `since` (they were inside the value at `step`).
fn prepend_since(since: usize, step: impl FnOnce() -> Step) {
    FOUND.with(|f| {
        let mut f = f.borrow_mut();
        if f.len() > since {
            let step = step();
            for d in &mut f[since..] {
                d.prepend(step.clone());
            }
        }
    });
}

/// Starts reading a document: forgets what an earlier one (that failed midway) left.
pub(crate) fn begin() {
    FOUND.with(|f| f.borrow_mut().clear());
}

/// The repeats of the document just read, each once (an alias replays its anchor's
/// mapping, with the same places), in document order.
pub(crate) fn finish() -> Vec<Duplicate> {
    let mut found = FOUND.with(|f| std::mem::take(&mut *f.borrow_mut()));
    if found.len() > 1 {
        // Stable: repeats without places (line 0) keep their order and are all kept.
        found.sort_by_key(|d| (d.line, d.column));
        found.dedup_by(|a, b| a.line > 0 && a.line == b.line && a.column == b.column && a.key == b.key);
    }
    found
}

/// A mapping being read: entries in document order, one per key (the last value), and the
/// line of each key's first occurrence.
#[derive(Default)]
pub(crate) struct MapReader {
    entries: Vec<(mcp_diag_model::Key, Tree)>,
    first_lines: Vec<u64>,
    index: Option<HashMap<String, usize>>,
}

impl MapReader {
    /// Reads the next key, with its place; `None` at the mapping's end.
    pub fn next_key<'de, A: MapAccess<'de>>(
        access: &mut A,
    ) -> Result<Option<(mcp_diag_model::Key, u64, u64)>, A::Error> {
        let (key, line, column) = if PLACES.with(Cell::get) {
            let Some(key) = access.next_key::<Spanned<Tree>>()? else {
                return Ok(None);
            };
            // Where the key is written: inside a mapping an alias repeats, the anchor's.
            (key.value, key.defined.line(), key.defined.column())
        } else {
            let Some(key) = access.next_key::<Tree>()? else {
                return Ok(None);
            };
            (key, 0, 0)
        };
        let text = match (&key, key.as_str()) {
            (_, Some(text)) => mcp_diag_model::key(text),
            (Tree::Null, _) => std::borrow::Cow::Borrowed("null"),
            _ => std::borrow::Cow::Owned(key.to_json().to_string()),
        };
        Ok(Some((text, line, column)))
    }

    /// Reads the value of `key` with `read` and adds the entry; a repeated key replaces the
    /// earlier value and is noted.
    pub fn value<E>(
        &mut self,
        key: mcp_diag_model::Key,
        line: u64,
        column: u64,
        read: impl FnOnce() -> Result<Tree, E>,
    ) -> Result<(), E> {
        let since = found_len();
        let value = read()?;
        prepend_since(since, || Step::Key(key.to_string()));
        let at = match &self.index {
            Some(index) => index.get(&*key).copied(),
            None => self.entries.iter().position(|(k, _)| **k == *key),
        };
        if let Some(at) = at {
            self.entries[at].1 = value;
            let first_line = self.first_lines[at];
            FOUND.with(|f| {
                f.borrow_mut().push(Duplicate {
                    key: key.into_owned(),
                    line,
                    column,
                    first_line,
                    steps: Vec::new(),
                });
            });
            return Ok(());
        }
        if let Some(index) = &mut self.index {
            index.insert(key.to_string(), self.entries.len());
        } else if self.entries.len() == LINEAR_MAX {
            let index = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.to_string(), i))
                .chain(std::iter::once((key.to_string(), self.entries.len())))
                .collect();
            self.index = Some(index);
        }
        self.entries.push((key, value));
        self.first_lines.push(line);
        Ok(())
    }

    pub fn finish(self) -> Tree {
        Tree::map(self.entries)
    }
}

/// Reads the elements of a sequence with `read`, adding each element's index to the paths
/// of repeats inside it.
pub(crate) fn read_seq<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(
    mut access: A,
    mut keep: impl FnMut(T),
) -> Result<(), A::Error> {
    let mut index = 0usize;
    loop {
        let since = found_len();
        let Some(element) = access.next_element::<T>()? else {
            return Ok(());
        };
        prepend_since(since, || Step::Index(index));
        keep(element);
        index += 1;
    }
}

/// Any YAML value, read with [`MapReader`] at every level.
pub(crate) struct Value(pub Tree);

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor).map(Value)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tree, E> {
        Ok(i64::try_from(v).map_or(Tree::UInt(v), Tree::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Tree, E> {
        Ok(Tree::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::text(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::text_owned(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tree, D::Error> {
        Value::deserialize(d).map(|v| v.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, access: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        read_seq(access, |v: Value| items.push(v.0))?;
        Ok(Tree::Seq(items.into_boxed_slice()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Tree, A::Error> {
        let mut map = MapReader::default();
        while let Some((key, line, column)) = MapReader::next_key(&mut access)? {
            map.value(key, line, column, || access.next_value::<Value>().map(|v| v.0))?;
        }
        Ok(map.finish())
    }
}
