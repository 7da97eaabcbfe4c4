"""The ``kubewhy`` command (the kubectl plugin ``kubectl kubewhy`` is ``cli.kubectl_plugin``).

Exit codes, the same for the plugin (every non-zero one with one line on stderr, never a
traceback):

===  =============================================================================================
0    no finding (leads, past findings and suppressed ones aside)
1    findings (``audit``: risks; ``goroutines``: leaks, convoys or known signatures)
2    bad usage, or an input that is not usable at all (no such file, not a file or folder)
3    none of the requested evidence could be read (connection refused, 401/403 on everything,
     empty or unrecognised input, a file that is no goroutine dump, no ``/proc`` under
     ``--root``): the line names what and why
4    internal error: a bug in kubewhy (the fuzz tests keep this class at zero)
130  interrupted (Ctrl-C, SIGTERM, SIGHUP); temporary folders are removed first
===  =============================================================================================
"""

from __future__ import annotations

import atexit
import copy
import gc
import os
import re
import shutil
import signal
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from kubewhy import __version__
from kubewhy.cli.site import (
    KbDirOption,
    SuppressionsOption,
    read_suppressions,
    site_knowledge_base,
)
from kubewhy.errors import KubewhyError, NothingReadError, UsageError

# What a command needs is imported in the command: `--help`, `--version` and completion load
# none of it (the models pull in pydantic, the redaction its patterns).
if TYPE_CHECKING:
    from kubewhy.model.caps import Caps
    from kubewhy.model.diagnosis import Diagnosis
    from kubewhy.model.suppression import Suppression
    from kubewhy.pipeline import Request
    from kubewhy.sources.bundle import BundleWriter

app = typer.Typer(
    # typer's --install-completion / --show-completion (bash, zsh, fish, PowerShell).
    add_completion=True,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Why is my Kubernetes node, pod or control plane broken? Cause, chain, evidence, fix.",
)
collect_app = typer.Typer(
    help="Collect evidence into a bundle to diagnose elsewhere.", no_args_is_help=True
)
app.add_typer(collect_app, name="collect")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"kubewhy {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print kubewhy's version and exit.",
        ),
    ] = False,
) -> None:
    """Why is my Kubernetes node, pod or control plane broken? Cause, chain, evidence, fix."""


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


class ReportFormat(StrEnum):
    """Formats of a diagnosis or an audit (YAML and HTML too, as kubectl users expect)."""

    text = "text"
    json = "json"
    yaml = "yaml"
    markdown = "markdown"
    html = "html"


FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Report format.")]
ReportFormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
]


EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNREAD, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


def say(message: str) -> None:
    """One line of kubewhy's own on stderr: redacted, control characters escaped. It never
    raises (it reports the errors): a message that cannot be redacted is not shown."""
    from kubewhy.reports.safe import safe_text

    try:
        from kubewhy.model.redact import redact

        line = redact(message)
    except Exception as exc:  # shown unredacted it could leak what it quotes
        line = f"(message withheld: redacting it failed: {type(exc).__name__})"
    typer.echo(f"kubewhy: {safe_text(line).replace(chr(10), ' ')}", err=True)


def fail(message: str) -> NoReturn:
    say(message)
    raise typer.Exit(EXIT_USAGE)


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


def report_width() -> int:
    """The terminal's width, or ``COLUMNS`` (also in a pipe or a file), else 80."""
    return max(shutil.get_terminal_size((80, 24)).columns, 40)


def _render(
    diagnosis: Diagnosis, fmt: ReportFormat, output: Path | None, obfuscate: bool = False
) -> None:
    from kubewhy.model.obfuscate import Obfuscator
    from kubewhy.reports import render

    color = output is None and sys.stdout.isatty()
    obfuscator = Obfuscator() if obfuscate else None
    text = render(diagnosis, fmt.value, width=report_width(), color=color, obfuscator=obfuscator)
    emit(text, output)


TARGET = re.compile(r"^(?:node|no|nodes|pod|po|pods|namespace|ns)/[\w.:-]+$")


