//! The file formats of `scan` and `plan` on the bundled demo: insta snapshots of each, the
//! SARIF checked against the SARIF 2.1.0 schema and by Microsoft's SARIF Multitool, the JUnit
//! counts against the JSON report, and the HTML page loaded in headless Chromium.
//!
//! External tools are found at a pinned place or through an explicit variable, never on PATH;
//! when one is missing the test fails and prints the command that installs it.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs the binary at the repository root with a pinned clock and date, as `cli.rs` does.
fn mcp_diag(args: &[&str]) -> Run {
    mcp_diag_with_stdin(args, "")
}

fn mcp_diag_with_stdin(args: &[&str], stdin: &str) -> Run {
    let output = Command::cargo_bin("mcp-diag")
        .unwrap()
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .env("MCP_DIAG_NOW", "2026-11-26T03:00:00Z")
        .env_remove("MCP_DIAG_TODAY")
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

const DEMO: &str = "examples/demo-cluster";
const TODAY: &str = "2026-11-26";

fn scan_demo(format: &str) -> Run {
    let run = mcp_diag(&["scan", DEMO, "--today", TODAY, "--output", format]);
    assert_eq!(run.code, 3, "the demo has blockers\n{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    run
}

/// The version moves with every release; snapshots keep a placeholder.
fn unversioned(text: &str) -> String {
    text.replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}

fn demo_json() -> Value {
    serde_json::from_str(&scan_demo("json").stdout).unwrap()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

// ---- snapshots ----------------------------------------------------------------------------

#[test]
fn demo_sarif_snapshot() {
    insta::assert_snapshot!(unversioned(&scan_demo("sarif").stdout));
}

#[test]
fn demo_junit_snapshot() {
    insta::assert_snapshot!(unversioned(&scan_demo("junit").stdout));
}

#[test]
fn demo_markdown_snapshot() {
    insta::assert_snapshot!(unversioned(&scan_demo("markdown").stdout));
}

#[test]
fn demo_html_snapshot() {
    insta::assert_snapshot!(unversioned(&scan_demo("html").stdout));
}

#[test]
fn demo_csv_snapshot() {
    insta::assert_snapshot!(unversioned(&scan_demo("csv").stdout));
}

fn plan_demo(format: &str) -> Run {
    let run = mcp_diag(&[
        "plan",
        DEMO,
        "--today",
        TODAY,
        "--target-version",
        "1.32",
        "--output",
        format,
    ]);
    assert_eq!(run.code, 3, "the demo plan is blocked\n{}", run.stderr);
    run
}

#[test]
fn demo_plan_markdown_snapshot() {
    let run = plan_demo("markdown");
    assert!(run.stdout.starts_with("## Upgrade plan for demo: blocked"));
    assert!(run.stdout.chars().count() <= 65_536);
    insta::assert_snapshot!(unversioned(&run.stdout));
}

#[test]
fn demo_plan_html_snapshot() {
    let run = plan_demo("html");
    assert!(run.stdout.contains("id=\"plan-data\""));
    insta::assert_snapshot!(unversioned(&run.stdout));
}

// ---- the formats agree with the JSON report -----------------------------------------------

#[test]
fn demo_csv_has_one_row_per_finding() {
    let json = demo_json();
    let findings = json["clusters"][0]["findings"].as_array().unwrap().len();
    let csv = scan_demo("csv").stdout;
    // Records end with CRLF; fields may hold LF inside quotes, never CRLF.
    let records = csv.split("\r\n").filter(|r| !r.is_empty()).count();
    assert_eq!(records, findings + 1);
}

#[test]
fn demo_markdown_counts_match_the_report() {
    let json = demo_json();
    let md = scan_demo("markdown").stdout;
    let s = &json["summary"];
    assert!(md.chars().count() <= 65_536);
    for (title, key) in [("Blocker", "blocker"), ("High", "high"), ("Medium", "medium")] {
        let n = s[key].as_u64().unwrap();
        if n > 0 {
            assert!(md.contains(&format!("<b>{title} ({n})</b>")), "{title} {n}");
        }
    }
}

#[test]
fn demo_junit_fails_what_fail_on_reaches() {
    let json = demo_json();
    let s = &json["summary"];
    for (fail_on, severities) in [
        ("blocker", &["blocker"][..]),
        ("high", &["blocker", "high"][..]),
        ("info", &["blocker", "high", "medium", "low", "info"][..]),
    ] {
        let run = mcp_diag(&[
            "scan",
            DEMO,
            "--today",
            TODAY,
            "-o",
            "junit",
            "--fail-on",
            fail_on,
        ]);
        let doc = roxmltree::Document::parse(&run.stdout).expect("well-formed XML");
        let root = doc.root_element();
        let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
        assert_eq!(root.attribute("tests").unwrap(), cases.len().to_string());
        let failed = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .count();
        assert_eq!(root.attribute("failures").unwrap(), failed.to_string());
        // Every finding at or above the threshold is inside a failing case (cases group a
        // check's findings on one object, so there may be fewer cases than findings).
        let reaching: u64 = severities.iter().map(|k| s[*k].as_u64().unwrap()).sum();
        let failing_findings: usize = cases
            .iter()
            .filter_map(|c| c.children().find(|n| n.has_tag_name("failure")))
            .map(|f| {
                f.text()
                    .unwrap_or("")
                    .lines()
                    .filter(|l| severities.iter().any(|k| l.starts_with(&format!("[{k}] "))))
                    .count()
            })
            .sum();
        assert_eq!(failing_findings as u64, reaching, "--fail-on {fail_on}");
        assert!(failed > 0);
    }
}

#[test]
fn data_does_not_offer_the_report_formats() {
    // Exit status 1: the tool could not do its job (a usage error).
    let run = mcp_diag(&["data", "--output", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("invalid value 'sarif'"), "{}", run.stderr);
    assert!(
        run.stderr.contains("[possible values: table, json]"),
        "{}",
        run.stderr
    );
    let run = mcp_diag(&["plan", DEMO, "--output", "junit"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("[possible values: table, json, markdown, html]"),
        "{}",
        run.stderr
    );
}

// ---- SARIF: the schema and the Multitool --------------------------------------------------

/// The OASIS SARIF 2.1.0 schema (errata 01), shipped as a fixture.
fn sarif_schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif-schema-2.1.0.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn assert_valid_sarif(text: &str) {
    let instance: Value = serde_json::from_str(text).unwrap();
    let schema = sarif_schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema errors:\n{}", errors.join("\n"));
}

/// Manifests give physical locations; the snapshot gives both kinds.
/// Standard input has no file, so its findings stand in the way live objects do (a path
/// made of the object's names).
fn sarif_inputs() -> Vec<(&'static str, String)> {
    let manifests = mcp_diag(&["scan", "-t", "1.29", "-o", "sarif", "examples/manifests"]);
    assert_eq!(manifests.code, 3, "{}", manifests.stderr);
    let stdin = mcp_diag_with_stdin(
        &["scan", "-t", "1.25", "-o", "sarif", "-"],
        "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: shop}\nspec: {minAvailable: 1}\n",
    );
    assert_eq!(stdin.code, 3, "{}", stdin.stderr);
    let log: Value = serde_json::from_str(&stdin.stdout).unwrap();
    assert_eq!(
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "manifests/shop/PodDisruptionBudget/web"
    );
    // An ignored finding is a suppressed result: the schema and the Multitool see it too.
    let ignored = mcp_diag_with_stdin(
        &["scan", "-t", "1.25", "-o", "sarif", "-"],
        "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: shop\n  annotations: {mcp-diag.io/ignore: \"api-removed: replaced in the next release\"}\nspec: {minAvailable: 1}\n",
    );
    let log: Value = serde_json::from_str(&ignored.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "api-removed" && r["suppressions"][0]["kind"] == "inSource"),
        "{}",
        ignored.stdout
    );
    vec![
        ("demo", scan_demo("sarif").stdout),
        ("manifests", manifests.stdout),
        ("stdin", stdin.stdout),
        ("ignored", ignored.stdout),
    ]
}

#[test]
fn sarif_validates_against_the_schema() {
    for (name, text) in sarif_inputs() {
        assert_valid_sarif(&text);
        let log: Value = serde_json::from_str(&text).unwrap();
        assert!(
            !log["runs"][0]["results"].as_array().unwrap().is_empty(),
            "{name}"
        );
    }
    // The schema is not a rubber stamp: a broken log is refused.
    let mut broken: Value = serde_json::from_str(&scan_demo("sarif").stdout).unwrap();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    let schema = sarif_schema();
    assert!(!jsonschema::validator_for(&schema).unwrap().is_valid(&broken));
}

#[test]
fn sarif_matches_the_json_report() {
    let json = demo_json();
    let log: Value = serde_json::from_str(&scan_demo("sarif").stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let findings = json["clusters"][0]["findings"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    for (r, f) in results.iter().zip(findings) {
        assert_eq!(r["ruleId"], f["check"]);
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], f["check"]);
        let level = match f["severity"].as_str().unwrap() {
            "blocker" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], level);
        // GitHub refuses a whole upload if one result lacks a physical location.
        assert!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string(),
            "{r}"
        );
        if let Some(file) = f["location"]["file"].as_str() {
            let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            assert_eq!(uri, file, "relative to the repository root");
            assert_eq!(
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
                f["location"]["line"]
            );
        }
    }
    // Rule help is the check's documentation, as `explain` prints it.
    let removed = rules.iter().find(|r| r["id"] == "api-removed").unwrap();
    let explain = mcp_diag(&["explain", "api-removed"]).stdout;
    let help = removed["help"]["markdown"].as_str().unwrap();
    assert!(explain.contains(help.trim()), "help is the explain text");
    // Fingerprints are unique within the run and equal between two runs.
    let again: Value = serde_json::from_str(&scan_demo("sarif").stdout).unwrap();
    let prints = |log: &Value| -> Vec<String> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"].to_string())
            .collect()
    };
    assert_eq!(prints(&log), prints(&again));
    let mut unique = prints(&log);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), results.len());
}

