//! Questions about a built graph: lookups, closures, cycles, the upgrade order.

use std::collections::BTreeSet;

use crate::{Graph, Node, NodeId, NodeKind};

impl Graph {
    /// The node named `NS/NAME`: a Service, a workload (a workload a Service selects maps to
    /// the Service), or a Missing / Outside node of that name.
    pub fn find(&self, namespace: &str, name: &str) -> Option<NodeId> {
        let in_ns = || self.ids().filter(|id| self.node(*id).namespace == namespace);
        in_ns()
            .find(|id| self.node(*id).name == name && self.node(*id).kind == NodeKind::Service)
            .or_else(|| in_ns().find(|id| self.node(*id).workloads.iter().any(|w| w.name == name)))
            .or_else(|| in_ns().find(|id| self.node(*id).name == name))
    }

    /// Every `ns/name` a user may give to [`Graph::find`] (for "did you mean").
    pub fn names(&self) -> Vec<String> {
        let mut names = BTreeSet::new();
        for n in &self.nodes {
            if matches!(n.kind, NodeKind::Service | NodeKind::Workload | NodeKind::Missing) {
                names.insert(n.display_name());
            }
            for w in &n.workloads {
                names.insert(format!("{}/{}", n.namespace, w.name));
            }
        }
        names.into_iter().collect()
    }

    /// Call targets of every node (no NetworkPolicy permissions), sorted: built once per
    /// question, so that walks cost O(edges), not O(nodes x edges).
    fn adjacency(&self) -> Vec<Vec<NodeId>> {
        let mut out = vec![Vec::new(); self.nodes.len()];
        for e in self.edges.iter().filter(|e| e.is_call()) {
            out[e.from.0 as usize].push(e.to);
        }
        for targets in &mut out {
            targets.sort();
            targets.dedup();
        }
        out
    }

    /// `id` and what it depends on: directly, or the whole closure with `all`. Breadth
    /// first, `id` first.
    pub fn closure(&self, id: NodeId, all: bool) -> Vec<NodeId> {
        let adjacency = self.adjacency();
        let mut seen = vec![id];
        let mut in_seen = vec![false; self.nodes.len()];
        in_seen[id.0 as usize] = true;
        let mut next = 0;
        while next < seen.len() {
            let at = seen[next];
            next += 1;
            if at != id && !all {
                continue;
            }
            for &to in &adjacency[at.0 as usize] {
                if !in_seen[to.0 as usize] {
                    in_seen[to.0 as usize] = true;
                    seen.push(to);
                }
            }
        }
        seen
    }

    /// Sets of nodes that depend on each other in a cycle (strongly connected components
    /// of more than one node, or a node that calls itself), over call edges only
    /// (NetworkPolicy permissions and traffic from outside excluded). Each set sorted; sets
    /// in order of their first node.
    pub fn cycles(&self) -> Vec<Vec<NodeId>> {
        let components = self.components();
        // Found once: asking every one-node component would read all edges per node.
        let calls_itself: std::collections::HashSet<NodeId> = self
            .edges
            .iter()
            .filter(|e| e.is_call() && e.from == e.to)
            .map(|e| e.from)
            .collect();
        let mut out: Vec<Vec<NodeId>> = components
            .into_iter()
            .filter(|c| c.len() > 1 || calls_itself.contains(&c[0]))
            .collect();
        out.sort();
        out
    }

    /// Strongly connected components (Tarjan, iterative), each sorted, in reverse
    /// topological order of the call graph (providers first).
    fn components(&self) -> Vec<Vec<NodeId>> {
        let n = self.nodes.len();
        let mut adjacency = self.adjacency();
        for (i, node) in self.nodes.iter().enumerate() {
            if node.kind == NodeKind::Outside {
                adjacency[i].clear();
            }
        }
        let mut index = vec![u32::MAX; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut stack: Vec<usize> = Vec::new();
        let mut counter = 0u32;
        let mut out = Vec::new();
        for root in 0..n {
            if index[root] != u32::MAX {
                continue;
            }
            // (node, next child position)
            let mut work: Vec<(usize, usize)> = vec![(root, 0)];
            index[root] = counter;
            low[root] = counter;
            counter += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (v, ref mut child)) = work.last_mut() {
                if let Some(w) = adjacency[v].get(*child).map(|w| w.0 as usize) {
                    *child += 1;
                    if index[w] == u32::MAX {
                        index[w] = counter;
                        low[w] = counter;
                        counter += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        work.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut component = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        component.push(NodeId(w as u32));
                        if w == v {
                            break;
                        }
                    }
                    component.sort();
                    out.push(component);
                }
            }
        }
        out
    }

