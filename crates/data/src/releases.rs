//! Kubernetes minor releases: when x.0 came out and when the project stopped patching them.
//!
//! Copied from `reference/compat/k8s-release-eol-dates.tsv`. Release dates come from
//! kubernetes/sig-release `releases/release-1.N/README.md`; end-of-life dates from
//! kubernetes/website `data/releases/eol.yaml` (1.19 to 1.31) or `releases.yaml` (1.34, 1.35).
//! For 1.32, 1.33 and 1.36 the project's own files were not available: their end-of-life
//! dates come only from endoflife.date and are marked [`EolSource::EndOfLifeDate`]. 1.37 has
//! no published end-of-life date yet.

use mcp_diag_model::{Date, Minor};

/// Where a release's end-of-life date comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum EolSource {
    /// The Kubernetes project's own data (kubernetes/website `data/releases/*.yaml`).
    Kubernetes,
    /// Only endoflife.date (a community site that tracks the project's dates); not confirmed
    /// in the project's own files.
    EndOfLifeDate,
    /// No end-of-life date has been published.
    Unpublished,
}

impl EolSource {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Kubernetes => "kubernetes/website release data",
            Self::EndOfLifeDate => "endoflife.date only",
            Self::Unpublished => "not published",
        }
    }
}

/// One Kubernetes minor release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Release {
    pub minor: Minor,
    /// The day x.0 was released.
    pub released: Date,
    /// The last day of patch support; `None` while the project has not published it.
    pub end_of_life: Option<Date>,
    pub eol_source: EolSource,
    pub note: &'static str,
    pub source: &'static str,
}

const fn d(year: i32, month: u8, day: u8) -> Date {
    Date::new(year, month, day)
}

const fn m(minor: u32) -> Minor {
    Minor::new(1, minor)
}

