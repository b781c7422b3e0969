//! The read API over HTTP: version, discovery, list/get, pagination, selectors, metrics.

use mcp_diag_emulator::testing::Cluster;
use mcp_diag_emulator::{Emulator, Options};
use serde_json::{Value, json};

fn cluster() -> mcp_diag_model::Inventory {
    Cluster::new("1.24.3")
        .nodes(&["n1", "n2", "n3"], "4", "8Gi")
        .replicaset("shop", "web", 3, "100m", "128Mi", &["n1", "n2", "n3"])
        .replicaset("blog", "api", 2, "100m", "128Mi", &["n1", "n2"])
        .pdb_min_available("shop", "web", json!(2))
        .object(json!({"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "restricted"}}))
        .object(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sh.helm.release.v1.web.v1", "namespace": "shop", "labels": {"owner": "helm", "name": "web"}}, "type": "helm.sh/release.v1"}))
        .object(json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
                "versions": [{"name": "v1", "served": true, "storage": true}, {"name": "v1alpha1", "served": true, "storage": false}]}}))
        .object(json!({"apiVersion": "example.com/v1alpha1", "kind": "Widget", "metadata": {"name": "w1", "namespace": "shop"}}))
        .build()
}

async fn get(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.expect("request");
    let code = r.status().as_u16();
    (code, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn version_discovery_and_reads() {
    let emu = Emulator::start(cluster(), Options::default()).await.unwrap();
    let base = emu.url();
    let (code, v) = get(&format!("{base}/version")).await;
    assert_eq!(code, 200);
    assert_eq!(v["gitVersion"], "v1.24.3");
    assert_eq!(v["minor"], "24");

    let (_, apis) = get(&format!("{base}/apis")).await;
    let groups: Vec<&str> = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert!(groups.contains(&"apps") && groups.contains(&"example.com") && groups.contains(&"policy"));
    let policy = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "policy")
        .unwrap();
    assert_eq!(policy["preferredVersion"]["version"], "v1");

    let (_, core) = get(&format!("{base}/api/v1")).await;
    let eviction = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "pods/eviction")
        .unwrap();
    assert_eq!(eviction["group"], "policy");
    assert_eq!(eviction["kind"], "Eviction");

    let (_, widgets) = get(&format!("{base}/apis/example.com/v1")).await;
    assert_eq!(widgets["resources"][0]["name"], "widgets");
    assert_eq!(widgets["resources"][0]["namespaced"], true);

    // A 1.24 server predates aggregated discovery: asked for it, it answers the legacy list.
    let ask = |base: String| async move {
        reqwest::Client::new()
            .get(format!("{base}/apis"))
            .header(
                "Accept",
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
            )
            .send()
            .await
            .unwrap()
    };
    let legacy: Value = ask(base.clone()).await.json().await.unwrap();
    assert_eq!(legacy["kind"], "APIGroupList");

    // Aggregated discovery when asked for (from 1.30 at v2), with the content type naming it.
    let newer = Emulator::start(
        Cluster::new("1.31.0").nodes(&["n1"], "4", "8Gi").build(),
        Options::default(),
    )
    .await
    .unwrap();
    let r = ask(newer.url()).await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("as=APIGroupDiscoveryList")
    );
    let agg: Value = r.json().await.unwrap();
    assert_eq!(agg["kind"], "APIGroupDiscoveryList");
    let apps = agg["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["metadata"]["name"] == "apps")
        .unwrap();
    assert!(
        apps["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["resource"] == "deployments" && r["scope"] == "Namespaced")
    );
    newer.stop().await;

    // Lists and gets.
    let (code, pods) = get(&format!("{base}/api/v1/pods")).await;
    assert_eq!(code, 200);
    assert_eq!(pods["kind"], "PodList");
    assert_eq!(pods["items"].as_array().unwrap().len(), 5);
    assert!(
        pods["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    let first = &pods["items"][0];
    assert_eq!(
        first["metadata"]["namespace"], "blog",
        "etcd order: namespace then name"
    );
    assert!(first["metadata"]["uid"].is_string());
    let (_, shop) = get(&format!("{base}/api/v1/namespaces/shop/pods")).await;
    assert_eq!(shop["items"].as_array().unwrap().len(), 3);
    let (code, one) = get(&format!("{base}/api/v1/namespaces/shop/pods/web-1")).await;
    assert_eq!(code, 200);
    assert_eq!(one["spec"]["nodeName"], "n2");
    let (code, missing) = get(&format!("{base}/api/v1/namespaces/shop/pods/nope")).await;
    assert_eq!(code, 404);
    assert_eq!(missing["message"], "pods \"nope\" not found");
    assert_eq!(missing["details"]["kind"], "pods");
    let (code, unknown) = get(&format!("{base}/apis/apps/v1/frobs")).await;
    assert_eq!(code, 404);
    assert_eq!(
        unknown,
        json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404})
    );
    let (code, na) = get(&format!("{base}/api/v1/bindings")).await;
    assert_eq!(code, 405);
    assert_eq!(na["reason"], "MethodNotAllowed");
    let (code, _) = get(&format!("{base}/apis/apps/v1beta1/deployments")).await;
    assert_eq!(code, 404, "a version the release does not serve");

    // A custom resource is served at its stored version and at the other served one.
    let (_, w) = get(&format!("{base}/apis/example.com/v1/namespaces/shop/widgets/w1")).await;
    assert_eq!(w["apiVersion"], "example.com/v1");
    let (_, w) = get(&format!(
        "{base}/apis/example.com/v1alpha1/namespaces/shop/widgets"
    ))
    .await;
    assert_eq!(w["items"][0]["apiVersion"], "example.com/v1alpha1");
    assert_eq!(w["kind"], "WidgetList");

    // Selectors.
    let (_, on_n1) = get(&format!("{base}/api/v1/pods?fieldSelector=spec.nodeName%3Dn1")).await;
    assert_eq!(on_n1["items"].as_array().unwrap().len(), 2);
    let (_, p1) = get(&format!(
        "{base}/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&limit=1"
    ))
    .await;
    assert_eq!(p1["items"][0]["metadata"]["name"], "api-0");
    let t = p1["metadata"]["continue"].as_str().unwrap().to_owned();
    let (_, p2) = get(&format!(
        "{base}/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&limit=1&continue={t}"
    ))
    .await;
    assert_eq!(p2["items"][0]["metadata"]["name"], "web-0");
    assert!(p2["metadata"]["continue"].is_null());
    let (_, shop_n1) = get(&format!(
        "{base}/api/v1/namespaces/shop/pods?fieldSelector=spec.nodeName%3Dn1,status.phase%3DRunning"
    ))
    .await;
    assert_eq!(shop_n1["items"].as_array().unwrap().len(), 1);
    let (_, not_n1) = get(&format!("{base}/api/v1/pods?fieldSelector=spec.nodeName!%3Dn1")).await;
    assert_eq!(not_n1["items"].as_array().unwrap().len(), 3);
    let (_, web) = get(&format!("{base}/api/v1/pods?labelSelector=app%20in%20(web)")).await;
    assert_eq!(web["items"].as_array().unwrap().len(), 3);
    let (_, not_web) = get(&format!("{base}/api/v1/pods?labelSelector=app!%3Dweb")).await;
    assert_eq!(not_web["items"].as_array().unwrap().len(), 2);
    let (code, bad) = get(&format!("{base}/api/v1/pods?fieldSelector=spec.foo%3Dx")).await;
    assert_eq!(code, 400);
    assert_eq!(bad["message"], "field label not supported: spec.foo");
    let (_, helm) = get(&format!("{base}/api/v1/secrets?labelSelector=owner%3Dhelm")).await;
    assert_eq!(helm["items"][0]["metadata"]["name"], "sh.helm.release.v1.web.v1");

    // Budgets are served with their status computed from the pods.
    let (_, pdb) = get(&format!(
        "{base}/apis/policy/v1/namespaces/shop/poddisruptionbudgets/web-pdb"
    ))
    .await;
    assert_eq!(pdb["status"]["currentHealthy"], 3);
    assert_eq!(pdb["status"]["desiredHealthy"], 2);
    assert_eq!(pdb["status"]["disruptionsAllowed"], 1);

    // Deprecated APIs requested show in the metric.
    let r = reqwest::get(format!("{base}/apis/policy/v1beta1/poddisruptionbudgets"))
        .await
        .unwrap();
    assert_eq!(
        r.headers()["warning"],
        "299 - \"policy/v1beta1 PodDisruptionBudget is deprecated in v1.22+, unavailable in v1.25+; use policy/v1 PodDisruptionBudget\""
    );
    let (code, _) = get(&format!("{base}/apis/policy/v1beta1/podsecuritypolicies")).await;
    assert_eq!(code, 200);
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("apiserver_requested_deprecated_apis{group=\"policy\",removed_release=\"1.25\",resource=\"podsecuritypolicies\",subresource=\"\",version=\"v1beta1\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("apiserver_request_total{code=\"200\",component=\"apiserver\",dry_run=\"\",group=\"\",resource=\"pods\",scope=\"cluster\",subresource=\"\",verb=\"LIST\",version=\"v1\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("code=\"404\",component=\"apiserver\",dry_run=\"\",group=\"\",resource=\"pods\",scope=\"resource\",subresource=\"\",verb=\"GET\""), "{metrics}");
    assert!(emu.requests() >= 20);
    emu.stop().await;
}

#[tokio::test]
async fn pagination_yields_every_item_once() {
    let mut c = Cluster::new("1.29.4").nodes(&["n1"], "64", "256Gi");
    let names: Vec<String> = (0..23).map(|i| format!("p{i:02}")).collect();
    for n in &names {
        c = c.bare_pod(if n.as_str() < "p10" { "a" } else { "b" }, n, "n1");
    }
    let emu = Emulator::start(c.build(), Options::default()).await.unwrap();
    let base = emu.url();
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &token {
            Some(t) => format!("{base}/api/v1/pods?limit=5&continue={t}"),
            None => format!("{base}/api/v1/pods?limit=5"),
        };
        let (code, page) = get(&url).await;
        assert_eq!(code, 200);
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["metadata"]["name"].as_str().unwrap().to_owned());
        }
        match page["metadata"]["continue"].as_str() {
            Some(t) => {
                let remaining = page["metadata"]["remainingItemCount"].as_u64().unwrap();
                assert_eq!(remaining as usize, 23 - seen.len());
                token = Some(t.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(seen, names);
    // A change between pages: the count of what is left follows it.
    let (_, p1) = get(&format!("{base}/api/v1/pods?limit=20")).await;
    assert_eq!(p1["metadata"]["remainingItemCount"], 3);
    let t1 = p1["metadata"]["continue"].as_str().unwrap().to_owned();
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/namespaces/b/pods"))
        .header("Content-Type", "application/json")
        .body(json!({"metadata": {"name": "zz"}, "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "x"}]}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (_, p2) = get(&format!("{base}/api/v1/pods?limit=2&continue={t1}")).await;
    assert_eq!(p2["metadata"]["remainingItemCount"], 2, "{}", p2["metadata"]);
    let t2 = p2["metadata"]["continue"].as_str().unwrap().to_owned();
    let (_, p3) = get(&format!("{base}/api/v1/pods?limit=2&continue={t2}")).await;
    assert_eq!(p3["metadata"]["remainingItemCount"], json!(null));
    assert_eq!(p3["items"].as_array().unwrap().len(), 2);
    assert!(p3["metadata"]["continue"].is_null());
    // Paging inside one namespace, and tokens from another list never break it.
    let (_, b1) = get(&format!("{base}/api/v1/namespaces/b/pods?limit=10")).await;
    assert_eq!(b1["items"].as_array().unwrap().len(), 10);
    assert_eq!(b1["metadata"]["remainingItemCount"], 4);
    let tb = b1["metadata"]["continue"].as_str().unwrap().to_owned();
    let (code, a_with_b_token) =
        get(&format!("{base}/api/v1/namespaces/a/pods?limit=10&continue={tb}")).await;
    assert_eq!(code, 200);
    assert_eq!(a_with_b_token["items"].as_array().unwrap().len(), 0);
    let (_, a1) = get(&format!("{base}/api/v1/namespaces/a/pods?limit=4")).await;
    let ta = a1["metadata"]["continue"].as_str().unwrap().to_owned();
    let (_, b_with_a_token) = get(&format!("{base}/api/v1/namespaces/b/pods?limit=20&continue={ta}")).await;
    assert_eq!(b_with_a_token["items"].as_array().unwrap().len(), 14);
    let (code, bad) = get(&format!("{base}/api/v1/pods?limit=5&continue=garbage")).await;
    assert_eq!(code, 400);
    assert_eq!(bad["reason"], "BadRequest");
    emu.stop().await;
}