@dataclass
class _Evidence:
    """What a diagnose or audit command line asks to read: paths and live sources."""

    paths: list[Path] | None
    node: bool = False
    root: Path = Path("/")
    prometheus: str | None = None
    since: str | None = None
    until: str | None = None
    prom_ca: Path | None = None
    cluster: bool = False
    namespace: str | None = None
    context: str | None = None
    kubeconfig: Path | None = None
    timeout: float = 30.0
    limits: list[str] | None = None

    def resolve(
        self,
        tz_offset_minutes: int | None = None,
        jobs: int | None = None,
        suppressions: tuple[Suppression, ...] = (),
    ) -> Request:
        """The request: files to read and live sources; a usage error if there is none."""
        from datetime import UTC, datetime

        from kubewhy.cli.progress import ScanProgress
        from kubewhy.model.times import TimeWindow
        from kubewhy.pipeline import ClusterSource, NodeSource, PrometheusSource, Request

        files, target = _split_paths(self.paths, self.cluster)
        caps = parse_limits(self.limits)
        if not files and not (self.node or self.cluster or self.prometheus):
            raise UsageError("give evidence PATHs, or --node, --cluster or --prometheus URL")
        cluster = None
        if self.cluster:
            cluster = ClusterSource(
                target=target,
                namespace=self.namespace,
                context=self.context,
                kubeconfig=str(self.kubeconfig) if self.kubeconfig else None,
                timeout=self.timeout,
            )
        prometheus = None
        if self.prometheus:
            prometheus = PrometheusSource(
                url=self.prometheus,
                since=self.since,
                until=self.until,
                ca_file=str(self.prom_ca) if self.prom_ca else None,
                timeout=self.timeout,
            )
        return Request(
            window=TimeWindow.parse(self.since, self.until, datetime.now(UTC)),
            paths=tuple(files),
            node=NodeSource(root=self.root, deadline=self.timeout) if self.node else None,
            cluster=cluster,
            prometheus=prometheus,
            tz_offset_minutes=tz_offset_minutes,
            jobs=jobs,
            progress=ScanProgress(),
            caps=caps,
            suppressions=suppressions,
        )


def parse_limits(items: list[str] | None) -> Caps:
    from kubewhy.model.caps import Caps

    try:
        return Caps().with_overrides(items or [])
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _split_paths(paths: list[Path] | None, cluster: bool) -> tuple[list[Path], str | None]:
    """With --cluster, an argument like node/NAME that is not a file is the target."""
    files: list[Path] = []
    target = None
    for path in paths or []:
        if cluster and TARGET.match(str(path)) and not path.exists():
            if target is not None:
                raise UsageError(f"one TARGET at a time: {target} and {path}")
            target = str(path)
        else:
            files.append(path)
    return files, target


PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Files, folders or archives of evidence; - reads standard input (journalctl -u "
        "kubelet | kubewhy diagnose -); with --cluster: or a TARGET."
    ),
]
NodeOption = Annotated[bool, typer.Option("--node", help="Read the machine kubewhy runs on.")]
RootOption = Annotated[
    Path, typer.Option("--root", help="Where the node's filesystem is mounted (/host in a pod).")
]
PromOption = Annotated[
    str | None,
    typer.Option(
        "--prometheus",
        help="Read metrics from this Prometheus (http://host:9090). Credentials from the "
        "environment: KUBEWHY_PROM_TOKEN (a bearer token), or KUBEWHY_PROM_USER and "
        "KUBEWHY_PROM_PASSWORD (basic auth).",
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Read log lines and metrics from this time: RFC 3339, Unix seconds, or a duration "
        "back from now (30m, 1h30m, 2d). For every source: files, --node, --cluster, --prometheus.",
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        "--until", help="Read log lines and metrics up to this time (the same forms as --since)."
    ),
]
PromCaOption = Annotated[
    Path | None, typer.Option("--prometheus-ca", help="CA file for an HTTPS Prometheus.")
]
ClusterOption = Annotated[
    bool, typer.Option("--cluster", help="Read the cluster's API server (TARGET: node/N, pod/N).")
]
NamespaceOption = Annotated[str | None, typer.Option("--namespace", "-n", help="Namespace.")]
ContextOption = Annotated[str | None, typer.Option("--context", help="kubeconfig context.")]
KubeconfigOption = Annotated[Path | None, typer.Option("--kubeconfig", help="kubeconfig file.")]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=0.1,
        help="Seconds each live source (API server, Prometheus, node) may take in all.",
    ),
]
LimitOption = Annotated[
    list[str] | None,
    typer.Option(
        "--limit",
        help="Raise or lower a cap: NAME=VALUE (input-bytes=8G, ratio=2000, depth=5, ...).",
    ),
]
ObfuscateOption = Annotated[
    bool,
    typer.Option("--obfuscate", help="Replace IP/MAC addresses and host names, consistently."),
]


