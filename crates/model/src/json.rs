//! A JSON reader that writes straight into a [`Builder`], for the hot path of reading big
//! snapshot files: it builds the same document as `serde_json` with [`Builder::value`]
//! (numbers, strings, duplicate keys, nesting limit) and rejects the same inputs, at a
//! fraction of the cost. Errors carry a byte offset and a short message; callers that
//! show errors to people can parse again with `serde_json` for its wording.

use std::fmt;

use crate::node::Builder;

/// Containers nested this deep are rejected, as `serde_json` does by default (it allows
/// 127 levels).
const MAX_DEPTH: usize = 128;

/// Why a text is not one JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    message: &'static str,
    offset: usize,
}

impl JsonError {
    pub fn message(&self) -> &str {
        self.message
    }

    /// Where in the input, in bytes from its start.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

impl std::error::Error for JsonError {}

/// Parses exactly one JSON value (with optional surrounding whitespace) into `builder`,
/// as `serde_json::Deserializer::from_slice` with [`Builder::value`] and `end()` would.
/// After an error the builder holds part of a value: discard it.
pub fn parse_json_value(builder: &mut Builder, input: &[u8]) -> Result<(), JsonError> {
    let mut p = Parser::new(input, builder)?;
    p.skip_ws();
    p.value(0)?;
    p.skip_ws();
    if p.pos != input.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(())
}

/// Reads a Kubernetes List (a page of a list call: `{"kind": "PodList", "items": [...],
/// "metadata": {...}}`) into one document per element of `items`, in one pass. The other
/// members are checked and dropped. `null` or missing `items` give no documents; anything
/// that is not an object with at most one `items` array is an error.
pub fn parse_json_list_items(input: &[u8]) -> Result<Vec<crate::Doc>, JsonError> {
    let mut builder = Builder::default();
    let mut p = Parser::new(input, &mut builder)?;
    let mut docs = Vec::new();
    let mut items_seen = false;
    p.skip_ws();
    if p.peek() != Some(b'{') {
        return Err(p.err("expected a JSON object (a List)"));
    }
    p.pos += 1;
    p.skip_ws();
    if p.peek() == Some(b'}') {
        p.pos += 1;
    } else {
        loop {
            if p.peek() != Some(b'"') {
                return Err(p.err("key must be a string"));
            }
            p.pos += 1;
            let is_items = match p.string()? {
                Text::Input(a, z) => &p.text[a..z] == "items",
                Text::Scratch => p.scratch == "items",
            };
            p.skip_ws();
            if p.peek() != Some(b':') {
                return Err(p.err("expected `:`"));
            }
            p.pos += 1;
            p.skip_ws();
            if is_items && items_seen {
                return Err(p.err("duplicate field `items`"));
            }
            if is_items && p.peek() == Some(b'[') {
                items_seen = true;
                p.pos += 1;
                p.skip_ws();
                if p.peek() == Some(b']') {
                    p.pos += 1;
                } else {
                    loop {
                        // Inside the List's object and its array, as when read whole.
                        p.value(2)?;
                        if p.b.too_many_keys() {
                            return Err(p.err("too many distinct field names"));
                        }
                        docs.push(p.b.take());
                        if p.separator(b']')? {
                            break;
                        }
                    }
                }
            } else {
                items_seen |= is_items;
                if is_items && p.peek() != Some(b'n') {
                    return Err(p.err("`items` must be a list"));
                }
                // Checked like everything else, then dropped.
                p.value(1)?;
                p.b.take();
            }
            if p.separator(b'}')? {
                break;
            }
        }
    }
    p.skip_ws();
    if p.pos != input.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(docs)
}

/// Where a string's text is: in the input, or decoded into the scratch buffer.
enum Text {
    Input(usize, usize),
    Scratch,
}

struct Parser<'a, 'b> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Strings with escapes, decoded.
    scratch: String,
    b: &'b mut Builder,
}

impl<'a, 'b> Parser<'a, 'b> {
    fn new(input: &'a [u8], builder: &'b mut Builder) -> Result<Self, JsonError> {
        let text = std::str::from_utf8(input).map_err(|e| JsonError {
            message: "invalid UTF-8",
            offset: e.valid_up_to(),
        })?;
        Ok(Parser {
            text,
            bytes: input,
            pos: 0,
            scratch: String::new(),
            b: builder,
        })
    }

