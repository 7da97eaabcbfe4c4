"""Records a terminal UI wrapped inside its box are read back as the line their program wrote."""

from __future__ import annotations

from pathlib import Path

from kubewhy.scanning.boxed import MAX_ROWS, boxed_records

CASES = Path(__file__).parents[2] / "corpus" / "cases"


def _row(text: str, width: int = 60) -> str:
    return "│ " + text.ljust(width) + " │"


def test_full_rows_are_joined_up_to_the_padded_one() -> None:
    rows = [_row("a" * 60), _row("b" * 60), _row("c"), _row("next record")]
    assert boxed_records(rows) == [(0, 2, "a" * 60 + "b" * 60 + "c")]


def test_a_cut_at_a_space_keeps_the_space() -> None:
    rows = [_row("x" * 59 + " "), _row("y")]
    assert boxed_records(rows) == [(0, 1, "x" * 59 + " y")]


def test_tables_and_plain_lines_are_not_boxes() -> None:
    # ASCII bars edge markdown and psql tables, whose equal rows are not wrapped records; a
    # narrow box is a table's column; a row of another width starts another box.
    table = ["| " + "NAME".ljust(60) + " |", "| " + "pod-a".ljust(60) + " |"]
    assert boxed_records(table) == []
    assert boxed_records(["│ " + "x" * 10 + " │", "│ y" + " " * 9 + " │"]) == []
    assert boxed_records([_row("z" * 60), _row("w", width=70)]) == []
    assert boxed_records(["plain line", "│ half a box"]) == []


def test_a_record_is_bounded() -> None:
    rows = [_row("r" * 60)] * (MAX_ROWS + 5)
    spans = boxed_records(rows)
    assert spans[0][:2] == (0, MAX_ROWS - 1)


def test_a_real_k9s_paste_is_read_whole() -> None:
    # calico-node's log copied out of k9s's log view with wrapping on (a reporter's paste, in
    # the corpus's dev half): the refusal is cut over three rows.
    lines = (CASES / "projectcalico-calico-6687" / "calico-node.log").read_text().splitlines()
    first = boxed_records(lines)[0]
    assert first[:2] == (0, 2)
    assert first[2].endswith("error=connection is unauthorized: Unauthorized")
    assert "Failed to perform list of current data during resync" in first[2]