    fn orderable(node: &Node) -> bool {
        matches!(node.kind, NodeKind::Service | NodeKind::Workload)
    }

    /// An upgrade order: providers before consumers; the members of a cycle share a step.
    /// Only Services and workloads that take part in a call edge; ties in name order.
    pub fn upgrade_order(&self) -> Vec<Vec<NodeId>> {
        let mut involved = vec![false; self.nodes.len()];
        for e in self.edges.iter().filter(|e| e.is_call()) {
            if Self::orderable(self.node(e.from)) && Self::orderable(self.node(e.to)) {
                involved[e.from.0 as usize] = true;
                involved[e.to.0 as usize] = true;
            }
        }
        let components: Vec<Vec<NodeId>> = self
            .components()
            .into_iter()
            .map(|c| {
                c.into_iter()
                    .filter(|id| involved[id.0 as usize])
                    .collect::<Vec<_>>()
            })
            .filter(|c| !c.is_empty())
            .collect();
        let mut component_of = vec![usize::MAX; self.nodes.len()];
        for (i, c) in components.iter().enumerate() {
            for id in c {
                component_of[id.0 as usize] = i;
            }
        }
        // Kahn over components: a component is ready when every provider component is placed.
        let mut waiting: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); components.len()];
        for e in self.edges.iter().filter(|e| e.is_call()) {
            let (a, b) = (component_of[e.from.0 as usize], component_of[e.to.0 as usize]);
            if a != usize::MAX && b != usize::MAX && a != b {
                waiting[a].insert(b);
            }
        }
        // Layer by layer: a layer is every component whose providers are all placed; each
        // layer in name order. O(components + edges).
        let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); components.len()];
        let mut missing: Vec<usize> = waiting.iter().map(BTreeSet::len).collect();
        for (consumer, providers) in waiting.iter().enumerate() {
            for &p in providers {
                consumers[p].push(consumer);
            }
        }
        let mut layer: Vec<usize> = (0..components.len()).filter(|&c| missing[c] == 0).collect();
        let mut order = Vec::new();
        while !layer.is_empty() {
            layer.sort_by_key(|&c| components[c][0]);
            let mut next = Vec::new();
            for &c in &layer {
                order.push(components[c].clone());
                for &consumer in &consumers[c] {
                    missing[consumer] -= 1;
                    if missing[consumer] == 0 {
                        next.push(consumer);
                    }
                }
            }
            layer = next;
        }
        order
    }

    /// The API versions a node provides at `version` (`None` = its running version), from
    /// its declaration (`provides` at the running version, `releases` at others); `None` when
    /// nothing is declared for that version.
    pub fn provided_api(&self, id: NodeId, version: Option<&str>) -> Option<&[String]> {
        let node = self.node(id);
        node.declared.as_ref()?.api_at(version, node.version.as_deref())
    }

    /// The Istio mutual TLS mode that applies to a node's pods at `port`: a workload policy
    /// of its namespace, else the namespace's, else the mesh-wide one in `istio-system`.
    /// Returns the mode and the policy (`ns/name`).
    pub fn mtls_mode(&self, id: NodeId, port: Option<u16>) -> Option<(String, String)> {
        let node = self.node(id);
        let pick = |p: &crate::PeerAuthentication| {
            let mode = port.and_then(|n| p.port_modes.get(&n)).or(p.mode.as_ref())?;
            Some((mode.clone(), format!("{}/{}", p.namespace, p.object.name)))
        };
        let selected = self.peer_authentications.iter().find(|p| {
            p.namespace == node.namespace
                && p.selector.as_ref().is_some_and(|s| {
                    !node.templates.is_empty()
                        && node
                            .templates
                            .iter()
                            .all(|t| s.iter().all(|(k, v)| t.labels.get(k) == Some(v)))
                })
        });
        selected
            .and_then(pick)
            .or_else(|| {
                self.peer_authentications
                    .iter()
                    .find(|p| p.namespace == node.namespace && p.selector.is_none())
                    .and_then(pick)
            })
            .or_else(|| {
                self.peer_authentications
                    .iter()
                    .find(|p| p.namespace == "istio-system" && p.selector.is_none())
                    .and_then(pick)
            })
    }
}
