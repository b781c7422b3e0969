//! Big JSON `List` files are read in blocks: each block's elements are parsed on the parser
//! pool while the next block is read. The layout `snapshot` writes (one object per line) is
//! cut at line ends; any other (kubectl's pretty printing) by an item scanner.
//! The whole file is never in memory at once, which saves reading it into a buffer as big
//! as itself before parsing can start (on a 570 MB file of 150,000 pods, half a second of
//! page faults and copying).
//!
//! Anything unexpected (another layout, a line that is not one whole value, bad UTF-8) gives
//! up, having added nothing; the caller then reads the file the ordinary way, which says
//! what is wrong and where.

use std::io::Read;
use std::path::Path;

use mcp_diag_model::{Builder, Doc, Tree};
use rayon::prelude::*;
use serde::de::Deserialize;

use super::{ITEMS_PER_TASK, ListSplit, ParsedFile, is_json_ws, push_list_item, scan_items, trim_json};

/// Bytes read at a time.
const BLOCK: usize = 8 << 20;

/// The most read while looking for the first element.
const HEAD_MAX: usize = 16 << 20;

/// Files at least this big are streamed.
pub(crate) const STREAM_MIN: u64 = 32 << 20;

/// Reads the List at `path`; `None` when it is not a List of objects or does not parse.
pub(crate) fn read_list(display: &str, path: &Path) -> Option<ParsedFile> {
    read_list_from(display, std::fs::File::open(path).ok()?, BLOCK)
}

pub(crate) fn read_list_from(
    display: &str,
    mut source: impl Read + Send,
    block: usize,
) -> Option<ParsedFile> {
    let mut current = Vec::with_capacity(block);
    // The head, up to the items array's `[`, and the whole first element (or the array's
    // end): its layout decides how the rest is cut.
    let (bom, array, first_end) = loop {
        let added = fill(&mut source, &mut current, block).ok()?;
        let bom = if current.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        if let Some((mut array, _)) = scan_items(&current[bom..], true) {
            // Without elements, the scanner gives the whole array: start at its `]`.
            if current[bom + array.end - 1] == b']' {
                array.end -= 1;
            }
            let first = array.end + bom;
            let mut expect = Expect::First;
            let cut = split_items(&current[first..], &mut expect)?;
            if let Some(span) = cut.spans.first() {
                break (bom, array, Some(first + span.end));
            }
            if cut.end.is_some() {
                break (bom, array, None);
            }
        }
        if added == 0 || current.len() > HEAD_MAX {
            return None;
        }
    };
    let (array_start, first) = (array.start + bom, array.end + bom);
    // One element per line (what `snapshot` writes) is cut at line ends, found with a
    // vectorised search; any other layout (kubectl's pretty printing) by the item scanner.
    let line_start = current[..first]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    let one_per_line = first_end.is_some_and(|end| {
        line_start > array_start
            && current[line_start..first].iter().all(is_json_ws)
            && memchr::memchr(b'\n', &current[first..end]).is_none()
    });
    let mut cutter = if one_per_line {
        Cutter::Lines { last_seen: false }
    } else {
        Cutter::Items {
            expect: Expect::First,
        }
    };
    let mut head = current[bom..array_start].to_vec();
    let mut line = 1 + memchr::memchr_iter(b'\n', &current[..first]).count() as u64;
    current.drain(..first);

    let mut docs: Vec<Vec<Doc>> = Vec::new();
    let mut lines: Vec<u64> = Vec::new();
    let mut at_end = false;
    let mut tail = Vec::new();
    let mut next = Vec::with_capacity(block);
    loop {
        // The complete elements of `current` are parsed while the next block is read.
        let (items, consumed) = cutter.cut(&current, at_end, &mut line, &mut lines, &mut tail)?;
        let (read, parsed) = rayon::join(
            || {
                next.clear();
                next.extend_from_slice(&current[consumed..]);
                if at_end {
                    Ok(0)
                } else {
                    fill(&mut source, &mut next, block)
                }
            },
            || parse_items(&items),
        );
        docs.push(parsed?);
        let added = read.ok()?;
        if at_end {
            break;
        }
        at_end = added == 0;
        std::mem::swap(&mut current, &mut next);
    }
    // After the last element: `]`, then the rest of the head.
    if !cutter.finished() {
        return None;
    }
    let close = tail.iter().position(|c| !is_json_ws(c))?;
    if tail[close] != b']' {
        return None;
    }
    head.extend_from_slice(b"null");
    head.extend_from_slice(&tail[close + 1..]);
    let mut de = serde_json::Deserializer::from_slice(&head);
    let ListSplit { head } = ListSplit::deserialize(&mut de).ok()?;
    de.end().ok()?;
    let kind = head.get("kind").and_then(Tree::as_str).unwrap_or_default();
    if !kind.ends_with("List") {
        return None;
    }
    let list_api_version = head.get("apiVersion").and_then(Tree::as_str);
    let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
    let docs: Vec<(u64, Doc)> = lines.into_iter().zip(docs.into_iter().flatten()).collect();
    let parts: Vec<ParsedFile> = docs
        .into_par_iter()
        .chunks(ITEMS_PER_TASK)
        .map(|chunk| {
            let mut part = ParsedFile::default();
            for (line, doc) in chunk {
                push_list_item(display, line, doc, list_api_version, item_kind, &mut part);
            }
            part
        })
        .collect();
    let mut out = ParsedFile::default();
    for part in parts {
        out.objects.extend(part.objects);
        out.problems.extend(part.problems);
    }
    Some(out)
}

