"""Detection knows the formats from a manifest kept between runs, and imports a format's module
when a head first asks it: the manifest must say what the modules themselves declare."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubewhy.parsers import registry
from kubewhy.parsers.read import _base_name


def _shape(manifest: registry._Manifest) -> list[tuple[object, ...]]:
    return [(e.module, e.index, e.name, e.log, e.hints) for e in manifest.entries] + [
        tuple(h) for h in manifest.hints
    ]


def test_the_manifest_is_what_the_modules_declare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path))
    declared = registry._declared()
    registry._manifest.cache_clear()
    try:
        written = registry._manifest()  # read from the modules, then kept
        (kept,) = tmp_path.glob("formats-*.json")
        registry._manifest.cache_clear()
        read_back = registry._manifest()  # from the cache
        kept.write_text("{not json")
        registry._manifest.cache_clear()
        damaged = registry._manifest()  # a damaged file is a miss
        kept.write_text('{"entries": [["x", 0, "x", false, [7]]], "hints": []}')
        registry._manifest.cache_clear()
        unsound = registry._manifest()  # so is one naming a hint it does not list
    finally:
        registry._manifest.cache_clear()
    assert _shape(written) == _shape(read_back) == _shape(damaged) == _shape(declared)
    assert _shape(unsound) == _shape(declared)
    logs, docs = registry.all_formats()
    assert [e.format() for e in declared.entries] == [*docs, *logs]
    assert all(e.format().name == e.name for e in declared.entries)
    assert all(e.log == hasattr(e.format(), "parse_line") for e in declared.entries)


def test_format_by_name_finds_logs_first() -> None:
    logs, docs = registry.all_formats()
    for fmt in [*docs, *logs]:
        found = registry.format_by_name(fmt.name)
        assert found is not None and found.name == fmt.name
        assert (found.log or found.document) is next(
            f for f in [*logs, *docs] if f.name == fmt.name
        )
    assert registry.format_by_name("no-such-format") is None


@given(st.lists(st.sampled_from(["a", "b.log", ".", "..", "", "x y", "é"]), max_size=5))
def test_a_base_name_is_the_paths(parts: list[str]) -> None:
    for display in ("/".join(parts), "/" + "/".join(parts), "/".join(parts) + "/"):
        assert _base_name(display) == PurePosixPath(display).name
