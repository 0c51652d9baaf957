"""``self-verify``: code-based self-verification (CSV) with verification-weighted voting.

After Zhou et al., "Solving Challenging Math Word Problems Using GPT-4 Code Interpreter
with Code-based Self-Verification" (2023). Each of ``k`` samples solves the problem
with the ``python`` tool, then writes code that checks its own answer (substitute it
back, recompute it another way, test small cases) and prints True or False. A False
goes back to the model with the check's output, and it amends its solution, up to
``max_rounds`` times. The samples' final answers are grouped with ``math_equal`` and
each group scores its members' weights by verification state (:data:`WEIGHTS`).

The samples run side by side in lockstep: every phase (a model turn, the code runs,
the checks) is one ``asyncio.gather`` over the samples still at work, in sample order.
Free-running per-sample coroutines would interleave their durable calls in whatever
order the model happened to answer, and a resumed run must make its calls in the
same order as the first one (see :mod:`agentkit.workflows`); lockstep keeps the order
a function of the recorded results alone.

Each sample keeps its variables in its own ``python`` session, so its check can use
them. A resumed run gets checkpointed tool results back but not the kernel's state:
a check that needs a lost variable fails and counts as uncertain, never as true.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

import agentkit
from agentkit.replies import final_answer, last_code_block
from agentkit.verify import Sample, ScoredClass, Status, score_classes
from agentkit_solver import math_equal

State = Literal["true", "false", "uncertain"]

WEIGHTS: dict[Status, float] = {"passed": 1.0, "undecided": 0.5, "failed": 0.2}
"""What one sample adds to its answer's score, by what its check said.

CSV ranks the states true > uncertain > false; these values are ours. A True check
counts fully; an uncertain one (the code broke, or printed neither) half, as no
evidence either way; a False one still a little, not nothing, because the model's
check is itself sometimes the part that is wrong. So one verified answer
(1.0) outweighs a majority of four refuted ones (0.8), and two uncertain samples
(1.0) tie with it, a tie that the verified answer wins (see :func:`chosen_class`).
"""

STATES: dict[Status, State] = {"passed": "true", "failed": "false", "undecided": "uncertain"}
OUTPUT_LIMIT = 4000  # characters of code output shown to the model per run
CODE_LANGUAGES = ("python", "py", "python3")

SYSTEM = (
    "You solve maths problems with a Python interpreter. To run code, write it in a "
    "```python block and you will be shown what it printed; variables persist between "
    "blocks. When you are sure, give the final answer as \\boxed{...}."
)
CONTINUE = "Continue. When you are sure, give the final answer as \\boxed{...}."
NUDGE = "Give your final answer as \\boxed{...}, or run code to get it."
CHECK = (
    "Your answer is {answer}. Now verify it with code: write one ```python block that "
    "checks the answer a different way (substitute it back into the conditions of the "
    "problem, recompute it by another method, or test small cases) and prints True if "
    "the answer is correct and False if it is not, as its last line."
)
AMEND = (
    "Your check of the answer {answer} printed:\n```\n{output}\n```\nSo the answer is "
    "probably wrong. Find the mistake, amend the solution (you may run more code) and "
    "give the corrected final answer as \\boxed{{...}}."
)


class SelfCheck:
    """Verifier: what the model's own check code printed for its answer.

    It reads an already finished ``python`` run (the check must run in the sample's
    session, which a verifier has no access to); passing it through ``ctx.verify``
    records the outcome as a verdict of the run, beside every other verdict.
    """

    name = "self_check"

    def __init__(self, code: str | None, result: agentkit.ToolResult | None) -> None:
        self.code = code
        self.result = result

    def applies_to(self, candidate: Any, problem: Any) -> bool:
        return True

    def verify(self, candidate: Any, problem: Any, ctx: Any = None) -> agentkit.Verdict:
        if self.code is None or self.result is None:
            return agentkit.Verdict(
                status="undecided", feedback="the check reply had no ```python block"
            )
        output = output_text(self.result)
        evidence = {"code": self.code, "output": output}
        said = printed_bool(self.result)
        if said is None:
            reason = "failed" if not self.result.ok else "printed neither True nor False"
            feedback = f"the check code {reason}:\n{output}"
            return agentkit.Verdict(status="undecided", feedback=feedback, evidence=evidence)
        status: Status = "passed" if said else "failed"
        feedback = f"the model's own check printed {said}:\n{output}"
        return agentkit.Verdict(status=status, feedback=feedback, evidence=evidence)


def output_text(result: agentkit.ToolResult) -> str:
    """What a ``python`` run showed, as the model would see it in a notebook (clipped)."""
    out = result.output if isinstance(result.output, dict) else {}
    parts = [out.get("stdout") or "", out.get("stderr") or ""]
    if out.get("result") is not None:
        parts.append(f"Out: {out['result']}")
    if not result.ok:
        parts.append(out.get("traceback") or result.error or "the code failed")
    text = "\n".join(part.rstrip("\n") for part in parts if part).strip() or "(no output)"
    return text if len(text) <= OUTPUT_LIMIT else text[:OUTPUT_LIMIT] + "\n[... output clipped]"


def printed_bool(result: agentkit.ToolResult) -> bool | None:
    """True or False if that is the last thing the check code showed, else None."""
    if not result.ok or not isinstance(result.output, dict):
        return None
    lines = (result.output.get("stdout") or "").strip().splitlines()
    last = str(result.output.get("result") or (lines[-1] if lines else ""))
    word = last.strip().removeprefix("np.").removeprefix("numpy.").rstrip("_")
    return {"True": True, "False": False}.get(word)


@dataclass
class _Sample:
    """One sample's conversation and what has become of it."""

    index: int
    session: str
    messages: list[dict[str, Any]]
    answer: str | None = None
    shown: str | None = None  # output of the code in the reply that gave the answer
    verdict: agentkit.Verdict | None = None
    rounds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def state(self) -> State | None:
        return STATES[self.verdict.status] if self.verdict is not None else None

    def say(self, role: str, content: str) -> None:
        self.messages.append({"role": role, "content": content})


