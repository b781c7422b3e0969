use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use mcp_diag_checks::scope::{Scope, pairs};
use mcp_diag_checks::suppress::{self, Suppression, parse_ignore_file};
use mcp_diag_checks::{CheckOptions, Settings, UserRule, UserRules, run_all_timed};
use mcp_diag_model::{Date, Finding, Inventory, KubeVersion, Minor, SourceKind, time};
use mcp_diag_report::{ClusterReport, Report, ServicesReport, Suppressed};
use mcp_diag_services::{Graph, NodeId};
use mcp_diag_sources::{Input, SourceError, is_snapshot, read_manifests, read_snapshot};

use super::{did_you_mean, hinted, level, live, now_utc, parse_target, threshold, today_utc};
use crate::args::{LiveArgs, ScanArgs, ScanFormat};
use crate::config::{Config, check_id, severity_override};
use crate::exit::{ExitStatus, from_summary};

pub fn run(args: &ScanArgs) -> anyhow::Result<ExitStatus> {
    if args.compact && args.output != ScanFormat::Table {
        return Err(hinted(
            format!(
                "--compact is a layout of the table; --output {:?} has none",
                args.output
            )
            .to_lowercase(),
            "drop --compact, or use --output table",
        ));
    }
    let config = match &args.config {
        Some(path) => {
            Config::load(path).map_err(|e| hinted(e, "see docs/config.md for the settings file"))?
        }
        None => Config::default(),
    };
    let target_text = args
        .target_version
        .as_deref()
        .or(config.target_version.as_deref());
    let target = target_text
        .map(|t| parse_target(t, args.allow_unknown_target))
        .transpose()?;
    refuse_unused_kubeconfig(&args.paths, &args.live)?;
    let today = match &args.today {
        Some(text) => Date::parse(text).ok_or_else(|| {
            hinted(
                format!("--today: cannot read {text:?} as a date"),
                "write it as YYYY-MM-DD",
            )
        })?,
        None => today_utc(),
    };
    let rules = match args.rules.as_ref().or(config.rules.as_ref()) {
        Some(path) => UserRules::load(path)
            .map_err(|e| hinted(e.to_string(), "see docs/rules.md for the format of a rules file"))?,
        None => UserRules::default(),
    };
    let mut options = check_options(args, &config)?;
    if let Some(path) = &args.config {
        // The `services:` section: declared requirements and provided APIs (dep-* checks).
        options.declared = mcp_diag_services::declared::load(path).map_err(|errors| {
            hinted(
                errors.join("\n"),
                "see docs/services.md for the services: section",
            )
        })?;
    }
    let ignores = load_ignores(args.ignore_file.as_deref())?;
    // MCP_DIAG_TIMINGS=1 prints where the time went, per phase and per check, on standard
    // error (bench/ and BENCHMARKS.md use it).
    let timings = timings_asked();
    let started = std::time::Instant::now();
    let mut inventories = read_inputs(&args.paths)?;
    if timings {
        eprintln!(
            "timing: read {:.3} s{}",
            started.elapsed().as_secs_f64(),
            memory()
        );
    }
    for inventory in &inventories {
        refuse_empty(inventory, &args.paths)?;
    }
    let mut unreachable = Vec::new();
    // The config's `clusters:` stand in for --context when neither a path nor a context is given.
    let mut live_args = args.live.clone();
    if args.paths.is_empty() && !live::asked_for(&args.live) && !config.contexts.is_empty() {
        live_args.context = config.contexts.clone();
        if live_args.kubeconfig.is_none() {
            live_args.kubeconfig = config.kubeconfig.clone();
        }
    }
    if args.paths.is_empty() || live::asked_for(&args.live) {
        for cluster in live::read(&live_args)? {
            match cluster.result {
                Ok(inventory) => inventories.push(inventory),
                Err(error) => unreachable.push((cluster.name, error)),
            }
        }
    } else if let Some(url) = &args.live.etcd_endpoint {
        // Offline input with an etcd endpoint: the etcd facts join the one cluster read.
        let [inventory] = inventories.as_mut_slice() else {
            return Err(hinted(
                "--etcd-endpoint names one etcd, but several inputs are being scanned",
                "scan the snapshot that etcd belongs to on its own",
            ));
        };
        let endpoint = mcp_diag_live::etcd::EtcdEndpoint {
            url: url.clone(),
            cacert: args.live.etcd_cacert.clone(),
            cert: args.live.etcd_cert.clone(),
            key: args.live.etcd_key.clone(),
            timeout: live::timeout(&args.live)?,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
        let status = runtime.block_on(mcp_diag_live::etcd::probe(&endpoint));
        live::apply_etcd(inventory, &endpoint, status)?;
    }
    let mut clusters = Vec::with_capacity(inventories.len() + unreachable.len());
    for inventory in &inventories {
        // Ages are measured from when the snapshot was taken, not from when it is read.
        options.now = inventory
            .cluster
            .captured_at
            .as_deref()
            .and_then(time::parse_timestamp)
            .unwrap_or_else(now_utc);
        // --target-service: the graph is built once, for the checks and the cut.
        let service = match &args.target_service {
            Some(name) => {
                let graph = Graph::build(inventory, &options.declared);
                let id = find_service(&graph, name, &inventory.cluster.name)?;
                Some((graph, id))
            }
            None => None,
        };
        let graph = service.as_ref().map(|(g, _)| g);
        let mut cluster = scan_one(inventory, target, today, &rules.rules, &options, graph)?;
        let findings = std::mem::take(&mut cluster.findings);
        let applied = suppress::apply(findings, inventory, &ignores, today);
        cluster.findings = applied.kept;
        cluster.suppressed = applied.suppressed.into_iter().map(suppressed_entry).collect();
        if let Some((graph, id)) = &service {
            let all = args.dependency == "all";
            cut_to_service(&mut cluster, inventory, graph, *id, all);
        }
        for at in applied.unused {
            eprintln!(
                "warning: {at}: this ignore matched no finding of {} (objects are written Kind/namespace/name, or Kind/name when cluster-scoped)",
                inventory.cluster.name
            );
        }
        if !args.namespace.is_empty() {
            keep_namespaces(&mut cluster, &args.namespace);
            // A mistyped namespace would give a clean report: say it matched nothing.
            for ns in &args.namespace {
                let known = inventory.objects.iter().any(|o| {
                    o.namespace.as_deref() == Some(ns.as_str()) || (o.kind == "Namespace" && o.name == *ns)
                });
                if !known {
                    eprintln!(
                        "warning: --namespace {ns:?}: no object of {} is in that namespace",
                        inventory.cluster.name
                    );
                }
            }
        }
        clusters.push(cluster);
    }
    let nothing_read = inventories.is_empty() && !unreachable.is_empty();
    for (name, error) in unreachable {
        clusters.push(ClusterReport {
            name: name.clone(),
            source: format!("context:{name}"),
            server_version: None,
            target_version: target.map(|t| t.to_string()),
            target_version_source: if target.is_some() { "flag" } else { "unknown" },
            captured_at: None,
            objects: 0,
            files: 0,
            findings: vec![live::unreachable_finding(&name, &error)],
            coverage: mcp_diag_model::Coverage::default(),
            suppressed: Vec::new(),
            services: None,
            error: Some(error),
        });
    }
    let full = Report::new(env!("CARGO_PKG_VERSION"), clusters);
    let threshold = threshold(args.fail_on, &config);
    // Not one cluster could be read: the tool could not do its job.
    let status = if nothing_read {
        ExitStatus::Error
    } else {
        from_summary(&full.summary, threshold)
    };
    // A read with gaps cannot pass a gate, whatever the gate's level: the checks that would
    // have found a blocker may be the ones that could not run (as `plan` treats `unknown`).
    // Ignoring `input-incomplete` (annotation or ignore file) accepts the gap.
    let incomplete = full
        .clusters
        .iter()
        .any(|c| c.findings.iter().any(|f| f.check == "input-incomplete"));
    let status = if status == ExitStatus::Success && threshold.is_some() && incomplete {
        ExitStatus::Findings
    } else {
        status
    };
    // --min-severity changes what people read, not what the run decides: the summary keeps
    // the real totals, the table says how many were hidden, and the formats machines read
    // (JSON, SARIF, JUnit) keep every finding.
    let machine = matches!(
        args.output,
        ScanFormat::Json | ScanFormat::Sarif | ScanFormat::Junit
    );
    let mut report = match args.min_severity.map(level) {
        Some(min) if !machine => {
            let mut report = full;
            for c in &mut report.clusters {
                let before = c.findings.len();
                c.findings.retain(|f| f.severity >= min);
                report.hidden += before - c.findings.len();
            }
            report.hidden_below = Some(min);
            report
        }
        _ => full,
    };
    let rendering = std::time::Instant::now();
    let mut stdout = std::io::stdout().lock();
    let written = if args.output == ScanFormat::Json {
        // Streamed: the JSON of a large scan is tens of MB.
        let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut stdout);
        mcp_diag_report::write_json(&mut report, &mut out).and_then(|()| out.flush())
    } else {
        let text = super::output::render_scan(&report, args.output, args.color, args.compact, threshold);
        stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush())
    };
    if timings {
        eprintln!(
            "timing: render {:.3} s{}",
            rendering.elapsed().as_secs_f64(),
            memory()
        );
        eprintln!("timing: total {:.3} s", started.elapsed().as_secs_f64());
    }
    if let Err(e) = written {
        // A closed pipe (`| head`) is not a failure of the scan.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e).context("cannot write the report to standard output");
        }
    }
    // The process ends right after this; freeing millions of small nodes one by one would
    // only add time (a tenth of a large scan), and so would the findings (tens of thousands
    // of texts on a large inventory).
    std::mem::forget(inventories);
    std::mem::forget(report);
    Ok(status)
}

