//! The packed form of a document: how objects are kept and read.
//!
//! An inventory of 150,000 pods holds about 28 million values. A tree of boxed nodes spends
//! 48 bytes on every mapping entry (key and value) and one allocation on every mapping and
//! sequence. A [`Doc`] packs one object into two allocations: an array of 12-byte slots and
//! one text buffer. A slot holds the value's type, its key as an id into a process-wide table
//! of field names (objects repeat the same few hundred names millions of times), and the
//! value: a number, up to 8 bytes of text, or where its text or children are. Children of a
//! mapping or sequence are consecutive slots. Reading goes through [`Node`], a copyable
//! cursor into a `Doc`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{OnceLock, RwLock};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::tree::{Fnv, KNOWN_KEYS, Tree};

// ---------------------------------------------------------------------------------------
// Field names

/// The most distinct field names a process can hold: ids are 24 bits.
const MAX_KEYS: usize = 1 << 24;

type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// Field names seen so far, beyond the well-known ones. Names are leaked on purpose: they
/// are few (bounded by what the inputs use) and live as long as the process.
#[derive(Default)]
struct Names {
    ids: FnvMap<&'static str, u32>,
    texts: Vec<&'static str>,
}

/// A hash of a name from its length and its first and last eight bytes: every lookup by a
/// field name goes through the table of well-known names first, and hashing every byte
/// cost more than the rest of the lookup. Only for that fixed table, which input cannot
/// flood; names from input use [`Fnv`].
fn quick_hash(text: &[u8]) -> usize {
    let n = text.len();
    let (head, tail) = if n >= 8 {
        (word(&text[..8]), word(&text[n - 8..]))
    } else {
        (word(text), 0)
    };
    let h = (head ^ tail.rotate_left(23) ^ (n as u64).rotate_left(47)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h ^ (h >> 29)) as usize
}

/// Up to eight bytes as a number; for fewer than eight, two overlapping reads, so that two
/// texts of the same length give the same number only when their bytes are the same.
#[inline]
fn word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let u32_at = |at: usize| {
        u64::from(u32::from_le_bytes([
            bytes[at],
            bytes[at + 1],
            bytes[at + 2],
            bytes[at + 3],
        ]))
    };
    match n {
        8.. => u64::from_le_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]),
        4..=7 => u32_at(0) | (u32_at(n - 4) << 32),
        1..=3 => u64::from(bytes[0]) | (u64::from(bytes[n / 2]) << 8) | (u64::from(bytes[n - 1]) << 16),
        0 => 0,
    }
}

/// Byte equality without a call for the short texts names are.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        word(&a[..8]) == word(&b[..8]) && word(&a[n - 8..]) == word(&b[n - 8..]) && (n <= 16 || a == b)
    } else {
        word(a) == word(b)
    }
}

/// Open addressing over the well-known names: entries are `id + 1`, 0 is empty.
struct KnownTable {
    entries: Box<[u16]>,
}

const KNOWN_TABLE_SIZE: usize = 2048;

fn known_table() -> &'static KnownTable {
    static TABLE: OnceLock<KnownTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut entries = vec![0u16; KNOWN_TABLE_SIZE].into_boxed_slice();
        for (id, k) in KNOWN_KEYS.iter().enumerate() {
            let mut i = quick_hash(k.as_bytes()) % KNOWN_TABLE_SIZE;
            while entries[i] != 0 {
                i = (i + 1) % KNOWN_TABLE_SIZE;
            }
            entries[i] = id as u16 + 1;
        }
        KnownTable { entries }
    })
}

/// The id of a well-known name.
#[inline]
fn known_id(text: &str) -> Option<u32> {
    let table = known_table();
    let mut i = quick_hash(text.as_bytes()) % KNOWN_TABLE_SIZE;
    loop {
        let entry = *table.entries.get(i)?;
        let id = usize::from(entry.checked_sub(1)?);
        if same(KNOWN_KEYS.get(id)?.as_bytes(), text.as_bytes()) {
            return Some(id as u32);
        }
        i = (i + 1) % KNOWN_TABLE_SIZE;
    }
}

fn names() -> &'static RwLock<Names> {
    static NAMES: OnceLock<RwLock<Names>> = OnceLock::new();
    NAMES.get_or_init(RwLock::default)
}

/// Whether any document read so far holds a field of this name. A pass over every object
/// for a rare name (an annotation of our own) asks once and skips the pass when none does.
pub fn name_in_use(name: &str) -> bool {
    key_id(name).is_some()
}

/// The id of a field name, if any document has used it.
#[inline]
fn key_id(text: &str) -> Option<u32> {
    known_id(text).or_else(|| seen_id(text))
}

/// The id of a name not among the well-known ones, if any document has used it. Kept out
/// of line: the lock would otherwise make every lookup pay for saving registers.
#[cold]
#[inline(never)]
fn seen_id(text: &str) -> Option<u32> {
    let names = names().read().unwrap_or_else(std::sync::PoisonError::into_inner);
    names.ids.get(text).copied()
}

/// The id of a field name, adding it when new; `None` when the table is full.
#[inline]
fn intern(text: &str) -> Option<u32> {
    known_id(text).or_else(|| intern_seen(text))
}

#[cold]
#[inline(never)]
fn intern_seen(text: &str) -> Option<u32> {
    if let Some(id) = seen_id(text) {
        return Some(id);
    }
    let mut names = names().write().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(id) = names.ids.get(text) {
        return Some(*id);
    }
    let id = KNOWN_KEYS.len() + names.texts.len();
    if id >= MAX_KEYS {
        return None;
    }
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    names.texts.push(leaked);
    names.ids.insert(leaked, id as u32);
    Some(id as u32)
}