const MULTITOOL_INSTALL: &str =
    "scripts/test --install-only (or: npm ci --prefix .tools, pinned by .tools/package-lock.json)";

fn multitool() -> PathBuf {
    let path = std::env::var_os("SARIF_MULTITOOL")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools/node_modules/.bin/sarif-multitool"));
    assert!(
        path.exists(),
        "SARIF Multitool not found at {} (set SARIF_MULTITOOL, or install it at the repository root with: {MULTITOOL_INSTALL})",
        path.display()
    );
    path
}

/// Runs a command with a deadline; the process is killed when it passes.
fn run_with_timeout(mut command: Process, limit: Duration) -> (bool, String, String) {
    let dir = tempdir();
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (
        status.success(),
        std::fs::read_to_string(out_path).unwrap_or_default(),
        std::fs::read_to_string(err_path).unwrap_or_default(),
    )
}

/// Runs `sarif-multitool validate` on `input` and returns the results of its log (SARIF
/// itself, one result per rule broken). Its exit status says nothing about what it found (0
/// with errors too), so the log is read. `level` filters what it reports; the tool's default
/// is errors and warnings.
fn multitool_validate(tool: &Path, input: &Path, level: Option<&str>) -> Vec<Value> {
    let output = input.with_extension("validation.sarif");
    let mut command = Process::new(tool);
    command
        .arg("validate")
        .arg(input)
        .arg("--output")
        .arg(&output)
        .args(["--log", "ForceOverwrite", "--quiet"])
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1");
    if let Some(level) = level {
        command.args(["--level", level]);
    }
    let (ok, stdout, stderr) = run_with_timeout(command, Duration::from_secs(180));
    assert!(ok, "sarif-multitool failed:\n{stdout}\n{stderr}");
    let log: Value = serde_json::from_str(
        &std::fs::read_to_string(&output)
            .unwrap_or_else(|e| panic!("no validation log ({e}):\n{stdout}\n{stderr}")),
    )
    .unwrap();
    let run = &log["runs"][0];
    let notifications = &run["invocations"][0]["toolExecutionNotifications"];
    assert!(
        run["invocations"][0]["executionSuccessful"] == true
            && notifications
                .as_array()
                .is_none_or(|n| n.iter().all(|n| n["level"] != "error")),
        "sarif-multitool did not finish its analysis: {notifications}"
    );
    run["results"].as_array().cloned().unwrap_or_default()
}