/// `--ignore-file`: read and checked before anything is scanned (a bad file is exit 1 with
/// its line, never a silent "ignores nothing").
pub fn load_ignores(path: Option<&Path>) -> anyhow::Result<Vec<suppress::Ignore>> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        hinted(
            format!("--ignore-file {}: {e}", path.display()),
            "give the path of a YAML ignore file (README, \"Ignoring findings\")",
        )
    })?;
    parse_ignore_file(&text, &path.display().to_string())
        .map_err(|e| hinted(e, "see README, \"Ignoring findings\", for the format"))
}

/// `--kubeconfig` names a live cluster; beside a path and without `--context`, nothing would
/// read it, and a user who meant the cluster would get a scan of the files instead.
pub fn refuse_unused_kubeconfig(paths: &[String], live: &LiveArgs) -> anyhow::Result<()> {
    if let Some(kubeconfig) = &live.kubeconfig
        && !paths.is_empty()
        && !live::asked_for(live)
    {
        return Err(hinted(
            format!(
                "--kubeconfig {} was given with {}: a path is scanned instead of the cluster, so the kubeconfig would not be read",
                kubeconfig.display(),
                paths.join(" ")
            ),
            "drop the path to scan the cluster, add --context NAME to scan both, or drop --kubeconfig",
        ));
    }
    Ok(())
}

