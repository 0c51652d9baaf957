"""What a proof check says: a :class:`ProofResult`, the same for every backend."""

from __future__ import annotations

from typing import Any, Literal

import pydantic

Status = Literal["proved", "refuted", "error", "incomplete", "unknown"]
"""
- ``proved``: the checker accepted every claim, with no gap and no axiom (Coq: every
  theorem the file states is, as stated, a constant of the compiled result);
- ``refuted``: a claim is false; ``counterexample`` shows why (SMT);
- ``error``: the source does not check (a syntax, type or tactic error), or a stated
  theorem is not, as stated, in the compiled result; see ``errors``;
- ``incomplete``: it checks, but rests on ``Admitted``, ``admit``, an axiom or an unsafe
  flag; see ``incomplete``;
- ``unknown``: no verdict (timeout, solver incompleteness, nothing to prove).
"""


class ProofError(pydantic.BaseModel):
    """One error, where it is (1-based line and column, in characters) and what it means."""

    message: str
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    sentence: str | None = None  # the whole failing sentence (Coq: up to its final '.')
    goal: str | None = None  # the proof state just before that sentence, when there is one

    def location(self) -> str:
        """``line:column``, or ``""`` when the checker gave no position."""
        if self.line is None:
            return ""
        return f"{self.line}:{self.column}" if self.column is not None else str(self.line)


class Gap(pydantic.BaseModel):
    """One reason a proof is incomplete: an admitted proof, an axiom, an unsafe flag."""

    kind: Literal["admitted", "admit", "axiom", "unsafe"]
    name: str | None = None  # the theorem or axiom concerned, when known
    line: int | None = None
    message: str


class ProofResult(pydantic.BaseModel):
    """The verdict of one check, JSON-ready (``to_dict``)."""

    status: Status
    backend: str
    messages: list[str] = pydantic.Field(default_factory=list)
    errors: list[ProofError] = pydantic.Field(default_factory=list)
    counterexample: dict[str, Any] | None = None
    incomplete: list[Gap] = pydantic.Field(default_factory=list)
    theorems: list[str] = pydantic.Field(default_factory=list)
    assumptions: dict[str, list[str]] = pydantic.Field(default_factory=dict)
    timed_out: bool = False
    seconds: float = 0.0

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    def summary(self) -> str:
        """One line for people and models: the status and the first thing to look at."""
        first = self.messages[0] if self.messages else ""
        if self.errors:
            error = self.errors[0]
            where = f"line {error.location()}: " if error.line is not None else ""
            first = where + " ".join(error.message.split())
        elif self.incomplete:
            first = self.incomplete[0].message
        return f"{self.status}: {first}" if first else self.status

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
