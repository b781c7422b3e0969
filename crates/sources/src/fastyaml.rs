//! A fast path for the YAML that Kubernetes tools write (kubectl, helm template, kustomize
//! and hand-written manifests): block mappings and sequences, plain and quoted scalars,
//! single-line flow collections, literal and folded block scalars, comments.
//!
//! It is at least ten times faster than the general parser and allocates only the result:
//! values go straight into a [`Builder`], so the document comes out packed.
//! Anything it is not certain about (anchors, tags, multi-line plain or quoted scalars,
//! ambiguous scalars such as `yes` or `0755`, duplicate keys, tabs, errors of any kind) makes
//! it give up, and the document goes to serde-saphyr, which decides and reports errors. A
//! differential test holds the two to the same results.

use std::borrow::Cow;

use mcp_diag_model::{Builder, Doc};

/// A parsed document: the value, the line of its first content, and the line of each
/// element of a top-level `items` sequence.
pub(crate) struct FastDoc {
    pub doc: Doc,
    pub line: u64,
    pub item_lines: Option<Vec<u64>>,
}

/// A scalar as read, before it goes into the builder.
#[derive(Debug, PartialEq)]
enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Text(Cow<'a, str>),
}

impl Scalar<'_> {
    fn emit(self, b: &mut Builder) {
        match self {
            Scalar::Null => b.null(),
            Scalar::Bool(v) => b.bool(v),
            Scalar::Int(v) => b.int(v),
            Scalar::UInt(v) => b.uint(v),
            Scalar::Text(t) => b.str(&t),
        }
    }
}

fn text(s: &str) -> Scalar<'_> {
    Scalar::Text(Cow::Borrowed(s))
}

/// "Not handled here": the caller falls back to the general parser.
#[derive(Debug)]
pub(crate) struct Unsupported;

type R<T> = Result<T, Unsupported>;

#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    /// Text after the indentation, without the line break.
    text: &'a str,
    number: u64,
    /// Blank or comment-only.
    blank: bool,
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    ends_with_newline: bool,
    pos: usize,
    depth: usize,
    /// Where values go, children before parents. One per thread, reused: its buffers grow
    /// once, and its cache of field names stays warm across documents.
    b: Builder,
}

thread_local! {
    static BUILDER: std::cell::RefCell<Builder> = std::cell::RefCell::default();
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        // A document given up half way leaves values behind; only the buffers are kept.
        let mut b = std::mem::take(&mut self.b);
        b.clear();
        BUILDER.with(|cell| {
            if let Ok(mut slot) = cell.try_borrow_mut() {
                *slot = b;
            }
        });
    }
}

const MAX_DEPTH: usize = 200;

