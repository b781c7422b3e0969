//! Faults in front of the emulator and what the read records: the coverage of each kind
//! (complete, partial, missing, and why), one retry layer, deadlines, and the messages.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mcp_diag_emulator::{Emulator, Faults, Options};
use mcp_diag_live::{LiveOptions, LiveRead, RetryPolicy, read};
use mcp_diag_model::{Inventory, KindRead, ReadGap, ReadState};

fn demo() -> Inventory {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-cluster");
    mcp_diag_sources::read_snapshot(&dir).expect("the demo snapshot reads")
}

async fn serve() -> (Emulator, PathBuf, tempfile::TempDir) {
    let emulator = Emulator::start(demo(), Options::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, emulator.kubeconfig("faulty")).unwrap();
    (emulator, kubeconfig, dir)
}

fn options(kubeconfig: &Path) -> LiveOptions {
    LiveOptions {
        kubeconfig: Some(kubeconfig.to_owned()),
        timeout: Duration::from_secs(30),
        page_size: 20,
        retry: RetryPolicy {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(100),
            ..RetryPolicy::default()
        },
        ..LiveOptions::default()
    }
}

fn faults(path: &str, faults: Faults) -> Faults {
    Faults {
        path: Some(regex::Regex::new(path).unwrap()),
        ..faults
    }
}

fn kind<'a>(read: &'a LiveRead, group: &str, kind: &str) -> &'a KindRead {
    read.inventory
        .coverage
        .kinds
        .iter()
        .find(|k| k.group == group && k.kind == kind)
        .unwrap_or_else(|| panic!("no coverage of {kind}: {:?}", read.inventory.coverage))
}