#[test]
fn sarif_passes_the_multitool() {
    let tool = multitool();
    let describe = |r: &Value| {
        // A result without a level is a warning (SARIF's default).
        format!(
            "{} {}: {}",
            r["level"].as_str().unwrap_or("warning"),
            r["ruleId"].as_str().unwrap_or("?"),
            r["message"]["arguments"]
        )
    };
    for (name, text) in sarif_inputs() {
        let dir = tempdir();
        let input = dir.path().join(format!("{name}.sarif"));
        std::fs::write(&input, &text).unwrap();
        let results = multitool_validate(&tool, &input, None);
        let errors: Vec<String> = results
            .iter()
            .filter(|r| r["level"] == "error")
            .map(describe)
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: the Multitool reports errors:\n{}",
            errors.join("\n")
        );
        // The warnings left are known (see EXPECTED_WARNINGS); a new one fails the test.
        let mut warnings: Vec<&str> = results
            .iter()
            .filter(|r| r["level"] != "error")
            .map(|r| r["ruleId"].as_str().unwrap_or("?"))
            .collect();
        warnings.sort_unstable();
        warnings.dedup();
        assert_eq!(
            warnings,
            expected_warnings(),
            "{name}: the Multitool's warnings changed:\n{}",
            results.iter().map(describe).collect::<Vec<_>>().join("\n")
        );
        // The Multitool quietly skips a file it cannot read (an unknown `level`, say) and
        // then reports nothing at all; its notes prove that it read this one. SARIF2003
        // (no version-control provenance) is always among them: the tool does not know the
        // commit that was scanned.
        let notes = multitool_validate(&tool, &input, Some("Note"));
        assert!(
            notes.iter().any(|r| r["ruleId"] == "SARIF2003"),
            "{name}: the Multitool did not read the file: {notes:?}"
        );
    }
}

