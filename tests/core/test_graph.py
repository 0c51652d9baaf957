"""The planner graph end to end: the real ``openai`` client against the fake server.

Each test scripts what the "model" says, runs one solve in a fresh store, and checks
both the result and the trail: the run's events (model calls, tool calls, verdicts)
and what the model was actually sent (the server's recorded requests).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

import agentkit
from agentkit import Store
from agentkit.graph import Budgets, Solver, run_solver
from agentkit.models import OpenAIModel
from agentkit.planner import ANSWER_SYSTEM
from agentkit.testing import Reply, ScriptedModel, ToolCallSpec, count_message_tokens
from agentkit.verify import Verdict

SOLVE_TIMEOUT = 20.0  # seconds; every solve here takes well under one

FINISHED: dict[str, float] = {}


@agentkit.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@agentkit.tool
def fail(message: str) -> None:
    """Always raise."""
    raise RuntimeError(message)


@agentkit.tool
async def nap(seconds: float, label: str) -> str:
    """Sleep, then note when this label finished."""
    await asyncio.sleep(seconds)
    FINISHED[label] = time.monotonic()
    return label


TOOLS = {tool.name: tool for tool in (add, fail, nap)}


class Expect:
    """Passes exactly one answer; rejects any other with feedback and a counterexample."""

    def __init__(self, want: str, name: str = "expect") -> None:
        self.want = want
        self.name = name

    def applies_to(self, candidate, problem) -> bool:
        return True

    def verify(self, candidate, problem, ctx=None) -> Verdict:
        if candidate.strip() == self.want:
            return Verdict(status="passed", evidence={"checked": candidate})
        return Verdict(
            status="failed",
            feedback=f"{candidate} is not the sum",
            counterexample={"got": candidate, "want": self.want},
        )


class StartsWith4:
    """A weaker check: passes any answer that starts with 4."""

    name = "starts-with-4"

    def applies_to(self, candidate, problem) -> bool:
        return True

    def verify(self, candidate, problem, ctx=None) -> Verdict:
        ok = candidate.startswith("4")
        return Verdict(status="passed" if ok else "failed", feedback="must start with 4")


class OnlyForProofs:
    name = "proofs-only"

    def applies_to(self, candidate, problem) -> bool:
        return candidate.startswith("Proof.")

    def verify(self, candidate, problem, ctx=None) -> Verdict:
        raise AssertionError("never asked: it does not apply")


# -- helpers ---------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path):
    # Not closed here: see test_store_can_be_closed_after_a_solve.
    return Store(tmp_path / "runs.db")


@pytest.fixture
def model(fake_openai):
    # No retries: a request the script did not plan for fails at once instead of thrice.
    return OpenAIModel("fake-model", base_url=fake_openai.base_url, max_retries=0, timeout=10)


def solve(store, model, problem, *, verifiers=(), tools=TOOLS, **options):
    run = store.start_run("solve", "test", input={"problem": problem})
    solver = Solver(model, tools, verifiers=list(verifiers), run=run, **options)
    work = run_solver(solver, Solver.initial_state(problem))
    result = asyncio.run(asyncio.wait_for(work, SOLVE_TIMEOUT))
    return result, run


def plan_call(*steps, id=None):
    return Reply(tool_calls=[ToolCallSpec("make_plan", {"steps": list(steps)}, id=id)])


def answer_call(answer, id=None):
    return Reply(tool_calls=[ToolCallSpec("final_answer", {"answer": answer}, id=id)])


def step(id, tool, **args):
    return {"id": id, "tool": tool, "args": args}


def events(store, run, type):
    return [event for event in store.events(run.id) if event["type"] == type]


def conversation_problems(messages):
    """What a real OpenAI endpoint would reject (400) in a request's messages.

    Every ``tool`` message must answer a call of the assistant message before it, and
    every call an assistant message makes must be answered before the next turn.
    """
    problems, pending = [], []
    for message in messages:
        if message["role"] == "assistant":
            problems += [f"call {id} is never answered" for id in pending]
            pending = [call["id"] for call in message.get("tool_calls") or []]
        elif message["role"] == "tool":
            call_id = message.get("tool_call_id")
            if call_id in pending:
                pending.remove(call_id)
            else:
                problems.append(f"tool message for {call_id} follows no assistant call {call_id}")
    return problems + [f"call {id} is never answered" for id in pending]


def tool_reply(request, call_id):
    [content] = [
        m["content"]
        for m in request["messages"]
        if m["role"] == "tool" and m.get("tool_call_id") == call_id
    ]
    return content


def offered(request):
    return [tool["function"]["name"] for tool in request.get("tools") or []]


def last_user_text(request):
    return [m["content"] for m in request["messages"] if m["role"] == "user"][-1]


# -- plans the model has to fix ------------------------------------------------------------


def test_cyclic_plan_is_sent_back_and_the_fixed_plan_runs(fake_openai, model, store):
    fake_openai.enqueue(
        plan_call(step("a", "add", a="${b}", b=1), step("b", "add", a="${a}", b=1), id="cyc"),
        plan_call(step("s1", "add", a=40, b=2)),
        answer_call("42"),
    )

    result, run = solve(store, model, "what is 40+2", verifiers=[Expect("42")])

    assert (result["answer"], result["verified"], result["attempts"]) == ("42", True, 1)
    fake_openai.assert_complete()
    requests = fake_openai.requests
    feedback = tool_reply(requests[1], "cyc")
    assert "cycle (a -> b -> a)" in feedback and "Send a corrected plan" in feedback
    assert offered(requests[1]) == ["make_plan"]
    # The cyclic plan never ran: the only tool call is the fixed plan's.
    [call] = events(store, run, "tool_call")
    assert call["payload"]["arguments"] == {"a": 40, "b": 2} and call["ok"] == 1
    assert len(events(store, run, "model_call")) == 3
    assert [v["ok"] for v in events(store, run, "verdict")] == [1]
    assert store.get_run(run.id)["status"] == "verified"


def test_unknown_tool_feedback_names_the_closest_tool(fake_openai, model, store):
    fake_openai.enqueue(
        plan_call(step("s1", "addd", a=1, b=2), id="typo"),
        plan_call(step("s1", "add", a=1, b=2)),
        answer_call("3"),
    )

    result, run = solve(store, model, "1+2?", verifiers=[Expect("3")])

    assert result["verified"] is True and result["answer"] == "3"
    feedback = tool_reply(fake_openai.requests[1], "typo")
    assert "unknown tool 'addd'; did you mean 'add'?" in feedback
    assert [e["name"] for e in events(store, run, "tool_call")] == ["add"]


def test_malformed_plan_arguments_are_fed_back_and_the_model_recovers(fake_openai, model, store):
    fake_openai.enqueue(
        Reply(tool_calls=[ToolCallSpec("make_plan", '{"steps": [', id="broken")]),
        plan_call(step("s1", "add", a=20, b=22)),
        answer_call("42"),
    )

    result, run = solve(store, model, "20+22?", verifiers=[Expect("42")])

    assert result["verified"] is True and result["plan"]["steps"][0]["args"] == {"a": 20, "b": 22}
    feedback = tool_reply(fake_openai.requests[1], "broken")
    assert "not valid JSON" in feedback and "make_plan" in feedback
    [first, *_] = events(store, run, "model_call")
    assert first["payload"]["response"]["tool_calls"][0]["error"]


def test_plan_retries_run_out_with_a_result_not_an_exception(fake_openai, model, store):
    bad = step("s1", "nope", x=1)
    fake_openai.enqueue(plan_call(bad), plan_call(bad))

    result, run = solve(store, model, "?", verifiers=[Expect("1")], budgets=Budgets(plan_retries=2))

    assert result["answer"] is None and result["verified"] is False
    assert result["unverified_reason"].startswith("no valid plan after 2 tries")
    assert "unknown tool 'nope'" in result["unverified_reason"]
    assert events(store, run, "tool_call") == []
    fake_openai.assert_complete()


# -- execution ------------------------------------------------------------------------------


def test_failed_step_skips_its_dependents_and_the_answer_stage_sees_why(fake_openai, model, store):
    fake_openai.enqueue(
        plan_call(
            step("s1", "fail", message="boom"),
            step("s2", "add", a="${s1}", b=1),
            step("s3", "add", a=1, b=2),
        ),
        answer_call("3"),
    )

    result, run = solve(store, model, "1+2, and break something", verifiers=[Expect("3")])

    assert result["verified"] is True and result["answer"] == "3"
    statuses = {sid: outcome["status"] for sid, outcome in result["steps"].items()}
    assert statuses == {"s1": "failed", "s2": "skipped", "s3": "done"}
    shown = last_user_text(fake_openai.requests[1])
    assert "- s1 (fail): FAILED: RuntimeError: boom" in shown
    assert "- s2 (add): SKIPPED: skipped because step 's1' failed: RuntimeError: boom" in shown
    assert "- s3 (add): 3" in shown
    calls = {
        e["payload"]["arguments"].get("message", "add"): e["ok"]
        for e in events(store, run, "tool_call")
    }
    assert calls == {"boom": 0, "add": 1}  # s2 never called its tool
    assert store.get_run(run.id)["status"] == "verified"


def test_slow_branch_does_not_hold_up_a_fast_one_inside_a_solve(fake_openai, model, store):
    FINISHED.clear()
    fake_openai.enqueue(
        plan_call(
            step("slow", "nap", seconds=1.0, label="slow"),
            step("after_slow", "nap", seconds=0, label="${slow}+"),
            step("fast", "nap", seconds=0.05, label="fast"),
            step("after_fast", "nap", seconds=0.05, label="${fast}+"),
        ),
        answer_call("slow+"),
    )

    result, run = solve(store, model, "nap", verifiers=[Expect("slow+")])

    assert result["verified"] is True
    assert all(outcome["status"] == "done" for outcome in result["steps"].values())
    # In lockstep rounds, after_fast would wait for the round that holds "slow".
    assert FINISHED["fast+"] < FINISHED["slow"] - 0.5
    recorded = {e["payload"]["arguments"]["label"]: e for e in events(store, run, "tool_call")}
    slow_end = recorded["slow"]["started"] + recorded["slow"]["elapsed"]
    assert recorded["fast+"]["started"] + recorded["fast+"]["elapsed"] < slow_end - 0.5
    assert recorded["slow+"]["started"] >= slow_end - 0.01


# -- verification -------------------------------------------------------------------------


def test_rejected_answer_feedback_reaches_the_model_and_the_second_answer_is_verified(
    fake_openai, model, store
):
    fake_openai.enqueue(
        plan_call(step("s1", "add", a=40, b=1)),
        answer_call("41"),
        plan_call(step("s1", "add", a=40, b=2)),
        answer_call("42"),
    )

    result, run = solve(store, model, "what is 40+2", verifiers=[Expect("42")])

    assert (result["answer"], result["verified"], result["attempts"]) == ("42", True, 2)
    assert result["unverified_reason"] is None
    requests = fake_openai.requests
    assert len(requests) == 4 and offered(requests[2]) == ["make_plan"]
    feedback = last_user_text(requests[2])
    assert "The verifier 'expect' rejected the answer: 41 is not the sum" in feedback
    assert 'Counterexample: {"got": "41", "want": "42"}' in feedback
    verdicts = events(store, run, "verdict")
    assert [(v["name"], v["ok"]) for v in verdicts] == [("expect", 0), ("expect", 1)]
    assert verdicts[0]["payload"]["counterexample"] == {"got": "41", "want": "42"}


def test_exhausted_attempts_return_the_best_answer_marked_unverified(fake_openai, model, store):
    fake_openai.enqueue(
        plan_call(step("s1", "add", a=10, b=7)),
        answer_call("17"),
        plan_call(step("s1", "add", a=40, b=1)),
        answer_call("41"),  # the best: one of the two verifiers passes it
        plan_call(step("s1", "add", a=10, b=3)),
        answer_call("13"),
    )

    result, run = solve(
        store,
        model,
        "what is 40+2",
        verifiers=[Expect("42"), StartsWith4()],
        budgets=Budgets(attempts=3),
    )

    assert result["verified"] is False
    assert result["answer"] == "41"
    assert result["unverified_reason"] == "every one of 3 attempts was rejected"
    assert result["attempts"] == 3
    assert {v["verifier"]: v["status"] for v in result["verdicts"]} == {
        "expect": "failed",
        "starts-with-4": "passed",
    }
    assert len(fake_openai.requests) == 6  # no fourth plan was asked for
    assert len(events(store, run, "verdict")) == 6
    stored = store.get_run(run.id)
    assert stored["status"] == "unverified" and stored["output"]["verified"] is False


def test_answer_no_verifier_applies_to_is_not_verified(fake_openai, model, store):
    fake_openai.enqueue(plan_call(step("s1", "add", a=1, b=1)), answer_call("2"))

    result, run = solve(store, model, "1+1", verifiers=[OnlyForProofs()])

    assert result["answer"] == "2" and result["verified"] is False
    assert result["unverified_reason"] == "no verifier applies to this answer"
    assert result["verdicts"] == [] and events(store, run, "verdict") == []
    assert store.get_run(run.id)["status"] == "unverified"


class Opaque:
    """A counterexample that is not JSON (like a sympy expression or a numpy value)."""

    def __repr__(self) -> str:
        return "Opaque(x=3)"


class RejectsWithAnObject:
    name = "opaque"

    def applies_to(self, candidate, problem) -> bool:
        return True

    def verify(self, candidate, problem, ctx=None) -> Verdict:
        return Verdict(status="failed", feedback="fails at x=3", counterexample=Opaque())


def test_counterexample_that_is_not_json_does_not_crash_the_solve(store):
    model = ScriptedModel().enqueue(
        plan_call(step("s1", "add", a=1, b=1)),
        answer_call("3"),
        plan_call(step("s1", "add", a=1, b=1)),
        answer_call("2"),
    )

    try:
        result, _ = solve(
            store, model, "1+1", verifiers=[RejectsWithAnObject()], budgets=Budgets(attempts=2)
        )
    except Exception as exc:
        pytest.fail(
            "regressed: a verifier's counterexample that is not JSON (here an object with a repr) "
            f"crashes the whole solve with {type(exc).__name__}: {exc}; it should be "
            "recorded and fed back by its repr, as feedback_text already does"
        )
    assert result["verified"] is False
    assert "Opaque(x=3)" in model.calls[2]["messages"][-1]["content"]


# -- budgets ------------------------------------------------------------------------------


def test_model_call_budget_stops_cleanly_with_the_best_answer_so_far(fake_openai, model, store):
    fake_openai.enqueue(plan_call(step("s1", "add", a=40, b=1)), answer_call("41"))

    result, run = solve(
        store, model, "what is 40+2", verifiers=[Expect("42")], budgets=Budgets(model_calls=2)
    )

    assert result["answer"] == "41" and result["verified"] is False
    assert result["unverified_reason"] == "the budget of 2 model calls is spent"
    assert result["model_calls"] == 2 and result["attempts"] == 1
    assert len(fake_openai.requests) == 2 and len(events(store, run, "model_call")) == 2
    fake_openai.assert_complete()
    assert store.get_run(run.id)["status"] == "unverified"


def test_token_budget_stops_cleanly_before_the_next_model_call(fake_openai, model, store):
    fake_openai.enqueue(plan_call(step("s1", "add", a=40, b=2)))

    result, run = solve(
        store, model, "what is 40+2", verifiers=[Expect("42")], budgets=Budgets(tokens=100)
    )

    assert result["answer"] is None and result["verified"] is False
    assert result["unverified_reason"] == "the budget of 100 tokens is spent"
    assert sum(result["usage"].values()) >= 100 and result["model_calls"] == 1
    assert len(fake_openai.requests) == 1
    # The plan it got before the budget ran out was still carried out and recorded.
    assert [e["ok"] for e in events(store, run, "tool_call")] == [1]


def test_time_budget_cuts_a_slow_step_short_and_stops_cleanly(fake_openai, model, store):
    fake_openai.enqueue(plan_call(step("s1", "nap", seconds=1.2, label="z")))

    result, run = solve(
        store, model, "sleep", verifiers=[Expect("z")], budgets=Budgets(seconds=1.0)
    )

    assert result["answer"] is None and result["verified"] is False
    assert result["unverified_reason"] == "the time budget of 1s is spent"
    assert "s1" not in result["steps"]  # cut short by the wall-time budget
    assert len(fake_openai.requests) == 1
    assert store.get_run(run.id)["status"] == "unverified"


def test_time_budget_bounds_the_wall_time_of_a_solve(store):
    model = ScriptedModel().enqueue(plan_call(step("s1", "nap", seconds=3.0, label="long")))
    started = time.monotonic()

    result, _ = solve(store, model, "sleep", budgets=Budgets(seconds=0.5))

    took = time.monotonic() - started
    assert result["verified"] is False and "time budget" in (result["unverified_reason"] or "")
    assert took < 2.0, (
        f"regressed: Budgets(seconds=0.5) is only checked before model calls, so a 3 s step ran "
        f"to its end and the solve took {took:.1f}s; the wall-time budget should stop it"
    )


# -- the protocol ---------------------------------------------------------------------------

PLAN_JSON = json.dumps({"steps": [step("s1", "add", a=40, b=2)]})


@pytest.mark.parametrize(
    ("plan_text", "answer_text"),
    [
        (PLAN_JSON, '{"final_answer": "42"}'),
        (
            f"Here is the plan:\n```json\n{PLAN_JSON}\n```\nThat should do it.",
            'Done.\n```json\n{"final_answer": "42"}\n```',
        ),
    ],
    ids=["bare-json", "fenced-json"],
)
def test_endpoint_without_tool_calling_plans_and_answers_in_plain_text(
    fake_openai, model, store, plan_text, answer_text
):
    fake_openai.enqueue(plan_text, answer_text)

    result, run = solve(store, model, "what is 40+2", verifiers=[Expect("42")])

    assert (result["answer"], result["verified"]) == ("42", True)
    assert result["steps"]["s1"]["result"]["output"] == 42
    assert [v["ok"] for v in events(store, run, "verdict")] == [1]
    # The answer is asked for in a conversation of its own: the problem and the results.
    answering = fake_openai.requests[1]["messages"]
    assert [m["role"] for m in answering] == ["system", "user"]
    assert answering[0]["content"] == ANSWER_SYSTEM
    assert (
        answering[1]["content"] == "Problem: what is 40+2\n\nThe plan ran. Results:\n- s1 (add): 42"
    )
    # With no call to answer, the planner's acknowledgement is a plain user message.
    planning = checkpointed(store, run)["messages"]
    assert {"role": "user", "content": "plan accepted; running it"} in planning
    assert not [m for m in planning if m["role"] == "tool"]


def test_replan_after_seeing_results_runs_a_new_plan(fake_openai, model, store):
    fake_openai.enqueue(
        plan_call(step("s1", "add", a=40, b=1)),
        Reply(tool_calls=[ToolCallSpec("replan", {"reason": "41 is off by one"}, id="again")]),
        plan_call(step("t1", "add", a=40, b=2)),
        answer_call("42"),
    )

    result, run = solve(store, model, "what is 40+2", verifiers=[Expect("42")])

    assert (result["answer"], result["verified"], result["attempts"]) == ("42", True, 1)
    assert list(result["steps"]) == ["t1"] and result["plan"]["steps"][0]["id"] == "t1"
    requests = fake_openai.requests
    assert offered(requests[1]) == ["final_answer", "replan"]
    assert offered(requests[2]) == ["make_plan"]
    # The planning conversation goes on with its own plan turn, the results and the reason.
    planning = requests[2]["messages"]
    assert [m["role"] for m in planning][-3:] == ["assistant", "tool", "user"]
    assert planning[-1]["content"] == (
        "The plan ran. Results:\n- s1 (add): 41\nReplanning: 41 is off by one. Make a new plan."
    )
    outputs = [e["payload"]["result"]["output"] for e in events(store, run, "tool_call")]
    assert outputs == [41, 42]


def test_the_model_sees_its_own_turns_in_a_conversation_openai_accepts(fake_openai, model, store):
    fake_openai.enqueue(
        plan_call(step("a", "add", a="${b}", b=1), step("b", "add", a="${a}", b=1), id="cyc"),
        plan_call(step("s1", "add", a=40, b=1), id="p2"),
        Reply(tool_calls=[ToolCallSpec("replan", {"reason": "off by one"}, id="re")]),
        plan_call(step("s1", "add", a=40, b=3), id="p3"),
        answer_call("43", id="a1"),
        plan_call(step("s1", "add", a=40, b=2), id="p4"),
        answer_call("42", id="a2"),
    )

    result, _ = solve(store, model, "what is 40+2", verifiers=[Expect("42")])

    assert result["verified"] is True
    planning = [r for r in fake_openai.requests if offered(r) == ["make_plan"]]
    answering = [r for r in fake_openai.requests if offered(r) == ["final_answer", "replan"]]
    assert (len(planning), len(answering)) == (4, 3)
    for number, request in enumerate(planning, 1):
        roles = [m["role"] for m in request["messages"]]
        assert roles.count("assistant") == number - 1, (
            f"regressed: planning request #{number} carries {roles.count('assistant')} of the "
            f"model's {number - 1} earlier plans (roles: {roles}); the model must see its own turns"
        )
    for request in answering:  # a fresh conversation per execution: problem and results
        assert [m["role"] for m in request["messages"]] == ["system", "user"]
    for number, request in enumerate(fake_openai.requests, 1):
        problems = conversation_problems(request["messages"])
        assert not problems, f"request #{number} would get a 400 from OpenAI: {problems}"


def test_every_function_call_the_model_makes_is_answered(fake_openai, model, store):
    # Two calls at once, then the wrong function in the answer stage: each call still
    # needs its own tool message before the next request.
    twice = {"steps": [step("s1", "add", a=1, b=1)]}
    fake_openai.enqueue(
        Reply(
            tool_calls=[
                ToolCallSpec("make_plan", twice, id="p1"),
                ToolCallSpec("make_plan", twice, id="p2"),
            ]
        ),
        Reply(tool_calls=[ToolCallSpec("make_plan", twice, id="wrong")]),
        answer_call("2"),
    )

    result, run = solve(store, model, "1+1", verifiers=[Expect("2")])

    assert result["verified"] is True
    # p1 and p2 are answered in the planning conversation, "wrong" in the answering one.
    conversations = [checkpointed(store, run)["messages"], fake_openai.requests[-1]["messages"]]
    answered = {m["tool_call_id"] for c in conversations for m in c if m["role"] == "tool"}
    unanswered = sorted({"p1", "p2", "wrong"} - answered)
    assert not unanswered, (
        f"regressed: the last request answers calls {sorted(answered)} but not {unanswered}; the "
        "graph answers only the first recognised function call of a reply, and none when "
        "the model calls a function the stage does not offer (OpenAI then answers 400)"
    )


def checkpointed(store, run) -> dict:
    """The run's last checkpointed state."""
    saved = store.checkpointer().get_tuple({"configurable": {"thread_id": run.id}})
    return saved.checkpoint["channel_values"]


