"""Is the candidate's output the expected one? Exact, within a float tolerance, or unordered.

Outputs arrive decoded (:mod:`agentkit_refute.values`): an iterator as the items drawn
from it (:class:`Drawn`), an instance by its public state (:class:`Obj`), and an object
with no comparable value as its type name only (:class:`Opaque`). Ask :func:`comparable`
before :func:`same_output`: two outputs that are the same but for an Opaque can be
neither the same nor different (:func:`same_output` takes Opaques of one type as the same).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from agentkit_refute.values import ITER_LIMIT, Drawn, Obj, Opaque, Record

Mode = Literal["exact", "float", "unordered"]
MODES: tuple[Mode, ...] = ("exact", "float", "unordered")


def same_output(expected: Any, actual: Any, mode: Mode = "exact", tolerance: float = 1e-9) -> bool:
    """Exact is Python's ``==`` on numbers (``2`` is ``2.0``, but ``True`` is not ``1``),
    type-strict otherwise (a list is not a tuple, nor an iterator); NaN equals NaN.

    Two iterators are the same when the items drawn from them are, and both or neither
    had more than were drawn, whatever their types (a generator and a ``map``). Two
    instances are the same when their type names and public attributes are.

    ``float`` compares numbers (ints and floats alike) within ``tolerance``, relative or
    absolute; ``unordered`` also ignores the order of the top-level collection (or of
    the items drawn from a top-level iterator).
    """
    if mode == "unordered":
        want, got = _unordered_items(expected), _unordered_items(actual)
        if want is not None and got is not None:
            if type(expected) is not type(actual) or len(want) != len(got):
                return False
            if isinstance(expected, Drawn) and expected.more != actual.more:
                return False
            return _same_multiset(want, got, tolerance)
    return _same(expected, actual, mode == "float", tolerance)


def comparable(
    expected: Any, actual: Any, mode: Mode = "exact", tolerance: float = 1e-9
) -> str | None:
    """None when the two outputs can be compared; else one line saying why not.

    An :class:`Opaque` (a function, a lock, an object with no public state) has nothing
    to compare it by but its type. Outputs that differ elsewhere (``[1, <lock>]`` and
    ``[2, <lock>]``), or where one side holds an Opaque and the other a value, differ,
    and are comparable: otherwise code under test could escape judgement by returning a
    lock. Outputs that are the same but for their Opaque parts are not comparable.
    """
    opaque = sorted(
        {v.type for value in (expected, actual) for v in _walk(value) if isinstance(v, Opaque)}
    )
    if not opaque or not same_output(expected, actual, mode, tolerance):
        return None
    kinds = ", ".join(opaque)
    if isinstance(expected, Opaque):
        return (
            f"the outputs are objects of type {kinds} with no public state: they cannot be compared"
        )
    return (
        f"the outputs hold objects of type {kinds} with no public state, and are the same "
        "but for those: they cannot be compared"
    )


def notes(expected: Any, actual: Any) -> list[str]:
    """What a reader of the verdict should know about how the outputs were compared."""
    cut = sorted(
        {v.type for value in (expected, actual) for v in _walk(value) if _cut(v)},
    )
    if not cut:
        return []
    return [
        f"compared the first {ITER_LIMIT} items of each iterator "
        f"({', '.join(cut)} had more than that)"
    ]


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
    if isinstance(a, Obj):
        return a.type == b.type and _same(dict(a.fields), dict(b.fields), loose, tolerance)
    if isinstance(a, Drawn):
        return a.more == b.more and _same(list(a.items), list(b.items), loose, tolerance)
    return bool(a == b)


def _unordered_items(value: Any) -> list[Any] | None:
    if isinstance(value, list | tuple):
        return list(value)
    return list(value.items) if isinstance(value, Drawn) else None


def _walk(value: Any, depth: int = 0) -> Iterator[Any]:
    """``value`` and every value inside it."""
    yield value
    if depth > 300:  # decoded values are nested at most about 200 deep
        return
    if isinstance(value, dict):
        inner: Iterable[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        inner = value
    elif isinstance(value, Record | Obj):
        inner = [v for _, v in value.fields]
    elif isinstance(value, Drawn):
        inner = value.items
    else:
        return
    for item in inner:
        yield from _walk(item, depth + 1)


def _cut(value: Any) -> bool:
    return isinstance(value, Drawn) and value.more


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
