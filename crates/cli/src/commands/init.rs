//! `mcp-diag init [PATH]`: one commented config that every command reads with `--config`,
//! written from what a cluster or snapshot holds: the clusters, the services found with their
//! edges and versions, probes derived from what the services declare, and the check settings.
//! `--upgrade` adds the rollout sections; `--update FILE` adds what is new to an existing file
//! and keeps everything already in it (values and comments).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use mcp_diag_model::{Inventory, Node, Object};
use mcp_diag_services::{Graph, NodeId, NodeKind};

use super::hinted;
use crate::args::InitArgs;
use crate::exit::ExitStatus;

pub fn run(args: &InitArgs) -> anyhow::Result<ExitStatus> {
    let live_asked = super::live::asked_for(&args.live);
    if args.paths.is_empty() && !live_asked && args.upgrade && args.update.is_none() {
        // `init --upgrade` alone: the rollout starter, no cluster read (as before).
        return print(mcp_diag_rollout::config_file::STARTER);
    }
    let inventory = super::inputs::load_inventory(&args.paths, &args.live)?;
    let declared = match &args.update {
        Some(file) => load_existing(file)?,
        None => mcp_diag_services::Declared::default(),
    };
    let graph = Graph::build(&inventory, &declared);
    // A live read is named after its kubeconfig context.
    let contexts = if args.paths.is_empty() {
        vec![inventory.cluster.name.clone()]
    } else {
        Vec::new()
    };
    let parts = generate(&inventory, &graph, &contexts, args.upgrade);
    match &args.update {
        None => print(&parts.render()),
        Some(file) => {
            let existing =
                std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
            let (text, added) = update(&existing, &parts)
                .map_err(|e| hinted(format!("{}: {e}", file.display()), "edit the file by hand"))?;
            let tmp = file.with_extension("yaml.tmp");
            std::fs::write(&tmp, &text)
                .and_then(|()| std::fs::rename(&tmp, file))
                .with_context(|| format!("cannot write {}", file.display()))?;
            eprintln!(
                "{}: {}",
                file.display(),
                if added.is_empty() {
                    "up to date: nothing new found".to_owned()
                } else {
                    format!("added {}", added.join(", "))
                }
            );
            Ok(ExitStatus::Success)
        }
    }
}

fn print(text: &str) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write the config to standard output")?;
    Ok(ExitStatus::Success)
}

/// Checks an existing file the way every command will read it (unknown keys are errors with
/// their line), and returns its `services:` declarations so the graph includes them.
fn load_existing(file: &Path) -> anyhow::Result<mcp_diag_services::Declared> {
    crate::config::Config::load(file).map_err(|e| hinted(e, "fix the file, then run init --update again"))?;
    mcp_diag_services::declared::load(file).map_err(|errors| {
        hinted(
            errors.join("\n"),
            "fix the services: section, then run init --update again",
        )
    })
}

/// The generated config in pieces, so that `--update` can add only what is missing.
#[derive(Debug, Default)]
pub struct Parts {
    header: String,
    /// Top-level scalar settings: key and the whole text (comment lines included).
    settings: Vec<(String, String)>,
    /// Whole top-level sections other than services and probes: key and text.
    sections: Vec<(String, String)>,
    /// `services:` entries: key (`ns/name`) and text (indented by two spaces).
    services: Vec<(String, String)>,
    services_intro: String,
    /// `probes:` items: name and text (a `- name:` item indented by two spaces).
    probes: Vec<(String, String)>,
    probes_intro: String,
    /// The rollout sections (`--upgrade`), appended whole.
    rollout: Option<String>,
}

impl Parts {
    pub fn render(&self) -> String {
        let mut out = self.header.clone();
        for (_, text) in &self.settings {
            out.push_str(text);
        }
        for (_, text) in &self.sections {
            out.push('\n');
            out.push_str(text);
        }
        out.push('\n');
        out.push_str(&self.services_intro);
        if self.services.is_empty() {
            out.push_str("services: {}\n");
        } else {
            out.push_str("services:\n");
            for (_, text) in &self.services {
                out.push_str(text);
            }
        }
        out.push('\n');
        out.push_str(&self.probes_intro);
        if self.probes.is_empty() {
            out.push_str("probes: []\n");
        } else {
            out.push_str("probes:\n");
            for (_, text) in &self.probes {
                out.push_str(text);
            }
        }
        if let Some(rollout) = &self.rollout {
            out.push('\n');
            out.push_str(rollout);
        }
        out
    }
}

