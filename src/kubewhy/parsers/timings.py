"""A column of name-lookup times, as a loop of ``curl -w '%{time_namelookup}\\n'`` prints them.

The numbers alone say nothing: what they time is in the command that printed them or in the
name the file was given (``curl-time-namelookup.txt``). Lookups that take the stub resolver's
timeout (5.0x s with glibc, 2.5x s with musl, 10.0x s when the retry is lost too) among fast
ones are lost queries sent again: the quantised latency of ``dns-resolver-timeout-retry``.

>>> text = "0.002\\n0.003\\n5.004\\n0.002\\n5.011\\n0.004\\n"
>>> facts = {f.name: f.value for f in TIMINGS.parse(text, Context("curl-namelookup.txt")).facts}
>>> facts["dns.lookups_at_timeout"], facts["dns.lookup_samples"]
(2, 6)
>>> TIMINGS.parse(text, Context("latencies.txt")).facts
[]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.parsers.base import Context, DocumentFormat, ParseResult

_SECONDS = re.compile(r"^\s*(\d{1,4}\.\d{3,9})\s*$")
# Where the numbers are said to be name-lookup times: the file's name or the command's -w.
_LOOKUP_NAMED = re.compile(r"namelookup|name[-_ ]?lookup|dns[-_ ]?lookup|resolve[-_ ]?time", re.I)
# The resolver's retry points: the timeout plus the retry's round trip.
_AT_TIMEOUT = ((2.5, 2.6), (5.0, 5.3), (10.0, 10.3))
MIN_SAMPLES = 5


def _at_timeout(seconds: float) -> bool:
    return any(low <= seconds < high for low, high in _AT_TIMEOUT)


class LookupTimings:
    name = "lookup-timings"
    hints = (_SECONDS,)

    def sniff(self, head: Sequence[str]) -> float:
        # A bare column of decimal seconds: any tool could print one, so this format only
        # reads it (and says nothing) unless the name or the command says what it times.
        rows = [line for line in head[:40] if line.strip()]
        if len(rows) < MIN_SAMPLES or not all(_SECONDS.match(r) for r in rows):
            return 0.0
        return 0.3

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        if not _LOOKUP_NAMED.search(f"{ctx.source} {ctx.command or ''}"):
            return result
        samples: list[tuple[int, str, float]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            found = _SECONDS.match(line)
            if found is not None:
                samples.append((number, line.strip(), float(found.group(1))))
        if len(samples) < MIN_SAMPLES:
            return result
        slow = [s for s in samples if _at_timeout(s[2])]
        cluster = Entity.cluster()
        result.entities.append(cluster)
        first = slow[0] if slow else samples[0]
        why = (
            f"{len(slow)} of {len(samples)} name lookups took the resolver's timeout: {first[1]} s"
        )
        evidence = Evidence(ctx.source, first[0], None, why)
        result.facts.append(Fact("dns.lookup_samples", cluster, len(samples), evidence))
        result.facts.append(Fact("dns.lookups_at_timeout", cluster, len(slow), evidence))
        share = round(len(slow) / len(samples), 3)
        result.facts.append(Fact("dns.lookups_at_timeout_share", cluster, share, evidence))
        return result


TIMINGS = LookupTimings()
FORMATS: list[DocumentFormat] = [TIMINGS]
