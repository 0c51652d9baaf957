"""The chat's wrapper around every tool and model call: approval, sessions, cancelling.

``agentkit chat`` registers a :class:`ChatGate` as a plugin for as long as it runs.
Through the ``call_tool`` and ``call_model`` wrapper hooks (the hooks made for
approval and policy) it sees every call the tool-calling loop and the planner make,
however deep, without either of them knowing about the chat:

- a tool with side effects (``Tool.side_effects``, the Python kernel) runs only after
  the user said yes, or "always" for that tool earlier in the session, or ``--yes``;
- a stateful tool (one that takes a ``session``) that the chat loop calls without one
  gets the conversation's own session, so variables live on from one turn to the next
  as in a notebook; planner steps keep their own sessions;
- every tool call in flight is cancelled with the turn, and a cancelled turn may not
  start another model call.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field

from agentkit.chat.turn import ApprovalRequest, Turn, TurnCancelled, current_turn
from agentkit.hookspecs import hookimpl
from agentkit.models.base import ModelCall, ModelResponse
from agentkit.tools import Tool, ToolCall, ToolResult


class ToolRefused(Exception):
    """The user did not allow a tool call; the model is told so."""


@dataclass
class Approvals:
    """Which tools with side effects may run without asking."""

    everything: bool = False  # --yes
    always: set[str] = field(default_factory=set)  # "always" answers of this session

    def needed(self, tool: Tool) -> bool:
        return tool.side_effects and not self.everything and tool.name not in self.always


def takes_session(tool: Tool) -> bool:
    """Whether the tool keeps state under a ``session`` argument (as ``python`` does)."""
    return "session" in (tool.parameters.get("properties") or {})


class ChatGate:
    """Registered with the plugin manager while a chat runs; see the module docstring."""

    def __init__(self, approvals: Approvals) -> None:
        self.approvals = approvals
        self.turn: Turn | None = None  # the turn that runs now, set by the REPL

    @hookimpl(wrapper=True)
    def call_tool(self, call: ToolCall) -> Generator[None, ToolResult, ToolResult]:
        turn = self.turn
        if turn is None or turn.cancelled:
            # A turn that was abandoned (Ctrl-C twice) may not start anything new.
            raise TurnCancelled("the turn was cancelled before this call started")
        if self.approvals.needed(call.tool) and not turn.preapproved:
            self._approve(turn, call)  # shown the call as the model made it
        stateful = turn.default_session and takes_session(call.tool)
        if stateful and not call.arguments.get("session"):
            call.arguments["session"] = turn.default_session
        forget = turn.on_cancel(call.cancel)
        try:
            return (yield)
        finally:
            forget()

    def _approve(self, turn: Turn, call: ToolCall) -> None:
        decision = turn.ask(ApprovalRequest(call.tool.name, dict(call.arguments)))
        if decision == "always":
            self.approvals.always.add(call.tool.name)
        elif decision != "yes":
            if turn.cancelled:
                raise TurnCancelled("the turn was cancelled while asking to run this call")
            raise ToolRefused(
                f"the user did not allow this call to '{call.tool.name}'; "
                "do not retry it unless the user asks"
            )

    @hookimpl(wrapper=True)
    def call_model(self, call: ModelCall) -> Generator[None, ModelResponse, ModelResponse]:
        turn = current_turn.get()
        if turn is not None and turn.cancelled:
            raise TurnCancelled()
        return (yield)
