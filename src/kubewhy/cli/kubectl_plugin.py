"""``kubectl kubewhy``: the kubectl plugin (the executable ``kubectl-kubewhy`` on PATH).

It follows kubectl's conventions rather than kubewhy's: ``-o`` is the output format (``json``,
``yaml``, ``markdown``, ``html``, ``text``), and kubectl's global flags that matter for reading a
cluster are accepted: ``-n``, ``--context``, ``--kubeconfig``, ``--as``, ``--as-group`` and
``--request-timeout``. The plugin name ``why`` is taken in the krew index, so the plugin carries
the tool's name.
"""

from __future__ import annotations

import re
from typing import Annotated

import typer

from kubewhy import __version__
from kubewhy.cli.main import (
    ContextOption,
    KubeconfigOption,
    ReportFormat,
    emit,
    report_width,
    run,
)
from kubewhy.cli.site import (
    KbDirOption,
    SuppressionsOption,
    read_suppressions,
    site_knowledge_base,
)
from kubewhy.errors import UsageError
from kubewhy.model.diagnosis import counts

PLUGIN = "kubectl kubewhy"
DEFAULT_TIMEOUT = 15.0

plugin = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def parse_request_timeout(value: str | None) -> float:
    """kubectl's ``--request-timeout``: seconds, or a duration (``1m30s``, ``500ms``); ``0``
    (kubectl's "no timeout") keeps kubewhy's own bound, since every request must end.

    >>> parse_request_timeout("30"), parse_request_timeout("1m30s"), parse_request_timeout("0")
    (30.0, 90.0, 15.0)
    """
    if value is None or value.strip() in ("", "0"):
        return DEFAULT_TIMEOUT
    text = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise UsageError(f"--request-timeout {value!r}: use seconds (30) or a duration (1m30s)")
    seconds = sum(float(n) * units[u] for n, u in parts)
    return seconds if seconds > 0 else DEFAULT_TIMEOUT


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kubewhy {__version__}")
        raise typer.Exit(0)


@plugin.command(no_args_is_help=False)
def kubewhy_plugin(
    target: Annotated[
        str | None,
        typer.Argument(
            help="node/NAME, pod/NAME (with -n), namespace/NAME; none: the whole cluster."
        ),
    ] = None,
    output: Annotated[
        ReportFormat,
        typer.Option("--output", "-o", help="Output format: text, json, yaml, markdown, html."),
    ] = ReportFormat.text,
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="The namespace of a pod target.")
    ] = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Username to impersonate for the reads.")
    ] = None,
    as_group: Annotated[
        str | None, typer.Option("--as-group", help="Group to impersonate for the reads.")
    ] = None,
    request_timeout: Annotated[
        str | None,
        typer.Option(
            "--request-timeout", help="Time to wait for each API request (30, 1m, 0: 15s)."
        ),
    ] = None,
    audit: Annotated[
        bool, typer.Option("--audit", help="List risks instead of diagnosing.")
    ] = False,
    kb_dir: KbDirOption = None,
    suppressions: SuppressionsOption = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Why is this node, pod or namespace broken? Root cause, causal chain, evidence, fix.

    Reads the cluster of the current kubeconfig context (read-only; Secrets never), scoped to
    TARGET and its neighbours. Exit code 1 when something is found.
    """
    from kubewhy.pipeline import ClusterSource, Request
    from kubewhy.pipeline import audit as run_audit
    from kubewhy.pipeline import diagnose as run_diagnosis
    from kubewhy.reports import render
    from kubewhy.reports.audit import render_audit

    kb = site_knowledge_base(kb_dir)
    # kubectl's --request-timeout bounds each request; the whole read keeps kubewhy's own bound
    # (longer when one request may take longer).
    per_request = parse_request_timeout(request_timeout)
    source = ClusterSource(
        target=target,
        namespace=namespace,
        context=context,
        kubeconfig=str(kubeconfig) if kubeconfig else None,
        timeout=max(ClusterSource.timeout, per_request),
        request_timeout=per_request,
        impersonate=as_user,
        impersonate_group=as_group,
    )
    request = Request(cluster=source, suppressions=read_suppressions(suppressions, kb))
    if audit:
        risks = run_audit(request, kb)
        emit(render_audit(risks, output.value), None)
        raise typer.Exit(1 if any(r.suppressed is None for r in risks) else 0)
    diagnosis = run_diagnosis(request, kb)
    emit(render(diagnosis, output.value, width=report_width()), None)
    raise typer.Exit(1 if any(counts(f) for f in diagnosis.findings) else 0)


def run_plugin(argv: list[str] | None = None) -> None:
    """Console entry point of ``kubectl-kubewhy``; help and errors name ``kubectl kubewhy``."""
    run(argv, command=plugin, prog_name=PLUGIN)


def run_by_name() -> None:
    """One executable for both commands (the single-file build): ``kubectl-kubewhy`` runs the
    plugin, any other name runs ``kubewhy``."""
    import os
    import sys

    if os.path.basename(sys.argv[0]).startswith("kubectl-"):
        run_plugin()
    else:
        run()
