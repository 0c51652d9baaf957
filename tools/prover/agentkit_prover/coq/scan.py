"""A textual scan of a Coq file: its theorems, and every visible way it could cheat.

The scan runs on the source with comments and strings masked out, so ``(* Admitted *)``
or ``"admit"`` fool nobody. It is the first of two lines of defence: it finds
``Admitted``, ``admit``/``give_up``, axioms (``Axiom``, ``Parameter``, ``Conjecture``,
and ``Hypothesis``/``Variable`` outside a section), declared modules and switched-off
kernel checks, with their line numbers. The second line is the checker itself
(coqchk and ``Print Assumptions``, in :mod:`agentkit_prover.coq.audit`), which
catches whatever a smuggled axiom looks like. The scan errs on the side of
"incomplete": an ``admit`` in an unused tactic definition still counts.

The scan also records what the file claims (:class:`~agentkit_prover.coq.statement.Claim`):
each theorem's statement as written and what decides how it reads, so that the
statement can be read again, away from the file, and compared with what coqc built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agentkit_prover.coq.statement import IDENT as _IDENT
from agentkit_prover.coq.statement import Claim, Reading, cut_statement, reading_commands
from agentkit_prover.coq.text import Positions, mask, sentences
from agentkit_prover.result import Gap

# Control commands first (a Redirect's file name is masked out): ``Succeed Theorem`` still
# states a theorem, even though Coq then forgets it.
_CONTROL = r"(?:(?:Time|Redirect|Timeout\s+\d+|Fail|Succeed|Instructions|Profile)\s+)*"
_PREFIX = (
    _CONTROL + r"(?:#\[[^\]]*\]\s*)*"
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
_ANY_MODULE = re.compile(rf"^(?:Declare\s+)?Module\s+(?:Type\s+)?(?:(Import|Export)\s+)?({_IDENT})")
UNNAMED = "Unnamed_thm"  # what Coq calls a Goal's theorem; later ones get 0, 1, ...
_END = re.compile(rf"^End\s+({_IDENT})")
_BULLETS = re.compile(r"^[-+*{}\s]*")


@dataclass
class Scan:
    """What the text shows: the theorems it states, and the gaps it visibly has."""

    claims: list[Claim] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def theorems(self) -> list[str]:
        return [claim.name for claim in self.claims]


@dataclass
class _State:
    scan: Scan = field(default_factory=Scan)
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (kind, name), innermost last
    current: str | None = None  # the statement whose proof is open
    modules: set[str] = field(default_factory=set)  # every module the file makes, qualified
    reading: list[tuple[int, Reading]] = field(default_factory=list)  # (block depth, command)
    goals: dict[str, int] = field(default_factory=dict)  # Goals so far, by module path
    import_at_end: set[str] = field(default_factory=set)  # modules opened with Import

    def inside(self, *kinds: str) -> bool:
        return any(kind in kinds for kind, _ in self.blocks)

    def module_path(self) -> list[str]:
        return [n for kind, n in self.blocks if kind != "Section"]

    def qualified(self, name: str) -> str:
        return ".".join([*self.module_path(), name])

    def enclosing_modules(self) -> list[str]:
        path = self.module_path()
        return [".".join(path[: i + 1]) for i in range(len(path))]

    def own_module(self, name: str) -> str | None:
        """The file's module that ``name`` denotes here, innermost first, or None."""
        path = self.module_path()
        for i in range(len(path), -1, -1):
            if (candidate := ".".join([*path[:i], name])) in self.modules:
                return candidate
        return None


def scan(source: str) -> Scan:
    """Scan a Coq source for its theorems and visible gaps."""
    masked = mask(source)
    positions = Positions(source)
    state = _State()
    for start, end in sentences(masked):
        start += len(_BULLETS.match(masked[start:end]).group())
        sentence = _Sentence(masked[start:end], source[start:end], positions.line_column(start)[0])
        _read_sentence(state, sentence)
    return state.scan


@dataclass
class _Sentence:
    masked: str
    source: str
    line: int

    @property
    def text(self) -> str:
        """The masked sentence on one line, for matching."""
        return " ".join(self.masked.split())


def _read_sentence(state: _State, sentence: _Sentence) -> None:
    text, line = sentence.text, sentence.line
    _track_blocks(state, text)
    _track_statements(state, sentence)
    _track_reading(state, text)
    for gap in _gaps_in(state, text):
        gap.line = line
        state.scan.gaps.append(gap)


def _track_blocks(state: _State, text: str) -> None:
    if module := _ANY_MODULE.match(text):
        name = state.qualified(module.group(2))
        state.modules.add(name)
        if module.group(1) and ":=" in text:
            _import_own(state, name)
        elif module.group(1):  # Module Import M. ... End M. imports M at its end
            state.import_at_end.add(name)
    if (opened := _OPEN_BLOCK.match(text)) and ":=" not in text:
        kind = "Module Type" if opened.group(1).endswith("Type") else opened.group(1)
        state.blocks.append((kind, opened.group(2)))
    elif (ended := _END.match(text)) and state.blocks and state.blocks[-1][1] == ended.group(1):
        state.blocks.pop()
        # An Import or Open Scope inside a closed module or section ends with it.
        state.reading = [(d, r) for d, r in state.reading if d <= len(state.blocks)]
        if (name := state.qualified(ended.group(1))) in state.import_at_end:
            _import_own(state, name)


def _import_own(state: _State, name: str) -> None:
    state.reading.append((len(state.blocks), Reading(f"Import {name}.", own=name)))


def _track_reading(state: _State, text: str) -> None:
    for reading in reading_commands(text, state.own_module):
        state.reading.append((len(state.blocks), reading))


def _track_statements(state: _State, sentence: _Sentence) -> None:
    text = sentence.text
    if theorem := _THEOREM.match(sentence.masked):
        _claim(state, sentence, state.qualified(theorem.group(2)), theorem.end(), goal=False)
    elif goal := _GOAL.match(sentence.masked):
        prefix = ".".join(state.module_path())
        count = state.goals[prefix] = state.goals.get(prefix, 0) + 1
        name = state.qualified(UNNAMED if count == 1 else f"{UNNAMED}{count - 2}")
        _claim(state, sentence, name, goal.end(), goal=True)
    elif definition := _DEFINITION.match(text):
        state.current = state.qualified(definition.group(1))
    elif _ABORT.match(text) and state.current in state.scan.theorems:
        _abort(state)


def _claim(state: _State, sentence: _Sentence, name: str, end: int, goal: bool) -> None:
    state.current = name
    statement = cut_statement(sentence.masked, sentence.source, end, goal)
    state.scan.claims.append(
        Claim(
            name=name,
            statement=statement,
            line=sentence.line,
            sentence=sentence.source.strip(),
            modules=state.enclosing_modules(),
            reading=[reading for _, reading in state.reading],
        )
    )


def _abort(state: _State) -> None:
    """Coq forgets an aborted statement; a Goal's name is free for the next one."""
    [aborted] = [c for c in state.scan.claims if c.name == state.current][-1:]
    state.scan.claims.remove(aborted)
    if aborted.name.rpartition(".")[2].startswith(UNNAMED):
        prefix = ".".join(state.module_path())
        state.goals[prefix] -= 1


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
