"""Calling tools and models through the plugin hooks, with every call recorded.

A tool call goes: look the tool up in the registry, run the ``call_tool`` hook chain
(plugin wrappers around agentkit's own executor) in a worker thread, turn whatever
happens into a :class:`ToolResult`, and record it as an event of the current run.
Model calls take the same road through ``call_model``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import time
import traceback
import warnings
from typing import Any

import pydantic_core

from agentkit._runtime import CALL_EXECUTOR, TIMED_EXECUTOR, on_runtime_loop, runtime_loop
from agentkit.models.base import Message, Model, ModelCall, ModelResponse, OnDelta
from agentkit.plugins import load_plugins, pm
from agentkit.registry import get_tool
from agentkit.store import Run, current_run
from agentkit.tools import Tool, ToolCall, ToolResult

TRACEBACK_LINES = 30


def call_tool(
    tool: str | Tool,
    arguments: dict[str, Any] | None = None,
    *,
    timeout: float | None = None,
    run: Run | None = None,
) -> ToolResult:
    """Call a tool by name (or a :class:`Tool`) and wait for its result.

    Raises :class:`UnknownToolError` for a name no plugin registered; anything that
    goes wrong after that comes back as a failed :class:`ToolResult`.
    """
    if on_runtime_loop():
        raise RuntimeError("call_tool() would block agentkit's event loop; await acall_tool()")
    return dispatch_tool_call(_make_call(tool, arguments, timeout, run))


async def acall_tool(
    tool: str | Tool,
    arguments: dict[str, Any] | None = None,
    *,
    timeout: float | None = None,
    run: Run | None = None,
) -> ToolResult:
    """The async form of :func:`call_tool`; cancelling it cancels an async tool's task."""
    call = _make_call(tool, arguments, timeout, run)
    context = contextvars.copy_context()
    future = asyncio.get_running_loop().run_in_executor(
        CALL_EXECUTOR, context.run, dispatch_tool_call, call
    )
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        call.cancel()
        raise


def _make_call(
    tool: str | Tool, arguments: dict[str, Any] | None, timeout: float | None, run: Run | None
) -> ToolCall:
    resolved = tool if isinstance(tool, Tool) else get_tool(tool)
    return ToolCall(
        tool=resolved,
        arguments=dict(arguments or {}),
        timeout=timeout,
        run=run if run is not None else current_run.get(),
    )


def dispatch_tool_call(call: ToolCall) -> ToolResult:
    """Run the hook chain for one call; never raises (but for KeyboardInterrupt)."""
    load_plugins()
    started = time.time()
    t0 = time.perf_counter()
    try:
        result = pm.hook.call_tool(call=call)
        if not isinstance(result, ToolResult):
            result = ToolResult.failure(f"no plugin ran tool '{call.tool.name}' (got {result!r})")
    except Exception as exc:
        result = ToolResult.failure(f"{type(exc).__name__}: {exc}")
    result = result.model_copy(update={"elapsed": time.perf_counter() - t0})
    if call.run is not None:
        call.run.record(
            "tool_call",
            call.tool.name,
            started=started,
            elapsed=result.elapsed,
            ok=result.ok,
            payload={"id": call.id, "arguments": call.arguments, "result": result.to_dict()},
        )
    return result


def execute_tool_call(call: ToolCall) -> ToolResult:
    """What agentkit's own ``call_tool`` implementation does: validate, run, wrap up."""
    tool = call.tool
    if call.cancelled:
        return ToolResult.failure(
            f"CancelledError: the caller gave up before '{tool.name}' started"
        )
    arguments = tool.validate(call.arguments)
    timeout = call.timeout if call.timeout is not None else tool.timeout
    try:
        if tool.is_async:
            future = asyncio.run_coroutine_threadsafe(
                asyncio.wait_for(tool.fn(**arguments), timeout), runtime_loop()
            )
            call.on_cancel(future.cancel)
            value = future.result()
        elif timeout is None:
            value = tool.fn(**arguments)
        else:
            # A Python thread cannot be killed: on timeout the caller stops waiting and the
            # function runs on to its end. Tools that can hang should use the sandbox.
            value = TIMED_EXECUTOR.submit(tool.fn, **arguments).result(timeout)
    except TimeoutError as exc:
        if timeout is None:
            return _raised(exc)
        return ToolResult.failure(f"TimeoutError: tool '{tool.name}' took longer than {timeout:g}s")
    except Exception as exc:
        return _raised(exc)
    return as_tool_result(tool, value)