/// Every minor from 1.19 (the first with about a year of patch support) to 1.37, in order.
#[rustfmt::skip]
pub const RELEASES: &[Release] = &[
    Release { minor: m(19), released: d(2020, 8, 26), end_of_life: Some(d(2021, 10, 28)), eol_source: EolSource::Kubernetes, note: "first minor with about a year of patch support", source: "release: kubernetes/sig-release releases/release-1.19/README.md; eol: kubernetes/website data/releases/eol.yaml @0637786b; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(20), released: d(2020, 12, 8), end_of_life: Some(d(2022, 2, 28)), eol_source: EolSource::Kubernetes, note: "", source: "release: kubernetes/sig-release releases/release-1.20/README.md; eol: kubernetes/website data/releases/eol.yaml @0637786b; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(21), released: d(2021, 4, 8), end_of_life: Some(d(2022, 6, 28)), eol_source: EolSource::Kubernetes, note: "", source: "release: kubernetes/sig-release releases/release-1.21/README.md; eol: kubernetes/website data/releases/eol.yaml @0637786b; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(22), released: d(2021, 8, 4), end_of_life: Some(d(2022, 12, 8)), eol_source: EolSource::Kubernetes, note: "first planned 2022-10-28, extended twice for security fixes (1.22.16, 1.22.17)", source: "release: kubernetes/sig-release releases/release-1.22/README.md; eol: kubernetes/website data/releases/eol.yaml @0637786b (older @3842a284 lists the three 1.22 entries); crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(23), released: d(2021, 12, 7), end_of_life: Some(d(2023, 2, 28)), eol_source: EolSource::Kubernetes, note: "", source: "release: kubernetes/sig-release releases/release-1.23/README.md; eol: kubernetes/website data/releases/eol.yaml @0637786b; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(24), released: d(2022, 5, 3), end_of_life: Some(d(2023, 7, 28)), eol_source: EolSource::Kubernetes, note: "1.24.17 shipped after the end of life (CVE-2023-3676, CVE-2023-3955)", source: "release: kubernetes/sig-release releases/release-1.24/README.md, kubernetes/website data/releases/schedule.yaml @0008cd26; eol: kubernetes/website data/releases/eol.yaml @0637786b; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(25), released: d(2022, 8, 23), end_of_life: Some(d(2023, 10, 28)), eol_source: EolSource::Kubernetes, note: "endoflife.date says 2023-10-27", source: "release: kubernetes/sig-release releases/release-1.25/README.md, kubernetes/website data/releases/schedule.yaml @0008cd26; eol: kubernetes/website data/releases/eol.yaml @0637786b; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(26), released: d(2022, 12, 9), end_of_life: Some(d(2024, 2, 28)), eol_source: EolSource::Kubernetes, note: "endoflife.date gives 2022-12-08 as the release date", source: "release: kubernetes/sig-release releases/release-1.26/README.md, kubernetes/website data/releases/schedule.yaml @0008cd26; eol: kubernetes/website data/releases/eol.yaml @0637786b; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(27), released: d(2023, 4, 11), end_of_life: Some(d(2024, 7, 16)), eol_source: EolSource::Kubernetes, note: "planned 2024-06-28; eol.yaml keeps the day of the final patch", source: "release: kubernetes/sig-release releases/release-1.27/README.md; eol: kubernetes/website data/releases/eol.yaml @0637786b; crosscheck: endoflife.date @a70eca33, kubernetes/website data/releases/schedule.yaml @0008cd26" },
    Release { minor: m(28), released: d(2023, 8, 15), end_of_life: Some(d(2024, 10, 22)), eol_source: EolSource::Kubernetes, note: "planned 2024-10-28", source: "release: kubernetes/sig-release releases/release-1.28/README.md, kubernetes/website data/releases/schedule.yaml @28d3e131; eol: kubernetes/website data/releases/eol.yaml @0637786b; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(29), released: d(2023, 12, 13), end_of_life: Some(d(2025, 2, 28)), eol_source: EolSource::Kubernetes, note: "", source: "release: kubernetes/sig-release releases/release-1.29/README.md, kubernetes/website data/releases/schedule.yaml @28d3e131; eol: kubernetes/website data/releases/eol.yaml @0637786b; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(30), released: d(2024, 4, 17), end_of_life: Some(d(2025, 7, 15)), eol_source: EolSource::Kubernetes, note: "planned 2025-06-28", source: "release: kubernetes/sig-release releases/release-1.30/README.md, kubernetes/website data/releases/schedule.yaml @28d3e131; eol: kubernetes/website data/releases/eol.yaml @0637786b; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(31), released: d(2024, 8, 13), end_of_life: Some(d(2025, 11, 11)), eol_source: EolSource::Kubernetes, note: "planned 2025-10-28", source: "release: kubernetes/sig-release releases/release-1.31/README.md, kubernetes/website data/releases/schedule.yaml @28d3e131; eol: kubernetes/website data/releases/eol.yaml @0637786b; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(32), released: d(2024, 12, 11), end_of_life: Some(d(2026, 2, 28)), eol_source: EolSource::EndOfLifeDate, note: "end of life from endoflife.date only", source: "release: kubernetes/sig-release releases/release-1.32/README.md; eol: endoflife-date/endoflife.date products/kubernetes.md @a70eca33" },
    Release { minor: m(33), released: d(2025, 4, 23), end_of_life: Some(d(2026, 6, 28)), eol_source: EolSource::EndOfLifeDate, note: "end of life from endoflife.date only", source: "release: kubernetes/sig-release releases/release-1.33/README.md; eol: endoflife-date/endoflife.date products/kubernetes.md @a70eca33" },
    Release { minor: m(34), released: d(2025, 8, 27), end_of_life: Some(d(2026, 10, 27)), eol_source: EolSource::Kubernetes, note: "", source: "release: kubernetes/sig-release releases/release-1.34/README.md, kubernetes/website data/releases/releases.yaml @df272d38; eol: same releases.yaml; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(35), released: d(2025, 12, 17), end_of_life: Some(d(2027, 2, 28)), eol_source: EolSource::Kubernetes, note: "", source: "release: kubernetes/sig-release releases/release-1.35/README.md, kubernetes/website data/releases/releases.yaml @df272d38; eol: same releases.yaml; crosscheck: endoflife.date @a70eca33" },
    Release { minor: m(36), released: d(2026, 4, 22), end_of_life: Some(d(2027, 6, 28)), eol_source: EolSource::EndOfLifeDate, note: "end of life from endoflife.date only", source: "release: kubernetes/sig-release releases/release-1.36/README.md, endoflife.date @a70eca33; eol: endoflife-date/endoflife.date products/kubernetes.md @a70eca33" },
    Release { minor: m(37), released: d(2026, 8, 26), end_of_life: None, eol_source: EolSource::Unpublished, note: "release date as planned in the sig-release README (CHANGELOG-1.38 confirms v1.37.0 shipped); no end-of-life date published yet", source: "release: kubernetes/sig-release releases/release-1.37/README.md @e8dfc805; kubernetes/kubernetes CHANGELOG/CHANGELOG-1.38.md" },
];

/// The release data of `minor`, if the table has it.
pub fn release(minor: Minor) -> Option<&'static Release> {
    RELEASES.iter().find(|r| r.minor == minor)
}

