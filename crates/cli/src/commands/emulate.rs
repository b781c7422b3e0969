//! `mcp-diag emulate`: serve a snapshot as a live cluster until Ctrl-C.

use std::io::Write as _;
use std::net::SocketAddr;

use crate::args::EmulateArgs;
use crate::exit::ExitStatus;

pub fn run(args: &EmulateArgs) -> anyhow::Result<ExitStatus> {
    let inventory = mcp_diag_sources::read_snapshot(&args.snapshot).map_err(|e| {
        super::hinted(
            format!("cannot read the snapshot {}: {e}", args.snapshot.display()),
            "pass a directory written by `mcp-diag snapshot` (it holds cluster.yaml)",
        )
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(args, inventory))
}

async fn serve(args: &EmulateArgs, inventory: mcp_diag_model::Inventory) -> anyhow::Result<ExitStatus> {
    let objects = inventory.objects.len();
    let options = mcp_diag_emulator::Options {
        ready_delay: args.ready_delay,
        ..mcp_diag_emulator::Options::default()
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let emulator = mcp_diag_emulator::Emulator::start_on(inventory, options, addr)
        .await
        .map_err(|e| {
            super::hinted(
                format!("cannot listen on {addr}: {e}"),
                "pick another --port, or 0 for any free one",
            )
        })?;
    emulator.set_faults(mcp_diag_emulator::Faults {
        latency: args.latency,
        ..mcp_diag_emulator::Faults::default()
    });
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Serving {} ({objects} objects) at {}",
        args.snapshot.display(),
        emulator.url()
    )?;
    match &args.kubeconfig_out {
        Some(path) => {
            std::fs::write(path, emulator.kubeconfig(&args.context)).map_err(|e| {
                super::hinted(
                    format!("cannot write {}: {e}", path.display()),
                    "choose a writable --kubeconfig-out path",
                )
            })?;
            writeln!(
                out,
                "Kubeconfig written to {0}; try: kubectl --kubeconfig {0} get nodes",
                path.display()
            )?;
        }
        None => writeln!(
            out,
            "Use it with: kubectl --server {} get nodes   (or pass --kubeconfig-out FILE for a kubeconfig)",
            emulator.url()
        )?,
    }
    writeln!(out, "Press Ctrl-C to stop.")?;
    out.flush()?;
    drop(out);
    tokio::signal::ctrl_c().await?;
    emulator.stop().await;
    Ok(ExitStatus::Success)
}