/// Builds the config's pieces from an inventory and its graph.
pub fn generate(inventory: &Inventory, graph: &Graph, contexts: &[String], upgrade: bool) -> Parts {
    let mut parts = Parts {
        header: format!(
            "# mcp-diag config, written by `mcp-diag init` from {}.\n\
             # Every command reads it with --config. `mcp-diag init --update FILE` adds what is new\n\
             # and keeps what is here. Services: docs/services.md; probes: README, \"Probes\".\n\n",
            inventory.source
        ),
        ..Parts::default()
    };
    let next = inventory
        .cluster
        .server_version
        .as_ref()
        .map(|v| v.minor().next().to_string());
    parts.settings.push((
        "target_version".into(),
        match next {
            Some(v) => {
                format!("# The release to upgrade to (scan, plan, upgrade).\ntarget_version: \"{v}\"\n")
            }
            None => "# The release to upgrade to (scan, plan, upgrade).\n# target_version: \"1.32\"\n".into(),
        },
    ));
    parts.settings.push((
        "fail_on".into(),
        "# Exit 2 on findings at or above this severity (a blocker always exits 3; none: report only).\nfail_on: high\n"
            .into(),
    ));
    let mut clusters = String::from(
        "# The clusters scan, snapshot and plan read when no path is given (kubeconfig contexts).\n",
    );
    if contexts.is_empty() {
        let _ = writeln!(
            clusters,
            "# clusters:\n#   - context: {}",
            yaml_str(&inventory.cluster.name)
        );
    } else {
        clusters.push_str("clusters:\n");
        for c in contexts {
            let _ = writeln!(clusters, "  - context: {}", yaml_str(c));
        }
    }
    parts.sections.push(("clusters".into(), clusters));
    parts.sections.push((
        "checks".into(),
        "# Per-check settings (`mcp-diag explain` lists the checks): turn one off or change its severity.\n\
         checks: {}\n\
         #   pod-restarts: {severity: low}\n\
         #   dep-undeclared-egress: {enabled: false}\n"
            .into(),
    ));
    parts.services_intro =
        "# The services found, what each calls (with where that was found) and its running version.\n\
         # Edges found in the cluster are listed under depends_on; state what a service provides and\n\
         # requires (API versions, protocols) so that dep-api-mismatch can check each pair:\n\
         #   shop/user-auth: {requires: {profile-svc: {api: \">=v2\"}}}\n\
         #   shop/profile-svc: {provides: {api: [v1, v2]}}\n"
            .into();
    parts.services = services(graph);
    parts.probes_intro =
        "# Probes derived from what the services declare (`mcp-diag probe --config FILE`; DNS names\n\
         # resolve inside the cluster: add --in-cluster, or port-forward and edit the URLs).\n"
            .into();
    parts.probes = probes(inventory, graph);
    if upgrade {
        parts.rollout = Some(mcp_diag_rollout::config_file::STARTER.to_owned());
    }
    parts
}

fn display(graph: &Graph, id: NodeId) -> String {
    let n = graph.node(id);
    format!("{}/{}", n.namespace, n.name)
}