/// Zero objects read from manifests is a failure, not a pass: a pipeline pointed at the wrong
/// path (or at a Helm chart, or an empty `helm template` output) must not pass forever.
pub fn refuse_empty(inventory: &Inventory, paths: &[String]) -> anyhow::Result<()> {
    if inventory.kind != SourceKind::Manifests || !inventory.objects.is_empty() {
        return Ok(());
    }
    let looked_at: Vec<&str> = paths
        .iter()
        .map(String::as_str)
        .filter(|p| *p == "-" || !is_snapshot(Path::new(p)))
        .map(|p| if p == "-" { "standard input" } else { p })
        .collect();
    // What each input problem says, with its place: the reason is the point of the error.
    let mut why = Vec::new();
    for f in &inventory.input_problems {
        let place = f.location.as_ref().map_or_else(String::new, |l| format!("{l}: "));
        why.push(format!("  {place}{} ({})", f.message, f.check));
    }
    let other = looked_at
        .iter()
        .filter(|p| **p != "standard input")
        .map(|p| count_other_files(Path::new(p)))
        .sum::<usize>();
    if other > 0 {
        why.push(format!(
            "  {other} other file{} skipped: only .yaml, .yml and .json files are read",
            if other == 1 { " was" } else { "s were" }
        ));
    }
    let files = inventory.files_scanned;
    let mut message = format!(
        "no Kubernetes object was read from {} ({files} YAML/JSON file{} looked at)",
        looked_at.join(" "),
        if files == 1 { "" } else { "s" }
    );
    if !why.is_empty() {
        message.push_str(":\n");
        message.push_str(&why.join("\n"));
    }
    Err(hinted(
        message,
        "point the scan at manifests (files or directories of YAML/JSON), a snapshot directory, or `-`; render Helm charts with `helm template CHART | mcp-diag scan -t VERSION -` and kustomizations with `kubectl kustomize DIR | mcp-diag scan -t VERSION -`",
    ))
}

/// Files under a path that the manifest reader does not read, for the "nothing read" error.
fn count_other_files(path: &Path) -> usize {
    walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            let ext = e.path().extension().and_then(|x| x.to_str()).unwrap_or("");
            !matches!(ext.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json")
        })
        .filter(|e| !e.path().components().any(|c| c.as_os_str() == ".git"))
        .count()
}

