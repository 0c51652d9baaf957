"""Is the candidate's output the expected one? Exact, within a float tolerance, or unordered."""

from __future__ import annotations

import math
from typing import Any, Literal

from agentkit_refute.values import Record

Mode = Literal["exact", "float", "unordered"]
MODES: tuple[Mode, ...] = ("exact", "float", "unordered")


def same_output(expected: Any, actual: Any, mode: Mode = "exact", tolerance: float = 1e-9) -> bool:
    """Exact is Python's ``==`` on numbers (``2`` is ``2.0``, but ``True`` is not ``1``),
    type-strict otherwise (a list is not a tuple); NaN equals NaN.

    ``float`` compares numbers (ints and floats alike) within ``tolerance``, relative or
    absolute; ``unordered`` also ignores the order of the top-level collection.
    """
    if (
        mode == "unordered"
        and isinstance(expected, list | tuple)
        and isinstance(actual, list | tuple)
    ):
        if type(expected) is not type(actual) or len(expected) != len(actual):
            return False
        return _same_multiset(list(expected), list(actual), tolerance)
    return _same(expected, actual, mode == "float", tolerance)


def same_text(expected: str, actual: str, mode: Mode = "exact", tolerance: float = 1e-9) -> bool:
    """Program outputs, token by token (whitespace and line breaks do not matter)."""
    want, got = expected.split(), actual.split()
    if mode == "unordered":
        want, got = sorted(want), sorted(got)
    if len(want) != len(got):
        return False
    return all(
        a == b or (mode == "float" and _close_tokens(a, b, tolerance))
        for a, b in zip(want, got, strict=True)
    )


def _same(a: Any, b: Any, loose: bool, tolerance: float) -> bool:
    if _is_number(a) and _is_number(b):
        return _close(a, b, tolerance) if loose else (a == b or (_is_nan(a) and _is_nan(b)))
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(
            _same(x, y, loose, tolerance) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], loose, tolerance) for k in a)
    if isinstance(a, Record):
        return a.name == b.name and _same(dict(a.fields), dict(b.fields), loose, tolerance)
    return bool(a == b)


def _same_multiset(want: list[Any], got: list[Any], tolerance: float) -> bool:
    left = list(got)
    for item in want:
        match = next(
            (i for i, other in enumerate(left) if _same(item, other, False, tolerance)), None
        )
        if match is None:
            return False
        left.pop(match)
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _close(a: float, b: float, tolerance: float) -> bool:
    if _is_nan(a) or _is_nan(b):
        return _is_nan(a) and _is_nan(b)
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)


def _close_tokens(a: str, b: str, tolerance: float) -> bool:
    try:
        return _close(float(a), float(b), tolerance)
    except ValueError:
        return False
