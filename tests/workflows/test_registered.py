"""The distribution as a user meets it: every workflow found by name through the plugin,
and run from the command line (`agentkit run NAME`) against the fake OpenAI server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import agentkit
from agentkit_workflows import WORKFLOW_NAMES

AGENTKIT = str(Path(sys.executable).with_name("agentkit"))


def test_every_workflow_is_registered_by_name(monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "workflows")
    agentkit.load_plugins()
    names = {entry.name for entry in agentkit.get_workflows()}
    assert set(WORKFLOW_NAMES) <= names  # solve is agentkit's own, listed with the others


def test_a_workflow_runs_by_name_from_the_command_line(fake_openai, tmp_path):
    fake_openai.enqueue(
        "2 + 2 = 4, so \\boxed{4}",
        "Answer: 4.0",
        "It is \\boxed{5}",  # 2 of 3 agree
    )
    env = {
        **os.environ,
        "AGENTKIT_LOAD_PLUGINS": "workflows,solver",
        "AGENTKIT_MODEL": "fake-model",
    }
    inputs = {"problem": "What is 2 + 2?", "n": 3, "parallel": 3, "gold": "4"}
    shown = subprocess.run(
        [AGENTKIT, "run", "sample-verify", "--json", "--input", json.dumps(inputs)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=180,
    )
    assert shown.returncode == 0, shown.stderr
    result = json.loads(shown.stdout)["result"]
    assert result["answer"] in ("4", "4.0") and result["correct"] and result["coverage"]
    assert sorted(result["candidates"]) == ["4", "4.0", "5"]
    assert len(fake_openai.requests) == 3
