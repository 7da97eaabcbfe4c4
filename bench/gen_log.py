# ruff: noqa: E501 - log templates are single long lines
"""Write a realistic node log for the benchmarks: journald short lines around klog (kubelet,
kube-proxy), containerd logfmt, kernel messages, and CRI-format kube-apiserver and etcd lines,
with about 0.01% failure lines mixed in: the knowledge base's own ``examples:`` lines (default)
or the examples of ``scan_patterns.PATTERNS`` (``--failures builtin``).

    PYTHONPATH=src python bench/gen_log.py /tmp/node.log --size 1G [--journal --host node-xx]
"""

from __future__ import annotations

import argparse
import importlib
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from scan_patterns import PATTERNS

HOST = "ip-10-0-1-12"
PODS = [
    f"{app}-{i}" for app in ("web", "api", "worker", "redis", "kafka", "ingress") for i in range(8)
]
NAMESPACES = ["default", "prod", "kube-system", "monitoring", "payments"]
FILES = [
    "kubelet.go",
    "pod_workers.go",
    "prober.go",
    "reconciler.go",
    "kubelet_pods.go",
    "kuberuntime_manager.go",
    "status_manager.go",
    "volume_manager.go",
    "manager.go",
]

# Normal operation, as the components print it (none of these is a failure line).
KUBELET = [
    '"SyncLoop (probe)" probe="readiness" status="ready" pod="{ns}/{pod}"',
    '"SyncLoop UPDATE" source="api" pods=["{ns}/{pod}"]',
    '"SyncLoop (PLEG): event for pod" pod="{ns}/{pod}" event=&{{ID:{uid} Type:ContainerStarted Data:{hex}}}',
    '"operationExecutor.VerifyControllerAttachedVolume started for volume \\"kube-api-access-{short}\\"" pod="{ns}/{pod}"',
    '"MountVolume.SetUp succeeded for volume \\"kube-api-access-{short}\\"" pod="{ns}/{pod}"',
    '"Started container" pod="{ns}/{pod}" containerName="app" containerID="containerd://{hex}"',
    '"RemoveContainer" containerID="{hex}"',
    '"Volume detached for volume \\"config\\" (UniqueName: \\"kubernetes.io/configmap/{uid}-config\\") on node \\"{host}\\" DevicePath \\"\\""',
    '"Updating pod condition" pod="{ns}/{pod}" type=Ready status=True',
    '"Cleaned up orphaned pod volumes dir" podUID={uid} path="/var/lib/kubelet/pods/{uid}/volumes"',
    '"Found pod with same UID" podUID={uid}',
    '"Image garbage collection succeeded" freed=0',
]
CONTAINERD = [
    'time="{iso}" level=info msg="StartContainer for \\"{hex}\\" returns successfully"',
    'time="{iso}" level=info msg="CreateContainer within sandbox \\"{hex}\\" for &ContainerMetadata{{Name:app,Attempt:0,}} returns container id \\"{hex}\\""',
    'time="{iso}" level=info msg="RunPodSandbox for &PodSandboxMetadata{{Name:{pod},Uid:{uid},Namespace:{ns},Attempt:0,}} returns sandbox id \\"{hex}\\""',
    'time="{iso}" level=info msg="ImageCreate event &ImageCreate{{Name:registry.k8s.io/pause:3.9,Labels:map[string]string{{}},XXX_unrecognized:[],}}"',
    'time="{iso}" level=info msg="PullImage \\"registry.internal/{pod}:v1\\" returns image reference \\"sha256:{hex}\\""',
    'time="{iso}" level=info msg="TearDown network for sandbox \\"{hex}\\" successfully"',
]
KERNEL = [
    "IPv6: ADDRCONF(NETDEV_CHANGE): veth{short}: link becomes ready",
    "cni0: port {port}(veth{short}) entered forwarding state",
    "cni0: port {port}(veth{short}) entered blocking state",
    "eth0: renamed from tmp{short}",
    "IPVS: Creating netns size=2048 id={port}",
]
APISERVER = [
    'httplog.go:132] "HTTP" verb="GET" URI="/api/v1/namespaces/{ns}/pods/{pod}" latency="2.{port}ms" userAgent="kubelet/v1.27.3" audit-ID="{uid}" srcIP="10.0.1.12:4{port}" resp=200',
    'httplog.go:132] "HTTP" verb="WATCH" URI="/api/v1/namespaces/{ns}/configmaps?watch=true" latency="5m0.00{port}s" userAgent="kube-controller-manager/v1.27.3" audit-ID="{uid}" resp=200',
    "controller.go:624] quota admission added evaluator for: leases.coordination.k8s.io",
    'alloc.go:330] "allocated clusterIPs" service="{ns}/{pod}" clusterIPs=map[IPv4:10.96.{port}.7]',
]
ETCD = [
    '{{"level":"info","ts":"{iso}","caller":"mvcc/index.go:214","msg":"compact tree index","revision":{port}000}}',
    '{{"level":"info","ts":"{iso}","caller":"mvcc/kvstore_compaction.go:57","msg":"finished scheduled compaction","compact-revision":{port}000,"took":"11.{port}ms"}}',
    '{{"level":"info","ts":"{iso}","caller":"etcdserver/server.go:1383","msg":"saved snapshot","snapshot-index":{port}0000}}',
]