/// Parses one document (the text between `---` markers). `first_line` is the line number of
/// the first line of `text`.
pub(crate) fn parse_document(text: &str, first_line: u64) -> Result<Option<FastDoc>, Unsupported> {
    let mut lines = Vec::with_capacity(text.len() / 24 + 1);
    let ends_with_newline = text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    // Newlines found by one vectorised scan: splitting line by line costs more than the
    // rest of reading a short line.
    let mut from = 0;
    let ends = memchr::memchr_iter(b'\n', body.as_bytes()).chain(std::iter::once(body.len()));
    for (i, end) in ends.enumerate() {
        let raw = &body[from..end];
        from = end + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        // Bytes, not chars: the pattern search of `trim_start_matches` cost more here.
        let indent = raw.bytes().take_while(|&b| b == b' ').count();
        let trimmed = &raw[indent..];
        if trimmed.starts_with('\t') || (trimmed.is_empty() && raw.contains('\t')) {
            return Err(Unsupported);
        }
        let blank = trimmed.is_empty() || trimmed.starts_with('#');
        lines.push(Line {
            indent,
            text: trimmed,
            number: first_line + i as u64,
            blank,
        });
    }
    let mut p = Parser {
        lines,
        ends_with_newline,
        pos: 0,
        depth: 0,
        b: BUILDER.with(|cell| {
            cell.try_borrow_mut()
                .map(|mut b| std::mem::take(&mut *b))
                .unwrap_or_default()
        }),
    };
    // A leading `---` line, bare or with a comment, opens the document.
    p.skip_blank();
    if let Some(l) = p.peek() {
        if l.indent == 0 && l.text.starts_with("---") {
            // `---` must be followed by whitespace to be a marker; `---#` is a plain scalar.
            let after = &l.text[3..];
            let rest = after.trim_start();
            if !after.is_empty() && (after.len() == rest.len() || !(rest.is_empty() || rest.starts_with('#')))
            {
                return Err(Unsupported);
            }
            p.pos += 1;
        } else if l.text.starts_with('%') {
            return Err(Unsupported);
        }
    }
    p.skip_blank();
    let Some(first) = p.peek() else { return Ok(None) };
    if first.indent != 0 || !is_mapping_line(first.text) {
        return Err(Unsupported);
    }
    let line = first.number;
    let mut item_lines = None;
    p.mapping(0, Some(&mut item_lines))?;
    p.skip_blank();
    if p.peek().is_some() {
        return Err(Unsupported);
    }
    Ok(Some(FastDoc {
        doc: p.b.take(),
        line,
        item_lines,
    }))
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    fn skip_blank(&mut self) {
        while self.lines.get(self.pos).is_some_and(|l| l.blank) {
            self.pos += 1;
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(Unsupported)
        } else {
            Ok(())
        }
    }

    /// The node that starts on the next non-blank line, as the value of something at
    /// indentation `parent`; null when nothing deeper follows.
    fn nested(&mut self, parent: usize, sequence_allowed_at_parent: bool) -> R<()> {
        self.skip_blank();
        let Some(l) = self.peek() else {
            self.b.null();
            return Ok(());
        };
        if l.indent > parent {
            if is_sequence_line(l.text) {
                return self.sequence(l.indent, None);
            }
            // A mapping, or else a scalar on its own line, possibly spanning several, which
            // `mapping` refuses at its first line (saphyr reads it).
            return self.mapping(l.indent, None);
        }
        if l.indent == parent && sequence_allowed_at_parent && is_sequence_line(l.text) {
            return self.sequence(l.indent, None);
        }
        self.b.null();
        Ok(())
    }

    fn mapping(&mut self, indent: usize, mut items: Option<&mut Option<Vec<u64>>>) -> R<()> {
        self.enter()?;
        self.b.begin();
        loop {
            self.skip_blank();
            let Some(l) = self.peek() else { break };
            if l.indent < indent {
                break;
            }
            if l.indent > indent {
                return Err(Unsupported);
            }
            // One reading of the key decides that this is a mapping line and splits it.
            let (key, rest) = split_key(l.text)?;
            self.pos += 1;
            let rest = strip_comment(rest).trim();
            if rest.is_empty() {
                if key == "items"
                    && let Some(slot) = items.as_deref_mut()
                {
                    let mut lines = Vec::new();
                    if self.top_level_items(indent, &mut lines)? {
                        *slot = Some(lines);
                    }
                } else {
                    self.nested(indent, true)?;
                }
            } else {
                self.inline(rest, l.text, indent)?;
            }
            // A duplicate key sends the document to saphyr, where the reading keeps the last
            // value and reports the repeat with its path (`parse::dupkeys`). Repeats are
            // rare, so the fast path stays free of that bookkeeping.
            if !self.b.key_unique(&key) {
                return Err(Unsupported);
            }
        }
        self.depth -= 1;
        self.b.end_map();
        Ok(())
    }

    /// The value of a top-level `items` key; whether it was a block sequence (whose
    /// elements' lines are then in `lines`).
    fn top_level_items(&mut self, parent: usize, lines: &mut Vec<u64>) -> R<bool> {
        self.skip_blank();
        match self.peek() {
            Some(l) if l.indent >= parent && is_sequence_line(l.text) => {
                self.sequence(l.indent, Some(lines))?;
                Ok(true)
            }
            // Not a sequence line: `nested` reads no sequence from here either.
            _ => {
                self.nested(parent, true)?;
                Ok(false)
            }
        }
    }

    fn sequence(&mut self, indent: usize, mut item_lines: Option<&mut Vec<u64>>) -> R<()> {
        self.enter()?;
        self.b.begin();
        loop {
            self.skip_blank();
            let Some(l) = self.peek() else { break };
            if l.indent < indent {
                break;
            }
            if l.indent > indent || !is_sequence_line(l.text) {
                if l.indent == indent && is_mapping_line(l.text) {
                    // `key:` then `- item` at the same indentation ends here; the caller goes on.
                    break;
                }
                return Err(Unsupported);
            }
            if let Some(lines) = item_lines.as_deref_mut() {
                lines.push(l.number);
            }
            let after = &l.text[1..];
            let spaces = after.len() - after.trim_start_matches(' ').len();
            let content = &after[spaces..];
            if content.is_empty() || content.starts_with('#') {
                self.pos += 1;
                self.nested(indent, false)?;
                continue;
            }
            // `- key: value` or `- - x`: the rest of the line is a node at a deeper column.
            let column = indent + 1 + spaces;
            if is_mapping_line(content) || is_sequence_line(content) {
                self.lines[self.pos] = Line {
                    indent: column,
                    text: content,
                    number: l.number,
                    blank: false,
                };
                if is_sequence_line(content) {
                    self.sequence(column, None)?;
                } else {
                    self.mapping(column, None)?;
                }
                continue;
            }
            self.pos += 1;
            let rest = strip_comment(content).trim();
            self.inline(rest, content, indent)?;
        }
        self.depth -= 1;
        self.b.end_seq();
        Ok(())
    }

    /// A value written on the same line as its key or dash. `owner` is the indentation of
    /// the mapping or sequence it belongs to.
    fn inline(&mut self, rest: &str, _line: &str, owner: usize) -> R<()> {
        let first = rest.as_bytes()[0];
        match first {
            b'"' => double_quoted(rest)?.emit(&mut self.b),
            b'\'' => single_quoted(rest)?.emit(&mut self.b),
            b'[' | b'{' => {
                let mut f = Flow {
                    s: rest.as_bytes(),
                    text: rest,
                    i: 0,
                    depth: self.depth,
                };
                f.value(&mut self.b)?;
                f.skip_ws();
                if f.i != rest.len() {
                    return Err(Unsupported);
                }
            }
            b'|' | b'>' => return self.block_scalar(rest, owner),
            b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'?' | b',' | b']' | b'}' => return Err(Unsupported),
            b'-' if rest.len() == 1 || rest.as_bytes()[1] == b' ' => return Err(Unsupported),
            _ => plain_scalar(rest)?.emit(&mut self.b),
        }
        // A plain scalar continued on deeper lines is a multi-line scalar; quoted scalars
        // and flow collections cannot be followed by deeper lines either.
        self.ensure_no_continuation(owner)
    }

    fn ensure_no_continuation(&mut self, owner: usize) -> R<()> {
        let mut i = self.pos;
        while let Some(l) = self.lines.get(i) {
            if !l.blank {
                return if l.indent > owner {
                    Err(Unsupported)
                } else {
                    Ok(())
                };
            }
            i += 1;
        }
        Ok(())
    }

    fn block_scalar(&mut self, header: &str, owner: usize) -> R<()> {
        let bytes = header.as_bytes();
        let folded = bytes[0] == b'>';
        let mut chomp = b' ';
        let mut explicit: Option<usize> = None;
        for &b in &bytes[1..] {
            match b {
                b'-' | b'+' if chomp == b' ' => chomp = b,
                b'1'..=b'9' if explicit.is_none() => explicit = Some(usize::from(b - b'0')),
                _ => return Err(Unsupported),
            }
        }
        // Content: every following line that is blank or indented deeper than the owner.
        let start = self.pos;
        let mut end = start;
        while let Some(l) = self.lines.get(end) {
            if l.text.is_empty() || l.indent > owner {
                end += 1;
            } else {
                break;
            }
        }
        let content_indent = match explicit {
            Some(n) => owner + n,
            None => match self.lines[start..end].iter().find(|l| !l.text.is_empty()) {
                Some(l) => l.indent,
                None => return Err(Unsupported),
            },
        };
        let block = &self.lines[start..end];
        let Some(last_text) = block.iter().rposition(|l| !l.text.is_empty()) else {
            return Err(Unsupported);
        };
        if end == self.lines.len() && !self.ends_with_newline {
            return Err(Unsupported);
        }
        let mut out = String::new();
        let mut blank_run = 0usize;
        for (i, l) in block[..=last_text].iter().enumerate() {
            if l.text.is_empty() {
                if l.indent > content_indent {
                    return Err(Unsupported);
                }
                blank_run += 1;
                continue;
            }
            if l.indent < content_indent {
                return Err(Unsupported);
            }
            let extra = l.indent - content_indent;
            if folded {
                if extra > 0 {
                    return Err(Unsupported);
                }
                if i > blank_run {
                    // Not the first text line: a line break folds into a space, blank lines
                    // into line breaks.
                    if blank_run == 0 {
                        out.push(' ');
                    }
                }
                out.extend(std::iter::repeat_n('\n', blank_run));
            } else {
                if i > blank_run {
                    out.push('\n');
                }
                out.extend(std::iter::repeat_n('\n', blank_run));
                out.extend(std::iter::repeat_n(' ', extra));
            }
            blank_run = 0;
            out.push_str(l.text);
        }
        let trailing_blank = block.len() - (last_text + 1);
        if block[last_text + 1..].iter().any(|l| l.indent > content_indent) {
            return Err(Unsupported);
        }
        match chomp {
            b'-' => {}
            b'+' => out.extend(std::iter::repeat_n('\n', 1 + trailing_blank)),
            _ => out.push('\n'),
        }
        self.pos = end;
        self.b.str(&out);
        Ok(())
    }
}

