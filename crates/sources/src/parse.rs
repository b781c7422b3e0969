//! Turns the bytes of one file into objects, each with its line, and `input-invalid` findings
//! for whatever cannot be read. Never panics on bad input.

use std::fmt;

use mcp_diag_model::{Builder, Doc, Finding, Location, Node, Object, Severity, Tree};
use rayon::prelude::*;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

/// What one file held.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub objects: Vec<Object>,
    pub problems: Vec<Finding>,
}

/// The check id of findings about unreadable input.
pub const INPUT_INVALID: &str = "input-invalid";

/// Deepest nesting accepted. Real objects (CRD schemas included) stay far below; deeper
/// input is hostile or broken, and recursion on it would exhaust the stack.
const MAX_DEPTH: usize = 200;

pub(crate) fn input_invalid(file: &str, line: u64, column: Option<u64>, message: String) -> Finding {
    Finding {
        check: INPUT_INVALID,
        severity: Severity::High,
        title: "Input could not be read".to_owned(),
        object: None,
        location: Some(Location {
            file: file.to_owned(),
            line,
            column,
            template: None,
        }),
        message,
        remediation: "Fix or remove the file; the rest of the input was still scanned.".to_owned(),
        evidence: None,
        details: Default::default(),
    }
}

/// Stack for parser threads. Parsing recurses once per nesting level (bounded by
/// `MAX_DEPTH`); unoptimised builds use several kilobytes per level, more than a default
/// 2 MiB thread stack holds. The memory is only reserved, not touched.
const PARSER_STACK: usize = 64 << 20;

/// The thread pool files are parsed on, with stacks deep enough for `MAX_DEPTH`.
pub fn parser_pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(PARSER_STACK)
            .thread_name(|i| format!("parse-{i}"))
            .build()
            .unwrap_or_else(|_| rayon::ThreadPoolBuilder::new().build().expect("a thread pool"))
    })
}

/// Parses a file's bytes. `file` is the path as it appears in reports.
pub fn parse_bytes(file: &str, bytes: &[u8]) -> ParsedFile {
    parser_pool().install(|| parse_bytes_here(file, bytes, true))
}

/// Like [`parse_bytes`] but always with the general YAML parser; tests hold the fast path
/// to the same results with it.
#[doc(hidden)]
pub fn parse_bytes_general(file: &str, bytes: &[u8]) -> ParsedFile {
    parser_pool().install(|| parse_bytes_here(file, bytes, false))
}

fn parse_bytes_here(file: &str, bytes: &[u8], fast: bool) -> ParsedFile {
    let mut out = ParsedFile::default();
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        out.problems.push(input_invalid(file, 1, Some(1), "the file is UTF-16; Kubernetes manifests must be UTF-8 (convert it with `iconv -f UTF-16 -t UTF-8`)".into()));
        return out;
    }
    if bytes.iter().take(8192).any(|&b| b == 0) {
        out.problems.push(input_invalid(
            file,
            1,
            Some(1),
            "binary file (it contains NUL bytes), not YAML or JSON".into(),
        ));
        return out;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let (line, column) = line_column(bytes, e.valid_up_to());
            out.problems.push(input_invalid(
                file,
                line,
                Some(column),
                format!(
                    "invalid UTF-8 at byte {}: manifests must be UTF-8 text",
                    e.valid_up_to()
                ),
            ));
            return out;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = parse_text(file, text, fast);
    fields::locate(text, &mut out.problems);
    out
}

fn parse_text(file: &str, text: &str, fast: bool) -> ParsedFile {
    let mut out = ParsedFile::default();
    let first = text.trim_start().as_bytes().first().copied();
    if !matches!(first, Some(b'{' | b'[')) {
        parse_yaml(file, text, fast, &mut out);
        return out;
    }
    // `{` or `[` first is JSON in practice, but a YAML flow mapping or a JSON document
    // followed by `---` and YAML starts the same way: when the JSON reading fails, the file
    // is read as YAML (a superset of JSON), and the JSON error is kept only for `.json`
    // files that YAML cannot read either.
    let mut json = ParsedFile::default();
    parse_json(file, text, &mut json);
    if json.problems.is_empty() {
        return json;
    }
    let mut yaml = ParsedFile::default();
    parse_yaml(file, text, fast, &mut yaml);
    let is_json_file = std::path::Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if yaml.problems.is_empty() || !is_json_file {
        yaml
    } else {
        json
    }
}

