"""Python values as tagged JSON, the only form in which inputs and outputs cross a sandbox.

Candidate code is hostile, so nothing it produces is ever unpickled: outputs come back
as JSON, and this codec gives tuples, sets, bytes, non-finite floats and dataclass
instances a tagged form. A dataclass instance decodes outside the sandbox as a
:class:`Record` (name and fields, printed like the dataclass); inside, where the user's
module is loaded, it decodes to the real class.

Outputs that are not plain data are reduced, inside the sandbox, to something that can
be compared outside it, never to a repr that holds a memory address (which differs
between two runs of the same code):

- an iterator or generator is drawn, up to :data:`ITER_LIMIT` items (a :class:`Drawn`);
- a value whose repr is its value (complex, Decimal, Fraction, datetime, UUID, an enum
  member, a range, ...) is carried by its repr (an :class:`Unrepresentable`);
- an instance with public state is carried by its public attributes (an :class:`Obj`);
- anything else (a function, a lock) by its type name only (an :class:`Opaque`), which
  :func:`agentkit_refute.compare.comparable` refuses to compare.

This module imports only the standard library: it runs inside the sandbox too.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "ITER_LIMIT",
    "Drawn",
    "Obj",
    "Opaque",
    "Record",
    "Unrepresentable",
    "decode",
    "decode_seed",
    "encode",
    "size_key",
]

ITER_LIMIT = 1000  # items drawn from an iterator output
MAX_DEPTH = 200
# Where a repr holds a memory address it names an object, not a value.
_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]+|0x[0-9a-fA-F]{10,}")
# Stdlib types whose repr is their value (looked up only if their module is loaded: an
# instance cannot exist otherwise, and the sandbox need not import them).
_VALUE_TYPES = {
    "decimal": ("Decimal",),
    "fractions": ("Fraction",),
    "datetime": ("date", "time", "timedelta", "tzinfo"),
    "uuid": ("UUID",),
    "enum": ("Enum",),
    "ipaddress": ("_IPAddressBase",),
    "pathlib": ("PurePath",),
}
_SEED_TAGS = ("tuple", "set", "frozenset", "dict", "bytes", "float", "dataclass")
_OUTPUT_TAGS = ("iter", "object", "opaque", "repr")


@dataclasses.dataclass(frozen=True)
class Record:
    """A dataclass instance seen from outside the sandbox."""

    name: str
    fields: tuple[tuple[str, Any], ...]

    def __repr__(self) -> str:
        inner = ", ".join(f"{key}={value!r}" for key, value in self.fields)
        return f"{self.name}({inner})"


@dataclasses.dataclass(frozen=True)
class Unrepresentable:
    """A value with no JSON form whose repr is its value (a Decimal, a date): type and repr."""

    type: str
    repr: str

    def __repr__(self) -> str:
        return self.repr


@dataclasses.dataclass(frozen=True)
class Drawn:
    """An iterator output: the items drawn from it, and whether it had more (``more``).

    Iterating over it gives the items (a property can ``list(output)``).
    """

    type: str
    items: tuple[Any, ...]
    more: bool

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __repr__(self) -> str:
        shown = [repr(item) for item in self.items] + (["..., more"] if self.more else [])
        return f"<{self.type}: [{', '.join(shown)}]>"


@dataclasses.dataclass(frozen=True)
class Obj:
    """An instance of some class, seen from outside: its type name and public attributes."""

    type: str
    fields: tuple[tuple[str, Any], ...]

    def __repr__(self) -> str:
        inner = ", ".join(f"{key}={value!r}" for key, value in self.fields)
        return f"{self.type}({inner})"


@dataclasses.dataclass(frozen=True)
class Opaque:
    """An object with no value that can be compared (a function, a lock): its type name."""

    type: str

    def __repr__(self) -> str:
        return f"<{self.type} object>"


# -- encoding (inside the sandbox, on the code's outputs) ---------------------------------


def encode(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON: plain where JSON is exact, tagged (``{"$": kind, ...}``) otherwise.

    Drawing an iterator runs its code: that is why this runs in the sandbox, under the
    input's time limit.
    """
    if depth > MAX_DEPTH:
        raise ValueError(f"value nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, bool | str) or type(value) is int:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
    if isinstance(value, list):
        return [encode(item, depth + 1) for item in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return {"$": "tuple", "v": [encode(item, depth + 1) for item in value]}
    if isinstance(value, set | frozenset):
        kind = "set" if isinstance(value, set) else "frozenset"
        items = [encode(item, depth + 1) for item in value]
        return {"$": kind, "v": sorted(items, key=repr)}
    if isinstance(value, dict):
        return {
            "$": "dict",
            "v": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()],
        }
    if isinstance(value, bytes | bytearray):
        return {"$": "bytes", "v": bytes(value).hex()}
    if isinstance(value, Drawn | Obj | Opaque | Unrepresentable):  # before is_dataclass
        return _encode_seen(value, depth)
    if isinstance(value, Record):  # before is_dataclass: Record is one itself
        return {
            "$": "dataclass",
            "name": value.name,
            "v": [[k, encode(v, depth + 1)] for k, v in value.fields],
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [
            [f.name, encode(getattr(value, f.name), depth + 1)] for f in dataclasses.fields(value)
        ]
        return {"$": "dataclass", "name": type(value).__name__, "v": fields}
    return _encode_other(value, depth)


def _encode_seen(value: Drawn | Obj | Opaque | Unrepresentable, depth: int) -> dict[str, Any]:
    """An output as decoded outside, sent back in (to a property or a checker) as it came."""
    if isinstance(value, Drawn):
        items = [encode(item, depth + 1) for item in value.items]
        return {"$": "iter", "type": value.type, "v": items, "more": value.more}
    if isinstance(value, Obj):
        fields = [[k, encode(v, depth + 1)] for k, v in value.fields]
        return {"$": "object", "type": value.type, "v": fields}
    if isinstance(value, Opaque):
        return {"$": "opaque", "type": value.type}
    return {"$": "repr", "type": value.type, "v": value.repr}


def _encode_other(value: Any, depth: int) -> dict[str, Any]:
    """An output that is not plain data: drawn, by repr, by public state, or opaque."""
    name = type(value).__name__
    if _is_iterator(value):
        items, more = _draw(value)
        return {"$": "iter", "type": name, "v": [encode(i, depth + 1) for i in items], "more": more}
    if isinstance(value, complex) or _is_value_type(value):
        text = _safe_repr(value)
        if text is not None:
            return {"$": "repr", "type": name, "v": text}
    state = _public_state(value)
    if state:
        return {"$": "object", "type": name, "v": [[k, encode(v, depth + 1)] for k, v in state]}
    text = _safe_repr(value)
    if text is not None and not _ADDRESS.search(text):
        return {"$": "repr", "type": name, "v": text}
    return {"$": "opaque", "type": name}


def _is_iterator(value: Any) -> bool:
    kind = type(value)  # the type's, not the instance's: __getattr__ cannot fake it
    return hasattr(kind, "__next__") and hasattr(kind, "__iter__")


def _draw(iterator: Any) -> tuple[list[Any], bool]:
    """Up to ITER_LIMIT items, and whether there was one more."""
    items = []
    for item in iterator:
        if len(items) == ITER_LIMIT:
            return items, True
        items.append(item)
    return items, False


def _is_value_type(value: Any) -> bool:
    for module_name, names in _VALUE_TYPES.items():
        module = sys.modules.get(module_name)
        kinds = tuple(k for k in (getattr(module, n, None) for n in names) if isinstance(k, type))
        if kinds and isinstance(value, kinds):
            return True
    return False


def _public_state(value: Any) -> list[tuple[str, Any]]:
    """The attributes not starting with ``_``, from ``__dict__`` and ``__slots__``, sorted
    (a named tuple's fields, in their order)."""
    if isinstance(value, type) or type(value).__name__ == "module":
        return []
    if isinstance(value, tuple):  # a named tuple (plain tuples are encoded before)
        names = getattr(value, "_fields", ())
        return [(k, v) for k, v in zip(names, value, strict=False) if isinstance(k, str)]
    found: dict[str, Any] = {}
    own = getattr(value, "__dict__", None)
    if isinstance(own, dict):
        found.update((k, v) for k, v in own.items() if isinstance(k, str))
    for kind in type(value).__mro__:
        slots = kind.__dict__.get("__slots__", ())
        for slot in [slots] if isinstance(slots, str) else slots:
            if isinstance(slot, str) and not slot.startswith("_") and slot not in found:
                try:
                    found[slot] = getattr(value, slot)
                except AttributeError:  # a slot never set
                    continue
    return sorted((k, v) for k, v in found.items() if not k.startswith("_"))


def _safe_repr(value: Any) -> str | None:
    try:
        text = repr(value)
    except Exception:
        return None
    return text[:2000] if isinstance(text, str) else None


# -- decoding (outside the sandbox; the data may be hostile) ------------------------------


class _Decoder:
    """Tagged JSON to values. Strict: malformed data raises ValueError, and nesting is
    bounded, because outputs come from the code under test."""

    def __init__(self, classes: Callable[[str], type | None] | None, seed: bool) -> None:
        self.classes, self.seed = classes, seed

    def value(self, data: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH + 5:
            raise ValueError(f"value nested more than {MAX_DEPTH} levels deep")
        if isinstance(data, list):
            return [self.value(item, depth + 1) for item in data]
        if not isinstance(data, dict):
            if data is None or isinstance(data, bool | int | float | str):
                return data
            if self.seed:  # a seed given from Python may hold Python values already
                return (
                    tuple(self.value(i, depth + 1) for i in data) if type(data) is tuple else data
                )
            raise ValueError(f"{type(data).__name__} is not a JSON value")
        if "$" not in data:  # a plain JSON object: a dict with string keys
            return {k: self.value(v, depth + 1) for k, v in data.items()}
        kind = data["$"]
        if self.seed and kind in _OUTPUT_TAGS:
            raise ValueError(f"the tag {kind!r} in {_brief(data)} is for outputs, not inputs")
        if kind not in _SEED_TAGS + _OUTPUT_TAGS:
            raise ValueError(f"unknown tag {kind!r} in {_brief(data)}")
        try:
            return getattr(self, f"_{kind}")(data, data.get("v"), depth + 1)
        except (TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"malformed {kind!r} value {_brief(data)} ({exc})") from None

    def _tuple(self, data: dict, raw: Any, depth: int) -> tuple[Any, ...]:
        return tuple(self.value(item, depth) for item in _list(raw))

    def _set(self, data: dict, raw: Any, depth: int) -> set[Any]:
        return {self.value(item, depth) for item in _list(raw)}

    def _frozenset(self, data: dict, raw: Any, depth: int) -> frozenset[Any]:
        return frozenset(self.value(item, depth) for item in _list(raw))

    def _dict(self, data: dict, raw: Any, depth: int) -> dict[Any, Any]:
        return {self.value(k, depth): self.value(v, depth) for k, v in _pairs(raw)}

    def _bytes(self, data: dict, raw: Any, depth: int) -> bytes:
        try:
            return bytes.fromhex(raw)
        except ValueError:
            raise TypeError("'v' must be a string of hex digits") from None

    def _float(self, data: dict, raw: Any, depth: int) -> float:
        try:
            if isinstance(raw, str | int | float) and not isinstance(raw, bool):
                return float(raw)
        except ValueError:
            pass
        raise TypeError("'v' must be a number or 'inf', '-inf' or 'nan'")

    def _dataclass(self, data: dict, raw: Any, depth: int) -> Any:
        name = _name(data, "name")
        fields = [(_name({"k": k}, "k"), self.value(v, depth)) for k, v in _pairs(raw)]
        real = self.classes(name) if self.classes else None
        return real(**dict(fields)) if real is not None else Record(name, tuple(fields))

    def _iter(self, data: dict, raw: Any, depth: int) -> Drawn:
        more = data.get("more", False)
        if not isinstance(more, bool):
            raise TypeError("'more' must be true or false")
        items = tuple(self.value(item, depth) for item in _list(raw))
        return Drawn(_name(data, "type"), items, more)

    def _object(self, data: dict, raw: Any, depth: int) -> Obj:
        fields = tuple((_name({"k": k}, "k"), self.value(v, depth)) for k, v in _pairs(raw))
        return Obj(_name(data, "type"), fields)

    def _opaque(self, data: dict, raw: Any, depth: int) -> Opaque:
        return Opaque(_name(data, "type"))

    def _repr(self, data: dict, raw: Any, depth: int) -> Unrepresentable:
        if not isinstance(raw, str):
            raise TypeError("'v' must be a string")
        return Unrepresentable(_name(data, "type", "object"), raw)


def decode(data: Any, classes: Callable[[str], type | None] | None = None) -> Any:
    """The value :func:`encode` gave; ``classes(name)`` may supply real dataclasses.

    Raises ValueError on anything :func:`encode` could not have written.
    """
    return _Decoder(classes, seed=False).value(data)


def decode_seed(data: Any) -> Any:
    """A seed written in JSON, with tagged values (``{"$": "tuple", "v": [...]}``) at any
    depth; a JSON object without a ``"$"`` key is a dict with string keys.

    Raises ValueError naming what is wrong and the forms accepted.
    """
    try:
        return _Decoder(None, seed=True).value(data)
    except ValueError as exc:
        forms = ", ".join(f'{{"$": "{tag}", "v": ...}}' for tag in _SEED_TAGS)
        raise ValueError(f"{exc}; the tagged forms are {forms}") from None


def _list(raw: Any) -> list[Any]:
    if not isinstance(raw, list):
        raise TypeError("'v' must be a list")
    return raw


def _pairs(raw: Any) -> list[tuple[Any, Any]]:
    if not isinstance(raw, list) or not all(isinstance(p, list) and len(p) == 2 for p in raw):
        raise TypeError("'v' must be a list of [key, value] pairs")
    return [(k, v) for k, v in raw]


def _name(data: dict, key: str, default: str | None = None) -> str:
    name = data.get(key, default)
    if not isinstance(name, str):
        raise TypeError(f"{key!r} must be a string")
    return name


def _brief(data: Any) -> str:
    text = json.dumps(data, default=repr)
    return text if len(text) <= 80 else text[:77] + "..."


# -- ordering -----------------------------------------------------------------------------


def size_key(value: Any) -> tuple[int, str]:
    """Order values simplest first, as a shrinker would: total size, then text."""
    return (_size(value), repr(value))


def _size(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        return int(bool(value))
    if isinstance(value, int):
        return abs(value).bit_length() + (1 if value < 0 else 0)
    if isinstance(value, float):
        return (
            64
            if not math.isfinite(value)
            else abs(int(value)).bit_length() + (value != int(value)) * 8
        )
    if isinstance(value, str | bytes):
        return 2 * len(value)
    if isinstance(value, dict):
        return 1 + sum(_size(k) + _size(v) + 1 for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return 1 + sum(_size(item) + 1 for item in value)
    if isinstance(value, Record | Obj):
        return 1 + sum(_size(v) for _, v in value.fields)
    if isinstance(value, Drawn):
        return 1 + int(value.more) + sum(_size(item) + 1 for item in value.items)
    return len(repr(value))
