"""Workflows: durable tool and model calls through ``ctx``, found by name or by path.

Real SQLite, real tools and the real checkpointer; only the model is scripted. The
durability test kills a real ``agentkit`` process with SIGKILL mid-run and resumes it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import agentkit
from agentkit import Store, Verdict
from agentkit.cli import cli
from agentkit.testing import Reply, ScriptedModel, ToolCallSpec
from agentkit.workflow_loader import load_workflow
from agentkit.workflows import WorkflowError, WorkflowFailed, resume_workflow

WAIT = 60.0  # seconds: the bound on every wait for another process

CALLS: list[str] = []


@agentkit.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    CALLS.append("add")
    return a + b


@agentkit.tool
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


class Equals:
    """Passes exactly one answer."""

    name = "equals"

    def __init__(self, want: str) -> None:
        self.want = want

    def applies_to(self, candidate, problem) -> bool:
        return True

    def verify(self, candidate, problem, ctx=None) -> Verdict:
        if candidate == self.want:
            return Verdict(status="passed")
        return Verdict(status="failed", feedback="wrong", counterexample={"got": candidate})


@agentkit.workflow
def sum_and_tell(ctx: agentkit.Context, a: int, b: int) -> dict:
    """Add with the tool, then ask the model to phrase it."""
    total = ctx.call("add", a=a, b=b)
    reply = ctx.ask(f"Say {total.output} in words.")
    return {"total": total.output, "words": reply.content}


@agentkit.workflow(name="async-sum")
async def async_sum(ctx: agentkit.Context, pairs: list) -> dict:
    """Add every pair at once, then ask the model."""
    results = await asyncio.gather(*(ctx.acall("add", a=a, b=b) for a, b in pairs))
    reply = await ctx.aask("And the total?")
    await ctx.alog("added", count=len(results))
    return {"sums": [r.output for r in results], "said": reply.content}


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "runs.db")


@pytest.fixture
def tools(add_plugin):
    add_plugin("wf-tools", register_tools=lambda register: [register(add), register(shout)])


def types(store, run_id):
    return [(event["type"], event["name"]) for event in store.events(run_id)]


def write(path: Path, source: str) -> Path:
    path.write_text(textwrap.dedent(source))
    return path


# -- running -----------------------------------------------------------------------------


def test_workflow_calls_tools_and_the_model_and_records_the_run(tools, store):
    model = ScriptedModel(replies=("five",))
    outcome = sum_and_tell.run({"a": 2, "b": 3}, model=model, store=store)

    assert outcome.result == {"total": 5, "words": "five"}
    assert model.calls[0]["messages"] == [{"role": "user", "content": "Say 5 in words."}]
    assert types(store, outcome.run_id) == [("tool_call", "add"), ("model_call", "scripted")]
    row = store.get_run(outcome.run_id)
    assert (row["kind"], row["name"], row["status"]) == ("workflow", "sum_and_tell", "done")
    assert row["input"] == {"a": 2, "b": 3}
    assert row["output"] == outcome.result


def test_workflow_takes_its_name_and_description_from_the_function():
    assert sum_and_tell.name == "sum_and_tell"
    assert sum_and_tell.description == "Add with the tool, then ask the model to phrase it."
    assert async_sum.name == "async-sum"
    assert async_sum.is_async and not sum_and_tell.is_async


def test_async_workflow_runs_calls_concurrently_and_records_them(tools, store):
    outcome = async_sum.run(
        {"pairs": [[1, 2], [3, 4], [5, 6]]}, model=ScriptedModel(replies=("21",)), store=store
    )

    assert outcome.result == {"sums": [3, 7, 11], "said": "21"}
    recorded = types(store, outcome.run_id)
    assert recorded.count(("tool_call", "add")) == 3
    assert recorded[-2:] == [("model_call", "scripted"), ("log", "async-sum")]


def test_arun_works_from_inside_an_event_loop(tools, store):
    async def main():
        return await sum_and_tell.arun(
            {"a": 1, "b": 1}, model=ScriptedModel(replies=("two",)), store=store
        )

    assert asyncio.run(main()).result == {"total": 2, "words": "two"}


def test_sync_method_in_an_async_workflow_fails_the_run_with_a_hint(tools, store):
    @agentkit.workflow
    async def mixed(ctx):
        return ctx.call("add", a=1, b=2).output

    with pytest.raises(WorkflowFailed, match=r"await the async one instead \(ctx.acall"):
        mixed.run(store=store)
    assert CALLS == []


def test_log_and_verify_are_recorded_as_events(store):
    @agentkit.workflow
    def judged(ctx, answer: str):
        ctx.log("judging", answer=answer)
        verdicts = ctx.verify(answer, "what is 2+2?", verifiers=[Equals("4")])
        return [verdict.status for verdict in verdicts]

    outcome = judged.run({"answer": "5"}, store=store)

    assert outcome.result == ["failed"]
    log, verdict = store.events(outcome.run_id)
    assert (log["type"], log["payload"]) == (
        "log",
        {"message": "judging", "data": {"answer": "5"}},
    )
    assert (verdict["type"], verdict["name"], verdict["ok"]) == ("verdict", "equals", 0)
    assert verdict["payload"]["counterexample"] == {"got": "5"}


def test_verify_uses_registered_verifiers_by_name(add_plugin, store):
    add_plugin("checks", register_verifiers=lambda register: register(Equals("4")))

    @agentkit.workflow
    def judged(ctx):
        return [v.model_dump() for v in ctx.verify("4", verifiers=["equals"])]

    assert judged.run(store=store).result[0]["status"] == "passed"


class SumIsTen:
    """Checks a pair with the workflow's own durable tool call: it needs its ``ctx``."""

    name = "sum_is_ten"

    def applies_to(self, candidate, problem) -> bool:
        return True

    def verify(self, candidate, problem, ctx=None) -> Verdict:
        total = ctx.call("add", a=candidate[0], b=candidate[1]).output
        if total == 10:
            return Verdict(status="passed")
        return Verdict(status="failed", feedback=f"they add up to {total}, not 10")


