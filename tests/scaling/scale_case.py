"""One scaling case in a fresh process: writes its input at 1x and 4x, runs the 1x once to warm
up (imports, the knowledge base, compiled patterns), then times 1x, 4x, 1x, 4x and prints the
lower CPU seconds of each size. Run by ``test_scaling.py``:

    python tests/scaling/scale_case.py CASE WORKDIR
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ZOMBIE_PS = ROOT / "examples" / "seed001-supercronic-zombies" / "ps-auxf.txt"


def _bench_module(name: str) -> object:
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT / "tests"))
    return __import__(name)


def cluster(folder: Path, scale: int) -> Callable[[], object]:
    """A ``kubectl cluster-info dump`` of many nodes with few pods each (what makes per-node
    work show): 1,000 nodes, 500 pods and 500 events per unit."""
    bench = _bench_module("cluster_bench")
    bench.generate_dump(folder, 1000 * scale, 500 * scale, 500 * scale)  # type: ignore[attr-defined]
    return lambda: _diagnose(folder)


def facts(folder: Path, scale: int) -> Callable[[], object]:
    """Many facts on one node: a ``ps auxf`` of 1,500 processes per unit (zombies among them),
    the real capture's lines repeated under new pids."""
    header, *rows = ZOMBIE_PS.read_text().splitlines()
    wanted = 1500 * scale
    out = [header]
    for n in range(wanted):
        fields = rows[n % len(rows)].split(None, 2)
        out.append(f"{fields[0]:<10} {100 + n:>6} {fields[2]}")
    (folder / "ps-auxf.txt").write_text("\n".join(out) + "\n")
    (folder / "uname-a.txt").write_text(
        "Linux node-7 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 (2024-01-31) x86_64 GNU/Linux\n"
    )
    return lambda: _diagnose(folder)


def files(folder: Path, scale: int) -> Callable[[], object]:
    """Many small files: 150 logs of about 2 KB per unit, cut from one generated node log."""
    gen_log = _bench_module("gen_log")
    whole = folder.parent / f"whole-{scale}.log"
    gen_log.generate(whole, 2048 * 150 * scale, seed=scale)  # type: ignore[attr-defined]
    lines = whole.read_text().splitlines(keepends=True)
    whole.unlink()
    count, chunk = 150 * scale, []
    per_file = max(1, len(lines) // count)
    for n in range(count):
        chunk = lines[n * per_file : (n + 1) * per_file]
        (folder / f"pod-{n:05d}.log").write_text("".join(chunk))
    return lambda: _diagnose(folder)


def goroutines(folder: Path, scale: int) -> Callable[[], object]:
    """A SIGQUIT dump of 10,000 goroutines per unit with varied values, whose stacks fall into
    more groups as it grows (one handler function per 50 goroutines)."""
    bench = _bench_module("goroutines_bench")
    dump = folder / "goroutines.txt"
    bench.write_dump(dump, 10_000 * scale, "sigquit", vary_values=True)  # type: ignore[attr-defined]
    rng = random.Random(scale)
    text = dump.read_text().split("\n\n")
    handlers = max(1, len(text) // 50)
    renamed = [
        block.replace("main.main.func", f"main.handler{rng.randrange(handlers)}.func", 1)
        for block in text
    ]
    dump.write_text("\n\n".join(renamed))

    def run() -> object:
        from kubewhy.pipeline.goroutines import analyze_dump

        return analyze_dump(dump)

    return run


def _diagnose(folder: Path) -> object:
    from kubewhy.pipeline import Request, diagnose

    return diagnose(Request(paths=(folder,), jobs=1))


CASES: dict[str, Callable[[Path, int], Callable[[], object]]] = {
    "cluster": cluster,
    "facts": facts,
    "files": files,
    "goroutines": goroutines,
}


def main() -> None:
    # kubewhy first, from wherever this interpreter finds it: the bench modules put this tree's
    # src on the path, which would otherwise win when another tree is being measured.
    import kubewhy.pipeline  # noqa: F401

    case, work = sys.argv[1], Path(sys.argv[2])
    runs = {}
    for scale in (1, 4):
        folder = work / f"{case}-{scale}"
        folder.mkdir(parents=True)
        runs[scale] = CASES[case](folder, scale)
    runs[1]()
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(2):
        for scale, run in runs.items():
            started = time.process_time()
            run()
            best[scale] = min(best[scale], time.process_time() - started)
    print(best[1], best[4])


if __name__ == "__main__":
    main()
