"""Verifiers judge candidate answers; a :class:`Verdict` is what they say.

A verdict that fails carries feedback text and, where there is one, a counterexample:
both go back to the model so it can correct itself.
"""

from __future__ import annotations

import time
from typing import Any, Literal, Protocol, runtime_checkable

import pydantic

from agentkit.store import Run, current_run

Status = Literal["passed", "failed", "undecided"]


class Verdict(pydantic.BaseModel):
    status: Status
    feedback: str = ""
    counterexample: Any = None
    evidence: Any = None
    verifier: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@runtime_checkable
class Verifier(Protocol):
    """Anything with a ``name``, ``applies_to`` and ``verify`` is a verifier."""

    name: str

    def applies_to(self, candidate: Any, problem: Any) -> bool:
        """Whether this verifier can judge ``candidate`` for ``problem``."""
        ...

    def verify(self, candidate: Any, problem: Any, ctx: Any = None) -> Verdict:
        """Judge the candidate."""
        ...


def record_verdict(verdict: Verdict, *, elapsed: float = 0.0, run: Run | None = None) -> None:
    """Write a verdict into the run store as an event of the current run."""
    run = run if run is not None else current_run.get()
    if run is None:
        return
    run.record(
        "verdict",
        verdict.verifier or "verifier",
        started=time.time() - elapsed,
        elapsed=elapsed,
        ok=verdict.passed if verdict.status != "undecided" else None,
        payload=verdict.model_dump(mode="json"),
    )
