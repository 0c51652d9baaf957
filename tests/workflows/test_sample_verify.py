"""``sample-verify`` end to end: the real openai client against the fake server, the real
``math_equal`` verifier and math-verify; only the model's replies are scripted.

Samples of one wave are drawn at the same time, so the fake server hands out its
replies in whichever order the requests arrive: every assertion here holds for any
order (sorted candidates, classes looked up by answer).
"""

from __future__ import annotations

import time

import pytest

import agentkit
from agentkit.workflows import WorkflowFailed, resume_workflow
from agentkit_workflows.sample_verify import sample_verify

PROBLEM = "How many positive divisors does 60 have?"
RIGHT = "60 = 2^2 * 3 * 5, so (2+1)(1+1)(1+1) = 12 divisors. \\boxed{12}"
RIGHT_AS_FLOAT = "Counting the divisors one by one gives 12.\nAnswer: 12.0"
# The way models get this wrong: forgetting that the exponent of 2 is 2, not 1.
WRONG = "60 = 2 * 3 * 5 * 2, so 2^4 = 16 divisors, minus the repeated ones: \\boxed{13}"


@pytest.fixture
def model(fake_openai, monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "solver")
    agentkit.load_plugins()
    return agentkit.OpenAIModel("fake-model", base_url=fake_openai.base_url)


def verdicts(run_id: str) -> list[dict]:
    events = agentkit.Store().events(run_id)
    return [event["payload"] for event in events if event["type"] == "verdict"]


def votes_by_answer(result: dict) -> dict[str, dict]:
    return {entry["answer"]: entry for entry in result["votes"]}


def test_two_of_three_majority_is_selected_by_vote(fake_openai, model):
    fake_openai.enqueue(RIGHT, WRONG, RIGHT_AS_FLOAT)

    outcome = sample_verify.run({"problem": PROBLEM, "n": 3, "gold": "12"}, model=model)

    result = outcome.result
    assert result["selected_by"] == "vote" and result["verified"] is False
    assert result["answer"] in {"12", "12.0"}  # whichever of the two was drawn first
    assert sorted(result["candidates"]) == ["12", "12.0", "13"]
    votes = votes_by_answer(result)
    assert sorted(entry["count"] for entry in votes.values()) == [1, 2]
    assert votes["13"]["count"] == 1  # 12 and 12.0 are one answer to math_equal
    assert (result["correct"], result["coverage"], result["attempts"]) == (True, True, 3)
    assert verdicts(outcome.run_id) == []  # nothing was verified
    assert sorted(request["seed"] for request in fake_openai.requests) == [0, 1, 2]
    fake_openai.assert_complete()


def test_the_verifier_overrides_the_majority(fake_openai, model):
    fake_openai.enqueue(WRONG, RIGHT, WRONG)
    inputs = {
        "problem": PROBLEM,
        "n": 3,
        "verifier": "math_equal",
        "reference_answer": "12",
        "gold": "12",
    }

    outcome = sample_verify.run(inputs, model=model)

    result = outcome.result
    assert (result["answer"], result["verified"]) == ("12", True)
    assert result["selected_by"] == "verifier math_equal"
    votes = votes_by_answer(result)
    assert (votes["13"]["count"], votes["13"]["failed"]) == (2, 2)
    assert (votes["12"]["count"], votes["12"]["passed"]) == (1, 1)
    assert result["correct"] is True
    trail = verdicts(outcome.run_id)
    assert sorted((v["verifier"], v["status"]) for v in trail) == [
        ("math_equal", "failed"),
        ("math_equal", "failed"),
        ("math_equal", "passed"),
    ]
    assert all(
        "differs from the reference '12'" in v["feedback"] for v in trail if v["status"] == "failed"
    )
    # The reference went to the verifier only, never to the model.
    assert all("12" not in str(request["messages"]) for request in fake_openai.requests)
    fake_openai.assert_complete()


def test_coverage_is_true_while_the_selected_answer_is_wrong(fake_openai, model):
    fake_openai.enqueue(WRONG, WRONG, RIGHT)

    outcome = sample_verify.run({"problem": PROBLEM, "n": 3, "gold": "12"}, model=model)

    result = outcome.result
    assert (result["answer"], result["selected_by"]) == ("13", "vote")
    assert (result["correct"], result["coverage"]) == (False, True)
    fake_openai.assert_complete()


