//! Inventories built in code, for tests, the accuracy scenarios and the benchmark: a small
//! builder for nodes, workloads (Deployment -> ReplicaSet -> pods, StatefulSets with zonal
//! volumes, DaemonSets), budgets and bare pods, and a seeded scenario generator.

use mcp_diag_model::{Inventory, KubeVersion, Object, SourceKind};
use serde_json::{Value, json};

/// A small deterministic random generator (xorshift64*), so scenarios need no dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// What a workload's pods look like.
#[derive(Clone, Debug, Default)]
pub struct PodSpec {
    pub cpu_m: u64,
    pub mem_mi: u64,
    /// No requests at all (not even zero).
    pub no_requests: bool,
    pub tolerations: Vec<(String, String, String)>,
    pub node_selector: Vec<(String, String)>,
    /// Required node affinity: label key In values.
    pub node_affinity: Option<(String, Vec<String>)>,
    /// Required pod anti-affinity against its own pods, with this topology key.
    pub anti_affinity: Option<String>,
    pub host_port: Option<i64>,
    /// Required pod affinity (not modelled: the plan says unknown).
    pub pod_affinity: bool,
    /// A topology spread constraint with DoNotSchedule (not modelled).
    pub spread: bool,
    pub extra_labels: Vec<(String, String)>,
}

/// Nodes and objects being assembled into an inventory.
pub struct Builder {
    pub inventory: Inventory,
    uid: u64,
    /// Pods per node name (for placing), requests used per node.
    pub nodes: Vec<NodeState>,
}

#[derive(Clone, Debug)]
pub struct NodeState {
    pub name: String,
    pub zone: String,
    pub pool: String,
    pub cpu_m: u64,
    pub mem_mi: u64,
    pub pods: u64,
    pub used_cpu: u64,
    pub used_mem: u64,
    pub used_pods: u64,
    pub taint: Option<(String, String, String)>,
    pub control_plane: bool,
    pub ports: Vec<i64>,
    /// `(namespace, app)` of pods here, for anti-affinity.
    pub apps: Vec<(String, String)>,
}

/// The kinds a snapshot of a cluster holds, as `(group, kind)`: those the planner reads.
pub const READ_KINDS: &[(&str, &str)] = crate::cluster::KINDS;

pub const POOL_LABEL: &str = "eks.amazonaws.com/nodegroup";
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