fn line_column(bytes: &[u8], offset: usize) -> (u64, u64) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() as u64 + 1;
    (line, column)
}

/// JSON files at least this big are tried as one `List` whose items are parsed in parallel,
/// straight into packed documents. Smaller files (and anything else) go through a tree.
const PARALLEL_JSON_MIN: usize = 16 << 10;

/// JSON's whitespace: space, tab, line feed, carriage return (not form feed or vertical tab,
/// which `u8::is_ascii_whitespace` also takes).
fn is_json_ws(c: &u8) -> bool {
    matches!(*c, b' ' | b'\t' | b'\n' | b'\r')
}

/// `text` without JSON whitespace at either end.
fn trim_json(text: &[u8]) -> &[u8] {
    let start = text.iter().position(|c| !is_json_ws(c)).unwrap_or(text.len());
    let end = text.iter().rposition(|c| !is_json_ws(c)).map_or(start, |i| i + 1);
    &text[start..end.max(start)]
}

/// Items per parallel task: enough to amortise the task, few enough to balance two cores.
const ITEMS_PER_TASK: usize = 256;

fn parse_json(file: &str, text: &str, out: &mut ParsedFile) {
    if text.len() >= PARALLEL_JSON_MIN && parse_json_list(file, text, ITEMS_PER_TASK, out) {
        return;
    }
    parse_json_sequential(file, text, out);
}

/// Reads `text` as one JSON `List` (a snapshot file, `kubectl get -o json`): one pass
/// validates the document and finds each item's bytes, then the items are parsed on the
/// parser pool, each straight into its packed form. Returns false, having added nothing,
/// when the text is anything else or does not parse: the sequential reading then says
/// what is wrong and where.
pub(crate) fn parse_json_list(file: &str, text: &str, items_per_task: usize, out: &mut ParsedFile) -> bool {
    // One element per line (what `snapshot` writes) is found fast; any other layout, or a
    // file where that reading fails, goes through the scanner.
    if let Some((array, spans)) = line_item_spans(text.as_bytes())
        && parse_list_items(file, text, array, &spans, items_per_task, out)
    {
        return true;
    }
    let Some((array, spans)) = list_item_spans(text.as_bytes()) else {
        return false;
    };
    parse_list_items(file, text, array, &spans, items_per_task, out)
}

/// Parses a List whose items array and elements are at the given places; false, having
/// added nothing, when any part does not parse.
fn parse_list_items(
    file: &str,
    text: &str,
    array: std::ops::Range<usize>,
    spans: &[std::ops::Range<usize>],
    items_per_task: usize,
    out: &mut ParsedFile,
) -> bool {
    // A cheap look at the first element before the parallel work: a layout guessed wrong
    // fails here.
    if let Some(first) = spans.first().and_then(|s| text.get(s.clone())) {
        let mut de = serde_json::Deserializer::from_str(first);
        if <de::IgnoredAny as de::Deserialize>::deserialize(&mut de).is_err() || de.end().is_err() {
            return false;
        }
    }
    // The rest of the document, with `null` for the items, is small: parse it to check it
    // and to read the List's apiVersion and kind.
    let rest = format!("{}null{}", &text[..array.start], &text[array.end..]);
    let mut de = serde_json::Deserializer::from_str(&rest);
    let Ok(ListSplit { head }) = <ListSplit as de::Deserialize>::deserialize(&mut de) else {
        return false;
    };
    if de.end().is_err() {
        return false;
    }
    let kind = head.get("kind").and_then(Tree::as_str).unwrap_or_default();
    if !kind.ends_with("List") {
        return false;
    }
    let list_api_version = head.get("apiVersion").and_then(Tree::as_str);
    let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
    let bytes = text.as_bytes();
    let mut lines = Vec::with_capacity(spans.len());
    let (mut line, mut at) = (1u64, 0usize);
    for span in spans {
        line += memchr::memchr_iter(b'\n', &bytes[at..span.start]).count() as u64;
        at = span.start;
        lines.push(line);
    }
    let items: Vec<&str> = spans.iter().filter_map(|span| text.get(span.clone())).collect();
    if items.len() != spans.len() {
        return false;
    }
    let parts: Option<Vec<ParsedFile>> = items
        .par_chunks(items_per_task.max(1))
        .zip(lines.par_chunks(items_per_task.max(1)))
        .map(|(raws, lines)| {
            let mut builder = Builder::default();
            let mut part = ParsedFile::default();
            for (raw, &line) in raws.iter().zip(lines) {
                mcp_diag_model::parse_json_value(&mut builder, raw.as_bytes()).ok()?;
                if builder.too_many_keys() {
                    return None;
                }
                let doc = builder.take();
                push_list_item(file, line, doc, list_api_version, item_kind, &mut part);
            }
            Some(part)
        })
        .collect();
    let Some(parts) = parts else { return false };
    for part in parts {
        out.objects.extend(part.objects);
        out.problems.extend(part.problems);
    }
    true
}

