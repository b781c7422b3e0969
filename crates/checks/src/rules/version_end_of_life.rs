use std::collections::BTreeMap;

use mcp_diag_data::releases::{self, EolSource, RELEASES, Release};
use mcp_diag_model::{Date, Finding, Minor, Severity};

use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "version-end-of-life",
    severity: Severity::Medium,
    title: "Kubernetes release past its end of life",
    doc: r#"## What it checks
The release the cluster runs now (snapshots and live clusters) and the release it is upgraded
to, against the end-of-life dates the Kubernetes project publishes, on the day of the scan
(`--today` to pin it). The tool knows 1.19 to 1.37: release dates from kubernetes/sig-release,
end-of-life dates from kubernetes/website `data/releases` (for 1.32, 1.33 and 1.36 only
endoflife.date had them; findings say so).

- `medium`: the release is past its end of life (the finding says since when), or older than
  1.19, whose support ended on 2021-10-28.
- `info`: the end-of-life date is not published yet (1.37 so far), the release is not known to
  the tool, or the release reaches its end of life within 90 days. The check never passes a
  release it knows nothing about silently.

## Why it matters
A release past its end of life gets no patches, security fixes included: CVEs found after that
day stay open. Upgrading to a release that is already past its end of life only buys time
until the next forced upgrade, and cloud providers charge extra for extended support or
upgrade such clusters automatically.

## Example
A cluster on 1.29 (end of life 2025-02-28) upgraded to 1.30 (end of life 2025-07-15), scanned
on 2026-11-25: both are reported, and the finding names the releases still supported that day
(1.35, 1.36, 1.37).

## Fix
Plan the upgrade through to a supported release, one minor at a time (`version-hops` lists the
hops); a release past its end of life should only be a hop, not the destination. Check the
dates at https://kubernetes.io/releases/.
"#,
};

pub struct VersionEndOfLife;

impl Check for VersionEndOfLife {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        if let Some(current) = ctx.current {
            findings.extend(evaluate(ctx, current, Role::Current));
        }
        if ctx.current != Some(ctx.target) {
            findings.extend(evaluate(ctx, ctx.target, Role::Target));
        }
        findings
    }
}

/// Within this many days of the end of life, an `info` finding says it is coming.
const SOON_DAYS: i64 = 90;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Current,
    Target,
}

impl Role {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Target => "target",
        }
    }

    fn subject(self, minor: Minor) -> String {
        match self {
            Self::Current => format!("The cluster runs Kubernetes {minor}, which"),
            Self::Target => format!("The upgrade target, Kubernetes {minor},"),
        }
    }
}

