"""SMT (z3): a claim is proved when its negation is unsatisfiable.

z3 runs in agentkit-solver's sandboxed worker pool (:func:`agentkit_solver.smt.solve_smt`);
this module only says what the solver's answer means for a claim:

- an SMT-LIB script follows the verification-condition convention: it asserts the
  *negation* of the claim, so ``unsat`` is ``proved`` and ``sat`` is ``refuted`` with
  the model as the counterexample;
- a compact claim (:meth:`SmtBackend.check_claim`) is negated here:
  ``assumptions + ["not (claim)"]`` goes to the solver;
- ``unknown`` (a timeout, an undecidable fragment) stays ``unknown``, never ``proved``;
- input the solver cannot read is an ``error``, with a line and column when z3 gave one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from agentkit.errors import AgentkitError
from agentkit_prover.backend import DEFAULT_TIMEOUT, ProverError
from agentkit_prover.result import ProofError, ProofResult
from agentkit_solver.smt import SolverError, solve_smt

_SMT_COMMAND = re.compile(r"\((assert|declare-|define-|check-sat|set-logic)")
_POSITION = re.compile(r"line (\d+) column (\d+)")


class SmtBackend:
    name = "smt"
    languages = ("smt", "smtlib", "smt-lib", "smt2", "z3")
    suffixes = (".smt2", ".smt")

    def recognizes(self, source: str) -> bool:
        code = "\n".join(line.split(";", 1)[0] for line in source.splitlines()).strip()
        return code.startswith("(") and bool(_SMT_COMMAND.search(code))

    def check(self, source: str, *, timeout: float = DEFAULT_TIMEOUT) -> ProofResult:
        """An SMT-LIB script that asserts the negation of the claim."""
        return _verdict(lambda: solve_smt(smtlib=source, timeout=timeout), timeout)

    def check_claim(
        self,
        claim: str,
        *,
        assumptions: list[str] | None = None,
        variables: dict[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> ProofResult:
        """A compact claim over ``variables``, under ``assumptions`` (agentkit-solver's syntax)."""
        constraints = [*(assumptions or []), f"not ({claim})"]
        return _verdict(
            lambda: solve_smt(constraints=constraints, variables=variables, timeout=timeout),
            timeout,
        )


def _verdict(solve: Callable[[], dict[str, Any]], timeout: float) -> ProofResult:
    started = time.monotonic()
    try:
        answer = solve()
    except SolverError as exc:
        result = ProofResult(status="error", backend="smt", errors=[_input_error(str(exc))])
    except AgentkitError as exc:  # the worker pool itself failed: no verdict to give
        raise ProverError(f"smt: the solver could not run: {exc}") from None
    else:
        result = _meaning(answer, timeout)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _meaning(answer: dict[str, Any], timeout: float) -> ProofResult:
    status = answer.get("status")
    if status == "unsat":
        message = "the negation of the claim is unsatisfiable, so the claim holds"
        return ProofResult(status="proved", backend="smt", messages=[message])
    if status == "sat":
        model = answer.get("model") or {}
        shown = ", ".join(f"{name} = {value}" for name, value in model.items()) or "(any values)"
        return ProofResult(
            status="refuted",
            backend="smt",
            counterexample=model,
            messages=[f"counterexample: {shown}"],
        )
    reason = answer.get("reason") or "no reason given"
    return ProofResult(
        status="unknown",
        backend="smt",
        messages=[f"z3 could not decide the claim: {reason}"],
        timed_out="timeout" in reason or "ran past" in reason,
    )


def _input_error(message: str) -> ProofError:
    message = message.removeprefix("smt: ")
    position = _POSITION.search(message)
    if position is None:
        return ProofError(message=message)
    line, column = int(position.group(1)), int(position.group(2))
    # z3 counts columns from 1 on the first line and from 0 after every newline.
    return ProofError(message=message, line=line, column=column + (line > 1))


BACKEND = SmtBackend()
