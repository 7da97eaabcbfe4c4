"""Benchmark kubewhy's multi-pattern scan against ripgrep on the same file, whole process on
both sides.

    PYTHONPATH=src python bench/scan_bench.py --size 1G

Uses the knowledge base's own log patterns (``kb.log_patterns()``) and writes a realistic node
log whose failure lines (about 0.01%) are the knowledge base's ``examples:`` lines (or scans
``--file``). Then, on a warm page cache, ``--repeat`` rounds (default 5), each running every
command once in turn, every command pinned to one CPU and timed as a whole process (``wait4``:
start-up, imports, pattern compile or cache load, and the scan; wall clock and CPU seconds):

- kubewhy: ``Scanner.scan_stream`` over ``open_stream`` (the engine installed: Hyperscan, else
  RE2, else ``re``), the same with numpy made unimportable when numpy is installed;
- ``rg --no-unicode -c -f`` over the byte regexes the fast engine compiles (kubewhy's
  prefilters): ripgrep given the very patterns Hyperscan gets;
- ``rg --no-unicode -c -f`` over the original patterns (ASCII classes, as kubewhy's
  case-insensitive patterns are);
- ``rg -c -f`` over the original patterns: ripgrep as a user would run it.

Reports the median of each measure with its min and max, the ratios of the medians, kubewhy's
peak RSS, what was really installed (engine, numpy) and the load average. The bench exits 1 when
kubewhy and the user's ripgrep count different matching lines, or when ripgrep over the
prefilters counts fewer (they match a superset of the lines).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
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
from measure import Sample, run  # noqa: E402
from scan_patterns import PATTERNS  # noqa: E402

TOOL_TIMEOUT = 900
GOAL_RATIO = 3.0
GOAL_RSS_MB = 300

# The whole kubewhy side, in a child. argv: patterns.json, file, chunk bytes.
_ONE_CORE = """
import json, sys, time
from pathlib import Path
from kubewhy.scanning import PatternSpec, Scanner
from kubewhy.scanning import scanner as scanner_module
from kubewhy.sources.streams import open_stream
specs = [PatternSpec(p, ic) for p, ic in json.load(open(sys.argv[1]))]
start = time.perf_counter()
scanner = Scanner(specs)
compiled = time.perf_counter() - start
lines = 0
with open_stream(Path(sys.argv[2])) as stream:
    scan = scanner.scan_stream(stream, int(sys.argv[3]))
    for _ in scan:
        lines += 1
print(json.dumps({"compile": compiled, "matches": lines, "bytes": scan.bytes_scanned,
                  "engine": scanner.engine, "numpy": scanner_module._numpy is not None}))
