//! `probe --in-cluster`: the same probes from a Job inside the cluster, where Service DNS
//! names resolve and NetworkPolicies apply as they do to the workloads. The config goes in a
//! ConfigMap mounted into the Job's pod; the pod runs `mcp-diag probe --output json`; its log
//! is the report. The Job and the ConfigMap are deleted afterwards (`--keep` leaves them).

use std::time::Duration;

use anyhow::Context as _;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, DeleteParams, ListParams, LogParams, PostParams};
use serde_json::{Value, json};

use super::hinted;

/// Where the config is mounted in the Job's pod.
pub const MOUNT: &str = "/etc/mcp-diag";

/// What the Job is made of.
#[derive(Clone, Debug)]
pub struct JobSpec {
    pub namespace: String,
    /// The Job's and the ConfigMap's name.
    pub name: String,
    pub image: String,
    /// The config file's text (its `probes:` section is what the pod reads).
    pub config: String,
    /// Extra arguments passed to `mcp-diag probe` in the pod.
    pub args: Vec<String>,
    /// How long the Job may run (activeDeadlineSeconds).
    pub deadline: Duration,
    pub service_account: Option<String>,
}

/// The ConfigMap and the Job, as the API server takes them (and `--dry-run` prints them).
pub fn manifests(spec: &JobSpec) -> (Value, Value) {
    let labels = json!({"app.kubernetes.io/name": "mcp-diag", "app.kubernetes.io/component": "probe",
        "app.kubernetes.io/managed-by": "mcp-diag"});
    let config_map = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": spec.name, "namespace": spec.namespace, "labels": labels},
        "data": {"config.yaml": spec.config},
    });
    let mut args = vec![
        json!("probe"),
        json!("--config"),
        json!(format!("{MOUNT}/config.yaml")),
        json!("--output"),
        json!("json"),
    ];
    args.extend(spec.args.iter().map(|a| json!(a)));
    let mut pod_spec = json!({
        "restartPolicy": "Never",
        "automountServiceAccountToken": false,
        "securityContext": {"runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "probe", "image": spec.image, "args": args,
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
            "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                "capabilities": {"drop": ["ALL"]}},
            "volumeMounts": [{"name": "config", "mountPath": MOUNT, "readOnly": true}],
        }],
        "volumes": [{"name": "config", "configMap": {"name": spec.name}}],
    });
    if let Some(sa) = &spec.service_account {
        pod_spec["serviceAccountName"] = json!(sa);
    }
    let job = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": spec.name, "namespace": spec.namespace, "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": spec.deadline.as_secs().max(1),
            "ttlSecondsAfterFinished": 600,
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    });
    (config_map, job)
}

/// The two manifests as one YAML stream (JSON is YAML): what `--dry-run` prints, ready for
/// `kubectl apply -f -`.
pub fn dry_run_text(spec: &JobSpec) -> String {
    let (cm, job) = manifests(spec);
    format!(
        "# mcp-diag probe --in-cluster --dry-run: the ConfigMap and the Job it would create.\n---\n{}\n---\n{}\n",
        serde_json::to_string_pretty(&cm).unwrap_or_default(),
        serde_json::to_string_pretty(&job).unwrap_or_default()
    )
}

