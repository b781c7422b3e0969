//! The services of the bundled demo (examples/demo-cluster, whose README lists the planted
//! problems 29-33): the dependency tables the README promises, the graph, and the order.

use std::path::Path;

use assert_cmd::Command;

fn mcp_diag(args: &[&str]) -> (i32, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::cargo_bin("mcp-diag")
        .unwrap()
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "160")
        .env("MCP_DIAG_TODAY", "2026-11-25")
        .env("MCP_DIAG_NOW", "2026-11-26T03:00:00Z")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The dependency table of a table report: from its header to the end.
fn table(stdout: &str) -> &str {
    let at = stdout
        .find("Dependencies of")
        .or_else(|| stdout.find("CONSUMER"))
        .unwrap_or_else(|| panic!("no dependency table:\n{stdout}"));
    &stdout[at..]
}

#[test]
fn user_auth_and_all_its_dependencies_show_the_planted_api_mismatch() {
    let (code, stdout, stderr) = mcp_diag(&[
        "scan",
        "--target-service",
        "shop/user-auth",
        "--dependency",
        "all",
        "examples/demo-cluster",
    ]);
    assert_eq!(code, 3, "the API mismatch is a blocker: {stderr}");
    let t = table(&stdout);
    let row = t
        .lines()
        .find(|l| l.contains("shop/profile-svc") && l.contains("dep-api-mismatch"))
        .unwrap_or_else(|| panic!("{t}"));
    assert!(row.contains("2.1.0") && row.contains("1.9.4"), "{row}");
    insta::assert_snapshot!("demo_user_auth_all", t);

    // The JSON says the same per pair.
    let (_, json, _) = mcp_diag(&[
        "scan",
        "--target-service",
        "shop/user-auth",
        "--dependency",
        "all",
        "examples/demo-cluster",
        "-o",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let pairs = v["clusters"][0]["services"]["pairs"].as_array().unwrap();
    let pair = pairs
        .iter()
        .find(|p| p.to_string().contains("profile-svc"))
        .unwrap_or_else(|| panic!("{pairs:#?}"));
    assert!(pair.to_string().contains("dep-api-mismatch"), "{pair}");
}

#[test]
fn order_svc_shows_the_planted_protocol_mismatch() {
    let (code, stdout, stderr) = mcp_diag(&[
        "scan",
        "--target-service",
        "shop/order-svc",
        "examples/demo-cluster",
    ]);
    assert_ne!(code, 1, "{stderr}");
    let t = table(&stdout);
    let row = t
        .lines()
        .find(|l| l.contains("shop/payment-gw"))
        .unwrap_or_else(|| panic!("{t}"));
    assert!(
        row.contains("dep-protocol-mismatch") && row.contains("9090"),
        "{row}"
    );
    // Direct dependencies only: nothing the providers call.
    assert!(!t.contains("dep-api-mismatch"), "{t}");
    insta::assert_snapshot!("demo_order_svc", t);
}

#[test]
fn the_demo_graph_renders_and_orders_providers_first() {
    let (code, mermaid, stderr) = mcp_diag(&["graph", "examples/demo-cluster", "--output", "mermaid"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(mermaid.starts_with("flowchart LR"), "{mermaid}");
    insta::assert_snapshot!("demo_graph_mermaid", mermaid);

    let (code, order, stderr) = mcp_diag(&["graph", "examples/demo-cluster", "--order"]);
    assert_eq!(code, 0, "{stderr}");
    let pos = |name: &str| {
        order
            .find(name)
            .unwrap_or_else(|| panic!("{name} not in the order:\n{order}"))
    };
    // Providers before their consumers.
    assert!(pos("shop/profile-svc") < pos("shop/user-auth"), "{order}");
    assert!(pos("shop/payment-gw") < pos("shop/order-svc"), "{order}");
    assert!(
        pos("policy-controller/policy-controller") < pos("api-gateway/api-gateway"),
        "{order}"
    );
}
