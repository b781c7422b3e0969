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
