"""The pod a line names: each emitter's form, on real lines (their threads cited), and lines that
name no pod."""

from __future__ import annotations

import time

import pytest

from kubewhy.parsers.object_refs import named_pod, pod_ref

REAL_LINES = [
    # API server Forbidden with a controller's generateName prefix (giantswarm/chart-operator#140)
    (
        "Warning  FailedCreate  7m (x18 over 18m)  replicaset-controller  Error creating: pods "
        '"chart-operator-7c6db97676-" is forbidden: pods with system-cluster-critical '
        "priorityClass is not permitted in giantswarm namespace",
        ("chart-operator-7c6db97676", None),
    ),
    # the SCC refusal of a StatefulSet's pod (RedisLabs/redis-enterprise-k8s-docs#117)
    (
        "63s         Warning   FailedCreate           statefulset/rec                         "
        '                    create Pod rec-0 in StatefulSet rec failed error: pods "rec-0" is '
        "forbidden: unable to validate against any security context constraint: []",
        ("rec-0", None),
    ),
    # kubectl drain before 1.19 (tektoncd/pipeline#3774)
    (
        'error when evicting pod "tekton-pipelines-webhook-747547fc7c-qg556" (will retry after '
        "5s): Cannot evict pod as it would violate the pod's disruption budget.",
        ("tekton-pipelines-webhook-747547fc7c-qg556", None),
    ),
    # kubectl drain's progress line (hitachienergy/epiphany#2380)
    (
        "evicting pod istio-system/istio-ingressgateway-6c4468dd97-cc5tp",
        ("istio-ingressgateway-6c4468dd97-cc5tp", "istio-system"),
    ),
    # the attach/detach controller names the pod holding the volume (hetznercloud/csi-driver#337)
    (
        'Multi-Attach error for volume "pvc-15f7c61b-daa5-4743-9e44-15b372814fb1" Volume is '
        "already used by pod(s) demo-5ddfcfc6fb-2mpzs",
        ("demo-5ddfcfc6fb-2mpzs", None),
    ),
    # the kubelet's format.Pod in a container-config error (mongodb/mongodb-kubernetes-operator#952)
    (
        'Error: container has runAsNonRoot and image will run as root (pod: "mongodb-0_mongodb'
        '(e29ddd4d-aff8-43a8-9040-ee4bf168919a)", container: mongod-posthook)',
        ("mongodb-0", "mongodb"),
    ),
    # the kubelet's structured pod= (kubestellar/kubestellar#2573)
    (
        "Nov 08 16:29:29 kubeflex-control-plane kubelet[799]: I1108 16:29:29.612176     799 "
        'pod_startup_latency_tracker.go:104] "Observed pod startup duration" '
        'pod="ingress-nginx/ingress-nginx-controller-5c97fbc9bc-rsm6x"',
        ("ingress-nginx-controller-5c97fbc9bc-rsm6x", "ingress-nginx"),
    ),
    # a kubelet event log line of 2016 (kubernetes/kubernetes#21029)
    (
        'I0211 00:08:08.653240    3902 server.go:570] Event(api.ObjectReference{Kind:"Pod", '
        'Namespace:"e2e-tests-services-02bcq", Name:"service1-xwn9d", UID:"87a29d3a", '
        "APIVersion:\"v1\"}): reason: 'Pulling'",
        ("service1-xwn9d", "e2e-tests-services-02bcq"),
    ),
    # kubectl get events' object column (k3d-io/k3d#440)
    (
        "53s         Warning   FailedScheduling          pod/quickstart-es-default-0        "
        "                                0/1 nodes are available: 1 Insufficient memory.",
        ("quickstart-es-default-0", None),
    ),
]


@pytest.mark.parametrize(("line", "expected"), REAL_LINES)
def test_the_pod_a_real_line_names(line: str, expected: tuple[str, str | None]) -> None:
    assert named_pod(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "dial tcp 10.96.0.1:443: i/o timeout",
        "Warning  FailedCreate  replicaset-controller  Error creating: insufficient quota to "
        "match these scopes: [{PriorityClass In [system-node-critical]}]",
        # a namespace is no pod
        'namespaces "shop" is forbidden: User "dev" cannot get resource "namespaces"',
        # a path with pods/ in it names no pod
        "/var/lib/kubelet/pods/8f6d2a1e-1234/volumes",
        'pods "" is forbidden: unknown',
    ],
)
def test_lines_that_name_no_pod(line: str) -> None:
    assert named_pod(line) is None


def test_the_pattern_s_own_pod_group_wins_over_the_words() -> None:
    line = 'pods "other-0" is forbidden'
    assert pod_ref({"pod": "web-0", "namespace": "shop"}, line) == "pod/shop/web-0"
    assert pod_ref({}, line) == "pod/other-0"


def test_a_hostile_line_is_read_in_linear_time() -> None:
    # the name's repetition is bounded: a long run of name characters costs one pass (0.1 s for
    # 800 KB here; an unbounded name would retry it from every position)
    line = 'pods "' + "a-" * 200_000 + " is forbidden pod/" + "b" * 200_000 + ' pod="'
    started = time.process_time()
    assert named_pod(line) is None
    assert time.process_time() - started < 1.0