@app.command()
def diagnose(
    paths: PathsArgument = None,
    node: NodeOption = False,
    root: RootOption = Path("/"),
    prometheus: PromOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    prometheus_ca: PromCaOption = None,
    cluster: ClusterOption = False,
    namespace: NamespaceOption = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    fmt: ReportFormatOption = ReportFormat.text,
    output: OutputOption = None,
    kb_dir: KbDirOption = None,
    suppressions: SuppressionsOption = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="Zone of timestamps that carry none (+08:00).")
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Processes for big logs (default: the cores)."),
    ] = None,
    timeout: TimeoutOption = 30.0,
    limit: LimitOption = None,
    obfuscate: ObfuscateOption = False,
) -> None:
    """Find the root cause in the evidence: causal chain, evidence lines, fix, prevention."""
    from kubewhy.pipeline import diagnose as run_diagnosis

    kb = site_knowledge_base(kb_dir)
    request = _Evidence(
        paths,
        node,
        root,
        prometheus,
        since,
        until,
        prometheus_ca,
        cluster,
        namespace,
        context,
        kubeconfig,
        timeout,
        limit,
    ).resolve(parse_timezone(timezone), jobs, read_suppressions(suppressions, kb))
    diagnosis = run_diagnosis(request, kb)
    from kubewhy.model.diagnosis import counts

    _render(diagnosis, fmt, output, obfuscate)
    raise typer.Exit(EXIT_FINDINGS if any(counts(f) for f in diagnosis.findings) else EXIT_OK)


@app.command()
def audit(
    paths: PathsArgument = None,
    node: NodeOption = False,
    root: RootOption = Path("/"),
    prometheus: PromOption = None,
    cluster: ClusterOption = False,
    namespace: NamespaceOption = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    fmt: ReportFormatOption = ReportFormat.text,
    output: OutputOption = None,
    kb_dir: KbDirOption = None,
    suppressions: SuppressionsOption = None,
    timeout: TimeoutOption = 30.0,
    limit: LimitOption = None,
    obfuscate: ObfuscateOption = False,
) -> None:
    """List the risks the incidents teach, before anything breaks (most serious first)."""
    from kubewhy.pipeline import audit as run_audit
    from kubewhy.reports.audit import render_audit

    kb = site_knowledge_base(kb_dir)
    request = _Evidence(
        paths,
        node,
        root,
        prometheus,
        cluster=cluster,
        namespace=namespace,
        context=context,
        kubeconfig=kubeconfig,
        timeout=timeout,
        limits=limit,
    ).resolve(suppressions=read_suppressions(suppressions, kb))
    risks = run_audit(request, kb)
    from kubewhy.model.obfuscate import Obfuscator

    emit(render_audit(risks, fmt.value, Obfuscator() if obfuscate else None), output)
    active = any(r.suppressed is None for r in risks)
    raise typer.Exit(EXIT_FINDINGS if active else EXIT_OK)


class AlertFormat(StrEnum):
    prometheus = "prometheus"
    prometheusrule = "prometheusrule"


@app.command()
def alerts(
    fmt: Annotated[AlertFormat, typer.Option("--format", "-f", help="Rule file format.")] = (
        AlertFormat.prometheus
    ),
    output: OutputOption = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="A threshold: name=value or KubewhyAlert.name=value."),
    ] = None,
    thresholds: Annotated[
        Path | None, typer.Option("--thresholds", help="A YAML file of thresholds.")
    ] = None,
    for_: Annotated[
        list[str] | None, typer.Option("--for", help="A for-duration: KubewhyAlert=5m.")
    ] = None,
    runbook_url: Annotated[
        str | None,
        typer.Option(
            "--runbook-url",
            envvar="KUBEWHY_RUNBOOK_URL",
            help="Where the runbook pages are served (`kubewhy runbooks`); each alert's "
            "runbook_url is this plus /<failure mode>.md. Default: the project's docs/runbooks.",
        ),
    ] = None,
    kb_dir: KbDirOption = None,
) -> None:
    """Prometheus alerting rules for every failure mode that metrics can show."""
    from kubewhy.prevent import (
        parse_durations,
        parse_overrides,
        parse_threshold_file,
        render_alerts,
    )

    overrides: dict[str, float] = {}
    if thresholds is not None:
        try:
            overrides.update(parse_threshold_file(thresholds.read_text(), str(thresholds)))
        except OSError as exc:
            raise UsageError(f"cannot read {thresholds}: {exc.strerror}") from None
    overrides.update(parse_overrides(set_ or []))
    text = render_alerts(
        site_knowledge_base(kb_dir, patterns=False),
        fmt.value,
        overrides,
        parse_durations(for_ or []),
        runbook_url=runbook_url,
    )
    emit(text, output)