fn count(read: &LiveRead, kind: &str) -> usize {
    read.inventory.objects.iter().filter(|o| o.kind == kind).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_pods_list_is_a_missing_kind_and_the_rest_is_complete() {
    let (emulator, kubeconfig, _dir) = serve().await;
    emulator.set_faults(faults(
        "^/api/v1/pods$",
        Faults {
            error_share: 1.0,
            ..Faults::default()
        },
    ));
    let live = read(&options(&kubeconfig)).await.unwrap();
    let pods = kind(&live, "", "Pod");
    assert_eq!(
        (pods.state, pods.reason),
        (ReadState::Missing, Some(ReadGap::Failed))
    );
    assert!(pods.detail.contains("HTTP 500"), "{}", pods.detail);
    assert_eq!(count(&live, "Pod"), 0);
    let gaps: Vec<String> = live.inventory.coverage.gaps().map(KindRead::display).collect();
    assert_eq!(gaps, ["Pod"]);
    assert!(count(&live, "Node") > 0);
    assert!(
        live.inventory.input_problems.is_empty(),
        "{:?}",
        live.inventory.input_problems
    );
    emulator.stop().await;
}

/// kube's client retries 429/503/504 itself unless told not to; then every 429 would cost
/// requests the fetcher never counted. Our count and the server's must agree.
#[tokio::test(flavor = "multi_thread")]
async fn one_retry_layer_the_server_sees_every_request_we_count() {
    let (emulator, kubeconfig, _dir) = serve().await;
    emulator.set_faults(faults(
        "^/api/v1/(pods|nodes)$",
        Faults {
            throttle_share: 0.4,
            error_share: 0.2,
            ..Faults::default()
        },
    ));
    let before = emulator.requests();
    let live = read(&options(&kubeconfig)).await.unwrap();
    let seen = emulator.requests() - before;
    assert!(live.stats.retries > 0, "no fault hit: {:?}", live.stats);
    assert_eq!(live.stats.requests, seen, "{:?}", live.stats);
    assert!(
        live.inventory.coverage.is_complete(),
        "{:?}",
        live.inventory.coverage
    );
    emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kind_throttled_to_the_end_is_named_and_the_read_goes_on() {
    let (emulator, kubeconfig, _dir) = serve().await;
    emulator.set_faults(faults(
        "^/api/v1/nodes$",
        Faults {
            throttle_share: 1.0,
            ..Faults::default()
        },
    ));
    let opts = LiveOptions {
        list_timeout: Some(Duration::from_millis(2500)),
        ..options(&kubeconfig)
    };
    let started = std::time::Instant::now();
    let live = read(&opts).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
    let nodes = kind(&live, "", "Node");
    assert_eq!(nodes.reason, Some(ReadGap::Throttled), "{nodes:?}");
    assert!(
        nodes.detail.contains("throttled (HTTP 429) for"),
        "{}",
        nodes.detail
    );
    assert!(!nodes.detail.contains("no answer"), "{}", nodes.detail);
    assert!(count(&live, "Pod") > 0);
    assert_eq!(live.inventory.coverage.gaps().count(), 1);
    emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_rejected_mid_scan_are_unauthorized_not_denied() {
    let (emulator, kubeconfig, _dir) = serve().await;
    emulator.set_faults(faults(
        "^/apis/apps/",
        Faults {
            unauthorized: true,
            ..Faults::default()
        },
    ));
    let live = read(&options(&kubeconfig)).await.unwrap();
    let deployments = kind(&live, "apps", "Deployment");
    assert_eq!(deployments.reason, Some(ReadGap::Unauthorized));
    assert!(
        deployments.detail.contains("log in again"),
        "{}",
        deployments.detail
    );
    assert!(
        live.inventory
            .coverage
            .gaps()
            .all(|k| k.group == "apps" && k.reason == Some(ReadGap::Unauthorized)),
        "{:?}",
        live.inventory.coverage
    );
    assert!(
        live.inventory
            .input_problems
            .iter()
            .all(|p| p.check != "access-denied")
    );
    emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn version_is_retried_through_a_second_of_errors() {
    let (emulator, kubeconfig, _dir) = serve().await;
    emulator.set_faults(faults(
        "^/version$",
        Faults {
            error_share: 1.0,
            ..Faults::default()
        },
    ));
    let opts = LiveOptions {
        retry: RetryPolicy::default(),
        ..options(&kubeconfig)
    };
    let heal = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        emulator.set_faults(Faults::default());
    };
    let (live, ()) = tokio::join!(read(&opts), heal);
    let live = live.unwrap();
    assert!(live.inventory.cluster.server_version.is_some());
    assert!(live.stats.retries >= 2, "{:?}", live.stats);
    assert!(live.inventory.coverage.is_complete());
    emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_stops_mid_read_leaves_named_gaps() {
    let (emulator, kubeconfig, _dir) = serve().await;
    // Slow pages, so that the read is still listing when the server goes away.
    emulator.set_faults(faults(
        "^/api",
        Faults {
            latency: Duration::from_millis(150),
            ..Faults::default()
        },
    ));
    let opts = LiveOptions {
        page_size: 5,
        concurrency: 2,
        ..options(&kubeconfig)
    };
    let reading = tokio::spawn(async move { read(&opts).await });
    // Wait until the lists are under way (the emulator counts each request).
    for _ in 0..400 {
        if emulator.requests() > 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    emulator.stop().await;
    let live = reading.await.unwrap().unwrap();
    let gaps: Vec<&KindRead> = live.inventory.coverage.gaps().collect();
    assert!(!gaps.is_empty(), "{:?}", live.inventory.coverage);
    assert!(
        gaps.iter()
            .all(|k| matches!(k.reason, Some(ReadGap::Failed | ReadGap::TimedOut))),
        "{gaps:?}"
    );
    // Every kind the read meant to list is accounted for, read or not.
    assert_eq!(
        live.inventory
            .coverage
            .kinds
            .iter()
            .filter(|k| k.reason != Some(ReadGap::NotServed))
            .count(),
        live.stats.types.len()
    );
}
