//! Every JSON report a test produces is held to `docs/report.schema.json`, the contract.

use std::path::Path;
use std::sync::OnceLock;

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
        jsonschema::draft202012::new(&schema).expect("the schema is a valid JSON Schema 2020-12")
    })
}

/// Panics with every violation when `report` does not follow the schema.
pub fn assert_valid_report(report: &serde_json::Value) {
    let errors: Vec<String> = validator()
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(20)
        .collect();
    assert!(
        errors.is_empty(),
        "the report does not follow docs/report.schema.json:\n{}",
        errors.join("\n")
    );
}

/// When `args` ask `scan` for JSON and the run printed something, validate it.
pub fn check_scan_json(args: &[&str], stdout: &str) {
    let scan = args.first() == Some(&"scan");
    let json = args
        .windows(2)
        .any(|w| (w[0] == "-o" || w[0] == "--output") && w[1] == "json")
        || args.contains(&"--output=json");
    if scan && json && !stdout.trim().is_empty() {
        let value: serde_json::Value = serde_json::from_str(stdout)
            .unwrap_or_else(|e| panic!("scan -o json printed no JSON ({e}):\n{stdout}"));
        assert_valid_report(&value);
    }
}
