"""The verifier loops: verify_all, refine, best_of_n and vote."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from concurrency_helpers import Overlap

from agentkit import Store, Verdict, call_model
from agentkit.testing import ScriptedModel
from agentkit.verify import (
    Refined,
    Selection,
    Vote,
    applicable,
    arefine,
    best_of_n,
    equivalence_classes,
    feedback_text,
    overall_status,
    refine,
    verify_all,
    vote,
)

BOUND = 5.0  # seconds: the most any test waits for a thread


@dataclass
class Expects:
    """Passes the expected answer; fails anything else, with the answer as counterexample."""

    expected: Any
    name: str = "expects"

    def applies_to(self, candidate, problem):
        return True

    def verify(self, candidate, problem, ctx=None):
        if candidate == self.expected:
            return Verdict(status="passed")
        return Verdict(
            status="failed",
            feedback=f"{candidate!r} is not {self.expected!r}",
            counterexample={"got": candidate},
        )


@dataclass
class Says:
    """Gives a fixed status, or a per-candidate one from ``by_candidate``."""

    status: str = "undecided"
    name: str = "says"
    by_candidate: dict[Any, str] = field(default_factory=dict)
    pause: float = 0.0

    def applies_to(self, candidate, problem):
        return True

    def verify(self, candidate, problem, ctx=None):
        time.sleep(self.pause)
        return Verdict(status=self.by_candidate.get(candidate, self.status), feedback="said so")


class OnlyIntegers:
    name = "integers"

    def applies_to(self, candidate, problem):
        return isinstance(candidate, int)

    def verify(self, candidate, problem, ctx=None):
        return Verdict(status="passed")


class Explodes:
    name = "explodes"

    def applies_to(self, candidate, problem):
        return True

    def verify(self, candidate, problem, ctx=None):
        raise ZeroDivisionError("division by zero in the checker")


class ExplodesOnApplies:
    name = "picky"

    def applies_to(self, candidate, problem):
        raise KeyError("no such field")

    def verify(self, candidate, problem, ctx=None):
        return Verdict(status="passed")


class ReturnsNothing:
    name = "silent"

    def applies_to(self, candidate, problem):
        return True

    def verify(self, candidate, problem, ctx=None):
        return None


@pytest.fixture
def run(tmp_path):
    return Store(tmp_path / "db").start_run("test", "verify")


def verdict_events(run):
    return [e for e in run.store.events(run.id) if e["type"] == "verdict"]


def answers(*candidates):
    """A generate callable for refine that answers ``candidates`` in order, and its feedbacks."""
    feedbacks = []

    def generate(problem, feedback):
        feedbacks.append(feedback)
        return candidates[len(feedbacks) - 1]

    return generate, feedbacks


def samples_of(*candidates):
    """A sample callable for best_of_n: sample ``index`` is ``candidates[index]``."""
    return lambda problem, index: candidates[index]


# -- verify_all --------------------------------------------------------------------------


def test_verify_all_runs_every_verifier_and_stamps_its_name():
    verdicts = verify_all(4, "2 + 2", [Expects(4), Says("failed", name="other")])
    assert [(v.verifier, v.status) for v in verdicts] == [
        ("expects", "passed"),
        ("other", "failed"),
    ]


def test_verifier_name_overrides_what_the_verdict_claims():
    class Impostor(Says):
        def verify(self, candidate, problem, ctx=None):
            return Verdict(status="passed", verifier="someone-else")

    [verdict] = verify_all(1, None, [Impostor(name="honest")])
    assert verdict.verifier == "honest"


def test_verifier_that_does_not_apply_gives_no_verdict():
    verifiers = [OnlyIntegers(), Expects("x")]
    assert applicable(verifiers, "x", None) == [verifiers[1]]
    assert [v.verifier for v in verify_all("x", None, verifiers)] == ["expects"]
    assert [v.verifier for v in verify_all(3, None, verifiers)] == ["integers", "expects"]


def test_verifier_that_raises_gives_undecided_with_the_error():
    verdicts = verify_all("x", None, [Explodes(), Expects("x")])
    assert [v.status for v in verdicts] == ["undecided", "passed"]
    assert "ZeroDivisionError" in verdicts[0].feedback
    assert "division by zero in the checker" in verdicts[0].feedback
    assert verdicts[0].verifier == "explodes"


def test_applies_to_that_raises_is_reported_not_skipped():
    picky = ExplodesOnApplies()
    assert applicable([picky], "x", None) == [picky]
    [verdict] = verify_all("x", None, [picky])
    assert verdict.status == "undecided"
    assert "KeyError" in verdict.feedback


def test_verifier_that_returns_no_verdict_is_undecided():
    [verdict] = verify_all("x", None, [ReturnsNothing()])
    assert verdict.status == "undecided"
    assert "returned None, not a Verdict" in verdict.feedback


def test_verify_all_defaults_to_every_registered_verifier_once(add_plugin):
    expects = Expects(4)
    add_plugin(
        "checks",
        register_verifiers=lambda register: (
            register(expects, aliases=("expects-again",)),
            register(Says("failed", name="naysayer")),
        ),
    )
    verdicts = verify_all(4, None)
    assert sorted((v.verifier, v.status) for v in verdicts) == [
        ("expects", "passed"),
        ("naysayer", "failed"),
    ]


def test_no_registered_verifiers_means_no_verdicts():
    assert verify_all("anything", None) == []


def test_verdicts_are_recorded_in_the_current_run_with_timing(run):
    with run.activate():
        verify_all("x", None, [Says("passed", pause=0.05), Expects("y"), Explodes()])
    events = verdict_events(run)
    assert [(e["name"], e["ok"]) for e in events] == [
        ("says", 1),
        ("expects", 0),
        ("explodes", None),
    ]
    assert events[0]["elapsed"] >= 0.05
    assert events[1]["payload"]["counterexample"] == {"got": "x"}


def test_verdicts_go_to_an_explicit_run_without_activation(run):
    verify_all("x", None, [Expects("x")], run=run)
    assert [e["name"] for e in verdict_events(run)] == ["expects"]


def test_verifiers_receive_the_context():
    seen = []

    class Peeks(Says):
        def verify(self, candidate, problem, ctx=None):
            seen.append((candidate, problem, ctx))
            return Verdict(status="passed")

    verify_all("c", "p", [Peeks()], ctx={"budget": 1})
    assert seen == [("c", "p", {"budget": 1})]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "undecided"),
        (["undecided"], "undecided"),
        (["passed", "undecided"], "passed"),
        (["passed", "failed"], "failed"),
        (["undecided", "failed"], "failed"),
        (["passed", "passed"], "passed"),
    ],
)
def test_overall_status(statuses, expected):
    assert overall_status([Verdict(status=s) for s in statuses]) == expected


def test_feedback_text_gives_failures_with_their_counterexamples():
    text = feedback_text(
        [
            Verdict(status="passed", feedback="fine", verifier="ok"),
            Verdict(status="failed", feedback="f(3) = 5", counterexample={"x": 3}, verifier="cx"),
            Verdict(status="undecided", feedback="timed out", verifier="slow"),
        ]
    )
    assert "'cx' rejected the answer: f(3) = 5" in text
    assert 'Counterexample: {"x": 3}' in text
    assert "fine" not in text
    assert "timed out" not in text


# -- refine ------------------------------------------------------------------------------


@pytest.fixture(params=["refine", "arefine"])
def refine_loop(request):
    """``refine``, or the same call through ``arefine`` with an async ``generate``."""
    if request.param == "refine":
        return refine

    def through_arefine(generate, problem, **options):
        async def agenerate(problem, feedback):
            return generate(problem, feedback)

        return asyncio.run(arefine(agenerate, problem, **options))

    return through_arefine


def test_refine_stops_at_the_first_candidate_that_passes(refine_loop):
    generate, feedbacks = answers(5, 4, 4)
    refined = refine_loop(generate, "2 + 2", verifiers=[Expects(4)], attempts=3)
    assert (refined.candidate, refined.verified, refined.chosen) == (4, True, 1)
    assert len(feedbacks) == 2
    assert [a.candidate for a in refined.attempts] == [5, 4]
    assert [a.status for a in refined.attempts] == ["failed", "passed"]


def test_refine_feeds_back_the_failed_verdicts_of_the_previous_attempt(refine_loop):
    generate, feedbacks = answers(5, 6, 4)
    refine_loop(generate, "2 + 2", verifiers=[Expects(4), Says("undecided")], attempts=3)
    assert feedbacks[0] == []
    assert [(v.verifier, v.counterexample) for v in feedbacks[1]] == [("expects", {"got": 5})]
    assert [(v.verifier, v.counterexample) for v in feedbacks[2]] == [("expects", {"got": 6})]


def test_refine_out_of_attempts_returns_the_best_candidate_unverified(refine_loop):
    verifiers = [
        Says(name="a", by_candidate={"bad": "failed", "close": "passed", "worse": "failed"}),
        Says(name="b", by_candidate={"bad": "failed", "close": "failed", "worse": "failed"}),
    ]
    generate, _ = answers("bad", "close", "worse")
    refined = refine_loop(generate, None, verifiers=verifiers, attempts=3)
    assert refined.verified is False
    assert (refined.candidate, refined.chosen) == ("close", 1)
    assert len(refined.attempts) == 3


def test_refine_prefers_fewer_failures_when_passes_tie(refine_loop):
    verifiers = [
        Says(name="a", by_candidate={"one": "failed", "two": "failed"}),
        Says(name="b", by_candidate={"one": "failed", "two": "undecided"}),
    ]
    generate, _ = answers("one", "two", "one")
    refined = refine_loop(generate, None, verifiers=verifiers, attempts=3)
    assert (refined.candidate, refined.chosen, refined.verified) == ("two", 1, False)


def test_refine_ties_go_to_the_latest_attempt(refine_loop):
    generate, _ = answers("first", "second", "third")
    refined = refine_loop(generate, None, verifiers=[Says("failed")], attempts=3)
    assert (refined.candidate, refined.chosen, refined.verified) == ("third", 2, False)


def test_refine_keeps_trying_while_verifiers_are_undecided(refine_loop):
    generate, _ = answers("a", "b")
    refined = refine_loop(
        generate, None, verifiers=[Says(by_candidate={"b": "passed"})], attempts=2
    )
    assert (refined.candidate, refined.verified) == ("b", True)


def test_refine_stops_early_when_no_verifier_applies(refine_loop):
    generate, feedbacks = answers("text", "more text")
    refined = refine_loop(generate, None, verifiers=[OnlyIntegers()], attempts=3)
    assert (refined.candidate, refined.verified) == ("text", False)
    assert len(feedbacks) == 1


def test_refine_needs_at_least_one_attempt(refine_loop):
    with pytest.raises(ValueError, match="at least one attempt"):
        refine_loop(lambda problem, feedback: 1, None, verifiers=[], attempts=0)


def test_refine_lets_generator_errors_through(refine_loop):
    def generate(problem, feedback):
        raise RuntimeError("model budget exhausted")

    with pytest.raises(RuntimeError, match="budget"):
        refine_loop(generate, None, verifiers=[Expects(1)])


def test_refine_takes_a_check_or_verifiers_but_not_both(refine_loop):
    def generate(problem, feedback):
        return 4

    with pytest.raises(ValueError, match="either check, or verifiers"):
        refine_loop(generate, None, verifiers=[Expects(4)], check=lambda c, p: [])


def test_arefine_awaits_its_check():
    seen = []

    async def generate(problem, feedback):
        return 5 if not feedback else 4

    async def check(candidate, problem):
        await asyncio.sleep(0)
        seen.append(candidate)
        return [Expects(4).verify(candidate, problem)]

    refined = asyncio.run(arefine(generate, "2 + 2", check=check))
    assert (refined.candidate, refined.verified, seen) == (4, True, [5, 4])


def test_refine_result_round_trips_through_json():
    generate, _ = answers(5, 4)
    refined = refine(generate, "2 + 2", verifiers=[Expects(4)], attempts=2)
    data = json.loads(json.dumps(refined.model_dump(mode="json")))
    assert data["verified"] is True
    assert data["attempts"][0]["status"] == "failed"
    assert data["attempts"][0]["verdicts"][0]["counterexample"] == {"got": 5}
    assert Refined.model_validate(data).attempts[1].candidate == 4


def test_refine_with_a_model_feeds_the_verifier_back_into_the_next_prompt(run):
    model = ScriptedModel(replies=("5", "4"))
    conversation = [{"role": "user", "content": "What is 2 + 2? Answer with a number."}]

    def ask_model(problem, feedback):
        if feedback:
            conversation.append({"role": "user", "content": feedback_text(feedback)})
        reply = call_model(model, conversation)
        conversation.append(reply.message())
        return int(reply.content)

    with run.activate():
        refined = refine(ask_model, "2 + 2", verifiers=[Expects(4)], attempts=3)

    assert (refined.candidate, refined.verified) == (4, True)
    model.assert_complete()
    second_prompt = model.calls[1]["messages"]
    assert second_prompt[-2] == {"role": "assistant", "content": "5"}
    assert "'expects' rejected the answer: 5 is not 4" in second_prompt[-1]["content"]
    assert 'Counterexample: {"got": 5}' in second_prompt[-1]["content"]
    kinds = [(e["type"], e["ok"]) for e in run.store.events(run.id)]
    assert kinds == [("model_call", 1), ("verdict", 0), ("model_call", 1), ("verdict", 1)]


# -- vote --------------------------------------------------------------------------------


def test_vote_picks_the_majority_with_counts():
    result = vote(["4", "5", "4", "6", "4"])
    assert result.candidate == "4"
    assert result.count == 3
    assert result.counts == [3, 1, 1]
    assert [c.members for c in result.classes] == [[0, 2, 4], [1], [3]]


def test_vote_tie_goes_to_the_earliest_class():
    assert vote(["b", "a", "a", "b"]).candidate == "b"
    assert vote(["a", "b", "b", "a"]).candidate == "a"


def test_vote_uses_the_given_equivalence():
    def same_number(a, b):
        return float(a) == float(b)

    result = vote(
        ["0.5", "1/2", "2", "4/8", "2.0"],
        equivalent=lambda a, b: same_number(*map(fraction, (a, b))),
    )
    assert (result.candidate, result.count) == ("0.5", 3)
    assert result.counts == [3, 2]


def fraction(text):
    numerator, _, denominator = text.partition("/")
    return float(numerator) / float(denominator or 1)


def test_an_equivalence_that_raises_counts_as_different():
    def fussy(a, b):
        if "?" in (a, b):
            raise ValueError("cannot parse")
        return a == b

    assert vote(["?", "x", "x"], equivalent=fussy).counts == [1, 2]


def test_equivalence_is_asked_with_the_class_representative_first():
    asked = []

    def record(first, other):
        asked.append((first, other))
        return False

    equivalence_classes(["a", "b", "c"], record)
    assert asked == [("a", "b"), ("a", "c"), ("b", "c")]


def test_vote_needs_candidates():
    with pytest.raises(ValueError, match="at least one candidate"):
        vote([])


def test_vote_round_trips_through_json():
    data = json.loads(vote([1, 2, 1]).model_dump_json())
    assert data["counts"] == [2, 1]
    assert Vote.model_validate(data).candidate == 1


# -- best_of_n ---------------------------------------------------------------------------


def test_verified_minority_beats_a_wrong_majority():
    sample = samples_of("5", "5", "5", "4")
    selection = best_of_n(sample, "2 + 2", n=4, verifiers=[Expects("4")])
    assert (selection.candidate, selection.verified, selection.coverage) == ("4", True, True)
    assert selection.scores == [0.0, 1.0]
    assert [c.members for c in selection.classes] == [[0, 1, 2], [3]]
    assert selection.classes[1].tally == {"passed": 1, "failed": 0, "undecided": 0}


def test_without_verdicts_best_of_n_is_a_majority_vote():
    sample = samples_of("5", "4", "5")
    selection = best_of_n(sample, None, n=3, verifiers=[])
    assert (selection.candidate, selection.verified, selection.coverage) == ("5", False, False)
    assert selection.scores == [1.0, 0.5]


def test_weights_decide_between_undecided_majority_and_verified_minority():
    verifier = Says(by_candidate={"right": "passed"})
    sample = samples_of("maybe", "maybe", "maybe", "right")
    default = best_of_n(sample, None, n=4, verifiers=[verifier])
    assert (default.candidate, default.verified, default.coverage) == ("maybe", False, True)

    sample = samples_of("maybe", "maybe", "maybe", "right")
    strict = best_of_n(
        sample,
        None,
        n=4,
        verifiers=[verifier],
        weights={"passed": 1.0, "undecided": 0.1, "failed": 0.0},
    )
    assert (strict.candidate, strict.verified) == ("right", True)


def test_a_class_with_a_failed_member_is_not_verified():
    verifier = Says(by_candidate={"x": "passed", "x ": "failed", "y": "undecided"})
    sample = samples_of("x", "x ", "y")
    selection = best_of_n(
        sample, None, n=3, verifiers=[verifier], equivalent=lambda a, b: a.strip() == b.strip()
    )
    assert selection.candidate == "x"
    assert selection.scores == [1.0, 0.5]
    assert (selection.verified, selection.coverage) == (False, True)


def test_best_of_n_score_tie_goes_to_the_larger_class():
    verifier = Says(by_candidate={"a": "passed", "b": "undecided"})
    sample = samples_of("a", "b", "b")
    selection = best_of_n(sample, None, n=3, verifiers=[verifier])
    assert selection.scores == [1.0, 1.0]
    assert selection.candidate == "b"


def test_best_of_n_full_tie_goes_to_the_earliest_class():
    sample = samples_of("b", "a", "a", "b")
    selection = best_of_n(sample, None, n=4, verifiers=[Says("passed")])
    assert selection.scores == [2.0, 2.0]
    assert selection.candidate == "b"


def test_samples_are_given_their_index():
    selection = best_of_n(lambda problem, index: index * 10, "p", n=4, verifiers=[])
    assert [(s.index, s.candidate) for s in selection.samples] == [
        (0, 0),
        (1, 10),
        (2, 20),
        (3, 30),
    ]


def test_best_of_n_defaults_to_the_registered_verifiers(add_plugin):
    add_plugin("checks", register_verifiers=lambda register: register(Expects(2)))
    selection = best_of_n(lambda problem, index: index, None, n=3)
    assert (selection.candidate, selection.verified) == (2, True)


class MeetsTheOthers:
    """Passes only when all ``n`` samples are being verified at the same time."""

    name = "meets"

    def __init__(self, n: int) -> None:
        self.barrier = threading.Barrier(n, timeout=BOUND)

    def applies_to(self, candidate, problem):
        return True

    def verify(self, candidate, problem, ctx=None):
        self.barrier.wait()  # one after another, the first waits alone and it breaks
        return Verdict(status="passed")


def test_the_samples_are_verified_side_by_side_too():
    selection = best_of_n(lambda problem, index: "same", None, n=8, verifiers=[MeetsTheOthers(8)])
    assert len(selection.samples) == 8
    assert [sample.status for sample in selection.samples] == ["passed"] * 8


def test_all_samples_run_at_once():
    barrier = threading.Barrier(6, timeout=BOUND)

    def meet(problem, index):
        barrier.wait()  # raises BrokenBarrierError unless all six are running together
        return index

    assert len(best_of_n(meet, None, n=6, verifiers=[]).samples) == 6


def test_workers_bound_the_parallel_samples():
    sampling = Overlap()

    def counted(problem, index):
        with sampling.inside():
            time.sleep(0.05)
        return index

    best_of_n(counted, None, n=8, verifiers=[], workers=2)
    assert sampling.peak == 2


def test_a_sample_still_running_at_the_timeout_is_left_out():
    release = threading.Event()

    def sample(problem, index):
        if index == 1:
            release.wait(BOUND)
        return "x"

    started = time.perf_counter()
    try:
        selection = best_of_n(sample, None, n=3, verifiers=[], timeout=0.3)
    finally:
        release.set()
    assert time.perf_counter() - started < BOUND / 2
    assert selection.unfinished == [1]
    assert [s.index for s in selection.samples] == [0, 2]
    assert selection.classes[0].members == [0, 2]


def test_no_sample_finishing_in_time_is_a_timeout_error():
    release = threading.Event()
    try:
        with pytest.raises(TimeoutError, match="none of the 2 samples"):
            best_of_n(lambda problem, index: release.wait(BOUND), None, n=2, timeout=0.1)
    finally:
        release.set()


def test_a_sample_that_raises_stops_best_of_n():
    def sample(problem, index):
        if index == 2:
            raise RuntimeError("model unreachable")
        return index

    with pytest.raises(RuntimeError, match="model unreachable"):
        best_of_n(sample, None, n=4, verifiers=[])


def test_a_sample_error_is_raised_without_waiting_for_slow_samples():
    release = threading.Event()

    def sample(problem, index):
        if index == 0:
            raise RuntimeError("model unreachable")
        return release.wait(BOUND)

    started = time.perf_counter()
    try:
        with pytest.raises(RuntimeError, match="model unreachable"):
            best_of_n(sample, None, n=2, verifiers=[])
    finally:
        release.set()
    assert time.perf_counter() - started < BOUND / 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "n >= 1"),
        ({"n": 2, "weights": {"passed": 1.0, "failed": 0.0}}, "need a value for undecided"),
    ],
)
def test_best_of_n_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        best_of_n(lambda problem, index: index, None, verifiers=[], **kwargs)


def test_samples_record_model_calls_and_verdicts_in_the_callers_run(run):
    model = ScriptedModel(replies=("4", "4", "4"))

    def ask_model(problem, index):
        return call_model(model, [{"role": "user", "content": problem}]).content

    with run.activate():
        selection = best_of_n(ask_model, "2 + 2", n=3, verifiers=[Expects("4")])
    assert selection.verified
    events = run.store.events(run.id)
    assert sum(e["type"] == "model_call" for e in events) == 3
    assert [(e["name"], e["ok"]) for e in verdict_events(run)] == [("expects", 1)] * 3


def test_selection_round_trips_through_json():
    sample = samples_of("5", "4")
    selection = best_of_n(sample, None, n=2, verifiers=[Expects("4")])
    data = json.loads(selection.model_dump_json())
    assert data["scores"] == [0.0, 1.0]
    assert data["classes"][1]["verified"] is True
    assert data["samples"][0]["verdicts"][0]["status"] == "failed"
    restored = Selection.model_validate(data)
    assert (restored.candidate, restored.samples[1].index) == ("4", 1)
