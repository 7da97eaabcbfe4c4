"""Log records pasted pretty-printed are read as the one line their program wrote."""

from __future__ import annotations

from pathlib import Path

from kubewhy.pipeline import Request, diagnose
from kubewhy.scanning.pretty_json import MAX_RECORD_LINES, pretty_records


def test_a_record_is_read_back_compact_in_field_order() -> None:
    lines = ["before", "{", '  "level": "warn",', '  "msg": "x",', '  "n": 1', "},", "after"]
    assert pretty_records(lines) == [(1, 5, '{"level":"warn","msg":"x","n":1}')]


def test_nested_and_indented_records_close_at_their_own_indent() -> None:
    lines = ["  {", '    "a": {', '      "b": 2', "    }", "  }"]
    assert pretty_records(lines) == [(0, 4, '{"a":{"b":2}}')]


def test_what_is_not_a_record_is_skipped() -> None:
    # not JSON, never closed, a list, and a block longer than any record: none is read
    assert pretty_records(["{", "  not json", "}"]) == []
    assert pretty_records(["{", '  "a": 1']) == []
    assert pretty_records(["{", "}"]) == [(0, 1, "{}")]
    long = ["{"] + ['  "k": 1,'] * MAX_RECORD_LINES + ['  "z": 2', "}"]
    assert pretty_records(long) == []


def test_a_pretty_printed_etcd_warning_is_matched() -> None:
    # A real etcd 3.5 warning pasted indented, one field per line (a write-up of a LIST storm,
    # in the corpus's dev half): its whole-prefix read of 7130 pods is etcd's expensive range.
    case = Path(__file__).parents[2] / "corpus" / "cases"
    folder = case / "palark-com-kubernetes-api-list-case-troubleshooting"
    modes = {f.failure_mode for f in diagnose(Request(paths=(folder,))).findings}
    assert "etcd-expensive-range-requests" in modes
