//! `mcp-diag data`: the knowledge tables, so that a user can see why a check decided.

use std::io::Write;

use serde_json::Value;

use super::{did_you_mean, hinted};
use crate::args::{DataArgs, OutputFormat};
use crate::exit::ExitStatus;

/// A table: its name, what it holds, and its rows as JSON objects.
struct KnowledgeTable {
    name: &'static str,
    about: &'static str,
    rows: fn() -> Vec<Value>,
}

fn rows_of<T: serde::Serialize>(rows: &[T]) -> Vec<Value> {
    rows.iter().filter_map(|r| serde_json::to_value(r).ok()).collect()
}

const TABLES: &[KnowledgeTable] = &[
    KnowledgeTable {
        name: "api-removals",
        about: "built-in APIs removed from 1.16 to 1.37 (api-removed, api-deprecated)",
        rows: || rows_of(mcp_diag_data::API_REMOVALS),
    },
    KnowledgeTable {
        name: "api-planned-removals",
        about: "deprecated APIs still served by 1.37, with their planned removal (api-deprecated)",
        rows: || rows_of(mcp_diag_data::API_PLANNED_REMOVALS),
    },
    KnowledgeTable {
        name: "api-served",
        about: "every built-in group/version/kind and the releases that serve it (api-unavailable)",
        rows: || rows_of(mcp_diag_data::API_SERVED),
    },
    KnowledgeTable {
        name: "skew",
        about: "the version skew policy between components (skew-kubelet, skew-kube-proxy, skew-control-plane)",
        rows: || rows_of(mcp_diag_data::skew::SKEW_RULES),
    },
    KnowledgeTable {
        name: "cloud-controller-managers",
        about: "cloud-controller-manager images and how their versions relate to Kubernetes",
        rows: || rows_of(mcp_diag_data::skew::CCM_IMAGES),
    },
    KnowledgeTable {
        name: "releases",
        about: "Kubernetes minor releases: release and end-of-life dates (version-end-of-life)",
        rows: || rows_of(mcp_diag_data::releases::RELEASES),
    },
    KnowledgeTable {
        name: "kubeadm-etcd",
        about: "the etcd version kubeadm pins per Kubernetes minor (etcd-version)",
        rows: || rows_of(mcp_diag_data::kubeadm::KUBEADM_ETCD),
    },
    KnowledgeTable {
        name: "kubeadm-coredns",
        about: "the CoreDNS version kubeadm installs per Kubernetes minor (addon-unsupported)",
        rows: || rows_of(mcp_diag_data::kubeadm::KUBEADM_COREDNS),
    },
    KnowledgeTable {
        name: "etcd-issues",
        about: "etcd releases with known data-safety issues (etcd-version)",
        rows: || rows_of(mcp_diag_data::etcd::ETCD_ISSUES),
    },
    KnowledgeTable {
        name: "etcd-upgrade-path",
        about: "etcd's supported upgrade steps between minors (etcd-version)",
        rows: || rows_of(mcp_diag_data::etcd::ETCD_UPGRADE_PATH),
    },
    KnowledgeTable {
        name: "kubeadm-etcd-minimums",
        about: "the oldest etcd a kubeadm release accepts (etcd-version)",
        rows: || rows_of(mcp_diag_data::etcd::KUBEADM_ETCD_MINIMUMS),
    },
    KnowledgeTable {
        name: "addons",
        about: "CNI and add-on versions and the Kubernetes releases they support (addon-unsupported)",
        rows: || rows_of(mcp_diag_data::addons::ADDON_SUPPORT),
    },
    KnowledgeTable {
        name: "intree-volume-plugins",
        about: "in-tree volume plugins, their CSI replacements and removal releases (storage-intree-plugin-removed)",
        rows: || rows_of(mcp_diag_data::intree::INTREE_PLUGINS),
    },
    KnowledgeTable {
        name: "csi-driver-images",
        about: "images that reveal an installed CSI driver (storage-intree-plugin-removed)",
        rows: || rows_of(mcp_diag_data::intree::CSI_DRIVER_IMAGES),
    },
];

pub fn run(args: &DataArgs) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    let Some(name) = &args.table else {
        if args.output == OutputFormat::Json {
            let list: Vec<Value> = TABLES
                .iter()
                .map(|t| serde_json::json!({"name": t.name, "about": t.about, "rows": (t.rows)().len()}))
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
            return Ok(ExitStatus::Success);
        }
        if args.markdown {
            writeln!(out, "| table | rows | what it holds (the checks that use it) |")?;
            writeln!(out, "|---|---|---|")?;
            for t in TABLES {
                writeln!(out, "| `{}` | {} | {} |", t.name, (t.rows)().len(), t.about)?;
            }
            return Ok(ExitStatus::Success);
        }
        writeln!(out, "Knowledge tables (mcp-diag data NAME to print one):\n")?;
        for t in TABLES {
            let n = (t.rows)().len();
            let rows = if n == 1 { "row " } else { "rows" };
            writeln!(out, "  {:<26} {n:>4} {rows}  {}", t.name, t.about)?;
        }
        return Ok(ExitStatus::Success);
    };
    let wanted = name.trim().to_ascii_lowercase();
    let Some(table) = TABLES.iter().find(|t| t.name == wanted) else {
        let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        let hint = did_you_mean(&wanted, names.iter().copied())
            .unwrap_or_else(|| format!("known tables: {}", names.join(", ")));
        return Err(hinted(format!("unknown table {name:?}"), hint));
    };
    let rows = (table.rows)();
    match args.output {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
        OutputFormat::Table => write!(out, "{}", render(&rows))?,
    }
    Ok(ExitStatus::Success)
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        // Enums with data serialise as {"Variant": value}: read as "Variant value".
        Value::Object(map) if map.len() == 1 => map
            .iter()
            .map(|(k, v)| format!("{k} {}", cell(v)).trim_end().to_owned())
            .collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", cell(v)))
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

/// One block per row: what the row is about, its facts, then its note and source. Tables
/// of facts with long sources do not fit terminal columns; blocks stay readable and greppable.
fn render(rows: &[Value]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for row in rows {
        let Value::Object(fields) = row else { continue };
        let mut heading = Vec::new();
        let mut facts = Vec::new();
        let mut prose = Vec::new();
        for (key, value) in fields {
            let text = cell(value);
            match key.as_str() {
                "group" | "version" | "kind" | "component" | "name" | "minor" | "provisioner" | "id" => {
                    if !text.is_empty() {
                        heading.push(text);
                    }
                }
                "note" | "notes" | "source" => {
                    if !text.is_empty() {
                        prose.push(format!("{key}: {text}"));
                    }
                }
                _ => facts.push(format!(
                    "{key}: {}",
                    if text.is_empty() { "-".to_owned() } else { text }
                )),
            }
        }
        let _ = writeln!(out, "{}", heading.join(" "));
        if !facts.is_empty() {
            let _ = writeln!(out, "    {}", facts.join("   "));
        }
        for line in prose {
            let _ = writeln!(out, "    {line}");
        }
    }
    let _ = writeln!(out, "\n{}", mcp_diag_model::plural(rows.len(), "row", "rows"));
    out
}
