"""The read-eval-print loop: read a line, run a turn or a slash command, draw it.

The same loop serves the terminal (prompt_toolkit and rich) and scripts (lines from
stdin, plain text out); only the prompter and the renderer differ. Nothing that goes
wrong in a turn ends the loop or reaches the screen as a traceback: it is one line,
and the next prompt follows.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from agentkit.chat.gate import ChatGate
from agentkit.chat.outcome import Restored, TurnOutcome
from agentkit.chat.prompt import Prompter
from agentkit.chat.session import ChatSession
from agentkit.chat.turn import ApprovalRequest, Event, Turn, drive
from agentkit.errors import AgentkitError
from agentkit.plugins import load_plugins, pm
from agentkit.tools import Tool

GATE_PLUGIN = "agentkit-chat-gate"
RESUMED_TURNS_SHOWN = 3


class Renderer(Protocol):
    """What the loop needs from a screen (see :mod:`rich_render` and :mod:`plain_render`)."""

    def echo_input(self, text: str) -> None: ...
    def notice(self, message: str, *, record: bool = True) -> None: ...
    def error(self, message: str) -> None: ...
    def warning(self, message: str) -> None: ...
    def event(self, event: Event) -> None: ...
    def approval(self, request: ApprovalRequest) -> None: ...
    def decided(self, request: ApprovalRequest, decision: str | None) -> None: ...
    def finish_turn(self) -> None: ...
    def outcome(self, outcome: TurnOutcome) -> None: ...
    def cancelled(self, abandoned: bool) -> None: ...
    def banner(self, lines: list[str]) -> None: ...
    def table(self, headers: list[str], rows: list[list[str]]) -> None: ...
    def tool_detail(self, tool: Tool) -> None: ...
    def plan(self, result: dict[str, Any]) -> None: ...
    def history(self, messages: list[dict[str, Any]], hidden: int) -> None: ...
    def help(self, commands: list[tuple[str, str]], keys: list[str]) -> None: ...
    def save_capture(self, path: Path) -> bool: ...


class Repl:
    """One chat session on one screen."""

    def __init__(
        self,
        session: ChatSession,
        renderer: Renderer,
        prompter: Prompter,
        *,
        interactive: bool,
        debug: bool = False,
    ) -> None:
        self.session = session
        self.renderer = renderer
        self.prompter = prompter
        self.interactive = interactive
        self.debug = debug
        self.gate = ChatGate(session.approvals)
        self.done = False
        self.exit_code = 0

    # -- the loop ----------------------------------------------------------------------

    def run(self, *, resumed: bool = False) -> int:
        """Read and answer until Ctrl-D, ``/exit`` or the end of the input; the exit code."""
        load_plugins()
        pm.register(self.gate, name=GATE_PLUGIN)
        try:
            self.renderer.banner(self.banner_lines(resumed))
            if resumed:
                self._show_history()
                self._restore_sessions()
            while not self.done:
                text = self.prompter.read()
                if text is None:
                    break
                if text.strip():
                    self._handle_safely(text.strip())
        finally:
            pm.unregister(self.gate)
            self.session.close()
        return self.exit_code

    def _handle_safely(self, text: str) -> None:
        """:meth:`handle`, with whatever escapes it reported in one line, never a traceback."""
        try:
            self.handle(text)
        except KeyboardInterrupt:  # Ctrl-C outside a turn (a command printing a table)
            self.renderer.finish_turn()
            self.renderer.cancelled(False)
        except Exception as exc:
            self.renderer.finish_turn()
            self.report(exc)

    def handle(self, text: str) -> None:
        """One line: a slash command, or a turn of the conversation."""
        from agentkit.chat.commands import recorded, run_command

        if recorded(text):
            self.renderer.echo_input(text)
        if text.startswith("/") and not text.startswith("//"):
            try:
                run_command(self, text)
            except AgentkitError as exc:
                self.fail(str(exc))
            return
        message = text[1:] if text.startswith("//") else text
        self.run_turn("chat", message, lambda turn: self.session.chat(message, turn))

    def run_turn(
        self, kind: str, text: str, work: Callable[[Turn], TurnOutcome]
    ) -> TurnOutcome | None:
        """Run ``work`` as a turn, draw it live, and commit what it produced."""
        turn = self.session.new_turn(kind, text)
        return self._drive(turn, work)

    def _drive(self, turn: Turn, work: Callable[[Turn], Any]) -> Any:
        self.gate.turn = turn
        turn.start(work)
        try:
            end = drive(turn, lambda event: self._event(turn, event))
        except BaseException:
            turn.cancel()  # drawing failed: the work must not go on unseen
            raise
        finally:
            self.gate.turn = None
        if end.cancelled:
            self.renderer.cancelled(end.abandoned)
            if not self.interactive:  # a script that is interrupted stops
                self.exit_code, self.done = 130, True
            return None
        if end.error is not None:
            self.renderer.finish_turn()
            self.report(end.error)
            return None
        if isinstance(end.result, TurnOutcome):
            self.renderer.outcome(end.result)
            self.session.commit(end.result)
        else:
            self.renderer.finish_turn()
        return end.result

    def _event(self, turn: Turn, event: Event) -> None:
        if not isinstance(event, ApprovalRequest):
            self.renderer.event(event)
            return
        self.renderer.approval(event)
        decision = self.prompter.approve(event.tool)
        if decision is None:  # Ctrl-C at the question: stop the whole turn
            event.decide("no")
            turn.cancel()
        else:
            event.decide(decision)
        self.renderer.decided(event, decision)

    # -- errors ------------------------------------------------------------------------

    def fail(self, message: str) -> None:
        self.renderer.error(message)
        if not self.interactive:
            self.exit_code = 1

    def report(self, error: BaseException) -> None:
        """One line for an error; the traceback too only with ``--debug``."""
        if self.debug:
            traceback.print_exception(error)
        if isinstance(error, AgentkitError):
            self.fail(str(error))
        else:
            self.fail(f"{type(error).__name__}: {error} (run with --debug for the traceback)")

    # -- the start -----------------------------------------------------------------------

    def banner_lines(self, resumed: bool) -> list[str]:
        session = self.session
        tools = sorted(session.tools)
        asking = [n for n in tools if session.approvals.needed(session.tools[n])]
        lines = [f"agentkit chat · {session.model_name}"]
        if tools:
            note = f" ({', '.join(asking)} asks before it runs)" if asking else ""
            lines.append(f"tools: {', '.join(tools)}{note}")
        else:
            lines.append("no tools")
        if resumed and session.run is not None:
            turns = sum(m.get("role") == "user" for m in session.messages)
            lines.append(f"resumed chat {session.run.id}: {turns} earlier turn(s)")
        lines.append(
            "Enter sends · Alt-Enter new line · /help commands · Ctrl-C cancels · Ctrl-D exits"
        )
        return lines

    def _show_history(self) -> None:
        messages = [m for m in self.session.messages if m.get("role") != "system"]
        starts = [i for i, m in enumerate(messages) if m.get("role") == "user"]
        hidden = max(0, len(starts) - RESUMED_TURNS_SHOWN)
        shown = messages[starts[hidden] :] if starts else messages
        self.renderer.history(shown, hidden)

    def _restore_sessions(self) -> None:
        """Re-run the conversation's recorded cells so its variables exist again."""
        if not self.session.recorded_cells():
            return
        turn = Turn("restore", preapproved=True)
        restored = self._drive(turn, self.session.recreate_sessions)
        if isinstance(restored, Restored):
            names = ", ".join(restored.sessions)
            self.renderer.notice(f"re-created session {names}: {restored.cells} cell(s) run again")
            for line in restored.failed:
                self.renderer.warning(line)
