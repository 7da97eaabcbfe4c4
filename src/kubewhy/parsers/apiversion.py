"""The API server's ``/version`` answer: which kube-apiserver the cluster runs::

    {"major": "1", "minor": "18", "gitVersion": "v1.18.4", "gitCommit": "c96aede7b52...",
     "gitTreeState": "clean", "buildDate": "2020-06-17T11:33:59Z", "goVersion": "go1.13.9",
     "compiler": "gc", "platform": "linux/amd64"}

>>> r = ApiVersionFormat().parse('{"major": "1", "minor": "18", "gitVersion": "v1.18.4"}',
...                              Context("version.json"))
>>> [(f.name, f.value) for f in r.facts]
[('cluster.apiserver_version', 'v1.18.4')]
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.parsers.base import Context, ParseResult


class ApiVersionFormat:
    name = "apiserver-version"
    # Its one score needs "gitVersion".
    hints = ('"gitVersion"',)

    def sniff(self, head: Sequence[str]) -> float:
        joined = "\n".join(head)
        if '"gitVersion"' in joined and '"major"' in joined and '"kind"' not in joined:
            return 0.95
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            result.malformed += 1
            return result
        version = document.get("gitVersion") if isinstance(document, dict) else None
        if not isinstance(version, str) or not version:
            result.malformed += 1
            return result
        evidence = Evidence(ctx.source, None, None, f'"gitVersion": "{version}"')
        result.facts.append(Fact("cluster.apiserver_version", Entity.cluster(), version, evidence))
        return result


FORMATS = [ApiVersionFormat()]
