"""The ``retrieve`` tool as a step of a plan, loaded as the entry-point plugin."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from retriever_helpers import DOCS, write_tree

import agentkit
from agentkit import Store
from agentkit.executor import Executor
from agentkit.plan import Plan, PlanError
from agentkit_retriever import update_index


@agentkit.tool
def read_lines(path: str, start: int, end: int) -> str:
    """The lines ``start..end`` (1-based, inclusive) of a file."""
    return "\n".join(Path(path).read_text().split("\n")[start - 1 : end])


def test_plan_step_retrieves_and_a_later_step_reads_the_hit(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "retriever")
    corpus = write_tree(tmp_path / "corpus", DOCS)
    update_index("docs", [corpus])
    tools = {"retrieve": agentkit.get_tool("retrieve"), "read_lines": read_lines}
    plan = Plan.parse(
        {
            "steps": [
                {
                    "id": "find",
                    "tool": "retrieve",
                    "args": {"query": "proof assistant", "k": 1, "index": "docs"},
                },
                {
                    "id": "read",
                    "tool": "read_lines",
                    "args": {
                        "path": "${find.hits.0.path}",
                        "start": "${find.hits.0.start_line}",
                        "end": "${find.hits.0.end_line}",
                    },
                },
                {"id": "miss", "tool": "retrieve", "args": {"query": "*", "index": "docs"}},
            ]
        },
        tools,
    )
    run = Store(tmp_path / "runs.db").start_run("test", "retrieve-plan")
    outcomes = asyncio.run(Executor(tools, run=run).execute(plan))
    assert outcomes["find"].status == "done"
    assert outcomes["find"].result.output["hits"][0]["title"] == "Proofs"
    assert outcomes["read"].status == "done"
    assert (
        outcomes["read"].result.output
        == "# Proofs\n\nA proof assistant checks every step of a proof."
    )
    assert outcomes["miss"].status == "failed"
    assert outcomes["miss"].reason.startswith("the query has no words to search for")


def test_plan_with_bad_retrieve_arguments_is_rejected_before_running(monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "retriever")
    tools = {"retrieve": agentkit.get_tool("retrieve")}
    with pytest.raises(PlanError) as caught:
        Plan.parse(
            [{"id": "s", "tool": "retrieve", "args": {"query": "x", "mode": "fuzzy", "n": 3}}],
            tools,
        )
    message = str(caught.value)
    assert "('n' was unexpected)" in message and "argument 'mode': 'fuzzy'" in message