fn services(graph: &Graph) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut ids: Vec<NodeId> = (0..graph.nodes.len() as u32).map(NodeId).collect();
    ids.sort_by_key(|&id| display(graph, id));
    for id in ids {
        let node = graph.node(id);
        if !matches!(node.kind, NodeKind::Service | NodeKind::Workload) {
            continue;
        }
        use mcp_diag_services::EdgeSource;
        // Found edges only: declarations (annotations, this file) are kept where they are.
        let deps: Vec<_> = graph
            .dependencies(id)
            .filter(|e| {
                !matches!(
                    e.source,
                    EdgeSource::NetworkPolicy | EdgeSource::Annotation | EdgeSource::Config
                )
            })
            .collect();
        let called = graph.edges.iter().any(|e| e.to == id);
        if deps.is_empty() && !called && node.declared.is_none() {
            continue;
        }
        let key = display(graph, id);
        let mut text = String::new();
        let running = match (&node.version, &node.version_source) {
            (Some(v), Some(src)) => format!("runs {v} ({src})"),
            (Some(v), None) => format!("runs {v}"),
            _ => "version unknown".into(),
        };
        let what = match (&node.kind, node.workloads.first()) {
            (NodeKind::Service, Some(w)) => format!("Service, {} {}", w.kind, w.name),
            (NodeKind::Service, None) => "Service, selects no workload in the input".into(),
            (_, _) => node
                .object
                .as_ref()
                .map_or_else(|| "workload".into(), |o| format!("{} {}", o.kind, o.name)),
        };
        let _ = writeln!(text, "  # {what}; {running}");
        if let Some(d) = &node.declared {
            let mut said = Vec::new();
            if !d.provides_api.is_empty() {
                said.push(format!("provides api {}", d.provides_api.join(", ")));
            }
            for (to, r) in &d.requires {
                let mut what = Vec::new();
                if let Some(a) = &r.api {
                    what.push(format!("api {a}"));
                }
                if let Some(v) = &r.version {
                    what.push(format!("version {v}"));
                }
                if let Some(p) = &r.protocol {
                    what.push(format!("protocol {p}"));
                }
                said.push(format!("requires {to} {}", what.join(", ")));
            }
            if !said.is_empty() {
                let _ = writeln!(
                    text,
                    "  # declared in the cluster or this file: {}",
                    one_line(&said.join("; "))
                );
            }
        }
        let _ = writeln!(text, "  {}:", yaml_key(&key));
        if deps.is_empty() {
            let _ = writeln!(text, "    depends_on: []");
        } else {
            let _ = writeln!(text, "    depends_on:");
            let mut seen = BTreeSet::new();
            for e in deps {
                let to = display(graph, e.to);
                let item = match &e.protocol {
                    Some(p) => format!("{to}:{p}"),
                    None => to,
                };
                if !seen.insert(item.clone()) {
                    continue;
                }
                let evidence = e
                    .evidence
                    .first()
                    .map(|ev| format!("  # {} {}: {}", ev.object.kind, ev.object.name, ev.detail))
                    .unwrap_or_default();
                let _ = writeln!(text, "      - {}{}", yaml_str(&item), one_line(&evidence));
            }
        }
        out.push((key, text));
    }
    out
}

/// A comment kept on one line.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// What a probe of one Service port would be.
#[derive(Debug, PartialEq, Eq)]
struct Derived {
    name: String,
    url: String,
    expect: Option<u16>,
    latency_p99: &'static str,
    note: &'static str,
}

fn probes(inventory: &Inventory, graph: &Graph) -> Vec<(String, String)> {
    let by_ref: HashMap<(&str, &str, &str), &Object> = inventory
        .objects
        .iter()
        .map(|o| {
            (
                (
                    o.kind.as_str(),
                    o.namespace.as_deref().unwrap_or(""),
                    o.name.as_str(),
                ),
                o,
            )
        })
        .collect();
    let mut derived = Vec::new();
    for node in &graph.nodes {
        if node.kind != NodeKind::Service {
            continue;
        }
        // A headless Service resolves to the same pods as the Service beside it: one probe.
        let headless = by_ref
            .get(&("Service", node.namespace.as_str(), node.name.as_str()))
            .and_then(|o| o.raw.root().path(&["spec", "clusterIP"]))
            .and_then(|ip| ip.as_str())
            == Some("None");
        if headless {
            continue;
        }
        let templates: Vec<Node<'_>> = node
            .workloads
            .iter()
            .filter_map(|w| by_ref.get(&(w.kind.as_str(), node.namespace.as_str(), w.name.as_str())))
            .filter_map(|o| pod_spec(o))
            .collect();
        derived.extend(derive(&node.namespace, &node.name, &node.ports, &templates));
    }
    let mut names = BTreeMap::new();
    for d in derived {
        let mut text = String::new();
        let _ = writeln!(text, "  - name: {}", yaml_str(&d.name));
        if !d.note.is_empty() {
            let _ = writeln!(text, "    # {}", d.note);
        }
        let _ = writeln!(text, "    url: {}", yaml_str(&d.url));
        if let Some(code) = d.expect {
            let _ = writeln!(text, "    expect: {code}");
        }
        let _ = writeln!(text, "    latency_p99: {}", d.latency_p99);
        names.entry(d.name).or_insert(text);
    }
    names.into_iter().collect()
}

