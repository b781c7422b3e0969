//! Ignoring findings, honestly: an annotation on the object (`mcp-diag.io/ignore`) or an
//! ignore file (`--ignore-file`). An ignored finding is moved to the report's `suppressed`
//! list with its reason, never dropped; an ignore that has expired no longer applies and is
//! itself reported (`ignore-expired`); one that cannot be understood is reported
//! (`ignore-invalid`) and ignores nothing.

use std::collections::BTreeMap;

use mcp_diag_model::{Date, Finding, Inventory, Location, ObjectRef};
use rustc_hash::FxHashMap;
use serde::Deserialize;

/// The annotation: `"check-id[,check-id]: reason"`.
pub const ANNOTATION: &str = "mcp-diag.io/ignore";

/// One rule of an ignore file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignore {
    /// A check id, or `*` for every check.
    pub check: String,
    /// `Kind/namespace/name` (or `Kind/name` for cluster-scoped objects); each part may use `*`.
    pub object: Option<String>,
    /// A path pattern for manifest files (`*` within a part, `**` across parts).
    pub file: Option<String>,
    pub reason: String,
    pub until: Option<Date>,
    /// Where the rule is written, for findings about it.
    pub location: Location,
}

/// Why a finding was suppressed (the report lists it with the finding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub finding: Finding,
    /// `annotation` or `ignore-file`.
    pub by: &'static str,
    pub reason: String,
    pub until: Option<Date>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    check: String,
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    until: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapped {
    ignores: Vec<RawIgnore>,
}

/// Reads an ignore file. A file that cannot be understood is an error (it is the user's own
/// configuration: guessing what it meant would silence the wrong findings).
pub fn parse_ignore_file(text: &str, path: &str) -> Result<Vec<Ignore>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    // Read as the shape the file has, so that serde's message names the key at fault (an
    // untagged choice between the two would only say "did not match any variant").
    let wrapped = text.lines().any(|l| l.starts_with("ignores:"));
    let expected = "expected a list of {check, object or file, reason, until}";
    let raw = if wrapped {
        serde_saphyr::from_str::<Wrapped>(text).map(|w| w.ignores)
    } else {
        serde_saphyr::from_str::<Vec<RawIgnore>>(text)
    }
    .map_err(|e| format!("{path}: {e}; {expected}"))?;
    let lines = item_lines(text);
    let mut out = Vec::with_capacity(raw.len());
    for (i, r) in raw.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        let at = format!("{path}:{line}");
        let check = r.check.trim().to_ascii_lowercase();
        if check != "*" && crate::check_info(&check).is_none() {
            return Err(format!(
                "{at}: unknown check id {:?} (`mcp-diag explain` lists them; `*` means every check)",
                r.check
            ));
        }
        let reason = r.reason.map(|s| s.trim().to_owned()).unwrap_or_default();
        if reason.is_empty() {
            return Err(format!(
                "{at}: an ignore needs a reason (reason: why this finding does not apply, and who decided)"
            ));
        }
        if r.object.is_none() && r.file.is_none() && check == "*" {
            return Err(format!(
                "{at}: `check: \"*\"` without object or file would ignore everything; name the objects or files"
            ));
        }
        let until =
            match r.until {
                None => None,
                Some(text) => Some(Date::parse(text.trim()).ok_or_else(|| {
                    format!("{at}: until: cannot read {text:?} as a date (write YYYY-MM-DD)")
                })?),
            };
        out.push(Ignore {
            check,
            object: r.object,
            file: r.file,
            reason,
            until,
            location: Location::new(path, line),
        });
    }
    Ok(out)
}

/// The line of each list item at the outermost list indentation (1-based), for messages.
fn item_lines(text: &str) -> Vec<u64> {
    let items: Vec<(usize, u64)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let indent = l.len() - l.trim_start().len();
            let rest = &l[indent..];
            (rest == "-" || rest.starts_with("- ")).then_some((indent, i as u64 + 1))
        })
        .collect();
    let outer = items.iter().map(|(indent, _)| *indent).min().unwrap_or(0);
    items
        .into_iter()
        .filter(|(i, _)| *i == outer)
        .map(|(_, l)| l)
        .collect()
}