/// Creates the ConfigMap and the Job, waits for the Job to end, and returns its pod's log.
pub async fn run(client: kube::Client, spec: &JobSpec, keep: bool, poll: Duration) -> anyhow::Result<String> {
    let (cm, job) = manifests(spec);
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &spec.namespace);
    let jobs: Api<Job> = Api::namespaced(client.clone(), &spec.namespace);
    let pods: Api<Pod> = Api::namespaced(client, &spec.namespace);
    let cm: ConfigMap = serde_json::from_value(cm).context("building the ConfigMap")?;
    let job: Job = serde_json::from_value(job).context("building the Job")?;
    let key = format!("{}/{}", spec.namespace, spec.name);
    cms.create(&PostParams::default(), &cm).await.map_err(|e| {
        hinted(
            format!("cannot create the ConfigMap {key}: {e}"),
            "check that the namespace exists and that you may create ConfigMaps and Jobs in it (--job-namespace)",
        )
    })?;
    let result = async {
        jobs.create(&PostParams::default(), &job).await.map_err(|e| {
            hinted(
                format!("cannot create the Job {key}: {e}"),
                "check that you may create Jobs in the namespace",
            )
        })?;
        let deadline = tokio::time::Instant::now() + spec.deadline + Duration::from_secs(30);
        let failed = loop {
            let j = jobs
                .get(&spec.name)
                .await
                .with_context(|| format!("cannot read the Job {key}"))?;
            let conditions = j
                .status
                .as_ref()
                .and_then(|s| s.conditions.clone())
                .unwrap_or_default();
            let is = |t: &str| conditions.iter().any(|c| c.type_ == t && c.status == "True");
            if is("Complete") {
                break None;
            }
            if is("Failed") {
                let why = conditions
                    .iter()
                    .find(|c| c.type_ == "Failed")
                    .and_then(|c| c.message.clone())
                    .unwrap_or_default();
                break Some(why);
            }
            if tokio::time::Instant::now() >= deadline {
                anyhow::bail!(
                    "the Job {key} did not finish in time; see kubectl -n {} describe job {}",
                    spec.namespace,
                    spec.name
                );
            }
            tokio::time::sleep(poll).await;
        };
        let list = pods
            .list(&ListParams::default().labels(&format!("job-name={}", spec.name)))
            .await
            .with_context(|| format!("cannot list the pods of the Job {key}"))?;
        let Some(pod) = list.items.first().and_then(|p| p.metadata.name.clone()) else {
            anyhow::bail!(
                "the Job {key} ended without a pod ({})",
                failed.unwrap_or_default()
            );
        };
        let log = pods
            .logs(&pod, &LogParams::default())
            .await
            .with_context(|| format!("cannot read the log of pod {}/{pod}", spec.namespace))?;
        Ok(log)
    }
    .await;
    if !keep {
        let dp = DeleteParams::background();
        let _ = jobs.delete(&spec.name, &dp).await;
        let _ = cms.delete(&spec.name, &DeleteParams::default()).await;
    }
    result
}

/// The JSON report in a pod's log: the whole log, or the JSON object that starts on a line of
/// its own (the pod's standard error may follow or precede it).
pub fn report_in_log(log: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(log.trim()) {
        return Some(v);
    }
    let mut offset = 0;
    for line in log.split_inclusive('\n') {
        if line.starts_with('{') {
            let mut stream = serde_json::Deserializer::from_str(&log[offset..]).into_iter::<Value>();
            if let Some(Ok(v)) = stream.next() {
                return Some(v);
            }
        }
        offset += line.len();
    }
    None
}

/// A Job name from a run's start time: `mcp-diag-probe-` and base-36 seconds, a DNS label.
pub fn job_name(now_secs: u64) -> String {
    let mut n = now_secs;
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize] as char);
        n /= 36;
    }
    let s: String = digits.into_iter().rev().collect();
    format!("mcp-diag-probe-{s}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> JobSpec {
        JobSpec {
            namespace: "ops".into(),
            name: "mcp-diag-probe-x".into(),
            image: "registry.example.com/mcp-diag:0.1.0".into(),
            config: "probes:\n  - {name: a, url: \"http://a\"}\n".into(),
            args: vec!["--timeout".into(), "2s".into()],
            deadline: Duration::from_secs(120),
            service_account: None,
        }
    }

    #[test]
    fn the_job_mounts_the_config_and_prints_json() {
        let (cm, job) = manifests(&spec());
        assert_eq!(cm["data"]["config.yaml"], spec().config);
        let c = &job["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            c["args"],
            json!([
                "probe",
                "--config",
                "/etc/mcp-diag/config.yaml",
                "--output",
                "json",
                "--timeout",
                "2s"
            ])
        );
        assert_eq!(c["volumeMounts"][0]["mountPath"], MOUNT);
        assert_eq!(
            job["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"],
            "mcp-diag-probe-x"
        );
        assert_eq!(job["spec"]["backoffLimit"], 0);
        assert_eq!(job["spec"]["activeDeadlineSeconds"], 120);
        // Both parse as the typed API objects the client sends.
        let _: ConfigMap = serde_json::from_value(cm).unwrap();
        let _: Job = serde_json::from_value(job).unwrap();
    }

    #[test]
    fn the_report_is_found_among_other_log_lines() {
        assert_eq!(report_in_log("{\"a\": 1}\n"), Some(json!({"a": 1})));
        let log =
            "warning: something\n{\n  \"schema_version\": 1,\n  \"probes\": []\n}\nerror: 1 probe failed\n";
        assert_eq!(
            report_in_log(log),
            Some(json!({"schema_version": 1, "probes": []}))
        );
        assert_eq!(report_in_log("no json here\n"), None);
    }

    #[test]
    fn job_names_are_dns_labels() {
        let n = job_name(1_796_000_000);
        assert!(n.len() <= 63 && n.starts_with("mcp-diag-probe-"), "{n}");
        assert!(
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
    }
}
