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


# public: metallb/metallb#2089 (trimmed): the manifest printed by `cat`, then the error that
# `kubectl apply` of it printed, pasted as one block under the one prompt.
MANIFEST_THEN_ERROR = (
    b"ubuntu@bl01:~$ cat metallb-pool.yaml\n"
    b"apiVersion: metallb.io/v1beta1\n"
    b"kind: IPAddressPool\n"
    b"metadata:\n"
    b"  name: ippool1\n"
    b"  namespace: metallb-system\n"
    b"spec:\n"
    b"  addresses:\n"
    b"  - 10.102.7.216-10.102.7.221\n"
    b"\n"
    b'Error from server (InternalError): error when creating "metallb-pool.yaml": Internal error '
    b'occurred: failed calling webhook "ipaddresspoolvalidationwebhook.metallb.io": failed to '
    b'call webhook: Post "https://metallb-webhook-service.metallb-system.svc:443/validate?'
    b'timeout=10s": Service Unavailable\n'
)


def test_a_line_that_is_no_part_of_a_manifest_is_scanned_at_its_own_line() -> None:
    inputs = Inputs(
        files=[InputFile(Path("terminal.txt"), "terminal.txt", data=MANIFEST_THEN_ERROR)]
    )
    parsed = parse_inputs(inputs)
    [document] = parsed.documents
    assert document.text is not None
    lines = document.text.split("\n")
    # The manifest's lines are blanked (its objects are facts), the error is kept in its place.
    assert [n for n, line in enumerate(lines, document.first_line) if line] == [11]
    assert lines[10].startswith("Error from server (InternalError)")


def test_a_manifest_alone_leaves_nothing_to_the_scan() -> None:
    only = MANIFEST_THEN_ERROR.rsplit(b"\n\n", 1)[0] + b"\n"
    parsed = parse_inputs(Inputs(files=[InputFile(Path("t.txt"), "t.txt", data=only)]))
    [document] = parsed.documents
    assert document.text is None


def test_json_and_collected_manifests_are_not_read_line_by_line_again() -> None:
    from kubewhy.parsers.read import _unstructured_part

    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n---\n"
    stray = 'Error from server (NotFound): pods "web-2" not found\n'
    assert _unstructured_part("k8s-objects", pod + stray) == "\n" * 5 + stray
    # JSON that parsed is one value: nothing else is in it.
    assert _unstructured_part("k8s-objects", '{\n  "kind": "Pod"\n}\n' + stray) is None
    # Past a paste's size the manifest was written by a program (a cluster dump).
    assert _unstructured_part("k8s-objects", pod * 60_000 + stray) is None
    # Other structured formats keep nothing; unstructured ones keep all.
    assert _unstructured_part("etcdctl", stray) is None
    assert _unstructured_part("text", stray) == stray
