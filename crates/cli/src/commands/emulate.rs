//! `mcp-diag emulate`: serve a snapshot as a live cluster until Ctrl-C.

use std::io::Write as _;
use std::net::SocketAddr;

use crate::args::EmulateArgs;
use crate::exit::ExitStatus;

pub fn run(args: &EmulateArgs) -> anyhow::Result<ExitStatus> {
    let faults = faults(args)?;
    let access = access(args)?;
    let (node_faults, app) = kubelets_and_app(args)?;
    let inventory = mcp_diag_sources::read_snapshot(&args.snapshot).map_err(|e| {
        super::hinted(
            format!("cannot read the snapshot {}: {e}", args.snapshot.display()),
            "pass a directory written by `mcp-diag snapshot` (it holds cluster.yaml)",
        )
    })?;
    // A fault on a node the snapshot does not have would silently never fire.
    for name in node_faults.keys() {
        if !inventory
            .objects
            .iter()
            .any(|o| o.kind == "Node" && o.name == *name)
        {
            return Err(super::hinted(
                format!("--node-fault: the snapshot has no node {name}"),
                "name a node of the snapshot (mcp-diag emulate, then kubectl get nodes, lists them)",
            ));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let options = mcp_diag_emulator::Options {
        ready_delay: args.ready_delay,
        kubelet_restart: args.kubelet_restart,
        node_faults,
        app,
        job_runner: match &args.run_jobs {
            None => None,
            Some(b) if b.as_os_str() == "self" => Some(mcp_diag_emulator::jobs::JobRunner {
                binary: std::env::current_exe()?,
            }),
            Some(b) => Some(mcp_diag_emulator::jobs::JobRunner { binary: b.clone() }),
        },
        ..mcp_diag_emulator::Options::default()
    };
    runtime.block_on(serve(args, inventory, options, faults, access))
}

/// `--node-fault NODE=FAULT`, `--app-errors MINOR=SHARE` and `--app-latency MINOR=DURATION`.
fn kubelets_and_app(
    args: &EmulateArgs,
) -> anyhow::Result<(
    std::collections::BTreeMap<String, mcp_diag_emulator::NodeFault>,
    mcp_diag_emulator::AppModel,
)> {
    let mut node_faults = std::collections::BTreeMap::new();
    for spec in &args.node_faults {
        let hint = "write it as NODE=fail, NODE=hang, NODE=never-ready or NODE=wrong-version=v1.31.4";
        let Some((node, fault)) = spec.split_once('=').filter(|(n, _)| !n.trim().is_empty()) else {
            return Err(super::hinted(
                format!("--node-fault {spec}: no NODE= before the fault"),
                hint,
            ));
        };
        let fault = mcp_diag_emulator::NodeFault::parse(fault)
            .map_err(|e| super::hinted(format!("--node-fault {spec}: {e}"), hint))?;
        if node_faults.insert(node.trim().to_owned(), fault).is_some() {
            return Err(super::hinted(
                format!("--node-fault: node {node} is given twice"),
                "give one fault per node",
            ));
        }
    }
    let mut app = mcp_diag_emulator::AppModel::default();
    for spec in &args.app_errors {
        app.set_errors(spec).map_err(|e| {
            super::hinted(
                format!("--app-errors {spec}: {e}"),
                "for example --app-errors 1.32=8%",
            )
        })?;
    }
    for spec in &args.app_latency {
        app.set_latency(spec).map_err(|e| {
            super::hinted(
                format!("--app-latency {spec}: {e}"),
                "for example --app-latency 1.32=2s",
            )
        })?;
    }
    Ok((node_faults, app))
}

/// `--faults`, `--fault-path` and `--latency` as one set of faults.
fn faults(args: &EmulateArgs) -> anyhow::Result<mcp_diag_emulator::Faults> {
    let mut faults = match &args.faults {
        Some(spec) => mcp_diag_emulator::Faults::parse(spec).map_err(|e| {
            super::hinted(
                format!("--faults {spec}: {e}"),
                "write it as error=0.1,throttle=0.2,drop=0.1,latency=50ms (any of them)",
            )
        })?,
        None => mcp_diag_emulator::Faults::default(),
    };
    if !args.latency.is_zero() {
        if !faults.latency.is_zero() {
            return Err(super::hinted(
                "the latency is given twice, by --latency and by latency= in --faults",
                "keep one of them",
            ));
        }
        faults.latency = args.latency;
    }
    if let Some(pattern) = &args.fault_path {
        faults.set_path(pattern).map_err(|e| {
            super::hinted(
                format!("--fault-path {pattern:?} is not a regular expression: {e}"),
                "for example '^/api/v1/pods' (the request path, without the query)",
            )
        })?;
    }
    Ok(faults)
}

/// `--require-token` and `--token USER=TOKEN[:ROLEFILE]` as the emulator's access rules; the
/// first token is the kubeconfig's.
fn access(args: &EmulateArgs) -> anyhow::Result<mcp_diag_emulator::Access> {
    use mcp_diag_emulator::{PolicyRule, Token};
    let mut tokens = Vec::new();
    if let Some(t) = &args.require_token {
        if t.trim().is_empty() {
            return Err(super::hinted(
                "--require-token is empty",
                "give a token, such as s3cret",
            ));
        }
        tokens.push(Token {
            token: t.clone(),
            user: "admin".to_owned(),
            rules: None,
        });
    }
    for spec in &args.tokens {
        let bad = |why: &str| {
            super::hinted(
                format!("--token {spec}: {why}"),
                "write it as USER=TOKEN or USER=TOKEN:ROLEFILE, such as scanner=s3cret:deploy/mcp-diag-readonly-clusterrole.yaml",
            )
        };
        let (user, rest) = spec.split_once('=').ok_or_else(|| bad("no '=' after the user"))?;
        let (token, role_file) = match rest.split_once(':') {
            Some((t, f)) => (t, Some(f)),
            None => (rest, None),
        };
        if user.is_empty() || token.is_empty() {
            return Err(bad("the user and the token must not be empty"));
        }
        if tokens.iter().any(|t: &Token| t.token == token) {
            return Err(bad("this token is already given"));
        }
        let rules = match role_file {
            None => None,
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| bad(&format!("cannot read {path}: {e}")))?;
                Some(PolicyRule::from_yaml(&text).map_err(|e| bad(&format!("{path}: {e}")))?)
            }
        };
        tokens.push(Token {
            token: token.to_owned(),
            user: user.to_owned(),
            rules,
        });
    }
    Ok(mcp_diag_emulator::Access { tokens })
}

