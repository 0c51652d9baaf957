"""Where a Coq check failed: line, column and the whole failing sentence.

coqc's ``-time`` lines give the byte span of every sentence it ran, including the one
that failed, so the failing sentence is normally Coq's own; only a sentence that did
not parse (or never finished, on a timeout) is cut out of the text here. ``prefix_end``
is where that sentence starts: running the source up to there shows the goal at the
failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentkit_prover.coq.output import Diagnostic
from agentkit_prover.coq.session import LIBRARY
from agentkit_prover.coq.text import Positions, sentence_end, skip_blank
from agentkit_prover.result import ProofError


@dataclass
class Failure:
    """A located error, and where the source must be cut to show the goal before it."""

    error: ProofError
    prefix_end: int | None  # character index; None: there is no goal to show


class Locator:
    """Locates failures in one source, given the sentences coqc ran (byte spans)."""

    def __init__(self, source: str, masked: str, spans: list[tuple[int, int]]) -> None:
        self.source = source
        self.masked = masked
        self.positions = Positions(source)
        self.spans = [
            (self.positions.char_of_byte(a), self.positions.char_of_byte(b)) for a, b in spans
        ]

    def error(self, diagnostic: Diagnostic) -> Failure:
        """An ``Error:`` from coqc: at its position, or at the end when it has none."""
        line, start, end = diagnostic.line, diagnostic.start, diagnostic.end
        if diagnostic.file is not None and Path(diagnostic.file).name != f"{LIBRARY}.v":
            message = f"in {diagnostic.file}, line {line}: {diagnostic.message}"
        elif line is not None and start is not None and end is not None:
            return self._located(diagnostic.message, line, start, end)
        else:
            message = diagnostic.message
        # "There are pending proofs ...": the goals left are those at the end.
        return Failure(ProofError(message=message), prefix_end=len(self.source))

    def _located(self, message: str, line: int, start_byte: int, end_byte: int) -> Failure:
        start = self.positions.char_of_line_byte(line, start_byte)
        end = self.positions.char_of_line_byte(line, end_byte)
        sentence_start, sentence_stop = self._sentence_at(start)
        error = self._error(message, start, end, sentence_start, sentence_stop)
        return Failure(error, sentence_start)

    def timeout(self, seconds: float) -> Failure:
        """The sentence that was running when the time ran out: the one after the last run."""
        done = self.spans[-1][1] if self.spans else 0
        start = skip_blank(self.masked, done)
        stop = sentence_end(self.masked, start)
        message = f"timed out after {seconds:g} s (a tactic that does not terminate?)"
        return Failure(self._error(message, start, stop, start, stop), start)

    def _sentence_at(self, position: int) -> tuple[int, int]:
        for start, stop in reversed(self.spans):
            if start <= position < stop:
                return start, stop
        done = max((stop for _, stop in self.spans if stop <= position), default=0)
        start = skip_blank(self.masked, done)
        return start, sentence_end(self.masked, max(start, position))

    def _error(self, message: str, start: int, end: int, s_start: int, s_stop: int) -> ProofError:
        line, column = self.positions.line_column(start)
        end_line, end_column = self.positions.line_column(max(start, end))
        return ProofError(
            message=message,
            line=line,
            column=column,
            end_line=end_line,
            end_column=end_column,
            sentence=self.source[s_start:s_stop].strip() or None,
        )
