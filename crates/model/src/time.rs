//! Instants as seconds since the Unix epoch, read from RFC 3339 timestamps (the form every
//! Kubernetes timestamp takes), and durations as people write them (`24h`, `7d`, `90m`).

use crate::Date;

/// Seconds since 1970-01-01T00:00:00Z of an RFC 3339 timestamp (`2026-11-20T09:30:00Z`,
/// `2026-11-20T10:30:00+01:00`, fractions allowed); `None` when it is not one.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let date = Date::parse(text.get(..10)?)?;
    let rest = text.get(10..)?;
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let hms = rest.get(..8)?;
    let mut parts = hms.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let s: i64 = parts.next()?.parse().ok()?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut zone = &rest[8..];
    if let Some(fraction) = zone.strip_prefix('.') {
        zone = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = match zone.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let oh: i64 = zone.get(1..3)?.parse().ok()?;
            let om: i64 = zone.get(4..6)?.parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(days_from_civil(date) * 86_400 + h * 3600 + m * 60 + s - offset)
}

/// The environment variable that pins the clock: an RFC 3339 timestamp. Reports that measure
/// ages ("restarted 6d 4h ago") are then reproducible, which tests and diffing need.
pub const NOW_ENV: &str = "MCP_DIAG_NOW";

/// Seconds since the epoch: `MCP_DIAG_NOW` when it holds a timestamp, else the system clock.
pub fn now() -> i64 {
    std::env::var(NOW_ENV)
        .ok()
        .and_then(|text| parse_timestamp(&text))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        })
}

/// An instant as the RFC 3339 form Kubernetes writes (`2026-11-25T10:00:00Z`).
pub fn format_timestamp(seconds: i64) -> String {
    let date = Date::from_unix_days(seconds.div_euclid(86_400));
    let s = seconds.rem_euclid(86_400);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        date.year,
        date.month,
        date.day,
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// Days since 1970-01-01 (the inverse of [`Date::from_unix_days`]).
pub fn days_from_civil(date: Date) -> i64 {
    let y = i64::from(date.year) - i64::from(date.month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(date.month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(date.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds in a duration written as `90s`, `30m`, `24h`, `7d` or `1w` (or combinations such
/// as `1h30m`); `None` when it is not one.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
        let n: u64 = number.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        number.clear();
    }
    number.is_empty().then_some(total)
}

/// A duration for people: `3d 4h`, `45m`.
pub fn format_duration(seconds: u64) -> String {
    let (d, h, m) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60);
    match (d, h, m) {
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        // `1d 1m`, not `1d`: a day and a minute must not read like the day it exceeds.
        (d, 0, m) if m > 0 => format!("{d}d {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatted_timestamps_read_back() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2026-11-25T10:00:00Z",
            "2000-02-29T23:59:59Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(format_timestamp(parse_timestamp(text).unwrap()), text);
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("2026-11-20T09:30:00Z"), Some(1_795_167_000));
        assert_eq!(parse_timestamp("2026-11-20T10:30:00+01:00"), Some(1_795_167_000));
        assert_eq!(
            parse_timestamp("2026-11-20T09:30:00.123456Z"),
            Some(1_795_167_000)
        );
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("2026-11-20"), None);
        assert_eq!(days_from_civil(Date::from_unix_days(20_417)), 20_417);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Some(86_400));
        assert_eq!(parse_duration("1h30m"), Some(5_400));
        assert_eq!(parse_duration("7d"), Some(604_800));
        assert_eq!(parse_duration("24"), None);
        assert_eq!(parse_duration("1y"), None);
        assert_eq!(format_duration(3 * 86_400 + 4 * 3600), "3d 4h");
        assert_eq!(format_duration(2_700), "45m");
        assert_eq!(format_duration(86_400 + 60), "1d 1m");
        assert_eq!(format_duration(86_400), "1d");
    }
}