/// What applying the ignores did.
#[derive(Debug, Default)]
pub struct Applied {
    /// The findings to report, with those about the ignores themselves (expired, unreadable).
    pub kept: Vec<Finding>,
    pub suppressed: Vec<Suppression>,
    /// Active ignore-file rules that matched no finding: most often a pattern written in
    /// another shape than `Kind/namespace/name`, which the user should hear about.
    pub unused: Vec<Location>,
}

/// Splits findings into those kept and those suppressed, and adds findings about the ignores
/// themselves (expired, or annotations that cannot be read).
pub fn apply(findings: Vec<Finding>, inventory: &Inventory, ignores: &[Ignore], today: Date) -> Applied {
    let annotated = annotated_objects(inventory);
    if annotated.is_empty() && ignores.is_empty() {
        // Nothing can silence a finding: they stay as they are, in their order.
        return Applied {
            kept: findings,
            suppressed: Vec::new(),
            unused: Vec::new(),
        };
    }
    let (active, expired): (Vec<&Ignore>, Vec<&Ignore>) =
        ignores.iter().partition(|i| i.until.is_none_or(|u| u >= today));
    let mut kept = Vec::with_capacity(findings.len());
    let mut suppressed = Vec::new();
    let mut extra = Vec::new();
    // Expired rules still match: their findings come back, and say which rule expired.
    let mut expired_hits: BTreeMap<usize, usize> = BTreeMap::new();
    let mut used = vec![false; active.len()];
    for finding in findings {
        let by_annotation = finding
            .object
            .as_ref()
            .and_then(|o| annotated.get(&object_key(o)))
            .and_then(|a| a.said.as_ref().ok())
            .filter(|(checks, _)| checks.iter().any(|c| c == "*" || c == finding.check))
            .map(|(_, reason)| reason.clone());
        if let Some(reason) = by_annotation {
            suppressed.push(Suppression {
                finding,
                by: "annotation",
                reason,
                until: None,
            });
            continue;
        }
        if let Some((n, rule)) = active.iter().enumerate().find(|(_, i)| matches(i, &finding)) {
            used[n] = true;
            suppressed.push(Suppression {
                finding,
                by: "ignore-file",
                reason: rule.reason.clone(),
                until: rule.until,
            });
            continue;
        }
        for (n, rule) in expired.iter().enumerate() {
            if matches(rule, &finding) {
                *expired_hits.entry(n).or_default() += 1;
            }
        }
        kept.push(finding);
    }
    for (n, rule) in expired.iter().enumerate() {
        let hits = expired_hits.get(&n).copied().unwrap_or(0);
        extra.push(expired_finding(rule, hits));
    }
    for annotation in annotated.values() {
        if let Err(problem) = &annotation.said {
            extra.push(invalid_annotation(annotation, problem));
        }
    }
    for f in &mut extra {
        mcp_diag_model::evidence::classify(f, inventory.kind);
    }
    // `findings` came sorted and only lost entries; sort again only when some were added.
    if !extra.is_empty() {
        kept.extend(extra);
        kept.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }
    let unused = active
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(rule, _)| rule.location.clone())
        .collect();
    Applied {
        kept,
        suppressed,
        unused,
    }
}

type ObjectKey = (String, Option<String>, String);

fn object_key(o: &ObjectRef) -> ObjectKey {
    (o.kind.clone(), o.namespace.clone(), o.name.clone())
}

/// An object carrying the annotation, with what it says (or why it cannot be read).
struct Annotated {
    object: ObjectRef,
    location: Option<Location>,
    said: Result<(Vec<String>, String), String>,
}

fn annotated_objects(inventory: &Inventory) -> FxHashMap<ObjectKey, Annotated> {
    let mut out = FxHashMap::default();
    if !mcp_diag_model::name_in_use(ANNOTATION) {
        return out;
    }
    for object in &inventory.objects {
        let Some(text) = object.annotation(ANNOTATION) else {
            continue;
        };
        out.insert(
            (object.kind.clone(), object.namespace.clone(), object.name.clone()),
            Annotated {
                object: object.object_ref(),
                location: object.location.clone(),
                said: parse_annotation(text),
            },
        );
    }
    out
}

