"""The callbacks the chat draws from, added to the core for any front end: the tool
loop's ``on_tool_start``/``on_tool_end``, the planner's ``SolveWatcher``, and
``Tool.side_effects``."""

from __future__ import annotations

import asyncio
import time

import pytest
from click.testing import CliRunner

import agentkit
from agentkit import plugins
from agentkit.agent import run_tool_loop
from agentkit.cli import cli
from agentkit.graph import Solver, SolveWatcher, run_solver
from agentkit.registry import get_tool
from agentkit.store import Store
from agentkit.testing import Reply, ToolCallSpec


@agentkit.tool
def nap(seconds: float) -> float:
    """Sleep a while."""
    time.sleep(seconds)
    return seconds


def test_the_tool_loop_reports_calls_as_they_start_and_as_they_end(scripted_model):
    scripted_model.enqueue(
        Reply(
            tool_calls=[
                ToolCallSpec("nap", {"seconds": 0.4}, id="slow"),
                ToolCallSpec("nap", {"seconds": 0.0}, id="fast"),
                ToolCallSpec("missing", {}, id="unknown"),
            ]
        ),
        "Done.",
    )
    seen: list[tuple[str, str, bool | None]] = []
    result = run_tool_loop(
        scripted_model,
        [{"role": "user", "content": "nap"}],
        [nap],
        on_tool_start=lambda request: seen.append(("start", request.id, None)),
        on_tool_end=lambda request, result: seen.append(("end", request.id, result.ok)),
    )

    assert result.answer == "Done."
    assert seen[:3] == [
        ("start", "slow", None),
        ("start", "fast", None),
        ("start", "unknown", None),
    ]
    ends = seen[3:]
    assert ends.index(("end", "fast", True)) < ends.index(("end", "slow", True))
    assert ("end", "unknown", False) in ends


def test_a_callback_that_raises_ends_the_loop_before_the_next_model_call(scripted_model):
    scripted_model.enqueue(Reply(tool_calls=[ToolCallSpec("nap", {"seconds": 0})]), "unused")

    def stop(request, result):
        raise KeyboardInterrupt  # as a cancelled chat turn does (with its own exception)

    with pytest.raises(KeyboardInterrupt):
        run_tool_loop(scripted_model, [{"role": "user", "content": "go"}], [nap], on_tool_end=stop)
    assert len(scripted_model.calls) == 1


class Recorder(SolveWatcher):
    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def planning(self, attempt):
        self.seen.append(("planning", attempt))

    def planned(self, plan):
        self.seen.append(("planned", tuple(plan.order())))

    def step(self, step_id, status):
        self.seen.append(("step", step_id, status))

    def executed(self, outcomes):
        self.seen.append(("executed", {k: v["status"] for k, v in outcomes.items()}))

    def answering(self):
        self.seen.append(("answering",))

    def verifying(self, answer):
        self.seen.append(("verifying", answer))

    def verified(self, verdicts):
        self.seen.append(("verified", len(verdicts)))


def test_a_solve_watcher_sees_each_phase_and_each_steps_state(scripted_model):
    plan = {"steps": [{"id": "s1", "tool": "nap", "args": {"seconds": 0}}]}
    scripted_model.enqueue(
        Reply(tool_calls=[ToolCallSpec("make_plan", plan)]),
        Reply(tool_calls=[ToolCallSpec("final_answer", {"answer": "0"})]),
    )
    watcher = Recorder()
    run = Store().start_run("solve", "solve", input={"problem": "nap"})
    solver = Solver(scripted_model, {"nap": nap}, run=run, watcher=watcher)
    result = asyncio.run(run_solver(solver, Solver.initial_state("nap")))

    assert result["answer"] == "0"
    assert watcher.seen == [
        ("planning", 1),
        ("planned", ("s1",)),
        ("step", "s1", "waiting"),
        ("step", "s1", "running"),
        ("step", "s1", "done"),
        ("executed", {"s1": "done"}),
        ("answering",),
        ("verifying", "0"),
        ("verified", 0),
    ]


def test_the_python_tool_is_marked_as_having_side_effects(monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "kernel")
    plugins.reset_for_tests()
    assert get_tool("python").side_effects is True


def test_runs_resume_points_a_chat_to_chat_resume():
    run = Store().start_run("chat", "chat", input="hi")
    result = CliRunner().invoke(cli, ["runs", "resume", run.id])
    assert result.exit_code == 1
    assert f"continue it with: agentkit chat --resume {run.id}" in result.output
