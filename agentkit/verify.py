"""Verifiers judge candidate answers; a :class:`Verdict` is what they say.

A verdict that fails carries feedback text and, where there is one, a counterexample:
both go back to the model so it can correct itself.

The loops here are generic over how candidates are made. Each takes a plain
synchronous callable; a model-backed one simply calls :func:`agentkit.call_model`, so
the planner graph and workflows share the same loops:

- :func:`verify_all` runs every verifier that applies and records each verdict;
- :func:`refine` generates, verifies, feeds the failures back and regenerates;
- :func:`best_of_n` draws samples in parallel and picks by verifier-weighted voting;
- :func:`vote` is a plain majority over equivalence classes.

Results are pydantic models, so they go into the run store as JSON (as long as the
candidates themselves are JSON-serialisable).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import operator
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from types import MappingProxyType
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

import pydantic
import pydantic_core

from agentkit.store import Run, current_run

Status = Literal["passed", "failed", "undecided"]

C = TypeVar("C")
P = TypeVar("P")

Equivalence = Callable[[Any, Any], bool]
"""``equivalent(representative, candidate) -> bool``; e.g. math-verify's ``math_equal``."""

DEFAULT_WEIGHTS: Mapping[Status, float] = MappingProxyType(
    {"passed": 1.0, "undecided": 0.5, "failed": 0.0}
)
"""What one sample adds to its class's score in :func:`best_of_n`, by its status."""

DEFAULT_SAMPLE_WORKERS = 16


class Verdict(pydantic.BaseModel):
    status: Status
    feedback: str = ""
    counterexample: Any = None
    evidence: Any = None
    verifier: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @pydantic.field_serializer("counterexample", "evidence")
    def _as_json(self, value: Any) -> Any:
        # A counterexample may be any object (a sympy expression, a numpy array): it is
        # stored and fed back as JSON where it can be, as its repr where it cannot.
        return pydantic_core.to_jsonable_python(value, fallback=repr)


@runtime_checkable
class Verifier(Protocol):
    """Anything with a ``name``, ``applies_to`` and ``verify`` is a verifier."""

    name: str

    def applies_to(self, candidate: Any, problem: Any) -> bool:
        """Whether this verifier can judge ``candidate`` for ``problem``."""
        ...

    def verify(self, candidate: Any, problem: Any, ctx: Any = None) -> Verdict:
        """Judge the candidate."""
        ...


def record_verdict(verdict: Verdict, *, elapsed: float = 0.0, run: Run | None = None) -> None:
    """Write a verdict into the run store as an event of the current run."""
    run = run if run is not None else current_run.get()
    if run is None:
        return
    run.record(
        "verdict",
        verdict.verifier or "verifier",
        started=time.time() - elapsed,
        elapsed=elapsed,
        ok=verdict.passed if verdict.status != "undecided" else None,
        payload=verdict.model_dump(mode="json"),
    )


# -- judging one candidate -------------------------------------------------------------


def registered_verifiers() -> list[Verifier]:
    """Every verifier the loaded plugins registered, once each (aliases collapse)."""
    from agentkit.registry import get_verifiers

    unique: dict[int, Verifier] = {}
    for entry in get_verifiers():
        unique.setdefault(id(entry.item), entry.item)
    return list(unique.values())


def verifier_name(verifier: Any) -> str:
    return getattr(verifier, "name", None) or type(verifier).__name__


def applicable(verifiers: Iterable[Verifier], candidate: Any, problem: Any) -> list[Verifier]:
    """The verifiers that apply to ``candidate``, in order.

    One whose ``applies_to`` raises is kept: :func:`judge` then reports the error as
    an ``undecided`` verdict instead of the verifier silently dropping out.
    """
    chosen = []
    for verifier in verifiers:
        try:
            applies = verifier.applies_to(candidate, problem)
        except Exception:
            applies = True
        if applies:
            chosen.append(verifier)
    return chosen


