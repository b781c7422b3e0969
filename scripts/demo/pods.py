"""Containers, probes and Pods with the defaults the API server fills in and a kubelet status."""
import copy
import datetime as dt

from .core import ts, owner_ref

SYSTEM_PRIORITY = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}
NOT_READY_TOLERATIONS = [
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists",
     "tolerationSeconds": 300},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
     "tolerationSeconds": 300},
]


def probe(path=None, port=None, failure=3, period=10, timeout=1, initial=None, tcp=False,
          command=None, scheme="HTTP"):
    """A probe as written in a manifest; `failure=None` leaves failureThreshold out."""
    p = {}
    if command:
        p["exec"] = {"command": command}
    elif tcp:
        p["tcpSocket"] = {"port": port}
    else:
        p["httpGet"] = {"path": path, "port": port, "scheme": scheme}
    if failure is not None:
        p["failureThreshold"] = failure
    if initial is not None:
        p["initialDelaySeconds"] = initial
    p["periodSeconds"] = period
    p["timeoutSeconds"] = timeout
    return p


def container(name, image, ports=(), cpu=("100m", "500m"), mem=("128Mi", "256Mi"),
              liveness=None, readiness=None, startup=None, args=None, command=None, env=None,
              mounts=None, security=None, pull="IfNotPresent"):
    """A container as written in a manifest. `cpu`/`mem` are (request, limit); a limit of None
    leaves it out."""
    c = {"name": name, "image": image, "imagePullPolicy": pull}
    if command:
        c["command"] = list(command)
    if args:
        c["args"] = list(args)
    if env:
        c["env"] = [dict(e) for e in env]
    if ports:
        c["ports"] = [{"containerPort": p, "name": n, "protocol": "TCP"} for n, p in ports]
    req = {"cpu": cpu[0], "memory": mem[0]}
    lim = {k: v for k, v in (("cpu", cpu[1]), ("memory", mem[1])) if v}
    c["resources"] = {"requests": req}
    if lim:
        c["resources"]["limits"] = lim
    for key, p in (("livenessProbe", liveness), ("readinessProbe", readiness),
                   ("startupProbe", startup)):
        if p:
            c[key] = dict(p)
    if mounts:
        c["volumeMounts"] = [dict(m) for m in mounts]
    if security:
        c["securityContext"] = dict(security)
    return c


RESTRICTED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
              "readOnlyRootFilesystem": True, "runAsNonRoot": True}


def defaulted_container(c):
    """The container as the API server stores it."""
    c = copy.deepcopy(c)
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("imagePullPolicy", "IfNotPresent")
    c.setdefault("resources", {})
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        if key in c:
            c[key].setdefault("successThreshold", 1)
    return c


def defaulted_pod_spec(spec):
    """A pod template spec as the API server stores it."""
    s = copy.deepcopy(spec)
    s["containers"] = [defaulted_container(c) for c in s["containers"]]
    if "initContainers" in s:
        s["initContainers"] = [defaulted_container(c) for c in s["initContainers"]]
    s.setdefault("dnsPolicy", "ClusterFirstWithHostNet" if s.get("hostNetwork") else "ClusterFirst")
    s.setdefault("restartPolicy", "Always")
    s.setdefault("schedulerName", "default-scheduler")
    s.setdefault("securityContext", {})
    s.setdefault("terminationGracePeriodSeconds", 30)
    if "serviceAccountName" in s:
        s["serviceAccount"] = s["serviceAccountName"]
    return s


def _image_ref(image):
    """The fully qualified name containerd reports for `image`."""
    first = image.split("/")[0]
    if "/" not in image:
        return "docker.io/library/" + image
    if "." not in first and ":" not in first and first != "localhost":
        return "docker.io/" + image
    return image


def _image_id(ctx, image, runtime):
    repo = _image_ref(image).rsplit(":", 1)[0]
    digest = "sha256:" + ctx.sha("image/" + image)
    if runtime.startswith("docker"):
        return "docker-pullable://" + repo + "@" + digest
    return repo + "@" + digest


def _status_of(ctx, c, node, started, restarts, ready, init=False):
    runtime = node["runtime"].split(":")[0]
    st = {"containerID": f"{runtime}://" + ctx.sha(f"cid/{node['name']}/{c['name']}/{ctx.rv()}"),
          "image": _image_ref(c["image"]) if runtime == "containerd" else c["image"],
          "imageID": _image_id(ctx, c["image"], node["runtime"]),
          "name": c["name"], "ready": ready, "restartCount": restarts}
    if init:
        st["lastState"] = {}
        st["state"] = {"terminated": {
            "containerID": st["containerID"], "exitCode": 0, "finishedAt": ts(started + dt.timedelta(seconds=4)),
            "reason": "Completed", "startedAt": ts(started + dt.timedelta(seconds=2))}}
        st["ready"] = True
        return st
    st["started"] = True
    if restarts:
        prev = started + dt.timedelta(days=1, hours=3)
        st["lastState"] = {"terminated": {
            "containerID": f"{runtime}://" + ctx.sha(f"old/{st['containerID']}"), "exitCode": 255,
            "finishedAt": ts(prev), "reason": "Unknown", "startedAt": ts(started + dt.timedelta(seconds=9))}}
        run_since = prev + dt.timedelta(seconds=41)
    else:
        st["lastState"] = {}
        run_since = started + dt.timedelta(seconds=9)
    st["state"] = {"running": {"startedAt": ts(run_since)}}
    return st


