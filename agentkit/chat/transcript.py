"""``/save``: the conversation as Markdown or JSON, written whole or not at all."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from agentkit.chat import format as fmt
from agentkit.tools import ToolResult


def as_json(messages: Sequence[Mapping[str, Any]], about: Mapping[str, Any]) -> str:
    return json.dumps({**about, "messages": list(messages)}, indent=2, ensure_ascii=False) + "\n"


def as_markdown(messages: Sequence[Mapping[str, Any]], about: Mapping[str, Any]) -> str:
    """A readable transcript: each turn, each tool call with its code and full result."""
    title = f"# agentkit chat {about.get('run') or ''}".rstrip()
    tools = ", ".join(about.get("tools") or []) or "none"
    lines = [title, "", f"model: {about.get('model')} · tools: {tools}"]
    for message in messages:
        lines += ["", *_message(message)]
    return "\n".join(lines).rstrip() + "\n"


def _message(message: Mapping[str, Any]) -> list[str]:
    role, content = message.get("role"), message.get("content")
    if role == "user":
        return ["## You", "", str(content)]
    if role == "assistant":
        lines = ["## Assistant", "", str(content)] if content else []
        for call in message.get("tool_calls") or []:
            lines += ["", *_tool_call(call.get("function") or {})]
        return lines
    if role == "tool":
        return ["Result:", "", *_fenced("", "\n".join(_result(content)))]
    return []  # the system prompt is agentkit's, not the conversation's


def _tool_call(function: Mapping[str, Any]) -> list[str]:
    name = function.get("name", "?")
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except json.JSONDecodeError:
        raw = str(function.get("arguments"))
        return [f"Tool call `{name}` (arguments not JSON):", "", *_fenced("", raw)]
    if not isinstance(arguments, dict):
        arguments = {"arguments": arguments}
    lines = [f"Tool call `{name}` {fmt.arguments_line(arguments)}".rstrip() + ":"]
    code = fmt.code_of(arguments)
    if code is not None:
        lines += ["", *_fenced("python", code)]
    return lines


def _result(content: Any) -> list[str]:
    try:
        told = json.loads(content) if isinstance(content, str) else content
        result = ToolResult(
            ok=bool(told.get("ok")), output=told.get("output"), error=told.get("error")
        )
    except (json.JSONDecodeError, AttributeError, ValueError):
        return str(content).splitlines()
    return fmt.result_lines(result) or ["(nothing)"]


def _fenced(language: str, text: str) -> list[str]:
    fence = "````" if "```" in text else "```"
    return [f"{fence}{language}", text.rstrip("\n"), fence]