def judge(
    verifier: Verifier, candidate: Any, problem: Any, ctx: Any = None, *, run: Run | None = None
) -> Verdict | None:
    """One verifier's verdict, stamped with its name and recorded; None if it does not apply.

    Never raises: a verifier that raises (in ``applies_to`` or ``verify``) or returns
    something other than a :class:`Verdict` gives an ``undecided`` verdict saying so.
    """
    name = verifier_name(verifier)
    started = time.perf_counter()
    try:
        if not verifier.applies_to(candidate, problem):
            return None
        verdict: Any = verifier.verify(candidate, problem, ctx)
    except Exception as exc:
        verdict = Verdict(
            status="undecided", feedback=f"verifier '{name}' raised {type(exc).__name__}: {exc}"
        )
    if not isinstance(verdict, Verdict):
        verdict = Verdict(
            status="undecided", feedback=f"verifier '{name}' returned {verdict!r}, not a Verdict"
        )
    verdict = verdict.model_copy(update={"verifier": name})
    record_verdict(verdict, elapsed=time.perf_counter() - started, run=run)
    return verdict


def verify_all(
    candidate: Any,
    problem: Any,
    verifiers: Iterable[Verifier] | None = None,
    ctx: Any = None,
    run: Run | None = None,
) -> list[Verdict]:
    """Judge ``candidate`` with every verifier that applies (default: every registered one).

    The verifiers run one after another; each verdict is recorded in ``run`` (default:
    the current run) with its timing. Never raises for a broken verifier.
    """
    chosen = registered_verifiers() if verifiers is None else verifiers
    verdicts = (judge(verifier, candidate, problem, ctx, run=run) for verifier in chosen)
    return [verdict for verdict in verdicts if verdict is not None]


def overall_status(verdicts: Iterable[Verdict]) -> Status:
    """Failed if any failed; passed if at least one passed and none failed; else undecided."""
    statuses = {verdict.status for verdict in verdicts}
    if "failed" in statuses:
        return "failed"
    return "passed" if "passed" in statuses else "undecided"


def feedback_text(verdicts: Iterable[Verdict]) -> str:
    """The failed verdicts as text for the model: who rejected, why, and the counterexample."""
    parts = []
    for verdict in verdicts:
        if verdict.status != "failed":
            continue
        reason = verdict.feedback or "no reason given"
        lines = [f"The verifier '{verdict.verifier or 'verifier'}' rejected the answer: {reason}"]
        if verdict.counterexample is not None:
            shown = json.dumps(verdict.counterexample, ensure_ascii=False, default=repr)
            lines.append(f"Counterexample: {shown}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


class Attempt(pydantic.BaseModel, Generic[C]):
    """One candidate and the verdicts it got."""

    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)

    candidate: C
    verdicts: list[Verdict]

    @pydantic.computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> Status:
        return overall_status(self.verdicts)

    def count(self, status: Status) -> int:
        return sum(verdict.status == status for verdict in self.verdicts)

    def failures(self) -> list[Verdict]:
        return [verdict for verdict in self.verdicts if verdict.status == "failed"]


# -- refine: generate, verify, feed back, regenerate -----------------------------------


class Refined(pydantic.BaseModel, Generic[C]):
    """What :func:`refine` settled on. ``verified`` is True only for a passing candidate."""

    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)

    candidate: C
    verified: bool
    chosen: int
    """Index into ``attempts`` of the attempt the candidate comes from."""
    attempts: list[Attempt[C]]


