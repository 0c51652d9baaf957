"""What a function takes, described inside the sandbox where its module is loaded.

Type hints become the JSON type descriptions of :mod:`agentkit_refute.domain`, and the
constants the code uses are listed (bugs sit at the code's own constants). The standard
library only: it runs beside :mod:`agentkit_refute._inside`.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from agentkit_refute.values import encode


def entry_function(module: types.ModuleType, name: str) -> Any:
    function = getattr(module, name, None)
    if not callable(function):
        raise LookupError(f"{module.__file__} has no function {name!r}")
    return function


def describe_function(module: types.ModuleType, entry: str) -> dict[str, Any]:
    import inspect

    function = entry_function(module, entry)
    signature = inspect.signature(function)
    try:
        hints = typing.get_type_hints(function)
    except Exception:
        hints = {}
    params = []
    for name, param in signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        described: dict[str, Any] = {"name": name}
        if name in hints:
            described["type"] = _type_of(hints[name])
        if param.default is not param.empty:
            described["default"] = encode(param.default)
        params.append(described)
    return {
        "params": params,
        "functions": sorted(n for n, v in vars(module).items() if callable(v)),
    }


MAX_LITERALS = 32


def literals_of(source: str) -> dict[str, list[Any]]:
    """The numbers and short strings the code uses, simplest first.

    Bugs sit at the code's own constants (``score > 90``, ``split("=")``), so the search
    tries them, and their neighbours, early. Only constants in functions and classes,
    and module-level names they read, count: not docstrings, and not data that sits in
    the same file without being used (test tables, expected answers).
    """
    import ast

    tree = ast.parse(source)
    code = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
    roots: list[ast.AST] = [node for node in tree.body if isinstance(node, code)]
    read = {n.id for root in roots for n in ast.walk(root) if isinstance(n, ast.Name)}
    for statement in tree.body:
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
            if isinstance(statement, ast.AnnAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id in read for t in targets):
            roots.append(statement)
    nodes = {id(node): node for root in roots for node in ast.walk(root)}
    docstrings = {id(node.value) for node in nodes.values() if isinstance(node, ast.Expr)}
    found: dict[str, set[Any]] = {"int": set(), "float": set(), "str": set()}
    for node in nodes.values():
        if not isinstance(node, ast.Constant) or id(node) in docstrings:
            continue
        value = node.value
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int) and abs(value) <= 10**18:
            found["int"].update((value, -value))
        elif isinstance(value, float) and value == value and abs(value) < 1e300:
            found["float"].update((value, -value))
        elif isinstance(value, str) and 0 < len(value) <= 20:
            found["str"].add(value)
    return {
        kind: sorted(values, key=lambda v: (len(v), v) if kind == "str" else (abs(v), v))[
            :MAX_LITERALS
        ]
        for kind, values in found.items()
    }


def _type_of(hint: Any, depth: int = 0) -> dict[str, Any]:
    import dataclasses

    if depth > 20:
        return {"t": "unsupported", "repr": repr(hint)}
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    simple = {
        int: "int",
        float: "float",
        bool: "bool",
        str: "str",
        bytes: "bytes",
        type(None): "none",
    }
    if hint in simple:
        return {"t": simple[hint]}
    if hint is None:
        return {"t": "none"}
    if dataclasses.is_dataclass(hint):
        fields = typing.get_type_hints(hint)
        return {
            "t": "dataclass",
            "name": hint.__name__,
            "fields": [
                [f.name, _type_of(fields.get(f.name, Any), depth + 1)]
                for f in dataclasses.fields(hint)
            ],
        }
    containers = {list: "list", set: "set", frozenset: "frozenset"}
    if (origin or hint) in containers:
        item = _type_of(args[0], depth + 1) if args else {"t": "int"}
        return {"t": containers[origin or hint], "of": item}
    if (origin or hint) is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"t": "list", "of": _type_of(args[0], depth + 1), "as": "tuple"}
        if not args:
            return {"t": "list", "of": {"t": "int"}, "as": "tuple"}
        return {"t": "tuple", "items": [_type_of(a, depth + 1) for a in args]}
    if (origin or hint) is dict:
        key, value = args if args else (int, int)
        return {"t": "dict", "key": _type_of(key, depth + 1), "value": _type_of(value, depth + 1)}
    if (
        origin is typing.Union
        or str(origin) == "<class 'types.UnionType'>"
        or isinstance(hint, types.UnionType)
    ):
        return {"t": "union", "options": [_type_of(a, depth + 1) for a in args]}
    if origin is typing.Literal:
        return {"t": "literal", "values": [encode(a) for a in args]}
    return {"t": "unsupported", "repr": repr(hint)}
