"""The counting fast path agrees with the record-by-record path, whatever the input looks like."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kubewhy.parsers import goroutines
from kubewhy.parsers.goroutines import GoroutineDump, parse_goroutine_chunks

DATA = Path(__file__).parent / "data"

SEND = (
    "goroutine {id} [chan send{wait}]:\n"
    "main.(*Store).DeleteCollection.func1({value:#x}, 0x9)\n"
    "\t/src/store.go:1074 +0x1d\n"
    "created by main.(*Store).DeleteCollection in goroutine {parent}\n"
    "\t/src/store.go:1070 +0x8d\n"
)
SELECT = (
    "goroutine {id} [select{wait}]:\n"
    "main.worker({value:#x}, {{0x4c1a2e, 0x5}})\n"
    "\t/src/main.go:10 +0x25 fp={value:#x} sp={value:#x} pc=0x4993e7\n"
    "created by main.main\n"
    "\t/src/main.go:20 +0x3d\n"
)


def summary(dump: GoroutineDump) -> dict[tuple[str, ...], tuple[object, ...]]:
    """Everything a group holds, by signature."""
    return {
        g.signature: (
            g.count,
            g.states,
            g.waits,
            g.first_id,
            g.longest_id,
            g.longest_wait,
            tuple(map(str, g.frames)),
        )
        for g in dump.groups
    }


def record_by_record(text: str) -> GoroutineDump:
    """``text`` parsed on the slow path only (a log line between goroutines forces it)."""
    noisy = text.replace(
        "\n\ngoroutine ", "\n\nI0101 00:00:00.000000 1 x.go:1] noise\n\ngoroutine "
    )
    return parse_goroutine_chunks([noisy])


def synthetic_dump(goroutines: int, seed: int = 3) -> str:
    """Two stacks; argument values, frame pointers, creators and waits differ per goroutine."""
    rng = random.Random(seed)
    blocks = []
    for n in range(goroutines):
        minutes = rng.choice([0, 0, 1, 5, 30, 400, 1500])
        wait = f", {minutes} minutes" if minutes else ""
        template = SEND if n % 3 else SELECT
        value = 0xC000010000 + rng.randrange(1 << 20) * 8
        parent = rng.randrange(1, 50)
        blocks.append(template.format(id=n * 3 + 1, wait=wait, value=value, parent=parent))
    return "\n".join(blocks)


def test_first_and_longest_ids_are_the_earliest_in_dump_order_however_cut() -> None:
    ids_and_waits = [(50, ""), (40, ", 7 minutes"), (30, ", 9 minutes"), (20, ", 9 minutes")]
    blocks = [SEND.format(id=i, wait=w, value=i, parent=1) for i, w in ids_and_waits]
    text = "\n".join(blocks[:2]) + "\nsome log line\n\n" + "\n".join(blocks[2:])
    for size in (len(text), 7, 64, 200):
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        (group,) = parse_goroutine_chunks(pieces).groups
        assert (group.first_id, group.longest_id, group.longest_wait) == (50, 30, 9), size


def test_values_that_differ_per_goroutine_give_the_record_path_result() -> None:
    # More goroutines than the sample that makes a dump cut values from whole chunks first.
    text = synthetic_dump(goroutines.MIN_SAMPLE + 2000)
    fast = parse_goroutine_chunks([text])
    slow = record_by_record(text)
    assert len(fast.groups) == 2
    assert fast.total == slow.total == goroutines.MIN_SAMPLE + 2000
    assert summary(fast) == summary(slow)


@pytest.mark.parametrize("first", ["convoy", "distributor"])
def test_a_group_shows_the_frames_of_its_first_goroutine(first: str) -> None:
    """Both programs run ``main.serve`` from their own file: the one read first is shown,
    whatever the string hash seed (set order must not decide)."""
    second = "distributor" if first == "convoy" else "convoy"
    text = (DATA / f"{first}.debug2.txt").read_text() + (DATA / f"{second}.debug2.txt").read_text()
    dump = parse_goroutine_chunks([text])
    (serve,) = [g for g in dump.groups if "main.serve" in g.signature]
    assert serve.count == 2  # one goroutine of each program
    assert {f.file for f in serve.frames if f.function.startswith("main.")} == {
        f"example.com/{first}/main.go"
    }
    assert summary(dump) == summary(record_by_record(text))


def test_small_caches_forget_and_relearn_without_changing_the_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = synthetic_dump(3000)
    expected = summary(parse_goroutine_chunks([text]))
    # Every few new kinds the caches are dropped (after folding what was counted).
    monkeypatch.setattr(goroutines, "MAX_CACHED_KEYS", 8)
    monkeypatch.setattr(goroutines, "FAST_CHARS", 1 << 10)
    assert summary(parse_goroutine_chunks([text])) == expected


def test_caches_full_in_the_middle_of_a_piece_relearn_the_keys_found_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Once values are cut from whole pieces, a piece holds known keys and new ones; when the
    new ones fill the caches, the known ones are learned again (their kinds were dropped)."""
    text = synthetic_dump(goroutines.MIN_SAMPLE + 3000)
    expected = summary(parse_goroutine_chunks([text]))
    monkeypatch.setattr(goroutines, "MAX_CACHED_KEYS", 8)
    monkeypatch.setattr(goroutines, "FAST_CHARS", 1 << 12)
    assert summary(parse_goroutine_chunks([text])) == expected


@pytest.mark.parametrize("name", ["convoy.sigquit.txt", "distributor.sigquit.txt"])
def test_sigquit_preamble_and_register_dump_around_the_fast_path(name: str) -> None:
    text = (DATA / name).read_text()
    assert text.startswith("SIGQUIT: quit")
    fast = parse_goroutine_chunks([text])
    slow = record_by_record(text)
    assert summary(fast) == summary(slow)
    assert (fast.total, fast.malformed, fast.ignored_lines) == (
        slow.total,
        slow.malformed,
        slow.ignored_lines - text.count("\n\ngoroutine "),  # minus the added log lines
    )
