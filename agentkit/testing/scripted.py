"""Scripted stand-ins for a language model: reply types and :class:`ScriptedModel`.

A test enqueues what the model should say, in order; each call takes the next item.
The same :class:`Reply` and :class:`ToolCallSpec` script both :class:`ScriptedModel`
(in-process, behind the :class:`agentkit.Model` protocol) and the fake OpenAI server
(over HTTP, behind the real ``openai`` client). A :class:`Fault` only makes sense on
the wire, so only the server takes one.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Generic, TypeAlias, TypeVar

from agentkit.models.base import Message, ModelResponse, OnDelta, ToolCallRequest, Usage
from agentkit.testing.tokens import count_completion_tokens, count_message_tokens

_call_ids = itertools.count(1)


@dataclass(frozen=True)
class ToolCallSpec:
    """A tool call the stand-in model makes. A str ``arguments`` is sent verbatim."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        """The arguments as the wire carries them (malformed on purpose, if a str says so)."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False)

    def call_id(self) -> str:
        """The given id, or a fresh one like the ``call_...`` ids OpenAI hands out."""
        return self.id or f"call_{next(_call_ids):06d}"


@dataclass(frozen=True)
class Reply:
    """One assistant turn: text, tool calls, or both."""

    content: str | None = None
    tool_calls: list[ToolCallSpec] = field(default_factory=list)
    finish_reason: str | None = None

    def resolved_finish_reason(self) -> str:
        if self.finish_reason:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"

    def wire_tool_calls(self) -> list[tuple[str, str, str]]:
        """(id, name, arguments JSON) for each tool call, with ids filled in."""
        return [(spec.call_id(), spec.name, spec.arguments_json()) for spec in self.tool_calls]


@dataclass(frozen=True)
class Fault:
    """A failure the fake server injects instead of a reply. Build one with the classmethods."""

    kind: str
    code: int = 500
    retry_after: float | None = None
    message: str | None = None
    seconds: float = 0.0

    @classmethod
    def status(
        cls, code: int, retry_after: float | None = None, message: str | None = None
    ) -> Fault:
        """Answer with HTTP ``code`` and an OpenAI-shaped error body (429, 500, 503...)."""
        return cls("status", code=code, retry_after=retry_after, message=message)

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        """Hold the request ``seconds`` (bounded by the server), then close without answering."""
        return cls("hang", seconds=seconds)

    @classmethod
    def malformed_body(cls) -> Fault:
        """Answer 200 with a body that is not JSON."""
        return cls("malformed_body", code=200)


ScriptItem: TypeAlias = str | Reply | BaseException


def as_reply(item: str | Reply) -> Reply:
    return Reply(content=item) if isinstance(item, str) else item


T = TypeVar("T")


class ScriptQueue(Generic[T]):
    """The scripted items of one stand-in, used in order, every one of them expected."""

    def __init__(self, owner: str, accepts: tuple[type, ...], hint: str = "") -> None:
        self.owner = owner
        self.accepts = accepts
        self.hint = hint
        self._items: list[T] = []
        self._lock = threading.Lock()

    def extend(self, items: tuple[T, ...]) -> None:
        for item in items:
            if not isinstance(item, self.accepts):
                names = ", ".join(kind.__name__ for kind in self.accepts)
                raise TypeError(f"{self.owner} takes {names}, not {item!r}{self.hint}")
        with self._lock:
            self._items.extend(items)

    def pop(self) -> T | None:
        with self._lock:
            return self._items.pop(0) if self._items else None

    @property
    def remaining(self) -> list[T]:
        with self._lock:
            return list(self._items)

    def assert_complete(self) -> None:
        """Fail if any scripted item was never used."""
        left = self.remaining
        if left:
            raise AssertionError(f"{self.owner}: {len(left)} scripted item(s) never used: {left!r}")


