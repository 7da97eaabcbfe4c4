"""The parse stage: every input's format detected by content, documents parsed, logs set aside.

1. Read an input's first lines and detect its format (a manifest's format hint wins).
2. A pasted terminal session is split per command; each section is detected on its own.
3. Documents (describe output, API objects, ps, sysctl, goroutine dumps, ...) are parsed whole:
   facts, records to match, exact time anchors, goroutine dumps.
4. Logs are not read here: the knowledge base's scan reads them once, in full. Only the
   kernel's multi-line reports (OOM reports, hung tasks, soft lockups) are looked for in them,
   and goroutine dumps, each in a bounded pass of its own.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from kubewhy.model.bundle import Gap
from kubewhy.model.components import of_log_file_name
from kubewhy.model.diagnosis import InputRef
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.model.times import Stamp
from kubewhy.parsers.base import Context, LogFormat, ParseResult
from kubewhy.parsers.commands import COMMANDS
from kubewhy.parsers.kernel_reports import KernelReports, reports_in_text
from kubewhy.parsers.loading import CapReachedError, using
from kubewhy.parsers.registry import Detected, detect, format_by_name
from kubewhy.parsers.saved_queries import is_query_source, saved_queries
from kubewhy.parsers.sessions import Section, starts_session, transcript_sections
from kubewhy.parsers.shell import origin_of, parse_command
from kubewhy.parsers.stamps import exact_stamps
from kubewhy.sources.files import InputFile, Inputs
from kubewhy.sources.node.reader import ReadTimeoutError, time_limit
from kubewhy.sources.streams import notes_of

HEAD_BYTES = 64 << 10
MAX_TRANSCRIPT_BYTES = 16 << 20
# A goroutine dump inside a log (a SIGQUIT written to the kubelet's journal) is looked for in
# logs up to this size; bigger ones are scanned for symptoms only.
MAX_DUMP_SEARCH_BYTES = 64 << 20
# Small logs read whole with their head are kept for the scan up to this many bytes in all.
WHOLE_LOGS_BYTES = 32 << 20
_DUMP_HEADER = re.compile(rb"(?:^|\n)[^\n]{0,120}?goroutine \d+ \[[^\]\n]{1,80}\]:")
# Structured documents whose lines are not messages: their records are what they say, and a
# scan of their raw lines would only repeat (or invent) them.
STRUCTURED = frozenset(
    {
        "k8s-objects",
        "prometheus-json",
        "prometheus-evidence",
        "prometheus-text",
        "events-export",
        "apiserver-version",
        "node-processes",
        "node-cgroups",
        "node-kernel",
        "node-limits",
        # Counters, flow tables and request records: their facts say what the lines hold.
        "kernel-net-counters",
        "conntrack-list",
        "conntrack-proc-stats",
        "apiserver-audit",
        "ip-link",
        "ethtool-features",
        "lsmod",
        "kernel-cmdline",
        # Messages among etcdctl's rows are records; the rows are facts.
        "etcdctl",
    }
)
# A line of a YAML or JSON manifest: indented, a key, a list item, a document marker, a comment
# or a bracket. Anything else at the start of a line is no part of the manifest (the error
# ``kubectl apply`` printed under the ``cat`` of it, pasted in one block).
_MANIFEST_LINE = re.compile(
    r"""^(?:\s|$|---|\.\.\.|#|- |[{}\[\],]|["']?[\w./-]+["']?\s*:(?:\s|$))"""
)
# A manifest a person pasted is far smaller; what is larger was written by a program.
_PASTED_MANIFEST_MAX = 1 << 20


def _unstructured_part(fmt: str, text: str) -> str | None:
    """What the scan of raw lines reads of a parsed document: all of it, except for structured
    formats, whose records are what they say; of Kubernetes manifests, the lines that are no
    part of them nor a prompt, at their own line numbers (the others left blank), or None when
    there are none."""
    if fmt not in STRUCTURED:
        return text
    # Only pasted YAML holds foreign lines: JSON that parsed is one value, and a collected dump
    # (hundreds of megabytes, written by a program) is not read line by line again (a second
    # per-line pass cost a second per 50 MB).
    if fmt != "k8s-objects" or len(text) > _PASTED_MANIFEST_MAX or text.lstrip()[:1] in "{[":
        return None
    lines = text.split("\n")
    kept = ["" if _MANIFEST_LINE.match(line) or starts_session(line) else line for line in lines]
    return "\n".join(kept) if any(kept) else None


