"""``sample-verify``: repeated sampling with a verifier, under a budget.

After Brown et al., "Large Language Monkeys: Scaling Inference Compute with Repeated
Sampling" (2024). Draw up to ``n`` independent solutions (one model call each), in
waves of ``parallel`` at a time, until ``n`` are drawn or the budget is spent. Then
select one: by the verifier where one applies (an answer it passed; among several,
the one most samples agree on), by a plain majority ``vote`` over ``math_equal``
classes otherwise.

Repeated sampling is worth measuring two ways, and this workflow reports both:
``coverage``, whether any sample was right (what a perfect verifier could reach), and
``correct``, whether the selected answer is right (what this selection reached). Both
need a ``gold`` answer, which is used for nothing else: never for selection.

Waves keep the durable calls in a fixed order (each wave is one ``asyncio.gather`` in
sample order, then one for its verdicts) and give the budget a place to stop. The
seconds budget is checked between waves, so the last wave may run past it by one
model call's time; a resumed run replays finished waves at once, so it never stops
earlier than the run it continues.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import agentkit
from agentkit.replies import final_answer
from agentkit.verify import Sample, ScoredClass, score_classes, vote
from agentkit_solver import math_equal

BUDGET_KEYS = ("seconds", "model_calls")

SYSTEM = "Solve the problem. Reason step by step, then give the final answer as \\boxed{...}."


@agentkit.workflow(name="sample-verify")
async def sample_verify(
    ctx: agentkit.Context,
    problem: str,
    n: int = 8,
    budget: dict[str, float] | None = None,
    verifier: str | None = None,
    reference_answer: str | None = None,
    gold: str | None = None,
    parallel: int = 4,
    temperature: float = 0.7,
) -> dict[str, Any]:
    """Draw up to n solutions within a budget, select one by verifier or by vote, and
    report coverage beside the selected answer's correctness.

    Inputs: ``problem``; ``n`` samples at most; ``budget``, any of ``{"seconds": s,
    "model_calls": m}`` (no new wave starts once one is spent); ``verifier``, a
    registered verifier's name, which judges each answer against ``{"problem": ...,
    "answer": reference_answer}`` (``reference_answer`` alone means ``math_equal``);
    ``gold``, the right answer, for reporting only; ``parallel`` samples per wave;
    ``temperature`` (sample i also gets ``seed`` i, so samples differ even with the
    model response cache on).

    Returns ``answer``, ``verified`` (the verifier passed the selected answer and
    failed none of its class), ``selected_by``, ``attempts`` (samples drawn),
    ``candidates`` (every answer given), ``samples``, ``votes`` (each class: answer,
    members, count, passed, failed) with ``chosen``, ``coverage`` and ``correct``
    (None without ``gold``), and ``budget`` (what was spent, and why drawing stopped).
    """
    limits = _check_inputs(problem, n, budget, parallel)
    if verifier is None and reference_answer is not None:
        verifier = "math_equal"
    if verifier is not None:
        agentkit.get_verifiers().get(verifier)  # an unknown name fails here, in one line
    judged = {"problem": problem}
    if reference_answer is not None:
        judged["answer"] = reference_answer

    started = time.monotonic()
    drawn: list[Sample[str | None]] = []
    tokens, stopped = 0, None
    while len(drawn) < n:
        stopped = _spent(limits, time.monotonic() - started, len(drawn))
        if stopped:
            break
        wave = range(len(drawn), len(drawn) + _wave_size(limits, n, parallel, len(drawn)))
        replies = await asyncio.gather(
            *(ctx.aask(_messages(problem), temperature=temperature, seed=i) for i in wave)
        )
        tokens += sum(reply.usage.total_tokens for reply in replies)
        answers = [final_answer(reply.content or "") for reply in replies]
        verdicts = await _judge(ctx, answers, judged, verifier)
        drawn += [
            Sample(index=i, candidate=a, verdicts=v)
            for i, a, v in zip(wave, answers, verdicts, strict=True)
        ]
    spent = {
        "seconds": round(time.monotonic() - started, 3),
        "model_calls": len(drawn),
        "tokens": tokens,
    }
    await ctx.alog(f"drew {len(drawn)} of {n} samples", stopped=stopped, spent=spent)

    report = await asyncio.to_thread(_select, drawn, verifier, gold)
    samples = [
        {
            "index": sample.index,
            "answer": sample.candidate,
            "status": sample.status if sample.verdicts else None,
            "feedback": "\n".join(v.feedback for v in sample.verdicts if v.feedback) or None,
        }
        for sample in drawn
    ]
    budget_report = {"requested": limits, "spent": spent, "stopped": stopped}
    return {**report, "attempts": len(drawn), "samples": samples, "budget": budget_report}


def _check_inputs(
    problem: str, n: int, budget: dict[str, float] | None, parallel: int
) -> dict[str, float]:
    """The budget's limits, after refusing bad inputs with one clear line each."""
    if not isinstance(problem, str) or not problem.strip():
        raise ValueError("sample-verify needs a non-empty problem text")
    if n < 1 or parallel < 1:
        raise ValueError(
            f"sample-verify needs n >= 1 and parallel >= 1 (got n={n}, parallel={parallel})"
        )
    limits = dict(budget or {})
    if unknown := sorted(set(limits) - set(BUDGET_KEYS)):
        raise ValueError(
            f"sample-verify: unknown budget key(s) {', '.join(unknown)}; "
            f"use {' and/or '.join(BUDGET_KEYS)}"
        )
    for key, value in limits.items():
        kind = int if key == "model_calls" else int | float
        if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
            what = "a positive whole number" if key == "model_calls" else "a positive number"
            raise ValueError(f"sample-verify: budget {key} must be {what}, not {value!r}")
    return limits