/// The text of a field name id.
fn key_text(id: u32) -> &'static str {
    let id = id as usize;
    if let Some(k) = KNOWN_KEYS.get(id) {
        return k;
    }
    let names = names().read().unwrap_or_else(std::sync::PoisonError::into_inner);
    names.texts.get(id - KNOWN_KEYS.len()).copied().unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// Slots

const NULL: u8 = 0;
const BOOL: u8 = 1;
const INT: u8 = 2;
const UINT: u8 = 3;
const FLOAT: u8 = 4;
/// Text of more than [`INLINE`] bytes, in the document's text buffer.
const STR: u8 = 5;
const SEQ: u8 = 6;
const MAP: u8 = 7;
/// Inline text: the tag is `SHORT + length`.
const SHORT: u8 = 16;
/// The longest text kept in the slot itself.
const INLINE: usize = 8;

/// One value: `head` is the key id (24 bits) and the type tag (8 bits); `data` the value,
/// little-endian: a number, inline text, or `(offset, length)` of text or children.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Slot {
    head: u32,
    data: [u8; 8],
}

impl Slot {
    const fn new(tag: u8, data: [u8; 8]) -> Self {
        Self {
            head: tag as u32,
            data,
        }
    }

    fn pair(tag: u8, a: u32, b: u32) -> Self {
        let mut data = [0u8; 8];
        data[..4].copy_from_slice(&a.to_le_bytes());
        data[4..].copy_from_slice(&b.to_le_bytes());
        Self::new(tag, data)
    }

    const fn tag(self) -> u8 {
        (self.head & 0xff) as u8
    }

    const fn key(self) -> u32 {
        self.head >> 8
    }

    fn with_key(mut self, id: u32) -> Self {
        self.head = (id << 8) | (self.head & 0xff);
        self
    }

    fn a(self) -> u32 {
        u32::from_le_bytes([self.data[0], self.data[1], self.data[2], self.data[3]])
    }

    fn b(self) -> u32 {
        u32::from_le_bytes([self.data[4], self.data[5], self.data[6], self.data[7]])
    }

    fn range(self) -> std::ops::Range<usize> {
        let start = self.a() as usize;
        start..start + self.b() as usize
    }
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Slot(key {}, tag {}, {:?})", self.key(), self.tag(), self.data)
    }
}

// ---------------------------------------------------------------------------------------
// Doc

/// One document (an object, a manifest) in packed form. Read it through [`Doc::root`] or
/// the shortcuts [`Doc::get`], [`Doc::path`] and [`Doc::field`].
#[derive(Clone, Default)]
pub struct Doc {
    /// Children before parents; the root is the last slot. Empty for a null document.
    slots: Vec<Slot>,
    /// Texts longer than a slot holds, one after another.
    text: String,
}

/// An empty document, for [`Node::null`].
static NULL_DOC: Doc = Doc {
    slots: Vec::new(),
    text: String::new(),
};

impl Doc {
    /// The top-level value.
    pub fn root(&self) -> Node<'_> {
        Node {
            doc: self,
            at: self.slots.len().wrapping_sub(1) as u32,
        }
    }

    /// The value under `key` of the top-level mapping.
    pub fn get(&self, key: &str) -> Option<Node<'_>> {
        self.root().get(key)
    }

    /// Follows a path of mapping keys from the top: `doc.path(&["metadata", "name"])`.
    pub fn path(&self, keys: &[&str]) -> Option<Node<'_>> {
        self.root().path(keys)
    }

    /// Like [`Doc::get`], but a missing key reads as null.
    pub fn field(&self, key: &str) -> Node<'_> {
        self.root().field(key)
    }

    pub fn as_map(&self) -> Option<Map<'_>> {
        self.root().as_map()
    }

    pub fn as_seq(&self) -> Option<Seq<'_>> {
        self.root().as_seq()
    }

    pub fn as_str(&self) -> Option<&str> {
        self.root().as_str()
    }

    pub fn is_null(&self) -> bool {
        self.root().is_null()
    }

    /// The JSON form (typed views, output).
    pub fn to_json(&self) -> serde_json::Value {
        self.root().to_json()
    }

    /// An owned tree of the document, for code that edits it.
    pub fn to_tree(&self) -> Tree {
        self.root().to_tree()
    }

    /// Packs a tree.
    pub fn from_tree(tree: &Tree) -> Self {
        // One builder per thread, reused: parsers pack every document they read, and a fresh
        // builder would grow its buffers and its cache of names again each time.
        thread_local! {
            static BUILDER: std::cell::RefCell<Builder> = std::cell::RefCell::new(Builder::default());
        }
        BUILDER.with(|cell| match cell.try_borrow_mut() {
            Ok(mut b) => {
                b.tree(tree);
                b.take()
            }
            Err(_) => {
                let mut b = Builder::default();
                b.tree(tree);
                b.finish()
            }
        })
    }

    /// Bytes held, for benchmarks: the slots and the text (not allocator overhead).
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>() + self.text.capacity()
    }

    /// Adds `key: value` to the top-level mapping unless the key is there already (list
    /// items from the API server lack `apiVersion` and `kind`). Does nothing when the
    /// document is not a mapping.
    pub fn insert_if_missing(&mut self, key: &str, value: &str) {
        let Some(&root) = self.slots.last() else { return };
        if root.tag() != MAP || self.get(key).is_some() {
            return;
        }
        let Some(id) = intern(key) else { return };
        // The root's children are the slots right before it, so one more child goes where
        // the root was and the root moves up by one.
        let range = root.range();
        if range.end != self.slots.len() - 1 {
            // Not the layout a Builder makes: rebuild.
            let mut tree = self.to_tree();
            if let Tree::Map(entries) = &mut tree {
                let mut v = std::mem::take(entries).into_vec();
                v.push((crate::key(key), Tree::text(value)));
                *entries = v.into_boxed_slice();
            }
            *self = Self::from_tree(&tree);
            return;
        }
        let mut b = Builder {
            slots: std::mem::take(&mut self.slots),
            text: std::mem::take(&mut self.text),
            ..Builder::default()
        };
        b.slots.pop();
        b.str(value);
        let child = b.stack.pop().unwrap_or(Slot::new(NULL, [0; 8])).with_key(id);
        b.slots.push(child);
        let root = Slot::pair(MAP, range.start as u32, range.len() as u32 + 1).with_key(root.key());
        b.slots.push(root);
        self.slots = b.slots;
        self.text = b.text;
    }
}

