//! A real Prometheus for tests: Debian's `prometheus` package (`$PROMETHEUS_BIN`, else
//! `/usr/bin/prometheus`; `scripts/test` installs it), started on a free loopback port with its
//! own configuration and storage in a temporary directory, killed when dropped.
//!
//! Timing (Prometheus 2.42, measured on the project's 2-core machine): ready (`/-/ready`) about
//! 50 ms after the start, but the **first scrape comes about 5 s later**: the scrape manager
//! applies new targets on a fixed 5-second tick (`reloader` in Prometheus's scrape/manager.go,
//! <https://github.com/prometheus/prometheus/blob/main/scrape/manager.go>). Start one
//! Prometheus per test binary where possible, and wait with [`Prometheus::wait_scraped`] before
//! querying. Any positive scrape interval is accepted (even `1ms`); below ~10 ms scrapes start to
//! time out, so tests use 50-100 ms.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Client, Config, QueryError};

/// One scrape target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The `job` label; targets with the same job form one scrape job.
    pub job: String,
    pub addr: SocketAddr,
    /// Usually `/metrics`.
    pub metrics_path: String,
}

impl Target {
    /// A target at `addr` serving `/metrics`.
    pub fn new(job: impl Into<String>, addr: SocketAddr) -> Self {
        Target {
            job: job.into(),
            addr,
            metrics_path: "/metrics".to_owned(),
        }
    }
}

/// A running Prometheus; killed and waited for on drop.
#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    url: String,
    targets: Vec<Target>,
    stderr_path: PathBuf,
    /// Removed after the process is gone (fields drop after `Drop::drop`).
    _dir: tempfile::TempDir,
}

/// The binary: `$PROMETHEUS_BIN`, else Debian's path.
pub fn binary() -> Result<PathBuf, String> {
    binary_at(std::env::var_os("PROMETHEUS_BIN"))
}

fn binary_at(var: Option<std::ffi::OsString>) -> Result<PathBuf, String> {
    let (path, from) = match var {
        Some(p) if !p.is_empty() => (PathBuf::from(p), "$PROMETHEUS_BIN"),
        _ => (PathBuf::from("/usr/bin/prometheus"), "the Debian package's path"),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "Prometheus not found at {} ({from}): run scripts/test once (it installs Debian's \
             prometheus package), or `apt-get install prometheus`, or set PROMETHEUS_BIN to the binary",
            path.display()
        ))
    }
}

/// The configuration file for `targets`, scraped every `interval` (also the scrape timeout,
/// which may not exceed it).
pub fn config_yaml(targets: &[Target], interval: Duration) -> Result<String, String> {
    if interval.is_zero() {
        return Err("the scrape interval must be above zero".to_owned());
    }
    let ms = interval.as_millis().max(1);
    let mut jobs: Vec<&str> = Vec::new();
    for t in targets {
        if t.job.is_empty() {
            return Err(format!("target {}: give a job name", t.addr));
        }
        if !t.metrics_path.starts_with('/') {
            return Err(format!(
                "target {}: metrics_path {:?} must start with /",
                t.addr, t.metrics_path
            ));
        }
        if !jobs.contains(&t.job.as_str()) {
            jobs.push(&t.job);
        }
    }
    // JSON strings are YAML strings: quoting without a YAML writer.
    let q = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let mut y = format!(
        "global:\n  scrape_interval: {ms}ms\n  scrape_timeout: {ms}ms\n  evaluation_interval: {ms}ms\nscrape_configs:\n"
    );
    for job in jobs {
        let in_job: Vec<&Target> = targets.iter().filter(|t| t.job == job).collect();
        let mut paths: Vec<&str> = Vec::new();
        for t in &in_job {
            if !paths.contains(&t.metrics_path.as_str()) {
                paths.push(&t.metrics_path);
            }
        }
        // The path is per job in Prometheus; several paths in one job become several jobs
        // with the same `job` label (relabelled), so the caller's labels stay as given.
        for (i, path) in paths.iter().enumerate() {
            let _ = writeln!(y, "  - job_name: {}", q(&format!("{job}#{i}")));
            let _ = writeln!(y, "    metrics_path: {}", q(path));
            let addrs: Vec<String> = in_job
                .iter()
                .filter(|t| t.metrics_path == *path)
                .map(|t| q(&t.addr.to_string()))
                .collect();
            let _ = writeln!(y, "    static_configs:\n      - targets: [{}]", addrs.join(", "));
            let _ = writeln!(y, "        labels: {{job: {}}}", q(job));
        }
    }
    Ok(y)
}

