"""Names from outside (an API server, a manifest, an archive) as file names: data, never paths.

A pod called ``../../etc/cron.d/x`` must not become a path that leaves the bundle. Every name is
encoded into one safe path segment: ``%`` escapes (the URL way, so :func:`decode_segment` gives
the name back) for ``/``, ``\\``, ``%``, control characters, anything outside printable ASCII,
a leading ``.`` (no hidden files, no ``.`` or ``..``) and an empty name; a name whose encoding is
longer than :data:`MAX_SEGMENT` bytes is cut and ends in a digest of the whole name (the
manifest keeps the real name). Kubernetes names (DNS labels and subdomains) are left as they are.

>>> encode_segment("kube-system"), encode_segment(".."), encode_segment("a/b")
('kube-system', '%2E%2E', 'a%2Fb')
>>> encode_segment("nul\\x00byte"), encode_segment("")
('nul%00byte', '%')
>>> decode_segment(encode_segment("pod-é/../x"))
'pod-é/../x'
>>> safe_join("ns", "..", "logs.txt")
'ns/%2E%2E/logs.txt'
>>> is_safe_relative("ns/pod/logs.txt"), is_safe_relative("../x"), is_safe_relative("/etc/x")
(True, False, False)
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath
from urllib.parse import quote, unquote

# Bytes of one segment: file systems allow 255; room is left for a suffix a writer may add.
MAX_SEGMENT = 200
_SAFE_CHARS = "-_.+=@,:~"
_UNSAFE_SEGMENT = re.compile(r"[\x00-\x1f\x7f\\]")


def encode_segment(name: str) -> str:
    """``name`` as one file name that no file system or archive tool reads as a path."""
    if name == "":
        return "%"
    encoded = quote(name, safe=_SAFE_CHARS)
    if encoded.startswith("."):
        encoded = "%2E" + encoded[1:]
    if encoded in ("%2E.", "%2E"):
        encoded = encoded.replace(".", "%2E")
    if len(encoded) > MAX_SEGMENT:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        cut = encoded[: MAX_SEGMENT - 18]
        cut = cut[: cut.rfind("%")] if "%" in cut[-2:] else cut  # never half an escape
        encoded = f"{cut}~~{digest}"
    return encoded


def decode_segment(segment: str) -> str:
    """The name :func:`encode_segment` encoded (a cut, digested name stays as it is)."""
    return "" if segment == "%" else unquote(segment)


def safe_join(*names: str) -> str:
    """A relative path of one encoded segment per name."""
    return "/".join(encode_segment(name) for name in names)


def is_safe_relative(path: str) -> bool:
    """True for a relative path that stays where it is joined: no absolute path, no empty,
    ``.`` or ``..`` segment, no backslash or control character, no over-long segment."""
    if not path or path.startswith("/") or _UNSAFE_SEGMENT.search(path):
        return False
    parts = path.split("/")
    return all(
        part not in ("", ".", "..") and len(part.encode("utf-8", "surrogatepass")) <= 255
        for part in parts
    )


def safe_relative(name: str) -> str:
    """A member name of an archive or bundle as a safe relative path: ``/`` keeps separating
    folders, empty and ``.`` segments are dropped, a segment that is not a safe file name
    (``..``, control characters, too long) is encoded, the others are kept as they are (a
    bundle's already encoded names stay what they are, for the reader to decode).

    >>> safe_relative("/etc/../passwd"), safe_relative("./a//b/"), safe_relative("")
    ('etc/%2E%2E/passwd', 'a/b', '%')
    >>> safe_relative("ns/%2E%2E/logs.txt"), safe_relative("é/.hidden")
    ('ns/%2E%2E/logs.txt', 'é/.hidden')
    """
    parts = PurePosixPath(name.replace("\\", "/")).parts
    kept = []
    for part in parts:
        if part in ("/", "."):
            continue
        safe = part != ".." and not _UNSAFE_SEGMENT.search(part)
        fits = len(part.encode("utf-8", "surrogatepass")) <= MAX_SEGMENT
        kept.append(part if safe and fits else encode_segment(part))
    return "/".join(kept) or "%"