impl fmt::Debug for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.root(), f)
    }
}

impl PartialEq for Doc {
    fn eq(&self, other: &Self) -> bool {
        self.root() == other.root()
    }
}

impl From<serde_json::Value> for Doc {
    fn from(value: serde_json::Value) -> Self {
        let mut b = Builder::default();
        b.json(&value);
        b.finish()
    }
}

impl From<&Tree> for Doc {
    fn from(tree: &Tree) -> Self {
        Self::from_tree(tree)
    }
}

impl From<Tree> for Doc {
    fn from(tree: Tree) -> Self {
        Self::from_tree(&tree)
    }
}

impl Serialize for Doc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.root().serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut b = Builder::default();
        Value(&mut b).deserialize(deserializer)?;
        Ok(b.finish())
    }
}

// ---------------------------------------------------------------------------------------
// Node

/// A value inside a [`Doc`]: a copyable cursor. A missing value reads as null.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    doc: &'a Doc,
    /// Index of the slot; out of range means null.
    at: u32,
}

/// The shape of a value, for matching on it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum View<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// Integers above `i64::MAX`.
    UInt(u64),
    Float(f64),
    Str(&'a str),
    Seq(Seq<'a>),
    Map(Map<'a>),
}

impl<'a> Node<'a> {
    /// A null value, for "missing".
    pub fn null() -> Node<'static> {
        Node {
            doc: &NULL_DOC,
            at: 0,
        }
    }

    fn slot(self) -> Slot {
        self.doc
            .slots
            .get(self.at as usize)
            .copied()
            .unwrap_or(Slot::new(NULL, [0; 8]))
    }

    /// The value's shape.
    pub fn view(self) -> View<'a> {
        let slot = self.slot();
        match slot.tag() {
            BOOL => View::Bool(slot.data[0] != 0),
            INT => View::Int(i64::from_le_bytes(slot.data)),
            UINT => View::UInt(u64::from_le_bytes(slot.data)),
            FLOAT => View::Float(f64::from_le_bytes(slot.data)),
            STR | SHORT..=0xff => self.as_str().map_or(View::Null, View::Str),
            SEQ => View::Seq(Seq {
                doc: self.doc,
                start: slot.a(),
                len: slot.b(),
            }),
            MAP => View::Map(Map {
                doc: self.doc,
                start: slot.a(),
                len: slot.b(),
            }),
            _ => View::Null,
        }
    }

    /// The value under `key` in a mapping (the last of duplicate keys, as JSON does).
    pub fn get(self, key: &str) -> Option<Node<'a>> {
        // The name first: a name no document has held is in none, and then the document is
        // not read at all (on a large inventory, reading a document mostly waits for memory).
        self.get_id(key_id(key)?)
    }

    fn get_id(self, id: u32) -> Option<Node<'a>> {
        let slot = self.slot();
        if slot.tag() != MAP {
            return None;
        }
        slot.range()
            .rev()
            .find(|&i| self.doc.slots[i].key() == id)
            .map(|i| Node {
                doc: self.doc,
                at: i as u32,
            })
    }

    /// Follows a path of mapping keys: `node.path(&["metadata", "name"])`.
    pub fn path(self, keys: &[&str]) -> Option<Node<'a>> {
        // Every name is resolved before the document is read, as in [`Node::get`]: a path
        // through a name no input has (`ownerReferences` in manifests) reads nothing.
        const MOST: usize = 8;
        if keys.len() > MOST {
            return keys.iter().try_fold(self, |node, key| node.get(key));
        }
        let mut ids = [0u32; MOST];
        for (id, key) in ids.iter_mut().zip(keys) {
            *id = key_id(key)?;
        }
        ids[..keys.len()]
            .iter()
            .try_fold(self, |node, id| node.get_id(*id))
    }

    /// Like [`Node::get`], but a missing key reads as null.
    pub fn field(self, key: &str) -> Node<'a> {
        self.get(key).unwrap_or(Node {
            doc: &NULL_DOC,
            at: 0,
        })
    }

    pub fn as_str(self) -> Option<&'a str> {
        let slot = self.slot();
        match slot.tag() {
            STR => self.doc.text.get(slot.range()),
            tag @ SHORT..=0xff => {
                let len = usize::from(tag - SHORT).min(INLINE);
                // The slot lives in the document, so its bytes can be borrowed for 'a.
                let slot = &self.doc.slots[self.at as usize];
                std::str::from_utf8(&slot.data[..len]).ok()
            }
            _ => None,
        }
    }

    pub fn as_bool(self) -> Option<bool> {
        match self.view() {
            View::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_i64(self) -> Option<i64> {
        match self.view() {
            View::Int(i) => Some(i),
            View::UInt(u) => i64::try_from(u).ok(),
            _ => None,
        }
    }

    pub fn as_f64(self) -> Option<f64> {
        match self.view() {
            View::Int(i) => Some(i as f64),
            View::UInt(u) => Some(u as f64),
            View::Float(f) => Some(f),
            _ => None,
        }
    }

    pub fn as_seq(self) -> Option<Seq<'a>> {
        match self.view() {
            View::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(self) -> Option<Map<'a>> {
        match self.view() {
            View::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_null(self) -> bool {
        self.slot().tag() == NULL
    }

    /// Text, told from the tag alone (no UTF-8 check of short strings).
    pub fn is_str(self) -> bool {
        matches!(self.slot().tag(), STR | SHORT..=0xff)
    }

    pub fn is_map(self) -> bool {
        self.slot().tag() == MAP
    }

    pub fn is_seq(self) -> bool {
        self.slot().tag() == SEQ
    }

    /// Numbers of any kind.
    pub fn is_number(self) -> bool {
        matches!(self.slot().tag(), INT | UINT | FLOAT)
    }

    /// A short name of the value's type, for messages.
    pub fn type_name(self) -> &'static str {
        match self.view() {
            View::Null => "null",
            View::Bool(_) => "boolean",
            View::Int(_) | View::UInt(_) | View::Float(_) => "number",
            View::Str(_) => "string",
            View::Seq(_) => "sequence",
            View::Map(_) => "mapping",
        }
    }

    /// The JSON form.
    pub fn to_json(self) -> serde_json::Value {
        match self.view() {
            View::Null => serde_json::Value::Null,
            View::Bool(b) => serde_json::Value::Bool(b),
            View::Int(i) => i.into(),
            View::UInt(u) => u.into(),
            View::Float(f) => {
                serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
            View::Str(s) => serde_json::Value::String(s.to_owned()),
            View::Seq(items) => serde_json::Value::Array(items.iter().map(Node::to_json).collect()),
            View::Map(entries) => {
                serde_json::Value::Object(entries.iter().map(|(k, v)| (k.to_owned(), v.to_json())).collect())
            }
        }
    }

    /// An owned tree of this value.
    pub fn to_tree(self) -> Tree {
        match self.view() {
            View::Null => Tree::Null,
            View::Bool(b) => Tree::Bool(b),
            View::Int(i) => Tree::Int(i),
            View::UInt(u) => Tree::UInt(u),
            View::Float(f) => Tree::Float(f),
            View::Str(s) => Tree::text(s),
            View::Seq(items) => Tree::Seq(items.iter().map(Node::to_tree).collect()),
            View::Map(entries) => Tree::Map(
                entries
                    .iter()
                    .map(|(k, v)| (crate::key(k), v.to_tree()))
                    .collect(),
            ),
        }
    }

    /// A document of its own holding a copy of this value.
    pub fn to_doc(self) -> Doc {
        let mut b = Builder::default();
        b.node(self);
        b.finish()
    }
}

impl PartialEq for Node<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self.view(), other.view()) {
            (View::Seq(a), View::Seq(b)) => a == b,
            (View::Map(a), View::Map(b)) => a == b,
            (a, b) => a == b,
        }
    }
}

impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.view() {
            View::Null => f.write_str("null"),
            View::Bool(b) => write!(f, "{b}"),
            View::Int(i) => write!(f, "{i}"),
            View::UInt(u) => write!(f, "{u}"),
            View::Float(x) => write!(f, "{x}"),
            View::Str(s) => write!(f, "{s:?}"),
            View::Seq(items) => f.debug_list().entries(items.iter()).finish(),
            View::Map(entries) => f.debug_map().entries(entries.iter()).finish(),
        }
    }
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.view() {
            View::Null => s.serialize_unit(),
            View::Bool(b) => s.serialize_bool(b),
            View::Int(i) => s.serialize_i64(i),
            View::UInt(u) => s.serialize_u64(u),
            View::Float(f) => s.serialize_f64(f),
            View::Str(text) => s.serialize_str(text),
            View::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&item)?;
                }
                seq.end()
            }
            View::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, &v)?;
                }
                map.end()
            }
        }
    }
}

/// The items of a sequence.
#[derive(Clone, Copy)]
pub struct Seq<'a> {
    doc: &'a Doc,
    start: u32,
    len: u32,
}

impl<'a> Seq<'a> {
    /// An empty sequence.
    pub fn empty() -> Seq<'static> {
        Seq {
            doc: &NULL_DOC,
            start: 0,
            len: 0,
        }
    }

    pub fn len(self) -> usize {
        self.len as usize
    }

    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    pub fn get(self, i: usize) -> Option<Node<'a>> {
        (i < self.len()).then(|| Node {
            doc: self.doc,
            at: self.start + i as u32,
        })
    }

    pub fn first(self) -> Option<Node<'a>> {
        self.get(0)
    }

    pub fn last(self) -> Option<Node<'a>> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    pub fn iter(self) -> SeqIter<'a> {
        SeqIter {
            doc: self.doc,
            range: self.start..self.start + self.len,
        }
    }
}

impl Default for Seq<'_> {
    fn default() -> Self {
        Seq::empty()
    }
}

impl PartialEq for Seq<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl fmt::Debug for Seq<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for Seq<'a> {
    type Item = Node<'a>;
    type IntoIter = SeqIter<'a>;

    fn into_iter(self) -> SeqIter<'a> {
        self.iter()
    }
}

/// Iterator over the items of a [`Seq`].
#[derive(Clone)]
pub struct SeqIter<'a> {
    doc: &'a Doc,
    range: std::ops::Range<u32>,
}

impl<'a> Iterator for SeqIter<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        self.range.next().map(|at| Node { doc: self.doc, at })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }
}

impl DoubleEndedIterator for SeqIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.range.next_back().map(|at| Node { doc: self.doc, at })
    }
}

impl ExactSizeIterator for SeqIter<'_> {}

/// The entries of a mapping, in document order.
#[derive(Clone, Copy)]
pub struct Map<'a> {
    doc: &'a Doc,
    start: u32,
    len: u32,
}

