"""A site's own rules and suppressions, from the command line or the environment.

``--kb-dir DIR`` (repeatable; ``KUBEWHY_KB_PATH=dir1:dir2``) adds failure modes to the built-in
knowledge base; ``--suppressions FILE`` (``KUBEWHY_SUPPRESSIONS``) silences accepted findings and
risks until they expire (``kubewhy.model.suppression``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kubewhy.errors import UsageError

if TYPE_CHECKING:
    from kubewhy.kb.load import KnowledgeBase
    from kubewhy.model.suppression import Suppression

KbDirOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--kb-dir",
        envvar="KUBEWHY_KB_PATH",
        help="A directory of local failure modes (*.yaml), added to the built-in ones; "
        "repeatable. Environment: KUBEWHY_KB_PATH=dir1:dir2.",
    ),
]
SuppressionsOption = Annotated[
    Path | None,
    typer.Option(
        "--suppressions",
        envvar="KUBEWHY_SUPPRESSIONS",
        help="A YAML file of accepted findings and risks (rule, entity, expires, reason).",
    ),
]


def site_knowledge_base(kb_dirs: list[Path] | None, patterns: bool = True) -> KnowledgeBase:
    """The built-in knowledge base plus the local directories, each validated on load;
    ``patterns=False`` for commands that never scan (their patterns are not compiled)."""
    from kubewhy.kb.load import knowledge_base

    return knowledge_base(tuple(kb_dirs or ()), patterns)


def read_suppressions(path: Path | None, kb: KnowledgeBase) -> tuple[Suppression, ...]:
    """The suppressions of ``path`` (none without one); expired ones are named on stderr, once,
    so that they are renewed or removed on purpose."""
    if path is None:
        return ()
    from kubewhy.model.suppression import parse_suppressions

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read suppressions {path}: {exc.strerror}") from None
    suppressions = parse_suppressions(text, str(path), set(kb.failure_modes))
    now = dt.datetime.now(dt.UTC)
    for s in suppressions:
        if s.expired(now):
            typer.echo(
                f"kubewhy: {path}: the suppression of {s.rule} on {s.entity} expired on "
                f"{s.expires:%Y-%m-%d}; it no longer applies",
                err=True,
            )
    return tuple(suppressions)
