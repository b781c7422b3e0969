//! Where the memory of a parsed file goes: `cargo run --release --example parse_bench FILE`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: parse_bench FILE");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let started = std::time::Instant::now();
    let parsed = mcp_diag_sources::parse_bytes(&path, &bytes);
    let elapsed = started.elapsed();
    let n = parsed.objects.len().max(1);
    let docs: usize = parsed.objects.iter().map(|o| o.raw.heap_bytes()).sum();
    println!(
        "{} objects, {} bytes of input, parsed in {:.2} s; documents hold {} B/object (slots and text), size_of Object = {}",
        parsed.objects.len(),
        bytes.len(),
        elapsed.as_secs_f64(),
        docs / n,
        std::mem::size_of::<mcp_diag_model::Object>()
    );
}