/// How a buffer is cut into elements.
enum Cutter {
    /// Each line one element ending in `,`, except the last element's, after which only the
    /// closing of the List may follow.
    Lines { last_seen: bool },
    /// Any layout: elements found by their brackets.
    Items { expect: Expect },
}

impl Cutter {
    /// The complete elements at the start of `buf` and how many bytes they (and what comes
    /// between them) take; `line` (of `buf`'s start) moves on, each element's line goes to
    /// `lines`, and whatever follows the items array goes to `tail`. With `at_end`, `buf` is
    /// the rest of the input. `None`: not this layout.
    fn cut<'b>(
        &mut self,
        buf: &'b [u8],
        at_end: bool,
        line: &mut u64,
        lines: &mut Vec<u64>,
        tail: &mut Vec<u8>,
    ) -> Option<(Vec<&'b [u8]>, usize)> {
        match self {
            Self::Lines { last_seen } => {
                let complete = match memchr::memrchr(b'\n', buf) {
                    Some(i) => i + 1,
                    None if at_end => buf.len(),
                    None => 0,
                };
                let body = &buf[..complete];
                let body = body.strip_suffix(b"\n").unwrap_or(body);
                let mut items = Vec::new();
                if body.is_empty() && complete == 0 {
                    return Some((items, 0));
                }
                // Lines found with a vectorised search: a byte-by-byte split cost 5% of `plan`.
                let mut from = 0;
                let ends = memchr::memchr_iter(b'\n', body).chain(std::iter::once(body.len()));
                for to in ends {
                    let text = &body[from..to];
                    from = to + 1;
                    let at = *line;
                    *line += 1;
                    if *last_seen {
                        tail.extend_from_slice(text);
                        tail.push(b'\n');
                        continue;
                    }
                    let text = trim_json(text);
                    if text.is_empty() {
                        return None; // blank lines only after the last element
                    }
                    lines.push(at);
                    match text.strip_suffix(b",") {
                        Some(item) => items.push(trim_json(item)),
                        None => {
                            // The last element, possibly with the List's closing on the same
                            // line: the item scanner handles that layout.
                            items.push(text);
                            *last_seen = true;
                        }
                    }
                }
                Some((items, complete))
            }
            Self::Items { expect } => {
                if *expect == Expect::Done {
                    tail.extend_from_slice(buf);
                    return Some((Vec::new(), buf.len()));
                }
                let cut = split_items(buf, expect)?;
                let mut at = 0;
                let mut items = Vec::with_capacity(cut.spans.len());
                for span in cut.spans {
                    *line += memchr::memchr_iter(b'\n', &buf[at..span.start]).count() as u64;
                    at = span.start;
                    lines.push(*line);
                    items.push(&buf[span]);
                }
                let consumed = match cut.end {
                    Some(end) => {
                        tail.push(b']');
                        tail.extend_from_slice(&buf[end..]);
                        buf.len()
                    }
                    None => cut.consumed,
                };
                *line += memchr::memchr_iter(b'\n', &buf[at..consumed]).count() as u64;
                if at_end && cut.end.is_none() {
                    return None; // the input ended inside the items array
                }
                Some((items, consumed))
            }
        }
    }

    /// Whether the items array ended.
    fn finished(&self) -> bool {
        match self {
            Self::Lines { last_seen } => *last_seen,
            Self::Items { expect } => *expect == Expect::Done,
        }
    }
}

