//! Graph::build on small hand-written inventories, one edge source at a time.

use mcp_diag_model::{Coverage, Inventory, SourceKind};
use mcp_diag_services::{Allowed, Declared, EdgeSource, Graph, NodeKind};

fn inventory(yaml: &str) -> Inventory {
    let parsed = mcp_diag_sources::parse_bytes("t.yaml", yaml.as_bytes());
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let mut inventory = Inventory::new(SourceKind::Snapshot, "t", "t");
    inventory.objects = parsed.objects;
    inventory.coverage = Coverage::default();
    inventory
}

fn graph(yaml: &str) -> Graph {
    Graph::build(&inventory(yaml), &Declared::default())
}

/// `from -> to port protocol source` lines.
fn edges(g: &Graph) -> Vec<String> {
    g.edges
        .iter()
        .map(|e| {
            format!(
                "{} -> {} {} {} {:?}",
                g.node(e.from).display_name(),
                g.node(e.to).display_name(),
                e.port.map_or("-".into(), |p| p.to_string()),
                e.protocol.as_deref().unwrap_or("-"),
                e.source
            )
        })
        .collect()
}

fn deployment(ns: &str, name: &str, app: &str, extra: &str) -> String {
    format!(
        r#"---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{matchLabels: {{app: {app}}}}}
  template:
    metadata: {{labels: {{app: {app}}}}}
    spec:
{extra}
"#
    )
}

fn service(ns: &str, name: &str, app: &str, ports: &str) -> String {
    format!(
        r#"---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{app: {app}}}
  ports: {ports}
"#
    )
}

fn namespace(name: &str, labels: &str) -> String {
    format!("---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {{{labels}}}}}\n")
}

fn shop() -> String {
    let mut y = String::new();
    y += &namespace("shop", "istio-injection: enabled");
    y += &namespace("data", "");
    y += &service(
        "shop",
        "order-svc",
        "order",
        "[{name: http, port: 80, targetPort: 8080}]",
    );
    y += &service(
        "shop",
        "payment-gw",
        "payment",
        "[{name: http, port: 80, targetPort: 8080}, {name: grpc, port: 9090, targetPort: grpc, appProtocol: grpc}]",
    );
    y += &service("data", "postgres", "postgres", "[{port: 5432}]");
    y += &deployment(
        "shop",
        "order",
        "order",
        r#"      containers:
      - name: app
        image: shop/order:3.4.1@sha256:abcd
        env:
        - {name: PAYMENT_URL, value: "http://payment-gw.shop.svc:9090"}
        - {name: SELF_URL, value: "http://order-svc.shop.svc"}
        - {name: DOCS, value: "https://docs.example.com/x"}
        - {name: OTHER, value: "http://api.github.com:443"}
        - {name: NOT_NS, value: "cache.internal:6379"}
        - {name: SHORT, value: "http://nosuch:80"}
        - {name: RECS_URL, value: "http://feature-store.data.svc:8080"}
        envFrom: [{configMapRef: {name: order-config}}]"#,
    );
    y += &deployment(
        "shop",
        "payment",
        "payment",
        "      containers: [{name: app, image: shop/payment:latest, ports: [{name: grpc, containerPort: 9090}, {name: http, containerPort: 8080}]}]",
    );
    y += &deployment(
        "data",
        "postgres",
        "postgres",
        "      containers: [{name: pg, image: postgres:16.4}]",
    );
    y += r#"---
apiVersion: v1
kind: ConfigMap
metadata: {name: order-config, namespace: shop}
data:
  app.yaml: |
    # database: old-postgres.data.svc:5432
    database: postgres.data.svc:5432
"#;
    y
}

#[test]
fn env_urls_and_configmaps() {
    let g = graph(&shop());
    assert_eq!(
        edges(&g),
        [
            "shop/order-svc -> data/postgres 5432 - ConfigMap",
            "shop/order-svc -> shop/payment-gw 9090 http Env",
            "shop/order-svc -> data/feature-store 8080 http Env",
        ],
        "no edge to itself, external domains, NAME.NS outside the namespaces, unknown short names, comments"
    );
    let order = g.node(g.find("shop", "order").unwrap());
    assert_eq!(
        order.name, "order-svc",
        "a workload maps to the Service selecting it"
    );
    assert_eq!(order.version.as_deref(), Some("3.4.1"));
    assert_eq!(order.version_source.as_deref(), Some("image tag"));
    assert_eq!(order.mesh, Some(true));
    let payment = g.node(g.find("shop", "payment-gw").unwrap());
    assert_eq!(payment.version, None, "latest is no version");
    assert_eq!(payment.ports[1].app_protocol.as_deref(), Some("grpc"));
    assert_eq!(payment.pods, None, "no pods in the input and no record: unknown");
    let missing = g.node(g.find("data", "feature-store").unwrap());
    assert_eq!(missing.kind, NodeKind::Missing);
    assert!(
        !missing.absence_known,
        "an unrecorded export: Services may be missing from it"
    );
    let e = &g.edges[1];
    assert_eq!(
        e.evidence[0].detail,
        "env PAYMENT_URL=http://payment-gw.shop.svc:9090"
    );
    assert_eq!(e.evidence[0].object.kind, "Deployment");
    assert_eq!(e.tls, Some(false));
    assert_eq!(
        g.edges[0].evidence[0].detail,
        "ConfigMap shop/order-config key app.yaml: postgres.data.svc:5432"
    );
    assert!(g.problems.is_empty(), "{:?}", g.problems);
}
