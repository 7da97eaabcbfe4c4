"""Benchmark kubewhy's multi-pattern scan against ripgrep and GNU grep on the same file.

    PYTHONPATH=src python bench/scan_bench.py --size 1G

Generates a realistic node log under a temporary directory (or scans ``--file``), then runs, one
after the other on a warm page cache: kubewhy on one core (``Scanner.scan_stream``), kubewhy
``scan_files --jobs 2`` over the file split in two, ``rg -c -f`` (default threads and ``-j1``)
and ``grep -E -c -f``. Prints MB/s, match counts, the ratio to ripgrep, the engine and
kubewhy's peak RSS. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from gen_log import generate, parse_size  # noqa: E402
from scan_patterns import PATTERNS  # noqa: E402

TOOL_TIMEOUT = 900
MIN_KB_PATTERNS = 150

# Runs in a child so its peak RSS is its own. argv: patterns.json, file, chunk bytes.
_ONE_CORE = """
import json, os, resource, sys, time
from pathlib import Path
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from kubewhy.scanning import PatternSpec, Scanner, open_stream
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
print(json.dumps({"seconds": seconds, "scan_cpu": cpu, "compile": compiled, "matches": lines,
                  "bytes": scan.bytes_scanned, "engine": scanner.engine,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_PARALLEL = """
import json, resource, sys, time
from pathlib import Path
from kubewhy.scanning import PatternSpec
from kubewhy.scanning.parallel import scan_files
specs = [PatternSpec(p, ic) for p, ic in json.load(open(sys.argv[1]))]
paths = [Path(p) for p in sys.argv[3:]]
start = time.perf_counter()
results = scan_files(paths, specs, jobs=int(sys.argv[2]))
seconds = time.perf_counter() - start
usage = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
print(json.dumps({"seconds": seconds, "bytes": sum(r.bytes_scanned for r in results),
                  "errors": [r.error for r in results if r.error],
                  "rss_mb": usage / 1024}))
"""


def load_patterns(choice: str) -> tuple[str, list[tuple[str, bool]]]:
    """The pattern set to use and a line saying which it is."""
    if choice in {"auto", "kb"}:
        try:
            kb_load = importlib.import_module("kubewhy.kb.load")
            symptoms = kb_load.load_knowledge_base().log_patterns()
            kb = [(symptom.pattern, symptom.ignore_case) for _, symptom in symptoms]
        except Exception as err:
            if choice == "kb":
                raise
            reason = f"knowledge base not loadable ({type(err).__name__}: {err})"
        else:
            if choice == "kb" or len(kb) >= MIN_KB_PATTERNS:
                return f"knowledge base: {len(kb)} patterns", kb
            reason = f"knowledge base has only {len(kb)} patterns"
        builtin = [(p, ic) for p, ic, _ in PATTERNS]
        return f"built-in bench set: {len(builtin)} patterns ({reason})", builtin
    return f"built-in bench set: {len(PATTERNS)} patterns", [(p, ic) for p, ic, _ in PATTERNS]


def rg_pattern(regex: str, ignore_case: bool) -> str:
    """Rust regex refuses escapes of non-meta characters such as ``\\"``."""
    regex = re.sub(r'(?<!\\)\\"', '"', regex)
    regex = re.sub(r"\(\?P<\w+>", "(?:", regex)  # one alternation may not repeat a group name
    return ("(?i)" if ignore_case else "") + regex


def grep_pattern(regex: str, ignore_case: bool) -> str:
    """POSIX ERE for GNU grep: plain groups, no ``\\d``, classes without Perl escapes."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(regex):
        char = regex[i]
        if char == "\\" and i + 1 < len(regex):
            nxt = regex[i + 1]
            class_forms = {"d": "0-9", "s": "[:space:]", "w": "[:alnum:]_", "S": "", "]": "]"}
            if in_class and nxt in class_forms:
                out.append(class_forms[nxt])
            elif nxt == "d":
                out.append("[0-9]")
            elif nxt == '"':
                out.append('"')
            else:
                out.append(char + nxt)
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class and out and out[-1] not in {"[", "[^"}:
            in_class = False
        elif char == "(" and regex.startswith("(?", i):
            end = regex.index(">", i) + 1 if regex.startswith("(?P<", i) else i + 3
            out.append("(")
            i = end
            continue
        if ignore_case and not in_class and char.isalpha():
            out.append(f"[{char.lower()}{char.upper()}]")
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_tool(name: str, argv: list[str], size: int, env: dict[str, str] | None = None) -> dict:
    cpu = _children_cpu()
    start = time.perf_counter()
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT, env=env, check=False
        )
    except FileNotFoundError:
        return {"name": name, "error": "not installed"}
    except subprocess.TimeoutExpired:
        return {"name": name, "error": f"timeout after {TOOL_TIMEOUT}s"}
    seconds = time.perf_counter() - start
    if done.returncode not in {0, 1}:
        return {"name": name, "error": done.stderr.strip()[:300]}
    cpu = _children_cpu() - cpu
    return {
        "name": name,
        "seconds": seconds,
        "mbps": size / seconds / 1e6,
        "cpu": cpu,
        "matches": int(done.stdout.strip() or 0),
    }


def split_file(path: Path, parts: int, directory: Path) -> list[Path]:
    """``parts`` files holding ``path`` cut at newlines."""
    size = path.stat().st_size
    outputs = []
    with path.open("rb") as source:
        for part in range(parts):
            target = directory / f"part{part}.log"
            with target.open("wb") as out:
                goal = size * (part + 1) // parts
                while source.tell() < goal:
                    out.write(source.read(min(8 << 20, goal - source.tell())))
                out.write(source.readline())
            outputs.append(target)
    return outputs


def python_child(code: str, args: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(BENCH.parent / "src"))
    cpu = _children_cpu()
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    result["cpu"] = _children_cpu() - cpu  # includes pattern compilation and start-up
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1G")
    parser.add_argument("--file", type=Path, help="scan this file instead of generating one")
    parser.add_argument("--patterns", choices=["auto", "kb", "builtin"], default="auto")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--chunk", default="4M", help="kubewhy read size")
    parser.add_argument("--skip-grep", action="store_true")
    args = parser.parse_args()

    which, patterns = load_patterns(args.patterns)
    print(f"patterns: {which}")
    work = Path(tempfile.mkdtemp(prefix="kubewhy-bench-"))
    try:
        log = args.file or work / "node.log"
        if args.file is None:
            started = time.perf_counter()
            generate(log, parse_size(args.size))
            took = time.perf_counter() - started
            print(f"generated {log.stat().st_size / 1e6:.0f} MB in {took:.0f}s")
        size = log.stat().st_size
        (work / "patterns.json").write_text(json.dumps(patterns))
        (work / "rg.txt").write_text("\n".join(rg_pattern(p, ic) for p, ic in patterns) + "\n")
        (work / "grep.txt").write_text("\n".join(grep_pattern(p, ic) for p, ic in patterns) + "\n")
        subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True)  # warm cache
        load_before = os.getloadavg()[0]

        rows = []
        one = python_child(
            _ONE_CORE, [str(work / "patterns.json"), str(log), str(parse_size(args.chunk))]
        )
        rows.append(
            {
                "name": f"kubewhy 1 core ({one['engine']})",
                "seconds": one["seconds"],
                "mbps": size / one["seconds"] / 1e6,
                "cpu": one["scan_cpu"],
                "matches": one["matches"],
            }
        )
        parts = split_file(log, args.jobs, work)
        os.sync()  # no writeback of the split files while they are scanned
        par = python_child(
            _PARALLEL, [str(work / "patterns.json"), str(args.jobs), *map(str, parts)]
        )
        for part in parts:
            part.unlink()
        rows.append(
            {
                "name": f"kubewhy --jobs {args.jobs} (split files)",
                "seconds": par["seconds"],
                "mbps": size / par["seconds"] / 1e6,
                "cpu": par["cpu"],
                "matches": None,
            }
        )
        rg = ["rg", "--no-config", "-c", "-f", str(work / "rg.txt"), str(log)]
        rows.append(run_tool("rg -c -f", rg, size))
        rows.append(run_tool("rg -j1 -c -f", [*rg[:1], "-j1", *rg[1:]], size))
        if not args.skip_grep:
            env = dict(os.environ, LC_ALL="C")
            grep = ["grep", "-E", "-c", "-f", str(work / "grep.txt"), str(log)]
            rows.append(run_tool("grep -E -c -f (LC_ALL=C)", grep, size, env))

        print(f"file: {size / 1e6:.0f} MB; compile {one['compile']:.2f}s; engine {one['engine']}")
        print(f"load average before: {load_before:.2f} (other work on the machine skews MB/s)")
        head = f"{'tool':40} {'seconds':>8} {'MB/s':>8} {'CPU s':>7} {'MB/CPU-s':>9}"
        print(f"{head} {'matching lines':>15}")
        for row in rows:
            if "error" in row:
                print(f"{row['name']:40} {row['error']}")
                continue
            matches = "" if row["matches"] is None else str(row["matches"])
            per_cpu = size / row["cpu"] / 1e6 if row["cpu"] else 0.0
            print(
                f"{row['name']:40} {row['seconds']:8.2f} {row['mbps']:8.0f} {row['cpu']:7.2f} "
                f"{per_cpu:9.0f} {matches:>15}"
            )
        rg_row = next((r for r in rows if r["name"] == "rg -c -f" and "mbps" in r), None)
        if rg_row:
            print(
                f"kubewhy 1 core / ripgrep: {rows[0]['mbps'] / rg_row['mbps']:.2f}x; "
                f"kubewhy --jobs {args.jobs} / ripgrep: {rows[1]['mbps'] / rg_row['mbps']:.2f}x"
            )
        print(
            f"kubewhy peak RSS: {one['rss_mb']:.0f} MB (1 core), "
            f"{par['rss_mb']:.0f} MB (largest worker, --jobs {args.jobs})"
        )
        if par["errors"]:
            print("parallel errors:", par["errors"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
