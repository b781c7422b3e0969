//! Kubeconfig conventions: `--kubeconfig`, else `KUBECONFIG` (a list of files, merged), else
//! `~/.kube/config`, else the in-cluster service account.

use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::LiveError;
use crate::fetch::describe;

/// Where the kubeconfig came from.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// Files (one, or the `KUBECONFIG` list) and their merged content.
    Files(Vec<PathBuf>, Box<Kubeconfig>),
    /// No kubeconfig anywhere: the in-cluster service account.
    InCluster,
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

fn read_file(path: &Path) -> Result<Kubeconfig, LiveError> {
    if !path.exists() {
        return Err(LiveError::Kubeconfig(format!(
            "{}: no such file (give another with --kubeconfig, or set KUBECONFIG)",
            path.display()
        )));
    }
    Kubeconfig::read_from(path)
        .map_err(|e| LiveError::Kubeconfig(format!("{}: {}", path.display(), describe(&e))))
}

/// Finds and reads the kubeconfig.
pub(crate) fn load(explicit: Option<&Path>) -> Result<Source, LiveError> {
    if let Some(path) = explicit {
        return Ok(Source::Files(vec![path.to_owned()], Box::new(read_file(path)?)));
    }
    if let Some(list) = std::env::var_os("KUBECONFIG") {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            // As kubectl does: missing files in the list are skipped, the rest merged with
            // the first file to set a value winning.
            let existing: Vec<PathBuf> = paths.iter().filter(|p| p.exists()).cloned().collect();
            if existing.is_empty() {
                return Err(LiveError::Kubeconfig(format!(
                    "KUBECONFIG names no existing file ({})",
                    paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            let mut merged = Kubeconfig::default();
            for path in &existing {
                merged = merged
                    .merge(read_file(path)?)
                    .map_err(|e| LiveError::Kubeconfig(format!("{}: {}", path.display(), describe(&e))))?;
            }
            return Ok(Source::Files(existing, Box::new(merged)));
        }
    }
    if let Some(default) = home().map(|h| h.join(".kube").join("config"))
        && default.exists()
    {
        return Ok(Source::Files(
            vec![default.clone()],
            Box::new(read_file(&default)?),
        ));
    }
    Ok(Source::InCluster)
}

/// The contexts of a kubeconfig and the current one.
pub(crate) fn contexts(explicit: Option<&Path>) -> Result<(Vec<String>, Option<String>), LiveError> {
    match load(explicit)? {
        Source::Files(_, kc) => Ok((
            kc.contexts.iter().map(|c| c.name.clone()).collect(),
            kc.current_context.clone().filter(|c| !c.is_empty()),
        )),
        Source::InCluster => Err(LiveError::Kubeconfig(
            "no kubeconfig found (no --kubeconfig, KUBECONFIG or ~/.kube/config)".to_owned(),
        )),
    }
}

/// A client for one context, and the context's name.
pub(crate) async fn client(
    explicit: Option<&Path>,
    context: Option<&str>,
) -> Result<(kube::Client, String), LiveError> {
    install_crypto_provider();
    let (config, name) = match load(explicit)? {
        Source::InCluster => {
            if let Some(context) = context {
                return Err(LiveError::Kubeconfig(format!(
                    "context {context:?} asked for, but no kubeconfig was found (no --kubeconfig, KUBECONFIG or ~/.kube/config)"
                )));
            }
            let config = kube::Config::incluster().map_err(|e| {
                LiveError::Kubeconfig(format!(
                    "no kubeconfig found (no --kubeconfig, KUBECONFIG or ~/.kube/config) and not running in a cluster: {}",
                    describe(&e)
                ))
            })?;
            (config, "in-cluster".to_owned())
        }
        Source::Files(paths, kc) => {
            let shown = paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(":");
            let available = || {
                let names: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
                if names.is_empty() {
                    "it has no contexts".to_owned()
                } else {
                    format!("its contexts: {}", names.join(", "))
                }
            };
            let name = match context {
                Some(c) => c.to_owned(),
                None => kc
                    .current_context
                    .clone()
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| {
                        LiveError::Kubeconfig(format!(
                            "{shown}: no current-context; choose one with --context ({})",
                            available()
                        ))
                    })?,
            };
            if !kc.contexts.iter().any(|c| c.name == name) {
                return Err(LiveError::Kubeconfig(format!(
                    "{shown}: no context named {name:?} ({})",
                    available()
                )));
            }
            let options = KubeConfigOptions {
                context: Some(name.clone()),
                ..KubeConfigOptions::default()
            };
            let config = kube::Config::from_custom_kubeconfig(*kc, &options)
                .await
                .map_err(|e| LiveError::Kubeconfig(format!("{shown}: context {name:?}: {}", describe(&e))))?;
            (config, name)
        }
    };
    let client = kube::Client::try_from(without_retry(config)).map_err(|e| {
        LiveError::Kubeconfig(format!("cannot build a client for {name:?}: {}", describe(&e)))
    })?;
    Ok((client, name))
}

/// kube's default client stack retries 429, 503 and 504 itself (up to 15 times, honouring
/// `Retry-After`; `Config::default_retry`, kube-client 5). Under the fetcher's own retries
/// that multiplied the attempts and hid the answers: a throttling server looked like one that
/// never answered. The fetcher is the one retry layer.
pub(crate) fn without_retry(mut config: kube::Config) -> kube::Config {
    config.default_retry = false;
    config
}

/// rustls needs one process-wide crypto provider; only aws-lc-rs is built in.
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Fails only when another provider was installed first, which is fine.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECONFIG: &str = "apiVersion: v1\nkind: Config\ncurrent-context: dev\nclusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:9'}\ncontexts:\n- name: dev\n  context: {cluster: c, user: u}\n- name: prod\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: abc}\n";

    #[test]
    fn contexts_of_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, KUBECONFIG).unwrap();
        let (names, current) = contexts(Some(&path)).unwrap();
        assert_eq!(names, ["dev", "prod"]);
        assert_eq!(current.as_deref(), Some("dev"));
        let missing = contexts(Some(&dir.path().join("nope"))).unwrap_err();
        assert!(missing.to_string().contains("no such file"), "{missing}");
        std::fs::write(&path, "clusters: [").unwrap();
        assert!(matches!(contexts(Some(&path)), Err(LiveError::Kubeconfig(_))));
    }

    #[tokio::test]
    async fn unknown_context_names_the_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, KUBECONFIG).unwrap();
        let err = client(Some(&path), Some("staging")).await.err().unwrap();
        let text = err.to_string();
        assert!(
            text.contains("no context named \"staging\"") && text.contains("dev, prod"),
            "{text}"
        );
        let (_, name) = client(Some(&path), None).await.unwrap();
        assert_eq!(name, "dev");
        let (_, name) = client(Some(&path), Some("prod")).await.unwrap();
        assert_eq!(name, "prod");
        std::fs::write(&path, KUBECONFIG.replace("current-context: dev\n", "")).unwrap();
        let err = client(Some(&path), None).await.err().unwrap().to_string();
        assert!(err.contains("no current-context"), "{err}");
    }
}
