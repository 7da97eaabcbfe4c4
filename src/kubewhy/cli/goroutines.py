"""``kubewhy goroutines DUMP``: leaks, lock convoys and known signatures in a Go goroutine dump.

Exit codes, as for every command (see ``kubewhy.cli.main``): 0 nothing notable, 1 leaks, convoys
or known signatures found, 2 bad usage (no such file, an unknown format, an output that cannot be
written), 3 a dump that cannot be read or holds no goroutines (one line on stderr).
"""

from __future__ import annotations

import lzma
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import get_args

from kubewhy.errors import KubewhyError
from kubewhy.kb.schema import GoroutineSignature
from kubewhy.pipeline.goroutines import analyze_dump
from kubewhy.reports.goroutines import Format, render
from kubewhy.reports.safe import prepared_text

EXIT_OK = 0
EXIT_NOTABLE = 1
EXIT_USAGE = 2
EXIT_UNREAD = 3
READ_ERRORS = (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError, KubewhyError)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    """One line on stderr, redacted and escaped like every message of kubewhy's own."""
    print(f"kubewhy goroutines: {prepared_text(message, escape=True)}", file=sys.stderr)
    return code


def knowledge_base_signatures() -> Sequence[tuple[str, GoroutineSignature]]:
    """The goroutine signatures of the built-in knowledge base; none if it does not load."""
    try:
        from kubewhy.kb.load import load_knowledge_base

        return load_knowledge_base(patterns=False).goroutine_signatures()
    except (ImportError, AttributeError, KubewhyError) as exc:
        print(f"kubewhy goroutines: knowledge base not loaded ({exc})", file=sys.stderr)
        return ()


def goroutines_command(dump: Path, fmt: str = "text", output: Path | None = None) -> int:
    """Analyse ``dump``, write the report to ``output`` (default stdout), return the exit code."""
    formats: tuple[Format, ...] = get_args(Format)
    if fmt not in formats:
        return _fail(f"unknown format {fmt!r} (choose from {', '.join(formats)})")
    chosen: Format = next(f for f in formats if f == fmt)
    if not dump.is_file():
        return _fail(f"{dump}: no such file")
    try:
        report = analyze_dump(dump, knowledge_base_signatures())
    except READ_ERRORS as exc:
        return _fail(f"{dump}: cannot read: {exc}", EXIT_UNREAD)
    if report.total == 0:
        return _fail(f"{dump}: no goroutines found (not a Go goroutine dump?)", EXIT_UNREAD)
    text = render(report, chosen)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            return _fail(f"{output}: cannot write: {exc}")
    return EXIT_NOTABLE if report.notable else EXIT_OK
