"""A symptom that counts only when it lasts (``min_seconds``): lines with times weigh by the span
they show; lines without any time (an excerpt pasted without its stamps) show neither that it
lasted nor that it did not, and keep a share of the weight: a lead, not silence."""

from __future__ import annotations

from pathlib import Path

from kubewhy.model.diagnosis import Diagnosis
from kubewhy.pipeline import Request, diagnose

# public: mmumshad/kubernetes-the-hard-way#119 (the kubelet's lines as posted, without stamps)
UNTIMED = "Unable to update cni config: no networks found in /etc/cni/net.d\n"
# built: the same dockershim line with journald stamps, over a span of SECONDS
TIMED = (
    "Sep 17 10:00:00 node-1 kubelet[1234]: W0917 10:00:00.000000    1234 cni.go:237] "
    "Unable to update cni config: no networks found in /etc/cni/net.d\n"
    "Sep 17 10:{m:02d}:{s:02d} node-1 kubelet[1234]: W0917 10:{m:02d}:{s:02d}.000000    1234 "
    "cni.go:237] Unable to update cni config: no networks found in /etc/cni/net.d\n"
)


def _diagnosed(tmp_path: Path, text: str) -> Diagnosis:
    (tmp_path / "kubelet.log").write_text(text)
    return diagnose(Request(paths=(tmp_path,)))


def _tier(diagnosis: Diagnosis) -> str | None:
    found = [f for f in diagnosis.findings if f.failure_mode == "cni-config-missing"]
    return found[0].tier if found else None


def test_untimed_lines_are_a_lead(tmp_path: Path) -> None:
    assert _tier(_diagnosed(tmp_path, UNTIMED)) == "lead"


def test_timed_lines_weigh_by_their_span(tmp_path: Path) -> None:
    # twenty seconds: a node starting up, before the network add-on wrote its configuration
    assert _tier(_diagnosed(tmp_path, TIMED.format(m=0, s=20))) is None
    # ten minutes: it lasted
    assert _tier(_diagnosed(tmp_path, TIMED.format(m=10, s=0))) in ("probable", "confirmed")