/// SARIF2005 asks for `tool.driver.informationUri`: the tool has no home page to name until
/// Cargo.toml gives a `repository` (it is taken from there).
fn expected_warnings() -> Vec<&'static str> {
    if env!("CARGO_PKG_REPOSITORY").is_empty() {
        vec!["SARIF2005"]
    } else {
        vec![]
    }
}

// ---- HTML in headless Chromium -----------------------------------------------------------

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "Chromium not found at {} (set CHROMIUM, or install Debian's package: apt-get install -y chromium, or run scripts/test --install-only)",
        path.display()
    );
    path
}

/// Loads `file` (with an optional `#fragment`) in headless Chromium and returns the DOM after
/// the page's scripts ran, and the URLs the page asked the network for.
fn load_in_chromium(file: &Path, fragment: &str) -> (String, Vec<String>) {
    let profile = tempdir();
    let net_log = profile.path().join("net-log.json");
    let mut command = Process::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{fragment}", file.display()));
    let (ok, dom, stderr) = run_with_timeout(command, Duration::from_secs(120));
    assert!(ok && dom.contains("</html>"), "Chromium failed:\n{stderr}");
    let log = std::fs::read_to_string(&net_log).unwrap_or_default();
    (dom, page_requests(&log))
}

/// The network requests a `file://` page made, from Chromium's net log: the
/// `URL_REQUEST_START_JOB` events whose network isolation key is the file origin. The
/// browser's own traffic (time, updates, accounts), which no flag fully silences, has
/// another key and is not the page's doing.
fn page_requests(net_log: &str) -> Vec<String> {
    let log: Value =
        serde_json::from_str(net_log).unwrap_or_else(|e| panic!("Chromium's net log is not JSON ({e})"));
    let start_job = &log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"];
    assert!(
        start_job.is_number(),
        "no URL_REQUEST_START_JOB in the net log's constants"
    );
    log["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| &e["type"] == start_job)
        .map(|e| &e["params"])
        .filter(|p| {
            p["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("file://"))
        })
        .filter_map(|p| p["url"].as_str())
        .filter(|url| !url.starts_with("file:") && !url.starts_with("data:"))
        .map(str::to_owned)
        .collect()
}

/// The text of the element with `id`, as the DOM dump shows it.
fn text_of(dom: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = dom
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in the page"))
        + marker.len();
    dom[start..start + dom[start..].find('<').unwrap()].to_owned()
}

#[test]
fn html_counts_render_in_chromium() {
    let json = demo_json();
    let page = scan_demo("html").stdout;
    let dir = tempdir();
    let file = dir.path().join("report.html");
    std::fs::write(&file, &page).unwrap();

    let (dom, net) = load_in_chromium(&file, "");
    let mut total = 0;
    for key in ["blocker", "high", "medium", "low", "info"] {
        let n = json["summary"][key].as_u64().unwrap();
        total += n;
        assert_eq!(text_of(&dom, &format!("count-{key}")), n.to_string(), "{key}");
        assert_eq!(text_of(&dom, &format!("shown-{key}")), n.to_string(), "{key}");
    }
    assert_eq!(text_of(&dom, "count-total"), total.to_string());
    // No request left the page: nothing in the file names a remote place, and the browser
    // saw no request from it.
    for needle in ["src=\"http", "href=\"http", "url(http", "@import", "<link"] {
        assert!(!page.contains(needle), "the page loads {needle}");
    }
    assert!(net.is_empty(), "the page made requests: {net:?}");

    // A filter from the link: only blockers of one check stay visible.
    let findings = json["clusters"][0]["findings"].as_array().unwrap();
    let check = findings
        .iter()
        .find(|f| f["severity"] == "blocker")
        .and_then(|f| f["check"].as_str())
        .expect("the demo has a blocker");
    let (dom, _) = load_in_chromium(&file, &format!("#severity=blocker&check={check}"));
    let blockers_of_check = findings
        .iter()
        .filter(|f| f["severity"] == "blocker" && f["check"] == check)
        .count();
    // Fewer rows than the whole report, or the filter would prove nothing.
    assert!(blockers_of_check < findings.len());
    assert!(blockers_of_check > 0);
    assert_eq!(text_of(&dom, "shown-blocker"), blockers_of_check.to_string());
    assert_eq!(text_of(&dom, "shown-high"), "0");
    assert_eq!(text_of(&dom, "shown-total"), blockers_of_check.to_string());
    // The total is still the whole report.
    assert_eq!(text_of(&dom, "count-total"), total.to_string());
    let visible = dom.matches("<tr class=\"finding").count() - dom.matches("\" hidden=\"\"").count();
    assert_eq!(visible, blockers_of_check);
}

#[test]
fn html_with_hostile_text_does_not_inject_in_chromium() {
    // A manifest whose name and annotation carry markup; the finding quotes them.
    let dir = tempdir();
    let manifest = dir.path().join("evil.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: \"x</script><img src=x onerror=document.title='pwned'>\"\n  namespace: shop\nspec:\n  minAvailable: 1\n",
    )
    .unwrap();
    let run = mcp_diag(&["scan", "-t", "1.25", "-o", "html", manifest.to_str().unwrap()]);
    assert!(run.stdout.contains("</html>"), "{}", run.stderr);
    assert!(!run.stdout.contains("<img"));
    let file = dir.path().join("report.html");
    std::fs::write(&file, &run.stdout).unwrap();
    let (dom, net) = load_in_chromium(&file, "");
    assert!(!dom.contains("<title>pwned"), "the injected handler ran");
    assert!(!dom.contains("<img"), "markup was injected");
    assert!(
        dom.contains("&lt;img src=x onerror="),
        "the name is shown as text"
    );
    assert_eq!(text_of(&dom, "count-blocker"), "1");
    assert!(net.is_empty(), "{net:?}");
}

/// The request check is not blind: a page that loads an image (from a closed local port) is
/// caught.
#[test]
fn chromium_request_check_sees_a_page_request() {
    let dir = tempdir();
    let file = dir.path().join("loads.html");
    std::fs::write(
        &file,
        "<!DOCTYPE html><html><head><title>t</title></head><body><img src=\"http://127.0.0.1:9/x.png\"></body></html>",
    )
    .unwrap();
    let (_, net) = load_in_chromium(&file, "");
    assert_eq!(net, ["http://127.0.0.1:9/x.png"]);
}

#[test]
fn plan_html_counts_render_in_chromium() {
    let json: Value = serde_json::from_str(&plan_demo("json").stdout).unwrap();
    let page = plan_demo("html").stdout;
    let dir = tempdir();
    let file = dir.path().join("plan.html");
    std::fs::write(&file, &page).unwrap();
    let (dom, net) = load_in_chromium(&file, "");
    for key in ["nodes", "drainable", "blocked", "unknown"] {
        assert_eq!(
            text_of(&dom, &format!("count-{key}")),
            json["summary"][key].to_string(),
            "{key}"
        );
    }
    assert!(json["summary"]["blocked"].as_u64().unwrap() > 0);
    assert!(net.is_empty(), "{net:?}");
}

/// Two snapshots in one report (a fleet): every format keeps the clusters apart.
#[test]
fn fleet_formats_keep_clusters_apart() {
    let paths = ["examples/demo-cluster", "examples/edge-cluster"];
    let scan = |format: &str| {
        let mut args = vec!["scan", "--today", TODAY, "-o", format];
        args.extend(paths);
        mcp_diag(&args)
    };
    let json: Value = serde_json::from_str(&scan("json").stdout).unwrap();
    let names: Vec<&str> = json["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    let count = |i: usize| json["clusters"][i]["findings"].as_array().unwrap().len();

    let junit = scan("junit").stdout;
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(
        suites
            .iter()
            .map(|s| s.attribute("name").unwrap())
            .collect::<Vec<_>>(),
        names
    );

    let md = scan("markdown").stdout;
    assert!(md.contains("| Cluster | Check | Object |"), "a cluster column");
    for name in &names {
        assert!(md.contains(&format!("\n| {name} |")), "{name}");
    }

    let csv = scan("csv").stdout;
    for (i, name) in names.iter().enumerate() {
        let rows = csv
            .split("\r\n")
            .filter(|r| r.starts_with(&format!("{name},")))
            .count();
        assert_eq!(rows, count(i), "{name}");
    }

    let sarif = scan("sarif").stdout;
    assert_valid_sarif(&sarif);
    let log: Value = serde_json::from_str(&sarif).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(log["runs"].as_array().unwrap().len(), 1, "one run per report");
    assert_eq!(results.len(), count(0) + count(1));
    for (i, name) in names.iter().enumerate() {
        let of_cluster = results
            .iter()
            .filter(|r| r["properties"]["cluster"] == *name)
            .count();
        assert_eq!(of_cluster, count(i), "{name}");
    }

    let html = scan("html").stdout;
    assert_eq!(html.matches("<section class=\"cluster\"").count(), 2);
}
