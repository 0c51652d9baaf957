"""``repair`` end to end: the real sandboxed ``refute`` tool, a scripted model behind the fake
OpenAI server, and the trail the run store keeps."""

from __future__ import annotations

import pytest

import agentkit
from agentkit.testing.scripted import Fault
from agentkit.workflows import resume_workflow
from agentkit_workflows.repair import repair

TASK = "Return the largest element of xs, or 0 when xs is empty."

REFERENCE = """\
def largest(xs: list[int]) -> int:
    return max(xs, default=0)
"""

# Starts from 0, so it is wrong when every element is negative.
BUGGY = """\
def largest(xs):
    best = 0
    for x in xs:
        if x > best:
            best = x
    return best
"""

# The first fix starts from xs[0]: right for negatives, but it crashes on [].
CRASHES_ON_EMPTY = """\
def largest(xs):
    best = xs[0]
    for x in xs[1:]:
        if x > best:
            best = x
    return best
"""

FIXED = """\
def largest(xs):
    if not xs:
        return 0
    best = xs[0]
    for x in xs[1:]:
        if x > best:
            best = x
    return best
"""


def fenced(code: str, words: str = "Here is the fix.") -> str:
    return f"{words}\n\n```python\n{code}```\n"


@pytest.fixture
def refute_plugin(monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "refute")
    agentkit.load_plugins()


@pytest.fixture
def model(fake_openai, refute_plugin):
    return agentkit.OpenAIModel("fake-model", base_url=fake_openai.base_url)


def events(run_id: str, kind: str) -> list[dict]:
    return [e for e in agentkit.Store().events(run_id) if e["type"] == kind]


def last_user_message(request: dict) -> str:
    return [m for m in request["messages"] if m["role"] == "user"][-1]["content"]


def test_a_fix_that_fails_on_a_new_counterexample_is_repaired_again(fake_openai, model):
    fake_openai.enqueue(
        fenced(CRASHES_ON_EMPTY, "The loop must start from the first element."),
        fenced(FIXED, "An empty list needs its own case."),
    )
    inputs = {
        "task": TASK,
        "program": BUGGY,
        "entry": "largest",
        "reference": REFERENCE,
        "budget": 1.0,
        "max_attempts": 3,
    }
    run = repair.run(inputs, model=model)
    result = run.result

    assert result["answer"] == FIXED
    assert result["survived"] is True and result["verified"] is False
    assert result["attempts"] == 2 and result["counterexample"] is None
    first, second, third = result["history"]
    assert first["counterexample"]["kind"] == "wrong_output"
    assert first["counterexample"]["input"] == [-1]
    assert (first["counterexample"]["expected"], first["counterexample"]["actual"]) == ("-1", "0")
    assert second["program"] == CRASHES_ON_EMPTY
    assert second["counterexample"]["kind"] == "crash" and second["counterexample"]["input"] == []
    assert "IndexError" in second["counterexample"]["error"]
    assert third["found"] is False
    search = result["search"]
    assert search["tries"] > 100 and search["seconds"] > 0 and search["searched"]["small"] > 0
    assert "not a proof" in search["summary"]

    # What reached the model: the task and the minimal input first, then the new crash.
    first_request, second_request = fake_openai.requests
    prompt = last_user_message(first_request)
    assert TASK in prompt and "best = 0" in prompt
    assert "largest([-1]): expected -1, got 0" in prompt
    feedback = last_user_message(second_request)
    assert "still wrong" in feedback and "largest([])" in feedback
    assert "IndexError" in feedback and "The expected output is 0." in feedback
    assert second_request["messages"][-2]["content"].startswith("The loop must start")
    fake_openai.assert_complete()

    # The trail: one search per program, in order, each with its full result.
    searches = events(run.run_id, "tool_call")
    assert [e["name"] for e in searches] == ["refute"] * 3
    assert [e["payload"]["arguments"]["candidate"] for e in searches] == [
        BUGGY,
        CRASHES_ON_EMPTY,
        FIXED,
    ]
    assert [e["payload"]["result"]["output"]["found"] for e in searches] == [True, True, False]
    assert len(events(run.run_id, "model_call")) == 2
    (log,) = events(run.run_id, "log")
    assert log["payload"]["data"]["survived"] is True


def test_a_resumed_repair_does_not_search_again_what_it_searched_before(fake_openai, refute_plugin):
    # The endpoint fails on the second fix and the run stops there; on resume, the two
    # finished searches and the first fix come from the checkpoint.
    fake_openai.enqueue(fenced(CRASHES_ON_EMPTY), Fault.status(400, message="bad request"))
    model = agentkit.OpenAIModel("fake-model", base_url=fake_openai.base_url, max_retries=0)
    inputs = {
        "task": TASK,
        "program": BUGGY,
        "entry": "largest",
        "reference": REFERENCE,
        "budget": 1.0,
    }
    with pytest.raises(agentkit.AgentkitError) as failed:
        repair.run(inputs, model=model)
    run_id = failed.value.run_id
    assert len(events(run_id, "tool_call")) == 2

    fake_openai.enqueue(fenced(FIXED))
    result = resume_workflow(run_id, model=model, workflow=repair).result

    assert result["survived"] is True and result["answer"] == FIXED
    assert [h["program"] for h in result["history"]] == [BUGGY, CRASHES_ON_EMPTY, FIXED]
    searched = [e["payload"]["arguments"]["candidate"] for e in events(run_id, "tool_call")]
    assert searched == [BUGGY, CRASHES_ON_EMPTY, FIXED]  # each program searched once
    assert "IndexError" in last_user_message(fake_openai.requests[-1])
    fake_openai.assert_complete()


