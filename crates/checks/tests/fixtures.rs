//! Fixture cases per check, in the language users write, with the findings as insta snapshots.
//!
//! `tests/fixtures/<check-id>/` holds the cases of one check: a `.yaml` file (a manifest set,
//! multi-document) or a directory (a small snapshot with its `cluster.yaml`). Each case starts
//! with a header of comment lines (in the directory's `cluster.yaml` for a snapshot): one or two
//! sentences saying what the case shows, then its settings, one `# key: value` a line (a
//! lower-case key and a value without spaces, except for `denied`, `unreachable` and
//! `etcd-health`, which take words):
//!
//! - `target: 1.32` (required): the release the scan is for.
//! - `current: 1.31`: the cluster's version (manifests have none; a snapshot's comes from its
//!   `cluster.yaml`).
//! - `today: 2026-11-25` (default): the scan date; "now" is its midnight (UTC) unless `now:` or
//!   a snapshot's `capturedAt` says otherwise.
//! - `now: 2026-11-20T09:30:00Z`: the reference time for ages.
//! - `source: manifests|snapshot|live`: what kind of input the objects count as (a `.yaml` case
//!   is `manifests` by default, a directory `snapshot`).
//! - `read-gap: GROUP/Kind`, `read-denied: GROUP/Kind`, `read-complete: GROUP/Kind`: a live
//!   read whose list of that kind failed (HTTP 500) after the objects of that kind the case
//!   holds, was refused (HTTP 403), or was complete (`core` for the core group). Any of them
//!   makes the source `live`. `read-gap: GROUP/Kind=REASON` names another reason (`timed-out`,
//!   `throttled`, `unauthorized`, `not-served`, `not-in-input`, `invalid`).
//! - `option: NAME=VALUE`: `backup_max_age=7d`, `restart_threshold=3`, `node_full_percent=90`.
//! - `desired: NAME.desired.yaml`: the declared state (`--desired`) for `drift-desired`, a
//!   manifest file next to the case. Files named `*.desired.yaml` are not cases themselves.
//! - `rules: NAME.rules.yaml`: a rules file (`--rules`, the format of docs/rules.md) next to
//!   the case, whose organisation rules the scan runs; their findings, under each rule's own
//!   id, are `user-rule`'s.
//! - `ignore-file: NAME.ignore.yaml`: an ignore file (`--ignore-file`) next to the case,
//!   applied as a scan applies it (`ignore-expired` comes from it).
//! - `denied: VERB WHAT: DETAIL`: the live reader was refused `VERB` on `WHAT` besides the
//!   kinds (`get the API server's /metrics: HTTP 403 Forbidden`), which it reports as
//!   `access-denied`; makes the source `live`. May be given more than once.
//! - `unreachable: NAME: ERROR`: the cluster could not be read at all; as in a fleet scan, its
//!   only finding is `cluster-unreachable` (the case holds no objects).
//! - `etcd-endpoint: URL`, `etcd-version: 3.5.12`, `etcd-health: ANSWER`: what
//!   `--etcd-endpoint` read: the version joins the components (for `etcd-version`), an
//!   `etcd-health` other than `true` is the body of an unhealthy answer, and
//!   `etcd-health: no answer: ERROR` (without `etcd-version`) is an etcd that did not answer;
//!   both are `etcd-unhealthy`.
//!
//! Every check runs, what the input could not read becomes `input-*` findings, and the objects'
//! `mcp-diag.io/ignore` annotations apply, as in a scan; the findings of the directory's check
//! are snapshotted as `<check-id>__<case>` in `tests/snapshots/`. A key the harness does not
//! know fails the test with the file name, so a typo never silently changes a case. The
//! findings raised outside the checks (by the live reader, the CLI, the ignore file) are built
//! by the same functions of the check's rule file that the reader and the CLI call.
//!
//! The test also fails when a check has no fixture directory (unless it is listed in
//! `NOT_YET_MIGRATED`), when a directory has no case with a finding, no
//! case without one, or no `example` case that produces one (the case `explain ID`'s
//! `## Example` describes), and when a snapshot belongs to no case.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mcp_diag_checks::examples::FREE_TEXT_KEYS;
use mcp_diag_checks::rules::{access_denied, cluster_unreachable, etcd_unhealthy};
use mcp_diag_checks::{CHECKS, CheckOptions, Settings, UserRule, UserRules, run_all, suppress};
use mcp_diag_model::{
    Coverage, Date, Finding, Inventory, KindRead, KubeVersion, Minor, ReadGap, SourceKind, time,
};