    /// After an element of a list (`close` is `]`) or a mapping (`}`): true when the
    /// container closes, false after a `,` (and the whitespace after it).
    #[inline]
    fn separator(&mut self, close: u8) -> Result<bool, JsonError> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.skip_ws();
                Ok(false)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) if close == b']' => Err(self.err("expected `,` or `]`")),
            Some(_) => Err(self.err("expected `,` or `}`")),
            None if close == b']' => Err(self.err("end of input while parsing a list")),
            None => Err(self.err("end of input while parsing an object")),
        }
    }

    #[cold]
    fn err(&self, message: &'static str) -> JsonError {
        JsonError {
            message,
            offset: self.pos,
        }
    }

    #[cold]
    fn err_at(&self, message: &'static str, offset: usize) -> JsonError {
        JsonError { message, offset }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(&c) = self.bytes.get(self.pos) {
            if !matches!(c, b' ' | b'\n' | b'\t' | b'\r') {
                break;
            }
            self.pos += 1;
        }
    }

    /// One value starting at `pos` (whitespace skipped); `depth` containers enclose it.
    fn value(&mut self, depth: usize) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                match self.string()? {
                    Text::Input(a, z) => self.b.str(&self.text[a..z]),
                    Text::Scratch => self.b.str(&self.scratch),
                }
                Ok(())
            }
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'-') => {
                let start = self.pos;
                self.pos += 1;
                self.number(start, false)
            }
            Some(b'0'..=b'9') => self.number(self.pos, true),
            Some(b't') => {
                self.ident(b"true")?;
                self.b.bool(true);
                Ok(())
            }
            Some(b'f') => {
                self.ident(b"false")?;
                self.b.bool(false);
                Ok(())
            }
            Some(b'n') => {
                self.ident(b"null")?;
                self.b.null();
                Ok(())
            }
            Some(_) => Err(self.err("expected a value")),
            None => Err(self.err("end of input while parsing a value")),
        }
    }

    fn ident(&mut self, word: &[u8]) -> Result<(), JsonError> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.err("expected a value"))
        }
    }

    /// A sequence at `pos`, the `depth`th container from the top.
    fn array(&mut self, depth: usize) -> Result<(), JsonError> {
        if depth >= MAX_DEPTH {
            return Err(self.err("recursion limit exceeded"));
        }
        self.pos += 1;
        self.b.begin();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.b.end_seq();
            return Ok(());
        }
        loop {
            self.value(depth)?;
            if self.separator(b']')? {
                self.b.end_seq();
                return Ok(());
            }
            if self.peek() == Some(b']') {
                return Err(self.err("trailing comma"));
            }
        }
    }

    /// A mapping at `pos`, the `depth`th container from the top.
    fn object(&mut self, depth: usize) -> Result<(), JsonError> {
        if depth >= MAX_DEPTH {
            return Err(self.err("recursion limit exceeded"));
        }
        self.pos += 1;
        self.b.begin();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.b.end_map();
            return Ok(());
        }
        loop {
            match self.peek() {
                Some(b'"') => self.pos += 1,
                Some(b'}') => return Err(self.err("trailing comma")),
                Some(_) => return Err(self.err("key must be a string")),
                None => return Err(self.err("end of input while parsing an object")),
            }
            // The key's id before the value: a key with escapes is in the scratch buffer,
            // which the value may need.
            let id = match self.string()? {
                Text::Input(a, z) => self.b.name_id(&self.text[a..z]),
                Text::Scratch => self.b.name_id(&self.scratch),
            };
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected `:`"));
            }
            self.pos += 1;
            self.skip_ws();
            self.value(depth)?;
            self.b.key_with_id(id);
            if self.separator(b'}')? {
                self.b.end_map();
                return Ok(());
            }
        }
    }

    /// A string whose opening quote is just before `pos`.
    #[inline]
    fn string(&mut self) -> Result<Text, JsonError> {
        let start = self.pos;
        let end = scan(self.bytes, start);
        match self.bytes.get(end) {
            Some(b'"') => {
                self.pos = end + 1;
                Ok(Text::Input(start, end))
            }
            Some(b'\\') => self.escaped(start, end),
            Some(_) => Err(self.err_at("control character in a string", end)),
            None => Err(self.err_at("end of input while parsing a string", end)),
        }
    }

    /// The rest of a string from `start` whose first escape is at `at`, decoded into the
    /// scratch buffer.
    #[cold]
    #[inline(never)]
    fn escaped(&mut self, start: usize, mut at: usize) -> Result<Text, JsonError> {
        self.scratch.clear();
        let mut from = start;
        loop {
            match self.bytes.get(at) {
                Some(b'"') => {
                    self.scratch.push_str(&self.text[from..at]);
                    self.pos = at + 1;
                    return Ok(Text::Scratch);
                }
                Some(b'\\') => {
                    self.scratch.push_str(&self.text[from..at]);
                    let c = match self.bytes.get(at + 1) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            at = self.unicode_escape(at + 2)?;
                            from = at;
                            at = scan(self.bytes, at);
                            continue;
                        }
                        Some(_) => return Err(self.err_at("invalid escape", at + 1)),
                        None => return Err(self.err_at("end of input while parsing a string", at + 1)),
                    };
                    self.scratch.push(c);
                    at += 2;
                    from = at;
                }
                Some(_) => return Err(self.err_at("control character in a string", at)),
                None => return Err(self.err_at("end of input while parsing a string", at)),
            }
            at = scan(self.bytes, at);
        }
    }

    /// The four hex digits at `at`.
    fn hex4(&self, at: usize) -> Result<u32, JsonError> {
        let digits = self
            .bytes
            .get(at..at + 4)
            .ok_or_else(|| self.err_at("end of input while parsing a string", self.bytes.len()))?;
        let mut n = 0;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(self.err_at("invalid escape", at)),
            };
            n = n * 16 + u32::from(v);
        }
        Ok(n)
    }

    /// A `\u` escape whose hex digits start at `at` (a surrogate pair takes two), into the
    /// scratch buffer; returns where the string goes on. Lone surrogates are errors.
    fn unicode_escape(&mut self, at: usize) -> Result<usize, JsonError> {
        let n = self.hex4(at)?;
        let (code, end) = match n {
            0xDC00..=0xDFFF => return Err(self.err_at("lone surrogate in a \\u escape", at)),
            0xD800..=0xDBFF => {
                if self.bytes.get(at + 4..at + 6) != Some(b"\\u") {
                    return Err(self.err_at("lone surrogate in a \\u escape", at + 4));
                }
                let n2 = self.hex4(at + 6)?;
                if !(0xDC00..=0xDFFF).contains(&n2) {
                    return Err(self.err_at("lone surrogate in a \\u escape", at + 6));
                }
                (0x1_0000 + ((n - 0xD800) << 10) + (n2 - 0xDC00), at + 10)
            }
            _ => (n, at + 4),
        };
        let c = char::from_u32(code).ok_or_else(|| self.err_at("invalid \\u escape", at))?;
        self.scratch.push(c);
        Ok(end)
    }

    /// A number: `start` is where its text begins (its `-`, if any), `pos` is after the
    /// sign. The grammar is checked here; the value comes from the standard library's
    /// parsers, which round to the nearest float (serde_json is built with
    /// `float_roundtrip` so that it agrees). Integers are `uint` or `int` when they fit,
    /// floats otherwise; `-0` is the float `-0.0`, as serde_json reads it.
    fn number(&mut self, start: usize, positive: bool) -> Result<(), JsonError> {
        let bytes = self.bytes;
        let digits = |p: &mut usize| {
            let from = *p;
            while let Some(b'0'..=b'9') = bytes.get(*p) {
                *p += 1;
            }
            *p - from
        };
        let mut pos = self.pos;
        match bytes.get(pos) {
            Some(b'0') => {
                pos += 1;
                if let Some(b'0'..=b'9') = bytes.get(pos) {
                    return Err(self.err_at("invalid number", pos));
                }
            }
            Some(b'1'..=b'9') => {
                digits(&mut pos);
            }
            Some(_) => return Err(self.err_at("invalid number", pos)),
            None => return Err(self.err_at("end of input while parsing a value", pos)),
        }
        let mut integer = true;
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            integer = false;
            if digits(&mut pos) == 0 {
                return Err(self.err_at("invalid number", pos));
            }
        }
        if let Some(b'e' | b'E') = bytes.get(pos) {
            pos += 1;
            integer = false;
            if let Some(b'+' | b'-') = bytes.get(pos) {
                pos += 1;
            }
            if digits(&mut pos) == 0 {
                return Err(match bytes.get(pos) {
                    Some(_) => self.err_at("invalid number", pos),
                    None => self.err_at("end of input while parsing a value", pos),
                });
            }
        }
        self.pos = pos;
        // ASCII digits, signs, `.` and `e`: always on character boundaries of the text.
        let text = self.text.get(start..pos).unwrap_or_default();
        if integer {
            if positive {
                if let Ok(u) = text.parse::<u64>() {
                    self.b.uint(u);
                    return Ok(());
                }
            } else if let Ok(i) = text.parse::<i64>() {
                if i == 0 {
                    self.b.float(-0.0);
                } else {
                    self.b.int(i);
                }
                return Ok(());
            }
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => {
                self.b.float(f);
                Ok(())
            }
            Ok(_) => Err(self.err_at("number out of range", start)),
            Err(_) => Err(self.err_at("invalid number", start)),
        }
    }
}