fn is_sequence_line(text: &str) -> bool {
    text == "-" || text.starts_with("- ") || text.starts_with("-\t")
}

/// `key: value` or `key:`, with a plain or quoted key.
fn is_mapping_line(text: &str) -> bool {
    split_key(text).is_ok()
}

fn split_key(text: &str) -> R<(Cow<'_, str>, &str)> {
    let bytes = text.as_bytes();
    match bytes.first() {
        None => Err(Unsupported),
        Some(b'"') => {
            let end = find_double_quote_end(text).ok_or(Unsupported)?;
            let key = unescape_double(&text[1..end])?;
            let rest = &text[end + 1..];
            let rest = rest.strip_prefix(':').ok_or(Unsupported)?;
            if !(rest.is_empty() || rest.starts_with(' ')) {
                return Err(Unsupported);
            }
            Ok((key, rest))
        }
        Some(b'\'') => {
            let (key, used) = single_quoted_prefix(text)?;
            let rest = text[used..].strip_prefix(':').ok_or(Unsupported)?;
            if !(rest.is_empty() || rest.starts_with(' ')) {
                return Err(Unsupported);
            }
            Ok((key, rest))
        }
        Some(
            b'-' | b'?' | b'&' | b'*' | b'!' | b'[' | b']' | b'{' | b'}' | b'|' | b'>' | b'%' | b'@' | b'`'
            | b'#' | b',',
        ) => {
            if bytes[0] == b'-' && bytes.get(1).is_some_and(|b| *b != b' ') {
                plain_key(text)
            } else {
                Err(Unsupported)
            }
        }
        Some(_) => plain_key(text),
    }
}

