"""What the sandboxed worker imports: the entry points the outside tools call.

Importing it pays for sympy, z3 and math-verify once, at worker start. Everything
here runs inside the sandbox; nothing here imports agentkit. Arguments and results
are JSON.
"""

from __future__ import annotations

from typing import Any

from agentkit_solver import _equal, _smt_run, _symbolic


def sympy_op(op: str, expr: str | list[str], options: dict[str, Any]) -> dict[str, Any]:
    """One operation of the ``sympy`` tool (see :func:`agentkit_solver._symbolic.run`)."""
    return _symbolic.run(op, expr, **options)


def smt(request: dict[str, Any]) -> dict[str, Any]:
    """One ``smt`` query (see :func:`agentkit_solver.smt.solve_smt`)."""
    return _smt_run.solve(**request)


def math_equal(gold: str, answer: str, seconds: int) -> dict[str, Any]:
    """math-verify's judgement on two answers, with both parsed forms."""
    return _equal.compare(gold, answer, seconds)


def ping() -> str:
    """A no-op call: measures the round trip to a warm worker."""
    return "pong"
