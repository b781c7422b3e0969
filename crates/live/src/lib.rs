//! The live source: reads a cluster through kube-rs, read-only (GET only).
//!
//! [`read`] (or [`read_cluster`]) connects with the kubeconfig conventions, asks the API
//! server which resource types it serves (aggregated discovery, with the classic per-group
//! discovery as fallback), lists the types the checks read (see [`discovery::select`]) at the
//! server's preferred version, page by page and several at once, and returns an
//! [`Inventory`] of [`SourceKind::Live`]. Optionally it reads the manifests of Helm releases
//! and, always, the deprecated APIs clients requested (`GET /metrics`).
//!
//! Secrets are never listed, except Helm's release Secrets with `--helm-releases`, of which
//! only the release (never the values) is read.
//!
//! What was read of each kind is recorded in `Inventory::coverage`: complete, partial (the
//! objects of the pages that came are kept) or missing, and why (denied, credentials
//! rejected, throttled, failed, timed out, invalid, not served). A kind that could not be
//! read does not stop the read; each list has its own deadline, and all lists stop before
//! `timeout` so that what was read is returned.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_diag_model::{
    Coverage, Finding, Inventory, KindRead, KubeVersion, Object, ReadGap, Severity, SourceKind,
};

mod config;
pub mod discovery;
pub mod etcd;
pub mod fetch;
pub mod helm;
pub mod list;
pub mod metrics;
mod progress;

pub use fetch::RetryPolicy;
use fetch::{Counters, Failure, Fetcher};
use list::{ListJob, ListOutcome, PageError};

/// How to reach a cluster and what to read.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// `--kubeconfig`; `None` follows `KUBECONFIG`, then `~/.kube/config`, then in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`; `None` is the kubeconfig's current context.
    pub context: Option<String>,
    /// The whole read must finish within this time.
    pub timeout: Duration,
    /// Read Helm release secrets and scan the manifests inside (`--helm-releases`).
    pub helm_releases: bool,
    /// Items per list page (`limit`).
    pub page_size: u32,
    /// Lists in flight at once.
    pub concurrency: usize,
    /// Show a progress bar (only when stderr is a terminal).
    pub progress: bool,
    /// More kinds to list beyond those the checks read, as `Kind` or `group/Kind` (the core
    /// group is `""`, so `/ServiceAccount` or just `ServiceAccount`); for user rules.
    pub extra_kinds: Vec<String>,
    /// Retries of failed requests.
    pub retry: RetryPolicy,
    /// The longest wait for one request; `None` is a quarter of `timeout`, at least 5 s.
    pub request_timeout: Option<Duration>,
    /// The longest one list (every page of one kind) may take; `None` is half of `timeout`.
    /// A list that runs out of time keeps what it read and is recorded as partial.
    pub list_timeout: Option<Duration>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            kubeconfig: None,
            context: None,
            timeout: Duration::from_secs(120),
            helm_releases: false,
            page_size: 500,
            concurrency: 8,
            progress: false,
            extra_kinds: Vec::new(),
            retry: RetryPolicy::default(),
            request_timeout: None,
            list_timeout: None,
        }
    }
}

/// The cluster could not be read at all (as opposed to one resource type that could not be
/// read, which is a gap in the inventory's coverage).
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("cannot reach the cluster: {0}")]
    Unreachable(String),
    #[error("the cluster did not answer within {0:?}")]
    Timeout(Duration),
}

/// What a read cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests that were attempts after a failure (429, 5xx, broken connection, timeout).
    pub retries: u64,
    /// List pages received.
    pub pages: u64,
    /// Response body bytes received.
    pub bytes: u64,
    /// Objects read from lists.
    pub objects: u64,
    /// Lists started over after their continue token expired (410 Gone).
    pub restarts: u64,
    /// Resource types listed (`pods (v1)`, ...), in the order read.
    pub types: Vec<String>,
    /// Whether the server answered aggregated discovery.
    pub aggregated_discovery: bool,
    /// Helm releases read.
    pub helm_releases: usize,
    pub elapsed: Duration,
}

