# ruff: noqa: E501 - real-shaped log lines are long
"""Every engine gives exactly the Python ``re`` answer, line by line, whatever the chunking."""

from __future__ import annotations

import io
import random
import re

import pytest

from kubewhy.scanning import LineMatch, PatternSpec, Scanner, available_engines
from kubewhy.scanning import scanner as scanner_module
from kubewhy.scanning.prefilter import CASE_EXTRAS

ENGINES = available_engines()

# Real-shaped lines (kubelet/containerd via journald, kernel, CRI apiserver, etcd JSON) plus
# the tricky cases: CRLF, blank lines, invalid UTF-8, non-ASCII letters and digits, a Kelvin
# sign that IGNORECASE equates with "k", control characters that Python's \s matches.
LINES = [
    b'Jul 23 22:09:01 ip-10-0-1-12 kubelet[1873]: E0723 22:09:01.123456    1873 kubelet.go:2189] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m4.13s ago; threshold is 3m0s"',
    b'Jul 23 22:09:01 ip-10-0-1-12 kubelet[1873]: I0723 22:09:01.200000    1873 prober.go:116] "Probe failed" probeType="Liveness" pod="default/web-0"',
    b"Jul 23 22:09:02 ip-10-0-1-12 kernel: Memory cgroup out of memory: Killed process 48213 (java) total-vm:9123456kB",
    b'Jul 23 22:09:02 ip-10-0-1-12 containerd[912]: time="2023-07-23T22:09:02.1Z" level=info msg="shim disconnected" id=4f1c2a',
    b'2023-07-23T22:09:03.000000001Z stderr F {"level":"warn","msg":"apply request took too long","took":"1.52s"}',
    b'I0723 22:09:04.000001       1 httplog.go:132] "HTTP" verb="GET" URI="/api/v1/pods" resp=200\r',
    b"",
    b"\r",
    b"\xff\xfe invalid utf-8 OOMKilled \xc3",
    b"caf\xc3\xa9 na\xc3\xafve \xd9\xa3 arabic-digit \xe2\x84\xaa kelvin \xc5\xbf long-s",
    b"tab\there\x1cfile-sep\x1fus vertical\x0bfeed\x0c end",
    b"kubelet KUBELET Kubelet k\xe2\x84\xaabelet",
    b"x" * 5000 + b" PLEG is not healthy at the end of a long line",
]

PATTERNS = [
    PatternSpec(r"PLEG is not healthy: pleg was last seen active (?P<ago>\S+) ago"),
    PatternSpec(r'"Probe failed" probeType="(?P<probe>\w+)"'),
    PatternSpec(r"Killed process (?P<pid>\d+) \((?P<comm>[^)]+)\)"),
    PatternSpec(r"shim disconnected", ignore_case=True),
    PatternSpec(r"resp=200$"),
    PatternSpec(r"^$"),
    PatternSpec(r"OOMKilled\s\S"),
    PatternSpec(r"\bna.ve\b"),
    PatternSpec(r"\d arabic"),
    PatternSpec(r"kubelet", ignore_case=True),
    PatternSpec(r"file.sep\sus"),
    PatternSpec(r"here\s+\S+\s"),  # \s matches \x1c..\x1f in Python, not in byte engines
    PatternSpec(r"\w+belet"),
    PatternSpec(r"\ufffd"),
    PatternSpec(r"long.s", ignore_case=True),
    PatternSpec(r"x{3}\s.*end\b"),
    PatternSpec(r"(?i:KILLED) process"),
    PatternSpec(r"ago;(?=\s)"),  # lookahead: prefiltered wider, checked exactly
    PatternSpec(r"(a)?b\1"),
    PatternSpec(r"\Aend\Z|^tab"),
    PatternSpec(r"\s$"),
    PatternSpec(r"a\sb|\nx"),  # a newline cannot be inside a line: never matches
]


def reference(data: bytes, patterns: list[PatternSpec]) -> list[LineMatch]:
    """Line by line with Python re: the definition the engines must meet."""
    # Case is ignored the ASCII way (PatternSpec.flags): part of the definition.
    compiled = [re.compile(p.regex, p.flags) for p in patterns]
    out = []
    offset = 0
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    for number, raw in enumerate(pieces, start=1):
        text = raw.removesuffix(b"\r").decode("utf-8", errors="replace")
        hits = tuple(i for i, c in enumerate(compiled) if c.search(text))
        if hits:
            out.append(LineMatch(number, offset, text, hits))
        offset += len(raw) + 1
    return out


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_real_shaped_lines_match_python_re(engine: str) -> None:
    data = b"\n".join(LINES)  # the last line has no newline
    scanner = Scanner(PATTERNS, engine)
    assert scanner.engine == engine
    expected = reference(data, PATTERNS)
    assert len(expected) >= 10  # the input exercises most patterns
    assert list(scanner.scan_bytes(data)) == expected


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 4096])
def test_any_chunk_size_gives_the_same_lines(engine: str, chunk_size: int) -> None:
    data = b"\n".join(LINES * 3) + b"\n"
    scanner = Scanner(PATTERNS, engine)
    scan = scanner.scan_stream(io.BytesIO(data), chunk_size=chunk_size)
    assert list(scan) == reference(data, PATTERNS)
    assert scan.lines == data.count(b"\n")
    assert scan.bytes_scanned == len(data)


