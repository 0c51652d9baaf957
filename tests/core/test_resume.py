"""A solve run killed with SIGKILL midway continues with `agentkit runs resume`.

The run happens in a real `agentkit` process against the fake OpenAI server; its tools
count their own executions in a file. The process is killed once two tool calls have
finished (their results are in the store) while a third is still running. The resume
must reuse the two finished calls, never run them again, and lose nothing recorded.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from sandbox_helpers import wait_until

from agentkit.testing import FakeOpenAIServer, Reply, ToolCallSpec

TOOLS = '''
import os, time
import agentkit

def _count(tag):
    with open(os.environ["COUNT_FILE"], "a") as f:
        f.write(tag + "\\n")

@agentkit.tool
def counted(tag: str) -> str:
    """Record one execution."""
    _count(tag)
    return tag

@agentkit.tool
def blocker(tag: str) -> str:
    """Record the start, then wait for the release file (at most 60 s)."""
    _count(tag)
    deadline = time.monotonic() + 60
    while not os.path.exists(os.environ["RELEASE_FILE"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return tag

@agentkit.hookimpl
def register_tools(register):
    register(counted)
    register(blocker)
'''

PLAN = {
    "steps": [
        {"id": "a", "tool": "counted", "args": {"tag": "a"}},
        {"id": "b", "tool": "counted", "args": {"tag": "b-after-${a}"}},
        {"id": "c", "tool": "blocker", "args": {"tag": "c"}},
    ]
}


def plugin_site(root: Path) -> Path:
    site = root / "site"
    site.mkdir()
    (site / "agentkit_fx_counting.py").write_text(TOOLS)
    info = site / "agentkit_fx_counting-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: agentkit-fx-counting\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text("[agentkit]\ncounting = agentkit_fx_counting\n")
    return site


def finished_steps(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM step_results").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_solve_killed_midway_resumes_without_running_finished_calls_again(tmp_path):
    home, counts, release = tmp_path / "home", tmp_path / "counts", tmp_path / "release"
    with FakeOpenAIServer(models=["fake-model"], api_key="sk-fake-key-for-resume") as server:
        env = {
            **os.environ,
            "AGENTKIT_HOME": str(home),
            "AGENTKIT_LOAD_PLUGINS": "counting",
            "AGENTKIT_MODEL": "fake-model",
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "sk-fake-key-for-resume",
            "PYTHONPATH": str(plugin_site(tmp_path)),
            "COUNT_FILE": str(counts),
            "RELEASE_FILE": str(release),
        }
        agentkit = [sys.executable, "-c", "from agentkit.cli import main; main()"]
        server.enqueue(Reply(tool_calls=[ToolCallSpec("make_plan", PLAN)]))
        solving = subprocess.Popen([*agentkit, "solve", "use the tools", "--json"], env=env)
        try:
            assert wait_until(lambda: finished_steps(home / "agentkit.db") >= 2, timeout=60)
            assert wait_until(lambda: "c" in counts.read_text().split(), timeout=30)
            solving.send_signal(signal.SIGKILL)
            assert solving.wait(30) == -signal.SIGKILL
        finally:
            if solving.poll() is None:
                solving.kill()
        assert sorted(counts.read_text().split()) == ["a", "b-after-a", "c"]

        [run_id] = [
            row["id"]
            for row in json.loads(
                subprocess.run(
                    [*agentkit, "runs", "list", "--json"],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=True,
                ).stdout
            )
        ]
        before = json.loads(
            subprocess.run(
                [*agentkit, "runs", "show", run_id, "--json"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
        )
        assert before["status"] == "running" and before["model_calls"] == 1

        release.write_text("go")
        server.enqueue(Reply(tool_calls=[ToolCallSpec("final_answer", {"answer": "done"})]))
        resumed = subprocess.run(
            [*agentkit, "runs", "resume", run_id, "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert resumed.returncode == 0, resumed.stderr
        result = json.loads(resumed.stdout)
        server.assert_complete()

    assert result["answer"] == "done" and result["run_id"] == run_id
    # a and b finished before the kill: reused, never run again; c was cut short: run again.
    assert sorted(counts.read_text().split()) == ["a", "b-after-a", "c", "c"]
    # The plan was checkpointed: the resumed run did not ask the model to plan again.
    assert len(server.requests) == 2
    assert "The plan ran. Results:" in json.dumps(server.requests[1]["messages"])
    after = sqlite3.connect(home / "agentkit.db")
    events = after.execute("SELECT type, name FROM events WHERE run_id = ? ORDER BY id", (run_id,))
    # Everything recorded before the kill is still there, then what the resume added.
    assert [tuple(row) for row in events] == [
        ("model_call", "fake-model"),
        ("tool_call", "counted"),
        ("tool_call", "counted"),
        ("tool_call", "blocker"),
        ("model_call", "fake-model"),
    ]
    status = after.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
    assert status == "unverified"  # no verifier applies: never presented as verified