@app.command()
def rules(
    fmt: FormatOption = OutputFormat.text,
    graph: Annotated[
        bool, typer.Option("--graph", help="Print the causal graph (Markdown with Mermaid).")
    ] = False,
    kb_dir: KbDirOption = None,
) -> None:
    """List the knowledge base's failure modes (local ones included)."""
    from kubewhy.reports.explain import render_graph, render_rules

    kb = site_knowledge_base(kb_dir, patterns=False)
    emit(render_graph(kb) if graph else render_rules(kb, fmt.value), None)


@app.command()
def explain(
    rule_id: Annotated[str, typer.Argument(help="A failure-mode id (see `kubewhy rules`).")],
    kb_dir: KbDirOption = None,
) -> None:
    """Show one failure mode: meaning, chain, checks, fix, prevention, references."""
    from kubewhy.reports.explain import render_explain

    kb = site_knowledge_base(kb_dir, patterns=False)
    if rule_id not in kb.failure_modes:
        close = [i for i in kb.failure_modes if rule_id in i or i in rule_id][:3]
        hint = f" (did you mean {', '.join(close)}?)" if close else " (see `kubewhy rules`)"
        raise UsageError(f"no failure mode {rule_id!r}{hint}")
    emit(render_explain(kb, kb.get(rule_id)), None)


@app.command()
def runbooks(
    out: Annotated[
        Path, typer.Option("--out", help="The folder of the pages (docs/runbooks in the repo).")
    ],
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when a page is not current.")
    ] = False,
    kb_dir: KbDirOption = None,
) -> None:
    """Write one runbook page per failure mode (Meaning, Impact, Diagnosis, Mitigation,
    Prevention) and an index."""
    from kubewhy.cli.runbooks import write_runbooks

    stale = write_runbooks(site_knowledge_base(kb_dir), out, check)
    if check and stale:
        say(f"{len(stale)} runbook page(s) not current in {out}: {', '.join(stale[:5])}")
        raise typer.Exit(EXIT_FINDINGS)
    if not check:
        say(f"{len(stale)} runbook page(s) written to {out}")


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
    timeout: TimeoutOption = 30.0,
    obfuscate: ObfuscateOption = False,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Read the journals from this time: RFC 3339, or a duration back from now "
            "(1h30m); by default the last 6h.",
        ),
    ] = None,
) -> None:
    """Read this node's evidence into a bundle that `kubewhy diagnose FILE` reads anywhere."""
    from datetime import UTC, datetime

    from kubewhy.model.times import TimeWindow
    from kubewhy.pipeline import NodeSource, Request, collect

    source = NodeSource(root=root, node_name=node_name, deadline=timeout)
    window = TimeWindow.parse(since, None, datetime.now(UTC))
    [(_, bundle)] = collect(Request(node=source, window=window))
    _write_bundle(bundle, output, obfuscate)


@collect_app.command("cluster")
def collect_cluster_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="The bundle to write (.tar.gz).")],
    target: Annotated[
        str | None, typer.Argument(help="node/NAME, pod/NAME, namespace/NAME.")
    ] = None,
    namespace: NamespaceOption = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    timeout: TimeoutOption = 30.0,
    obfuscate: ObfuscateOption = False,
) -> None:
    """Read what TARGET needs from the API server into a bundle (Secrets are never read)."""
    from kubewhy.pipeline import ClusterSource, Request, collect

    source = ClusterSource(
        target=target,
        namespace=namespace,
        context=context,
        kubeconfig=str(kubeconfig) if kubeconfig else None,
        timeout=timeout,
    )
    [(_, bundle)] = collect(Request(cluster=source))
    _write_bundle(bundle, output, obfuscate)