/// Checks whose cases still live in their rule file's unit tests. Shrinks as the migration
/// goes on; the harness fails for a check that is neither migrated nor listed here.
const NOT_YET_MIGRATED: &[&str] = &[];

/// Directories under `tests/fixtures` that are not a check's cases.
const NOT_A_CHECK: &[&str] = &["clean-cluster"];

/// The default scan date, the one the rule files' unit tests use.
const TODAY: Date = Date::new(2026, 11, 25);

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// One case's settings, read from its header.
#[derive(Debug)]
struct Header {
    target: Minor,
    current: Option<Minor>,
    today: Date,
    now: Option<i64>,
    source: Option<SourceKind>,
    /// (group, kind, None for complete or the reason of the gap).
    reads: Vec<(String, String, Option<ReadGap>)>,
    options: CheckOptions,
    /// The file name of the declared state, next to the case.
    desired: Option<String>,
    /// The file name of a rules file (`--rules`), next to the case.
    rules: Option<String>,
    /// The file name of an ignore file (`--ignore-file`), next to the case.
    ignore_file: Option<String>,
    /// Reads the live reader was refused besides the kinds: (verb, what, what the server said).
    denied: Vec<(String, String, String)>,
    /// The cluster could not be read at all: (its name, the error).
    unreachable: Option<(String, String)>,
    /// `--etcd-endpoint`: its URL, what `/version` said, and what `/health` said.
    etcd_endpoint: Option<String>,
    etcd_version: Option<String>,
    etcd_health: Option<String>,
}

