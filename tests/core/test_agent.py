from __future__ import annotations

import json
import threading

import agentkit
from agentkit.agent import run_tool_loop
from agentkit.models import OpenAIModel
from agentkit.testing import Reply, ToolCallSpec


@agentkit.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


MEETING = threading.Barrier(4, timeout=10)


@agentkit.tool
def meet() -> int:
    """Wait until four callers are here at once (raises if they never are)."""
    return MEETING.wait()


def tool_messages(request: dict) -> list[dict]:
    return [m for m in request["messages"] if m["role"] == "tool"]


def test_malformed_tool_call_json_is_fed_back_and_the_model_recovers(fake_openai, tmp_path):
    fake_openai.enqueue(
        Reply(tool_calls=[ToolCallSpec("add", '{"a": 1, "b":', id="call_bad")]),
        Reply(
            tool_calls=[
                ToolCallSpec("add", {"a": 1, "b": 2}, id="call_ok"),
                ToolCallSpec("multiply", {"a": 1}, id="call_unknown"),
                ToolCallSpec("add", {"a": "one", "b": 2}, id="call_schema"),
            ]
        ),
        Reply(content="1 + 2 = 3"),
    )
    model = OpenAIModel("fake-model", base_url=fake_openai.base_url)
    run = agentkit.Store(tmp_path / "runs.db").start_run("test", "loop")
    result = run_tool_loop(model, [{"role": "user", "content": "1+2?"}], [add], run=run)

    assert (result.answer, result.turns, result.stopped) == ("1 + 2 = 3", 3, "answered")
    fake_openai.assert_complete()
    [bad] = tool_messages(fake_openai.requests[1])
    assert bad["tool_call_id"] == "call_bad"
    assert "not valid JSON" in json.loads(bad["content"])["error"]
    feedback = {
        m["tool_call_id"]: json.loads(m["content"]) for m in tool_messages(fake_openai.requests[2])
    }
    assert feedback["call_ok"] == {"ok": True, "output": 3}
    assert feedback["call_unknown"]["error"] == "unknown tool 'multiply'; available: add"
    assert "argument 'a'" in feedback["call_schema"]["error"]
    events = [(e["type"], e["name"]) for e in run.store.events(run.id)]
    assert events.count(("model_call", "fake-model")) == 3
    assert events.count(("tool_call", "add")) == 2
    assert (
        result.usage.prompt_tokens == sum(e["prompt_tokens"] for e in run.store.events(run.id)) > 0
    )


def test_loop_stops_when_turns_run_out(scripted_model):
    for _ in range(3):
        scripted_model.enqueue(Reply(tool_calls=[ToolCallSpec("add", {"a": 1, "b": 1})]))
    result = run_tool_loop(scripted_model, [{"role": "user", "content": "go"}], [add], max_turns=3)
    assert (result.answer, result.stopped, result.turns) == (None, "max_turns", 3)
    scripted_model.assert_complete()


def test_tool_calls_of_one_turn_run_at_the_same_time(scripted_model):
    scripted_model.enqueue(
        Reply(tool_calls=[ToolCallSpec("meet", {}) for _ in range(4)]),
        "met",
    )
    result = run_tool_loop(scripted_model, [{"role": "user", "content": "meet"}], [meet])
    assert result.answer == "met"
    # One after another, the first call would wait alone and the barrier break.
    results = [json.loads(m["content"]) for m in tool_messages(scripted_model.calls[-1])]
    assert sorted(r["output"] for r in results if r["ok"]) == [0, 1, 2, 3]


def test_streamed_answer_reaches_on_delta(scripted_model):
    scripted_model.enqueue("a streamed answer in pieces")
    pieces: list[str] = []
    result = run_tool_loop(
        scripted_model, [{"role": "user", "content": "hi"}], [], on_delta=pieces.append
    )
    assert len(pieces) > 1 and "".join(pieces) == result.answer
