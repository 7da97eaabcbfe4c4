"""The knowledge base's failure modes as validated objects, kept between runs.

Validating the failure-mode files (the schema, and every pattern compiled by Python's ``re``
to prove that it is valid) is most of loading the knowledge base: about 70 ms of every run,
where the validated objects are read back in about 7 ms. The key covers the files' names and
text, kubewhy's own code as installed (each source file's name, size and time), and Python's
and pydantic's versions: an edited file or a changed validator is a miss, never a stale hit.
Only what validated is kept, so a hit vouches for it. The folder is the user's own cache, the
one the compiled pattern database is loaded from. Best effort: an unreadable or unwritable
cache only means validating again.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path

import pydantic

from kubewhy.kb.schema import FailureMode
from kubewhy.scanning.engines import cache_dir, code_stamp, read_cached_file, write_atomically

_VERSION = 1


def _path(names: Sequence[str], texts: Sequence[str]) -> Path | None:
    base = cache_dir()
    stamp = code_stamp()
    if base is None or stamp is None:
        return None
    digest = hashlib.sha256(f"{_VERSION} {sys.version} {pydantic.VERSION}\n".encode())
    digest.update(stamp)
    for name, text in zip(names, texts, strict=True):
        data = text.encode("utf-8", errors="surrogatepass")
        digest.update(b"\n%s %d\n" % (name.encode("utf-8", "surrogateescape"), len(data)))
        digest.update(data)
    return base / f"kbmodes-{digest.hexdigest()[:32]}.pickle"


def load(names: Sequence[str], texts: Sequence[str]) -> list[FailureMode] | None:
    """The failure mode of each of ``texts`` (files named ``names``), if an earlier run of
    the same code validated them."""
    path = _path(names, texts)
    data = None if path is None else read_cached_file(path)
    if data is None:
        return None
    try:
        found = pickle.loads(data)
    except Exception:  # a damaged cache file is a miss, whatever it raises
        return None
    if not isinstance(found, list) or len(found) != len(texts):
        return None
    if not all(isinstance(fm, FailureMode) for fm in found):
        return None
    return found


def store(names: Sequence[str], texts: Sequence[str], modes: Sequence[FailureMode]) -> None:
    """Keep ``modes``, validated from ``texts``."""
    path = _path(names, texts)
    if path is None:
        return
    try:
        data = pickle.dumps(list(modes), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    write_atomically(path, data)
