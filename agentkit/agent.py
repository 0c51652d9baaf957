"""The plain tool-calling loop: the model calls tools until it answers in text.

Whatever goes wrong with a tool call the model asked for (arguments that are not
JSON, an unknown tool, arguments that fail the schema, a tool that fails) goes back to
the model as the tool's result, so it can correct itself; none of it ends the loop.
Tool calls of one turn run at the same time.

A front end can follow the loop as it goes: ``on_delta`` gets the streamed text,
``on_tool_start`` each tool call as it is dispatched and ``on_tool_end`` its result.
A callback that raises ends the loop with its exception (``agentkit chat`` cancels a
turn that way); a tool call already running finishes in the background.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentkit._runtime import CALL_EXECUTOR
from agentkit.calls import call_model, call_tool
from agentkit.models.base import Message, Model, OnDelta, ToolCallRequest, Usage, tool_message
from agentkit.store import Run
from agentkit.tools import Tool, ToolResult

OnToolStart = Callable[[ToolCallRequest], None]
OnToolEnd = Callable[[ToolCallRequest, ToolResult], None]


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
    on_tool_start: OnToolStart | None = None,
    on_tool_end: OnToolEnd | None = None,
    **options: Any,
) -> LoopResult:
    """Let ``model`` call ``tools`` until it answers without a tool call, or turns run out.

    ``on_tool_start`` is called in this thread for each requested call before the
    calls of a turn are dispatched together; ``on_tool_end`` from the thread that ran
    the call, as soon as it ends, so parallel calls report in the order they finish.
    """
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
        for request in response.tool_calls:
            if on_tool_start is not None:
                on_tool_start(request)

        def run_one(request: ToolCallRequest) -> ToolResult:
            result = _tool_result(request, by_name, run)
            if on_tool_end is not None:
                on_tool_end(request, result)
            return result

        results = CALL_EXECUTOR.map(run_one, response.tool_calls)
        history.extend(
            tool_message(request.id, _told(result))
            for request, result in zip(response.tool_calls, results, strict=True)
        )
    return LoopResult(None, history, usage, max_turns, stopped="max_turns")


def _tool_result(request: ToolCallRequest, tools: dict[str, Tool], run: Run | None) -> ToolResult:
    """The result of one requested call; a request that cannot run is a failed result."""
    if request.error is not None:
        return ToolResult.failure(request.error)
    tool = tools.get(request.name)
    if tool is None:
        available = ", ".join(sorted(tools)) or "none"
        return ToolResult.failure(f"unknown tool '{request.name}'; available: {available}")
    return call_tool(tool, request.arguments, run=run)


def _told(result: ToolResult) -> dict[str, Any]:
    """What the model is told about one of its tool calls."""
    if result.ok:
        return {"ok": True, "output": result.output}
    told: dict[str, Any] = {"ok": False, "error": result.error}
    if result.output is not None:
        told["output"] = result.output
    return told