@agentkit.workflow(name="self-verify")
async def self_verify(
    ctx: agentkit.Context,
    problem: str,
    k: int = 3,
    max_rounds: int = 2,
    max_turns: int = 4,
    temperature: float = 0.7,
) -> dict[str, Any]:
    """Solve with Python k times, have each sample check its own answer with code,
    amend on False, and vote with weights by check result (CSV).

    ``verified`` is true only when the chosen answer's group has a sample whose check
    printed True and none whose check printed False. That check is the model's own
    code, not an independent verifier: ``verified_by`` names it (``self_check``) and
    ``evidence`` holds the passing checks' code and output.

    Inputs: ``problem``; ``k`` samples; ``max_rounds`` amend-and-retry rounds per
    sample; ``max_turns`` model replies per solving round; ``temperature`` for
    sampling (each sample also gets its index as ``seed``, so samples differ even with
    the model response cache on). Returns ``answer``, ``verified``, ``verified_by``,
    ``evidence``, ``attempts`` (answers checked, all samples), ``candidates`` (each
    sample's final answer), ``samples`` (state and rounds of each) and ``vote``.
    """
    _check_inputs(problem, k, max_rounds, max_turns)
    samples = [_start(index, problem, ctx.run.id) for index in range(k)]
    working = samples
    for round_ in range(max_rounds + 1):
        answered = await _solve(ctx, working, max_turns, temperature)
        await _check(ctx, answered, problem, temperature)
        working = [sample for sample in answered if sample.state == "false"]
        await ctx.alog(
            f"round {round_}: checked {len(answered)} answers",
            states=[[sample.index, sample.state] for sample in answered],
        )
        if not working or round_ == max_rounds:
            break
        for sample in working:
            output = (sample.rounds[-1]["check_output"] or "").strip()
            sample.say("user", AMEND.format(answer=sample.answer, output=output))
    # Done with the kernels: free them now, not after the pool's idle timeout (an
    # evaluation runs many of these in one process).
    await asyncio.gather(*(agentkit.aend_session("python", s.session) for s in samples))
    return await _result(ctx, samples)


def _check_inputs(problem: str, k: int, max_rounds: int, max_turns: int) -> None:
    if not isinstance(problem, str) or not problem.strip():
        raise ValueError("self-verify needs a non-empty problem text")
    if k < 1 or max_rounds < 0 or max_turns < 1:
        raise ValueError(
            f"self-verify needs k >= 1, max_rounds >= 0 and max_turns >= 1 "
            f"(got k={k}, max_rounds={max_rounds}, max_turns={max_turns})"
        )


def _start(index: int, problem: str, run_id: str) -> _Sample:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": problem}]
    return _Sample(index=index, session=f"self-verify-{run_id}-{index}", messages=messages)


async def _ask(ctx: agentkit.Context, sample: _Sample, temperature: float) -> str:
    """One model turn of a sample, appended to its conversation."""
    reply = await ctx.aask(list(sample.messages), temperature=temperature, seed=sample.index)
    content = reply.content or ""
    sample.say("assistant", content)
    return content


async def _run_code(
    ctx: agentkit.Context, samples: list[_Sample], replies: list[str]
) -> dict[int, tuple[str, agentkit.ToolResult]]:
    """Run the code of each reply that has some, in its sample's session, all at once;
    by sample index: the code and its result."""
    codes = [last_code_block(reply, CODE_LANGUAGES) for reply in replies]
    ran = [(sample, code) for sample, code in zip(samples, codes, strict=True) if code]
    results = await asyncio.gather(
        *(ctx.acall("python", code=code, session=sample.session) for sample, code in ran)
    )
    return {
        sample.index: (code, result) for (sample, code), result in zip(ran, results, strict=True)
    }