/// An inventory and what reading it cost.
#[derive(Clone, Debug)]
pub struct LiveRead {
    /// The objects listed, then the objects of the Helm releases' manifests (those have a
    /// location, `helm:NAMESPACE/RELEASE (revision N, chart NAME-VERSION)` and the line; live
    /// objects have none), request metrics and problems.
    pub inventory: Inventory,
    pub stats: ReadStats,
    /// The Helm releases read (`--helm-releases`), for `snapshot` to write their manifests.
    pub helm_releases: Vec<HelmManifest>,
}

/// The current revision of one Helm release: what a snapshot keeps of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelmManifest {
    pub namespace: String,
    pub name: String,
    pub revision: u64,
    /// `NAME-VERSION` of the chart, when the release records it.
    pub chart: Option<String>,
    /// `deployed`, `failed`, ...
    pub status: String,
    /// How findings name the manifest: `helm:NAMESPACE/RELEASE (revision N, chart NAME-VERSION)`.
    pub file: String,
    /// The rendered manifest (multi-document YAML). Never the values.
    pub manifest: String,
}

/// The contexts of the kubeconfig and the current one.
pub fn contexts(kubeconfig: Option<&std::path::Path>) -> Result<(Vec<String>, Option<String>), LiveError> {
    config::contexts(kubeconfig)
}

/// The name the read gives the cluster: the context (given or current), or `in-cluster`.
pub fn cluster_name(options: &LiveOptions) -> Result<String, LiveError> {
    if let Some(context) = &options.context {
        return Ok(context.clone());
    }
    match config::load(options.kubeconfig.as_deref())? {
        config::Source::InCluster => Ok("in-cluster".to_owned()),
        config::Source::Files(_, kc) => kc
            .current_context
            .clone()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| LiveError::Kubeconfig("no current-context; choose one with --context".to_owned())),
    }
}

/// A client for one context (kube's own retries off: callers retry), and the context's name.
pub async fn connect(
    kubeconfig: Option<&std::path::Path>,
    context: Option<&str>,
) -> Result<(kube::Client, String), LiveError> {
    config::client(kubeconfig, context).await
}

/// Reads one cluster into an inventory (`SourceKind::Live`).
pub async fn read_cluster(options: &LiveOptions) -> Result<Inventory, LiveError> {
    read(options).await.map(|r| r.inventory)
}

/// Reads one cluster; the inventory and the cost of the read.
pub async fn read(options: &LiveOptions) -> Result<LiveRead, LiveError> {
    let deadlines = Deadlines::new(Instant::now(), options.timeout);
    match tokio::time::timeout(options.timeout, read_within(options, deadlines)).await {
        Ok(result) => result,
        Err(_) => Err(LiveError::Timeout(options.timeout)),
    }
}

/// The check id of findings about types the identity may not read.
pub const ACCESS_DENIED: &str = "access-denied";
/// The check id of findings about types that could not be read for another reason.
pub const INPUT_SKIPPED: &str = "input-skipped";
/// The ClusterRole that grants what a scan reads, and the `access-denied` finding (`verb` on
/// `what` was refused): built by the check's own file, so the fixture cases show the same words.
pub use mcp_diag_checks::rules::access_denied::{CLUSTER_ROLE, refused as access_denied};

fn skipped(what: &str, failure: &str) -> Finding {
    let mut details = BTreeMap::new();
    details.insert("resource", what.to_owned());
    Finding {
        check: INPUT_SKIPPED,
        severity: Severity::High,
        title: format!("Could not read {what}"),
        object: None,
        location: None,
        message: format!(
            "Listing {what} failed: {failure}. The scan went on without it, so checks that read it may miss problems."
        ),
        remediation: "Check the API server's health (and the aggregated API serving this type, if any), then scan again."
            .to_owned(),
        evidence: None,
        details,
    }
}

