"""``agentkit eval``: a workflow scored on a JSONL dataset, in parallel worker processes.

The CLI runs for real (a subprocess, worker processes, the run store, math-verify);
the model is the fake OpenAI server, which gives every request the same reply, so the
order in which the workers reach it does not matter.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentkit.store import Store
from agentkit.testing.pytest_plugin import FAKE_OPENAI_KEY
from agentkit_workflows.evaluate import FieldMap, read_items

AGENTKIT = Path(sys.executable).with_name("agentkit")
CLI_SECONDS = 180
REPLY = "6 times 7 is 42.\nAnswer: 42"

FLOW = '''
import os
import time

import agentkit
from agentkit.replies import final_answer


@agentkit.workflow
def ask_once(ctx, problem: str, style: str = "short") -> dict:
    """Ask the model once; some problems crash, kill their worker, or hang."""
    print("working on", problem)  # must not spoil the --json output
    if "CRASH" in problem:
        raise RuntimeError("this item crashes")
    if "KILL" in problem:
        os._exit(7)
    if "HANG" in problem:
        time.sleep(60)
        return {"answer": None, "verified": False, "attempts": 1}
    if "NOMODEL" in problem:
        return {"answer": "42", "verified": False, "attempts": 1}
    answer = final_answer(ctx.ask(f"({style}) {problem}").content or "")
    verified = answer == "42"
    return {"answer": answer, "verified": verified, "attempts": 1, "candidates": [answer, "7"]}
'''

# Every model reply says 42: lines 1-2 are right, 3 wrong, 4 wrong but covered (a
# candidate is 7); 5 raises, 6 kills its worker, 7 is not JSON, 8 lacks the problem.
# A failed item with a gold answer counts as wrong; line 7 has none to count.
LINES = [
    json.dumps({"question": "What is 6*7?", "answer": "42", "level": 1}),
    json.dumps({"problem": "What is 40+2?", "solution": "40 + 2 = \\boxed{42}"}),
    json.dumps({"question": "What is 2+2?", "answer": "4"}),
    json.dumps({"question": "What is 3+4?", "gold": "7"}),
    json.dumps({"question": "CRASH on purpose", "answer": "1"}),
    json.dumps({"question": "KILL the worker", "answer": "1"}),
    '{"question": "broken',
    json.dumps({"text": "no problem here", "answer": "3"}),
]
MODEL_ITEMS = 4


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "flow.py").write_text(FLOW)
    (tmp_path / "data.jsonl").write_text("\n".join(LINES) + "\n")
    return tmp_path


def cli_env(workspace: Path, server) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AGENTKIT_HOME": str(workspace / "home"),
        "AGENTKIT_LOAD_PLUGINS": "workflows,solver",
        "AGENTKIT_MODEL": "fake-model",
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": FAKE_OPENAI_KEY,
    }


def agentkit_eval(workspace: Path, server, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AGENTKIT), "eval", *arguments],
        cwd=workspace,
        env=cli_env(workspace, server),
        capture_output=True,
        text=True,
        timeout=CLI_SECONDS,
    )


def run_eval(workspace: Path, server, *arguments: str) -> dict:
    common = ["flow.py", "data.jsonl", "--workers", "2", "--out", "out", "--json"]
    completed = agentkit_eval(workspace, server, *common, *arguments)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def results(workspace: Path) -> dict[int, dict]:
    lines = (workspace / "out" / "results.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert len({row["key"] for row in rows}) == len(rows), "an item was recorded twice"
    return {row["line"]: row for row in rows}


def store(workspace: Path) -> Store:
    return Store(workspace / "home" / "agentkit.db")


def test_eval_scores_items_in_parallel_and_records_each_failure(workspace, fake_openai):
    fake_openai.enqueue(*[REPLY] * MODEL_ITEMS)

    summary = run_eval(workspace, fake_openai, "--chart", "chart.png")

    assert len(fake_openai.requests) == MODEL_ITEMS
    numbers = {key: summary[key] for key in ("items", "finished", "failed", "with_gold")}
    assert numbers == {"items": 8, "finished": 4, "failed": 4, "with_gold": 7}
    assert (summary["correct"], summary["accuracy"]) == (2, 2 / 7)
    assert (summary["covered"], summary["coverage"]) == (3, 3 / 7)
    assert (summary["verified"], summary["verified_rate"]) == (4, 4 / 8)
    assert (summary["ran"], summary["skipped"]) == (8, 0)
    assert json.loads((workspace / "out" / "summary.json").read_text()) == {
        key: value for key, value in summary.items() if key != "chart"
    }

    rows = results(workspace)
    assert sorted(rows) == list(range(1, 9))
    outcomes = {line: (row["status"], row["correct"], row["covered"]) for line, row in rows.items()}
    assert outcomes == {
        1: ("done", True, True),
        2: ("done", True, True),
        3: ("done", False, False),
        4: ("done", False, True),
        5: ("failed", False, False),
        6: ("failed", False, False),
        7: ("failed", None, None),
        8: ("failed", False, False),
    }
    golds = [rows[line]["gold"] for line in range(1, 9)]
    assert golds == ["42", "42", "4", "7", "1", "1", None, "3"]
    assert rows[5]["error"] == "RuntimeError: this item crashes"
    assert rows[6]["error"] == "the worker process died (exit code 7) running this item"
    assert rows[7]["error"].startswith("not JSON: ")
    assert rows[8]["error"] == "no field 'problem' or 'question' for the input 'problem'"
    assert rows[1]["answer"] == "42" and rows[1]["candidates"] == ["42", "7"]

    png = (workspace / "chart.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and summary["chart"] == "chart.png"


def test_every_item_that_ran_is_a_run_with_its_tokens(workspace, fake_openai):
    fake_openai.enqueue(*[REPLY] * MODEL_ITEMS)

    summary = run_eval(workspace, fake_openai)

    rows, runs = results(workspace), store(workspace)
    assert rows[7]["run_id"] is None and rows[8]["run_id"] is None
    for line in range(1, 7):
        run = runs.get_run(rows[line]["run_id"])
        assert run is not None and run["kind"] == "workflow" and run["name"] == "ask_once"
        record = json.loads(LINES[line - 1])
        assert run["input"] == {"problem": record.get("question", record.get("problem"))}
        assert run["status"] == rows[line]["status"]
        used = sum(e["prompt_tokens"] + e["completion_tokens"] for e in runs.events(run["id"]))
        assert rows[line]["tokens"]["total"] == used
        assert (used > 0) == (line <= MODEL_ITEMS)
    assert runs.get_run(rows[6]["run_id"])["error"] == rows[6]["error"]  # the worker died
    assert len(runs.list_runs()) == 6
    assert summary["tokens"]["total"] == sum(row["tokens"]["total"] for row in rows.values())


def test_rerun_skips_finished_items_and_runs_only_new_or_edited_lines(workspace, fake_openai):
    fake_openai.enqueue(*[REPLY] * 2)
    first = run_eval(workspace, fake_openai, "--limit", "2")
    assert (first["items"], first["finished"], first["correct"]) == (2, 2, 2)
    assert len(fake_openai.requests) == 2

    fake_openai.enqueue(*[REPLY] * 2)  # for lines 3 and 4 only
    second = run_eval(workspace, fake_openai)
    assert (second["ran"], second["skipped"]) == (6, 2)
    assert len(fake_openai.requests) == 4
    assert (second["items"], second["finished"], second["failed"], second["correct"]) == (
        8,
        4,
        4,
        2,
    )

    third = run_eval(workspace, fake_openai)  # nothing left: no request, no run
    assert (third["ran"], third["skipped"]) == (0, 8)
    assert len(fake_openai.requests) == 4 and len(store(workspace).list_runs()) == 6
    assert len((workspace / "out" / "results.jsonl").read_text().splitlines()) == 8
    assert {k: v for k, v in third.items() if k not in ("ran", "skipped")} == {
        k: v for k, v in second.items() if k not in ("ran", "skipped")
    }

    edited = LINES.copy()
    edited[2] = json.dumps({"question": "What is 2+2?", "answer": "42"})  # line 3, now right
    (workspace / "data.jsonl").write_text("\n".join(edited) + "\n")
    fake_openai.enqueue(REPLY)
    fourth = run_eval(workspace, fake_openai)
    assert (fourth["ran"], fourth["skipped"], fourth["correct"]) == (1, 7, 3)
    assert len(fake_openai.requests) == 5
    assert results(workspace)[3]["correct"] is True


def test_an_interrupted_evaluation_continues_its_runs_when_rerun(workspace, fake_openai):
    items = [{"question": f"What is 6*7? (asked {n} times)", "answer": "42"} for n in range(4)]
    (workspace / "data.jsonl").write_text("".join(json.dumps(item) + "\n" for item in items))
    fake_openai.latency = 1.5
    fake_openai.enqueue(*[REPLY] * (MODEL_ITEMS + 2))  # the cut-short calls are made again
    arguments = ["flow.py", "data.jsonl", "--workers", "2", "--out", "out"]
    process = subprocess.Popen(
        [str(AGENTKIT), "eval", *arguments],
        cwd=workspace,
        env=cli_env(workspace, fake_openai),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + CLI_SECONDS
        while len(fake_openai.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)  # Ctrl-C, with two items waiting on the model
        _, stderr = process.communicate(timeout=CLI_SECONDS)
    finally:
        process.kill()
    assert process.returncode == 130 and stderr.endswith("Error: aborted\n")
    begun = [json.loads(line) for line in (workspace / "out" / "started.jsonl").open()]
    assert len(begun) >= 2

    summary = run_eval(workspace, fake_openai)

    assert (summary["finished"], summary["correct"]) == (4, 4)
    rows = {row["key"]: row for row in results(workspace).values()}
    assert all(rows[entry["key"]]["run_id"] == entry["run_id"] for entry in begun)
    assert len(store(workspace).list_runs()) == 4  # continued, not started again


def test_an_item_past_its_timeout_fails_and_the_rest_finish(workspace, fake_openai):
    lines = [
        {"question": "HANG for a minute", "answer": "1"},
        {"question": "NOMODEL", "answer": "42"},
    ]
    (workspace / "data.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))

    summary = run_eval(workspace, fake_openai, "--timeout", "3")

    rows = results(workspace)
    assert rows[1]["error"] == "timed out after 3 s; its worker was stopped"
    assert store(workspace).get_run(rows[1]["run_id"])["status"] == "failed"
    assert rows[2]["status"] == "done" and rows[2]["correct"] is True
    assert (summary["finished"], summary["failed"], summary["accuracy"]) == (1, 1, 0.5)


def test_a_different_model_into_the_same_out_dir_is_refused(workspace, fake_openai):
    (workspace / "data.jsonl").write_text(
        json.dumps({"question": "NOMODEL", "answer": "42"}) + "\n"
    )
    run_eval(workspace, fake_openai)

    completed = agentkit_eval(
        workspace, fake_openai, "flow.py", "data.jsonl", "--out", "out", "-m", "other-model"
    )

    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and "holds another evaluation" in completed.stderr
    assert "model 'fake-model'" in completed.stderr and "Traceback" not in completed.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["missing.py", "data.jsonl"], "no workflow file missing.py"),
        (["flow.py", "data.jsonl", "--field", "nope=question"], "has no input 'nope'"),
        (["flow.py", "data.jsonl", "--field", "problem"], "is not INPUT=COLUMN"),
        (["flow.py", "missing.jsonl"], "'missing.jsonl' does not exist"),
        (["flow.py", "data.jsonl", "--chart", "chart.svg"], "is not a .png file"),
        (["flow.py", "data.jsonl", "--input", "[1]"], "must be a JSON object"),
    ],
)
def test_bad_usage_is_one_line_and_exit_status_2(workspace, fake_openai, arguments, message):
    completed = agentkit_eval(workspace, fake_openai, *arguments)

    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.count("\n") == 1 and message in completed.stderr
    assert completed.stdout == "" and not (workspace / "evals").exists()


# -- how dataset lines become inputs and gold answers (in-process, no model) -------------


def flow_fields(tmp_path: Path, **options) -> FieldMap:
    from agentkit.workflow_loader import load_workflow

    (tmp_path / "flow.py").write_text(FLOW)
    return FieldMap.for_workflow(load_workflow(str(tmp_path / "flow.py")), **options)


def items_of(tmp_path: Path, fields: FieldMap, *records: dict) -> list:
    data = tmp_path / "items.jsonl"
    data.write_text("".join(json.dumps(record) + "\n" for record in records))
    return read_items(data, fields)


def test_common_dataset_shapes_map_to_inputs_and_gold(tmp_path):
    fields = flow_fields(tmp_path)
    items = items_of(
        tmp_path,
        fields,
        {"question": "q1", "answer": "#### 72", "id": 9},  # GSM8K's gold, an extra field
        {"problem": "q2", "solution": "So it is \\boxed{\\frac{1}{2}}."},  # MATH
        {"problem": "q3", "gold": 5, "style": "long"},
        {"problem": "q4"},
    )

    assert [(item.inputs, item.gold, item.error) for item in items] == [
        ({"problem": "q1"}, "72", None),
        ({"problem": "q2"}, "\\frac{1}{2}", None),
        ({"problem": "q3", "style": "long"}, "5", None),
        ({"problem": "q4"}, None, None),
    ]


def test_explicit_fields_gold_column_and_fixed_inputs_win(tmp_path):
    fields = flow_fields(
        tmp_path, fields={"problem": "prompt"}, fixed={"style": "terse"}, gold="target"
    )
    good, missing = items_of(
        tmp_path,
        fields,
        {"prompt": "p", "question": "ignored", "target": "3", "answer": "9", "style": "x"},
        {"question": "no prompt"},
    )

    assert (good.inputs, good.gold) == ({"problem": "p", "style": "terse"}, "3")
    assert missing.error == "no field 'prompt' for the input 'problem'"


def test_blank_lines_are_skipped_and_limit_counts_items(tmp_path):
    fields = flow_fields(tmp_path)
    data = tmp_path / "items.jsonl"
    data.write_text('{"problem": "a"}\n\n{"problem": "b"}\n{"problem": "c"}\n')

    items = read_items(data, fields, limit=2)

    assert [(item.line, item.inputs) for item in items] == [
        (1, {"problem": "a"}),
        (3, {"problem": "b"}),
    ]
    assert len({item.key for item in read_items(data, fields)}) == 3