/// `"check-id[,check-id]: reason"`; `*` names every check.
pub fn parse_annotation(text: &str) -> Result<(Vec<String>, String), String> {
    let Some((ids, reason)) = text.split_once(':') else {
        return Err(format!(
            "{ANNOTATION}: {text:?} has no reason; write \"check-id[,check-id]: why it does not apply\""
        ));
    };
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(format!("{ANNOTATION}: {text:?} has an empty reason"));
    }
    let mut checks = Vec::new();
    for id in ids.split(',').map(|s| s.trim().to_ascii_lowercase()) {
        if id.is_empty() {
            continue;
        }
        if id != "*" && crate::check_info(&id).is_none() {
            return Err(format!(
                "{ANNOTATION}: unknown check id {id:?} (`mcp-diag explain` lists them)"
            ));
        }
        checks.push(id);
    }
    if checks.is_empty() {
        return Err(format!("{ANNOTATION}: {text:?} names no check"));
    }
    Ok((checks, reason.to_owned()))
}

fn matches(rule: &Ignore, finding: &Finding) -> bool {
    if rule.check != "*" && rule.check != finding.check {
        return false;
    }
    if let Some(pattern) = &rule.object {
        let Some(object) = &finding.object else {
            return false;
        };
        // Kinds are matched whatever their case (`deployment/shop/*`); names as written.
        let (kind_pattern, rest) = pattern.split_once('/').unwrap_or((pattern, ""));
        let kind_ok = glob(
            &kind_pattern.to_ascii_lowercase(),
            &object.kind.to_ascii_lowercase(),
        );
        let rest_text = match &object.namespace {
            Some(ns) => format!("{ns}/{}", object.name),
            None => object.name.clone(),
        };
        if !kind_ok || !glob(rest, &rest_text) {
            return false;
        }
    }
    if let Some(pattern) = &rule.file {
        let Some(location) = &finding.location else {
            return false;
        };
        // `./k8s/a.yaml` and `k8s/a.yaml` are the same file, however the scan was spelt.
        let clean = |p: &str| p.trim_start_matches("./").to_owned();
        if !glob(&clean(pattern), &clean(&location.file)) {
            return false;
        }
    }
    true
}

/// `*` matches within one `/`-separated part, `**` across parts; case-sensitive (names are).
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) if rest.first() == Some(&b'*') => {
                let rest = &rest[1..];
                (0..=t.len()).any(|i| go(rest, &t[i..]))
            }
            Some((b'*', rest)) => {
                let stop = t.iter().position(|&c| c == b'/').unwrap_or(t.len());
                (0..=stop).any(|i| go(rest, &t[i..]))
            }
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

fn expired_finding(rule: &Ignore, hits: usize) -> Finding {
    let until = rule.until.map(|d| d.to_string()).unwrap_or_default();
    let what = match (&rule.object, &rule.file) {
        (Some(o), _) => format!("{} on {o}", rule.check),
        (None, Some(f)) => format!("{} in {f}", rule.check),
        (None, None) => rule.check.clone(),
    };
    let info = &crate::rules::ignore_expired::INFO;
    Finding {
        check: info.id,
        severity: info.severity,
        title: format!("Ignore of {what} expired on {until}"),
        object: None,
        location: Some(rule.location.clone()),
        message: format!(
            "The ignore of {what} (\"{}\") held until {until} and no longer applies: {hits} finding{} it matched {} reported again.",
            rule.reason,
            if hits == 1 { "" } else { "s" },
            if hits == 1 { "is" } else { "are" },
        ),
        remediation: "Fix what the findings report, or, if the reason still holds, extend `until` after a fresh review.".to_owned(),
        evidence: Some(mcp_diag_model::evidence::RULES_FILE),
        details: BTreeMap::from([
            ("until", until.clone()),
            ("matched", hits.to_string()),
        ]),
    }
}

fn invalid_annotation(annotated: &Annotated, problem: &str) -> Finding {
    let info = &crate::rules::ignore_invalid::INFO;
    Finding {
        check: info.id,
        severity: info.severity,
        title: "Ignore annotation not understood".to_owned(),
        object: Some(annotated.object.clone()),
        location: annotated.location.clone(),
        message: format!("{problem}; it ignores nothing."),
        remediation: format!(
            "Write the annotation as {ANNOTATION}: \"check-id[,check-id]: reason\", with ids from `mcp-diag explain`."
        ),
        evidence: None,
        details: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests;
