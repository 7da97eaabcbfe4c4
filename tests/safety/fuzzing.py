"""What the fuzz tests and the fuzz campaign (``bench/fuzz_campaign.py``) share: real fixtures
from the repository, mutations an attacker or a broken node would make, and the targets with
what each may raise. Anything else a target raises is a crash: a bug.

Targets: every parser format (sniff, parse, parse_line), format detection, the whole read
(parse, facts, scan, reasoning, every report format) on in-memory evidence, the stream reader
(decompression, decoding), the archive reader, the goroutine parser and analysis, the terminal
session splitter, redaction.
"""

from __future__ import annotations

import contextlib
import io
import random
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIRS = [
    "examples",
    "tests/kb/cases",
    "tests/data",
    "tests/goroutines/data",
    "tests/parsers",
]
FIXTURE_BYTES = 16 << 10
# Values at the edges of what parsers convert: floats, dates, integers, nesting, bytes.
INTERESTING = [
    b"+Inf",
    b"-Inf",
    b"NaN",
    b"1e309",
    b"-0",
    b"99999999999999999999999",
    b"-1",
    b"0",
    b"9999-12-31T23:59:59Z",
    b"0001-01-01T00:00:00Z",
    b"1970-01-01",
    b"Feb 30 25:61:61",
    b"253402300800",
    b"-62135596801",
    b"18446744073709551616",
    b"\x00",
    b"\r",
    b"\xff\xfe",
    b"\xe2\x80\xae",
    b"\x1b[2J",
    b"[" * 3000,
    b"{" * 3000,
    b'{"a":' * 2000,
    b"&a [*a]",
    b"\n" * 50,
    b" " * 5000,
    b"x" * 70_000,
    b"\t",
    b"null",
    b"true",
    b'""',
    b"[]",
    b"{}",
    b"goroutine 1 [running]:\n",
    b"-----BEGIN PRIVATE KEY-----",
    b"==== START logs for",
    b"kind: Pod\n",
    b'"kind":"Pod"',
    b"$ ",
    b"root@node:~# ",
    b"\xef\xbb\xbf",
]


@cache
def fixtures() -> list[bytes]:
    """The first 16 KiB of every text fixture in the repository (sorted: reproducible)."""
    found: list[bytes] = []
    for folder in FIXTURE_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.stat().st_size and path.suffix not in (".py", ".pyc"):
                with path.open("rb") as handle:
                    found.append(handle.read(FIXTURE_BYTES))
    return found


def mutate(rng: random.Random, data: bytes, others: list[bytes]) -> bytes:
    """One to four mutations of ``data``."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(10)
        at = rng.randint(0, len(out))
        if kind == 0 and out:  # flip bytes
            for _ in range(rng.randint(1, 8)):
                out[rng.randrange(len(out))] = rng.randrange(256)
        elif kind in (1, 2):  # an interesting value, instead of or beside what is there
            token = rng.choice(INTERESTING)
            end = at + (rng.randint(0, 12) if kind == 1 else 0)
            out[at:end] = token
        elif kind == 3:  # cut a range
            out[at : at + rng.randint(1, 2000)] = b""
        elif kind == 4 and out:  # repeat a line
            start = out.rfind(b"\n", 0, at) + 1
            end = out.find(b"\n", at)
            line = bytes(out[start : end if end != -1 else len(out)]) + b"\n"
            out[start:start] = line * rng.randint(2, 200)
        elif kind == 5:  # truncate
            del out[at:]
        elif kind == 6:  # splice another fixture in
            other = rng.choice(others)
            begin = rng.randint(0, len(other))
            out[at:at] = other[begin : begin + rng.randint(1, 4000)]
        elif kind == 7:  # replace a number by an extreme one
            digits = [i for i in range(len(out)) if 48 <= out[i] <= 57][:2000]
            if digits:
                where = rng.choice(digits)
                end = where
                while end < len(out) and (48 <= out[end] <= 57 or out[end] == 46):
                    end += 1
                out[where:end] = rng.choice(INTERESTING[:13])
        elif kind == 8:  # random bytes
            out[at:at] = rng.randbytes(rng.randint(1, 64))
        else:  # swap two lines
            lines = bytes(out).split(b"\n")
            if len(lines) > 2:
                i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
                out = bytearray(b"\n".join(lines))
    return bytes(out)


def containers(rng: random.Random, data: bytes) -> bytes:
    """``data`` inside something a reader must open: gzip, zstd, a tar, a zip, possibly cut."""
    import gzip

    import zstandard

    kind = rng.randrange(5)
    if kind == 0:
        packed = gzip.compress(data, 1)
    elif kind == 1:
        packed = zstandard.ZstdCompressor(level=1).compress(data)
    elif kind == 2:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            info = tarfile.TarInfo(rng.choice(["a.log", "../x.log", "/abs/y", "d/e.json"]))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        packed = buffer.getvalue()
    elif kind == 3:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(rng.choice(["a.log", "../x.log", "d/e.json"]), data)
        packed = buffer.getvalue()
    else:
        packed = data
    if rng.random() < 0.5 and packed:  # cut or corrupt the container itself
        packed = mutate(rng, packed, [packed])
    return packed


# --- targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes, Path], None]
    # What it may raise on bad input (its documented failures); anything else is a crash.
    allowed: tuple[type[BaseException], ...] = ()


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def each_format(data: bytes, _: Path, only: int | None = None) -> None:
    """Detection, then every format's sniff and parse (or only the ``only``-th format)."""
    from kubewhy.parsers.base import Context
    from kubewhy.parsers.loading import CapReachedError
    from kubewhy.parsers.registry import all_formats, detect

    text = _text(data)
    head = text.splitlines()[:60]
    detect(head)
    logs, docs = all_formats()
    formats: list[object] = [*docs, *logs]
    if only is not None:
        formats = [formats[only % len(formats)]]
    ctx = Context("fuzz", node="node-1")
    for fmt in formats:
        score = fmt.sniff(head)  # type: ignore[attr-defined]
        assert 0.0 <= score <= 1.0, (fmt, score)
        if hasattr(fmt, "parse_line"):
            for line in head:
                fmt.parse_line(line)
        else:
            with contextlib.suppress(CapReachedError):  # a bound of the run, reported as such
                fmt.parse(text, ctx)  # type: ignore[attr-defined]


