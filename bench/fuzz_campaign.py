"""A long fuzz campaign: millions of mutated real fixtures through every target of the fuzz tests
(parsers, detection, the whole read and every report format, streams, archives, goroutines, the
terminal splitter, redaction), on every core. Figures printed, crashes saved.

    PYTHONPATH=src python bench/fuzz_campaign.py [--inputs 1000000] [--workers N] [--seed 1]
        [--crashes DIR]

Each worker draws inputs from its own seeded generator (a run is reproducible), runs one target
per input and records: inputs per second, crashes (an exception a target does not document, by
target, type and place; the first input of each saved to ``--crashes``), the slowest input, and
its own peak RSS. The exit status is 1 when anything crashed. Inputs are weighted towards the
cheap targets so that a million inputs take minutes; the whole read gets fewer but each goes
through every stage.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from safety.fuzzing import TARGETS, containers, each_format, fixtures, mutate  # noqa: E402

# Target, weight: what share of the inputs it gets.
WEIGHTS = {
    "formats": 30,
    "whole-read": 2,
    "stream": 15,
    "archive": 2,
    "goroutines": 15,
    "sessions": 16,
    "redaction": 20,
}
WINDOWS = (256, 1024, 2048, 4096)
# An input that takes longer than this is a crash of its own kind: a hang.
HANG_SECONDS = 20.0


class HangError(Exception):
    """Raised by the alarm in an input that took longer than HANG_SECONDS."""


def _on_alarm(signum: int, frame: object) -> None:
    raise HangError(f"no answer within {HANG_SECONDS:g} s")


def worker(args: tuple[int, int, str]) -> dict[str, object]:
    seed, count, crash_dir = args
    rng = random.Random(seed)
    corpus = fixtures()
    targets = {t.name: t for t in TARGETS}
    names = [name for name, weight in WEIGHTS.items() for _ in range(weight)]
    scratch = Path(tempfile.mkdtemp(prefix="kubewhy-fuzz-"))
    crashes: Counter[tuple[str, str, str]] = Counter()
    per_target: Counter[str] = Counter()
    slowest = (0.0, "", 0)
    started = time.monotonic()
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        for number in range(count):
            if number and number % 50_000 == 0:
                rate = number / (time.monotonic() - started)
                print(f"worker {seed}: {number:,} inputs, {rate:,.0f}/s", flush=True)
            name = rng.choice(names)
            base = rng.choice(corpus)
            start = rng.randint(0, len(base))
            data = mutate(rng, base[start : start + rng.choice(WINDOWS)], corpus)
            if name in ("stream", "archive"):
                data = containers(rng, data)
            target = targets[name]
            began = time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
            try:
                if name == "formats":
                    each_format(data, scratch, only=rng.randrange(1000))
                else:
                    target.run(data, scratch)
            except target.allowed:
                pass
            except Exception as exc:  # a crash: counted, the first of its kind kept
                frames = traceback.extract_tb(exc.__traceback__)
                place = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
                key = (name, type(exc).__name__, place)
                if key not in crashes:
                    safe = f"{name}--{type(exc).__name__}-{place.replace(':', '-')}.bin"
                    (Path(crash_dir) / safe).write_bytes(data)
                crashes[key] += 1
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            took = time.monotonic() - began
            per_target[name] += 1
            if took > slowest[0]:
                slowest = (took, name, number)
    finally:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "inputs": count,
        "seconds": time.monotonic() - started,
        "crashes": crashes,
        "per_target": per_target,
        "slowest": slowest,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--crashes", default=str(Path(tempfile.gettempdir()) / "kubewhy-crashes"))
    options = parser.parse_args()
    Path(options.crashes).mkdir(parents=True, exist_ok=True)
    fixtures()  # read once, before the fork
    share = -(-options.inputs // options.workers)
    jobs = [(options.seed * 1000 + n, share, options.crashes) for n in range(options.workers)]
    began = time.monotonic()
    with multiprocessing.get_context("fork").Pool(options.workers) as pool:
        results = pool.map(worker, jobs)
    wall = time.monotonic() - began
    inputs = sum(int(r["inputs"]) for r in results)  # type: ignore[call-overload]
    crashes: Counter[tuple[str, str, str]] = Counter()
    per_target: Counter[str] = Counter()
    for result in results:
        crashes.update(result["crashes"])  # type: ignore[arg-type]
        per_target.update(result["per_target"])  # type: ignore[arg-type]
    slowest = max(r["slowest"] for r in results)  # type: ignore[type-var]
    print(
        f"inputs: {inputs:,} in {wall:.0f} s on {options.workers} workers: "
        f"{inputs / wall:,.0f} inputs/s"
    )
    print("per target: " + ", ".join(f"{n} {c:,}" for n, c in sorted(per_target.items())))
    print(f"slowest input: {slowest[0]:.2f} s ({slowest[1]}, input #{slowest[2]})")
    print(f"peak RSS per worker: {max(float(r['peak_rss_mb']) for r in results):.0f} MB")  # type: ignore[arg-type]
    print(f"crashes: {sum(crashes.values())} ({len(crashes)} distinct)")
    for (name, kind, place), count in crashes.most_common():
        print(f"  {count:>7} {name}: {kind} at {place}")
    if crashes:
        print(f"first input of each kept in {options.crashes}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
