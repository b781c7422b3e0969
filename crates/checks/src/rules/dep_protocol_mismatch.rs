use mcp_diag_model::{Finding, Object, Severity};
use mcp_diag_services::{Edge, Graph, Node, NodeId, NodeKind, Port};
use rustc_hash::FxHashMap as HashMap;

use crate::deps::{
    Objects, caller_name, caller_ref, calls, evidence_words, node_name, pair_details, port_words, target_port,
};
use crate::mesh::Mesh;
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

impl Check for DepProtocolMismatch {
    info_from!(INFO, reads_graph);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let graph = ctx.graph;
        let Some(objects) = Objects::of_calls(ctx) else {
            return Vec::new();
        };
        let mesh = Mesh::read(ctx);
        // The mTLS mode of each target, found once however many call it.
        let mut modes: HashMap<NodeId, Option<(String, &Object)>> = HashMap::default();
        let mut out = Vec::new();
        for edge in calls(graph) {
            let to = graph.node(edge.to);
            if to.kind != NodeKind::Service {
                continue;
            }
            if let Some(f) = protocol_finding(&objects, graph, edge, to) {
                out.push(f);
            }
            if mesh.peer_auth.is_empty() {
                continue;
            }
            let mode = modes.entry(edge.to).or_insert_with(|| mesh.mode_of(&objects, to));
            if let Some(f) = mesh_finding(&mesh, mode.as_ref(), &objects, graph, edge, to) {
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

/// A call that Istio's mutual TLS refuses: a DestinationRule disabling TLS, or a caller
/// without a sidecar, towards a Service under STRICT PeerAuthentication.
/// `mode`: the target's mTLS mode and the PeerAuthentication that sets it.
fn mesh_finding(
    mesh: &Mesh<'_>,
    mode: Option<&(String, &Object)>,
    objects: &Objects<'_>,
    graph: &Graph,
    edge: &Edge,
    to: &Node,
) -> Option<Finding> {
    let (mode, policy) = mode?;
    if mode != "STRICT" {
        return None;
    }
    // The words, once the call is known to be refused (most calls are not).
    let words = || {
        let policy_name = format!(
            "{}/{}",
            policy.namespace.as_deref().unwrap_or_default(),
            policy.name
        );
        let mut details = pair_details(graph, edge);
        details.insert("peer_authentication", policy_name.clone());
        (node_name(to), caller_name(graph, edge), policy_name, details)
    };
    if let Some(dr) = mesh.tls_disabled(to, edge) {
        let (name, who, policy_name, mut details) = words();
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
    let in_mesh = mesh.caller_in_mesh(objects, graph, edge)?;
    if in_mesh {
        return None;
    }
    let (name, who, policy_name, mut details) = words();
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
