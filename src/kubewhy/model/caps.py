"""The bounds kubewhy keeps to, whatever the evidence: each can be raised with ``--limit``.

A cap that is reached never fails the diagnosis: what was read up to it is used and a gap
(reason ``cap``) names the cap and how to raise it, so a cut input is never taken for a whole one.

>>> caps = Caps().with_overrides(["input-bytes=1G", "depth=2"])
>>> caps.input_bytes, caps.depth
(1073741824, 2)
>>> Caps().raise_hint("input-bytes")
'cap input-bytes (4 GiB) reached; raise it with --limit input-bytes=SIZE'
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


@dataclass(frozen=True)
class Caps:
    # Bytes read from one input once decompressed (a bigger log is read up to here).
    input_bytes: int = 4 << 30
    # Decompressed bytes per compressed byte, checked once ratio_floor bytes came out: real
    # logs compress 5 to 40 times (a flood of one message with changing timestamps: gzip 13,
    # xz 27, zstd 35), bombs of one repeated line 300 (gzip) to 11,000 (zstd) times, zeros more.
    ratio: int = 100
    ratio_floor: int = 16 << 20
    # A document (objects, describe output, ps, ...) is parsed whole: at most this big (a JSON
    # list of 64 MiB takes about 600 MB once parsed; a namespace's pods.json of a 150,000-pod
    # cluster-info dump is about 15 MiB).
    document_bytes: int = 32 << 20
    # YAML: nodes an alias may add (the "billion laughs"), and nesting of any document.
    yaml_alias_nodes: int = 100_000
    nesting: int = 500
    # Archives: bytes extracted over the whole run (also never more than the free space less
    # extract_reserve), members, archives inside archives.
    extract_bytes: int = 8 << 30
    extract_reserve: int = 512 << 20
    members: int = 200_000
    depth: int = 3
    # Seconds for one input's document parse; seconds for the whole diagnosis.
    input_seconds: float = 120.0
    run_seconds: float = 1800.0
    # Bytes of memory (data segment) of the whole run; 0 leaves it to the system. Off by default:
    # memory is bounded by the caps above (documents parsed whole, logs streamed), and a native
    # parser (pydantic-core's JSON reader) aborts the process, rather than raising, when an
    # allocation fails.
    memory: int = 0

    def with_overrides(self, items: list[str]) -> Caps:
        """``NAME=VALUE`` pairs (``input-bytes=1G``) over these caps; ValueError if wrong."""
        changes: dict[str, Any] = {}
        fields = {f.name: f for f in dataclasses.fields(self)}
        for item in items:
            name, sep, value = item.partition("=")
            key = name.strip().replace("-", "_")
            if not sep or key not in fields:
                known = ", ".join(sorted(n.replace("_", "-") for n in fields))
                raise ValueError(f"--limit {item!r}: expected NAME=VALUE with NAME one of {known}")
            changes[key] = _number(value, float if fields[key].type == "float" else int)
        return dataclasses.replace(self, **changes)

    def raise_hint(self, name: str) -> str:
        """``cap NAME (value) reached; raise it with --limit NAME=...``."""
        value = getattr(self, name.replace("-", "_"))
        unit = "SIZE" if name.endswith("bytes") or name == "memory" else "N"
        shown = _size(value) if unit == "SIZE" else f"{value:g}"
        return f"cap {name} ({shown}) reached; raise it with --limit {name}={unit}"


def _number(text: str, kind: type[int] | type[float]) -> int | float:
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text, re.IGNORECASE)
    if not found:
        raise ValueError(f"--limit value {text!r}: expected a number such as 512M, 2G or 30")
    value = float(found.group(1)) * _UNITS[found.group(2).lower()]
    return kind(value)


def _size(value: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= scale and value % scale == 0:
            return f"{value // scale} {unit}"
    return f"{value} bytes"
