"""Goroutine dump parsing and analysis speed on a dump of a million goroutines.

The dump is made of real stacks (tests/goroutines/data, see PROVENANCE.md) with new goroutine
ids and wait times: 30% carry no wait stamp, the others 1-1600 minutes. It is written to a
temporary file, then parsed and analysed from that file in a fresh child process, whose CPU
time and peak RSS are reported. Figures are printed, not asserted.

    PYTHONPATH=src python bench/goroutines_bench.py [--goroutines N] [--shape debug2|sigquit]
"""

from __future__ import annotations

import argparse
import os
import random
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


def write_dump(path: Path, goroutines: int, shape: str, seed: int = 7) -> int:
    rng = random.Random(seed)
    stacks = real_stacks(shape)
    with path.open("w") as out:
        batch = []
        for gid in range(1, goroutines + 1):
            state, body = rng.choice(stacks)
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
    from kubewhy.reasoning.goroutines import analyze_path

    cpu, wall = time.process_time(), time.perf_counter()
    report = analyze_path(path)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(cpu, wall, report.total, len(report.groups), len(report.leaks), len(report.convoys))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goroutines", type=int, default=1_000_000)
    parser.add_argument("--shape", choices=("debug2", "sigquit"), default="debug2")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "dump.txt"
        size = write_dump(dump, args.goroutines, args.shape)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(DATA.parents[2] / "src"), env.get("PYTHONPATH", "")]
        )
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(dump)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=True,
        )
    cpu, wall, total, groups, leaks, convoys = child.stdout.split()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"dump: {int(total):,} goroutines ({args.shape} stacks), {size / 1e6:.0f} MB")
    print(f"parse + analysis: {float(cpu):.2f} s CPU, {float(wall):.2f} s wall")
    print(f"throughput: {int(total) / float(cpu):,.0f} goroutines/s (CPU)")
    print(f"peak RSS of the parsing process: {peak_mb:.0f} MB")
    print(f"found: {groups} stack groups, {leaks} leaks, {convoys} convoys")


if __name__ == "__main__":
    main()