fn plain_key(text: &str) -> R<(Cow<'_, str>, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    // Only these bytes matter; a tight search skips the others (this runs for every key).
    while let Some(skip) = bytes[i..].iter().position(|&b| matches!(b, b':' | b'#' | b'\t')) {
        i += skip;
        match bytes[i] {
            b':' if i + 1 == bytes.len() || bytes[i + 1] == b' ' => {
                // ` #` before the colon was refused above, so the key holds no comment.
                let key = text[..i].trim_end();
                if key.is_empty() || key == "<<" {
                    return Err(Unsupported);
                }
                let rest = &text[i + 1..];
                // The common cases, decided without resolving the scalar: a name that starts
                // with a letter and is longer than any YAML keyword (`false`, `null`, `yes`),
                // or a short lowercase word that is none of them (`name`, `app`, `kind`).
                if key.as_bytes()[0].is_ascii_alphabetic() && key.len() > 5 {
                    return Ok((Cow::Borrowed(key), rest));
                }
                const WORDS: [&str; 9] = ["null", "true", "false", "yes", "no", "on", "off", "y", "n"];
                if key.bytes().all(|b| b.is_ascii_lowercase()) && !WORDS.contains(&key) {
                    return Ok((Cow::Borrowed(key), rest));
                }
                // Keys must be text in a Kubernetes object; anything that would resolve to
                // another type (true, 1, null) is left to saphyr.
                return match plain_scalar(key)? {
                    Scalar::Text(_) => Ok((Cow::Borrowed(key), rest)),
                    _ => Err(Unsupported),
                };
            }
            b'#' if i > 0 && bytes[i - 1] == b' ' => return Err(Unsupported),
            b'\t' => return Err(Unsupported),
            _ => i += 1,
        }
    }
    Err(Unsupported)
}

