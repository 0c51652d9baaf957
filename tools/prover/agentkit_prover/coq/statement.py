"""What a Coq file claims, cut out of its text before anything runs.

A :class:`Claim` is one theorem the file states: its name, its statement exactly as
written (binders before the colon become a ``forall``), and the commands that decide
how that statement is read (:class:`Reading`: Require, Import, Open Scope) in force
where it stands. :mod:`agentkit_prover.coq.claims` reads the statement again in a clean
file from these alone, and compares it with what coqc compiled under the name.

Cutting works on masked text (comments and strings blanked, same positions) so that a
colon in a comment cannot move the cut; the statement itself is taken from the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

IDENT = r"[^\W\d][\w']*"
QUALID = rf"{IDENT}(?:\.{IDENT})*"
_OPENERS, _CLOSERS = "([{", ")]}"
_REQUIRE = re.compile(rf"^(?:From\s+{QUALID}\s+)?Require\b")
_IMPORT = re.compile(rf"^(Import|Export)\s+((?:-?\([^)]*\)\s*)?)((?:{QUALID}\s*)+)\.$")
_SCOPE = re.compile(rf"^(?:(?:Local|Global)\s+|#\[[^\]]*\]\s*)?(?:Open|Close)\s+Scope\s+{IDENT}")
_MUTUAL = re.compile(r"\swith\s")
_LET = re.compile(r"\blet\b")
_IN = re.compile(r"\bin\b")


@dataclass
class Reading:
    """A command that changes how later statements read.

    ``own`` is set when it imports one of the file's own modules (its path inside the
    file); such an import brings names only, never the module's notations.
    """

    command: str
    own: str | None = None


@dataclass
class Claim:
    """One theorem the file states, and all it takes to read its statement again."""

    name: str  # qualified by the modules around it: "M.t"
    statement: str | None  # None: it could not be cut out (mutual theorems)
    line: int
    sentence: str  # the whole stating sentence, for error reports
    modules: list[str] = field(default_factory=list)  # enclosing modules, outermost first
    reading: list[Reading] = field(default_factory=list)


def cut_statement(masked: str, source: str, start: int, goal: bool) -> str | None:
    """The statement of the sentence whose name (or ``Goal``) ends at ``start``.

    ``Theorem t (n : nat) : P n := proof.`` states ``forall (n : nat), P n``; a Goal
    states everything after the keyword. ``masked`` and ``source`` are the sentence.
    """
    end = _top_level(masked, start, _is_definition_mark)
    if end is None:
        end = len(masked.rstrip().removesuffix("."))
    binders, body_start = "", start
    if not goal:
        colon = _top_level(masked[:end], start, _is_colon)
        if colon is None:
            return None
        binders, body_start = source[start:colon].strip(), colon + 1
    if _MUTUAL.search(masked[body_start:end]):
        return None
    statement = source[body_start:end].strip()
    return f"forall {binders}, {statement}" if binders else statement


def _top_level(masked: str, start: int, found: Callable[[str, int, int], bool]) -> int | None:
    """The first position from ``start`` outside brackets where ``found`` holds."""
    depth = 0
    for i in range(start, len(masked)):
        if masked[i] in _OPENERS:
            depth += 1
        elif masked[i] in _CLOSERS:
            depth -= 1
        elif depth == 0 and found(masked, start, i):
            return i
    return None


def _is_colon(masked: str, start: int, i: int) -> bool:
    """A typing colon: not part of ``:=``, ``::``, ``:>``."""
    after = masked[i + 1 : i + 2]
    return masked[i] == ":" and after not in ("=", ":", ">") and masked[i - 1] != ":"


def _is_definition_mark(masked: str, start: int, i: int) -> bool:
    """The ``:=`` that gives a proof term, not one of a ``let`` in the statement."""
    if not masked.startswith(":=", i):
        return False
    before = masked[start:i]
    return len(_LET.findall(before)) <= len(_IN.findall(before))


def reading_commands(text: str, own_module: Callable[[str], str | None]) -> list[Reading]:
    """The :class:`Reading` commands in one sentence (collapsed, masked text), if any.

    ``own_module(name)`` says which of the file's modules an Import names, or None.
    """
    if _REQUIRE.match(text) or _SCOPE.match(text):
        return [Reading(text)]
    imported = _IMPORT.match(text)
    if not imported:
        return []
    keyword, categories, targets = imported.groups()
    found = []
    for target in targets.split():
        own = own_module(target)
        found.append(Reading(f"{keyword} {categories}{target}.", own=own))
    return found
