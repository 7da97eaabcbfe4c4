"""Goroutine dumps in the evidence, analysed and turned into symptom hits.

Each dump is analysed once; a knowledge-base goroutine signature that the dump shows becomes a
hit of its failure mode on the dump's component, citing the stack that matched. The reports are
kept in the fact store so culprit finders can name the lock holder or the leak site.
"""

from __future__ import annotations

import re

from kubewhy.facts.build import Gathered
from kubewhy.kb.load import KnowledgeBase
from kubewhy.model.components import of_stack_frames
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.hits import SymptomHit


def goroutine_hits(gathered: Gathered, kb: KnowledgeBase) -> list[SymptomHit]:
    signatures = kb.goroutine_signatures()
    extras = [(ctx, obj) for ctx, name, obj in gathered.extras if name == "goroutines"]
    if not extras:
        return []
    from kubewhy.reasoning.goroutines import analyze

    hits: list[SymptomHit] = []
    for ctx, dump in extras:
        report = analyze(dump, signatures)  # type: ignore[arg-type]
        node = gathered.nodes.canonical(ctx.node) if ctx.node else gathered.nodes.default()
        entity = Entity.component(ctx.component or _program_of(report), node)
        gathered.store.add_entity(entity)
        gathered.store.extras.append((entity, "goroutines", report))
        counted = {s.failure_mode: s.count for s in report.signatures}
        for fm_id, signature in signatures:
            if fm_id not in counted:
                continue
            pattern = re.compile(signature.function)
            group = next(
                (g for g in report.groups if any(pattern.search(f) for f in g.frames)), None
            )
            if group is None:
                continue
            waited = f", up to {group.max_wait_minutes} minutes" if group.max_wait_minutes else ""
            text = f"{group.count} goroutines [{group.state}{waited}] in {group.function}"
            hit = SymptomHit(fm_id, signature.id, entity)
            hit.add(Evidence(ctx.source, None, None, text), {})
            hit.count = group.count
            hits.append(hit)
    return hits


def _program_of(report: object) -> str:
    return of_stack_frames(f for g in getattr(report, "groups", [])[:20] for f in g.frames)