def test_a_verifier_that_applies_to_nothing_leaves_selection_to_the_vote(fake_openai, model):
    fake_openai.enqueue(WRONG, WRONG, RIGHT)
    inputs = {"problem": PROBLEM, "n": 3, "verifier": "math_equal"}  # no reference

    outcome = sample_verify.run(inputs, model=model)

    result = outcome.result
    assert (result["answer"], result["selected_by"], result["verified"]) == ("13", "vote", False)
    assert (result["correct"], result["coverage"]) == (None, None)  # no gold given
    assert verdicts(outcome.run_id) == []
    fake_openai.assert_complete()


def test_the_model_call_budget_stops_sampling_early(fake_openai, model):
    fake_openai.enqueue(RIGHT, RIGHT, WRONG)
    inputs = {"problem": PROBLEM, "n": 6, "parallel": 2, "budget": {"model_calls": 3}}

    outcome = sample_verify.run(inputs, model=model)

    result = outcome.result
    assert result["attempts"] == 3 and len(fake_openai.requests) == 3
    assert result["budget"]["spent"]["model_calls"] == 3
    assert result["budget"]["stopped"] == "model_calls budget (3) spent after 3 samples"
    assert result["budget"]["spent"]["tokens"] > 0
    fake_openai.assert_complete()


def test_the_seconds_budget_stops_sampling_after_the_wave_that_spent_it(fake_openai, model):
    fake_openai.latency = 0.5  # each reply takes half a second
    fake_openai.enqueue(RIGHT, WRONG)
    inputs = {"problem": PROBLEM, "n": 6, "parallel": 2, "budget": {"seconds": 0.3}}

    started = time.monotonic()
    outcome = sample_verify.run(inputs, model=model)

    result = outcome.result
    assert len(fake_openai.requests) == 2 and result["attempts"] == 2
    assert result["budget"]["stopped"] == "seconds budget (0.3 s) spent after 2 samples"
    assert result["budget"]["spent"]["seconds"] >= 0.5
    assert time.monotonic() - started < 10  # two replies side by side, not six in a row
    fake_openai.assert_complete()


def test_a_reply_without_a_final_answer_is_not_a_candidate(fake_openai, model):
    fake_openai.enqueue("I am not sure how to count these.")

    outcome = sample_verify.run({"problem": PROBLEM, "n": 1, "gold": "12"}, model=model)

    result = outcome.result
    assert (result["answer"], result["candidates"], result["coverage"]) == (None, [], False)
    assert result["samples"] == [{"index": 0, "answer": None, "status": None, "feedback": None}]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"verifier": "no_such_verifier"}, "no_such_verifier"),
        ({"budget": {"minutes": 1}}, "unknown budget key"),
        ({"budget": {"model_calls": 2.5}}, "model_calls must be a positive whole number"),
        ({"n": 0}, "sample-verify needs n >= 1"),
    ],
)
def test_bad_inputs_are_refused_with_one_line(model, inputs, message):
    with pytest.raises(WorkflowFailed, match=message):
        sample_verify.run({"problem": PROBLEM, **inputs}, model=model)


def test_a_failed_run_resumes_without_asking_again_for_finished_samples(fake_openai, model):
    fake_openai.enqueue(RIGHT, WRONG)  # the second wave finds the script empty: a 500
    inputs = {"problem": PROBLEM, "n": 4, "parallel": 2, "gold": "12"}
    with pytest.raises(WorkflowFailed) as failed:
        sample_verify.run(inputs, model=model)
    # The first wave was answered; of the second, the sibling of the call that failed
    # first may be cancelled before it is sent, so it reached the server once or twice.
    before = len(fake_openai.requests)
    assert [r["seed"] for r in fake_openai.requests[:2]] in ([0, 1], [1, 0]) and before in (3, 4)

    fake_openai.enqueue(RIGHT, RIGHT)
    outcome = resume_workflow(failed.value.run_id, model=model, workflow=sample_verify)

    result = outcome.result
    assert sorted(result["candidates"]) == ["12", "12", "12", "13"]
    assert result["answer"] == "12" and result["attempts"] == 4
    resumed = fake_openai.requests[before:]
    assert sorted(request["seed"] for request in resumed) == [2, 3]  # only the second wave
    fake_openai.assert_complete()
