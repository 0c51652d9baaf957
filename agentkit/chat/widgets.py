"""The pieces a chat screen is drawn with (rich renderables): a tool call as a panel,
the plan as a tree, verdicts, the tail of a streaming answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.rule import Rule
from rich.segment import Segment
from rich.spinner import Spinner
from rich.table import Table
from rich.tree import Tree

from agentkit.chat import format as fmt
from agentkit.chat.shown import Syntax, Text
from agentkit.chat.turn import Rejected
from agentkit.tools import ToolResult
from agentkit.verify import Verdict

if TYPE_CHECKING:
    from agentkit.chat.outcome import TurnOutcome

CODE_THEME = "monokai"
STEP_MARKS = {
    "waiting": ("○", "dim"),
    "running": ("●", "yellow"),
    "done": ("✓", "green"),
    "failed": ("✗", "red"),
    "skipped": ("⊘", "dim"),
}
VERDICT_STYLES = {"passed": "green", "failed": "red", "undecided": "yellow"}


class Tail:
    """The last lines of a renderable that fit the screen: the end of a streaming answer.

    A live area taller than the terminal cannot be redrawn (its top has scrolled away),
    so while the answer streams only its tail is shown; the whole answer is printed
    once it is complete.
    """

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self.renderable, options, pad=False)
        room = max(3, options.height or console.height) - 2
        for line in lines[-room:]:
            yield from line
            yield Segment.line()


class PlanView:
    """A plan as a tree: each step under the latest step it needs, marked with its state."""

    def __init__(self, plan: Any, attempt: int = 1) -> None:
        self.plan = plan
        self.attempt = attempt
        self.states: dict[str, str] = dict.fromkeys(plan.order(), "waiting")
        self.outcomes: dict[str, Mapping[str, Any]] = {}
        self._spinners: dict[str, Spinner] = {}

    def tree(self) -> Tree:
        order = self.plan.order()
        title = Text("plan", style="bold")
        if self.attempt > 1:
            title.append(f" · attempt {self.attempt}", style="dim")
        title.append(f" · {len(order)} step{'s' if len(order) != 1 else ''}", style="dim")
        root = Tree(title, guide_style="dim")
        nodes: dict[str, Tree] = {}
        position = {step_id: index for index, step_id in enumerate(order)}
        for step_id in order:
            needs = sorted(self.plan.needs(step_id), key=position.__getitem__)
            parent = nodes[needs[-1]] if needs else root
            nodes[step_id] = parent.add(self._label(step_id, needs))
        return root

    def _label(self, step_id: str, needs: list[str]) -> RenderableType:
        step = self.plan.steps[step_id]
        state = self.states.get(step_id, "waiting")
        mark, style = STEP_MARKS.get(state, ("?", "dim"))
        label = Text()
        label.append(f"{step_id} ", style="bold")
        label.append(fmt.call_summary(step.tool, step.args, 50))
        if len(needs) > 1:
            label.append(f"  (needs {', '.join(needs)})", style="dim")
        outcome = self.outcomes.get(step_id)
        if outcome is not None:
            if state == "done":
                label.append(f"  {float(outcome.get('elapsed') or 0):.2f}s", style="dim")
                label.append(f" → {fmt.step_result(outcome)}", style="green")
            else:
                label.append(f"  {fmt.step_result(outcome)}", style=style)
        if state == "running":
            spinner = self._spinners.setdefault(step_id, Spinner("dots", style="yellow"))
            spinner.update(text=label)
            return spinner
        return Text(f"{mark} ", style=style) + label


def tool_panel(
    name: str,
    arguments: Mapping[str, Any],
    result: ToolResult | None,
    *,
    with_arguments: bool = True,
) -> RenderableType:
    """One tool call: its arguments (code as code) and, folded, what it gave.

    Without a result it is the call asking for approval; without ``with_arguments``
    only the result (the approval question showed the rest).
    """
    parts: list[RenderableType] = []
    code = fmt.code_of(arguments)
    rest = fmt.arguments_line(arguments)
    if rest and with_arguments:
        parts.append(Text(rest, style="dim"))
    if code is not None and with_arguments:
        parts.append(Syntax(code.rstrip(), "python", theme=CODE_THEME, background_color="default"))
    if result is None:
        subtitle, border = Text("asks to run", style="bold yellow"), "yellow"
    elif fmt.cancelled(result):
        subtitle, border = _result_mark(result)
    else:
        shown, hidden = fmt.fold(fmt.result_lines(result))
        if shown and parts:
            parts.append(Rule(style="dim"))
        if shown:
            parts.append(Text("\n".join(shown), style="" if result.ok else "red"))
        if hidden:
            parts.append(Text(f"… {hidden} more line{'s' if hidden != 1 else ''}", style="dim"))
        subtitle, border = _result_mark(result)
    empty = "(no arguments)" if result is None or with_arguments else "(no output)"
    return Panel(
        Group(*parts) if parts else Text(empty, style="dim"),
        title=Text(name, style="bold"),
        title_align="left",
        subtitle=subtitle,
        subtitle_align="right",
        border_style=border,
        box=box.ROUNDED,
        padding=(0, 1),
    )


def _result_mark(result: ToolResult) -> tuple[Text, str]:
    if fmt.cancelled(result):
        return Text("cancelled", style="yellow"), "yellow"
    if result.ok:
        return Text(f"✓ {result.elapsed:.2f}s", style="green"), "green"
    return Text(f"✗ {result.elapsed:.2f}s", style="red"), "red"


def verdict_lines(verdicts: Sequence[Verdict]) -> list[RenderableType]:
    """A verdict per row: its mark, then the verifier's words (wrapped beside the mark)."""
    if not verdicts:
        return []
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column()
    for verdict in verdicts:
        style = VERDICT_STYLES[verdict.status]
        grid.add_row(
            Text(fmt.VERDICT_MARKS[verdict.status], style=style), Text(fmt.verdict_text(verdict))
        )
        counterexample = fmt.counterexample_text(verdict)
        if counterexample:
            grid.add_row("", Text(counterexample, style="dim"))
    return [grid]


