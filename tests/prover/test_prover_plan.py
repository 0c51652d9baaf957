"""``check_proof`` as a plan step: registered through the entry point, run by the executor."""

from __future__ import annotations

import asyncio

import pytest
from prover_samples import WRONG

import agentkit
from agentkit.executor import Executor
from agentkit.plan import Plan


def test_check_proof_steps_run_in_a_plan_and_pass_a_counterexample_on(coq, monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "prover")
    tools = {"check_proof": agentkit.get_tool("check_proof")}
    assert agentkit.get_tools().get("check_proof").plugin == "prover"
    steps = [
        {
            "id": "claim",
            "tool": "check_proof",
            "args": {"claim": "x * x > x", "variables": {"x": "Int"}},
        },
        {  # the counterexample found by the first step, checked again as an assumption
            "id": "again",
            "tool": "check_proof",
            "args": {
                "claim": "x * x > x",
                "assumptions": ["x == ${claim.counterexample.x}"],
                "variables": {"x": "Int"},
            },
        },
        {"id": "coq", "tool": "check_proof", "args": {"source": WRONG, "timeout": 20}},
    ]
    plan = Plan.parse({"steps": steps}, tools)
    outcomes = asyncio.run(Executor(tools).execute(plan))
    assert {o.status for o in outcomes.values()} == {"done"}
    x = outcomes["claim"].result.output["counterexample"]["x"]
    assert outcomes["again"].args["assumptions"] == [f"x == {x}"]
    assert outcomes["again"].result.output["status"] == "refuted"
    coq_output = outcomes["coq"].result.output
    assert coq_output["status"] == "error" and coq_output["errors"][0]["sentence"] == "reflexivity."


def test_a_plan_with_bad_check_proof_arguments_is_rejected_before_running(monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "prover")
    tools = {"check_proof": agentkit.get_tool("check_proof")}
    steps = [{"id": "p", "tool": "check_proof", "args": {"source": "x", "proof": "y"}}]
    with pytest.raises(agentkit.AgentkitError, match="proof"):
        Plan.parse({"steps": steps}, tools)
