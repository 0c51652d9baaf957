from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from typing import Annotated

import pydantic
import pytest
from concurrency_helpers import Overlap

import agentkit
from agentkit import Tool, Toolbox, ToolResult, call_tool, tool
from agentkit.errors import ToolArgumentError, UnknownToolError


@tool
def add(a: int, b: int = 2) -> int:
    """Add two integers.

    Longer explanation that stays in the description.

    :param a: the first addend
    :param b: the second addend
    """
    return a + b


@dataclasses.dataclass
class Point:
    x: float
    y: float


def test_schema_comes_from_type_hints_and_docstring():
    assert add.name == "add"
    assert add.description.startswith("Add two integers.")
    assert "Longer explanation" in add.description
    assert add.parameters == {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "description": "the first addend"},
            "b": {"type": "integer", "default": 2, "description": "the second addend"},
        },
        "required": ["a"],
        "additionalProperties": False,
    }


def test_google_style_docstrings_and_nested_types():
    def area(corners: list[Point], scale: float | None = None) -> float:
        """Area of a polygon.

        Args:
            corners: the vertices, in order
            scale: optional factor
        """
        return 0.0

    built = Tool.function(area)
    props = built.parameters["properties"]
    assert props["corners"]["description"] == "the vertices, in order"
    assert props["corners"]["type"] == "array"
    assert "Point" in str(built.parameters["$defs"])
    assert built.validate({"corners": [{"x": 0, "y": 1}]})["corners"] == [Point(0.0, 1.0)]


def test_bad_argument_error_names_the_field():
    with pytest.raises(ToolArgumentError, match=r"argument 'a': Input should be a valid integer"):
        add.validate({"a": "three"})
    with pytest.raises(ToolArgumentError, match=r"argument 'a' is required"):
        add.validate({})
    with pytest.raises(ToolArgumentError, match=r"unexpected argument 'c'"):
        add.validate({"a": 1, "c": 3})


def test_validation_happens_before_the_call():
    calls = []

    @tool
    def record(n: int) -> int:
        calls.append(n)
        return n

    result = call_tool(record, {"n": "not a number"})
    assert not result.ok
    assert "argument 'n'" in result.error
    assert calls == []


def test_hand_written_schema_is_enforced_with_jsonschema():
    echo = Tool(
        name="echo",
        description="Echo a word.",
        parameters={
            "type": "object",
            "properties": {"word": {"type": "string", "maxLength": 5}},
            "required": ["word"],
        },
        fn=lambda word: word,
    )
    assert call_tool(echo, {"word": "hi"}).output == "hi"
    result = call_tool(echo, {"word": "far too long"})
    assert not result.ok and "argument 'word'" in result.error


def test_call_returns_result_with_elapsed_time():
    result = call_tool(add, {"a": 40})
    assert result == ToolResult(ok=True, output=42, elapsed=result.elapsed)
    assert 0 < result.elapsed < 1


def test_an_exception_in_the_tool_becomes_a_failed_result_with_traceback():
    @tool
    def explode(message: str) -> None:
        raise ValueError(message)

    result = call_tool(explode, {"message": "boom"})
    assert result.ok is False
    assert result.error == "ValueError: boom"
    assert "raise ValueError(message)" in result.output["traceback"]


def test_output_that_is_not_json_serialisable_is_reported():
    @tool
    def opaque() -> object:
        return threading.Lock()

    result = call_tool(opaque, {})
    assert not result.ok
    assert "not JSON-serialisable" in result.error


def test_rich_outputs_are_converted_to_json():
    @tool
    def corner() -> Point:
        return Point(1.5, 2.0)

    assert call_tool(corner, {}).output == {"x": 1.5, "y": 2.0}


def test_async_tools_run_and_share_one_event_loop():
    loops = []

    @tool
    async def which_loop() -> str:
        loops.append(asyncio.get_running_loop())
        await asyncio.sleep(0)
        return "done"

    assert call_tool(which_loop, {}).output == "done"
    assert call_tool(which_loop, {}).output == "done"

    async def from_async_code():
        return await agentkit.acall_tool(which_loop, {})

    assert asyncio.run(from_async_code()).output == "done"
    assert len(loops) == 3 and loops[0] is loops[1] is loops[2]


def test_sync_tool_timeout_gives_a_clear_error_without_waiting_for_the_tool():
    release = threading.Event()

    @tool(timeout=0.2)
    def stuck() -> None:
        release.wait(10)

    started = time.monotonic()
    result = call_tool(stuck, {})
    release.set()
    assert time.monotonic() - started < 2
    assert result.error == "TimeoutError: tool 'stuck' took longer than 0.2s"


