//! `mcp-diag probe`: connectivity probes from where the tool runs, against latency limits.
//!
//! Exit status: 0 every probe passed, 2 some failed, 1 the probes could not run (a bad URL on
//! the command line, an unreadable or invalid config).

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;
use mcp_diag_probe::{Limits, OAuth2, Probe, ProbeResult, Target, config, report};

use super::hinted;
use crate::args::{ProbeArgs, ProbeFormat};
use crate::exit::ExitStatus;

pub fn run(args: &ProbeArgs) -> anyhow::Result<ExitStatus> {
    let probes = probes(args)?;
    if args.in_cluster {
        return in_cluster(args, &probes);
    }
    let results =
        mcp_diag_probe::run_blocking(&probes, args.parallel as usize).map_err(anyhow::Error::msg)?;
    write_report(&results, args.output)?;
    Ok(if results.iter().all(|r| r.passed) {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    })
}

/// The probe set of the arguments: the URL's one probe, or the config's list.
fn probes(args: &ProbeArgs) -> anyhow::Result<Vec<Probe>> {
    if let Some(url) = &args.url {
        // The single-URL form: a bad URL means nothing can run (exit 1).
        Target::parse(url).map_err(|e| {
            hinted(
                e,
                "give a URL such as http://127.0.0.1:8080/healthz, redis://127.0.0.1:6379 or postgres://app@127.0.0.1:5432/db",
            )
        })?;
        let mut p = Probe::new(url.clone());
        apply_flags(&mut p, args)?;
        return Ok(vec![p]);
    }
    let Some(path) = &args.config else {
        return Err(hinted(
            "nothing to probe",
            "give a URL (mcp-diag probe http://127.0.0.1:8080/healthz) or --config with a `probes:` list",
        ));
    };
    let mut probes = match config::load(path) {
        Ok(Some(p)) if !p.is_empty() => p,
        Ok(_) => {
            return Err(hinted(
                format!(
                    "{}: no probes (the `probes:` list is missing or empty)",
                    path.display()
                ),
                "add a `probes:` list (see docs/probes.md), or give a URL",
            ));
        }
        Err(errors) => {
            return Err(hinted(
                errors.to_string(),
                "fix the config file at the places above (docs/probes.md lists every key)",
            ));
        }
    };
    // Flags given on the command line win over every probe's settings.
    for p in &mut probes {
        apply_flags(p, args)?;
    }
    Ok(probes)
}

fn apply_flags(p: &mut Probe, a: &ProbeArgs) -> anyhow::Result<()> {
    if let Some(v) = a.expect {
        p.expect = Some(v);
    }
    if let Some(v) = &a.body_contains {
        p.body_contains = Some(v.clone());
    }
    for h in &a.header {
        let (name, value) = h.split_once(':').ok_or_else(|| {
            hinted(
                format!("--header {h:?} has no `:`"),
                "write it as --header 'Name: value'",
            )
        })?;
        p.headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    if let Some(v) = &a.ca {
        p.ca = Some(v.clone());
    }
    if let (Some(c), Some(k)) = (&a.cert, &a.key) {
        p.cert = Some(c.clone());
        p.key = Some(k.clone());
    }
    if let (Some(token_url), Some(client_id), Some(env)) = (
        &a.oauth2_token_url,
        &a.oauth2_client_id,
        &a.oauth2_client_secret_env,
    ) {
        p.oauth2 = Some(OAuth2 {
            token_url: token_url.clone(),
            client_id: client_id.clone(),
            client_secret_env: env.clone(),
            scope: a.oauth2_scope.clone(),
        });
    }
    if !a.expect_address.is_empty() {
        p.expect_addresses = a.expect_address.clone();
    }
    if let Some(v) = &a.service {
        p.service = Some(v.clone());
    }
    p.write |= a.write;
    if let Some(v) = a.count {
        p.count = v;
    }
    if let Some(v) = a.concurrency {
        p.concurrency = v;
    }
    if let Some(v) = a.timeout {
        p.timeout = v;
    }
    let l = &mut p.limits;
    let flags = Limits {
        p50: a.latency_p50,
        p90: a.latency_p90,
        p99: a.latency_p99,
        max: a.latency_max,
    };
    l.p50 = flags.p50.or(l.p50);
    l.p90 = flags.p90.or(l.p90);
    l.p99 = flags.p99.or(l.p99);
    l.max = flags.max.or(l.max);
    Ok(())
}

fn write_report(results: &[ProbeResult], format: ProbeFormat) -> anyhow::Result<()> {
    let text = match format {
        ProbeFormat::Table => report::table(results),
        ProbeFormat::Json => {
            let mut t =
                serde_json::to_string_pretty(&report::json(results)).context("the report serializes")?;
            t.push('\n');
            t
        }
        ProbeFormat::Junit => report::junit(results),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write to standard output")
}

/// `--in-cluster`: the probe set (already validated here) goes to a Job as a config file; the
/// command-line flags were applied to it, so the pod runs it as it is.
fn in_cluster(args: &ProbeArgs, probes: &[Probe]) -> anyhow::Result<ExitStatus> {
    use super::probe_job::{JobSpec, dry_run_text, job_name, report_in_log};
    let config = config::to_yaml(probes).map_err(|e| {
        hinted(
            e,
            "run those probes from here (without --in-cluster), or leave them out of the config",
        )
    })?;
    // The Job may run as long as the slowest probe could: every attempt timing out, in turn.
    let worst: Duration = probes
        .iter()
        .map(|p| p.timeout * p.count.div_ceil(p.concurrency.max(1)))
        .sum::<Duration>()
        / (args.parallel.max(1));
    let spec = JobSpec {
        namespace: args.job_namespace.clone(),
        name: job_name(super::now_utc().max(0) as u64),
        image: args.image.clone(),
        config,
        args: vec!["--parallel".into(), args.parallel.to_string()],
        deadline: worst + Duration::from_secs(60),
        service_account: None,
    };
    if args.dry_run {
        let mut out = std::io::stdout().lock();
        out.write_all(dry_run_text(&spec).as_bytes())
            .and_then(|()| out.flush())
            .context("cannot write to standard output")?;
        return Ok(ExitStatus::Success);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let log = runtime.block_on(async {
        let (client, _) = mcp_diag_live::connect(args.kubeconfig.as_deref(), args.context.as_deref())
            .await
            .map_err(super::live::live_error)?;
        let poll = std::env::var("MCP_DIAG_POLL_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_secs(1), Duration::from_millis);
        super::probe_job::run(client, &spec, args.keep, poll).await
    })?;
    let Some(report) = report_in_log(&log) else {
        return Err(hinted(
            format!(
                "the Job {}/{} printed no probe report; its log:\n{}",
                spec.namespace,
                spec.name,
                log.trim_end()
            ),
            "check that --image is an mcp-diag image of this version (the repository's Containerfile builds it)",
        ));
    };
    let results = report::from_json(&report).map_err(anyhow::Error::msg)?;
    write_report(&results, args.output)?;
    Ok(if results.iter().all(|r| r.passed) {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    })
}