/// Reads the leading comment lines of `text`. Errors name the line and what is wrong.
fn parse_header(text: &str) -> Result<Header, String> {
    let mut target = None;
    let mut header = Header {
        target: Minor::new(0, 0),
        current: None,
        today: TODAY,
        now: None,
        source: None,
        reads: Vec::new(),
        options: CheckOptions::default(),
        desired: None,
        rules: None,
        ignore_file: None,
        denied: Vec::new(),
        unreachable: None,
        etcd_endpoint: None,
        etcd_version: None,
        etcd_health: None,
    };
    let mut described = false;
    for (i, line) in text.lines().enumerate() {
        let Some(comment) = line.strip_prefix('#') else {
            break;
        };
        let comment = comment.trim();
        // `# key: value`, a lower-case key and a value without spaces (the keys of
        // FREE_TEXT_KEYS take words); any other comment line is description (so a wrapped
        // sentence that starts with "word:" is not a setting).
        let setting = comment.split_once(':').filter(|(key, value)| {
            let value = value.trim();
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
                && !value.is_empty()
                && (!value.contains(char::is_whitespace) || FREE_TEXT_KEYS.contains(key))
        });
        let Some((key, value)) = setting else {
            described |= !comment.is_empty();
            continue;
        };
        let value = value.trim();
        let at = |what: &str| format!("line {}: {key}: {what} (got {value:?})", i + 1);
        match key {
            "target" => target = Some(value.parse::<Minor>().map_err(|_| at("not a version"))?),
            "current" => {
                header.current = Some(value.parse::<Minor>().map_err(|_| at("not a version"))?);
            }
            "today" => header.today = Date::parse(value).ok_or_else(|| at("not a date"))?,
            "now" => {
                header.now = Some(time::parse_timestamp(value).ok_or_else(|| at("not a timestamp"))?);
            }
            "source" => {
                header.source = Some(match value {
                    "manifests" => SourceKind::Manifests,
                    "snapshot" => SourceKind::Snapshot,
                    "live" => SourceKind::Live,
                    _ => return Err(at("one of manifests, snapshot, live")),
                });
            }
            "read-gap" | "read-denied" | "read-complete" => {
                let (kind_part, reason) = match value.split_once('=') {
                    Some((k, r)) if key == "read-gap" => (k, Some(r)),
                    _ => (value, None),
                };
                let (group, kind) = kind_part.split_once('/').ok_or_else(|| at("GROUP/Kind"))?;
                let group = if group == "core" { "" } else { group };
                let how = match key {
                    "read-gap" => Some(match reason {
                        None => ReadGap::Failed,
                        Some(r) => gap_reason(r).ok_or_else(|| {
                            at("GROUP/Kind=REASON, REASON one of denied, unauthorized, throttled, failed, timed-out, invalid, not-served, not-in-input")
                        })?,
                    }),
                    "read-denied" => Some(ReadGap::Denied),
                    _ => None,
                };
                header.reads.push((group.to_owned(), kind.to_owned(), how));
            }
            "option" => set_option(&mut header.options, value).map_err(|e| at(&e))?,
            "desired" => {
                if !value.ends_with(DESIRED_SUFFIX) {
                    return Err(at("a file name ending in .desired.yaml"));
                }
                header.desired = Some(value.to_owned());
            }
            "rules" => header.rules = Some(side_file(value, RULES_SUFFIX).map_err(|e| at(&e))?),
            "ignore-file" => {
                header.ignore_file = Some(side_file(value, IGNORE_SUFFIX).map_err(|e| at(&e))?);
            }
            "denied" => {
                let (verb, rest) = value.split_once(' ').ok_or_else(|| at("VERB WHAT: DETAIL"))?;
                let (what, detail) = rest.split_once(": ").ok_or_else(|| at("VERB WHAT: DETAIL"))?;
                header
                    .denied
                    .push((verb.to_owned(), what.trim().to_owned(), detail.trim().to_owned()));
            }
            "unreachable" => {
                let (name, error) = value.split_once(": ").ok_or_else(|| at("NAME: ERROR"))?;
                header.unreachable = Some((name.to_owned(), error.trim().to_owned()));
            }
            "etcd-endpoint" => header.etcd_endpoint = Some(value.to_owned()),
            "etcd-version" => header.etcd_version = Some(value.to_owned()),
            "etcd-health" => header.etcd_health = Some(value.to_owned()),
            _ => {
                return Err(format!(
                    "line {}: unknown header key {key:?} (known: target, current, today, now, source, read-gap, read-denied, read-complete, option, desired, rules, ignore-file, denied, unreachable, etcd-endpoint, etcd-version, etcd-health)",
                    i + 1
                ));
            }
        }
    }
    match (&header.etcd_endpoint, &header.etcd_version, &header.etcd_health) {
        (None, None, None) | (Some(_), Some(_), Some(_)) => {}
        (Some(_), None, Some(health)) if health.starts_with(NO_ANSWER) => {}
        _ => {
            return Err(format!(
                "etcd-endpoint, etcd-version and etcd-health go together (etcd-version left out when etcd-health is `{NO_ANSWER} ERROR`)"
            ));
        }
    }
    if !described {
        return Err("the header has no sentence saying what the case shows".to_owned());
    }
    header.target = target.ok_or("the header has no `# target: 1.NN`")?;
    Ok(header)
}

/// The ending of the declared-state files a `desired:` header names; they are not cases.
const DESIRED_SUFFIX: &str = ".desired.yaml";
/// The ending of the rules files a `rules:` header names; they are not cases.
const RULES_SUFFIX: &str = ".rules.yaml";
/// The ending of the ignore files an `ignore-file:` header names; they are not cases.
const IGNORE_SUFFIX: &str = ".ignore.yaml";
/// How `etcd-health:` says that etcd did not answer, before the error.
const NO_ANSWER: &str = "no answer:";

/// A file name next to the case, with the ending that keeps it from being a case itself.
fn side_file(value: &str, suffix: &str) -> Result<String, String> {
    if value.ends_with(suffix) && !value.contains('/') {
        Ok(value.to_owned())
    } else {
        Err(format!("a file name next to the case, ending in {suffix}"))
    }
}

