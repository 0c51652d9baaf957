"""The ``sympy`` tool: symbolic maths on expressions given as strings, in a sandboxed worker."""

from __future__ import annotations

from typing import Literal

import agentkit
from agentkit import ToolResult
from agentkit.sandbox import SandboxLimits
from agentkit.worker import WorkerCallError, WorkerCrashed, WorkerTimeout
from agentkit_solver import _pool
from agentkit_solver._vocabulary import Domain, Operation

__all__ = ["DEFAULT_TIMEOUT", "MAX_TIMEOUT", "sympy_tool"]

DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 300.0


@agentkit.tool(name="sympy")
def sympy_tool(
    op: Operation,
    expr: str | list[str],
    var: str | list[str] | None = None,
    domain: Domain | None = None,
    point: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    order: int | None = None,
    direction: Literal["+", "-", "+-"] | None = None,
    digits: int | None = None,
    subs: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ToolResult:
    """Symbolic maths with sympy on expressions written as text (Python syntax; ^ is power).

    Implicit multiplication is allowed (2x, x(x+1)); an equation is written
    "lhs = rhs". Functions are sympy's (sin, exp, log, sqrt, Abs, gamma, ...); E, I, pi
    and oo are e, the imaginary unit, pi and infinity. A name sympy does not know is a
    variable, also before parentheses: f(x) reads as f*x.

    Every result has "op", "result" (the value as text) and "latex". solve adds
    "variables" (names), "solutions" (one string per solution, "x = 2, y = 1" for a
    system) and "assignments" (one {variable: value} per solution); both are null when
    the solution set is not a finite list (an interval, a periodic family, or a set
    sympy could not resolve), and "result" then describes the set. evaluate adds "value"
    (a float when the number is real, else null). Each call runs in a sandbox and is
    stopped after "timeout" seconds.

    :param op: the operation
    :param expr: the expression or equation; for solve, a list of them is a system
    :param var: the variable (for solve, a list for a system); inferred when there is only one
    :param domain: solve only: complex (default), real, rational, integer, positive,
        negative or nonnegative; inequalities are solved over the reals
    :param point: limit: the point to approach (e.g. "0", "oo"); series: the expansion
        point (default "0")
    :param lower: integrate (definite) and summation: the lower bound
    :param upper: integrate (definite) and summation: the upper bound (e.g. "oo")
    :param order: diff: how many times (default 1); series: the order n of the O(x^n)
        remainder (default 6)
    :param direction: limit: "+" from above, "-" from below, "+-" both sides (default)
    :param digits: evaluate: significant digits (default 15)
    :param subs: evaluate: values for variables, e.g. {"x": "2"}
    :param timeout: seconds before the operation is stopped (default 10, at most 300)
    """
    options = {
        "var": var,
        "domain": domain,
        "point": point,
        "lower": lower,
        "upper": upper,
        "order": order,
        "direction": direction,
        "digits": digits,
        "subs": subs,
    }
    given = {name: value for name, value in options.items() if value is not None}
    if not 0 < timeout <= MAX_TIMEOUT:
        return ToolResult.failure(f"sympy: timeout must be above 0 and at most {MAX_TIMEOUT:g} s")
    try:
        output = _pool.call("sympy_op", timeout=timeout, op=op, expr=expr, options=given)
    except WorkerTimeout:
        return ToolResult.failure(f"sympy {op}: timed out after {timeout:g} s (stopped)")
    except WorkerCallError as exc:
        return ToolResult.failure(f"sympy {op}: {_explain(exc)}")
    except WorkerCrashed as exc:
        return ToolResult.failure(f"sympy {op}: the sympy worker died: {exc}")
    return ToolResult(ok=True, output=output)


def _explain(exc: WorkerCallError) -> str:
    # Our own input errors read as a sentence already; sympy's need their type to make sense.
    if exc.type_name == "ExpressionError":
        return exc.message
    if exc.type_name == "MemoryError":
        limit = SandboxLimits.from_config().memory_mb
        return f"ran out of memory (the sandbox allows {limit} MB)"
    return f"{exc.type_name}: {exc.message}" if exc.message else exc.type_name