impl<'a> Map<'a> {
    /// An empty mapping.
    pub fn empty() -> Map<'static> {
        Map {
            doc: &NULL_DOC,
            start: 0,
            len: 0,
        }
    }

    pub fn len(self) -> usize {
        self.len as usize
    }

    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// The value under `key` (the last of duplicates).
    pub fn get(self, key: &str) -> Option<Node<'a>> {
        let id = key_id(key)?;
        (self.start..self.start + self.len)
            .rev()
            .find(|&i| self.doc.slots[i as usize].key() == id)
            .map(|at| Node { doc: self.doc, at })
    }

    pub fn contains_key(self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn iter(self) -> MapIter<'a> {
        MapIter {
            doc: self.doc,
            range: self.start..self.start + self.len,
        }
    }

    pub fn keys(self) -> impl DoubleEndedIterator<Item = &'a str> + Clone {
        self.iter().map(|(k, _)| k)
    }

    /// The values alone: no key is looked up (a key outside the well-known ones costs a
    /// lock), so this is the cheap way over labels and annotations.
    pub fn values(self) -> impl DoubleEndedIterator<Item = Node<'a>> + Clone {
        let doc = self.doc;
        (self.start..self.start + self.len).map(move |at| Node { doc, at })
    }
}

impl Default for Map<'_> {
    fn default() -> Self {
        Map::empty()
    }
}

impl PartialEq for Map<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .iter()
                .zip(other.iter())
                .all(|((ka, va), (kb, vb))| ka == kb && va == vb)
    }
}

impl fmt::Debug for Map<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for Map<'a> {
    type Item = (&'a str, Node<'a>);
    type IntoIter = MapIter<'a>;

    fn into_iter(self) -> MapIter<'a> {
        self.iter()
    }
}

/// Iterator over the entries of a [`Map`].
#[derive(Clone)]
pub struct MapIter<'a> {
    doc: &'a Doc,
    range: std::ops::Range<u32>,
}

impl<'a> MapIter<'a> {
    fn entry(&self, at: u32) -> (&'a str, Node<'a>) {
        let key = key_text(self.doc.slots[at as usize].key());
        (key, Node { doc: self.doc, at })
    }
}

impl<'a> Iterator for MapIter<'a> {
    type Item = (&'a str, Node<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.range.next()?;
        Some(self.entry(at))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }
}

impl DoubleEndedIterator for MapIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let at = self.range.next_back()?;
        Some(self.entry(at))
    }
}

impl ExactSizeIterator for MapIter<'_> {}

// ---------------------------------------------------------------------------------------
// Building

/// Builds a [`Doc`] value by value, children before their parent. Containers are opened
/// with [`Builder::begin`] and closed with [`Builder::end_seq`] / [`Builder::end_map`];
/// in a mapping, call [`Builder::key`] after each value.
#[derive(Default)]
pub struct Builder {
    slots: Vec<Slot>,
    text: String,
    /// Values whose container is still open.
    stack: Vec<Slot>,
    /// Where each open container's values start on `stack`.
    open: Vec<usize>,
    too_many_keys: bool,
    names: NameCache,
    /// For [`Builder::key_unique`]: the key ids of open mappings past [`LINEAR_KEYS`]
    /// entries, with where each mapping's values start on `stack` (innermost last).
    key_sets: Vec<(usize, FnvSet<u32>)>,
}

type FnvSet<T> = std::collections::HashSet<T, std::hash::BuildHasherDefault<Fnv>>;

/// Up to this many entries, [`Builder::key_unique`] compares ids one by one; beyond, it
/// keeps a set (a ConfigMap with thousands of keys must stay linear).
const LINEAR_KEYS: usize = 16;

/// Ids of the short names this builder has seen. A name of up to 16 bytes is exactly its
/// length plus its first and last eight bytes (read overlapping), so a hit needs three
/// comparisons of numbers and no lookup in the shared tables: parsing asks for an id once
/// per mapping key, and objects repeat the same few hundred keys.
#[derive(Default)]
struct NameCache {
    entries: Vec<(u64, u64, u32, u32)>,
}

const NAME_CACHE_SIZE: usize = 1024;

impl NameCache {
    #[inline]
    fn id(&mut self, text: &str) -> Option<u32> {
        let b = text.as_bytes();
        let n = b.len();
        if n > 16 {
            return intern(text);
        }
        let (head, tail) = if n >= 8 {
            (word(&b[..8]), word(&b[n - 8..]))
        } else {
            (word(b), 0)
        };
        let slot = ((head ^ tail.rotate_left(17) ^ n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54)
            as usize
            % NAME_CACHE_SIZE;
        if self.entries.is_empty() {
            self.entries = vec![(0, 0, u32::MAX, 0); NAME_CACHE_SIZE];
        }
        let (h, t, len, id) = self.entries[slot];
        if len == n as u32 && h == head && t == tail {
            return Some(id);
        }
        let id = intern(text)?;
        self.entries[slot] = (head, tail, n as u32, id);
        Some(id)
    }
}

/// Why a document could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

impl Builder {
    pub fn null(&mut self) {
        self.stack.push(Slot::new(NULL, [0; 8]));
    }

    pub fn bool(&mut self, v: bool) {
        self.stack
            .push(Slot::new(BOOL, [u8::from(v), 0, 0, 0, 0, 0, 0, 0]));
    }

    pub fn int(&mut self, v: i64) {
        self.stack.push(Slot::new(INT, v.to_le_bytes()));
    }

    pub fn uint(&mut self, v: u64) {
        match i64::try_from(v) {
            Ok(i) => self.int(i),
            Err(_) => self.stack.push(Slot::new(UINT, v.to_le_bytes())),
        }
    }

    pub fn float(&mut self, v: f64) {
        self.stack.push(Slot::new(FLOAT, v.to_le_bytes()));
    }

    pub fn str(&mut self, v: &str) {
        if v.len() <= INLINE {
            let mut data = [0u8; 8];
            data[..v.len()].copy_from_slice(v.as_bytes());
            self.stack.push(Slot::new(SHORT + v.len() as u8, data));
        } else {
            let offset = self.text.len();
            self.text.push_str(v);
            self.stack.push(Slot::pair(STR, offset as u32, v.len() as u32));
        }
    }

