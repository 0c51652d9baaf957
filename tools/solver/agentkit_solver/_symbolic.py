"""The sympy operations behind the ``sympy`` tool, on expressions given as strings.

Runs inside the sandboxed worker: imports sympy, never agentkit. Every operation
returns a JSON-ready dict with at least ``op``, ``result`` (text) and ``latex``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import sympy

from agentkit_solver._parsing import ExpressionError, parse, parse_symbol
from agentkit_solver._vocabulary import DOMAINS, OPERATIONS

# Solved over the reals, then cut down to these subsets.
_SUBDOMAINS: dict[str, sympy.Set] = {
    "rational": sympy.S.Rationals,
    "integer": sympy.S.Integers,
    "positive": sympy.Interval.open(0, sympy.oo),
    "negative": sympy.Interval.open(-sympy.oo, 0),
    "nonnegative": sympy.Interval(0, sympy.oo),
}

MAX_DIGITS = 1000


def run(op: str, expr: str | list[str], **options: Any) -> dict[str, Any]:
    """Run one operation; ``options`` are the tool's other arguments (None when not given)."""
    operation = _OPERATIONS.get(op)
    if operation is None:
        raise ExpressionError(f"unknown op {op!r}; the ops are: {', '.join(OPERATIONS)}")
    if op != "solve" and not isinstance(expr, str):
        raise ExpressionError(f"op '{op}' takes one expression, not a list")
    given = {name: value for name, value in options.items() if value is not None}
    takes = [name for name in inspect.signature(operation).parameters if name != "expr"]
    if unused := sorted(set(given) - set(takes)):
        takes_text = ", ".join(takes) or "nothing else"
        raise ExpressionError(
            f"op '{op}' does not use {', '.join(unused)} (it takes: {takes_text})"
        )
    return {"op": op, **operation(expr, **given)}


def shown(value: Any) -> dict[str, str]:
    """The text and LaTeX forms of a sympy object."""
    return {"result": sympy.sstr(value), "latex": sympy.latex(value)}


# -- solve -----------------------------------------------------------------------------


def _solve(
    expr: str | list[str], var: str | list[str] | None = None, domain: str = "complex"
) -> dict[str, Any]:
    if domain not in DOMAINS:
        raise ExpressionError(f"unknown domain {domain!r}; the domains are: {', '.join(DOMAINS)}")
    texts = [expr] if isinstance(expr, str) else list(expr)
    if not texts:
        raise ExpressionError("solve needs at least one equation")
    equations = [parse(text) for text in texts]
    unknowns = _unknowns(equations, var)
    if len(equations) == 1 and len(unknowns) == 1:
        return _solve_one(equations[0], unknowns[0], domain)
    return _solve_system(equations, unknowns, domain)


def _unknowns(equations: Sequence[sympy.Basic], var: str | list[str] | None) -> list[sympy.Symbol]:
    if var is not None:
        names = [var] if isinstance(var, str) else list(var)
        return [parse_symbol(name) for name in names]
    free = sorted(set().union(*(eq.free_symbols for eq in equations)), key=lambda s: s.name)
    if not free:
        raise ExpressionError("there is no variable to solve for")
    if len(free) > len(equations):
        names = ", ".join(s.name for s in free)
        raise ExpressionError(f"say which variables to solve for with 'var' (symbols: {names})")
    return free


def _solve_one(equation: sympy.Basic, x: sympy.Symbol, domain: str) -> dict[str, Any]:
    if equation.free_symbols and x not in equation.free_symbols:
        raise ExpressionError(f"'{x}' does not occur in {sympy.sstr(equation)}")
    # Inequalities only make sense over the reals, whatever the domain says.
    real = domain != "complex" or _is_inequality(equation)
    over = sympy.S.Reals if real else sympy.S.Complexes
    found = sympy.solveset(equation, x, over)
    if domain in _SUBDOMAINS:
        found = found.intersect(_SUBDOMAINS[domain])
    finite = isinstance(found, sympy.FiniteSet) or found is sympy.S.EmptySet
    values = _ordered(found) if finite else None
    return {
        **shown(found),
        "variables": [x.name],
        "solutions": None if values is None else [sympy.sstr(v) for v in values],
        "assignments": None if values is None else [{x.name: sympy.sstr(v)} for v in values],
    }


def _solve_system(
    equations: Sequence[sympy.Basic], unknowns: list[sympy.Symbol], domain: str
) -> dict[str, Any]:
    if any(_is_inequality(eq) for eq in equations):
        raise ExpressionError("systems of inequalities are not supported; solve one at a time")
    zeros = [eq.lhs - eq.rhs if isinstance(eq, sympy.Eq) else eq for eq in equations]
    linear = all(_is_linear(z, unknowns) for z in zeros)
    found = sympy.linsolve(zeros, unknowns) if linear else sympy.nonlinsolve(zeros, unknowns)
    if not isinstance(found, sympy.FiniteSet):
        return {**shown(found), "variables": [u.name for u in unknowns], "solutions": None}
    kept = [point for point in found if _in_domain(point, domain)]
    names = [u.name for u in unknowns]
    assignments = [dict(zip(names, map(sympy.sstr, point), strict=True)) for point in kept]
    return {
        **shown(sympy.FiniteSet(*kept)),
        "variables": names,
        "solutions": [", ".join(f"{n} = {v}" for n, v in a.items()) for a in assignments],
        "assignments": assignments,
    }