async fn serve(
    args: &EmulateArgs,
    inventory: mcp_diag_model::Inventory,
    options: mcp_diag_emulator::Options,
    faults: mcp_diag_emulator::Faults,
    access: mcp_diag_emulator::Access,
) -> anyhow::Result<ExitStatus> {
    let objects = inventory.objects.len();
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let emulator = mcp_diag_emulator::Emulator::start_on(inventory, options, addr)
        .await
        .map_err(|e| {
            super::hinted(
                format!("cannot listen on {addr}: {e}"),
                "pick another --port, or 0 for any free one",
            )
        })?;
    let tokens = access.tokens.len();
    let first_token = access.tokens.first().map(|t| t.token.clone());
    emulator.set_faults(faults);
    emulator.set_access(access);
    use std::fmt::Write as _;
    let mut banner = format!(
        "Serving {} ({objects} objects) at {}\n",
        args.snapshot.display(),
        emulator.url()
    );
    match &args.kubeconfig_out {
        Some(path) => {
            std::fs::write(path, emulator.kubeconfig(&args.context)).map_err(|e| {
                super::hinted(
                    format!("cannot write {}: {e}", path.display()),
                    "choose a writable --kubeconfig-out path",
                )
            })?;
            let _ = writeln!(
                banner,
                "Kubeconfig written to {0}; try: kubectl --kubeconfig {0} get nodes",
                path.display()
            );
        }
        None => {
            let _ = writeln!(
                banner,
                "Use it with: kubectl --server {} get nodes   (or pass --kubeconfig-out FILE for a kubeconfig)",
                emulator.url(),
            );
        }
    }
    if let Some(t) = first_token {
        // client-go sets a kubeconfig's token only for TLS servers (kubernetes/kubectl#744).
        let _ = writeln!(
            banner,
            "Requests need one of the {tokens} token(s) given (Authorization: Bearer TOKEN); others get 401.\n\
             kubectl sends tokens only over TLS, so it is refused here; mcp-diag and curl send them:\n  \
             curl -H 'Authorization: Bearer {t}' {}/api/v1/nodes",
            emulator.url()
        );
    }
    let _ = writeln!(
        banner,
        "Control: POST {0}/mcp-diag/v1/nodes/NODE/upgrade?version=v1.32.0 upgrades a node's kubelet; \
         application metrics at {0}/mcp-diag/v1/app/metrics",
        emulator.url()
    );
    banner.push_str("Press Ctrl-C to stop.\n");
    // Best effort: a reader that stops after the first line (`| head -1`, a test reading the
    // URL) must not stop the server.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    drop(out);
    tokio::signal::ctrl_c().await?;
    emulator.stop().await;
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(clap::Parser)]
    struct Wrap {
        #[command(flatten)]
        args: EmulateArgs,
    }

    fn parse(
        flags: &[&str],
    ) -> anyhow::Result<(
        std::collections::BTreeMap<String, mcp_diag_emulator::NodeFault>,
        mcp_diag_emulator::AppModel,
    )> {
        let argv = ["emulate", "snap"].iter().chain(flags);
        kubelets_and_app(&Wrap::try_parse_from(argv).unwrap().args)
    }

    #[test]
    fn node_faults_and_the_app_model_from_flags() {
        use mcp_diag_emulator::NodeFault;
        let (faults, app) = parse(&[
            "--node-fault",
            "w1=hang",
            "--node-fault",
            "w2=wrong-version=1.31.4",
            "--app-errors",
            "1.32=8%",
            "--app-latency",
            "1.32=2s",
        ])
        .unwrap();
        assert_eq!(faults["w1"], NodeFault::Hang);
        assert_eq!(faults["w2"], NodeFault::WrongVersion("v1.31.4".to_owned()));
        assert_eq!(app.by_version["1.32"].error, Some(0.08));
        assert_eq!(
            app.by_version["1.32"].latency,
            Some(std::time::Duration::from_secs(2))
        );
        for (bad, says) in [
            (vec!["--node-fault", "hang"], "NODE="),
            (vec!["--node-fault", "w1=explode"], "unknown node fault"),
            (
                vec!["--node-fault", "w1=fail", "--node-fault", "w1=hang"],
                "twice",
            ),
            (vec!["--app-errors", "1.32=200%"], "--app-errors 1.32=200%"),
            (vec!["--app-latency", "x=2s"], "kubelet minor"),
        ] {
            let e = format!("{:#}", parse(&bad).unwrap_err());
            assert!(e.contains(says), "{bad:?}: {e}");
        }
    }
}
