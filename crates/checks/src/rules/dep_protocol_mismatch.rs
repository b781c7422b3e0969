use mcp_diag_model::{Finding, Node as Yaml, Object, Severity};
use mcp_diag_services::{Edge, Graph, Node, NodeKind, Port};

use crate::deps::{
    Objects, caller_name, caller_ref, caller_workloads, calls, evidence_words, node_name, pair_details,
    pod_template, port_words,
};
use crate::selector::Selector;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "dep-protocol-mismatch",
    severity: Severity::High,
    title: "Caller speaks another protocol than the port it calls",
    doc: r#"## What it checks
Every call found in the service graph whose caller protocol (the URL scheme, such as `http://`,
`grpc://`, `https://`, `redis://`, or the declared `protocol`) does not fit the Service port it
reaches. The port's protocol is its `appProtocol`, else its name by the Istio convention
(`grpc`, `grpc-*`, `http2-*`, `https-*`, `tls-*`, `http-*`, `redis`, `mongo-*`, `mysql-*`,
`kubernetes.io/h2c`, `kubernetes.io/ws`, ...). Reported:
- plain HTTP/1.1 against a gRPC or h2c (HTTP/2 cleartext) port;
- plaintext (http, grpc, redis, ...) against a TLS port (`https`, `tls`), and TLS (https, grpcs,
  rediss) against a plaintext port;
- two different application protocols (`redis://` against a port named `mongo`);
- with Istio: a `PeerAuthentication` in mode STRICT on the target (mesh-wide in
  `istio-system`, namespace-wide, or selecting the target's pods) while the caller's pods have
  no sidecar (namespace without `istio-injection=enabled`/`istio.io/rev`, or
  `sidecar.istio.io/inject: "false"`), and a `DestinationRule` for the target host with
  `trafficPolicy.tls.mode: DISABLE` against STRICT.

A port without `appProtocol` and without a recognised name (`tcp-*` or unnamed), and a caller
whose protocol is unknown, are not judged.

## Why it matters
Protocols change with versions: a provider's new release serves gRPC where it served JSON over
HTTP, or its namespace moves to mutual TLS. A caller that still speaks the old protocol gets
resets or protocol errors from the first request, and a mesh in STRICT mode refuses every
plaintext connection.

## Example
Deployment `shop/order` has `PAYMENT_URL=http://payment-gw.shop.svc:9090`; port 9090 of
Service `shop/payment-gw` is named `grpc` with `appProtocol: grpc`. HTTP/1.1 requests to a gRPC
server fail.

## Fix
Make the caller speak the port's protocol (a gRPC client, `grpc://` or `https://` as the port
requires), or call the port that serves its protocol (`http://payment-gw.shop.svc:80`). For
STRICT mutual TLS, put the caller in the mesh (sidecar injection) or relax the
PeerAuthentication to PERMISSIVE while callers move; remove `tls.mode: DISABLE` from the
DestinationRule (or set `ISTIO_MUTUAL`).
"#,
};

pub struct DepProtocolMismatch;

