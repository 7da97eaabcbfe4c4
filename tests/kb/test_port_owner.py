"""A line that names only an address names its listener by the well-known port."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubewhy.pipeline import Request, diagnose

# real: kubernetes-sigs/descheduler#124 (the reporter redacted the address)
ETCD = "2018-12-14 19:11:51.664266 C | etcdmain: listen tcp <public_ip>:2380: bind: cannot assign requested address"  # noqa: E501
# built: Go's listen error for the API server's port
APISERVER = "Error: failed to create listener: failed to listen on 10.0.0.5:6443: listen tcp 10.0.0.5:6443: bind: cannot assign requested address"  # noqa: E501


@pytest.mark.parametrize(("line", "owner"), [(ETCD, "etcd"), (APISERVER, "kube-apiserver")])
def test_the_port_names_the_component_that_could_not_listen(
    tmp_path: Path, line: str, owner: str
) -> None:
    log = tmp_path / "terminal.txt"
    log.write_text(line + "\n")
    finding = diagnose(Request(paths=(log,))).findings[0]
    assert finding.failure_mode == "control-plane-address-changed"
    assert finding.culprit is not None and finding.culprit.name == owner
