"""Fixtures: a recorded API server on 127.0.0.1 and a kubeconfig that points at it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from .apiserver import Faults, RecordedApiServer, Scenario

DATA = Path(__file__).resolve().parent / "data"
Serve = Callable[..., AbstractContextManager[tuple[RecordedApiServer, str]]]


def seed(name: str) -> Scenario:
    return Scenario.load(DATA / f"{name}.json")


def seed_data(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((DATA / f"{name}.json").read_text())
    return data


@pytest.fixture
def serve(tmp_path: Path) -> Serve:
    """``with serve(scenario, faults) as (api, kubeconfig):`` - stopped even on failure."""

    @contextmanager
    def run(
        scenario: Scenario, faults: Faults | None = None
    ) -> Iterator[tuple[RecordedApiServer, str]]:
        with RecordedApiServer(scenario, faults) as api:
            yield api, str(api.kubeconfig(tmp_path))

    return run