/// The top-level mapping of a JSON document without its `items`.
struct ListSplit {
    head: Tree,
}

/// Bytes the item scanner acts on. Whitespace and `:` change nothing; other bytes (inside
/// numbers and literals) matter only where they start an element, which the scanner checks
/// on the byte after punctuation, never skipping past one.
const STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = !matches!(i as u8, b' ' | b'\t' | b'\r' | b'\n' | b':');
        i += 1;
    }
    table
};

/// Like [`list_item_spans`], for the layout `mcp-diag snapshot` writes (and `jq -c` makes):
/// one element per line. Only the head is scanned; then each line is an element, found with
/// a vectorised search for line ends instead of a byte-by-byte scan. The elements are parsed
/// later, so a layout that is not this one is caught there (a line that is not one whole
/// value), and the caller falls back to the scanner. `None` when the first element does
/// not start a line or a line is empty.
fn line_item_spans(b: &[u8]) -> Option<(std::ops::Range<usize>, Vec<std::ops::Range<usize>>)> {
    let (array, _) = scan_items(b, true)?;
    let first = array.end;
    let line_start = b[..first].iter().rposition(|&c| c == b'\n')? + 1;
    if line_start <= array.start || !b[line_start..first].iter().all(is_json_ws) {
        return None;
    }
    let skip_space = |mut i: usize| {
        while i < b.len() && is_json_ws(&b[i]) {
            i += 1;
        }
        i
    };
    let trim_end = |start: usize, mut end: usize| {
        while end > start && is_json_ws(&b[end - 1]) {
            end -= 1;
        }
        end
    };
    let mut spans = Vec::new();
    let mut at = first;
    loop {
        let eol = memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |i| at + i);
        let end = trim_end(at, eol);
        if end == at {
            return None;
        }
        if b[end - 1] == b',' {
            spans.push(at..trim_end(at, end - 1));
            at = skip_space(eol);
            continue;
        }
        spans.push(at..end);
        let close = skip_space(eol);
        return (b.get(close) == Some(&b']')).then(|| (array.start..close + 1, spans));
    }
}

/// Where the elements of the top-level `items` array of one JSON document are: the array's
/// range (brackets included) and each element's, found by a scan that tracks only strings
/// and nesting (the elements are parsed, and so checked, later). `None` when the text is not
/// one mapping with one such array, or its punctuation between elements is off.
fn list_item_spans(b: &[u8]) -> Option<(std::ops::Range<usize>, Vec<std::ops::Range<usize>>)> {
    scan_items(b, false)
}