/// Reads the rules file `name` next to the case at `path` as `--rules` would.
fn read_rules(path: &Path, name: &str) -> Result<Vec<UserRule>, String> {
    let file = path.parent().unwrap_or(path).join(name);
    let text = std::fs::read_to_string(&file).map_err(|e| format!("rules: {}: {e}", file.display()))?;
    UserRules::parse(&text)
        .map(|r| r.rules)
        .map_err(|e| format!("rules: {name}: {e}"))
}

/// Reads the ignore file `name` next to the case at `path` as `--ignore-file` would, under its
/// own name (so the places in the findings do not depend on the checkout).
fn read_ignores(path: &Path, name: &str) -> Result<Vec<suppress::Ignore>, String> {
    let file = path.parent().unwrap_or(path).join(name);
    let text = std::fs::read_to_string(&file).map_err(|e| format!("ignore-file: {}: {e}", file.display()))?;
    suppress::parse_ignore_file(&text, name).map_err(|e| format!("ignore-file: {e}"))
}

/// Reads the declared state `name` next to the case at `path` as `--desired` would.
fn read_desired(path: &Path, name: &str) -> Result<Inventory, String> {
    let file = path.parent().unwrap_or(path).join(name);
    let bytes = std::fs::read(&file).map_err(|e| format!("desired: {}: {e}", file.display()))?;
    let parsed = mcp_diag_sources::parse_bytes(name, &bytes);
    if !parsed.problems.is_empty() {
        let words: Vec<&str> = parsed.problems.iter().map(|f| f.message.as_str()).collect();
        return Err(format!(
            "desired: {name} does not read cleanly: {}",
            words.join("; ")
        ));
    }
    let mut inventory = Inventory::new(SourceKind::Manifests, "desired", "desired");
    inventory.objects = parsed.objects;
    Ok(inventory)
}

fn set_option(options: &mut CheckOptions, value: &str) -> Result<(), String> {
    let (name, v) = value.split_once('=').ok_or("NAME=VALUE")?;
    let number = || v.trim().parse().map_err(|_| format!("{name} takes a number"));
    match name.trim() {
        "backup_max_age" => {
            options.backup_max_age_secs =
                time::parse_duration(v).ok_or("backup_max_age takes a duration such as 7d")?;
        }
        "restart_threshold" => options.restart_threshold = number()?,
        "node_full_percent" => options.node_full_percent = number()?.try_into().map_err(|_| "too big")?,
        other => return Err(format!("unknown option {other:?}")),
    }
    Ok(())
}

/// The reason of a `read-gap: GROUP/Kind=REASON`, in the words reports use.
fn gap_reason(text: &str) -> Option<ReadGap> {
    Some(match text {
        "denied" => ReadGap::Denied,
        "unauthorized" => ReadGap::Unauthorized,
        "throttled" => ReadGap::Throttled,
        "failed" => ReadGap::Failed,
        "timed-out" => ReadGap::TimedOut,
        "invalid" => ReadGap::Invalid,
        "not-served" => ReadGap::NotServed,
        "not-in-input" => ReadGap::NotInInput,
        _ => return None,
    })
}

/// What a reader would have said about a gap of that reason.
fn gap_detail(reason: ReadGap) -> &'static str {
    match reason {
        ReadGap::Denied => "HTTP 403",
        ReadGap::Unauthorized => "HTTP 401",
        ReadGap::Throttled => "HTTP 429",
        ReadGap::TimedOut => "no answer in 30 s",
        ReadGap::Invalid => "the list was not a list",
        ReadGap::NotServed => "",
        ReadGap::NotInInput => "pods name owners the input lacks",
        _ => "HTTP 500 after 3 attempts",
    }
}

/// A case ready to run: its name, header, inventory, and the files its header names.
struct Case {
    name: String,
    file: PathBuf,
    header: Header,
    inventory: Inventory,
    rules: Vec<UserRule>,
    ignores: Vec<suppress::Ignore>,
}

