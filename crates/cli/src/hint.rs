//! Errors with advice, and "did you mean": used by the commands and by the settings file, so
//! in a module that imports neither.

/// An error with advice on what to do about it.
#[derive(Debug)]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Hinted {
        message: message.into(),
        hint: hint.into(),
    })
}

/// "did you mean" for a mistyped name: the closest candidates by edit distance.
pub fn did_you_mean<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let given = given.to_ascii_lowercase();
    let mut best: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&given, c), c))
        .filter(|(score, _)| *score > 0.8)
        .collect();
    best.sort_by(|a, b| b.0.total_cmp(&a.0));
    let names: Vec<&str> = best.iter().take(3).map(|(_, c)| *c).collect();
    (!names.is_empty()).then(|| format!("did you mean {}?", names.join(" or ")))
}