"""

# Makes ``import numpy`` raise ImportError, as where numpy is not installed.
_BLOCK_NUMPY = "import sys; sys.modules['numpy'] = None\n"


@dataclass
class Runs:
    """Every whole-process run of one command."""

    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    samples: list[Sample] = field(default_factory=list)
    matches: set[int] = field(default_factory=set)
    error: str | None = None
    info: dict[str, object] = field(default_factory=dict)

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(s, attribute) for s in self.samples)

    def cell(self, attribute: str) -> str:
        values = [getattr(s, attribute) for s in self.samples]
        return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


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


def rg_ascii(regex: str) -> str:
    """For ``--no-unicode``, where ripgrep refuses non-ASCII characters: each becomes its UTF-8
    bytes (one pattern writes ``[mµn]s``; a class holding one becomes an alternation)."""
    if regex.isascii():
        return regex

    def as_bytes(char: str) -> str:
        return "".join(f"\\x{byte:02x}" for byte in char.encode())

    def in_class(found: re.Match[str]) -> str:
        body = found.group(1)
        wide = [c for c in body if not c.isascii()]
        if not wide:
            return found.group(0)
        rest = "".join(c for c in body if c.isascii())
        return "(?:" + "|".join([f"[{rest}]", *(as_bytes(c) for c in wide)]) + ")"

    regex = re.sub(r"(?<!\\)\[((?:\\.|[^\]\\])+)\]", in_class, regex)
    return "".join(c if c.isascii() else as_bytes(c) for c in regex)


def prefilters(patterns: list[tuple[str, bool]]) -> list[str]:
    """The byte regexes the fast engine compiles for these patterns (a pattern that can match
    an empty line has none: every line is its candidate, so it goes to ripgrep as written)."""
    from kubewhy.scanning import PatternSpec
    from kubewhy.scanning.prefilter import translate

    found = []
    for regex, ignore_case in patterns:
        spec = PatternSpec(regex, ignore_case)
        byte_regex = translate(spec.regex, spec.flags)
        found.append(byte_regex if byte_regex is not None else rg_pattern(regex, ignore_case))
    return found


def run_one(runs: Runs) -> None:
    if runs.error:
        return
    try:
        sample = run(runs.argv, runs.env, keep_stdout=True, one_core=True)
    except FileNotFoundError:
        runs.error = f"{runs.argv[0]} not installed"
        return
    out = sample.stdout.decode(errors="replace").strip()
    if runs.argv[0] == "rg":
        if sample.code not in {0, 1}:
            runs.error = f"exit {sample.code}"
            return
        runs.matches.add(int(out or 0))
    else:
        if sample.code != 0:
            raise RuntimeError(f"{runs.name}: exit {sample.code}")
        runs.info = json.loads(out.splitlines()[-1])
        runs.matches.add(int(str(runs.info["matches"])))
    runs.samples.append(sample)


def report(size: int, kubewhys: list[Runs], rgs: list[Runs], loads: list[float]) -> bool:
    """Print the table and the goals; whether the match counts agree."""
    kubewhy = kubewhys[0]
    print(f"file: {size / 1e6:.0f} MB; runs of each command: {len(kubewhy.samples)}")
    print(f"load average (1 min) during the runs: {min(loads):.2f} .. {max(loads):.2f}")
    print(
        "| command (one core, whole process) | wall s median (min-max) "
        "| CPU s median (min-max) | MB/CPU-s | peak RSS MB | matching lines |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for runs in (*kubewhys, *rgs):
        if runs.error or not runs.samples:
            print(f"| {runs.name} | {runs.error or 'no run'} | | | | |")
            continue
        counts = ",".join(str(n) for n in sorted(runs.matches))
        rss = max(s.rss_mib for s in runs.samples)
        print(
            f"| {runs.name} | {runs.cell('wall')} | {runs.cell('cpu')} "
            f"| {size / runs.median('cpu') / 1e6:.0f} | {rss:.0f} | {counts} |"
        )
    user = rgs[-1]
    agree = not user.error and len(kubewhy.matches | user.matches) == 1
    for rg in rgs:
        if rg.error or not rg.samples:
            continue
        wall = rg.median("wall") / kubewhy.median("wall")
        cpu = rg.median("cpu") / kubewhy.median("cpu")
        print(f"kubewhy / {rg.name}: {wall:.2f}x wall, {cpu:.2f}x CPU (medians)")
    same = rgs[0]
    if not same.error and same.samples:
        cpu = same.median("cpu") / kubewhy.median("cpu")
        met = "met" if cpu >= GOAL_RATIO else "MISSED"
        print(f"goal scan >= {GOAL_RATIO:.0f}x ripgrep given the same byte regexes: {met}")
        agree = agree and min(same.matches) >= max(kubewhy.matches)
    print("matching lines: " + ("consistent" if agree else "DIFFERENT counts"))
    for other in kubewhys[1:]:
        print(f"{other.name}: {other.median('cpu') / kubewhy.median('cpu'):.2f}x the CPU s")
        agree = agree and other.matches == kubewhy.matches
    rss = max(s.rss_mib for k in kubewhys for s in k.samples)
    met = "met" if rss < GOAL_RSS_MB else "MISSED"
    print(f"kubewhy peak RSS: {rss:.0f} MB (goal < {GOAL_RSS_MB} MB: {met})")
    return agree


def _rg_version() -> str:
    if shutil.which("rg") is None:
        return "rg absent"
    done = subprocess.run(["rg", "--version"], capture_output=True, text=True, check=False)
    return done.stdout.splitlines()[0]


def _numpy_installed() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1G")
    parser.add_argument("--file", type=Path, help="scan this file instead of generating one")
    parser.add_argument("--patterns", choices=["kb", "builtin"], default="kb")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (medians reported)")
    parser.add_argument("--chunk", default="4M", help="kubewhy read size")
    parser.add_argument(
        "--baseline", type=Path, help="another tree's src folder: its kubewhy gets a row too"
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
        originals = work / "rg.txt"
        originals.write_text("\n".join(rg_pattern(p, ic) for p, ic in patterns) + "\n")
        ascii_originals = work / "rg-ascii.txt"
        ascii_originals.write_text(
            "\n".join(rg_ascii(rg_pattern(p, ic)) for p, ic in patterns) + "\n"
        )
        byte_regexes = work / "prefilters.txt"
        byte_regexes.write_text("\n".join(prefilters(patterns)) + "\n")
        subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True, timeout=600)

        env = dict(os.environ, PYTHONPATH=str(BENCH.parent / "src"))
        kubewhy_argv = [sys.executable, "-c", _ONE_CORE, str(work / "patterns.json"), str(log)]
        kubewhy_argv.append(str(chunk))
        numpy = _numpy_installed()
        kubewhys = [Runs("kubewhy", kubewhy_argv, env)]
        if numpy:
            blocked = [sys.executable, "-c", _BLOCK_NUMPY + _ONE_CORE, *kubewhy_argv[3:]]
            kubewhys.append(Runs("kubewhy, numpy blocked", blocked, env))
        if args.baseline:
            base_env = dict(os.environ, PYTHONPATH=str(args.baseline))
            kubewhys.append(Runs(f"kubewhy, {args.baseline}", kubewhy_argv, base_env))
        rg = ["rg", "--no-config", "-c"]
        rgs = [
            Runs("rg --no-unicode, kubewhy's byte regexes", [*rg, "--no-unicode", "-f"]),
            Runs("rg --no-unicode, original patterns", [*rg, "--no-unicode", "-f"]),
            Runs("rg, original patterns (as a user runs it)", [*rg, "-f"]),
        ]
        files = (byte_regexes, ascii_originals, originals)
        for runs, patterns_file in zip(rgs, files, strict=True):
            runs.argv += [str(patterns_file), str(log)]
        # Each tool's first run compiles (kubewhy keeps its database in its cache; ripgrep
        # compiles every time): one untimed round, so that the medians compare steady states.
        for runs in kubewhys:
            run(runs.argv, runs.env, one_core=True)
        loads: list[float] = []
        for _ in range(args.repeat):
            for runs in (*kubewhys, *rgs):
                loads.append(os.getloadavg()[0])
                run_one(runs)
        info = kubewhys[0].info
        numpy_state = "present" if info.get("numpy") else "absent"
        print(f"installed: engine {info.get('engine')}, numpy {numpy_state}; {_rg_version()}")
        agree = report(size, kubewhys, rgs, loads)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if agree else 1)


if __name__ == "__main__":
    main()