def test_store_can_be_closed_after_a_solve(store):
    model = ScriptedModel().enqueue(plan_call(step("s1", "add", a=1, b=1)), answer_call("2"))
    solve(store, model, "1+1", verifiers=[Expect("2")])

    try:
        store.close()
    except Exception as exc:
        pytest.fail(
            "regressed: Store.close() raises after a solve, because tool and model calls recorded "
            "their events from worker threads, and closing those threads' sqlite connections "
            f"from this one fails: {type(exc).__name__}: {exc}"
        )


# -- the record -----------------------------------------------------------------------------


def test_checkpoint_state_is_plain_json(fake_openai, model, store):
    fake_openai.enqueue(
        plan_call(step("s1", "add", a=40, b=1)),
        answer_call("41"),
        plan_call(step("s1", "add", a=40, b=2)),
        answer_call("42"),
    )

    result, run = solve(store, model, "what is 40+2", verifiers=[Expect("42")])

    saver = store.checkpointer()
    try:
        latest = saver.get_tuple({"configurable": {"thread_id": run.id}})
    finally:
        saver.conn.close()
    assert latest is not None, "no checkpoint was written under the run's id"
    values = latest.checkpoint["channel_values"]
    assert json.loads(json.dumps(values)) == values
    assert values["answer"] == result["answer"] == "42" and values["attempts"] == 2
    assert values["verdicts"][0]["evidence"] == {"checked": "42"}


