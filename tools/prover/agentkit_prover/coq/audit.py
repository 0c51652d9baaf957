"""After a proof compiles: what does it rest on?

Two independent checks, both by Coq itself, so that no way of smuggling in an axiom
(a ``Module Type`` parameter, ``Declare Module``, an admitted obligation, a switched
off guard checker) goes unnoticed, whatever the text looks like:

- ``coqchk -o`` re-checks the compiled library with Coq's separate kernel and lists
  every axiom in its environment and every constant that relies on an unsafe flag;
- ``Print Assumptions`` of each compiled theorem and definition (names from the
  ``.glob`` file) says which axioms each one depends on.

The file's own axioms and admitted proofs (named ``proof.*``) are gaps, used or not.
Axioms of Coq's standard library (``Coq.*``, such as classical logic) are not gaps here,
since a file may import a library without using its axioms: the theorems that use them
are listed with them under ``assumptions``, and :mod:`agentkit_prover.coq.claims` makes
them gaps of the stated theorems that rest on them. Any other library's axiom is a gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agentkit_prover.coq.output import assumptions, checker_summary, diagnostics, glob_entries
from agentkit_prover.coq.scan import Scan
from agentkit_prover.coq.session import LIBRARY, CoqSession
from agentkit_prover.result import Gap

OWN = f"{LIBRARY}."
STANDARD_LIBRARY = "Coq."
MAX_LOOKUP_RETRIES = 3
_FUNCTOR = re.compile(r"\bModule\s+(?:(?:Import|Export)\s+)?([^\W\d][\w']*)\s*[(\[]")


@dataclass
class Audit:
    """The gaps the checkers found, each theorem's assumptions, and any doubt left."""

    gaps: list[Gap] = field(default_factory=list)
    assumptions: dict[str, list[str]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    rejected: str | None = None  # coqchk refused the compiled library: why
    finished: bool = True  # False: the time ran out before both checks were done


def audit(session: CoqSession, scan: Scan, masked: str) -> Audit:
    """Run coqchk and ``Print Assumptions`` on the compiled proof (see the module doc)."""
    result = Audit()
    admitted = {gap.name for gap in scan.gaps if gap.kind == "admitted"}
    _check_library(session, result, admitted)
    if result.finished and result.rejected is None:
        _print_assumptions(session, result, scan, masked, admitted)
    return result


def _check_library(session: CoqSession, result: Audit, admitted: set[str | None]) -> None:
    run = session.check_library()
    output = (run.stdout + run.stderr).decode("utf-8", errors="replace")
    if run.timed_out:
        result.finished = False
        result.messages.append("the time ran out while coqchk re-checked the compiled proof")
        return
    if run.returncode != 0:
        result.rejected = " ".join(output.split())[-2000:] or f"coqchk exit {run.returncode}"
        return
    for title, names in checker_summary(output).items():
        if title == "Axioms":
            for name in names:
                _add(result.gaps, _axiom_gap(name, admitted))
        elif title != "Theory":
            for name in names:
                short = name.removeprefix(OWN)
                _add(result.gaps, Gap(kind="unsafe", name=short, message=f"{short}: {title}"))


def _axiom_gap(name: str, admitted: set[str | None]) -> Gap | None:
    if name.startswith(STANDARD_LIBRARY):
        return None
    if not name.startswith(OWN):
        return Gap(
            kind="axiom", name=name, message=f"relies on {name}, an axiom of another library"
        )
    short = name.removeprefix(OWN)
    if short in admitted:
        return Gap(kind="admitted", name=short, message=f"{short} is Admitted")
    return Gap(kind="axiom", name=short, message=f"{short} is assumed, not proved")


def _print_assumptions(
    session: CoqSession, result: Audit, scan: Scan, masked: str, admitted: set[str | None]
) -> None:
    names = _constants(session.glob(), masked)
    for _ in range(MAX_LOOKUP_RETRIES + 1):
        outputs, run = session.print_assumptions(names)
        for name, text in outputs.items():
            _record(result, scan, name, assumptions(text), admitted)
        if run.timed_out:
            result.finished = False
            result.messages.append("the time ran out while listing each theorem's assumptions")
            return
        if run.returncode == 0:
            return
        names = _after_failure(run.stderr, names, result, scan)
        if not names:
            return


def _after_failure(stderr: bytes, names: list[str], result: Audit, scan: Scan) -> list[str]:
    """The names left to look up after the one coqc could not find (line 1 is Require).

    Names come from the ``.glob`` file, which also lists aborted proofs and members of
    functors; a theorem the text states and Coq cannot find is worth a message.
    """
    errors = [d for d in diagnostics(stderr.decode("utf-8", "replace")) if d.kind == "Error"]
    if not errors or errors[0].line is None or not 2 <= errors[0].line <= len(names) + 1:
        why = " ".join(errors[0].message.split()) if errors else "coqc failed"
        result.messages.append(f"could not list the assumptions of each theorem: {why}")
        return []
    failed = errors[0].line - 2
    if names[failed] in scan.theorems:
        result.messages.append(f"could not look up {names[failed]}: {errors[0].message}")
    return names[failed + 1 :]


def _record(
    result: Audit, scan: Scan, name: str, entries: list[str], admitted: set[str | None]
) -> None:
    shown = [entry.removeprefix(OWN) for entry in entries]
    if shown or name in scan.theorems:
        result.assumptions[name] = shown
    for entry in entries:
        if " " in entry:  # "f is assumed to be guarded.", not an axiom's name
            _add(result.gaps, Gap(kind="unsafe", name=name, message=f"{name}: {entry}"))
        elif entry.startswith(OWN):  # others print shortened; coqchk judged them by full name
            _add(result.gaps, _axiom_gap(entry, admitted))


def _constants(glob: str, masked: str) -> list[str]:
    """Theorems and definitions to ask about, minus those inside functors and module types."""
    entries = glob_entries(glob)
    hidden = {e.name for e in entries if e.kind == "modtype"} | set(_FUNCTOR.findall(masked))
    names = []
    for entry in entries:
        if entry.kind in ("prf", "def") and not hidden & set(entry.path.split(".")):
            names.append(entry.qualified)
    return list(dict.fromkeys(names))


def _add(gaps: list[Gap], gap: Gap | None) -> None:
    if gap is None:
        return
    if any(g.name == gap.name and g.kind == gap.kind for g in gaps if gap.name is not None):
        return
    gaps.append(gap)
