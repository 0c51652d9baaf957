"""``self-verify`` end to end: the real openai client against the fake server, the real
sandboxed ``python`` tool, real math-verify; only the model's replies are scripted.

The problem is the positive root of x^2 - x - 6 (3). The scripted model slips the way
models do with the quadratic formula, taking -b with the wrong sign and getting 2; its
check substitutes the answer back, which is what catches the slip. The check reads the
variable ``answer`` from the sample's own kernel session, so one check script is right
for every sample: when samples run side by side, replies reach them in any order.
"""

from __future__ import annotations

import asyncio

import pytest

import agentkit
from agentkit._runtime import runtime_loop
from agentkit.workflows import WorkflowFailed, resume_workflow
from agentkit_kernel import get_pool
from agentkit_workflows.self_verify import self_verify

PROBLEM = "Find the positive root of x^2 - x - 6 = 0."

WRONG_CODE = (
    "I'll use the quadratic formula.\n"
    "```python\nanswer = (-1 + (1 + 4 * 6) ** 0.5) / 2\nprint(answer)\n```"
)
WRONG_ANSWER = "The positive root is \\boxed{2}."
CHECK = (
    "Substituting the answer back into the equation:\n"
    "```python\nprint(answer**2 - answer - 6)\nprint(answer**2 - answer - 6 == 0)\n```"
)
FIXED_CODE = (
    "I used -b with the wrong sign: b = -1, so -b = 1.\n"
    "```python\nanswer = (1 + (1 + 4 * 6) ** 0.5) / 2\nprint(answer)\n```"
)
FIXED_ANSWER = "So the positive root is \\boxed{3}."
# One reply with code and the answer it expects the code to give.
WRONG_IN_ONE = "```python\nanswer = (-1 + 25 ** 0.5) / 2\nprint(answer)\n```\nSo \\boxed{2}."
WRONG_IN_ONE_AS_FLOAT = "```python\nanswer = (-1 + 25 ** 0.5) / 2\n```\nSo \\boxed{2.0}."
RIGHT_IN_ONE = "```python\nanswer = (1 + 25 ** 0.5) / 2\nprint(answer)\n```\nSo \\boxed{3}."
RIGHT_BY_HAND = "By Vieta, the roots multiply to -6 and add to 1: 3 and -2. \\boxed{3}"


@pytest.fixture
def model(fake_openai, monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "kernel,solver")
    agentkit.load_plugins()
    return agentkit.OpenAIModel("fake-model", base_url=fake_openai.base_url)


def events(run_id: str, kind: str) -> list[dict]:
    return [event for event in agentkit.Store().events(run_id) if event["type"] == kind]


def verdicts(run_id: str) -> list[dict]:
    return [event["payload"] for event in events(run_id, "verdict")]


def last_message(request: dict) -> str:
    return request["messages"][-1]["content"]


def test_wrong_answer_caught_by_its_check_is_amended_to_the_right_one(fake_openai, model):
    fake_openai.enqueue(WRONG_CODE, WRONG_ANSWER, CHECK, FIXED_CODE, FIXED_ANSWER, CHECK)

    outcome = self_verify.run({"problem": PROBLEM, "k": 1, "max_rounds": 2}, model=model)

    result = outcome.result
    assert (result["answer"], result["verified"], result["verified_by"]) == (
        "3",
        True,
        "self_check",
    )
    assert result["attempts"] == 2 and result["candidates"] == ["3"]
    (sample,) = result["samples"]
    assert [(r["answer"], r["state"]) for r in sample["rounds"]] == [("2", "false"), ("3", "true")]
    assert sample["rounds"][0]["check_output"] == "-4.0\nFalse"
    assert result["evidence"] == [
        {
            "sample": 0,
            "code": CHECK.split("```python\n")[1].removesuffix("```"),
            "output": "0.0\nTrue",
        }
    ]

    trail = verdicts(outcome.run_id)
    assert [(v["verifier"], v["status"]) for v in trail] == [
        ("self_check", "failed"),
        ("self_check", "passed"),
    ]
    assert "-4.0\nFalse" in trail[0]["feedback"]

    requests = fake_openai.requests
    assert len(requests) == 6
    fake_openai.assert_complete()
    assert "```\n2.0\n```" in last_message(requests[1])  # the solving code's output
    assert "Your answer is 2." in last_message(requests[2])
    amend = last_message(requests[3])  # what reached the model after the check said False
    assert "answer 2" in amend and "-4.0\nFalse" in amend and "amend" in amend
    assert "Your answer is 3." in last_message(requests[5])
    assert requests[0]["temperature"] == 0.7 and requests[0]["seed"] == 0

    ran = [event["payload"]["arguments"]["code"] for event in events(outcome.run_id, "tool_call")]
    assert len(ran) == 4 and ran[1].startswith("print(answer**2")
    sessions = {e["payload"]["arguments"]["session"] for e in events(outcome.run_id, "tool_call")}
    assert len(sessions) == 1  # the check ran where the solution's variables live
    pool = asyncio.run_coroutine_threadsafe(get_pool(), runtime_loop()).result(10)
    assert sessions.isdisjoint(pool.sessions)  # its kernel was shut down at the end


