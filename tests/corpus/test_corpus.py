"""The corpus is well formed, split by rule, indexed, and kubewhy stays above its floors on it."""

from __future__ import annotations

import pytest

from corpus import index, labels, score, split, validate


def test_every_case_is_valid() -> None:
    ids = validate.known_ids()
    problems = [p for folder in validate.case_dirs([]) for p in validate.problems(folder, ids)]
    assert problems == []


def test_splits_follow_the_rule_and_the_index_and_labels_are_current() -> None:
    assert split.main(["--check"]) == 0
    assert index.main(["--check"]) == 0
    assert labels.main(["--check"]) == 0


def test_holdout_is_at_least_forty_percent() -> None:
    cases = score.load_cases(["dev", "holdout"])
    holdout = sum(c.split == "holdout" for c in cases)
    assert holdout >= 0.4 * len(cases)


@pytest.mark.timeout(600)
def test_kubewhy_stays_above_the_floors(capsys: pytest.CaptureFixture[str]) -> None:
    code = score.main(["--floors", "--misses", "dev"])
    out = capsys.readouterr().out
    assert code == 0, out
