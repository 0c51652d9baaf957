from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from concurrency_helpers import Overlap

import agentkit
from agentkit import Store
from agentkit.executor import Executor, Limits
from agentkit.plan import Plan

FINISHED: dict[str, float] = {}
NAPPING = Overlap()


@agentkit.tool
async def nap(seconds: float, label: str = "") -> str:
    """Sleep, then say which step finished."""
    with NAPPING.inside():
        await asyncio.sleep(seconds)
    FINISHED[label] = time.monotonic()
    return label


@agentkit.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@agentkit.tool
def stats(values: list[float]) -> dict[str, float]:
    """Summary statistics."""
    return {"total": sum(values), "count": len(values)}


@agentkit.tool
def fail(message: str) -> None:
    """Always raise."""
    raise RuntimeError(message)


TOOLS = {tool.name: tool for tool in (nap, add, stats, fail)}


def execute(steps: list[dict], **kwargs):
    plan = Plan.parse({"steps": steps}, TOOLS)
    return asyncio.run(Executor(TOOLS, **kwargs).execute(plan))


def test_references_pass_whole_values_and_fields_between_steps():
    outcomes = execute(
        [
            {"id": "s1", "tool": "stats", "args": {"values": [1, 2, 3.5]}},
            {"id": "s2", "tool": "add", "args": {"a": "${s1.count}", "b": 10}},
            {"id": "s3", "tool": "nap", "args": {"seconds": 0, "label": "sum=${s1.total} n=${s2}"}},
        ]
    )
    assert [o.status for o in outcomes.values()] == ["done", "done", "done"]
    assert outcomes["s2"].args == {"a": 3, "b": 10} and outcomes["s2"].result.output == 13
    assert outcomes["s3"].result.output == "sum=6.5 n=13"


def test_slow_branch_does_not_block_sibling():
    FINISHED.clear()
    outcomes = execute(
        [
            {"id": "slow", "tool": "nap", "args": {"seconds": 1.0, "label": "slow"}},
            {"id": "after_slow", "tool": "nap", "args": {"seconds": 0, "label": "${slow}+"}},
            {"id": "fast", "tool": "nap", "args": {"seconds": 0.1, "label": "fast"}},
            {"id": "after_fast", "tool": "nap", "args": {"seconds": 0.1, "label": "${fast}+"}},
        ]
    )
    assert all(o.status == "done" for o in outcomes.values())
    # In lockstep rounds, after_fast would wait for the round that holds "slow".
    assert FINISHED["fast+"] < FINISHED["slow"] - 0.5


@pytest.mark.parametrize(
    ("limits", "at_once"),
    [(Limits(), 6), (Limits(per_tool={"nap": 2}), 2), (Limits(max_concurrency=3), 3)],
)
def test_independent_steps_run_at_once_within_the_concurrency_bounds(limits, at_once):
    NAPPING.reset()
    steps = [{"id": f"n{i}", "tool": "nap", "args": {"seconds": 0.1}} for i in range(6)]
    outcomes = execute(steps, limits=limits)
    assert all(o.status == "done" for o in outcomes.values())
    assert NAPPING.peak == at_once


def test_a_failed_step_skips_what_depends_on_it_and_nothing_else():
    outcomes = execute(
        [
            {"id": "bad", "tool": "fail", "args": {"message": "no data"}},
            {"id": "uses_bad", "tool": "add", "args": {"a": "${bad}", "b": 1}},
            {"id": "deeper", "tool": "add", "args": {"a": "${uses_bad}", "b": 1}},
            {"id": "unrelated", "tool": "add", "args": {"a": 1, "b": 1}},
        ]
    )
    assert outcomes["bad"].status == "failed"
    assert outcomes["bad"].reason == "RuntimeError: no data"
    for step_id in ("uses_bad", "deeper"):
        assert outcomes[step_id].status == "skipped"
        assert outcomes[step_id].reason == (
            "skipped because step 'bad' failed: RuntimeError: no data"
        )
    assert outcomes["unrelated"].result.output == 2


def test_a_reference_into_a_missing_field_fails_that_step_with_the_reason():
    outcomes = execute(
        [
            {"id": "s1", "tool": "stats", "args": {"values": [1]}},
            {"id": "s2", "tool": "add", "args": {"a": "${s1.mean}", "b": 1}},
        ]
    )
    assert outcomes["s2"].status == "failed"
    assert "has no 'mean'" in outcomes["s2"].reason and "total, count" in outcomes["s2"].reason


def test_step_timeout_fails_the_step():
    outcomes = execute(
        [{"id": "s1", "tool": "nap", "args": {"seconds": 5}}], limits=Limits(step_timeout=0.2)
    )
    assert outcomes["s1"].status == "failed"
    assert outcomes["s1"].reason == "TimeoutError: tool 'nap' took longer than 0.2s"


def test_status_changes_are_reported_in_order():
    seen: list[tuple[str, str]] = []
    execute(
        [
            {"id": "a", "tool": "add", "args": {"a": 1, "b": 1}},
            {"id": "b", "tool": "fail", "args": {"message": "x"}},
            {"id": "c", "tool": "add", "args": {"a": "${b}", "b": 1}},
        ],
        on_status=lambda step, status: seen.append((step, status)),
    )
    for step, expected in (("a", "done"), ("b", "failed"), ("c", "skipped")):
        states = [status for s, status in seen if s == step]
        assert states[0] == "waiting" and states[-1] == expected


def test_executing_again_under_the_same_run_reuses_finished_calls(tmp_path: Path):
    counter = tmp_path / "count"

    @agentkit.tool
    def counted(n: int) -> int:
        """Count executions in a file."""
        with counter.open("a") as f:
            f.write("x")
        return n * 2

    tools = {"counted": counted, "fail": fail}
    plan = Plan.parse(
        [
            {"id": "a", "tool": "counted", "args": {"n": 1}},
            {"id": "b", "tool": "counted", "args": {"n": "${a}"}},
            {"id": "c", "tool": "fail", "args": {"message": "once"}},
        ],
        tools,
    )
    run = Store(tmp_path / "runs.db").start_run("plan", "resume")
    first = asyncio.run(Executor(tools, run=run).execute(plan))
    again = asyncio.run(Executor(tools, run=run).execute(plan))
    assert counter.read_text() == "xx"
    assert [o.reused for o in first.values()] == [False, False, False]
    assert [o.reused for o in again.values()] == [True, True, True]
    assert [o.to_dict()["result"] for o in again.values()] == [
        o.to_dict()["result"] for o in first.values()
    ]
    tool_events = [e for e in run.store.events(run.id) if e["type"] == "tool_call"]
    assert len(tool_events) == 3  # the reused calls were not called again


@pytest.mark.parametrize("statuses", [None, {"a": "done", "b": "running"}])
def test_plans_render_as_mermaid(statuses):
    plan = Plan.parse(
        [
            {"id": "a", "tool": "add", "args": {"a": 1, "b": 2}},
            {"id": "b", "tool": "add", "args": {"a": "${a}", "b": 2}},
        ],
        TOOLS,
    )
    text = plan.mermaid(statuses)
    assert text.startswith("flowchart TD\n")
    assert "    a --> b" in text
    assert ('a["a: add"]:::done' in text) == bool(statuses)
