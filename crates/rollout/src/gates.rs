//! Gate evaluation: readings in, pass / hold / fire out. Pure; the edges query Prometheus and
//! count nodes, this module only decides.
//!
//! A gate fires when its condition held at every evaluation for its whole window, as a
//! Prometheus alerting rule's `for` does: the window starts at the first breaching evaluation
//! and any evaluation within bounds starts it again. No data and query errors are outcomes of
//! their own with their own policy, never silently a pass.

use std::collections::VecDeque;

use crate::config::{Bound, GateRule, GatesConfig, Millis, Policy, Threshold};
use crate::model::{GateValue, Time, elapsed};

/// Kept here too: it was first defined in this module.
pub use crate::text::format_value;

/// What one evaluation of one gate returned.
#[derive(Clone, Debug, PartialEq)]
pub enum Reading {
    /// One value per series (`series` is the labels as text, empty for a scalar).
    Values(Vec<(String, f64)>),
    NoData,
    Error(String),
}

/// A gate's state after an evaluation.
#[derive(Clone, Debug, PartialEq)]
pub enum GateState {
    Ok,
    /// Breaching, but not yet for the whole window.
    Pending {
        since: Time,
    },
    /// No new node may start.
    Hold {
        reason: String,
    },
    Fired {
        reason: String,
    },
}

/// The built-in gates' names.
pub const NODES_LOST: &str = "nodes-lost";
pub const PODS_UNSCHEDULABLE: &str = "pods-unschedulable";

/// Readings kept per gate for the report (enough for a 5-minute window at 10 s).
const KEPT: usize = 64;

#[derive(Clone, Debug)]
pub struct Gate {
    pub name: String,
    pub bound: Bound,
    pub window: Millis,
    pub on_no_data: Policy,
    pub on_error: Policy,
    pub max_consecutive_errors: Option<u32>,
    breach_since: Option<Time>,
    consecutive_errors: u32,
    pub state: GateState,
    pub values: VecDeque<GateValue>,
}

impl Gate {
    pub fn from_rule(rule: &GateRule) -> Self {
        Self::new(
            &rule.name,
            rule.bound,
            rule.window,
            rule.on_no_data,
            rule.on_error,
            rule.max_consecutive_errors,
        )
    }

    /// A built-in breaker: counted from the API server, so no data cannot happen and an
    /// error (the API server did not answer) holds.
    pub fn from_threshold(name: &str, threshold: Threshold) -> Self {
        Self::new(
            name,
            Bound::Above(threshold.above),
            threshold.window,
            Policy::Hold,
            Policy::Hold,
            None,
        )
    }

    fn new(
        name: &str,
        bound: Bound,
        window: Millis,
        on_no_data: Policy,
        on_error: Policy,
        max_consecutive_errors: Option<u32>,
    ) -> Self {
        Self {
            name: name.to_owned(),
            bound,
            window,
            on_no_data,
            on_error,
            max_consecutive_errors,
            breach_since: None,
            consecutive_errors: 0,
            state: GateState::Ok,
            values: VecDeque::new(),
        }
    }