@agentkit.workflow(name="pair-to-ten")
def pair_to_ten(ctx: agentkit.Context) -> dict:
    def generate(problem, feedback):
        said = "; ".join(verdict.feedback for verdict in feedback) or "first try"
        return json.loads(ctx.ask(f"{problem} ({said})").content)

    refined = ctx.refine(generate, "Two integers adding up to 10?", [SumIsTen()], attempts=3)
    return {"pair": refined.candidate, "verified": refined.verified}


def test_refine_judges_with_a_ctx_and_a_resume_neither_redoes_nor_rerecords_a_verdict(tools, store):
    failing = ScriptedModel(replies=("[3, 4]", ConnectionError("the endpoint went away")))
    with pytest.raises(WorkflowFailed) as caught:
        pair_to_ten.run(model=failing, store=store)
    run_id = caught.value.run_id
    assert [e["ok"] for e in store.events(run_id) if e["type"] == "verdict"] == [0]

    model = ScriptedModel(replies=("[4, 6]",))
    outcome = resume_workflow(run_id, model=model, store=store, workflow=pair_to_ten)

    assert outcome.result == {"pair": [4, 6], "verified": True}
    assert CALLS == ["add", "add"]  # [3, 4] was checked once, before the failure
    verdicts = [e for e in store.events(run_id) if e["type"] == "verdict"]
    assert [(v["name"], v["ok"]) for v in verdicts] == [("sum_is_ten", 0), ("sum_is_ten", 1)]
    assert "they add up to 7, not 10" in model.calls[0]["messages"][0]["content"]


@agentkit.workflow(name="async-pair-to-ten")
async def async_pair_to_ten(ctx: agentkit.Context) -> dict:
    async def generate(problem, feedback):
        said = "; ".join(verdict.feedback for verdict in feedback) or "first try"
        return json.loads((await ctx.aask(f"{problem} ({said})")).content)

    refined = await ctx.arefine(generate, "Two integers adding up to 10?", [SumIsTen()])
    return {"pair": refined.candidate, "verified": refined.verified}


