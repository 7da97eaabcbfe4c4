"""Big evidence is scanned on several processes: the findings must not depend on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubewhy.kb import scan
from kubewhy.pipeline import Request, diagnose

ROOT = Path(__file__).resolve().parents[2]


def test_parallel_scan_gives_the_same_diagnosis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("seed000-calico-pid-exhaustion", "seed004-pleg-cni-hang"):
        shutil.copytree(ROOT / "examples" / name, tmp_path / name)
    alone = diagnose(Request(paths=(tmp_path,), jobs=1))
    monkeypatch.setattr(scan, "PARALLEL_MIN_BYTES", 1)
    spread = diagnose(Request(paths=(tmp_path,), jobs=2))
    assert [f.failure_mode for f in spread.findings] == [f.failure_mode for f in alone.findings]
    assert [e.count for f in spread.findings for e in f.evidence] == [
        e.count for f in alone.findings for e in f.evidence
    ]
    assert spread.timeline == alone.timeline