/// What a protocol name means on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wire {
    /// HTTP/1.1 in clear text (websockets too).
    Http1,
    /// HTTP/2 in clear text with prior knowledge: gRPC, h2c.
    H2c,
    /// TLS of any kind (HTTPS, gRPC over TLS, `tls-*` ports).
    Tls,
    /// Another application protocol in clear text, by name (`redis`, `mongo`, `mysql`).
    App(&'static str),
    /// TLS around another application protocol (`rediss`).
    AppTls(&'static str),
}

impl Wire {
    fn words(self) -> String {
        match self {
            Self::Http1 => "plain HTTP/1.1".to_owned(),
            Self::H2c => "HTTP/2 in clear text (gRPC, h2c)".to_owned(),
            Self::Tls => "TLS".to_owned(),
            Self::App(a) => format!("{a} in clear text"),
            Self::AppTls(a) => format!("{a} over TLS"),
        }
    }

    fn is_tls(self) -> bool {
        matches!(self, Self::Tls | Self::AppTls(_))
    }
}

const APPS: &[(&str, &str)] = &[
    ("redis", "redis"),
    ("mongo", "mongodb"),
    ("mongodb", "mongodb"),
    ("mysql", "mysql"),
    ("postgres", "postgres"),
    ("postgresql", "postgres"),
    ("amqp", "amqp"),
    ("nats", "nats"),
    ("kafka", "kafka"),
];

fn app(name: &str) -> Option<&'static str> {
    APPS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

/// What the caller speaks, from its scheme or declared protocol; `None` = not judged (`tcp`,
/// unknown).
pub(crate) fn caller_wire(protocol: &str) -> Option<Wire> {
    let p = protocol.to_ascii_lowercase();
    Some(match p.as_str() {
        "http" | "ws" => Wire::Http1,
        "grpc" | "h2c" | "http2" => Wire::H2c,
        "https" | "grpcs" | "wss" | "tls" => Wire::Tls,
        "rediss" => Wire::AppTls("redis"),
        other => Wire::App(app(other)?),
    })
}

/// What a Service port serves, from `appProtocol` or the Istio name prefix; `None` = not
/// judged (`tcp-*`, unnamed, unknown names).
pub(crate) fn port_wire(port: &Port) -> Option<(Wire, String)> {
    if let Some(app_protocol) = &port.app_protocol {
        let a = app_protocol.to_ascii_lowercase();
        let wire = match a.as_str() {
            "http" | "kubernetes.io/ws" => Some(Wire::Http1),
            "grpc" | "http2" | "kubernetes.io/h2c" | "h2c" | "grpc-web" => Some(Wire::H2c),
            "https" | "tls" | "kubernetes.io/wss" | "grpcs" => Some(Wire::Tls),
            other => app(other).map(Wire::App),
        };
        return wire.map(|w| (w, format!("appProtocol {app_protocol}")));
    }
    let name = port.name.as_deref()?.to_ascii_lowercase();
    let prefix = name.split('-').next().unwrap_or_default();
    let wire = match prefix {
        "http" => Wire::Http1,
        "grpc" | "http2" | "h2c" => Wire::H2c,
        "https" | "tls" => Wire::Tls,
        other => Wire::App(app(other)?),
    };
    Some((
        wire,
        format!("port name {}", port.name.as_deref().unwrap_or_default()),
    ))
}

/// Why `caller` against `port` fails, in words; `None` when they fit.
fn mismatch(caller: Wire, port: Wire) -> Option<&'static str> {
    match (caller, port) {
        (c, p) if c == p => None,
        (c, p) if !c.is_tls() && p.is_tls() => Some("plaintext against a TLS port"),
        (c, p) if c.is_tls() && !p.is_tls() => Some("TLS against a plaintext port"),
        (Wire::Http1, Wire::H2c) => Some("HTTP/1.1 against an HTTP/2 (gRPC, h2c) port"),
        // gRPC against an HTTP port: the port may well speak HTTP/2 too; not claimed.
        (Wire::H2c, Wire::Http1) => None,
        (Wire::App(a), Wire::App(b)) | (Wire::AppTls(a), Wire::AppTls(b)) if a != b => {
            Some("another application protocol")
        }
        (Wire::App(_), Wire::Http1 | Wire::H2c) | (Wire::Http1 | Wire::H2c, Wire::App(_)) => {
            Some("another application protocol")
        }
        // TLS to TLS: what runs inside is not known from the port.
        _ => None,
    }
}

/// The port of `node` that `edge` reaches: by number, else the only port.
pub(crate) fn target_port<'g>(node: &'g Node, edge: &Edge) -> Option<&'g Port> {
    match edge.port {
        Some(p) => node.ports.iter().find(|x| x.port == p),
        None if node.ports.len() == 1 => node.ports.first(),
        None => None,
    }
}

impl Check for DepProtocolMismatch {
    info_from!(INFO, reads_graph);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let graph = ctx.graph;
        let Some(objects) = Objects::of_calls(ctx) else {
            return Vec::new();
        };
        let mesh = Mesh::read(ctx);
        let mut out = Vec::new();
        for edge in calls(graph) {
            let to = graph.node(edge.to);
            if to.kind != NodeKind::Service {
                continue;
            }
            if let Some(f) = protocol_finding(&objects, graph, edge, to) {
                out.push(f);
            }
            if let Some(f) = mesh.finding(&objects, graph, edge, to) {
                out.push(f);
            }
        }
        out
    }
}

