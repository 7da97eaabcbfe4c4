"""Rebuilds the recorded API answers in this folder (``python reconstruct.py``).

The objects follow the shape the API server returns for Node, Pod and Event (core/v1) field by
field (see PROVENANCE.md); the values are the seeds' own (node names, messages, counts). They are
reconstructions: the seeds published text, not API objects.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def uid(*parts: str) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def condition(kind: str, status: str, reason: str, message: str, when: str) -> dict[str, Any]:
    return {
        "type": kind,
        "status": status,
        "lastHeartbeatTime": when,
        "lastTransitionTime": when,
        "reason": reason,
        "message": message,
    }


def node(
    name: str,
    *,
    ready: tuple[str, str, str] = ("True", "KubeletReady", "kubelet is posting ready status"),
    kernel: str = "5.4.0-42-generic",
    os_image: str = "Ubuntu 20.04.1 LTS",
    kubelet: str = "v1.18.4",
    runtime: str = "docker://19.3.12",
    when: str = "2021-09-07T07:00:00Z",
    role: str | None = None,
) -> dict[str, Any]:
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    if role:
        labels[f"node-role.kubernetes.io/{role}"] = ""
    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "uid": uid("node", name),
            "resourceVersion": "81123",
            "creationTimestamp": "2020-12-09T07:02:21Z",
            "labels": labels,
            "annotations": {
                "kubeadm.alpha.kubernetes.io/cri-socket": "/var/run/dockershim.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"podCIDR": "192.168.0.0/24", "podCIDRs": ["192.168.0.0/24"]},
        "status": {
            "capacity": {
                "cpu": "8",
                "ephemeral-storage": "102687672Ki",
                "hugepages-2Mi": "0",
                "memory": "32779700Ki",
                "pods": "110",
            },
            "allocatable": {
                "cpu": "8",
                "ephemeral-storage": "94636958229",
                "hugepages-2Mi": "0",
                "memory": "32677300Ki",
                "pods": "110",
            },
            "conditions": [
                condition(
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                    when,
                ),
                condition(
                    "DiskPressure",
                    "False",
                    "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure",
                    when,
                ),
                condition(
                    "PIDPressure",
                    "False",
                    "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available",
                    when,
                ),
                condition("Ready", ready[0], ready[1], ready[2], when),
            ],
            "addresses": [
                {"type": "InternalIP", "address": name if name[0].isdigit() else "10.0.0.21"},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": hashlib.md5(name.encode()).hexdigest(),
                "systemUUID": uid("system", name).upper(),
                "bootID": uid("boot", name),
                "kernelVersion": kernel,
                "osImage": os_image,
                "containerRuntimeVersion": runtime,
                "kubeletVersion": kubelet,
                "kubeProxyVersion": kubelet,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def container_status(
    name: str,
    image: str,
    *,
    restarts: int = 0,
    ready: bool = True,
    state: dict[str, Any] | None = None,
    last: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "state": state or {"running": {"startedAt": "2021-09-07T06:59:12Z"}},
        "lastState": last or {},
        "ready": ready,
        "restartCount": restarts,
        "image": image,
        "imageID": f"docker-pullable://{image.split(':', maxsplit=1)[0]}@sha256:"
        + hashlib.sha256(image.encode()).hexdigest(),
        "containerID": "docker://" + hashlib.sha256(name.encode()).hexdigest(),
        "started": ready,
    }


def terminated(reason: str, code: int, finished: str) -> dict[str, Any]:
    return {
        "terminated": {
            "exitCode": code,
            "reason": reason,
            "startedAt": "2021-09-07T06:11:40Z",
            "finishedAt": finished,
            "containerID": "docker://" + hashlib.sha256(finished.encode()).hexdigest(),
        }
    }


def pod(
    name: str,
    namespace: str,
    node_name: str,
    image: str,
    *,
    container: str | None = None,
    phase: str = "Running",
    statuses: list[dict[str, Any]] | None = None,
    labels: dict[str, str] | None = None,
    probe: dict[str, Any] | None = None,
    memory: tuple[str, str] | None = None,
    owner: tuple[str, str] | None = None,
    static: bool = False,
) -> dict[str, Any]:
    container = container or name.rsplit("-", 1)[0]
    ready = "True" if phase == "Running" and all(s["ready"] for s in statuses or []) else "False"
    spec_container: dict[str, Any] = {
        "name": container,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {"requests": {"cpu": "250m"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [
            {
                "name": "kube-api-access-x2p9k",
                "readOnly": True,
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
            }
        ],
    }
    if memory:
        spec_container["resources"]["limits"] = {"memory": memory[0]}
        spec_container["resources"]["requests"]["memory"] = memory[1]
    if probe:
        spec_container.update(probe)
    meta: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": uid("pod", namespace, name),
        "resourceVersion": "80517",
        "creationTimestamp": "2020-12-09T07:02:21Z",
        "labels": labels or {"app": container},
    }
    if owner:
        meta["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": owner[0],
                "name": owner[1],
                "uid": uid(owner[0], namespace, owner[1]),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    if static:
        meta["annotations"] = {
            "kubernetes.io/config.hash": hashlib.md5(name.encode()).hexdigest(),
            "kubernetes.io/config.mirror": hashlib.md5(name.encode()).hexdigest(),
            "kubernetes.io/config.source": "file",
        }
        meta["ownerReferences"] = [
            {
                "apiVersion": "v1",
                "kind": "Node",
                "name": node_name,
                "uid": uid("node", node_name),
                "controller": True,
            }
        ]
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": meta,
        "spec": {
            "volumes": [
                {
                    "name": "kube-api-access-x2p9k",
                    "projected": {
                        "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {
                                "configMap": {
                                    "name": "kube-root-ca.crt",
                                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                                }
                            },
                        ],
                        "defaultMode": 420,
                    },
                }
            ],
            "containers": [spec_container],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "nodeName": node_name,
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
            ],
            "priority": 0,
            "enableServiceLinks": True,
        },
        "status": {
            "phase": phase,
            "conditions": [
                {
                    "type": "Initialized",
                    "status": "True",
                    "lastTransitionTime": "2020-12-09T07:02:21Z",
                },
                {"type": "Ready", "status": ready, "lastTransitionTime": "2021-09-07T06:59:30Z"},
                {
                    "type": "ContainersReady",
                    "status": ready,
                    "lastTransitionTime": "2021-09-07T06:59:30Z",
                },
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastTransitionTime": "2020-12-09T07:02:21Z",
                },
            ],
            "hostIP": "10.0.0.21",
            "podIP": "192.168.57.4",
            "podIPs": [{"ip": "192.168.57.4"}],
            "startTime": "2020-12-09T07:02:21Z",
            "containerStatuses": statuses
            if statuses is not None
            else [container_status(container, image)],
            "qosClass": "Burstable",
        },
    }


def event(
    namespace: str,
    kind: str,
    name: str,
    reason: str,
    message: str,
    *,
    host: str,
    when: str,
    count: int = 1,
    kind_type: str = "Warning",
    component: str = "kubelet",
    field_path: str | None = None,
) -> dict[str, Any]:
    suffix = hashlib.sha256(f"{name}{reason}{message}".encode()).hexdigest()[:16]
    involved: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "uid": uid(kind.lower(), namespace if kind == "Pod" else "", name),
        "apiVersion": "v1",
    }
    if kind == "Pod":
        involved["namespace"] = namespace
        involved["resourceVersion"] = "80517"
    if field_path:
        involved["fieldPath"] = field_path
    return {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": {
            "name": f"{name}.{suffix}",
            "namespace": namespace,
            "uid": uid("event", namespace, name, suffix),
            "resourceVersion": "81200",
            "creationTimestamp": when,
        },
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "source": {"component": component, "host": host},
        "firstTimestamp": when,
        "lastTimestamp": when,
        "count": count,
        "type": kind_type,
        "eventTime": None,
        "reportingComponent": "",
        "reportingInstance": "",
    }


def configz(**settings: Any) -> str:
    base: dict[str, Any] = {
        "enableServer": True,
        "staticPodPath": "/etc/kubernetes/manifests",
        "syncFrequency": "1m0s",
        "authentication": {"x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
        "clusterDomain": "cluster.local",
        "clusterDNS": ["10.96.0.10"],
        "cgroupDriver": "cgroupfs",
        "maxPods": 110,
        "serializeImagePulls": True,
        "evictionHard": {
            "imagefs.available": "15%",
            "memory.available": "100Mi",
            "nodefs.available": "10%",
            "nodefs.inodesFree": "5%",
        },
        "failSwapOn": True,
        "kind": "KubeletConfiguration",
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
    }
    base.update(settings)
    return json.dumps({"kubeletconfig": base})


# --- the seeds -----------------------------------------------------------------------------------

CALICO_IMAGE = "calico/node:v3.13.4"
CALICO_PROBES = {
    "livenessProbe": {
        "exec": {"command": ["/bin/calico-node", "-felix-live", "-bird-live"]},
        "initialDelaySeconds": 10,
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 6,
    },
    "readinessProbe": {
        "exec": {"command": ["/bin/calico-node", "-felix-ready", "-bird-ready"]},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    },
}


def _filler(node_name: str, count: int, namespace: str = "default") -> list[dict[str, Any]]:
    return [
        pod(f"web-{node_name.replace('.', '-')}-{i:03d}", namespace, node_name, "nginx:1.19")
        for i in range(count)
    ]


def seed000() -> dict[str, Any]:
    """Node PID space exhausted by a container thread leak; calico-node probes fail (EAGAIN)."""
    n = "node-xx"
    calico = pod(
        "calico-node-7xq2m", "kube-system", n, CALICO_IMAGE, container="calico-node",
        labels={"k8s-app": "calico-node"}, probe=CALICO_PROBES, owner=("DaemonSet", "calico-node"),
        statuses=[container_status(
            "calico-node", CALICO_IMAGE, restarts=7, ready=False,
            last=terminated("Error", 137, "2020-06-14T05:35:12Z"),
        )],
    )  # fmt: skip
    leak = pod(
        "order-service-6d9f7c8b5-k2lqp", "prod", n, "registry.local/order-service:2.3.1",
        container="order-service", owner=("ReplicaSet", "order-service-6d9f7c8b5"),
    )  # fmt: skip
    other = pod("web-elsewhere-1", "default", "node-yy", "nginx:1.19")
    when = "2020-06-14T05:35:10Z"
    events = [
        event("kube-system", "Pod", calico["metadata"]["name"], "Unhealthy",
              "Readiness probe failed: runtime/cgo: pthread_create failed: Resource temporarily "
              "unavailable\nSIGABRT: abort", host=n, when=when, count=12,
              field_path="spec.containers{calico-node}"),
        event("kube-system", "Pod", calico["metadata"]["name"], "Unhealthy",
              "Liveness probe failed: runtime: failed to create new OS thread (have 5 already; "
              "errno=11)\nruntime: may need to increase max user processes (ulimit -u)",
              host=n, when=when, count=6, field_path="spec.containers{calico-node}"),
        event("kube-system", "Pod", calico["metadata"]["name"], "Killing",
              "Container calico-node failed liveness probe, will be restarted",
              host=n, when=when, count=7, kind_type="Normal",
              field_path="spec.containers{calico-node}"),
    ]  # fmt: skip
    cadvisor = (
        "# HELP container_threads Number of threads running inside the container\n"
        "# TYPE container_threads gauge\n"
        'container_threads{container="",id="/",image="",name="",namespace="",pod=""} 46950 '
        "1592112939781\n"
        'container_threads{container="order-service",id="/kubepods/burstable/pod1/abc",'
        'image="registry.local/order-service:2.3.1",name="k8s_order-service",namespace="prod",'
        'pod="order-service-6d9f7c8b5-k2lqp"} 45120 1592112939781\n'
        'container_threads{container="calico-node",id="/kubepods/burstable/pod2/def",'
        'image="calico/node:v3.13.4",name="k8s_calico-node",namespace="kube-system",'
        'pod="calico-node-7xq2m"} 31 1592112939781\n'
        "# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.\n"
        "# TYPE container_cpu_usage_seconds_total counter\n"
        'container_cpu_usage_seconds_total{container="order-service",cpu="total",id="/kubepods"'
        ',namespace="prod",pod="order-service-6d9f7c8b5-k2lqp"} 9.1e+04 1592112939781\n'
    )
    return {
        "namespaces": ["default", "kube-system", "prod"],
        "nodes": [node(n, kubelet="v1.16.9"), node("node-yy", kubelet="v1.16.9")],
        "pods": [calico, leak, other, *_filler(n, 3)],
        "events": events,
        "logs": {
            "kube-system/calico-node-7xq2m/calico-node/previous": (
                "2020-06-14 05:35:02.114 [INFO][54] felix/int_dataplane.go 1035: "
                "Applying dataplane updates\n"
                "runtime: failed to create new OS thread (have 5 already; errno=11)\n"
                "runtime: may need to increase max user processes (ulimit -u)\n"
                "fatal error: newosproc\n"
            ),
        },
        "proxy": {
            f"{n}/configz": configz(),
            f"{n}/metrics/cadvisor": cadvisor,
        },
    }


def seed001() -> dict[str, Any]:
    """Pods Pending though their containers run: kubelet's API QPS too low for the node."""
    n = "10.0.0.23"
    pods = _filler(n, 60)
    for index in range(12):
        name = f"sphinx-{index}"
        pods.append(pod(
            name, "default", n, "registry.local/sphinx:1.0", container="sphinx", phase="Pending",
            statuses=[container_status("sphinx", "registry.local/sphinx:1.0", ready=False)],
            owner=("StatefulSet", "sphinx"),
        ))  # fmt: skip
    pods.append(pod("kube-proxy-gtvs8", "kube-system", n, "k8s.gcr.io/kube-proxy:v1.18.4",
                    container="kube-proxy", labels={"k8s-app": "kube-proxy"}))  # fmt: skip
    events = [
        event("default", "Pod", f"sphinx-{i}", "Started", "Started container sphinx",
              host=n, when="2021-09-07T10:12:01Z", kind_type="Normal",
              field_path="spec.containers{sphinx}")
        for i in range(12)
    ]  # fmt: skip
    return {
        "nodes": [node(n)],
        "pods": pods,
        "events": events,
        "proxy": {f"{n}/configz": configz(kubeAPIQPS=5, kubeAPIBurst=10)},
        "logs": {},
    }


