"""The Model protocol: OpenAI-format chat messages in, one assistant turn out."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pydantic

if TYPE_CHECKING:
    from agentkit.store import Run

Message = dict[str, Any]
OnDelta = Callable[[str], None]


class Usage(pydantic.BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class ToolCallRequest(pydantic.BaseModel):
    """A tool call the model asked for. ``error`` is set when its arguments were unusable."""

    id: str
    name: str
    raw_arguments: str = "{}"
    arguments: dict[str, Any] | None = None
    error: str | None = None

    @classmethod
    def parse(cls, id: str, name: str, raw_arguments: str | None) -> ToolCallRequest:
        """Decode the model's argument JSON; bad JSON becomes an error for the model to fix."""
        raw = raw_arguments if raw_arguments else "{}"
        try:
            decoded = json.loads(raw)
        except json.JSONDecodeError as exc:
            return cls(
                id=id,
                name=name,
                raw_arguments=raw,
                error=f"the arguments for '{name}' are not valid JSON ({exc}); "
                "call the tool again with a JSON object",
            )
        if not isinstance(decoded, dict):
            return cls(
                id=id,
                name=name,
                raw_arguments=raw,
                error=f"the arguments for '{name}' must be a JSON object, "
                f"not {type(decoded).__name__}",
            )
        return cls(id=id, name=name, raw_arguments=raw, arguments=decoded)


class ModelResponse(pydantic.BaseModel):
    """One assistant turn: text and/or tool calls, with token usage."""

    content: str | None = None
    tool_calls: list[ToolCallRequest] = pydantic.Field(default_factory=list)
    usage: Usage = pydantic.Field(default_factory=Usage)
    finish_reason: str | None = None
    model: str | None = None

    def message(self) -> Message:
        """The assistant message to append to the conversation."""
        message: Message = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.raw_arguments},
                }
                for call in self.tool_calls
            ]
        return message


@runtime_checkable
class Model(Protocol):
    """What agentkit needs from a model. Implementations need not subclass this."""

    name: str

    def complete(
        self,
        messages: list[Message],
        *,
        tools: list[dict[str, Any]] | None = None,
        stream: bool = False,
        on_delta: OnDelta | None = None,
        **options: Any,
    ) -> ModelResponse:
        """Answer the conversation. With ``stream``, call ``on_delta`` with each text piece."""
        ...


@dataclass(eq=False)
class ModelCall:
    """One request to a model, as the ``call_model`` hook sees it."""

    model: Model
    messages: list[Message]
    tools: list[dict[str, Any]] | None = None
    stream: bool = False
    on_delta: OnDelta | None = None
    options: dict[str, Any] = field(default_factory=dict)
    run: Run | None = None


def tool_message(call_id: str, content: Any) -> Message:
    """The message that carries a tool's result (or an error) back to the model."""
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    return {"role": "tool", "tool_call_id": call_id, "content": text}
