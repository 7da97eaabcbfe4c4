"""Data read from an installed package (detect-secrets' patterns) is kept between runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kubewhy.model import redact
from kubewhy.scanning.engines import kept_for_package


def test_kept_read_once_reread_when_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path))
    calls: list[int] = []

    def read() -> list[list[object]]:
        calls.append(1)
        return [["a+b", 32]]

    assert kept_for_package("yaml", read) == [["a+b", 32]]
    assert kept_for_package("yaml", read) == [["a+b", 32]]
    assert len(calls) == 1
    (kept,) = tmp_path.glob("package-yaml-*.json")
    kept.write_text("{not json")
    assert kept_for_package("yaml", read) == [["a+b", 32]]
    assert len(calls) == 2


def test_not_kept_without_a_cache_or_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", "")
    assert kept_for_package("yaml", lambda: [1]) == [1]
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path))
    assert kept_for_package("no_such_package_here", lambda: [2]) == [2]
    assert not list(tmp_path.iterdir())


def test_kept_detect_secrets_patterns_redact_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path))
    text = "key ghp_" + "a1B2" * 9 + " and AKIAIOSFODNN7EXAMPLE and xoxb-1234567890-abcdefghij"
    clears = (redact._vendor_sources, redact._vendor_rule, redact._prefilter, redact._rule_set)
    outputs = []
    for keeper in (None, kept_for_package, kept_for_package):  # read, then kept, then from cache
        monkeypatch.setattr(redact, "_keeper", keeper)
        for cached in clears:
            cached.cache_clear()
        outputs.append((redact._vendor_sources(), redact.redact(text)))
    for cached in clears:
        cached.cache_clear()
    assert outputs[0] == outputs[1] == outputs[2]
    assert "ghp_" + "a1B2" * 9 not in outputs[0][1]
    assert list(tmp_path.glob("package-detect_secrets-*.json"))


def test_a_frozen_build_is_keyed_by_its_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubewhy.scanning.engines import code_stamp

    plain = code_stamp()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    frozen = code_stamp()
    assert plain is not None and frozen is not None
    assert frozen != plain and sys.executable.encode() in frozen
