//! Big YAML `List` documents (`kubectl get pods -A -o yaml`) are cut into their items, and
//! the items are parsed on the parser pool, each on its own. That uses every core on one
//! big document, and an item that only the general parser reads (or that no parser reads)
//! costs that item, not the whole document.
//!
//! The cut follows the block layout every YAML writer uses for a List: top-level keys at
//! column 0, and `items:` followed by a block sequence. Anything else (a flow sequence,
//! tabs, an alias from one item into another) is left to the reading of the whole document,
//! which also decides whenever an item does not parse on its own.

use mcp_diag_model::{Doc, Finding, Node};
use rayon::prelude::*;

use super::{Chunk, ITEMS_PER_TASK, ParsedFile, input_invalid, push_list_item};

/// Documents at least this big are read item by item.
pub(super) const YAML_LIST_MIN: usize = 64 << 10;

/// What [`parse_list`] did.
pub(super) enum ListOutcome {
    /// The document was read, item by item, into `out`.
    Read,
    /// Not a List in block layout: nothing was added.
    NotAList,
    /// A List whose items did not all parse on their own: what was read, with a problem
    /// for each item that was not. The caller reads the whole document and keeps this only
    /// if that fails too.
    ItemsFailed(ParsedFile),
}

/// One element of the items sequence: the line of its `-` and its bytes in the document.
struct Item {
    line: u64,
    start: usize,
    end: usize,
}

/// Reads the List in `chunk` item by item.
pub(super) fn parse_list(file: &str, chunk: &Chunk<'_>, out: &mut ParsedFile) -> ListOutcome {
    let Some((head, head_lines, items)) = cut(chunk) else {
        return ListOutcome::NotAList;
    };
    let mut head_problems = ParsedFile::default();
    let Some((_, head)) = parse_value(file, &head, chunk.first_line, 0, &mut head_problems)
        .ok()
        .flatten()
    else {
        return ListOutcome::NotAList;
    };
    // The head's lines are not the file's (the items were cut out): a repeated key there
    // is reported by the reading of the whole document.
    if !head_problems.problems.is_empty() {
        return ListOutcome::NotAList;
    }
    let kind = head.get("kind").and_then(Node::as_str).unwrap_or_default();
    // A second `items` spelled another way (`"items":`), or a quoted value running over
    // lines that looked like keys: the head is not what the cut assumed.
    if !kind.ends_with("List") || head.get("items").is_some() || head_keys(&head) != Some(head_lines) {
        return ListOutcome::NotAList;
    }
    let list_api_version = head.get("apiVersion").and_then(Node::as_str);
    let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
    let parts: Vec<(ParsedFile, bool)> = items
        .par_chunks(ITEMS_PER_TASK)
        .map(|items| {
            let mut part = ParsedFile::default();
            let mut failed = false;
            for item in items {
                let parsed = match dedent(&chunk.text[item.start..item.end]) {
                    Some((text, cut)) => parse_value(file, &text, item.line, cut as u64, &mut part),
                    // Not an element that stands on its own: the whole reading decides.
                    None => Err(Box::new(input_invalid(
                        file,
                        item.line,
                        None,
                        "invalid YAML: a list item's lines are not indented as one value".into(),
                    ))),
                };
                match parsed {
                    Ok(Some((line, doc))) => {
                        push_list_item(file, line, doc, list_api_version, item_kind, &mut part);
                    }
                    Ok(None) => {
                        failed = true;
                        part.problems.push(input_invalid(
                            file,
                            item.line,
                            None,
                            "a list item is empty where a Kubernetes object was expected".into(),
                        ));
                    }
                    Err(problem) => {
                        failed = true;
                        part.problems.push(*problem);
                    }
                }
            }
            (part, failed)
        })
        .collect();
    let failed = parts.iter().any(|(_, failed)| *failed);
    let mut read = ParsedFile::default();
    for (part, _) in parts {
        read.objects.extend(part.objects);
        read.problems.extend(part.problems);
    }
    if failed {
        return ListOutcome::ItemsFailed(read);
    }
    out.objects.extend(read.objects);
    out.problems.extend(read.problems);
    ListOutcome::Read
}

/// One YAML document (an item or the head) as a value, with the line where its content
/// starts: the fast path, else the general parser. `Ok(None)` for an empty document; on
/// error, the problem to report. Repeated keys go to `out` (the text starts `columns`
/// columns into the file).
fn parse_value(
    file: &str,
    text: &str,
    first_line: u64,
    columns: u64,
    out: &mut ParsedFile,
) -> Result<Option<(u64, Doc)>, Box<Finding>> {
    match crate::fastyaml::parse_document(text, first_line) {
        Ok(Some(doc)) => return Ok(Some((doc.line, doc.doc))),
        Ok(None) => return Ok(None),
        Err(crate::fastyaml::Unsupported) => {}
    }
    match super::read_yaml(text) {
        Ok(doc) => Ok(doc.map(|d| {
            super::push_duplicates(file, d.duplicates, first_line - 1, columns, out);
            (
                d.line.map_or(first_line, |l| l + first_line - 1),
                Doc::from(d.value),
            )
        })),
        Err(e) => {
            let (line, column) = e
                .location()
                .map_or((1, None), |loc| (loc.line().max(1), Some(loc.column().max(1))));
            let message = format!("invalid YAML: {}", super::first_line_of(&e.to_string()));
            Err(Box::new(input_invalid(
                file,
                line + first_line - 1,
                column,
                message,
            )))
        }
    }
}

