"""Answer equivalence: :func:`math_equal` and the ``math_equal`` verifier (math-verify).

math-verify parses LaTeX with antlr and sympy and guards itself with signal-based
time limits that only work in a main thread, so it runs in the sandboxed worker pool,
where calls run in the worker's main thread.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from agentkit.verify import Verdict
from agentkit.worker import WorkerCallError, WorkerError
from agentkit_solver import _pool
from agentkit_solver._pool import SolverError
from agentkit_solver._vocabulary import NO_MATHS

__all__ = [
    "NO_MATHS",
    "REFERENCE_KEYS",
    "MathEqual",
    "compare_answers",
    "math_equal",
    "reference_answer",
]

REFERENCE_KEYS = ("answer", "gold", "expected")
STEP_SECONDS = 5  # math-verify's own limit for each parse and the comparison


def compare_answers(gold: Any, answer: Any) -> dict[str, Any]:
    """``{"equal": bool, "gold": parsed | None, "answer": parsed | None, "unread": {...}}``.

    Each side's final answer is found first (the last ``\\boxed{}``, a bold or
    "answer is" statement, what follows a correction; see
    :mod:`agentkit_solver._final_answer`) and only that is read. ``unread`` says, for
    a side that was not read, why (``NO_MATHS`` when it states no maths at all).
    ``gold`` is the reference: math-verify's comparison is not symmetric (an answer
    ``x = 2`` matches a reference ``2``, and intervals and sets are read from the
    reference's point of view). Raises :class:`SolverError` when the check cannot run.
    """
    try:
        return _pool.call(
            "math_equal",
            timeout=3 * STEP_SECONDS + 5,
            gold=_as_text(gold, "reference"),
            answer=_as_text(answer, "answer"),
            seconds=STEP_SECONDS,
        )
    except WorkerCallError as exc:
        raise SolverError(f"math_equal: {exc}") from None
    except WorkerError as exc:
        raise SolverError(f"math_equal: the check could not finish: {exc}") from None


def math_equal(gold: Any, answer: Any) -> bool:
    """Whether two final answers are the same mathematical object (math-verify).

    Numbers, fractions, LaTeX (``\\frac12``, ``\\boxed{}``), sets, intervals and
    equations (``x = 2`` against ``2``). Usable as ``vote(..., equivalent=math_equal)``.
    """
    return bool(compare_answers(gold, answer)["equal"])


def _as_text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Fraction | Decimal) and not isinstance(value, bool):
        return str(value)
    raise SolverError(
        f"math_equal: the {what} must be text or a number, not {type(value).__name__}"
    )


def reference_answer(problem: Any) -> Any:
    """The reference answer a problem carries (``answer``, ``gold`` or ``expected``), or None."""
    for key in REFERENCE_KEYS:
        value = problem.get(key) if isinstance(problem, dict) else getattr(problem, key, None)
        if value is not None:
            return value
    return None


class MathEqual:
    """Verifier: the candidate answer equals the problem's reference answer."""

    name = "math_equal"

    def applies_to(self, candidate: Any, problem: Any) -> bool:
        answerable = isinstance(candidate, str | int | float) and not isinstance(candidate, bool)
        return answerable and reference_answer(problem) is not None

    def verify(self, candidate: Any, problem: Any, ctx: Any = None) -> Verdict:
        gold = reference_answer(problem)
        try:
            outcome = compare_answers(gold, candidate)
        except SolverError as exc:
            return Verdict(status="undecided", feedback=str(exc), verifier=self.name)
        read = f"the answer {_short(candidate)} (read as {outcome['answer']})"
        reference = f"the reference {_short(gold)} (read as {outcome['gold']})"
        unread = outcome["unread"]
        if "gold" in unread:
            feedback = f"cannot check: {unread['gold']} in the reference {_short(gold)}"
            return Verdict(status="undecided", feedback=feedback, verifier=self.name)
        if outcome["equal"]:
            feedback = f"{read} equals {reference}"
            return Verdict(status="passed", feedback=feedback, evidence=outcome, verifier=self.name)
        if unread.get("answer") == NO_MATHS:
            feedback = f"no mathematical answer found in {_short(candidate)}; expected {reference}"
        elif "answer" in unread:
            # An answer that states something unreadable may still be right: say so, never pass.
            feedback = f"cannot check: {unread['answer']} in the answer {_short(candidate)}"
            return Verdict(
                status="undecided", feedback=feedback, evidence=outcome, verifier=self.name
            )
        else:
            feedback = f"{read} differs from {reference}"
        return Verdict(status="failed", feedback=feedback, evidence=outcome, verifier=self.name)


def _short(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 80 else text[:77] + "...")
