"""Every evidence folder with an expect.yaml (examples/*, tests/kb/cases/*) is diagnosed as
production does it, and the conclusion must match what the folder's expect.yaml says."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubewhy.pipeline import Request, diagnose

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted(
    p.parent
    for pattern in ("examples/*/expect.yaml", "tests/kb/cases/*/expect.yaml")
    for p in ROOT.glob(pattern)
)


@pytest.mark.parametrize("folder", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_case_is_diagnosed_as_expected(folder: Path) -> None:
    expect = yaml.safe_load((folder / "expect.yaml").read_text())
    diagnosis = diagnose(Request(paths=(folder,)))
    found = [f.failure_mode for f in diagnosis.findings]
    if expect.get("top") is None:
        assert diagnosis.findings == [], f"expected no finding, got {found}"
        return
    assert found, "no finding at all"
    top = diagnosis.findings[0]
    assert top.failure_mode == expect["top"], f"ranked {found}"
    assert top.explained_by is None
    for other in expect.get("also", []):
        assert other in found, f"{other} missing from {found}"
    culprit = expect.get("culprit")
    if culprit:
        assert top.culprit is not None, "no culprit named"
        assert top.culprit.kind == culprit["kind"]
        assert culprit["name_contains"] in top.culprit.name
    # Every finding cites evidence, and every chain link cites ids that exist.
    for finding in diagnosis.findings:
        ids = {e.id for e in finding.evidence}
        assert ids, f"{finding.failure_mode} cites no evidence"
        for link in finding.chain:
            assert set(link.evidence) <= ids


def test_there_are_seed_examples() -> None:
    seeds = [c for c in CASES if c.name.startswith("seed")]
    assert len(seeds) >= 10


def test_a_victim_alone_asks_for_the_evidence_of_its_causes(tmp_path: Path) -> None:
    """Only calico's describe output: the probe failures point at PID exhaustion, and the
    report says which node evidence would confirm it (seed 000: the engineers needed pid_max)."""
    source = ROOT / "examples" / "seed000-calico-pid-exhaustion" / "describe-pod-calico-node.txt"
    (tmp_path / "describe.txt").write_text(source.read_text())
    diagnosis = diagnose(Request(paths=(tmp_path,)))
    assert "probe-failure" in [f.failure_mode for f in diagnosis.findings]
    asks = " ".join(diagnosis.missing_evidence)
    assert "cat /proc/sys/kernel/pid_max" in asks
    assert "container_threads" in asks
