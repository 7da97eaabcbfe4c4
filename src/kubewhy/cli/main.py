"""The ``kubewhy`` command (also installed as ``kubectl-why``, a kubectl plugin).

Exit codes: 0 no finding, 1 findings, 2 bad usage or unreadable input (one line on stderr).
"""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from kubewhy import __version__
from kubewhy.errors import KubewhyError, UsageError
from kubewhy.model.diagnosis import Diagnosis

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Why is my Kubernetes node, pod or control plane broken? Cause, chain, evidence, fix.",
)
collect_app = typer.Typer(
    help="Collect evidence into a bundle to diagnose elsewhere.", no_args_is_help=True
)
app.add_typer(collect_app, name="collect")


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Report format.")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
]


def fail(message: str) -> NoReturn:
    typer.echo(f"kubewhy: {message}", err=True)
    raise typer.Exit(2)


def parse_timezone(value: str | None) -> int | None:
    """``+08:00``, ``-0500``, ``UTC`` -> minutes east of UTC.

    >>> parse_timezone("+08:00"), parse_timezone("-0530"), parse_timezone("UTC")
    (480, -330, 0)
    """
    if value is None:
        return None
    if value.upper() in ("UTC", "Z"):
        return 0
    found = re.fullmatch(r"([+-])(\d\d):?(\d\d)", value.strip())
    if not found:
        raise UsageError(f"--timezone {value!r}: use +HH:MM, -HHMM or UTC")
    minutes = int(found.group(2)) * 60 + int(found.group(3))
    return minutes if found.group(1) == "+" else -minutes


def emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None


def _render(diagnosis: Diagnosis, fmt: OutputFormat, output: Path | None) -> None:
    from kubewhy.reports import render

    color = output is None and sys.stdout.isatty()
    width = (
        100
        if output is not None or not sys.stdout.isatty()
        else min(typer.get_terminal_size()[0], 120)
    )
    emit(render(diagnosis, fmt.value, width=max(width, 80), color=color), output)


@app.command()
def diagnose(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files, folders or archives of evidence.")
    ] = None,
    node: Annotated[
        bool, typer.Option("--node", help="Diagnose the machine kubewhy runs on.")
    ] = False,
    root: Annotated[
        Path, typer.Option("--root", help="Where the node's filesystem is mounted.")
    ] = Path("/"),
    fmt: FormatOption = OutputFormat.text,
    output: OutputOption = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="Zone of timestamps that carry none (+08:00).")
    ] = None,
) -> None:
    """Find the root cause in the evidence: causal chain, evidence lines, fix, prevention."""
    from kubewhy.diagnose import diagnose_paths

    tz = parse_timezone(timezone)
    if node:
        from kubewhy.diagnose import diagnose_node

        diagnosis = diagnose_node(root, extra_paths=list(paths or []), tz_offset_minutes=tz)
    elif not paths:
        raise UsageError("give evidence PATHs, or --node")
    else:
        diagnosis = diagnose_paths(list(paths), tz_offset_minutes=tz)
    _render(diagnosis, fmt, output)
    raise typer.Exit(1 if diagnosis.findings else 0)


@app.command()
def audit(
    paths: Annotated[list[Path] | None, typer.Argument(help="Evidence to audit.")] = None,
    node: Annotated[
        bool, typer.Option("--node", help="Audit the machine kubewhy runs on.")
    ] = False,
    root: Annotated[
        Path, typer.Option("--root", help="Where the node's filesystem is mounted.")
    ] = Path("/"),
    fmt: FormatOption = OutputFormat.text,
    output: OutputOption = None,
) -> None:
    """List the risks the incidents teach, before anything breaks (most serious first)."""
    from kubewhy.audit import audit_node, audit_paths, render_audit

    if node:
        risks = audit_node(root, extra_paths=list(paths or []))
    elif not paths:
        raise UsageError("give evidence PATHs, or --node")
    else:
        risks = audit_paths(list(paths))
    emit(render_audit(risks, fmt.value), output)
    raise typer.Exit(1 if risks else 0)


