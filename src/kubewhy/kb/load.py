"""Load and validate the knowledge base: one YAML file per failure mode.

The file name is the failure-mode id. Loading checks the schema, that every condition parses and
names only catalogued facts, that every link points at a known failure mode, that every named
check and culprit finder exists, and that every log pattern compiles in every scanning engine.
Any problem is reported with the failure-mode id and the reason.

A site adds its own failure modes without a rebuild: local directories (``--kb-dir``,
``KUBEWHY_KB_PATH``) are loaded after the built-in files and validated the same way; a local file
with a built-in id replaces that failure mode (to tune it), and is listed in ``local``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from kubewhy.errors import KubewhyError
from kubewhy.facts.catalog import is_catalogued, with_sources
from kubewhy.kb import parsed_cache, validated_cache
from kubewhy.kb.conditions import Condition, ConditionError
from kubewhy.kb.schema import FailureMode, GoroutineSignature, LogSymptom
from kubewhy.model.components import KNOWN_COMPONENTS
from kubewhy.parsers.kernel_reports import marker_specs
from kubewhy.scanning import PatternError, PatternSpec, Scanner


class KnowledgeBaseError(KubewhyError):
    """A failure-mode file that does not load, with its id and the reason."""


@dataclass
class KnowledgeBase:
    failure_modes: dict[str, FailureMode]
    conditions: dict[str, Condition] = field(repr=False)
    # Every log pattern compiled once, in the order of log_patterns().
    scanner: Scanner | None = field(default=None, repr=False)
    # Where the files were read from (worker processes load the same knowledge base).
    directory: Path | None = None
    # Failure modes read from a site's local directories: id -> file.
    local: dict[str, Path] = field(default_factory=dict)

    def get(self, failure_mode_id: str) -> FailureMode:
        return self.failure_modes[failure_mode_id]

    def __iter__(self) -> Iterator[FailureMode]:
        return iter(self.failure_modes.values())

    def log_patterns(self) -> list[tuple[str, LogSymptom]]:
        return [(fm.id, s) for fm in self.failure_modes.values() for s in fm.logs]

    def goroutine_signatures(self) -> list[tuple[str, GoroutineSignature]]:
        return [(fm.id, g) for fm in self.failure_modes.values() for g in fm.goroutines]

    def sysctls(self) -> list[str]:
        """The kernel parameters the conditions read (``kernel.pid_max``), derived facts'
        sources included: what a node collector must read for them to be decided."""
        names = sorted({name for cond in self.conditions.values() for name in cond.names})
        return [
            name.removeprefix("sysctl.")
            for name in with_sources(names)
            if name.startswith("sysctl.")
        ]

    def condition(self, source: str) -> Condition:
        return self.conditions[source]

    def causes_of(self, failure_mode_id: str) -> list[str]:
        """Failure modes that list ``failure_mode_id`` among their effects."""
        return [
            fm.id
            for fm in self.failure_modes.values()
            if any(link.failure_mode == failure_mode_id for link in fm.causes)
        ]


def builtin_dir() -> Path:
    return Path(str(resources.files("kubewhy.kb") / "failure_modes"))


def _parse_file(path: Path, text: str) -> object:
    import yaml  # only when no cache holds the files (see kubewhy.kb.parsed_cache)

    try:
        # libyaml's loader when present: ten times faster, the same safe subset of YAML.
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(f"{path.stem}: not valid YAML: {exc}") from None


def _load_file(path: Path, raw: object) -> FailureMode:
    if not isinstance(raw, dict):
        raise KnowledgeBaseError(f"{path.stem}: expected a mapping at the top level")
    try:
        fm = FailureMode.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise KnowledgeBaseError(f"{path.stem}: {where}: {first['msg']}") from None
    if fm.id != path.stem:
        raise KnowledgeBaseError(f"{path.stem}: id {fm.id!r} differs from the file name")
    return fm


def _conditions_of(fm: FailureMode) -> list[str]:
    return [s.when for s in fm.facts] + [r.when for r in fm.risks]


def _rule_files(directory: Path, local: Sequence[Path]) -> list[tuple[Path, bool]]:
    """(file, is_local) in load order: the base directory, then each local one."""
    files = [(path, False) for path in sorted(directory.glob("*.yaml"))]
    for extra in local:
        if not extra.is_dir():
            raise KnowledgeBaseError(f"local rules {extra}: not a directory")
        files += [(path, True) for path in sorted(extra.glob("*.yaml"))]
    return files


def _validate_files(
    files: list[tuple[Path, bool]],
    names: list[str],
    datas: list[bytes],
    modes: dict[str, FailureMode],
    conditions: dict[str, Condition],
    local_files: dict[str, Path],
) -> None:
    """Parse and validate every file into ``modes``, ``conditions`` and ``local_files``, then
    keep what validated (see :mod:`kubewhy.kb.validated_cache`)."""
    from kubewhy.kb.checks import CHECKS
    from kubewhy.kb.culprits import CULPRIT_FINDERS

    texts = [path.read_text(encoding="utf-8") for path, _ in files]
    # Parsed data kept by an earlier run (they parsed then, so no YAML error can be missed);
    # on a miss each file is parsed just before it is validated, so the first bad file is
    # reported as without the caches.
    kept = parsed_cache.load(texts)
    parsed: list[object] = []
    loaded: list[FailureMode] = []
    for (path, is_local), text in zip(files, texts, strict=True):
        raw = kept[len(parsed)] if kept is not None else _parse_file(path, text)
        parsed.append(raw)
        fm = _load_file(path, raw)
        loaded.append(fm)
        if is_local:
            local_files[fm.id] = path
        for source in _conditions_of(fm):
            try:
                cond = Condition.parse(source)
            except ConditionError as exc:
                raise KnowledgeBaseError(f"{fm.id}: {exc}") from None
            unknown = sorted(n for n in cond.names if not is_catalogued(n))
            if unknown:
                raise KnowledgeBaseError(f"{fm.id}: condition uses unknown facts {unknown}")
            conditions[source] = cond
        for check in fm.checks:
            if check.check not in CHECKS:
                raise KnowledgeBaseError(f"{fm.id}: unknown check {check.check!r}")
        if fm.culprit and fm.culprit not in CULPRIT_FINDERS:
            raise KnowledgeBaseError(f"{fm.id}: unknown culprit finder {fm.culprit!r}")
        modes[fm.id] = fm
    for fm in modes.values():
        for link in fm.causes:
            if link.failure_mode not in modes:
                raise KnowledgeBaseError(f"{fm.id}: links to unknown {link.failure_mode!r}")
            # A misspelt component would leave the link silently never holding.
            unknown = sorted(set(link.from_components) - KNOWN_COMPONENTS)
            if unknown:
                raise KnowledgeBaseError(f"{fm.id}: link from unknown components {unknown}")
        for general in fm.subsumes:
            if general not in modes:
                raise KnowledgeBaseError(f"{fm.id}: subsumes unknown {general!r}")
        for claim in fm.claims:
            other = modes.get(claim.failure_mode)
            if other is None:
                unknown_mode = claim.failure_mode
                raise KnowledgeBaseError(f"{fm.id}: claims symptoms of unknown {unknown_mode!r}")
            missing = sorted(set(claim.symptoms) - {s.id for s in other.logs})
            if missing:
                raise KnowledgeBaseError(f"{fm.id}: claims unknown symptoms {missing}")
    if kept is None:
        parsed_cache.store(texts, parsed)
    validated_cache.store(names, datas, loaded, conditions)


def load_knowledge_base(
    directory: Path | None = None, local: Sequence[Path] = (), patterns: bool = True
) -> KnowledgeBase:
    """Load every ``*.yaml`` in ``directory`` (default: the built-in knowledge base), then in
    each of the ``local`` directories. ``patterns=False`` leaves the log patterns uncompiled,
    for what only reads the rules (listing, explaining, alerting rules): they are compiled when
    a scan first needs them."""
    directory = directory or builtin_dir()
    modes: dict[str, FailureMode] = {}
    conditions: dict[str, Condition] = {}
    local_files: dict[str, Path] = {}
    files = _rule_files(directory, local)
    names = [f"{'local' if is_local else 'builtin'}/{path.name}" for path, is_local in files]
    # The files' bytes are what the validated cache's key covers: text is decoded only on a miss.
    datas = [path.read_bytes() for path, _ in files]
    # The failure modes and conditions an earlier run of the same code validated from the
    # same files: every check below held for them then, and holds for the same files and code.
    validated = validated_cache.load(names, datas)
    if validated is not None:
        loaded, conditions = validated
        for (path, is_local), fm in zip(files, loaded, strict=True):
            if is_local:
                local_files[fm.id] = path
            modes[fm.id] = fm
    else:
        _validate_files(files, names, datas, modes, conditions, local_files)
    kb = KnowledgeBase(modes, conditions, directory=directory, local=local_files)
    if patterns:
        kb.scanner = compile_patterns(kb)
    return kb


def compile_patterns(kb: KnowledgeBase, engine: str = "auto") -> Scanner:
    """One scanner for every log pattern of ``kb``; a pattern the engine refuses is reported with
    its failure mode. Constructs that only some engines run (lookarounds, backreferences) are
    already refused by the schema, so every engine accepts the same knowledge base (a test
    compiles it in each one). The kernel reports' markers follow the knowledge base's patterns
    (indices from ``len(kb.log_patterns())``): the log scan tells the kernel report reader which
    blocks hold one, so a log is searched once for both."""
    entries = kb.log_patterns()
    specs = [PatternSpec(s.pattern, s.ignore_case) for _, s in entries] + marker_specs()
    try:
        return Scanner(specs, engine=engine)
    except PatternError as exc:
        if exc.index >= len(entries):
            raise KnowledgeBaseError(f"kernel report marker rejected by {engine}: {exc}") from None
        fm_id, symptom = entries[exc.index]
        raise KnowledgeBaseError(
            f"{fm_id}: pattern {symptom.id!r} rejected by {engine}: {exc}"
        ) from None


@cache
def default_knowledge_base() -> KnowledgeBase:
    return load_knowledge_base()


def knowledge_base(local: Sequence[Path] = (), patterns: bool = True) -> KnowledgeBase:
    """The built-in knowledge base and a site's local directories (loaded once per set);
    ``patterns=False``: see :func:`load_knowledge_base`."""
    if patterns:
        return _with_local(tuple(local)) if local else default_knowledge_base()
    return _rules_only(tuple(local))


@cache
def _with_local(local: tuple[Path, ...]) -> KnowledgeBase:
    return load_knowledge_base(local=local)


@cache
def _rules_only(local: tuple[Path, ...]) -> KnowledgeBase:
    return load_knowledge_base(local=local, patterns=False)
