//! Version constraints of declared dependencies (dep-api-mismatch): Kubernetes-style API
//! versions (`v1beta2 < v1`) and semantic versions with `>=`, `<`, `^`, `~` and friends.

use std::cmp::Ordering;

/// An API version as Kubernetes orders them: (major, stage, n), stage alpha < beta < GA.
pub fn api_key(v: &str) -> Option<(u32, u8, u32)> {
    let rest = v.trim().strip_prefix('v')?;
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let major: u32 = rest[..digits].parse().ok()?;
    let tail = &rest[digits..];
    if tail.is_empty() {
        return Some((major, 2, 0));
    }
    let (stage, n) = if let Some(n) = tail.strip_prefix("alpha") {
        (0, n)
    } else if let Some(n) = tail.strip_prefix("beta") {
        (1, n)
    } else {
        return None;
    };
    let n = if n.is_empty() { 0 } else { n.parse().ok()? };
    Some((major, stage, n))
}

/// Compares two API versions; `None` when one does not read as `vN[alpha|betaM]`.
pub fn api_cmp(a: &str, b: &str) -> Option<Ordering> {
    Some(api_key(a)?.cmp(&api_key(b)?))
}

/// Whether one of `provided` satisfies the constraint (`v1`, `>=v2`, `>v1beta1,<v3`);
/// `None` when it cannot be told (nothing provided, or a constraint that does not read).
pub fn api_meets(constraint: &str, provided: &[String]) -> Option<bool> {
    if provided.is_empty() {
        return None;
    }
    let mut any = false;
    for alternative in constraint.split("||") {
        let parts: Vec<(Op, &str)> = alternative
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(split_op)
            .collect();
        if parts.is_empty() {
            return None;
        }
        for (op, want) in &parts {
            api_key(want)?;
            let _ = op;
        }
        any |= provided.iter().any(|have| {
            parts
                .iter()
                .all(|(op, want)| api_cmp(have, want).is_some_and(|o| op.accepts(o)))
        });
    }
    Some(any)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
    Caret,
    Tilde,
    /// A bare version: equal in the parts given (`1.4` = 1.4.x).
    Bare,
}

impl Op {
    fn accepts(self, o: Ordering) -> bool {
        match self {
            Self::Eq | Self::Bare | Self::Caret | Self::Tilde => o == Ordering::Equal,
            Self::Ge => o != Ordering::Less,
            Self::Gt => o == Ordering::Greater,
            Self::Le => o != Ordering::Greater,
            Self::Lt => o == Ordering::Less,
        }
    }
}

fn split_op(s: &str) -> (Op, &str) {
    for (prefix, op) in [
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("==", Op::Eq),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("=", Op::Eq),
        ("^", Op::Caret),
        ("~", Op::Tilde),
    ] {
        if let Some(rest) = s.strip_prefix(prefix) {
            return (op, rest.trim());
        }
    }
    (Op::Bare, s.trim())
}

/// A version as numbers (`v2.1.0-rc.1` → [2, 1, 0], pre-release `rc.1`); how many parts were
/// written matters for partial constraints (`^1.4`, `~1.2`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    parts: Vec<u64>,
    pre: Option<String>,
}

impl Version {
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        let (core, pre) = match t.split_once('-') {
            Some((c, p)) => (c, Some(p.to_owned())),
            None => (t, None),
        };
        let core = core.split('+').next().unwrap_or_default();
        let parts: Option<Vec<u64>> = core.split('.').map(|p| p.parse().ok()).collect();
        let parts = parts?;
        (!parts.is_empty() && parts.len() <= 4).then_some(Self { parts, pre })
    }

    fn part(&self, i: usize) -> u64 {
        self.parts.get(i).copied().unwrap_or(0)
    }

    /// Semantic-version order; a pre-release sorts before its release.
    fn cmp_full(&self, other: &Self) -> Ordering {
        for i in 0..3 {
            match self.part(i).cmp(&other.part(i)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (&self.pre, &other.pre) {
            (None, None) => Ordering::Equal,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(a), Some(b)) => a.cmp(b),
        }
    }
}

/// Whether `version` meets `constraint` (`>=2.0`, `^1.4`, `~1.2`, `<3`, `1.2.3`, `*`, joined
/// by commas or spaces for "and", `||` for "or"); `None` when either does not read.
pub fn version_meets(constraint: &str, version: &str) -> Option<bool> {
    let have = Version::parse(version)?;
    let mut any = false;
    for alternative in constraint.split("||") {
        let mut all = true;
        let mut tokens = Vec::new();
        // `>= 2.0` and `>=2.0` both read; commas and spaces separate comparators.
        let mut pending = String::new();
        for raw in alternative.split([',', ' ']).filter(|t| !t.is_empty()) {
            if matches!(raw, ">=" | "<=" | ">" | "<" | "=" | "==" | "^" | "~") {
                pending = raw.to_owned();
            } else {
                tokens.push(format!("{pending}{raw}"));
                pending.clear();
            }
        }
        if tokens.is_empty() {
            return None;
        }
        for token in &tokens {
            if matches!(token.as_str(), "*" | "x" | "X") {
                continue;
            }
            let (op, want) = split_op(token);
            let want_text = want.trim_end_matches(".x").trim_end_matches(".*");
            let want = Version::parse(want_text)?;
            all &= meets(op, &have, &want);
        }
        any |= all;
    }
    Some(any)
}

