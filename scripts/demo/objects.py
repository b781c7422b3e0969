"""Services, ConfigMaps, PodDisruptionBudgets, HPAs, Ingresses and CronJobs."""
import datetime as dt

from .core import ts
from .pods import defaulted_pod_spec


def cluster_ip(ctx):
    return f"10.96.{ctx.rng.randint(0, 254)}.{ctx.rng.randint(2, 254)}"


def service(ctx, ns, name, selector, ports, created, labels=None, annotations=None,
            headless=False, kind="ClusterIP", ip=None, lb_hostname=None, policy="Cluster"):
    """`ports` is a list of (name, port, targetPort[, protocol[, appProtocol]])."""
    ip = "None" if headless else (ip or cluster_ip(ctx))
    spec = {"clusterIP": ip, "clusterIPs": [ip], "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
            "ports": [dict({"name": p[0], "port": p[1], "protocol": p[3] if len(p) > 3 else "TCP",
                            "targetPort": p[2]}, **({"appProtocol": p[4]} if len(p) > 4 else {}))
                      for p in ports],
            "sessionAffinity": "None", "type": kind}
    if selector:
        spec["selector"] = dict(selector)
    if headless:
        spec["publishNotReadyAddresses"] = True
    status = {"loadBalancer": {}}
    if kind == "LoadBalancer":
        spec["allocateLoadBalancerNodePorts"] = True
        spec["externalTrafficPolicy"] = policy
        for p in spec["ports"]:
            p["nodePort"] = ctx.rng.randint(30000, 32767)
        if policy == "Local":
            spec["healthCheckNodePort"] = ctx.rng.randint(30000, 32767)
        status = {"loadBalancer": {"ingress": [{"hostname": lb_hostname}]}}
    return ctx.add(ctx.obj("v1", "Service", name, ns, created=created, labels=labels,
                           annotations=annotations, spec=spec, status=status))


def configmap(ctx, ns, name, data, created, labels=None, annotations=None):
    o = ctx.obj("v1", "ConfigMap", name, ns, created=created, labels=labels,
                annotations=annotations)
    o["data"] = dict(data)
    return ctx.add(o)


def pdb(ctx, ns, name, selector, pods, created, labels=None, annotations=None,
        min_available=None, max_unavailable=1, api="policy/v1"):
    """A PodDisruptionBudget over `pods` healthy pods."""
    spec = {"selector": {"matchLabels": dict(selector)}}
    if min_available is not None:
        spec["minAvailable"] = min_available
        desired = min_available
    else:
        spec["maxUnavailable"] = max_unavailable
        desired = pods - max_unavailable
    allowed = max(pods - desired, 0)
    o = ctx.obj(api, "PodDisruptionBudget", name, ns, created=created, labels=labels,
                annotations=annotations, generation=1)
    o["spec"] = spec
    t = created + dt.timedelta(seconds=ctx.rng.randint(20, 90))
    cond = ({"reason": "SufficientPods", "status": "True"} if allowed else
            {"reason": "InsufficientPods", "status": "False"})
    o["status"] = {"conditions": [dict(cond, lastTransitionTime=ts(t), message="",
                                       observedGeneration=1, type="DisruptionAllowed")],
                   "currentHealthy": pods, "desiredHealthy": desired,
                   "disruptionsAllowed": allowed, "expectedPods": pods, "observedGeneration": 1}
    return ctx.add(o)


def hpa(ctx, ns, name, target, replicas, min_r, max_r, created, labels=None, annotations=None,
        cpu=70, memory=None):
    metrics = [{"resource": {"name": "cpu", "target": {"averageUtilization": cpu,
                                                       "type": "Utilization"}},
                "type": "Resource"}]
    if memory:
        metrics.append({"resource": {"name": "memory", "target": {
            "averageUtilization": memory, "type": "Utilization"}}, "type": "Resource"})
    o = ctx.obj("autoscaling/v2", "HorizontalPodAutoscaler", name, ns, created=created,
                labels=labels, annotations=annotations)
    o["spec"] = {"maxReplicas": max_r, "metrics": metrics, "minReplicas": min_r,
                 "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target}}
    util = ctx.rng.randint(18, cpu - 12)
    current = [{"resource": {"current": {"averageUtilization": util,
                                         "averageValue": f"{util * 2}m"}, "name": "cpu"},
                "type": "Resource"}]
    if memory:
        mu = ctx.rng.randint(30, memory - 10)
        current.append({"resource": {"current": {"averageUtilization": mu,
                                                 "averageValue": f"{mu * 3}Mi"}, "name": "memory"},
                        "type": "Resource"})
    t = created + dt.timedelta(minutes=2)
    o["status"] = {
        "conditions": [
            {"lastTransitionTime": ts(t), "message": "recommended size matches current size",
             "reason": "ReadyForNewScale", "status": "True", "type": "AbleToScale"},
            {"lastTransitionTime": ts(t), "message": "the HPA was able to successfully calculate "
             "a replica count from cpu resource utilization (percentage of request)",
             "reason": "ValidMetricFound", "status": "True", "type": "ScalingActive"},
            {"lastTransitionTime": ts(t), "message": "the desired count is within the acceptable range",
             "reason": "DesiredWithinRange", "status": "False", "type": "ScalingLimited"}],
        "currentMetrics": current, "currentReplicas": replicas, "desiredReplicas": replicas}
    return ctx.add(o)


def ingress(ctx, ns, name, rules, created, cls="nginx", tls_secret=None, labels=None,
            annotations=None, lb_hostname=None):
    """`rules` is a list of (host, [(path, service, port)])."""
    spec = {"ingressClassName": cls, "rules": [
        {"host": host, "http": {"paths": [
            {"backend": {"service": {"name": svc, "port": {"number": port}}},
             "path": path, "pathType": "Prefix"} for path, svc, port in paths]}}
        for host, paths in rules]}
    if tls_secret:
        spec["tls"] = [{"hosts": [h for h, _ in rules], "secretName": tls_secret}]
    o = ctx.obj("networking.k8s.io/v1", "Ingress", name, ns, created=created, labels=labels,
                annotations=annotations, generation=ctx.rng.randint(1, 4))
    o["spec"] = spec
    o["status"] = {"loadBalancer": {"ingress": [{"hostname": lb_hostname}]}}
    return ctx.add(o)


def cronjob(ctx, ns, name, schedule, pod_spec, labels, created, last_run, annotations=None,
            deadline=3600, backoff=2, time_zone=None):
    tpl = {"metadata": {"creationTimestamp": None, "labels": dict(labels)},
           "spec": defaulted_pod_spec(dict(pod_spec, restartPolicy="OnFailure"))}
    o = ctx.obj("batch/v1", "CronJob", name, ns, created=created, labels=labels,
                annotations=annotations, generation=ctx.rng.randint(1, 3))
    o["spec"] = {"concurrencyPolicy": "Forbid", "failedJobsHistoryLimit": 1,
                 "jobTemplate": {"metadata": {"creationTimestamp": None},
                                 "spec": {"activeDeadlineSeconds": deadline, "backoffLimit": backoff,
                                          "template": tpl}},
                 "schedule": schedule, "startingDeadlineSeconds": 300,
                 "successfulJobsHistoryLimit": 3, "suspend": False}
    if time_zone:
        o["spec"]["timeZone"] = time_zone
    o["status"] = {"lastScheduleTime": ts(last_run),
                   "lastSuccessfulTime": ts(last_run + dt.timedelta(seconds=ctx.rng.randint(40, 900)))}
    return ctx.add(o)
