"""Check that two trees of kubewhy give the same reports: each folder diagnosed by both (a fresh
process each, ``python -m kubewhy diagnose FOLDER --format FORMAT``), stdout, stderr and exit
status compared byte for byte. The reports hold no time of their own, so nothing is masked.

    git archive main | tar -x -C /tmp/main          # the tree to compare against
    python bench/compare_reports.py /tmp/main/src   # every example, JSON
    python bench/compare_reports.py /tmp/main/src --format json --format text corpus/cases/*

Each tree gets a cache folder of its own under ``$TMPDIR`` (warm after its first run), so
neither reads what the other kept. Exits 1 when a report differs, naming it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def report(src: Path, cache: Path, folder: Path, fmt: str) -> tuple[bytes, bytes, int]:
    env = dict(os.environ, PYTHONPATH=str(src), KUBEWHY_CACHE_DIR=str(cache))
    done = subprocess.run(
        [sys.executable, "-m", "kubewhy", "diagnose", str(folder), "--format", fmt],
        capture_output=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    return done.stdout, done.stderr, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("old", type=Path, help="the src folder of the tree to compare against")
    parser.add_argument("folders", nargs="*", type=Path, help="default: every example")
    parser.add_argument("--new", type=Path, default=ROOT / "src", help="default: this tree")
    parser.add_argument("--format", action="append", dest="formats", help="default: json")
    args = parser.parse_args()
    folders = args.folders or sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir())
    formats = args.formats or ["json"]
    differ = []
    with tempfile.TemporaryDirectory() as tmp:
        caches = Path(tmp) / "old", Path(tmp) / "new"
        for folder in folders:
            for fmt in formats:
                old = report(args.old.resolve(), caches[0], folder, fmt)
                new = report(args.new.resolve(), caches[1], folder, fmt)
                if old != new:
                    differ.append(f"{folder} ({fmt})")
                    print(f"differs: {folder} ({fmt})", flush=True)
    print(f"{len(folders)} folders, {len(formats)} formats: {len(differ)} reports differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