/// A 401 after `/version` was answered: the credentials stopped working during the scan.
fn credentials_rejected(failure: &Failure) -> String {
    format!(
        "{failure}: the credentials were rejected in the middle of the scan (expired or revoked); log in again or refresh the token of this context, then scan again"
    )
}

/// Objects first expected to be many come first, so that the longest chain of pages starts
/// at once.
fn size_rank(job: &ListJob) -> u8 {
    match (job.group.as_str(), job.kind.as_str()) {
        ("", "Pod") => 0,
        ("apps", "ReplicaSet") => 1,
        ("", "ConfigMap") => 2,
        ("", "Node") => 3,
        ("", "Service") => 4,
        ("apps", "Deployment") => 5,
        ("", "PersistentVolumeClaim") | ("", "PersistentVolume") | ("batch", "Job") => 6,
        _ => 7,
    }
}

enum Done {
    List(usize, ListOutcome),
    Helm(Result<Vec<Vec<helm::ReleaseSecret>>, PageError>),
    Metrics(Result<fetch::Answer, Failure>),
}

/// When a read must stop. The lists stop at `lists` (most of `--timeout`), so that what they
/// read is still assembled into a partial report before the hard limit (`timeout`, enforced
/// around the whole read) discards everything.
#[derive(Clone, Copy, Debug)]
struct Deadlines {
    /// No list request starts or waits past this.
    lists: Instant,
    /// Lists still running now are abandoned (their kinds marked timed out).
    abandon: Instant,
}

/// The share of `--timeout` the lists may use; the rest assembles the report.
const LIST_SHARE: f64 = 0.9;
/// The share after which unfinished lists are abandoned.
const ABANDON_SHARE: f64 = 0.95;
/// The longest `/version` keeps being retried (429, 5xx, a dropped connection).
pub const VERSION_RETRY_BUDGET: Duration = Duration::from_secs(10);

impl Deadlines {
    fn new(started: Instant, timeout: Duration) -> Self {
        Self {
            lists: started + timeout.mul_f64(LIST_SHARE),
            abandon: started + timeout.mul_f64(ABANDON_SHARE),
        }
    }
}

impl LiveOptions {
    /// The time one list may take: `list_timeout`, else half of `timeout`.
    pub fn list_deadline(&self) -> Duration {
        self.list_timeout
            .unwrap_or(self.timeout / 2)
            .max(Duration::from_millis(1))
    }
}

async fn read_within(options: &LiveOptions, deadlines: Deadlines) -> Result<LiveRead, LiveError> {
    let (client, context) = config::client(options.kubeconfig.as_deref(), options.context.as_deref()).await?;
    read_from(client, &context, options, deadlines).await
}

/// Reads a cluster through a client built elsewhere (tests, callers with their own
/// configuration); `context` names the cluster. `options.kubeconfig` and `options.context`
/// are not used; `options.timeout` is, as in [`read`]. A client built with kube's defaults
/// retries 429/503/504 on its own: build it from a `kube::Config` with `default_retry` off.
pub async fn read_with_client(
    client: kube::Client,
    context: &str,
    options: &LiveOptions,
) -> Result<LiveRead, LiveError> {
    let deadlines = Deadlines::new(Instant::now(), options.timeout);
    match tokio::time::timeout(options.timeout, read_from(client, context, options, deadlines)).await {
        Ok(result) => result,
        Err(_) => Err(LiveError::Timeout(options.timeout)),
    }
}

/// What a failed list means for the coverage of its kind.
pub fn gap_of(error: &PageError) -> (ReadGap, String) {
    match error {
        PageError::Parse(message) => (
            ReadGap::Invalid,
            format!("the answer could not be read: {message}"),
        ),
        PageError::Fetch(failure) => {
            let text = failure.to_string();
            match failure {
                Failure::Status { code: 401, .. } => (ReadGap::Unauthorized, credentials_rejected(failure)),
                Failure::Status { code: 403, .. } => (ReadGap::Denied, text),
                Failure::Throttled { .. } => (ReadGap::Throttled, text),
                Failure::TimedOut { .. } => (ReadGap::TimedOut, text),
                Failure::Status { .. } | Failure::Transport { .. } => (ReadGap::Failed, text),
            }
        }
    }
}

