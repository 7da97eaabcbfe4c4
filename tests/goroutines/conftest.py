from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .peers import Dumps, build_all, capture, go_binary

# Parameters of the runs: chosen off the programs' defaults so that the counts the tests
# expect can only come from these runs.
LEAKED_DISTRIBUTORS = 110
MUTEX_WAITERS = 36
# Goroutine leaks of three sizes in a program of about 250 other goroutines (four idle pools of
# 60): a small concentration, a moderate leak, a huge one; and lock queues of three sizes.
LEAK_SIZES = {"small": 140, "moderate": 620, "huge": 1400}
QUEUE_SIZES = {"small": (7, 1), "moderate": (33, 7), "huge": (480, 120)}


@pytest.fixture(scope="session")
def go_programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if go_binary() is None:
        if os.environ.get("KUBEWHY_REQUIRE_PEERS") == "1":
            pytest.fail("the Go toolchain (go) is required (KUBEWHY_REQUIRE_PEERS=1)")
        pytest.skip("the Go toolchain (go) is not installed: no real goroutine dumps")
    return build_all(tmp_path_factory.mktemp("go-programs"))


@pytest.fixture(scope="session")
def distributor_dumps(go_programs: dict[str, Path]) -> Dumps:
    return capture(go_programs["distributor"], f"-calls={LEAKED_DISTRIBUTORS}")


@pytest.fixture(scope="session")
def convoy_dumps(go_programs: dict[str, Path]) -> Dumps:
    return capture(go_programs["convoy"], f"-waiters={MUTEX_WAITERS}")


@pytest.fixture(scope="session")
def healthy_dumps(go_programs: dict[str, Path]) -> Iterator[Dumps]:
    yield capture(go_programs["healthy"])


@pytest.fixture(scope="session")
def leak_dumps(go_programs: dict[str, Path]) -> dict[str, Dumps]:
    return {
        size: capture(go_programs["chanleak"], f"-calls={calls}")
        for size, calls in LEAK_SIZES.items()
    }


@pytest.fixture(scope="session")
def queue_dumps(go_programs: dict[str, Path]) -> dict[str, Dumps]:
    return {
        size: capture(go_programs["lockconvoy"], f"-readers={readers}", f"-writers={writers}")
        for size, (readers, writers) in QUEUE_SIZES.items()
    }


@pytest.fixture(scope="session")
def busy_dumps(go_programs: dict[str, Path]) -> Dumps:
    return capture(go_programs["busy"], "-clients=80", "-workers=40")