fn meets(op: Op, have: &Version, want: &Version) -> bool {
    let n = want.parts.len();
    let o = have.cmp_full(want);
    match op {
        Op::Eq | Op::Bare => {
            (0..n).all(|i| have.part(i) == want.part(i)) && (want.pre.is_none() || o == Ordering::Equal)
        }
        Op::Ge => o != Ordering::Less,
        Op::Gt => o == Ordering::Greater,
        Op::Le => o != Ordering::Greater,
        Op::Lt => o == Ordering::Less,
        Op::Caret => {
            if o == Ordering::Less {
                return false;
            }
            // The first non-zero part written must stay (^1.4 → <2, ^0.3 → <0.4, ^0.0.3 → =).
            let fixed = (0..n).find(|&i| want.part(i) != 0).unwrap_or(n.saturating_sub(1));
            (0..=fixed).all(|i| have.part(i) == want.part(i))
        }
        Op::Tilde => {
            if o == Ordering::Less {
                return false;
            }
            // ~1.2.3 and ~1.2 → <1.3; ~1 → <2.
            let fixed = if n >= 2 { 1 } else { 0 };
            (0..=fixed).all(|i| have.part(i) == want.part(i))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_api_version_order() {
        let order = [
            "v1alpha1", "v1beta1", "v1beta2", "v1", "v2alpha1", "v2beta1", "v2", "v10",
        ];
        for w in order.windows(2) {
            assert_eq!(api_cmp(w[0], w[1]), Some(Ordering::Less), "{} < {}", w[0], w[1]);
        }
        assert_eq!(api_cmp("v2", "v2"), Some(Ordering::Equal));
        assert_eq!(api_key("2"), None);
        assert_eq!(api_key("v1gamma1"), None);
    }

    #[test]
    fn api_constraints() {
        let v = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(api_meets(">=v2", &v(&["v1"])), Some(false));
        assert_eq!(api_meets(">=v2", &v(&["v1", "v2"])), Some(true));
        assert_eq!(api_meets(">=v1beta1", &v(&["v1alpha1"])), Some(false));
        assert_eq!(api_meets(">=v1beta1", &v(&["v1"])), Some(true));
        assert_eq!(api_meets("v1", &v(&["v1", "v2"])), Some(true));
        assert_eq!(api_meets("v1", &v(&["v2"])), Some(false));
        assert_eq!(api_meets(">=v1, <v3", &v(&["v3"])), Some(false));
        assert_eq!(api_meets("v1 || v3", &v(&["v3"])), Some(true));
        assert_eq!(api_meets(">=v2", &[]), None);
        assert_eq!(api_meets(">=two", &v(&["v1"])), None);
    }

    #[test]
    fn version_constraints() {
        let yes = [
            (">=2.0", "2.0.0"),
            (">=2.0", "v2.3.1"),
            ("^1.4", "1.9.4"),
            ("^1.4", "1.4.0"),
            ("~1.2", "1.2.9"),
            ("<3", "2.99.0"),
            ("1.2.3", "1.2.3"),
            ("1.4", "1.4.7"),
            ("*", "0.1.0"),
            (">=1.0, <2", "1.5.0"),
            (">= 1.0 < 2", "1.5.0"),
            ("^0.3", "0.3.9"),
            ("<2 || >=3", "3.1.0"),
            ("1.x", "1.7.0"),
        ];
        for (c, v) in yes {
            assert_eq!(version_meets(c, v), Some(true), "{v} meets {c}");
        }
        let no = [
            (">=2.0", "1.9.4"),
            ("^1.4", "2.0.0"),
            ("^1.4", "1.3.9"),
            ("~1.2", "1.3.0"),
            ("<3", "3.0.0"),
            ("1.2.3", "1.2.4"),
            ("^0.3", "0.4.0"),
            (">=2.0", "2.0.0-rc.1"),
            (">=1.0, <2", "2.0.0"),
        ];
        for (c, v) in no {
            assert_eq!(version_meets(c, v), Some(false), "{v} does not meet {c}");
        }
        assert_eq!(version_meets(">=2.0", "latest"), None);
        assert_eq!(version_meets(">=two", "1.0.0"), None);
        assert_eq!(version_meets("", "1.0.0"), None);
    }
}
