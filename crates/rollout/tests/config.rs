//! The config file's `upgrade:` and `gates:` sections: defaults, every form, and every mistake
//! reported with its line, column and dotted key.

use std::path::Path;

use mcp_diag_rollout::config::{
    Action, ActionKind, Bound, GatesConfig, JobAction, MINUTE, OnDrainTimeout, Policy, RollbackPolicy,
    SECOND, Threshold, UpgradeConfig,
};
use mcp_diag_rollout::config_file::{
    ConfigErrors, STARTER, load, parse, parse_duration, unknown_placeholders, without_gates_section,
};

fn ok(text: &str) -> mcp_diag_rollout::config::RolloutConfig {
    parse(text, Path::new("upgrade.yaml")).unwrap_or_else(|e| panic!("{e}\n--- in:\n{text}"))
}

/// Every error line of a bad config.
fn errors(text: &str) -> Vec<String> {
    let e: ConfigErrors = parse(text, Path::new("upgrade.yaml"))
        .err()
        .unwrap_or_else(|| panic!("accepted:\n{text}"));
    let lines: Vec<String> = e.to_string().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), e.0.len(), "one line per error");
    lines
}

/// The one error of a bad config, which must start with `prefix` (`upgrade.yaml:LINE:COL: KEY:`)
/// and contain `words`.
fn one_error(text: &str, prefix: &str, words: &str) {
    let all = errors(text);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(
        all[0].starts_with(prefix),
        "{:?} does not start with {prefix:?}",
        all[0]
    );
    assert!(all[0].contains(words), "{:?} does not say {words:?}", all[0]);
}

const NODE_ACTION: &str = "  node_action: {exec: \"ssh {node} upgrade {version}\"}\n  rollback_action: {exec: \"ssh {node} downgrade {from_version}\"}\n";

#[test]
fn an_empty_file_takes_every_default_and_only_the_nodes_lost_gate() {
    for text in ["", "# nothing\n", "fail_on: high\nchecks: {}\n"] {
        let c = ok(text);
        assert_eq!(c.upgrade, UpgradeConfig::default());
        assert_eq!(c.gates, without_gates_section());
        assert!(c.gates.prometheus.is_none());
        assert!(c.gates.rules.is_empty(), "no Prometheus, so no rules");
        assert_eq!(
            c.gates.nodes_lost,
            Some(Threshold {
                above: 3.0,
                window: 0
            })
        );
        assert_eq!(c.gates.interval, 10 * SECOND);
    }
}

#[test]
fn the_scan_settings_and_later_sections_are_accepted_and_ignored() {
    let c = ok(
        "target_version: '1.32'\nfail_on: medium\nbackup_max_age: 48h\nrestart_threshold: 5\nnode_full_percent: 90\nrules: r.yaml\ndesired: d/\nchecks: {x: {enabled: false}}\nservices: [a]\nprobes: {b: 1}\n",
    );
    assert_eq!(c.upgrade, UpgradeConfig::default());
}

#[test]
fn an_unknown_top_level_key_is_named_with_a_suggestion() {
    one_error(
        "upgade:\n  soak: 5m\n",
        "upgrade.yaml:1:1: upgade: unknown key",
        "did you mean `upgrade`?",
    );
    one_error(
        "gatez: {}\n",
        "upgrade.yaml:1:1: gatez: ",
        "did you mean `gates`?",
    );
    one_error(
        "zzz: 1\n",
        "upgrade.yaml:1:1: zzz: ",
        "the keys here are upgrade, gates, target_version",
    );
}

#[test]
fn unknown_nested_keys_are_named_with_their_path() {
    one_error(
        "upgrade:\n  drain:\n    timout: 5m\n",
        "upgrade.yaml:3:5: upgrade.drain.timout: unknown key",
        "did you mean `timeout`?",
    );
    one_error(
        "gates:\n  prometheus: {url: http://p:9090}\n  rules:\n    - name: a\n      query: up\n      above: 1\n      fro: 2m\n",
        "upgrade.yaml:7:7: gates.rules[0].fro: unknown key",
        "did you mean `for`?",
    );
}

