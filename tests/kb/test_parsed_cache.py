"""The knowledge base's parsed YAML kept between runs: a hit gives the same knowledge base, an
edited file is a miss, a bad file is reported as without the cache."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from kubewhy.kb import parsed_cache
from kubewhy.kb.load import KnowledgeBaseError, builtin_dir, load_knowledge_base
from kubewhy.scanning.engines import CACHE_KEEP_PER_KIND


def _copy_of_builtin(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(builtin_dir(), rules)
    return rules


def test_a_hit_loads_the_same_knowledge_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path / "cache"))
    first = load_knowledge_base(patterns=False)
    assert list((tmp_path / "cache").glob("kb-*.json"))
    texts = [p.read_text(encoding="utf-8") for p in sorted(builtin_dir().glob("*.yaml"))]
    assert parsed_cache.load(texts) is not None
    second = load_knowledge_base(patterns=False)
    assert second.failure_modes == first.failure_modes
    assert second.conditions.keys() == first.conditions.keys()


def test_an_edited_file_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path / "cache"))
    rules = _copy_of_builtin(tmp_path)
    load_knowledge_base(rules, patterns=False)
    victim = sorted(rules.glob("*.yaml"))[0]
    text = victim.read_text(encoding="utf-8")
    victim.write_text(text.replace("title: ", "title: Edited ", 1), encoding="utf-8")
    kb = load_knowledge_base(rules, patterns=False)
    assert kb.get(victim.stem).title.startswith("Edited ")
    assert len(list((tmp_path / "cache").glob("kb-*.json"))) == 2


def test_a_bad_file_is_reported_with_a_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path / "cache"))
    rules = _copy_of_builtin(tmp_path)
    load_knowledge_base(rules, patterns=False)
    victim = sorted(rules.glob("*.yaml"))[0]
    victim.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=f"{victim.stem}: not valid YAML"):
        load_knowledge_base(rules, patterns=False)


def test_data_json_cannot_carry_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path))
    parsed_cache.store(["a: 1"], [{1: "int key"}])
    assert parsed_cache.load(["a: 1"]) is None
    parsed_cache.store(["a: 1"], [{"a": 1}])
    assert parsed_cache.load(["a: 1"]) == [{"a": 1}]


def test_off_when_the_cache_dir_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", "")
    parsed_cache.store(["a: 1"], [{"a": 1}])
    assert parsed_cache.load(["a: 1"]) is None


def test_only_the_latest_few_of_each_kind_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each edited knowledge base writes a new parse: the cache keeps the latest few, and other
    # kinds of files in it are left alone.
    cache = tmp_path / "cache"
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(cache))
    cache.mkdir()
    (cache / "hyperscan-other.db").write_bytes(b"x")
    for edit in range(CACHE_KEEP_PER_KIND + 3):
        parsed_cache.store([f"id: edit-{edit}\n"], [{"id": f"edit-{edit}"}])
        newest = max(cache.glob("kb-*.json"), key=lambda p: p.stat().st_mtime_ns)
        stamp = time.time() + edit  # distinct times on filesystems with coarse stamps
        os.utime(newest, (stamp, stamp))
    kept = sorted(cache.glob("kb-*.json"))
    assert len(kept) == CACHE_KEEP_PER_KIND
    assert parsed_cache.load([f"id: edit-{CACHE_KEEP_PER_KIND + 2}\n"]) is not None
    assert parsed_cache.load(["id: edit-0\n"]) is None
    assert (cache / "hyperscan-other.db").exists()