    /// Opens a sequence or mapping.
    pub fn begin(&mut self) {
        self.open.push(self.stack.len());
    }

    /// Names the value just added (inside a mapping).
    pub fn key(&mut self, key: &str) {
        let id = self.names.id(key);
        self.key_with_id(id);
    }

    /// The id of a field name through this builder's cache of names (for [`crate::json`],
    /// which reads a key before its value and names the value afterwards).
    pub(crate) fn name_id(&mut self, key: &str) -> Option<u32> {
        self.names.id(key)
    }

    /// Like [`Builder::key`], for parsers that must not accept a repeated key: whether the
    /// open mapping had no value under this key yet. `false` also when the name could not
    /// be added to the table of field names (it is full). Either way the value is named.
    pub fn key_unique(&mut self, key: &str) -> bool {
        let Some(id) = self.names.id(key) else {
            self.key_with_id(None);
            return false;
        };
        self.key_with_id(Some(id));
        let from = self.open.last().copied().unwrap_or(0).min(self.stack.len());
        let Some((_, earlier)) = self.stack[from..].split_last() else {
            return true;
        };
        if earlier.len() < LINEAR_KEYS {
            return !earlier.iter().any(|s| s.key() == id);
        }
        if self.key_sets.last().is_none_or(|(start, _)| *start != from) {
            let set = earlier.iter().map(|s| s.key()).collect();
            self.key_sets.push((from, set));
        }
        self.key_sets.last_mut().is_some_and(|(_, set)| set.insert(id))
    }

    /// Drops everything added so far (a document given up half way), keeping the buffers
    /// and the cache of names for the next document.
    pub fn clear(&mut self) {
        self.slots.clear();
        self.text.clear();
        self.stack.clear();
        self.open.clear();
        self.key_sets.clear();
    }

    pub(crate) fn key_with_id(&mut self, id: Option<u32>) {
        let id = id.unwrap_or_else(|| {
            self.too_many_keys = true;
            0
        });
        if let Some(last) = self.stack.last_mut() {
            *last = last.with_key(id);
        }
    }

    pub fn end_seq(&mut self) {
        self.end(SEQ);
    }

    pub fn end_map(&mut self) {
        self.end(MAP);
    }

    fn end(&mut self, tag: u8) {
        let from = self.open.pop().unwrap_or(0).min(self.stack.len());
        if self.key_sets.last().is_some_and(|(start, _)| *start >= from) {
            self.key_sets.pop();
        }
        let start = self.slots.len();
        self.slots.extend_from_slice(&self.stack[from..]);
        self.stack.truncate(from);
        let len = self.slots.len() - start;
        self.stack.push(Slot::pair(tag, start as u32, len as u32));
    }

    /// The document; the value added last at the top level is its root.
    pub fn finish(mut self) -> Doc {
        while !self.open.is_empty() {
            self.end(MAP);
        }
        if let Some(root) = self.stack.pop() {
            self.slots.push(root.with_key(0));
        }
        self.slots.shrink_to_fit();
        self.text.shrink_to_fit();
        Doc {
            slots: self.slots,
            text: self.text,
        }
    }

    /// Like [`Builder::finish`], but leaves the builder empty with its buffers kept, for
    /// building many documents in a row: the document gets exactly sized copies, so the
    /// buffers grow once instead of once per document.
    pub fn take(&mut self) -> Doc {
        while !self.open.is_empty() {
            self.end(MAP);
        }
        if let Some(root) = self.stack.pop() {
            self.slots.push(root.with_key(0));
        }
        self.stack.clear();
        let doc = Doc {
            slots: self.slots.as_slice().to_vec(),
            text: self.text.as_str().to_owned(),
        };
        self.slots.clear();
        self.text.clear();
        doc
    }

    /// Whether a name could not be added because the table of field names is full (then
    /// the documents built are missing keys: report the input instead).
    pub fn too_many_keys(&self) -> bool {
        self.too_many_keys
    }

    /// Like [`Builder::finish`], but fails when the process-wide table of field names is
    /// full (16.7 million distinct names).
    pub fn try_finish(self) -> Result<Doc, BuildError> {
        if self.too_many_keys {
            return Err(BuildError(format!(
                "more than {MAX_KEYS} distinct field names: the input is not Kubernetes objects"
            )));
        }
        Ok(self.finish())
    }

    /// Adds a tree.
    pub fn tree(&mut self, tree: &Tree) {
        match tree {
            Tree::Null => self.null(),
            Tree::Bool(b) => self.bool(*b),
            Tree::Int(i) => self.int(*i),
            Tree::UInt(u) => self.uint(*u),
            Tree::Float(f) => self.float(*f),
            Tree::Str(_) | Tree::ShortStr { .. } => self.str(tree.as_str().unwrap_or_default()),
            Tree::Seq(items) => {
                self.begin();
                for item in items {
                    self.tree(item);
                }
                self.end_seq();
            }
            Tree::Map(entries) => {
                self.begin();
                for (k, v) in entries {
                    self.tree(v);
                    self.key(k);
                }
                self.end_map();
            }
        }
    }

    /// Adds a copy of a value of another document.
    pub fn node(&mut self, node: Node<'_>) {
        match node.view() {
            View::Null => self.null(),
            View::Bool(b) => self.bool(b),
            View::Int(i) => self.int(i),
            View::UInt(u) => self.uint(u),
            View::Float(f) => self.float(f),
            View::Str(s) => self.str(s),
            View::Seq(items) => {
                self.begin();
                for item in items {
                    self.node(item);
                }
                self.end_seq();
            }
            View::Map(entries) => {
                self.begin();
                for (k, v) in entries {
                    self.node(v);
                    self.key(k);
                }
                self.end_map();
            }
        }
    }