fn evaluate(ctx: &Context<'_>, minor: Minor, role: Role) -> Option<Finding> {
    let today = ctx.today;
    let supported = supported_text(today);
    let mut details = BTreeMap::new();
    details.insert("release", minor.to_string());
    details.insert("role", role.as_str().to_owned());
    details.insert("today", today.to_string());
    details.insert("supported", supported.clone());
    let oldest = RELEASES.first().map(|r| r.minor);
    let Some(release) = releases::release(minor) else {
        if let (Some(first), Some(first_release)) = (oldest, RELEASES.first())
            && minor < first
        {
            let eol = first_release.end_of_life?;
            details.insert("end_of_life", format!("before {eol}"));
            return Some(
                INFO.finding()
                    .evidence("release table")
                    .severity(Severity::Medium)
                    .title(format!("Kubernetes {minor} ({}) past end of life", role.as_str()))
                    .message(format!(
                        "{} is older than {first}, whose support ended on {eol}: it has had no patches, security fixes included, for years.",
                        role.subject(minor),
                    ))
                    .fix(remediation(role, minor, &supported))
                    .details(details)
                    .build()
            );
        }
        return Some(
            INFO.finding()
                .evidence("release table")
                .notice(format!("Kubernetes {minor} ({}): end of life unknown", role.as_str()))
                .message(format!(
                    "{} is not in the release table (it knows 1.19 to {}), so the tool cannot tell whether it is still supported.",
                    role.subject(minor),
                    mcp_diag_data::NEWEST_KNOWN_MINOR,
                ))
                .fix("Check the release's end-of-life date at https://kubernetes.io/releases/.")
                .details(details)
                .build()
        );
    };
    details.insert("released", release.released.to_string());
    details.insert("eol_source", release.eol_source.as_str().to_owned());
    let caveat = match release.eol_source {
        EolSource::EndOfLifeDate => {
            " (date from endoflife.date; the project's own release data for it was not available)"
        }
        EolSource::Kubernetes | EolSource::Unpublished => "",
    };
    let Some(eol) = release.end_of_life else {
        let message = if release.released > today {
            format!(
                "{} is not released yet on {today} (x.0 planned for {}) and has no published end-of-life date.",
                role.subject(minor),
                release.released
            )
        } else {
            // The release date goes with the version, before the verb's comma.
            let subject = match role {
                Role::Current => format!(
                    "The cluster runs Kubernetes {minor} (released {}), which",
                    release.released
                ),
                Role::Target => format!(
                    "The upgrade target, Kubernetes {minor} (released {}),",
                    release.released
                ),
            };
            format!(
                "{subject} has no published end-of-life date yet; Kubernetes patches each minor for about 14 months after its release."
            )
        };
        return Some(
            INFO.finding()
                .evidence("release table")
                .notice(format!(
                    "Kubernetes {minor} ({}): end of life not published",
                    role.as_str(),
                ))
                .message(message)
                .fix("Check https://kubernetes.io/releases/ for the date once it is published.")
                .details(details)
                .build(),
        );
    };
    details.insert("end_of_life", eol.to_string());
    let days = days_between(eol, today);
    if days > 0 {
        return Some(
            INFO.finding()
                .evidence("release table")
                .severity(Severity::Medium)
                .title(format!(
                    "Kubernetes {minor} ({}) past end of life since {eol}",
                    role.as_str(),
                ))
                .message(format!(
                    "{} reached its end of life on {eol}{caveat}, {} before {today}: no more patches, security fixes included.",
                    role.subject(minor),
                    mcp_diag_model::plural(days, "day", "days"),
                ))
                .fix(remediation(role, minor, &supported))
                .details(details)
                .build()
        );
    }
    if -days <= SOON_DAYS {
        return Some(
            INFO.finding()
                .evidence("release table")
                .notice(format!(
                    "Kubernetes {minor} ({}) reaches end of life on {eol}",
                    role.as_str(),
                ))
                .message(format!(
                    "{} reaches its end of life on {eol}{caveat}, in {}.",
                    role.subject(minor),
                    mcp_diag_model::plural(-days, "day", "days"),
                ))
                .fix(format!(
                    "Plan the next upgrade; releases supported on {today}: {supported}."
                ))
                .details(details)
                .build(),
        );
    }
    None
}

fn remediation(role: Role, minor: Minor, supported: &str) -> String {
    match role {
        Role::Current => format!(
            "Upgrade to a supported release, one minor at a time; supported on the day of the scan: {supported}."
        ),
        Role::Target => format!(
            "Treat {minor} as a hop, not the destination: plan the upgrade on to a supported release ({supported}), one minor at a time."
        ),
    }
}

fn supported_text(today: Date) -> String {
    let list: Vec<String> = releases::supported_on(today)
        .map(|r: &Release| r.minor.to_string())
        .collect();
    if list.is_empty() {
        "none known to this tool".to_owned()
    } else {
        list.join(", ")
    }
}

/// Days from 1970-01-01 (Howard Hinnant's days-from-civil).
fn unix_days(date: Date) -> i64 {
    let month = i64::from(date.month);
    let day = i64::from(date.day);
    let year = i64::from(date.year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// How many days `later` is after `earlier` (negative when before).
fn days_between(earlier: Date, later: Date) -> i64 {
    unix_days(later) - unix_days(earlier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_arithmetic_matches_the_model() {
        for days in [0, 11_016, 20_417, -1, 400_000] {
            assert_eq!(unix_days(Date::from_unix_days(days)), days);
        }
        assert_eq!(days_between(Date::new(2025, 2, 28), Date::new(2025, 3, 1)), 1);
    }
}
