//! Small helpers shared by the file formats (escaping, names, a stable hash).

use std::fmt::Write;

use mcp_diag_model::{Coverage, Finding, ObjectRef, Severity};

/// How many characters of a gap's detail the one-line summary keeps.
const GAP_DETAIL_CHARS: usize = 60;

/// `Incomplete read: Pod (failed: HTTP 500 after 3 attempts), ReplicaSet.apps (timed-out,
/// 120 objects)`: one line for the head of a cluster, `None` when nothing is missing.
pub(crate) fn incomplete_line(coverage: &Coverage) -> Option<String> {
    let parts: Vec<String> = coverage
        .gaps()
        .map(|k| {
            let reason = k.reason.map_or("incomplete", mcp_diag_model::ReadGap::as_str);
            let mut words = reason.to_owned();
            if k.objects > 0 {
                let _ = write!(words, ", {} objects", k.objects);
            }
            if !k.detail.is_empty() {
                let _ = write!(words, ": {}", short_detail(&k.detail));
            }
            format!("{} ({words})", k.display())
        })
        .collect();
    (!parts.is_empty()).then(|| format!("Incomplete read: {}", parts.join(", ")))
}

/// A gap's detail cut for one line: without the `listing pods (v1): ` the kind already says,
/// and cut at a word, not inside one (the `input-incomplete` finding has it whole).
fn short_detail(detail: &str) -> String {
    let detail = detail
        .strip_prefix("listing ")
        .and_then(|rest| rest.split_once("): ").map(|(_, tail)| tail))
        .unwrap_or(detail);
    if detail.chars().count() <= GAP_DETAIL_CHARS {
        return detail.to_owned();
    }
    let cut: String = detail.chars().take(GAP_DETAIL_CHARS).collect();
    let at_word = cut.rfind(' ').map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end_matches([',', ':', ';']))
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// JSON for a `<script type="application/json">` block: `<`, `>` and `&` are written as
/// `\u` escapes so that no text in the data can close the element or open a comment, and
/// U+2028/U+2029 so that the text stays valid JavaScript too.
pub(crate) fn json_for_script(value: &impl serde::Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(ch),
        }
    }
    out
}

/// `Kind namespace/name` (without the apiVersion, which has its own column or field).
pub(crate) fn object_name(object: &ObjectRef) -> String {
    let name = if object.name.is_empty() {
        "<unnamed>"
    } else {
        &object.name
    };
    match &object.namespace {
        Some(ns) => format!("{} {ns}/{name}", object.kind),
        None => format!("{} {name}", object.kind),
    }
}

/// `file:line` or `file:line:column`, without the template note.
pub(crate) fn file_line(finding: &Finding) -> Option<String> {
    finding.location.as_ref().map(|l| match l.column {
        Some(c) => format!("{}:{}:{c}", l.file, l.line),
        None => format!("{}:{}", l.file, l.line),
    })
}

/// Capitalised severity for headings: `Blocker`, `High`, ...
pub(crate) fn severity_title(s: Severity) -> &'static str {
    match s {
        Severity::Blocker => "Blocker",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// 64-bit FNV-1a: a hash that never changes between builds or Rust releases (std's hashers
/// make no such promise), for fingerprints that must match across runs.
pub(crate) fn fnv1a(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        // A separator byte that UTF-8 text never holds, so ("ab","c") != ("a","bc").
        for &byte in part.as_bytes().iter().chain(std::iter::once(&0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// The rows of one Markdown section, kept under a comment's size limit. Once a row does not
/// fit, it and every later row are left out (also when an earlier section already left rows
/// out), so what is shown is always a prefix of the list.
pub(crate) struct Rows {
    used: usize,
    limit: usize,
    closed: bool,
    pub(crate) left_out: usize,
}

impl Rows {
    /// `out` so far counts towards `limit` (counted once here, then per row: counting the
    /// whole text per row would be quadratic). `closed`: an earlier section left rows out.
    pub(crate) fn new(out: &str, limit: usize, closed: bool) -> Self {
        Self {
            used: out.chars().count(),
            limit,
            closed,
            left_out: 0,
        }
    }

    /// Appends `row` to `out` if it fits; otherwise counts it as left out.
    pub(crate) fn push(&mut self, out: &mut String, row: &str) {
        let len = row.chars().count();
        if self.closed || self.used + len > self.limit {
            self.closed = true;
            self.left_out += 1;
        } else {
            self.used += len;
            out.push_str(row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escape_covers_markup_and_quotes() {
        assert_eq!(
            html_escape(r#"<img src=x onerror="a('b')">&"#),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn script_json_cannot_close_the_element() {
        let text = json_for_script(&"</script><!-- & \u{2028}");
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: String = serde_json::from_str(&text).unwrap();
        assert_eq!(back, "</script><!-- & \u{2028}");
    }

    #[test]
    fn fnv_is_fixed_and_separates_parts() {
        // The published FNV-1a 64 value of the empty input is the offset basis; with our
        // separator byte it must differ, and the split of the parts must matter.
        assert_ne!(fnv1a(&[""]), "cbf29ce484222325");
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
        assert_eq!(fnv1a(&["x"]), fnv1a(&["x"]));
        assert_eq!(fnv1a(&["x"]).len(), 16);
    }

    #[test]
    fn gap_details_are_cut_at_a_word_without_the_listing_prefix() {
        let long = "listing pods (v1): HTTP 500 InternalError: Internal error occurred: injected fault (after 8 attempts)";
        let short = short_detail(long);
        assert!(short.starts_with("HTTP 500 InternalError"), "{short}");
        assert!(
            short.ends_with('…') && short.chars().count() <= GAP_DETAIL_CHARS + 1,
            "{short}"
        );
        assert!(
            long.contains(short.trim_end_matches('…')),
            "cut at a word: {short}"
        );
        assert!(!short.trim_end_matches('…').ends_with(' '), "{short}");
        assert_eq!(short_detail("HTTP 403 Forbidden"), "HTTP 403 Forbidden");
    }
}

// The terminal styling the human renderers share (findings table, compact list, dependency
// table), kept here so that none of them imports another.

const RESET: &str = "\x1b[0m";

#[derive(Clone, Copy, Debug)]
pub struct TableOptions {
    pub color: bool,
    /// Total width in columns.
    pub width: u16,
}

pub(crate) fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Blocker => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
        Severity::Info => "\x1b[2m",
    }
}

pub(crate) struct Paint {
    pub(crate) on: bool,
}

impl Paint {
    pub(crate) fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}
