//! Big JSON `List` files in the layout `snapshot` writes (one object per line) are read in
//! blocks: each block's lines are parsed on the parser pool while the next block is read.
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

use super::{ITEMS_PER_TASK, ListSplit, ParsedFile, push_list_item, scan_items};

/// Bytes read at a time.
const BLOCK: usize = 8 << 20;

/// The most read while looking for the first element.
const HEAD_MAX: usize = 16 << 20;

/// Files at least this big are streamed.
pub(crate) const STREAM_MIN: u64 = 32 << 20;

/// Reads the List at `path`; `None` when it is not in the one-object-per-line layout or
/// does not parse.
pub(crate) fn read_list(display: &str, path: &Path) -> Option<ParsedFile> {
    read_list_from(display, std::fs::File::open(path).ok()?, BLOCK)
}

pub(crate) fn read_list_from(
    display: &str,
    mut source: impl Read + Send,
    block: usize,
) -> Option<ParsedFile> {
    let mut current = Vec::with_capacity(block);
    // The head, up to the items array's `[`, and the first element, which must start a line.
    let (bom, array) = loop {
        let added = fill(&mut source, &mut current, block).ok()?;
        let bom = if current.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        if let Some((array, _)) = scan_items(&current[bom..], true) {
            break (bom, array);
        }
        if added == 0 || current.len() > HEAD_MAX {
            return None;
        }
    };
    let (array_start, first) = (array.start + bom, array.end + bom);
    let line_start = current[..first].iter().rposition(|&c| c == b'\n')? + 1;
    if line_start <= array_start || !current[line_start..first].iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let mut head = current[bom..array_start].to_vec();
    let first_line = 1 + memchr::memchr_iter(b'\n', &current[..first]).count() as u64;
    current.drain(..first);

    let mut docs: Vec<Vec<Doc>> = Vec::new();
    let mut last_seen = false;
    let mut at_end = false;
    let mut tail = Vec::new();
    let mut next = Vec::with_capacity(block);
    loop {
        // The complete lines of `current` are parsed while the next block is read.
        let complete = match memchr::memrchr(b'\n', &current) {
            Some(i) => i + 1,
            None if at_end => current.len(),
            None => 0,
        };
        let body = &current[..complete];
        let body = body.strip_suffix(b"\n").unwrap_or(body);
        let lines: Vec<&[u8]> = if body.is_empty() {
            Vec::new()
        } else {
            body.split(|&c| c == b'\n').collect()
        };
        let (read, parsed) = rayon::join(
            || {
                next.clear();
                next.extend_from_slice(&current[complete..]);
                if at_end {
                    Ok(0)
                } else {
                    fill(&mut source, &mut next, block)
                }
            },
            || parse_lines(&lines, &mut last_seen, &mut tail),
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
    if !last_seen {
        return None;
    }
    let close = tail.iter().position(|c| !c.is_ascii_whitespace())?;
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
    let docs: Vec<(u64, Doc)> = docs
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, d)| (first_line + i as u64, d))
        .collect();
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

/// Parses lines, each one element ending in `,` except the last element's, after which
/// only the closing of the List may follow (kept in `tail`).
fn parse_lines(lines: &[&[u8]], last_seen: &mut bool, tail: &mut Vec<u8>) -> Option<Vec<Doc>> {
    let mut items: Vec<&[u8]> = Vec::with_capacity(lines.len());
    for line in lines {
        if *last_seen {
            tail.extend_from_slice(line);
            tail.push(b'\n');
            continue;
        }
        let text = line.trim_ascii();
        if text.is_empty() {
            // Blank lines only after the last element.
            return None;
        }
        match text.strip_suffix(b",") {
            Some(item) => items.push(item.trim_ascii_end()),
            None => {
                // The last element, possibly with the List's closing on the same line: the
                // scanner path handles that layout.
                items.push(text);
                *last_seen = true;
            }
        }
    }
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