def _is_inequality(value: sympy.Basic) -> bool:
    return isinstance(value, sympy.core.relational.Relational) and not isinstance(value, sympy.Eq)


def _is_linear(expression: sympy.Basic, unknowns: list[sympy.Symbol]) -> bool:
    try:
        return sympy.Poly(expression, *unknowns).total_degree() <= 1
    except sympy.PolynomialError:
        return False


def _in_domain(point: sympy.Tuple, domain: str) -> bool:
    if domain == "complex":
        return True
    sets = [sympy.S.Reals, _SUBDOMAINS.get(domain, sympy.S.Reals)]
    # Unknown membership (a parametric solution) is kept: only a definite "no" drops it.
    return all(s.contains(value) is not sympy.false for value in point for s in sets)


def _ordered(values: sympy.Set) -> list[sympy.Basic]:
    items = list(values)
    if all(v.is_real for v in items):
        return sorted(items, key=lambda v: float(v.evalf()))
    return items


# -- one-expression operations ----------------------------------------------------------


def _the_variable(expression: sympy.Basic, var: str | None, op: str) -> sympy.Symbol:
    if var is not None:
        if not isinstance(var, str):
            raise ExpressionError(f"op '{op}' takes one variable in 'var', not a list")
        return parse_symbol(var)
    free = sorted(expression.free_symbols, key=lambda s: s.name)
    if len(free) == 1:
        return free[0]
    if not free:
        return sympy.Symbol("x")  # a constant: any variable will do
    names = ", ".join(s.name for s in free)
    raise ExpressionError(f"op '{op}': say which variable with 'var' (symbols: {names})")


def _simplify(expr: str) -> dict[str, Any]:
    return shown(sympy.simplify(parse(expr)))


def _factor(expr: str) -> dict[str, Any]:
    return shown(sympy.factor(parse(expr)))


def _expand(expr: str) -> dict[str, Any]:
    return shown(sympy.expand(parse(expr)))


def _diff(expr: str, var: str | None = None, order: int = 1) -> dict[str, Any]:
    expression = parse(expr)
    if not isinstance(order, int) or order < 1:
        raise ExpressionError(f"diff: 'order' must be a positive integer, not {order!r}")
    return shown(sympy.diff(expression, _the_variable(expression, var, "diff"), order))


def _integrate(
    expr: str, var: str | None = None, lower: str | None = None, upper: str | None = None
) -> dict[str, Any]:
    expression = parse(expr)
    x = _the_variable(expression, var, "integrate")
    if (lower is None) != (upper is None):
        raise ExpressionError("integrate: give both 'lower' and 'upper', or neither")
    if lower is None:
        return shown(sympy.integrate(expression, x))
    return shown(sympy.integrate(expression, (x, parse(lower), parse(upper))))


def _limit(
    expr: str, var: str | None = None, point: str | None = None, direction: str = "+-"
) -> dict[str, Any]:
    expression = parse(expr)
    if point is None:
        raise ExpressionError("limit: give the 'point' to approach (e.g. '0' or 'oo')")
    if direction not in ("+", "-", "+-"):
        raise ExpressionError(f"limit: 'direction' is '+', '-' or '+-', not {direction!r}")
    x = _the_variable(expression, var, "limit")
    return shown(sympy.limit(expression, x, parse(point), dir=direction))


def _series(
    expr: str, var: str | None = None, point: str | None = None, order: int = 6
) -> dict[str, Any]:
    expression = parse(expr)
    x = _the_variable(expression, var, "series")
    return shown(sympy.series(expression, x, parse(point or "0"), order))


def _summation(
    expr: str, var: str | None = None, lower: str | None = None, upper: str | None = None
) -> dict[str, Any]:
    expression = parse(expr)
    if lower is None or upper is None:
        raise ExpressionError("summation: give 'lower' and 'upper' (e.g. '1' and 'oo')")
    k = _the_variable(expression, var, "summation")
    return shown(sympy.summation(expression, (k, parse(lower), parse(upper))))


def _evaluate(expr: str, digits: int = 15, subs: dict[str, str] | None = None) -> dict[str, Any]:
    if not isinstance(digits, int) or not 1 <= digits <= MAX_DIGITS:
        raise ExpressionError(f"evaluate: 'digits' must be 1 to {MAX_DIGITS}, not {digits!r}")
    expression = parse(expr)
    values = {parse_symbol(name): parse(text) for name, text in (subs or {}).items()}
    number = sympy.N(expression.subs(values), digits)
    real = number.is_real and number.is_finite and not number.free_symbols
    return {**shown(number), "value": float(number) if real else None}


_OPERATIONS: dict[str, Callable[..., dict[str, Any]]] = {
    "solve": _solve,
    "simplify": _simplify,
    "factor": _factor,
    "expand": _expand,
    "diff": _diff,
    "integrate": _integrate,
    "limit": _limit,
    "series": _series,
    "summation": _summation,
    "evaluate": _evaluate,
}