def seed002() -> dict[str, Any]:
    """kube-apiserver OOMKilled on a stacked control plane; controller-manager restarts."""
    masters = ["10.0.0.8", "10.0.0.42", "10.0.0.6"]
    pods: list[dict[str, Any]] = []
    apiserver_image = "k8s.gcr.io/kube-apiserver:v1.18.4"
    for master in masters:
        oom = master == "10.0.0.8"
        pods.append(pod(
            f"kube-apiserver-{master}", "kube-system", master, apiserver_image,
            container="kube-apiserver", static=True,
            labels={"component": "kube-apiserver", "tier": "control-plane"},
            statuses=[container_status(
                "kube-apiserver", apiserver_image, restarts=1 if oom else 0,
                last=terminated("OOMKilled", 137, "2021-09-07T07:06:13Z") if oom else None,
            )],
        ))  # fmt: skip
        pods.append(pod(
            f"etcd-{master}", "kube-system", master, "k8s.gcr.io/etcd:3.4.3-0", container="etcd",
            static=True, labels={"component": "etcd", "tier": "control-plane"},
            statuses=[container_status("etcd", "k8s.gcr.io/etcd:3.4.3-0", restarts=3)],
        ))  # fmt: skip
        crashing = master == "10.0.0.42"
        kcm_image = "k8s.gcr.io/kube-controller-manager:v1.18.4"
        pods.append(pod(
            f"kube-controller-manager-{master}", "kube-system", master, kcm_image,
            container="kube-controller-manager", static=True,
            labels={"component": "kube-controller-manager", "tier": "control-plane"},
            statuses=[container_status(
                "kube-controller-manager", kcm_image, restarts=52 if crashing else 37,
                ready=not crashing,
                state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s "
                       "restarting failed container"}} if crashing else None,
                last=terminated("Error", 255, "2021-09-07T07:05:40Z"),
            )],
        ))  # fmt: skip
    logs = {
        "kube-system/kube-controller-manager-10.0.0.42/kube-controller-manager/previous": (
            "E0907 07:05:31.102442       1 leaderelection.go:320] error retrieving resource lock "
            "kube-system/kube-controller-manager: etcdserver: request timed out\n"
            "I0907 07:05:36.553719       1 leaderelection.go:277] failed to renew lease "
            "kube-system/kube-controller-manager: timed out waiting for the condition\n"
            "F0907 07:05:36.553788       1 controllermanager.go:279] leaderelection lost\n"
        ),
        "kube-system/kube-apiserver-10.0.0.8/kube-apiserver/previous": (
            "W0907 07:04:12.377316       1 clientconn.go:1208] grpc: addrConn.createTransport "
            "failed to connect to {https://etcd0:2379  <nil> 0 <nil>}. Err :connection error: "
            'desc = "transport: Error while dialing dial tcp 10.0.0.8:2379: i/o timeout". '
            "Reconnecting...\n"
            'I0907 07:04:40.391602       1 trace.go:116] Trace[2032502471]: "Update" '
            "url:/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/10.0.0.8,"
            "user-agent:kubelet/v1.18.4 (linux/amd64) kubernetes/f8797eb,client:10.0.0.8 "
            "(started: 2021-09-07 07:04:17.392952999 +0800 CST m=+23472113.988249966) "
            "(total time: 20.164329656s):\n"
        ),
    }
    return {
        "nodes": [node(m, role="master") for m in masters],
        "pods": pods,
        "events": [],
        "logs": logs,
        "proxy": {},
    }