/// The first byte at or after `at` that ends a plain run of string text: `"`, `\` or a
/// control character; `bytes.len()` if none. Eight bytes at a time.
#[inline]
fn scan(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let v = u64::from_le_bytes([
            chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
        ]);
        let quote = v ^ (ONES * u64::from(b'"'));
        let backslash = v ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero (quote, backslash) or below 0x20; flags above
        // the lowest one may be false, the lowest is exact.
        let found = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (v.wrapping_sub(ONES * 0x20) & !v);
        let found = found & HIGH;
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&c) = bytes.get(at) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeSeed;

    use super::*;
    use crate::node::{Doc, Node, View};

    fn by_serde(input: &[u8]) -> Option<Doc> {
        let mut b = Builder::default();
        let mut de = serde_json::Deserializer::from_slice(input);
        b.value().deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(b.take())
    }

    fn by_fast(input: &[u8]) -> Option<Doc> {
        let mut b = Builder::default();
        parse_json_value(&mut b, input).ok()?;
        Some(b.take())
    }

    /// Equal down to the bits of floats and the order of keys.
    fn same(a: Node<'_>, b: Node<'_>) -> bool {
        match (a.view(), b.view()) {
            (View::Float(x), View::Float(y)) => x.to_bits() == y.to_bits(),
            (View::Seq(x), View::Seq(y)) => {
                x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same(p, q))
            }
            (View::Map(x), View::Map(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y.iter())
                        .all(|((kp, p), (kq, q))| kp == kq && same(p, q))
            }
            (x, y) => x == y,
        }
    }

    /// Both accept with the same document, or both reject; returns whether accepted.
    #[track_caller]
    fn agree(input: &[u8]) -> bool {
        let fast = by_fast(input);
        let slow = by_serde(input);
        match (&fast, &slow) {
            (Some(f), Some(s)) => {
                assert!(
                    f == s && same(f.root(), s.root()) && f.to_json() == s.to_json(),
                    "different documents for {:?}: {f:?} vs {s:?}",
                    String::from_utf8_lossy(input)
                );
                true
            }
            (None, None) => false,
            _ => panic!(
                "fast {} but serde_json {}: {:?}",
                if fast.is_some() { "accepts" } else { "rejects" },
                if slow.is_some() { "accepts" } else { "rejects" },
                String::from_utf8_lossy(input)
            ),
        }
    }

    fn nested(depth: usize, open: &str, close: &str, inner: &str) -> String {
        format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
    }

    #[test]
    fn tricky_inputs_agree_with_serde_json() {
        let accepted: &[&str] = &[
            "null",
            "true",
            "false",
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1E+2",
            "1e-2",
            "1e2",
            "1E2",
            "-1e-2",
            "0e0",
            "-0e5",
            "1e308",
            "1e-308",
            "1e-400",
            "4.9e-324",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "9223372036854775807",
            "9223372036854775808",
            "-18446744073709551615",
            "-18446744073709551616",
            "123456789012345678901234567890",
            "123456789012345678901234567890.5e-3",
            "0.000000000000000000000000001",
            "1.8446744073709551615",
            "18446744073709551615.5",
            "0.1",
            "0.3",
            "3.141592653589793",
            "1e-99999999999",
            "0e99999999999",
            "123.456e-789",
            // Nearest float 1.23456e-76; serde_json without `float_roundtrip` reads another.
            "123.456e-78",
            "1.2345678901234567e-5",
            "9007199254740993",
            "9007199254740993.0",
            r#""""#,
            r#""a""#,
            r#""\"\\\/\b\f\n\r\t""#,
            r#""\u0000\u001f\u007f\u0080\u07ff\u0800\uffff""#,
            r#""\ud83d\ude00""#,
            r#""\uD83D\uDE00 x \uDBFF\uDFFF""#,
            "\"ä€😀\"",
            "\"\u{7f}\"",
            r#""long text with an \n escape in it""#,
            "[]",
            "{}",
            "[[]]",
            "{\"a\":{}}",
            " \t\r\n[ 1 , 2 ]\n ",
            r#"{"a":1,"a":2}"#,
            r#"{"":""}"#,
            r#"{"k\u00e9y":"v","key\n":[1,{"x":null}]}"#,
            r#"[1,"two",3.0,true,false,null,{"a":[]}]"#,
            r#"{"metadata":{"name":"web-7d4b9c-x2x9z","labels":{"app.kubernetes.io/name":"web"}}}"#,
        ];
        let rejected: &[&str] = &[
            "",
            " ",
            "[1,]",
            "{\"a\":1,}",
            "[,]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":}",
            "{a:1}",
            "{1:1}",
            "01",
            "-01",
            "00",
            "+1",
            ".5",
            "1.",
            "1.e3",
            "1e",
            "1e+",
            "-",
            "--1",
            "1e309",
            "-1e309",
            "1e400",
            "1e99999999999",
            "123456789012345678901234567890e300",
            "NaN",
            "Infinity",
            "-Infinity",
            "nul",
            "tru",
            "True",
            "null x",
            "1 2",
            "[1] [2]",
            "{}{}",
            "// c\n1",
            "/* c */ 1",
            "1 // c",
            "[1]x",
            "\"\u{1}\"",
            "\"a\nb\"",
            "\"\t\"",
            r#""\x""#,
            r#""\u12""#,
            r#""\u12g4""#,
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\ud800x""#,
            r#""\ud800\n""#,
            r#""\udc00\ud800""#,
            "\"abc",
            "\"abc\\",
            "\"abc\\\"",
            "[",
            "{",
            "[1",
            "{\"a\"",
            "{\"a\":1",
            "'a'",
            "\u{feff}1",
            "[1,,2]",
            "{,}",
            "{\"a\":1,,\"b\":2}",
            "0x10",
            "1_000",
            "-.5",
            "- 1",
        ];
        for input in accepted {
            assert!(agree(input.as_bytes()), "should be accepted: {input}");
        }
        for input in rejected {
            assert!(!agree(input.as_bytes()), "should be rejected: {input}");
        }
        // Invalid UTF-8: in a string, outside, truncated, overlong, surrogate.
        for input in [
            &b"\"\xff\""[..],
            b"\xff",
            b"\"\xe2\x82\"",
            b"\"\xc0\xaf\"",
            b"\"\xed\xa0\x80\"",
            b"[1]\xff",
        ] {
            assert!(!agree(input), "should be rejected: {input:?}");
        }
        // Nesting: serde_json allows 127 levels and rejects 128.
        for (open, close, inner) in [
            ("[", "]", ""),
            ("[", "]", "1"),
            ("{\"a\":", "}", "1"),
            ("[{\"a\":", "}]", "[]"),
        ] {
            for depth in [1, 2, 63, 64, 126, 127, 128, 129, 200] {
                let text = nested(depth, open, close, inner);
                let ok = agree(text.as_bytes());
                let levels = depth * open.matches(['[', '{']).count() + usize::from(inner == "[]");
                assert_eq!(ok, levels < MAX_DEPTH, "{levels} levels: {text}");
            }
        }
        // The numbers, exactly.
        let d =
            by_fast(b"[-0, 18446744073709551615, 18446744073709551616, -9223372036854775808, 1e-2]").unwrap();
        let items: Vec<View<'_>> = d.as_seq().unwrap().iter().map(Node::view).collect();
        assert!(matches!(items[0], View::Float(f) if f.to_bits() == (-0.0f64).to_bits()));
        assert_eq!(items[1], View::UInt(u64::MAX));
        assert_eq!(items[2], View::Float(18446744073709551616.0));
        assert_eq!(items[3], View::Int(i64::MIN));
        assert_eq!(items[4], View::Float(0.01));
        // The nearest float, as serde_json with `float_roundtrip` reads it too (without
        // that feature it reads 1.2345600000000001e-76).
        assert_eq!(
            by_fast(b"123.456e-78").and_then(|d| d.root().as_f64()),
            Some(1.23456e-76)
        );
        let d = by_fast(br#"{"a": 1, "a": "\ud83d\ude00\n"}"#).unwrap();
        assert_eq!(d.get("a").and_then(Node::as_str), Some("😀\n"));
        assert_eq!(d.as_map().map(|m| m.len()), Some(2));
    }

    /// xorshift64*
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        /// Below `small` mostly, below `big` one time in four.
        fn len(&mut self, small: usize, big: usize) -> usize {
            let n = if self.below(4) == 0 { big } else { small };
            self.below(n)
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    fn random_number(r: &mut Rng, out: &mut String) {
        use std::fmt::Write;
        match r.below(8) {
            0 => out.push_str(r.pick(&[
                "0",
                "-0",
                "1",
                "-1",
                "18446744073709551615",
                "18446744073709551616",
                "-9223372036854775808",
                "-9223372036854775809",
                "9223372036854775807",
                "1e308",
                "1e309",
                "0.0",
            ])),
            1 => write!(out, "{}", r.next() as i64 >> r.below(64)).unwrap_or_default(),
            2 => write!(out, "{}", r.next() >> r.below(64)).unwrap_or_default(),
            3 => write!(out, "{}", f64::from_bits(r.next())).unwrap_or_default(),
            4 => write!(out, "{:e}", f64::from_bits(r.next())).unwrap_or_default(),
            _ => {
                // Random digits, fraction and exponent, sometimes malformed.
                if r.below(3) == 0 {
                    out.push('-');
                }
                let digits = 1 + r.len(6, 40);
                for i in 0..digits {
                    let d = r.below(10) as u8;
                    out.push(char::from(
                        b'0' + if i == 0 && digits > 1 && r.below(8) != 0 {
                            d.max(1)
                        } else {
                            d
                        },
                    ));
                }
                if r.below(2) == 0 {
                    out.push('.');
                    let n = r.len(5, 30) + usize::from(r.below(10) != 0);
                    for _ in 0..n {
                        out.push(char::from(b'0' + r.below(10) as u8));
                    }
                }
                if r.below(3) == 0 {
                    out.push_str(r.pick(&["e", "E", "e+", "e-", "E-"]));
                    let n = r.len(4, 14) + usize::from(r.below(10) != 0);
                    for _ in 0..n {
                        out.push(char::from(b'0' + r.below(10) as u8));
                    }
                }
            }
        }
    }

    fn random_string(r: &mut Rng, out: &mut String) {
        out.push('"');
        for _ in 0..r.len(12, 60) {
            match r.below(20) {
                0 => out.push_str(r.pick(&["\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"])),
                1 => out.push_str(&format!("\\u{:04x}", r.below(0x1_0000))),
                2 => out.push_str(&format!(
                    "\\u{:04X}\\u{:04x}",
                    0xD800 + r.below(0x400),
                    0xDC00 + r.below(0x400)
                )),
                3 => out.push_str(r.pick(&["ä", "€", "😀", "\u{7f}", "\u{80}", "\u{ffff}", "\u{10ffff}"])),
                4 => out.push(char::from_u32(r.below(0x11_0000) as u32).unwrap_or('x')),
                _ => out.push(char::from(b' ' + r.below(95) as u8)),
            }
        }
        // Keep quotes and backslashes that the random ASCII added balanced most of the time.
        out.push('"');
    }

    fn random_value(r: &mut Rng, depth: usize, out: &mut String) {
        let ws = |r: &mut Rng, out: &mut String| {
            if r.below(6) == 0 {
                out.push_str(r.pick(&[" ", "\n", "\t", "\r", "  \n "]));
            }
        };
        ws(r, out);
        let leaf = depth > 6 || r.below(3) == 0;
        match if leaf { r.below(5) } else { 5 + r.below(2) } {
            0 => out.push_str(r.pick(&["null", "true", "false"])),
            1 | 2 => random_number(r, out),
            3 | 4 => random_string(r, out),
            5 => {
                out.push('[');
                for i in 0..r.below(5) {
                    if i > 0 {
                        out.push(',');
                    }
                    random_value(r, depth + 1, out);
                }
                out.push(']');
            }
            _ => {
                out.push('{');
                for i in 0..r.below(5) {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(r, out);
                    if r.below(3) == 0 {
                        out.push_str(r.pick(&["\"a\"", "\"name\"", "\"metadata\"", "\"k\\u00e9y\""]));
                    } else {
                        random_string(r, out);
                    }
                    ws(r, out);
                    out.push(':');
                    random_value(r, depth + 1, out);
                }
                out.push('}');
            }
        }
        ws(r, out);
    }

    fn mutate(r: &mut Rng, text: &[u8]) -> Vec<u8> {
        let mut v = text.to_vec();
        let at = r.below(v.len() + 1);
        const BYTES: &[u8] = b"\"\\,:[]{}0123456789-+.eE \n\tnultrfasx/u\x00\x1f\x7f\xff\xc3\xa4\xed";
        match r.below(5) {
            0 if at < v.len() => {
                v.remove(at);
            }
            1 => v.insert(at, BYTES[r.below(BYTES.len())]),
            2 if at < v.len() => v[at] = BYTES[r.below(BYTES.len())],
            3 => v.truncate(at),
            _ if at < v.len() => {
                let c = v[at];
                v.insert(at, c);
            }
            _ => v.push(b','),
        }
        v
    }

    #[test]
    fn random_values_and_mutations_agree_with_serde_json() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut accepted, mut rejected) = (0, 0);
        let mut texts = Vec::new();
        for _ in 0..20_000 {
            let mut text = String::new();
            random_value(&mut r, 0, &mut text);
            if agree(text.as_bytes()) {
                accepted += 1;
            } else {
                rejected += 1;
            }
            texts.push(text);
        }
        for i in 0..20_000 {
            let text = &texts[i % texts.len()];
            let mut m = mutate(&mut r, text.as_bytes());
            if r.below(4) == 0 {
                m = mutate(&mut r, &m);
            }
            if agree(&m) {
                accepted += 1;
            } else {
                rejected += 1;
            }
        }
        eprintln!("{accepted} accepted, {rejected} rejected");
        // The test means something only when both outcomes are common.
        assert!(
            accepted > 10_000 && rejected > 5_000,
            "{accepted} accepted, {rejected} rejected"
        );
    }

    /// What reading a List page item by item must give: the `items` of the page read whole
    /// (none when null or missing); `None` when the page is not an object with a list there.
    fn list_items_by_serde(input: &[u8]) -> Option<Vec<Doc>> {
        let whole = by_serde(input)?;
        let root = whole.root();
        root.as_map()?;
        match root.get("items") {
            None => Some(Vec::new()),
            Some(items) if items.is_null() => Some(Vec::new()),
            Some(items) => Some(items.as_seq()?.iter().map(Node::to_doc).collect()),
        }
    }

    #[track_caller]
    fn list_items_agree(input: &[u8]) -> bool {
        let fast = parse_json_list_items(input).ok();
        let slow = list_items_by_serde(input);
        match (&fast, &slow) {
            (Some(f), Some(s)) => {
                assert_eq!(f.len(), s.len(), "{:?}", String::from_utf8_lossy(input));
                for (a, b) in f.iter().zip(s) {
                    assert!(same(a.root(), b.root()), "{:?}", String::from_utf8_lossy(input));
                }
                true
            }
            (None, None) => false,
            _ => panic!(
                "item by item {} but read whole {}: {:?}",
                if fast.is_some() { "accepts" } else { "rejects" },
                if slow.is_some() { "accepts" } else { "rejects" },
                String::from_utf8_lossy(input)
            ),
        }
    }

    /// A List page read item by item gives the items of the page read whole, for hand-picked
    /// pages and for random items and damaged pages.
    #[test]
    fn list_items_agree_with_reading_the_page_whole() {
        let accepted = [
            r#"{"kind":"PodList","apiVersion":"v1","metadata":{"continue":"x","remainingItemCount":3},"items":[{"a":1},{"b":[1,2,{"c":null}]}]}"#,
            r#"{"items":null}"#,
            r#"{}"#,
            r#" { "metadata" : { } } "#,
            r#"{"items":[]}"#,
            r#" {"items" : [ 1 , "s" , [] , {} ] } "#,
            r#"{"it\u0065ms":[{"a":"\u00e9"}],"metadata":{"x":[1.5,-0,1e3]}}"#,
        ];
        for page in accepted {
            assert!(list_items_agree(page.as_bytes()), "{page}");
        }
        let rejected = [
            r#"{"items":[{"a":1},]}"#,
            r#"{"items":[{"a":1}"#,
            r#"[1]"#,
            r#"{"items":5}"#,
            r#"{"items":{"a":1}}"#,
            r#"{"items":[]} x"#,
            r#"{"items":[1e999]}"#,
            r#"{"metadata":{"a":}, "items":[]}"#,
        ];
        for page in rejected {
            assert!(!list_items_agree(page.as_bytes()), "{page}");
        }
        // Nesting limits count the page's own object and array.
        for depth in [124, 125, 126, 127] {
            let page = format!("{{\"items\":[{}]}}", nested(depth, "[", "]", "1"));
            list_items_agree(page.as_bytes());
        }
        // Two `items` are refused, as a typed reading of the page refuses them.
        assert!(parse_json_list_items(br#"{"items":[],"items":[{"a":1}]}"#).is_err());

        let mut r = Rng(0x2545_f491_4f6c_dd1d);
        let (mut yes, mut no) = (0, 0);
        for _ in 0..3_000 {
            let mut page = String::from(r#"{"kind":"List","items":["#);
            for i in 0..r.below(4) {
                if i > 0 {
                    page.push(',');
                }
                random_value(&mut r, 1, &mut page);
            }
            page.push_str(r#"],"metadata":{"resourceVersion":"1"}}"#);
            let text = if r.below(2) == 0 {
                page.into_bytes()
            } else {
                mutate(&mut r, page.as_bytes())
            };
            if list_items_agree(&text) {
                yes += 1;
            } else {
                no += 1;
            }
        }
        assert!(yes > 1_000 && no > 300, "{yes} accepted, {no} rejected");
    }

    #[test]
    fn json_files_of_the_repository_agree_with_serde_json() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    if path.file_name().is_some_and(|n| n != "target" && n != ".git") {
                        walk(&path, out);
                    }
                } else if path.extension().is_some_and(|e| e == "json") {
                    out.push(path);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        walk(&root.join("examples"), &mut files);
        walk(&root.join("crates"), &mut files);
        let mut compared = 0;
        for path in &files {
            let Ok(bytes) = std::fs::read(path) else { continue };
            if agree(&bytes) {
                compared += 1;
            }
        }
        assert!(compared > 0, "no JSON files under {}", root.display());
        eprintln!("{compared} of {} files compared", files.len());
    }

    #[test]
    fn names_that_look_alike_stay_apart() {
        let keys = [
            "a",
            "b",
            "ab",
            "ba",
            "abc",
            "acb",
            "abcd",
            "abdc",
            "abcdefg",
            "abcdefG",
            "abcdefgh",
            "abcdefgH",
            "abcdefghijklmnop",
            "abcdefghijklmnoP",
            "abcdefghXjklmnop",
            "abcdefgh0123456789ijklmnop",
            "abcdefgh9876543210ijklmnop",
        ];
        let mut map = serde_json::Map::new();
        for (i, k) in keys.iter().enumerate() {
            map.insert((*k).to_owned(), serde_json::json!(i));
        }
        let text = serde_json::Value::Object(map).to_string();
        // Twice through one builder, so the second document reads every name from the cache.
        let docs = parse_json_list_items(format!("{{\"items\": [{text}, {text}]}}").as_bytes()).unwrap();
        assert_eq!(docs.len(), 2);
        for d in &docs {
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(d.get(k).and_then(Node::as_i64), Some(i as i64), "{k}");
            }
            assert_eq!(
                d.as_map().map(|m| m.keys().collect::<Vec<_>>()),
                Some(keys.to_vec())
            );
        }
    }

    #[test]
    fn list_items_are_each_their_own_document() {
        let items =
            parse_json_list_items(br#"{"items": [{"a": "first long text"}, 2, {"b": [true]}]}"#).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].to_json(), serde_json::json!({"a": "first long text"}));
        assert_eq!(items[1].to_json(), serde_json::json!(2));
        assert_eq!(items[2].to_json(), serde_json::json!({"b": [true]}));
        assert!(parse_json_list_items(br#"{"items": null}"#).unwrap().is_empty());
    }
}
