"""A small, safe condition language over facts.

Conditions in failure-mode files are Python-shaped expressions, parsed with :mod:`ast` and
evaluated by walking a whitelist of node types: no attribute access on objects, no calls but the
named helpers below, no imports. Dotted names are fact names of the subject entity.

A fact that is absent makes any comparison with it false (absent data is a normal state, not
an error); use ``has(name)`` / ``absent(name)`` to ask for presence itself.

>>> c = Condition.parse("sysctl.kernel.pid_max < 65536 and absent(kubelet.pod_pids_limit)")
>>> c.evaluate({"sysctl.kernel.pid_max": 49152})
True
>>> c.evaluate({"sysctl.kernel.pid_max": 4194304})
False
>>> Condition.parse("version_lt(kernel.release, '4.16')").evaluate({"kernel.release": "4.4.0-104"})
True
>>> sorted(Condition.parse("a.b / c.d >= 0.9 or has(e)").names)
['a.b', 'c.d', 'e']
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubewhy.model.facts import Value


class ConditionError(ValueError):
    """A condition that cannot be parsed or uses something outside the language."""


class _Absent:
    """The value of a fact that is not in the evidence."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def version_tuple(version: str) -> tuple[int, ...]:
    """Numeric parts of a version string, at most four.

    >>> version_tuple("v1.18.4")
    (1, 18, 4)
    >>> version_tuple("4.4.0-104-generic")
    (4, 4, 0, 104)
    """
    return tuple(int(p) for p in re.findall(r"\d+", version)[:4])


def _version_lt(a: object, b: object) -> bool:
    return version_tuple(str(a)) < version_tuple(str(b))


def _version_ge(a: object, b: object) -> bool:
    return version_tuple(str(a)) >= version_tuple(str(b))


def _matches(value: object, pattern: object) -> bool:
    return re.search(str(pattern), str(value)) is not None


_FUNCTIONS: dict[str, Callable[..., bool]] = {
    "version_lt": _version_lt,
    "version_ge": _version_ge,
    "matches": _matches,
}


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


@dataclass(frozen=True)
class Condition:
    source: str
    tree: ast.Expression = field(repr=False)
    names: frozenset[str] = frozenset()

    @staticmethod
    def parse(source: str) -> Condition:
        try:
            tree = ast.parse(source.strip(), mode="eval")
        except SyntaxError as exc:
            raise ConditionError(f"cannot parse condition {source!r}: {exc.msg}") from None
        names: set[str] = set()
        _validate(tree.body, names)
        return Condition(source, tree, frozenset(names))

    def evaluate(self, facts: Mapping[str, Value]) -> bool:
        try:
            return bool(_eval(self.tree.body, facts))
        except (TypeError, ZeroDivisionError, ValueError):
            # Mismatched types (a string where a number was expected) mean "no".
            return False


def _validate(node: ast.expr, names: set[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _validate(value, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        _validate(node.operand, names)
    elif isinstance(node, ast.Compare):
        if any(type(op) not in _COMPARE for op in node.ops):
            raise ConditionError("unsupported comparison")
        for part in [node.left, *node.comparators]:
            _validate(part, names)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _ARITH:
            raise ConditionError("unsupported arithmetic")
        _validate(node.left, names)
        _validate(node.right, names)
    elif isinstance(node, ast.Call):
        fname = _dotted(node.func)
        if fname in ("has", "absent"):
            if len(node.args) != 1 or not (arg := _dotted(node.args[0])):
                raise ConditionError(f"{fname}() takes one fact name")
            names.add(arg)
        elif fname in _FUNCTIONS:
            for arg_node in node.args:
                _validate(arg_node, names)
        else:
            raise ConditionError(f"unknown function {fname!r}")
    elif isinstance(node, ast.Name | ast.Attribute):
        name = _dotted(node)
        if name is None:
            raise ConditionError("unsupported expression")
        if name not in ("true", "false"):
            names.add(name)
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, int | float | str | bool):
            raise ConditionError("unsupported constant")
    elif isinstance(node, ast.Tuple | ast.List):
        for elt in node.elts:
            _validate(elt, names)
    else:
        raise ConditionError(f"unsupported syntax: {type(node).__name__}")


def _eval(node: ast.expr, facts: Mapping[str, Value]) -> Any:
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_eval(v, facts) for v in node.values)
        return any(_eval(v, facts) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, facts)
        if isinstance(node.op, ast.Not):
            return not operand
        return ABSENT if operand is ABSENT else -operand
    if isinstance(node, ast.Compare):
        left = _eval(node.left, facts)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, facts)
            if left is ABSENT or right is ABSENT or not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, facts), _eval(node.right, facts)
        if left is ABSENT or right is ABSENT:
            return ABSENT
        return _ARITH[type(node.op)](left, right)
    if isinstance(node, ast.Call):
        fname = _dotted(node.func)
        if fname in ("has", "absent"):
            present = _dotted(node.args[0]) in facts
            return present if fname == "has" else not present
        args = [_eval(a, facts) for a in node.args]
        if any(a is ABSENT for a in args):
            return False
        return _FUNCTIONS[str(fname)](*args)
    if isinstance(node, ast.Name | ast.Attribute):
        name = str(_dotted(node))
        if name in ("true", "false"):
            return name == "true"
        return facts.get(name, ABSENT)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple | ast.List):
        return tuple(_eval(e, facts) for e in node.elts)
    raise ConditionError(f"unsupported syntax: {type(node).__name__}")