#[test]
fn a_partial_section_keeps_the_other_defaults() {
    let c = ok("upgrade:\n  soak: 1h30m\n  drain: {force: true}\n");
    let mut want = UpgradeConfig {
        soak: 90 * MINUTE,
        ..UpgradeConfig::default()
    };
    want.drain.force = true;
    assert_eq!(c.upgrade, want);
}

#[test]
fn every_upgrade_key_is_read() {
    let text = format!(
        "upgrade:\n  lease: {{namespace: ops, duration: 45s}}\n  waves: [5, 25%, 100]\n  max_unavailable: 3\n  soak: 0s\n  precheck: {{cpu_below: 90%}}\n  drain: {{timeout: 1m, force: true, delete_emptydir_data: false, grace_period: 20s, on_timeout: skip-node}}\n  verify: {{node_ready_timeout: 2m, workloads_ready_timeout: 500ms}}\n{NODE_ACTION}  rollback: all\n  control_plane: {{action: {{exec: [kubeadm, upgrade, apply, 'v{{version}}'], timeout: 30m}}, soak: 1m, ready_timeout: 3m, etcd_endpoints: ['https://10.0.0.1:2379']}}\n"
    );
    let u = ok(&text).upgrade;
    assert_eq!(u.lease_namespace, "ops");
    assert_eq!(u.lease_duration, 45 * SECOND);
    assert_eq!(u.waves, vec![5, 25, 100]);
    assert_eq!(u.max_unavailable, 3);
    assert_eq!(u.soak, 0);
    assert_eq!(u.precheck.cpu_below_percent, Some(90));
    assert_eq!(u.drain.timeout, MINUTE);
    assert!(u.drain.force && !u.drain.delete_emptydir_data);
    assert_eq!(u.drain.grace_period_seconds, Some(20));
    assert_eq!(u.drain.on_timeout, OnDrainTimeout::SkipNode);
    assert_eq!(u.verify.node_ready_timeout, 2 * MINUTE);
    assert_eq!(u.verify.workloads_ready_timeout, 500);
    assert_eq!(u.rollback, RollbackPolicy::All);
    assert_eq!(
        u.node_action,
        Action {
            kind: ActionKind::Exec {
                argv: vec!["ssh {node} upgrade {version}".into()],
                shell: true
            },
            timeout: 20 * MINUTE
        }
    );
    assert!(u.rollback_action.is_some());
    let cp = u.control_plane;
    assert_eq!(
        cp.action.unwrap().kind,
        ActionKind::Exec {
            argv: vec![
                "kubeadm".into(),
                "upgrade".into(),
                "apply".into(),
                "v{version}".into()
            ],
            shell: false
        }
    );
    assert_eq!((cp.soak, cp.ready_timeout), (MINUTE, 3 * MINUTE));
    assert_eq!(cp.etcd_endpoints, vec!["https://10.0.0.1:2379".to_owned()]);
}

#[test]
fn every_action_form() {
    let job = ok(
        "upgrade:\n  node_action:\n    job:\n      image: rancher/k3s-upgrade:v{version}\n      command: [upgrade, '{node}']\n      service_account: upgrader\n      privileged: true\n      env: {TARGET: '{version}', MODE: fast}\n    timeout: 5m\n  rollback: none\n",
    )
    .upgrade;
    assert_eq!(
        job.node_action,
        Action {
            kind: ActionKind::Job(JobAction {
                namespace: "kube-system".into(),
                image: "rancher/k3s-upgrade:v{version}".into(),
                command: vec!["upgrade".into(), "{node}".into()],
                service_account: Some("upgrader".into()),
                privileged: true,
                env: vec![
                    ("TARGET".into(), "{version}".into()),
                    ("MODE".into(), "fast".into())
                ],
            }),
            timeout: 5 * MINUTE
        }
    );
    assert_eq!(
        job.rollback_action, None,
        "rollback: none needs no rollback action"
    );

    let shell_job = ok(
        "upgrade:\n  node_action: {job: {image: busybox, command: 'echo {node}', namespace: ops}}\n  rollback: none\n",
    );
    let ActionKind::Job(j) = shell_job.upgrade.node_action.kind else {
        panic!("not a job")
    };
    assert_eq!(j.command, vec!["sh", "-c", "echo {node}"]);
    assert_eq!(j.namespace, "ops");
    assert!(!j.privileged);

    let label = ok(
        "upgrade:\n  node_action: {label: {key: example.com/v, value: '{version}'}}\n  rollback_action: {label: {key: example.com/v, value: '{from_version}'}, timeout: 1h}\n",
    )
    .upgrade;
    assert_eq!(
        label.node_action.kind,
        ActionKind::Label {
            key: "example.com/v".into(),
            value: "{version}".into()
        }
    );
    assert_eq!(label.rollback_action.unwrap().timeout, 60 * MINUTE);
}

