"""Input domains: from a type description to special values, small-scope enumeration and
Hypothesis strategies.

A type description is the JSON the sandbox gives for a parameter's type hint
(``{"t": "list", "of": {"t": "int"}}``; see ``_inside._type_of``), or one learnt from
seed inputs. Values are built outside the sandbox, where a dataclass is a
:class:`~agentkit_refute.values.Record`.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from hypothesis import strategies as st

from agentkit.errors import AgentkitError
from agentkit_refute.values import Record, decode, size_key

__all__ = [
    "DomainError",
    "Scale",
    "args_strategy",
    "boundary_inputs",
    "check",
    "coerce",
    "describe_value",
    "merged",
    "small_inputs",
    "unique",
    "with_literals",
]

Desc = dict[str, Any]
MAX_LIST = 64  # longest collection the random search draws


class DomainError(AgentkitError):
    """The input domain cannot be worked out (no type hint and no seeds, or an odd hint)."""


# -- Hypothesis strategies ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Scale:
    """A bound on the random search's values: integers and floats within
    ``[-magnitude, magnitude]``, texts and collections of at most ``longest`` items."""

    magnitude: int
    longest: int


def args_strategy(
    params: Sequence[Desc], scale: Scale | None = None
) -> st.SearchStrategy[tuple[Any, ...]]:
    """One tuple of positional arguments per draw; within ``scale`` if one is given."""
    return st.tuples(*(strategy(p, scale) for p in params))


def strategy(desc: Desc, scale: Scale | None = None) -> st.SearchStrategy[Any]:
    kind = desc["t"]
    longest = scale.longest if scale else MAX_LIST
    if desc.get("near"):  # the code's own constants (see with_literals): drawn often
        plain = {k: v for k, v in desc.items() if k != "near"}
        return st.one_of(st.sampled_from(desc["near"]), strategy(plain, scale))
    if kind == "str" and desc.get("alphabet"):
        return st.one_of(st.text(desc["alphabet"], max_size=longest), st.text(max_size=longest))
    if scale and kind in ("int", "float"):
        n = scale.magnitude
        if kind == "int":
            return st.integers(-n, n)
        return st.floats(-n, n, allow_nan=False, allow_infinity=False)
    scalars = {
        # Hypothesis's unbounded integers are mostly tiny or huge; the middle ranges are
        # where "x > 100"-style bugs and puzzles live, so they get draws of their own.
        "int": st.one_of(st.integers(-1000, 1000), st.integers(-(10**6), 10**6), st.integers()),
        "float": st.floats(allow_nan=False, allow_infinity=False),
        "bool": st.booleans(),
        "str": st.text(max_size=longest),
        "bytes": st.binary(max_size=longest),
        "none": st.none(),
    }
    if kind in scalars:
        return scalars[kind]
    if kind == "list":
        items = st.lists(strategy(desc["of"], scale), max_size=longest)
        return items.map(tuple) if desc.get("as") == "tuple" else items
    if kind in ("set", "frozenset"):
        items = st.sets(strategy(desc["of"], scale), max_size=longest)
        return items.map(frozenset) if kind == "frozenset" else items
    if kind == "tuple":
        return st.tuples(*(strategy(item, scale) for item in desc["items"]))
    if kind == "dict":
        return st.dictionaries(
            strategy(desc["key"], scale), strategy(desc["value"], scale), max_size=longest
        )
    if kind == "union":
        return st.one_of(*(strategy(option, scale) for option in desc["options"]))
    if kind == "literal":
        return st.sampled_from([decode(v) for v in desc["values"]])
    if kind == "dataclass":
        names = [name for name, _ in desc["fields"]]
        fields = st.tuples(*(strategy(field, scale) for _, field in desc["fields"]))
        return fields.map(
            lambda values: Record(desc["name"], tuple(zip(names, values, strict=True)))
        )
    raise DomainError(f"cannot search inputs of type {desc.get('repr', kind)}")


# -- special values first ----------------------------------------------------------------

SPECIAL: dict[str, list[Any]] = {
    "int": [0, 1, -1, 2, -2, 3, 10, -10, 100, 1000, -1000, 2**31 - 1, -(2**31), 2**63, 10**18],
    "float": [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 0.1, 2.5, -2.5, 1e-9, 1e9, 1e300, -1e300],
    "bool": [False, True],
    # The highest code point, alone and in a run, is the text's extreme (like 2**63).
    "str": [
        *("", " ", "a", "A", "aa", "ab", "ba", "a b", "0", "-1", "\n", "é", "😀"),
        *("\U0010ffff", "a" * 100, "\U0010ffff" * 8),
    ],
    "bytes": [b"", b"\x00", b"a", b"\xff", b"ab", b"\x00" * 100],
    "none": [None],
}


def boundary_values(desc: Desc, limit: int = 40) -> list[Any]:
    """Special values of a type: zero, signs, extremes, empties, duplicates, orderings."""
    kind = desc["t"]
    if kind in SPECIAL:
        near = desc.get("near", [])
        return unique([*SPECIAL[kind][:6], *near, *SPECIAL[kind][6:]])[: limit + len(near)]
    if kind in ("list", "set", "frozenset"):
        return unique(_special_collections(desc, limit))[:limit]
    if kind == "tuple":
        return _product([boundary_values(item, 6) for item in desc["items"]], limit)
    if kind == "dict":
        keys, values = boundary_values(desc["key"], 4), boundary_values(desc["value"], 4)
        pairs = [{}] + [{k: v} for k, v in itertools.product(keys, values)]
        pairs += [dict(zip(keys, values, strict=False))]
        return pairs[:limit]
    if kind == "union":
        return unique(list(_roundrobin(boundary_values(o, limit) for o in desc["options"])))[:limit]
    if kind == "literal":
        return [decode(v) for v in desc["values"]][:limit]
    if kind == "dataclass":
        return [_record(desc, values) for values in _product(_field_values(desc, 5), limit)]
    raise DomainError(f"cannot search inputs of type {desc.get('repr', kind)}")


def _special_collections(desc: Desc, limit: int) -> list[Any]:
    items = boundary_values(desc["of"], 8)
    small = items[:4]
    lists: list[list[Any]] = [[]]
    lists += [[x] for x in small]
    lists += [[x, x] for x in small]  # duplicates
    lists += [[a, b] for a, b in itertools.permutations(small[:3], 2)]  # both orders
    if desc["of"]["t"] == "int":
        lists += [[1, 2, 3], [3, 2, 1], [1, 1, 2], [2, 1, 1], [-1, -2, -3], [0, -1, 1]]
        lists += [list(range(20)), list(range(20, 0, -1)), [1] * 20, list(range(-10, 10))]
        lists += [[(-1) ** i * i for i in range(50)], list(range(100))]
    else:
        lists += [small * 3, items, items[::-1]]
    return [_as_kind(desc, value) for value in lists]


def _as_kind(desc: Desc, items: list[Any]) -> Any:
    kind = desc["t"]
    try:
        if kind == "set":
            return set(items)
        if kind == "frozenset":
            return frozenset(items)
    except TypeError:  # unhashable items
        return None
    return tuple(items) if desc.get("as") == "tuple" else items


def boundary_inputs(params: Sequence[Desc], limit: int = 400) -> list[tuple[Any, ...]]:
    return _product([boundary_values(p) for p in params], limit)


# -- the code's own constants ----------------------------------------------------------

MAX_EXTRA_LETTERS = 2  # the small strings' alphabet: "ab" and this many more characters


def with_literals(params: Sequence[Desc], literals: dict[str, list[Any]]) -> list[Desc]:
    """``params`` with the constants written in the code put where their types occur.

    An int parameter gets each integer constant and its neighbours (``score > 90`` fails
    at 90), a float the float constants, a string the string constants as words and the
    characters of the shortest ones in its small-scope alphabet (``split("=")`` needs
    an ``=`` to go wrong). ``literals`` is what the sandbox read from the sources.
    """
    ints = literals.get("int", [])
    near_ints = unique([n + d for n in ints for d in (0, -1, 1)])
    near = {
        "int": near_ints,
        "float": unique(literals.get("float", [])),
        "str": unique(literals.get("str", [])),
    }
    letters = "".join(
        dict.fromkeys(
            c for word in literals.get("str", []) if len(word) <= 2 for c in word if c not in "ab"
        )
    )
    extra = {"str": {"alphabet": "ab" + letters[:MAX_EXTRA_LETTERS]} if letters else {}}
    return [_annotated(p, near, extra) for p in params]


def _annotated(desc: Desc, near: dict[str, list[Any]], extra: dict[str, Desc]) -> Desc:
    kind = desc.get("t")
    if kind in near:
        special = set(map(repr, SPECIAL[kind]))
        values = [v for v in near[kind] if repr(v) not in special]
        return {**desc, **({"near": values} if values else {}), **extra.get(kind, {})}
    inner = {}
    for key in ("of", "key", "value"):
        if key in desc:
            inner[key] = _annotated(desc[key], near, extra)
    for key in ("items", "options"):
        if key in desc:
            inner[key] = [_annotated(d, near, extra) for d in desc[key]]
    if "fields" in desc:
        inner["fields"] = [[name, _annotated(d, near, extra)] for name, d in desc["fields"]]
    return {**desc, **inner}


# -- small-scope exhaustive enumeration --------------------------------------------------

SMALL_CAP = 5000  # values of one type per level, at most
MAX_SMALL_LENGTH = 5  # 3,906 lists of up to 5 items in [-2, 2]; 6 would be 19,531 more
SMALL_FLOATS = [0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 1.5, 3.0]


def small_values(desc: Desc, level: int) -> list[Any]:
    """Every value of "size" at most ``level`` (bounded magnitudes, lengths and alphabets)."""
    kind = desc["t"]
    if kind == "int":
        return [0] + [s * n for n in range(1, level + 1) for s in (1, -1)]
    if kind == "float":
        return SMALL_FLOATS[: 2 * level + 1]
    if kind == "bool":
        return [False, True][: level + 1]
    if kind == "str":
        letters = desc.get("alphabet") or "ab"
        longest = min(level, 2 * MAX_SMALL_LENGTH)
        every = (
            "".join(w) for n in range(longest + 1) for w in itertools.product(letters, repeat=n)
        )
        return list(itertools.islice(every, SMALL_CAP))
    if kind == "bytes":
        longest = min(level, 2 * MAX_SMALL_LENGTH)
        return [
            bytes(w) for n in range(longest + 1) for w in itertools.product(b"\x00\x01", repeat=n)
        ]
    if kind == "none":
        return [None]
    if kind in ("list", "set", "frozenset"):
        # Short collections of the smallest items: length grows with the level, the item
        # range stays at [-2, 2] (or its like), or the count explodes.
        items = small_values(desc["of"], min(max(level - 1, 1), 2))
        longest = min(level, MAX_SMALL_LENGTH)
        every = (list(c) for n in range(longest + 1) for c in itertools.product(items, repeat=n))
        lists = list(itertools.islice(every, SMALL_CAP))  # records as items would explode
        return [v for v in unique([_as_kind(desc, items) for items in lists]) if v is not None]
    if kind == "tuple":
        return _product([small_values(i, level) for i in desc["items"]], 5000)
    if kind == "dict":
        keys, values = small_values(desc["key"], level), small_values(desc["value"], level)
        entries = list(itertools.product(keys, values))
        dicts = [{}] + [dict([e]) for e in entries]
        if level >= 2:
            dicts += [dict([a, b]) for a, b in itertools.combinations(entries, 2) if a[0] != b[0]]
        return dicts
    if kind == "union":
        return unique([v for option in desc["options"] for v in small_values(option, level)])
    if kind == "literal":
        return [decode(v) for v in desc["values"]]
    if kind == "dataclass":
        return [_record(desc, v) for v in _product(_field_values(desc, level, small=True), 5000)]
    raise DomainError(f"cannot search inputs of type {desc.get('repr', kind)}")


def small_inputs(
    params: Sequence[Desc], max_level: int = 64, limit: int = 6000
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """``(level, args)`` for all small argument tuples, level by level, simplest first."""
    seen: set[str] = set()
    sizes: list[int] = []
    for level in range(max_level + 1):
        choices = [small_values(p, level) for p in params]
        if [len(c) for c in choices] == sizes:
            return  # the domain is exhausted: every larger level is the same
        sizes = [len(c) for c in choices]
        fresh = [args for args in _product(choices, limit) if repr(args) not in seen]
        fresh.sort(key=size_key)
        for args in fresh:
            if len(seen) >= limit:
                return
            seen.add(repr(args))
            yield level, args


# -- checking a description from the sandbox ---------------------------------------------

SCALAR_KINDS = ("int", "float", "bool", "str", "bytes", "none", "unsupported")
MAX_DESC_DEPTH = 24


def check(desc: Any, depth: int = 0) -> Desc:
    """``desc`` if it is a well-formed type description, else DomainError.

    Descriptions are made in the sandbox, in the same process as the code whose
    parameters they describe, which may have replaced the describing function: the
    host takes nothing on trust that it then indexes blindly.
    """
    if depth > MAX_DESC_DEPTH or not isinstance(desc, dict) or not isinstance(desc.get("t"), str):
        raise DomainError(f"the sandbox sent a malformed type description: {desc!r:.120}")
    kind = desc["t"]
    nested: list[Any] = []
    if kind in ("list", "set", "frozenset"):
        nested = [desc.get("of")]
    elif kind == "dict":
        nested = [desc.get("key"), desc.get("value")]
    elif kind in ("tuple", "union"):
        items = desc.get("items" if kind == "tuple" else "options")
        if not isinstance(items, list) or (kind == "union" and not items):
            raise DomainError(f"the sandbox sent a malformed {kind} description")
        nested = items
    elif kind == "literal":
        if not isinstance(desc.get("values"), list) or not desc["values"]:
            raise DomainError("the sandbox sent a malformed literal description")
    elif kind == "dataclass":
        fields = desc.get("fields")
        if not isinstance(desc.get("name"), str) or not isinstance(fields, list):
            raise DomainError("the sandbox sent a malformed dataclass description")
        for field in fields:
            if not (isinstance(field, list) and len(field) == 2 and isinstance(field[0], str)):
                raise DomainError("the sandbox sent a malformed dataclass field")
            nested.append(field[1])
    elif kind not in SCALAR_KINDS:
        raise DomainError(f"the sandbox sent an unknown type kind {kind!r:.40}")
    for inner in nested:
        check(inner, depth + 1)
    return desc


# -- values from outside (seeds, a model's generator) -------------------------------------


def coerce(desc: Desc, value: Any) -> Any:
    """``value`` as a value of ``desc``'s type, or ValueError saying why it is not one.

    JSON-shaped values are accepted where the type is richer: a list for a tuple or a
    set, a dict of fields for a dataclass, an int for a float.
    """
    kind = desc["t"]
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind == "float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif kind == "bool":
        if isinstance(value, bool):
            return value
    elif kind in ("str", "bytes", "none"):
        if isinstance(value, {"str": str, "bytes": bytes, "none": type(None)}[kind]):
            return value
    elif kind in ("list", "set", "frozenset"):
        if isinstance(value, list | tuple | set | frozenset):
            items = [coerce(desc["of"], v) for v in value]
            if kind == "list":
                return tuple(items) if desc.get("as") == "tuple" else items
            try:
                return set(items) if kind == "set" else frozenset(items)
            except TypeError:
                raise ValueError(f"unhashable items for a {kind}: {value!r:.80}") from None
    elif kind == "tuple":
        if isinstance(value, list | tuple) and len(value) == len(desc["items"]):
            return tuple(coerce(d, v) for d, v in zip(desc["items"], value, strict=True))
    elif kind == "dict":
        if isinstance(value, dict):
            return {coerce(desc["key"], k): coerce(desc["value"], v) for k, v in value.items()}
    elif kind == "union":
        for option in desc["options"]:
            try:
                return coerce(option, value)
            except ValueError:
                continue
    elif kind == "literal":
        if any(value == decode(v) and type(value) is type(decode(v)) for v in desc["values"]):
            return value
    elif kind == "dataclass":
        fields = dict(value.fields) if isinstance(value, Record) else value
        names = [name for name, _ in desc["fields"]]
        if isinstance(fields, dict) and sorted(fields) == sorted(names):
            return Record(desc["name"], tuple((n, coerce(d, fields[n])) for n, d in desc["fields"]))
    raise ValueError(f"{value!r:.80} is not a {desc.get('repr', kind)}")


# -- learning a type from seed inputs ----------------------------------------------------


def describe_value(value: Any) -> Desc:
    """A type description that covers ``value`` (used when seeds stand in for hints)."""
    for kind, types in (
        ("bool", bool),
        ("int", int),
        ("float", float),
        ("str", str),
        ("bytes", bytes),
    ):
        if isinstance(value, types):
            return {"t": kind}
    if value is None:
        return {"t": "none"}
    if isinstance(value, list | tuple | set | frozenset):
        kind = (
            "set"
            if isinstance(value, set)
            else "frozenset"
            if isinstance(value, frozenset)
            else "list"
        )
        item = merged([describe_value(v) for v in value]) if value else {"t": "int"}
        desc = {"t": kind, "of": item}
        return {**desc, "as": "tuple"} if isinstance(value, tuple) else desc
    if isinstance(value, dict):
        keys = merged([describe_value(k) for k in value]) if value else {"t": "str"}
        values = merged([describe_value(v) for v in value.values()]) if value else {"t": "int"}
        return {"t": "dict", "key": keys, "value": values}
    if isinstance(value, Record):
        return {
            "t": "dataclass",
            "name": value.name,
            "fields": [[k, describe_value(v)] for k, v in value.fields],
        }
    raise DomainError(f"cannot learn an input type from the seed {value!r}")


def merged(descs: list[Desc]) -> Desc:
    """One description covering all of ``descs`` (ints and floats together: float)."""
    options = unique(descs)
    if len(options) == 1:
        return options[0]
    if {d["t"] for d in options} == {"int", "float"}:
        return {"t": "float"}
    return {"t": "union", "options": options}


# -- helpers ---------------------------------------------------------------------------


def _product(choices: list[list[Any]], limit: int) -> list[tuple[Any, ...]]:
    """The cartesian product, simplest combinations first (by summed index), capped."""
    if not choices:
        return [()]
    if any(not c for c in choices):
        return []
    depth = sum(len(c) - 1 for c in choices)
    out: list[tuple[Any, ...]] = []
    for total in range(depth + 1):
        for index in _compositions(total, [len(c) for c in choices]):
            out.append(tuple(c[i] for c, i in zip(choices, index, strict=True)))
            if len(out) >= limit:
                return out
    return out


def _compositions(total: int, sizes: list[int]) -> Iterator[tuple[int, ...]]:
    if len(sizes) == 1:
        if total < sizes[0]:
            yield (total,)
        return
    for first in range(min(total, sizes[0] - 1) + 1):
        for rest in _compositions(total - first, sizes[1:]):
            yield (first, *rest)


def _field_values(desc: Desc, level: int, small: bool = False) -> list[list[Any]]:
    pick = small_values if small else boundary_values
    return [pick(field, level) for _, field in desc["fields"]]


def _record(desc: Desc, values: tuple[Any, ...]) -> Record:
    return Record(
        desc["name"], tuple((name, v) for (name, _), v in zip(desc["fields"], values, strict=True))
    )


def unique(values: list[Any]) -> list[Any]:
    """``values`` without repeats (by repr: lists and dicts are not hashable), in order."""
    seen, out = set(), []
    for value in values:
        key = repr(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _roundrobin(lists: Iterator[list[Any]]) -> Iterator[Any]:
    for group in itertools.zip_longest(*lists, fillvalue=_roundrobin):
        yield from (v for v in group if v is not _roundrobin)