/// Cuts a ` #` comment off a line that holds a plain value (quotes are handled by their
/// own parsers, which reject trailing text other than a comment).
fn strip_comment(text: &str) -> &str {
    let bytes = text.as_bytes();
    if matches!(bytes.first(), Some(b'"' | b'\'' | b'[' | b'{')) {
        return strip_comment_after_quoted(text);
    }
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'#' && (i == 0 || bytes[i - 1] == b' ') {
            return &text[..i];
        }
        i += 1;
    }
    text
}

/// For quoted or flow values: the comment starts after the closing quote or bracket.
fn strip_comment_after_quoted(text: &str) -> &str {
    let bytes = text.as_bytes();
    let end = match bytes[0] {
        b'"' => find_double_quote_end(text).map(|e| e + 1),
        b'\'' => single_quoted_prefix(text).ok().map(|(_, used)| used),
        _ => find_flow_end(text),
    };
    match end {
        Some(end) => {
            let after = &text[end..];
            match after.find(" #") {
                Some(c) if after[..c].trim().is_empty() => &text[..end],
                _ => text,
            }
        }
        None => text,
    }
}

fn find_flow_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0i32;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'"' => i += find_double_quote_end(&text[i..])?,
            b'\'' => i += single_quoted_prefix(&text[i..]).ok()?.1 - 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn find_double_quote_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn double_quoted(text: &str) -> R<Scalar<'_>> {
    let end = find_double_quote_end(text).ok_or(Unsupported)?;
    if !text[end + 1..].trim().is_empty() {
        return Err(Unsupported);
    }
    Ok(Scalar::Text(unescape_double(&text[1..end])?))
}

fn unescape_double(s: &str) -> R<Cow<'_, str>> {
    if !s.contains('\\') {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or(Unsupported)?;
        let simple = match e {
            '0' => '\0',
            'a' => '\x07',
            'b' => '\x08',
            't' | '\t' => '\t',
            'n' => '\n',
            'v' => '\x0b',
            'f' => '\x0c',
            'r' => '\r',
            'e' => '\x1b',
            ' ' => ' ',
            '"' => '"',
            '/' => '/',
            '\\' => '\\',
            'N' => '\u{85}',
            '_' => '\u{a0}',
            'L' => '\u{2028}',
            'P' => '\u{2029}',
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(n).collect();
                if hex.len() != n {
                    return Err(Unsupported);
                }
                let code = u32::from_str_radix(&hex, 16).map_err(|_| Unsupported)?;
                char::from_u32(code).ok_or(Unsupported)?
            }
            _ => return Err(Unsupported),
        };
        out.push(simple);
    }
    Ok(Cow::Owned(out))
}

/// A single-quoted scalar at the start of `text`: its value and the bytes it used.
fn single_quoted_prefix(text: &str) -> R<(Cow<'_, str>, usize)> {
    let bytes = text.as_bytes();
    // Only a doubled quote (`''`) makes the value differ from the text between the quotes.
    let mut owned: Option<String> = None;
    let mut start = 1;
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                owned.get_or_insert_with(String::new).push_str(&text[start..=i]);
                i += 2;
                start = i;
                continue;
            }
            let value = match owned {
                Some(mut out) => {
                    out.push_str(&text[start..i]);
                    Cow::Owned(out)
                }
                None => Cow::Borrowed(&text[start..i]),
            };
            return Ok((value, i + 1));
        }
        i += 1;
    }
    Err(Unsupported)
}