def conversation_problem(messages: list[Message]) -> str | None:
    """What OpenAI would reject (with a 400) in this message list, or None.

    Every tool message must answer a call of the assistant message before it, and every
    call must be answered before the conversation goes on. The stand-ins check this so
    that a conversation a real endpoint refuses cannot pass a test.
    """
    open_calls: set[str] = set()
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in open_calls:
                return f"messages[{index}]: a tool message answers no open tool call ({call_id!r})"
            open_calls.discard(call_id)
            continue
        if open_calls:
            return f"messages[{index}]: tool calls {sorted(open_calls)} were never answered"
        if role == "assistant":
            open_calls = {call["id"] for call in message.get("tool_calls") or []}
    return None


def stream_pieces(text: str) -> list[str]:
    """Split text into several pieces, word by word, as a streaming model would send it."""
    pieces = re.findall(r"\s*\S+|\s+$", text)
    if len(pieces) < 2 and len(text) > 1:
        middle = len(text) // 2
        pieces = [text[:middle], text[middle:]]
    return pieces or ([text] if text else [])


class ScriptedModel:
    """A :class:`agentkit.Model` that replies from a queue, for tests.

    Enqueue str (a text reply), :class:`Reply` or an exception instance (raised from
    :meth:`complete`). Every call is recorded in :attr:`calls`. Running out of replies
    is an ``AssertionError``, so a test that calls the model more than it meant to
    fails loudly. Safe to call from several threads.
    """

    def __init__(self, name: str = "scripted", replies: tuple[ScriptItem, ...] = ()) -> None:
        self.name = name
        self.calls: list[dict[str, Any]] = []
        self._script: ScriptQueue[ScriptItem] = ScriptQueue(
            f"ScriptedModel {name!r}",
            (str, Reply, BaseException),
            hint=" (a Fault is for FakeOpenAIServer)",
        )
        self._lock = threading.Lock()
        self.enqueue(*replies)

    def __repr__(self) -> str:
        return f"ScriptedModel({self.name!r}, {len(self.remaining)} queued)"

    def enqueue(self, *items: ScriptItem) -> ScriptedModel:
        """Queue text replies, :class:`Reply` objects or exceptions to raise, in order."""
        self._script.extend(items)
        return self

    def complete(
        self,
        messages: list[Message],
        *,
        tools: list[dict[str, Any]] | None = None,
        stream: bool = False,
        on_delta: OnDelta | None = None,
        **options: Any,
    ) -> ModelResponse:
        problem = conversation_problem(messages)
        if problem is not None:
            raise ValueError(f"ScriptedModel {self.name!r}: invalid conversation: {problem}")
        item = self._next(messages, tools, {"stream": stream, **options})
        if isinstance(item, BaseException):
            raise item
        reply = as_reply(item)
        if stream and on_delta is not None and reply.content:
            for piece in stream_pieces(reply.content):
                on_delta(piece)
        return self._response(reply, messages, tools)

    def _next(
        self, messages: list[Message], tools: list[dict[str, Any]] | None, options: dict[str, Any]
    ) -> ScriptItem:
        with self._lock:
            # Deep copies: callers keep appending to the same conversation list.
            self.calls.append(
                {
                    "messages": copy.deepcopy(messages),
                    "tools": copy.deepcopy(tools),
                    "options": options,
                }
            )
            item = self._script.pop()
            if item is None:
                number = len(self.calls)
                raise AssertionError(
                    f"ScriptedModel {self.name!r}: no scripted reply left for call #{number}"
                )
            return item

    def _response(
        self, reply: Reply, messages: list[Message], tools: list[dict[str, Any]] | None
    ) -> ModelResponse:
        wire_calls = reply.wire_tool_calls()
        return ModelResponse(
            content=reply.content,
            tool_calls=[ToolCallRequest.parse(*call) for call in wire_calls],
            usage=Usage(
                prompt_tokens=count_message_tokens(messages, tools),
                completion_tokens=count_completion_tokens(
                    reply.content, [(name, args) for _, name, args in wire_calls]
                ),
            ),
            finish_reason=reply.resolved_finish_reason(),
            model=self.name,
        )

    @property
    def remaining(self) -> list[ScriptItem]:
        return self._script.remaining

    def assert_complete(self) -> None:
        """Fail if any scripted item was never used."""
        self._script.assert_complete()
