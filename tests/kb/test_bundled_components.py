"""Distributions that run several components in one process (k3s, MicroK8s's kubelite) write
each component's lines under one journal identifier: a sign scoped to a component counts there,
and not in the log of a program that is none of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubewhy.pipeline import Request, diagnose

# pflag's error as cobra prints it, under each writer's journal identifier (built).
LINE = "Nov 11 11:51:12 node-1 {writer}[19461]: Error: unknown flag: --insecure-port"


def _top(tmp_path: Path, writer: str) -> list[str]:
    log = tmp_path / "journal.txt"
    log.write_text(LINE.format(writer=writer) + "\n")
    return [f.failure_mode for f in diagnose(Request(paths=(log,))).findings]


@pytest.mark.parametrize("writer", ["k3s", "microk8s.daemon-kubelite", "kube-apiserver"])
def test_a_component_sign_counts_in_a_bundle_that_runs_the_component(
    tmp_path: Path, writer: str
) -> None:
    assert _top(tmp_path, writer) == ["component-config-rejected"]


def test_it_does_not_count_in_another_programs_log(tmp_path: Path) -> None:
    assert _top(tmp_path, "my-exporter") == []
