"""The compiled Hyperscan database is cached between runs; a bad cache only means compiling."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubewhy.scanning import PatternSpec, Scanner, available_engines

PATTERNS = [PatternSpec(r"fatal error: newosproc"), PatternSpec(r"PLEG is not (?P<x>healthy)")]
TEXT = b"ok\nfatal error: newosproc\nPLEG is not healthy: pleg was last seen\nok\n"

pytestmark = pytest.mark.skipif(
    "hyperscan" not in available_engines(), reason="hyperscan is not installed"
)


def _lines(scanner: Scanner) -> list[tuple[int, tuple[int, ...]]]:
    return [(m.line_no, m.patterns) for m in scanner.scan_bytes(TEXT)]


def test_cache_written_reused_and_survives_corruption(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path))
    first = _lines(Scanner(PATTERNS, engine="hyperscan"))
    (cached,) = tmp_path.glob("hyperscan-*.db")
    assert first == [(2, (0,)), (3, (1,))]
    assert _lines(Scanner(PATTERNS, engine="hyperscan")) == first  # from the cache
    cached.write_bytes(b"not a database")
    assert _lines(Scanner(PATTERNS, engine="hyperscan")) == first  # compiled again
    assert cached.read_bytes() != b"not a database"  # and the cache repaired


def test_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert _lines(Scanner(PATTERNS, engine="hyperscan")) == [(2, (0,)), (3, (1,))]
    assert not list(tmp_path.rglob("hyperscan-*.db"))


def test_unwritable_cache_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(blocker / "sub"))
    assert _lines(Scanner(PATTERNS, engine="hyperscan")) == [(2, (0,)), (3, (1,))]
