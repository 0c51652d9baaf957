"""Answer equivalence: find each answer's final value, read it, compare with math-verify.

Runs inside the sandboxed worker, in its main thread, which is where math-verify's
signal-based time limits work. Imports math-verify, never agentkit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy
from math_verify import verify

from agentkit_solver._final_answer import final_answer
from agentkit_solver._reading import read_formula
from agentkit_solver._vocabulary import NO_MATHS


@dataclass(frozen=True)
class Reading:
    """The value an answer states, or None and why it could not be read."""

    value: sympy.Basic | None
    problem: str = ""


def compare(gold: str, answer: str, seconds: int = 5) -> dict[str, Any]:
    """``{"equal", "gold", "answer", "unread"}``: whether both answers state the same
    value, the parsed forms (None where unread), and why an answer was not read
    (``{"gold": ..., "answer": ...}``; ``"no mathematical answer"`` when it has no maths).
    """
    gold_read, answer_read = read(gold, seconds), read(answer, seconds)
    both = gold_read.value is not None and answer_read.value is not None
    # allow_set_relation_comp: "1 <= x <= 5" states the interval [1, 5], either way round.
    same = both and verify(
        *_same_symbols(gold_read.value, answer_read.value),
        allow_set_relation_comp=True,
        timeout_seconds=seconds,
    )
    unread = {
        side: reading.problem
        for side, reading in (("gold", gold_read), ("answer", answer_read))
        if reading.value is None
    }
    return {
        "equal": bool(same),
        "gold": _shown(gold_read.value),
        "answer": _shown(answer_read.value),
        "unread": unread,
    }


def read(text: str, seconds: int = 5) -> Reading:
    """The value of the final answer ``text`` states."""
    statement = final_answer(text)
    if statement.formula is None:
        return Reading(None, statement.problem or NO_MATHS)
    value = read_formula(statement.formula, seconds)
    if value is None:
        return Reading(None, f"cannot read {statement.formula!r} as a formula")
    return Reading(value)


def _same_symbols(gold: sympy.Basic, answer: sympy.Basic) -> tuple[sympy.Basic, sympy.Basic]:
    """Both sides with the symbols math-verify's LaTeX reader makes: one real, lower-case
    symbol per name (sympy's parser makes ``x`` without assumptions, and sympy holds
    the two ``x`` different), and ``i`` the imaginary unit."""
    return _unified(gold), _unified(answer)


def _unified(value: sympy.Basic) -> sympy.Basic:
    def canonical(name: str) -> sympy.Basic:
        return sympy.I if name.lower() == "i" else sympy.Symbol(name.lower(), real=True)

    return value.xreplace({symbol: canonical(symbol.name) for symbol in value.atoms(sympy.Symbol)})


def _shown(value: sympy.Basic | None) -> str | None:
    # full_prec=False: a decimal answer shows as written (0.5), not as 0.500000000000000.
    return None if value is None else sympy.sstr(value, full_prec=False)
