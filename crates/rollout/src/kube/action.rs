//! The node and control-plane actions: a command run here, a Job pinned to the node, or a
//! label for an agent on the node.

use std::process::Stdio;
use std::time::{Duration, Instant};

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

use super::{call, human_duration};
use crate::config::{Action, ActionKind, JobAction, substitute};
use crate::model::{Direction, OpResult};

/// The words `{node}`, `{version}` and `{from_version}` stand for.
#[derive(Clone, Debug)]
pub(crate) struct Words<'a> {
    pub node: &'a str,
    pub version: &'a str,
    pub from_version: &'a str,
}

impl Words<'_> {
    fn sub(&self, text: &str) -> String {
        substitute(text, self.node, self.version, self.from_version)
    }
}

/// Lines of output kept in a detail.
const TAIL_LINES: usize = 5;

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    lines[start..]
        .iter()
        .map(|l| l.chars().take(300).collect::<String>())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Runs an exec action to its end or its timeout (which kills it).
pub(crate) async fn exec(
    argv: &[String],
    shell: bool,
    timeout: Duration,
    words: &Words<'_>,
) -> (OpResult, String) {
    let words_sub: Vec<String> = argv.iter().map(|a| words.sub(a)).collect();
    let mut cmd = if shell {
        let mut c = tokio::process::Command::new("sh");
        c.arg("-c").arg(words_sub.join(" "));
        c
    } else {
        let Some((program, args)) = words_sub.split_first() else {
            return failed("the exec action has an empty command".into());
        };
        let mut c = tokio::process::Command::new(program);
        c.args(args);
        c
    };
    let shown = words_sub.join(" ");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("MCP_DIAG_NODE", words.node)
        .env("MCP_DIAG_TARGET_VERSION", words.version)
        .env("MCP_DIAG_FROM_VERSION", words.from_version)
        .kill_on_drop(true);
    // Its own process group, so a timeout kills what `sh -c` started too.
    #[cfg(unix)]
    cmd.process_group(0);
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot run `{shown}`: {e}")),
    };
    let pid = child.id();
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(out)) => {
            let code = out
                .status
                .code()
                .map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit status {c}"));
            let mut detail = format!("`{shown}`: {code}");
            let (so, se) = (tail(&out.stdout), tail(&out.stderr));
            if !so.is_empty() {
                detail.push_str(&format!("; stdout: {so}"));
            }
            if !se.is_empty() {
                detail.push_str(&format!("; stderr: {se}"));
            }
            if out.status.success() {
                (OpResult::Ok, detail)
            } else {
                (
                    OpResult::Failed {
                        reason: detail.clone(),
                    },
                    detail,
                )
            }
        }
        Ok(Err(e)) => failed(format!("`{shown}`: cannot read its output: {e}")),
        Err(_) => {
            // The child was dropped (killed); its group may hold more.
            if let Some(pid) = pid {
                let _ = tokio::process::Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .await;
            }
            failed(format!(
                "`{shown}` did not finish within {} and was killed",
                human_duration(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX))
            ))
        }
    }
}

fn failed(reason: String) -> (OpResult, String) {
    (
        OpResult::Failed {
            reason: reason.clone(),
        },
        reason,
    )
}

/// FNV-1a: a hash that stays the same across builds and platforms (the Job's name must).
fn fnv1a(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The Job of one node action: the same for the same run, node and direction, so a repeat
/// after a crash finds the Job it created. A DNS label of at most 63 characters.
pub fn job_name(run_id: &str, node: &str, direction: Direction) -> String {
    let dir = match direction {
        Direction::Upgrade => "up",
        Direction::Rollback => "rb",
    };
    let hash = fnv1a(&format!("{run_id}\n{node}\n{dir}")) & 0xffff_ffff;
    let clean: String = node
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(36)
        .collect();
    let clean = clean.trim_matches('-');
    format!("mcp-diag-{dir}-{clean}-{hash:08x}")
}

pub(crate) struct JobRun<'a> {
    pub run_id: &'a str,
    pub direction: Direction,
    pub timeout: Duration,
    pub poll: Duration,
}

