"""Benchmark kubewhy's multi-pattern scan against ripgrep on the same file.

    PYTHONPATH=src python bench/scan_bench.py --size 1G

Uses the knowledge base's own log patterns (``kb.log_patterns()``) and writes a realistic node
log whose failure lines (about 0.01%) are the knowledge base's ``examples:`` lines (or scans
``--file``). Then, on a warm page cache and ``--repeat`` times each, interleaved: kubewhy on one
core (``Scanner.scan_stream`` in a child pinned to one CPU) and ``rg -c -f PATTERNS``. Prints
the best wall and CPU seconds of each, MB/s, the ratio, kubewhy's peak RSS and the load average,
checks that both count the same matching lines (exit status 1 if not), and says whether the
goals are met (scan >= 2x ripgrep on one core, peak RSS < 300 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "src"))

from gen_log import builtin_examples, generate, kb_examples, parse_size  # noqa: E402
from scan_patterns import PATTERNS  # noqa: E402

TOOL_TIMEOUT = 900
GOAL_RATIO = 2.0
GOAL_RSS_MB = 300

# Runs in a child so its peak RSS is its own. argv: patterns.json, file, chunk bytes.
_ONE_CORE = """
import json, os, resource, sys, time
from pathlib import Path
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from kubewhy.scanning import PatternSpec, Scanner
from kubewhy.sources.streams import open_stream
specs = [PatternSpec(p, ic) for p, ic in json.load(open(sys.argv[1]))]
start = time.perf_counter()
scanner = Scanner(specs)
compiled = time.perf_counter() - start
lines = 0
with open_stream(Path(sys.argv[2])) as stream:
    start = time.perf_counter()
    cpu = time.process_time()
    scan = scanner.scan_stream(stream, int(sys.argv[3]))
    for _ in scan:
        lines += 1
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "compile": compiled, "matches": lines,
                  "bytes": scan.bytes_scanned, "engine": scanner.engine,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

# Makes ``import numpy`` raise ImportError, as where numpy is not installed.
_BLOCK_NUMPY = "import sys; sys.modules['numpy'] = None\n"


@dataclass
class Runs:
    """Every run of one tool; the best of each measure is what is reported."""

    name: str
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    matches: set[int] = field(default_factory=set)
    rss_mb: float = 0.0
    error: str | None = None

    def best(self) -> tuple[float, float]:
        return min(self.seconds), min(self.cpu)


def load_patterns(choice: str) -> tuple[str, list[tuple[str, bool]], list[str]]:
    """A line saying which set it is, the patterns and the failure lines to inject."""
    if choice == "kb":
        from kubewhy.kb.load import load_knowledge_base

        symptoms = load_knowledge_base().log_patterns()
        patterns = [(symptom.pattern, symptom.ignore_case) for _, symptom in symptoms]
        failures = kb_examples()
        which = f"knowledge base: {len(patterns)} patterns, {len(failures)} example lines"
        return which, patterns, failures
    patterns = [(p, ic) for p, ic, _ in PATTERNS]
    return f"built-in bench set: {len(patterns)} patterns", patterns, builtin_examples()


def rg_pattern(regex: str, ignore_case: bool) -> str:
    """Rust regex refuses escapes of non-meta characters such as ``\\"``."""
    regex = re.sub(r'(?<!\\)\\"', '"', regex)
    regex = re.sub(r"\(\?P<\w+>", "(?:", regex)  # one alternation may not repeat a group name
    return ("(?i)" if ignore_case else "") + regex


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_rg(runs: Runs, patterns_file: Path, log: Path) -> None:
    argv = ["rg", "--no-config", "-c", "-f", str(patterns_file), str(log)]
    cpu = children_cpu()
    start = time.perf_counter()
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False
        )
    except FileNotFoundError:
        runs.error = "rg not installed"
        return
    except subprocess.TimeoutExpired:
        runs.error = f"timeout after {TOOL_TIMEOUT}s"
        return
    if done.returncode not in {0, 1}:
        runs.error = done.stderr.strip()[:300]
        return
    runs.seconds.append(time.perf_counter() - start)
    runs.cpu.append(children_cpu() - cpu)
    runs.matches.add(int(done.stdout.strip() or 0))


def run_kubewhy(
    runs: Runs, patterns_file: Path, log: Path, chunk: int, numpy: bool
) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(BENCH.parent / "src"))
    code = _ONE_CORE if numpy else _BLOCK_NUMPY + _ONE_CORE
    argv = [sys.executable, "-c", code, str(patterns_file), str(log), str(chunk)]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    runs.name = f"kubewhy 1 core ({result['engine']}{'' if numpy else ', no numpy'})"
    runs.seconds.append(float(str(result["seconds"])))
    runs.cpu.append(float(str(result["cpu"])))  # the scan loop only, not start-up nor compile
    runs.matches.add(int(str(result["matches"])))
    runs.rss_mb = max(runs.rss_mb, float(str(result["rss_mb"])))
    return result


