"""Loading YAML and JSON from evidence without letting a document blow up.

- YAML aliases: a 500-byte "billion laughs" document expands to billions of nodes once walked.
  A document with anchors is first read as events and refused when its aliases would add more
  than ``yaml-alias-nodes`` nodes (libyaml itself refuses nesting deeper than 1,000 levels).
- JSON nesting: the standard reader fails with RecursionError on deep input (a hostile server's
  ``[[[[...]]]]``); it is a :class:`CapReachedError` here, like any other bound.

The caps come from the run (:func:`using`), defaulting to :class:`kubewhy.model.caps.Caps`.

>>> names = "abcdefghijklmnopqrstuvwxyz"
>>> lines = [f"{c}: &{c} [*{p}, *{p}]\\n" for p, c in zip(names, names[1:])]
>>> bomb = "a: &a [x, x]\\n" + "".join(lines)
>>> list(yaml_documents(bomb))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
kubewhy.parsers.loading.CapReachedError: YAML aliases would expand to more than 100000 nodes; ...
>>> list(yaml_documents("kind: Pod\\n---\\nkind: Node\\n"))
[{'kind': 'Pod'}, {'kind': 'Node'}]
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from typing import TYPE_CHECKING, Any

from kubewhy.model.caps import Caps

if TYPE_CHECKING:
    import yaml

_DEFAULT = Caps()
_CAPS: ContextVar[Caps | None] = ContextVar("kubewhy_caps", default=None)


@cache
def _loader() -> type[yaml.SafeLoader]:
    """libyaml's safe loader when present; PyYAML is imported when a document is first read
    (about 10 ms that a run without YAML evidence does not pay)."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


class CapReachedError(ValueError):
    """A document refused because reading it would pass one of the run's caps."""


@contextlib.contextmanager
def using(caps: Caps) -> Iterator[None]:
    """The caps the loaders apply within the block."""
    token = _CAPS.set(caps)
    try:
        yield
    finally:
        _CAPS.reset(token)


def yaml_documents(text: str) -> Iterator[Any]:
    """Every YAML document of ``text`` (``yaml.YAMLError`` for broken YAML, as PyYAML)."""
    if "&" in text and "*" in text:
        _check_aliases(text, _CAPS.get() or _DEFAULT)
    import yaml

    yield from yaml.load_all(text, Loader=_loader())


def yaml_document(text: str) -> Any:
    """The first YAML document of ``text`` (None for none)."""
    return next(iter(yaml_documents(text)), None)


def _check_aliases(text: str, caps: Caps) -> None:
    """Count the nodes each alias stands for, from the event stream (no tree is built); refuse
    an alias inside the collection it names (a structure that contains itself).

    >>> _check_aliases("&a [*a]", _DEFAULT)
    Traceback (most recent call last):
    ...
    yaml.error.YAMLError: a YAML alias refers to a collection that contains it
    """
    import yaml

    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # [anchor, nodes so far] of each open collection
    added = 0
    for event in yaml.parse(text, Loader=_loader()):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 1])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, count = stack.pop()
        elif isinstance(event, yaml.AliasEvent):
            if any(open_anchor == event.anchor for open_anchor, _ in stack):
                # "&a [*a]": a collection that holds itself; walking it never ends.
                raise yaml.YAMLError("a YAML alias refers to a collection that contains it")
            anchor, count = None, sizes.get(str(event.anchor), 1)
            added += count
            if added > caps.yaml_alias_nodes:
                raise CapReachedError(
                    f"YAML aliases would expand to more than {caps.yaml_alias_nodes} nodes; "
                    + caps.raise_hint("yaml-alias-nodes")
                )
        elif isinstance(event, yaml.ScalarEvent):
            anchor, count = event.anchor, 1
        else:
            continue
        if anchor:
            sizes[str(anchor)] = count
        if stack:
            stack[-1][1] += count


def json_document(text: str) -> Any:
    """``json.loads`` with deep nesting as :class:`CapReachedError` instead of RecursionError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise CapReachedError("JSON nested too deeply to read") from None