# What a bug in one parser may raise on odd input: it costs that input (a gap), never the run.
PARSER_FAILURES = (Exception, RecursionError, MemoryError)


@dataclass
class ParsedDocument:
    """A document input (or one command of a terminal session), parsed. ``text`` keeps its
    lines (numbered from ``first_line``) for the scan of raw lines: a document is read for
    everything it holds, not only for what its format's parser understood."""

    file: InputFile
    ctx: Context
    result: ParseResult
    head_stamps: list[Stamp]
    text: str | None = field(default=None, repr=False)
    first_line: int = 1
    # The kernel's reports among its lines (a dmesg pasted under a prompt).
    kernel: KernelReports = field(default_factory=KernelReports, repr=False)
    # The log format of its lines, when it is a log pasted under a prompt: it dates them.
    log_format: LogFormat | None = field(default=None, repr=False)


@dataclass
class LogInput:
    """A log input, detected but not yet read: the scan reads it."""

    file: InputFile
    ctx: Context
    fmt: LogFormat | None
    head: list[str]
    head_stamps: list[Stamp]
    # The whole log when its head was all of it: the scan reads these bytes instead of opening
    # the file again (thousands of small pod logs).
    whole: bytes | None = None


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
    caps = inputs.files[0].caps if inputs.files else None
    with using(caps) if caps is not None else contextlib.nullcontext():
        return _parse_all(inputs)


def _parse_all(inputs: Inputs) -> Parsed:
    out = Parsed(gaps=list(inputs.gaps))
    kept = 0  # bytes of whole small logs kept for the scan (WHOLE_LOGS_BYTES at most)
    queries = _saved_queries(inputs)
    for file in inputs.files:
        name = _base_name(file.display)
        # The file's name names its program when no component does.
        program = of_log_file_name(name) if file.component is None else None
        ctx = Context(
            file.display, file.node, file.component, file.namespace, file.pod, program=program
        )
        if name in queries:
            ctx = replace(ctx, command=queries[name])
        try:
            head, whole = _read_head(file, out)
        except (OSError, EOFError, ValueError) as exc:
            out.gaps.append(_gap_of(file.display, exc))
            continue
        detected = (format_by_name(file.format_hint) if file.format_hint else None) or detect(head)
        if not file.format_hint and any(starts_session(line) for line in head):
            sections = _transcript(file)
            if sections:
                for section in sections:
                    _add_section(file, ctx, section, len(sections) > 1, out)
                continue
        out.read.append(InputRef(path=file.display, format=detected.name))
        if detected.document is not None:
            parsed = _parse_document(file, detected, ctx, out)
            if parsed is not None:
                result, text, understood = parsed
                raw = _unstructured_part(detected.name, text) if understood else text
                doc = ParsedDocument(file, ctx, result, exact_stamps(head), raw)
                if raw is not None:
                    doc.kernel = reports_in_text(raw)
                out.documents.append(doc)
                if result.malformed:
                    out.parse_errors[file.display] = result.malformed
        elif detected.name != "empty":
            if whole is not None and kept + len(whole) > WHOLE_LOGS_BYTES:
                whole = None
            kept += len(whole or b"")
            log = LogInput(file, ctx, detected.log, head, exact_stamps(head), whole)
            out.logs.append(log)
            _dump_in_log(file, ctx, out, whole)
    return out


def _base_name(display: str) -> str:
    """``PurePosixPath(display).name`` without building the path (12 µs a file of a folder of
    thousands): the last component, unless it is empty or ``.``, which the path skips."""
    last = display.rpartition("/")[2]
    return last if last not in ("", ".") else PurePosixPath(display).name


def _gap_of(origin: str, exc: BaseException) -> Gap:
    """A read failure as a gap: the stream layer says why (``unreadable``, ``cap``...)."""
    return Gap(origin=origin, reason=getattr(exc, "reason", "error"), detail=str(exc))


