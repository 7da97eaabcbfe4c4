"""Shared helpers for the parser tests: load a sample, parse it, check the result's contract."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubewhy.facts.catalog import is_catalogued
from kubewhy.model.facts import Value
from kubewhy.parsers.base import Context, DocumentFormat, ParseResult

DATA = Path(__file__).parent / "data"

Parse = Callable[..., ParseResult]


def check_contract(result: ParseResult, source: str) -> None:
    """What every parse result must honour, whatever the format."""
    for fact in result.facts:
        assert is_catalogued(fact.name), f"uncatalogued fact name {fact.name}"
        assert fact.evidence is not None, f"{fact.name} has no evidence"
        assert fact.evidence.source == source
        assert fact.evidence.text, f"{fact.name} cites an empty line"
        if fact.evidence.time is not None:
            assert fact.evidence.time.tzinfo is not None
    for record in result.records:
        assert record.text.strip()
    for stamp in result.anchors:
        assert stamp.has_year
    assert result.malformed >= 0


@pytest.fixture
def parse() -> Parse:
    def run(fmt: DocumentFormat, sample: str, **ctx: str) -> ParseResult:
        text = (DATA / sample).read_text()
        result = fmt.parse(text, Context(sample, **ctx))
        check_contract(result, sample)
        return result

    return run


def values(result: ParseResult, name: str) -> list[Value]:
    return [fact.value for fact in result.facts if fact.name == name]


def by_entity(result: ParseResult, name: str) -> dict[str, Value]:
    return {fact.entity.ref(): fact.value for fact in result.facts if fact.name == name}


@pytest.fixture
def facts() -> Callable[[ParseResult, str], list[Value]]:
    return values


@pytest.fixture
def facts_by_entity() -> Callable[[ParseResult, str], dict[str, Value]]:
    return by_entity
