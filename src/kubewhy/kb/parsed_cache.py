"""The knowledge base's YAML files as parsed data, kept between runs as JSON.

Building Python objects from YAML is most of loading the knowledge base (about 0.1 s of every
run, with libyaml; JSON of the same data loads in 2 ms). The key is a digest of the files'
text, so an edited file is a miss, never a stale hit; data JSON cannot carry exactly (dates,
keys that are not strings) is not kept. Best effort: an unreadable or unwritable cache only
means parsing the YAML again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from kubewhy.scanning.engines import cache_dir, read_cached_file, write_atomically

_VERSION = 1


def _path(texts: Sequence[str]) -> Path | None:
    import yaml  # asked only when no validated failure modes were kept

    base = cache_dir()
    if base is None:
        return None
    digest = hashlib.sha256(f"{_VERSION} {yaml.__version__} {len(texts)}".encode())
    for text in texts:
        data = text.encode("utf-8", errors="surrogatepass")
        digest.update(b"%d\n" % len(data))
        digest.update(data)
    return base / f"kb-{digest.hexdigest()[:32]}.json"


def load(texts: Sequence[str]) -> list[object] | None:
    """The parsed documents of ``texts``, one each, if kept by an earlier run."""
    path = _path(texts)
    if path is None:
        return None
    data = read_cached_file(path)
    if data is None:
        return None
    try:
        found = json.loads(data)
    except ValueError:
        return None
    if not isinstance(found, list) or len(found) != len(texts):
        return None
    return found


def store(texts: Sequence[str], documents: Sequence[object]) -> None:
    """Keep ``documents`` (parsed from ``texts``) when JSON gives them back unchanged."""
    path = _path(texts)
    if path is None:
        return
    try:
        data = json.dumps(list(documents), ensure_ascii=False)
    except (TypeError, ValueError):
        return
    if json.loads(data) != list(documents):
        return
    write_atomically(path, data.encode("utf-8"))
