"""The ``sympy`` tool against real sympy in the sandboxed worker pool."""

from __future__ import annotations

import time

import pytest

import agentkit
from agentkit_solver import sympy_tool


def call(**arguments):
    return agentkit.call_tool(sympy_tool, arguments)


def ok(**arguments):
    result = call(**arguments)
    assert result.ok, result.error
    return result.output


def test_solve_a_quadratic_gives_both_roots_as_text_latex_and_assignments():
    out = ok(op="solve", expr="x**2 - 5*x + 6", var="x")
    assert out["solutions"] == ["2", "3"]
    assert out["assignments"] == [{"x": "2"}, {"x": "3"}]
    assert out["result"] == "{2, 3}" and out["latex"] == r"\left\{2, 3\right\}"
    assert out["op"] == "solve" and out["variables"] == ["x"]


def test_solve_infers_the_only_variable_and_reads_equations():
    assert ok(op="solve", expr="2x + 3 = 7")["solutions"] == ["2"]


@pytest.mark.parametrize(
    ("domain", "solutions"),
    [
        ("complex", ["I", "-I"]),
        ("real", []),
    ],
)
def test_solve_domain_decides_which_roots_count(domain, solutions):
    out = ok(op="solve", expr="x**2 + 1", domain=domain)
    assert sorted(out["solutions"]) == sorted(solutions)


def test_solve_positive_and_integer_domains_filter_roots():
    assert ok(op="solve", expr="x**2 = 2", domain="positive")["solutions"] == ["sqrt(2)"]
    assert ok(op="solve", expr="x**3 = 4x", domain="integer")["solutions"] == ["-2", "0", "2"]
    assert ok(op="solve", expr="x**2 = 2", domain="rational")["solutions"] == []


def test_solve_an_inequality_gives_an_interval_and_no_finite_list():
    out = ok(op="solve", expr="x**2 < 4")
    assert out["result"] == "Interval.open(-2, 2)" and out["solutions"] is None


def test_solve_a_periodic_equation_describes_the_infinite_family():
    out = ok(op="solve", expr="sin(x) = 0", domain="real")
    assert out["solutions"] is None and "ImageSet" in out["result"] and "pi" in out["latex"]


def test_solve_a_linear_system():
    out = ok(op="solve", expr=["x + y = 3", "x - y = 1"])
    assert out["assignments"] == [{"x": "2", "y": "1"}]
    assert out["solutions"] == ["x = 2, y = 1"]


def test_solve_a_nonlinear_system_with_a_real_domain():
    out = ok(op="solve", expr=["x**2 + y**2 = 5", "x - y = 1"], var=["x", "y"], domain="real")
    assert sorted(out["solutions"]) == ["x = -1, y = -2", "x = 2, y = 1"]
    assert ok(op="solve", expr=["x**2 + y**2 = -1", "x = y"], domain="real")["solutions"] == []


def test_solve_with_several_symbols_asks_which_variable():
    result = call(op="solve", expr="a*x + b")
    assert not result.ok
    assert (
        result.error
        == "sympy solve: say which variables to solve for with 'var' (symbols: a, b, x)"
    )
    assert ok(op="solve", expr="a*x + b", var="x")["solutions"] == ["-b/a"]


@pytest.mark.parametrize(
    ("arguments", "result"),
    [
        ({"op": "simplify", "expr": "sin(x)**2 + cos(x)**2"}, "1"),
        ({"op": "factor", "expr": "x**2 - 1"}, "(x - 1)*(x + 1)"),
        ({"op": "expand", "expr": "(x + 1)^3"}, "x**3 + 3*x**2 + 3*x + 1"),
        ({"op": "diff", "expr": "x^3", "order": 2}, "6*x"),
        ({"op": "diff", "expr": "x*y^2", "var": "y"}, "2*x*y"),
        ({"op": "integrate", "expr": "2x"}, "x**2"),
        ({"op": "integrate", "expr": "exp(-x^2)", "lower": "-oo", "upper": "oo"}, "sqrt(pi)"),
        ({"op": "limit", "expr": "sin(x)/x", "point": "0"}, "1"),
        ({"op": "limit", "expr": "1/x", "point": "0", "direction": "-"}, "-oo"),
        ({"op": "series", "expr": "exp(x)", "order": 3}, "1 + x + x**2/2 + O(x**3)"),
        ({"op": "summation", "expr": "1/k^2", "lower": "1", "upper": "oo"}, "pi**2/6"),
        ({"op": "summation", "expr": "k", "lower": "1", "upper": "n", "var": "k"}, "n**2/2 + n/2"),
    ],
)
def test_each_operation(arguments, result):
    out = ok(**arguments)
    assert out["result"] == result
    assert out["op"] == arguments["op"] and out["latex"]


def test_evaluate_to_n_digits_with_substitutions():
    out = ok(op="evaluate", expr="pi", digits=30)
    assert out["result"] == "3.14159265358979323846264338328"
    assert out["value"] == pytest.approx(3.141592653589793)
    assert ok(op="evaluate", expr="sqrt(x)", subs={"x": "2"}, digits=5)["result"] == "1.4142"
    assert ok(op="evaluate", expr="sqrt(-1)")["value"] is None


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (
            {"op": "solve", "expr": "x**2 - "},
            "sympy solve: cannot parse 'x**2 - ': SyntaxError: invalid syntax",
        ),
        (
            {"op": "simplify", "expr": "x.__class__"},
            "sympy simplify: 'x.__class__': names with '__' are not allowed",
        ),
        (
            {"op": "diff", "expr": "x^2", "lower": "0"},
            "sympy diff: op 'diff' does not use lower (it takes: var, order)",
        ),
        (
            {"op": "integrate", "expr": "x", "lower": "0"},
            "sympy integrate: integrate: give both 'lower' and 'upper', or neither",
        ),
        ({"op": "limit", "expr": "1/x"}, "sympy limit: limit: give the 'point' to approach"),
        ({"op": "factor", "expr": ["x", "y"]}, "sympy factor: op 'factor' takes one expression"),
        ({"op": "solve", "expr": "x", "timeout": 0}, "sympy: timeout must be above 0"),
    ],
)
def test_bad_input_gives_one_clear_error_line(arguments, error):
    result = call(**arguments)
    assert not result.ok
    assert result.error.startswith(error), result.error
    assert "\n" not in result.error and "Traceback" not in result.error


def test_unknown_op_is_refused_by_the_schema_naming_the_ops():
    result = call(op="frobnicate", expr="x")
    assert not result.ok
    assert "argument 'op'" in result.error and "'integrate'" in result.error
    assert "frobnicate" in result.error


def test_pathological_integral_times_out_cleanly_and_the_tool_recovers():
    started = time.monotonic()
    result = call(op="integrate", expr="exp(sin(x)**x) * log(x)**x / (x**x + tan(x))", timeout=2)
    waited = time.monotonic() - started
    assert not result.ok
    assert result.error == "sympy integrate: timed out after 2 s (stopped)"
    assert waited < 8, f"the timeout took {waited:.1f} s to come back"
    # The killed worker is replaced: the next call works.
    assert ok(op="factor", expr="x**2 - 4")["result"] == "(x - 2)*(x + 2)"


def test_memory_blow_up_is_reported_not_raised():
    result = call(op="expand", expr="(x + y + 1)^100000", timeout=30)
    assert not result.ok
    assert result.error.startswith("sympy expand: ")
    assert "ran out of memory (the sandbox allows" in result.error or "died" in result.error