def _note(file: InputFile, stream: object, out: Parsed) -> None:
    for reason, detail in notes_of(stream):
        gap = Gap(origin=file.display, reason=reason, detail=detail)
        if gap not in out.gaps:
            out.gaps.append(gap)


def _saved_queries(inputs: Inputs) -> dict[str, str]:
    """Answer file name -> the command that saved it, from the export's listing files."""
    found: dict[str, str] = {}
    for file in inputs.files:
        if not is_query_source(file.display):
            continue
        try:
            with file.open() as stream:
                text = stream.read(HEAD_BYTES).decode("utf-8", errors="replace")
        except (OSError, EOFError, ValueError):
            continue  # the file's own turn in the loop reports it
        found.update(saved_queries(file.display, text))
    return found


def _read_head(file: InputFile, out: Parsed) -> tuple[list[str], bytes | None]:
    """The first lines of ``file``, and all its bytes when they fit in the head."""
    with file.open() as stream:
        data = stream.read(HEAD_BYTES)
        # A short read is the end only if nothing follows (a stream may return less).
        ended = len(data) < HEAD_BYTES and not stream.read(1)
        _note(file, stream, out)
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(data) == HEAD_BYTES and len(lines) > 1:
        lines.pop()  # the last line may be cut (a first line longer than the head is kept)
    return lines, data if ended else None


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
        ctx = _with_origin(replace(ctx, command=section.prompt.command))
    detected, skipped = _section_format(lines)
    where = f"{file.display}:{section.start}" if several else file.display
    out.read.append(InputRef(path=where, format=detected.name))
    offset = section.start - 1 + skipped
    if detected.document is not None:
        # A format told without the prompt line reads the output without it too.
        text = "\n".join(lines[skipped:]) if skipped else section.body
        result: ParseResult | None
        try:
            result = detected.document.parse(text, ctx)
        except CapReachedError as exc:
            out.gaps.append(Gap(origin=where, reason="cap", detail=str(exc)))
            return
        except PARSER_FAILURES as exc:  # a parser bug must not sink the diagnosis: record it
            detail = f"{detected.name} parser failed: {type(exc).__name__}: {exc}"
            out.gaps.append(Gap(origin=where, reason="error", detail=detail))
            result = None
        if result is None:  # its lines are still scanned, like a command's no reader knows
            doc = ParsedDocument(
                file, ctx, ParseResult(), exact_stamps(lines), section.body, section.start
            )
            out.documents.append(doc)
            return
        # A section read for its facts is still lines, as a whole file is: the scan reads them
        # too (a warning printed under a listing, a log line the format's reader did not take),
        # except what the format's facts say all of (a prompt line the format was told without
        # is left blank in its place).
        raw = _unstructured_part(detected.name, "\n" * skipped + text)
        doc = ParsedDocument(
            file, ctx, _shifted(result, offset), exact_stamps(lines), raw, section.start
        )
        if raw is not None:
            doc.kernel = reports_in_text(raw, None, section.start)
        out.documents.append(doc)
        if result.malformed:
            out.parse_errors[file.display] = result.malformed
        return
    # Output of a command no parser knows (dmesg, journalctl, a log): its raw lines are scanned
    # like a log's, and read for the kernel's reports.
    doc = ParsedDocument(file, ctx, ParseResult(), exact_stamps(lines), section.body, section.start)
    doc.kernel = reports_in_text(section.body, detected.log, section.start)
    doc.log_format = detected.log
    out.documents.append(doc)


def _with_origin(ctx: Context) -> Context:
    """What the command says about whose output follows (``kubectl logs coredns-x``,
    ``journalctl -u containerd``), where the input itself did not say."""
    pipeline = parse_command(ctx.command or "")
    if pipeline is None:
        return ctx
    origin = origin_of(pipeline)
    return replace(
        ctx,
        component=ctx.component or origin.component,
        pod=ctx.pod or origin.pod,
        namespace=ctx.namespace or origin.namespace,
        program=origin.program,
    )