def test_scan_bytes_continues_numbering(engine: str) -> None:
    scanner = Scanner([PatternSpec("PLEG")], engine)
    (match,) = scanner.scan_bytes(b"a\nPLEG\n", first_line=41, base_offset=1000)
    assert (match.line_no, match.offset) == (42, 1002)


_ALPHABET = [
    b"a",
    b"b",
    b"k",
    b"K",
    b"s",
    b" ",
    b"\t",
    b"\r",
    b"1",
    b"-",
    b".",
    b"\\",
    b"\xc3\xa9",
    b"\xe2\x84\xaa",
    b"\xc5\xbf",
    b"\xff",
    b"\x1c",
    b"\xd9\xa3",
    b'"',
]
_ATOMS = [
    "a",
    "b",
    "k",
    "s",
    ".",
    r"\s",
    r"\S",
    r"\d",
    r"\w",
    r"\W",
    "[ab]",
    "[^a]",
    "é",
    r"\b",
    "-",
    r"\.",
    "(?:a|k)",
    "[a-z]",
    r"\\",
    '"',
]
_QUANTIFIERS = ["", "", "", "*", "+", "?", "{2}", "{1,3}", "*?"]


def _random_pattern(rng: random.Random) -> PatternSpec:
    atoms = [rng.choice(_ATOMS) for _ in range(rng.randint(1, 4))]
    body = "".join(a + ("" if a == r"\b" else rng.choice(_QUANTIFIERS)) for a in atoms)
    if rng.random() < 0.15:
        body = "^" + body
    if rng.random() < 0.15:
        body += "$"
    return PatternSpec(body, ignore_case=rng.random() < 0.3)


@pytest.mark.parametrize("seed", range(12))
def test_random_lines_and_patterns(engine: str, seed: int) -> None:
    rng = random.Random(seed)
    lines = [b"".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(300)]
    data = b"\n".join(lines)
    patterns = [_random_pattern(rng) for _ in range(25)]
    scanner = Scanner(patterns, engine)
    expected = reference(data, patterns)
    assert list(scanner.scan_bytes(data)) == expected
    chunked = list(scanner.scan_stream(io.BytesIO(data), chunk_size=rng.randint(1, 200)))
    assert chunked == expected


def test_groups_of_a_pattern_on_a_line() -> None:
    scanner = Scanner(PATTERNS)
    assert scanner.groups(2, "Killed process 48213 (java) x") == {"pid": "48213", "comm": "java"}
    assert scanner.groups(2, "nothing here") == {}


def test_match_at_chunk_boundary_and_last_line_without_newline(engine: str) -> None:
    data = b"0123456789\nabc PLEG\nPLEG"
    scanner = Scanner([PatternSpec("PLEG")], engine)
    for chunk_size in range(1, len(data) + 2):
        found = [
            (m.line_no, m.offset, m.text)
            for m in scanner.scan_stream(io.BytesIO(data), chunk_size=chunk_size)
        ]
        assert found == [(2, 11, "abc PLEG"), (3, 20, "PLEG")]


def test_giant_line_is_cut_into_bounded_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanner_module, "MAX_LINE_BYTES", 1024)
    data = b"first\n" + b"y" * 3000 + b" PLEG" + b"z" * 3000 + b"\nPLEG last\n"
    scan = Scanner([PatternSpec("PLEG")]).scan_stream(io.BytesIO(data), chunk_size=256)
    found = list(scan)
    # The piece holding "PLEG" is reported at the giant line's number; the next line follows.
    assert [m.line_no for m in found] == [2, 3]
    assert "PLEG" in found[0].text and len(found[0].text) <= 1024
    assert found[1].offset == data.index(b"PLEG last")
    assert scan.lines == 3


def test_case_extras_table_matches_python_ignorecase() -> None:
    """The prefilter's table of non-ASCII case twins of ASCII letters is complete."""
    everything = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000)
    for code in range(128):
        char = chr(code)
        twins = tuple(sorted(set(re.findall(re.escape(char), everything, re.IGNORECASE))))
        assert twins == tuple(sorted(CASE_EXTRAS.get(char, ()))), char