#[test]
fn an_action_needs_exactly_one_form() {
    one_error(
        "upgrade:\n  rollback: none\n  node_action: {timeout: 5m}\n",
        "upgrade.yaml:3:16: upgrade.node_action: ",
        "needs one of exec, job or label",
    );
    one_error(
        "upgrade:\n  rollback: none\n  node_action:\n    exec: a\n    label: {key: k, value: v}\n",
        "upgrade.yaml:4:5: upgrade.node_action: ",
        "has exec and label: write exactly one",
    );
    one_error(
        "upgrade:\n  rollback: none\n  node_action: {exec: []}\n",
        "upgrade.yaml:3:23: upgrade.node_action.exec: ",
        "non-empty list",
    );
    one_error(
        "upgrade:\n  rollback: none\n  node_action: {job: {command: [x]}}\n",
        "upgrade.yaml:3:22: upgrade.node_action.job.image: ",
        "missing",
    );
}

#[test]
fn an_unknown_placeholder_is_named() {
    one_error(
        "upgrade:\n  rollback: none\n  node_action:\n    exec: \"ssh {host} upgrade {version}\"\n",
        "upgrade.yaml:4:11: upgrade.node_action.exec: ",
        "unknown placeholder {host}",
    );
    one_error(
        "upgrade:\n  rollback: none\n  node_action:\n    exec: [ssh, '{node}', '{verison}']\n",
        "upgrade.yaml:4:27: upgrade.node_action.exec[2]: ",
        "unknown placeholder {verison}",
    );
    // The shell's own braces are left alone.
    assert!(
        unknown_placeholders("echo ${HOME} | awk '{print $1}' {node} {version} {from_version}").is_empty()
    );
    assert_eq!(unknown_placeholders("{a}{b}{a}"), vec!["a", "b"]);
}

#[test]
fn rollback_action_is_required_unless_rollback_none() {
    one_error(
        "upgrade:\n  node_action: {exec: 'ssh {node} up'}\n",
        "upgrade.yaml:2:3: upgrade.rollback_action: ",
        "add one, or set `rollback: none` to accept irreversible upgrades",
    );
    one_error(
        "upgrade:\n  rollback: all\n  node_action: {exec: 'ssh {node} up'}\n",
        "upgrade.yaml:3:3: upgrade.rollback_action: ",
        "`rollback: all` needs a rollback_action",
    );
    let none = ok("upgrade:\n  rollback: none\n  node_action: {exec: 'ssh {node} up'}\n").upgrade;
    assert_eq!(
        (none.rollback, none.rollback_action),
        (RollbackPolicy::None, None)
    );
    one_error(
        "upgrade:\n  rollback: some\n",
        "upgrade.yaml:2:13: upgrade.rollback: ",
        "write wave, all or none",
    );
}

