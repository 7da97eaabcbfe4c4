"""``kubewhy diagnose`` on real dumps of running Go programs (see ``go/``): a goroutine leak and
a lock convoy become findings that name the site and the holder, tiered by their size; a busy,
healthy program gives none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kubewhy.model.diagnosis import Diagnosis, Finding
from kubewhy.pipeline import Request, diagnose

from .conftest import LEAK_SIZES, QUEUE_SIZES
from .peers import GO_DIR, Dumps

pytestmark = pytest.mark.peer
SHAPES = ("sigquit", "debug2", "debug1")
TIERS = {"small": "lead", "moderate": "probable", "huge": "confirmed"}


def diagnosed(tmp_path: Path, name: str, text: str) -> Diagnosis:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "goroutines.txt").write_text(text)
    return diagnose(Request(paths=(folder,)))


def only_finding(diagnosis: Diagnosis, failure_mode: str) -> Finding:
    assert [f.failure_mode for f in diagnosis.findings] == [failure_mode]
    return diagnosis.findings[0]


def line_of(program: str, code: str) -> int:
    """The line of ``code`` in the program's source: the site the dump must point at."""
    lines = (GO_DIR / program / "main.go").read_text().splitlines()
    (number,) = [n for n, line in enumerate(lines, 1) if code in line]
    return number


def goroutine_ids_running(text: str, function: str) -> set[int]:
    ids = set()
    for block in text.split("\n\n"):
        header = re.match(r"goroutine (\d+) \[", block)
        if header and function in block:
            ids.add(int(header.group(1)))
    return ids


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("size", sorted(LEAK_SIZES))
def test_a_channel_leak_is_found_at_its_line_tiered_by_size(
    tmp_path: Path, leak_dumps: dict[str, Dumps], size: str, shape: str
) -> None:
    finding = only_finding(
        diagnosed(tmp_path, size, getattr(leak_dumps[size], shape)), "goroutine-leak"
    )
    assert finding.tier == TIERS[size]
    assert (finding.entity.kind, finding.entity.name) == ("component", "go-program")
    assert finding.culprit is not None
    site = f"main.(*Resolver).lookup (main.go:{line_of('chanleak', 'answer <- name')})"
    assert f"{LEAK_SIZES[size]} goroutines blocked" in finding.culprit.why
    assert site in finding.culprit.why
    cited = " ".join(e.text for e in finding.evidence)
    assert f"{LEAK_SIZES[size]} of " in cited and site in cited


@pytest.mark.parametrize("shape", ("sigquit", "debug2"))
@pytest.mark.parametrize("size", sorted(QUEUE_SIZES))
def test_a_convoy_names_the_goroutine_inside_the_critical_section(
    tmp_path: Path, queue_dumps: dict[str, Dumps], size: str, shape: str
) -> None:
    text = getattr(queue_dumps[size], shape)
    finding = only_finding(diagnosed(tmp_path, size, text), "lock-convoy")
    assert finding.tier == TIERS[size]
    (holder,) = goroutine_ids_running(text, "main.(*Cache).Refresh")
    (decoy,) = goroutine_ids_running(text, "main.tailLog")
    assert finding.culprit is not None
    why = finding.culprit.why
    refresh = line_of("lockconvoy", "c.entries = <-c.replies")
    assert f"goroutine {holder} [chan receive] in main.(*Cache).Refresh (main.go:{refresh})" in why
    assert f"goroutine {decoy} " not in why
    readers, writers = QUEUE_SIZES[size]
    # A writer alone in its queue is no convoy of its own (fewer than five, no wait stamps).
    waiters = readers + (writers if writers >= 5 else 0)
    assert f"holds the lock that {waiters} goroutines wait for in main.(*Cache).Get" in why


def test_a_convoy_in_a_debug1_profile_is_no_finding(
    tmp_path: Path, queue_dumps: dict[str, Dumps]
) -> None:
    """A debug=1 profile has no goroutine ids and no wait times: it cannot tell a held lock
    from ordinary contention, so it raises nothing (``kubewhy goroutines`` still shows it)."""
    diagnosis = diagnosed(tmp_path, "huge", queue_dumps["huge"].debug1)
    assert diagnosis.findings == []


@pytest.mark.parametrize("shape", SHAPES)
def test_a_busy_healthy_program_gives_no_finding(
    tmp_path: Path, busy_dumps: Dumps, shape: str
) -> None:
    text = getattr(busy_dumps, shape)
    assert len(re.findall(r"(?m)^goroutine \d+ \[", text)) >= 200 or shape == "debug1"
    diagnosis = diagnosed(tmp_path, shape, text)
    assert diagnosis.findings == [], [f.failure_mode for f in diagnosis.findings]
