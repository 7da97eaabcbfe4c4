"""Evidence: a line (or value) from an input, with where and when it came from."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from kubewhy.model.redact import redact
from kubewhy.model.times import ListingTime

MAX_TEXT = 600


@dataclass(frozen=True, slots=True)
class Evidence:
    """One citable piece of evidence.

    ``source`` is the display path of the input (inside an archive: ``archive.tgz!path``),
    ``line`` is 1-based, ``time`` is timezone-aware UTC when known. ``listed`` places a line of
    a listing that prints ages (kubectl's events) on that listing's own clock: never a time.
    """

    source: str
    line: int | None
    time: datetime | None
    text: str
    listed: ListingTime | None = None

    def clipped(self) -> Evidence:
        """At most :data:`MAX_TEXT` characters; a long line is redacted before it is cut, so a
        secret cut in half is never shown (short lines are redacted with the report)."""
        if len(self.text) <= MAX_TEXT:
            return self
        text = redact(self.text)
        if len(text) <= MAX_TEXT:
            return replace(self, text=text)
        return replace(self, text=text[: MAX_TEXT - 3] + "...")
