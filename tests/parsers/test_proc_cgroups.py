"""/proc/cgroups read twice: the memory controller's count growing alone, made for real."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.procfs import ProcCgroups


def _own_memory_cgroup() -> Path:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return Path("/sys/fs/cgroup/memory") / path.lstrip("/")
    pytest.skip("no cgroup v1 memory controller here")


def _facts(text: str) -> dict[str, object]:
    return {f.name: f.value for f in ProcCgroups().parse(text, Context("terminal.txt")).facts}


def test_memory_cgroups_made_alone_grow_alone() -> None:
    # Two memory cgroups made in the memory hierarchy only, between two real readings: the
    # memory count grows and the per-container controllers' counts do not.
    parent = _own_memory_cgroup()
    made = [parent / f"kubewhy-test-{os.getpid()}-{i}" for i in range(2)]
    before = Path("/proc/cgroups").read_text()
    try:
        for path in made:
            path.mkdir()
        after = Path("/proc/cgroups").read_text()
    finally:
        for path in made:
            if path.exists():
                path.rmdir()
    facts = _facts(before + after)
    assert facts["node.memcg.grew_alone"] >= 2  # type: ignore[operator]
    # One reading, or two where every controller grew (a container was added): no growth alone.
    assert "node.memcg.grew_alone" not in _facts(before)
    grown = "\n".join(
        "\t".join([c[0], c[1], str(int(c[2]) + 5), c[3]])
        if (c := line.split())[2].isdigit()
        else line
        for line in before.splitlines()
    )
    assert "node.memcg.grew_alone" not in _facts(before + grown + "\n")
