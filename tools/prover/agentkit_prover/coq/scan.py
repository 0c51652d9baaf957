"""A textual scan of a Coq file: its theorems, and every visible way it could cheat.

The scan runs on the source with comments and strings masked out, so ``(* Admitted *)``
or ``"admit"`` fool nobody. It is the first of two lines of defence: it finds
``Admitted``, ``admit``/``give_up``, axioms (``Axiom``, ``Parameter``, ``Conjecture``,
and ``Hypothesis``/``Variable`` outside a section), declared modules and switched-off
kernel checks, with their line numbers. The second line is the checker itself
(coqchk and ``Print Assumptions``, in :mod:`agentkit_prover.coq.audit`), which
catches whatever a smuggled axiom looks like. The scan errs on the side of
"incomplete": an ``admit`` in an unused tactic definition still counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agentkit_prover.coq.text import Positions, mask, sentences
from agentkit_prover.result import Gap

_IDENT = r"[^\W\d][\w']*"
_PREFIX = (
    r"(?:#\[[^\]]*\]\s*)*"
    r"(?:(?:Local|Global|Polymorphic|Monomorphic|Cumulative|NonCumulative|Private|Program)\s+)*"
)
_THEOREM = re.compile(
    rf"^{_PREFIX}(Theorem|Lemma|Fact|Remark|Corollary|Proposition|Property|Example)\s+({_IDENT})"
)
_GOAL = re.compile(rf"^{_PREFIX}Goal\b")
_DEFINITION = re.compile(
    rf"^{_PREFIX}(?:Definition|Fixpoint|CoFixpoint|Instance|Let|Function)\s+({_IDENT})"
)
_AXIOM = re.compile(rf"^{_PREFIX}(Axioms?|Parameters?|Conjectures?)\b(.*)", re.S)
_HYPOTHESIS = re.compile(rf"^{_PREFIX}(Hypothes[ie]s|Variables?)\b(.*)", re.S)
_DECLARE_MODULE = re.compile(rf"^Declare\s+Module\s+(?:(?:Import|Export)\s+)?({_IDENT})")
_UNSAFE = re.compile(r"^(?:Local\s+|Global\s+)?Unset\s+(Guard|Positivity|Universe)\s+Checking\b")
_BYPASS = re.compile(r"#\[[^\]]*bypass_check")
_ADMIT = re.compile(r"(?<![\w'.])(admit|give_up)(?![\w'])")
_ADMITTED = re.compile(r"^Admitted\s*\.$")
_ADMIT_OBLIGATIONS = re.compile(r"^Admit\s+Obligations\b")
_ABORT = re.compile(r"^Abort\b")
_OPEN_BLOCK = re.compile(rf"^(Section|Module\s+Type|Module)\s+(?:(?:Import|Export)\s+)?({_IDENT})")
_END = re.compile(rf"^End\s+({_IDENT})")
_BULLETS = re.compile(r"^[-+*{}\s]+")


@dataclass
class Scan:
    """What the text shows: the theorems it states, and the gaps it visibly has."""

    theorems: list[str] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


@dataclass
class _State:
    scan: Scan = field(default_factory=Scan)
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (kind, name), innermost last
    current: str | None = None  # the statement whose proof is open

    def inside(self, *kinds: str) -> bool:
        return any(kind in kinds for kind, _ in self.blocks)

    def qualified(self, name: str) -> str:
        modules = [n for kind, n in self.blocks if kind == "Module"]
        return ".".join([*modules, name])


def scan(source: str) -> Scan:
    """Scan a Coq source for its theorems and visible gaps."""
    masked = mask(source)
    positions = Positions(source)
    state = _State()
    for start, end in sentences(masked):
        text = _BULLETS.sub("", " ".join(masked[start:end].split()))
        _read_sentence(state, text, positions.line_column(start)[0])
    return state.scan


def _read_sentence(state: _State, text: str, line: int) -> None:
    _track_blocks(state, text)
    _track_statements(state, text)
    for gap in _gaps_in(state, text):
        gap.line = line
        state.scan.gaps.append(gap)


def _track_blocks(state: _State, text: str) -> None:
    if (opened := _OPEN_BLOCK.match(text)) and ":=" not in text:
        kind = "Module Type" if opened.group(1).endswith("Type") else opened.group(1)
        state.blocks.append((kind, opened.group(2)))
    elif (ended := _END.match(text)) and state.blocks and state.blocks[-1][1] == ended.group(1):
        state.blocks.pop()


def _track_statements(state: _State, text: str) -> None:
    if theorem := _THEOREM.match(text):
        state.current = state.qualified(theorem.group(2))
        state.scan.theorems.append(state.current)
    elif _GOAL.match(text):
        state.current = "Unnamed_thm"
        state.scan.theorems.append(state.current)
    elif definition := _DEFINITION.match(text):
        state.current = state.qualified(definition.group(1))
    elif _ABORT.match(text) and state.current in state.scan.theorems:
        state.scan.theorems.remove(state.current)


def _gaps_in(state: _State, text: str) -> list[Gap]:
    gaps = []
    name = state.current
    if _ADMITTED.match(text):
        gaps.append(Gap(kind="admitted", name=name, message=f"{name or 'a proof'} is Admitted"))
    if found := _ADMIT.search(text):
        gaps.append(
            Gap(kind="admit", name=name, message=f"{found.group(1)} in {name or 'a proof'}")
        )
    if _ADMIT_OBLIGATIONS.match(text):
        gaps.append(Gap(kind="admit", message="Admit Obligations"))
    if _UNSAFE.match(text) or _BYPASS.search(text):
        gaps.append(Gap(kind="unsafe", message=f"a kernel check is switched off: {text}"))
    gaps += _declared_assumptions(state, text)
    return gaps


def _declared_assumptions(state: _State, text: str) -> list[Gap]:
    if state.inside("Module Type"):  # a signature's fields are not axioms
        return []
    assumption = _AXIOM.match(text)
    if not assumption and not state.inside("Section"):
        assumption = _HYPOTHESIS.match(text)
    if assumption:
        keyword = assumption.group(1)
        return [
            Gap(kind="axiom", name=state.qualified(n), message=f"{keyword} {n} is assumed")
            for n in _declared_names(assumption.group(2))
        ]
    if declared := _DECLARE_MODULE.match(text):
        module = declared.group(1)
        return [Gap(kind="axiom", name=module, message=f"Declare Module {module} assumes it")]
    return []


def _declared_names(rest: str) -> list[str]:
    """The names in ``Axiom a b : T`` or ``Parameters (a b : T) (c : U)``."""
    groups = re.findall(r"\(([^():]*):", rest) or [rest.split(":", 1)[0]]
    names = [n for group in groups for n in re.findall(_IDENT, group)]
    return names or ["(unnamed)"]
