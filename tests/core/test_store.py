from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from typing import TypedDict

import pytest

import agentkit
from agentkit import store as store_module
from agentkit.store import Store, current_run


@agentkit.tool
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


def test_default_location_is_under_agentkit_home(isolated_agentkit):
    assert Store().path == isolated_agentkit / "agentkit.db"
    assert (isolated_agentkit / "agentkit.db").exists()


def test_migrations_run_once_in_order_and_are_recorded(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    first = ["m001_runs_and_events", "m002_model_cache", "m003_step_results"]
    assert Store(path).applied_migrations() == first

    applied = []

    def m002_add_tags(db):
        applied.append(True)
        db.execute("ALTER TABLE runs ADD COLUMN tags TEXT")

    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, m002_add_tags])
    assert Store(path).applied_migrations() == [*first, "m002_add_tags"]
    Store(path)
    assert applied == [True]
    columns = [row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(runs)")]
    assert "tags" in columns


def test_database_uses_wal_and_a_busy_timeout(tmp_path):
    db = Store(tmp_path / "runs.db").connect()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000


def test_tool_calls_are_recorded_with_timing_and_result(tmp_path):
    run = Store(tmp_path / "runs.db").start_run("test", "shouting", input={"why": "test"})
    with run.activate():
        agentkit.call_tool(shout, {"text": "hi"})
    agentkit.call_tool(shout, {"text": "unrecorded"})
    run.finish(output="HI")
    [event] = run.store.events(run.id)
    assert event["type"] == "tool_call" and event["name"] == "shout" and event["ok"] == 1
    assert event["payload"]["arguments"] == {"text": "hi"}
    assert event["payload"]["result"]["output"] == "HI"
    assert 0 < event["elapsed"] < 1
    saved = run.store.get_run(run.id)
    assert (saved["status"], saved["input"], saved["output"]) == ("done", {"why": "test"}, "HI")
    assert current_run.get() is None


def test_secrets_never_reach_the_database(tmp_path, monkeypatch):
    secret = "sk-test-0123456789abcdefghijkl"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-very-private-42")
    store = Store(tmp_path / "runs.db")
    run = store.start_run("test", "secrets", input={"api_key": "literal-key", "note": secret})
    run.record(
        "model_call",
        "m",
        started=0,
        elapsed=0,
        payload={
            "headers": {"Authorization": "Bearer abcdefghijklmnop"},
            "text": "use tok-very-private-42 and Bearer zyxwvutsrqponm please",
            "prompt_tokens": 12,
        },
    )
    run.finish(error=f"failed with key {secret}")
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for leaked in (secret, "literal-key", "abcdefghijklmnop", "tok-very-private-42", "zyxwvuts"):
        assert leaked.encode() not in raw
    payload = Store(tmp_path / "runs.db").events(run.id)[0]["payload"]
    assert payload["prompt_tokens"] == 12  # "tokens" is not a secret


WRITER = """
import sys
from agentkit.store import Store
store = Store(sys.argv[1])
run = store.start_run("load", sys.argv[2])
for i in range(150):
    run.record("log", "line", started=0.0, elapsed=0.0, payload={"i": i})
run.finish()
"""


def test_many_processes_and_threads_write_at_once(tmp_path):
    path = tmp_path / "runs.db"
    Store(path)
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"proc{i}"]) for i in range(4)
    ]
    store = Store(path)

    def write(name: str) -> None:
        run = store.start_run("load", name)
        for i in range(150):
            run.record("log", "line", started=0.0, elapsed=0.0, payload={"i": i})
        run.finish()

    threads = [threading.Thread(target=write, args=(f"thread{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [proc.wait(60) for proc in procs] == [0, 0, 0, 0]
    runs = store.list_runs(limit=100)
    assert len(runs) == 8 and {r["status"] for r in runs} == {"done"}
    assert all(len(store.events(r["id"])) == 150 for r in runs)


def test_langgraph_checkpoints_live_in_the_same_database(tmp_path):
    from langgraph.graph import END, START, StateGraph

    class State(TypedDict):
        count: int

    graph = StateGraph(State)
    graph.add_node("bump", lambda state: {"count": state["count"] + 1})
    graph.add_edge(START, "bump")
    graph.add_edge("bump", END)
    path = tmp_path / "runs.db"
    compiled = graph.compile(checkpointer=Store(path).checkpointer())
    config = {"configurable": {"thread_id": "t1"}}
    assert compiled.invoke({"count": 41}, config) == {"count": 42}

    reopened = graph.compile(checkpointer=Store(path).checkpointer())
    assert reopened.get_state(config).values == {"count": 42}
    tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert {"runs", "events", "checkpoints", "writes"} <= tables


def test_an_unwritable_home_gives_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(agentkit.errors.StoreError, match="cannot open the run store"):
        Store(blocker / "sub" / "runs.db")


def test_usage_sums_token_counts_of_a_run(tmp_path):
    run = Store(tmp_path / "runs.db").start_run("test", "usage")
    run.record("model_call", "m", started=0, elapsed=0, prompt_tokens=10, completion_tokens=2)
    run.record("model_call", "m", started=0, elapsed=0, prompt_tokens=5, completion_tokens=1)
    assert run.usage() == {"prompt_tokens": 15, "completion_tokens": 3}


def test_usage_with_children_adds_the_runs_it_started_and_theirs(tmp_path):
    store = Store(tmp_path / "runs.db")
    parent = store.start_run("workflow", "outer")
    child = store.start_run("solve", "inner", meta={"parent": parent.id})
    grandchild = store.start_run("solve", "inner-most", meta={"parent": child.id})
    stranger = store.start_run("solve", "other")
    for run, tokens in ((parent, 1), (child, 10), (grandchild, 100), (stranger, 1000)):
        run.record("model_call", "m", started=0, elapsed=0, prompt_tokens=tokens)
    assert parent.usage() == {"prompt_tokens": 1, "completion_tokens": 0}
    assert parent.usage(children=True) == {"prompt_tokens": 111, "completion_tokens": 0}
    assert child.usage(children=True)["prompt_tokens"] == 110


def test_verdicts_are_recorded_in_the_current_run(tmp_path):
    from agentkit.verify import Verdict, record_verdict

    run = Store(tmp_path / "runs.db").start_run("test", "verdicts")
    verdict = Verdict(status="failed", feedback="f(3) != 4", counterexample={"x": 3}, verifier="cx")
    with run.activate():
        record_verdict(verdict, elapsed=0.25)
    record_verdict(Verdict(status="passed"))  # no current run: nothing to write, no error
    [event] = run.store.events(run.id)
    assert (event["type"], event["name"], event["ok"], event["elapsed"]) == (
        "verdict",
        "cx",
        0,
        0.25,
    )
    assert event["payload"]["counterexample"] == {"x": 3}
