//! Reads a cluster with the live source and prints what it cost: the benchmark of the
//! library alone, without checks or report.
//!
//! ```text
//! cargo run --release -p mcp-diag-live --example live_bench -- --kubeconfig K [--context C]
//!     [--page-size 500] [--concurrency 8] [--timeout 600] [--helm-releases]
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use mcp_diag_live::{LiveOptions, read};

fn main() -> std::process::ExitCode {
    let mut options = LiveOptions {
        progress: true,
        timeout: Duration::from_secs(600),
        ..LiveOptions::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match arg.as_str() {
            "--kubeconfig" => options.kubeconfig = Some(PathBuf::from(value())),
            "--context" => options.context = Some(value()),
            "--page-size" => options.page_size = value().parse().unwrap_or(500),
            "--concurrency" => options.concurrency = value().parse().unwrap_or(8),
            "--timeout" => options.timeout = Duration::from_secs(value().parse().unwrap_or(600)),
            "--helm-releases" => options.helm_releases = true,
            other => {
                eprintln!("unknown argument {other:?}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(read(&options)) {
        Ok(live) => {
            let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
            for o in &live.inventory.objects {
                *kinds.entry(o.kind.as_str()).or_default() += 1;
            }
            let s = &live.stats;
            println!(
                "read {} objects of {} types in {:.2} s: {} requests ({} retries), {} pages, {:.1} MB, {} restarts, {} problems",
                live.inventory.objects.len(),
                s.types.len(),
                s.elapsed.as_secs_f64(),
                s.requests,
                s.retries,
                s.pages,
                s.bytes as f64 / 1e6,
                s.restarts,
                live.inventory.input_problems.len()
            );
            for (kind, n) in kinds {
                println!("  {kind}: {n}");
            }
            for p in &live.inventory.input_problems {
                println!("  problem: {} {}", p.check, p.message);
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
