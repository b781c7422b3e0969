//! CSV (RFC 4180): a header row, then one row per finding. Records end with CRLF, as the RFC
//! says (spreadsheets and Python's csv module read it; so do tools that expect LF). A field
//! is quoted when it holds a comma, a quote, CR or LF, and quotes inside are doubled.
//!
//! Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula
//! ("CSV injection"); such a field gets a leading `'`, as OWASP advises, because messages
//! quote text from the cluster.

use crate::Report;

pub const CSV_HEADER: [&str; 12] = [
    "cluster",
    "severity",
    "check",
    "kind",
    "namespace",
    "name",
    "api_version",
    "file",
    "line",
    "message",
    "remediation",
    "evidence",
];

pub fn render_csv(report: &Report) -> String {
    let mut out = String::new();
    push_record(&mut out, CSV_HEADER.iter().map(|h| (*h).to_owned()));
    for cluster in &report.clusters {
        for f in &cluster.findings {
            let o = f.object.as_ref();
            let record = [
                cluster.name.clone(),
                f.severity.as_str().to_owned(),
                f.check.to_owned(),
                o.map(|o| o.kind.clone()).unwrap_or_default(),
                o.and_then(|o| o.namespace.clone()).unwrap_or_default(),
                o.map(|o| o.name.clone()).unwrap_or_default(),
                o.map(|o| o.api_version.clone()).unwrap_or_default(),
                f.location.as_ref().map(|l| l.file.clone()).unwrap_or_default(),
                f.location
                    .as_ref()
                    .map(|l| l.line.to_string())
                    .unwrap_or_default(),
                f.message.clone(),
                f.remediation.clone(),
                f.evidence.unwrap_or("").to_owned(),
            ];
            push_record(&mut out, record.into_iter());
        }
    }
    out
}

fn push_record(out: &mut String, fields: impl Iterator<Item = String>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field_text(&field));
    }
    out.push_str("\r\n");
}

fn field_text(field: &str) -> String {
    let defused;
    let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        defused = format!("'{field}");
        defused.as_str()
    } else {
        field
    };
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field_text("plain"), "plain");
        assert_eq!(field_text("a,b"), "\"a,b\"");
        assert_eq!(field_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field_text("two\nlines"), "\"two\nlines\"");
        assert_eq!(field_text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field_text("-1"), "'-1");
        assert_eq!(field_text(""), "");
    }
}