def refine(
    generate: Callable[[P, list[Verdict]], C],
    problem: P,
    *,
    verifiers: Iterable[Verifier] | None = None,
    attempts: int = 3,
    ctx: Any = None,
    run: Run | None = None,
    check: Callable[[C, P], list[Verdict]] | None = None,
) -> Refined[C]:
    """Generate a candidate, verify it, and feed the failures back until one passes.

    ``generate(problem, feedback)`` gets the failed verdicts of the previous attempt
    (empty at first; :func:`feedback_text` renders them for a model). Each candidate
    is judged by ``check(candidate, problem)`` when given (a workflow's
    :meth:`~agentkit.Context.refine` passes its durable ``verify``), otherwise by
    :func:`verify_all` with ``verifiers``, ``ctx`` and ``run``. The loop stops
    at the first candidate that passes, or early when no verifier applies (there is
    nothing to correct, and a new candidate could not be checked either). Otherwise,
    when the attempts run out, it returns the best candidate (most passes, fewest
    failures, latest on ties) with ``verified=False``. Errors from ``generate`` propagate.
    """
    loop: _Refining[C] = _Refining(attempts)
    _one_way_to_check(check, verifiers, ctx, run)
    judge_one = check or _verifying(verifiers, ctx, run)
    while True:
        candidate = generate(problem, loop.feedback)
        if loop.judged(candidate, judge_one(candidate, problem)):
            return loop.result()


async def arefine(
    generate: Callable[[P, list[Verdict]], Awaitable[C]],
    problem: P,
    *,
    verifiers: Iterable[Verifier] | None = None,
    attempts: int = 3,
    ctx: Any = None,
    run: Run | None = None,
    check: Callable[[C, P], Awaitable[list[Verdict]]] | None = None,
) -> Refined[C]:
    """:func:`refine` for async code: ``generate`` and ``check`` are awaited; without
    ``check``, the verifiers run in a worker thread."""
    loop: _Refining[C] = _Refining(attempts)
    _one_way_to_check(check, verifiers, ctx, run)
    if check is None:
        judge_now = _verifying(verifiers, ctx, run)

        async def check(candidate: C, problem: P) -> list[Verdict]:
            return await asyncio.to_thread(judge_now, candidate, problem)

    while True:
        candidate = await generate(problem, loop.feedback)
        if loop.judged(candidate, await check(candidate, problem)):
            return loop.result()


def _one_way_to_check(check: Any, verifiers: Any, ctx: Any, run: Any) -> None:
    if check is not None and (verifiers is not None or ctx is not None or run is not None):
        raise ValueError("refine() takes either check, or verifiers, ctx and run; not both")


def _verifying(
    verifiers: Iterable[Verifier] | None, ctx: Any, run: Run | None
) -> Callable[[Any, Any], list[Verdict]]:
    checked = registered_verifiers() if verifiers is None else list(verifiers)
    return lambda candidate, problem: verify_all(candidate, problem, checked, ctx, run)


class _Refining(Generic[C]):
    """The state of one :func:`refine` loop, sync or async."""

    def __init__(self, attempts: int) -> None:
        if attempts < 1:
            raise ValueError(f"refine() needs at least one attempt, not {attempts}")
        self.attempts = attempts
        self.history: list[Attempt[C]] = []
        self.feedback: list[Verdict] = []

    def judged(self, candidate: C, verdicts: list[Verdict]) -> bool:
        """Record an attempt; True when the loop is over."""
        attempt = Attempt(candidate=candidate, verdicts=verdicts)
        self.history.append(attempt)
        self.feedback = attempt.failures()
        over = attempt.status == "passed" or not verdicts  # nothing left to correct against
        return over or len(self.history) >= self.attempts

    def result(self) -> Refined[C]:
        """The passing candidate, or else the best one, unverified."""
        verified = self.history[-1].status == "passed"
        chosen = len(self.history) - 1 if verified else best_attempt(self.history)
        return Refined(
            candidate=self.history[chosen].candidate,
            verified=verified,
            chosen=chosen,
            attempts=self.history,
        )


def best_attempt(history: Sequence[Attempt[Any]]) -> int:
    """Index of the attempt with the most passes, then the fewest failures, latest on ties."""
    return max(
        range(len(history)),
        key=lambda i: (history[i].count("passed"), -history[i].count("failed"), i),
    )


