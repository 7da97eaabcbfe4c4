"""Property-based tests (hypothesis) on every parser, the format sniffer, the whole read, the
stream and archive readers, the goroutine parser, the terminal splitter and redaction, fed with
mutated real fixtures of this repository. The property is the same everywhere: whatever the
input, no exception escapes but the ones a reader documents (a bug is an ``internal error``, exit
4, and this keeps that class at zero). Crashes found here and by the campaign
(``bench/fuzz_campaign.py``) are kept as regression inputs in ``regressions/``.

Sized for CI: a few hundred examples per target; the campaign runs millions.
"""

from __future__ import annotations

import contextlib
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .fuzzing import TARGETS, Target, containers, fixtures, mutate

REGRESSIONS = Path(__file__).resolve().parent / "regressions"
EXAMPLES = {"formats": 120, "whole-read": 150, "archive": 150}
BY_NAME = {target.name: target for target in TARGETS}


def run_target(target: Target, data: bytes, scratch: Path) -> None:
    with contextlib.suppress(target.allowed):
        target.run(data, scratch)


def fixture_input(target: str, seed: int, pick: int, window: int) -> bytes:
    corpus = fixtures()
    rng = random.Random(seed)
    base = corpus[pick % len(corpus)]
    start = rng.randint(0, len(base))
    data = mutate(rng, base[start : start + window] if window else base, corpus)
    return containers(rng, data) if target in ("stream", "archive") else data


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_no_input_crashes(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    target = BY_NAME[name]
    scratch = tmp_path_factory.mktemp(f"fuzz-{name}")

    @settings(
        max_examples=EXAMPLES.get(name, 300),
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        seed=st.integers(0, 2**32),
        pick=st.integers(0, 10_000),
        window=st.sampled_from([0, 256, 2048, 8192]),
    )
    def check(seed: int, pick: int, window: int) -> None:
        run_target(target, fixture_input(name, seed, pick, window), scratch)

    check()


@pytest.mark.parametrize("name", sorted(BY_NAME))
@given(data=st.binary(max_size=4096))
@settings(max_examples=100, deadline=None, derandomize=True)
def test_random_bytes_crash_nothing(
    name: str, data: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run_target(BY_NAME[name], data, tmp_path_factory.getbasetemp())


def regressions() -> list[Path]:
    return sorted(REGRESSIONS.glob("*.bin"))


@pytest.mark.parametrize("case", regressions(), ids=lambda p: p.stem)
def test_every_crash_found_stays_fixed(case: Path, tmp_path: Path) -> None:
    """``<target>--<what>.bin``: an input that once crashed (or hung) that target. A hang is
    measured in CPU time (the work done, whatever else runs on the machine): those inputs took
    20 s and more, and take about a second now."""
    name = case.stem.split("--")[0]
    started = time.process_time()
    run_target(BY_NAME[name], case.read_bytes(), tmp_path)
    assert time.process_time() - started < 10, "a hang is back"


def test_secrets_in_random_text_are_always_redacted() -> None:
    from kubewhy.model.redact import redact

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(
        before=st.text(max_size=200),
        after=st.text(max_size=200),
        form=st.sampled_from(
            [
                "password={s}",
                '"token": "{s}"',
                "--password {s}",
                "mysql -p{s}",
                "https://u:{s}@h/",
                "Bearer {s}",
                "api_key: {s}",
                "secret='{s} x'",
            ]
        ),
        secret=st.from_regex(r"[A-Za-z0-9]{12,24}", fullmatch=True),
    )
    def check(before: str, after: str, form: str, secret: str) -> None:
        text = f"{before} {form.format(s=secret)} {after}"
        assert secret not in redact(text).replace(before, "").replace(after, "")

    check()
