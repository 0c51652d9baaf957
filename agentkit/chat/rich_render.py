"""Drawing a chat in a terminal with rich.

What is final is printed once, in the scrollback: the answer as Markdown, each tool
call as a panel, the plan tree as it ended, the verdicts. What is still changing
lives in one transient ``Live`` area under it, redrawn ten times a second: the tail of
the answer as it streams, a spinner per running tool, the plan with each step's
state. Everything printed is also kept by a recording console, which ``/save`` turns
into SVG, HTML or text: a capture of the session as it looked.

Only the main thread calls this; the ``Live`` refresh thread reads the changing state
under a lock.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.spinner import Spinner
from rich.table import Table

from agentkit.chat import format as fmt
from agentkit.chat.shown import Markdown, Text
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
from agentkit.chat.widgets import (
    CODE_THEME,
    PlanView,
    Tail,
    footer,
    rejection,
    tool_panel,
    verdict_lines,
    verification_line,
)
from agentkit.cli.output import one_line
from agentkit.tools import Tool

if TYPE_CHECKING:
    from agentkit.chat.outcome import TurnOutcome


class RichRenderer:
    """The terminal renderer: Markdown, panels, a live plan tree, spinners."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)
        self.recorder = Console(
            file=io.StringIO(),
            record=True,
            width=self.console.width,
            force_terminal=True,
            color_system="truecolor",
            highlight=False,
        )
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._status: str | None = None
        self._status_since = time.monotonic()
        self._text = ""
        self._running: dict[str, tuple[str, Mapping[str, Any], Spinner, float]] = {}
        self._plan: PlanView | None = None
        self._spinner = Spinner("dots", style="cyan")
        # Calls whose arguments the approval question already showed: their result
        # panel leaves the code out instead of printing it twice.
        self._shown: list[tuple[str, str]] = []

    # -- printing ----------------------------------------------------------------------

    def _print(self, *renderables: RenderableType) -> None:
        for renderable in renderables:
            self.console.print(renderable)
            self.recorder.print(renderable)

    def echo_input(self, text: str) -> None:
        """Record what the user typed (the prompt itself already shows it on screen)."""
        self.recorder.print(Text(f"{fmt.PROMPT_MARK} ", style="bold green") + Text(text))

    def notice(self, message: str, *, record: bool = True) -> None:
        """A dim line; ``record=False`` keeps it out of captures (a /save's own note)."""
        if record:
            self._print(Text(message, style="dim"))
        else:
            self.console.print(Text(message, style="dim"))

    def error(self, message: str) -> None:
        self._print(Text("Error: ", style="bold red") + Text(one_line(message)))

    def warning(self, message: str) -> None:
        self._print(Text("Warning: ", style="bold yellow") + Text(one_line(message)))

    def markdown(self, text: str) -> None:
        self._print(Markdown(text, code_theme=CODE_THEME))

    # -- the live area -----------------------------------------------------------------

    def _start_live(self) -> None:
        if self._live is None:
            self._live = Live(
                get_renderable=self._view,
                console=self.console,
                refresh_per_second=10,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _view(self) -> RenderableType:
        # Called by the Live refresh thread: an error here must not end in a traceback.
        try:
            return self._live_parts()
        except Exception as exc:
            return Text(f"(cannot draw this: {type(exc).__name__}: {exc})", style="dim")

    def _live_parts(self) -> RenderableType:
        with self._lock:
            parts: list[RenderableType] = []
            if self._plan is not None:
                parts.append(self._plan.tree())
            if self._text.strip():
                parts.append(Tail(Markdown(self._text, code_theme=CODE_THEME)))
            for name, arguments, spinner, since in self._running.values():
                text = Text(fmt.call_summary(name, arguments), style="yellow")
                text.append(f"  {time.monotonic() - since:.0f}s", style="dim")
                spinner.update(text=text)
                parts.append(spinner)
            if self._status and not self._text.strip() and not self._running:
                elapsed = time.monotonic() - self._status_since
                self._spinner.update(text=Text(f"{self._status}… {elapsed:.0f}s", style="dim"))
                parts.append(self._spinner)
            return Group(*parts)

    def _flush_text(self) -> None:
        with self._lock:
            text, self._text = self._text, ""
        if text.strip():
            self._print(Markdown(text, code_theme=CODE_THEME))

    # -- turn events -------------------------------------------------------------------

    def event(self, event: Event) -> None:
        """Draw one event of the running turn."""
        self._apply(event)
        self._start_live()  # after the change, so its first frame is already current

    def _apply(self, event: Event) -> None:
        if isinstance(event, Status):
            self._set_status(event.text)
        elif isinstance(event, TextDelta):
            with self._lock:
                self._text += event.text
        elif isinstance(event, ToolStarted):
            self._flush_text()
            with self._lock:
                spinner = Spinner("dots", style="yellow")
                self._running[event.call_id] = (
                    event.name,
                    event.arguments,
                    spinner,
                    time.monotonic(),
                )
        elif isinstance(event, ToolFinished):
            with self._lock:
                self._running.pop(event.call_id, None)
            key = (event.name, fmt.one_line(event.arguments, 10_000))
            shown = key in self._shown
            if shown:
                self._shown.remove(key)
            self._print(
                tool_panel(event.name, event.arguments, event.result, with_arguments=not shown)
            )
            self._set_status("thinking")
        elif isinstance(event, PlanStarted):
            self._flush_text()
            with self._lock:
                self._plan = PlanView(event.plan, event.attempt)
                self._status = None  # the tree shows what is going on
        elif isinstance(event, StepChanged):
            with self._lock:
                if self._plan is not None:
                    self._plan.states[event.step_id] = event.status
        elif isinstance(event, StepsEnded):
            self._end_plan(event.outcomes)
        elif isinstance(event, Rejected):
            self._flush_text()
            self._print(*rejection(event))
        elif isinstance(event, Cancelling):
            self._set_status("cancelling (Ctrl-C again to stop waiting)")

    def _set_status(self, text: str) -> None:
        with self._lock:
            self._status, self._status_since = text, time.monotonic()

    def _end_plan(self, outcomes: Mapping[str, Mapping[str, Any]]) -> None:
        with self._lock:
            plan, self._plan = self._plan, None
        if plan is not None:
            plan.outcomes = dict(outcomes)
            plan.states.update({k: str(v.get("status")) for k, v in outcomes.items()})
            self._print(plan.tree())

    def approval(self, request: ApprovalRequest) -> None:
        """Show the call that asks to run; the live area stops while the user answers."""
        self._flush_text()
        self._stop_live()
        self._print(tool_panel(request.tool, request.arguments, None))
        self._shown.append((request.tool, fmt.one_line(request.arguments, 10_000)))

    def decided(self, request: ApprovalRequest, decision: str | None) -> None:
        """Record the answer (the screen shows it in the question's line already)."""
        question = f"Run {request.tool}? yes / no / always for this session: "
        self.recorder.print(Text(question) + Text(decision or "cancelled", style="bold"))

    def finish_turn(self) -> None:
        """Print what is left of the live area and stop it."""
        self._flush_text()
        with self._lock:
            plan, self._plan = self._plan, None
            self._running.clear()
            self._status = None
        self._stop_live()
        if plan is not None:
            self._print(plan.tree())

    def outcome(self, outcome: TurnOutcome) -> None:
        """The end of a turn: the answer (unless it streamed), verdicts, verification."""
        self.finish_turn()
        if outcome.answer is not None and not outcome.streamed:
            self._print(Markdown(outcome.answer, code_theme=CODE_THEME))
        elif outcome.answer is None:
            self._print(Text(f"no answer: {outcome.stopped}", style="yellow"))
        self._print(*verdict_lines(outcome.verdicts))
        if outcome.answer is not None:
            self._print(verification_line(outcome))
        note = footer(outcome)
        if note:
            self._print(Text(note, style="dim"))

    def cancelled(self, abandoned: bool) -> None:
        self.finish_turn()
        note = "cancelled" + (": left running in the background" if abandoned else "")
        self._print(Text(note, style="yellow"))

    # -- commands ----------------------------------------------------------------------

    def banner(self, lines: Sequence[str]) -> None:
        title, *rest = lines
        self._print(Text(title, style="bold"))
        for line in rest:
            self._print(Text(line, style="dim"))

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for header in headers:
            grid.add_column(header, overflow="fold")
        for row in rows:
            grid.add_row(*(Text(cell) for cell in row))  # text, not markup
        self._print(grid)

    def tool_detail(self, tool: Tool) -> None:
        """The description, then one row per argument: name, type, default, what it is."""
        grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for header in ("ARGUMENT", "TYPE", "DEFAULT", "DESCRIPTION"):
            grid.add_column(header, overflow="fold")
        for row in fmt.parameter_rows(tool.parameters):
            grid.add_row(*(Text(cell) for cell in row))  # text, not markup
        side_effects = "\nIt has side effects: the chat asks before it runs." * tool.side_effects
        self._print(
            Panel(
                Group(Text((tool.description or "(no description)") + side_effects), grid),
                title=Text(tool.name, style="bold"),
                title_align="left",
                subtitle=Text(f"plugin {tool.plugin or '?'}"),
                box=box.ROUNDED,
            )
        )

    def plan(self, result: Mapping[str, Any]) -> None:
        """A finished /solve: its (last) plan with each step's end state, and the answer."""
        from agentkit.plan import Plan

        view = PlanView(Plan.parse(result["plan"]), int(result.get("attempts") or 1))
        view.outcomes = dict(result.get("steps") or {})
        view.states.update({k: str(v.get("status")) for k, v in view.outcomes.items()})
        self._print(view.tree())
        verified = "verified" if result.get("verified") else "NOT VERIFIED"
        answer = fmt.one_line(result.get("answer"), 120)
        self._print(Text(f"answer: {answer} ({verified})", style="dim"))

    def history(self, messages: Sequence[Mapping[str, Any]], hidden: int) -> None:
        """The earlier conversation, compactly, when a chat is resumed."""
        if hidden:
            self.notice(f"… {hidden} earlier turn(s)")
        for message in messages:
            role, content = message.get("role"), message.get("content")
            if role == "user":
                self._print(Text(f"{fmt.PROMPT_MARK} ", style="bold green") + Text(str(content)))
            elif role == "assistant":
                for call in message.get("tool_calls") or []:
                    function = call.get("function") or {}
                    arguments = _json_object(function.get("arguments"))
                    summary = fmt.call_summary(function.get("name", "?"), arguments)
                    self._print(Text(f"  · {summary}", style="dim"))
                if content:
                    self._print(Markdown(str(content), code_theme=CODE_THEME))

    def help(self, commands: Iterable[tuple[str, str]], keys: Sequence[str]) -> None:
        grid = Table.grid(padding=(0, 2))
        for usage, text in commands:
            grid.add_row(Text(usage, style="bold cyan"), Text(text))
        self._print(grid)
        self._print(Text("  ".join(keys), style="dim"))

    def save_capture(self, path: Path) -> bool:
        """Write what was printed so far as SVG, HTML or text (by ``path``'s suffix)."""
        suffix = path.suffix.lower()
        title = "agentkit chat"
        if suffix == ".svg":
            data = self.recorder.export_svg(title=title, clear=False)
        elif suffix in (".html", ".htm"):
            data = self.recorder.export_html(clear=False)
        elif suffix == ".txt":
            data = self.recorder.export_text(clear=False)
        else:
            return False
        from agentkit.files import write_atomically

        write_atomically(path, data)
        return True


def _json_object(text: Any) -> dict[str, Any]:
    import json

    try:
        value = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