async fn read_from(
    client: kube::Client,
    context: &str,
    options: &LiveOptions,
    deadlines: Deadlines,
) -> Result<LiveRead, LiveError> {
    let started = Instant::now();
    let context = context.to_owned();
    let attempt_timeout = options
        .request_timeout
        .unwrap_or_else(|| (options.timeout / 4).max(Duration::from_secs(5)));
    let fetcher = Fetcher::new(client, options.retry, attempt_timeout);
    let mut inventory = Inventory::new(SourceKind::Live, format!("context:{context}"), context.clone());
    inventory.cluster.captured_at = Some(mcp_diag_model::time::format_timestamp(mcp_diag_model::time::now()));
    inventory.coverage = Coverage::recorded();

    // /version first: it says whether the cluster answers at all. An API server that is
    // restarting or overloaded answers 5xx or 429 for a few seconds; those are retried for a
    // while (not a number of attempts: 3 quick ones are over in 0.2 s).
    let version_budget = VERSION_RETRY_BUDGET.min(attempt_timeout);
    let version = fetcher
        .get_within(
            "/version",
            "application/json",
            u32::MAX,
            Some(Instant::now() + version_budget),
        )
        .await;
    match version {
        Ok(answer) => inventory.cluster.server_version = server_version(&answer.body),
        Err(Failure::Status { code: 401, .. }) => {
            return Err(LiveError::Unreachable(format!(
                "context {context:?}: the server rejected the credentials (HTTP 401 Unauthorized); log in again or check the user of this context"
            )));
        }
        Err(Failure::Status { code: 403 | 404, .. }) => {}
        Err(failure) => return Err(LiveError::Unreachable(format!("context {context:?}: {failure}"))),
    }

    let discovered = discover(&fetcher, options.concurrency).await?;
    tracing::debug!(elapsed = ?started.elapsed(), types = discovered.types.len(), "discovery finished");
    for (group, kind, why) in discovery::unseen_checked_kinds(&discovered) {
        inventory.coverage.record(match why {
            Some(why) => KindRead::gap(
                group,
                kind,
                ReadGap::Failed,
                format!("discovery failed: {why}"),
                0,
            ),
            None => KindRead::gap(group, kind, ReadGap::NotServed, "the server does not serve it", 0),
        });
    }
    let mut jobs: Vec<ListJob> = discovery::select(&discovered, &options.extra_kinds)
        .into_iter()
        .map(|(job, _)| job)
        .collect();
    jobs.sort_by_key(size_rank);
    let mut scheduled: BTreeSet<(String, String)> = jobs
        .iter()
        .map(|j| (j.group.clone(), j.resource.clone()))
        .collect();

    let progress = progress::Progress::new(options.progress, jobs.len());
    let concurrency = options.concurrency.max(1);
    let list_deadline = options.list_deadline();
    let mut tasks = tokio::task::JoinSet::new();
    let mut queue: std::collections::VecDeque<usize> = (0..jobs.len()).collect();
    let mut running = 0usize;
    let mut results: BTreeMap<usize, Vec<Object>> = BTreeMap::new();

    if options.helm_releases {
        let f = fetcher.clone();
        let page_size = options.page_size;
        let until = deadlines.lists;
        tasks.spawn(async move {
            Done::Helm(
                list::list_pages(
                    &f,
                    "/api/v1/secrets",
                    page_size,
                    Some(helm::SELECTOR),
                    Some(until),
                    |body| helm::page_secrets(&body),
                )
                .await
                .map_err(|stopped| stopped.error),
            )
        });
    }
    {
        let f = fetcher.clone();
        let until = deadlines.lists;
        tasks.spawn(
            async move { Done::Metrics(f.get_within("/metrics", "text/plain", 3, Some(until)).await) },
        );
    }

    let mut helm_secrets = None;
    let mut metrics_answer = None;
    let mut abandoned = false;
    loop {
        while running < concurrency
            && let Some(index) = queue.pop_front()
        {
            let now = Instant::now();
            let job = jobs[index].clone();
            if now >= deadlines.lists {
                // Not started: the time of the whole read ran out first.
                inventory.coverage.record(KindRead::gap(
                    &job.group,
                    &job.kind,
                    ReadGap::TimedOut,
                    format!(
                        "not read: the cluster's time ({}) ran out first",
                        fetch::seconds(options.timeout)
                    ),
                    0,
                ));
                progress.type_done(0);
                continue;
            }
            let f = fetcher.clone();
            let page_size = options.page_size;
            let until = (now + list_deadline).min(deadlines.lists);
            running += 1;
            tasks.spawn(
                async move { Done::List(index, list::list_all(&f, &job, page_size, Some(until)).await) },
            );
        }
        let joined = match tokio::time::timeout_at(deadlines.abandon.into(), tasks.join_next()).await {
            Ok(Some(joined)) => joined,
            Ok(None) => break,
            Err(_) => {
                abandoned = true;
                tasks.abort_all();
                break;
            }
        };
        let done = joined.map_err(|e| LiveError::Unreachable(format!("a list task failed: {e}")))?;
        match done {
            Done::List(index, outcome) => {
                running -= 1;
                let job = &jobs[index];
                tracing::debug!(elapsed = ?started.elapsed(), list = %job.display(), "list finished");
                let objects = match outcome {
                    ListOutcome::Objects(objects) => {
                        inventory
                            .coverage
                            .record(KindRead::complete(&job.group, &job.kind, objects.len()));
                        if job.group == "apiextensions.k8s.io" && job.kind == "CustomResourceDefinition" {
                            for extra in discovery::crd_followups(&objects, &discovered) {
                                if scheduled.insert((extra.group.clone(), extra.resource.clone())) {
                                    jobs.push(extra);
                                    queue.push_back(jobs.len() - 1);
                                    progress.add_type();
                                }
                            }
                        }
                        objects
                    }
                    ListOutcome::Stopped { objects, error } => {
                        let (reason, detail) = gap_of(&error);
                        let detail = if objects.is_empty() {
                            format!("listing {}: {detail}", job.display())
                        } else {
                            format!(
                                "listing {} stopped after {} objects: {detail}",
                                job.display(),
                                objects.len()
                            )
                        };
                        tracing::debug!(list = %job.display(), %detail, "list stopped");
                        inventory.coverage.record(KindRead::gap(
                            &job.group,
                            &job.kind,
                            reason,
                            detail,
                            objects.len(),
                        ));
                        objects
                    }
                };
                Counters::add(&fetcher.counters.objects, objects.len() as u64);
                progress.type_done(objects.len());
                results.insert(index, objects);
            }
            Done::Helm(result) => helm_secrets = Some(result),
            Done::Metrics(result) => metrics_answer = Some(result),
        }
    }
    progress.finish();
    if abandoned {
        // Lists that ignored their deadline (a hanging parse, a server that trickles bytes):
        // their kinds are named, what the others read is kept.
        for (index, job) in jobs.iter().enumerate() {
            if !results.contains_key(&index)
                && !matches!(
                    inventory.coverage.of(&job.group, &job.kind),
                    mcp_diag_model::Known::Incomplete(_)
                )
            {
                inventory.coverage.record(KindRead::gap(
                    &job.group,
                    &job.kind,
                    ReadGap::TimedOut,
                    format!(
                        "listing {}: not finished when the cluster's time ({}) ran out",
                        job.display(),
                        fetch::seconds(options.timeout)
                    ),
                    0,
                ));
            }
        }
        if options.helm_releases && helm_secrets.is_none() {
            helm_secrets = Some(Err(PageError::Fetch(Failure::TimedOut {
                waited: deadlines.abandon.saturating_duration_since(started),
                attempts: 1,
            })));
        }
    }

    inventory
        .objects
        .reserve(results.values().map(Vec::len).sum::<usize>());
    for (_, objects) in std::mem::take(&mut results) {
        inventory.objects.extend(objects);
    }

    match metrics_answer {
        Some(Ok(answer)) => {
            let text = String::from_utf8_lossy(&answer.body);
            inventory.cluster.requested_apis = metrics::requested_apis(&text);
        }
        Some(Err(failure)) if failure.code() == Some(403) => {
            inventory.input_problems.push(access_denied(
                "the API server's /metrics",
                "get",
                &failure.to_string(),
            ));
        }
        Some(Err(failure)) if failure.code() == Some(401) => {
            inventory.input_problems.push(skipped(
                "the API server's /metrics",
                &credentials_rejected(&failure),
            ));
        }
        Some(Err(failure)) => tracing::info!(%failure, "no request metrics from /metrics"),
        None => {}
    }

    let mut helm_releases = Vec::new();
    match helm_secrets {
        Some(Ok(pages)) => {
            let secrets = helm::current_revisions(pages.into_iter().flatten().collect());
            let namespaced = namespaced_lookup(&discovered);
            for secret in &secrets {
                match helm::release_objects(secret, &namespaced) {
                    Ok(read) => {
                        inventory.objects.extend(read.objects);
                        inventory.input_problems.extend(read.problems);
                        let r = read.release;
                        helm_releases.push(HelmManifest {
                            chart: r
                                .chart
                                .and_then(|c| c.metadata)
                                .map(|m| format!("{}-{}", m.name, m.version)),
                            status: r.info.map(|i| i.status).unwrap_or_default(),
                            namespace: r.namespace,
                            name: r.name,
                            revision: r.version,
                            file: read.file,
                            manifest: r.manifest,
                        });
                    }
                    Err(message) => inventory.input_problems.push(skipped(
                        &format!(
                            "Helm release {}/{} (Secret {})",
                            secret.namespace, secret.release, secret.secret_name
                        ),
                        &message,
                    )),
                }
            }
        }
        Some(Err(PageError::Fetch(failure))) if failure.code() == Some(403) => {
            inventory.input_problems.push(access_denied(
                "Helm release Secrets (secrets with label owner=helm)",
                "list",
                &failure.to_string(),
            ));
        }
        Some(Err(PageError::Fetch(failure))) if failure.code() == Some(401) => inventory
            .input_problems
            .push(skipped("Helm release Secrets", &credentials_rejected(&failure))),
        Some(Err(PageError::Fetch(failure))) => inventory
            .input_problems
            .push(skipped("Helm release Secrets", &failure.to_string())),
        Some(Err(PageError::Parse(message))) => inventory
            .input_problems
            .push(skipped("Helm release Secrets", &message)),
        None => {}
    }

    let counters = &fetcher.counters;
    let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    let stats = ReadStats {
        requests: load(&counters.requests),
        retries: load(&counters.retries),
        pages: load(&counters.pages),
        bytes: load(&counters.bytes),
        objects: load(&counters.objects),
        restarts: load(&counters.restarts),
        types: jobs.iter().map(ListJob::display).collect(),
        aggregated_discovery: discovered.aggregated,
        helm_releases: helm_releases.len(),
        elapsed: started.elapsed(),
    };
    Ok(LiveRead {
        inventory,
        stats,
        helm_releases,
    })
}

