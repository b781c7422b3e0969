//! Renderers of a [`Graph`]: Mermaid (`flowchart LR`), Graphviz dot, JSON (a stable shape,
//! `schema_version: 1`, documented in docs/services.md) and a plain table. Every label is
//! escaped for its format: names come from the input and may hold quotes, `<>` or newlines.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::{Edge, Graph, Node, NodeId, NodeKind};

/// The JSON output's version; bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

impl Graph {
    /// The graph cut to `keep` (in that order), with the edges among them; ids renumbered.
    pub fn restrict(&self, keep: &[NodeId]) -> Graph {
        let mut new_id = vec![None; self.nodes.len()];
        for (i, id) in keep.iter().enumerate() {
            new_id[id.0 as usize] = Some(NodeId(i as u32));
        }
        let edges = self
            .edges
            .iter()
            .filter_map(|e| {
                let (from, to) = (new_id[e.from.0 as usize]?, new_id[e.to.0 as usize]?);
                Some(Edge {
                    from,
                    to,
                    ..e.clone()
                })
            })
            .collect();
        Graph {
            nodes: keep.iter().map(|id| self.node(*id).clone()).collect(),
            edges,
            problems: self.problems.clone(),
            destination_tls: Vec::new(),
            peer_authentications: self.peer_authentications.clone(),
            network_policies: self.network_policies.clone(),
            namespace_labels: self.namespace_labels.clone(),
            namespaces_known: self.namespaces_known,
            policies_by_namespace: std::sync::OnceLock::new(),
        }
    }
}

/// `ns/name vX`, `ns/name (missing)`, ...
pub fn label(node: &Node) -> String {
    let name = node.display_name();
    match node.kind {
        NodeKind::Missing => format!("{name} (missing)"),
        NodeKind::External => format!("{name} (external)"),
        NodeKind::Outside => name,
        _ => match &node.version {
            Some(v) => format!("{name} v{}", v.strip_prefix('v').unwrap_or(v)),
            None => name,
        },
    }
}

/// `grpc:9090`, `http`, `:5432`, or empty.
pub fn edge_label(edge: &Edge) -> String {
    match (&edge.protocol, edge.port) {
        (Some(p), Some(n)) => format!("{p}:{n}"),
        (Some(p), None) => p.clone(),
        (None, Some(n)) => format!(":{n}"),
        (None, None) => String::new(),
    }
}

fn kind_name(kind: &NodeKind) -> &'static str {
    match kind {
        NodeKind::Service => "service",
        NodeKind::Workload => "workload",
        NodeKind::Missing => "missing",
        NodeKind::External => "external",
        NodeKind::Outside => "outside",
    }
}

/// Mermaid node ids: letters, digits and `_` only, unique.
fn mermaid_ids(graph: &Graph) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for n in &graph.nodes {
        let raw = format!("{}_{}_{}", kind_name(&n.kind), n.namespace, n.name);
        let mut id: String = raw
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if ids.contains(&id) {
            id = format!("{id}_{}", ids.len());
        }
        ids.push(id);
    }
    ids
}

/// Text inside a Mermaid `"..."` label: quotes, `<>`, `#` and newlines as entities.
pub fn escape_mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Text inside a dot `"..."` string.
pub fn escape_dot(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

pub fn mermaid(graph: &Graph) -> String {
    let ids = mermaid_ids(graph);
    let mut out = String::from("flowchart LR\n");
    for (i, n) in graph.nodes.iter().enumerate() {
        let text = escape_mermaid(&label(n));
        let shape = match n.kind {
            NodeKind::Outside => format!("(\"{text}\")"),
            NodeKind::External => format!("{{{{\"{text}\"}}}}"),
            _ => format!("[\"{text}\"]"),
        };
        let _ = writeln!(out, "  {}{shape}", ids[i]);
    }
    for e in &graph.edges {
        let arrow = if e.is_call() { "-->" } else { "-.->" };
        let text = edge_label(e);
        let (from, to) = (&ids[e.from.0 as usize], &ids[e.to.0 as usize]);
        if text.is_empty() {
            let _ = writeln!(out, "  {from} {arrow} {to}");
        } else {
            let _ = writeln!(out, "  {from} {arrow}|\"{}\"| {to}", escape_mermaid(&text));
        }
    }
    let missing: Vec<&str> = graph
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind == NodeKind::Missing)
        .map(|(i, _)| ids[i].as_str())
        .collect();
    if !missing.is_empty() {
        out.push_str("  classDef missing fill:#fee,stroke:#c00,stroke-dasharray:5 5\n");
        let _ = writeln!(out, "  class {} missing", missing.join(","));
    }
    out
}

pub fn dot(graph: &Graph) -> String {
    let mut out =
        String::from("digraph services {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    for (i, n) in graph.nodes.iter().enumerate() {
        let style = match n.kind {
            NodeKind::Missing => ", style=dashed, color=red, fontcolor=red",
            NodeKind::External => ", shape=hexagon",
            NodeKind::Outside => ", shape=ellipse",
            NodeKind::Workload => ", style=rounded",
            NodeKind::Service => "",
        };
        let _ = writeln!(out, "  n{i} [label=\"{}\"{style}];", escape_dot(&label(n)));
    }
    for e in &graph.edges {
        let style = if e.is_call() { "" } else { ", style=dashed" };
        let _ = writeln!(
            out,
            "  n{} -> n{} [label=\"{}\"{style}];",
            e.from.0,
            e.to.0,
            escape_dot(&edge_label(e))
        );
    }
    out.push_str("}\n");
    out
}

fn object_text(o: &mcp_diag_model::ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
        None => format!("{} {}", o.kind, o.name),
    }
}

