"""limits.conf and limits.d precedence."""

from __future__ import annotations

from pathlib import Path

from kubewhy.parsers.base import Context
from kubewhy.parsers.limits import LimitsFormat

FORMAT = LimitsFormat()


def test_debian_default_has_no_entries(parse) -> None:
    result = parse(FORMAT, "limits_debian.conf")
    assert result.facts == []
    assert result.malformed == 0
    assert (
        FORMAT.sniff(
            Path(__file__).with_name("data").joinpath("limits_debian.conf").read_text().splitlines()
        )
        >= 0.9
    )


def test_limits_d_read_in_lexical_order_after_limits_conf(parse, facts) -> None:
    result = parse(FORMAT, "limits_concatenated.txt", node="n1")
    # limits.conf (hard 100000), then 10-early.conf (soft 2048), then 20-nproc.conf (soft 4096);
    # the .rpmsave file is never read by pam_limits.
    assert facts(result, "node.limits.nproc") == [4096]
    fact = result.facts[0]
    assert fact.evidence is not None
    assert fact.evidence.line == 13 and "4096" in fact.evidence.text
    assert result.malformed == 1  # "this line is not a limit"


def test_hard_limit_caps_soft() -> None:
    text = "*  soft nproc 65536\n*  hard nproc 4096\n"
    result = FORMAT.parse(text, Context("/etc/security/limits.conf"))
    assert [f.value for f in result.facts] == [4096]


def test_dash_type_sets_both_and_user_entries_do_not_count() -> None:
    text = "* - nproc unlimited\nbob soft nproc 10\n@dev hard nproc 20\n"
    result = FORMAT.parse(text, Context("limits.conf"))
    assert [f.value for f in result.facts] == ["unlimited"]


def test_source_path_orders_an_unnamed_limits_d_file() -> None:
    text = "* soft nproc 1024\n"
    result = FORMAT.parse(text, Context("bundle.tgz!etc/security/limits.d/20-nproc.conf"))
    assert [f.value for f in result.facts] == [1024]