fn load_case(path: &Path) -> Result<Case, String> {
    let file_name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let (name, header_file, inventory) = if path.is_dir() {
        let header_file = path.join("cluster.yaml");
        // Relative to the crate (the test's working directory), so that the places in the
        // findings do not depend on where the repository is checked out.
        let relative = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path);
        let inventory = mcp_diag_sources::read_snapshot(relative).map_err(|e| e.to_string())?;
        (file_name, header_file, inventory)
    } else {
        let name = file_name
            .strip_suffix(".yaml")
            .ok_or("a case is a .yaml file or a snapshot directory")?
            .to_owned();
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        // The file's own name (not its full path) so that snapshots do not depend on the checkout.
        let parsed = mcp_diag_sources::parse_bytes(&file_name, &bytes);
        let mut inventory = Inventory::new(SourceKind::Manifests, "fixture", "fixture");
        inventory.objects = parsed.objects;
        // As a scan does: what could not be read becomes input-* findings.
        inventory.input_problems = parsed.problems;
        (name, path.to_owned(), inventory)
    };
    let text = std::fs::read_to_string(&header_file).map_err(|e| e.to_string())?;
    let mut header = parse_header(&text).map_err(|e| {
        if path.is_dir() {
            format!("cluster.yaml: {e}")
        } else {
            e
        }
    })?;
    if let Some(name) = &header.desired {
        header.options.desired = Some(read_desired(path, name)?);
    }
    let rules = match &header.rules {
        Some(name) => read_rules(path, name)?,
        None => Vec::new(),
    };
    let ignores = match &header.ignore_file {
        Some(name) => read_ignores(path, name)?,
        None => Vec::new(),
    };
    if header.unreachable.is_some() && !inventory.objects.is_empty() {
        return Err("an unreachable cluster was not read: the case holds no objects".to_owned());
    }
    Ok(Case {
        name,
        file: header_file,
        header,
        inventory,
        rules,
        ignores,
    })
}

fn run_case(case: &mut Case) -> Vec<Finding> {
    let header = &mut case.header;
    let inventory = &mut case.inventory;
    // As a fleet scan does: a cluster that could not be read gets that one finding.
    if let Some((name, error)) = &header.unreachable {
        return vec![cluster_unreachable::finding(name, error)];
    }
    if let Some(kind) = header.source {
        inventory.kind = kind;
    }
    // As the live reader does: a refused read besides the kinds is an input finding.
    for (verb, what, detail) in &header.denied {
        inventory.kind = SourceKind::Live;
        inventory
            .input_problems
            .push(access_denied::refused(what, verb, detail));
    }
    // As `--etcd-endpoint` does: the version joins the components, bad health or no answer
    // is an input finding.
    if let (Some(url), Some(health)) = (&header.etcd_endpoint, &header.etcd_health) {
        match (health.strip_prefix(NO_ANSWER), &header.etcd_version) {
            (Some(error), _) => inventory
                .input_problems
                .push(etcd_unhealthy::unreadable(url, error.trim())),
            (None, Some(version)) => {
                inventory
                    .cluster
                    .components
                    .insert("etcd".to_owned(), version.clone());
                if health != "true" {
                    inventory
                        .input_problems
                        .push(etcd_unhealthy::unhealthy(url, version, health));
                }
            }
            (None, None) => {}
        }
    }
    if !header.reads.is_empty() {
        inventory.kind = SourceKind::Live;
        inventory.coverage = Coverage::recorded();
        for (group, kind, how) in &header.reads {
            let objects = inventory.objects.iter().filter(|o| o.kind == *kind).count();
            inventory.coverage.record(match how {
                None => KindRead::complete(group, kind, objects),
                Some(reason) => KindRead::gap(group, kind, *reason, gap_detail(*reason), objects),
            });
        }
    }
    let captured = inventory
        .cluster
        .captured_at
        .as_deref()
        .and_then(time::parse_timestamp);
    header.options.now = header
        .now
        .or(captured)
        .unwrap_or_else(|| time::days_from_civil(header.today) * 86_400);
    let current = header
        .current
        .or_else(|| inventory.cluster.server_version.as_ref().map(KubeVersion::minor));
    let findings = run_all(
        inventory,
        &Settings {
            target: header.target,
            current,
            today: header.today,
            rules: &case.rules,
            options: &header.options,
        },
    );
    // As a scan does: `mcp-diag.io/ignore` annotations on the objects apply, and the ignore
    // file when the header names one.
    let mut kept = suppress::apply(findings, inventory, &case.ignores, header.today).kept;
    kept.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    kept
}

