"""The text report on a fixed-width console: the verdict first, in one line that fits; what to
do now, with the names the evidence knows; the culprit's evidence uncut."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from kubewhy.model.diagnosis import (
    ChainLink,
    Diagnosis,
    EntityRef,
    EvidenceRef,
    Finding,
    TimelineEntry,
)
from kubewhy.reports import render
from kubewhy.reports.safe import prepared

ROOT = Path(__file__).resolve().parents[2]
SEED000 = ROOT / "examples" / "seed000-calico-pid-exhaustion"
VERDICTS = ("ROOT CAUSE: ", "POSSIBLE CAUSE: ", "PAST ROOT CAUSE: ")


def squash(text: str) -> str:
    """Without white space: a line wrapped over several is still found whole."""
    return re.sub(r"\s+", "", text)


def test_every_example_starts_with_its_verdict_in_80_columns(
    examples: dict[str, Diagnosis],
) -> None:
    for name, diagnosis in examples.items():
        text = render(diagnosis, "text", width=80)
        first = text.splitlines()[0]
        assert len(first) <= 80, (name, first)
        if not diagnosis.findings:
            assert first.startswith("NO FINDING: "), (name, first)
            continue
        top = next(f for f in diagnosis.findings if f.explained_by is None)
        assert first.startswith(VERDICTS) and top.failure_mode in first, (name, first)
        if top.culprit is not None:
            short = top.culprit.name.split(" (", 1)[0].rsplit("/", 1)[-1]
            assert short[:20] in first, (name, first)
        # What to do comes before the proof.
        assert text.index("Do now:") < text.index("chain:"), name
        too_wide = [line for line in text.splitlines() if len(line) > 80]
        assert not too_wide, (name, too_wide[:3])


def test_the_culprits_evidence_is_shown_uncut(examples: dict[str, Diagnosis]) -> None:
    shown = 0
    for name, diagnosis in examples.items():
        safe = prepared(diagnosis, escape=True)
        text = squash(render(diagnosis, "text", width=80))
        for finding in [f for f in safe.findings if f.explained_by is None][:3]:
            by_id = {ev.id: ev for ev in finding.evidence}
            if finding.culprit is not None and finding.culprit.evidence:
                for evidence_id in finding.culprit.evidence:
                    assert squash(by_id[evidence_id].text) in text, (name, evidence_id)
                    shown += 1
                continue
            # Without a culprit, the decisive line is the root's first cited one: the part
            # its pattern matched is in view.
            first = by_id[finding.chain[0].evidence[0]] if finding.chain[0].evidence else None
            if first is not None and first.span is not None:
                start, end = first.span
                assert squash(first.text[start:end]) in text, (name, first.text)
                shown += 1
    assert shown >= 10


def test_seed000_names_its_pod_and_keeps_the_decisive_figure() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "kubewhy", "diagnose", str(SEED000)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "80"},
    )
    lines = run.stdout.splitlines()
    assert lines[0] == (
        "ROOT CAUSE: thread-leak-container in shop/order-service (44,967 threads) -> ..."
    )
    assert "node-pid-exhaustion -> probe-failure" in " ".join(lines[1:3])
    do_now = run.stdout[run.stdout.index("Do now:") : run.stdout.index("#1 ")]
    assert "kubectl -n shop delete pod order-service-6b9f7c8d4-qz2lk" in do_now
    assert "<pod>" not in run.stdout
    assert "44967" in squash(run.stdout[run.stdout.index("culprit:") :].split("why this rank")[0])


def test_a_pipe_takes_its_width_from_columns() -> None:
    def first_line(columns: str | None) -> str:
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
        if columns:
            env["COLUMNS"] = columns
        run = subprocess.run(
            [sys.executable, "-m", "kubewhy", "diagnose", str(SEED000)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
        )
        return run.stdout.splitlines()[0]

    assert len(first_line(None)) <= 80  # a pipe without COLUMNS: 80, not 100
    wide = first_line("160")
    assert len(wide) > 80 and "91% of the node's PID limit 49,152" in wide
    assert "-> node-pid-exhaustion" in wide


def _finding(rank: int, fm: str, pod: str, explained_by: str | None) -> Finding:
    return Finding(
        rank=rank,
        failure_mode=fm,
        title=f"title of {fm}",
        confidence=0.9,
        entity=EntityRef(kind="pod", name=pod, namespace="ns"),
        chain=[ChainLink(failure_mode=fm, statement="s", evidence=[1])],
        evidence=[EvidenceRef(id=1, source="f.log", line=1, text=f"line about {pod}")],
        remediation=["do it"],
        explained_by=explained_by,
    )


def test_identical_consequences_are_one_entry_and_the_timeline_names_its_finding() -> None:
    diagnosis = Diagnosis(
        kubewhy_version="0",
        findings=[
            _finding(1, "node-pid-exhaustion", "x", None),
            *(_finding(i, "probe-failure", f"web-{i}", "node-pid-exhaustion") for i in (2, 3, 4)),
        ],
        timeline=[
            TimelineEntry(
                time="2026-01-10T10:00:00Z",
                source="f.log",
                text="Jan 10 10:00:00 n1 kubelet[1]: probe failed",
                findings=["probe-failure"],
            ),
            TimelineEntry(
                time="2026-01-10T10:00:01Z",
                source="f.log",
                text="unrelated line of a finding not reported",
                findings=["dns-timeout"],
            ),
        ],
    )
    text = render(diagnosis, "text", width=80)
    assert text.count("title of probe-failure") == 1
    assert "#2, #3, #4 title of probe-failure" in text
    assert "pod/ns/web-2, pod/ns/web-3, pod/ns/web-4" in text
    assert "10:00:00  probe-failure: probe failed" in text
    assert "unrelated line" not in text


def test_one_root_cause_on_several_nodes_is_told_once() -> None:
    diagnosis = Diagnosis(
        kubewhy_version="0",
        findings=[_finding(i, "kernel-bug-node-reboot", f"n{i}", None) for i in (1, 2, 3)],
    )
    text = render(diagnosis, "text", width=80)
    assert text.count("title of kernel-bug-node-reboot") == 1
    assert "also on: pod/ns/n2 (#2), pod/ns/n3 (#3)" in text
