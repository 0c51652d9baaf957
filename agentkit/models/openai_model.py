"""Models on any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server).

Retries are the ``openai`` client's own: exponential backoff with jitter on 408, 409,
429 and 5xx and on connection errors, honouring ``Retry-After``. What retries cannot
fix (a bad key, an unknown model, an endpoint that never answers) becomes a
:class:`ModelError` with one line that says what to do.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from agentkit.errors import ModelError
from agentkit.models.base import Message, ModelResponse, OnDelta, ToolCallRequest, Usage
from agentkit.redact import redact

if TYPE_CHECKING:
    import openai

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAIModel:
    """A chat model reached through the ``openai`` client."""

    def __init__(
        self,
        name: str,
        *,
        model_id: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        max_retries: int = 2,
        timeout: float = 120.0,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.model_id = model_id or name
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        self._api_key = api_key if api_key is not None else os.environ.get(api_key_env)
        self.api_key_env = api_key_env
        self.max_retries = max_retries
        self.timeout = timeout
        self.options = dict(options or {})
        self._client: openai.OpenAI | None = None

    def __repr__(self) -> str:
        return f"OpenAIModel({self.name!r}, base_url={self.shown_url!r})"

    @property
    def shown_url(self) -> str:
        """The endpoint as errors and listings show it: without credentials in it."""
        return redact(self.base_url)

    @property
    def client(self) -> openai.OpenAI:
        if self._client is None:
            import openai  # takes most of a second to import: only when a model is used

            # Local servers (vLLM, Ollama, llama.cpp) accept any key; the client insists on one.
            self._client = openai.OpenAI(
                base_url=self.base_url,
                api_key=self._api_key or "not-set",
                max_retries=self.max_retries,
                timeout=self.timeout,
            )
        return self._client

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model_id": self.model_id,
            "base_url": self.shown_url,
            "api_key_set": bool(self._api_key),
        }

    def complete(
        self,
        messages: list[Message],
        *,
        tools: list[dict[str, Any]] | None = None,
        stream: bool = False,
        on_delta: OnDelta | None = None,
        **options: Any,
    ) -> ModelResponse:
        import openai

        request: dict[str, Any] = {"model": self.model_id, "messages": messages}
        request.update(self.options)
        request.update(options)
        if tools:
            request["tools"] = tools
        try:
            if stream:
                return self._streamed(request, on_delta)
            completion = self.client.chat.completions.create(**request)
            if not completion.choices:
                raise ModelError(f"the model endpoint at {self.shown_url} answered with no choices")
            return _response_from(completion)
        except openai.APIError as exc:
            raise self._explain(exc) from exc
        except json.JSONDecodeError as exc:
            raise self._not_json(exc) from exc

    def _streamed(self, request: dict[str, Any], on_delta: OnDelta | None) -> ModelResponse:
        turn = _StreamedTurn(on_delta)
        # Closed on the way out, even when on_delta raises (Ctrl-C in the REPL).
        with self.client.chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True}
        ) as chunks:
            for chunk in chunks:
                turn.add(chunk)
        return turn.response()

    def _explain(self, exc: openai.APIError) -> ModelError:
        import openai

        where = f"at {self.shown_url}"
        if isinstance(exc, openai.AuthenticationError):
            return ModelError(
                f"the model endpoint {where} rejected the API key (401); check {self.api_key_env}"
            )
        if isinstance(exc, openai.NotFoundError):
            return ModelError(
                f"unknown model '{self.model_id}' {where} (404); "
                "list the endpoint's models with: agentkit models --remote"
            )
        if isinstance(exc, openai.APITimeoutError):
            return ModelError(
                f"the model endpoint {where} did not answer within {self.timeout:g}s"
                f"{_retries_made(exc)}"
            )
        if isinstance(exc, openai.APIConnectionError):
            return ModelError(
                f"cannot reach the model endpoint {where}; check OPENAI_BASE_URL "
                f"and that the server is running ({exc.__cause__ or exc})"
            )
        if isinstance(exc, openai.APIStatusError):
            return ModelError(
                f"the model endpoint {where} answered {exc.status_code}"
                f"{_retries_made(exc)}: {_short_message(exc)}"
            )
        return ModelError(f"model call {where} failed: {exc}")

    def _not_json(self, exc: json.JSONDecodeError) -> ModelError:
        return ModelError(
            f"the model endpoint at {self.shown_url} answered with a body that is not JSON "
            f"({exc}); check that OPENAI_BASE_URL points at an OpenAI-compatible API"
        )

    def list_remote(self) -> list[str]:
        """The model ids the endpoint itself serves (``GET /models``)."""
        import openai

        try:
            return sorted(model.id for model in self.client.models.list())
        except openai.APIError as exc:
            raise self._explain(exc) from exc
        except json.JSONDecodeError as exc:
            raise self._not_json(exc) from exc


class _StreamedTurn:
    """Builds one ModelResponse from streamed chunks (text deltas, tool-call fragments)."""

    def __init__(self, on_delta: OnDelta | None) -> None:
        self.on_delta = on_delta
        self.text: list[str] = []
        self.calls: dict[int, dict[str, str]] = {}
        self.usage = Usage()
        self.finish_reason: str | None = None
        self.model: str | None = None

    def add(self, chunk: Any) -> None:
        self.model = chunk.model or self.model
        if chunk.usage is not None:
            self.usage = Usage(
                prompt_tokens=chunk.usage.prompt_tokens,
                completion_tokens=chunk.usage.completion_tokens,
            )
        for choice in chunk.choices:
            self.finish_reason = choice.finish_reason or self.finish_reason
            if choice.delta.content:
                self.text.append(choice.delta.content)
                if self.on_delta is not None:
                    self.on_delta(choice.delta.content)
            for part in choice.delta.tool_calls or []:
                self._add_tool_call_part(part)

    def _add_tool_call_part(self, part: Any) -> None:
        slot = self.calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
        slot["id"] = part.id or slot["id"]
        if part.function is not None:
            slot["name"] += part.function.name or ""
            slot["arguments"] += part.function.arguments or ""

    def response(self) -> ModelResponse:
        return ModelResponse(
            content="".join(self.text) or None,
            tool_calls=[
                ToolCallRequest.parse(c["id"], c["name"], c["arguments"])
                for _, c in sorted(self.calls.items())
            ],
            usage=self.usage,
            finish_reason=self.finish_reason,
            model=self.model,
        )


def _response_from(completion: Any) -> ModelResponse:
    choice = completion.choices[0]
    message = choice.message
    usage = completion.usage
    return ModelResponse(
        content=message.content,
        tool_calls=[
            ToolCallRequest.parse(call.id, call.function.name, call.function.arguments)
            for call in message.tool_calls or []
        ],
        usage=Usage(
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        ),
        finish_reason=choice.finish_reason,
        model=completion.model,
    )


def _retries_made(exc: openai.APIError) -> str:
    """The " after N retries" phrase, from the attempt counter the client puts on each request.

    Not every failure is retried (4xx other than 408/409/429, or ``x-should-retry:
    false``), so the configured ``max_retries`` would often be wrong here.
    """
    try:
        count = int(exc.request.headers.get("x-stainless-retry-count", ""))
    except (AttributeError, ValueError):
        return ""
    if count == 0:
        return ""
    return f" after {count} retr{'y' if count == 1 else 'ies'}"


def _short_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        detail = body.get("error", body)
        if isinstance(detail, dict) and "message" in detail:
            return str(detail["message"])
    return str(exc.message)
