//! Local servers for `bench/probe.sh`: `N` HTTP servers on loopback (the test harness's), their
//! addresses printed one a line, served until standard input closes.
//!
//! cargo run --release -p mcp-diag-probe --features testing --example probe-servers -- 4

use std::io::Read as _;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    let servers: Vec<_> = (0..n)
        .map(|_| mcp_diag_probe::testing::HttpServer::start())
        .collect();
    for s in &servers {
        println!("{}", s.addr);
    }
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}
