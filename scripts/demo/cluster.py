"""Cluster-wide objects: API Priority and Fairness (FlowSchemas, PriorityLevelConfigurations) and
the CustomResourceDefinitions."""
import datetime as dt

from . import crds
from .core import applied, argo_tracking, day, ts

V1 = "flowcontrol.apiserver.k8s.io/v1"
V1BETA3 = "flowcontrol.apiserver.k8s.io/v1beta3"
AUTO = {"apf.kubernetes.io/autoupdate-spec": "true"}
ALL_RESOURCES = {"apiGroups": ["*"], "clusterScope": True, "namespaces": ["*"], "resources": ["*"],
                 "verbs": ["*"]}


def _group(name):
    return {"group": {"name": name}, "kind": "Group"}


def _sa(ns, name="*"):
    return {"kind": "ServiceAccount", "serviceAccount": {"name": name, "namespace": ns}}


def _user(name):
    return {"kind": "User", "user": {"name": name}}


# name, precedence, priority level, distinguisher, subjects, rules
SYSTEM_FLOWSCHEMAS = [
    ("exempt", 1, "exempt", None, [_group("system:masters")], [ALL_RESOURCES]),
    ("probes", 2, "exempt", None, [_group("system:unauthenticated"), _group("system:authenticated")],
     [{"nonResourceURLs": ["/healthz", "/readyz", "/livez"], "verbs": ["get"]}]),
    ("system-leader-election", 100, "leader-election", "ByUser",
     [_user("system:kube-controller-manager"), _user("system:kube-scheduler"), _sa("kube-system")],
     [{"apiGroups": ["coordination.k8s.io"], "namespaces": ["*"], "resources": ["leases"],
       "verbs": ["get", "create", "update"]}]),
    ("endpoint-controller", 150, "workload-high", "ByUser",
     [_user("system:kube-controller-manager"), _sa("kube-system", "endpoint-controller")],
     [{"apiGroups": [""], "namespaces": ["*"], "resources": ["endpoints"],
       "verbs": ["get", "create", "update"]}]),
    ("workload-leader-election", 200, "leader-election", "ByUser", [_sa("kube-system")],
     [{"apiGroups": ["coordination.k8s.io"], "namespaces": ["*"], "resources": ["leases"],
       "verbs": ["get", "create", "update"]}]),
    ("system-node-high", 400, "node-high", "ByUser", [_group("system:nodes")],
     [{"apiGroups": [""], "clusterScope": True, "namespaces": ["*"], "resources": ["nodes", "nodes/status"],
       "verbs": ["*"]}]),
    ("system-nodes", 500, "system", "ByUser", [_group("system:nodes")],
     [ALL_RESOURCES, {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
    ("kube-controller-manager", 800, "workload-high", "ByNamespace",
     [_user("system:kube-controller-manager")], [ALL_RESOURCES, {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
    ("kube-scheduler", 800, "workload-high", "ByNamespace", [_user("system:kube-scheduler")],
     [ALL_RESOURCES, {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
    ("kube-system-service-accounts", 900, "workload-high", "ByNamespace", [_sa("kube-system")],
     [ALL_RESOURCES, {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
    ("service-accounts", 9000, "workload-low", "ByUser", [_group("system:serviceaccounts")],
     [ALL_RESOURCES, {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
    ("global-default", 9900, "global-default", "ByUser",
     [_group("system:unauthenticated"), _group("system:authenticated")],
     [ALL_RESOURCES, {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
    ("catch-all", 10000, "catch-all", "ByUser",
     [_group("system:unauthenticated"), _group("system:authenticated")],
     [ALL_RESOURCES, {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
]
# name, shares, lendable, queues/handSize/queueLengthLimit (None: Reject)
SYSTEM_LEVELS = [
    ("catch-all", 5, 0, None), ("global-default", 20, 50, (128, 6, 50)),
    ("leader-election", 10, 0, (16, 4, 50)), ("node-high", 40, 25, (64, 6, 50)),
    ("system", 30, 33, (64, 6, 50)), ("workload-high", 40, 50, (128, 6, 50)),
    ("workload-low", 100, 90, (128, 6, 50))]


def flowschema(ctx, api, name, precedence, level, distinguisher, subjects, rules, created,
               labels=None, annotations=None):
    rule = {"subjects": subjects}
    res = [r for r in rules if "resources" in r]
    non = [r for r in rules if "nonResourceURLs" in r]
    if res:
        rule["resourceRules"] = res
    if non:
        rule["nonResourceRules"] = non
    spec = {"matchingPrecedence": precedence, "priorityLevelConfiguration": {"name": level},
            "rules": [rule]}
    if distinguisher:
        spec["distinguisherMethod"] = {"type": distinguisher}
    status = {"conditions": [{"lastTransitionTime": ts(created + dt.timedelta(seconds=1)),
                              "message": f'This FlowSchema references the PriorityLevelConfiguration '
                                         f'object named "{level}" and it exists',
                              "reason": "Found", "status": "False", "type": "Dangling"}]}
    return ctx.add(ctx.obj(api, "FlowSchema", name, created=created, labels=labels,
                           annotations=annotations, generation=1, spec=spec, status=status))


def level(ctx, api, name, shares, lendable, queuing, created, labels=None, annotations=None):
    limit = ({"type": "Reject"} if queuing is None else
             {"queuing": {"handSize": queuing[1], "queueLengthLimit": queuing[2], "queues": queuing[0]},
              "type": "Queue"})
    spec = {"limited": {"lendablePercent": lendable, "limitResponse": limit,
                        "nominalConcurrencyShares": shares}, "type": "Limited"}
    return ctx.add(ctx.obj(api, "PriorityLevelConfiguration", name, created=created, labels=labels,
                           annotations=annotations, generation=1, spec=spec, status={}))


def build(ctx):
    born = day("2024-02-05 09:17:25")
    for fs in SYSTEM_FLOWSCHEMAS:
        flowschema(ctx, V1, *fs, born, annotations=AUTO)
    for lv in SYSTEM_LEVELS:
        level(ctx, V1, *lv, born, annotations=AUTO)
    ctx.add(ctx.obj(V1, "PriorityLevelConfiguration", "exempt", created=born, annotations=AUTO,
                    generation=1, spec={"exempt": {"lendablePercent": 0, "nominalConcurrencyShares": 0},
                                        "type": "Exempt"}, status={}))

    # Planted: the platform team's API Priority and Fairness objects, applied (by Argo CD) at
    # flowcontrol.apiserver.k8s.io/v1beta3, deprecated in 1.29 and removed in 1.32.
    made = day("2024-06-12 15:41:03")
    lab = {"app.kubernetes.io/part-of": "platform-apf"}

    def track(kind, name):
        return argo_tracking("platform-apf", kind, "", name, "flowcontrol.apiserver.k8s.io")

    applied(level(ctx, V1BETA3, "platform-controllers", 40, 0, (64, 6, 50), made, lab,
                  track("PriorityLevelConfiguration", "platform-controllers")))
    applied(flowschema(ctx, V1BETA3, "platform-controllers", 1000, "platform-controllers", "ByNamespace",
                       [_sa("policy-controller"), _sa("sync-controller"), _sa("cluster-registry")],
                       [ALL_RESOURCES], made, lab, track("FlowSchema", "platform-controllers")))
    applied(flowschema(ctx, V1BETA3, "platform-api-gateway", 1100, "workload-low", "ByUser",
                       [_sa("api-gateway", "api-gateway")],
                       [{"apiGroups": [""], "namespaces": ["*"], "resources": ["services", "endpoints"],
                         "verbs": ["get", "list", "watch"]}], made, lab,
                       track("FlowSchema", "platform-api-gateway")))
    crds.build(ctx)