/// The pod spec of a workload, a Job's template, a CronJob's job template or a bare Pod.
fn pod_spec(object: &Object) -> Option<Node<'_>> {
    let root = object.raw.root();
    match object.kind.as_str() {
        "Pod" => root.get("spec"),
        "CronJob" => root.path(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => root.path(&["spec", "template", "spec"]),
    }
}

/// Probes for one Service: an HTTP probe of each readiness `httpGet` path its pods declare on
/// a port the Service exposes, and a Redis, Postgres or gRPC probe for each port recognised by
/// its `appProtocol`, its name or the image of the container behind it.
fn derive(
    namespace: &str,
    service: &str,
    ports: &[mcp_diag_services::Port],
    pod_specs: &[Node<'_>],
) -> Vec<Derived> {
    let host = format!("{service}.{namespace}.svc.cluster.local");
    let mut out = Vec::new();
    for port in ports {
        // The container port behind this Service port: by name or number.
        let target = port.target_port.clone().unwrap_or_else(|| port.port.to_string());
        let mut image = String::new();
        let mut readiness: Option<(String, String)> = None;
        for spec in pod_specs {
            for c in spec
                .field("containers")
                .as_seq()
                .into_iter()
                .flat_map(|s| s.iter())
            {
                let exposes = c
                    .field("ports")
                    .as_seq()
                    .into_iter()
                    .flat_map(|s| s.iter())
                    .any(|p| {
                        p.field("name").as_str() == Some(target.as_str())
                            || p.field("containerPort")
                                .as_i64()
                                .map(|n| n.to_string())
                                .as_deref()
                                == Some(target.as_str())
                    });
                if !exposes {
                    continue;
                }
                image = c.field("image").as_str().unwrap_or_default().to_ascii_lowercase();
                let get = c.path(&["readinessProbe", "httpGet"]);
                if let Some(get) = get {
                    let probe_port = get
                        .field("port")
                        .as_str()
                        .map(str::to_owned)
                        .or_else(|| get.field("port").as_i64().map(|n| n.to_string()));
                    let same_port = probe_port.as_deref() == Some(target.as_str())
                        || c.field("ports")
                            .as_seq()
                            .into_iter()
                            .flat_map(|s| s.iter())
                            .any(|p| {
                                let name = p.field("name").as_str();
                                let num = p.field("containerPort").as_i64().map(|n| n.to_string());
                                (name == Some(target.as_str()) || num.as_deref() == Some(target.as_str()))
                                    && (probe_port.as_deref() == name || probe_port == num)
                            });
                    if same_port && readiness.is_none() {
                        let path = get.field("path").as_str().unwrap_or("/").to_owned();
                        let scheme = get
                            .field("scheme")
                            .as_str()
                            .unwrap_or("HTTP")
                            .to_ascii_lowercase();
                        readiness = Some((scheme, path));
                    }
                }
            }
        }
        let name = port.name.as_deref().unwrap_or("").to_ascii_lowercase();
        let app = port.app_protocol.as_deref().unwrap_or("").to_ascii_lowercase();
        let kind_is = |words: &[&str]| {
            words.iter().any(|w| {
                app == *w
                    || name == *w
                    || name.starts_with(&format!("{w}-"))
                    || name.starts_with(&format!("tcp-{w}"))
            })
        };
        let base = format!("{namespace}/{service}:{}", port.port);
        if let Some((scheme, path)) = readiness {
            let scheme = if scheme == "https" { "https" } else { "http" };
            out.push(Derived {
                name: format!("{base} ready"),
                url: format!("{scheme}://{host}:{}{path}", port.port),
                expect: Some(200),
                latency_p99: "500ms",
                note: "the path of the pods' readiness probe",
            });
        } else if kind_is(&["redis"]) || (image.contains("redis") && port.port == 6379) {
            out.push(Derived {
                name: format!("{base} redis"),
                url: format!("redis://{host}:{}", port.port),
                expect: None,
                latency_p99: "50ms",
                note: "PING and SET/GET/DEL of a scratch key; add the password as redis://:PASSWORD@...",
            });
        } else if kind_is(&["postgres", "postgresql", "pg"])
            || (image.contains("postgres") && port.port == 5432)
        {
            out.push(Derived {
                name: format!("{base} postgres"),
                url: format!("postgres://postgres@{host}:{}/postgres", port.port),
                expect: None,
                latency_p99: "100ms",
                note: "set the user and database; the password comes from PGPASSWORD",
            });
        } else if kind_is(&["grpc", "grpc-web"]) || app == "kubernetes.io/h2c" && name.starts_with("grpc") {
            out.push(Derived {
                name: format!("{base} grpc"),
                url: format!("grpc://{host}:{}", port.port),
                expect: None,
                latency_p99: "250ms",
                note: "grpc.health.v1.Health/Check",
            });
        }
    }
    out
}

/// Adds to `existing` what `parts` has and the file lacks: top-level keys, services and probes
/// (by key and name). Nothing already in the file changes. Returns the new text and what was
/// added, in words.
pub fn update(existing: &str, parts: &Parts) -> Result<(String, Vec<String>), String> {
    let mut lines: Vec<String> = existing.lines().map(str::to_owned).collect();
    let mut added = Vec::new();
    let top = |lines: &[String]| -> BTreeMap<String, usize> {
        lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.starts_with([' ', '#', '\t', '-']) && l.contains(':'))
            .map(|(i, l)| (l.split(':').next().unwrap_or_default().trim().to_owned(), i))
            .collect()
    };
    let mut tail = String::new();
    let keys = top(&lines);
    for (key, text) in parts.settings.iter().chain(&parts.sections) {
        if !keys.contains_key(key) && !text.lines().all(|l| l.starts_with('#')) {
            tail.push('\n');
            tail.push_str(text);
            added.push(format!("`{key}`"));
        }
    }
    for (section, entries, existing_keys) in [
        ("services", &parts.services, service_keys(existing)),
        ("probes", &parts.probes, probe_names(existing)),
    ] {
        let new: Vec<&(String, String)> = entries
            .iter()
            .filter(|(k, _)| !existing_keys.contains(k))
            .collect();
        if new.is_empty() {
            continue;
        }
        added.push(format!("{} {section}", new.len()));
        let keys = top(&lines);
        match keys.get(section) {
            None => {
                tail.push('\n');
                tail.push_str(&format!("{section}:\n"));
                for (_, text) in &new {
                    tail.push_str(text);
                }
            }
            Some(&at) => {
                let rest = lines[at][section.len() + 1..].trim();
                if !rest.is_empty() && !rest.starts_with('#') {
                    if rest == "{}" || rest == "[]" {
                        lines[at] = format!("{section}:");
                    } else {
                        return Err(format!(
                            "`{section}:` is written on one line (flow style); init --update adds entries only to a block"
                        ));
                    }
                }
                // The block ends at the last indented line before the next top-level line.
                let mut end = at + 1;
                let mut i = at + 1;
                while i < lines.len() {
                    let l = &lines[i];
                    if l.starts_with(' ')
                        || l.starts_with('\t')
                        || (l.starts_with('-') && section == "probes")
                    {
                        end = i + 1;
                    } else if !l.trim().is_empty() && !l.starts_with('#') {
                        break;
                    }
                    i += 1;
                }
                let insert: Vec<String> = new
                    .iter()
                    .flat_map(|(_, t)| t.lines().map(str::to_owned))
                    .collect();
                lines.splice(end..end, insert);
            }
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text.push_str(&tail);
    Ok((text, added))
}

/// The keys of the `services:` block (two-space indented `key:` lines).
fn service_keys(text: &str) -> BTreeSet<String> {
    block(text, "services")
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            l.trim()
                .strip_suffix(':')
                .or_else(|| l.trim().split_once(": ").map(|(k, _)| k))
        })
        .map(|k| k.trim_matches('"').to_owned())
        .collect()
}

