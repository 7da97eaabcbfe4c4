"""Benchmark kubewhy at cluster scale (figures printed, not asserted).

    PYTHONPATH=src python bench/cluster_bench.py [--nodes 5000 --pods 150000 --events 500000]
        [--dump DIR] [--profile FILE] [--repeat 3] [--skip-diagnose] [--skip-collect]

1. Generates a ``kubectl cluster-info dump --output-directory`` of that size from the object
   shapes of the recorded API answers (tests/cluster/data/seed000.json), then times
   ``kubewhy diagnose DUMP`` on one core (``taskset -c 0`` where available) and reads its peak RSS.
2. Serves a cluster of the same size from the recorded API server and collects ``node/X`` through
   the real client: requests made, objects read, and time. The goal is O(pods on X).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from cluster.apiserver import RecordedApiServer, Scenario  # noqa: E402

SHAPES = ROOT / "tests" / "cluster" / "data" / "seed000.json"
NAMESPACES = 50
# What a busy cluster's events look like: mostly pod life cycle, a few warnings (1 in 25).
EVENT_MIX = [
    *[("Normal", "Scheduled", "Successfully assigned team/app to worker")] * 6,
    *[("Normal", "Pulled", 'Container image "nginx:1.19" already present on machine')] * 6,
    *[("Normal", "Created", "Created container web")] * 6,
    *[("Normal", "Started", "Started container web")] * 6,
    ("Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"),
]


def _shapes() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    data = json.loads(SHAPES.read_text())
    node = data["nodes"][0]
    healthy = next(p for p in data["pods"] if p["metadata"]["name"].startswith("web-"))
    restarting = next(p for p in data["pods"] if p["metadata"]["name"].startswith("calico-node"))
    event = data["events"][0]
    return node, healthy, restarting, event


def _template(obj: dict[str, Any], fields: dict[str, str]) -> str:
    """The object as JSON with @@FIELD@@ markers for the values that vary."""
    text = json.dumps(obj, separators=(",", ":"))
    for marker, value in fields.items():
        text = text.replace(json.dumps(value), json.dumps(f"@@{marker}@@"))
    return text


def _fill(template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace(f"@@{key}@@", value)
    return template


def generate_dump(root: Path, nodes: int, pods: int, events: int) -> None:
    node, healthy, restarting, event = _shapes()
    node_t = _template(node, {"NAME": "node-xx", "UID": node["metadata"]["uid"]})
    pod_fields = {"NAME": "", "NS": "", "NODE": "node-xx", "UID": ""}
    pod_ts = []
    for original in (healthy, restarting):
        shape = copy.deepcopy(original)
        shape["metadata"].update(name="@@NAME@@", namespace="@@NS@@", uid="@@UID@@")
        shape["spec"]["nodeName"] = "@@NODE@@"
        pod_ts.append(_template(shape, pod_fields))
    event_ts = []
    for kind, reason, message in EVENT_MIX:
        shape = copy.deepcopy(event)
        shape["metadata"].update(name="@@NAME@@", namespace="@@NS@@", uid="@@UID@@")
        shape["involvedObject"].update(name="@@POD@@", namespace="@@NS@@")
        shape.update(type=kind, reason=reason, message=message)
        shape["source"]["host"] = "@@NODE@@"
        event_ts.append(json.dumps(shape, separators=(",", ":")))

    head = '{"kind":"%s","apiVersion":"v1","metadata":{},"items":[\n'
    with open(root / "nodes.json", "w") as out:
        out.write(head % "NodeList")
        out.write(
            ",\n".join(_fill(node_t, NAME=f"worker-{n:05d}", UID=f"n-{n}") for n in range(nodes))
        )
        out.write("\n]}\n")
    for ns_index in range(NAMESPACES):
        ns = f"team-{ns_index:02d}"
        (root / ns).mkdir()
        with open(root / ns / "pods.json", "w") as out:
            out.write(head % "PodList")
            first = True
            for p in range(ns_index, pods, NAMESPACES):
                template = pod_ts[1] if p % 500 == 0 else pod_ts[0]  # 0.2 % restarting
                text = _fill(
                    template,
                    NAME=f"app-{p:06d}",
                    NS=ns,
                    NODE=f"worker-{p % nodes:05d}",
                    UID=f"p-{p}",
                )
                out.write(text if first else ",\n" + text)
                first = False
            out.write("\n]}\n")
        with open(root / ns / "events.json", "w") as out:
            out.write(head % "EventList")
            first = True
            for e in range(ns_index, events, NAMESPACES):
                p = (e * 7) % pods
                text = _fill(
                    event_ts[e % len(event_ts)],
                    NAME=f"app-{p:06d}.{e:x}",
                    NS=ns,
                    UID=f"e-{e}",
                    POD=f"app-{p:06d}",
                    NODE=f"worker-{p % nodes:05d}",
                )
                out.write(text if first else ",\n" + text)
                first = False
            out.write("\n]}\n")


def time_diagnose(dump: Path, profile: Path | None = None) -> tuple[float, float, float, int, str]:
    """Wall seconds, CPU seconds (user + system), peak RSS in MiB, exit code, top finding.

    On a shared machine the wall time also counts the waits for the core: CPU seconds are the
    figure to compare between runs."""
    python = [sys.executable]
    if profile is not None:
        python += ["-m", "cProfile", "-o", str(profile)]
    command = [*python, "-m", "kubewhy", "diagnose", str(dump), "--format", "json"]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    # The children's rusage: maxrss is the largest of any child so far, which the runs share.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, env=env, timeout=3600, check=False)
    took = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss_mib = after.ru_maxrss / 1024
    top = ""
    try:
        findings = json.loads(done.stdout).get("findings") or []
        top = findings[0]["failure_mode"] if findings else "(no finding)"
    except ValueError:
        top = f"(exit {done.returncode}: {done.stderr.decode()[-300:]})"
    return took, cpu, rss_mib, done.returncode, top


def served_cluster(nodes: int, pods: int, events: int) -> Scenario:
    """The same cluster as objects in memory, nested parts shared to stay small."""
    node, healthy, _, event = _shapes()
    scenario = Scenario(namespaces=[f"team-{i:02d}" for i in range(NAMESPACES)])
    for n in range(nodes):
        meta = {**node["metadata"], "name": f"worker-{n:05d}", "uid": f"n-{n}"}
        scenario.nodes.append({**node, "metadata": meta})
    for p in range(pods):
        ns = f"team-{p % NAMESPACES:02d}"
        meta = {**healthy["metadata"], "name": f"app-{p:06d}", "namespace": ns, "uid": f"p-{p}"}
        spec = {**healthy["spec"], "nodeName": f"worker-{p % nodes:05d}"}
        scenario.pods.append({**healthy, "metadata": meta, "spec": spec})
    for e in range(events):
        p = (e * 7) % pods
        ns = f"team-{p % NAMESPACES:02d}"
        meta = {**event["metadata"], "name": f"app-{p:06d}.{e:x}", "namespace": ns, "uid": f"e-{e}"}
        involved = {**event["involvedObject"], "name": f"app-{p:06d}", "namespace": ns}
        kind, reason, message = EVENT_MIX[e % len(EVENT_MIX)]
        scenario.events.append(
            {
                **event,
                "metadata": meta,
                "involvedObject": involved,
                "type": kind,
                "reason": reason,
                "message": message,
            }
        )
    return scenario


def collect_node(nodes: int, pods: int, events: int) -> None:
    from kubewhy.sources.cluster import collect_cluster

    scenario = served_cluster(nodes, pods, events)
    target = "worker-00042"
    on_node = sum(1 for p in scenario.pods if p["spec"]["nodeName"] == target)
    with RecordedApiServer(scenario) as api, tempfile.TemporaryDirectory() as tmp:
        kubeconfig = str(api.kubeconfig(Path(tmp)))
        started = time.monotonic()
        bundle = collect_cluster(f"node/{target}", kubeconfig=kubeconfig, context="recorded")
        took = time.monotonic() - started
    unfiltered = [
        s.path for s in api.seen if s.path == "/api/v1/pods" and "fieldSelector" not in s.query
    ]
    print(
        f"node/{target}: {on_node} pods on the node, {len(api.seen)} requests, "
        f"{api.objects_read()} objects read of {nodes + pods + events}, "
        f"{len(bundle.files)} files, {took:.2f} s; unfiltered pod LISTs: {len(unfiltered)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=150_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--skip-diagnose", action="store_true")
    parser.add_argument("--skip-collect", action="store_true")
    parser.add_argument(
        "--dump", type=Path, help="keep the dump in this new folder, or reuse the dump there"
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of the diagnosis here")
    parser.add_argument("--repeat", type=int, default=3, help="diagnose runs (median shown)")
    args = parser.parse_args()
    if not args.skip_diagnose:
        with tempfile.TemporaryDirectory(prefix="kubewhy-bench-") as tmp:
            dump = args.dump or Path(tmp) / "dump"
            if dump.is_dir() and any(dump.iterdir()):
                print(f"dump: reusing {dump}")
            else:
                dump.mkdir(parents=True, exist_ok=True)
                started = time.monotonic()
                generate_dump(dump, args.nodes, args.pods, args.events)
                size = sum(f.stat().st_size for f in dump.rglob("*") if f.is_file())
                print(
                    f"dump: {args.nodes} nodes, {args.pods} pods, {args.events} events, "
                    f"{size / 2**20:.0f} MiB, generated in {time.monotonic() - started:.1f} s"
                )
            runs = [time_diagnose(dump, args.profile) for _ in range(args.repeat)]
            walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
            rss = max(r[2] for r in runs)
            codes = sorted({r[3] for r in runs})
            tops = sorted({r[4] for r in runs})
            print(
                f"kubewhy diagnose DUMP (one core, whole process, median (min-max) of "
                f"{len(runs)}): {statistics.median(walls):.1f} s wall "
                f"({min(walls):.1f}-{max(walls):.1f}), {statistics.median(cpus):.1f} s CPU "
                f"({min(cpus):.1f}-{max(cpus):.1f}), peak RSS {rss:.0f} MiB, exit {codes}, "
                f"top finding {tops}  [goal < 15 s CPU, < 1024 MiB]"
            )
    if not args.skip_collect:
        collect_node(args.nodes, args.pods, args.events)


if __name__ == "__main__":
    main()