# -- grouping and voting ---------------------------------------------------------------


def equivalence_classes(
    candidates: Sequence[Any], equivalent: Equivalence | None = None
) -> list[list[int]]:
    """Group candidate indices into classes, ordered by their earliest member.

    A candidate joins the first class whose first member it is equivalent to, called
    as ``equivalent(first_member, candidate)``: checks like ``math_equal`` need not be
    symmetric or transitive. A check that raises counts as "not equivalent".
    """
    same = equivalent or operator.eq
    classes: list[list[int]] = []
    for index, candidate in enumerate(candidates):
        home = next((m for m in classes if _safely_equal(same, candidates[m[0]], candidate)), None)
        if home is None:
            classes.append([index])
        else:
            home.append(index)
    return classes


def _safely_equal(same: Equivalence, first: Any, other: Any) -> bool:
    try:
        return bool(same(first, other))
    except Exception:
        return False


class AnswerClass(pydantic.BaseModel, Generic[C]):
    """Candidates judged equivalent: the earliest one stands for them all."""

    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)

    candidate: C
    members: list[int]
    """Indices of the members (into the candidates, or sample indices), earliest first."""

    @pydantic.computed_field  # type: ignore[prop-decorator]
    @property
    def size(self) -> int:
        return len(self.members)


class Vote(pydantic.BaseModel, Generic[C]):
    """The result of :func:`vote`: the winning candidate and every class with its count."""

    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)

    candidate: C
    chosen: int
    """Index into ``classes`` of the winning class."""
    classes: list[AnswerClass[C]]

    @pydantic.computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> list[int]:
        return [answer_class.size for answer_class in self.classes]

    @property
    def count(self) -> int:
        return self.classes[self.chosen].size


def vote(candidates: Sequence[C], *, equivalent: Equivalence | None = None) -> Vote[C]:
    """Plain majority over equivalence classes; on a tie the earliest class wins."""
    if not candidates:
        raise ValueError("vote() needs at least one candidate")
    classes = [
        AnswerClass(candidate=candidates[members[0]], members=members)
        for members in equivalence_classes(candidates, equivalent)
    ]
    chosen = max(range(len(classes)), key=lambda i: (classes[i].size, -i))
    return Vote(candidate=classes[chosen].candidate, chosen=chosen, classes=classes)


# -- best_of_n: parallel samples, verifier-weighted voting ------------------------------


class Sample(Attempt[C], Generic[C]):
    """One of :func:`best_of_n`'s samples: its index, candidate and verdicts."""

    index: int


class ScoredClass(AnswerClass[C], Generic[C]):
    """An answer class with its verifier-weighted score and its members' statuses."""

    score: float
    tally: dict[Status, int]
    """How many members passed, failed or stayed undecided."""

    @pydantic.computed_field  # type: ignore[prop-decorator]
    @property
    def verified(self) -> bool:
        return self.tally["passed"] > 0 and self.tally["failed"] == 0


class Selection(pydantic.BaseModel, Generic[C]):
    """What :func:`best_of_n` chose, and why.

    ``verified``: the chosen class has a passing member and no failing one.
    ``coverage``: at least one sample passed, chosen or not.
    ``unfinished``: indices of samples still running when the timeout came.
    """

    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)

    candidate: C
    verified: bool
    coverage: bool
    chosen: int
    """Index into ``classes`` of the winning class."""
    classes: list[ScoredClass[C]]
    samples: list[Sample[C]]
    unfinished: list[int] = pydantic.Field(default_factory=list)

    @pydantic.computed_field  # type: ignore[prop-decorator]
    @property
    def scores(self) -> list[float]:
        return [answer_class.score for answer_class in self.classes]