/// The scanner of [`list_item_spans`]; with `first_only`, it stops at the first element and
/// returns from the array's start to that element's start, and no elements.
fn scan_items(b: &[u8], first_only: bool) -> Option<(std::ops::Range<usize>, Vec<std::ops::Range<usize>>)> {
    let mut depth = 0usize;
    let mut expecting_key = false;
    let mut key_is_items = false;
    let mut array: Option<std::ops::Range<usize>> = None;
    let mut in_items = false;
    let mut element: Option<usize> = None;
    let mut after_comma = false;
    let mut spans = Vec::new();
    let mut end = None;
    let trimmed_end = |mut e: usize| {
        while e > 0 && is_json_ws(&b[e - 1]) {
            e -= 1;
        }
        e
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                let start = i;
                i += 1;
                // To the closing quote, stepping over escapes.
                while let Some(at) = memchr::memchr2(b'"', b'\\', &b[i.min(b.len())..]) {
                    i += at;
                    if b[i] == b'"' {
                        break;
                    }
                    i += 2;
                }
                if depth == 1 && expecting_key {
                    key_is_items = b.get(start + 1..i) == Some(b"items".as_slice());
                    expecting_key = false;
                } else if in_items && depth == 2 && element.is_none() {
                    element = Some(start);
                    if first_only {
                        return Some((array?.start..start, Vec::new()));
                    }
                }
            }
            b'{' | b'[' => {
                if in_items && depth == 2 && element.is_none() {
                    element = Some(i);
                    if first_only {
                        return Some((array?.start..i, Vec::new()));
                    }
                }
                depth += 1;
                if depth == 1 {
                    if c != b'{' {
                        return None;
                    }
                    expecting_key = true;
                } else if depth == 2 && c == b'[' && key_is_items {
                    if array.is_some() {
                        return None;
                    }
                    array = Some(i..i);
                    in_items = true;
                    after_comma = false;
                }
            }
            b'}' | b']' => {
                if in_items && depth == 2 {
                    match element.take() {
                        Some(start) => spans.push(start..trimmed_end(i)),
                        None if after_comma => return None,
                        None => {}
                    }
                    in_items = false;
                    if let Some(a) = array.as_mut() {
                        a.end = i + 1;
                    }
                }
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    end = Some(i + 1);
                    break;
                }
            }
            b',' => {
                if depth == 1 {
                    expecting_key = true;
                    key_is_items = false;
                } else if in_items && depth == 2 {
                    spans.push(element.take()?..trimmed_end(i));
                    after_comma = true;
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' | b':' => {}
            _ => {
                if in_items && depth == 2 && element.is_none() {
                    element = Some(i);
                    if first_only {
                        return Some((array?.start..i, Vec::new()));
                    }
                }
            }
        }
        i += 1;
        // Indentation and other bytes that change nothing, in a tight loop.
        while i < b.len() && !STRUCTURAL[usize::from(b[i])] {
            i += 1;
        }
    }
    let end = end?;
    if !b[end..].iter().all(is_json_ws) {
        return None;
    }
    let array = array.filter(|a| a.end > a.start)?;
    Some((array, spans))
}

impl<'de> de::Deserialize<'de> for ListSplit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ListSplitVisitor)
    }
}

struct ListSplitVisitor;

impl<'de> Visitor<'de> for ListSplitVisitor {
    type Value = ListSplit;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON List")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<ListSplit, A::Error> {
        let mut entries: Vec<(mcp_diag_model::Key, Tree)> = Vec::new();
        let mut items = false;
        while let Some(key) = access.next_key::<String>()? {
            if key == "items" {
                if items {
                    // The last of duplicate keys wins; the sequential reading does that.
                    return Err(de::Error::custom("two items keys"));
                }
                items = true;
                access.next_value::<de::IgnoredAny>()?;
            } else {
                entries.push((mcp_diag_model::key_from_string(key), access.next_value()?));
            }
        }
        Ok(ListSplit {
            head: Tree::map(entries),
        })
    }
}

fn parse_json_sequential(file: &str, text: &str, out: &mut ParsedFile) {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<dupkeys::Value>();
    loop {
        let start = stream.byte_offset();
        dupkeys::begin();
        let value = match stream.next() {
            None => break,
            Some(Ok(value)) => value.0,
            Some(Err(e)) => {
                out.problems.push(input_invalid(
                    file,
                    e.line() as u64,
                    Some(e.column() as u64),
                    format!("invalid JSON: {e}"),
                ));
                break;
            }
        };
        let rest = &text[start..];
        let skipped = rest.len() - rest.trim_start().len();
        let (doc_line, doc_column) = line_column(text.as_bytes(), start + skipped);
        let duplicates = dupkeys::finish();
        if !duplicates.is_empty() {
            let doc = &text[start + skipped..stream.byte_offset()];
            let located = locate_json_duplicates(doc, duplicates, doc_column);
            push_duplicates(file, located, doc_line - 1, 0, out);
        }
        let item_lines = json_item_lines(&text.as_bytes()[start + skipped..]);
        let items = item_lines.map(|lines| lines.into_iter().map(|l| l + doc_line - 1).collect());
        push_document(file, doc_line, Doc::from(value), items, out);
    }
}

/// The repeated keys of one JSON document, with their places: the JSON reader knows no
/// lines, so the document is read once more as YAML (JSON is YAML), which finds the same
/// repeats with their lines. Repeats are rare, so this costs nothing in general; when that
/// reading disagrees, the repeats are reported at the document's first line. `column` is
/// where the document starts on its first line.
fn locate_json_duplicates(
    doc: &str,
    duplicates: Vec<dupkeys::Duplicate>,
    column: u64,
) -> Vec<dupkeys::Duplicate> {
    let as_yaml = read_yaml(doc);
    if let Ok(Some(yaml)) = as_yaml {
        let same = yaml.duplicates.len() == duplicates.len()
            && yaml
                .duplicates
                .iter()
                .zip(&duplicates)
                .all(|(a, b)| a.key == b.key);
        if same {
            return yaml
                .duplicates
                .into_iter()
                .map(|mut d| {
                    if d.line == 1 {
                        d.shift(0, column - 1);
                    }
                    d
                })
                .collect();
        }
    }
    duplicates.into_iter().map(dupkeys::Duplicate::unplaced).collect()
}