/// `--namespace`: every object was read and checked (capacity, budgets and skew need the
/// whole cluster); only findings about objects in these namespaces, and those about
/// cluster-scoped objects or the cluster as a whole, are reported.
fn keep_namespaces(cluster: &mut ClusterReport, namespaces: &[String]) {
    let keep = |f: &Finding| match f.object.as_ref().and_then(|o| o.namespace.as_ref()) {
        Some(ns) => namespaces.iter().any(|n| n == ns),
        None => true,
    };
    cluster.findings.retain(keep);
    cluster.suppressed.retain(|s| keep(&s.finding));
}

fn suppressed_entry(s: Suppression) -> Suppressed {
    Suppressed {
        finding: s.finding,
        suppressed_by: s.by,
        reason: s.reason,
        until: s.until.map(|d| d.to_string()),
    }
}

/// Snapshots each become a cluster; all manifest paths together become one, named `manifests`.
fn read_inputs(paths: &[String]) -> anyhow::Result<Vec<Inventory>> {
    let mut inventories = Vec::new();
    let mut manifest_inputs = Vec::new();
    for arg in paths {
        if arg != "-" && is_snapshot(Path::new(arg)) {
            inventories.push(read_snapshot(Path::new(arg)).map_err(source_error)?);
        } else {
            manifest_inputs.push(Input::from_arg(arg));
        }
    }
    if !manifest_inputs.is_empty() {
        let inventory =
            read_manifests(&manifest_inputs, &mut std::io::stdin().lock()).map_err(source_error)?;
        inventories.push(inventory);
    }
    Ok(inventories)
}

fn source_error(e: SourceError) -> anyhow::Error {
    let hint = match &e {
        SourceError::NotFound { .. } => {
            "check the path; give manifest files, directories, - for standard input, or a snapshot directory"
        }
        SourceError::Stdin(_) => {
            "pipe manifests in, for example: helm template my-chart | mcp-diag scan --target-version 1.32 -"
        }
        SourceError::ClusterFile(_) => {
            "cluster.yaml takes the output of `kubectl version -o yaml`; see docs/snapshot.md"
        }
    };
    hinted(e.to_string(), hint)
}

/// Thresholds and overrides from the config file, then the flags.
fn check_options(args: &ScanArgs, config: &Config) -> anyhow::Result<CheckOptions> {
    let mut options = CheckOptions {
        disabled: config.disabled.clone(),
        severity: config.severity.clone(),
        ..CheckOptions::default()
    };
    if let Some(t) = config.restart_threshold {
        options.restart_threshold = t;
    }
    if let Some(p) = config.node_full_percent {
        options.node_full_percent = p;
    }
    if let Some(text) = args
        .backup_max_age
        .as_deref()
        .or(config.backup_max_age.as_deref())
    {
        options.backup_max_age_secs = time::parse_duration(text).ok_or_else(|| {
            hinted(
                format!("backup max age: cannot read {text:?} as a duration"),
                "write it like 24h, 36h or 7d",
            )
        })?;
    }
    for id in &args.disable {
        check_id(id)
            .map_err(|e| hinted(format!("--disable: {e}"), "mcp-diag explain lists the check ids"))?;
        options.disabled.insert(id.trim().to_ascii_lowercase());
    }
    for text in &args.severity {
        let (id, severity) = severity_override(text)
            .map_err(|e| hinted(format!("--severity: {e}"), "mcp-diag explain lists the check ids"))?;
        options.severity.insert(id, severity);
    }
    if let Some(dir) = args.desired.as_ref().or(config.desired.as_ref()) {
        let desired =
            read_manifests(&[Input::Path(dir.clone())], &mut std::io::empty()).map_err(source_error)?;
        options.desired = Some(desired);
    }
    Ok(options)
}

/// `, memory now N MB, peak N MB` from /proc (Linux), for the timing lines; empty elsewhere.
fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(now), Some(peak)) => format!(", memory now {} MB, peak {} MB", now / 1024, peak / 1024),
        _ => String::new(),
    }
}

/// `MCP_DIAG_TIMINGS=1`: print where the time went on standard error.
fn timings_asked() -> bool {
    std::env::var_os("MCP_DIAG_TIMINGS").is_some_and(|v| v == "1")
}

