"""The parse stage: every input's format detected by content, documents parsed, logs set aside.

1. Read an input's first lines and detect its format (a manifest's format hint wins).
2. A pasted terminal session is split per command; each section is detected on its own.
3. Documents (describe output, API objects, ps, sysctl, goroutine dumps, ...) are parsed whole:
   facts, records to match, exact time anchors, goroutine dumps.
4. Logs are not read here: the knowledge base's scan reads them once, in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from kubewhy.model.bundle import Gap
from kubewhy.model.diagnosis import InputRef
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.model.times import Stamp
from kubewhy.parsers.base import Context, LogFormat, ParseResult, Record
from kubewhy.parsers.commands import COMMANDS
from kubewhy.parsers.registry import Detected, all_formats, detect
from kubewhy.parsers.sessions import Section, starts_session, transcript_sections
from kubewhy.parsers.stamps import exact_stamps
from kubewhy.sources.files import InputFile, Inputs

HEAD_BYTES = 64 << 10
MAX_TRANSCRIPT_BYTES = 16 << 20
MAX_DOCUMENT_BYTES = 1 << 30


@dataclass
class ParsedDocument:
    """A document input (or one command of a terminal session), parsed."""

    file: InputFile
    ctx: Context
    result: ParseResult
    head_stamps: list[Stamp]


@dataclass
class LogInput:
    """A log input, detected but not yet read: the scan reads it."""

    file: InputFile
    ctx: Context
    fmt: LogFormat | None
    head: list[str]
    head_stamps: list[Stamp]


@dataclass
class Parsed:
    documents: list[ParsedDocument] = field(default_factory=list)
    logs: list[LogInput] = field(default_factory=list)
    # Every input and the format it was read as, in the order met.
    read: list[InputRef] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    # Lines or values of a format that did not parse, per input.
    parse_errors: dict[str, int] = field(default_factory=dict)


def parse_inputs(inputs: Inputs) -> Parsed:
    out = Parsed(gaps=list(inputs.gaps))
    for file in inputs.files:
        ctx = Context(file.display, file.node, file.component, file.namespace, file.pod)
        try:
            head = _read_head(file)
        except (OSError, EOFError, ValueError) as exc:
            out.gaps.append(Gap(origin=file.display, reason="error", detail=str(exc)))
            continue
        detected = (_format_by_name(file.format_hint) if file.format_hint else None) or detect(head)
        if not file.format_hint and starts_session(head[0] if head else ""):
            sections = _transcript(file)
            if sections:
                for section in sections:
                    _add_section(file, ctx, section, len(sections) > 1, out)
                continue
        out.read.append(InputRef(path=file.display, format=detected.name))
        if detected.document is not None:
            result = _parse_document(file, detected, ctx, out)
            if result is not None:
                out.documents.append(ParsedDocument(file, ctx, result, exact_stamps(head)))
                if result.malformed:
                    out.parse_errors[file.display] = result.malformed
        elif detected.name != "empty":
            out.logs.append(LogInput(file, ctx, detected.log, head, exact_stamps(head)))
    return out


def _read_head(file: InputFile) -> list[str]:
    with file.open() as stream:
        data = stream.read(HEAD_BYTES)
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(data) == HEAD_BYTES and lines:
        lines.pop()  # the last line may be cut
    return lines


def _format_by_name(name: str) -> Detected | None:
    logs, docs = all_formats()
    for log in logs:
        if log.name == name:
            return Detected(name, log, None, 1.0)
    for doc in docs:
        if doc.name == name:
            return Detected(name, None, doc, 1.0)
    return None


def _transcript(file: InputFile) -> list[Section] | None:
    try:
        with file.open() as stream:
            data = stream.read(MAX_TRANSCRIPT_BYTES + 1)
    except (OSError, EOFError, ValueError):
        return None
    if len(data) > MAX_TRANSCRIPT_BYTES:
        return None
    return transcript_sections(data.decode("utf-8", errors="replace"))


def _add_section(
    file: InputFile, ctx: Context, section: Section, several: bool, out: Parsed
) -> None:
    """One command of a terminal session, read with the command that printed it; the prompt's
    host (root@node-7:~#) says which node the output is from. Line numbers are the file's."""
    lines = section.body.splitlines()
    if section.prompt is not None:
        if section.prompt.host and ctx.node is None:
            ctx = replace(ctx, node=section.prompt.host)
        ctx = replace(ctx, command=section.prompt.command)
    detected = _section_format(lines)
    where = f"{file.display}:{section.start}" if several else file.display
    out.read.append(InputRef(path=where, format=detected.name))
    offset = section.start - 1
    if detected.document is not None:
        try:
            result = detected.document.parse(section.body, ctx)
        except Exception as exc:  # a parser bug must not sink the diagnosis: record it
            detail = f"{detected.name} parser failed: {exc}"
            out.gaps.append(Gap(origin=where, reason="error", detail=detail))
            return
        out.documents.append(
            ParsedDocument(file, ctx, _shifted(result, offset), exact_stamps(lines))
        )
        if result.malformed:
            out.parse_errors[file.display] = result.malformed
        return
    # Output of a command no parser knows: still matched against the log patterns.
    records = [Record(text, n + offset) for n, text in enumerate(lines, 1) if text.strip()]
    out.documents.append(
        ParsedDocument(file, ctx, ParseResult(records=records), exact_stamps(lines))
    )


def _section_format(lines: list[str]) -> Detected:
    """A known command's reader first; else the output's own format, detected with the prompt
    line and, failing that, without it (a table under a prompt is still a table)."""
    if lines and COMMANDS.sniff(lines[:1]) > 0:
        return Detected(COMMANDS.name, None, COMMANDS, 1.0)
    detected = detect(lines)
    if detected.document is None and detected.log is None and len(lines) > 1:
        without_prompt = detect(lines[1:])
        if without_prompt.document is not None:
            return without_prompt
    return detected


def _shifted(result: ParseResult, offset: int) -> ParseResult:
    """``result`` with every cited line moved down by ``offset`` (a section's place in its file)."""
    if not offset:
        return result

    def moved(evidence: Evidence | None) -> Evidence | None:
        if evidence is None or evidence.line is None:
            return evidence
        return replace(evidence, line=evidence.line + offset)

    result.facts = [
        fact
        if fact.evidence is None or fact.evidence.line is None
        else Fact(fact.name, fact.entity, fact.value, moved(fact.evidence))
        for fact in result.facts
    ]
    result.records = [
        replace(r, line=r.line + offset) if r.line is not None else r for r in result.records
    ]
    return result


def _parse_document(
    file: InputFile, detected: Detected, ctx: Context, out: Parsed
) -> ParseResult | None:
    assert detected.document is not None
    try:
        with file.open() as stream:
            data = stream.read(MAX_DOCUMENT_BYTES + 1)
    except (OSError, EOFError, ValueError) as exc:
        out.gaps.append(Gap(origin=file.display, reason="error", detail=str(exc)))
        return None
    if len(data) > MAX_DOCUMENT_BYTES:
        detail = f"larger than {MAX_DOCUMENT_BYTES >> 20} MiB, not parsed"
        out.gaps.append(Gap(origin=file.display, reason="too-large", detail=detail))
        return None
    text = data.decode("utf-8", errors="replace")
    try:
        return detected.document.parse(text, ctx)
    except Exception as exc:  # a parser bug must not sink the diagnosis: record it
        detail = f"{detected.name} parser failed: {type(exc).__name__}: {exc}"
        out.gaps.append(Gap(origin=file.display, reason="error", detail=detail))
        return None
