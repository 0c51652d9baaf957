"""One z3 query, from SMT-LIB text or the compact form, answered as JSON.

Runs inside the sandboxed worker: imports z3, never agentkit. Each SMT-LIB script
gets a z3 context of its own, because z3's parser remembers names (``:named`` labels)
per context and they would leak into the next script's model. Compact queries build
terms through the API, which leaves nothing behind, so they share one context and
skip the few milliseconds a new one costs.
"""

from __future__ import annotations

import itertools
from typing import Any

import z3

from agentkit_solver import _smt_compact as compact
from agentkit_solver._smtlib import Command, ScriptError, commands

ALGEBRAIC_DIGITS = 20
_CORES_ON = "(set-option :produce-unsat-cores true)"


class SmtInputError(ValueError):
    """The query cannot be read (bad SMT-LIB, a bad compact constraint)."""


def solve(
    *,
    smtlib: str | None = None,
    constraints: list[str] | None = None,
    variables: dict[str, str] | None = None,
    minimize: str | None = None,
    maximize: str | None = None,
    unsat_core: bool = False,
    time_limit: float = 10.0,
) -> dict[str, Any]:
    """The result dict of :func:`agentkit_solver.smt.solve_smt` (see there)."""
    try:
        if smtlib is not None:
            query = _from_smtlib(smtlib, minimize, maximize, unsat_core, z3.Context())
        else:
            query = _from_constraints(
                constraints or [], variables or {}, minimize, maximize, unsat_core, _shared()
            )
    except (compact.ConstraintError, ScriptError) as exc:
        raise SmtInputError(str(exc)) from None
    query.solver.set("timeout", max(1, int(time_limit * 1000)))
    return query.answer()


_shared_context: z3.Context | None = None


def _shared() -> z3.Context:
    global _shared_context
    if _shared_context is None:
        _shared_context = z3.Context()
    return _shared_context


class _Query:
    """A loaded solver, the names to report, and its objectives (text, is_max, handle)."""

    def __init__(self, solver: z3.Solver | z3.Optimize, want_core: bool) -> None:
        self.solver = solver
        self.want_core = want_core
        self.tracked: set[str] = set()  # names of assertion labels, not variables
        self.variables: list[z3.ExprRef] = []  # compact form: report even unconstrained ones
        self.objectives: list[tuple[str, bool, Any]] = []

    def answer(self) -> dict[str, Any]:
        status = str(self.solver.check())
        result: dict[str, Any] = {
            "status": status,
            "model": None,
            "unsat_core": None,
            "objectives": None,
            "reason": None,
        }
        if status == "sat":
            model = self.solver.model()
            result["model"] = self._model(model)
            if self.objectives:
                result["objectives"] = {
                    text: _objective_value(handle) for text, _, handle in self.objectives
                }
        elif status == "unsat" and self.want_core:
            result["unsat_core"] = sorted(str(label) for label in self.solver.unsat_core())
        elif status == "unknown":
            result["reason"] = self.solver.reason_unknown() or "z3 gave no reason"
        return result

    def _model(self, model: z3.ModelRef) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for declaration in model.decls():
            name = declaration.name()
            if name in self.tracked:
                continue
            if declaration.arity() == 0:
                values[name] = json_value(model[declaration])
            else:
                values[name] = str(model[declaration])
        for variable in self.variables:
            values.setdefault(str(variable), json_value(model.eval(variable, True)))
        return dict(sorted(values.items()))


def json_value(value: z3.ExprRef) -> Any:
    """A model value as JSON: see :func:`agentkit_solver.smt.solve_smt` for the forms."""
    if z3.is_true(value) or z3.is_false(value):
        return z3.is_true(value)
    if z3.is_int_value(value) or z3.is_bv_value(value):
        return value.as_long()
    if z3.is_rational_value(value):
        fraction = value.as_fraction()
        return fraction.numerator if fraction.denominator == 1 else str(fraction)
    if z3.is_algebraic_value(value):
        return value.as_decimal(ALGEBRAIC_DIGITS).rstrip("?")
    return str(value)


