"""Coq: ``coqc`` in the sandbox, then coqchk, ``Print Assumptions`` and the claims check.

The verdict:

- ``error``: coqc stopped at an error (the first one comes with its line, column,
  the failing sentence and the goal just before it); or coqchk rejected what it built;
  or a theorem the file states is not, as stated, in the compiled library (see
  :mod:`agentkit_prover.coq.claims`: inside a module type or functor, undone by
  ``Reset``, given another type by a section hypothesis or by a name the file
  redefines); or the theorem asked for by name is not stated in the file;
- ``incomplete``: it compiled (or stopped only because ``admit`` left goals behind a
  ``Qed``), but rests on gaps: ``Admitted``, ``admit``, axioms (its own, or any under
  a stated theorem, the standard library's included), unsafe flags. Gaps are found in
  the text (comments and strings masked out) and confirmed by Coq (see
  :mod:`agentkit_prover.coq.audit`); either is enough;
- ``unknown``: the time ran out (the error then names the sentence that was running);
  or the file compiles but states no theorem, lemma, example or goal (a file of
  definitions alone proves nothing); or a statement cannot be read away from the
  file's own notations and coercions, so what it says cannot be checked;
- ``proved``: none of the above: every stated theorem is a constant of the compiled
  library, its type is the statement as written, and it rests on no axiom.

Warnings from coqc go into ``messages``.
"""

from __future__ import annotations

import re
import time

from agentkit_prover.backend import DEFAULT_TIMEOUT
from agentkit_prover.coq.audit import Audit, audit
from agentkit_prover.coq.claims import ClaimsCheck, check_claims
from agentkit_prover.coq.locate import Failure, Locator
from agentkit_prover.coq.output import Diagnostic, diagnostics, executed_sentences
from agentkit_prover.coq.scan import Scan, scan
from agentkit_prover.coq.session import CoqSession
from agentkit_prover.coq.text import mask
from agentkit_prover.result import Gap, ProofError, ProofResult

GOAL_GRACE = 2.0  # seconds past a timeout allowed to fetch the goal of the looping sentence
MAX_WARNINGS = 5
_GIVEN_UP = "given up goals"
_COQ_WORDS = re.compile(
    r"\b(Theorem|Lemma|Proof|Qed|Defined|Admitted|Require|Definition|Inductive|Fixpoint"
    r"|Example|Goal|Section|Module)\b"
)