fn scan_one(
    inventory: &Inventory,
    flag: Option<Minor>,
    today: Date,
    rules: &[UserRule],
    options: &CheckOptions,
    graph: Option<&Graph>,
) -> anyhow::Result<ClusterReport> {
    let current = inventory.cluster.server_version.as_ref().map(KubeVersion::minor);
    let (target, target_source) = match (flag, current) {
        (Some(t), _) => (t, "flag"),
        (None, Some(c)) => (c.next(), "default"),
        (None, None) => {
            let (what, hint) = match inventory.kind {
                SourceKind::Manifests => (
                    "scanning manifests needs --target-version: manifests do not say which release they will meet".to_owned(),
                    "add --target-version, for example: mcp-diag scan --target-version 1.32 ./k8s/".to_owned(),
                ),
                _ => (
                    format!("{}: cluster.yaml gives no serverVersion, so the target cannot be defaulted", inventory.source),
                    "add --target-version, or put the output of `kubectl version -o yaml` in cluster.yaml".to_owned(),
                ),
            };
            return Err(hinted(what, hint));
        }
    };
    if let Some(c) = current.filter(|c| *c > target) {
        return Err(hinted(
            format!(
                "{}: the target {target} is older than the cluster's {c}; Kubernetes does not support downgrades",
                inventory.cluster.name
            ),
            format!("choose a target of {c} or later"),
        ));
    }
    let settings = Settings {
        target,
        current,
        today,
        rules,
        options,
    };
    let (findings, timings) = run_all_timed(inventory, &settings, graph);
    if timings_asked() {
        for line in timings.lines() {
            eprintln!("{line}");
        }
        eprintln!("timing: after the checks{}", memory());
    }
    Ok(ClusterReport {
        name: inventory.cluster.name.clone(),
        source: inventory.source.clone(),
        server_version: inventory.cluster.server_version.as_ref().map(ToString::to_string),
        target_version: Some(target.to_string()),
        target_version_source: target_source,
        captured_at: inventory.cluster.captured_at.clone(),
        objects: inventory.objects.len(),
        files: inventory.files_scanned,
        error: None,
        findings,
        coverage: inventory.coverage.clone(),
        suppressed: Vec::new(),
        services: None,
    })
}

/// `--target-service NS/NAME` (or NAME when one namespace has it): the graph's node, or an
/// error with the names that come close.
fn find_service(graph: &Graph, given: &str, cluster: &str) -> anyhow::Result<NodeId> {
    let given = given.trim();
    let found = match given.split_once('/') {
        Some((ns, name)) => graph.find(ns, name),
        None => {
            let matching: Vec<String> = graph
                .names()
                .into_iter()
                .filter(|n| n.rsplit('/').next() == Some(given))
                .collect();
            match matching.as_slice() {
                [one] => one.split_once('/').and_then(|(ns, name)| graph.find(ns, name)),
                [] => None,
                several => {
                    return Err(hinted(
                        format!(
                            "--target-service {given}: several services of {cluster} have that name: {}",
                            several.join(", ")
                        ),
                        "give it as NAMESPACE/NAME",
                    ));
                }
            }
        }
    };
    found.ok_or_else(|| {
        let names = graph.names();
        let close = did_you_mean(given, names.iter().map(String::as_str));
        let hint = match close {
            Some(words) => format!("{words} (`mcp-diag graph PATH` lists the services)"),
            None if names.is_empty() => "the input has no Service and no workload; check the path".to_owned(),
            None => {
                "give a Service or workload as NAMESPACE/NAME; `mcp-diag graph PATH` lists them".to_owned()
            }
        };
        hinted(
            format!("--target-service {given}: {cluster} has no Service or workload of that name"),
            hint,
        )
    })
}

/// Keeps the findings about the service, its dependencies and what they run on (and those
/// about the cluster as a whole), and adds the dependency table.
fn cut_to_service(cluster: &mut ClusterReport, inventory: &Inventory, graph: &Graph, id: NodeId, all: bool) {
    let nodes = graph.closure(id, all);
    let scope = Scope::of(inventory, graph, &nodes);
    // A pair's finding belongs to the cut when its consumer's calls are in the table: the
    // service itself (direct), or any member of the closure (all).
    let consumers: Vec<String> = if all {
        nodes.iter().map(|n| graph.node(*n).display_name()).collect()
    } else {
        vec![graph.node(id).display_name()]
    };
    let keep = |f: &Finding| {
        scope.keeps(f)
            && match f.details.get("consumer") {
                Some(consumer) if f.check.starts_with("dep-") => consumers.contains(consumer),
                _ => true,
            }
    };
    cluster.findings.retain(|f| keep(f));
    cluster.suppressed.retain(|s| keep(&s.finding));
    let rows = pairs(inventory, graph, id, all, &cluster.findings);
    cluster.services = Some(ServicesReport {
        target: graph.node(id).display_name(),
        dependency: if all { "all" } else { "direct" },
        pairs: rows,
    });
}