#[test]
fn waves_must_rise_and_end_at_100() {
    one_error(
        "upgrade:\n  waves: [1%, 50%, 10%, 100%]\n",
        "upgrade.yaml:2:20: upgrade.waves[2]: ",
        "10% after 50%: the waves must rise",
    );
    one_error(
        "upgrade:\n  waves: [10%, 50%]\n",
        "upgrade.yaml:2:16: upgrade.waves[1]: ",
        "the last wave is 50%: it must be 100%",
    );
    one_error(
        "upgrade:\n  waves: [0%, 100%]\n",
        "upgrade.yaml:2:11: upgrade.waves[0]: ",
        "out of range",
    );
    one_error(
        "upgrade:\n  waves: [10%, 150]\n",
        "upgrade.yaml:2:16: upgrade.waves[1]: ",
        "out of range",
    );
    one_error(
        "upgrade:\n  waves: [1.5%, 100]\n",
        "upgrade.yaml:2:11: upgrade.waves[0]: ",
        "not a whole percent",
    );
    one_error(
        "upgrade:\n  waves: []\n",
        "upgrade.yaml:2:10: upgrade.waves: ",
        "at least one wave",
    );
    one_error(
        "upgrade:\n  max_unavailable: 0\n",
        "upgrade.yaml:2:20: upgrade.max_unavailable: ",
        "must be 1..=",
    );
}

#[test]
fn durations() {
    assert_eq!(parse_duration("500ms"), Ok(500));
    assert_eq!(parse_duration("10s"), Ok(10 * SECOND));
    assert_eq!(parse_duration("2m"), Ok(2 * MINUTE));
    assert_eq!(parse_duration("1h"), Ok(60 * MINUTE));
    assert_eq!(parse_duration("1h30m"), Ok(90 * MINUTE));
    assert_eq!(parse_duration("1m30s500ms"), Ok(90_500));
    assert_eq!(parse_duration("0s"), Ok(0));
    for bad in ["", "10", "s", "1.5s", "10 s", "10d", "1h 30m", "abc"] {
        assert!(
            parse_duration(bad).unwrap_err().contains("duration"),
            "{bad:?} accepted"
        );
    }
    assert!(parse_duration("-5s").unwrap_err().contains("negative"));
    assert!(parse_duration("99999999999999999999h").is_err());

    one_error(
        "upgrade:\n  drain: {timeout: -5m}\n",
        "upgrade.yaml:2:20: upgrade.drain.timeout: ",
        "negative",
    );
    one_error(
        "upgrade:\n  drain: {timeout: 0s}\n",
        "upgrade.yaml:2:20: upgrade.drain.timeout: ",
        "must be longer than 0",
    );
    one_error(
        "upgrade:\n  soak: 10\n",
        "upgrade.yaml:2:9: upgrade.soak: ",
        "has no unit",
    );
    one_error(
        "upgrade:\n  verify: {node_ready_timeout: 10 minutes}\n",
        "upgrade.yaml:2:32: upgrade.verify.node_ready_timeout: ",
        "is not a duration",
    );
    one_error(
        "upgrade:\n  drain: {grace_period: 1500ms}\n",
        "upgrade.yaml:2:25: upgrade.drain.grace_period: ",
        "whole seconds",
    );
    // `for: 0s` fires at the first breaching evaluation.
    let g = ok(
        "gates:\n  prometheus: {url: http://p:9090}\n  rules: [{name: a, query: up, below: 1, for: 0s}]\n",
    )
    .gates;
    assert_eq!(g.rules[0].window, 0);
    assert_eq!(g.rules[0].bound, Bound::Below(1.0));
}

#[test]
fn gate_rule_mistakes() {
    let head = "gates:\n  prometheus: {url: http://p:9090}\n  rules:\n";
    one_error(
        &format!("{head}    - {{name: a, query: up, for: 1m}}\n"),
        "upgrade.yaml:4:7: gates.rules[0]: ",
        "needs a bound: above: LIMIT or below: LIMIT",
    );
    one_error(
        &format!("{head}    - {{name: a, query: up, above: 1, below: 0}}\n"),
        "upgrade.yaml:4:45: gates.rules[0].below: ",
        "either above or below, not both",
    );
    one_error(
        &format!("{head}    - {{name: a, query: up, above: 1}}\n    - {{name: a, query: down, above: 2}}\n"),
        "upgrade.yaml:5:14: gates.rules[1].name: ",
        "already the name of gates.rules[0]",
    );
    one_error(
        &format!("{head}    - {{name: a, query: '  ', above: 1}}\n"),
        "upgrade.yaml:4:24: gates.rules[0].query: ",
        "must not be empty",
    );
    one_error(
        &format!("{head}    - {{name: a, query: up, above: 1, on_no_data: ignore}}\n"),
        "upgrade.yaml:4:50: gates.rules[0].on_no_data: ",
        "write hold, fail or pass",
    );
    one_error(
        &format!("{head}    - {{name: a, query: up, above: lots}}\n"),
        "upgrade.yaml:4:35: gates.rules[0].above: ",
        "expected a number",
    );
    one_error(
        "gates:\n  rules:\n    - {name: a, query: up, above: 1}\n",
        "upgrade.yaml:2:3: gates.rules: ",
        "add gates.prometheus",
    );
    one_error(
        "gates:\n  prometheus: {url: prometheus:9090}\n",
        "upgrade.yaml:2:21: gates.prometheus.url: ",
        "not an http:// or https:// URL",
    );
    one_error(
        "gates:\n  prometheus: {timeout: 5s}\n",
        "upgrade.yaml:2:15: gates.prometheus.url: ",
        "missing",
    );
    one_error(
        "gates:\n  nodes_lost: {above: -1}\n",
        "upgrade.yaml:2:23: gates.nodes_lost.above: ",
        "negative",
    );
}

