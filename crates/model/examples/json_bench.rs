//! Parses every item of a big list file (one item a line, as `bench/gen-big-cluster.py`
//! writes them) with `serde_json` and with `parse_json_value`, single-threaded, and
//! reports MB/s for each. Checks that both build the same documents first.
//!
//! `cargo run --release -p mcp-diag-model --example json_bench [/tmp/big/pods.json]`

use std::time::Instant;

use mcp_diag_model::{Builder, parse_json_value};
use serde::de::DeserializeSeed;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/big/pods.json".to_owned());
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let items: Vec<&[u8]> = data
        .split(|&c| c == b'\n')
        .skip(1)
        .map(|line| line.strip_suffix(b",").unwrap_or(line))
        .filter(|line| line.first() == Some(&b'{'))
        .collect();
    let bytes: usize = items.iter().map(|i| i.len()).sum();
    println!("{path}: {} items, {:.1} MB", items.len(), bytes as f64 / 1e6);

    let mut a = Builder::default();
    let mut b = Builder::default();
    for item in &items {
        let mut de = serde_json::Deserializer::from_slice(item);
        a.value().deserialize(&mut de).expect("serde_json");
        de.end().expect("serde_json end");
        parse_json_value(&mut b, item).expect("parse_json_value");
        let (x, y) = (a.take(), b.take());
        assert!(x == y && x.to_json() == y.to_json(), "different documents");
    }
    println!("same documents for all items");

    let serde = |b: &mut Builder| {
        for item in &items {
            let mut de = serde_json::Deserializer::from_slice(item);
            b.value().deserialize(&mut de).expect("serde_json");
            de.end().expect("serde_json end");
            std::hint::black_box(b.take());
        }
    };
    let fast = |b: &mut Builder| {
        for item in &items {
            parse_json_value(b, item).expect("parse_json_value");
            std::hint::black_box(b.take());
        }
    };
    let rounds = 3;
    let mut best = [f64::MAX; 2];
    for _ in 0..rounds {
        for (i, run) in [&serde as &dyn Fn(&mut Builder), &fast].iter().enumerate() {
            let mut builder = Builder::default();
            let start = Instant::now();
            run(&mut builder);
            best[i] = best[i].min(start.elapsed().as_secs_f64());
        }
    }
    let mbs = |secs: f64| bytes as f64 / 1e6 / secs;
    println!(
        "serde_json + Builder::value: {:7.1} MB/s ({:.2} s)",
        mbs(best[0]),
        best[0]
    );
    println!(
        "parse_json_value:            {:7.1} MB/s ({:.2} s)",
        mbs(best[1]),
        best[1]
    );
    println!("speed-up: {:.2}x", best[0] / best[1]);
}
