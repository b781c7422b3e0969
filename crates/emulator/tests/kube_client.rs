//! kube-rs against the emulator: a client from the kubeconfig text, paging, eviction, discovery.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, EvictParams, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::Discovery;
use mcp_diag_emulator::testing::Cluster;
use mcp_diag_emulator::{Emulator, Options};
use serde_json::json;

async fn client(emu: &Emulator) -> kube::Client {
    let kc = Kubeconfig::from_yaml(&emu.kubeconfig("emu")).unwrap();
    let mut config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    // kube 5 retries 429/503/504 by default (up to 15 times); this test wants to see them.
    config.default_retry = false;
    kube::Client::try_from(config).unwrap()
}

fn cluster() -> mcp_diag_model::Inventory {
    let mut c = Cluster::new("1.33.1")
        .nodes(&["n1", "n2", "n3"], "8", "16Gi")
        .replicaset("shop", "web", 2, "100m", "64Mi", &["n1", "n2"])
        .pdb_max_unavailable("shop", "web", json!(1));
    for i in 0..25 {
        c = c.bare_pod(&format!("ns{}", i % 4), &format!("solo-{i}"), "n3");
    }
    c.build()
}

#[tokio::test]
async fn kube_pages_evicts_and_discovers() {
    let options = Options {
        ready_delay: std::time::Duration::from_secs(5),
        ..Options::default()
    };
    let emu = Emulator::start(cluster(), options).await.unwrap();
    let client = client(&emu).await;

    let pods: Api<Pod> = Api::all(client.clone());
    let mut names = Vec::new();
    let mut lp = ListParams::default().limit(7);
    let mut pages = 0;
    loop {
        let page = pods.list(&lp).await.unwrap();
        pages += 1;
        names.extend(page.items.iter().map(|p| {
            format!(
                "{}/{}",
                p.metadata.namespace.clone().unwrap_or_default(),
                p.metadata.name.clone().unwrap_or_default()
            )
        }));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => lp = lp.continue_token(&token),
            None => break,
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(names.len(), 27);
    assert_eq!(
        names.iter().collect::<BTreeSet<_>>().len(),
        27,
        "every pod exactly once"
    );

    let meta = pods
        .list_metadata(&ListParams::default().limit(10))
        .await
        .unwrap();
    assert_eq!(meta.items.len(), 10);
    assert!(meta.metadata.continue_.is_some());
    assert!(meta.items.iter().all(|p| p.metadata.name.is_some()));

    let nodes: Api<Node> = Api::all(client.clone());
    nodes.cordon("n1").await.unwrap();
    assert_eq!(
        nodes.get("n1").await.unwrap().spec.unwrap().unschedulable,
        Some(true)
    );

    let shop: Api<Pod> = Api::namespaced(client.clone(), "shop");
    shop.evict("web-0", &EvictParams::default()).await.unwrap();
    match shop.evict("web-1", &EvictParams::default()).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 429);
            assert_eq!(status.reason, "TooManyRequests");
        }
        other => panic!("expected a 429, got {other:?}"),
    }

    let discovery = Discovery::new(client.clone()).run_aggregated().await.unwrap();
    assert!(discovery.has_group("apps") && discovery.has_group("policy"));
    let (ar, caps) = discovery
        .resolve_gvk(&kube::api::GroupVersionKind::gvk(
            "policy",
            "v1",
            "PodDisruptionBudget",
        ))
        .unwrap();
    assert_eq!(ar.plural, "poddisruptionbudgets");
    assert_eq!(caps.scope, kube::discovery::Scope::Namespaced);
    let legacy = Discovery::new(client).run().await.unwrap();
    assert!(legacy.has_group("apps"));
    emu.stop().await;
}

#[tokio::test]
async fn kube_watcher_sees_replacements() {
    use futures::StreamExt as _;
    use kube::runtime::watcher::{self, Event};

    let emu = Emulator::start(cluster(), Options::default()).await.unwrap();
    let client = client(&emu).await;
    let shop: Api<Pod> = Api::namespaced(client.clone(), "shop");
    for config in [
        watcher::Config::default(),
        watcher::Config::default().streaming_lists(),
    ] {
        let mut stream = watcher::watcher(shop.clone(), config).boxed();
        let mut initial = Vec::new();
        loop {
            match tokio::time::timeout(std::time::Duration::from_secs(5), stream.next()).await {
                Ok(Some(Ok(Event::InitApply(p)))) => initial.push(p.metadata.name.unwrap_or_default()),
                Ok(Some(Ok(Event::InitDone))) => break,
                Ok(Some(Ok(_))) => {}
                other => panic!("watcher stopped: {other:?}"),
            }
        }
        initial.sort();
        assert_eq!(initial.len(), 2, "{initial:?}");
        assert!(initial.iter().all(|n| n.starts_with("web-")));
        // A deletion shows as Delete, its replacement as Apply.
        let victim = initial[0].clone();
        shop.delete(&victim, &Default::default()).await.unwrap();
        let (mut deleted, mut added) = (false, false);
        while !(deleted && added) {
            match tokio::time::timeout(std::time::Duration::from_secs(5), stream.next()).await {
                Ok(Some(Ok(Event::Delete(p)))) => {
                    deleted |= p.metadata.name.as_deref() == Some(victim.as_str())
                }
                Ok(Some(Ok(Event::Apply(p)))) => added |= p.metadata.name.as_deref() != Some(victim.as_str()),
                Ok(Some(Ok(_))) => {}
                other => panic!("watcher stopped: {other:?}"),
            }
        }
    }
    emu.stop().await;
}