/// What the item scanner expects next inside the items array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The first element, or `]` (no elements).
    First,
    /// An element (after a comma).
    Element,
    /// A comma or `]`.
    CommaOrEnd,
    /// Nothing: the array ended.
    Done,
}

/// The complete elements found by [`split_items`].
struct Split {
    spans: Vec<std::ops::Range<usize>>,
    /// Bytes taken: up to the start of an element that the buffer holds only part of.
    consumed: usize,
    /// Just past the array's `]`, when it was reached.
    end: Option<usize>,
}

/// Bytes that open or close a value inside an element.
const BRACKETS: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table[b'[' as usize] = true;
    table[b']' as usize] = true;
    table
};

/// Finds the elements of an items array from a point between elements. Elements must be
/// objects (List items are); the parser checks each element later, so this only finds
/// where each one ends, by its brackets outside strings. `None` on anything else.
fn split_items(b: &[u8], expect: &mut Expect) -> Option<Split> {
    let mut spans = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && is_json_ws(&b[i]) {
            i += 1;
        }
        let Some(&c) = b.get(i) else {
            return Some(Split {
                spans,
                consumed: b.len(),
                end: None,
            });
        };
        match (*expect, c) {
            (Expect::First | Expect::CommaOrEnd, b']') => {
                *expect = Expect::Done;
                return Some(Split {
                    spans,
                    consumed: i + 1,
                    end: Some(i + 1),
                });
            }
            (Expect::CommaOrEnd, b',') => {
                *expect = Expect::Element;
                i += 1;
            }
            (Expect::First | Expect::Element, b'{') => match element_end(b, i) {
                Some(end) => {
                    spans.push(i..end);
                    *expect = Expect::CommaOrEnd;
                    i = end;
                }
                None => {
                    return Some(Split {
                        spans,
                        consumed: i,
                        end: None,
                    });
                }
            },
            _ => return None,
        }
    }
}

/// Just past the object that starts at `start`; `None` when `b` ends inside it.
fn element_end(b: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                // To the closing quote, stepping over escapes.
                loop {
                    i += memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
                    if b[i] == b'"' {
                        break;
                    }
                    i += 2;
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
        while i < b.len() && !BRACKETS[usize::from(b[i])] {
            i += 1;
        }
    }
    None
}

/// Reads until `buf` holds `block` more bytes or the source ends; the number read.
fn fill(source: &mut impl Read, buf: &mut Vec<u8>, block: usize) -> std::io::Result<usize> {
    let mut total = 0;
    let want = buf.len() + block;
    while buf.len() < want {
        let n = source.by_ref().take((want - buf.len()) as u64).read_to_end(buf)?;
        if n == 0 {
            break;
        }
        total += n;
    }
    Ok(total)
}

/// Parses elements on the parser pool, each straight into its packed form.
fn parse_items(items: &[&[u8]]) -> Option<Vec<Doc>> {
    let parsed: Option<Vec<Vec<Doc>>> = items
        .par_chunks(ITEMS_PER_TASK)
        .map(|chunk| {
            let mut builder = Builder::default();
            let mut docs = Vec::with_capacity(chunk.len());
            for item in chunk {
                mcp_diag_model::parse_json_value(&mut builder, item).ok()?;
                if builder.too_many_keys() {
                    return None;
                }
                docs.push(builder.take());
            }
            Some(docs)
        })
        .collect();
    Some(parsed?.into_iter().flatten().collect())
}