def test_async_tool_timeout_cancels_the_task():
    cancelled = threading.Event()

    @tool
    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    result = call_tool(slow, {}, timeout=0.2)
    assert result.error == "TimeoutError: tool 'slow' took longer than 0.2s"
    assert cancelled.wait(2)


def test_cancelling_the_caller_cancels_the_async_tool():
    cancelled = threading.Event()
    started = threading.Event()

    @tool
    async def long_job() -> None:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def caller():
        task = asyncio.create_task(agentkit.acall_tool(long_job, {}))
        await asyncio.to_thread(started.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(caller())
    assert cancelled.wait(2)


def test_independent_async_calls_run_concurrently():
    napping = Overlap()

    @tool
    async def nap(seconds: float) -> float:
        with napping.inside():
            await asyncio.sleep(seconds)
        return seconds

    async def eight_naps():
        return await asyncio.gather(*(agentkit.acall_tool(nap, {"seconds": 0.1}) for _ in range(8)))

    results = asyncio.run(eight_naps())
    assert all(r.ok for r in results)
    assert napping.peak == 8


def test_toolbox_exposes_public_methods_with_shared_state():
    class Counter(Toolbox):
        def __init__(self) -> None:
            self.total = 0

        def bump(self, by: int = 1) -> int:
            """Increase the counter."""
            self.total += by
            return self.total

        def read(self) -> int:
            """Read the counter."""
            return self.total

        def _private(self) -> None: ...

    box = Counter()
    tools = {t.name: t for t in box.tools()}
    assert sorted(tools) == ["counter_bump", "counter_read"]
    call_tool(tools["counter_bump"], {"by": 5})
    assert call_tool(tools["counter_read"], {}).output == 5
    assert tools["counter_bump"].description == "Increase the counter."


def test_tool_names_must_fit_the_function_calling_rule():
    with pytest.raises(ValueError, match="tool name"):
        Tool(name="has space", description="", parameters={}, fn=lambda: None)


def test_variadic_functions_are_refused():
    def spread(*args: int) -> None: ...

    with pytest.raises(TypeError, match=r"\*args"):
        Tool.function(spread)


def test_unknown_tool_name_suggests_close_matches():
    @agentkit.hookimpl
    def register_tools(register):
        register(add)

    class Plugin:
        pass

    plugin = Plugin()
    plugin.register_tools = register_tools
    agentkit.pm.register(plugin, name="adder")
    try:
        with pytest.raises(UnknownToolError, match="did you mean 'add'"):
            call_tool("ad", {"a": 1})
    finally:
        agentkit.pm.unregister(name="adder")


def test_annotated_bounds_reach_the_schema_and_the_validation():
    @agentkit.tool
    def pick(k: Annotated[int, pydantic.Field(ge=1, le=50)] = 5) -> int:
        """Pick k items.

        :param k: how many (1-50)
        """
        return k

    prop = pick.parameters["properties"]["k"]
    assert (prop["minimum"], prop["maximum"], prop["default"]) == (1, 50, 5)
    assert prop["description"] == "how many (1-50)"
    assert agentkit.call_tool(pick, {"k": 7}).output == 7
    refused = agentkit.call_tool(pick, {"k": 0})
    assert not refused.ok and "k" in refused.error and "greater than or equal to 1" in refused.error


def test_end_session_frees_a_stateful_tools_session_sync_or_async_and_never_raises():
    kept: dict[str, int] = {"a": 1, "b": 2}

    def forget(session: str) -> bool:
        return kept.pop(session, None) is not None

    async def aforget(session: str) -> bool:
        await asyncio.sleep(0)
        return forget(session)

    def broken(session: str) -> bool:
        raise OSError("the kernel is already gone")

    @tool(end_session=forget)
    def counter(session: str) -> int:
        """Count per session."""
        return kept.setdefault(session, 0)

    assert agentkit.end_session(counter, "a") is True and "a" not in kept
    assert agentkit.end_session(counter, "a") is False
    assert agentkit.end_session(dataclasses.replace(counter, end_session=aforget), "b") is True
    assert kept == {}
    assert asyncio.run(agentkit.aend_session(counter, "nothing")) is False
    with pytest.warns(RuntimeWarning, match="could not end session 'c': OSError: the kernel is"):
        assert agentkit.end_session(dataclasses.replace(counter, end_session=broken), "c") is False
    assert agentkit.end_session(tool(lambda: 1, name="stateless"), "a") is False