async def _solve(
    ctx: agentkit.Context, samples: list[_Sample], max_turns: int, temperature: float
) -> list[_Sample]:
    """Let each sample reply, run its code and see the output, until it states an answer;
    returns those that did, in order. One that did not keeps its earlier answer.

    A reply with a final answer ends the sample's turn even when it also has code: the
    code still runs (its variables are for the check), and its output is shown with
    the request to check, so nothing the model wrote goes unseen.
    """
    answered: set[int] = set()
    waiting = samples
    for _ in range(max_turns):
        if not waiting:
            break
        replies = await asyncio.gather(*(_ask(ctx, sample, temperature) for sample in waiting))
        runs = await _run_code(ctx, waiting, replies)
        shown = {index: output_text(result) for index, (_, result) in runs.items()}
        still = []
        for sample, reply in zip(waiting, replies, strict=True):
            answer, output = final_answer(reply), shown.get(sample.index)
            if answer is not None:
                sample.answer, sample.shown = answer, output
                answered.add(sample.index)
            else:
                sample.say(
                    "user", NUDGE if output is None else f"Output:\n```\n{output}\n```\n{CONTINUE}"
                )
                still.append(sample)
        waiting = still
    return [sample for sample in samples if sample.index in answered]


async def _check(
    ctx: agentkit.Context, samples: list[_Sample], problem: str, temperature: float
) -> None:
    """Each sample writes code that checks its answer; run it; record the verdict."""
    for sample in samples:
        request = CHECK.format(answer=sample.answer)
        if sample.shown is not None:
            request = f"Your code printed:\n```\n{sample.shown}\n```\n{request}"
        sample.say("user", request)
    replies = await asyncio.gather(*(_ask(ctx, sample, temperature) for sample in samples))
    runs = await _run_code(ctx, samples, replies)
    checks = [SelfCheck(*runs.get(sample.index, (None, None))) for sample in samples]
    verdicts = await asyncio.gather(
        *(
            ctx.averify(sample.answer, problem, verifiers=[check])
            for sample, check in zip(samples, checks, strict=True)
        )
    )
    for sample, check, (verdict,) in zip(samples, checks, verdicts, strict=True):
        sample.verdict = verdict
        output = output_text(check.result) if check.result is not None else None
        sample.rounds.append(
            {"answer": sample.answer, "state": sample.state, "check_output": output}
        )


async def _result(ctx: agentkit.Context, samples: list[_Sample]) -> dict[str, Any]:
    answered = [s for s in samples if s.answer is not None and s.verdict is not None]
    report: dict[str, Any] = {
        "attempts": sum(len(sample.rounds) for sample in samples),
        "candidates": [sample.answer for sample in answered],
        "samples": [
            {"index": s.index, "answer": s.answer, "state": s.state, "rounds": s.rounds}
            for s in samples
        ],
    }
    if not answered:
        await ctx.alog("no sample gave a final answer")
        none = {"answer": None, "verified": False, "verified_by": None, "evidence": []}
        return {**none, **report, "vote": None}
    voters = [Sample(index=s.index, candidate=s.answer, verdicts=[s.verdict]) for s in answered]
    # math_equal asks a worker process: off the event loop.
    classes = await asyncio.to_thread(score_classes, voters, math_equal, WEIGHTS)
    chosen = chosen_class(classes)
    winner = classes[chosen]
    evidence = [
        {"sample": s.index, **(s.verdict.evidence or {})}
        for s in answered
        if s.index in winner.members and s.state == "true"
    ]
    return {
        "answer": winner.candidate,
        "verified": winner.verified,
        "verified_by": "self_check" if winner.verified else None,
        "evidence": evidence if winner.verified else [],
        **report,
        "vote": {
            "weights": {STATES[status]: weight for status, weight in WEIGHTS.items()},
            "chosen": chosen,
            "classes": [_described(answer_class) for answer_class in classes],
        },
    }


def chosen_class(classes: list[ScoredClass[Any]]) -> int:
    """The highest score wins; then the class with more True checks, then the larger,
    then the earliest."""
    return max(
        range(len(classes)),
        key=lambda i: (classes[i].score, classes[i].tally["passed"], classes[i].size, -i),
    )


def _described(answer_class: ScoredClass[Any]) -> dict[str, Any]:
    return {
        "answer": answer_class.candidate,
        "members": answer_class.members,
        "score": round(answer_class.score, 6),
        "tally": {STATES[status]: count for status, count in answer_class.tally.items()},
    }
