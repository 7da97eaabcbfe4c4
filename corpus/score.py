"""Score kubewhy on the corpus: per split and per class, top-1, top-3, culprit named, false
positives on healthy cases, crashes, and the list of misses.

    python -m corpus.score [--split dev|holdout|seeds|examples] [--json FILE] [--floors] [-j N]

Each case is diagnosed exactly as ``kubewhy diagnose --format json CASE`` does (the same
pipeline and JSON renderer, in forked workers so one case cannot take another down; a case
that raises or runs past its time limit is a crash). ``examples`` scores ``examples/`` and
``tests/kb/cases``: folders written from the knowledge base, reported apart. ``--floors``
exits 1 when a split falls below ``floors.yaml``.

A case is right at top-1 when the first finding's failure mode is one of its
``expect.failure_modes`` (or its ``expect.proposed`` id, once the knowledge base has a failure
mode of that id), or a more specific failure mode that ``subsumes`` one of them (a hung CNI call
holding the network plugin's lock is a lock convoy); at top-3 when one of the first three is.
The culprit is named when the best-ranked right finding names one of ``expect.culprit`` (in
its culprit or its subject). A healthy case is a false positive when any finding is reported
above the ``lead`` tier.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, TimeoutError
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).resolve().parent
ROOT = CORPUS.parent
CASE_SECONDS = 60
SPLITS = ("dev", "holdout", "seeds", "examples")


@dataclass
class Case:
    id: str
    folder: Path
    split: str
    cls: str
    healthy: bool
    expected: list[str]
    culprits: list[str]
    proposed: str | None


@dataclass
class Outcome:
    id: str
    split: str
    cls: str
    healthy: bool
    expected: list[str]
    got: list[str] = field(default_factory=list)
    top1: bool = False
    top3: bool = False
    culprit_expected: bool = False
    culprit_named: bool = False
    false_positive: bool = False
    crash: str | None = None
    seconds: float = 0.0
    top_tier: str | None = None
    top_confidence: float | None = None
    leads_on_healthy: int = 0


def load_cases(splits: Iterable[str]) -> list[Case]:
    wanted = set(splits)
    cases: list[Case] = []
    for sub in ("cases", "seeds"):
        for folder in sorted(p for p in (CORPUS / sub).glob("*") if (p / "case.yaml").is_file()):
            data = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
            if data.get("split") not in wanted:
                continue
            exp = data.get("expect") or {}
            proposed = (exp.get("proposed") or {}).get("id")
            # The labeller's proposed id names the same root cause in words of its own: once the
            # knowledge base has a failure mode of that id, finding it is right.
            modes = list(exp.get("failure_modes") or []) + ([proposed] if proposed else [])
            healthy = bool(exp.get("healthy"))
            named = exp.get("failure_modes") or []
            cls = "healthy" if healthy else (named[0] if named else f"(new) {proposed}")
            cases.append(
                Case(
                    folder.name,
                    folder,
                    data["split"],
                    cls,
                    healthy,
                    modes,
                    [str(c) for c in exp.get("culprit") or []],
                    proposed,
                )
            )
    if "examples" in wanted:
        cases.extend(_examples())
    return cases


def _examples() -> list[Case]:
    """``examples/`` and ``tests/kb/cases``: written from the knowledge base's own examples."""
    cases = []
    for parent in (ROOT / "examples", ROOT / "tests" / "kb" / "cases"):
        for folder in sorted(p for p in parent.glob("*") if p.is_dir()):
            expect = yaml.safe_load((folder / "expect.yaml").read_text(encoding="utf-8"))
            top = expect.get("top")
            culprit = (expect.get("culprit") or {}).get("name_contains")
            cases.append(
                Case(
                    folder.name,
                    folder,
                    "examples",
                    top or "healthy",
                    top is None,
                    [top] if top else [],
                    [culprit] if culprit else [],
                    None,
                )
            )
    return cases


# The label and the notes about a case are not evidence: kubewhy must never read them.
NOT_EVIDENCE = frozenset({"case.yaml", "PROVENANCE.md", "expect.yaml", "README.md"})


def evidence_files(folder: Path) -> tuple[Path, ...]:
    return tuple(
        sorted(p for p in folder.iterdir() if p.name not in NOT_EVIDENCE and not p.is_dir())
    ) + tuple(sorted(p for p in folder.iterdir() if p.is_dir()))


def _diagnose(folder: str) -> dict[str, Any]:
    """What ``kubewhy diagnose --format json FILES...`` prints for the case's evidence files."""
    from kubewhy.pipeline import Request, diagnose
    from kubewhy.reports import render

    request = Request(paths=evidence_files(Path(folder)), jobs=1)
    return dict(json.loads(render(diagnose(request), "json")))