/// Creates the Job (or attaches to the one a previous attempt created) and waits for it.
pub(crate) async fn job(
    client: &kube::Client,
    spec: &JobAction,
    run: &JobRun<'_>,
    words: &Words<'_>,
) -> (OpResult, String) {
    let name = job_name(run.run_id, words.node, run.direction);
    let key = format!("{}/{name}", spec.namespace);
    let jobs: Api<Job> = Api::namespaced(client.clone(), &spec.namespace);
    let mut env = vec![
        json!({"name": "MCP_DIAG_NODE", "value": words.node}),
        json!({"name": "MCP_DIAG_TARGET_VERSION", "value": words.version}),
        json!({"name": "MCP_DIAG_FROM_VERSION", "value": words.from_version}),
    ];
    env.extend(
        spec.env
            .iter()
            .map(|(k, v)| json!({"name": k, "value": words.sub(v)})),
    );
    let mut container = json!({
        "name": "upgrade",
        "image": words.sub(&spec.image),
        "command": spec.command.iter().map(|c| words.sub(c)).collect::<Vec<_>>(),
        "env": env,
    });
    if spec.privileged {
        container["securityContext"] = json!({"privileged": true});
    }
    let mut pod_spec = json!({
        "nodeName": words.node,
        "restartPolicy": "Never",
        // One toleration without a key tolerates every taint, the cordon's included.
        "tolerations": [{"operator": "Exists"}],
        "containers": [container],
    });
    if let Some(sa) = &spec.service_account {
        pod_spec["serviceAccountName"] = json!(sa);
    }
    let labels = json!({"app.kubernetes.io/managed-by": "mcp-diag", "upgrade.mcp-diag.io/node": label_value(words.node)});
    let doc = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": spec.namespace, "labels": labels,
            "annotations": {super::ANNOTATION_RUN: run.run_id}},
        // An upgrade script is not retried blindly: a failure stops the node.
        "spec": {"backoffLimit": 0, "template": {"metadata": {"labels": labels}, "spec": pod_spec}},
    });
    let job: Job = match serde_json::from_value(doc) {
        Ok(j) => j,
        Err(e) => return failed(format!("cannot build the Job {key}: {e}")),
    };
    let pp = PostParams::default();
    let attached = match call(&format!("create Job {key}"), || jobs.create(&pp, &job)).await {
        Ok(_) => false,
        Err(e) if e.already_exists() => true,
        Err(e) => return failed(format!("cannot create the Job {key}: {e}")),
    };
    let how = if attached {
        "attached to the existing"
    } else {
        "created"
    };
    let started = Instant::now();
    loop {
        match call(&format!("get Job {key}"), || jobs.get_opt(&name)).await {
            Ok(Some(j)) => {
                if let Some(done) = finished(&j) {
                    return match done {
                        Ok(()) => (OpResult::Ok, format!("{how} Job {key}: succeeded")),
                        Err(why) => failed(format!(
                            "{how} Job {key} failed: {why} (see kubectl -n {} logs job/{name})",
                            spec.namespace
                        )),
                    };
                }
            }
            Ok(None) => return failed(format!("the Job {key} was deleted before it finished")),
            Err(e) => return failed(format!("cannot read the Job {key}: {e}")),
        }
        if started.elapsed() >= run.timeout {
            return failed(format!(
                "{how} Job {key} did not finish within {}; it is left in place (kubectl -n {} delete job {name} removes it)",
                human_duration(u64::try_from(run.timeout.as_millis()).unwrap_or(u64::MAX)),
                spec.namespace
            ));
        }
        tokio::time::sleep(
            run.poll
                .min(run.timeout.saturating_sub(started.elapsed()))
                .max(Duration::from_millis(10)),
        )
        .await;
    }
}

/// `Some(Ok)` once succeeded, `Some(Err(why))` once failed, `None` while running.
fn finished(job: &Job) -> Option<Result<(), String>> {
    let status = job.status.as_ref()?;
    for c in status.conditions.iter().flatten() {
        if c.status == "True" {
            match c.type_.as_str() {
                "Complete" | "SuccessCriteriaMet" => return Some(Ok(())),
                "Failed" => {
                    return Some(Err(c
                        .message
                        .clone()
                        .or_else(|| c.reason.clone())
                        .unwrap_or_else(|| "condition Failed".into())));
                }
                _ => {}
            }
        }
    }
    if status.succeeded.unwrap_or(0) >= 1 {
        return Some(Ok(()));
    }
    if status.failed.unwrap_or(0) >= 1 {
        return Some(Err(format!("{} pod(s) failed", status.failed.unwrap_or(0))));
    }
    None
}

/// A label value: at most 63 characters of `[A-Za-z0-9-_.]`.
fn label_value(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect()
}

/// Sets the label; done once the server confirmed it (Verify waits for the kubelet).
pub(crate) async fn label(
    client: &kube::Client,
    key: &str,
    value: &str,
    words: &Words<'_>,
) -> (OpResult, String) {
    let nodes: Api<Node> = Api::all(client.clone());
    let value = words.sub(value);
    let patch = json!({"metadata": {"labels": {key: value}}});
    let (params, merge) = (PatchParams::default(), Patch::Merge(&patch));
    match call(&format!("label node {}", words.node), || {
        nodes.patch(words.node, &params, &merge)
    })
    .await
    {
        Ok(n) => {
            let set = n.metadata.labels.unwrap_or_default();
            if set.get(key) == Some(&value) {
                (OpResult::Ok, format!("labelled {key}={value}"))
            } else {
                failed(format!(
                    "the server did not keep the label {key}={value} on {}",
                    words.node
                ))
            }
        }
        Err(e) => failed(format!("cannot label {}: {e}", words.node)),
    }
}

/// Runs a node action of either direction.
pub(crate) async fn run(
    client: &kube::Client,
    action: &Action,
    run_id: &str,
    direction: Direction,
    poll: Duration,
    words: &Words<'_>,
) -> (OpResult, String) {
    let timeout = Duration::from_millis(action.timeout);
    match &action.kind {
        ActionKind::Exec { argv, shell } => exec(argv, *shell, timeout, words).await,
        ActionKind::Job(spec) => {
            let jr = JobRun {
                run_id,
                direction,
                timeout,
                poll,
            };
            job(client, spec, &jr, words).await
        }
        ActionKind::Label { key, value } => label(client, key, value, words).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_are_stable_dns_labels() {
        let a = job_name("run-1", "ip-10-0-0-1.ec2.internal", Direction::Upgrade);
        assert_eq!(
            a,
            job_name("run-1", "ip-10-0-0-1.ec2.internal", Direction::Upgrade)
        );
        assert_ne!(
            a,
            job_name("run-2", "ip-10-0-0-1.ec2.internal", Direction::Upgrade)
        );
        assert_ne!(
            a,
            job_name("run-1", "ip-10-0-0-1.ec2.internal", Direction::Rollback)
        );
        assert!(a.len() <= 63, "{a}");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{a}"
        );
        let long = job_name("r", &"n".repeat(200), Direction::Upgrade);
        assert!(long.len() <= 63, "{long}");
    }

    #[test]
    fn output_tail_keeps_the_last_lines() {
        let out = b"1\n2\n3\n4\n5\n6\n7\n";
        assert_eq!(tail(out), "3 | 4 | 5 | 6 | 7");
    }
}
