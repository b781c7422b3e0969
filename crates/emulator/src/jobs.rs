//! Jobs that run the project's own image. With [`crate::Options::job_runner`] set, a created
//! Job whose first container's image is `mcp-diag` (any registry or tag) runs: its pod is
//! created, the container's arguments are run with a local `mcp-diag` binary, ConfigMap
//! volumes are written to a scratch directory and their mount paths rewritten to it, and the
//! process's output becomes the pod's log (`GET .../pods/NAME/log`). The Job then completes or
//! fails with the exit status, as the Job controller reports it. This is what lets
//! `mcp-diag probe --in-cluster` be tested end to end without a container runtime.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::ctx::Shared;
use crate::store::{Entry, ObjKey, State};

/// Runs Jobs of the `mcp-diag` image with this local binary.
#[derive(Clone, Debug)]
pub struct JobRunner {
    pub binary: PathBuf,
}

/// Whether an image reference names the project's image: `mcp-diag`, `reg.example/x/mcp-diag:0.1.0`,
/// `mcp-diag@sha256:...`.
pub fn is_own_image(image: &str) -> bool {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let repo = last.split(':').next().unwrap_or(last);
    repo == "mcp-diag"
}

/// What the runner needs from a Job: arguments with mount paths rewritten, env, files.
#[derive(Debug, PartialEq, Eq)]
struct Launch {
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// (path under the scratch dir, contents)
    files: Vec<(PathBuf, String)>,
}

/// Reads the first container of the Job's pod template; `None` when it is not our image.
fn launch(job: &Value, scratch: &Path, config_map: impl Fn(&str) -> Option<Value>) -> Option<Launch> {
    let spec = job.pointer("/spec/template/spec")?;
    let c = spec.pointer("/containers/0")?;
    if !is_own_image(c.get("image").and_then(Value::as_str).unwrap_or("")) {
        return None;
    }
    let strs = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let mut args = strs(c.get("command"));
    // The image's entrypoint is the binary: a command naming it is dropped, as the runner is it.
    if args
        .first()
        .is_some_and(|a| a.rsplit('/').next() == Some("mcp-diag"))
    {
        args.remove(0);
    }
    args.extend(strs(c.get("args")));
    let mut files = Vec::new();
    let mut mounts: Vec<(String, PathBuf)> = Vec::new();
    for (i, m) in c
        .get("volumeMounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let (Some(name), Some(path)) = (
            m.get("name").and_then(Value::as_str),
            m.get("mountPath").and_then(Value::as_str),
        ) else {
            continue;
        };
        let Some(cm_name) = spec
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|v| v.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|v| v.pointer("/configMap/name"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let dir = scratch.join(format!("volume-{i}"));
        if let Some(cm) = config_map(cm_name) {
            for (key, value) in cm.get("data").and_then(Value::as_object).into_iter().flatten() {
                files.push((dir.join(key), value.as_str().unwrap_or_default().to_owned()));
            }
        }
        mounts.push((path.trim_end_matches('/').to_owned(), dir));
    }
    for arg in &mut args {
        for (path, dir) in &mounts {
            if let Some(rest) = arg.strip_prefix(path.as_str())
                && (rest.is_empty() || rest.starts_with('/'))
            {
                *arg = format!("{}{rest}", dir.display());
            } else if let Some((flag, value)) = arg.split_once('=')
                && let Some(rest) = value.strip_prefix(path.as_str())
                && (rest.is_empty() || rest.starts_with('/'))
            {
                *arg = format!("{flag}={}{rest}", dir.display());
            }
        }
    }
    let env = c
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e.get("name")?.as_str()?.to_owned(),
                e.get("value").and_then(Value::as_str).unwrap_or("").to_owned(),
            ))
        })
        .collect();
    Some(Launch { args, env, files })
}

/// A created Job that is not an upgrade Job: run it when it is ours. Returns whether it was.
pub(crate) fn job_created(shared: &Arc<Shared>, state: &mut State, job: &Entry) -> bool {
    let Some(runner) = shared.options.job_runner.clone() else {
        return false;
    };
    let v = job.value();
    let ns = job.namespace.clone();
    let scratch = std::env::temp_dir().join(format!(
        "mcp-diag-emulator-job-{}-{}-{}",
        std::process::id(),
        ns,
        job.name
    ));
    let Some(launch) = launch(&v, &scratch, |name| {
        state.get("", "configmaps", &ns, name).map(|e| e.value())
    }) else {
        return false;
    };
    let suffix: String = (0..5)
        .map(|_| char::from(b"bcdfghjklmnpqrstvwxz2456789"[(state.rng.next_u64() % 27) as usize]))
        .collect();
    let pod_name = format!("{}-{suffix}", job.name);
    let now = (state.now)();
    let template = v.pointer("/spec/template").cloned().unwrap_or_else(|| json!({}));
    let mut labels = template
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if let Some(l) = labels.as_object_mut() {
        l.insert("job-name".into(), json!(job.name));
        l.insert("batch.kubernetes.io/job-name".into(), json!(job.name));
        l.insert("controller-uid".into(), json!(job.uid));
        l.insert("batch.kubernetes.io/controller-uid".into(), json!(job.uid));
    }
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod_name, "namespace": ns, "labels": labels,
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job.name,
                "uid": job.uid, "controller": true, "blockOwnerDeletion": true}]},
        "spec": template.get("spec").cloned().unwrap_or_else(|| json!({})),
        "status": {"phase": "Running", "startTime": now},
    });
    state.put("", "pods", "v1", pod);
    let mut running = v;
    running["status"] = json!({"active": 1, "ready": 1, "terminating": 0, "startTime": now,
        "uncountedTerminatedPods": {}});
    state.put("batch", "jobs", &job.api_version, running);
    let shared = shared.clone();
    let key: ObjKey = (ns.clone(), job.name.clone());
    tokio::spawn(async move {
        let outcome = run(&runner, &launch, &scratch).await;
        let _ = std::fs::remove_dir_all(&scratch);
        let mut state = shared.state();
        let (log, code) = match outcome {
            Ok(done) => done,
            Err(e) => (
                format!("mcp-diag emulator: cannot run {}: {e}\n", runner.binary.display()),
                128,
            ),
        };
        state.pod_logs.insert((ns.clone(), pod_name.clone()), log);
        if let Some(p) = state.get("", "pods", &ns, &pod_name) {
            let mut p = p.value();
            let now = (state.now)();
            p["status"] = json!({"phase": if code == 0 { "Succeeded" } else { "Failed" },
                "startTime": p["status"]["startTime"].clone(),
                "containerStatuses": [{"name": p.pointer("/spec/containers/0/name").cloned().unwrap_or(json!("main")),
                    "ready": false, "restartCount": 0, "image": p.pointer("/spec/containers/0/image").cloned(),
                    "state": {"terminated": {"exitCode": code, "reason": if code == 0 { "Completed" } else { "Error" },
                        "finishedAt": now}}}]});
            state.put("", "pods", "v1", p);
        }
        let result = if code == 0 {
            Ok(())
        } else {
            Err(format!("the pod {pod_name} exited with status {code}"))
        };
        job_done(&mut state, &key, result);
    });
    true
}

