//! Benchmark: plans a generated cluster in memory.
//!
//! `cargo run --release -p mcp-diag-planner --example plan_bench -- NODES [PODS_PER_NODE] [SEED]`
//!
//! Prints the generation and planning times (the drain simulation with its waves; the scan
//! checks of the hops are off, as `scan` has its own benchmark) and the plan's summary.

use std::time::Instant;

use mcp_diag_model::Minor;
use mcp_diag_planner::testing::bench_inventory;
use mcp_diag_planner::{PlanOptions, plan};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let nodes = arg(0, 5000) as usize;
    let per_node = arg(1, 30) as usize;
    let seed = arg(2, 42);
    let checks = std::env::var_os("PLAN_BENCH_CHECKS").is_some();
    let t0 = Instant::now();
    let inventory = bench_inventory(nodes, per_node, seed);
    let pods = inventory.objects.iter().filter(|o| o.kind == "Pod").count();
    let generated = t0.elapsed();
    let mut options = PlanOptions::new(Minor::new(1, 32));
    options.run_checks = checks;
    options.max_unavailable = 2;
    let cpu0 = cpu_seconds();
    let t1 = Instant::now();
    let result = plan(&inventory, &options).expect("plan");
    let planned = t1.elapsed();
    let cpu = cpu_seconds() - cpu0;
    let s = &result.summary;
    println!(
        "nodes {nodes} pods {pods} objects {} | generate {:.2}s | plan {:.2}s (cpu {cpu:.2}s){} | batches {} drainable {} blocked {} unknown {} evicted {} unschedulable {}",
        inventory.objects.len(),
        generated.as_secs_f64(),
        planned.as_secs_f64(),
        if checks { " (with hop checks)" } else { "" },
        s.batches,
        s.drainable,
        s.blocked,
        s.unknown,
        s.pods_evicted,
        s.pods_unschedulable
    );
    // The process ends here; dropping millions of nodes one by one would only add time.
    std::mem::forget(result);
    std::mem::forget(inventory);
}

/// User plus system CPU time of this process (Linux `/proc/self/stat`, 100 ticks a second),
/// which, unlike wall time, does not grow when other processes share the machine.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses): utime is the 12th, stime 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