def verification_line(outcome: TurnOutcome) -> Text:
    """Verified, or plainly not (dim for a casual chat answer no verifier could judge)."""
    if outcome.answer is None:
        return Text()
    if outcome.verified:
        names = sorted({v.verifier or "verifier" for v in outcome.verdicts if v.passed})
        return Text("✓ verified", style="bold green") + Text(f" by {', '.join(names)}")
    reason = outcome.unverified_reason
    if outcome.kind == "chat" and not outcome.verdicts:
        return Text(f"○ unverified: {reason}", style="dim")
    if any(v.status == "failed" for v in outcome.verdicts):
        return Text("✗ NOT VERIFIED", style="bold red") + Text(f": {reason}")
    return Text("○ NOT VERIFIED", style="bold yellow") + Text(f": {reason}")


def rejection(event: Rejected) -> list[RenderableType]:
    head = Text(f"✗ attempt {event.attempt} rejected: ", style="red")
    head.append(fmt.one_line(event.answer, 100), style="")
    return [head, *verdict_lines(event.verdicts), Text(f"  → {event.next}", style="dim")]


def footer(outcome: TurnOutcome) -> str:
    """Tokens and time of a turn (and the run, for /solve); empty when there is nothing
    worth saying (a quick /verify that asked no model)."""
    if not outcome.usage.total_tokens and outcome.solve is None and outcome.elapsed < 1:
        return ""
    parts = [f"{outcome.elapsed:.1f}s"]
    if outcome.usage.total_tokens:
        parts.insert(0, fmt.tokens(outcome.usage))
    if outcome.solve is not None:
        attempts = outcome.solve.get("attempts") or 0
        parts.insert(0, f"{attempts} attempt{'s' if attempts != 1 else ''}")
        parts.insert(0, f"run {outcome.solve.get('run_id')}")
    return " · ".join(parts)