    /// Takes one evaluation's reading and returns the gate's new state.
    pub fn observe(&mut self, at: Time, reading: &Reading) -> &GateState {
        self.keep(at, reading);
        let breach: Result<Option<String>, String> = match reading {
            Reading::Values(values) => {
                self.consecutive_errors = 0;
                // NaN is what a ratio over no traffic gives (0/0): no data, not a pass.
                let real: Vec<&(String, f64)> = values.iter().filter(|(_, v)| !v.is_nan()).collect();
                if real.is_empty() {
                    self.policy(self.on_no_data, "the query returned NaN (no traffic?)".into())
                } else {
                    let worst = real
                        .iter()
                        .filter(|(_, v)| self.bound.breached_by(*v))
                        .max_by(|a, b| {
                            let (a, b) = (a.1, b.1);
                            match self.bound {
                                Bound::Above(_) => a.total_cmp(&b),
                                Bound::Below(_) => b.total_cmp(&a),
                            }
                        });
                    Ok(worst.map(|(series, value)| {
                        let series = if series.is_empty() {
                            String::new()
                        } else {
                            format!(" ({series})")
                        };
                        format!(
                            "{} = {}{series}, {}",
                            self.name,
                            format_value(*value),
                            self.bound.describe()
                        )
                    }))
                }
            }
            Reading::NoData => {
                self.consecutive_errors = 0;
                self.policy(self.on_no_data, "the query returned no data".into())
            }
            Reading::Error(error) => {
                self.consecutive_errors += 1;
                let reason = format!("the query failed: {error}");
                match self.max_consecutive_errors {
                    Some(max) if self.consecutive_errors >= max && self.on_error == Policy::Hold => {
                        Ok(Some(format!(
                            "{reason} ({} errors in a row, at most {max})",
                            self.consecutive_errors
                        )))
                    }
                    _ => self.policy(self.on_error, reason),
                }
            }
        };
        self.state = match breach {
            Err(hold) => {
                // An unknown reading breaks the window: a breach must be seen at every
                // evaluation, so it starts again once the gate answers.
                self.breach_since = None;
                GateState::Hold { reason: hold }
            }
            Ok(None) => {
                self.breach_since = None;
                GateState::Ok
            }
            Ok(Some(reason)) => {
                let since = *self.breach_since.get_or_insert(at);
                if elapsed(since, at) >= self.window {
                    let held = if self.window > 0 {
                        format!(" for {}", crate::text::human_duration(elapsed(since, at)))
                    } else {
                        String::new()
                    };
                    GateState::Fired {
                        reason: format!("{reason}{held}"),
                    }
                } else {
                    GateState::Pending { since }
                }
            }
        };
        &self.state
    }

    /// `Ok(Some(reason))`: counts as a breach; `Ok(None)`: a pass; `Err(reason)`: hold.
    fn policy(&self, policy: Policy, reason: String) -> Result<Option<String>, String> {
        match policy {
            Policy::Fail => Ok(Some(format!("{}: {reason} (policy: fail)", self.name))),
            Policy::Pass => Ok(None),
            Policy::Hold => Err(format!("{}: {reason}", self.name)),
        }
    }

    fn keep(&mut self, at: Time, reading: &Reading) {
        let mut push = |series: String, value: Option<f64>| {
            if self.values.len() == KEPT {
                self.values.pop_front();
            }
            self.values.push_back(GateValue { at, series, value });
        };
        match reading {
            Reading::Values(values) if !values.is_empty() => {
                for (series, value) in values.iter().take(4) {
                    push(series.clone(), Some(*value));
                }
            }
            _ => push(String::new(), None),
        }
    }

    /// Readings within the last `window` (at least the last one).
    pub fn recent(&self, now: Time) -> Vec<GateValue> {
        let horizon = now - i64::try_from(self.window.max(1)).unwrap_or(i64::MAX);
        let mut out: Vec<GateValue> = self.values.iter().filter(|v| v.at >= horizon).cloned().collect();
        if out.is_empty()
            && let Some(last) = self.values.back()
        {
            out.push(last.clone());
        }
        out
    }
}

