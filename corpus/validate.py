"""Check every case folder's case.yaml against the corpus contract.

    python -m corpus.validate [CASE_DIR ...]

Prints one line per problem and exits 1 when there is any.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

CORPUS = Path(__file__).resolve().parent
KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SOURCE = re.compile(r"^(?:[\w.-]+/[\w.-]+#\d+|https?://\S+|seed \d{3}|test machine: .+)$")


class Proposed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    description: str


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    healthy: bool = False
    failure_modes: list[str] = []
    culprit: list[str] = []
    proposed: Proposed | None = None

    @field_validator("failure_modes")
    @classmethod
    def _kebab(cls, ids: list[str]) -> list[str]:
        for fm in ids:
            if not KEBAB.match(fm):
                raise ValueError(f"not a kebab-case id: {fm!r}")
        return ids


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    title: str
    kind: Literal["public", "machine", "reconstructed"]
    split: Literal["dev", "holdout", "seeds", "unassigned"] = "unassigned"
    expect: Expect
    diagnosed_by: Literal["maintainer", "reporter-confirmed", "postmortem", "test-machine"]
    confidence: Literal["high", "medium"]
    notes: str = ""

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if not SOURCE.match(value.strip()):
            raise ValueError(f"source must be owner/repo#N, a URL or 'seed NNN': {value!r}")
        return value


def known_ids() -> set[str]:
    text = (CORPUS / "LABELS.md").read_text()
    return set(re.findall(r"^- `([a-z0-9-]+)`", text, re.M))


def load_case(folder: Path) -> Case:
    data = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    return Case.model_validate(data)


def problems(folder: Path, ids: set[str]) -> list[str]:
    out: list[str] = []
    if not (folder / "case.yaml").is_file():
        return [f"{folder.name}: no case.yaml"]
    try:
        case = load_case(folder)
    except (yaml.YAMLError, ValidationError) as exc:
        first = str(exc).splitlines()
        return [f"{folder.name}: case.yaml: {' '.join(first[:3])}"]
    exp = case.expect
    if exp.healthy and (exp.failure_modes or exp.proposed):
        out.append(f"{folder.name}: a healthy case names no failure mode")
    if not exp.healthy and not exp.failure_modes and not exp.proposed:
        out.append(f"{folder.name}: names no failure mode and no proposed one")
    out.extend(
        f"{folder.name}: unknown failure mode {fm}" for fm in exp.failure_modes if fm not in ids
    )
    evidence = [p for p in folder.rglob("*") if p.is_file() and p.name not in ("case.yaml",)]
    if not [p for p in evidence if p.name != "PROVENANCE.md"]:
        out.append(f"{folder.name}: no evidence files")
    if case.kind != "public" and not (folder / "PROVENANCE.md").is_file():
        out.append(f"{folder.name}: a {case.kind} case needs PROVENANCE.md")
    return out


def _label(case: Case) -> tuple[str, ...]:
    proposed = case.expect.proposed.id if case.expect.proposed else ""
    return (*sorted(case.expect.failure_modes), proposed, str(case.expect.healthy))


def gathered_twice(folders: list[Path], every: list[Path]) -> list[str]:
    """Cases of ``folders`` whose source and label another case repeats, under an id that does
    not name it as a sibling (``x`` and ``x-2``, ``x-root-full``): the same incident gathered
    twice by two batches, which would count it twice. One thread may hold several incidents;
    those differ in their label or are named as siblings."""
    seen: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for folder in every:
        if not (folder / "case.yaml").is_file():
            continue
        try:
            case = load_case(folder)
        except (yaml.YAMLError, ValidationError):
            continue  # problems() reports it
        seen.setdefault((case.source, _label(case)), []).append(folder.name)
    out = []
    for folder in folders:
        named = [ids for ids in seen.values() if folder.name in ids]
        for other in (o for ids in named for o in ids if o != folder.name):
            if not (other.startswith(folder.name) or folder.name.startswith(other)):
                out.append(f"{folder.name}: the same source and label as {other} (gathered twice?)")
    return out


def case_dirs(args: list[str]) -> list[Path]:
    if args:
        return [Path(a) for a in args]
    return sorted(p for sub in ("cases", "seeds") for p in (CORPUS / sub).glob("*") if p.is_dir())


def main(argv: list[str]) -> int:
    ids = known_ids()
    folders = case_dirs(argv)
    found = [p for folder in folders for p in problems(folder, ids)]
    found += gathered_twice(folders, case_dirs([]))
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