@cache
def _kb() -> object:
    from kubewhy.kb.load import default_knowledge_base

    return default_knowledge_base()


def whole_read(data: bytes, _: Path) -> None:
    """In-memory evidence through every stage and every report format."""
    from kubewhy.facts.build import build_facts
    from kubewhy.kb.checks import Observed
    from kubewhy.kb.scan import scan_evidence
    from kubewhy.model.reading import ReadReport
    from kubewhy.parsers.read import parse_inputs
    from kubewhy.reasoning import reason
    from kubewhy.reports import render
    from kubewhy.sources.files import InputFile, Inputs

    kb = _kb()
    inputs = Inputs(files=[InputFile(Path("fuzz.log"), "fuzz.log", data=data)])
    parsed = parse_inputs(inputs)
    broken = [g for g in parsed.gaps if "parser failed" in g.detail]
    assert not broken, broken  # a parser that fails costs a whole file: a bug
    facts = build_facts(parsed)
    scan = scan_evidence(parsed, facts, kb, 1)  # type: ignore[arg-type]
    read = ReadReport(parsed.read, parsed.gaps + scan.gaps, parsed.parse_errors)
    diagnosis = reason(Observed(facts.store, scan.hits, facts.dumps), kb, read)  # type: ignore[arg-type]
    for fmt in ("text", "json", "markdown"):
        render(diagnosis, fmt)  # type: ignore[arg-type]


def stream(data: bytes, _: Path) -> None:
    from kubewhy.model.caps import Caps
    from kubewhy.sources.streams import StreamError, open_bytes

    caps = Caps(input_bytes=8 << 20, ratio_floor=1 << 20)
    try:
        with open_bytes(data, caps) as reader:
            while reader.read(1 << 16):
                pass
    except StreamError:
        pass


def archive(data: bytes, scratch: Path) -> None:
    from kubewhy.model.caps import Caps
    from kubewhy.sources.archives import Extractor

    path = scratch / "fuzz.archive"
    path.write_bytes(data)
    extractor = Extractor(Caps(extract_bytes=16 << 20, ratio_floor=1 << 20, members=200))
    try:
        extractor.extract(path, "fuzz!")
    finally:
        extractor.cleanup()


def goroutines(data: bytes, _: Path) -> None:
    from kubewhy.facts.goroutines import analyze
    from kubewhy.parsers.goroutines import parse_goroutine_lines

    analyze(parse_goroutine_lines(_text(data).splitlines()))


def sessions(data: bytes, _: Path) -> None:
    from kubewhy.parsers.sessions import prompt_host, starts_session, transcript_sections

    text = _text(data[:8192])  # the splitter's own speed is its owner's work: small inputs
    for line in text.splitlines()[:50]:
        starts_session(line)
        prompt_host(line)
    transcript_sections(text)


def redaction(data: bytes, _: Path) -> None:
    from kubewhy.model.obfuscate import Obfuscator
    from kubewhy.model.redact import redact
    from kubewhy.reports.safe import safe_text

    text = _text(data)
    safe_text(redact(text))
    Obfuscator(hosts=["node-1"]).text(text)


TARGETS = [
    Target("formats", each_format),
    Target("whole-read", whole_read),
    Target("stream", stream),
    Target("archive", archive),
    Target("goroutines", goroutines),
    Target("sessions", sessions),
    Target("redaction", redaction),
]
