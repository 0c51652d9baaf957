"""``math_equal`` and the ``math_equal`` verifier: math-verify in the sandboxed worker."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pytest

import agentkit
from agentkit.verify import judge, vote
from agentkit_solver import MathEqual, SolverError, compare_answers, math_equal


@pytest.mark.parametrize(
    ("gold", "answer"),
    [
        ("2", "2.0"),
        ("42", 42),
        ("1/2", "0.5"),
        (r"\frac12", "0.5"),
        (r"\frac{1}{2}", "1/2"),
        ("0.75", Fraction(3, 4)),
        (r"\boxed{3}", "3"),
        ("5", r"The final answer is $\boxed{5}$."),
        (r"\frac{\sqrt{2}}{2}", r"\frac{1}{\sqrt{2}}"),
        (r"\frac{\pi}{4}", "0.785398"),
        (r"\{1, 2\}", r"\{2, 1\}"),
        ("[1, 2)", "[1,2)"),
        (r"(-\infty, 0]", r"(-\infty,0]"),
        ("x = 2", "2"),
        ("y = 2x + 1", "y = 1 + 2x"),
        ("x^2 - 1", "(x-1)(x+1)"),
    ],
)
def test_same_object_written_differently_is_equal(gold, answer):
    assert math_equal(gold, answer) is True


@pytest.mark.parametrize(
    ("gold", "answer"),
    [
        ("3", "4"),
        (r"\frac12", "0.51"),
        ("(1, 2)", "[1, 2]"),
        (r"\{1, 2\}", r"\{1, 3\}"),
        ("x = 2", "3"),
        ("y = 2x + 1", "y = 2x - 1"),
        ("5", "no idea"),
    ],
)
def test_different_objects_are_not_equal(gold, answer):
    assert math_equal(gold, answer) is False


def test_comparison_shows_both_parsed_forms():
    assert compare_answers(r"\frac12", "0.5") == {
        "equal": True,
        "gold": "1/2",
        "answer": "0.5",
        "unread": {},
    }
    interval = compare_answers("(1, 2)", "[1, 2]")
    assert interval["gold"] == "Interval.open(1, 2)" and interval["answer"] == "Interval(1, 2)"


def test_answers_that_are_not_text_or_numbers_are_refused():
    with pytest.raises(SolverError, match="the answer must be text or a number, not dict"):
        math_equal("1", {"value": 1})


def test_vote_groups_equivalent_answers_with_math_equal():
    result = vote([r"\frac12", "0.5", "1/3", "1/2", r"\boxed{0.5}", "2"], equivalent=math_equal)
    assert result.candidate == r"\frac12"
    assert result.counts == [4, 1, 1]
    assert result.classes[0].members == [0, 1, 3, 4]


@dataclass
class Problem:
    question: str
    expected: str


def test_verifier_applies_only_where_the_problem_carries_a_reference():
    verifier = MathEqual()
    assert verifier.applies_to("2", {"question": "1+1?", "answer": "2"})
    assert verifier.applies_to("2", {"gold": "2"})
    assert verifier.applies_to(2, Problem("1+1?", "2"))
    assert not verifier.applies_to("2", {"question": "1+1?"})
    assert not verifier.applies_to("2", "1+1?")
    assert not verifier.applies_to(["2"], {"answer": "2"})


def test_verifier_passes_an_equal_answer_naming_both_parsed_forms():
    verdict = judge(MathEqual(), "0.5", {"question": "half?", "answer": r"\frac12"})
    assert verdict.status == "passed" and verdict.verifier == "math_equal"
    assert verdict.feedback == (
        r"the answer '0.5' (read as 0.5) equals the reference '\\frac12' (read as 1/2)"
    )


def test_verifier_fails_a_different_answer_naming_both_parsed_forms():
    verdict = judge(MathEqual(), "x = 3", Problem("solve x + 1 = 3", "2"))
    assert verdict.status == "failed"
    assert verdict.feedback == (
        "the answer 'x = 3' (read as Eq(x, 3)) differs from the reference '2' (read as 2)"
    )


def test_verifier_fails_an_answer_with_no_maths_and_is_undecided_without_a_usable_reference():
    no_maths = judge(MathEqual(), "I do not know", {"answer": "7"})
    assert no_maths.status == "failed"
    assert no_maths.feedback.startswith("no mathematical answer found in 'I do not know'")
    unreadable = judge(MathEqual(), "7", {"answer": "seven apples"})
    assert unreadable.status == "undecided" and "cannot check" in unreadable.feedback


def test_the_plugin_registers_the_math_equal_verifier(monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "solver")
    agentkit.load_plugins()
    verifier = agentkit.get_verifiers().get("math_equal")
    assert isinstance(verifier, MathEqual) and verifier.plugin == "solver"


def test_the_plugin_registers_the_sympy_and_smt_tools(monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "solver")
    agentkit.load_plugins()
    assert agentkit.get_tool("sympy").plugin == "solver"
    assert agentkit.get_tool("smt").plugin == "solver"


# Each of these was misread before math_equal looked for the final answer and read plain
# text with sympy's names: pi as i*p, exp(1) as E*x*p(1), 'Sorry' as o*r*r*s*y, the
# bound 10,000 as the count, the draft 24000 as the corrected answer.
@pytest.mark.parametrize(
    ("answer", "read_as", "reference"),
    [
        ("pi", "pi", r"\pi"),
        ("exp(1)", "E", "e"),
        ("(x - 1)*exp(x)", "(x - 1)*exp(x)", r"(x-1)e^{x}"),
        ("pi**2/6", "pi**2/6", r"\frac{\pi^{2}}{6}"),
        ("There are 1229 primes below 10,000.", "1229", "1229"),
        ("Sorry: 4950", "4950", "4950"),
        ("The answer is 24000? No, recomputed: **24133**.", "24133", "24133"),
    ],
)
def test_plain_text_and_prose_are_read_as_the_answer_given(answer, read_as, reference):
    outcome = compare_answers(reference, answer)
    assert outcome["answer"] == read_as
    assert outcome["equal"] is True


@pytest.mark.parametrize(
    ("answer", "reference"),
    [
        ("There are 1229 primes below 10,000.", "10000"),
        ("The answer is 24000? No, recomputed: **24133**.", "24000"),
        ("The remainder when 2^100 is divided by 7 is 2.", "7"),
        ("The answer is 7. Check: 7 + 3 = 10.", "10"),
    ],
)
def test_a_number_that_is_not_the_final_answer_never_verifies(answer, reference):
    verdict = judge(MathEqual(), answer, {"answer": reference})
    assert verdict.status == "failed"


@pytest.mark.parametrize(
    "answer",
    [
        "The numbers 3 and 5 both appear in it",  # several values, none stated as the answer
        "about seven",  # a number in words
        "the value of f at 3 is sqrt(",  # maths that does not parse
    ],
)
def test_an_answer_that_cannot_be_read_is_undecided_never_equal(answer):
    verdict = judge(MathEqual(), answer, {"answer": "3"})
    assert verdict.status == "undecided", verdict.feedback
    assert verdict.feedback.startswith("cannot check:")