def best_of_n(
    sample: Callable[[P, int], C],
    problem: P,
    *,
    n: int,
    verifiers: Iterable[Verifier] | None = None,
    equivalent: Equivalence | None = None,
    weights: Mapping[Status, float] = DEFAULT_WEIGHTS,
    workers: int | None = None,
    timeout: float | None = None,
    ctx: Any = None,
    run: Run | None = None,
) -> Selection[C]:
    """Draw ``n`` samples in parallel, verify each, and pick by verifier-weighted voting.

    ``sample(problem, index)`` runs in a pool of ``workers`` threads (default: up to
    16) of its own, so it never competes with agentkit's call threads. Each worker
    draws a sample and verifies it, in a copy of the caller's context, so model calls
    and verdicts are recorded in the caller's run.

    The samples are grouped into equivalence classes (``equivalent``, default ``==``)
    and each class scores the sum of ``weights[status]`` over its members. The highest
    score wins; ties go to the larger class, then to the earliest.

    With a ``timeout`` (seconds, for all samples), samples still running then are left
    out and listed in ``unfinished``; a Python thread cannot be stopped, so they run on
    in the background. ``TimeoutError`` if none finished. The first error a sample
    raises propagates, and samples not yet started are cancelled.
    """
    if n < 1:
        raise ValueError(f"best_of_n() needs n >= 1, not {n}")
    if missing := {"passed", "failed", "undecided"} - set(weights):
        raise ValueError(f"best_of_n() weights need a value for {', '.join(sorted(missing))}")
    checked = registered_verifiers() if verifiers is None else list(verifiers)
    run = run if run is not None else current_run.get()

    def draw(index: int) -> Sample[C]:
        candidate = sample(problem, index)
        verdicts = verify_all(candidate, problem, checked, ctx, run)
        return Sample(index=index, candidate=candidate, verdicts=verdicts)

    samples, unfinished = _draw_in_parallel(
        draw, n, workers or min(n, DEFAULT_SAMPLE_WORKERS), timeout
    )
    classes = score_classes(samples, equivalent, weights)
    chosen = max(range(len(classes)), key=lambda i: (classes[i].score, classes[i].size, -i))
    return Selection(
        candidate=classes[chosen].candidate,
        verified=classes[chosen].verified,
        coverage=any(s.status == "passed" for s in samples),
        chosen=chosen,
        classes=classes,
        samples=samples,
        unfinished=unfinished,
    )


def _draw_in_parallel(
    draw: Callable[[int], Sample[C]], n: int, workers: int, timeout: float | None
) -> tuple[list[Sample[C]], list[int]]:
    """Finished samples in index order, and the indices of those that did not finish."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="agentkit-sample")
    try:
        futures: dict[Future[Sample[C]], int] = {
            pool.submit(contextvars.copy_context().run, draw, index): index for index in range(n)
        }
        done, pending = wait(futures, timeout=timeout, return_when=FIRST_EXCEPTION)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    for future in sorted(done, key=futures.__getitem__):
        error = future.exception()
        if error is not None:
            raise error
    if not done:
        raise TimeoutError(f"best_of_n(): none of the {n} samples finished within {timeout:g}s")
    samples = sorted((future.result() for future in done), key=lambda s: s.index)
    return samples, sorted(futures[future] for future in pending)


def score_classes(
    samples: Sequence[Sample[C]],
    equivalent: Equivalence | None = None,
    weights: Mapping[Status, float] = DEFAULT_WEIGHTS,
) -> list[ScoredClass[C]]:
    """Group samples into answer classes and score each by its members' statuses."""
    classes = []
    for positions in equivalence_classes([s.candidate for s in samples], equivalent):
        members = [samples[p] for p in positions]
        tally: dict[Status, int] = {"passed": 0, "failed": 0, "undecided": 0}
        for member in members:
            tally[member.status] += 1
        classes.append(
            ScoredClass(
                candidate=members[0].candidate,
                members=[member.index for member in members],
                score=sum(weights[status] * count for status, count in tally.items()),
                tally=tally,
            )
        )
    return classes
