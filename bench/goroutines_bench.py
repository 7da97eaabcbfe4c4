"""Goroutine dump parsing and analysis speed on a dump of a million goroutines.

The dump is made of real stacks (tests/goroutines/data, see PROVENANCE.md) with new goroutine
ids and wait times: 30% carry no wait stamp, the others 1-1600 minutes. Each goroutine gets
its own argument values and frame pointers, as in a real dump of that size (``--same-values``
copies the captured stacks verbatim instead, so their values repeat: a flattering input). The
dump is written to a temporary file, then parsed and analysed from that file in fresh child
processes (``--runs``; the median reported, with min and max): CPU seconds, wall seconds, peak
RSS. Figures are printed, not asserted.

    PYTHONPATH=src python bench/goroutines_bench.py [--goroutines N] [--shape debug2|sigquit]
        [--same-values] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "goroutines" / "data"
PROGRAMS = ("distributor", "convoy", "healthy")
NO_STAMP_SHARE = 0.3
MAX_MINUTES = 1600
# Heap-sized values in argument lists, and frame/stack pointers: they differ per goroutine.
_VALUES = re.compile(r"(?<=[(, {])0x[0-9a-f]{6,}|(?<=[fs]p=)0x[0-9a-f]+")
_SLOT = "\x00"


def real_stacks(shape: str) -> list[tuple[str, str]]:
    """(state, frames) of every goroutine in the captured dumps of ``shape``."""
    stacks = []
    for program in PROGRAMS:
        text = (DATA / f"{program}.{shape}.txt").read_text()
        for block in text.split("\n\n"):
            if not block.startswith("goroutine "):
                continue
            head, _, body = block.strip("\n").partition("\n")
            state = head[head.index("[") + 1 : head.rindex("]")].split(", ")[0]
            stacks.append((state, body))
    return stacks


def write_dump(
    path: Path, goroutines: int, shape: str, seed: int = 7, vary_values: bool = False
) -> int:
    rng = random.Random(seed)
    stacks = real_stacks(shape)
    if vary_values:
        stacks = [(state, _VALUES.sub(_SLOT, body)) for state, body in stacks]
    with path.open("w") as out:
        batch = []
        for gid in range(1, goroutines + 1):
            state, body = rng.choice(stacks)
            if vary_values:
                body = body.replace(_SLOT, f"{0xC000000000 + gid * 0x40:#x}")
            if rng.random() >= NO_STAMP_SHARE:
                state = f"{state}, {rng.randint(1, MAX_MINUTES)} minutes"
            batch.append(f"goroutine {gid * 7 + 1} [{state}]:\n{body}\n\n")
            if len(batch) == 10_000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
    return path.stat().st_size


def measure(path: Path) -> None:
    """Child process: parse and analyse ``path``, print CPU seconds, wall seconds, total."""
    from kubewhy.pipeline.goroutines import analyze_dump

    cpu, wall = time.process_time(), time.perf_counter()
    report = analyze_dump(path)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(cpu, wall, report.total, len(report.groups), len(report.leaks), len(report.convoys))


def run_child(dump: Path) -> tuple[float, float, list[str]]:
    """Parse ``dump`` in a fresh process: its CPU seconds, wall seconds and findings."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(DATA.parents[2] / "src"), env.get("PYTHONPATH", "")])
    child = subprocess.run(
        [sys.executable, __file__, "--measure", str(dump)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    cpu, wall, *found = child.stdout.split()
    return float(cpu), float(wall), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goroutines", type=int, default=1_000_000)
    parser.add_argument("--shape", choices=("debug2", "sigquit"), default="debug2")
    parser.add_argument("--same-values", action="store_true", help="the captured values")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "dump.txt"
        vary = not args.same_values
        size = write_dump(dump, args.goroutines, args.shape, vary_values=vary)
        runs = sorted(run_child(dump) for _ in range(args.runs))
    cpu, wall, (total, groups, leaks, convoys) = runs[len(runs) // 2]
    # The largest RSS any child reached (the runs parse the same file).
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    values = "captured values repeated" if args.same_values else "values differ per goroutine"
    print(f"dump: {int(total):,} goroutines ({args.shape} stacks, {values}), {size / 1e6:.0f} MB")
    print("runs (CPU s / wall s): " + ", ".join(f"{c:.2f}/{w:.2f}" for c, w, _ in runs))
    low, high = runs[0][0], runs[-1][0]
    print(
        f"parse + analysis, median of {len(runs)}: {cpu:.2f} s CPU ({low:.2f}-{high:.2f}), "
        f"{wall:.2f} s wall"
    )
    print(
        f"throughput: {int(total) / cpu:,.0f} goroutines/s per CPU second "
        f"({int(total) / high:,.0f}-{int(total) / low:,.0f})"
    )
    print(f"peak RSS of the parsing process: {peak_mb:.0f} MB")
    print(f"found: {groups} stack groups, {leaks} leaks, {convoys} convoys")


if __name__ == "__main__":
    main()