/// The line (from 1) of each element of the top-level `items` array of one JSON document,
/// found by a scan that tracks strings and nesting; `None` when there is no such array.
fn json_item_lines(doc: &[u8]) -> Option<Vec<u64>> {
    let mut depth = 0usize;
    let mut line = 1u64;
    let mut i = 0;
    let mut last_key_is_items = false;
    let mut expecting_key = false;
    let mut in_items = false;
    let mut lines = Vec::new();
    let mut want_element = false;
    while i < doc.len() {
        let b = doc[i];
        match b {
            b'\n' => line += 1,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < doc.len() && doc[i] != b'"' {
                    if doc[i] == b'\\' {
                        i += 1;
                    } else if doc[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                if in_items && want_element && depth == 2 {
                    lines.push(line);
                    want_element = false;
                }
                if depth == 1 && expecting_key {
                    last_key_is_items = &doc[start..i.min(doc.len())] == b"items";
                    expecting_key = false;
                }
            }
            b'{' | b'[' => {
                if in_items && want_element && depth == 2 {
                    lines.push(line);
                    want_element = false;
                }
                depth += 1;
                if depth == 1 && b == b'{' {
                    expecting_key = true;
                }
                if depth == 2 && b == b'[' && last_key_is_items {
                    in_items = true;
                    want_element = true;
                }
            }
            b'}' | b']' => {
                if depth == 2 && in_items {
                    return Some(lines);
                }
                depth = depth.saturating_sub(1);
            }
            b',' => {
                if depth == 1 {
                    expecting_key = true;
                    last_key_is_items = false;
                } else if depth == 2 && in_items {
                    want_element = true;
                }
            }
            b' ' | b'\t' | b'\r' | b':' => {}
            _ => {
                if in_items && want_element && depth == 2 {
                    lines.push(line);
                    want_element = false;
                }
            }
        }
        i += 1;
    }
    None
}

/// One YAML document, split at `---` lines: its text and the line it starts on.
struct Chunk<'a> {
    text: &'a str,
    first_line: u64,
}

/// Splits a YAML stream at document markers. A `---` at the start of a line always starts a
/// new document in YAML (it cannot occur inside a scalar), so the split is exact, and one
/// broken document does not hide the others.
fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut start_line = 1u64;
    let mut offset = 0;
    // Each line with its newline, found by one vectorised scan (splitting line by line
    // costs more than the rest of this loop).
    let mut from = 0;
    let ends = memchr::memchr_iter(b'\n', text.as_bytes())
        .map(|at| at + 1)
        .chain((!text.ends_with('\n') && !text.is_empty()).then_some(text.len()));
    for (line_no, end) in (1u64..).zip(ends) {
        let line = &text[from..end];
        from = end;
        // Only lines that start with `---` or `...` matter.
        if !(line.starts_with("---") || line.starts_with("...")) {
            offset += line.len();
            continue;
        }
        let bare = line.trim_end_matches(['\n', '\r']);
        let is_marker = |m: &str| {
            bare.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        };
        if is_marker("---") {
            if offset > start {
                chunks.push(Chunk {
                    text: &text[start..offset],
                    first_line: start_line,
                });
            }
            start = offset;
            start_line = line_no;
        } else if is_marker("...") {
            chunks.push(Chunk {
                text: &text[start..offset],
                first_line: start_line,
            });
            start = offset + line.len();
            start_line = line_no + 1;
        }
        offset += line.len();
    }
    if text.len() > start {
        chunks.push(Chunk {
            text: &text[start..],
            first_line: start_line,
        });
    }
    chunks
}

fn is_blank_document(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t.starts_with("--- #") || t.starts_with('%')
    })
}