/// A few readable lines a finding: check and severity, object, place, words, evidence, details.
fn render(findings: &[&Finding]) -> String {
    if findings.is_empty() {
        return "(no findings)\n".to_owned();
    }
    let mut out = String::new();
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{} {}", f.check, f.severity);
        if let Some(object) = &f.object {
            let _ = writeln!(out, "  object: {object}");
        }
        if let Some(location) = &f.location {
            let _ = writeln!(out, "  at: {location}");
        }
        let _ = writeln!(out, "  title: {}", f.title);
        let _ = writeln!(out, "  message: {}", f.message);
        let _ = writeln!(out, "  fix: {}", f.remediation);
        if let Some(evidence) = f.evidence {
            let _ = writeln!(out, "  evidence: {evidence}");
        }
        if !f.details.is_empty() {
            let details: Vec<String> = f.details.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(out, "  details: {}", details.join(", "));
        }
    }
    out
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    entries
}

#[test]
fn fixture_cases() {
    let ids: BTreeSet<&str> = CHECKS.iter().map(|c| c.id).collect();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let mut cases = BTreeSet::new();
    for dir in sorted_entries(&fixtures_dir()) {
        if !dir.is_dir() {
            continue;
        }
        let dir_name = dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if NOT_A_CHECK.contains(&dir_name.as_str()) {
            continue;
        }
        let Some(id) = ids.get(dir_name.as_str()).copied() else {
            problems.push(format!("{}: not a check id", dir.display()));
            continue;
        };
        seen.insert(id);
        if NOT_YET_MIGRATED.contains(&id) {
            problems.push(format!(
                "{id}: has a fixture directory but is still in NOT_YET_MIGRATED: take it out"
            ));
        }
        let (mut positive, mut negative, mut example) = (0, 0, None);
        for path in sorted_entries(&dir) {
            let declared = path.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                [DESIRED_SUFFIX, RULES_SUFFIX, IGNORE_SUFFIX]
                    .iter()
                    .any(|suffix| n.ends_with(suffix))
            });
            let is_case = path.is_dir() || (path.extension().is_some_and(|e| e == "yaml") && !declared);
            if !is_case {
                continue;
            }
            let mut case = match load_case(&path) {
                Ok(case) => case,
                Err(e) => {
                    problems.push(format!("{}: {e}", path.display()));
                    continue;
                }
            };
            // A case for any other check must read cleanly: a typo in its YAML would otherwise
            // only show up as a changed snapshot.
            if !id.starts_with("input-") && !case.inventory.input_problems.is_empty() {
                let words: Vec<&str> = case
                    .inventory
                    .input_problems
                    .iter()
                    .map(|f| f.message.as_str())
                    .collect();
                problems.push(format!(
                    "{}: the case does not read cleanly: {}",
                    path.display(),
                    words.join("; ")
                ));
                continue;
            }
            let findings = run_case(&mut case);
            // An organisation rule's findings carry the rule's own id.
            let ours: Vec<&Finding> = findings
                .iter()
                .filter(|f| {
                    f.check == id || (id == "user-rule" && case.rules.iter().any(|r| r.id == f.check))
                })
                .collect();
            if ours.is_empty() {
                negative += 1;
            } else {
                positive += 1;
            }
            if case.name == "example" {
                example = Some(ours.len());
            }
            let snapshot = format!("{id}__{}", case.name);
            cases.insert(snapshot.clone());
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path("snapshots");
            settings.set_prepend_module_to_snapshot(false);
            settings.set_description(
                case.file
                    .strip_prefix(fixtures_dir())
                    .unwrap_or(&case.file)
                    .display()
                    .to_string(),
            );
            settings.bind(|| insta::assert_snapshot!(snapshot, render(&ours)));
        }
        if positive == 0 || negative == 0 {
            problems.push(format!(
                "{id}: needs a case with findings and one without (has {positive} and {negative})"
            ));
        }
        match example {
            None => problems.push(format!(
                "{id}: no `example` case (the one `explain {id}` describes)"
            )),
            Some(0) => problems.push(format!("{id}: the example case produces no finding")),
            Some(_) => {}
        }
    }
    for id in &ids {
        if !seen.contains(id) && !NOT_YET_MIGRATED.contains(id) {
            problems.push(format!("{id}: no fixture directory tests/fixtures/{id}/"));
        }
    }
    for id in NOT_YET_MIGRATED {
        if !ids.contains(id) {
            problems.push(format!("NOT_YET_MIGRATED names {id}, which is not a check id"));
        }
    }
    // A case renamed or deleted leaves its snapshot behind, which would then never be checked.
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for path in sorted_entries(&snapshots) {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if let Some(case) = name.strip_suffix(".snap")
            && !cases.contains(case)
        {
            problems.push(format!(
                "{}: belongs to no fixture case; delete it",
                path.display()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn header_keys_are_strict() {
    let err = parse_header("# A case.\n# target: 1.32\n# curent: 1.31\n").unwrap_err();
    assert!(err.contains("unknown header key \"curent\""), "{err}");
    let err = parse_header("# A case.\n# current: 1.31\n").unwrap_err();
    assert!(err.contains("no `# target"), "{err}");
    let err = parse_header("# target: 1.32\n").unwrap_err();
    assert!(err.contains("no sentence"), "{err}");
    let err = parse_header("# A case.\n# target: 1.32\n# option: backup_max_age=soon\n").unwrap_err();
    assert!(err.contains("duration"), "{err}");
    let err = parse_header("# A case.\n# target: 1.32\n# read-gap: core/Pod=slow\n").unwrap_err();
    assert!(err.contains("REASON one of"), "{err}");
    let h = parse_header("# A case.\n# target: 1.32\n# read-gap: apps/ReplicaSet=timed-out\n").unwrap();
    assert_eq!(
        h.reads,
        vec![(
            "apps".to_owned(),
            "ReplicaSet".to_owned(),
            Some(ReadGap::TimedOut)
        )]
    );
    // A wrapped sentence that starts with a word and a colon is description, not a setting.
    assert!(parse_header("# A case where\n# each: of the nodes is full.\n# target: 1.32\n").is_ok());
    let h = parse_header("# A case, with words.\n# target: 1.32\n# option: restart_threshold=3\napiVersion: v1\n# target: 1.2\n")
        .unwrap();
    assert_eq!(h.target, Minor::new(1, 32));
    assert_eq!(h.options.restart_threshold, 3);
    // The free-text keys take words; the others still read a sentence as description.
    let h = parse_header(
        "# A case.\n# target: 1.32\n# denied: get the API server's /metrics: HTTP 403 Forbidden: no\n# unreachable: prod: the cluster did not answer within 30s\n# rules: see the file\n",
    )
    .unwrap();
    assert_eq!(
        h.denied,
        vec![(
            "get".to_owned(),
            "the API server's /metrics".to_owned(),
            "HTTP 403 Forbidden: no".to_owned()
        )]
    );
    assert_eq!(
        h.unreachable,
        Some((
            "prod".to_owned(),
            "the cluster did not answer within 30s".to_owned()
        ))
    );
    assert_eq!(h.rules, None);
    let err = parse_header("# A case.\n# target: 1.32\n# rules: org.yaml\n").unwrap_err();
    assert!(err.contains(".rules.yaml"), "{err}");
    let err = parse_header("# A case.\n# target: 1.32\n# etcd-health: true\n").unwrap_err();
    assert!(err.contains("go together"), "{err}");
    let h = parse_header(
        "# A case.\n# target: 1.32\n# etcd-endpoint: https://e:2379\n# etcd-health: no answer: refused\n",
    )
    .unwrap();
    assert_eq!(h.etcd_health.as_deref(), Some("no answer: refused"));
}