def pod(ctx, ns, name, template_spec, labels, owner, node, created, annotations=None,
        generate_name=None, restarts=0, mirror=False, pvc_volumes=None, hostname=None):
    """A running Pod made from a (defaulted) template spec, scheduled on `node`."""
    spec = copy.deepcopy(template_spec)
    spec["nodeName"] = node["name"]
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec["priority"] = SYSTEM_PRIORITY.get(spec.get("priorityClassName"), 0)
    host_net = spec.get("hostNetwork", False)
    if not mirror:
        tol = spec.setdefault("tolerations", [])
        keys = {t.get("key") for t in tol}
        tol.extend(t for t in NOT_READY_TOLERATIONS if t["key"] not in keys and
                   not any(x.get("operator") == "Exists" and "key" not in x for x in tol))
        vol = "kube-api-access-" + ctx.suffix()
        spec.setdefault("volumes", []).append({"name": vol, "projected": {
            "defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}],
                               "name": "kube-root-ca.crt"}},
                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1",
                                                         "fieldPath": "metadata.namespace"},
                                            "path": "namespace"}]}}]}})
        for c in spec["containers"] + spec.get("initContainers", []):
            c.setdefault("volumeMounts", []).append({
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "name": vol, "readOnly": True})
    if pvc_volumes:
        spec.setdefault("volumes", [])[:0] = pvc_volumes
    if hostname:
        spec["hostname"] = hostname
    ann = dict(annotations or {})
    if host_net:
        ip = node["ip"]
    else:
        ip = node["pod_cidr"].rsplit(".", 1)[0] + "." + str(ctx.rng.randint(2, 250))
        ann.update({"cni.projectcalico.org/containerID": ctx.sha(f"sandbox/{name}"),
                    "cni.projectcalico.org/podIP": ip + "/32",
                    "cni.projectcalico.org/podIPs": ip + "/32"})
    started = created + dt.timedelta(seconds=ctx.rng.randint(1, 6))
    unreachable = not node["ready"]
    ready = not unreachable
    extra = {"generateName": generate_name} if generate_name else None
    p = ctx.obj("v1", "Pod", name, ns, created=created, labels=labels, annotations=ann or None,
                extra=extra)
    if owner is not None:
        p["metadata"]["ownerReferences"] = [owner_ref(owner)]
    p["spec"] = spec
    first_ready = started + dt.timedelta(seconds=ctx.rng.randint(12, 60))
    cond_t = node["not_ready_since"] if unreachable else first_ready
    p["status"] = {
        "conditions": [
            {"lastProbeTime": None, "lastTransitionTime": ts(started + dt.timedelta(seconds=2)),
             "status": "True", "type": "PodReadyToStartContainers"},
            {"lastProbeTime": None, "lastTransitionTime": ts(started + dt.timedelta(seconds=5)),
             "status": "True", "type": "Initialized"},
            {"lastProbeTime": None, "lastTransitionTime": ts(cond_t),
             "status": "True" if ready else "False", "type": "Ready"},
            {"lastProbeTime": None, "lastTransitionTime": ts(first_ready),
             "status": "True", "type": "ContainersReady"},
            {"lastProbeTime": None, "lastTransitionTime": ts(created),
             "status": "True", "type": "PodScheduled"}],
        "containerStatuses": [_status_of(ctx, c, node, started, restarts, True)
                              for c in spec["containers"]],
        "hostIP": node["ip"], "hostIPs": [{"ip": node["ip"]}],
        "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
        "qosClass": qos(spec), "startTime": ts(started)}
    if "initContainers" in spec:
        p["status"]["initContainerStatuses"] = [
            _status_of(ctx, c, node, started, 0, True, init=True) for c in spec["initContainers"]]
    return ctx.add(p)


def qos(spec):
    cs = spec["containers"] + spec.get("initContainers", [])
    if not any(c.get("resources") for c in cs):
        return "BestEffort"
    guaranteed = all(
        c.get("resources", {}).get("limits", {}).get(r) is not None and
        c["resources"]["limits"][r] == c["resources"].get("requests", {}).get(r, c["resources"]["limits"][r])
        for c in cs for r in ("cpu", "memory"))
    return "Guaranteed" if guaranteed else "Burstable"


def app(name, image, port, live="/healthz", ready="/readyz", cpu=("100m", "500m"),
        mem=("128Mi", "256Mi"), port_name="http", scheme="HTTP", live_port=None,
        ready_port=None, initial=10, extra_ports=(), **kw):
    """A long-running container with explicit liveness and readiness probes that check
    different endpoints."""
    lp = live_port or port_name
    rp = ready_port or port_name
    return container(
        name, image, ports=[(port_name, port)] + list(extra_ports), cpu=cpu, mem=mem,
        liveness=probe(live, lp, failure=3, period=10, timeout=2, initial=initial, scheme=scheme),
        readiness=probe(ready, rp, failure=3, period=5, timeout=2, scheme=scheme), **kw)
