//! Word wrapping for the reports people read.
//!
//! Lines break only at spaces, so an identifier (a check id, `namespace/name`, `file:line`, an
//! image, a version) is never cut in two where a reader would copy it. A single word longer
//! than the width stays whole on a line of its own and overflows: a broken path is worse
//! than a long line. Widths count characters (the reports are ASCII apart from a few arrows,
//! each one column wide).

/// The width of `text` in columns.
pub fn width(text: &str) -> usize {
    text.chars().count()
}

/// `text` wrapped to `width` columns at spaces. Line breaks in `text` are kept; runs of
/// spaces inside a line collapse to one. An empty text gives no lines.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    wrap_hanging(text, width, "", "")
}

/// `text` wrapped to `width` columns, the first line starting with `first` and every other
/// line with `rest` (a hanging indent). The prefixes count towards the width.
pub fn wrap_hanging(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let mut lines = Vec::new();
    // Text from the input (names, messages quoting it) reaches a terminal: control characters
    // other than line breaks and tabs would let a manifest move the cursor, recolour the
    // screen or retitle the window, so they are shown as U+FFFD.
    let cleaned;
    let text = if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        cleaned = text
            .chars()
            .map(|c| {
                if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect::<String>();
        cleaned.as_str()
    } else {
        text
    };
    for paragraph in text.lines() {
        let mut line = String::new();
        let mut used = 0;
        // Whether `line` holds a word yet (beyond its prefix).
        let mut has_word = false;
        for word in paragraph.split_whitespace() {
            if !has_word {
                let prefix = if lines.is_empty() { first } else { rest };
                line.push_str(prefix);
                line.push_str(word);
                used = self::width(prefix) + self::width(word);
                has_word = true;
            } else if used + 1 + self::width(word) <= width {
                line.push(' ');
                line.push_str(word);
                used += 1 + self::width(word);
            } else {
                lines.push(std::mem::take(&mut line));
                line.push_str(rest);
                line.push_str(word);
                used = self::width(rest) + self::width(word);
            }
        }
        if has_word {
            lines.push(line);
        }
    }
    lines
}

/// `text` cut to `width` columns, ending with `…` when something was cut.
pub fn truncate(text: &str, width: usize) -> String {
    if self::width(text) <= width {
        return text.to_owned();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_from_the_input_never_reach_the_terminal() {
        let lines = wrap("name \u{1b}]0;owned\u{7} \u{1b}[31mred", 80);
        assert_eq!(lines, ["name \u{FFFD}]0;owned\u{FFFD} \u{FFFD}[31mred"]);
        assert!(lines.iter().all(|l| !l.chars().any(char::is_control)));
    }

    #[test]
    fn wraps_at_spaces_within_the_width() {
        let lines = wrap("the quick brown fox jumps over the lazy dog", 10);
        assert_eq!(lines, ["the quick", "brown fox", "jumps over", "the lazy", "dog"]);
        assert!(lines.iter().all(|l| width(l) <= 10));
    }

    #[test]
    fn a_long_word_stays_whole_on_its_own_line() {
        let lines = wrap("see tigera-operator/tigera-operator now", 12);
        assert_eq!(lines, ["see", "tigera-operator/tigera-operator", "now"]);
    }

    #[test]
    fn hanging_indent_counts_towards_the_width() {
        let lines = wrap_hanging("aaa bbb ccc ddd", 9, "- ", "  ");
        assert_eq!(lines, ["- aaa bbb", "  ccc ddd"]);
    }

    #[test]
    fn line_breaks_are_kept_and_empty_text_gives_nothing() {
        assert_eq!(wrap("one\ntwo three", 80), ["one", "two three"]);
        assert!(wrap("", 80).is_empty());
        assert!(wrap("   ", 80).is_empty());
    }

    #[test]
    fn truncate_marks_the_cut() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abc def", 5), "abc…");
        assert_eq!(truncate("→→→→", 3), "→→…");
    }
}
