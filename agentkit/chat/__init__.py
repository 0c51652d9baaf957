"""``agentkit chat``: a terminal chat with a tool-using agent.

Each turn runs the agent (the tool-calling loop, or the planner graph for ``/solve``)
with the registered verifiers, and the screen shows what other chat REPLs do not: the
plan as it executes, every tool call, and what was verified. Without a terminal it
reads turns line by line and prints plain text, for scripts.

- :mod:`~agentkit.chat.session`: the conversation and the work of its turns;
- :mod:`~agentkit.chat.turn`: a turn's worker thread, its events, Ctrl-C;
- :mod:`~agentkit.chat.gate`: approval, kernel sessions and cancelling, as hook wrappers;
- :mod:`~agentkit.chat.repl` and :mod:`~agentkit.chat.commands`: the loop, the slash commands;
- :mod:`~agentkit.chat.rich_render`, :mod:`~agentkit.chat.plain_render`,
  :mod:`~agentkit.chat.prompt`: the screen and the keyboard.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from agentkit.chat.gate import Approvals, ChatGate
from agentkit.chat.outcome import Check, TurnOutcome
from agentkit.chat.session import ChatSession
from agentkit.chat.turn import Turn, TurnCancelled

if TYPE_CHECKING:
    from agentkit.chat.repl import Repl

__all__ = [
    "Approvals",
    "ChatGate",
    "ChatSession",
    "Check",
    "Turn",
    "TurnCancelled",
    "TurnOutcome",
    "start_chat",
]


def start_chat(
    *,
    model_name: str | None = None,
    tool_names: tuple[str, ...] = (),
    resume: str | None = None,
    yes: bool = False,
    debug: bool = False,
    interactive: bool | None = None,
) -> int:
    """Run a chat until the user leaves; the exit code.

    ``interactive`` defaults to whether stdin and stdout are both terminals. Raises
    :class:`agentkit.errors.ConfigError` (one line, before anything is drawn) when no
    model is configured.
    """
    from agentkit.chat.repl import Repl

    approvals = Approvals(everything=yes)
    if resume:
        session = ChatSession.resume(resume, model_name, tool_names, approvals=approvals)
    else:
        session = ChatSession.new(model_name, tool_names, approvals=approvals)
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if not interactive:
        from agentkit.chat.plain_render import PlainRenderer
        from agentkit.chat.prompt import LinePrompter

        return Repl(session, PlainRenderer(), LinePrompter(), interactive=False, debug=debug).run(
            resumed=bool(resume)
        )
    return _terminal_repl(session, debug).run(resumed=bool(resume))


def _terminal_repl(session: ChatSession, debug: bool) -> Repl:
    from agentkit.chat.commands import COMMANDS
    from agentkit.chat.format import tokens
    from agentkit.chat.prompt import ChatCompleter, TerminalPrompter
    from agentkit.chat.repl import Repl
    from agentkit.chat.rich_render import RichRenderer
    from agentkit.config import home

    def toolbar() -> str:
        run = session.run.id if session.run else "new"
        count = len(session.tools)
        return (
            f" {session.model_name} · {count} tool{'s' if count != 1 else ''} · "
            f"{tokens(session.usage)} · run {run} "
        )

    completer = ChatCompleter(
        {name: command.help for name, command in COMMANDS.items()},
        {
            name: (lambda argument, command=command: command.complete(repl, argument))  # type: ignore[misc]
            for name, command in COMMANDS.items()
            if command.complete is not None
        },
    )
    history = home() / "chat_history"
    prompter = TerminalPrompter(history, completer, toolbar)
    repl = Repl(session, RichRenderer(), prompter, interactive=True, debug=debug)
    return repl
