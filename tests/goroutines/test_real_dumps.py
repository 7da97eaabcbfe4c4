"""Analysis of real dumps taken from running Go programs (see ``go/``)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from kubewhy.cli.goroutines import goroutines_command
from kubewhy.facts.goroutines import GoroutineReport, analyze
from kubewhy.kb.schema import GoroutineSignature
from kubewhy.parsers.goroutines import parse_goroutine_lines
from kubewhy.pipeline.goroutines import analyze_dump

from .conftest import LEAKED_DISTRIBUTORS, MUTEX_WAITERS
from .peers import Dumps

pytestmark = pytest.mark.peer
SHAPES = ("sigquit", "debug2", "debug1")


def report_of(text: str) -> GoroutineReport:
    return analyze(parse_goroutine_lines(text.splitlines()))


def goroutine_ids_running(text: str, function: str) -> set[int]:
    """Ids of goroutines whose stack holds ``function``, read straight from the dump text."""
    ids = set()
    for block in text.split("\n\n"):
        header = re.match(r"goroutine (\d+) \[", block)
        if header and function in block:
            ids.add(int(header.group(1)))
    return ids


@pytest.mark.parametrize("shape", SHAPES)
def test_leaked_distributors_are_found(distributor_dumps: Dumps, shape: str) -> None:
    report = report_of(getattr(distributor_dumps, shape))
    assert [leak.function for leak in report.leaks] == ["main.(*Store).DeleteCollection.func1"]
    leak = report.leaks[0]
    assert leak.count == LEAKED_DISTRIBUTORS
    assert leak.state == ("unknown" if shape == "debug1" else "chan send")
    assert report.convoys == []
    assert report.groups[0].function == leak.function


@pytest.mark.parametrize("shape", ("sigquit", "debug2"))
def test_convoy_and_its_holder_in_the_pipe_read(convoy_dumps: Dumps, shape: str) -> None:
    text = getattr(convoy_dumps, shape)
    report = report_of(text)
    assert {c.lock_function for c in report.convoys} == {
        "main.(*LinkManager).AllocateIP",
        "main.(*LinkManager).ReleaseIP",
    }
    assert sum(c.waiters for c in report.convoys) == MUTEX_WAITERS
    (holder_id,) = goroutine_ids_running(text, "main.(*LinkManager).setupLink")
    for convoy in report.convoys:
        assert convoy.holder is not None
        assert convoy.holder.goroutine == holder_id
        assert convoy.holder.function == "main.(*LinkManager).setupLink"
        assert convoy.holder.state == "syscall"
    assert report.leaks == []
    assert any("no wait times" in note for note in report.notes)


def test_convoy_in_a_debug1_profile_names_the_holder_without_an_id(convoy_dumps: Dumps) -> None:
    report = report_of(convoy_dumps.debug1)
    assert sum(c.waiters for c in report.convoys) == MUTEX_WAITERS
    assert all(c.holder is None for c in report.convoys)
    assert any("likely holder main.(*LinkManager).setupLink" in n for n in report.notes)


@pytest.mark.parametrize("shape", SHAPES)
def test_healthy_server_raises_nothing(healthy_dumps: Dumps, shape: str) -> None:
    report = report_of(getattr(healthy_dumps, shape))
    assert report.total >= 10  # eight workers, housekeeping, the accept loop, ...
    assert (report.leaks, report.convoys, report.signatures) == ([], [], [])
    assert any(g.function == "main.worker" and g.count == 8 for g in report.groups)


def _with_minutes(text: str, minutes_by_function: dict[str, int]) -> str:
    """``text`` with ``, N minutes`` added to the header of each goroutine whose stack holds one
    of the functions (the first match wins)."""
    blocks = []
    for block in text.split("\n\n"):
        edited = block
        for function, minutes in minutes_by_function.items():
            if function in block:
                edited = re.sub(r"^(goroutine \d+ \[[^,\]]+)", rf"\1, {minutes} minutes", block)
                break
        blocks.append(edited)
    return "\n\n".join(blocks)


def test_holder_by_wait_time_on_a_real_dump_with_edited_minutes(convoy_dumps: Dumps) -> None:
    """A copy of the REAL convoy dump with wait minutes written into the headers (the
    program cannot wait for hours): waiters 1590 minutes, the pipe reader 1595, and two decoys
    that waited longer: the HTTP accept loop (idle by design) and the GC sleep loop."""
    edited = _with_minutes(
        convoy_dumps.debug2,
        {
            "main.(*LinkManager).AllocateIP": 1590,
            "main.(*LinkManager).ReleaseIP": 1500,
            "main.(*LinkManager).setupLink": 1595,
            "net/http.(*Server).Serve": 3000,
            "main.serve.func1": 2000,
        },
    )
    report = report_of(edited)
    allocate = next(c for c in report.convoys if c.lock_function.endswith("AllocateIP"))
    assert allocate.holder is not None
    assert allocate.holder.function == "main.(*LinkManager).setupLink"
    assert allocate.holder.wait_minutes == 1595
    assert not any("no wait times" in note for note in report.notes)
    allocate_group = next(g for g in report.groups if g.function.endswith("AllocateIP"))
    assert allocate_group.max_wait_minutes == 1590


def test_few_long_waiting_goroutines_are_a_leak_on_a_real_dump(distributor_dumps: Dumps) -> None:
    """Twelve of the REAL leaked distributors, with minutes written into their headers:
    below the count threshold, a leak only because they waited long."""
    blocks = distributor_dumps.debug2.split("\n\n")
    leaked = [b for b in blocks if "DeleteCollection.func1" in b][:12]
    others = [b for b in blocks if "DeleteCollection.func1" not in b]
    plain = "\n\n".join(others + leaked)
    assert report_of(plain).leaks == []
    stamped = _with_minutes(plain, {"DeleteCollection.func1": 429})
    (leak,) = report_of(stamped).leaks
    assert (leak.count, leak.max_wait_minutes) == (12, 429)


def test_signatures_count_matching_goroutines(distributor_dumps: Dumps) -> None:
    dump = parse_goroutine_lines(distributor_dumps.debug2.splitlines())
    leak = GoroutineSignature(id="distributor", function=r"DeleteCollection\.func1", state="send")
    wrong_state = GoroutineSignature(id="recv", function=r"DeleteCollection", state="receive")
    too_many = GoroutineSignature(id="many", function=r"DeleteCollection", min_count=10_000)
    long_wait = GoroutineSignature(id="old", function=r"DeleteCollection", min_wait_minutes=60)
    report = analyze(
        dump,
        [("a-leak", leak), ("b-recv", wrong_state), ("c-many", too_many), ("d-old", long_wait)],
    )
    assert [(m.failure_mode, m.count) for m in report.signatures] == [
        ("a-leak", LEAKED_DISTRIBUTORS)
    ]


def test_command_exit_codes_and_json_contract(
    tmp_path: Path,
    distributor_dumps: Dumps,
    healthy_dumps: Dumps,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The built-in knowledge base takes seconds to load; it is exercised in test_parser.py.
    monkeypatch.setattr("kubewhy.cli.goroutines.knowledge_base_signatures", lambda: ())
    leaky = tmp_path / "leaky.txt.gz"
    leaky.write_bytes(gzip.compress(distributor_dumps.sigquit.encode()))
    healthy = tmp_path / "healthy.txt"
    healthy.write_text(healthy_dumps.debug2)
    out = tmp_path / "report.json"
    assert goroutines_command(leaky, "json", out) == 1
    data = json.loads(out.read_text())
    assert set(data) == {"total", "groups", "leaks", "convoys", "signatures"}
    assert set(data["groups"][0]) == {"count", "state", "max_wait_minutes", "function", "frames"}
    assert data["leaks"][0]["count"] == LEAKED_DISTRIBUTORS
    assert goroutines_command(healthy, "markdown", tmp_path / "h.md") == 0
    assert "| Goroutines | State |" in (tmp_path / "h.md").read_text()
    assert analyze_dump(leaky).total == report_of(distributor_dumps.sigquit).total
