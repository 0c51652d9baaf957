"""Python values as tagged JSON, the only form in which inputs and outputs cross a sandbox.

Candidate code is hostile, so nothing it produces is ever unpickled: outputs come back
as JSON, and this codec gives tuples, sets, bytes, non-finite floats and dataclass
instances a tagged form. A dataclass instance decodes outside the sandbox as a
:class:`Record` (name and fields, printed like the dataclass); inside, where the user's
module is loaded, it decodes to the real class. Anything else is carried by its repr.

This module imports only the standard library: it runs inside the sandbox too.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

__all__ = ["Record", "Unrepresentable", "decode", "encode", "size_key"]


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
    """A value with no JSON form (an object of some class): its type name and repr."""

    type: str
    repr: str

    def __repr__(self) -> str:
        return self.repr


def encode(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON: plain where JSON is exact, tagged (``{"$": kind, ...}``) otherwise."""
    if depth > 200:
        raise ValueError("value nested more than 200 levels deep")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return (
            value
            if type(value) is int
            else {"$": "repr", "type": type(value).__name__, "v": repr(value)}
        )
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
    return {"$": "repr", "type": type(value).__name__, "v": _safe_repr(value)}


def decode(data: Any, classes: Callable[[str], type | None] | None = None) -> Any:
    """The value :func:`encode` gave; ``classes(name)`` may supply real dataclasses."""
    if isinstance(data, list):
        return [decode(item, classes) for item in data]
    if not isinstance(data, dict):
        return data
    kind, raw = data.get("$"), data.get("v")
    if kind == "tuple":
        return tuple(decode(item, classes) for item in raw)
    if kind == "set":
        return {decode(item, classes) for item in raw}
    if kind == "frozenset":
        return frozenset(decode(item, classes) for item in raw)
    if kind == "dict":
        return {decode(k, classes): decode(v, classes) for k, v in raw}
    if kind == "bytes":
        return bytes.fromhex(raw)
    if kind == "float":
        return float(raw)
    if kind == "dataclass":
        fields = [(name, decode(value, classes)) for name, value in raw]
        real = classes(data["name"]) if classes else None
        return real(**dict(fields)) if real is not None else Record(data["name"], tuple(fields))
    if kind == "repr":
        return Unrepresentable(data.get("type", "object"), raw)
    raise ValueError(f"unknown value tag {kind!r}")


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
    if isinstance(value, Record):
        return 1 + sum(_size(v) for _, v in value.fields)
    return len(repr(value))


def _safe_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<{type(value).__name__} whose repr raised {type(exc).__name__}>"
    return text[:2000]