/// The List's head (every top-level entry but `items`, as a document of its own), how many
/// of its lines start a key at column 0, and the elements of its block `items` sequence;
/// `None` for any other layout.
fn cut(chunk: &Chunk<'_>) -> Option<(String, usize, Vec<Item>)> {
    let text = chunk.text;
    let mut head = String::new();
    let mut head_lines = 0;
    let mut items: Vec<Item> = Vec::new();
    // The column of the items' `-`, once the first is seen; `Some` while inside the items.
    let mut in_items = false;
    let mut items_seen = false;
    let mut entry_indent: Option<usize> = None;
    let mut offset = 0;
    for (i, raw) in lines_inclusive(text).enumerate() {
        let number = chunk.first_line + i as u64;
        let start = offset;
        offset += raw.len();
        // Bytes, not chars: this reads every line of a big List.
        let kept = raw
            .bytes()
            .rposition(|b| b != b'\n' && b != b'\r')
            .map_or(0, |p| p + 1);
        let line = &raw[..kept];
        let indent = line.bytes().take_while(|&b| b == b' ').count();
        let trimmed = &line[indent..];
        if trimmed.starts_with('\t') {
            return None;
        }
        let blank = trimmed.is_empty() || trimmed.starts_with('#');
        if in_items {
            if blank {
                if let Some(last) = items.last_mut() {
                    last.end = offset;
                }
                continue;
            }
            let dash = trimmed == "-" || trimmed.starts_with("- ");
            match entry_indent {
                None if dash => entry_indent = Some(indent),
                None => return None, // `items:` followed by something else than a block sequence
                Some(_) => {}
            }
            let entry = entry_indent.unwrap_or(0);
            if indent == entry && dash {
                items.push(Item {
                    line: number,
                    start,
                    end: offset,
                });
                continue;
            }
            if indent > entry {
                items.last_mut()?.end = offset;
                continue;
            }
            if indent != 0 {
                return None;
            }
            in_items = false; // the next top-level key
        }
        if indent == 0 && !blank {
            if trimmed == "..." {
                return None;
            }
            if let Some(rest) = trimmed.strip_prefix("items:") {
                let rest = rest.trim_start_matches(' ');
                if !(rest.is_empty() || rest.starts_with('#')) || items_seen {
                    return None; // a flow sequence, a scalar, or a second `items`
                }
                in_items = true;
                items_seen = true;
                continue;
            }
        }
        if indent == 0 && !blank && !trimmed.starts_with(['-', '%']) {
            head_lines += 1;
        }
        head.push_str(raw);
    }
    if items.is_empty() {
        return None;
    }
    if !head.ends_with('\n') {
        head.push('\n');
    }
    Some((head, head_lines, items))
}

/// How many keys the head has, when it is a mapping.
fn head_keys(head: &Doc) -> Option<usize> {
    head.as_map().map(|entries| entries.len())
}

/// An element of a block sequence as a document of its own: the `-` becomes a space and
/// every line loses the indentation of the element's content (also returned: how many
/// columns every line lost). `None` when a line is less indented than that content (YAML
/// would not read it as part of the element) or would become a document marker.
fn dedent(element: &str) -> Option<(String, usize)> {
    let mut lines = lines_inclusive(element);
    let first = lines.next()?;
    let dash = first.find('-')?;
    let after = &first[dash + 1..];
    let content = after.trim_start_matches(' ');
    let on_first_line = !content.trim_end_matches(['\n', '\r']).is_empty() && !content.starts_with('#');
    let mut out = String::with_capacity(element.len());
    let cut_at = if on_first_line {
        out.push_str(content);
        dash + 1 + (after.len() - content.len())
    } else {
        // `-` alone on its line: the content starts on the next non-blank line.
        out.push('\n');
        lines_inclusive(element)
            .skip(1)
            .map(|l| l.trim_end_matches(['\n', '\r']))
            .find(|l| {
                let t = l.trim_start_matches(' ');
                !t.is_empty() && !t.starts_with('#')
            })
            .map_or(0, |l| l.len() - l.trim_start_matches(' ').len())
    };
    for line in lines {
        let rest = line.trim_start_matches(' ');
        let spaces = line.len() - rest.len();
        let blank = rest.trim_end_matches(['\n', '\r']).is_empty() || rest.starts_with('#');
        if spaces < cut_at && !blank {
            return None;
        }
        let kept = &line[spaces.min(cut_at)..];
        if spaces == cut_at && is_marker(kept) {
            return None;
        }
        out.push_str(kept);
    }
    if is_marker(&out) {
        return None;
    }
    Some((out, cut_at))
}

/// The lines of `text` with their line breaks, as `str::split_inclusive('\n')` gives them,
/// found by a vectorised scan: the cut and the dedent read every byte of a big List, and
/// the standard library's search for a character cost more than the rest of the cut.
fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> {
    let mut from = 0;
    memchr::memchr_iter(b'\n', text.as_bytes())
        .map(|end| end + 1)
        .chain(std::iter::once(text.len()))
        .filter_map(move |end| {
            let line = text.get(from..end).filter(|l| !l.is_empty());
            from = end;
            line
        })
}

/// Whether a line starts with a document marker (`---` or `...` and then a space or its end).
fn is_marker(line: &str) -> bool {
    (line.starts_with("---") || line.starts_with("..."))
        && line[3..]
            .chars()
            .next()
            .is_none_or(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_inclusive_cuts_as_split_inclusive_does() {
        for text in ["", "\n", "a", "a\n", "a\nb", "a\r\nb\n\n", "\n\nx\n", "é\nü"] {
            let ours: Vec<&str> = super::lines_inclusive(text).collect();
            let std: Vec<&str> = text.split_inclusive('\n').collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }
}