def report(size: int, kubewhys: list[Runs], rg: Runs, loads: list[float], compile_s: float) -> bool:
    """Print the table and the goals; whether the match counts agree."""
    print(f"file: {size / 1e6:.0f} MB; kubewhy pattern compile {compile_s:.2f}s (not counted)")
    print(f"load average (1 min) during the runs: {min(loads):.2f} .. {max(loads):.2f}")
    head = f"{'tool':36} {'best s':>7} {'MB/s':>6} {'best CPU s':>10} {'MB/CPU-s':>9}"
    print(f"{head} {'matching lines':>15}")
    kubewhy = kubewhys[0]
    for runs in (*kubewhys, rg):
        if runs.error:
            print(f"{runs.name:36} {runs.error}")
            continue
        seconds, cpu = runs.best()
        counts = ",".join(str(n) for n in sorted(runs.matches))
        print(
            f"{runs.name:36} {seconds:7.2f} {size / seconds / 1e6:6.0f} {cpu:10.2f} "
            f"{size / cpu / 1e6:9.0f} {counts:>15}"
        )
    agree = not rg.error and len(kubewhy.matches | rg.matches) == 1
    if not rg.error:
        (k_wall, k_cpu), (r_wall, r_cpu) = kubewhy.best(), rg.best()
        ratio = r_wall / k_wall
        print(f"kubewhy / ripgrep: {ratio:.2f}x wall, {r_cpu / k_cpu:.2f}x per CPU second")
        met = "met" if min(ratio, r_cpu / k_cpu) >= GOAL_RATIO else "MISSED"
        print(f"goal scan >= {GOAL_RATIO:.0f}x ripgrep on one core: {met}")
        print("matching lines: " + ("same count" if agree else "DIFFERENT counts"))
    if len(kubewhys) > 1:
        no_numpy = kubewhys[1]
        print(f"without numpy: {no_numpy.best()[1] / kubewhy.best()[1]:.2f}x the CPU seconds")
        agree = agree and no_numpy.matches == kubewhy.matches
    rss = max(k.rss_mb for k in kubewhys)
    met = "met" if rss < GOAL_RSS_MB else "MISSED"
    print(f"kubewhy peak RSS: {rss:.0f} MB (goal < {GOAL_RSS_MB} MB: {met})")
    return agree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1G")
    parser.add_argument("--file", type=Path, help="scan this file instead of generating one")
    parser.add_argument("--patterns", choices=["kb", "builtin"], default="kb")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool (best kept)")
    parser.add_argument("--chunk", default="4M", help="kubewhy read size")
    parser.add_argument(
        "--numpy", choices=["both", "yes", "no"], default="both", help="kubewhy with numpy?"
    )
    args = parser.parse_args()

    chunk = parse_size(args.chunk)
    which, patterns, failures = load_patterns(args.patterns)
    print(f"patterns: {which}")
    work = Path(tempfile.mkdtemp(prefix="kubewhy-bench-"))
    try:
        log = args.file or work / "node.log"
        if args.file is None:
            started = time.perf_counter()
            made = generate(log, parse_size(args.size), failures)
            print(
                f"generated {made.bytes / 1e6:.0f} MB, {made.lines} lines, "
                f"{made.failure_lines} failure lines ({made.failure_lines / made.lines:.4%}) "
                f"in {time.perf_counter() - started:.0f}s"
            )
        size = log.stat().st_size
        (work / "patterns.json").write_text(json.dumps(patterns))
        rg_file = work / "rg.txt"
        rg_file.write_text("\n".join(rg_pattern(p, ic) for p, ic in patterns) + "\n")
        subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True, timeout=600)

        numpys = [True, False] if args.numpy == "both" else [args.numpy == "yes"]
        kubewhys, rg = [Runs("kubewhy 1 core") for _ in numpys], Runs("rg -c -f")
        loads: list[float] = []
        compile_s = 0.0
        for _ in range(args.repeat):
            for runs, numpy in zip(kubewhys, numpys, strict=True):
                loads.append(os.getloadavg()[0])
                one = run_kubewhy(runs, work / "patterns.json", log, chunk, numpy)
                compile_s = float(str(one["compile"]))
            loads.append(os.getloadavg()[0])
            if not rg.error:
                run_rg(rg, rg_file, log)
        agree = report(size, kubewhys, rg, loads, compile_s)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if agree else 1)


if __name__ == "__main__":
    main()