def kb_examples(failure_modes: Sequence[str] | None = None) -> list[str]:
    """The ``examples:`` lines of the log symptoms of the built-in knowledge base (of these
    failure modes only, if given)."""
    kb_load = importlib.import_module("kubewhy.kb.load")
    symptoms = kb_load.load_knowledge_base().log_patterns()
    wanted = set(failure_modes) if failure_modes is not None else None
    lines = [
        line
        for fm_id, symptom in symptoms
        if wanted is None or fm_id in wanted
        for line in symptom.examples
    ]
    if not lines:
        raise ValueError(f"no log symptom examples for failure modes {sorted(wanted or [])}")
    return lines


def builtin_examples() -> list[str]:
    """The example line of each pattern of the built-in bench set, as kubelet error lines."""
    return [f"E{{klog}}    1873 {example}" for _, _, example in PATTERNS]


@dataclass(frozen=True, slots=True)
class Generated:
    bytes: int
    lines: int
    failure_lines: int


@dataclass(frozen=True, slots=True)
class _Shape:
    host: str = HOST
    journal_only: bool = False  # journald lines only (no CRI container-log lines)


def _fields(rng: random.Random, host: str) -> dict[str, str]:
    return {
        "ns": rng.choice(NAMESPACES),
        "pod": rng.choice(PODS),
        "uid": f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-8{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}",
        "hex": f"{rng.getrandbits(64):016x}{rng.getrandbits(64):016x}",
        "short": f"{rng.getrandbits(24):06x}",
        "port": str(rng.randint(1, 999)),
        "host": host,
    }


def _line(
    rng: random.Random, now: datetime, failures: Sequence[str], rate: float, shape: _Shape
) -> tuple[str, bool]:
    """One line and whether it is a failure line."""
    stamp = now.strftime("%b %d %H:%M:%S")
    klog_time = now.strftime("%m%d %H:%M:%S.%f")
    iso = now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    host = shape.host
    fields = _fields(rng, host)
    fields["iso"] = iso
    if rng.random() < rate:  # a failure line, as the kubelet's journal would hold it
        example = rng.choice(failures).replace("{klog}", klog_time)
        return f"{stamp} {host} kubelet[1873]: {example}", True
    roll = rng.random() * (0.83 if shape.journal_only else 1.0)
    if roll < 0.55:
        message = rng.choice(KUBELET).format(**fields)
        return (
            f"{stamp} {host} kubelet[1873]: I{klog_time}    1873 {rng.choice(FILES)}:{fields['port']}] {message}",
            False,
        )
    if roll < 0.75:
        return f"{stamp} {host} containerd[912]: {rng.choice(CONTAINERD).format(**fields)}", False
    if roll < 0.83:
        return f"{stamp} {host} kernel: {rng.choice(KERNEL).format(**fields)}", False
    if roll < 0.95:
        message = rng.choice(APISERVER).format(**fields)
        return f"{iso} stderr F I{klog_time}       1 {message}", False
    return f"{iso} stderr F {rng.choice(ETCD).format(**fields)}", False


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def generate(
    path: Path,
    size: int,
    failures: Sequence[str] | None = None,
    *,
    seed: int = 7,
    failure_rate: float = 1e-4,
    host: str = HOST,
    journal_only: bool = False,
    start: datetime = datetime(2023, 7, 23, 22, 0, tzinfo=UTC),
    step_us: tuple[int, int] = (100, 20000),
) -> Generated:
    """Write about ``size`` bytes of log to ``path``, a share ``failure_rate`` of its lines
    drawn from ``failures`` (default: the built-in bench set's examples)."""
    failures = list(failures) if failures is not None else builtin_examples()
    shape = _Shape(host, journal_only)
    rng = random.Random(seed)
    now = start
    written = lines = failed = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        while written < size:
            batch = []
            for _ in range(20000):
                now += timedelta(microseconds=rng.randint(*step_us))
                line, is_failure = _line(rng, now, failures, failure_rate, shape)
                batch.append(line)
                failed += is_failure
            text = "\n".join(batch) + "\n"
            out.write(text)
            written += len(text.encode())
            lines += len(batch)
    return Generated(written, lines, failed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--size", default="1G", help="approximate size, e.g. 200M, 1G")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--failures", choices=["kb", "builtin"], default="kb")
    parser.add_argument(
        "--modes", help="with --failures kb: only these failure modes' examples (a,b,c)"
    )
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--journal", action="store_true", help="journald lines only")
    args = parser.parse_args()
    modes = args.modes.split(",") if args.modes else None
    failures = kb_examples(modes) if args.failures == "kb" else builtin_examples()
    done = generate(
        args.path,
        parse_size(args.size),
        failures,
        seed=args.seed,
        host=args.host,
        journal_only=args.journal,
    )
    print(
        f"wrote {done.bytes / 1e6:.0f} MB, {done.lines} lines, {done.failure_lines} failure lines"
        f" to {args.path}"
    )


if __name__ == "__main__":
    main()