@cache
def _general_modes() -> dict[str, frozenset[str]]:
    """Each failure mode with the more general ones it is a specific case of (its ``subsumes``,
    followed through): naming the specific case names the general one a label may give."""
    from kubewhy.kb.load import knowledge_base

    direct = {fm.id: set(fm.subsumes) for fm in knowledge_base(patterns=False)}
    closed: dict[str, frozenset[str]] = {}
    for mode in direct:
        seen, todo = {mode}, [mode]
        while todo:
            for general in direct.get(todo.pop(), ()):
                if general not in seen:
                    seen.add(general)
                    todo.append(general)
        closed[mode] = frozenset(seen)
    return closed


def _names(mode: str, expected: list[str]) -> bool:
    """Whether a finding of ``mode`` names one of the ``expected`` failure modes."""
    return not _general_modes().get(mode, frozenset({mode})).isdisjoint(expected)


def _judge(case: Case, report: dict[str, Any]) -> Outcome:
    findings = report.get("findings") or []
    got = [f["failure_mode"] for f in findings]
    out = Outcome(case.id, case.split, case.cls, case.healthy, case.expected, got[:5])
    if findings:
        out.top_tier = findings[0].get("tier", "probable")
        out.top_confidence = float(findings[0]["confidence"])
    if case.healthy:
        out.false_positive = any(f.get("tier", "confirmed") != "lead" for f in findings)
        out.leads_on_healthy = sum(f.get("tier") == "lead" for f in findings)
        return out
    out.top1 = bool(got) and _names(got[0], case.expected)
    out.top3 = any(_names(mode, case.expected) for mode in got[:3])
    out.culprit_expected = bool(case.culprits)
    right = next((f for f in findings[:3] if _names(f["failure_mode"], case.expected)), None)
    if right is not None and case.culprits:
        culprit = right.get("culprit") or {}
        named = " ".join(
            str(part)
            for part in (culprit.get("name"), culprit.get("why"), right["entity"].get("name"))
            if part
        ).lower()
        out.culprit_named = any(c.lower() in named for c in case.culprits)
    return out


def score(cases: list[Case], jobs: int) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        started = {c.id: time.monotonic() for c in cases}
        futures = [(c, pool.submit(_diagnose, str(c.folder))) for c in cases]
        for case, future in futures:
            try:
                report = future.result(timeout=CASE_SECONDS)
            except TimeoutError:
                outcome = Outcome(case.id, case.split, case.cls, case.healthy, case.expected)
                outcome.crash = f"no answer in {CASE_SECONDS} s"
            except Exception as exc:  # a crash of kubewhy is a result to report, not to raise
                outcome = Outcome(case.id, case.split, case.cls, case.healthy, case.expected)
                outcome.crash = f"{type(exc).__name__}: {exc}"[:300]
            else:
                outcome = _judge(case, report)
            outcome.seconds = round(time.monotonic() - started[case.id], 2)
            outcomes.append(outcome)
    return outcomes


@dataclass
class Figures:
    cases: int = 0
    incidents: int = 0
    top1: int = 0
    top3: int = 0
    culprit_expected: int = 0
    culprit_named: int = 0
    healthy: int = 0
    false_positives: int = 0
    crashes: int = 0
    silent: int = 0

    def add(self, o: Outcome) -> None:
        self.cases += 1
        self.crashes += o.crash is not None
        if o.healthy:
            self.healthy += 1
            self.false_positives += o.false_positive
            return
        self.incidents += 1
        self.top1 += o.top1
        self.top3 += o.top3
        self.culprit_expected += o.culprit_expected
        self.culprit_named += o.culprit_named
        self.silent += o.crash is None and not o.got

    def rates(self) -> dict[str, float | None]:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 3) if b else None

        return {
            "top1": ratio(self.top1, self.incidents),
            "top3": ratio(self.top3, self.incidents),
            "culprit": ratio(self.culprit_named, self.culprit_expected),
        }


def figures(outcomes: Iterable[Outcome]) -> Figures:
    fig = Figures()
    for o in outcomes:
        fig.add(o)
    return fig


def _pct(value: float | None) -> str:
    return "  -  " if value is None else f"{value:5.2f}"


