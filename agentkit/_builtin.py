"""agentkit's own plugin: it executes tool and model calls and registers configured models.

Its call implementations are ``trylast``, so every other plugin's wrappers and
short-circuits run around them.
"""

from __future__ import annotations

from typing import Any

from agentkit.calls import execute_tool_call
from agentkit.config import load_settings
from agentkit.hookspecs import Register, hookimpl
from agentkit.models.base import ModelCall, ModelResponse
from agentkit.models.openai_model import OpenAIModel
from agentkit.tools import ToolCall, ToolResult


@hookimpl(trylast=True)
def call_tool(call: ToolCall) -> ToolResult:
    return execute_tool_call(call)


@hookimpl(trylast=True)
def call_model(call: ModelCall) -> ModelResponse:
    return call.model.complete(
        call.messages,
        tools=call.tools,
        stream=call.stream,
        on_delta=call.on_delta,
        **call.options,
    )


@hookimpl
def register_models(register: Register) -> None:
    """The ``[models.NAME]`` tables of the config file, each an OpenAI-compatible endpoint."""
    for name, table in load_settings().models.items():
        register(OpenAIModel(name, **_model_kwargs(table)))


def _model_kwargs(table: dict[str, Any]) -> dict[str, Any]:
    known = {"model": "model_id", "base_url": "base_url", "api_key_env": "api_key_env"}
    kwargs: dict[str, Any] = {known[k]: v for k, v in table.items() if k in known}
    if "timeout" in table:
        kwargs["timeout"] = float(table["timeout"])
    if "max_retries" in table:
        kwargs["max_retries"] = int(table["max_retries"])
    kwargs["options"] = table.get("options", {})
    return kwargs


@hookimpl
def register_workflows(register: Register) -> None:
    """The planner graph behind ``agentkit solve``, as workflow ``solve`` ({"problem": ...})."""
    from agentkit.workflows import solve_workflow

    register(solve_workflow)