@collect_app.command("prometheus")
def collect_prometheus_cmd(
    url: Annotated[
        str,
        typer.Argument(
            help="The Prometheus to read (http://host:9090). Credentials from the environment: "
            "KUBEWHY_PROM_TOKEN (a bearer token), or KUBEWHY_PROM_USER and KUBEWHY_PROM_PASSWORD."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The bundle to write (.tar.gz).")],
    since: SinceOption = None,
    until: UntilOption = None,
    prometheus_ca: PromCaOption = None,
    timeout: TimeoutOption = 30.0,
    obfuscate: ObfuscateOption = False,
) -> None:
    """Run the knowledge base's metric queries over the window into a bundle."""
    from kubewhy.pipeline import PrometheusSource, Request, collect

    ca = str(prometheus_ca) if prometheus_ca else None
    source = PrometheusSource(url=url, since=since, until=until, ca_file=ca, timeout=timeout)
    [(_, bundle)] = collect(Request(prometheus=source))
    _write_bundle(bundle, output, obfuscate)


def _write_bundle(bundle: BundleWriter, output: Path, obfuscate: bool = False) -> None:
    if obfuscate:
        from kubewhy.model.obfuscate import Obfuscator

        bundle.obfuscate(Obfuscator())
    try:
        bundle.write_tar_gz(output)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    typer.echo(
        f"wrote {output}: {len(bundle.files)} artefacts, {len(bundle.manifest.gaps)} gaps", err=True
    )


@app.command()
def watch(
    root: RootOption = Path("/"),
    interval: Annotated[
        float, typer.Option("--interval", min=1, help="Seconds between runs.")
    ] = 60,
    listen: Annotated[
        str,
        typer.Option("--listen", help="HOST:PORT for /metrics, /healthz and /findings.json."),
    ] = "127.0.0.1:9808",
    runs: Annotated[int | None, typer.Option("--runs", min=1, help="Stop after N runs.")] = None,
    node_name: Annotated[
        str | None, typer.Option("--node-name", envvar="NODE_NAME", help="The node's name.")
    ] = None,
    kb_dir: KbDirOption = None,
    suppressions: SuppressionsOption = None,
    node_conditions: Annotated[
        bool,
        typer.Option(
            "--node-conditions", help="Set Kubewhy* conditions on the Node (needs --node-name)."
        ),
    ] = False,
    events: Annotated[
        bool, typer.Option("--events", help="Report root causes as Events on the Node.")
    ] = False,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
    unhealthy_after: Annotated[
        int, typer.Option("--unhealthy-after", min=1, help="Failed runs in a row for /healthz 503.")
    ] = 3,
    events_burst: Annotated[
        int, typer.Option("--events-burst", min=1, help="Events sent before the rate limit.")
    ] = 25,
    events_refill: Annotated[
        float, typer.Option("--events-refill", min=1, help="Seconds per Event after the burst.")
    ] = 300,
) -> None:
    """Diagnose this node on an interval: metrics, /healthz, /findings.json, and optionally
    Node conditions and Events (like node-problem-detector)."""
    gc.enable()  # a process that runs for days frees its cyclic garbage (see ``run``)
    from kubewhy.agent.watch import WatchOptions
    from kubewhy.agent.watch import watch as run_watch

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--listen {listen!r}: use HOST:PORT")
    kb = site_knowledge_base(kb_dir)
    options = WatchOptions(
        root=root,
        interval=interval,
        host=host.strip("[]"),
        port=int(port),
        runs=runs,
        node_name=node_name,
        kb=kb,
        suppressions=(lambda: read_suppressions(suppressions, kb)) if suppressions else None,
        unhealthy_after=unhealthy_after,
        conditions=node_conditions,
        events=events,
    )
    if node_conditions or events:
        if not node_name:
            raise UsageError("--node-conditions and --events need --node-name (or NODE_NAME)")
        from kubewhy.agent.kube import NodeReporter
        from kubewhy.sources.cluster.transport import api_client

        client = api_client(str(kubeconfig) if kubeconfig else None, context)
        options.reporter = NodeReporter(client, node_name, burst=events_burst, refill=events_refill)
    read_suppressions(suppressions, kb)  # a bad file is a usage error now, not at every run
    try:
        code = run_watch(options)
    except OSError as exc:
        raise UsageError(f"cannot listen on {listen}: {exc.strerror}") from None
    raise typer.Exit(code)


@app.command()
def schema(output: OutputOption = None) -> None:
    """The JSON Schema of the diagnosis that --format json writes (schema_version in each)."""
    from kubewhy.reports.schema import render_schema

    emit(render_schema(), output)


@app.command()
def version() -> None:
    """Print kubewhy's version."""
    typer.echo(__version__)


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, so that it unwinds like Ctrl-C: every
    temporary folder removed, every connection closed."""


def _interrupt(signum: int, frame: object) -> None:
    # Further signals while unwinding are ignored: the cleanup is short and must finish.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signal.Signals(signum).name)


def _on_signals() -> None:
    signal.signal(signal.SIGINT, _interrupt)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is not signal.SIG_IGN:  # nohup's choice stays
            signal.signal(sig, _interrupt)


_said_interrupted = False
# Whether ``run`` is the whole process (a console entry point, ``python -m kubewhy``), not a
# call from other Python code, which must get its ``SystemExit``.
_whole_process = False


def _finish(code: int) -> NoReturn:
    """Exit now: after an interrupt, threads blocked on a dead peer must not hold the exit."""
    if code == EXIT_INTERRUPTED and not _said_interrupted:
        say("interrupted")  # typer turns a KeyboardInterrupt into this code by itself
    sys.stdout.flush()
    sys.stderr.flush()
    if code == EXIT_INTERRUPTED:
        os._exit(code)
    if _whole_process and _nothing_left_to_run():
        # Tearing every module and object down one by one costs a short run about a tenth of
        # a second (a seventh of a small folder's diagnosis) and frees nothing the system does
        # not free. What the interpreter's exit would run that matters is the exit handlers
        # (temporary folders' finalizers, a worker pool's, logging's); output is flushed.
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _nothing_left_to_run() -> bool:
    """No thread the interpreter would wait for, and no profiler or tracer (coverage) whose
    results are written as the interpreter exits."""
    import threading

    if sys.getprofile() is not None or sys.gettrace() is not None:
        return False
    main = threading.main_thread()
    return all(t is main or t.daemon or not t.is_alive() for t in threading.enumerate())


def _narrowed(whole: typer.Typer, argv: list[str] | None) -> typer.Typer:
    """``whole``, or when the arguments start with the name of one of its commands, the same
    app holding that command alone: typer builds every command's options from its signature
    on each run (about 10 ms for all of kubewhy's), and a run uses one. What the group itself
    parses (its callback, ``--help``, shell completion) is the same in both."""
    words = sys.argv[1:] if argv is None else argv
    # Shell completion (click reads _PROG_COMPLETE) lists every command: the whole app.
    if not words or any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return whole
    from typer.main import get_command_name

    for info in whole.registered_commands:
        name = info.name or (get_command_name(info.callback.__name__) if info.callback else None)
        if name == words[0]:
            narrowed = copy.copy(whole)
            narrowed.registered_commands = [info]
            narrowed.registered_groups = []
            return narrowed
    return whole


def run(
    argv: list[str] | None = None,
    command: typer.Typer | None = None,
    prog_name: str = "kubewhy",
) -> None:
    """Console entry point: every outcome is an exit code (see the module's table) and at most
    one line on stderr. ``command`` is another typer app run the same way (the kubectl plugin).
    Without ``argv`` it is the whole process: it reads ``sys.argv`` and ends the process."""
    global _whole_process  # noqa: PLW0603 - set once, by the entry point
    _whole_process = argv is None
    if _whole_process:
        # Start-up (imports, the knowledge base) makes objects that last the whole run, and a
        # command's cyclic garbage goes with its process: cyclic collections would only scan
        # them again and again (about 35 ms of a small folder's diagnosis). ``watch``, which
        # runs for days, turns them back on.
        gc.disable()
        # pydantic looks for plugins (observers of validation) in every installed package's
        # entry points when kubewhy's first model is built: about 12 ms of a small folder's
        # diagnosis in a virtualenv of 100 packages, for plugins kubewhy's models never want.
        # A user's own setting stands.
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    _on_signals()
    try:
        # Without standalone mode click returns the code of a typer.Exit instead of exiting.
        whole = command or app
        code = _narrowed(whole, argv)(args=argv, prog_name=prog_name, standalone_mode=False)
        _finish(code if isinstance(code, int) else EXIT_OK)
    except typer.Exit as done:
        _finish(done.exit_code)
    except NothingReadError as exc:
        say(str(exc))
        _finish(EXIT_UNREAD)
    except (KubewhyError, typer.BadParameter) as exc:
        say(str(exc))
        _finish(EXIT_USAGE)
    except (typer.Abort, KeyboardInterrupt) as exc:
        global _said_interrupted  # noqa: PLW0603 - one line, said once
        _said_interrupted = True
        say(f"interrupted ({exc})" if str(exc) else "interrupted")
        _finish(EXIT_INTERRUPTED)
    except Exception as exc:
        # typer's own usage errors (a vendored click) carry a message and an exit code.
        format_message = getattr(exc, "format_message", None)
        if callable(format_message):
            say(str(format_message()))
            _finish(EXIT_USAGE)
        say(f"internal error (a bug in kubewhy, please report it): {type(exc).__name__}: {exc}")
        _finish(EXIT_BUG)


if __name__ == "__main__":
    run()