class CoqBackend:
    name = "coq"
    languages = ("coq", "rocq", "gallina")
    suffixes = (".v",)

    def recognizes(self, source: str) -> bool:
        masked = mask(source)
        return not masked.lstrip().startswith("(") and bool(_COQ_WORDS.search(masked))

    def check(self, source: str, *, timeout: float = DEFAULT_TIMEOUT) -> ProofResult:
        return self.check_theorem(source, None, timeout=timeout)

    def check_theorem(
        self, source: str, theorem: str | None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> ProofResult:
        """Like :meth:`check`; and ``theorem`` (when given) must be one the file states."""
        started = time.monotonic()
        with CoqSession(source, timeout=timeout) as session:
            result = _check(session, source, timeout, theorem)
        result.seconds = round(time.monotonic() - started, 3)
        return result


def _check(session: CoqSession, source: str, timeout: float, theorem: str | None) -> ProofResult:
    masked = mask(source)
    scanned = scan(source)
    run = session.compile()
    stderr = run.stderr.decode("utf-8", errors="replace")
    found = diagnostics(stderr)
    locator = Locator(source, masked, executed_sentences(run.stdout.decode("utf-8", "replace")))
    base = ProofResult(
        status="unknown",
        backend="coq",
        messages=_warnings(found),
        incomplete=list(scanned.gaps),
        theorems=list(scanned.theorems),
    )
    if run.timed_out:
        return _timed_out(session, locator, base, timeout)
    errors = [d for d in found if d.kind == "Error"]
    if run.returncode != 0:
        return _failed(session, locator, base, errors, run.returncode, stderr)
    checked = audit(session, scanned, masked)
    claims = ClaimsCheck(finished=False)
    if checked.finished and checked.rejected is None:
        claims = check_claims(session, scanned.claims, first=theorem)
    return _judge(base, scanned, checked, claims, theorem)


def _timed_out(
    session: CoqSession, locator: Locator, base: ProofResult, timeout: float
) -> ProofResult:
    failure = locator.timeout(timeout)
    _add_goal(session, failure, GOAL_GRACE)
    base.messages.insert(0, f"coqc ran past the time limit of {timeout:g} s")
    return base.model_copy(update={"timed_out": True, "errors": [failure.error]})


def _failed(
    session: CoqSession,
    locator: Locator,
    base: ProofResult,
    errors: list[Diagnostic],
    returncode: int | None,
    stderr: str,
) -> ProofResult:
    if not errors:  # killed by a signal (memory?) or an anomaly without "Error:"
        tail = " ".join(stderr.split())[-500:]
        base.messages.insert(0, f"coqc stopped without an error message (exit {returncode}) {tail}")
        return base
    failure = locator.error(errors[0])
    _add_goal(session, failure, session.remaining())
    given_up = _GIVEN_UP in failure.error.message
    if given_up and not any(gap.kind == "admit" for gap in base.incomplete):
        base.incomplete.append(Gap(kind="admit", message="goals were given up (admit/give_up)"))
    status = "incomplete" if given_up else "error"
    return base.model_copy(update={"status": status, "errors": [failure.error]})


def _add_goal(session: CoqSession, failure: Failure, budget: float) -> None:
    if failure.prefix_end is not None and budget > 0:
        prefix = session.source[: failure.prefix_end]
        failure.error.goal = session.goal_before(prefix, budget=budget)


def _judge(
    base: ProofResult, scanned: Scan, checked: Audit, claims: ClaimsCheck, theorem: str | None
) -> ProofResult:
    """The one place a Coq verdict is decided (the module doc says how)."""
    gaps = _merged(base.incomplete, checked.gaps, claims.gaps)
    messages = base.messages + checked.messages
    update = {"incomplete": gaps, "assumptions": checked.assumptions, "messages": messages}
    if checked.rejected is not None:
        messages.insert(0, f"coqchk rejected the compiled proof: {checked.rejected}")
        return base.model_copy(update={**update, "status": "error"})
    wrong = list(claims.wrong)
    if theorem is not None and theorem not in scanned.theorems:
        stated = ", ".join(scanned.theorems) or "none"
        why = f"{theorem} is not stated in the file (or its proof was aborted); it states: {stated}"
        wrong.insert(0, ProofError(message=why))
    if wrong:
        return base.model_copy(update={**update, "status": "error", "errors": wrong})
    if claims.unread:
        messages[:0] = claims.unread
        return base.model_copy(update=update)
    if gaps:
        return base.model_copy(update={**update, "status": "incomplete"})
    if not checked.finished or not claims.finished:
        messages.insert(0, "the time ran out before every stated theorem was checked")
        return base.model_copy(update={**update, "status": "unknown", "timed_out": True})
    if not scanned.theorems:
        messages.insert(0, "the file compiles but states no Theorem, Lemma, Example or Goal")
        return base.model_copy(update=update)
    messages.insert(
        0,
        f"checked {len(scanned.theorems)} theorem(s): each is in the compiled library with "
        "its stated type, and rests on no axiom or admit",
    )
    return base.model_copy(update={**update, "status": "proved"})


def _merged(scanned: list[Gap], audited: list[Gap], claimed: list[Gap]) -> list[Gap]:
    """The text's gaps, then the checkers' that it missed: a gap is reported once."""
    gaps = list(scanned)
    for gap in audited:
        if not any(g.kind == gap.kind and g.name == gap.name for g in gaps):
            gaps.append(gap)
    for gap in claimed:  # an admitted lemma also prints as an axiom: one gap, not two
        if not any(g.name == gap.name for g in gaps):
            gaps.append(gap)
    return gaps


def _warnings(found: list[Diagnostic]) -> list[str]:
    warnings = [d for d in found if d.kind == "Warning"]
    shown = [
        f"warning at line {d.line}: {' '.join(d.message.split())}"
        if d.line
        else f"warning: {' '.join(d.message.split())}"
        for d in warnings[:MAX_WARNINGS]
    ]
    if len(warnings) > MAX_WARNINGS:
        shown.append(f"... and {len(warnings) - MAX_WARNINGS} more warnings")
    return shown


BACKEND = CoqBackend()
