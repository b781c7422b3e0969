use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A Kubernetes minor release, such as 1.29. Ordered by number, never as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minor {
    pub major: u32,
    pub minor: u32,
}

impl Minor {
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// The release after this one (1.29 -> 1.30).
    #[must_use]
    pub const fn next(self) -> Self {
        Self::new(self.major, self.minor + 1)
    }

    /// Every minor after `self` up to and including `to`: the hops of an upgrade.
    pub fn hops_to(self, to: Self) -> impl Iterator<Item = Self> {
        let major = self.major;
        let start = if to.major == major {
            self.minor + 1
        } else {
            u32::MAX
        };
        (start..=to.minor).map(move |minor| Self::new(major, minor))
    }
}

impl fmt::Display for Minor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Serialize for Minor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for Minor {
    type Err = VersionParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KubeVersion::parse(s).map(|v| v.minor())
    }
}

/// A Kubernetes version as clusters report it. Vendor suffixes (`-eks-1234abcd`, `-gke.100`,
/// `+k3s1`) are kept for display but never take part in ordering, unlike semver pre-releases.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: Option<u32>,
    /// Whatever followed the numbers, such as `-eks-1234abcd` or `+k3s1`.
    pub suffix: String,
}

/// Why a version string could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionParseError {
    pub input: String,
    pub reason: &'static str,
}

impl fmt::Display for VersionParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read {:?} as a Kubernetes version: {} (expected something like 1.29, v1.29.4 or 1.30.2-eks-1234abcd)",
            self.input, self.reason
        )
    }
}

impl std::error::Error for VersionParseError {}

impl KubeVersion {
    /// Parses `v1.29.4`, `1.29`, `1.30.2-eks-1234abcd`, `1.28.9-gke.1000000`, `v1.29.3+k3s1`.
    pub fn parse(input: &str) -> Result<Self, VersionParseError> {
        let err = |reason| VersionParseError {
            input: input.to_owned(),
            reason,
        };
        let s = input.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let (numbers, suffix) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
            Some(at) => (&s[..at], &s[at..]),
            None => (s, ""),
        };
        let mut parts = numbers.split('.');
        let major = parse_number(parts.next()).ok_or_else(|| err("no major number"))?;
        let minor = parse_number(parts.next()).ok_or_else(|| err("no minor number"))?;
        let patch = match parts.next() {
            None => None,
            Some(p) => Some(parse_number(Some(p)).ok_or_else(|| err("bad patch number"))?),
        };
        if parts.next().is_some() {
            return Err(err("more than three numbers"));
        }
        if !suffix.is_empty() && !suffix.starts_with(['-', '+']) {
            return Err(err("unexpected text after the numbers"));
        }
        Ok(Self {
            major,
            minor,
            patch,
            suffix: suffix.to_owned(),
        })
    }

    /// Reads the `major` and `minor` fields of `kubectl version` output, where managed
    /// clusters report minors such as `"29+"`.
    pub fn from_parts(major: &str, minor: &str) -> Result<Self, VersionParseError> {
        let clean = |s: &str| s.trim().trim_end_matches('+').to_owned();
        Self::parse(&format!("{}.{}", clean(major), clean(minor)))
    }

    pub const fn minor(&self) -> Minor {
        Minor::new(self.major, self.minor)
    }
}

fn parse_number(part: Option<&str>) -> Option<u32> {
    let p = part?;
    if p.is_empty() || p.len() > 9 {
        return None;
    }
    p.parse().ok()
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(patch) = self.patch {
            write!(f, ".{patch}")?;
        }
        f.write_str(&self.suffix)
    }
}

impl Serialize for KubeVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl PartialOrd for KubeVersion {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Orders on the numbers only: `1.30.2-eks-1` and `1.30.2` are the same release.
impl Ord for KubeVersion {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.major, self.minor, self.patch.unwrap_or(0), &self.suffix).cmp(&(
            other.major,
            other.minor,
            other.patch.unwrap_or(0),
            &other.suffix,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_world_versions() {
        let cases = [
            ("v1.29.4", 1, 29, Some(4), ""),
            ("1.29", 1, 29, None, ""),
            ("1.30.2-eks-1234abcd", 1, 30, Some(2), "-eks-1234abcd"),
            ("1.28.9-gke.1000000", 1, 28, Some(9), "-gke.1000000"),
            ("v1.29.3+k3s1", 1, 29, Some(3), "+k3s1"),
            ("v1.27.16-gke.2703000", 1, 27, Some(16), "-gke.2703000"),
            ("  1.31.0  ", 1, 31, Some(0), ""),
        ];
        for (input, major, minor, patch, suffix) in cases {
            let v = KubeVersion::parse(input).unwrap();
            assert_eq!(
                (v.major, v.minor, v.patch, v.suffix.as_str()),
                (major, minor, patch, suffix),
                "{input}"
            );
        }
    }

    #[test]
    fn managed_minor_with_plus() {
        let v = KubeVersion::from_parts("1", "29+").unwrap();
        assert_eq!(v.minor(), Minor::new(1, 29));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "latest",
            "v",
            "1",
            "1.x",
            "1.29.4.5",
            "1.29abc",
            "99999999999.1",
        ] {
            assert!(KubeVersion::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn vendor_suffix_does_not_make_a_prerelease() {
        let eks = KubeVersion::parse("1.30.2-eks-1234abcd").unwrap();
        let plain = KubeVersion::parse("1.30.1").unwrap();
        assert!(eks > plain);
        assert_eq!(eks.minor(), Minor::new(1, 30));
    }

    #[test]
    fn minors_order_numerically_and_hop() {
        assert!(Minor::new(1, 9) < Minor::new(1, 10));
        let hops: Vec<_> = Minor::new(1, 29).hops_to(Minor::new(1, 32)).collect();
        assert_eq!(
            hops,
            vec![Minor::new(1, 30), Minor::new(1, 31), Minor::new(1, 32)]
        );
        assert_eq!(Minor::new(1, 32).hops_to(Minor::new(1, 29)).count(), 0);
        assert_eq!("v1.31.2".parse::<Minor>().unwrap().to_string(), "1.31");
    }
}
