//! A fast path for the YAML that Kubernetes tools write (kubectl, helm template, kustomize
//! and hand-written manifests): block mappings and sequences, plain and quoted scalars,
//! single-line flow collections, literal and folded block scalars, comments.
//!
//! It is at least ten times faster than the general parser and allocates only the result.
//! Anything it is not certain about (anchors, tags, multi-line plain or quoted scalars,
//! ambiguous scalars such as `yes` or `0755`, duplicate keys, tabs, errors of any kind) makes
//! it give up, and the document goes to serde-saphyr, which decides and reports errors. A
//! differential test holds the two to the same results.

use std::borrow::Cow;

use mcp_diag_model::Tree as Value;

/// A parsed document: the value, the line of its first content, and the line of each
/// element of a top-level `items` sequence.
pub(crate) struct FastDoc {
    pub value: Value,
    pub line: u64,
    pub item_lines: Option<Vec<u64>>,
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
    scratch: Scratch,
}

/// Vectors a parse reuses for the entries of the mappings and sequences it builds, so that
/// each collection is allocated once, at its final size (growing and then shrinking a fresh
/// vector for each of the ~20 mappings of an object cost a tenth of the parse).
#[derive(Default)]
struct Scratch {
    maps: Vec<Vec<(mcp_diag_model::Key, Value)>>,
    seqs: Vec<Vec<Value>>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        let scratch = std::mem::take(&mut self.scratch);
        SCRATCH.with(|s| *s.borrow_mut() = scratch);
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
        let trimmed = raw.trim_start_matches(' ');
        if trimmed.starts_with('\t') || (trimmed.is_empty() && raw.contains('\t')) {
            return Err(Unsupported);
        }
        let indent = raw.len() - trimmed.len();
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
        scratch: SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut())),
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
    let value = p.mapping(0, Some(&mut item_lines))?;
    p.skip_blank();
    if p.peek().is_some() {
        return Err(Unsupported);
    }
    Ok(Some(FastDoc {
        value,
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
    fn nested(&mut self, parent: usize, sequence_allowed_at_parent: bool) -> R<Value> {
        self.skip_blank();
        let Some(l) = self.peek() else {
            return Ok(Value::Null);
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
        Ok(Value::Null)
    }

    fn mapping(&mut self, indent: usize, mut items: Option<&mut Option<Vec<u64>>>) -> R<Value> {
        self.enter()?;
        let mut map = self.scratch.maps.pop().unwrap_or_default();
        map.clear();
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
            let value = if rest.is_empty() {
                if key == "items"
                    && let Some(slot) = items.as_deref_mut()
                {
                    let mut lines = Vec::new();
                    let v = self.top_level_items(indent, &mut lines)?;
                    if matches!(v, Value::Seq(_)) {
                        *slot = Some(lines);
                    }
                    v
                } else {
                    self.nested(indent, true)?
                }
            } else {
                self.inline(rest, l.text, indent)?
            };
            insert_unique(&mut map, key, value)?;
        }
        self.depth -= 1;
        let built = Value::Map(map.drain(..).collect());
        self.scratch.maps.push(map);
        Ok(built)
    }

    fn top_level_items(&mut self, parent: usize, lines: &mut Vec<u64>) -> R<Value> {
        self.skip_blank();
        match self.peek() {
            Some(l) if l.indent >= parent && is_sequence_line(l.text) => self.sequence(l.indent, Some(lines)),
            _ => self.nested(parent, true),
        }
    }

    fn sequence(&mut self, indent: usize, mut item_lines: Option<&mut Vec<u64>>) -> R<Value> {
        self.enter()?;
        let mut items = self.scratch.seqs.pop().unwrap_or_default();
        items.clear();
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
                items.push(self.nested(indent, false)?);
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
                let v = if is_sequence_line(content) {
                    self.sequence(column, None)?
                } else {
                    self.mapping(column, None)?
                };
                items.push(v);
                continue;
            }
            self.pos += 1;
            let rest = strip_comment(content).trim();
            items.push(self.inline(rest, content, indent)?);
        }
        self.depth -= 1;
        let built = Value::Seq(items.drain(..).collect());
        self.scratch.seqs.push(items);
        Ok(built)
    }

    /// A value written on the same line as its key or dash. `owner` is the indentation of
    /// the mapping or sequence it belongs to.
    fn inline(&mut self, rest: &str, _line: &str, owner: usize) -> R<Value> {
        let first = rest.as_bytes()[0];
        let value = match first {
            b'"' => double_quoted(rest)?,
            b'\'' => single_quoted(rest)?,
            b'[' | b'{' => {
                let mut f = Flow {
                    s: rest.as_bytes(),
                    text: rest,
                    i: 0,
                    depth: self.depth,
                };
                let v = f.value()?;
                f.skip_ws();
                if f.i != rest.len() {
                    return Err(Unsupported);
                }
                v
            }
            b'|' | b'>' => return self.block_scalar(rest, owner),
            b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'?' | b',' | b']' | b'}' => return Err(Unsupported),
            b'-' if rest.len() == 1 || rest.as_bytes()[1] == b' ' => return Err(Unsupported),
            _ => plain_scalar(rest)?,
        };
        // A plain scalar continued on deeper lines is a multi-line scalar; quoted scalars
        // and flow collections cannot be followed by deeper lines either.
        self.ensure_no_continuation(owner)?;
        Ok(value)
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

    fn block_scalar(&mut self, header: &str, owner: usize) -> R<Value> {
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
        Ok(Value::text_owned(out))
    }
}

/// Adds a mapping entry; a duplicate key sends the document to saphyr, where the reading
/// keeps the last value and reports the repeat with its path (`parse::dupkeys`). Repeats
/// are rare, so the fast path stays free of that bookkeeping.
fn insert_unique(map: &mut Vec<(mcp_diag_model::Key, Value)>, key: Cow<'_, str>, value: Value) -> R<()> {
    if map.iter().any(|(k, _)| **k == *key) {
        return Err(Unsupported);
    }
    let key = match key {
        Cow::Borrowed(text) => mcp_diag_model::key(text),
        Cow::Owned(text) => mcp_diag_model::key_from_string(text),
    };
    map.push((key, value));
    Ok(())
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
            let key = Cow::Owned(unescape_double(&text[1..end])?);
            let rest = &text[end + 1..];
            let rest = rest.strip_prefix(':').ok_or(Unsupported)?;
            if !(rest.is_empty() || rest.starts_with(' ')) {
                return Err(Unsupported);
            }
            Ok((key, rest))
        }
        Some(b'\'') => {
            let (key, used) = single_quoted_prefix(text)?;
            let key = Cow::Owned(key);
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
    while i < bytes.len() {
        match bytes[i] {
            b':' if i + 1 == bytes.len() || bytes[i + 1] == b' ' => {
                let key = text[..i].trim_end();
                if key.is_empty() || key == "<<" || key.contains(" #") {
                    return Err(Unsupported);
                }
                let rest = &text[i + 1..];
                // The common case, decided without resolving the scalar: a name that starts
                // with a letter and is longer than any YAML keyword (`false`, `null`, `yes`).
                if key.as_bytes()[0].is_ascii_alphabetic() && key.len() > 5 {
                    return Ok((Cow::Borrowed(key), rest));
                }
                // Keys must be text in a Kubernetes object; anything that would resolve to
                // another type (true, 1, null) is left to saphyr.
                return match plain_scalar(key)? {
                    Value::Str(_) | Value::ShortStr { .. } => Ok((Cow::Borrowed(key), rest)),
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

fn double_quoted(text: &str) -> R<Value> {
    let end = find_double_quote_end(text).ok_or(Unsupported)?;
    if !text[end + 1..].trim().is_empty() {
        return Err(Unsupported);
    }
    Ok(Value::text_owned(unescape_double(&text[1..end])?))
}

fn unescape_double(s: &str) -> R<String> {
    if !s.contains('\\') {
        return Ok(s.to_owned());
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
    Ok(out)
}

/// A single-quoted scalar at the start of `text`: its value and the bytes it used.
fn single_quoted_prefix(text: &str) -> R<(String, usize)> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut start = 1;
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                out.push_str(&text[start..=i]);
                i += 2;
                start = i;
                continue;
            }
            out.push_str(&text[start..i]);
            return Ok((out, i + 1));
        }
        i += 1;
    }
    Err(Unsupported)
}

fn single_quoted(text: &str) -> R<Value> {
    let (s, used) = single_quoted_prefix(text)?;
    if !text[used..].trim().is_empty() {
        return Err(Unsupported);
    }
    Ok(Value::text_owned(s))
}

/// Whether a plain scalar is certainly text (not a boolean, number or null in any schema
/// the fast path or the general parser may apply).
pub(crate) fn plain_is_text(s: &str) -> bool {
    matches!(plain_scalar(s), Ok(Value::Str(_) | Value::ShortStr { .. }))
}

/// Resolves a plain scalar the way the YAML 1.2 core schema does, for the forms that are
/// unambiguous; everything that YAML 1.1 reads differently is left to saphyr.
fn plain_scalar(s: &str) -> R<Value> {
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
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
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
    Ok(Value::text(s))
}

/// Plain decimal integers and simple floats become numbers; other text starting like a
/// number (versions such as `1.2.3`, `1e`, dates) stays a string only where that is certain.
fn number(s: &str) -> R<Value> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() {
        return Ok(Value::text(s));
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        if digits.len() > 1 && digits.starts_with('0') {
            return Err(Unsupported);
        }
        if s.starts_with('+') {
            return Err(Unsupported);
        }
        if let Ok(i) = s.parse::<i64>() {
            return Ok(Value::Int(i));
        }
        if let Ok(u) = s.parse::<u64>() {
            return Ok(Value::UInt(u));
        }
        return Err(Unsupported);
    }
    if digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') && digits.matches('.').count() >= 2 {
        // Versions such as 3.5.10 are text in every YAML schema.
        return Ok(Value::text(s));
    }
    if digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
    {
        // A float too big for a double is text to Kubernetes' YAML reader (go-yaml reads a
        // float only when it parses), and hashes such as `6380e38851` (a pod-template-hash
        // that YAML 1.1 writers leave unquoted) are exactly that.
        if s.parse::<f64>().is_ok_and(f64::is_infinite) {
            return Ok(Value::text(s));
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
    Ok(Value::text(s))
}

/// Single-line flow collections: `{a: 1, b: [x, y]}`.
struct Flow<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    depth: usize,
}

impl Flow<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i] == b' ' {
            self.i += 1;
        }
    }

    fn value(&mut self) -> R<Value> {
        self.skip_ws();
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        let v = match self.s.get(self.i) {
            Some(b'[') => self.seq()?,
            Some(b'{') => self.map()?,
            Some(b'"') => {
                let rest = &self.text[self.i..];
                let end = find_double_quote_end(rest).ok_or(Unsupported)?;
                self.i += end + 1;
                Value::text_owned(unescape_double(&rest[1..end])?)
            }
            Some(b'\'') => {
                let (s, used) = single_quoted_prefix(&self.text[self.i..])?;
                self.i += used;
                Value::text_owned(s)
            }
            Some(b'&' | b'*' | b'!' | b'?' | b'|' | b'>' | b'#') | None => return Err(Unsupported),
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
                let text = self.text[start..self.i].trim();
                // Indicators followed by a space, and quotes inside plain flow scalars, are
                // rare and subtle; saphyr decides them.
                let b = text.as_bytes();
                if text.is_empty()
                    || matches!(b, [b'-' | b'?' | b':', b' ', ..])
                    || text.contains(['"', '\''])
                {
                    return Err(Unsupported);
                }
                plain_scalar(text)?
            }
        };
        self.depth -= 1;
        Ok(v)
    }

    fn seq(&mut self) -> R<Value> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Seq(items.into_boxed_slice()));
                }
                None => return Err(Unsupported),
                _ => {}
            }
            let v = self.value()?;
            self.skip_ws();
            if self.s.get(self.i) == Some(&b':') {
                return Err(Unsupported); // single-pair mappings inside sequences
            }
            items.push(v);
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                _ => return Err(Unsupported),
            }
        }
    }

    fn map(&mut self) -> R<Value> {
        self.i += 1;
        let mut map: Vec<(mcp_diag_model::Key, Value)> = Vec::new();
        loop {
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::map(map));
                }
                None => return Err(Unsupported),
                _ => {}
            }
            let key = match self.value()? {
                k @ (Value::Str(_) | Value::ShortStr { .. }) => {
                    Cow::Owned(k.as_str().unwrap_or_default().to_owned())
                }
                _ => return Err(Unsupported),
            };
            self.skip_ws();
            if self.s.get(self.i) != Some(&b':') {
                return Err(Unsupported);
            }
            self.i += 1;
            self.skip_ws();
            let value = match self.s.get(self.i) {
                Some(b',' | b'}') => Value::Null,
                _ => self.value()?,
            };
            insert_unique(&mut map, key, value)?;
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
