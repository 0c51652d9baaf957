"""Is each claimed theorem, as stated, a closed constant of the compiled proof?

The text of a Coq file can say one thing while coqc builds another: a theorem stated
inside a ``Module Type`` or a functor is no constant at all, ``Reset`` undoes a
statement, a ``Section`` hypothesis becomes an argument of the theorem, and a
``Notation`` can make ``False`` read as ``True``. So the verdict does not come from the
file. A checker file, compiled by a fresh coqc, ``Require``\\ s the compiled proof and,
for each :class:`~agentkit_prover.coq.statement.Claim`:

1. ``Locate`` and ``Check`` its fully qualified name: it must be a constant of the
   library (not found is an ``error``);
2. reads its statement again, in a module of its own that has the proof's *names* but
   none of its notations, coercions, canonical structures or hints; then the
   standard library and the file's own Require/Import/Open Scope commands are imported
   over them, so a name of the file never shadows a library's (``Definition False :=
   True`` does not make the statement ``False`` read as ``True``). A statement that
   cannot be read there (it uses the file's own notations) gives no verdict:
   ``unknown``;
3. ``Check (@name : statement)``: the compiled type must be the statement, up to
   conversion (a different type is an ``error``);
4. ``Print Assumptions`` of the fully qualified name must be closed: any axiom, the
   standard library's included, is a gap (``incomplete``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agentkit_prover.coq.output import assumptions, diagnostics
from agentkit_prover.coq.session import LIBRARY, CoqSession
from agentkit_prover.coq.statement import Claim
from agentkit_prover.result import Gap, ProofError

# Everything an Import brings but names: the file's notations must not read its statements.
NAMES_ONLY = "-(notations, coercions, canonicals, hints, ltac.notations)"
CLOSED = "Closed under the global context"
MAX_RUNS = 4  # each run stops at the first claim that fails; the ones after get another
CLEAN_FILE = (
    "a clean file (the file's imports, its names under the libraries', "
    "none of its notations or coercions)"
)
LOOKUP, READ, COMPARE, OTHER = "lookup", "read", "compare", "other"


@dataclass
class ClaimsCheck:
    """What the compiled library says about the file's claims."""

    wrong: list[ProofError] = field(default_factory=list)  # not the stated theorem: error
    unread: list[str] = field(default_factory=list)  # statements that could not be read
    gaps: list[Gap] = field(default_factory=list)  # axioms under a claim
    finished: bool = True  # False: the time ran out first


def check_claims(session: CoqSession, claims: list[Claim], first: str | None = None) -> ClaimsCheck:
    """Check the claims against the compiled library (see the module doc).

    Claims named ``first`` go first. Each run stops at a claim that fails; once one is
    not the stated theorem the verdict is settled, and the rest are not looked at.
    """
    result = ClaimsCheck()
    pending = []
    for claim in sorted(claims, key=lambda claim: claim.name != first):
        if claim.statement is None:
            result.unread.append(f"cannot cut the statement of {claim.name} out of its sentence")
        else:
            pending.append(claim)
    for _ in range(MAX_RUNS):
        if not pending or result.wrong or not result.finished:
            return result
        pending = _run(session, pending, result)
    if pending and not result.wrong:
        result.unread.append(f"ran out of checker runs before {pending[0].name} was checked")
    return result


def _run(session: CoqSession, claims: list[Claim], result: ClaimsCheck) -> list[Claim]:
    """One checker run; returns the claims after the first that failed (still unchecked)."""
    checker = _Checker(session.token, claims)
    run = session.compile_checker(f"claims_{session.token}", checker.text())
    if run.timed_out:
        result.finished = False
        return []
    errors = [d for d in diagnostics(run.stderr.decode("utf-8", "replace")) if d.kind == "Error"]
    failed = checker.place(errors[0].line) if errors and run.returncode != 0 else None
    passed = claims if run.returncode == 0 else claims[: failed[0]] if failed else []
    for index, claim in enumerate(passed):
        _read_outputs(session, checker, index, claim, result)
    if run.returncode == 0:
        return []
    if failed is None:
        why = " ".join(errors[0].message.split()) if errors else f"coqc exit {run.returncode}"
        result.unread.append(f"could not read the statements in a clean file: {why}")
        return []
    index, stage = failed
    _record_failure(result, claims[index], stage, " ".join(errors[0].message.split()))
    return claims[index + 1 :]


