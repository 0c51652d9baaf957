"""Turn a model-written string into a sympy expression without evaluating arbitrary code.

sympy's ``parse_expr`` ends in ``eval``, so the text is screened first: it is tokenised
and anything that is not arithmetic over names and numbers (attribute access, dunder
names, keywords such as ``lambda`` or ``import``, strings, brackets, ``;``) is refused.
The ``eval`` then sees only a namespace of mathematical names and no builtins. This
is defence in depth: it all runs inside the sandboxed worker anyway.

Runs inside the worker: imports sympy, never agentkit.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize

import sympy
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_application,
    implicit_multiplication,
    parse_expr,
    standard_transformations,
)

MAX_LENGTH = 5000

TRANSFORMATIONS = (
    *standard_transformations,
    implicit_multiplication,
    implicit_application,
    convert_xor,
)

# Beyond sympy.functions: constants, what the parser's own output calls (Symbol,
# Integer, ...), relations, sets and the unevaluated calculus objects.
_CONSTANTS = ("E", "I", "pi", "oo", "zoo", "nan", "GoldenRatio", "EulerGamma", "Catalan")
_PARSER_OUTPUT = ("Symbol", "Function", "Integer", "Float", "Rational")
_RELATIONS = ("Eq", "Ne", "Lt", "Le", "Gt", "Ge", "And", "Or", "Not", "Xor")
_SETS = ("Interval", "FiniteSet", "Union", "Intersection", "Complement", "EmptySet")
_CALCULUS = ("Sum", "Product", "Integral", "Derivative", "Limit", "diff", "integrate")
_MORE = ("limit", "summation", "product", "Mod", "gcd", "lcm")
_CORE_NAMES = (*_CONSTANTS, *_PARSER_OUTPUT, *_RELATIONS, *_SETS, *_CALCULUS, *_MORE)

_ARITHMETIC = {"+", "-", "*", "/", "//", "%", "**", "^", "(", ")", ","}
_COMPARISONS = {"<", ">", "<=", ">=", "==", "="}
_ALLOWED_OPERATORS = frozenset({*_ARITHMETIC, *_COMPARISONS, "&", "|", "~"})
_ALLOWED_KEYWORDS = frozenset({"True", "False"})
# ``=`` or ``==`` makes an equation; ``<=`` and ``>=`` contain ``=`` but are not equations.
_EQUATION_SIGN = re.compile(r"(?<![<>=!])==?(?!=)")


_OPERATOR_HINTS = {
    ".": "attribute access is not allowed",
    "!=": "'!=' is not supported; write Ne(a, b)",
    "[": "brackets are not allowed; use parentheses (give a system as a list of strings)",
    "]": "brackets are not allowed; use parentheses (give a system as a list of strings)",
    "{": "braces are not allowed; use parentheses",
    "}": "braces are not allowed; use parentheses",
}


class ExpressionError(ValueError):
    """The text is not an expression this tool accepts; the message says why."""


def _namespace() -> dict[str, object]:
    names: dict[str, object] = {"__builtins__": {}}
    for name in sympy.functions.__all__:
        names[name] = getattr(sympy.functions, name)
    for name in _CORE_NAMES:
        names[name] = getattr(sympy, name)
    return names


_GLOBALS = _namespace()


def screen(text: str) -> None:
    """Refuse anything but arithmetic over names and numbers (see the module docstring)."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("empty expression")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}"
        )
    if "__" in text:
        raise ExpressionError(f"{_quote(text)}: names with '__' are not allowed")
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
        raise ExpressionError(f"cannot parse {_quote(text)}: {_first_line(exc)}") from None
    for token in tokens:
        _screen_token(text, token)


def _screen_token(text: str, token: tokenize.TokenInfo) -> None:
    kind, value = token.type, token.string
    if kind == tokenize.NAME and keyword.iskeyword(value) and value not in _ALLOWED_KEYWORDS:
        raise ExpressionError(f"{_quote(text)}: the keyword '{value}' is not allowed")
    if kind == tokenize.OP and value not in _ALLOWED_OPERATORS:
        hint = _OPERATOR_HINTS.get(value, f"'{value}' is not allowed")
        raise ExpressionError(f"{_quote(text)}: {hint}")
    if kind == tokenize.ERRORTOKEN and value == "!":
        return  # factorial: 5!
    if kind in (tokenize.STRING, tokenize.ERRORTOKEN) and value.strip():
        raise ExpressionError(f"{_quote(text)}: unexpected {value!r}")


def parse(text: str, symbols: dict[str, sympy.Symbol] | None = None) -> sympy.Basic:
    """Parse one expression, or an equation ``lhs = rhs`` into ``Eq(lhs, rhs)``.

    ``symbols`` maps names to the Symbol objects to use for them (e.g. with assumptions).
    """
    screen(text)
    sides = _EQUATION_SIGN.split(text)
    if len(sides) > 2:
        raise ExpressionError(f"{_quote(text)}: more than one '=' (write one equation per item)")
    parsed = [_parse_side(side, text, symbols) for side in sides]
    return sympy.Eq(*parsed, evaluate=False) if len(parsed) == 2 else parsed[0]


def _parse_side(side: str, whole: str, symbols: dict[str, sympy.Symbol] | None) -> sympy.Basic:
    if not side.strip():
        raise ExpressionError(f"{_quote(whole)}: one side of '=' is empty")
    try:
        value = parse_expr(
            side,
            local_dict=dict(symbols or {}),
            global_dict=dict(_GLOBALS),
            transformations=TRANSFORMATIONS,
        )
    except Exception as exc:  # parse_expr raises whatever the code it built raised
        raise ExpressionError(f"cannot parse {_quote(whole)}: {_first_line(exc)}") from None
    if isinstance(value, bool):
        return sympy.true if value else sympy.false
    if not isinstance(value, sympy.Basic):
        raise ExpressionError(f"{_quote(whole)} is not a mathematical expression")
    return value


def parse_symbol(name: str) -> sympy.Symbol:
    """A variable name given on its own (``var``): it must be a plain identifier."""
    if not isinstance(name, str) or not name.isidentifier() or "__" in name:
        raise ExpressionError(f"{name!r} is not a variable name")
    return sympy.Symbol(name)


def _quote(text: str) -> str:
    short = text if len(text) <= 60 else text[:57] + "..."
    return repr(short)


def _first_line(exc: BaseException) -> str:
    text = exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc)
    message = text.strip().splitlines()
    detail = message[0] if message else ""
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
