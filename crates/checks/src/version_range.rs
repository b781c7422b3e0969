//! Version ranges of user rules (`--rules` files): `>=3.25, <3.26`, `1.27`, `=3.25.2`, `*`.

use std::fmt;

use mcp_diag_model::{KubeVersion, Minor};

/// A set of comparators joined by commas, all of which must hold: `>=3.25, <3.26`, `1.27`
/// (any 1.27.x), `=3.25.2`, `*` (anything).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRange {
    text: String,
    bounds: Vec<(Op, [u32; 3], usize)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Ge,
    Gt,
    Le,
    Lt,
    /// Equal on the numbers given (`=3.25` is any 3.25.x).
    Eq,
}

impl VersionRange {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut bounds = Vec::new();
        for part in text
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty() && *p != "*")
        {
            let (op, rest) = [
                (">=", Op::Ge),
                ("<=", Op::Le),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("==", Op::Eq),
                ("=", Op::Eq),
            ]
            .iter()
            .find_map(|(prefix, op)| part.strip_prefix(prefix).map(|rest| (*op, rest.trim())))
            .unwrap_or((Op::Eq, part));
            let rest = rest.strip_prefix(['v', 'V']).unwrap_or(rest);
            let numbers: Vec<&str> = rest.split('.').collect();
            if numbers.is_empty() || numbers.len() > 3 {
                return Err(format!(
                    "cannot read {part:?}: expected a version such as 3.25 or 1.27.4"
                ));
            }
            let mut value = [0u32; 3];
            for (slot, n) in value.iter_mut().zip(&numbers) {
                *slot = n
                    .parse()
                    .map_err(|_| format!("cannot read {part:?}: {n:?} is not a number"))?;
            }
            bounds.push((op, value, numbers.len()));
        }
        Ok(Self {
            text: text.trim().to_owned(),
            bounds,
        })
    }

    /// Any version.
    pub fn any() -> Self {
        Self {
            text: "*".to_owned(),
            bounds: Vec::new(),
        }
    }

    pub fn contains(&self, version: [u32; 3]) -> bool {
        self.bounds.iter().all(|&(op, bound, given)| {
            let ordering = version.cmp(&bound);
            match op {
                Op::Ge => ordering.is_ge(),
                Op::Gt => ordering.is_gt() && version[..given] != bound[..given],
                Op::Le => ordering.is_le() || version[..given] == bound[..given],
                Op::Lt => ordering.is_lt() && version[..given] != bound[..given],
                Op::Eq => version[..given] == bound[..given],
            }
        })
    }

    pub fn contains_version(&self, v: &KubeVersion) -> bool {
        self.contains([v.major, v.minor, v.patch.unwrap_or(0)])
    }

    pub fn contains_minor(&self, m: Minor) -> bool {
        self.contains([m.major, m.minor, 0])
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = VersionRange::parse(">=3.25, <3.26").unwrap();
        assert!(
            r.contains([3, 25, 0])
                && r.contains([3, 25, 9])
                && !r.contains([3, 26, 0])
                && !r.contains([3, 24, 9])
        );
        let minor = VersionRange::parse("1.27").unwrap();
        assert!(minor.contains([1, 27, 5]) && !minor.contains([1, 28, 0]));
        let le = VersionRange::parse("<=1.27").unwrap();
        assert!(le.contains([1, 27, 9]) && !le.contains([1, 28, 0]));
        assert!(VersionRange::parse("*").unwrap().contains([9, 9, 9]));
        assert!(VersionRange::parse(">=x").is_err());
        assert!(VersionRange::parse("1.2.3.4").is_err());
    }
}