fn single_quoted(text: &str) -> R<Scalar<'_>> {
    let (s, used) = single_quoted_prefix(text)?;
    if !text[used..].trim().is_empty() {
        return Err(Unsupported);
    }
    Ok(Scalar::Text(s))
}

/// Whether a plain scalar is certainly text (not a boolean, number or null in any schema
/// the fast path or the general parser may apply).
pub(crate) fn plain_is_text(s: &str) -> bool {
    matches!(plain_scalar(s), Ok(Scalar::Text(_)))
}

/// Resolves a plain scalar the way the YAML 1.2 core schema does, for the forms that are
/// unambiguous; everything that YAML 1.1 reads differently is left to saphyr.
fn plain_scalar(s: &str) -> R<Scalar<'_>> {
    let s = s.trim_end();
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            // `a: b: c` and a trailing `:` are mappings or errors, not scalars.
            b':' if bytes.get(i + 1).is_none_or(|&n| n == b' ') => return Err(Unsupported),
            b'#' if i > 0 && bytes[i - 1] == b' ' => return Err(Unsupported),
            // Tabs are whitespace to YAML (`a:\tb` is a mapping); leave them to saphyr.
            b'\t' => return Err(Unsupported),
            _ => {}
        }
    }
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Scalar::Null),
        "true" | "True" | "TRUE" => return Ok(Scalar::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Scalar::Bool(false)),
        _ => {}
    }
    // YAML 1.1 booleans and special floats: schemas disagree, so saphyr decides.
    const AMBIGUOUS: [&str; 10] = [
        "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf", ".nan",
    ];
    if s.len() <= 5 && AMBIGUOUS.iter().any(|a| a.eq_ignore_ascii_case(s)) {
        return Err(Unsupported);
    }
    let first = bytes[0];
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        return number(s);
    }
    Ok(text(s))
}

/// Plain decimal integers and simple floats become numbers; other text starting like a
/// number (versions such as `1.2.3`, `1e`, dates) stays a string only where that is certain.
fn number(s: &str) -> R<Scalar<'_>> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() {
        return Ok(text(s));
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        if digits.len() > 1 && digits.starts_with('0') {
            return Err(Unsupported);
        }
        if s.starts_with('+') {
            return Err(Unsupported);
        }
        if let Ok(i) = s.parse::<i64>() {
            return Ok(Scalar::Int(i));
        }
        if let Ok(u) = s.parse::<u64>() {
            return Ok(Scalar::UInt(u));
        }
        return Err(Unsupported);
    }
    if digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') && digits.matches('.').count() >= 2 {
        // Versions such as 3.5.10 are text in every YAML schema.
        return Ok(text(s));
    }
    if digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
    {
        // A float too big for a double is text to Kubernetes' YAML reader (go-yaml reads a
        // float only when it parses), and hashes such as `6380e38851` (a pod-template-hash
        // that YAML 1.1 writers leave unquoted) are exactly that.
        if s.parse::<f64>().is_ok_and(f64::is_infinite) {
            return Ok(text(s));
        }
        // Other floats and float-like forms: rare in manifests, and schemas disagree on them.
        return Err(Unsupported);
    }
    // Starts like a number but holds other characters: `1Gi`, `500m`, `3.5.10-0`, and hashes
    // such as `0bbe1e0823` (pod-template-hash). Only YAML 1.1's other number forms are left
    // to saphyr: `0x1F`, `0o17`, `0b101`, `1_000`, `190:20:30`.
    let all = |text: &str, ok: fn(u8) -> bool| !text.is_empty() && text.bytes().all(ok);
    let prefixed = |p: &str, ok: fn(u8) -> bool| digits.strip_prefix(p).is_some_and(|rest| all(rest, ok));
    if prefixed("0x", |b| b.is_ascii_hexdigit() || b == b'_')
        || prefixed("0o", |b| matches!(b, b'0'..=b'7' | b'_'))
        || prefixed("0b", |b| matches!(b, b'0' | b'1' | b'_'))
        || all(digits, |b| {
            b.is_ascii_digit() || matches!(b, b'_' | b':' | b'.' | b'e' | b'E' | b'-' | b'+')
        })
    {
        return Err(Unsupported);
    }
    Ok(text(s))
}

