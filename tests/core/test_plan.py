from __future__ import annotations

import pytest

import agentkit
from agentkit.plan import Plan, PlanError, references


@agentkit.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@agentkit.tool
def echo(text: str) -> str:
    """Echo a text."""
    return text


TOOLS = {"add": add, "echo": echo}


def step(id, tool="add", **args):
    return {"id": id, "tool": tool, "args": args or {"a": 1, "b": 2}}


def problems_of(data) -> str:
    with pytest.raises(PlanError) as caught:
        Plan.parse(data, TOOLS)
    return str(caught.value)


def test_dependencies_come_from_references():
    plan = Plan.parse(
        [step("c", a="${a}", b="${b.x}"), step("a"), step("b", "echo", text="from ${a}")], TOOLS
    )
    assert plan.needs("c") == {"a", "b"} and plan.needs("b") == {"a"}
    assert plan.order() == ["a", "b", "c"]
    assert plan.downstream("a") == {"b", "c"}
    assert references({"x": ["${p}", {"y": "${q.z} and ${p}"}]}) == {"p", "q"}


def test_cycle_is_named_step_by_step():
    message = problems_of([step("a", a="${b}", b=1), step("b", a="${a}", b=1)])
    assert "the steps form a cycle (a -> b -> a)" in message


def test_self_reference_is_a_cycle():
    assert "cycle (a -> a)" in problems_of([step("a", a="${a}", b=1)])


def test_duplicate_ids_are_rejected():
    assert "duplicate step id 'a' (step 2)" in problems_of([step("a"), step("a")])


def test_unknown_tool_suggests_the_closest():
    message = problems_of([step("a", "ad")])
    assert "step 'a' uses unknown tool 'ad'; did you mean 'add'? (available: add, echo)" in message


def test_dangling_reference_suggests_the_closest_step():
    message = problems_of([step("load"), step("use", a="${lod}", b=1)])
    assert (
        "step 'use' refers to ${lod}, but there is no step 'lod'; did you mean 'load'?" in message
    )


def test_arguments_are_checked_against_the_tool_schema():
    message = problems_of([{"id": "a", "tool": "add", "args": {"a": "one", "c": 3}}])
    assert "step 'a' (tool 'add'): argument 'a': 'one' is not of type 'integer'" in message
    assert "'b' is a required property" in message
    assert "('c' was unexpected)" in message


def test_a_whole_reference_stands_in_for_any_type_but_text_around_it_is_a_string():
    Plan.parse([step("a"), step("b", a="${a}", b=2)], TOOLS)  # resolved at run time
    message = problems_of([step("a"), step("b", a="n=${a}", b=2)])
    assert "argument 'a': 'n=${a}' is not of type 'integer'" in message


def test_every_problem_is_reported_at_once():
    message = problems_of([step("a", a="${b}", b=1), step("b", a="${a}", b="x"), step("c", "nope")])
    assert message.startswith("invalid plan: (1) ")
    assert "cycle" in message and "'x' is not of type 'integer'" in message
    assert "unknown tool 'nope'" in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('{"steps": [', "the plan is not valid JSON"),
        ({"steps": []}, "steps: List should have at least 1 item"),
        ({"steps": [{"id": "1x", "tool": "add"}]}, "steps.0.id: String should match pattern"),
        ({"steps": [{"id": "a", "tool": "add", "argz": {}}]}, "steps.0.argz: Extra inputs"),
        ({"plan": []}, "steps: Field required"),
    ],
)
def test_malformed_plans_say_what_is_wrong(data, expected):
    assert expected in problems_of(data)


def test_plan_round_trips_through_json():
    plan = Plan.parse([step("a"), step("b", a="${a}", b=3)], TOOLS)
    assert Plan.parse(plan.to_json(), TOOLS).to_json() == plan.to_json()
