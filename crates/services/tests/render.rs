//! The renderers on a small graph: snapshots of the formats users read, and escaping of
//! labels that hold quotes, `<>` and newlines.

use mcp_diag_model::{Inventory, SourceKind};
use mcp_diag_services::{Declared, Graph, render};

const CLUSTER: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: web:1.0.0
        env:
        - {name: API, value: "grpc://api.shop.svc:9090"}
        - {name: GONE, value: "http://gone.shop.svc"}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{name: grpc, port: 9090, appProtocol: grpc}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: "api:2.0.1"}]}
"#;

fn graph(config: &str) -> Graph {
    let parsed = mcp_diag_sources::parse_bytes("t.yaml", CLUSTER.as_bytes());
    let mut inventory = Inventory::new(SourceKind::Manifests, "t", "t");
    inventory.objects = parsed.objects;
    let declared = if config.is_empty() {
        Declared::default()
    } else {
        mcp_diag_services::declared::parse(config, std::path::Path::new("c.yaml")).unwrap()
    };
    Graph::build(&inventory, &declared)
}

#[test]
fn formats() {
    let g = graph("");
    insta::assert_snapshot!("mermaid", render::mermaid(&g));
    insta::assert_snapshot!("dot", render::dot(&g));
    insta::assert_snapshot!("table", render::table(&g));
    insta::assert_json_snapshot!("json", render::json(&g));
    assert_eq!(render::order_line(&g).as_deref(), Some("shop/api -> shop/web"));
}

#[test]
fn labels_are_escaped() {
    let g = graph("services:\n  shop/web: {version: \"1\\\"<b>\\n#x|y\"}\n");
    let web = g.node(g.find("shop", "web").unwrap());
    assert_eq!(web.version.as_deref(), Some("1\"<b>\n#x|y"));
    let mermaid = render::mermaid(&g);
    assert!(
        mermaid.contains(r#"["shop/web v1#quot;#lt;b#gt; #35;x#124;y"]"#),
        "{mermaid}"
    );
    assert!(!mermaid.contains("<b>"), "{mermaid}");
    let dot = render::dot(&g);
    assert!(dot.contains(r#"[label="shop/web v1\"<b>\n#x|y"]"#), "{dot}");
    assert_eq!(
        dot.lines().filter(|l| l.contains("shop/web")).count(),
        1,
        "no raw newline: {dot}"
    );
    let table = render::table(&g);
    assert!(table.lines().all(|l| !l.starts_with("#x")), "{table}");
    assert_eq!(render::escape_dot("a\\b"), "a\\\\b");
    assert_eq!(render::escape_mermaid("a\r\nb"), "a  b");
}