/// The names of the `probes:` list items.
fn probe_names(text: &str) -> BTreeSet<String> {
    block(text, "probes")
        .filter_map(|l| {
            l.trim_start()
                .strip_prefix("- name:")
                .or_else(|| l.trim_start().strip_prefix("name:"))
        })
        .map(|n| n.trim().trim_matches('"').to_owned())
        .collect()
}

fn block<'a>(text: &'a str, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let mut inside = false;
    text.lines().filter(move |l| {
        if !l.starts_with([' ', '#', '\t', '-']) && !l.trim().is_empty() {
            inside = l.split(':').next().is_some_and(|k| k.trim() == key);
            return false;
        }
        inside
    })
}

/// A YAML double-quoted string.
fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A mapping key: plain when it cannot be misread, quoted otherwise.
fn yaml_key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'))
        && !s.starts_with(['-', '.'])
    {
        s.to_owned()
    } else {
        yaml_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> Parts {
        Parts {
            header: "# h\n".into(),
            settings: vec![("fail_on".into(), "fail_on: high\n".into())],
            sections: vec![("checks".into(), "checks: {}\n".into())],
            services: vec![
                ("shop/a".into(), "  shop/a:\n    depends_on: []\n".into()),
                (
                    "shop/b".into(),
                    "  shop/b:\n    depends_on: [\"shop/a:http\"]\n".into(),
                ),
            ],
            probes: vec![("p1".into(), "  - name: \"p1\"\n    url: \"http://a\"\n".into())],
            ..Parts::default()
        }
    }

    #[test]
    fn update_keeps_what_is_there_and_adds_what_is_new() {
        let existing = "# mine\nfail_on: medium   # stricter\nservices:\n  # kept comment\n  shop/a:\n    requires: {shop/b: {api: \">=v2\"}}\n\nprobes: []\n";
        let (text, added) = update(existing, &parts()).unwrap();
        assert!(text.contains("fail_on: medium   # stricter"), "{text}");
        assert!(!text.contains("fail_on: high"), "{text}");
        assert!(
            text.contains("  # kept comment\n  shop/a:\n    requires"),
            "{text}"
        );
        assert!(text.contains("  shop/b:\n    depends_on"), "{text}");
        assert_eq!(text.matches("shop/a:\n").count(), 1, "{text}");
        assert!(text.contains("probes:\n  - name: \"p1\""), "{text}");
        assert!(text.contains("checks: {}"), "{text}");
        assert_eq!(added, vec!["`checks`", "1 services", "1 probes"]);
        // A second run adds nothing.
        let (again, added) = update(&text, &parts()).unwrap();
        assert_eq!(again, text);
        assert!(added.is_empty(), "{added:?}");
    }

    #[test]
    fn update_refuses_a_flow_style_section_it_cannot_extend() {
        let err = update("services: {shop/x: {}}\n", &parts()).unwrap_err();
        assert!(err.contains("flow style"), "{err}");
    }

    #[test]
    fn rendered_config_parses_as_yaml_with_every_section() {
        let text = parts().render();
        let v: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(v["services"]["shop/b"]["depends_on"][0], "shop/a:http");
        assert_eq!(v["probes"][0]["name"], "p1");
    }

    #[test]
    fn strings_and_keys_are_quoted_when_needed() {
        assert_eq!(yaml_str("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(yaml_key("shop/user-auth"), "shop/user-auth");
        assert_eq!(yaml_key("a: b"), "\"a: b\"");
        assert_eq!(yaml_key("-x"), "\"-x\"");
    }
}