def test_arefine_in_an_async_workflow_lets_its_verifier_call_tools_and_resumes_the_same(
    tools, store
):
    failing = ScriptedModel(replies=("[3, 4]", ConnectionError("the endpoint went away")))
    with pytest.raises(WorkflowFailed) as caught:
        async_pair_to_ten.run(model=failing, store=store)
    run_id = caught.value.run_id

    model = ScriptedModel(replies=("[4, 6]",))
    outcome = resume_workflow(run_id, model=model, store=store, workflow=async_pair_to_ten)

    assert outcome.result == {"pair": [4, 6], "verified": True}
    assert CALLS == ["add", "add"]
    verdicts = [e["ok"] for e in store.events(run_id) if e["type"] == "verdict"]
    assert verdicts == [0, 1]


def test_an_async_workflow_may_not_block_its_event_loop_with_a_sync_call(tools, store):
    @agentkit.workflow
    async def blocking(ctx: agentkit.Context) -> int:
        return ctx.call("add", a=1, b=2).output

    with pytest.raises(WorkflowFailed, match=r"would block async workflow .*ctx\.acall"):
        blocking.run(store=store)
    assert CALLS == []


def test_builtin_solve_workflow_runs_the_planner_graph_as_a_child_run(tools, store):
    plan = {"steps": [{"id": "s1", "tool": "add", "args": {"a": 2, "b": 3}}]}
    model = ScriptedModel(
        replies=(
            Reply(tool_calls=[ToolCallSpec("make_plan", plan)]),
            Reply(tool_calls=[ToolCallSpec("final_answer", {"answer": "5"})]),
        )
    )
    solve = load_workflow("solve")
    assert solve.plugin == "agentkit._builtin"

    outcome = solve.run({"problem": "2+3?", "tools": ["add"]}, model=model, store=store)

    result = outcome.result
    assert (result["answer"], result["verified"]) == ("5", False)
    child = store.get_run(result["run_id"])
    assert (child["kind"], child["meta"]["parent"]) == ("solve", outcome.run_id)
    assert ("tool_call", "add") in types(store, child["id"])
    assert CALLS == ["add"]


def test_workflow_returning_something_that_is_not_json_fails_the_run(store):
    @agentkit.workflow
    def returns_an_object(ctx):
        return object()

    with pytest.raises(WorkflowFailed, match="returned a object, which is not JSON") as caught:
        returns_an_object.run(store=store)
    assert store.get_run(caught.value.run_id)["status"] == "failed"


def test_bad_inputs_are_refused_before_a_run_starts(store):
    with pytest.raises(WorkflowError, match=r"unexpected keyword argument 'c' \(it takes: a, b\)"):
        sum_and_tell.run({"a": 1, "b": 2, "c": 3}, store=store)
    with pytest.raises(WorkflowError, match="missing a required argument: 'b'"):
        sum_and_tell.run({"a": 1}, store=store)
    assert store.list_runs() == []


# -- finding workflows -------------------------------------------------------------------


def test_registered_workflow_is_found_by_name_and_stamped_with_its_plugin(add_plugin, tools, store):
    def plain(ctx, text: str) -> str:
        """A plain function registered as a workflow."""
        return ctx.call("shout", text=text).output

    add_plugin(
        "flows",
        register_workflows=lambda register: [register(sum_and_tell), register(plain, name="loud")],
    )

    loud = load_workflow("loud")
    assert (loud.name, loud.plugin, loud.source) == ("loud", "flows", "loud")
    assert loud.run({"text": "hey"}, store=store).result == "HEY"
    assert load_workflow("sum_and_tell").plugin == "flows"


def test_unknown_workflow_suggests_a_close_name(add_plugin):
    add_plugin("flows", register_workflows=lambda register: register(sum_and_tell))
    with pytest.raises(
        WorkflowError, match=r"unknown workflow 'sum_and_tel'; did you mean 'sum_and_tell'\?"
    ):
        load_workflow("sum_and_tel")