def _section_format(lines: list[str]) -> tuple[Detected, int]:
    """A known command's reader first; else the output's own format, detected with the prompt
    line and, failing that, without it (a table under a prompt is still a table); with how many
    lines the format's reader must skip (1: the prompt's)."""
    if lines and COMMANDS.sniff(lines[:1]) > 0:
        return Detected(COMMANDS.name, None, COMMANDS, 1.0), 0
    detected = detect(lines)
    if detected.document is None and detected.log is None and len(lines) > 1:
        without_prompt = detect(lines[1:])
        if without_prompt.document is not None:
            return without_prompt, 1
    return detected, 0


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

    def restamped(stamp: Stamp | None) -> Stamp | None:
        # A listing's clock is named by the line it starts on: the file's line, not the section's.
        if stamp is None or stamp.listed is None:
            return stamp
        return replace(stamp, listed=replace(stamp.listed, line=stamp.listed.line + offset))

    result.records = [
        replace(
            r,
            line=r.line + offset if r.line is not None else None,
            stamp=restamped(r.stamp),
            since=restamped(r.since),
        )
        for r in result.records
    ]
    return result


def _parse_document(
    file: InputFile, detected: Detected, ctx: Context, out: Parsed
) -> tuple[ParseResult, str, bool] | None:
    """The document's parse, its text and whether its parser understood it; None when it could
    not be read or a cap stopped it. A parser that fails on it is a gap, and the text is still
    scanned line by line like a log's: a bug in one reader never hides a whole file."""
    assert detected.document is not None
    limit = file.caps.document_bytes
    try:
        with file.open() as stream:
            data = stream.read(limit + 1)
            _note(file, stream, out)
    except (OSError, EOFError, ValueError) as exc:
        out.gaps.append(_gap_of(file.display, exc))
        return None
    if len(data) > limit:
        detail = f"a document larger than {limit >> 20} MiB, not parsed; "
        detail += file.caps.raise_hint("document-bytes")
        out.gaps.append(Gap(origin=file.display, reason="cap", detail=detail))
        return None
    text = data.decode("utf-8", errors="replace")
    del data
    try:
        with time_limit(file.caps.input_seconds):
            return detected.document.parse(text, ctx), text, True
    except ReadTimeoutError:
        detail = f"{detected.name}: parsing stopped; " + file.caps.raise_hint("input-seconds")
        out.gaps.append(Gap(origin=file.display, reason="cap", detail=detail))
        return None
    except MemoryError:
        detail = f"{detected.name}: out of memory while parsing; " + file.caps.raise_hint("memory")
        out.gaps.append(Gap(origin=file.display, reason="cap", detail=detail))
        return None
    except CapReachedError as exc:
        out.gaps.append(Gap(origin=file.display, reason="cap", detail=str(exc)))
        return None
    except PARSER_FAILURES as exc:  # a parser bug must not sink the diagnosis: record it
        detail = f"{detected.name} parser failed: {type(exc).__name__}: {exc}"
        out.gaps.append(Gap(origin=file.display, reason="error", detail=detail))
        return ParseResult(), text, False


def _dump_in_log(file: InputFile, ctx: Context, out: Parsed, whole: bytes | None) -> None:
    """A goroutine dump anywhere in a log (a SIGQUIT or SIGABRT written to the journal): parsed
    beside the log, which is still scanned for symptoms. ``whole``: the log, if already read."""
    if whole is not None:
        data = whole
    elif file.size() > MAX_DUMP_SEARCH_BYTES:
        return
    else:
        try:
            with file.open() as stream:
                data = stream.read(MAX_DUMP_SEARCH_BYTES + 1)
        except (OSError, EOFError, ValueError):
            return  # the log scan reports what cannot be read
    if len(data) > MAX_DUMP_SEARCH_BYTES:
        return
    # The literal first: the regex starts with an alternation, so it is tried at every byte.
    if b"goroutine " not in data or not _DUMP_HEADER.search(data):
        return
    from kubewhy.parsers.goroutines import GOROUTINES

    try:
        result = GOROUTINES.parse(data.decode("utf-8", errors="replace"), ctx)
    except PARSER_FAILURES as exc:  # the log is still scanned; the dump is a gap
        detail = f"goroutine dump in the log not parsed: {type(exc).__name__}: {exc}"
        out.gaps.append(Gap(origin=file.display, reason="error", detail=detail))
        return
    if result.goroutine_dumps and result.goroutine_dumps[0].total:
        out.read.append(InputRef(path=file.display, format=GOROUTINES.name))
        out.documents.append(ParsedDocument(file, ctx, result, []))
