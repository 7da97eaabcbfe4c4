"""What a diagnosis read: every input and its format, what could not be read, parse errors."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubewhy.model.bundle import Gap
from kubewhy.model.diagnosis import InputRef


@dataclass
class ReadReport:
    inputs: list[InputRef] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    # Lines or values of a known format that did not parse, per input.
    parse_errors: dict[str, int] = field(default_factory=dict)
    # Matching lines left out because their time is outside --since/--until.
    outside_window: int = 0
