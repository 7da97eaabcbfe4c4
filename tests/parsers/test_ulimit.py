"""ulimit -a of bash and dash."""

from __future__ import annotations

import resource
import shutil
import subprocess

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.ulimit import UlimitFormat

FORMAT = UlimitFormat()


def _expected_nproc() -> int | str:
    soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    return "unlimited" if soft == resource.RLIM_INFINITY else soft


@pytest.mark.parametrize("sample", ["ulimit_bash.txt", "ulimit_dash.txt"])
def test_samples_give_max_user_processes(parse, facts, sample: str) -> None:
    result = parse(FORMAT, sample, node="n1")
    assert facts(result, "node.ulimit.max_user_processes") == [96362]
    assert result.malformed == 0
    fact = result.facts[0]
    assert fact.entity.name == "n1"
    assert fact.evidence is not None and "96362" in fact.evidence.text


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_real_shells(shell: str) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"no {shell}")
    done = subprocess.run(
        [shell, "-c", "ulimit -a"], capture_output=True, text=True, timeout=10, check=True
    )
    assert FORMAT.sniff(done.stdout.splitlines()) >= 0.9
    result = FORMAT.parse(done.stdout, Context(shell))
    assert [f.value for f in result.facts] == [_expected_nproc()]


def test_unlimited_and_malformed() -> None:
    text = "max user processes              (-u) unlimited\nopen files (-n) lots\nnoise\n"
    result = FORMAT.parse(text, Context("u"))
    assert [f.value for f in result.facts] == ["unlimited"]
    assert result.malformed == 2


def test_transcript_with_ulimit_u() -> None:
    text = "[root@node-xx ~]# ulimit -u\n204800\n[root@node-xx ~]# ulimit -a\n"
    text += "max user processes              (-u) 204800\nopen files (-n) 655350\n"
    result = FORMAT.parse(text, Context("ulimit.txt"))
    assert [(f.value, f.evidence.line if f.evidence else None) for f in result.facts] == [
        (204800, 2),
        (204800, 4),
    ]
    assert result.malformed == 0