pub(crate) fn yaml_options(len: usize) -> serde_saphyr::Options {
    // Legitimate YAML yields less than one parser event per input byte, so this budget never
    // stops a real document, while an alias bomb is cut off after a bounded amount of work.
    let budget = serde_saphyr::budget! {
        max_events: len + 100_000,
        max_aliases: 10_000,
        max_anchors: 10_000,
        max_depth: MAX_DEPTH,
        max_recorded_anchor_events: 200_000,
        // The defaults (250,000 nodes, 64 MiB of scalars) stop a `kubectl get -o yaml` List
        // of some 20,000 pods; a document cannot hold more nodes or scalar bytes than bytes
        // without aliases, which the limits above bound.
        max_nodes: len + 100_000,
        max_total_scalar_bytes: len + (1 << 20),
    };
    // Every entry reaches the visitor, which keeps the last value of a repeated key (as
    // kubectl's decoder does) and reports the repeat (see `dupkeys`).
    serde_saphyr::options! { budget: budget, duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough }
}

fn parse_yaml(file: &str, text: &str, fast: bool, out: &mut ParsedFile) {
    for chunk in split_documents(text) {
        if is_blank_document(chunk.text) {
            continue;
        }
        let first_new = out.objects.len();
        let first_problem = out.problems.len();
        parse_chunk(file, &chunk, fast, out);
        if let Some(template) = helm_source(chunk.text) {
            for object in &mut out.objects[first_new..] {
                if let Some(location) = &mut object.location {
                    location.template = Some(template.to_owned());
                }
            }
            // A repeated key is fixed in the chart's template, not in the rendered file.
            for problem in &mut out.problems[first_problem..] {
                if problem.check == dupkeys::INPUT_DUPLICATE_KEY
                    && let Some(location) = &mut problem.location
                {
                    location.template = Some(template.to_owned());
                }
            }
        }
    }
}