def test_one_verified_answer_outweighs_a_refuted_majority(fake_openai, model):
    fake_openai.enqueue(WRONG_IN_ONE, WRONG_IN_ONE_AS_FLOAT, RIGHT_IN_ONE, CHECK, CHECK, CHECK)

    outcome = self_verify.run({"problem": PROBLEM, "k": 3, "max_rounds": 0}, model=model)

    result = outcome.result
    assert (result["answer"], result["verified"]) == ("3", True)
    assert sorted(result["candidates"]) == ["2", "2.0", "3"]
    classes = {c["answer"]: c for c in result["vote"]["classes"]}
    wrong = classes.get("2") or classes["2.0"]  # math_equal puts 2 and 2.0 together
    assert len(classes) == 2 and len(wrong["members"]) == 2
    assert wrong["tally"] == {"true": 0, "false": 2, "uncertain": 0}
    assert wrong["score"] == pytest.approx(0.4) and classes["3"]["score"] == pytest.approx(1.0)
    assert result["vote"]["classes"][result["vote"]["chosen"]]["answer"] == "3"
    assert sorted(v["status"] for v in verdicts(outcome.run_id)) == ["failed", "failed", "passed"]
    assert len(fake_openai.requests) == 6  # max_rounds=0: no amending
    fake_openai.assert_complete()
    for request in fake_openai.requests[3:]:
        assert "Your code printed:" in last_message(request)


def test_an_uncertain_check_outweighs_two_false_ones_but_verifies_nothing(fake_openai, model):
    fake_openai.enqueue(WRONG_IN_ONE, WRONG_IN_ONE, RIGHT_BY_HAND, CHECK, CHECK, CHECK)

    outcome = self_verify.run({"problem": PROBLEM, "k": 3, "max_rounds": 0}, model=model)

    result = outcome.result
    assert result["answer"] == "3"
    assert (result["verified"], result["verified_by"], result["evidence"]) == (False, None, [])
    states = sorted((s["answer"], s["state"]) for s in result["samples"])
    assert states == [("2", "false"), ("2", "false"), ("3", "uncertain")]
    trail = verdicts(outcome.run_id)
    (uncertain,) = [v for v in trail if v["status"] == "undecided"]
    assert "NameError" in uncertain["feedback"]  # its check used a variable it never set
    fake_openai.assert_complete()


def test_an_answer_its_check_refutes_is_never_reported_verified(fake_openai, model):
    fake_openai.enqueue(WRONG_IN_ONE, CHECK)

    outcome = self_verify.run({"problem": PROBLEM, "k": 1, "max_rounds": 0}, model=model)

    result = outcome.result
    assert (result["answer"], result["verified"], result["attempts"]) == ("2", False, 1)
    assert result["samples"][0]["state"] == "false"
    assert [v["status"] for v in verdicts(outcome.run_id)] == ["failed"]
    fake_openai.assert_complete()


def test_a_model_that_never_answers_gives_no_answer(fake_openai, model):
    fake_openai.enqueue("Let me think.", "Still thinking.")

    outcome = self_verify.run({"problem": PROBLEM, "k": 1, "max_turns": 2}, model=model)

    result = outcome.result
    assert (result["answer"], result["verified"], result["candidates"]) == (None, False, [])
    assert "\\boxed" in last_message(fake_openai.requests[1])  # it was asked for one
    assert verdicts(outcome.run_id) == []
    fake_openai.assert_complete()


def test_bad_inputs_are_refused_with_one_line(model):
    with pytest.raises(WorkflowFailed, match="self-verify needs k >= 1"):
        self_verify.run({"problem": PROBLEM, "k": 0}, model=model)


def test_a_failed_run_resumes_without_redoing_finished_calls(fake_openai, model):
    fake_openai.enqueue(WRONG_IN_ONE, RIGHT_IN_ONE)  # then the checks find the script empty
    inputs = {"problem": PROBLEM, "k": 2, "max_rounds": 0}
    with pytest.raises(WorkflowFailed) as failed:
        self_verify.run(inputs, model=model)
    run_id = failed.value.run_id
    assert len(events(run_id, "tool_call")) == 2  # each sample's solving code ran

    fake_openai.enqueue(CHECK, CHECK)
    outcome = resume_workflow(run_id, model=model, workflow=self_verify)

    result = outcome.result
    assert (result["answer"], result["verified"]) == ("3", True)
    ran = [event["payload"]["arguments"]["code"] for event in events(run_id, "tool_call")]
    assert len(ran) == 4 and all(code.startswith("print(answer**2") for code in ran[2:])
    asked = [request["messages"][-1]["content"] for request in fake_openai.requests]
    assert asked.count(PROBLEM) == 2  # the solving turns were not asked again
    fake_openai.assert_complete()
