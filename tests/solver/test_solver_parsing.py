"""The expression guard in front of sympy's parser (pure; also runs inside the worker)."""

from __future__ import annotations

import pytest
import sympy

from agentkit_solver._parsing import ExpressionError, parse

x, y = sympy.symbols("x y")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x**2 - 5*x + 6", x**2 - 5 * x + 6),
        ("x^2", x**2),
        ("2x + 3y", 2 * x + 3 * y),
        ("(x+1)(x-1)", (x + 1) * (x - 1)),
        ("sin x", sympy.sin(x)),
        ("5!", sympy.Integer(120)),
        ("ln(E)", sympy.Integer(1)),
        ("x <= 2", x <= 2),
    ],
)
def test_arithmetic_with_implicit_multiplication_and_xor_as_power(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["2x + 3 = 7", "2x + 3 == 7"])
def test_one_equals_sign_makes_an_equation(text):
    assert parse(text) == sympy.Eq(2 * x + 3, 7, evaluate=False)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("x.__class__", "'__' are not allowed"),
        ("x.real", "attribute access is not allowed"),
        ("lambda: 1", "the keyword 'lambda' is not allowed"),
        ("import os", "the keyword 'import' is not allowed"),
        ("open('/etc/passwd')", "unexpected \"'/etc/passwd'\""),
        ("[x for x in y]", "brackets are not allowed"),
        ("x; y", "';' is not allowed"),
        ("x @ y", "'@' is not allowed"),
        ("x = y = 3", "more than one '='"),
        ("x + ", "cannot parse 'x + ': SyntaxError: invalid syntax"),
        ("x != 2", "write Ne(a, b)"),
        ("", "empty expression"),
    ],
)
def test_anything_but_arithmetic_is_refused_with_one_line(text, says):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_builtins_are_out_of_reach():
    # Without builtins in the namespace, these names are plain symbols, never functions.
    assert parse("exec(x)") == sympy.Symbol("exec") * x
    assert parse("eval") == sympy.Symbol("eval")