fn labels_json(pairs: &[(String, String)]) -> Value {
    Value::Object(pairs.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

impl Builder {
    pub fn new(name: &str, version: &str) -> Self {
        let mut inventory = Inventory::new(SourceKind::Snapshot, format!("test:{name}"), name);
        inventory.cluster.server_version = KubeVersion::parse(version).ok();
        Self {
            inventory,
            uid: 0,
            nodes: Vec::new(),
        }
    }

    fn uid(&mut self) -> String {
        self.uid += 1;
        format!("00000000-0000-4000-8000-{:012}", self.uid)
    }

    /// Adds an object given as JSON.
    pub fn push(&mut self, value: Value) {
        if let Some(o) = Object::from_node(value, None) {
            self.inventory.objects.push(o);
        }
    }

    /// A Ready node in a zone and pool.
    pub fn node(&mut self, name: &str, zone: &str, pool: &str, cpu_m: u64, mem_mi: u64, pods: u64) {
        self.nodes.push(NodeState {
            name: name.to_owned(),
            zone: zone.to_owned(),
            pool: pool.to_owned(),
            cpu_m,
            mem_mi,
            pods,
            used_cpu: 0,
            used_mem: 0,
            used_pods: 0,
            taint: None,
            control_plane: false,
            ports: Vec::new(),
            apps: Vec::new(),
        });
    }

    /// Taints the last node added.
    pub fn taint_last(&mut self, key: &str, value: &str, effect: &str) {
        if let Some(n) = self.nodes.last_mut() {
            n.taint = Some((key.into(), value.into(), effect.into()));
        }
    }

    /// Makes the last node added a control-plane node (label and NoSchedule taint).
    pub fn control_plane_last(&mut self) {
        if let Some(n) = self.nodes.last_mut() {
            n.control_plane = true;
            n.taint = Some((
                "node-role.kubernetes.io/control-plane".into(),
                String::new(),
                "NoSchedule".into(),
            ));
        }
    }

    fn node_json(n: &NodeState) -> Value {
        let mut labels = vec![
            ("kubernetes.io/hostname".to_owned(), n.name.clone()),
            (ZONE_LABEL.to_owned(), n.zone.clone()),
            (POOL_LABEL.to_owned(), n.pool.clone()),
        ];
        if n.control_plane {
            labels.push(("node-role.kubernetes.io/control-plane".to_owned(), String::new()));
        }
        let taints: Vec<Value> = n
            .taint
            .iter()
            .map(|(k, v, e)| {
                if v.is_empty() {
                    json!({"key": k, "effect": e})
                } else {
                    json!({"key": k, "value": v, "effect": e})
                }
            })
            .collect();
        let mut spec = json!({});
        if !taints.is_empty() {
            spec = json!({"taints": taints});
        }
        json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": n.name, "uid": format!("node-{}", n.name), "labels": labels_json(&labels)},
            "spec": spec,
            "status": {
                "allocatable": {"cpu": format!("{}m", n.cpu_m), "memory": format!("{}Mi", n.mem_mi), "pods": n.pods.to_string()},
                "capacity": {"cpu": format!("{}m", n.cpu_m), "memory": format!("{}Mi", n.mem_mi), "pods": n.pods.to_string()},
                "conditions": [{"type": "Ready", "status": "True"}],
                "nodeInfo": {"kubeletVersion": "v1.31.4"}
            }
        })
    }

    /// Whether a pod of `spec` (app `app` in `ns`) may go on node `i` under the model's rules
    /// (used to lay out a consistent starting state).
    fn may_place(&self, i: usize, ns: &str, app: &str, spec: &PodSpec, zone: Option<&str>) -> bool {
        let n = &self.nodes[i];
        if let Some((k, v, _)) = &n.taint
            && !spec
                .tolerations
                .iter()
                .any(|(tk, tv, _)| tk == k && (tv == v || tv.is_empty()))
        {
            return false;
        }
        let label = |k: &str| -> Option<String> {
            match k {
                ZONE_LABEL => Some(n.zone.clone()),
                POOL_LABEL => Some(n.pool.clone()),
                "kubernetes.io/hostname" => Some(n.name.clone()),
                _ => None,
            }
        };
        if spec
            .node_selector
            .iter()
            .any(|(k, v)| label(k).as_deref() != Some(v))
        {
            return false;
        }
        if let Some((k, values)) = &spec.node_affinity
            && !label(k).is_some_and(|v| values.contains(&v))
        {
            return false;
        }
        if zone.is_some_and(|z| z != n.zone) {
            return false;
        }
        if spec.host_port.is_some_and(|p| n.ports.contains(&p)) {
            return false;
        }
        if let Some(key) = &spec.anti_affinity {
            let same = |j: usize| match key.as_str() {
                ZONE_LABEL => self.nodes[j].zone == n.zone,
                POOL_LABEL => self.nodes[j].pool == n.pool,
                _ => j == i,
            };
            if (0..self.nodes.len())
                .any(|j| same(j) && self.nodes[j].apps.iter().any(|(s, a)| s == ns && a == app))
            {
                return false;
            }
        }
        n.used_cpu + spec.cpu_m <= n.cpu_m && n.used_mem + spec.mem_mi <= n.mem_mi && n.used_pods < n.pods
    }

    fn take(&mut self, i: usize, ns: &str, app: &str, spec: &PodSpec) {
        let n = &mut self.nodes[i];
        n.used_cpu += spec.cpu_m;
        n.used_mem += spec.mem_mi;
        n.used_pods += 1;
        if let Some(p) = spec.host_port {
            n.ports.push(p);
        }
        n.apps.push((ns.to_owned(), app.to_owned()));
    }

    /// Picks a node for a new pod: the first that may take it, starting at `start`.
    fn choose(&self, start: usize, ns: &str, app: &str, spec: &PodSpec, zone: Option<&str>) -> Option<usize> {
        let len = self.nodes.len();
        (0..len)
            .map(|k| (start + k) % len)
            .find(|&i| self.may_place(i, ns, app, spec, zone))
    }

    #[allow(clippy::too_many_arguments)]
    fn pod_json(
        &mut self,
        ns: &str,
        name: &str,
        labels: &[(String, String)],
        spec: &PodSpec,
        owner: Option<(&str, &str, &str, &str)>,
        node: &str,
        volumes: &[(String, String)],
    ) -> Value {
        let mut container = json!({"name": "main", "image": "registry.example/app:1"});
        if !spec.no_requests {
            container["resources"] = json!({"requests": {"cpu": format!("{}m", spec.cpu_m), "memory": format!("{}Mi", spec.mem_mi)}});
        }
        if let Some(p) = spec.host_port {
            container["ports"] = json!([{"containerPort": p, "hostPort": p, "protocol": "TCP"}]);
        }
        let mut pod_spec = json!({"containers": [container], "nodeName": node});
        if !spec.tolerations.is_empty() {
            pod_spec["tolerations"] = Value::Array(
                spec.tolerations
                    .iter()
                    .map(|(k, v, e)| {
                        if v.is_empty() {
                            json!({"key": k, "operator": "Exists", "effect": e})
                        } else {
                            json!({"key": k, "operator": "Equal", "value": v, "effect": e})
                        }
                    })
                    .collect(),
            );
        }
        if !spec.node_selector.is_empty() {
            pod_spec["nodeSelector"] = labels_json(&spec.node_selector);
        }
        let mut affinity = json!({});
        if let Some((k, values)) = &spec.node_affinity {
            affinity["nodeAffinity"] = json!({"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": k, "operator": "In", "values": values}]}]}});
        }
        let app = labels
            .iter()
            .find(|(k, _)| k == "app")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        if let Some(key) = &spec.anti_affinity {
            affinity["podAntiAffinity"] = json!({"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key}]});
        }
        if spec.pod_affinity {
            affinity["podAffinity"] = json!({"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": ZONE_LABEL}]});
        }
        if affinity.as_object().is_some_and(|o| !o.is_empty()) {
            pod_spec["affinity"] = affinity;
        }
        if spec.spread {
            pod_spec["topologySpreadConstraints"] = json!([{"maxSkew": 1, "topologyKey": ZONE_LABEL,
                "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": app}}}]);
        }
        if !volumes.is_empty() {
            pod_spec["volumes"] = Value::Array(
                volumes
                    .iter()
                    .map(|(v, claim)| json!({"name": v, "persistentVolumeClaim": {"claimName": claim}}))
                    .collect(),
            );
        }
        let mut meta =
            json!({"name": name, "namespace": ns, "uid": self.uid(), "labels": labels_json(labels)});
        if let Some((api, kind, oname, ouid)) = owner {
            meta["ownerReferences"] = json!([{"apiVersion": api, "kind": kind, "name": oname, "uid": ouid,
                "controller": true, "blockOwnerDeletion": true}]);
        }
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec,
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"},
                {"type": "PodScheduled", "status": "True"}]}})
    }

    fn template_labels(app: &str, spec: &PodSpec) -> Vec<(String, String)> {
        let mut labels = vec![("app".to_owned(), app.to_owned())];
        labels.extend(spec.extra_labels.iter().cloned());
        labels
    }

    /// A Deployment with one ReplicaSet and up to `replicas` pods, laid out from node
    /// `start` on (pods that fit nowhere are left out, and replicas lowered to match).
    /// Returns the pods placed.
    pub fn deployment(
        &mut self,
        ns: &str,
        name: &str,
        replicas: usize,
        spec: &PodSpec,
        start: usize,
    ) -> usize {
        let labels = Self::template_labels(name, spec);
        let mut placed = Vec::new();
        for k in 0..replicas {
            let Some(i) = self.choose(start + k, ns, name, spec, None) else {
                break;
            };
            self.take(i, ns, name, spec);
            placed.push(i);
        }
        let n = placed.len();
        let d_uid = self.uid();
        let rs_uid = self.uid();
        let rs_name = format!("{name}-5d8f7c9b4");
        let template =
            json!({"metadata": {"labels": labels_json(&labels)}, "spec": {"containers": [{"name": "main"}]}});
        self.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "uid": d_uid},
            "spec": {"replicas": n, "selector": {"matchLabels": {"app": name}}, "template": template},
            "status": {"replicas": n, "readyReplicas": n}}));
        self.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": ns, "uid": rs_uid,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": d_uid, "controller": true}]},
            "spec": {"replicas": n, "selector": {"matchLabels": {"app": name}}, "template": template},
            "status": {"replicas": n, "readyReplicas": n}}));
        // The Deployment controller labels its ReplicaSets' pods with the template's hash,
        // the suffix of the ReplicaSet's name.
        let mut pod_labels = labels.clone();
        pod_labels.push(("pod-template-hash".to_owned(), "5d8f7c9b4".to_owned()));
        for (k, &i) in placed.iter().enumerate() {
            let pod_name = format!("{rs_name}-{}", suffix(k));
            let node = self.nodes[i].name.clone();
            let pod = self.pod_json(
                ns,
                &pod_name,
                &pod_labels,
                spec,
                Some(("apps/v1", "ReplicaSet", &rs_name, &rs_uid)),
                &node,
                &[],
            );
            self.push(pod);
        }
        n
    }

    /// A StatefulSet whose pods each have a claim bound to a zonal PersistentVolume (zone of
    /// the node the pod starts on), or a `local` volume when `local`.
    pub fn statefulset(
        &mut self,
        ns: &str,
        name: &str,
        replicas: usize,
        spec: &PodSpec,
        start: usize,
        local: bool,
    ) -> usize {
        let labels = Self::template_labels(name, spec);
        let uid = self.uid();
        let mut n = 0;
        for k in 0..replicas {
            let Some(i) = self.choose(start + k, ns, name, spec, None) else {
                break;
            };
            self.take(i, ns, name, spec);
            n += 1;
            let node = self.nodes[i].name.clone();
            let zone = self.nodes[i].zone.clone();
            let pod_name = format!("{name}-{k}");
            let claim = format!("data-{pod_name}");
            let pv = format!("pv-{ns}-{claim}");
            let affinity = if local {
                json!({"required": {"nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}})
            } else {
                json!({"required": {"nodeSelectorTerms": [{"matchExpressions": [
                    {"key": ZONE_LABEL, "operator": "In", "values": [zone]}]}]}})
            };
            let mut pv_spec = json!({"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                "claimRef": {"namespace": ns, "name": claim}, "nodeAffinity": affinity, "storageClassName": "standard"});
            if local {
                pv_spec["local"] = json!({"path": "/mnt/disks/ssd1"});
            } else {
                pv_spec["csi"] = json!({"driver": "ebs.csi.aws.com", "volumeHandle": format!("vol-{pv}")});
            }
            let pv_uid = self.uid();
            self.push(json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": pv, "uid": pv_uid},
                "spec": pv_spec, "status": {"phase": "Bound"}}));
            let pvc_uid = self.uid();
            self.push(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim, "namespace": ns, "uid": pvc_uid},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "volumeName": pv, "storageClassName": "standard"},
                "status": {"phase": "Bound"}}));
            let pod = self.pod_json(
                ns,
                &pod_name,
                &labels,
                spec,
                Some(("apps/v1", "StatefulSet", name, &uid)),
                &node,
                &[("data".to_owned(), claim)],
            );
            self.push(pod);
        }
        let template =
            json!({"metadata": {"labels": labels_json(&labels)}, "spec": {"containers": [{"name": "main"}]}});
        self.push(json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": ns, "uid": uid},
            "spec": {"replicas": n, "serviceName": name, "selector": {"matchLabels": {"app": name}}, "template": template,
                "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]},
            "status": {"replicas": n, "readyReplicas": n}}));
        n
    }

    /// A DaemonSet with a pod on every node (tolerating everything).
    pub fn daemonset(&mut self, ns: &str, name: &str, cpu_m: u64, mem_mi: u64) {
        let uid = self.uid();
        let labels = vec![("app".to_owned(), name.to_owned())];
        let spec = PodSpec {
            cpu_m,
            mem_mi,
            tolerations: vec![(String::new(), String::new(), String::new())],
            ..PodSpec::default()
        };
        self.push(json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "namespace": ns, "uid": uid},
            "spec": {"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "main"}]}}}}));
        for i in 0..self.nodes.len() {
            let node = self.nodes[i].name.clone();
            self.take(i, ns, name, &spec);
            let pod_name = format!("{name}-{}", suffix(i));
            let mut pod = self.pod_json(
                ns,
                &pod_name,
                &labels,
                &spec,
                Some(("apps/v1", "DaemonSet", name, &uid)),
                &node,
                &[],
            );
            pod["spec"]["tolerations"] = json!([{"operator": "Exists"}]);
            self.push(pod);
        }
    }

    /// A pod with no controller on a node.
    pub fn bare_pod(&mut self, ns: &str, name: &str, spec: &PodSpec, node: usize) {
        let node_name = self.nodes[node].name.clone();
        self.take(node, ns, name, spec);
        let labels = Self::template_labels(name, spec);
        let pod = self.pod_json(ns, name, &labels, spec, None, &node_name, &[]);
        self.push(pod);
    }

    /// A PodDisruptionBudget selecting `app in apps` (one app: matchLabels), with
    /// `minAvailable` or `maxUnavailable` as given (an integer or a "N%" text).
    pub fn pdb(&mut self, ns: &str, name: &str, apps: &[&str], min: Option<Value>, max: Option<Value>) {
        let selector = if apps.len() == 1 {
            json!({"matchLabels": {"app": apps[0]}})
        } else {
            json!({"matchExpressions": [{"key": "app", "operator": "In", "values": apps}]})
        };
        let mut spec = json!({"selector": selector});
        if let Some(m) = min {
            spec["minAvailable"] = m;
        }
        if let Some(m) = max {
            spec["maxUnavailable"] = m;
        }
        let uid = self.uid();
        self.push(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": ns, "uid": uid, "generation": 1}, "spec": spec}));
    }

    /// The inventory, nodes included, recorded as read completely (as `mcp-diag snapshot`
    /// records it).
    pub fn build(mut self) -> Inventory {
        let nodes: Vec<Value> = self.nodes.iter().map(Self::node_json).collect();
        for n in nodes {
            self.push(n);
        }
        let mut coverage = mcp_diag_model::Coverage::recorded();
        for (group, kind) in READ_KINDS {
            let n = self.inventory.objects.iter().filter(|o| o.kind == *kind).count();
            coverage.record(mcp_diag_model::KindRead::complete(group, kind, n));
        }
        self.inventory.coverage = coverage;
        self.inventory
    }
}

/// A five-letter pod suffix from a number (`bcdfg` style, never a prefix of another).
fn suffix(k: usize) -> String {
    const CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut n = k;
    let mut out = String::new();
    for _ in 0..5 {
        out.push(CHARS[n % CHARS.len()] as char);
        n /= CHARS.len();
    }
    out
}

/// A seeded accuracy scenario: a few nodes in zones and pools, workloads of every kind the
/// model covers, budgets of every form, and the situations that block drains. `variant`
/// picks which situation dominates, so a run of seeds covers them all.
pub fn scenario(seed: u64) -> Inventory {
    let mut rng = Rng::new(seed);
    let variant = seed % 10;
    let mut b = Builder::new(&format!("scenario-{seed}"), "1.31.4");
    let zones = ["zone-a", "zone-b", "zone-c"];
    let zone_count = 2 + rng.below(2) as usize;
    let pools = ["general", "compute"];
    let node_count = 4 + rng.below(5) as usize;
    let tight = variant == 3 || rng.chance(20);
    let (cpu, mem) = if tight { (2000, 4096) } else { (4000, 8192) };
    if rng.chance(40) {
        b.node("cp-1", zones[0], "control-plane", 2000, 4096, 110);
        b.control_plane_last();
    }
    for k in 0..node_count {
        let zone = zones[k % zone_count];
        let pool = pools[(k / zone_count) % 2];
        b.node(
            &format!("node-{k:02}"),
            zone,
            pool,
            cpu,
            mem,
            if rng.chance(15) { 12 } else { 110 },
        );
        if variant == 4 && k == node_count - 1 {
            b.taint_last("dedicated", "batch", "NoSchedule");
        }
    }
    let n = b.nodes.len();
    b.daemonset("kube-system", "node-agent", 50, 64);
    let sizes = [(100, 128), (250, 256), (500, 512), (200, 1024), (750, 768)];
    let apps = 3 + rng.below(4) as usize;
    let mut names = Vec::new();
    for a in 0..apps {
        let ns = if a % 2 == 0 { "shop" } else { "data" };
        let name = format!("app{a}");
        let (c, m) = *rng.pick(&sizes);
        let mut spec = PodSpec {
            cpu_m: c,
            mem_mi: m,
            ..PodSpec::default()
        };
        if variant == 5 && a == 0 {
            spec.anti_affinity = Some("kubernetes.io/hostname".into());
        }
        if variant == 6 && a == 0 {
            spec.anti_affinity = Some(ZONE_LABEL.into());
        }
        if variant == 4 && a == 1 {
            spec.tolerations = vec![("dedicated".into(), "batch".into(), "NoSchedule".into())];
            spec.node_selector = vec![(POOL_LABEL.into(), "compute".into())];
        }
        if variant == 7 && a == 0 {
            spec.host_port = Some(8080);
        }
        if variant == 9 && a == 2 {
            spec.no_requests = true;
        }
        let replicas = 1 + rng.below(5) as usize;
        let start = rng.below(n as u64) as usize;
        let placed = b.deployment(ns, &name, replicas, &spec, start);
        names.push((ns, name, placed));
    }
    // Budgets of every form.
    for (k, (ns, name, placed)) in names.iter().enumerate() {
        if *placed == 0 {
            continue;
        }
        match (k + seed as usize) % 6 {
            0 => b.pdb(ns, &format!("{name}-pdb"), &[name], Some(json!(1)), None),
            1 => b.pdb(ns, &format!("{name}-pdb"), &[name], None, Some(json!(1))),
            2 => b.pdb(ns, &format!("{name}-pdb"), &[name], Some(json!("50%")), None),
            3 => b.pdb(ns, &format!("{name}-pdb"), &[name], None, Some(json!("34%"))),
            4 => b.pdb(
                ns,
                &format!("{name}-pdb"),
                &[name],
                Some(json!(*placed as i64)),
                None,
            ),
            _ => {}
        }
    }
    // A budget shared by two workloads of one namespace, and overlapping budgets.
    if variant == 1 || rng.chance(30) {
        let shop: Vec<&str> = names
            .iter()
            .filter(|(ns, _, p)| *ns == "shop" && *p > 0)
            .map(|(_, n, _)| n.as_str())
            .collect();
        if shop.len() >= 2 {
            b.pdb("shop", "shop-shared", &shop[..2], None, Some(json!(1)));
        }
    }
    if variant == 2 {
        let (ns, name, _) = names[0].clone();
        b.pdb(ns, "overlap-extra", &[&name], Some(json!(0)), None);
    }
    // A StatefulSet on zonal (or local) volumes.
    if variant == 8 || rng.chance(50) {
        let spec = PodSpec {
            cpu_m: 300,
            mem_mi: 512,
            ..PodSpec::default()
        };
        let local = variant == 8 && rng.chance(50);
        let start = rng.below(n as u64) as usize;
        let placed = b.statefulset("data", "db", 2 + rng.below(2) as usize, &spec, start, local);
        if placed > 0 && rng.chance(50) {
            b.pdb("data", "db-pdb", &["db"], None, Some(json!(1)));
        }
    }
    // Now and then a workload the model cannot follow (a spread constraint with
    // DoNotSchedule, required pod affinity): its nodes must come out `unknown`.
    if seed % 7 == 6 {
        let spec = PodSpec {
            spread: seed.is_multiple_of(2),
            pod_affinity: !seed.is_multiple_of(2),
            ..PodSpec {
                cpu_m: 100,
                mem_mi: 128,
                ..PodSpec::default()
            }
        };
        let start = rng.below(n as u64) as usize;
        b.deployment("edge", "spread", 2, &spec, start);
    }
    // An unmanaged pod now and then.
    if variant == 0 || rng.chance(10) {
        let node = rng.below(n as u64) as usize;
        if !b.nodes[node].control_plane {
            b.bare_pod(
                "default",
                "debug-shell",
                &PodSpec {
                    cpu_m: 10,
                    mem_mi: 16,
                    ..PodSpec::default()
                },
                node,
            );
        }
    }
    let mut inventory = b.build();
    // Now and then a pod that is not Ready (the eviction rules for unhealthy pods), under a
    // budget that may let it go (AlwaysAllow) or not (the default IfHealthyBudget).
    if variant == 9 || variant == 2 {
        not_ready(&mut inventory, "app1-", variant == 9);
    }
    inventory
}

/// Marks the first pod whose name starts with `prefix` not Ready; with `always_allow`, its
/// budgets get `unhealthyPodEvictionPolicy: AlwaysAllow`.
fn not_ready(inventory: &mut Inventory, prefix: &str, always_allow: bool) {
    let Some(at) = inventory
        .objects
        .iter()
        .position(|o| o.kind == "Pod" && o.name.starts_with(prefix))
    else {
        return;
    };
    let mut v = inventory.objects[at].raw.to_json();
    v["status"]["conditions"] =
        json!([{"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}]);
    let app = v["metadata"]["labels"]["app"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if let Some(o) = Object::from_node(v, None) {
        inventory.objects[at] = o;
    }
    if always_allow {
        for o in &mut inventory.objects {
            if o.kind == "PodDisruptionBudget" && o.name == format!("{app}-pdb") {
                let mut v = o.raw.to_json();
                v["spec"]["unhealthyPodEvictionPolicy"] = json!("AlwaysAllow");
                if let Some(n) = Object::from_node(v, None) {
                    *o = n;
                }
            }
        }
    }
}

/// A large inventory for the benchmark: `nodes` nodes in 3 zones and 4 pools, about
/// `pods_per_node` pods each (a DaemonSet pod per node, Deployments, StatefulSets with
/// zonal volumes), budgets over most workloads.
pub fn bench_inventory(nodes: usize, pods_per_node: usize, seed: u64) -> Inventory {
    let mut rng = Rng::new(seed);
    let mut b = Builder::new("bench", "1.31.4");
    let zones = ["eu-1a", "eu-1b", "eu-1c"];
    let pools = ["general", "compute", "memory", "spot"];
    for k in 0..nodes {
        let pool = pools[k % 4];
        let (cpu, mem) = match pool {
            "compute" => (16000, 32768),
            "memory" => (8000, 65536),
            _ => (8000, 32768),
        };
        b.node(
            &format!("ip-10-{}-{}-{}", k / 65536, (k / 256) % 256, k % 256),
            zones[(k / 4) % 3],
            pool,
            cpu,
            mem,
            110,
        );
    }
    b.daemonset("kube-system", "node-agent", 50, 64);
    let total = nodes * pods_per_node.saturating_sub(1);
    let sizes = [(50, 64), (100, 128), (100, 256), (200, 256), (250, 512)];
    let mut made = 0;
    let mut a = 0;
    while made < total {
        let ns = format!("team-{}", a % 50);
        let name = format!("svc{a}");
        let (c, m) = *rng.pick(&sizes);
        let spec = PodSpec {
            cpu_m: c,
            mem_mi: m,
            ..PodSpec::default()
        };
        let replicas = (2 + rng.below(30) as usize).min(total - made);
        let start = rng.below(nodes as u64) as usize;
        let placed = if a % 25 == 24 {
            b.statefulset(&ns, &name, replicas.min(5), &spec, start, false)
        } else {
            b.deployment_spread(&ns, &name, replicas, &spec, start, nodes / 7 + 1)
        };
        if placed == 0 {
            break;
        }
        match a % 4 {
            0 => b.pdb(&ns, &format!("{name}-pdb"), &[&name], None, Some(json!(1))),
            1 => b.pdb(&ns, &format!("{name}-pdb"), &[&name], Some(json!("50%")), None),
            2 => b.pdb(&ns, &format!("{name}-pdb"), &[&name], Some(json!(1)), None),
            _ => {}
        }
        made += placed;
        a += 1;
    }
    b.build()
}

impl Builder {
    /// Like [`Builder::deployment`], spreading the pods `stride` nodes apart (fast layout
    /// for large inventories: no anti-affinity or ports are checked).
    pub fn deployment_spread(
        &mut self,
        ns: &str,
        name: &str,
        replicas: usize,
        spec: &PodSpec,
        start: usize,
        stride: usize,
    ) -> usize {
        let len = self.nodes.len();
        let mut placed = Vec::new();
        let mut at = start;
        for _ in 0..replicas {
            let mut found = None;
            for k in 0..len {
                let i = (at + k) % len;
                let n = &self.nodes[i];
                if n.used_cpu + spec.cpu_m <= n.cpu_m
                    && n.used_mem + spec.mem_mi <= n.mem_mi
                    && n.used_pods < n.pods
                {
                    found = Some(i);
                    break;
                }
            }
            let Some(i) = found else { break };
            let n = &mut self.nodes[i];
            n.used_cpu += spec.cpu_m;
            n.used_mem += spec.mem_mi;
            n.used_pods += 1;
            placed.push(i);
            at = i + stride;
        }
        let n = placed.len();
        let labels = Self::template_labels(name, spec);
        let d_uid = self.uid();
        let rs_uid = self.uid();
        let rs_name = format!("{name}-6c9d8f7b5");
        self.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "uid": d_uid},
            "spec": {"replicas": n, "selector": {"matchLabels": {"app": name}}}}));
        self.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": ns, "uid": rs_uid,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": d_uid, "controller": true}]},
            "spec": {"replicas": n, "selector": {"matchLabels": {"app": name}}}}));
        // The Deployment controller labels its ReplicaSets' pods with the template's hash,
        // the suffix of the ReplicaSet's name.
        let mut pod_labels = labels.clone();
        pod_labels.push(("pod-template-hash".to_owned(), "6c9d8f7b5".to_owned()));
        for (k, &i) in placed.iter().enumerate() {
            let pod_name = format!("{rs_name}-{}", suffix(k));
            let node = self.nodes[i].name.clone();
            let pod = self.pod_json(
                ns,
                &pod_name,
                &pod_labels,
                spec,
                Some(("apps/v1", "ReplicaSet", &rs_name, &rs_uid)),
                &node,
                &[],
            );
            self.push(pod);
        }
        n
    }
}