@app.command()
def rules(fmt: FormatOption = OutputFormat.text) -> None:
    """List the knowledge base's failure modes."""
    from kubewhy.kb.load import default_knowledge_base
    from kubewhy.reports.explain import render_rules

    emit(render_rules(default_knowledge_base(), fmt.value), None)


@app.command()
def explain(
    rule_id: Annotated[str, typer.Argument(help="A failure-mode id (see `kubewhy rules`).")],
) -> None:
    """Show one failure mode: meaning, chain, checks, fix, prevention, references."""
    from kubewhy.kb.load import default_knowledge_base
    from kubewhy.reports.explain import render_explain

    kb = default_knowledge_base()
    if rule_id not in kb.failure_modes:
        close = [i for i in kb.failure_modes if rule_id in i or i in rule_id][:3]
        hint = f" (did you mean {', '.join(close)}?)" if close else " (see `kubewhy rules`)"
        raise UsageError(f"no failure mode {rule_id!r}{hint}")
    emit(render_explain(kb, kb.get(rule_id)), None)


@app.command()
def goroutines(
    dump: Annotated[
        Path, typer.Argument(help="A goroutine dump (SIGQUIT output, pprof debug=1/2).")
    ],
    fmt: FormatOption = OutputFormat.text,
    output: OutputOption = None,
) -> None:
    """Find goroutine leaks, lock convoys and their holder in a Go goroutine dump."""
    from kubewhy.cli.goroutines import goroutines_command

    raise typer.Exit(goroutines_command(dump, fmt.value, output))


@collect_app.command("node")
def collect_node_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="The bundle to write (.tar.gz).")],
    root: Annotated[
        Path, typer.Option("--root", help="Where the node's filesystem is mounted.")
    ] = Path("/"),
    node_name: Annotated[
        str | None, typer.Option("--node-name", help="The node's Kubernetes name.")
    ] = None,
) -> None:
    """Read this node's evidence into a bundle that `kubewhy diagnose FILE` reads anywhere."""
    from kubewhy.sources.node import collect_node

    bundle = collect_node(root, node_name=node_name)
    try:
        bundle.write_tar_gz(output)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    typer.echo(
        f"wrote {output}: {len(bundle.files)} artefacts, {len(bundle.manifest.gaps)} gaps", err=True
    )


@app.command()
def version() -> None:
    """Print kubewhy's version."""
    typer.echo(__version__)


def run(argv: list[str] | None = None) -> None:
    """Console entry point: user errors become one line and exit code 2, never a traceback."""
    try:
        # Without standalone mode click returns the code of a typer.Exit instead of exiting.
        code = app(args=argv, prog_name="kubewhy", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except KubewhyError as exc:
        typer.echo(f"kubewhy: {exc}", err=True)
        sys.exit(2)
    except typer.BadParameter as exc:
        typer.echo(f"kubewhy: {exc}", err=True)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("kubewhy: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        # typer's own usage errors (a vendored click) carry a message and an exit code.
        format_message = getattr(exc, "format_message", None)
        if callable(format_message):
            typer.echo(f"kubewhy: {format_message()}", err=True)
            sys.exit(2)
        typer.echo(f"kubewhy: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)


def run_kubectl_plugin() -> None:
    """``kubectl why [TARGET]``: diagnose the live cluster (or TARGET) through the API."""
    args = sys.argv[1:]
    if args and args[0] in (
        "diagnose",
        "audit",
        "rules",
        "explain",
        "goroutines",
        "collect",
        "version",
    ):
        run(args)
    run(
        ["diagnose", "--cluster", *args]
        if args and not args[0].startswith("-")
        else ["diagnose", "--cluster", "", *args]
    )


if __name__ == "__main__":
    run()