/// A free loopback port (another process may take it before Prometheus binds it: the start
/// retries then).
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` every `scrape_interval`, and returns once it is
    /// ready (at most 30 s). Its first scrape comes about 5 s later (see the module's doc).
    pub async fn start(targets: &[Target], scrape_interval: Duration) -> Result<Prometheus, String> {
        let bin = binary()?;
        let yaml = config_yaml(targets, scrape_interval)?;
        let mut last_error = String::new();
        for _ in 0..3 {
            match Self::start_once(&bin, &yaml, targets).await {
                Ok(p) => return Ok(p),
                Err((error, retry)) => {
                    last_error = error;
                    if !retry {
                        break;
                    }
                }
            }
        }
        Err(last_error)
    }

    /// The error, and whether another port may help.
    async fn start_once(
        bin: &std::path::Path,
        yaml: &str,
        targets: &[Target],
    ) -> Result<Prometheus, (String, bool)> {
        let fail = |e: String| (e, false);
        let dir = tempfile::tempdir().map_err(|e| fail(format!("temporary directory: {e}")))?;
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, yaml).map_err(|e| fail(format!("{}: {e}", config_path.display())))?;
        let stderr_path = dir.path().join("stderr.log");
        let stderr = std::fs::File::create(&stderr_path)
            .map_err(|e| fail(format!("{}: {e}", stderr_path.display())))?;
        let port = free_port().map_err(fail)?;
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // A file, not a pipe: nobody reads it while the test runs, and a full pipe would
            // block Prometheus.
            .stderr(stderr)
            .spawn()
            .map_err(|e| fail(format!("cannot start {}: {e}", bin.display())))?;
        let mut prometheus = Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            targets: targets.to_vec(),
            stderr_path,
            _dir: dir,
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| fail(format!("HTTP client: {e}")))?;
        let ready = format!("{}/-/ready", prometheus.url);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = prometheus.child.try_wait() {
                let log = prometheus.stderr();
                let retry = log.contains("address already in use");
                return Err((
                    format!(
                        "{} exited ({status}) before it was ready; its log:\n{log}",
                        bin.display()
                    ),
                    retry,
                ));
            }
            if let Ok(r) = http.get(&ready).send().await
                && r.status().is_success()
            {
                return Ok(prometheus);
            }
            if Instant::now() > deadline {
                return Err(fail(format!(
                    "{} was not ready at {ready} within 30 s; its log:\n{}",
                    bin.display(),
                    prometheus.stderr()
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client for it, with a 10 s timeout.
    pub fn client(&self) -> Client {
        Client::new(&Config::new(&self.url)).expect("a loopback URL is a valid configuration")
    }

    /// What Prometheus wrote on stderr so far (warnings and errors).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// The successful scrapes of each target of `job` so far (`sum_over_time(up[1h])`: `up`
    /// is 1 per successful scrape, 0 per failed one), by `instance` (`host:port`).
    pub async fn scrapes(&self, job: &str) -> Result<Vec<(String, u64)>, QueryError> {
        let expr = format!(
            "sum_over_time(up{{job={}}}[1h])",
            serde_json::to_string(job).expect("a string serializes")
        );
        let result = self.client().query(&expr).await?;
        Ok(result
            .samples
            .into_iter()
            .map(|s| {
                (
                    s.labels.get("instance").cloned().unwrap_or_default(),
                    s.value as u64,
                )
            })
            .collect())
    }

    /// Waits until every target of `job` has been scraped successfully at least `times` times
    /// in all, for at most `within`. The error says how far each target got and includes
    /// Prometheus's log.
    pub async fn wait_scraped(&self, job: &str, times: u64, within: Duration) -> Result<(), String> {
        self.wait_until(job, within, |_| times).await
    }

    /// Waits for `times` more successful scrapes of every target of `job` than it has now:
    /// after a test changed a value, two more scrapes make sure Prometheus holds the new one
    /// (a scrape under way at the change may have read the old one).
    pub async fn wait_new_scrapes(&self, job: &str, times: u64, within: Duration) -> Result<(), String> {
        let now = self.scrapes(job).await.map_err(|e| e.to_string())?;
        self.wait_until(job, within, |instance| {
            now.iter().find(|(i, _)| i == instance).map_or(0, |(_, n)| *n) + times
        })
        .await
    }

    async fn wait_until(
        &self,
        job: &str,
        within: Duration,
        needed: impl Fn(&str) -> u64,
    ) -> Result<(), String> {
        let instances: Vec<String> = self
            .targets
            .iter()
            .filter(|t| t.job == job)
            .map(|t| t.addr.to_string())
            .collect();
        if instances.is_empty() {
            return Err(format!("no target of job {job:?} was given to Prometheus"));
        }
        let deadline = Instant::now() + within;
        loop {
            let got = self.scrapes(job).await;
            if let Ok(got) = &got {
                let count = |i: &str| got.iter().find(|(g, _)| g == i).map_or(0, |(_, n)| *n);
                if instances.iter().all(|i| count(i) >= needed(i)) {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                let state = match got {
                    Ok(got) => instances
                        .iter()
                        .map(|i| {
                            let n = got.iter().find(|(g, _)| g == i).map_or(0, |(_, n)| *n);
                            format!("{i}: {n} of {}", needed(i))
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    Err(e) => e.to_string(),
                };
                return Err(format!(
                    "job {job:?} was not scraped enough within {within:?} ({state}); \
                     Prometheus's log:\n{}",
                    self.stderr()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_groups_targets_by_job_and_path() {
        let a: SocketAddr = "127.0.0.1:1000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:1001".parse().unwrap();
        let mut other = Target::new("app", b);
        other.metrics_path = "/m2".into();
        let y = config_yaml(
            &[Target::new("app", a), other, Target::new("emu", b)],
            Duration::from_millis(100),
        )
        .unwrap();
        assert!(y.contains("scrape_interval: 100ms"), "{y}");
        assert!(y.contains("scrape_timeout: 100ms"), "{y}");
        assert_eq!(y.matches("job_name:").count(), 3, "{y}");
        assert!(y.contains("metrics_path: \"/m2\""), "{y}");
        assert!(y.contains("labels: {job: \"emu\"}"), "{y}");
        assert!(config_yaml(&[Target::new("", a)], Duration::from_millis(100)).is_err());
        assert!(config_yaml(&[], Duration::ZERO).is_err());
    }

    #[test]
    fn a_missing_binary_says_how_to_install_it() {
        let e = binary_at(Some("/nonexistent/prometheus".into())).unwrap_err();
        assert!(e.contains("/nonexistent/prometheus"), "{e}");
        assert!(e.contains("$PROMETHEUS_BIN") && e.contains("scripts/test"), "{e}");
    }
}
