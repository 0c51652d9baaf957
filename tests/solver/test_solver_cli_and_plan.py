"""The solver tools from the command line and as steps of a plan."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from agentkit.executor import Executor
from agentkit.plan import Plan
from agentkit_solver import smt_tool, sympy_tool

TOOLS = {"sympy": sympy_tool, "smt": smt_tool}


def agentkit_cli(home: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AGENTKIT_HOME": str(home),
        "AGENTKIT_LOAD_PLUGINS": "solver",
    }
    program = Path(sys.executable).with_name("agentkit")
    return subprocess.run(
        [str(program), *arguments], capture_output=True, text=True, timeout=90, env=env
    )


def test_command_line_sympy_solve_gives_the_roots(tmp_path):
    arguments = {"op": "solve", "expr": "x**2 - 5*x + 6", "var": "x"}
    completed = agentkit_cli(
        tmp_path, "tools", "call", "sympy", "--args", json.dumps(arguments), "--json"
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["ok"] is True and result["output"]["solutions"] == ["2", "3"]


def test_command_line_smt_gives_status_and_model(tmp_path):
    script = "(declare-const x Int) (assert (> x 41)) (assert (< x 43)) (check-sat) (get-model)"
    completed = agentkit_cli(
        tmp_path, "tools", "call", "smt", "--args", json.dumps({"smtlib": script}), "--json"
    )
    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)["output"]
    assert output["status"] == "sat" and output["model"] == {"x": 42}


def test_command_line_parse_error_is_one_line_on_stderr(tmp_path):
    arguments = {"op": "factor", "expr": "x**2 -"}
    completed = agentkit_cli(tmp_path, "tools", "call", "sympy", "--args", json.dumps(arguments))
    assert completed.returncode == 1
    assert (
        completed.stderr
        == "Error: sympy factor: cannot parse 'x**2 -': SyntaxError: invalid syntax\n"
    )
    assert completed.stdout == ""


def test_plan_feeds_a_sympy_root_into_an_smt_query():
    plan = Plan.parse(
        {
            "steps": [
                {"id": "s1", "tool": "sympy", "args": {"op": "solve", "expr": "x**2 - 5*x + 6"}},
                {
                    "id": "s2",
                    "tool": "smt",
                    "args": {
                        "constraints": ["x == ${s1.solutions.1}", "y > x", "y * y < 20"],
                        "variables": {"x": "Int", "y": "Int"},
                    },
                },
                {
                    "id": "s3",
                    "tool": "sympy",
                    "args": {"op": "evaluate", "expr": "sqrt(${s2.model.y})", "digits": 5},
                },
            ]
        },
        TOOLS,
    )
    outcomes = asyncio.run(Executor(TOOLS).execute(plan))
    assert [o.status for o in outcomes.values()] == ["done", "done", "done"], [
        o.reason for o in outcomes.values()
    ]
    assert outcomes["s2"].args["constraints"][0] == "x == 3"
    assert outcomes["s2"].result.output["model"] == {"x": 3, "y": 4}
    assert outcomes["s3"].result.output["result"] == "2.0000"


def test_plan_step_failure_skips_what_depends_on_it():
    plan = Plan.parse(
        {
            "steps": [
                {"id": "s1", "tool": "sympy", "args": {"op": "solve", "expr": "x = = 2"}},
                {
                    "id": "s2",
                    "tool": "smt",
                    "args": {"constraints": ["x == ${s1.solutions.0}"], "variables": {"x": "Int"}},
                },
            ]
        },
        TOOLS,
    )
    outcomes = asyncio.run(Executor(TOOLS).execute(plan))
    assert outcomes["s1"].status == "failed" and outcomes["s1"].reason.startswith("sympy solve: ")
    assert outcomes["s2"].status == "skipped"
