"""The slash commands of ``agentkit chat``: one table, used for dispatch, ``/help`` and
completion alike."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agentkit.chat import format as fmt
from agentkit.chat.outcome import Check
from agentkit.chat.prompt import path_completions
from agentkit.chat.transcript import as_json, as_markdown
from agentkit.errors import AgentkitError, did_you_mean
from agentkit.files import write_atomically

if TYPE_CHECKING:
    from agentkit.chat.repl import Repl

KEYS = [
    "Enter send",
    "Alt-Enter new line",
    "Tab complete",
    "↑ history",
    "Ctrl-C cancel",
    "Ctrl-D exit",
    "// sends a line that starts with /",
]
RUNS_SHOWN = 15


@dataclass(frozen=True)
class Command:
    name: str
    arguments: str
    help: str
    run: Callable[[Repl, str], None]
    complete: Callable[[Repl, str], Iterable[tuple[str, str]]] | None = None

    @property
    def usage(self) -> str:
        return f"/{self.name} {self.arguments}".rstrip()


def recorded(line: str) -> bool:
    """Whether a line belongs in a capture of the session: not the ``/save`` that
    writes the capture."""
    return not (line == "/save" or line.startswith("/save "))


def run_command(repl: Repl, line: str) -> None:
    """Dispatch ``/name argument``; an unknown name is an error with a suggestion."""
    name, _, argument = line[1:].partition(" ")
    command = COMMANDS.get(name)
    if command is None:
        hint = did_you_mean(f"/{name}", [f"/{known}" for known in COMMANDS])
        raise AgentkitError(f"unknown command '/{name}'{hint or ''} (see: /help)")
    command.run(repl, argument.strip())


# -- the commands ------------------------------------------------------------------------


def _help(repl: Repl, argument: str) -> None:
    repl.renderer.help([(c.usage, c.help) for c in COMMANDS.values()], KEYS)


def _tools(repl: Repl, argument: str) -> None:
    session = repl.session
    if argument:
        tool = session.tools.get(argument)
        if tool is None:
            hint = did_you_mean(argument, session.tools)
            raise AgentkitError(f"no tool '{argument}' in this chat{hint or ''} (see: /tools)")
        repl.renderer.tool_detail(tool)
        return
    if not session.tools:
        repl.renderer.notice("no tools in this chat (agentkit chat -T NAME chooses them)")
        return
    rows = []
    for name, tool in sorted(session.tools.items()):
        if not tool.side_effects:
            asks = ""
        elif session.approvals.needed(tool):
            asks = "asks first"
        else:
            asks = "allowed"
        summary = (tool.description or "").strip().splitlines()
        rows.append([name, tool.plugin or "", asks, summary[0] if summary else ""])
    repl.renderer.table(["TOOL", "PLUGIN", "SIDE EFFECTS", "DESCRIPTION"], rows)


def _tool_names(repl: Repl, argument: str) -> Iterable[tuple[str, str]]:
    for name, tool in sorted(repl.session.tools.items()):
        if name.startswith(argument):
            yield name, fmt.one_line((tool.description or "").split("\n")[0], 40)


def _model(repl: Repl, argument: str) -> None:
    if argument:
        repl.session.set_model(argument)
        repl.renderer.notice(f"model: {argument}")
        return
    from agentkit.registry import get_models

    others = [name for name in get_models().names() if name != repl.session.model_name]
    listed = f" (registered: {', '.join(others)})" if others else ""
    repl.renderer.notice(f"model: {repl.session.model_name}{listed}; /model NAME switches")


def _model_names(repl: Repl, argument: str) -> Iterable[tuple[str, str]]:
    from agentkit.registry import get_models

    for name in get_models().names():
        if name.startswith(argument):
            yield name, ""


def _solve(repl: Repl, argument: str) -> None:
    if not argument:
        raise AgentkitError("/solve needs a problem, e.g. /solve what is 2**100 mod 7?")
    session = repl.session
    repl.run_turn("solve", argument, lambda turn: session.solve(argument, turn))


def _plan(repl: Repl, argument: str) -> None:
    result = repl.session.last_solve()
    if result is None or not result.get("plan"):
        repl.renderer.notice("no plan yet: /solve PROBLEM makes one")
        return
    repl.renderer.plan(result)


def _verify(repl: Repl, argument: str) -> None:
    session = repl.session
    last = session.last or {}
    if not last.get("answer"):
        raise AgentkitError("nothing to verify yet: ask something first")
    check = _check(str(last.get("question") or ""), argument)
    outcome = repl.run_turn("verify", argument, lambda turn: session.verify(check, turn))
    if outcome is not None and not outcome.verdicts and not argument:
        repl.renderer.notice(
            "give what the answer should be (/verify 42) or a reference implementation "
            "(/verify --reference ref.py [--entry NAME])"
        )


def _check(question: str, argument: str) -> Check:
    """The /verify argument: nothing, an expected answer, or ``--reference FILE``."""
    try:
        words = shlex.split(argument)
    except ValueError as exc:
        raise AgentkitError(f"/verify: {exc}") from None
    if not words:
        return Check.plain(question)
    if words[0] != "--reference":
        return Check.expected(question, argument)
    if len(words) < 2:
        raise AgentkitError("/verify --reference needs a file: /verify --reference ref.py")
    path = Path(words[1]).expanduser()
    entry = None
    if len(words) >= 4 and words[2] == "--entry":
        entry = words[3]
    try:
        code = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AgentkitError(f"cannot read {path}: {exc.strerror or exc}") from None
    return Check.reference(question, code, entry, str(path))


def _runs(repl: Repl, argument: str) -> None:
    session = repl.session
    current = session.run.id if session.run else None
    rows = []
    for run in session.store.list_runs(limit=RUNS_SHOWN):
        mine = run["id"] == current or (run["meta"] or {}).get("chat") == current
        rows.append(
            [
                ("● " if mine and current else "  ") + run["id"],
                run["kind"],
                run["status"],
                _ago(run["created"]),
                fmt.one_line(run["input"], 50),
            ]
        )
    if not rows:
        repl.renderer.notice("no runs yet")
        return
    repl.renderer.table(["RUN", "KIND", "STATUS", "STARTED", "INPUT"], rows)
    repl.renderer.notice("● this chat · agentkit chat --resume ID · agentkit runs show ID")


def _ago(timestamp: float) -> str:
    seconds = max(0, time.time() - timestamp)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


def _save(repl: Repl, argument: str) -> None:
    if not argument:
        raise AgentkitError("/save needs a file: /save chat.md (or .json, .svg, .html, .txt)")
    path = Path(argument).expanduser()
    if path.is_dir():
        raise AgentkitError(f"{path} is a directory; name a file")
    session = repl.session
    about = {
        "run": session.run.id if session.run else None,
        "model": session.model_name,
        "tools": sorted(session.tools),
    }
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            write_atomically(path, as_json(session.messages, about))
        elif suffix in (".svg", ".html", ".htm", ".txt"):
            if not repl.renderer.save_capture(path):
                raise AgentkitError(
                    f"a {suffix} capture needs a terminal; save the transcript as .md or .json"
                )
        else:
            write_atomically(path, as_markdown(session.messages, about))
    except OSError as exc:
        raise AgentkitError(f"cannot write {path}: {exc.strerror or exc}") from None
    repl.renderer.notice(f"saved {path}", record=False)


def _reset(repl: Repl, argument: str) -> None:
    previous = repl.session.run.id if repl.session.run else None
    repl.session.reset()
    again = f" (agentkit chat --resume {previous} continues the old one)" if previous else ""
    repl.renderer.notice(f"new conversation{again}")


def _exit(repl: Repl, argument: str) -> None:
    repl.done = True


COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        Command("help", "", "this list", _help),
        Command("tools", "[NAME]", "this chat's tools, or one tool's schema", _tools, _tool_names),
        Command("model", "[NAME]", "show or switch the model", _model, _model_names),
        Command("solve", "PROBLEM", "plan tool calls, run them, answer and verify", _solve),
        Command("plan", "", "the plan of the last /solve, each step's state", _plan),
        Command(
            "verify",
            "[EXPECTED | --reference FILE]",
            "judge the last answer; a rejection goes back to the model",
            _verify,
        ),
        Command("runs", "", "recent runs; this chat's are marked", _runs),
        Command(
            "save",
            "FILE",
            "the conversation as .md or .json; the screen as .svg, .html, .txt",
            _save,
            lambda repl, argument: path_completions(argument),
        ),
        Command("reset", "", "start a new conversation", _reset),
        Command("exit", "", "leave (Ctrl-D too)", _exit),
    )
}