/// `helm template` marks each document with `# Source: chart/templates/file.yaml`.
fn helm_source(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .take_while(|l| l.is_empty() || l.starts_with('#') || l.starts_with("---"))
        .find_map(|l| l.strip_prefix("# Source: "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn parse_chunk(file: &str, chunk: &Chunk<'_>, fast: bool, out: &mut ParsedFile) {
    if fast && chunk.text.len() >= yaml_list::YAML_LIST_MIN {
        match yaml_list::parse_list(file, chunk, out) {
            yaml_list::ListOutcome::Read => return,
            yaml_list::ListOutcome::NotAList => {}
            yaml_list::ListOutcome::ItemsFailed(items) => {
                // The whole document decides; when it does not parse either, what the items
                // gave is more (every other item, and where each bad one is).
                let mut whole = ParsedFile::default();
                let keep = if parse_document(file, chunk, fast, &mut whole) {
                    whole
                } else {
                    items
                };
                out.objects.extend(keep.objects);
                out.problems.extend(keep.problems);
                return;
            }
        }
    }
    parse_document(file, chunk, fast, out);
}

/// One YAML document read whole: the fast path, else the general parser. Whether it was
/// YAML (its objects may still have problems).
fn parse_document(file: &str, chunk: &Chunk<'_>, fast: bool, out: &mut ParsedFile) -> bool {
    let attempt = if fast {
        crate::fastyaml::parse_document(chunk.text, chunk.first_line)
    } else {
        Err(crate::fastyaml::Unsupported)
    };
    match attempt {
        Ok(Some(doc)) => {
            push_document(file, doc.line, doc.doc, doc.item_lines, out);
            return true;
        }
        Ok(None) => return true,
        Err(crate::fastyaml::Unsupported) => {}
    }
    let parsed = read_yaml(chunk.text);
    match parsed {
        Ok(Some(doc)) => {
            let line = doc.line.map_or(chunk.first_line, |l| l + chunk.first_line - 1);
            let items = doc
                .item_lines
                .map(|ls| ls.into_iter().map(|l| l + chunk.first_line - 1).collect());
            push_duplicates(file, doc.duplicates, chunk.first_line - 1, 0, out);
            push_document(file, line, Doc::from(doc.value), items, out);
            true
        }
        Ok(None) => true,
        Err(e) => {
            let (line, column) = e
                .location()
                .map_or((1, None), |loc| (loc.line().max(1), Some(loc.column().max(1))));
            out.problems.push(input_invalid(
                file,
                line + chunk.first_line - 1,
                column,
                format!("invalid YAML: {}", first_line_of(&e.to_string())),
            ));
            false
        }
    }
}

/// Reports the repeated keys of a document read from text that starts `lines` lines and
/// `columns` columns into the file.
fn push_duplicates(
    file: &str,
    duplicates: Vec<dupkeys::Duplicate>,
    lines: u64,
    columns: u64,
    out: &mut ParsedFile,
) {
    for mut duplicate in duplicates {
        duplicate.shift(lines, columns);
        out.problems.push(duplicate.finding(file));
    }
}

/// One YAML document read by the general parser, repeated keys with their places.
fn read_yaml(text: &str) -> Result<Option<YamlDoc>, serde_saphyr::Error> {
    dupkeys::read_placed(
        || serde_saphyr::from_str_with_options::<Option<YamlDoc>>(text, yaml_options(text.len())),
        |doc| doc.as_mut().map(|d| &mut d.duplicates),
    )
}

fn first_line_of(message: &str) -> String {
    let mut line = message.lines().next().unwrap_or(message).trim();
    if line.contains("budget breached") {
        return "the document expands beyond the parser's limits (aliases expanding without bound, \
                or too many nodes); it was not read"
            .to_owned();
    }
    // serde-saphyr prefixes "error: line N column M: "; the location already says that.
    line = line.strip_prefix("error: ").unwrap_or(line);
    if line.starts_with("line ")
        && let Some((_, rest)) = line.split_once(": ")
    {
        line = rest;
    }
    // Advice meant for programmers using the parser library, not for people scanning.
    let line = match line.find(" (set ").or_else(|| line.find(", set ")) {
        Some(at) => &line[..at],
        None => line,
    };
    line.to_owned()
}

/// Adds one parsed document: a single object, or the items of a `List`.
fn push_document(file: &str, line: u64, doc: Doc, item_lines: Option<Vec<u64>>, out: &mut ParsedFile) {
    let root = doc.root();
    if !root.is_map() {
        if !root.is_null() {
            out.problems.push(input_invalid(
                file,
                line,
                None,
                format!(
                    "the document is a {} where a Kubernetes object (a mapping) was expected",
                    root.type_name()
                ),
            ));
        }
        return;
    }
    let kind = doc.get("kind").and_then(Node::as_str).unwrap_or_default();
    let items = doc.get("items");
    let is_list = kind.ends_with("List") && items.is_some_and(|i| i.is_seq() || i.is_null());
    if !is_list {
        push_object(file, line, doc, out);
        return;
    }
    let list_api_version = doc.get("apiVersion").and_then(Node::as_str);
    let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
    let Some(items) = items.and_then(Node::as_seq) else {
        return;
    };
    // Each item becomes a document of its own: a copy. Big Lists rarely come this way
    // (`yaml_list` reads them item by item).
    let lines = item_lines.unwrap_or_default();
    for (index, item) in items.iter().enumerate() {
        let item_line = lines.get(index).copied().unwrap_or(line);
        push_list_item(file, item_line, item.to_doc(), list_api_version, item_kind, out);
    }
}

/// Adds one item of a `List`. `kubectl get -o yaml` items carry apiVersion and kind; items
/// of a typed list may not, and get the list's.
fn push_list_item(
    file: &str,
    line: u64,
    mut item: Doc,
    list_api_version: Option<&str>,
    item_kind: Option<&str>,
    out: &mut ParsedFile,
) {
    if !item.root().is_map() {
        out.problems.push(input_invalid(
            file,
            line,
            None,
            format!(
                "a list item is a {} where a Kubernetes object was expected",
                item.root().type_name()
            ),
        ));
        return;
    }
    if let Some(kind) = item_kind
        && item.get("kind").is_none()
    {
        if let Some(av) = list_api_version {
            item.insert_if_missing("apiVersion", av);
        }
        item.insert_if_missing("kind", kind);
    }
    // A List inside a List (concatenated `kubectl get` outputs): its items count too.
    if item
        .get("kind")
        .and_then(Node::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && item.get("items").is_some_and(Node::is_seq)
    {
        push_document(file, line, item, None, out);
        return;
    }
    push_object(file, line, item, out);
}

fn push_object(file: &str, line: u64, value: impl Into<Doc>, out: &mut ParsedFile) {
    let value: Doc = value.into();
    let has = |k: &str| value.get(k).and_then(Node::as_str).is_some_and(|s| !s.is_empty());
    let missing: Vec<&str> = ["apiVersion", "kind"].into_iter().filter(|k| !has(k)).collect();
    if !missing.is_empty() {
        if let Some(bad) = missing.iter().find_map(|k| fields::top_non_text(&value, k)) {
            out.problems.push(bad.finding(file, line));
            return;
        }
        out.problems.push(input_invalid(
            file,
            line,
            None,
            format!(
                "the document has no {} (as text), so it is not a Kubernetes object",
                missing.join(" and no ")
            ),
        ));
        return;
    }
    if let Some(bad) = fields::metadata_non_text(&value) {
        out.problems.push(bad.finding(file, line));
        return;
    }
    if let Some(object) = Object::from_node(value, Some(Location::new(file, line))) {
        // kustomize's own configuration (`apiVersion: builtin`, `kustomize.config.k8s.io/*`)
        // is not an object any API server serves.
        if crate::skip::is_kustomize_api_version(&object.api_version) {
            out.problems
                .push(crate::skip::kustomize_skipped(file, Some(&object.kind)));
            return;
        }
        out.objects.push(object);
    }
}

/// A top-level document: the value, its line, the line of each `items` element, and the
/// repeated keys, in one pass over the parser's events.
struct YamlDoc {
    value: Tree,
    line: Option<u64>,
    item_lines: Option<Vec<u64>>,
    /// Lines relative to the text parsed.
    duplicates: Vec<dupkeys::Duplicate>,
}

impl<'de> de::Deserialize<'de> for YamlDoc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        dupkeys::begin();
        let spanned = Spanned::<DocBody>::deserialize(deserializer)?;
        let line = spanned.referenced.line();
        Ok(Self {
            value: spanned.value.value,
            line: (line > 0).then_some(line),
            item_lines: spanned.value.item_lines,
            duplicates: dupkeys::finish(),
        })
    }
}

struct DocBody {
    value: Tree,
    item_lines: Option<Vec<u64>>,
}

impl<'de> de::Deserialize<'de> for DocBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DocVisitor)
    }
}