def fresh_ids() -> set[str]:
    """The latest round's blind cases (FRESH.md): their holdout figure is reported apart."""
    listed = CORPUS / "FRESH.md"
    if not listed.is_file():
        return set()
    return set(re.findall(r"^\|\s*`([\w.-]+)`\s*\|", listed.read_text(), re.M))


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "split         cases incid. top-1 top-3 culprit  healthy FP crashes silent",
    ]
    fresh = fresh_ids()
    rows: list[tuple[str, list[Outcome]]] = []
    for split in SPLITS:
        rows.append((split, [o for o in outcomes if o.split == split]))
        if split == "holdout":
            rows.append(("holdout-fresh", [o for o in rows[-1][1] if o.id in fresh]))
    for name, chosen in rows:
        fig = figures(chosen)
        if not fig.cases:
            continue
        r = fig.rates()
        lines.append(
            f"{name:13} {fig.cases:5} {fig.incidents:6} {_pct(r['top1'])} {_pct(r['top3'])} "
            f"{_pct(r['culprit'])}  {fig.healthy:7} {fig.false_positives:2} {fig.crashes:7} "
            f"{fig.silent:6}"
        )
    return "\n".join(lines)


def class_table(outcomes: list[Outcome], split: str) -> str:
    by_class: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.split == split:
            by_class[o.cls].append(o)
    lines = [f"per class, {split}:", "  class                              n top-1 top-3 silent FP"]
    for cls in sorted(by_class):
        fig = figures(by_class[cls])
        r = fig.rates()
        lines.append(
            f"  {cls[:34]:34} {fig.cases:3} {_pct(r['top1'])} {_pct(r['top3'])} "
            f"{fig.silent:6} {fig.false_positives:2}"
        )
    return "\n".join(lines)


def calibration(outcomes: list[Outcome], split: str, only: set[str] | None = None) -> str:
    """How often the top finding is right, per tier: what a tier's word is worth."""
    name = split if only is None else f"{split}-fresh"
    lines = [f"calibration, {name} (top finding of incident cases, by tier):"]
    lines.append("  tier        n  right  rate  mean confidence")
    chosen = [o for o in outcomes if o.split == split and (only is None or o.id in only)]
    for tier in ("confirmed", "probable", "lead"):
        rows = [o for o in chosen if not o.healthy and o.top_tier == tier]
        if not rows:
            continue
        right = sum(o.top1 for o in rows)
        mean = sum(o.top_confidence or 0 for o in rows) / len(rows)
        lines.append(f"  {tier:9} {len(rows):3} {right:6} {right / len(rows):5.2f}  {mean:5.2f}")
    leads = sum(o.leads_on_healthy for o in chosen if o.healthy)
    lines.append(f"  leads shown on healthy cases: {leads}")
    return "\n".join(lines)


def misses(outcomes: list[Outcome], split: str) -> str:
    lines = [f"misses, {split}:"]
    for o in outcomes:
        if o.split != split:
            continue
        if o.crash:
            lines.append(f"  {o.id}: CRASH {o.crash}")
        elif o.healthy and o.false_positive:
            lines.append(f"  {o.id}: healthy, but found {', '.join(o.got[:3])}")
        elif not o.healthy and not o.top1:
            got = ", ".join(o.got[:3]) or "nothing"
            lines.append(f"  {o.id}: expected {'|'.join(o.expected) or o.cls}; got {got}")
    return "\n".join(lines)


def below_floors(outcomes: list[Outcome]) -> list[str]:
    floors = yaml.safe_load((CORPUS / "floors.yaml").read_text()) or {}
    failed = []
    fresh = fresh_ids()
    for split, want in floors.items():
        if split == "holdout-fresh":
            fig = figures(o for o in outcomes if o.split == "holdout" and o.id in fresh)
        else:
            fig = figures(o for o in outcomes if o.split == split)
        if not fig.cases:
            continue
        have: dict[str, float | int | None] = {
            **fig.rates(),
            "false_positives": fig.false_positives,
            "crashes": fig.crashes,
        }
        for name, floor in want.items():
            value = have.get(name)
            if name in ("false_positives", "crashes"):
                if value is not None and value > floor:
                    failed.append(f"{split}: {name} {value} > {floor}")
            elif value is not None and value < floor:
                failed.append(f"{split}: {name} {value} < {floor}")
    return failed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", action="append", choices=SPLITS, help="default: all")
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    parser.add_argument("--floors", action="store_true", help="exit 1 below floors.yaml")
    parser.add_argument("--misses", action="append", choices=SPLITS, help="list these misses")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    splits = args.split or list(SPLITS)
    started = time.monotonic()
    outcomes = score(load_cases(splits), args.jobs)
    print(table(outcomes))
    for split in splits:
        if split in ("dev", "holdout", "seeds"):
            print()
            print(class_table(outcomes, split))
            print()
            print(calibration(outcomes, split))
            if split == "holdout" and fresh_ids():
                print()
                print(calibration(outcomes, split, fresh_ids()))
    for split in args.misses or []:
        print()
        print(misses(outcomes, split))
    print(f"\n{len(outcomes)} cases in {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    if args.floors:
        failed = below_floors(outcomes)
        for line in failed:
            print(f"below the floor: {line}")
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