def test_reported_usage_is_the_sum_of_the_recorded_model_calls(fake_openai, model, store):
    fake_openai.enqueue(
        plan_call(step("s1", "ad", a=1, b=2), id="bad"),
        plan_call(step("s1", "add", a=1, b=2)),
        answer_call("3"),
        plan_call(step("s1", "add", a=2, b=2)),
        answer_call("4"),
    )

    result, run = solve(store, model, "1+3", verifiers=[Expect("4")])

    calls = events(store, run, "model_call")
    assert len(calls) == result["model_calls"] == 5
    prompt = sum(call["prompt_tokens"] for call in calls)
    completion = sum(call["completion_tokens"] for call in calls)
    assert result["usage"] == {"prompt_tokens": prompt, "completion_tokens": completion}
    assert prompt > 0 and completion > 0
    # ... and those are what the endpoint counted for the requests it received.
    counted = sum(count_message_tokens(r["messages"], r.get("tools")) for r in fake_openai.requests)
    assert prompt == counted
    assert run.usage() == result["usage"]


def test_runs_show_and_graph_describe_a_finished_solve(fake_openai, model, tmp_path):
    from click.testing import CliRunner

    from agentkit.cli import cli

    fake_openai.enqueue(
        plan_call(
            step("s1", "add", a=40, b=2),
            step("bad", "fail", message="no"),
            step("after", "add", a="${bad}", b=1),
        ),
        answer_call("42"),
    )
    result, run = solve(Store(), model, "what is 40+2", verifiers=[Expect("42")])
    assert result["verified"] is True

    shown = CliRunner().invoke(cli, ["runs", "show", run.id, "--json"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    statuses = {s["id"]: (s["status"], s["tool"]) for s in report["steps"]}
    assert statuses == {
        "s1": ("done", "add"),
        "bad": ("failed", "fail"),
        "after": ("skipped", "add"),
    }
    assert [v["status"] for v in report["verdicts"]] == ["passed"]
    assert report["tokens"]["prompt_tokens"] == result["usage"]["prompt_tokens"] > 0

    picture = tmp_path / "plan.png"
    drawn = CliRunner().invoke(cli, ["runs", "graph", run.id, "--png", str(picture)])
    assert drawn.exit_code == 0, drawn.output
    assert 's1["s1: add"]:::done' in drawn.stdout and "bad --> after" in drawn.stdout
    assert 'after["after: add"]:::skipped' in drawn.stdout
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    missing = CliRunner().invoke(cli, ["runs", "show", "nope"])
    assert missing.exit_code == 1
    assert missing.stderr == "Error: no run 'nope' (see: agentkit runs list)\n"


def test_runs_on_an_empty_store_says_so_instead_of_a_bare_header():
    from click.testing import CliRunner

    from agentkit.cli import cli

    listed = CliRunner().invoke(cli, ["runs"])
    assert listed.exit_code == 0 and listed.stdout == ""
    assert listed.stderr.startswith("no runs yet in ") and listed.stderr.endswith(".db\n")
    assert json.loads(CliRunner().invoke(cli, ["runs", "--json"]).stdout) == []
