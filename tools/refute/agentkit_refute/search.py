"""The search: special values, then small-scope enumeration, then Hypothesis, under one budget.

Each phase runs simplest inputs first. Seeds, special values and enumeration run in
batches (cheap per input); the random phase is Hypothesis itself, one input per example,
so its ``target()`` guidance and its shrinker apply. A counterexample found before the
random phase is first replaced by a smaller one if enumeration finds it (enumeration
goes by size), then shrunk by :mod:`agentkit_refute.shrink`, since Hypothesis cannot
shrink an example it did not generate.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import time
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import pydantic
from hypothesis import HealthCheck, Phase, given, reject, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Flaky, Unsatisfiable

from agentkit_refute import domain, shrink
from agentkit_refute.executor import Executor, Kind, Verdict
from agentkit_refute.model_generator import Proposer
from agentkit_refute.targets import Target
from agentkit_refute.values import decode, size_key

BATCH = 64
FIRST_BATCH = 8
# Hypothesis runs of the random phase: (bound on the values, examples), the last repeated.
RANDOM_ROUNDS = [
    (domain.Scale(magnitude=100, longest=8), 300),
    (domain.Scale(magnitude=10_000, longest=24), 600),
    (None, 2000),
]
MODEL_ATTEMPTS = 3  # generators asked of the model in one search, at most
MODEL_SIZES = 16  # sizes 1..16, four seeds each, per generator
MAX_PROGRAM_SIZE = 40
MAX_CONFIRMATIONS = 3  # failures re-run on fresh workers, smallest first, at most
SHRINK_SHARE = 0.15  # of the budget, kept for shrinking when a failure comes late
SYSTEMATIC = ("seeds", "special", "small", "generated")
CONFIRM_RESERVE = 0.5  # seconds kept for re-running a failure on fresh workers
STALLED_SHARE = 0.5  # a search whose workers were stuck this share of the budget tested too little


Status = Literal["found", "not_found", "untested"]


class RefuteResult(pydantic.BaseModel):
    """What the search found, or exactly what it searched when it found nothing.

    ``status``: ``found`` (a counterexample, or a witness, that reproduced on fresh
    workers), ``not_found`` (inputs were tested and none failed: not a proof), or
    ``untested`` (too little could be tested to say anything; ``reason`` says why).
    """

    found: bool
    status: Status = "not_found"
    reason: str | None = None
    mode: Literal["differential", "property", "witness"]
    kind: Kind | None = None
    input: Any = None
    original_input: Any = None
    expected: str | None = None
    actual: str | None = None
    error: str | None = None
    tries: int = 0
    seconds: float = 0.0
    first_failure_seconds: float | None = None  # from the call to the first failing input
    searched: dict[str, Any] = pydantic.Field(default_factory=dict)
    notes: list[str] = pydantic.Field(default_factory=list)
    summary: str = ""


class _Found(Exception):
    """Raised inside the Hypothesis test when an input fails (so Hypothesis shrinks it)."""


class _OutOfBudget(BaseException):
    """Stops Hypothesis without counting as a failure (it re-raises BaseExceptions as is)."""


class Search:
    def __init__(
        self,
        executor: Executor,
        *,
        params: list[dict[str, Any]] | None,
        arity: int = 0,
        programs: bool = False,
        generator: Target | None = None,
        strategy: st.SearchStrategy[Any] | None = None,
        seeds: list[Any],
        budget: float,
        random_seed: int = 0,
        propose: Proposer | None = None,
        started: float | None = None,
    ) -> None:
        """``params`` are the type descriptions of the arguments (None when unknown: a
        program, or a function searched with a ``generator`` or a ``strategy`` only).
        ``started``: when the budget started (``time.monotonic()``; default: at
        :meth:`run`), so that setting up counts against it."""
        self.started = started
        self.executor, self.params, self.arity = executor, params, arity
        self.programs, self.generator, self.strategy = programs, generator, strategy
        self.seeds, self.budget, self.random_seed = seeds, budget, random_seed
        self.propose = propose
        self.model_notes: list[str] = []  # what became of the model's generators
        self._asker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="refute-model")
        self.failures: list[Verdict] = []
        self.counts: dict[str, int] = {"invalid": 0}
        # How far the inputs reached: a program's stdin by its length in characters.
        self.extent = {"longest_stdin": 0} if programs else {"longest": 0, "largest_int": 0}
        self.small_level = -1
        self._level_started = -1
        self.first_failure_seconds: float | None = None
        # Failures that did not fail again on fresh workers, and how the re-run went.
        self.unconfirmed: list[tuple[Verdict, str]] = []

    def run(self) -> tuple[Verdict | None, Verdict | None]:
        """(the smallest failure that failed again on fresh workers, the first failure);
        the first is None when nothing failed.

        The budget bounds it all: searching, shrinking, and re-running the failure on
        fresh workers at the full time limit, which gets a reserve at the end.
        """
        self.started = self.started or time.monotonic()
        self.end = self.started + self.budget
        self.shrink_end = self.end - min(CONFIRM_RESERVE, self.budget / 4)
        self.deadline = self.shrink_end - SHRINK_SHARE * self.budget  # nothing found yet
        self.executor.deadline = self.shrink_end
        # The systematic phases' own end: with a model, half the search time, so that
        # its generators (asked for now) are not left without time by the enumeration.
        self.systematic_end = self.deadline
        asking = None
        if self.propose is not None:  # the model thinks while the systematic phases run
            asking = self._asker.submit(self.propose, None)
            self.systematic_end = self.started + (self.deadline - self.started) / 2
        try:
            for name, inputs in self._systematic_phases():
                if self._run_batches(name, inputs) and name == "small":
                    break
            if asking is not None and not self.failures:
                self._model_phase(asking)
        finally:
            self._asker.shutdown(wait=False, cancel_futures=True)
        if not self.failures and time.monotonic() < self.deadline:
            # Hypothesis shrinks what it finds itself, first. Programs go to full sizes at
            # once: their small sizes were enumerated, and each run costs a fork.
            sized = self.params is not None and self.generator is None and self.strategy is None
            self._random_phase(RANDOM_ROUNDS if sized else RANDOM_ROUNDS[-1:])
        if not self.failures:
            return None, None
        self._shrink(self.failures)
        best = min(self.failures, key=lambda v: size_key(v.input))
        if self.params is not None and not _within(RANDOM_ROUNDS[1][0], best.input):
            # Still huge (a special value's failure, shrunk to a local minimum): sample
            # small values for a smaller failure of another shape.
            known = len(self.failures)
            self._random_phase(RANDOM_ROUNDS[:2], below=best)
            self._shrink(self.failures[known:])
        return self._confirmed(), self.failures[0]

    def _confirmed(self) -> Verdict | None:
        """The smallest failure that fails again when re-run on fresh workers at the full
        time limit (its verdict from that run); what did not is kept in ``unconfirmed``.

        A failure that does not reproduce came from state kept between inputs or a flaky
        candidate: it is not a counterexample. A timeout seen under a short first limit
        that answers within the full one was no failure at all.
        """
        self.executor.deadline = self.end
        seen: set[str] = set()
        for verdict in sorted(self.failures, key=lambda v: size_key(v.input)):
            if repr(verdict.input) in seen:
                continue
            if len(seen) == MAX_CONFIRMATIONS or time.monotonic() >= self.end:
                break
            seen.add(repr(verdict.input))
            fresh = self.executor.fresh()
            try:
                again = (
                    fresh.judge_programs([verdict.input])
                    if self.programs
                    else fresh.judge([verdict.input])
                )[0]
            finally:
                fresh.close()
            if again.status == "fail":
                return again
            if not (verdict.kind == "timeout" and again.status == "pass"):
                self.unconfirmed.append((verdict, again.status))
        return None

    def _found(self, verdict: Verdict) -> None:
        if not self.failures:
            self.first_failure_seconds = time.monotonic() - self.started
            if verdict.kind == "timeout":  # its re-run needs the full time limit
                reserve = self.executor.timeout + 2 * CONFIRM_RESERVE
                self.shrink_end = max(time.monotonic(), min(self.shrink_end, self.end - reserve))
                self.executor.deadline = self.shrink_end
        self.failures.append(verdict)

    # -- systematic phases -------------------------------------------------------------

    def _systematic_phases(self) -> Iterator[tuple[str, Iterable[Any]]]:
        yield "seeds", self.seeds
        if self.params is not None:
            yield "special", domain.boundary_inputs(self.params)
            yield "small", self._levelled(domain.small_inputs(self.params))
        if self.generator is not None:  # its smallest sizes, many seeds each
            yield "generated", self._generated((seed, size) for size in (1, 2) for seed in range(8))
            yield (
                "generated",
                self._generated((seed, size) for size in range(1, 6) for seed in range(40)),
            )

    def _levelled(self, inputs: Iterator[tuple[int, tuple[Any, ...]]]) -> Iterator[tuple[Any, ...]]:
        """The enumeration's inputs; ``small_level`` is the last level tried in full.

        Each level starts with its smallest new input; when that is no smaller than a
        failure already found, no later level holds a smaller one either.
        """
        for level, args in inputs:
            if level > self._level_started:
                if self.failures and size_key(args) >= size_key(self.failures[-1].input):
                    return
                self.small_level, self._level_started = self._level_started, level
            yield args
        self.small_level = self._level_started

    def _generated(self, draws: Iterable[tuple[int, int]]) -> Iterator[Any]:
        """The inputs the user's generator makes from ``draws``; broken ones are left out."""
        assert self.generator is not None
        for chunk in _chunks(draws, BATCH):
            for reply in self.executor.generate(
                self.generator, [list(d) for d in chunk], side="oracle"
            ):
                made = self._made_input(reply)
                if made is not None:
                    yield made

    def _made_input(self, reply: dict[str, Any]) -> Any:
        """The input in a generator's reply, or None when it failed or has the wrong shape."""
        if reply["status"] != "ok":
            return None
        try:
            return self._as_input(decode(reply["output"]))
        except (ValueError, TypeError):
            return None

    def _run_batches(self, phase: str, inputs: Iterable[Any]) -> bool:
        """Judge ``inputs`` until one fails or time runs out; True if one failed.

        Once something has failed, only inputs smaller than it are worth judging. The
        first batches are short, so that a bug the first inputs show is reported after
        a handful of executions, not a full batch.
        """
        if self.failures:
            best = size_key(self.failures[-1].input)
            inputs = (args for args in inputs if size_key(args) < best)
        end = self.systematic_end if phase in SYSTEMATIC else self.deadline
        for batch in _growing_chunks(inputs, FIRST_BATCH, BATCH):
            if time.monotonic() > end:
                if phase == "small":  # pulled, never judged: the level before is not complete
                    self.small_level -= 1
                return False
            verdicts = self._judge(batch)
            self._count(phase, verdicts)
            failed = [v for v in verdicts if v.status == "fail"]
            if failed:
                self._found(min(failed, key=lambda v: size_key(v.input)))
                return True
        return False

    def _judge(self, batch: list[Any]) -> list[Verdict]:
        if self.programs:
            return self.executor.judge_programs(batch)
        return self.executor.judge([tuple(args) for args in batch])

    def _count(self, phase: str, verdicts: list[Verdict]) -> None:
        """Tested inputs by phase, invalid and untested ones apart; how far tested ones reached."""
        for verdict in verdicts:
            key = verdict.status if verdict.status in ("invalid", "untested") else phase
            self.counts[key] = self.counts.get(key, 0) + 1
            if key != phase:
                continue
            if self.programs:
                stdin = len(verdict.input)
                self.extent["longest_stdin"] = max(self.extent["longest_stdin"], stdin)
                continue
            longest, largest = _extent(verdict.input)
            self.extent["longest"] = max(self.extent["longest"], longest)
            self.extent["largest_int"] = max(self.extent["largest_int"], largest)

    # -- the model's generators ----------------------------------------------------------

    def _model_phase(self, asking: concurrent.futures.Future[Target]) -> None:
        """Judge the inputs of the generators the model writes, while time is left.

        A generator that breaks, or makes no valid input, goes back to the model with
        the reason; one whose inputs all pass gets one more try at another idea.
        """
        for attempt in range(MODEL_ATTEMPTS):
            try:
                generator = asking.result(timeout=max(self.deadline - time.monotonic(), 0))
            except concurrent.futures.TimeoutError:
                self.model_notes.append("the model's generator did not come within the budget")
                return
            except Exception as exc:  # the model call failed: the search goes on without it
                self.model_notes.append(f"the model was not reached: {exc}")
                return
            inputs, problem = self._model_inputs(generator)
            self.counts["model_inputs"] = self.counts.get("model_inputs", 0) + len(inputs)
            if self._run_batches("model", inputs):
                self.model_notes.append(f"generator {attempt + 1} found a failing input")
                return
            feedback = problem or (
                f"None of the {len(inputs)} inputs of your generator showed a bug. Think of "
                "another way the candidate could be wrong and write a new generate()."
            )
            self.model_notes.append(f"generator {attempt + 1}: {problem or 'no failure'}")
            if attempt + 1 < MODEL_ATTEMPTS and time.monotonic() < self.deadline:
                asking = self._asker.submit(self.propose, feedback)  # type: ignore[arg-type]
            else:
                return

    def _model_inputs(self, generator: Target) -> tuple[list[Any], str | None]:
        """The valid inputs ``generator`` makes, and what was wrong when there are none."""
        draws = [[seed, size] for size in range(1, MODEL_SIZES + 1) for seed in range(4)]
        replies = self.executor.generate(generator, draws, side="generator")
        inputs, errors = [], []
        for reply in replies:
            if reply["status"] != "ok":
                errors.append(reply.get("error") or reply["status"])
                continue
            try:
                inputs.append(self._as_input(decode(reply["output"])))
            except (ValueError, TypeError) as exc:
                errors.append(str(exc))
        if inputs:
            return domain.unique(sorted(inputs, key=size_key)), None
        reason = errors[0] if errors else "it made no input"
        return [], f"Your generate() did not work: {reason[:500]}. Fix it."

    def _as_input(self, value: Any) -> Any:
        """A generated value as an input: the stdin text, or the argument tuple (checked
        against the parameter types when they are known)."""
        if self.programs:
            if not isinstance(value, str):
                raise ValueError(f"generate() must return the stdin text, not {value!r:.80}")
            return value
        if self.arity == 1:
            args: tuple[Any, ...] = (value,)
        elif isinstance(value, list | tuple) and len(value) == self.arity:
            args = tuple(value)
        else:
            raise ValueError(
                f"generate() must return a tuple of {self.arity} arguments, not {value!r:.80}"
            )
        if self.params is None:
            return args
        return tuple(domain.coerce(p, v) for p, v in zip(self.params, args, strict=True))

    def _shrink(self, failures: list[Verdict]) -> None:
        """Shrink each of ``failures`` (one per phase at most), smallest first.

        Not the smallest alone: a shrinker only ever simplifies, and a larger failure of
        another shape (a run of the highest code point, say) may shrink further than a
        small one (a run of "a").
        """
        if self.programs:
            return  # a program's input must keep its generator's format: not edited here
        self.executor.confirm_timeouts = False  # the final answer is confirmed
        limit = self.shrink_end
        for found in sorted(failures, key=lambda v: size_key(v.input)):
            if not self._shrink_one(found, limit):
                return

    def _shrink_one(self, best: Verdict, limit: float) -> bool:
        """Shrink ``best`` until nothing smaller fails; False when time ran out.

        One-step proposals first; when they are stuck, a scan of the smaller integers.
        """
        while True:
            better = self._first_failing(shrink.proposals(best.input), limit)
            if better is None:
                better = self._first_failing(shrink.scan(best.input), limit)
            if better is None:
                return time.monotonic() <= limit
            best = better
            self._found(best)

    def _first_failing(self, inputs: Iterable[Any], limit: float) -> Verdict | None:
        """The smallest failure of the first batch of ``inputs`` that holds one."""
        for batch in _chunks(inputs, BATCH):
            if time.monotonic() > limit:
                return None
            verdicts = self._judge(batch)
            self._count("shrink", verdicts)
            failed = [v for v in verdicts if v.status == "fail"]
            if failed:
                return min(failed, key=lambda v: size_key(v.input))
        return None

    # -- the random phase: Hypothesis ---------------------------------------------------

    def _random_phase(
        self, rounds: list[tuple[domain.Scale | None, int]], below: Verdict | None = None
    ) -> None:
        """Hypothesis, round after round (the last of ``rounds`` repeats) until the time is
        up or something fails; with ``below``, only a failure smaller than it counts."""
        shrink_deadline = self.shrink_end
        bound = size_key(below.input) if below else None
        known = len(self.failures)

        def probe(value: Any) -> None:
            now = time.monotonic()
            if now > shrink_deadline or (not self.failures and now > self.deadline):
                raise _OutOfBudget
            if value is None:
                reject()
            verdict = self._judge([value])[0]
            self._count("random", [verdict])
            if verdict.status in ("invalid", "untested"):
                reject()
            target(float(size_key(value)[0]), label="input size")
            if verdict.status == "fail" and (bound is None or size_key(value) < bound):
                self._found(verdict)
                # Shrinking may time out on many inputs: confirm only the final one.
                self.executor.confirm_timeouts = False
                raise _Found

        # Rounds of a bounded number of examples, each with its own seed, until the time
        # is up: Hypothesis gives up to half of max_examples to target() optimisation,
        # which with an unbounded max_examples would push input sizes up for ever
        # instead of exploring.
        # The first rounds keep values small (as the small-scope phase did, but sampled
        # and wider): a failure found there starts Hypothesis's shrinker close to the
        # smallest one, where a sparse kind of failure (composites without small
        # factors, say) leaves it stuck far above it when it starts far away.
        for round_number in itertools.count():
            if below is not None and round_number >= len(rounds):
                return
            scale, examples = rounds[min(round_number, len(rounds) - 1)]
            if self.strategy is not None:
                strategy = self.strategy.map(self._as_input_or_none)
            elif self.generator is not None:
                largest = min(MAX_PROGRAM_SIZE, scale.longest if scale else MAX_PROGRAM_SIZE)
                draws = st.tuples(st.integers(0, 2**32 - 1), st.integers(1, largest))
                strategy = draws.map(self._generate_one)
            else:
                strategy = domain.args_strategy(self.params or [], scale)
            run = given(strategy)(probe)
            run = settings(
                database=None,
                max_examples=examples,
                deadline=None,
                phases=(Phase.generate, Phase.target, Phase.shrink),
                suppress_health_check=list(HealthCheck),
                report_multiple_bugs=False,
            )(run)
            run = hypothesis_seed(self.random_seed + round_number)(run)
            try:
                run()
            except (_Found, _OutOfBudget, Unsatisfiable):
                return
            except Flaky:
                # Timing decides timeouts, so a replayed input may come out differently;
                # what failed is already recorded, and a new round starts afresh.
                if len(self.failures) > known:
                    return
            if time.monotonic() > self.deadline:
                return

    def _generate_one(self, draw: tuple[int, int]) -> Any:
        assert self.generator is not None
        made = self.executor.generate(self.generator, [list(draw)], side="oracle")[0]
        return self._made_input(made)

    def _as_input_or_none(self, value: Any) -> Any:
        try:
            return self._as_input(value)
        except (ValueError, TypeError):
            return None  # rejected in the probe

    def searched(self) -> dict[str, Any]:
        facts: dict[str, Any] = {phase: n for phase, n in self.counts.items()}
        if self.small_level >= 0:
            facts["small_scope"] = _small_scope_text(self.small_level)
        facts.update(self.extent)
        if self.model_notes:
            facts["model_notes"] = self.model_notes
        return facts


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _growing_chunks(items: Iterable[Any], first: int, most: int) -> Iterator[list[Any]]:
    """Chunks of ``first`` items, then twice as many, and so on up to ``most``."""
    iterator, size = iter(items), first
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
        size = min(2 * size, most)


def _extent(value: Any) -> tuple[int, int]:
    """The longest collection or text and the largest integer magnitude inside ``value``."""
    if isinstance(value, bool):
        return 0, 0
    if isinstance(value, int):
        return 0, abs(value)
    if isinstance(value, str | bytes):
        return len(value), 0
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set | frozenset):
        inner = [_extent(item) for item in value]
        longest = max([len(value), *(i[0] for i in inner)])
        return longest, max([0, *(i[1] for i in inner)])
    return 0, 0


def _within(scale: domain.Scale | None, value: Any) -> bool:
    longest, largest = _extent(value)
    return scale is None or (longest <= scale.longest and largest <= scale.magnitude)


def _small_scope_text(level: int) -> str:
    return (
        f"every input up to size {level}: integers in [-{level}, {level}], collections of up to "
        f"{level} items drawn from the smallest values, strings over 'ab' of length <= {level}"
    )