def test_workflow_is_loaded_from_a_py_path_with_its_own_tool(tmp_path, store):
    path = write(
        tmp_path / "double.py",
        """
        import agentkit

        @agentkit.tool
        def double(x: int) -> int:
            '''Double a number.'''
            return 2 * x

        @agentkit.workflow
        def doubled(ctx, x: int) -> int:
            '''Double twice.'''
            return ctx.call(double, x=ctx.call(double, x=x).output).output
        """,
    )
    flow = load_workflow(str(path))
    assert (flow.name, flow.description, flow.source) == (
        "doubled",
        "Double twice.",
        f"{path}:doubled",
    )
    outcome = flow.run({"x": 3}, store=store)
    assert outcome.result == 12
    assert types(store, outcome.run_id) == [("tool_call", "double")] * 2


def test_py_path_with_several_workflows_needs_a_name(tmp_path):
    path = write(
        tmp_path / "two.py",
        """
        import agentkit
        from agentkit.workflows import solve_workflow  # imported, so not one of this file's

        @agentkit.workflow
        def first(ctx):
            return 1

        @agentkit.workflow(name="second")
        def other(ctx):
            return 2
        """,
    )
    with pytest.raises(WorkflowError, match=r"several workflows \(first, second\); pick one as"):
        load_workflow(str(path))
    assert load_workflow(f"{path}:second").name == "second"
    with pytest.raises(
        WorkflowError, match=r"has no workflow 'third' \(it defines: first, second\)"
    ):
        load_workflow(f"{path}:third")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", "defines no @agentkit.workflow"),
        ("def broken(:\n", "cannot load workflow file .*: SyntaxError"),
        ("raise RuntimeError('nope')\n", "cannot load workflow file .*: RuntimeError: nope"),
    ],
)
def test_py_path_that_gives_no_workflow_is_a_clear_error(tmp_path, source, message):
    path = tmp_path / "flow.py"
    path.write_text(source)
    with pytest.raises(WorkflowError, match=message):
        load_workflow(str(path))


def test_missing_py_path_is_a_clear_error(tmp_path):
    with pytest.raises(WorkflowError, match=r"no workflow file .*nowhere\.py"):
        load_workflow(str(tmp_path / "nowhere.py"))


# -- the command line --------------------------------------------------------------------


@pytest.fixture
def scripted_models(add_plugin):
    model = ScriptedModel("scripted")
    add_plugin("wf-models", register_models=lambda register: register(model))
    return model


def test_cli_run_prints_one_json_document_with_the_run_id(tools, add_plugin, scripted_models):
    add_plugin("flows", register_workflows=lambda register: register(sum_and_tell))
    scripted_models.enqueue("seven")

    result = CliRunner().invoke(
        cli, ["run", "sum_and_tell", "--input", '{"a": 3, "b": 4}', "-m", "scripted", "--json"]
    )

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["result"] == {"total": 7, "words": "seven"}
    row = Store().get_run(document["run_id"])
    assert (row["kind"], row["status"], row["meta"]["model"]) == ("workflow", "done", "scripted")


def test_cli_runs_a_workflow_file_and_prints_its_result(tmp_path):
    path = write(
        tmp_path / "greet.py",
        """
        import agentkit

        @agentkit.workflow
        def greet(ctx, name: str) -> str:
            return f"hello {name}"
        """,
    )
    result = CliRunner().invoke(cli, ["run", str(path), "--input", '{"name": "ada"}'])
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello ada\n"
    assert result.stderr.startswith("run ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "{nope"], "Invalid value for --input: not valid JSON"),
        (["--input", "[1]"], "Invalid value for --input: must be a JSON object"),
        (["--input", '{"a": 1}'], "bad input for workflow 'sum_and_tell'"),
    ],
)
def test_cli_rejects_bad_input_in_one_line(add_plugin, args, message):
    add_plugin("flows", register_workflows=lambda register: register(sum_and_tell))
    result = CliRunner().invoke(cli, ["run", "sum_and_tell", *args])
    assert result.exit_code != 0
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.output


