"""What the parser reads from a dump shaped like the benchmark's, pinned to what the parser at
0eb2e90 read (before the work that made its fast path cheaper): every group, frame, state, wait,
id and count, however the text is cut. A change to the parser that changes any of it shows
here."""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

import pytest

from kubewhy.parsers.goroutines import GoroutineDump, parse_goroutine_chunks, parse_goroutine_lines

DATA = Path(__file__).parent / "data"
# Past the sample after which a dump whose values differ is cut whole (MIN_SAMPLE).
GOROUTINES = 6000
# Heap-sized argument values and frame/stack pointers, as bench/goroutines_bench.py varies them.
VALUE = re.compile(r"(?<=[(, {])0x[0-9a-f]{6,}|(?<=[fs]p=)0x[0-9a-f]+")
# sha256 of summary() of each shape's dump, as the parser at 0eb2e90 read it (first 16 digits).
PINNED = {"sigquit": "f1edfe7436861699", "debug2": "e3557449ee271fbe"}


def bench_like_dump(shape: str, goroutines: int = GOROUTINES, seed: int = 7) -> str:
    """The captured dump of one program (preamble and all), then ``goroutines`` of the three
    programs' stacks with values of their own and wait stamps of 1 to 1600 minutes."""
    rng = random.Random(seed)
    stacks = []
    for program in ("distributor", "convoy", "healthy"):
        for block in (DATA / f"{program}.{shape}.txt").read_text().split("\n\n"):
            if block.startswith("goroutine "):
                head, _, body = block.strip("\n").partition("\n")
                state = head[head.index("[") + 1 : head.rindex("]")].split(", ")[0]
                stacks.append((state, body))
    blocks = []
    for n in range(1, goroutines + 1):
        state, body = rng.choice(stacks)
        body = VALUE.sub(lambda _: f"{0xC000000000 + rng.randrange(1 << 30) * 8:#x}", body)
        if rng.random() >= 0.3:
            state += f", {rng.randint(1, 1600)} minutes"
        blocks.append(f"goroutine {n * 7 + 1} [{state}]:\n{body}\n")
    return (DATA / f"distributor.{shape}.txt").read_text() + "\n" + "\n".join(blocks)


def summary(dump: GoroutineDump) -> str:
    """Everything the dump and its groups hold, in their order, as one digest."""
    groups = [
        [
            list(g.signature),
            [str(f) for f in g.frames],
            str(g.created_by),
            g.elided,
            g.count,
            list(g.states.items()),
            [[*key, n] for key, n in g.waits.items()],
            g.locked_to_thread,
            g.first_id,
            g.longest_id,
            g.longest_wait,
            g.longest_state,
        ]
        for g in dump.groups
    ]
    whole = [dump.total, dump.malformed, dump.ignored_lines, sorted(dump.shapes), groups]
    return hashlib.sha256(json.dumps(whole).encode()).hexdigest()[:16]


@pytest.mark.parametrize("shape", sorted(PINNED))
def test_a_bench_like_dump_reads_as_before_however_it_is_cut(shape: str) -> None:
    text = bench_like_dump(shape)
    for size in (len(text), 1 << 16, 997):
        chunks = (text[at : at + size] for at in range(0, len(text), size))
        assert summary(parse_goroutine_chunks(chunks)) == PINNED[shape], size
    assert summary(parse_goroutine_lines(text.splitlines())) == PINNED[shape]