/// The elements of a top-level `items` sequence, each with its line.
struct Items(Vec<Spanned<dupkeys::Value>>);

impl<'de> de::Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(ItemsVisitor)
    }
}

struct ItemsVisitor;

impl<'de> Visitor<'de> for ItemsVisitor {
    type Value = Items;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, access: A) -> Result<Items, A::Error> {
        let mut items = Vec::new();
        dupkeys::read_seq(access, |item| items.push(item))?;
        Ok(Items(items))
    }
}

/// Reads the top-level mapping itself so that `items` can be read with spans; any other
/// document is read as a plain [`Tree`]. Repeated keys are read by [`dupkeys`] at every
/// level.
struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = DocBody;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<DocBody, A::Error> {
        let mut map = dupkeys::MapReader::default();
        let mut item_lines = None;
        while let Some((key, line, column)) = dupkeys::MapReader::next_key(&mut access)? {
            if &*key == "items" {
                let lines = &mut item_lines;
                map.value(key, line, column, || {
                    let items: Option<Items> = access.next_value()?;
                    Ok(match items {
                        Some(Items(items)) => {
                            *lines = Some(items.iter().map(|s| s.referenced.line()).collect());
                            Tree::Seq(items.into_iter().map(|s| s.value.0).collect())
                        }
                        None => {
                            *lines = None;
                            Tree::Null
                        }
                    })
                })?;
            } else {
                map.value(key, line, column, || {
                    access.next_value::<dupkeys::Value>().map(|v| v.0)
                })?;
            }
        }
        Ok(DocBody {
            value: map.finish(),
            item_lines,
        })
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, access: A) -> Result<DocBody, A::Error> {
        let mut values = Vec::new();
        dupkeys::read_seq(access, |v: dupkeys::Value| values.push(v.0))?;
        Ok(DocBody {
            value: Tree::Seq(values.into_boxed_slice()),
            item_lines: None,
        })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<DocBody, E> {
        Ok(DocBody {
            value: Tree::text(v),
            item_lines: None,
        })
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<DocBody, E> {
        Ok(DocBody {
            value: Tree::Bool(v),
            item_lines: None,
        })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<DocBody, E> {
        Ok(DocBody {
            value: Tree::Int(v),
            item_lines: None,
        })
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<DocBody, E> {
        Ok(DocBody {
            value: Tree::UInt(v),
            item_lines: None,
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<DocBody, E> {
        Ok(DocBody {
            value: Tree::Float(v),
            item_lines: None,
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<DocBody, E> {
        Ok(DocBody {
            value: Tree::Null,
            item_lines: None,
        })
    }

    fn visit_none<E: de::Error>(self) -> Result<DocBody, E> {
        self.visit_unit()
    }
}

mod dupkeys;
mod fields;
pub(crate) mod stream;
mod yaml_list;

#[cfg(test)]
mod tests;