/// Every gate of a config, in the config's order, the built-in ones last.
pub fn gates_of(config: &GatesConfig) -> Vec<Gate> {
    let mut gates: Vec<Gate> = config.rules.iter().map(Gate::from_rule).collect();
    if let Some(t) = config.nodes_lost {
        gates.push(Gate::from_threshold(NODES_LOST, t));
    }
    if let Some(t) = config.pods_unschedulable {
        gates.push(Gate::from_threshold(PODS_UNSCHEDULABLE, t));
    }
    gates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MINUTE, SECOND};

    fn rule(window: Millis, on_no_data: Policy, on_error: Policy, max: Option<u32>) -> Gate {
        Gate::from_rule(&GateRule {
            name: "error-rate".into(),
            query: "q".into(),
            bound: Bound::Above(0.05),
            window,
            on_no_data,
            on_error,
            max_consecutive_errors: max,
        })
    }

    fn v(x: f64) -> Reading {
        Reading::Values(vec![(String::new(), x)])
    }

    #[test]
    fn fires_only_after_the_whole_window_breached() {
        let mut g = rule(2 * MINUTE, Policy::Hold, Policy::Hold, None);
        let s = 10 * SECOND as i64;
        assert_eq!(g.observe(0, &v(0.08)), &GateState::Pending { since: 0 });
        assert!(matches!(g.observe(11 * s, &v(0.08)), GateState::Pending { .. }));
        assert!(matches!(g.observe(12 * s, &v(0.08)), GateState::Fired { .. }));
    }

    #[test]
    fn one_good_evaluation_restarts_the_window() {
        let mut g = rule(2 * MINUTE, Policy::Hold, Policy::Hold, None);
        let s = 10 * SECOND as i64;
        for i in 0..11 {
            g.observe(i * s, &v(0.08));
        }
        assert_eq!(g.observe(11 * s, &v(0.01)), &GateState::Ok);
        assert_eq!(g.observe(12 * s, &v(0.08)), &GateState::Pending { since: 12 * s });
        assert!(matches!(g.observe(23 * s, &v(0.08)), GateState::Pending { .. }));
        assert!(matches!(g.observe(24 * s, &v(0.08)), GateState::Fired { .. }));
    }

    #[test]
    fn a_zero_window_fires_at_once_and_names_the_worst_series() {
        let mut g = rule(0, Policy::Hold, Policy::Hold, None);
        let r = Reading::Values(vec![("{zone=\"a\"}".into(), 0.06), ("{zone=\"b\"}".into(), 0.2)]);
        match g.observe(5, &r) {
            GateState::Fired { reason } => assert!(reason.contains("0.2 ({zone=\"b\"})"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_data_follows_its_policy_and_is_never_a_silent_pass() {
        assert!(matches!(
            rule(0, Policy::Hold, Policy::Hold, None).observe(0, &Reading::NoData),
            GateState::Hold { .. }
        ));
        assert!(matches!(
            rule(0, Policy::Fail, Policy::Hold, None).observe(0, &Reading::NoData),
            GateState::Fired { .. }
        ));
        assert_eq!(
            rule(0, Policy::Pass, Policy::Hold, None).observe(0, &Reading::NoData),
            &GateState::Ok
        );
        // NaN (0/0 over no traffic) is no data too.
        assert!(matches!(
            rule(0, Policy::Hold, Policy::Hold, None).observe(0, &v(f64::NAN)),
            GateState::Hold { .. }
        ));
    }

    #[test]
    fn errors_hold_until_too_many_in_a_row() {
        let mut g = rule(0, Policy::Hold, Policy::Hold, Some(3));
        let e = Reading::Error("connection refused".into());
        assert!(matches!(g.observe(0, &e), GateState::Hold { .. }));
        assert!(matches!(g.observe(1, &e), GateState::Hold { .. }));
        assert!(matches!(g.observe(2, &e), GateState::Fired { .. }));
        // A good answer resets the count.
        let mut g = rule(0, Policy::Hold, Policy::Hold, Some(2));
        g.observe(0, &e);
        g.observe(1, &v(0.0));
        assert!(matches!(g.observe(2, &e), GateState::Hold { .. }));
        assert!(matches!(
            rule(0, Policy::Hold, Policy::Fail, None).observe(0, &e),
            GateState::Fired { .. }
        ));
    }

    #[test]
    fn a_hold_breaks_the_window() {
        let mut g = rule(30 * SECOND, Policy::Hold, Policy::Hold, None);
        g.observe(0, &v(0.5));
        g.observe(10_000, &Reading::NoData);
        assert_eq!(g.observe(20_000, &v(0.5)), &GateState::Pending { since: 20_000 });
    }

    #[test]
    fn below_bounds_breach_downwards() {
        let mut g = Gate::from_threshold(
            "x",
            Threshold {
                above: 3.0,
                window: 0,
            },
        );
        assert_eq!(g.observe(0, &v(3.0)), &GateState::Ok);
        assert!(matches!(g.observe(1, &v(4.0)), GateState::Fired { .. }));
        let mut g = rule(0, Policy::Hold, Policy::Hold, None);
        g.bound = Bound::Below(0.9);
        assert!(matches!(g.observe(0, &v(0.5)), GateState::Fired { .. }));
        assert_eq!(g.observe(1, &v(0.95)), &GateState::Ok);
    }
}
