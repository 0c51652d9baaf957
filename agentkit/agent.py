"""The plain tool-calling loop: the model calls tools until it answers in text.

Whatever goes wrong with a tool call the model asked for (arguments that are not
JSON, an unknown tool, arguments that fail the schema, a tool that fails) goes back to
the model as the tool's result, so it can correct itself; none of it ends the loop.
Tool calls of one turn run at the same time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentkit._runtime import CALL_EXECUTOR
from agentkit.calls import call_model, call_tool
from agentkit.models.base import Message, Model, OnDelta, ToolCallRequest, Usage, tool_message
from agentkit.store import Run
from agentkit.tools import Tool


@dataclass
class LoopResult:
    """How a tool-calling loop ended."""

    answer: str | None
    messages: list[Message]
    usage: Usage = field(default_factory=Usage)
    turns: int = 0
    stopped: str = "answered"  # or "max_turns"


def run_tool_loop(
    model: Model,
    messages: list[Message],
    tools: list[Tool],
    *,
    max_turns: int = 10,
    run: Run | None = None,
    on_delta: OnDelta | None = None,
    **options: Any,
) -> LoopResult:
    """Let ``model`` call ``tools`` until it answers without a tool call, or turns run out."""
    history = list(messages)
    by_name = {tool.name: tool for tool in tools}
    schemas = [tool.openai_schema() for tool in tools] or None
    usage = Usage()
    for turn in range(1, max_turns + 1):
        response = call_model(
            model,
            history,
            tools=schemas,
            stream=on_delta is not None,
            on_delta=on_delta,
            run=run,
            **options,
        )
        usage = usage + response.usage
        history.append(response.message())
        if not response.tool_calls:
            return LoopResult(response.content, history, usage, turn)
        outcomes = CALL_EXECUTOR.map(
            lambda request: _tool_outcome(request, by_name, run), response.tool_calls
        )
        history.extend(
            tool_message(request.id, outcome)
            for request, outcome in zip(response.tool_calls, outcomes, strict=True)
        )
    return LoopResult(None, history, usage, max_turns, stopped="max_turns")


def _tool_outcome(
    request: ToolCallRequest, tools: dict[str, Tool], run: Run | None
) -> dict[str, Any]:
    """What the model is told about one of its tool calls."""
    if request.error is not None:
        return {"ok": False, "error": request.error}
    tool = tools.get(request.name)
    if tool is None:
        available = ", ".join(sorted(tools)) or "none"
        return {"ok": False, "error": f"unknown tool '{request.name}'; available: {available}"}
    result = call_tool(tool, request.arguments, run=run)
    if result.ok:
        return {"ok": True, "output": result.output}
    return {"ok": False, "error": result.error, "output": result.output}
