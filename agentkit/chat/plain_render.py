"""Drawing a chat as plain text, for scripts (stdin or stdout not a terminal).

The answers go to stdout, streamed as they come, one answer per turn followed by a
newline; everything else (tool calls, plan steps, verdicts, whether the answer was
verified) goes to stderr as short lines, in the style of ``agentkit solve``. So
``echo "what is 2**100?" | agentkit chat -T python --yes > answer.txt`` keeps only
the answer.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from agentkit.chat import format as fmt
from agentkit.chat.turn import (
    ApprovalRequest,
    Cancelling,
    Event,
    PlanStarted,
    Rejected,
    Status,
    StepChanged,
    StepsEnded,
    TextDelta,
    ToolFinished,
    ToolStarted,
)
from agentkit.cli.output import one_line
from agentkit.terminal import safe_text
from agentkit.tools import Tool
from agentkit.verify import Verdict

if TYPE_CHECKING:
    from agentkit.chat.outcome import TurnOutcome


class PlainRenderer:
    """Answers on stdout, the rest as one-line notes on stderr."""

    def __init__(self, out: IO[str] | None = None, err: IO[str] | None = None) -> None:
        self.out = _Shown(out or sys.stdout)
        self.err = _Shown(err or sys.stderr)
        self._streamed = False

    def _note(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def echo_input(self, text: str) -> None:
        """The input is the script's own; nothing to echo."""

    def notice(self, message: str, *, record: bool = True) -> None:
        self._note(message)

    def error(self, message: str) -> None:
        self._note(f"Error: {one_line(message)}")

    def warning(self, message: str) -> None:
        self._note(f"Warning: {one_line(message)}")

    def markdown(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def event(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            self.out.write(event.text)
            self.out.flush()
            self._streamed = True
        elif isinstance(event, ToolStarted):
            self._end_stream()
            self._note(f"tool {fmt.call_summary(event.name, event.arguments, 200)}")
        elif isinstance(event, ToolFinished):
            self._note(f"tool {event.name}: {_result_note(event.result)}")
        elif isinstance(event, PlanStarted):
            steps = ", ".join(
                f"{step_id} {event.plan.steps[step_id].tool}" for step_id in event.plan.order()
            )
            self._note(f"plan (attempt {event.attempt}): {steps}")
        elif isinstance(event, StepChanged) and event.status in ("running", "skipped"):
            self._note(f"step {event.step_id}: {event.status}")
        elif isinstance(event, StepsEnded):
            for step_id, outcome in event.outcomes.items():
                self._note(f"step {step_id}: {outcome.get('status')} {fmt.step_result(outcome)}")
        elif isinstance(event, Rejected):
            self._note(f"attempt {event.attempt} rejected: {fmt.one_line(event.answer, 100)}")
            self._verdicts(event.verdicts)
            self._note(event.next)
        elif isinstance(event, Cancelling):
            self._note("cancelling")
        elif isinstance(event, Status):
            pass  # a spinner's text; a script has no use for it

    def _end_stream(self) -> None:
        if self._streamed:
            print(file=self.out, flush=True)
            self._streamed = False

    def _verdicts(self, verdicts: Sequence[Verdict]) -> None:
        for verdict in verdicts:
            self._note(f"verdict {verdict.status}: {fmt.verdict_text(verdict)}")
            counterexample = fmt.counterexample_text(verdict)
            if counterexample:
                self._note(f"  {counterexample}")

    def approval(self, request: ApprovalRequest) -> None:
        self._end_stream()
        self._note(
            f"tool {request.tool} was not run: it has side effects and needs approval, "
            "which a script cannot give; pass --yes to allow it"
        )

    def decided(self, request: ApprovalRequest, decision: str | None) -> None:
        """Scripts never answer; :meth:`approval` said so."""

    def finish_turn(self) -> None:
        self._end_stream()

    def outcome(self, outcome: TurnOutcome) -> None:
        streamed = self._streamed
        self._end_stream()
        if outcome.answer is not None and not (outcome.streamed and streamed):
            print(outcome.answer, file=self.out, flush=True)
        if outcome.answer is None:
            self._note(f"no answer: {outcome.stopped}")
            return
        self._verdicts(outcome.verdicts)
        if outcome.verified:
            self._note("verified: yes")
        else:
            self._note(f"verified: NO ({outcome.unverified_reason})")

    def cancelled(self, abandoned: bool) -> None:
        self._end_stream()
        self._note("cancelled")

    def banner(self, lines: Sequence[str]) -> None:
        """A script knows what it started."""

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        table = [list(headers), *[list(row) for row in rows]]
        widths = [max(len(row[i]) for row in table) for i in range(len(headers) - 1)]
        for row in table:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            print("  ".join([*cells, row[-1]]).rstrip(), file=self.out, flush=True)

    def tool_detail(self, tool: Tool) -> None:
        print(json.dumps(tool.describe(), indent=2), file=self.out, flush=True)

    def plan(self, result: Mapping[str, Any]) -> None:
        steps = result.get("steps") or {}
        for step in (result.get("plan") or {}).get("steps", []):
            outcome = steps.get(step["id"], {})
            summary = fmt.call_summary(step["tool"], step.get("args") or {}, 60)
            status = outcome.get("status", "waiting")
            print(f"{step['id']}  {status:<8} {summary}", file=self.out, flush=True)
        verified = "yes" if result.get("verified") else "NO"
        print(f"answer: {result.get('answer')} (verified: {verified})", file=self.out, flush=True)

    def history(self, messages: Sequence[Mapping[str, Any]], hidden: int) -> None:
        """A script resuming a chat does not need the old turns repeated."""

    def help(self, commands: Iterable[tuple[str, str]], keys: Sequence[str]) -> None:
        for usage, text in commands:
            print(f"{usage:<28} {text}", file=self.out, flush=True)

    def save_capture(self, path: Path) -> bool:
        return False


class _Shown:
    """A text stream that shows control characters instead of passing them on: every
    line this renderer writes may quote a kernel, a tool or a model."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(safe_text(text))

    def flush(self) -> None:
        self.stream.flush()


def _result_note(result: Any) -> str:
    if fmt.cancelled(result):
        return "cancelled"
    lines = fmt.result_lines(result)
    shown = fmt.one_line(" | ".join(lines), 160) if lines else ""
    mark = "ok" if result.ok else "failed"
    return f"{mark} ({result.elapsed:.2f}s) {shown}".rstrip()