/// Single-line flow collections: `{a: 1, b: [x, y]}`.
struct Flow<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    depth: usize,
}

impl<'a> Flow<'a> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i] == b' ' {
            self.i += 1;
        }
    }

    fn value(&mut self, b: &mut Builder) -> R<()> {
        self.skip_ws();
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        match self.s.get(self.i) {
            Some(b'[') => self.seq(b)?,
            Some(b'{') => self.map(b)?,
            _ => self.scalar()?.emit(b),
        }
        self.depth -= 1;
        Ok(())
    }

    /// A mapping key: text, counted as one level deeper like any value.
    fn key(&mut self) -> R<Cow<'a, str>> {
        self.skip_ws();
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        let key = match self.s.get(self.i) {
            Some(b'[' | b'{') => return Err(Unsupported),
            _ => match self.scalar()? {
                Scalar::Text(t) => t,
                _ => return Err(Unsupported),
            },
        };
        self.depth -= 1;
        Ok(key)
    }

    fn scalar(&mut self) -> R<Scalar<'a>> {
        let text = self.text;
        match self.s.get(self.i) {
            Some(b'"') => {
                let rest = &text[self.i..];
                let end = find_double_quote_end(rest).ok_or(Unsupported)?;
                self.i += end + 1;
                Ok(Scalar::Text(unescape_double(&rest[1..end])?))
            }
            Some(b'\'') => {
                let (s, used) = single_quoted_prefix(&text[self.i..])?;
                self.i += used;
                Ok(Scalar::Text(s))
            }
            Some(b'&' | b'*' | b'!' | b'?' | b'|' | b'>' | b'#') | None => Err(Unsupported),
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len() && !matches!(self.s[self.i], b',' | b']' | b'}' | b'[' | b'{') {
                    if self.s[self.i] == b':'
                        && self
                            .s
                            .get(self.i + 1)
                            .is_none_or(|b| matches!(b, b' ' | b',' | b']' | b'}'))
                    {
                        break;
                    }
                    if self.s[self.i] == b'#' && self.s[self.i - 1] == b' ' {
                        return Err(Unsupported);
                    }
                    self.i += 1;
                }
                let plain = text[start..self.i].trim();
                // Indicators followed by a space, and quotes inside plain flow scalars, are
                // rare and subtle; saphyr decides them.
                let bytes = plain.as_bytes();
                if plain.is_empty()
                    || matches!(bytes, [b'-' | b'?' | b':', b' ', ..])
                    || plain.contains(['"', '\''])
                {
                    return Err(Unsupported);
                }
                plain_scalar(plain)
            }
        }
    }

    fn seq(&mut self, b: &mut Builder) -> R<()> {
        self.i += 1;
        b.begin();
        loop {
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b']') => {
                    self.i += 1;
                    b.end_seq();
                    return Ok(());
                }
                None => return Err(Unsupported),
                _ => {}
            }
            self.value(b)?;
            self.skip_ws();
            if self.s.get(self.i) == Some(&b':') {
                return Err(Unsupported); // single-pair mappings inside sequences
            }
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                _ => return Err(Unsupported),
            }
        }
    }

    fn map(&mut self, b: &mut Builder) -> R<()> {
        self.i += 1;
        b.begin();
        loop {
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b'}') => {
                    self.i += 1;
                    b.end_map();
                    return Ok(());
                }
                None => return Err(Unsupported),
                _ => {}
            }
            let key = self.key()?;
            self.skip_ws();
            if self.s.get(self.i) != Some(&b':') {
                return Err(Unsupported);
            }
            self.i += 1;
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',' | b'}') => b.null(),
                _ => self.value(b)?,
            }
            if !b.key_unique(&key) {
                return Err(Unsupported);
            }
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                _ => return Err(Unsupported),
            }
        }
    }
}

#[cfg(test)]
mod tests;