fn protocol_finding(objects: &Objects<'_>, graph: &Graph, edge: &Edge, to: &Node) -> Option<Finding> {
    let declared = edge.requirement.as_ref().and_then(|r| r.protocol.as_deref());
    let protocol = edge.protocol.as_deref().or(declared)?;
    let caller = caller_wire(protocol)?;
    let port = target_port(to, edge)?;
    let declared_port = to
        .declared
        .as_ref()
        .and_then(|d| d.provides_protocol.as_deref())
        .and_then(caller_wire)
        .map(|w| (w, "the provider's declared protocol".to_owned()));
    let (served, why) = port_wire(port).or(declared_port)?;
    let reason = mismatch(caller, served)?;
    let name = node_name(to);
    let who = caller_name(graph, edge);
    let mut details = pair_details(graph, edge);
    details.insert("reason", reason.to_owned());
    details.insert("caller_protocol", protocol.to_owned());
    details.insert("port_protocol", why.clone());
    let better = to
        .ports
        .iter()
        .find(|p| port_wire(p).is_some_and(|(w, _)| mismatch(caller, w).is_none()));
    let fix = match better {
        Some(p) => format!(
            "Make {who} speak {} to port {} of {name}, or call port {} ({}) which serves what it speaks.",
            served.words(),
            port.port,
            p.port,
            port_words(p)
        ),
        None => format!(
            "Make {who} speak {} to port {} of {name} (a matching client and URL scheme), or give {name} a port that serves {}.",
            served.words(),
            port.port,
            caller.words()
        ),
    };
    Some(
        objects.finding(&INFO, caller_ref(graph, edge))
            .title(format!(
                "{who} speaks {protocol} to {name}:{}, which serves {}",
                port.port,
                served.words(),
            ))
            .message(format!(
                "{who} calls {name} with {} ({}), but port {} of Service {name} serves {} ({why}): {reason}. Every request fails with a protocol error or a reset.",
                caller.words(),
                evidence_words(edge),
                port.name
                .as_ref()
                .map_or_else(|| port.port.to_string(), |n| format!("{}/{n}", port.port)),
                served.words(),
            ))
            .fix(fix)
            .details(details)
            .build()
    )
}

/// Istio's view of the inventory: PeerAuthentications, DestinationRules, namespaces.
struct Mesh<'a> {
    peer_auth: Vec<&'a Object>,
    destination_rules: Vec<&'a Object>,
}

const ROOT_NAMESPACE: &str = "istio-system";

