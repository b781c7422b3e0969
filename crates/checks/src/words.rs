//! Small word helpers the rules' messages share.

/// "worker-a1, worker-a2 and 3 more".
pub fn name_list<S: AsRef<str>>(names: &[S], limit: usize) -> String {
    let shown: Vec<&str> = names.iter().take(limit).map(AsRef::as_ref).collect();
    let mut text = shown.join(", ");
    if names.len() > limit {
        text.push_str(&format!(" and {} more", names.len() - limit));
    }
    text
}

/// `s` after a count other than one.
pub const fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// [`plural`] for a signed count.
pub const fn plural_i64(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The text with its first letter upper-cased.
pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// "None of the 3 StatefulSets in the input carries a status", or for one, "The only
/// StatefulSet in the input carries no status": a note that a check lacks what it reads.
pub fn none_carries(n: usize, one: &str, many: &str, what: &str) -> String {
    if n == 1 {
        format!("The only {one} in the input carries no {what}")
    } else {
        format!("None of the {n} {many} in the input carries a {what}")
    }
}
