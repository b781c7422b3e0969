//! Small text helpers (counts, durations, gate values, versions) that the decision core, the
//! gates, the driver and the report all use; kept apart so that none of them has to import
//! another just to format a number.

use crate::config::Millis;

/// `1 node`, `3 nodes`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `1h 2m`, `3m 10s`, `4.2s`, `350ms`.
pub fn human_duration(ms: Millis) -> String {
    let s = ms / 1000;
    match s {
        0 => format!("{ms}ms"),
        1..=59 if !ms.is_multiple_of(1000) => format!("{:.1}s", ms as f64 / 1000.0),
        1..=59 => format!("{s}s"),
        60..=3599 if s.is_multiple_of(60) => format!("{}m", s / 60),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        _ if s % 3600 / 60 == 0 => format!("{}h", s / 3600),
        _ => format!("{}h {}m", s / 3600, s % 3600 / 60),
    }
}

/// A gate reading as shown: whole numbers without a fraction, others to four places.
pub fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value == value.trunc() && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// `v1.31.4` → `1.31`.
pub fn minor_of(version: &str) -> String {
    let v = version.trim_start_matches('v');
    let mut parts = v.split('.');
    match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) => {
            let minor: String = minor.chars().take_while(char::is_ascii_digit).collect();
            format!("{major}.{minor}")
        }
        _ => v.to_owned(),
    }
}

/// `v1.32.4` → `1.32.4`: the form actions receive as `{version}` (package versions and
/// `kubeadm upgrade apply v{version}` are written around it).
pub fn normalize_version(text: &str) -> String {
    text.trim().trim_start_matches('v').to_owned()
}