impl<'a> Mesh<'a> {
    fn read(ctx: &Context<'a>) -> Self {
        let istio = |kind: &str| -> Vec<&'a Object> {
            ctx.index
                .of_kind(kind)
                .iter()
                .copied()
                .filter(|o| {
                    o.api_version.starts_with("security.istio.io/")
                        || o.api_version.starts_with("networking.istio.io/")
                })
                .collect()
        };
        Self {
            peer_auth: istio("PeerAuthentication"),
            destination_rules: istio("DestinationRule"),
        }
    }

    /// The mTLS mode that applies to the target's pods: a selector matching them, else the
    /// namespace's, else the mesh's (Istio's precedence).
    fn mode_of(&self, objects: &Objects<'_>, to: &Node) -> Option<(String, &'a Object)> {
        let templates: Vec<Yaml<'_>> = to
            .workloads
            .iter()
            .filter_map(|w| objects.get(w))
            .filter_map(pod_template)
            .collect();
        let mode = |o: &&Object| {
            o.raw
                .path(&["spec", "mtls", "mode"])
                .and_then(Yaml::as_str)
                .map(str::to_ascii_uppercase)
        };
        let selects = |o: &&Object| {
            o.raw
                .path(&["spec", "selector", "matchLabels"])
                .is_some_and(|m| m.as_map().is_some_and(|m| !m.is_empty()))
        };
        let workload = self.peer_auth.iter().find(|o| {
            o.namespace.as_deref() == Some(to.namespace.as_str())
                && selects(o)
                && o.raw.path(&["spec", "selector"]).is_some_and(|s| {
                    let sel = Selector::from_label_selector(s).unwrap_or_default();
                    !templates.is_empty()
                        && templates
                            .iter()
                            .all(|t| sel.matches(t.path(&["metadata", "labels"])))
                })
        });
        let namespace = || {
            self.peer_auth
                .iter()
                .find(|o| o.namespace.as_deref() == Some(to.namespace.as_str()) && !selects(o))
        };
        let root = || {
            self.peer_auth
                .iter()
                .find(|o| o.namespace.as_deref() == Some(ROOT_NAMESPACE) && !selects(o))
        };
        // UNSET inherits from the next level up.
        [workload, namespace(), root()]
            .into_iter()
            .flatten()
            .find_map(|o| mode(o).filter(|m| m != "UNSET").map(|m| (m, *o)))
    }

    fn finding(&self, objects: &Objects<'_>, graph: &Graph, edge: &Edge, to: &Node) -> Option<Finding> {
        if self.peer_auth.is_empty() {
            return None;
        }
        let (mode, policy) = self.mode_of(objects, to)?;
        if mode != "STRICT" {
            return None;
        }
        let name = node_name(to);
        let who = caller_name(graph, edge);
        let policy_name = format!(
            "{}/{}",
            policy.namespace.as_deref().unwrap_or_default(),
            policy.name
        );
        let mut details = pair_details(graph, edge);
        details.insert("peer_authentication", policy_name.clone());
        if let Some(dr) = self.tls_disabled(to, edge) {
            let dr_name = format!("{}/{}", dr.namespace.as_deref().unwrap_or_default(), dr.name);
            details.insert("reason", "destination-rule-tls-disabled".to_owned());
            details.insert("destination_rule", dr_name.clone());
            return Some(
                objects.finding(&INFO, caller_ref(graph, edge))
                    .title(format!(
                        "DestinationRule {dr_name} disables TLS to {name}, which requires mutual TLS"
                    ))
                    .message(format!(
                        "{who} calls {name} ({}). DestinationRule {dr_name} sets trafficPolicy.tls.mode DISABLE for it, so sidecars send plaintext, while PeerAuthentication {policy_name} requires STRICT mutual TLS: the connections are refused.",
                        evidence_words(edge),
                    ))
                    .fix(format!(
                        "Remove tls.mode DISABLE from DestinationRule {dr_name} (or set ISTIO_MUTUAL), or set PeerAuthentication {policy_name} to PERMISSIVE until every caller uses mutual TLS."
                    ))
                    .details(details)
                    .build()
            );
        }
        let in_mesh = self.caller_in_mesh(objects, graph, edge)?;
        if in_mesh {
            return None;
        }
        details.insert("reason", "strict-mtls-caller-outside-mesh".to_owned());
        Some(
            objects.finding(&INFO, caller_ref(graph, edge))
                .title(format!("{who} has no sidecar, and {name} requires mutual TLS"))
                .message(format!(
                    "{who} calls {name} ({}), but its pods have no Istio sidecar, and PeerAuthentication {policy_name} requires STRICT mutual TLS for {name}: its plaintext connections are refused.",
                    evidence_words(edge),
                ))
                .fix(format!(
                    "Put {who} in the mesh (label its namespace istio-injection=enabled, or remove sidecar.istio.io/inject: \"false\", then restart it), or set PeerAuthentication {policy_name} to PERMISSIVE while callers move."
                ))
                .details(details)
                .build()
        )
    }

    /// A DestinationRule whose host is the target and whose TLS mode (or the port's) is
    /// DISABLE.
    fn tls_disabled(&self, to: &Node, edge: &Edge) -> Option<&'a Object> {
        self.destination_rules.iter().copied().find(|dr| {
            let dr_ns = dr.namespace.as_deref().unwrap_or_default();
            let host = dr
                .raw
                .path(&["spec", "host"])
                .and_then(Yaml::as_str)
                .unwrap_or_default();
            if !host_is(host, dr_ns, to) {
                return false;
            }
            let policy = dr.raw.path(&["spec", "trafficPolicy"]);
            let port_mode = policy
                .and_then(|p| p.get("portLevelSettings"))
                .and_then(Yaml::as_seq)
                .unwrap_or_default()
                .iter()
                .find(|s| {
                    s.path(&["port", "number"])
                        .and_then(Yaml::as_i64)
                        .is_some_and(|n| Some(n) == edge.port.map(i64::from))
                })
                .and_then(|s| s.path(&["tls", "mode"]))
                .and_then(Yaml::as_str);
            let mode = port_mode.or_else(|| {
                policy
                    .and_then(|p| p.path(&["tls", "mode"]))
                    .and_then(Yaml::as_str)
            });
            mode.is_some_and(|m| m.eq_ignore_ascii_case("DISABLE"))
        })
    }

    /// Whether every pod of the caller gets a sidecar; `None` when the input cannot tell
    /// (namespace not in the input, caller not a workload).
    fn caller_in_mesh(&self, objects: &Objects<'_>, graph: &Graph, edge: &Edge) -> Option<bool> {
        let workloads = caller_workloads(graph, edge);
        if workloads.is_empty() {
            return None;
        }
        let mut all = true;
        for w in &workloads {
            let object = objects.get(w)?;
            let template = pod_template(object)?;
            let ns = objects.namespace(object.namespace.as_deref().unwrap_or_default())?;
            let ns_labels = ns.raw.path(&["metadata", "labels"]);
            let ns_label = |k: &str| ns_labels.and_then(|l| l.get(k)).and_then(Yaml::as_str);
            let injected_ns =
                ns_label("istio-injection") == Some("enabled") || ns_label("istio.io/rev").is_some();
            let pod = |k: &str| {
                template
                    .path(&["metadata", "labels", k])
                    .or_else(|| template.path(&["metadata", "annotations", k]))
                    .and_then(Yaml::as_str)
            };
            let inject = pod("sidecar.istio.io/inject");
            let disabled_ns = ns_label("istio-injection") == Some("disabled");
            let in_mesh = match inject {
                Some("false") => false,
                Some("true") => !disabled_ns,
                _ => injected_ns || pod("istio.io/rev").is_some(),
            };
            all &= in_mesh;
        }
        Some(all)
    }
}