def _read_outputs(
    session: CoqSession, checker: _Checker, index: int, claim: Claim, result: ClaimsCheck
) -> None:
    located = session.redirected(checker.marker(index, "locate")) or ""
    first = located.split()[:2]
    if first != ["Constant", f"{LIBRARY}.{claim.name}"]:
        shown = " ".join(located.split()) or "nothing"
        _wrong(result, claim, f"{claim.name} is not a constant of the compiled library ({shown})")
        return
    printed = session.redirected(checker.marker(index, "assumptions"))
    if printed is None:
        result.unread.append(f"Coq printed no assumptions for {claim.name}")
    elif CLOSED not in printed:
        for entry in assumptions(printed) or ["(an unnamed assumption)"]:
            result.gaps.append(_gap(claim.name, entry.removeprefix(f"{LIBRARY}.")))


def _gap(theorem: str, entry: str) -> Gap:
    if " " in entry:  # "f is assumed to be guarded.", not an axiom's name
        return Gap(kind="unsafe", name=theorem, message=f"{theorem}: {entry}")
    message = f"{theorem} rests on the axiom {entry}; a proof may rest on no axiom"
    return Gap(kind="axiom", name=entry, message=message)


def _record_failure(result: ClaimsCheck, claim: Claim, stage: str, why: str) -> None:
    if stage == LOOKUP:
        _wrong(result, claim, f"{claim.name} is not in the compiled library: {why}")
    elif stage == COMPARE:
        message = f"{claim.name} does not have the stated type as read in {CLEAN_FILE}: {why}"
        _wrong(result, claim, message)
    elif stage == READ:
        result.unread.append(f"cannot read the statement of {claim.name} in {CLEAN_FILE}: {why}")
    else:
        result.unread.append(f"could not check {claim.name} in a clean file: {why}")


def _wrong(result: ClaimsCheck, claim: Claim, message: str) -> None:
    result.wrong.append(ProofError(message=message, line=claim.line, sentence=claim.sentence))


class _Checker:
    """The checker file, and which claim and step each of its lines belongs to."""

    def __init__(self, token: str, claims: list[Claim]) -> None:
        self.token = token
        self.lines: list[tuple[str, int | None, str]] = [(f"Require {LIBRARY}.", None, OTHER)]
        for index, claim in enumerate(claims):
            self._add_claim(index, claim)

    def marker(self, index: int, what: str) -> str:
        return f"{what}_{self.token}_{index}"

    def text(self) -> str:
        return "\n".join(line for line, _, _ in self.lines) + "\n"

    def place(self, line: int | None) -> tuple[int, str] | None:
        """The claim and step of the checker's ``line`` (1-based), if it is a claim's."""
        number = 0
        for text, index, stage in self.lines:
            number += text.count("\n") + 1
            if line is not None and line <= number:
                return (index, stage) if index is not None else None
        return None

    def _add_claim(self, index: int, claim: Claim) -> None:
        qualified = f"{LIBRARY}.{claim.name}"
        statement = f"statement_{self.token}"
        own = [r.own for r in claim.reading if r.own is not None]
        library = [r.command for r in claim.reading if r.own is None]
        self._line(f"Module Claim_{self.token}_{index}.", index, OTHER)
        # The file's names first, then the libraries' over them: a library name wins.
        for module in ["", *claim.modules, *own]:
            self._line(f"Import {NAMES_ONLY} {LIBRARY}{'.' if module else ''}{module}.", index)
        self._line("Require Import Coq.Init.Prelude.", index, OTHER)
        for command in library:
            self._line(command, index, READ)
        self._line(f'Redirect "{self.marker(index, "locate")}" Locate Term {qualified}.', index)
        self._line(f"Check @{qualified}.", index)
        self._line(f"Definition {statement} : Type := ({claim.statement}).", index, READ)
        self._line(f"Check (@{qualified} : {statement}).", index, COMPARE)
        self._line(f"End Claim_{self.token}_{index}.", index, OTHER)
        # Outside the claim's module axioms print by the names the library gives them.
        marker = self.marker(index, "assumptions")
        self._line(f'Redirect "{marker}" Print Assumptions {qualified}.', index, OTHER)

    def _line(self, text: str, index: int, stage: str = LOOKUP) -> None:
        self.lines.append((text, index, stage))
