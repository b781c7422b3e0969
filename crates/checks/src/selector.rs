//! Label selectors as Kubernetes evaluates them: `matchLabels` and `matchExpressions`
//! (`In`, `NotIn`, `Exists`, `DoesNotExist`), and the equality-based map form of Services.

use mcp_diag_model::{Node, View};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed label selector. An empty selector matches every object (policy/v1 semantics);
/// callers that need "matches nothing" for an absent selector decide that themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

impl Selector {
    /// Reads a `metav1.LabelSelector` (`matchLabels`, `matchExpressions`). Errors name what
    /// is wrong, for an `input`-style finding; they never panic.
    pub fn from_label_selector(node: Node<'_>) -> Result<Self, String> {
        let mut requirements = Vec::new();
        if let Some(map) = node.get("matchLabels").and_then(Node::as_map) {
            for (k, v) in map {
                let value = scalar(v).ok_or_else(|| format!("matchLabels.{k} is not a text value"))?;
                requirements.push(Requirement::In(k.to_string(), vec![value]));
            }
        }
        if let Some(exprs) = node.get("matchExpressions").and_then(Node::as_seq) {
            for e in exprs {
                let key = e
                    .get("key")
                    .and_then(Node::as_str)
                    .ok_or("a matchExpression without key")?
                    .to_owned();
                let values: Vec<String> = e
                    .get("values")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(scalar)
                    .collect();
                let op = e.get("operator").and_then(Node::as_str).unwrap_or_default();
                requirements.push(match op {
                    "In" => Requirement::In(key, values),
                    "NotIn" => Requirement::NotIn(key, values),
                    "Exists" => Requirement::Exists(key),
                    "DoesNotExist" => Requirement::DoesNotExist(key),
                    other => return Err(format!("unknown matchExpression operator {other:?}")),
                });
            }
        }
        Ok(Self { requirements })
    }

    /// Reads the equality form `{app: web, tier: front}` (Services, nodeSelector).
    pub fn from_map(node: Node<'_>) -> Self {
        let requirements = node
            .as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| Some(Requirement::In(k.to_string(), vec![scalar(v)?])))
            .collect();
        Self { requirements }
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether a set of labels (a mapping node, or null for none) satisfies the selector.
    pub fn matches(&self, labels: Option<Node<'_>>) -> bool {
        let get = |key: &str| labels.and_then(|l| l.get(key)).and_then(scalar);
        self.requirements.iter().all(|r| match r {
            Requirement::In(k, values) => get(k).is_some_and(|v| values.contains(&v)),
            Requirement::NotIn(k, values) => get(k).is_none_or(|v| !values.contains(&v)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::DoesNotExist(k) => get(k).is_none(),
        })
    }
}

/// A set of selectors (the Services or budgets of one namespace) filed for lookup by label,
/// so that finding the selectors that match an object costs about the number of its labels,
/// not the number of selectors. A selector can only match labels that satisfy each of its
/// requirements; it is filed under one `In` requirement (every value of it), the one whose
/// values the set shares least, or else under an `Exists` key. Selectors with neither
/// (empty, or only `NotIn`/`DoesNotExist`) are tried for every object.
#[derive(Debug, Default)]
pub struct SelectorIndex {
    selectors: Vec<Selector>,
    /// label key -> label value -> (selector id, the pair is the whole selector).
    keyed: HashMap<String, HashMap<String, Vec<(u32, bool)>>>,
    /// label key -> selectors filed under `Exists(key)`.
    exists: HashMap<String, Vec<u32>>,
    unkeyed: Vec<u32>,
}

type HashMap<K, V> = rustc_hash::FxHashMap<K, V>;

impl SelectorIndex {
    /// Files `selectors`; the id of each is its position.
    pub fn new(selectors: Vec<Selector>) -> Self {
        // How many selectors ask for each (key, value): file each under its rarest.
        let mut shared: HashMap<(&str, &str), u32> = HashMap::default();
        for s in &selectors {
            for r in &s.requirements {
                if let Requirement::In(k, values) = r {
                    for v in values {
                        *shared.entry((k, v)).or_default() += 1;
                    }
                }
            }
        }
        let mut keyed: HashMap<String, HashMap<String, Vec<(u32, bool)>>> = HashMap::default();
        let mut exists: HashMap<String, Vec<u32>> = HashMap::default();
        let mut unkeyed = Vec::new();
        for (id, s) in selectors.iter().enumerate() {
            let id = id as u32;
            let best = s
                .requirements
                .iter()
                .filter_map(|r| match r {
                    Requirement::In(k, values) => {
                        let cost: u32 = values.iter().map(|v| shared[&(k.as_str(), v.as_str())]).sum();
                        Some((cost, k, values))
                    }
                    _ => None,
                })
                .min_by_key(|(cost, _, _)| *cost);
            if let Some((_, k, values)) = best {
                // An empty `In` matches nothing: filed under no value, it is never a candidate.
                let whole = s.requirements.len() == 1 && values.len() == 1;
                let by_value = keyed.entry(k.clone()).or_default();
                for v in values {
                    by_value.entry(v.clone()).or_default().push((id, whole));
                }
            } else if let Some(k) = s.requirements.iter().find_map(|r| match r {
                Requirement::Exists(k) => Some(k),
                _ => None,
            }) {
                exists.entry(k.clone()).or_default().push(id);
            } else {
                unkeyed.push(id);
            }
        }
        Self {
            selectors,
            keyed,
            exists,
            unkeyed,
        }
    }

