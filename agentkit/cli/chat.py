"""``agentkit chat``: the REPL (see :mod:`agentkit.chat`)."""

from __future__ import annotations

import os

import click


@click.command(name="chat")
@click.option("-m", "--model", "model_name", help="The model (default: AGENTKIT_MODEL).")
@click.option("-T", "--tool", "tool_names", multiple=True, help="Only these tools (repeatable).")
@click.option("--resume", metavar="ID", help="Continue the chat run ID (see: agentkit runs list).")
@click.option("-y", "--yes", is_flag=True, help="Run tools with side effects without asking.")
@click.pass_context
def chat_command(
    ctx: click.Context,
    model_name: str | None,
    tool_names: tuple[str, ...],
    resume: str | None,
    yes: bool,
) -> int:
    """Chat with a tool-using agent: streamed answers, tool calls, live plans, verdicts.

    In a terminal: history, multi-line input, completion, approval before a tool with
    side effects runs, Ctrl-C to cancel. Otherwise it reads one turn per line from
    stdin and prints the answers as plain text.
    """
    from agentkit.chat import start_chat

    root = ctx.find_root()
    debug = bool(root.params.get("debug")) or os.environ.get("AGENTKIT_DEBUG") == "1"
    return start_chat(
        model_name=model_name, tool_names=tool_names, resume=resume, yes=yes, debug=debug
    )


COMMANDS = [chat_command]
