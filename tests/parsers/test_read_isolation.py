"""One bad record, or one broken reader, never costs a whole file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.promjson import PromJsonFormat
from kubewhy.parsers.read import parse_inputs
from kubewhy.sources.files import InputFile, Inputs

ANSWER = (
    b'{"status":"success","data":{"resultType":"vector","result":[\n'
    b'{"metric":{"__name__":"up"},"value":[1700000000,"1"]}]}}\n'
    b"kubelet: PLEG is not healthy: pleg was last seen active 3m4s ago\n"
)


def test_a_reader_that_fails_leaves_the_lines_to_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: PromJsonFormat, text: str, ctx: Context) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(PromJsonFormat, "parse", broken)
    inputs = Inputs(files=[InputFile(Path("answer.json"), "answer.json", data=ANSWER)])
    parsed = parse_inputs(inputs)
    assert [g.detail for g in parsed.gaps] == ["prometheus-json parser failed: RuntimeError: a bug"]
    [document] = parsed.documents
    assert document.text is not None and "PLEG is not healthy" in document.text


def test_a_log_line_its_reader_fails_on_is_still_a_hit(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubewhy.facts.build import build_facts
    from kubewhy.kb.load import default_knowledge_base
    from kubewhy.kb.scan import scan_evidence
    from kubewhy.parsers.klog import KlogFormat

    def broken(self: KlogFormat, line: str) -> None:
        raise OverflowError("a stamp no clock shows")

    log = b"".join(
        b"I0907 07:04:%02d.611412    1873 kubelet.go:1] PLEG is not healthy: pleg was last "
        b"seen active 3m4s ago\n" % second
        for second in range(20)
    )
    monkeypatch.setattr(KlogFormat, "parse_line", broken)
    inputs = Inputs(files=[InputFile(Path("kubelet.log"), "kubelet.log", data=log)])
    parsed = parse_inputs(inputs)
    scan = scan_evidence(parsed, build_facts(parsed), default_knowledge_base())
    assert scan.parse_errors == {"kubelet.log": 20}
    pleg = [hit for hit in scan.hits if hit.failure_mode == "pleg-unhealthy"]
    assert sum(hit.count for hit in pleg) == 20
