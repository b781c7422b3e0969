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
    assert!(missing.absence_known, "an export holding Services holds them all");
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

#[test]
fn recorded_gaps_make_absence_unknown_and_pods_counted() {
    let mut y = shop();
    y += r#"---
apiVersion: v1
kind: Pod
metadata: {name: payment-1, namespace: shop, labels: {app: payment}, ownerReferences: [{kind: ReplicaSet, name: payment-x, apiVersion: apps/v1, uid: u}]}
spec: {containers: [{name: app, image: x}]}
status: {conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: payment-2, namespace: shop, labels: {app: payment}, ownerReferences: [{kind: ReplicaSet, name: payment-x, apiVersion: apps/v1, uid: u}]}
spec: {containers: [{name: app, image: x}]}
status: {conditions: [{type: Ready, status: "False"}]}
"#;
    let mut inv = inventory(&y);
    let mut coverage = Coverage::recorded();
    coverage.record(mcp_diag_model::KindRead::complete("", "Pod", 2));
    coverage.record(mcp_diag_model::KindRead::gap(
        "",
        "Service",
        mcp_diag_model::ReadGap::Denied,
        "HTTP 403",
        3,
    ));
    inv.coverage = coverage;
    let g = Graph::build(&inv, &Declared::default());
    let payment = g.node(g.find("shop", "payment-gw").unwrap());
    assert_eq!(
        payment.pods,
        Some(mcp_diag_services::PodCount {
            selected: 2,
            ready: 1
        })
    );
    let order = g.node(g.find("shop", "order-svc").unwrap());
    assert_eq!(
        order.pods,
        Some(mcp_diag_services::PodCount {
            selected: 0,
            ready: 0
        })
    );
    let missing = g.node(g.find("data", "feature-store").unwrap());
    assert!(
        !missing.absence_known,
        "Services were read in part: absence unknown"
    );
}

#[test]
fn host_port_pairs_args_and_volumes() {
    let mut y = String::new();
    y += &namespace("shop", "");
    y += &service("shop", "profile-svc", "profile", "[{port: 80, targetPort: 8080}]");
    y += &service("shop", "search", "search", "[{port: 9200}]");
    y += &deployment(
        "shop",
        "profile",
        "profile",
        "      containers: [{name: app, image: p:1.9.4}]",
    );
    y += &deployment(
        "shop",
        "search",
        "search",
        "      containers: [{name: app, image: s:1.0}]",
    );
    y += &deployment(
        "shop",
        "user-auth",
        "user-auth",
        r#"      containers:
      - name: app
        image: ua:2.1.0
        args: ["--search=search:9200", "--log=info"]
        env:
        - {name: PROFILE_SVC_HOST, value: profile-svc.shop.svc.cluster.local}
        - {name: PROFILE_SVC_PORT, value: "80"}
        - {name: SELF_HOST, value: localhost}
      volumes: [{name: c, configMap: {name: ua-config}}]"#,
    );
    y += r#"---
apiVersion: v1
kind: ConfigMap
metadata: {name: ua-config, namespace: shop}
data:
  app.properties: |
    ! old.url=http://legacy.shop.svc:80
    profile.url=http://profile-svc:80
"#;
    let g = graph(&y);
    assert_eq!(
        edges(&g),
        [
            "shop/user-auth -> shop/profile-svc 80 - Env",
            "shop/user-auth -> shop/profile-svc 80 http ConfigMap",
            "shop/user-auth -> shop/search 9200 - Args",
        ]
    );
    let ua = g.node(g.find("shop", "user-auth").unwrap());
    assert_eq!(
        ua.kind,
        NodeKind::Workload,
        "selected by no Service: a caller-only node"
    );
    assert_eq!(
        g.edges[0].evidence[0].detail,
        "env PROFILE_SVC_HOST=profile-svc.shop.svc.cluster.local, PROFILE_SVC_PORT=80"
    );
    assert_eq!(g.edges[2].evidence[0].detail, "arg --search=search:9200");
}