    pub fn len(&self) -> usize {
        self.selectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.selectors.is_empty()
    }

    pub fn selectors(&self) -> &[Selector] {
        &self.selectors
    }

    /// The ids of the selectors that match `labels`, ascending, into `out` (cleared first).
    pub fn matching_into(&self, labels: Option<Node<'_>>, out: &mut Vec<usize>) {
        out.clear();
        out.extend(self.unkeyed.iter().map(|&id| id as usize));
        let entries = labels.and_then(Node::as_map).unwrap_or_default();
        if !self.keyed.is_empty() || !self.exists.is_empty() {
            for (k, _) in entries {
                if let Some(ids) = self.exists.get(k) {
                    out.extend(ids.iter().map(|&id| id as usize));
                }
                let Some(by_value) = self.keyed.get(k) else {
                    continue;
                };
                // The effective value (the last of duplicate keys), as `matches` reads it.
                let Some(value) = labels.and_then(|l| l.get(k)) else {
                    continue;
                };
                let text = match value.as_str() {
                    Some(text) => std::borrow::Cow::Borrowed(text),
                    None => match scalar(value) {
                        Some(text) => std::borrow::Cow::Owned(text),
                        None => continue,
                    },
                };
                if let Some(ids) = by_value.get(text.as_ref()) {
                    out.extend(
                        ids.iter()
                            // A whole-selector pair needs no second look; mark it by
                            // adding it once more after the check below would.
                            .map(|&(id, whole)| (id as usize) | if whole { WHOLE } else { 0 }),
                    );
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out.retain_mut(|id| {
            if *id & WHOLE != 0 {
                *id &= !WHOLE;
                return true;
            }
            self.selectors[*id].matches(labels)
        });
        // Removing the mark may have put a whole-selector id out of order or twice (a
        // duplicate label key seen twice).
        out.sort_unstable();
        out.dedup();
    }

    /// Whether any selector for which `keep` holds matches `labels`.
    pub fn any_matching(&self, labels: Option<Node<'_>>, keep: impl Fn(usize) -> bool) -> bool {
        let mut out = Vec::new();
        self.matching_into(labels, &mut out);
        out.into_iter().any(keep)
    }
}

/// Marks a candidate whose label pair is its whole selector (no second look needed); ids
/// stay far below it (a namespace with 2^62 selectors does not fit in memory).
const WHOLE: usize = 1 << (usize::BITS - 2);

/// Label values are text; YAML may have made `true` or `1` of them.
fn scalar(node: Node<'_>) -> Option<String> {
    match node.view() {
        View::Map(_) | View::Seq(_) | View::Null => None,
        _ => Some(
            node.as_str()
                .map_or_else(|| node.to_json().to_string(), str::to_owned),
        ),
    }
}

/// The labels of an object (`metadata.labels`).
pub fn labels_of(raw: Node<'_>) -> Option<Node<'_>> {
    raw.path(&["metadata", "labels"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_diag_model::Doc;

    fn node(json: serde_json::Value) -> Doc {
        Doc::from(json)
    }

    #[test]
    fn label_selectors() {
        let s = Selector::from_label_selector(
            node(serde_json::json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "edge"]},
                                 {"key": "canary", "operator": "DoesNotExist"}]}))
            .root(),
        )
        .unwrap();
        assert!(s.matches(Some(
            node(serde_json::json!({"app": "web", "tier": "edge"})).root()
        )));
        assert!(!s.matches(Some(
            node(serde_json::json!({"app": "web", "tier": "back"})).root()
        )));
        assert!(!s.matches(Some(
            node(serde_json::json!({"app": "web", "tier": "edge", "canary": "1"})).root()
        )));
        assert!(!s.matches(None));
        let empty = Selector::from_label_selector(node(serde_json::json!({})).root()).unwrap();
        assert!(empty.is_empty() && empty.matches(None));
        assert!(
            Selector::from_label_selector(
                node(serde_json::json!({"matchExpressions": [{"key": "a", "operator": "Near"}]})).root()
            )
            .is_err()
        );
        let map = Selector::from_map(node(serde_json::json!({"app": "web", "v": 1})).root());
        let index = SelectorIndex::new(vec![map.clone()]);
        let mut out = Vec::new();
        index.matching_into(
            Some(node(serde_json::json!({"app": "web", "v": 1})).root()),
            &mut out,
        );
        assert_eq!(out, [0], "a number label matches its text");
        assert!(map.matches(Some(
            node(serde_json::json!({"app": "web", "v": "1", "x": "y"})).root()
        )));
    }

    /// The index finds exactly the selectors a linear pass finds, for selectors of every
    /// form (several pairs, `In` of several values, `Exists`, only negative, empty, an
    /// empty `In`) and label sets with and without the keys.
    #[test]
    fn the_index_agrees_with_trying_every_selector() {
        let keys = ["app", "tier", "team", "canary"];
        let values = ["a", "b", "c"];
        // A small deterministic generator, so a failure is reproducible.
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut selectors = Vec::new();
        for _ in 0..300 {
            let mut match_labels = serde_json::Map::new();
            let mut expressions = Vec::new();
            for _ in 0..next(3) {
                match_labels.insert(keys[next(4)].into(), values[next(3)].into());
            }
            for _ in 0..next(3) {
                let key = keys[next(4)];
                let op = ["In", "NotIn", "Exists", "DoesNotExist"][next(4)];
                let vals: Vec<&str> = (0..next(3)).map(|_| values[next(3)]).collect();
                expressions.push(serde_json::json!({"key": key, "operator": op, "values": vals}));
            }
            let doc = node(serde_json::json!({"matchLabels": match_labels, "matchExpressions": expressions}));
            selectors.push(Selector::from_label_selector(doc.root()).unwrap());
        }
        let index = SelectorIndex::new(selectors.clone());
        let mut out = Vec::new();
        let mut matched = 0;
        for _ in 0..500 {
            let mut labels = serde_json::Map::new();
            for _ in 0..next(5) {
                labels.insert(keys[next(4)].into(), values[next(3)].into());
            }
            let doc = node(serde_json::Value::Object(labels));
            let labels = Some(doc.root());
            let expected: Vec<usize> = (0..selectors.len())
                .filter(|i| selectors[*i].matches(labels))
                .collect();
            index.matching_into(labels, &mut out);
            assert_eq!(out, expected, "labels {:?}", doc.root().to_json());
            matched += expected.len();
        }
        assert!(matched > 1000, "the cases exercise matches: {matched}");
        // No labels at all: only selectors without a positive requirement match.
        index.matching_into(None, &mut out);
        let expected: Vec<usize> = (0..selectors.len())
            .filter(|i| selectors[*i].matches(None))
            .collect();
        assert_eq!(out, expected);
    }
}
