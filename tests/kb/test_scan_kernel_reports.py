"""The log scan reads the kernel's reports from its own blocks: what it finds is what a pass of
the report reader alone finds, wherever the blocks cut the reports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kubewhy.facts.build import build_facts
from kubewhy.kb import scan as kb_scan
from kubewhy.kb.load import default_knowledge_base
from kubewhy.kb.scan import scan_evidence
from kubewhy.parsers.journald import JOURNALD
from kubewhy.parsers.kernel_reports import KernelReports, read_kernel_reports
from kubewhy.parsers.read import parse_inputs
from kubewhy.sources.files import open_inputs

DATA = Path(__file__).parents[1] / "data" / "kernel"
# Real journal lines of the same shape as the report's, between and around the reports.
FILLER = (
    b"Oct 21 21:08:58 node-2 kubelet[1873]: I1021 21:08:58.000001    1873 kubelet.go:2100] "
    b"SyncLoop (PLEG): event for pod\n"
)


def _summary(reports: KernelReports) -> list[tuple[int, int | None, int | None]]:
    return [
        (
            oom.first.line,
            oom.victim.cited.line if oom.victim else None,
            oom.mem_info.get("active_file"),
        )
        for oom in reports.ooms
    ]


def _scanned(path: Path) -> KernelReports:
    with open_inputs([path]) as inputs:
        parsed = parse_inputs(inputs)
        facts = build_facts(parsed)
        scan = scan_evidence(parsed, facts, default_knowledge_base())
    (reports,) = scan.kernel
    return reports


@pytest.mark.parametrize("chunk", [1024, 4096, 1 << 20])
def test_the_scan_finds_the_reports_a_pass_of_their_own_finds(
    chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kb_scan, "LOG_CHUNK", chunk)
    report = (DATA / "kernel_global_oom_journal.txt").read_bytes()
    data = FILLER * 150 + report + FILLER * 77 + report + FILLER * 20
    log = tmp_path / "journal.log"
    log.write_bytes(data)
    alone = read_kernel_reports(io.BytesIO(data), JOURNALD)
    assert len(alone.ooms) == 2  # the yardstick itself sees both
    assert _summary(_scanned(log)) == _summary(alone)
    first_line = _summary(alone)[0][0]
    assert first_line == 151


def test_a_log_without_reports_gives_none(tmp_path: Path) -> None:
    log = tmp_path / "journal.log"
    log.write_bytes(FILLER * 500)
    assert not _scanned(log)
