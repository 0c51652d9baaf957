"""Smaller variants of a failing input, for failures Hypothesis did not generate.

Hypothesis shrinks what its own random phase finds; it cannot shrink an example it did
not generate, such as a special value or a seed that failed. Those are shrunk here, at
the level of values: each round proposes the one-step simplifications of the current
input (delete a slice, move a number towards zero, simplify one character or one
item), the executor judges them in batches, and the smallest that still fails becomes
the current input, until no proposal fails. Proposals come simplest first, so a batch
that holds a failure holds a near-smallest one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agentkit_refute.values import Record, size_key

MAX_PROPOSALS = 512  # per round; the simplest are kept
MAX_PER_ITEM = 24  # proposals for one item of a collection
MAX_SCAN = 512  # integers tried below a stuck one


def proposals(args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """One-step simplifications of an argument tuple, strictly smaller, simplest first."""
    current = size_key(args)
    seen: set[str] = set()
    out: list[tuple[Any, ...]] = []
    for position, value in enumerate(args):
        for simpler in _simpler(value):
            proposal = (*args[:position], simpler, *args[position + 1 :])
            key = repr(proposal)
            if key not in seen and size_key(proposal) < current:
                seen.add(key)
                out.append(proposal)
    out.sort(key=size_key)
    return out[:MAX_PROPOSALS]


def scan(args: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """Every smaller integer in one integer argument, smallest first: for when the
    one-step proposals are stuck at a local minimum (composites with no small factor,
    say, are too sparse for steps from a large one to land on another)."""
    for position, value in enumerate(args):
        if isinstance(value, bool) or not isinstance(value, int) or value == 0:
            continue
        for magnitude in range(min(abs(value), MAX_SCAN // 2)):
            for candidate in (magnitude, -magnitude) if magnitude else (0,):
                if size_key(candidate) < size_key(value):
                    yield (*args[:position], candidate, *args[position + 1 :])


def _simpler(value: Any) -> Iterator[Any]:
    if isinstance(value, bool):
        if value:
            yield False
    elif isinstance(value, int):
        yield from _smaller_ints(value)
    elif isinstance(value, float):
        yield from _smaller_floats(value)
    elif isinstance(value, str):
        yield from ("".join(chars) for chars in _smaller_sequences(list(value), _smaller_char))
    elif isinstance(value, bytes):
        yield from (bytes(t) for t in _smaller_sequences(list(value), _smaller_byte))
    elif isinstance(value, list | tuple):
        for items in _smaller_sequences(list(value), _limited_simpler):
            yield type(value)(items) if isinstance(value, tuple) else items
    elif isinstance(value, set | frozenset):
        ordered = sorted(value, key=size_key)
        for items in _smaller_sequences(ordered, _limited_simpler):
            try:
                yield type(value)(items)
            except TypeError:  # an unhashable simplification
                continue
    elif isinstance(value, dict):
        yield from _smaller_dicts(value)
    elif isinstance(value, Record):
        for index, (name, field) in enumerate(value.fields):
            for simpler in _limited_simpler(field):
                fields = list(value.fields)
                fields[index] = (name, simpler)
                yield Record(value.name, tuple(fields))


def _limited_simpler(value: Any) -> Iterator[Any]:
    for count, simpler in enumerate(_simpler(value)):
        if count >= MAX_PER_ITEM:
            return
        yield simpler


def _smaller_ints(n: int) -> Iterator[int]:
    """Zero, the positive twin, then ``n`` moved towards zero by every power of two.

    The steps of all sizes in one round make the rounds a binary search: a failure
    that starts at 2**31 and holds from 1,000 up reaches 1,000 in about 31 rounds.
    """
    if n == 0:
        return
    yield 0
    if n < 0:
        yield -n
    sign, magnitude = (1 if n > 0 else -1), abs(n)
    step = 1
    while step < magnitude:
        yield sign * (magnitude - step)
        step *= 2
    yield sign * (magnitude // 2)


def _smaller_floats(x: float) -> Iterator[float]:
    if x != x or x in (float("inf"), float("-inf")):
        yield 0.0
        return
    if x == 0:
        return
    yield 0.0
    if x < 0:
        yield -x
    if x != int(x):
        yield float(int(x))
    for n in _smaller_ints(int(x)):
        yield float(n)
    yield x / 2


def _smaller_char(char: str) -> Iterator[str]:
    for simpler in ("a", "0", " "):
        if ord(simpler) < ord(char):
            yield simpler
    if ord(char) > 1:
        yield chr(ord(char) // 2)


def _smaller_byte(byte: int) -> Iterator[int]:
    if byte:
        yield 0
        yield byte // 2


def _smaller_sequences(items: list[Any], simpler_item: Any) -> Iterator[list[Any]]:
    """Deletions of every aligned slice of halving length, then one item simplified."""
    length = len(items)
    size = length
    while size >= 1:
        for start in range(0, length - size + 1, size):
            yield items[:start] + items[start + size :]
        size //= 2
    for index, item in enumerate(items):
        for simpler in simpler_item(item):
            yield [*items[:index], simpler, *items[index + 1 :]]


def _smaller_dicts(mapping: dict[Any, Any]) -> Iterator[dict[Any, Any]]:
    keys = sorted(mapping, key=size_key)
    for key in keys:
        yield {k: v for k, v in mapping.items() if k != key}
    for key in keys:
        for simpler in _limited_simpler(mapping[key]):
            yield {**mapping, key: simpler}
        for simpler_key in _limited_simpler(key):
            if simpler_key not in mapping:
                yield {(simpler_key if k == key else k): v for k, v in mapping.items()}
