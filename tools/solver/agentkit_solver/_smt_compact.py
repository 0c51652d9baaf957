"""The compact constraint form of the ``smt`` tool: Python-syntax expressions to z3 terms.

Each constraint is parsed with :mod:`ast` and translated node by node through a
whitelist; nothing is ever evaluated. What is accepted:

- names of declared variables, ``True``/``False``, integer and decimal literals;
- ``+ - * / // % **``, unary ``-``/``+``, and for bit-vectors ``& | ^ ~ << >>``;
- comparisons ``< <= > >= == !=``, chained (``0 <= x < 10``);
- ``and``/``or``/``not``, ``a if c else b``;
- calls: ``implies(a, b)``, ``ite(c, a, b)``, ``abs(a)``, ``min(a, b, ...)``,
  ``max(a, b, ...)``, ``distinct(a, b, ...)``.

Runs inside the sandboxed worker: imports z3, never agentkit.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from functools import reduce
from typing import Any

import z3

SORTS = "Int, Real, Bool, BitVec<n> (e.g. BitVec8)"
_BITVEC = re.compile(r"^\s*\(?_?\s*BitVec\W*(\d+)\s*\)?\s*$", re.IGNORECASE)
_NAMED = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:(?!=)\s*(.*)$", re.DOTALL)


class ConstraintError(ValueError):
    """A constraint or variable declaration the compact form does not accept."""


def declare(variables: dict[str, str], ctx: z3.Context) -> dict[str, z3.ExprRef]:
    """z3 constants for ``{name: sort}``."""
    declared = {}
    for name, sort in variables.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("__"):
            raise ConstraintError(f"{name!r} is not a variable name")
        declared[name] = _constant(name, sort, ctx)
    return declared


def _constant(name: str, sort: str, ctx: z3.Context) -> z3.ExprRef:
    kind = sort.strip().lower() if isinstance(sort, str) else ""
    if kind == "int":
        return z3.Int(name, ctx)
    if kind == "real":
        return z3.Real(name, ctx)
    if kind == "bool":
        return z3.Bool(name, ctx)
    bits = _BITVEC.match(sort) if isinstance(sort, str) else None
    if bits and 0 < int(bits.group(1)) <= 4096:
        return z3.BitVec(name, int(bits.group(1)), ctx)
    raise ConstraintError(f"variable '{name}': unknown sort {sort!r} (sorts: {SORTS})")


def split_name(text: str, index: int) -> tuple[str, str]:
    """``"name: expr"`` gives its own name; an unnamed constraint is ``c<index>``."""
    named = _NAMED.match(text)
    if named:
        return named.group(1), named.group(2)
    return f"c{index}", text


def translate(text: str, variables: dict[str, z3.ExprRef], ctx: z3.Context) -> z3.ExprRef:
    """One expression as a z3 term; ConstraintError names what was not accepted."""
    if not isinstance(text, str) or not text.strip():
        raise ConstraintError("empty constraint")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConstraintError(f"cannot parse {text!r}: {exc.msg}") from None
    try:
        value = _Translator(text, variables, ctx).term(tree.body)
    except (z3.Z3Exception, TypeError) as exc:  # e.g. sorts that do not mix, '<<' on an Int
        raise ConstraintError(f"{text!r}: {_z3_message(exc)}") from None
    return _as_term(value, ctx)


def _as_term(value: Any, ctx: z3.Context) -> z3.ExprRef:
    if isinstance(value, bool):
        return z3.BoolVal(value, ctx)
    if isinstance(value, int):
        return z3.IntVal(value, ctx)
    return value


def _z3_message(exc: Exception) -> str:
    value = str(getattr(exc, "value", exc))
    return value.strip().splitlines()[0] if value.strip() else "z3 rejected it"


def _floor_divide(a: Any, b: Any) -> Any:
    quotient = a / b
    return z3.ToInt(quotient) if z3.is_real(quotient) else quotient


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,  # z3's: real division on reals, SMT-LIB div on integers
    ast.FloorDiv: _floor_divide,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
    ast.BitAnd: lambda a, b: a & b,
    ast.BitOr: lambda a, b: a | b,
    ast.BitXor: lambda a, b: a ^ b,
    ast.LShift: lambda a, b: a << b,
    ast.RShift: lambda a, b: a >> b,
}

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}

_FUNCTIONS = ("implies", "ite", "abs", "min", "max", "distinct")


class _Translator:
    def __init__(self, text: str, variables: dict[str, z3.ExprRef], ctx: z3.Context) -> None:
        self.text = text
        self.variables = variables
        self.ctx = ctx

    def term(self, node: ast.AST) -> Any:
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise ConstraintError(f"{self.text!r}: {_describe(node)} is not allowed")
        return handler(node)

    def _Name(self, node: ast.Name) -> Any:
        if node.id in self.variables:
            return self.variables[node.id]
        known = ", ".join(self.variables) or "none"
        raise ConstraintError(f"{self.text!r}: unknown variable '{node.id}' (declared: {known})")

    def _Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool):
            return z3.BoolVal(value, self.ctx)
        if isinstance(value, int):
            return value  # a plain int takes the sort of what it meets (Int, Real, BitVec)
        if isinstance(value, float):
            # The literal's own digits, exactly: 0.1 is 1/10, not the nearest double.
            return z3.RealVal(
                ast.get_source_segment(self.text.strip(), node) or repr(value), self.ctx
            )
        raise ConstraintError(f"{self.text!r}: the literal {value!r} is not allowed")

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.term(node.operand)
        if isinstance(node.op, ast.Not):
            return z3.Not(self._boolean(operand, "not"), self.ctx)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        return ~operand  # ast.Invert: bit-vectors only; z3 says so otherwise

    def _BinOp(self, node: ast.BinOp) -> Any:
        operation = _BINARY.get(type(node.op))
        if operation is None:
            raise ConstraintError(f"{self.text!r}: {_describe(node.op)} is not allowed")
        left, right = self.term(node.left), self.term(node.right)
        if isinstance(left, int) and isinstance(right, int):
            left = self._literal(left, exact=isinstance(node.op, ast.Div) and right != 0)
        return operation(left, right)

    def _literal(self, value: int, *, exact: bool) -> z3.ArithRef:
        # Two literals are never combined by Python: 1/3 stays exactly one third (not
        # 0.333... or 0) and 10**10**10 stays a term instead of being computed here.
        return z3.RealVal(value, self.ctx) if exact else z3.IntVal(value, self.ctx)

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        word = "and" if isinstance(node.op, ast.And) else "or"
        values = [self._boolean(self.term(value), word) for value in node.values]
        return z3.And(*values) if word == "and" else z3.Or(*values)

    def _Compare(self, node: ast.Compare) -> Any:
        operands = [self.term(node.left), *(self.term(c) for c in node.comparators)]
        links = []
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            compare = _COMPARE.get(type(op))
            if compare is None:
                raise ConstraintError(f"{self.text!r}: {_describe(op)} is not allowed")
            links.append(self._boolean(compare(left, right), "comparison"))
        return links[0] if len(links) == 1 else z3.And(*links)

    def _IfExp(self, node: ast.IfExp) -> Any:
        condition = self._boolean(self.term(node.test), "if")
        return z3.If(condition, self.term(node.body), self.term(node.orelse), self.ctx)

    def _Call(self, node: ast.Call) -> Any:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in _FUNCTIONS or node.keywords:
            called = name or _describe(node.func)
            allowed = ", ".join(_FUNCTIONS)
            raise ConstraintError(f"{self.text!r}: calling {called} is not allowed ({allowed})")
        args = [self.term(arg) for arg in node.args]
        return self._apply(name, args)

    def _apply(self, name: str, args: list[Any]) -> Any:
        arity = {"implies": 2, "ite": 3, "abs": 1}.get(name)
        if (arity is not None and len(args) != arity) or (arity is None and len(args) < 2):
            wanted = f"{arity}" if arity is not None else "at least 2"
            raise ConstraintError(f"{self.text!r}: {name}() takes {wanted} arguments")
        if name == "implies":
            return z3.Implies(self._boolean(args[0], name), self._boolean(args[1], name), self.ctx)
        if name == "ite":
            return z3.If(self._boolean(args[0], name), args[1], args[2], self.ctx)
        if name == "abs":
            return z3.If(args[0] >= 0, args[0], -args[0], self.ctx)
        if name == "distinct":
            return z3.Distinct(*args)
        if name == "min":
            return reduce(lambda a, b: z3.If(a <= b, a, b, self.ctx), args)
        return reduce(lambda a, b: z3.If(a >= b, a, b, self.ctx), args)

    def _boolean(self, value: Any, where: str) -> z3.BoolRef:
        if isinstance(value, bool):
            return z3.BoolVal(value, self.ctx)
        if not z3.is_bool(value):
            raise ConstraintError(
                f"{self.text!r}: '{where}' needs a true/false operand, not {value}"
            )
        return value


def _describe(node: ast.AST) -> str:
    names = {
        "Attribute": "attribute access",
        "Subscript": "indexing",
        "Lambda": "lambda",
        "In": "'in'",
        "NotIn": "'not in'",
        "Is": "'is'",
        "IsNot": "'is not'",
        "MatMult": "'@'",
        "Dict": "a dict",
        "List": "a list",
        "Set": "a set",
        "Tuple": "a tuple",
        "NamedExpr": "':='",
        "Starred": "'*'",
    }
    kind = type(node).__name__
    return names.get(kind, f"a {kind} expression")