def test_cli_unknown_workflow_is_one_line_with_a_suggestion(add_plugin):
    add_plugin("flows", register_workflows=lambda register: register(sum_and_tell))
    result = CliRunner().invoke(cli, ["run", "sum_and_tel"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown workflow 'sum_and_tel'; did you mean")
    assert result.stderr.count("\n") == 1


def test_cli_workflow_that_raises_is_recorded_as_failed_and_reported_in_one_line(tmp_path):
    path = write(
        tmp_path / "boom.py",
        """
        import agentkit

        @agentkit.workflow
        def boom(ctx):
            ctx.log("about to fail")
            raise ValueError("the input was odd")
        """,
    )
    result = CliRunner().invoke(cli, ["run", str(path), "--json"])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "workflow 'boom' failed in run" in result.stderr
    assert "ValueError: the input was odd" in result.stderr
    (row,) = Store().list_runs()
    assert (row["status"], row["error"]) == ("failed", "ValueError: the input was odd")
    assert [e["type"] for e in Store().events(row["id"])] == ["log"]


# -- durability --------------------------------------------------------------------------

COUNTING_FLOW = """
import time
from pathlib import Path

import agentkit


def bump(path: Path) -> int:
    count = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(count))
    return count


@agentkit.tool
def count(work: str) -> int:
    '''Count this execution in a file.'''
    return bump(Path(work) / "count")


@agentkit.tool
def wait_for_go(work: str) -> str:
    '''Note the start, then block until the file "go" appears (at most 60 s).'''
    bump(Path(work) / "started")
    deadline = time.monotonic() + 60
    while not (Path(work) / "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("no go file")
        time.sleep(0.02)
    return "went"


@agentkit.workflow
def counting(ctx, work: str) -> dict:
    ctx.log("starting", work=work)
    first = ctx.call(count, work=work)
    said = ctx.ask("Say something.")
    second = ctx.call(wait_for_go, work=work)
    return {"first": first.output, "said": said.content, "second": second.output}
"""

START_IN_SUBPROCESS = """
import sys
from agentkit.testing import ScriptedModel
from agentkit.workflow_loader import load_workflow

load_workflow(sys.argv[1]).run({"work": sys.argv[2]}, model=ScriptedModel(replies=("noted",)))
"""


def wait_until(condition, what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g}s waiting for {what}")
        time.sleep(0.02)


def checkpointed_calls(store: Store, run_id: str) -> int:
    """How many durable calls of the run have their result in the checkpoint."""
    saver = store.checkpointer()
    try:
        saved = saver.get_tuple({"configurable": {"thread_id": run_id}})
    finally:
        saver.conn.close()
    if saved is None:
        return 0
    return len({task for task, channel, _ in saved.pending_writes if channel != "__error__"})


def test_sigkilled_workflow_resumes_without_redoing_finished_calls(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    flow = write(tmp_path / "counting.py", COUNTING_FLOW)
    process = subprocess.Popen(
        [sys.executable, "-c", START_IN_SUBPROCESS, str(flow), str(work)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    store = Store()
    try:
        wait_until(lambda: (work / "count").exists(), "the first tool call")
        wait_until(lambda: (work / "started").exists(), "the blocking tool call to start")
        (run,) = store.list_runs()
        # log, count and ask have finished; their results reach the checkpoint a moment
        # after each returns, so wait for that before pulling the plug.
        wait_until(lambda: checkpointed_calls(store, run["id"]) >= 3, "the checkpoint")
        before = store.events(run["id"])
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=WAIT)
    assert process.returncode == -signal.SIGKILL
    assert store.get_run(run["id"])["status"] == "running"

    (work / "go").touch()
    outcome = resume_workflow(run["id"], model=ScriptedModel())  # no replies: a call would fail

    assert outcome.result == {"first": 1, "said": "noted", "second": "went"}
    assert (work / "count").read_text() == "1"  # finished before the kill: never run again
    assert (work / "started").read_text() == "2"  # cut short by the kill: run again
    after = store.events(run["id"])
    assert after[: len(before)] == before  # nothing recorded before the kill is lost
    assert [(e["type"], e["name"]) for e in after] == [
        ("log", "counting"),
        ("tool_call", "count"),
        ("model_call", "scripted"),
        ("tool_call", "wait_for_go"),
    ]
    assert store.get_run(run["id"])["status"] == "done"


def test_resume_after_a_model_error_reuses_the_finished_tool_call(tools, store):
    failing = ScriptedModel(replies=(ConnectionError("the endpoint went away"),))
    with pytest.raises(WorkflowFailed) as caught:
        sum_and_tell.run({"a": 2, "b": 2}, model=failing, store=store)
    run_id = caught.value.run_id
    assert store.get_run(run_id)["status"] == "failed"

    outcome = resume_workflow(
        run_id, model=ScriptedModel(replies=("four",)), store=store, workflow=sum_and_tell
    )

    assert outcome.result == {"total": 4, "words": "four"}
    assert CALLS == ["add"]
    assert store.get_run(run_id)["status"] == "done"


def test_start_records_a_run_that_resume_then_runs(tools, store):
    run = sum_and_tell.start({"a": 3, "b": 4}, model="scripted", store=store)
    recorded = store.get_run(run.id)
    assert recorded["status"] == "running" and recorded["name"] == "sum_and_tell"
    assert CALLS == []  # recorded, not run
    outcome = resume_workflow(
        run.id, model=ScriptedModel(replies=("seven",)), store=store, workflow=sum_and_tell
    )
    assert outcome.result == {"total": 7, "words": "seven"} and outcome.run_id == run.id
    with pytest.raises(WorkflowError, match="b"):
        sum_and_tell.start({"a": 1}, store=store)  # bad inputs: refused before any run


def test_resuming_a_finished_run_returns_its_result_without_running(tools, store):
    first = sum_and_tell.run({"a": 1, "b": 2}, model=ScriptedModel(replies=("three",)), store=store)
    again = resume_workflow(first.run_id, model=ScriptedModel(), store=store, workflow=sum_and_tell)
    assert again == first
    assert CALLS == ["add"]


def test_resume_refuses_unknown_and_non_workflow_runs(store):
    with pytest.raises(WorkflowError, match="no run 'nope'"):
        resume_workflow("nope", store=store)
    other = store.start_run("solve", "solve", input={"problem": "x"})
    with pytest.raises(WorkflowError, match="is a 'solve' run, not a workflow run"):
        resume_workflow(other.id, store=store)


def test_runs_show_says_how_an_unverified_workflow_answer_was_chosen():
    @agentkit.workflow
    def voted(ctx: agentkit.Context) -> dict:
        return {"answer": "2", "verified": False, "selected_by": "vote"}

    @agentkit.workflow
    def unsure(ctx: agentkit.Context) -> dict:
        return {"answer": "3", "verified": False}

    for flow, said in (
        (voted, "verified: NO (chosen by vote, not by a verifier)"),
        (unsure, "verified: NO (no verifier passed it)"),
    ):
        run_id = flow.run().run_id  # the default store, which the command reads
        shown = CliRunner().invoke(cli, ["runs", "show", run_id])
        assert shown.exit_code == 0, shown.output
        assert shown.stdout.splitlines()[-1] == said


@agentkit.workflow(name="fails-among-siblings")
async def fails_among_siblings(ctx: agentkit.Context) -> None:
    async def fail_soon():
        await asyncio.sleep(0.01)
        raise RuntimeError("a sibling failed")

    await asyncio.gather(*(ctx.acall("add", a=i, b=1) for i in range(8)), fail_soon())


def test_an_async_run_that_fails_while_siblings_are_saved_is_recorded_as_failed(tools, tmp_path):
    # A failure while LangGraph was still saving the siblings' results used to leave the
    # checkpointer's connection holding the write lock: recording "failed" then waited
    # out the busy timeout and raised "database is locked" (about 1 run in 5).
    for attempt in range(25):
        store = Store(tmp_path / f"runs-{attempt}.db")
        with pytest.raises(WorkflowFailed, match="a sibling failed"):
            fails_among_siblings.run(store=store)
        (run,) = store.list_runs()
        assert run["status"] == "failed"
