"""Run every benchmark of bench/ in turn: small sizes by default (a few minutes in all), the
sizes the goals are stated for with ``--full``.

    python bench/run_all.py [--full] [--only scan,e2e] [--list]

Each benchmark runs as its own process (its figures print as they come), with a time limit;
a summary of exit statuses and durations ends the run. The exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SRC = BENCH.parent / "src"


@dataclass(frozen=True, slots=True)
class Bench:
    name: str
    script: str
    small: tuple[str, ...]
    full: tuple[str, ...]
    timeout_s: int  # for the full size; the small one gets a third


BENCHES = (
    # ripgrep needs minutes per run over the knowledge base's patterns: fewer rounds.
    Bench("scan", "scan_bench.py", ("--size", "20M", "--repeat", "3"), ("--size", "1G"), 14400),
    Bench("e2e", "e2e_bench.py", ("--size", "100M"), ("--size", "1G", "--profile"), 3600),
    Bench(
        "e2e-gzip", "e2e_bench.py", ("--size", "100M", "--gzip"), ("--size", "1G", "--gzip"), 3600
    ),
    Bench(
        "cluster",
        "cluster_bench.py",
        ("--nodes", "500", "--pods", "15000", "--events", "50000"),
        (),
        3600,
    ),
    Bench("goroutines", "goroutines_bench.py", ("--goroutines", "100000"), (), 1800),
)


def command(bench: Bench, full: bool) -> list[str]:
    return [sys.executable, str(BENCH / bench.script), *(bench.full if full else bench.small)]


def run(bench: Bench, full: bool) -> tuple[int | str, float]:
    """Exit status (or why there is none) and seconds taken."""
    path = os.environ.get("PYTHONPATH")
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{path}" if path else str(SRC))
    timeout = bench.timeout_s if full else bench.timeout_s // 3
    start = time.perf_counter()
    try:
        done = subprocess.run(command(bench, full), env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"timeout after {timeout}s", time.perf_counter() - start
    return done.returncode, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the sizes the goals are set for")
    parser.add_argument(
        "--only", help="comma-separated names: " + ",".join(b.name for b in BENCHES)
    )
    parser.add_argument("--list", action="store_true", help="print the commands, run nothing")
    args = parser.parse_args()

    wanted = set(args.only.split(",")) if args.only else {b.name for b in BENCHES}
    unknown = wanted - {b.name for b in BENCHES}
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    chosen = [b for b in BENCHES if b.name in wanted]
    if args.list:
        for bench in chosen:
            print(" ".join(["python", f"bench/{bench.script}", *command(bench, args.full)[2:]]))
        return
    results = []
    for bench in chosen:
        shown = " ".join(command(bench, args.full)[1:])
        print(f"\n=== {bench.name}: {shown} (load average {os.getloadavg()[0]:.2f})", flush=True)
        results.append((bench, *run(bench, args.full)))
    print("\n=== summary")
    for bench, status, seconds in results:
        print(f"{bench.name:12} {'ok' if status == 0 else status!s:24} {seconds:7.0f} s")
    sys.exit(0 if all(status == 0 for _, status, _ in results) else 1)


if __name__ == "__main__":
    main()
