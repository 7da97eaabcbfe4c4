"""A goroutine dump file, read, parsed and analysed (``kubewhy goroutines DUMP``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kubewhy.facts.goroutines import GoroutineReport, GoroutineSignature, Thresholds, analyze
from kubewhy.parsers.goroutines import parse_goroutine_stream
from kubewhy.sources.streams import open_text


def analyze_dump(
    path: Path,
    signatures: Sequence[tuple[str, GoroutineSignature]] = (),
    thresholds: Thresholds | None = None,
) -> GoroutineReport:
    """Parse and analyse a dump file (compressed ones too)."""
    with open_text(path) as stream:
        dump = parse_goroutine_stream(stream)
    return analyze(dump, signatures, thresholds)