def _messages(problem: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": problem}]


def _wave_size(limits: dict[str, float], n: int, parallel: int, made: int) -> int:
    """How many samples the next wave draws: never past ``n`` or the model-call budget."""
    size = min(parallel, n - made)
    if "model_calls" in limits:
        size = min(size, int(limits["model_calls"]) - made)
    return size


def _spent(limits: dict[str, float], elapsed: float, made: int) -> str | None:
    """Why no further wave may start, or None while the budget lasts."""
    if "model_calls" in limits and made >= limits["model_calls"]:
        return f"model_calls budget ({limits['model_calls']:g}) spent after {made} samples"
    if "seconds" in limits and elapsed >= limits["seconds"]:
        return f"seconds budget ({limits['seconds']:g} s) spent after {made} samples"
    return None


async def _judge(
    ctx: agentkit.Context,
    answers: list[str | None],
    judged: dict[str, Any],
    verifier: str | None,
) -> list[list[agentkit.Verdict]]:
    """The verifier's verdicts on each answer (none where there is no answer or no verifier,
    or where the verifier does not apply)."""
    if verifier is None:
        return [[] for _ in answers]
    given = [answer for answer in answers if answer is not None]
    verdicts = iter(
        await asyncio.gather(*(ctx.averify(a, judged, verifiers=[verifier]) for a in given))
    )
    return [next(verdicts) if answer is not None else [] for answer in answers]


def _select(
    drawn: list[Sample[str | None]], verifier: str | None, gold: str | None
) -> dict[str, Any]:
    """Selection, votes and scores (blocking: math_equal asks a worker process)."""
    answered = [sample for sample in drawn if sample.candidate is not None]
    candidates = [sample.candidate for sample in answered]
    coverage = _matches_any(gold, candidates)
    if not answered:
        return {
            "answer": None,
            "verified": False,
            "selected_by": None,
            "candidates": [],
            "votes": [],
            "chosen": None,
            "coverage": coverage,
            "correct": None if gold is None else False,
        }
    if any(sample.verdicts for sample in answered):
        classes = score_classes(answered, math_equal)
        chosen = max(range(len(classes)), key=lambda i: _verifier_rank(classes[i], i))
        verified = classes[chosen].verified
        selected_by = f"verifier {verifier}"
        votes = [_described(c, c.tally["passed"], c.tally["failed"]) for c in classes]
    else:
        plain = vote(candidates, equivalent=math_equal)
        chosen, verified, selected_by = plain.chosen, False, "vote"
        votes = [_described(c, None, None) for c in plain.classes]
        for entry in votes:  # vote() numbers the answers; report sample indices
            entry["members"] = [answered[m].index for m in entry["members"]]
    answer = votes[chosen]["answer"]
    return {
        "answer": answer,
        "verified": verified,
        "selected_by": selected_by,
        "candidates": candidates,
        "votes": votes,
        "chosen": chosen,
        "coverage": coverage,
        "correct": _matches_any(gold, [answer]),
    }


def _verifier_rank(answer_class: ScoredClass[Any], position: int) -> tuple[int, int, int, int]:
    """Most members passed, then most not failed, then most members, then earliest."""
    tally = answer_class.tally
    return (tally["passed"], answer_class.size - tally["failed"], answer_class.size, -position)


def _described(answer_class: Any, passed: int | None, failed: int | None) -> dict[str, Any]:
    return {
        "answer": answer_class.candidate,
        "members": answer_class.members,
        "count": answer_class.size,
        "passed": passed,
        "failed": failed,
    }


def _matches_any(gold: str | None, answers: list[Any]) -> bool | None:
    """Whether any answer equals ``gold`` (math_equal); None without gold."""
    if gold is None:
        return None
    return any(_equal(gold, answer) for answer in answers)


def _equal(gold: str, answer: Any) -> bool:
    try:
        return math_equal(gold, answer)
    except agentkit.AgentkitError:  # the check could not run: not shown equal
        return False