    /// Adds a JSON value.
    pub fn json(&mut self, value: &serde_json::Value) {
        // A `Value` always deserializes; the seed is the one every parser goes through.
        let _ = self.value().deserialize(value);
    }

    /// A seed that deserializes one value into this builder.
    pub fn value(&mut self) -> Value<'_> {
        Value(self)
    }
}

/// Deserializes one value into a [`Builder`].
pub struct Value<'b>(&'b mut Builder);

impl<'de> DeserializeSeed<'de> for Value<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML or JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.0.bool(v);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.0.int(v);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.0.uint(v);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.0.float(v);
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.str(v);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.null();
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.0.null();
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let b = self.0;
        b.begin();
        while access.next_element_seed(Value(b))?.is_some() {}
        b.end_seq();
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let b = self.0;
        b.begin();
        while let Some(id) = access.next_key_seed(KeyText(&mut b.names))? {
            access.next_value_seed(Value(b))?;
            b.key_with_id(id);
        }
        b.end_map();
        Ok(())
    }
}

/// Mapping keys, interned as they are read: the id, or `None` when the table of names is
/// full. YAML allows other scalars as keys (`1: a`, `true: b`); they are kept as their text
/// rather than failing the whole document.
struct KeyText<'c>(&'c mut NameCache);

