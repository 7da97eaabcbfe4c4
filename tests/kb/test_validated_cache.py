"""The knowledge base's validated failure modes kept between runs: a hit gives the same
knowledge base without validating, an edited or renamed file or changed code is a miss, a
damaged cache file is a miss."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubewhy.kb import load, validated_cache
from kubewhy.kb.load import KnowledgeBaseError, builtin_dir, load_knowledge_base


def _copy_of_builtin(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(builtin_dir(), rules)
    return rules


def _no_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("validated again")

    monkeypatch.setattr(load, "_load_file", refuse)
    monkeypatch.setattr(load, "_parse_file", refuse)


def test_a_hit_loads_the_same_knowledge_base_without_validating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path / "cache"))
    first = load_knowledge_base(patterns=False)
    (kept,) = (tmp_path / "cache").glob("kbmodes-*.pickle")
    with monkeypatch.context() as patched:
        _no_validation(patched)
        second = load_knowledge_base(patterns=False)
    assert second.failure_modes == first.failure_modes
    assert list(second.failure_modes) == list(first.failure_modes)
    assert second.conditions.keys() == first.conditions.keys()
    kept.write_bytes(b"not a pickle")
    third = load_knowledge_base(patterns=False)  # damaged: validated again, and kept again
    assert third.failure_modes == first.failure_modes
    assert kept.read_bytes() != b"not a pickle"


def test_an_edited_file_or_changed_code_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path / "cache"))
    rules = _copy_of_builtin(tmp_path)
    load_knowledge_base(rules, patterns=False)
    victim = sorted(rules.glob("*.yaml"))[0]
    text = victim.read_text(encoding="utf-8")
    victim.write_text(text.replace("title: ", "title: Edited ", 1), encoding="utf-8")
    kb = load_knowledge_base(rules, patterns=False)
    assert kb.get(victim.stem).title.startswith("Edited ")
    assert len(list((tmp_path / "cache").glob("kbmodes-*.pickle"))) == 2
    monkeypatch.setattr(validated_cache, "code_stamp", lambda: b"other code")
    load_knowledge_base(rules, patterns=False)
    assert len(list((tmp_path / "cache").glob("kbmodes-*.pickle"))) == 3


def test_a_renamed_file_is_reported_with_a_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path / "cache"))
    rules = _copy_of_builtin(tmp_path)
    load_knowledge_base(rules, patterns=False)
    victim = sorted(rules.glob("*.yaml"))[-1]
    victim.rename(rules / "zzz-renamed.yaml")
    with pytest.raises(KnowledgeBaseError, match=r"zzz-renamed: id .* differs from the file name"):
        load_knowledge_base(rules, patterns=False)


def test_off_when_the_cache_dir_is_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    load_knowledge_base(patterns=False)
    assert not list(tmp_path.rglob("kbmodes-*"))