/// The releases still patched on `day` (x.0 out, end of life not passed or not published),
/// oldest first.
pub fn supported_on(day: Date) -> impl Iterator<Item = &'static Release> {
    RELEASES
        .iter()
        .filter(move |r| r.released <= day && r.end_of_life.is_none_or(|eol| day <= eol))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_sorted_and_sourced() {
        assert_eq!(RELEASES.first().map(|r| r.minor), Some(m(19)));
        assert_eq!(RELEASES.last().map(|r| r.minor), Some(crate::NEWEST_KNOWN_MINOR));
        for pair in RELEASES.windows(2) {
            assert_eq!(pair[0].minor.next(), pair[1].minor, "gap after {:?}", pair[0]);
            assert!(pair[0].released < pair[1].released, "{:?}", pair[1]);
            if let (Some(a), Some(b)) = (pair[0].end_of_life, pair[1].end_of_life) {
                assert!(a < b, "end of life out of order at {:?}", pair[1]);
            }
        }
        for r in RELEASES {
            assert!(!r.source.is_empty(), "{r:?}");
            assert!(r.source.contains("sig-release"), "release date unsourced: {r:?}");
        }
    }

    #[test]
    fn end_of_life_after_release_and_sourced() {
        for r in RELEASES {
            match (r.end_of_life, r.eol_source) {
                (None, EolSource::Unpublished) => {}
                (Some(eol), EolSource::Kubernetes | EolSource::EndOfLifeDate) => {
                    // About 14 months of support from 1.19 on: more than a year, less than two.
                    let year_later = Date::new(r.released.year + 1, r.released.month, r.released.day);
                    let two_years = Date::new(r.released.year + 2, r.released.month, r.released.day);
                    assert!(year_later < eol && eol < two_years, "{r:?}");
                    if r.eol_source == EolSource::EndOfLifeDate {
                        assert!(r.source.contains("endoflife"), "{r:?}");
                    } else {
                        assert!(r.source.contains("kubernetes/website"), "{r:?}");
                    }
                }
                _ => panic!("end of life and its source disagree: {r:?}"),
            }
        }
    }

    #[test]
    fn known_dates() {
        let r = release(m(29)).unwrap();
        assert_eq!(r.end_of_life, Some(Date::new(2025, 2, 28)));
        assert_eq!(release(m(37)).unwrap().end_of_life, None);
        assert_eq!(release(m(32)).unwrap().eol_source, EolSource::EndOfLifeDate);
        assert!(release(m(18)).is_none());
        let supported: Vec<_> = supported_on(Date::new(2026, 11, 25)).map(|r| r.minor).collect();
        assert_eq!(supported, vec![m(35), m(36), m(37)]);
        // The last day of support still counts as supported.
        assert!(supported_on(Date::new(2026, 10, 27)).any(|r| r.minor == m(34)));
    }
}