def _objective_value(handle: Any) -> Any:
    value = handle.value()
    if z3.is_int_value(value) or z3.is_rational_value(value) or z3.is_algebraic_value(value):
        return json_value(value)
    return str(value)  # unbounded (oo) or not attained (with epsilon)


def _from_smtlib(
    text: str, minimize: str | None, maximize: str | None, unsat_core: bool, ctx: z3.Context
) -> _Query:
    extra = [
        f"(minimize {minimize})" if minimize else "",
        f"(maximize {maximize})" if maximize else "",
    ]
    script = "\n".join([text, *filter(None, extra)])
    found = commands(script)
    _one_check(found)
    goals = [c for c in found if c.head in ("minimize", "maximize") and c.arguments]
    want_core = unsat_core or any(c.head == "get-unsat-core" for c in found)
    solver = z3.Optimize(ctx=ctx) if goals else z3.Solver(ctx=ctx)
    if want_core:
        # Without it z3 drops the :named labels and the core comes back empty. A Solver
        # keeps it from a parse of its own, so z3's line numbers stay the script's; an
        # Optimize needs it in the same text (on line 1, so line numbers still hold).
        if goals:
            script = f"{_CORES_ON} {script}"
        else:
            solver.from_string(_CORES_ON)
    try:
        solver.from_string(script)
    except z3.Z3Exception as exc:
        raise SmtInputError(f"z3 could not read the script: {_z3_error(exc)}") from None
    query = _Query(solver, want_core)
    query.tracked = {_label(c) for c in found if c.head == "assert"} - {""}
    for index, goal in enumerate(goals):
        is_max = goal.head == "maximize"
        query.objectives.append(
            (goal.arguments[0], is_max, z3.OptimizeObjective(solver, index, is_max))
        )
    return query


def _one_check(found: list[Command]) -> None:
    """Refuse scripts whose meaning needs more than one check of the final assertions."""
    if any(c.head == "check-sat-assuming" for c in found):
        raise SmtInputError("check-sat-assuming is not supported; assert the assumptions instead")
    checks = sum(c.head == "check-sat" for c in found)
    if checks > 1:
        raise SmtInputError(
            f"the script has {checks} check-sat commands; this tool answers one "
            "(the assertions in force at the end): send one query per script"
        )


def _label(command: Command) -> str:
    """The ``:named`` label of ``(assert (! term :named label))``, or ''."""
    words = command.arguments[0].replace("(", " ( ").replace(")", " ) ").split()
    for word, following in itertools.pairwise(words):
        if word == ":named":
            return following.strip("|")
    return ""


def _z3_error(exc: z3.Z3Exception) -> str:
    text = exc.value.decode() if isinstance(exc.value, bytes) else str(exc.value)
    first = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return first.removeprefix('(error "').removesuffix('")')


def _from_constraints(
    texts: list[str],
    variables: dict[str, str],
    minimize: str | None,
    maximize: str | None,
    unsat_core: bool,
    ctx: z3.Context,
) -> _Query:
    if not variables:
        raise SmtInputError('the compact form needs \'variables\', e.g. {"x": "Int"}')
    declared = compact.declare(variables, ctx)
    solver = z3.Optimize(ctx=ctx) if minimize or maximize else z3.Solver(ctx=ctx)
    query = _Query(solver, unsat_core)
    query.variables = list(declared.values())
    for index, text in enumerate(texts):
        name, expression = compact.split_name(text, index)
        term = _boolean(compact.translate(expression, declared, ctx), expression)
        if unsat_core:
            if name in query.tracked or name in declared:
                raise SmtInputError(f"constraint name '{name}' is used twice")
            query.tracked.add(name)
            solver.assert_and_track(term, z3.Bool(name, ctx))
        else:
            solver.add(term)
    for text, is_max in ((minimize, False), (maximize, True)):
        if text:
            term = compact.translate(text, declared, ctx)
            handle = solver.maximize(term) if is_max else solver.minimize(term)
            query.objectives.append((text, is_max, handle))
    return query


def _boolean(term: z3.ExprRef, text: str) -> z3.BoolRef:
    if not z3.is_bool(term):
        raise SmtInputError(f"{text!r} is not a constraint (it has no true/false value)")
    return term