/// The JSON document: nodes, edges with evidence, cycles, the upgrade order, problems.
pub fn json(graph: &Graph) -> Value {
    let name = |id: NodeId| graph.node(id).display_name();
    let nodes: Vec<Value> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({
                "id": i,
                "kind": kind_name(&n.kind),
                "namespace": n.namespace,
                "name": n.name,
                "object": n.object.as_ref().map(object_text),
                "workloads": n.workloads.iter().map(|w| object_text(w)).collect::<Vec<_>>(),
                "ports": n.ports.iter().map(|p| json!({
                    "name": p.name, "port": p.port, "target_port": p.target_port, "app_protocol": p.app_protocol,
                })).collect::<Vec<_>>(),
                "version": n.version,
                "version_source": n.version_source,
                "pods": n.pods.map(|p| json!({"selected": p.selected, "ready": p.ready})),
                "mesh": n.mesh,
                "absence_known": (n.kind == NodeKind::Missing).then_some(n.absence_known),
                "declared": n.declared,
            })
        })
        .collect();
    let edges: Vec<Value> = graph
        .edges
        .iter()
        .map(|e| {
            json!({
                "from": e.from.0,
                "to": e.to.0,
                "from_name": name(e.from),
                "to_name": name(e.to),
                "port": e.port,
                "protocol": e.protocol,
                "tls": e.tls,
                "source": e.source,
                "call": e.is_call(),
                "network_policy": match graph.egress_allowed(e) {
                    crate::Allowed::Yes => json!({"verdict": "yes"}),
                    crate::Allowed::Unknown => json!({"verdict": "unknown"}),
                    crate::Allowed::No { policy, ingress } => json!({
                        "verdict": "no", "policy": policy, "side": if ingress { "ingress" } else { "egress" },
                    }),
                },
                "requirement": e.requirement,
                "evidence": e.evidence.iter().map(|ev| json!({
                    "object": object_text(&ev.object), "detail": ev.detail,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let names = |sets: Vec<Vec<NodeId>>| -> Vec<Vec<String>> {
        sets.into_iter()
            .map(|s| s.into_iter().map(name).collect())
            .collect()
    };
    json!({
        "schema_version": SCHEMA_VERSION,
        "nodes": nodes,
        "edges": edges,
        "cycles": names(graph.cycles()),
        "order": names(graph.upgrade_order()),
        "problems": graph.problems,
    })
}

/// One line per edge: caller, provider, protocol:port, versions, source, evidence.
pub fn table(graph: &Graph) -> String {
    let mut rows: Vec<[String; 6]> = vec![[
        "FROM".into(),
        "TO".into(),
        "PROTOCOL".into(),
        "VERSIONS".into(),
        "SOURCE".into(),
        "EVIDENCE".into(),
    ]];
    for e in &graph.edges {
        let (from, to) = (graph.node(e.from), graph.node(e.to));
        let version = |n: &Node| n.version.clone().unwrap_or_else(|| "?".into());
        let source = serde_json::to_value(e.source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let protocol = edge_label(e);
        rows.push([
            from.display_name(),
            label_kind(to),
            if protocol.is_empty() { "-".into() } else { protocol },
            format!("{} -> {}", version(from), version(to)),
            source,
            e.evidence
                .first()
                .map(|ev| {
                    let more = e.evidence.len() - 1;
                    let detail = ev.detail.replace(['\n', '\r'], " ");
                    if more > 0 {
                        format!("{detail} (+{more})")
                    } else {
                        detail
                    }
                })
                .unwrap_or_default(),
        ]);
    }
    // Names and versions come from the input: one line per row, whatever they hold.
    for r in &mut rows {
        for c in r.iter_mut() {
            *c = c
                .chars()
                .map(|ch| if ch.is_control() { ' ' } else { ch })
                .collect();
        }
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        for (c, w) in widths.iter().enumerate() {
            let _ = write!(out, "{:<w$}  ", r[c], w = *w);
        }
        out.push_str(&r[5]);
        out.push('\n');
    }
    if graph.edges.is_empty() {
        out.push_str("(no edges)\n");
    }
    out
}

fn label_kind(n: &Node) -> String {
    match n.kind {
        NodeKind::Missing => format!("{} (missing)", n.display_name()),
        NodeKind::External => format!("{} (external)", n.display_name()),
        _ => n.display_name(),
    }
}

/// The upgrade order as lines: `1. data/postgres`, a cycle's members on one line.
pub fn order_text(graph: &Graph) -> String {
    let mut out = String::new();
    for (i, step) in graph.upgrade_order().iter().enumerate() {
        let names: Vec<String> = step.iter().map(|id| label(graph.node(*id))).collect();
        let cycle = if step.len() > 1 {
            "  (a cycle: upgrade together, or keep both versions compatible)"
        } else {
            ""
        };
        let _ = writeln!(out, "{}. {}{cycle}", i + 1, names.join(", "));
    }
    if out.is_empty() {
        out.push_str("(no service dependencies found: no order to give)\n");
    }
    out
}

/// The upgrade order on one line, for `plan` notes: `data/postgres -> shop/order-svc -> ...`.
pub fn order_line(graph: &Graph) -> Option<String> {
    let order = graph.upgrade_order();
    if order.is_empty() {
        return None;
    }
    Some(
        order
            .iter()
            .map(|step| {
                let names: Vec<String> = step.iter().map(|id| graph.node(*id).display_name()).collect();
                if names.len() > 1 {
                    format!("{{{}}}", names.join(", "))
                } else {
                    names.join("")
                }
            })
            .collect::<Vec<_>>()
            .join(" -> "),
    )
}
