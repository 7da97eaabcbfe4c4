"""The knowledge base's failure modes and conditions as validated objects, kept between runs.

Validating the failure-mode files (the schema, and every pattern compiled by Python's ``re``
to prove that it is valid) is most of loading the knowledge base: about 70 ms of every run,
where the validated objects are read back in about 7 ms; parsing their conditions again took
5 ms more, so the parsed conditions are kept beside them. The key covers the files' names and
bytes (as read from disk, before any decoding), kubewhy's own code as installed (each source
file's name, size and time), and Python's and pydantic's versions: an edited file or a changed
validator is a miss, never a stale hit. Only what validated is kept, so a hit vouches for it.
The folder is the user's own cache, the one the compiled pattern database is loaded from. Best
effort: an unreadable or unwritable cache only means validating again.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pydantic

from kubewhy.kb.conditions import Condition
from kubewhy.kb.schema import FailureMode
from kubewhy.scanning.engines import cache_dir, code_stamp, read_cached_file, write_atomically

_VERSION = 2


def _path(names: Sequence[str], datas: Sequence[bytes]) -> Path | None:
    base = cache_dir()
    stamp = code_stamp()
    if base is None or stamp is None:
        return None
    digest = hashlib.sha256(f"{_VERSION} {sys.version} {pydantic.VERSION}\n".encode())
    digest.update(stamp)
    for name, data in zip(names, datas, strict=True):
        digest.update(b"\n%s %d\n" % (name.encode("utf-8", "surrogateescape"), len(data)))
        digest.update(data)
    return base / f"kbmodes-{digest.hexdigest()[:32]}.pickle"


def load(
    names: Sequence[str], datas: Sequence[bytes]
) -> tuple[list[FailureMode], dict[str, Condition]] | None:
    """The failure mode of each of the files named ``names`` whose bytes are ``datas``, and
    the parsed conditions of them all, if an earlier run of the same code validated them."""
    path = _path(names, datas)
    data = None if path is None else read_cached_file(path)
    if data is None:
        return None
    try:
        found = pickle.loads(data)
    except Exception:  # a damaged cache file is a miss, whatever it raises
        return None
    if not isinstance(found, tuple) or len(found) != 2:
        return None
    modes, conditions = found
    if not isinstance(modes, list) or len(modes) != len(datas):
        return None
    if not all(isinstance(fm, FailureMode) for fm in modes):
        return None
    if not isinstance(conditions, dict) or not all(
        isinstance(k, str) and isinstance(c, Condition) for k, c in conditions.items()
    ):
        return None
    return modes, conditions


def store(
    names: Sequence[str],
    datas: Sequence[bytes],
    modes: Sequence[FailureMode],
    conditions: Mapping[str, Condition],
) -> None:
    """Keep ``modes`` and ``conditions``, validated from the files' bytes ``datas``."""
    path = _path(names, datas)
    if path is None:
        return
    try:
        data = pickle.dumps((list(modes), dict(conditions)), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return
    write_atomically(path, data)
