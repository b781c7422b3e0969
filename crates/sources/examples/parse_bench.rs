use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let t = Instant::now();
    let v: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
    println!("saphyr from_multiple Value: {:?} ({} docs)", t.elapsed(), v.len());
    let t = Instant::now();
    let p = mcp_diag_sources::parse_bytes("x", text.as_bytes());
    println!("ours: {:?} ({} objects)", t.elapsed(), p.objects.len());
    let json = serde_json::to_string(&v).unwrap();
    let t = Instant::now();
    let v2: serde_json::Value = serde_json::from_str(&json).unwrap();
    println!("serde_json same data: {:?} {}", t.elapsed(), v2.is_array());
}
