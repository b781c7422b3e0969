//! `--config FILE`: settings a team keeps in its repository, overridden by flags.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mcp_diag_model::Severity;
use serde::Deserialize;

/// The config file. Every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct ConfigFile {
    pub target_version: Option<String>,
    pub fail_on: Option<String>,
    pub backup_max_age: Option<String>,
    pub restart_threshold: Option<i64>,
    pub node_full_percent: Option<u64>,
    /// A rules file, relative to the config file.
    pub rules: Option<PathBuf>,
    /// A directory of declared manifests, relative to the config file.
    pub desired: Option<PathBuf>,
    #[serde(default)]
    pub checks: BTreeMap<String, CheckSetting>,
    /// The kubeconfig contexts a scan without a path reads (`init` writes them).
    #[serde(default)]
    pub clusters: Vec<ClusterEntry>,
    // The sections of `upgrade`, `rehearse` and `gates` (validated by
    // mcp_diag_rollout::config_file) and of later commands: one file serves them all.
    #[serde(rename = "upgrade")]
    _upgrade: Option<serde::de::IgnoredAny>,
    #[serde(rename = "gates")]
    _gates: Option<serde::de::IgnoredAny>,
    #[serde(rename = "services")]
    _services: Option<serde::de::IgnoredAny>,
    #[serde(rename = "probes")]
    _probes: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterEntry {
    pub context: String,
    /// A kubeconfig file other than the default one, relative to the config file.
    pub kubeconfig: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSetting {
    pub enabled: Option<bool>,
    pub severity: Option<String>,
}

/// What the config file asks for, validated.
#[derive(Debug, Default)]
pub struct Config {
    pub target_version: Option<String>,
    pub fail_on: Option<Severity>,
    /// `fail_on: none`: a report-only run.
    pub report_only: bool,
    pub backup_max_age: Option<String>,
    pub restart_threshold: Option<i64>,
    pub node_full_percent: Option<u64>,
    pub rules: Option<PathBuf>,
    pub desired: Option<PathBuf>,
    pub disabled: BTreeSet<String>,
    pub severity: BTreeMap<String, Severity>,
    /// `clusters:`: the contexts to read when neither a path nor --context is given.
    pub contexts: Vec<String>,
    /// The kubeconfig those contexts are in, when the file names one.
    pub kubeconfig: Option<PathBuf>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let raw: ConfigFile = serde_saphyr::from_str(&text).map_err(|e| {
            format!(
                "{}: {}",
                path.display(),
                e.to_string().lines().next().unwrap_or_default()
            )
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut config = Self {
            target_version: raw.target_version,
            backup_max_age: raw.backup_max_age,
            restart_threshold: raw.restart_threshold,
            node_full_percent: raw.node_full_percent,
            contexts: raw.clusters.iter().map(|c| c.context.clone()).collect(),
            kubeconfig: raw
                .clusters
                .iter()
                .find_map(|c| c.kubeconfig.as_ref())
                .map(|k| base.join(k)),
            rules: raw.rules.map(|r| base.join(r)),
            desired: raw.desired.map(|d| base.join(d)),
            ..Self::default()
        };
        if raw
            .fail_on
            .as_deref()
            .is_some_and(|f| f.trim().eq_ignore_ascii_case("none"))
        {
            config.report_only = true;
        } else if let Some(f) = raw.fail_on {
            config.fail_on = Some(
                f.parse()
                    .map_err(|e| format!("{}: fail_on: {e}", path.display()))?,
            );
        }
        let kubeconfigs: BTreeSet<&PathBuf> = raw
            .clusters
            .iter()
            .filter_map(|c| c.kubeconfig.as_ref())
            .collect();
        if kubeconfigs.len() > 1 {
            return Err(format!(
                "{}: clusters: the contexts name {} kubeconfig files; one scan reads one file (merge them, or keep one config per file)",
                path.display(),
                kubeconfigs.len()
            ));
        }
        for (id, setting) in raw.checks {
            check_id(&id).map_err(|e| format!("{}: checks.{id}: {e}", path.display()))?;
            if setting.enabled == Some(false) {
                config.disabled.insert(id.to_ascii_lowercase());
            }
            if let Some(s) = setting.severity {
                let severity = s
                    .parse()
                    .map_err(|e| format!("{}: checks.{id}.severity: {e}", path.display()))?;
                config.severity.insert(id.to_ascii_lowercase(), severity);
            }
        }
        Ok(config)
    }
}

/// A known check id, or an error that lists them.
/// Ids are lower case; any case is accepted, as `explain` does.
pub fn check_id(id: &str) -> Result<(), String> {
    if mcp_diag_checks::check_info(&id.trim().to_ascii_lowercase()).is_some() {
        Ok(())
    } else {
        let ids = mcp_diag_checks::CHECKS.iter().map(|c| c.id);
        match crate::hint::did_you_mean(id, ids) {
            Some(suggestion) => Err(format!("unknown check id {id:?}: {suggestion}")),
            None => Err(format!(
                "unknown check id {id:?} (`mcp-diag explain` lists the {} checks)",
                mcp_diag_checks::CHECKS.len()
            )),
        }
    }
}

/// Parses `ID=SEVERITY` from `--severity`.
pub fn severity_override(text: &str) -> Result<(String, Severity), String> {
    let (id, level) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: write it as ID=SEVERITY, e.g. probe-missing-liveness=info"))?;
    check_id(id.trim())?;
    let severity = level.trim().parse::<Severity>().map_err(|e| e.to_string())?;
    Ok((id.trim().to_ascii_lowercase(), severity))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mcp-diag.yaml");
        std::fs::write(
            &path,
            "fail_on: medium\nbackup_max_age: 48h\nrules: rules.yaml\nchecks:\n  api-deprecated: {severity: low}\n  version-hops: {enabled: false}\n",
        )
        .unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.fail_on, Some(Severity::Medium));
        assert!(!c.report_only);
        assert_eq!(c.severity["api-deprecated"], Severity::Low);
        assert!(c.disabled.contains("version-hops"));
        assert_eq!(c.rules.unwrap(), dir.path().join("rules.yaml"));
        let none = dir.path().join("none.yaml");
        std::fs::write(&none, "fail_on: none\n").unwrap();
        let c = Config::load(&none).unwrap();
        assert!(c.report_only && c.fail_on.is_none());
        std::fs::write(&path, "checks:\n  no-such-check: {enabled: false}\n").unwrap();
        assert!(Config::load(&path).unwrap_err().contains("unknown check id"));
        std::fs::write(&path, "fail_onn: high\n").unwrap();
        assert!(Config::load(&path).is_err());
        assert!(severity_override("api-deprecated=high").is_ok());
        assert!(severity_override("api-deprecated").is_err());
        assert!(severity_override("nope=high").is_err());
    }

    #[test]
    fn the_upgrade_starter_is_a_valid_scan_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upgrade.yaml");
        let text = format!(
            "fail_on: medium\n{}\nservices: []\nprobes: {{}}\n",
            mcp_diag_rollout::config_file::STARTER
        );
        std::fs::write(&path, text).unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.fail_on, Some(Severity::Medium));
        std::fs::write(&path, "upgrade: {soak: 1m}\nupgrad: {}\n").unwrap();
        assert!(Config::load(&path).unwrap_err().contains("upgrad"));
    }
}
