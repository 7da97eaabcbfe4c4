"""The corpus is well formed, split by rule, indexed, and kubewhy stays above its floors on it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus import index, labels, score, split, validate


def test_every_case_is_valid() -> None:
    ids = validate.known_ids()
    problems = [p for folder in validate.case_dirs([]) for p in validate.problems(folder, ids)]
    assert problems == []


def test_no_incident_is_gathered_twice(tmp_path: Path) -> None:
    every = validate.case_dirs([])
    assert validate.gathered_twice(every, every) == []

    def case(name: str, source: str, mode: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "case.yaml").write_text(
            f"source: {source}\ntitle: t\nkind: public\nsplit: dev\n"
            f"expect: {{healthy: false, failure_modes: [{mode}]}}\n"
            "diagnosed_by: maintainer\nconfidence: high\nnotes: n\n"
        )
        return folder

    # two batches that took the same write-up, a second incident named as a sibling, and
    # another incident of the same thread with another cause
    first = case("blog-2023-06-18-sandbox", "https://example.org/post", "pids-cgroup-limit")
    twice = case("example-org-20230618", "https://example.org/post", "pids-cgroup-limit")
    sibling = case("blog-2023-06-18-sandbox-2", "https://example.org/post", "pids-cgroup-limit")
    other = case("example-org-dns", "https://example.org/post", "dns-timeout")
    found = validate.gathered_twice([first, twice, sibling, other], [first, twice, sibling, other])
    assert sorted(line.split(":")[0] for line in found) == [
        "blog-2023-06-18-sandbox",
        "blog-2023-06-18-sandbox-2",
        "example-org-20230618",
        "example-org-20230618",
    ]


def test_splits_follow_the_rule_and_the_index_and_labels_are_current() -> None:
    assert split.main(["--check"]) == 0
    assert index.main(["--check"]) == 0
    assert labels.main(["--check"]) == 0


def test_fresh_lists_each_case_once_with_its_split() -> None:
    # FRESH.md's split column is what a reader of the table trusts: a case moved to dev must not
    # keep an older "holdout" row beside its new one.
    rows = re.findall(
        r"^\|\s*`([\w.-]+)`\s*\|[^|]*\|[^|]*\|\s*(\w+)\s*\|",
        (score.CORPUS / "FRESH.md").read_text(),
        re.M,
    )
    ids = [case for case, _ in rows]
    assert sorted({c for c in ids if ids.count(c) > 1}) == []
    splits = {c.id: c.split for c in score.load_cases(["dev", "holdout"])}
    assert [(c, s) for c, s in rows if splits.get(c, s) != s] == []


def test_holdout_is_at_least_forty_percent() -> None:
    cases = score.load_cases(["dev", "holdout"])
    holdout = sum(c.split == "holdout" for c in cases)
    assert holdout >= 0.4 * len(cases)


@pytest.mark.timeout(600)
def test_kubewhy_stays_above_the_floors(capsys: pytest.CaptureFixture[str]) -> None:
    code = score.main(["--floors", "--misses", "dev"])
    out = capsys.readouterr().out
    assert code == 0, out


def test_a_specific_failure_mode_names_the_general_label_it_subsumes() -> None:
    # cni-plugin-hang subsumes lock-convoy (a hung CNI call holds the network plugin's lock).
    assert score._names("cni-plugin-hang", ["lock-convoy"])
    assert score._names("lock-convoy", ["lock-convoy"])
    # Not the other way: the general mode does not name its specific case.
    assert not score._names("lock-convoy", ["cni-plugin-hang"])
    assert not score._names("dns-timeout", ["lock-convoy"])
