"""The presence finder: which patterns occur in a text, each told once, never one missed.

Its patterns are whole translations (``translate_whole``): supersets of the Python patterns'
lines that keep their anchors and leading classes.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from kubewhy.scanning import engines
from kubewhy.scanning.engines import available_engines, presence_finder
from kubewhy.scanning.prefilter import translate, translate_whole

pytestmark = pytest.mark.skipif(
    "hyperscan" not in available_engines(), reason="hyperscan is not installed"
)

# Case twins (the long s, the Kelvin sign), Unicode blanks and digits, a replaced byte.
_PIECES = [*"akKsſ\u212a \t\u00a01٣-:é\ufffd"]
_ATOMS = ["a", "k", "s", ".", r"\s", r"\S", r"\d", r"\w", "[ab]", "[^a]", "é", "-", ":", "(?:a|k)"]
_QUANTIFIERS = ["", "", "*", "+", "?", "{2}", "{1,3}", "++"]


def _pattern(rng: random.Random) -> tuple[str, int]:
    body = "".join(rng.choice(_ATOMS) + rng.choice(_QUANTIFIERS) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.3:
        body = r"^\s*" + body
    if rng.random() < 0.2:
        body += r"\s*$"
    return body, re.IGNORECASE if rng.random() < 0.3 else 0


@pytest.mark.parametrize("seed", range(8))
def test_every_pattern_python_finds_in_a_line_is_found(seed: int) -> None:
    rng = random.Random(seed)
    lines = ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 20))) for _ in range(12)]
    specs = [_pattern(rng) for _ in range(30)]
    translated = [translate_whole(regex, flags) for regex, flags in specs]
    finder = presence_finder([(i, t) for i, t in enumerate(translated) if t is not None])
    assert finder is not None
    found = finder.present("\n".join(lines).encode("utf-8"))
    for index, (regex, flags) in enumerate(specs):
        if translated[index] is not None and any(re.search(regex, x, flags) for x in lines):
            assert index in found, (regex, lines)


def test_each_pattern_is_told_once_however_often_it_occurs() -> None:
    finder = presence_finder([(0, "ab"), (3, "^x"), (5, "zz")])
    assert finder is not None
    assert finder.present(b"ab ab\nx ab\nxx") == {0, 3}


def test_whole_translation_keeps_the_anchor_and_the_leading_classes() -> None:
    # translate() starts a KB pattern's prefilter at its first literal or group holding one
    # (cheaper to search for): here the optional minus, so any digit would hold it.
    regex = r"^\s*[A-Z][A-Za-z0-9]*:\s+-?\d"
    line = b"Jul 23 22:00:00 n kubelet[1873]: x"
    cut = translate(regex, 0)
    assert cut is not None and re.search(cut.encode(), line)
    whole = translate_whole(regex, 0)
    assert whole is not None and whole.startswith("^")
    assert not re.search(whole.encode(), line)


def test_kept_apart_from_the_scanner_databases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEWHY_CACHE_DIR", str(tmp_path))
    first = presence_finder([(0, "ab")])
    assert first is not None and first.present(b"xab") == {0}
    (cached,) = tmp_path.glob("presence-*.db")
    again = presence_finder([(0, "ab")])  # from the cache
    assert again is not None and again.present(b"xab") == {0}
    assert not list(tmp_path.glob("hyperscan-*.db"))
    cached.write_bytes(b"not a database")
    repaired = presence_finder([(0, "ab")])
    assert repaired is not None and repaired.present(b"ab") == {0}


def test_none_without_hyperscan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "_hyperscan", None)
    assert presence_finder([(0, "ab")]) is None
