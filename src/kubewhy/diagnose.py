"""The public entry points: evidence in, diagnosis out.

>>> from kubewhy.diagnose import diagnose_paths  # doctest: +SKIP
>>> diagnosis = diagnose_paths([Path("examples/seed000-calico-pid-exhaustion")])  # doctest: +SKIP
>>> diagnosis.findings[0].failure_mode  # doctest: +SKIP
'thread-leak-container'
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from kubewhy.facts.build import Gathered, gather
from kubewhy.kb.load import KnowledgeBase, default_knowledge_base
from kubewhy.model.diagnosis import Diagnosis
from kubewhy.reasoning.assemble import assemble
from kubewhy.reasoning.goroutine_hits import goroutine_hits
from kubewhy.reasoning.match import hypotheses
from kubewhy.reasoning.rank import rank
from kubewhy.sources.files import open_inputs


def reason(gathered: Gathered, kb: KnowledgeBase) -> Diagnosis:
    hits = list(gathered.hits.values()) + goroutine_hits(gathered, kb)
    active = hypotheses(kb, gathered.store, hits)
    ranked = rank(active)
    return assemble(
        ranked, kb, gathered.store, gathered.inputs, gathered.gaps, gathered.parse_errors
    )


def gather_paths(
    paths: list[Path], kb: KnowledgeBase | None = None, tz_offset_minutes: int | None = None
) -> Gathered:
    kb = kb or default_knowledge_base()
    with open_inputs(paths) as inputs:
        return gather(inputs, kb, tz_offset_minutes)


def diagnose_paths(
    paths: list[Path], kb: KnowledgeBase | None = None, tz_offset_minutes: int | None = None
) -> Diagnosis:
    """Diagnose files, folders and archives of evidence."""
    kb = kb or default_knowledge_base()
    return reason(gather_paths(paths, kb, tz_offset_minutes), kb)


def gather_node(
    root: Path,
    extra_paths: list[Path],
    kb: KnowledgeBase,
    node_name: str | None = None,
    tz_offset_minutes: int | None = None,
) -> Gathered:
    """Collect the live node into an in-memory bundle, then gather it like any evidence."""
    from kubewhy.sources.node import collect_node

    bundle = collect_node(root, node_name=node_name)
    with tempfile.TemporaryDirectory(prefix="kubewhy-node-") as tmp:
        bundle.write_dir(Path(tmp))
        with open_inputs([Path(tmp), *extra_paths], labels={Path(tmp): "node"}) as inputs:
            return gather(inputs, kb, tz_offset_minutes)


def diagnose_node(
    root: Path = Path("/"),
    node_name: str | None = None,
    extra_paths: list[Path] | None = None,
    kb: KnowledgeBase | None = None,
    tz_offset_minutes: int | None = None,
) -> Diagnosis:
    """Diagnose the machine kubewhy runs on (or the one mounted at ``root``)."""
    kb = kb or default_knowledge_base()
    return reason(gather_node(root, extra_paths or [], kb, node_name, tz_offset_minutes), kb)