/// Runs the binary; the log is its standard output followed by its standard error.
async fn run(runner: &JobRunner, launch: &Launch, scratch: &Path) -> std::io::Result<(String, i32)> {
    for (path, contents) in &launch.files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, contents)?;
    }
    std::fs::create_dir_all(scratch)?;
    let out = tokio::process::Command::new(&runner.binary)
        .args(&launch.args)
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .current_dir(scratch)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await?;
    let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
    log.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((log, out.status.code().unwrap_or(128)))
}

/// Marks a Job succeeded or failed, with the conditions the Job controller sets (1.31+:
/// `SuccessCriteriaMet` then `Complete`, `FailureTarget` then `Failed`).
pub(crate) fn job_done(state: &mut State, key: &ObjKey, outcome: Result<(), String>) {
    let Some(e) = state.get("batch", "jobs", &key.0, &key.1) else {
        return;
    };
    let mut v = e.value();
    let now = (state.now)();
    let cond = |ty: &str, reason: &str, message: &str| {
        json!({"type": ty, "status": "True", "reason": reason, "message": message,
            "lastProbeTime": now, "lastTransitionTime": now})
    };
    let start = v["status"]["startTime"].clone();
    v["status"] = match outcome {
        Ok(()) => json!({
            "startTime": start, "completionTime": now, "succeeded": 1, "ready": 0, "terminating": 0,
            "uncountedTerminatedPods": {},
            "conditions": [cond("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"),
                cond("Complete", "CompletionsReached", "Reached expected number of succeeded pods")]}),
        Err(message) => json!({
            "startTime": start, "failed": 1, "ready": 0, "terminating": 0,
            "uncountedTerminatedPods": {},
            "conditions": [cond("FailureTarget", "BackoffLimitExceeded", &message),
                cond("Failed", "BackoffLimitExceeded", &message)]}),
    };
    state.put("batch", "jobs", &e.api_version, v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_image_by_repository_name() {
        assert!(is_own_image("mcp-diag"));
        assert!(is_own_image("mcp-diag:0.1.0"));
        assert!(is_own_image("registry.example.com:5000/tools/mcp-diag:0.1.0"));
        assert!(is_own_image("ghcr.io/x/mcp-diag@sha256:abc"));
        assert!(!is_own_image("mcp-diag-probe:1"));
        assert!(!is_own_image("busybox"));
        assert!(!is_own_image("registry.example.com/mcp-diag/busybox:1"));
    }

    #[test]
    fn launch_rewrites_mounts_and_drops_the_entrypoint() {
        let job = json!({"spec": {"template": {"spec": {
            "containers": [{"name": "probe", "image": "r.example/mcp-diag:0.1.0",
                "command": ["/usr/local/bin/mcp-diag"],
                "args": ["probe", "--config", "/etc/mcp-diag/config.yaml", "--x=/etc/mcp-diag/a", "/etc/mcp-diagnostics"],
                "env": [{"name": "A", "value": "1"}, {"name": "B", "valueFrom": {}}],
                "volumeMounts": [{"name": "cfg", "mountPath": "/etc/mcp-diag"}]}],
            "volumes": [{"name": "cfg", "configMap": {"name": "probes"}}]}}}});
        let scratch = Path::new("/tmp/s");
        let l = launch(&job, scratch, |name| {
            (name == "probes").then(|| json!({"data": {"config.yaml": "probes: []\n"}}))
        })
        .unwrap();
        assert_eq!(
            l.args,
            vec![
                "probe",
                "--config",
                "/tmp/s/volume-0/config.yaml",
                "--x=/tmp/s/volume-0/a",
                "/etc/mcp-diagnostics"
            ]
        );
        assert_eq!(l.env, vec![("A".into(), "1".into()), ("B".into(), String::new())]);
        assert_eq!(
            l.files,
            vec![(
                PathBuf::from("/tmp/s/volume-0/config.yaml"),
                "probes: []\n".into()
            )]
        );
        let other = json!({"spec": {"template": {"spec": {"containers": [{"image": "busybox"}]}}}});
        assert_eq!(launch(&other, scratch, |_| None), None);
    }
}