#[test]
fn gates_read_every_key() {
    let g = ok(
        "gates:\n  prometheus:\n    url: https://p.example:443/prom\n    timeout: 3s\n    basic_auth: {username: me, password_file: /pw}\n    ca_file: /ca.pem\n  interval: 30s\n  rules:\n    - {name: e, query: up, above: 0.5, for: 1m, on_no_data: fail, on_error: pass, max_consecutive_errors: 4}\n  nodes_lost:\n  pods_unschedulable: {above: 10, for: 2m}\n",
    )
    .gates;
    let p = g.prometheus.unwrap();
    assert_eq!(
        (p.url.as_str(), p.timeout),
        ("https://p.example:443/prom", 3 * SECOND)
    );
    assert_eq!(p.basic_auth.unwrap().username, "me");
    assert_eq!(p.ca_file.unwrap(), Path::new("/ca.pem"));
    assert_eq!(g.interval, 30 * SECOND);
    let r = &g.rules[0];
    assert_eq!(
        (r.on_no_data, r.on_error, r.max_consecutive_errors),
        (Policy::Fail, Policy::Pass, Some(4))
    );
    assert_eq!(g.nodes_lost, None, "an empty value turns the built-in gate off");
    assert_eq!(
        g.pods_unschedulable,
        Some(Threshold {
            above: 10.0,
            window: 2 * MINUTE
        })
    );

    // Prometheus and no rules: the design's rules. Rules written as []: none.
    let g = ok("gates:\n  prometheus: {url: http://p:9090}\n").gates;
    assert_eq!(g.rules, GatesConfig::default().rules);
    assert_eq!(g.nodes_lost, GatesConfig::default().nodes_lost);
    assert!(
        ok("gates:\n  prometheus: {url: http://p:9090}\n  rules: []\n")
            .gates
            .rules
            .is_empty()
    );
    one_error(
        "gates:\n  prometheus: {url: http://p, bearer_token_file: /t, basic_auth: {username: u}}\n",
        "upgrade.yaml:2:54: gates.prometheus.basic_auth: ",
        "not both",
    );
}

#[test]
fn several_mistakes_are_all_reported_in_file_order() {
    let text = "\
upgrade:
  soak: 10
  drian: {timeout: 5m}
  waves: [10%, 5%, 100%]
  node_action: {exec: 'x {nod}'}
gates:
  rules:
    - {name: a, query: up, above: 1, below: 2}
    - {name: b, query: '', above: 1}
bogus: 1
";
    let all = errors(text);
    let want = [
        "upgrade.yaml:2:9: upgrade.soak: ",
        "upgrade.yaml:3:3: upgrade.drian: ",
        "upgrade.yaml:4:16: upgrade.waves[1]: ",
        "upgrade.yaml:5:3: upgrade.rollback_action: ",
        "upgrade.yaml:5:23: upgrade.node_action.exec: ",
        "upgrade.yaml:7:3: gates.rules: ",
        "upgrade.yaml:8:45: gates.rules[0].below: ",
        "upgrade.yaml:9:24: gates.rules[1].query: ",
        "upgrade.yaml:10:1: bogus: ",
    ];
    assert_eq!(all.len(), want.len(), "{all:#?}");
    for (line, prefix) in all.iter().zip(want) {
        assert!(
            line.starts_with(prefix),
            "{line:?} does not start with {prefix:?}"
        );
    }
}