/// Whether a kind is namespaced, by group and kind, as discovery says (by kind alone when
/// the group is not served, as for removed API versions in Helm manifests).
fn namespaced_lookup(discovered: &discovery::Discovered) -> impl Fn(&str, &str) -> Option<bool> + use<> {
    let mut exact: BTreeMap<(String, String), bool> = BTreeMap::new();
    let mut by_kind: BTreeMap<String, bool> = BTreeMap::new();
    for t in &discovered.types {
        exact.insert((t.group.clone(), t.kind.clone()), t.namespaced);
        by_kind.entry(t.kind.clone()).or_insert(t.namespaced);
    }
    move |group: &str, kind: &str| {
        exact
            .get(&(group.to_owned(), kind.to_owned()))
            .or_else(|| by_kind.get(kind))
            .copied()
    }
}

/// The version in a `/version` answer.
fn server_version(body: &[u8]) -> Option<KubeVersion> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Info {
        #[serde(default)]
        git_version: String,
        #[serde(default)]
        major: String,
        #[serde(default)]
        minor: String,
    }
    let info: Info = serde_json::from_slice(body).ok()?;
    KubeVersion::parse(&info.git_version)
        .ok()
        .or_else(|| KubeVersion::from_parts(&info.major, &info.minor).ok())
}

