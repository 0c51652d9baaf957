"""What a chat turn produces (:class:`TurnOutcome`), and how ``/verify`` reads an
answer for the verifiers (:class:`Check`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentkit.models.base import Message, Usage
from agentkit.replies import final_answer, last_code_block
from agentkit.verify import Verdict, overall_status


@dataclass
class TurnOutcome:
    """What one finished turn produced, ready to be committed and drawn."""

    kind: str  # chat | solve | verify
    question: str
    answer: str | None
    messages: list[Message]
    streamed: bool = True  # the answer was shown as it streamed
    verdicts: list[Verdict] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    stopped: str | None = None  # why there is no answer
    solve: dict[str, Any] | None = None  # the planner's result, for /solve
    elapsed: float = 0.0

    @property
    def verified(self) -> bool:
        statuses = {verdict.status for verdict in self.verdicts}
        return "passed" in statuses and "failed" not in statuses

    @property
    def unverified_reason(self) -> str | None:
        if self.verified:
            return None
        if self.solve is not None and self.solve.get("unverified_reason"):
            return str(self.solve["unverified_reason"])
        if not self.verdicts:
            return "no verifier applies to this answer"
        if overall_status(self.verdicts) == "failed":
            return "a verifier rejected it"
        return "no verifier could decide"


@dataclass(frozen=True)
class Check:
    """How ``/verify`` judges an answer: the problem the verifiers get, and what in the
    answer is the candidate."""

    problem: Any
    candidate: Callable[[str], Any]
    describe: str

    @classmethod
    def plain(cls, question: str) -> Check:
        return cls(question, lambda text: text, "the registered verifiers")

    @classmethod
    def expected(cls, question: str, value: str) -> Check:
        """Against a reference answer (``math_equal``): the answer's final value counts."""
        return cls(
            {"problem": question, "answer": value},
            lambda text: final_answer(text) or text.strip(),
            f"the expected answer {value}",
        )

    @classmethod
    def reference(cls, question: str, code: str, entry: str | None, path: str) -> Check:
        """Against a reference implementation (``counterexample``): the last code block."""
        return cls(
            {"problem": question, "reference": code, "entry": entry},
            lambda text: last_code_block(text, ("python", "py")) or text,
            f"the reference implementation {path}",
        )


@dataclass(frozen=True)
class Restored:
    """How re-creating the kernel sessions of a resumed chat went."""

    sessions: list[str]
    cells: int
    failed: list[str]  # one line per cell that failed this time
