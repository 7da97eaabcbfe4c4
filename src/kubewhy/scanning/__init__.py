"""Scan big evidence once with every knowledge-base pattern.

One multi-pattern database (Hyperscan, else RE2, else ``re``) proposes candidate lines over
large blocks; Python ``re`` then decides each candidate, so every engine gives the same answer.
The streams it scans are opened by :mod:`kubewhy.sources` (decompressed, journald converted).
"""

from kubewhy.scanning.engines import available_engines
from kubewhy.scanning.patterns import PatternError, PatternSpec
from kubewhy.scanning.scanner import LineMatch, Scanner, StreamScan

__all__ = [
    "LineMatch",
    "PatternError",
    "PatternSpec",
    "Scanner",
    "StreamScan",
    "available_engines",
]