/// Whether a DestinationRule host (`payment-gw`, `payment-gw.shop`, FQDN, `*.shop.svc.cluster.local`,
/// `*`) names the target Service; short names are in the rule's namespace.
fn host_is(host: &str, rule_ns: &str, to: &Node) -> bool {
    let ns = to.namespace.as_str();
    let name = to.name.as_str();
    if host == "*" {
        return true;
    }
    if let Some(rest) = host.strip_prefix("*.") {
        return rest == format!("{ns}.svc.cluster.local")
            || rest == format!("{ns}.svc")
            || rest == "svc.cluster.local";
    }
    let parts: Vec<&str> = host.split('.').collect();
    match parts.as_slice() {
        [n] => *n == name && rule_ns == ns,
        [n, s] | [n, s, "svc"] => *n == name && *s == ns,
        [n, s, "svc", ..] => *n == name && *s == ns,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use mcp_diag_services::Graph;

    use super::*;
    use crate::deps::test_graph::*;

    fn shop() -> Graph {
        let mut g = Graph::default();
        g.nodes
            .push(service("shop", "order-svc", "order", &[("http", 80, None)]));
        g.nodes.push(service(
            "shop",
            "payment-gw",
            "payment",
            &[("http", 80, None), ("grpc", 9090, Some("grpc"))],
        ));
        g
    }

    #[test]
    fn hosts() {
        let g = shop();
        let to = &g.nodes[1];
        assert!(host_is("payment-gw", "shop", to));
        assert!(!host_is("payment-gw", "other", to));
        assert!(host_is("payment-gw.shop", "other", to));
        assert!(host_is("payment-gw.shop.svc.cluster.local", "x", to));
        assert!(host_is("*.shop.svc.cluster.local", "x", to));
        assert!(!host_is("*.data.svc.cluster.local", "x", to));
        assert!(!host_is("payment-gw.example.com", "x", to));
    }
}