#[test]
fn wrong_types_and_bad_yaml_are_located() {
    one_error(
        "upgrade: 5\n",
        "upgrade.yaml:1:10: upgrade: ",
        "expected a mapping",
    );
    one_error(
        "upgrade:\n  drain: {force: yes please}\n",
        "upgrade.yaml:2:18: upgrade.drain.force: ",
        "expected true or false",
    );
    one_error("- a\n- b\n", "upgrade.yaml:1:1: ", "expected a mapping");
    one_error(
        "upgrade:\n  node_action: {label: {key: k, value: {version}}}\n  rollback: none\n",
        "upgrade.yaml:2:40: upgrade.node_action.label.value: ",
        "write the placeholder in quotes, \"{version}\"",
    );
    let twice = errors("upgrade:\n  soak: 1m\n  soak: 2m\n");
    assert_eq!(twice.len(), 1, "{twice:?}");
    assert!(
        twice[0].starts_with("upgrade.yaml:3:"),
        "a key written twice is refused where it repeats: {twice:?}"
    );
    let bad = errors("upgrade:\n  soak: [1m\n");
    assert_eq!(bad.len(), 1);
    assert!(
        bad[0].starts_with("upgrade.yaml:") && bad[0].contains("not valid YAML"),
        "{bad:?}"
    );
    assert!(
        !bad[0].starts_with("upgrade.yaml:0:"),
        "a syntax error has a place: {bad:?}"
    );
}

#[test]
fn load_reads_the_file_and_names_it_when_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u.yaml");
    std::fs::write(&path, "upgrade:\n  soak: 1m\n").unwrap();
    assert_eq!(load(&path).unwrap().upgrade.soak, MINUTE);
    let missing = dir.path().join("missing.yaml");
    let e = load(&missing).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}: cannot read", missing.display())),
        "{e}"
    );
}

#[test]
fn the_starter_parses_and_its_gates_are_the_designs() {
    let c = ok(STARTER);
    let mut gates = c.gates.clone();
    let prometheus = gates.prometheus.take().expect("the starter names Prometheus");
    assert_eq!(prometheus.url, "http://prometheus.monitoring:9090");
    assert_eq!(gates, GatesConfig::default());
    let u = c.upgrade;
    assert_eq!(u.waves, vec![1, 10, 50, 100]);
    assert_eq!((u.max_unavailable, u.soak), (1, 10 * MINUTE));
    assert_eq!(u.drain, UpgradeConfig::default().drain);
    assert_eq!(u.rollback, RollbackPolicy::Wave);
    let ActionKind::Exec { argv, shell: true } = &u.node_action.kind else {
        panic!("the starter's node action is an exec template")
    };
    assert!(
        argv[0].starts_with("ssh {node} ") && argv[0].contains("kubelet={version}"),
        "{argv:?}"
    );
    let ActionKind::Exec { argv, .. } = &u.rollback_action.as_ref().unwrap().kind else {
        panic!("the starter's rollback action is an exec template")
    };
    assert!(argv[0].contains("kubelet={from_version}"), "{argv:?}");
    assert!(u.control_plane.action.is_some());
}

/// The example in docs/upgrade.md is this parser's real output.
#[test]
fn the_documented_example_error_output_is_true() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/upgrade.md")).unwrap();
    let example = &doc[doc.find("For example, this file:").expect("the example")..];
    let block = |fence: &str| {
        let from = example.find(fence).expect(fence) + fence.len();
        let to = from + example[from..].find("```").expect("a closing fence");
        example[from..to].to_owned()
    };
    let yaml = block("```yaml\n");
    let want = block("```text\n");
    let got = parse(&yaml, Path::new("upgrade.yaml")).unwrap_err().to_string();
    assert_eq!(want.trim_end(), got, "docs/upgrade.md's example output is stale");
}