def _raised(exc: BaseException) -> ToolResult:
    lines = traceback.format_exception(exc)
    return ToolResult.failure(
        f"{type(exc).__name__}: {exc}", output={"traceback": "".join(lines[-TRACEBACK_LINES:])}
    )


def as_tool_result(tool: Tool, value: Any) -> ToolResult:
    if isinstance(value, ToolResult):
        return value
    try:
        output = pydantic_core.to_jsonable_python(value)
    except pydantic_core.PydanticSerializationError:
        return ToolResult.failure(
            f"tool '{tool.name}' returned a {type(value).__name__}, which is not JSON-serialisable"
        )
    return ToolResult(ok=True, output=output)


def end_session(tool: str | Tool, session: str, *, timeout: float = 30.0) -> bool:
    """Free what a stateful tool keeps under ``session`` (the ``python`` tool: its kernel).

    True when the tool kept something under that name. A tool without an
    ``end_session`` keeps nothing to free (False). It never raises for the tool's own
    failure: that is a warning, since whatever called this is finishing anyway.
    """
    resolved = tool if isinstance(tool, Tool) else get_tool(tool)
    ender = resolved.end_session
    if ender is None:
        return False
    if on_runtime_loop():
        raise RuntimeError("end_session() would block agentkit's event loop; await aend_session()")
    try:
        if inspect.iscoroutinefunction(ender):
            ended = asyncio.run_coroutine_threadsafe(ender(session), runtime_loop())
            return bool(ended.result(timeout))
        return bool(ender(session))
    except Exception as exc:
        warnings.warn(
            f"tool '{resolved.name}' could not end session {session!r}: "
            f"{type(exc).__name__}: {exc}",
            RuntimeWarning,
            stacklevel=2,
        )
        return False


async def aend_session(tool: str | Tool, session: str, *, timeout: float = 30.0) -> bool:
    """The async form of :func:`end_session`."""
    return await asyncio.get_running_loop().run_in_executor(
        CALL_EXECUTOR, functools.partial(end_session, tool, session, timeout=timeout)
    )


def call_model(
    model: Model,
    messages: list[Message],
    *,
    tools: list[dict[str, Any]] | None = None,
    stream: bool = False,
    on_delta: OnDelta | None = None,
    run: Run | None = None,
    **options: Any,
) -> ModelResponse:
    """Call a model through the ``call_model`` hooks and record the call with its usage.

    Errors propagate (a :class:`ModelError` says what to fix); a failed call is
    recorded too.
    """
    load_plugins()
    call = ModelCall(
        model=model,
        messages=messages,
        tools=tools,
        stream=stream,
        on_delta=on_delta,
        options=options,
        run=run if run is not None else current_run.get(),
    )
    started = time.time()
    t0 = time.perf_counter()
    try:
        response = pm.hook.call_model(call=call)
    except Exception as exc:
        _record_model_call(call, started, time.perf_counter() - t0, None, exc)
        raise
    _record_model_call(call, started, time.perf_counter() - t0, response, None)
    return response


async def acall_model(model: Model, messages: list[Message], **kwargs: Any) -> ModelResponse:
    """The async form of :func:`call_model` (runs in a worker thread)."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(
        CALL_EXECUTOR, lambda: context.run(call_model, model, messages, **kwargs)
    )


def _record_model_call(
    call: ModelCall,
    started: float,
    elapsed: float,
    response: ModelResponse | None,
    error: Exception | None,
) -> None:
    if call.run is None:
        return
    usage = response.usage if response is not None else None
    call.run.record(
        "model_call",
        getattr(call.model, "name", type(call.model).__name__),
        started=started,
        elapsed=elapsed,
        ok=error is None,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        payload={
            "messages": call.messages,
            "tools": [t["function"]["name"] for t in call.tools or [] if "function" in t],
            "options": call.options,
            "response": response.model_dump(mode="json") if response is not None else None,
            "error": f"{type(error).__name__}: {error}" if error is not None else None,
        },
    )