#[test]
fn ingress_gateway_routes_and_istio() {
    let mut y = String::new();
    y += &namespace("shop", "");
    y += &namespace("istio-system", "");
    y += &service("shop", "frontend", "frontend", "[{name: http, port: 80}]");
    y += &service("shop", "reviews", "reviews", "[{name: grpc, port: 9090}]");
    y += &deployment(
        "shop",
        "frontend",
        "frontend",
        "      containers: [{name: app, image: f:1.0}]",
    );
    y += &deployment(
        "shop",
        "reviews",
        "reviews",
        "      containers: [{name: app, image: r:1.0}]",
    );
    y += r#"---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: frontend, port: {name: http}}}}
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: old, namespace: shop}
spec:
  backend: {serviceName: frontend, servicePort: 80}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: reviews, namespace: shop}
spec:
  parentRefs: [{name: public, namespace: istio-system}]
  rules: [{backendRefs: [{name: reviews, port: 9090}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: front, namespace: shop}
spec:
  hosts: [frontend]
  gateways: [istio-system/edge, mesh]
  http: [{route: [{destination: {host: reviews.shop.svc.cluster.local, port: {number: 9090}}}]}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: stripe, namespace: shop}
spec: {hosts: [api.stripe.com]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  trafficPolicy:
    tls: {mode: DISABLE}
    portLevelSettings: [{port: {number: 9090}, tls: {mode: ISTIO_MUTUAL}}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: reviews, namespace: shop}
spec: {selector: {matchLabels: {app: reviews}}, mtls: {mode: PERMISSIVE}, portLevelMtls: {"9090": {mode: DISABLE}}}
"#;
    y += &deployment(
        "shop",
        "pay-worker",
        "pay-worker",
        "      containers: [{name: app, image: w:1, env: [{name: STRIPE, value: \"https://api.stripe.com/v1\"}]}]",
    );
    let g = graph(&y);
    assert_eq!(
        edges(&g),
        [
            "shop/frontend -> shop/reviews 9090 http IstioVirtualService",
            "shop/pay-worker -> api.stripe.com 443 https Env",
            "istio-system/gateway/public -> shop/reviews 9090 grpc GatewayRoute",
            "istio-system/istio-gateway/edge -> shop/reviews 9090 http IstioVirtualService",
            "shop/ingress/old -> shop/frontend 80 http Ingress",
            "shop/ingress/shop -> shop/frontend 80 http Ingress",
        ]
    );
    let reviews = g.find("shop", "reviews").unwrap();
    assert_eq!(g.destination_tls.len(), 2);
    assert_eq!(g.destination_tls[0].node, Some(reviews));
    assert_eq!(
        g.mtls_mode(reviews, Some(9090)),
        Some(("DISABLE".into(), "shop/reviews".into()))
    );
    assert_eq!(
        g.mtls_mode(reviews, Some(80)),
        Some(("PERMISSIVE".into(), "shop/reviews".into()))
    );
    let frontend = g.find("shop", "frontend").unwrap();
    assert_eq!(
        g.mtls_mode(frontend, None),
        Some(("STRICT".into(), "istio-system/default".into()))
    );
    assert_eq!(
        g.node(frontend).mesh,
        Some(false),
        "namespace without injection label"
    );
    assert!(g.cycles().is_empty(), "traffic from outside is no cycle");
}

fn netpol_cluster(extra: &str) -> String {
    let mut y = String::new();
    y += &namespace("shop", "");
    y += &namespace("kube-system", "");
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
        "[{name: grpc, port: 9090, targetPort: grpc}]",
    );
    y += &deployment(
        "shop",
        "order",
        "order",
        "      containers: [{name: app, image: o:1, ports: [{name: http, containerPort: 8080}]}]",
    );
    y += &deployment(
        "shop",
        "payment",
        "payment",
        "      containers: [{name: app, image: p:1, ports: [{name: grpc, containerPort: 9090}]}]",
    );
    y += &deployment(
        "shop",
        "checkout",
        "checkout",
        "      containers: [{name: app, image: c:1, env: [{name: A, value: \"http://order-svc.shop.svc:80\"}, {name: B, value: \"grpc://payment-gw.shop.svc:9090\"}]}]",
    );
    y += extra;
    y
}

#[test]
fn network_policies() {
    let egress = r#"---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: checkout-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: checkout}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
  - to: [{podSelector: {matchLabels: {app: order}}}]
    ports: [{protocol: TCP, port: 8080}]
"#;
    let g = graph(&netpol_cluster(egress));
    let call = |to: &str| {
        g.edges
            .iter()
            .find(|e| e.is_call() && g.node(e.to).name == to)
            .unwrap()
    };
    assert_eq!(
        g.egress_allowed(call("order-svc")),
        Allowed::Yes,
        "port 80 -> targetPort 8080"
    );
    assert_eq!(
        g.egress_allowed(call("payment-gw")),
        Allowed::No {
            policy: "shop/checkout-egress".into(),
            ingress: false
        }
    );
    let permissions: Vec<_> = g
        .edges
        .iter()
        .filter(|e| e.source == EdgeSource::NetworkPolicy)
        .collect();
    assert_eq!(permissions.len(), 1);
    assert_eq!(g.node(permissions[0].to).name, "order-svc");
    assert!(g.cycles().is_empty() && g.closure(g.find("shop", "checkout").unwrap(), true).len() == 3);

    // Nearest negatives: no policy; a policy on Ingress only that lets checkout in.
    let g = graph(&netpol_cluster(""));
    assert!(g.edges.iter().all(|e| g.egress_allowed(e) == Allowed::Yes));
    let ingress = r#"---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: payment-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: payment}}
  ingress: [{from: [{podSelector: {matchLabels: {app: order}}}], ports: [{port: grpc}]}]
"#;
    let g = graph(&netpol_cluster(ingress));
    let to_payment = g
        .edges
        .iter()
        .find(|e| g.node(e.to).name == "payment-gw")
        .unwrap();
    assert_eq!(
        g.egress_allowed(to_payment),
        Allowed::No {
            policy: "shop/payment-in".into(),
            ingress: true
        }
    );
    let ip = r#"---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: checkout-egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}]}]
"#;
    let g = graph(&netpol_cluster(ip));
    assert!(
        g.edges.iter().all(|e| g.egress_allowed(e) == Allowed::Unknown),
        "pod IPs are not in the input"
    );
}

#[test]
fn declarations_annotations_cycles_and_order() {
    let mut y = String::new();
    y += &namespace("cp", "");
    for (name, image) in [
        ("gateway", "g:4.2.0"),
        ("policy", "p:1.9.3"),
        ("sync", "s:2.3.1"),
        ("registry", "r:0.14.2"),
    ] {
        y += &service("cp", name, name, "[{name: grpc, port: 9090, appProtocol: grpc}]");
        let env = match name {
            "gateway" => "[{name: U, value: \"grpc://policy.cp.svc:9090\"}]",
            "registry" => "[{name: S, value: \"grpc://sync.cp.svc.cluster.local:9090\"}]",
            "sync" => "[{name: R, value: \"grpc://registry.cp.svc:9090\"}]",
            _ => "[]",
        };
        y += &format!(
            r#"---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: cp
  annotations:
    mcp-diag.io/depends-on: "{deps}"
    mcp-diag.io/service: '{svc}'
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec: {{containers: [{{name: app, image: "{image}", env: {env}}}]}}
"#,
            deps = if name == "policy" { "cp/sync:grpc" } else { "" },
            svc = match name {
                "gateway" => "{requires: {policy: {api: \">=v2\"}}}",
                "policy" => "{provides: {api: [v1]}}",
                "sync" => "{provides: {apii: [v1]}}",
                _ => "",
            },
        );
    }
    let declared = mcp_diag_services::declared::parse(
        "services:\n  cp/registry: {version: 0.15.0, requires: {nosuch: {api: v1}}}\n",
        std::path::Path::new("c.yaml"),
    )
    .unwrap();
    let g = Graph::build(&inventory(&y), &declared);
    let req: Vec<_> = g.edges.iter().filter(|e| e.requirement.is_some()).collect();
    assert_eq!(req.len(), 1);
    assert_eq!(g.node(req[0].from).name, "gateway");
    // gateway also calls policy (its environment): the call carries the requirement, with
    // both pieces of evidence.
    assert_eq!(req[0].source, EdgeSource::Env);
    assert!(
        req[0]
            .evidence
            .iter()
            .any(|e| e.detail.contains("mcp-diag.io annotation")),
        "{:#?}",
        req[0].evidence
    );
    assert_eq!(req[0].requirement.as_ref().unwrap().api.as_deref(), Some(">=v2"));
    let policy_id = g.find("cp", "policy").unwrap();
    assert_eq!(
        g.provided_api(policy_id, None).unwrap(),
        ["v1"],
        "provides: at the running version"
    );
    assert_eq!(g.provided_api(policy_id, Some("1.9.3")).unwrap(), ["v1"]);
    assert_eq!(g.provided_api(policy_id, Some("2.0.0")), None);
    let policy = g.node(policy_id);
    assert_eq!(policy.declared.as_ref().unwrap().provides_api, ["v1"]);
    assert!(
        g.edges
            .iter()
            .any(|e| e.source == EdgeSource::Annotation && g.node(e.from).name == "policy")
    );
    let registry = g.node(g.find("cp", "registry").unwrap());
    assert_eq!(
        registry.version.as_deref(),
        Some("0.15.0"),
        "the config overrides the image tag"
    );
    assert_eq!(
        g.problems,
        [
            "Deployment cp/sync: annotation mcp-diag.io/service: line 1 column 13: provides: unknown key \"apii\" (did you mean api?)",
            "config services.cp/registry (c.yaml:2): requires nosuch: no Service or workload cp/nosuch in the input",
        ]
    );
    let name = |ids: &Vec<mcp_diag_services::NodeId>| {
        ids.iter().map(|i| g.node(*i).name.clone()).collect::<Vec<_>>()
    };
    let cycles: Vec<_> = g.cycles().iter().map(name).collect();
    assert_eq!(cycles, [["registry", "sync"]]);
    let order: Vec<_> = g.upgrade_order().iter().map(name).collect();
    assert_eq!(order, [vec!["registry", "sync"], vec!["policy"], vec!["gateway"]]);
    let gateway = g.find("cp", "gateway").unwrap();
    assert_eq!(name(&g.closure(gateway, false)), ["gateway", "policy"]);
    assert_eq!(
        name(&g.closure(gateway, true)),
        ["gateway", "policy", "sync", "registry"]
    );
}

#[test]
fn evidence_hides_passwords() {
    let mut y = String::new();
    y += &namespace("data", "");
    y += &service("data", "postgres", "postgres", "[{port: 5432}]");
    y += &deployment(
        "data",
        "etl",
        "etl",
        "      containers: [{name: app, image: e:1, env: [{name: DB_URL, value: \"postgres://app:hunter2@postgres:5432/x\"}]}]",
    );
    let g = graph(&y);
    assert_eq!(edges(&g), ["data/etl -> data/postgres 5432 postgres Env"]);
    assert_eq!(
        g.edges[0].evidence[0].detail,
        "env DB_URL=postgres://app:***@postgres:5432/x"
    );
}

/// A `requires:` declaration on a pair the input also shows calling becomes part of the call
/// edge (its protocol and versions meet the port actually called); a declaration on a pair
/// that shows no call stays an edge of its own.
#[test]
fn a_requirement_joins_the_call_it_names() {
    let yaml = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: order
  namespace: shop
  annotations:
    mcp-diag.io/service: '{requires: {payment-gw: {protocol: http}, stock: {api: ">=v2"}}}'
spec:
  selector: {matchLabels: {app: order}}
  template:
    metadata: {labels: {app: order}}
    spec: {containers: [{name: order, image: "order:1.0.0", env: [{name: PAYMENT_URL, value: "payment-gw.shop.svc:9090"}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: payment-gw, namespace: shop}
spec:
  selector: {app: payment}
  ports: [{name: grpc, port: 9090, appProtocol: grpc}]
---
apiVersion: v1
kind: Service
metadata: {name: stock, namespace: shop}
spec:
  selector: {app: stock}
  ports: [{name: http, port: 80}]
"#;
    let g = graph(yaml);
    let to = |name: &str| {
        g.edges
            .iter()
            .filter(|e| g.node(e.to).name == name)
            .collect::<Vec<_>>()
    };
    let payment = to("payment-gw");
    assert_eq!(payment.len(), 1, "one edge for the pair: {:#?}", edges(&g));
    assert_eq!(payment[0].port, Some(9090));
    let requirement = payment[0]
        .requirement
        .as_ref()
        .expect("the declaration joined the call");
    assert_eq!(requirement.protocol.as_deref(), Some("http"));
    assert_eq!(
        payment[0].evidence.len(),
        2,
        "the address and the annotation: {:#?}",
        payment[0].evidence
    );
    // No call to stock in the input: the declaration is the edge.
    let stock = to("stock");
    assert_eq!(stock.len(), 1);
    assert!(stock[0].requirement.is_some() && stock[0].port.is_none());
}
