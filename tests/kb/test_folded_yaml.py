"""Quoted strings a YAML writer folded over several lines are read back whole: the knowledge
base's example lines, put in an object's status and written by PyYAML at 60 columns (as
kubectl's YAML writer folds at 80), match their symptom as the whole line does."""

from __future__ import annotations

from pathlib import Path

import yaml

from kubewhy.kb.load import compile_patterns, default_knowledge_base
from kubewhy.pipeline import Request, diagnose
from kubewhy.scanning.folded import folded_scalars

from .helpers import patterns_matched


def _written(message: str) -> list[str]:
    status = {"status": {"conditions": [{"message": message, "reason": "FailedCreate"}]}}
    return yaml.safe_dump(status, width=60, default_style=None).splitlines()


def test_example_lines_folded_by_a_yaml_writer_still_match() -> None:
    kb = default_knowledge_base()
    scanner = kb.scanner or compile_patterns(kb)
    folded = kept = read_pieces = 0
    for index, (_, symptom) in enumerate(kb.log_patterns()):
        for example in symptom.examples:
            if "'" in example or '"' in example or not 90 < len(example) <= 300:
                continue
            if index not in patterns_matched(scanner, [example]):
                continue
            lines = _written(example)
            spans = folded_scalars(lines)
            if len(lines) < 4 or not spans:
                continue  # the writer did not fold it (a plain scalar, or no room to)
            folded += 1
            read_pieces += index in patterns_matched(scanner, lines)
            kept += index in patterns_matched(scanner, [text for _, _, text in spans])
    assert folded >= 50
    assert read_pieces < 0.5 * folded
    assert kept >= 0.95 * folded


def test_a_folded_condition_message_is_diagnosed(tmp_path: Path) -> None:
    message = (
        'pods "istiod-7d9c5b6f4-" is forbidden: no PriorityClass with name mesh-critical was found'
    )
    status = {
        "status": {
            "conditions": [
                {
                    "message": message,
                    "reason": "FailedCreate",
                    "status": "True",
                    "type": "ReplicaFailure",
                }
            ]
        }
    }
    text = yaml.safe_dump(status, width=60)
    assert message not in text  # the writer folded it
    (tmp_path / "replicaset-status.yaml").write_text(text)
    diagnosis = diagnose(Request(paths=(tmp_path,)))
    assert diagnosis.findings[0].failure_mode == "priority-class-admission-rejects-pods"


def test_a_string_closed_on_its_first_line_is_left_alone() -> None:
    lines = ["status:", "  message: 'done in one line'", "  reason: Ok"]
    assert folded_scalars(lines) == []
