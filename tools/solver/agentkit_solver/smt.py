"""The ``smt`` tool and :func:`solve_smt`: z3 on SMT-LIB 2 text or compact constraints.

z3 runs in the sandboxed worker pool with its own ``timeout`` parameter set, so a hard
query comes back as ``unknown``; the worker's time limit, a little longer, is the hard
backstop for the rare case where z3 does not stop by itself.
"""

from __future__ import annotations

from typing import Any

import agentkit
from agentkit import ToolResult
from agentkit.worker import WorkerCallError, WorkerCrashed, WorkerTimeout
from agentkit_solver import _pool
from agentkit_solver._pool import SolverError

__all__ = ["DEFAULT_TIMEOUT", "MAX_TIMEOUT", "SolverError", "smt_tool", "solve_smt"]

DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 600.0


def solve_smt(
    *,
    smtlib: str | None = None,
    constraints: list[str] | None = None,
    variables: dict[str, str] | None = None,
    minimize: str | None = None,
    maximize: str | None = None,
    unsat_core: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """Check satisfiability with z3; give exactly one of ``smtlib`` and ``constraints``.

    ``smtlib`` is an SMT-LIB 2 script. Its declarations, definitions, assertions
    (push/pop included) and ``(minimize t)``/``(maximize t)`` commands are read, and
    the assertions in force at the end are checked once (so a script with more than one
    ``(check-sat)`` is refused, as is ``check-sat-assuming``); with
    ``(get-unsat-core)`` in it (or ``unsat_core=True``), assertions labelled
    ``(! t :named n)`` give the core. Here ``minimize``/``maximize`` are SMT-LIB terms.

    ``constraints`` are Python-syntax expressions over ``variables`` (name to ``Int``,
    ``Real``, ``Bool`` or ``BitVec<n>``), e.g. ``["0 <= x < 10", "implies(b, x > y)",
    "not (x + y == 3)"]``; see :mod:`agentkit_solver._smt_compact` for the grammar.
    Constraint ``i`` is named ``c<i>`` in an unsat core, unless written ``"name: expr"``.
    Here ``minimize``/``maximize`` are expressions in the same syntax.

    Returns ``{"status": "sat" | "unsat" | "unknown", "model", "unsat_core",
    "objectives", "reason"}``:

    - ``model`` (sat only): ``{name: value}``. Integers and bit-vectors are JSON ints,
      booleans JSON booleans, other rationals ``"p/q"`` strings (a whole-valued real is
      an int), irrational algebraic numbers decimal strings of 20 digits, arrays and
      functions z3's text for them.
    - ``unsat_core`` (unsat, when asked for): the names of the constraints in it, sorted.
    - ``objectives`` (sat, when optimising): ``{objective text: optimum}``, the optimum
      as in the model, or a string such as ``"oo"`` when it is unbounded.
    - ``reason`` (unknown): why, e.g. ``"timeout"``.

    Raises :class:`SolverError` for input that cannot be read (one line saying why).
    """
    if (smtlib is None) == (constraints is None):
        raise SolverError("smt: give exactly one of 'smtlib' and 'constraints'")
    if constraints is not None and not all(isinstance(c, str) for c in constraints):
        raise SolverError("smt: 'constraints' is a list of strings")
    if variables is not None and smtlib is not None:
        raise SolverError("smt: 'variables' goes with 'constraints'; SMT-LIB declares its own")
    if not 0 < timeout <= MAX_TIMEOUT:
        raise SolverError(f"smt: timeout must be above 0 and at most {MAX_TIMEOUT:g} s")
    request = {
        "smtlib": smtlib,
        "constraints": constraints,
        "variables": variables,
        "minimize": minimize,
        "maximize": maximize,
        "unsat_core": unsat_core,
        "time_limit": timeout,
    }
    try:
        return _pool.call("smt", timeout=timeout + max(2.0, timeout / 2), request=request)
    except WorkerCallError as exc:
        message = exc.message if exc.type_name == "SmtInputError" else str(exc)
        raise SolverError(f"smt: {message}") from None
    except WorkerTimeout:
        return _unknown(f"z3 ran past its {timeout:g} s limit and was stopped")
    except WorkerCrashed as exc:
        return _unknown(f"the z3 worker died: {exc}")


def _unknown(reason: str) -> dict[str, Any]:
    return {
        "status": "unknown",
        "model": None,
        "unsat_core": None,
        "objectives": None,
        "reason": reason,
    }


@agentkit.tool(name="smt")
def smt_tool(
    smtlib: str | None = None,
    constraints: list[str] | None = None,
    variables: dict[str, str] | None = None,
    minimize: str | None = None,
    maximize: str | None = None,
    unsat_core: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> ToolResult:
    """Decide satisfiability with the z3 SMT solver; give SMT-LIB 2 text or constraints.

    Returns {"status": "sat"|"unsat"|"unknown", "model": {name: value} (sat),
    "unsat_core": [names] (unsat, when asked), "objectives": {objective: optimum}
    (when optimising), "reason": why (unknown, e.g. "timeout")}. Model values: ints,
    booleans, "p/q" strings for fractions, decimal strings for irrational numbers.

    :param smtlib: an SMT-LIB 2 script (declare-const, assert, minimize, ...); assertions
        named with (! t :named n) give the unsat core when the script has (get-unsat-core)
    :param constraints: instead of smtlib: Python-syntax constraints over the variables,
        e.g. ["0 <= x < 10", "x + y == 7", "implies(b, x > y)", "not (x == 3)"]; also
        and/or/not, ite(c, a, b), abs, min, max, distinct; "name: expr" names one
    :param variables: with constraints: each variable's sort, e.g. {"x": "Int", "y":
        "Real", "b": "Bool", "w": "BitVec8"}
    :param minimize: an objective to minimise (a term in the same language as the input)
    :param maximize: an objective to maximise
    :param unsat_core: report which constraints make the problem unsat (c0, c1, ... or
        their names)
    :param timeout: seconds z3 may take; past it the status is "unknown" (default 10)
    """
    try:
        output = solve_smt(
            smtlib=smtlib,
            constraints=constraints,
            variables=variables,
            minimize=minimize,
            maximize=maximize,
            unsat_core=unsat_core,
            timeout=timeout,
        )
    except SolverError as exc:
        return ToolResult.failure(str(exc))
    return ToolResult(ok=True, output=output)
