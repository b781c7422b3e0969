//! Where the memory of a parsed file goes: `cargo run --release --example parse_bench FILE`.
use mcp_diag_model::Node;

fn malloc_size(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n + 8).max(32).div_ceil(16) * 16
    }
}

fn node_heap(node: &Node, counts: &mut [usize; 4]) -> usize {
    match node {
        Node::Str(s) => {
            counts[0] += 1;
            malloc_size(s.len())
        }
        Node::Seq(items) => {
            counts[1] += 1;
            malloc_size(items.len() * 24) + items.iter().map(|n| node_heap(n, counts)).sum::<usize>()
        }
        Node::Map(entries) => {
            counts[2] += 1;
            let mut total = malloc_size(entries.len() * std::mem::size_of::<(mcp_diag_model::Key, Node)>());
            for (k, v) in entries.iter() {
                if let std::borrow::Cow::Owned(s) = k {
                    counts[3] += 1;
                    total += malloc_size(s.len());
                }
                total += node_heap(v, counts);
            }
            total
        }
        _ => 0,
    }
}

fn main() {
    let path = std::env::args().nth(1).expect("a file");
    let bytes = std::fs::read(&path).unwrap();
    let parsed = mcp_diag_sources::parse_bytes(&path, &bytes);
    let mut counts = [0usize; 4];
    let tree: usize = parsed
        .objects
        .iter()
        .map(|o| node_heap(&o.raw, &mut counts))
        .sum();
    let n = parsed.objects.len().max(1);
    println!(
        "{} objects, {} bytes of input; tree heap {} B/object; long strings {}, seqs {}, maps {}, owned keys {} (per object)",
        n,
        bytes.len(),
        tree / n,
        counts[0] / n,
        counts[1] / n,
        counts[2] / n,
        counts[3] / n
    );
    println!(
        "size_of Object = {}",
        std::mem::size_of::<mcp_diag_model::Object>()
    );
}