/// Aggregated discovery, else the classic documents group version by group version.
async fn discover(fetcher: &Fetcher, concurrency: usize) -> Result<discovery::Discovered, LiveError> {
    use futures::StreamExt;
    let failed =
        |what: &str, failure: Failure| LiveError::Unreachable(format!("discovery ({what}): {failure}"));
    let (core, groups) = tokio::join!(
        fetcher.get("/api", discovery::ACCEPT_AGGREGATED),
        fetcher.get("/apis", discovery::ACCEPT_AGGREGATED)
    );
    let core = core.map_err(|f| failed("/api", f))?;
    let groups = groups.map_err(|f| failed("/apis", f))?;
    let bad = |what: &str, message: String| LiveError::Unreachable(format!("discovery ({what}): {message}"));
    let core_aggregated = discovery::parse_aggregated(&core.body).map_err(|m| bad("/api", m))?;
    let groups_aggregated = discovery::parse_aggregated(&groups.body).map_err(|m| bad("/apis", m))?;
    if let (Some(mut core), Some(groups_found)) = (core_aggregated, groups_aggregated) {
        core.extend(groups_found);
        let mut discovered = discovery::fold(core, true);
        discovered.unavailable = discovery::stale_group_versions(&groups.body)
            .into_iter()
            .map(|(group, version)| {
                let why = format!(
                    "the API server marks {group}/{version} stale: the aggregated API serving it did not answer"
                );
                (group, why)
            })
            .collect();
        return Ok(discovered);
    }
    let mut gvs = discovery::parse_classic_groups(&core.body, true).map_err(|m| bad("/api", m))?;
    gvs.extend(discovery::parse_classic_groups(&groups.body, false).map_err(|m| bad("/apis", m))?);
    let fetcher = Arc::new(fetcher.clone());
    let documents: Vec<(usize, Result<Vec<discovery::Sighting>, String>)> =
        futures::stream::iter(gvs.iter().cloned().enumerate())
            .map(|(i, (group, version))| {
                let fetcher = fetcher.clone();
                async move {
                    let path = if group.is_empty() {
                        format!("/api/{version}")
                    } else {
                        format!("/apis/{group}/{version}")
                    };
                    let result = match fetcher.get(&path, "application/json").await {
                        Ok(answer) => discovery::parse_resource_list(&answer.body, &group, &version),
                        Err(failure) => Err(format!("{path}: {failure}")),
                    };
                    (i, result)
                }
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    let mut documents = documents;
    documents.sort_by_key(|(i, _)| *i);
    let mut sightings = Vec::new();
    let mut unavailable = Vec::new();
    for (i, result) in documents {
        match result {
            Ok(found) => sightings.extend(found),
            // A broken aggregated API (metrics-server down is common) hides only its group;
            // its kinds are recorded as not read, not as not served.
            Err(message) => {
                tracing::warn!(%message, "discovery of a group version failed");
                unavailable.push((gvs[i].0.clone(), message));
            }
        }
    }
    let mut discovered = discovery::fold(sightings, false);
    discovered.unavailable = unavailable;
    Ok(discovered)
}

#[cfg(test)]
mod tests;
