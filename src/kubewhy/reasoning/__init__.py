"""The reasoning stage: hypotheses from symptoms, ranked into root causes and consequences, with
their chain, culprit, evidence and the evidence still missing."""

from __future__ import annotations

from kubewhy.kb.checks import Observed
from kubewhy.kb.load import KnowledgeBase
from kubewhy.model.diagnosis import Diagnosis
from kubewhy.model.reading import ReadReport
from kubewhy.reasoning.assemble import assemble
from kubewhy.reasoning.match import Hypothesis, hypotheses
from kubewhy.reasoning.rank import rank


def reason(seen: Observed, kb: KnowledgeBase, read: ReadReport) -> Diagnosis:
    near: list[Hypothesis] = []
    found = hypotheses(kb, seen, near)
    return assemble(rank(found), kb, seen, read, near)
