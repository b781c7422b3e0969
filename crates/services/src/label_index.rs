//! Finding the selectors that may match a set of labels, and the label sets a selector may
//! match, without trying each one: what keeps NetworkPolicy lookups linear in a namespace with
//! thousands of policies and Services. Both answer candidates in ascending id order; the
//! caller checks each with [`Selector::matches`].

use rustc_hash::FxHashMap;

use crate::Labels;
use crate::selector::{Op, Selector};

/// Selectors filed under what each of their matches must carry: every value of one `In`
/// requirement, else the key of an `Exists` requirement. The others (empty, or only `NotIn`
/// and `DoesNotExist`) are candidates for every label set.
#[derive(Clone, Debug, Default)]
pub(crate) struct Selectors {
    /// label key -> label value -> ids.
    by_pair: FxHashMap<String, FxHashMap<String, Vec<u32>>>,
    by_key: FxHashMap<String, Vec<u32>>,
    always: Vec<u32>,
}

impl Selectors {
    pub(crate) fn insert(&mut self, id: u32, selector: &Selector) {
        let requirements = &selector.requirements;
        if let Some((key, _, values)) = requirements.iter().find(|(_, op, _)| *op == Op::In) {
            // An `In` without values matches nothing: filed under no value, never a candidate.
            let by_value = self.by_pair.entry(key.clone()).or_default();
            for v in values {
                by_value.entry(v.clone()).or_default().push(id);
            }
        } else if let Some((key, ..)) = requirements.iter().find(|(_, op, _)| *op == Op::Exists) {
            self.by_key.entry(key.clone()).or_default().push(id);
        } else {
            self.always.push(id);
        }
    }

    /// The ids of the selectors that may match `labels`, ascending, into `out`.
    pub(crate) fn candidates(&self, labels: &Labels, out: &mut Vec<u32>) {
        out.clear();
        out.extend_from_slice(&self.always);
        for (k, v) in labels {
            if let Some(ids) = self.by_key.get(k) {
                out.extend_from_slice(ids);
            }
            if let Some(ids) = self.by_pair.get(k).and_then(|by_value| by_value.get(v)) {
                out.extend_from_slice(ids);
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// Label sets filed under each of their pairs and keys, to find those a selector may match.
#[derive(Clone, Debug, Default)]
pub(crate) struct LabelSets {
    /// label key -> label value -> ids.
    by_pair: FxHashMap<String, FxHashMap<String, Vec<u32>>>,
    by_key: FxHashMap<String, Vec<u32>>,
}

impl LabelSets {
    /// Files `labels` as `id`. Ids are inserted in ascending order (several label sets may
    /// share an id: a node's templates).
    pub(crate) fn insert(&mut self, id: u32, labels: &Labels) {
        for (k, v) in labels {
            let ids = self
                .by_pair
                .entry(k.clone())
                .or_default()
                .entry(v.clone())
                .or_default();
            if ids.last() != Some(&id) {
                ids.push(id);
            }
            let ids = self.by_key.entry(k.clone()).or_default();
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
    }

    /// The ids whose labels may match `selector`, ascending; `None` when the selector
    /// narrows nothing (no `In`, no `Exists`): then any id may.
    pub(crate) fn candidates(&self, selector: &Selector) -> Option<Vec<u32>> {
        const NONE: &[u32] = &[];
        // Of the requirements that every match must carry a label for, the one with the
        // fewest label sets behind it.
        let lists = selector
            .requirements
            .iter()
            .filter_map(|(key, op, values)| match op {
                Op::In => Some(
                    values
                        .iter()
                        .map(|v| {
                            self.by_pair
                                .get(key)
                                .and_then(|by_value| by_value.get(v))
                                .map_or(NONE, Vec::as_slice)
                        })
                        .collect::<Vec<_>>(),
                ),
                Op::Exists => Some(vec![self.by_key.get(key).map_or(NONE, Vec::as_slice)]),
                Op::NotIn | Op::DoesNotExist => None,
            })
            .min_by_key(|lists| lists.iter().map(|l| l.len()).sum::<usize>())?;
        let mut out: Vec<u32> = lists.concat();
        out.sort_unstable();
        out.dedup();
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn selector(requirements: &[(&str, Op, &[&str])]) -> Selector {
        Selector {
            requirements: requirements
                .iter()
                .map(|(k, op, vs)| ((*k).to_owned(), *op, vs.iter().map(|v| (*v).to_owned()).collect()))
                .collect(),
        }
    }

    /// Label sets and selectors of every shape: each index's candidates hold every real
    /// match (checked against trying them all), in ascending order.
    #[test]
    fn candidates_hold_every_match() {
        let sets = [
            labels(&[("app", "web"), ("tier", "front")]),
            labels(&[("app", "api")]),
            labels(&[("tier", "back"), ("team", "a")]),
            labels(&[]),
            labels(&[("app", "web")]),
        ];
        let selectors = [
            selector(&[("app", Op::In, &["web"])]),
            selector(&[("app", Op::In, &["web", "api"]), ("tier", Op::Exists, &[])]),
            selector(&[("tier", Op::Exists, &[])]),
            selector(&[("app", Op::NotIn, &["web"])]),
            selector(&[("app", Op::DoesNotExist, &[])]),
            selector(&[]),
            selector(&[("app", Op::In, &[])]),
            selector(&[("team", Op::In, &["a"]), ("app", Op::In, &["web", "api", "db"])]),
        ];
        let mut by_selector = Selectors::default();
        for (id, s) in selectors.iter().enumerate() {
            by_selector.insert(id as u32, s);
        }
        let mut by_labels = LabelSets::default();
        for (id, l) in sets.iter().enumerate() {
            by_labels.insert(id as u32, l);
        }
        let mut out = Vec::new();
        let mut narrowed = 0;
        for (li, l) in sets.iter().enumerate() {
            by_selector.candidates(l, &mut out);
            assert!(out.windows(2).all(|w| w[0] < w[1]), "{out:?}");
            for (si, s) in selectors.iter().enumerate() {
                if s.matches(l) {
                    assert!(
                        out.contains(&(si as u32)),
                        "selector {si} matches set {li}: {out:?}"
                    );
                }
            }
            narrowed += selectors.len() - out.len();
        }
        assert!(narrowed > 10, "the index narrows: {narrowed}");
        for (si, s) in selectors.iter().enumerate() {
            let Some(ids) = by_labels.candidates(s) else {
                // Only selectors without `In` or `Exists` narrow nothing.
                assert!(
                    s.requirements
                        .iter()
                        .all(|(_, op, _)| matches!(op, Op::NotIn | Op::DoesNotExist)),
                    "{si}"
                );
                continue;
            };
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
            for (li, l) in sets.iter().enumerate() {
                if s.matches(l) {
                    assert!(
                        ids.contains(&(li as u32)),
                        "selector {si} matches set {li}: {ids:?}"
                    );
                }
            }
        }
        // `In` without values matches nothing, and is nobody's candidate.
        assert_eq!(by_labels.candidates(&selectors[6]), Some(Vec::new()));
    }
}