impl<'de> DeserializeSeed<'de> for KeyText<'_> {
    type Value = Option<u32>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<u32>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyText<'_> {
    type Value = Option<u32>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<u32>, E> {
        Ok(self.0.id(v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<u32>, E> {
        Ok(intern(&v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<u32>, E> {
        Ok(intern(&v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<u32>, E> {
        Ok(intern(&v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<u32>, E> {
        Ok(intern(&serde_json::Value::from(v).to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<u32>, E> {
        Ok(intern("null"))
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<u32>, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, access: A) -> Result<Option<u32>, A::Error> {
        let tree = TreeVisitorProxy.visit_seq(access)?;
        Ok(intern(&tree.to_json().to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Option<u32>, A::Error> {
        let tree = TreeVisitorProxy.visit_map(access)?;
        Ok(intern(&tree.to_json().to_string()))
    }
}

/// Complex keys (rare: YAML only) are built as a [`Tree`] and written as JSON text.
struct TreeVisitorProxy;

impl TreeVisitorProxy {
    fn visit_seq<'de, A: SeqAccess<'de>>(self, mut access: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = access.next_element::<Tree>()? {
            items.push(item);
        }
        Ok(Tree::Seq(items.into_boxed_slice()))
    }

    fn visit_map<'de, A: MapAccess<'de>>(self, mut access: A) -> Result<Tree, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = access.next_entry::<Tree, Tree>()? {
            let k = k.as_str().map_or_else(|| k.to_json().to_string(), str::to_owned);
            entries.push((crate::key_from_string(k), v));
        }
        Ok(Tree::Map(entries.into_boxed_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: serde_json::Value) -> Doc {
        Doc::from(json)
    }

    #[test]
    fn every_known_name_is_found_and_others_are_not() {
        assert!(
            KNOWN_KEYS.len() < KNOWN_TABLE_SIZE / 2,
            "keep the table at most half full"
        );
        for (id, k) in KNOWN_KEYS.iter().enumerate() {
            assert_eq!(known_id(k), Some(id as u32), "{k}");
        }
        for other in ["", "x", "metadat", "metadata2", "app.kubernetes.io/nam", "spec "] {
            assert_eq!(known_id(other), None, "{other}");
        }
        assert!(same(b"abcdefghijklmnopq", b"abcdefghijklmnopq"));
        assert!(!same(b"abcdefghijXlmnopqrstu", b"abcdefghijklmnopqrstu"));
        assert!(!same(b"abc", b"abd"));
    }

    #[test]
    fn a_name_no_document_holds_is_not_in_use_and_paths_through_it_find_nothing() {
        // Names unique to this test: the table of names is process-wide.
        assert!(!name_in_use("node-test-never-written-q7"));
        let d = doc(serde_json::json!({"node-test-outer-q7": {"node-test-inner-q7": "v"}}));
        assert!(name_in_use("node-test-outer-q7"));
        assert_eq!(
            d.path(&["node-test-outer-q7", "node-test-inner-q7"])
                .and_then(Node::as_str),
            Some("v")
        );
        assert!(
            d.path(&["node-test-outer-q7", "node-test-never-written-q7"])
                .is_none()
        );
        assert!(d.root().get("node-test-never-written-q7").is_none());
        assert!(!name_in_use("node-test-never-written-q7"));
        // Longer paths than the resolved-names fast path holds still walk key by key.
        let deep = doc(serde_json::json!({"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": 1}}}}}}}}}));
        let nine = ["a"; 9];
        assert_eq!(deep.path(&nine).and_then(Node::as_i64), Some(1));
        assert!(deep.path(&["a"; 10]).is_none());
    }

    #[test]
    fn slot_is_twelve_bytes() {
        assert_eq!(std::mem::size_of::<Slot>(), 12);
    }

    #[test]
    fn json_round_trip_and_access() {
        let json = serde_json::json!({"a": {"b": [1, -2, 3.5, "x", null, true, "a longer text value"]},
            "big": 18446744073709551615u64, "": "empty key", "ä€😀": "ünïcode"});
        let d = doc(json.clone());
        assert_eq!(d.to_json(), json);
        assert_eq!(serde_json::to_value(&d).unwrap(), json);
        let parsed: Doc = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(parsed, d);
        assert_eq!(d.path(&["a", "b"]).and_then(Node::as_seq).map(Seq::len), Some(7));
        assert!(d.field("missing").is_null());
        assert_eq!(d.get("big").map(Node::view), Some(View::UInt(u64::MAX)));
        assert_eq!(d.get("").and_then(Node::as_str), Some("empty key"));
        assert_eq!(d.get("ä€😀").and_then(Node::as_str), Some("ünïcode"));
        let b = d.path(&["a", "b"]).and_then(Node::as_seq).unwrap();
        assert_eq!(b.get(3).and_then(Node::as_str), Some("x"));
        assert_eq!(b.last().and_then(Node::as_str), Some("a longer text value"));
        assert_eq!(b.iter().rev().nth(1).and_then(Node::as_bool), Some(true));
        assert_eq!(b.get(2).and_then(Node::as_f64), Some(3.5));
        assert!(b.get(7).is_none());
        assert_eq!(Doc::from_tree(&d.to_tree()), d);
        assert_eq!(
            d.path(&["a"]).map(|n| n.to_doc().to_json()),
            Some(json["a"].clone())
        );
    }

    #[test]
    fn last_duplicate_key_wins() {
        let d: Doc = serde_json::from_str(r#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(d.get("a").and_then(Node::as_i64), Some(2));
        assert_eq!(d.as_map().map(Map::len), Some(2));
    }

    #[test]
    fn text_at_the_inline_limit() {
        for len in [0, 1, INLINE - 1, INLINE, INLINE + 1, 40] {
            let text = "é".repeat(len / 2) + &"x".repeat(len % 2);
            let d = doc(serde_json::json!({ "t": text }));
            assert_eq!(d.get("t").and_then(Node::as_str), Some(text.as_str()), "{len}");
        }
    }

    #[test]
    fn scalars_and_empty_documents() {
        assert!(Doc::default().is_null());
        assert!(Doc::default().get("a").is_none());
        assert!(Node::null().as_map().is_none());
        let d = doc(serde_json::json!("just text"));
        assert_eq!(d.as_str(), Some("just text"));
        let d = doc(serde_json::json!({"m": {}, "s": []}));
        assert_eq!(d.get("m").and_then(Node::as_map).map(Map::len), Some(0));
        assert_eq!(d.get("s").and_then(Node::as_seq).map(Seq::len), Some(0));
        assert_eq!(d.get("m").map(Node::type_name), Some("mapping"));
    }

    #[test]
    fn equality_is_structural() {
        let a = doc(serde_json::json!({"x": [1, {"y": "long enough text"}]}));
        let b = doc(serde_json::json!({"z": {"x": [1, {"y": "long enough text"}]}}));
        assert_eq!(a.root(), b.get("z").unwrap());
        assert_ne!(a.root(), b.root());
        assert_ne!(doc(serde_json::json!(1)), doc(serde_json::json!("1")));
    }

    #[test]
    fn keys_not_seen_yet_are_missing_not_errors() {
        let d = doc(serde_json::json!({"a": 1}));
        assert!(d.get("a-key-no-document-has-used-9f3c").is_none());
    }

    #[test]
    fn insert_if_missing_adds_to_the_top_mapping() {
        let mut d = doc(serde_json::json!({"metadata": {"name": "web"}}));
        d.insert_if_missing("kind", "Pod");
        d.insert_if_missing("apiVersion", "v1");
        d.insert_if_missing("kind", "Other");
        assert_eq!(
            d.to_json(),
            serde_json::json!({"metadata": {"name": "web"}, "kind": "Pod", "apiVersion": "v1"})
        );
        let mut scalar = doc(serde_json::json!(3));
        scalar.insert_if_missing("kind", "Pod");
        assert_eq!(scalar.to_json(), serde_json::json!(3));
    }

    #[test]
    fn yaml_keys_that_are_not_text() {
        let d: Doc = serde_json::from_str(r#"{"1": "a"}"#).unwrap();
        assert_eq!(d.get("1").and_then(Node::as_str), Some("a"));
    }

    /// Repeats are found in small mappings (compared one by one) and in big ones (a set),
    /// each mapping on its own: the same key in a nested or a sibling mapping is no repeat.
    #[test]
    fn key_unique_finds_repeats_in_the_open_mapping_only() {
        for size in [3, LINEAR_KEYS - 1, LINEAR_KEYS, LINEAR_KEYS + 1, 200] {
            let mut b = Builder::default();
            b.begin();
            for i in 0..size {
                b.begin();
                b.int(1);
                assert!(b.key_unique("k0"), "nested, size {size}");
                b.int(2);
                assert!(b.key_unique(&format!("k{i}x")), "nested, size {size}");
                b.end_map();
                assert!(b.key_unique(&format!("k{i}")), "size {size}, key {i}");
            }
            b.null();
            assert!(!b.key_unique("k0"), "size {size}: first key repeated");
            b.null();
            assert!(
                !b.key_unique(&format!("k{}", size - 1)),
                "size {size}: last key repeated"
            );
            b.clear();
            b.begin();
            b.null();
            assert!(b.key_unique("k0"), "size {size}: a cleared builder starts afresh");
            b.end_map();
            assert_eq!(b.take().to_json(), serde_json::json!({"k0": null}));
        }
    }

    /// A big mapping after a big sibling (same place on the stack) starts its own set.
    #[test]
    fn key_unique_big_sibling_mappings() {
        let mut b = Builder::default();
        b.begin();
        for name in ["a", "b"] {
            b.begin();
            for i in 0..LINEAR_KEYS * 2 {
                b.int(i as i64);
                assert!(b.key_unique(&format!("x{i}")), "{name} {i}");
            }
            b.end_map();
            b.key(name);
        }
        b.end_map();
        let d = b.finish();
        assert_eq!(d.path(&["b", "x31"]).and_then(Node::as_i64), Some(31));
    }

    #[test]
    fn smaller_than_a_tree() {
        let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-7d4b9c-x2x9z", "namespace": "shop", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "registry.example.com/web:1.2.3",
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}});
        let d = doc(pod);
        // 17 values of 12 bytes plus 2 long texts.
        assert!(d.heap_bytes() < 17 * 12 + 60, "{}", d.heap_bytes());
    }
}
