//! A run rebuilt from the cluster alone, for `resume` on a machine without the journal (a lost
//! laptop): the plan saved on the cluster at the start, and each node's step annotation.
//!
//! Pure: the marks in, the events that bring a fresh run to where the cluster stands out. The
//! events go into a new journal, after `run-started`, so the run's state is still the fold
//! of its journal.

use crate::core::{hop_phase, wave_phase};
use crate::model::{Direction, Event, OpResult, RunPlan, Stage, Time};
use crate::text::minor_of;

/// A node as the cluster shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeMark {
    pub name: String,
    /// `upgrade.mcp-diag.io/step`.
    pub step: String,
    /// What the kubelet reports now.
    pub kubelet_version: String,
}

fn minor_key(minor: &str) -> (u32, u32) {
    let mut parts = minor.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// The events after `run-started`. Refuses when a rollback was under way: its policy and its
/// reason are only in the journal.
pub fn from_cluster(
    plan: &RunPlan,
    marks: &[NodeMark],
    api_version: Option<&str>,
    now: Time,
) -> Result<Vec<Event>, String> {
    let mut out = Vec::new();
    let api = api_version.map(minor_of);
    for (hop, version) in plan.control_plane_hops.iter().enumerate() {
        let done = api
            .as_deref()
            .is_some_and(|a| minor_key(a) >= minor_key(&minor_of(version)));
        if !done {
            break;
        }
        out.push(Event::ControlPlaneStarted {
            at: now,
            hop,
            version: version.clone(),
        });
        out.push(Event::ControlPlaneFinished {
            at: now,
            hop,
            version: version.clone(),
            result: OpResult::Ok,
        });
        out.push(Event::SoakStarted {
            at: now,
            phase: hop_phase(version),
        });
        out.push(Event::SoakFinished {
            at: now,
            phase: hop_phase(version),
        });
    }
    let started = |node: &str, stage| Event::OpStarted {
        at: now,
        node: node.to_owned(),
        direction: Direction::Upgrade,
        stage,
    };
    let finished = |node: &str, stage| Event::OpFinished {
        at: now,
        node: node.to_owned(),
        direction: Direction::Upgrade,
        stage,
        result: OpResult::Ok,
        detail: "from the node's annotation".into(),
    };
    let mut ended = std::collections::BTreeSet::new();
    let mut latest_wave = None;
    for mark in marks {
        let Some(planned) = plan.nodes.iter().find(|n| n.name == mark.name) else {
            continue;
        };
        let name = mark.name.as_str();
        let mut events = Vec::new();
        match mark.step.as_str() {
            "done" => {
                // `done` is also written when a node the run gave up on is uncordoned: the
                // kubelet's version tells an upgraded node from a skipped one.
                if minor_of(&mark.kubelet_version) == plan.target_minor {
                    events.push(started(name, Stage::Action));
                } else {
                    // Ended without its upgrade: untouched (uncordoned, as it is).
                    events.push(started(name, Stage::Cordon));
                    events.push(finished(name, Stage::Uncordon));
                    ended.insert(name.to_owned());
                    latest_wave = latest_wave.max(Some(planned.wave));
                    out.push(reconciled(name, &mark.step, now));
                    out.extend(events);
                    continue;
                }
                events.push(finished(name, Stage::Uncordon));
                ended.insert(name.to_owned());
            }
            // Given up on, or stopped before its action: it stays as it is.
            "skipped" | "untouched" => {
                events.push(started(name, Stage::Cordon));
                events.push(finished(name, Stage::Uncordon));
                ended.insert(name.to_owned());
            }
            "cordoned" => events.push(started(name, Stage::Cordon)),
            "draining" => {
                events.push(started(name, Stage::Cordon));
                events.push(finished(name, Stage::Cordon));
                events.push(started(name, Stage::Drain));
            }
            "upgrading" => {
                events.push(started(name, Stage::Cordon));
                events.push(started(name, Stage::Action));
            }
            "verifying" => {
                events.push(started(name, Stage::Cordon));
                events.push(started(name, Stage::Action));
                events.push(finished(name, Stage::Action));
                events.push(started(name, Stage::Verify));
            }
            "" => continue,
            other => {
                return Err(format!(
                    "node {name} is at step {other:?}: a rollback was under way, and its policy and reason are only in the journal"
                ));
            }
        }
        latest_wave = latest_wave.max(Some(planned.wave));
        out.push(reconciled(name, &mark.step, now));
        out.extend(events);
    }
    // Waves before the latest one with a started node were soaked already: the run had moved
    // on. The latest wave's soak starts again (the time served is not known).
    if let Some(latest) = latest_wave {
        for wave in 0..latest {
            let all_ended = plan
                .nodes
                .iter()
                .filter(|n| n.wave == wave && n.skip.is_none())
                .all(|n| ended.contains(&n.name));
            let any = plan.nodes.iter().any(|n| n.wave == wave);
            if any && all_ended {
                out.push(Event::SoakStarted {
                    at: now,
                    phase: wave_phase(wave),
                });
                out.push(Event::SoakFinished {
                    at: now,
                    phase: wave_phase(wave),
                });
            }
        }
    }
    Ok(out)
}

fn reconciled(node: &str, step: &str, now: Time) -> Event {
    Event::Reconciled {
        at: now,
        node: node.to_owned(),
        detail: format!("rebuilt from the cluster (step {step}): the journal was not on this machine"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RolloutConfig;
    use crate::core::{NodeEnd, Run};
    use crate::model::PlannedNode;

    fn plan() -> RunPlan {
        let node = |name: &str, wave| PlannedNode {
            name: name.into(),
            control_plane: wave == 0,
            wave,
            from_version: "v1.31.4".into(),
            skip: None,
        };
        RunPlan {
            run_id: "r".into(),
            cluster: "c".into(),
            target: "1.32.0".into(),
            target_minor: "1.32".into(),
            control_plane_hops: vec!["1.32".into()],
            nodes: vec![node("cp", 0), node("a", 1), node("b", 2), node("c", 2)],
            waves: 2,
        }
    }

    fn mark(name: &str, step: &str, version: &str) -> NodeMark {
        NodeMark {
            name: name.into(),
            step: step.into(),
            kubelet_version: version.into(),
        }
    }

    #[test]
    fn a_rebuilt_run_carries_on_where_the_nodes_stand() {
        let config = RolloutConfig {
            upgrade: Default::default(),
            gates: Default::default(),
        };
        let marks = [
            mark("cp", "done", "v1.32.0"),
            mark("a", "done", "v1.32.0"),
            mark("b", "upgrading", "v1.31.4"),
        ];
        let mut events = vec![Event::RunStarted {
            at: 0,
            plan: plan(),
            holder: "x".into(),
        }];
        events.extend(from_cluster(&plan(), &marks, Some("v1.32.1"), 5).unwrap());
        let run = Run::replay(&events, &config).unwrap();
        assert_eq!(run.node("cp").unwrap().end, Some(NodeEnd::Upgraded));
        assert_eq!(run.node("a").unwrap().end, Some(NodeEnd::Upgraded));
        let b = run.node("b").unwrap();
        assert_eq!(
            (b.end, b.stage, b.stage_done, b.cordoned),
            (None, Some(Stage::Action), false, true)
        );
        // Waves 0 and 1 were soaked (wave 2 had started); the hop is done.
        assert_eq!(run.current_wave(), 2);
        let next = run.decide(10, &config);
        assert!(
            next.iter().any(
                |c| matches!(c, crate::model::Command::Node { node, stage: Stage::Action, .. } if node == "b")
            ),
            "{next:?}"
        );
    }

    #[test]
    fn a_skipped_node_stays_skipped_and_a_rollback_refuses() {
        let config = RolloutConfig {
            upgrade: Default::default(),
            gates: Default::default(),
        };
        let mut events = vec![Event::RunStarted {
            at: 0,
            plan: plan(),
            holder: "x".into(),
        }];
        events.extend(from_cluster(&plan(), &[mark("a", "done", "v1.31.4")], Some("v1.32.0"), 5).unwrap());
        let run = Run::replay(&events, &config).unwrap();
        assert_eq!(run.node("a").unwrap().end, Some(NodeEnd::Untouched));
        assert!(run.stop.is_none());
        let mut events = vec![Event::RunStarted {
            at: 0,
            plan: plan(),
            holder: "x".into(),
        }];
        events.extend(from_cluster(&plan(), &[mark("a", "skipped", "v1.31.4")], Some("v1.32.0"), 5).unwrap());
        let run = Run::replay(&events, &config).unwrap();
        assert_eq!(run.node("a").unwrap().end, Some(NodeEnd::Untouched));
        let err = from_cluster(
            &plan(),
            &[mark("a", "rolling-back", "v1.32.0")],
            Some("v1.32.0"),
            5,
        )
        .unwrap_err();
        assert!(err.contains("rollback"), "{err}");
        // A control plane behind the hop: the hop runs again.
        let events = from_cluster(&plan(), &[], Some("v1.31.9"), 5).unwrap();
        assert!(events.is_empty());
    }
}
