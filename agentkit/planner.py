"""The planner protocol: what the model is asked, and how its replies are read.

This is a public contract (``docs/planner.md``): people fine-tune models for it.

- Planning: the model is offered one function, ``make_plan(steps)``; ``steps`` is the
  plan's step list. Endpoints without tool calling may answer with the same JSON in
  plain text (a fenced block or a bare object/array).
- Answering: after execution the model sees each step's result and is offered
  ``final_answer(answer)`` and ``replan(reason)``. In plain text, a JSON object with
  one of those keys works too, and any other text is taken as the answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agentkit.models.base import Message, ModelResponse
from agentkit.tools import Tool

RESULT_CHARS = 4_000  # of one step's output shown to the model

MAKE_PLAN = {
    "type": "function",
    "function": {
        "name": "make_plan",
        "description": "Submit the plan: tool calls that together solve the problem.",
        "parameters": {
            "type": "object",
            "properties": {
                "steps": {
                    "type": "array",
                    "description": "The tool calls. An argument may use an earlier step's "
                    "output as ${step_id} or a part of it as ${step_id.field}.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string", "description": "e.g. s1"},
                            "tool": {"type": "string"},
                            "args": {"type": "object"},
                        },
                        "required": ["id", "tool", "args"],
                    },
                }
            },
            "required": ["steps"],
        },
    },
}

FINAL_ANSWER = {
    "type": "function",
    "function": {
        "name": "final_answer",
        "description": "Give the final answer to the problem.",
        "parameters": {
            "type": "object",
            "properties": {"answer": {"type": "string"}},
            "required": ["answer"],
        },
    },
}

REPLAN = {
    "type": "function",
    "function": {
        "name": "replan",
        "description": "The results are not enough: make a new plan. Say why.",
        "parameters": {
            "type": "object",
            "properties": {"reason": {"type": "string"}},
            "required": ["reason"],
        },
    },
}

SYSTEM = """You solve problems by planning tool calls, then answering from their results.

First call make_plan with the steps. Each step is {"id": "s1", "tool": NAME, "args": {...}}.
An argument may use an earlier step's output: "${s1}" is the whole output, "${s1.field}"
a part of it. Steps that do not depend on each other run at the same time.
If you cannot call functions, reply with only the JSON {"steps": [...]}.

The tools:
"""


def planning_messages(problem: str, tools: Mapping[str, Tool]) -> list[Message]:
    catalogue = "\n".join(
        f"- {tool.name}: {tool.description.splitlines()[0] if tool.description else ''}\n"
        f"  arguments: {json.dumps(tool.parameters, separators=(',', ':'))}"
        for tool in tools.values()
    )
    return [
        {"role": "system", "content": SYSTEM + catalogue},
        {"role": "user", "content": problem},
    ]


ANSWER_SYSTEM = (
    "Answer the problem from the results of the tool calls below. Call final_answer with "
    "the answer, or replan with the reason if the results are not enough. Without "
    'function calling, reply {"final_answer": "..."} or {"replan": "..."}.'
)


def answering_messages(problem: str, outcomes: Mapping[str, Mapping[str, Any]]) -> list[Message]:
    """The answering conversation: the problem and the results, nothing else."""
    return [
        {"role": "system", "content": ANSWER_SYSTEM},
        {"role": "user", "content": f"Problem: {problem}\n\n{results_text(outcomes)}"},
    ]


def results_message(outcomes: Mapping[str, Mapping[str, Any]], then: str) -> Message:
    """The results as a user message of the planning conversation, followed by ``then``."""
    return {"role": "user", "content": f"{results_text(outcomes)}\n{then}"}


def results_text(outcomes: Mapping[str, Mapping[str, Any]]) -> str:
    """The step results, a line per step, as the model sees them."""
    lines = ["The plan ran. Results:"]
    for step_id, outcome in outcomes.items():
        result = outcome.get("result") or {}
        if outcome["status"] == "done":
            shown = json.dumps(result.get("output"), ensure_ascii=False)
        else:
            shown = f"{outcome['status'].upper()}: {outcome.get('reason')}"
        lines.append(f"- {step_id} ({outcome['tool']}): {_clip(shown)}")
    return "\n".join(lines)


@dataclass
class Reading:
    """What one model reply means for the protocol."""

    kind: str  # plan | answer | replan | nothing
    value: Any = None
    call_id: str | None = None  # set when it came as a function call
    error: str | None = None  # a malformed function call, to send back


def read_plan(response: ModelResponse) -> Reading:
    for call in response.tool_calls:
        if call.name == "make_plan":
            if call.error is not None:
                return Reading("nothing", call_id=call.id, error=call.error)
            return Reading("plan", (call.arguments or {}).get("steps"), call.id)
    found = _json_in(response.content or "")
    if isinstance(found, dict | list):
        return Reading("plan", found)
    return Reading("nothing", error="no plan found: call make_plan with the steps")


def read_answer(response: ModelResponse) -> Reading:
    for call in response.tool_calls:
        if call.name in ("final_answer", "replan"):
            if call.error is not None:
                return Reading("nothing", call_id=call.id, error=call.error)
            key = "answer" if call.name == "final_answer" else "reason"
            value = str((call.arguments or {}).get(key, ""))
            return Reading("answer" if call.name == "final_answer" else "replan", value, call.id)
    found = _json_in(response.content or "")
    if isinstance(found, dict) and "final_answer" in found:
        return Reading("answer", str(found["final_answer"]))
    if isinstance(found, dict) and "replan" in found:
        return Reading("replan", str(found["replan"]))
    text = (response.content or "").strip()
    return Reading("answer", text) if text else Reading("nothing", error="no answer given")


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def _json_in(text: str) -> Any:
    """The first JSON object or array in a text (fenced blocks first), or None."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start, char in enumerate(candidate):
            if char in "{[":
                try:
                    return decoder.raw_decode(candidate, start)[0]
                except json.JSONDecodeError:
                    continue
    return None


def _clip(text: str) -> str:
    if len(text) <= RESULT_CHARS:
        return text
    return text[:RESULT_CHARS] + f" [... {len(text) - RESULT_CHARS} more characters]"