def seed003() -> dict[str, Any]:
    """Nodes rebooted by an Ubuntu 16.04 kernel BUG (4.4.0-104)."""
    names = ["k8s-node-07", "k8s-node-11", "k8s-node-15", "k8s-node-19"]
    nodes = [
        node(n, kernel="4.4.0-104-generic", os_image="Ubuntu 16.04.3 LTS",
             runtime="docker://18.6.1", kubelet="v1.12.3")
        for n in names
    ]  # fmt: skip
    events = [
        event("default", "Node", n, "Rebooted",
              f"Node {n} has been rebooted, boot id: {uid('boot', n)}",
              host=n, when=f"2019-03-{10 + i:02d}T02:14:0{i}Z")
        for i, n in enumerate(names)
    ]  # fmt: skip
    pods = [pod("coredns-66bff467f8-6xw9d", "kube-system", names[0], "coredns/coredns:1.2.6",
                container="coredns", labels={"k8s-app": "kube-dns"})]  # fmt: skip
    return {"nodes": nodes, "pods": pods, "events": events, "logs": {}, "proxy": {}}


def seed004() -> dict[str, Any]:
    """Node NotReady: PLEG not healthy because the CNI daemon (terwayd) hangs in netlink."""
    n = "cn-hangzhou.10.0.0.77"
    message = "PLEG is not healthy: pleg was last seen active 3m0.0s ago; threshold is 3m0s"
    bad = node(n, ready=("False", "KubeletNotReady", message), kubelet="v1.14.8",
               runtime="docker://18.9.2", when="2019-11-20T03:21:45Z")  # fmt: skip
    terway_image = "registry.aliyuncs.com/acs/terway:v1.0.9"
    pods = [
        pod("terway-4mzx5", "kube-system", n, terway_image, container="terway",
            labels={"app": "terway"}, owner=("DaemonSet", "terway")),
        *_filler(n, 4),
    ]  # fmt: skip
    events = [
        event("default", "Node", n, "NodeNotReady", f"Node {n} status is now: NodeNotReady",
              host=n, when="2019-11-20T03:21:45Z", kind_type="Normal",
              component="node-controller"),
    ]  # fmt: skip
    return {
        "nodes": [bad, node("cn-hangzhou.10.0.0.78", kubelet="v1.14.8")],
        "pods": pods,
        "events": events,
        "logs": {},
        "proxy": {},
    }


SEEDS = {
    "seed000": seed000,
    "seed001": seed001,
    "seed002": seed002,
    "seed003": seed003,
    "seed004": seed004,
}


VERSIONS = {"seed000": "v1.16.9", "seed001": "v1.18.4", "seed002": "v1.18.4",
            "seed003": "v1.12.3", "seed004": "v1.14.8"}  # fmt: skip


def version(git: str) -> dict[str, str]:
    """The /version answer (k8s.io/apimachinery/pkg/version.Info)."""
    major, minor = git.lstrip("v").split(".")[:2]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": git,
        "gitCommit": hashlib.sha1(git.encode()).hexdigest(),
        "gitTreeState": "clean",
        "buildDate": "2020-06-17T11:33:59Z",
        "goVersion": "go1.13.9",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def main() -> None:
    for name, build in SEEDS.items():
        scenario = build()
        scenario["version"] = version(VERSIONS[name])
        (HERE / f"{name}.json").write_text(json.dumps(scenario, indent=1) + "\n")


if __name__ == "__main__":
    main()