def test_a_program_that_survives_at_once_is_not_sent_to_the_model(fake_openai, model):
    inputs = {
        "task": TASK,
        "program": FIXED,
        "entry": "largest",
        "reference": REFERENCE,
        "budget": 0.5,
    }
    result = repair.run(inputs, model=model).result

    assert result["answer"] == FIXED and result["survived"] is True
    assert result["attempts"] == 0 and len(result["history"]) == 1
    assert fake_openai.requests == []


SORT_TASK = "Return the elements of xs in ascending order, duplicates kept."

SORT_PROPERTY = """\
def prop(xs, out):
    return out == sorted(xs)
"""

DROPS_DUPLICATES = """\
def sort_list(xs: list[int]) -> list[int]:
    return sorted(set(xs))
"""

DOES_NOT_LOAD = """\
def sort_list(xs: list[int]) -> list[int]
    return sorted(xs)
"""

DESCENDING = """\
def sort_list(xs: list[int]) -> list[int]:
    return sorted(xs, reverse=True)
"""


def test_when_the_attempts_run_out_the_last_counterexample_is_reported(fake_openai, model):
    fake_openai.enqueue(fenced(DOES_NOT_LOAD), "I think it is fine now.", fenced(DESCENDING))
    inputs = {
        "task": SORT_TASK,
        "program": DROPS_DUPLICATES,
        "entry": "sort_list",
        "prop": SORT_PROPERTY,
        "budget": 1.0,
        "max_attempts": 3,
    }
    run = repair.run(inputs, model=model)
    result = run.result

    assert result["survived"] is False and result["verified"] is False
    assert result["attempts"] == 3
    assert result["answer"] == DESCENDING
    assert result["counterexample"]["input"] == [0, 1]
    assert result["counterexample"]["actual"] == "[1, 0]"
    history = result["history"]
    assert history[0]["counterexample"]["input"] == [0, 0]
    assert "SyntaxError" in history[1]["error"] and history[1]["program"] == DOES_NOT_LOAD
    assert history[2] == {"attempt": 2, "program": None, "error": "no ```python block"}

    first_request, second_request, third_request = fake_openai.requests
    prompt = last_user_message(first_request)
    assert "sort_list([0, 0])" in prompt and "breaks the property" in prompt
    assert "return out == sorted(xs)" in prompt  # the property is the specification
    assert "could not run your fix" in last_user_message(second_request)
    assert "SyntaxError" in last_user_message(second_request)
    assert "no ```python code block" in last_user_message(third_request)
    fake_openai.assert_complete()

    searches = events(run.run_id, "tool_call")
    assert [e["ok"] for e in searches] == [1, 0, 1]  # the fix that does not load: no search


MAX_REFERENCE = "print(max(map(int, input().split())))\n"
MAX_BY_TEXT = "print(max(input().split()))\n"  # compares the numbers as strings
MAX_GENERATOR = """\
def generate(rng, size):
    return " ".join(str(rng.randint(0, 10 * size)) for _ in range(size)) + "\\n"
"""


def test_a_stdin_program_gets_the_failing_stdin_and_its_fix_survives(fake_openai, model):
    fake_openai.enqueue(fenced(MAX_REFERENCE, "Compare them as numbers."))
    inputs = {
        "task": "Read integers from one line and print the largest.",
        "program": MAX_BY_TEXT,
        "reference": MAX_REFERENCE,
        "generator": MAX_GENERATOR,
        "budget": 1.0,
    }
    result = repair.run(inputs, model=model).result

    assert result["survived"] is True and result["answer"] == MAX_REFERENCE
    counterexample = result["history"][0]["counterexample"]
    assert isinstance(counterexample["input"], str)
    prompt = last_user_message(fake_openai.requests[0])
    assert "reads stdin" in prompt and f"```\n{counterexample['input']}\n```" in prompt
    fake_openai.assert_complete()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"prop": SORT_PROPERTY}, "exactly one oracle"),
        ({"reference": ""}, "exactly one oracle"),
        ({"entry": ""}, "needs a program `reference` and a `generator`"),
        ({"max_attempts": 0}, "at least 1"),
        ({"program": "  "}, "`program` is empty"),
    ],
)
def test_bad_inputs_fail_with_one_clear_line_before_any_search(fake_openai, model, change, message):
    inputs = {
        "task": TASK,
        "program": BUGGY,
        "entry": "largest",
        "reference": REFERENCE,
        **change,
    }
    with pytest.raises(agentkit.AgentkitError, match=message) as failed:
        repair.run(inputs, model=model)
    assert "\n" not in str(failed.value)
    assert events(failed.value.run_id, "tool_call") == []
    assert fake_openai.requests == []
