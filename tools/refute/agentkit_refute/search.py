"""The search: special values, then small-scope enumeration, then Hypothesis, under one budget.

Each phase runs simplest inputs first. Seeds, special values and enumeration run in
batches (cheap per input); the random phase is Hypothesis itself, one input per example,
so its ``target()`` guidance and its shrinker apply. A counterexample found before the
random phase is already small (enumeration goes by size); one found by the special
values is replaced by a smaller one if enumeration finds it.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import pydantic
from hypothesis import HealthCheck, Phase, given, reject, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from agentkit_refute import domain
from agentkit_refute.executor import Executor, Kind, Verdict
from agentkit_refute.targets import Target
from agentkit_refute.values import size_key

BATCH = 64
MAX_PROGRAM_SIZE = 40
MAX_CONFIRMATIONS = 3  # each costs up to the full time limit


class RefuteResult(pydantic.BaseModel):
    """What the search found, or exactly what it searched when it found nothing."""

    found: bool
    mode: Literal["differential", "property", "witness"]
    kind: Kind | None = None
    input: Any = None
    original_input: Any = None
    expected: str | None = None
    actual: str | None = None
    error: str | None = None
    tries: int = 0
    seconds: float = 0.0
    searched: dict[str, Any] = pydantic.Field(default_factory=dict)
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
        generator: Target | None,
        seeds: list[Any],
        budget: float,
        random_seed: int = 0,
    ) -> None:
        self.executor, self.params, self.generator = executor, params, generator
        self.seeds, self.budget, self.random_seed = seeds, budget, random_seed
        self.failures: list[Verdict] = []
        self.counts: dict[str, int] = {}
        self.extent = {"longest": 0, "largest_int": 0}
        self.small_level = -1
        self._level_started = -1

    def run(self) -> tuple[Verdict | None, Verdict | None]:
        """(the smallest failure, the first failure), or (None, None)."""
        self.started = time.monotonic()
        self.deadline = self.started + self.budget
        for name, inputs in self._systematic_phases():
            if self._run_batches(name, inputs) and name == "small":
                break
        if not self.failures and time.monotonic() < self.deadline:
            self._random_phase()
        if not self.failures:
            return None, None
        return self._confirmed_smallest(), self.failures[0]

    def _confirmed_smallest(self) -> Verdict:
        """The smallest failure, its timeout (if it is one) confirmed at the full limit."""
        self.executor.confirm_timeouts = True
        smallest_first = sorted(self.failures, key=lambda v: size_key(v.input))
        for verdict in smallest_first[:MAX_CONFIRMATIONS]:
            if verdict is self.failures[0] or verdict.kind != "timeout":
                return verdict
            again = self._judge([verdict.input])[0]
            if again.status == "fail":
                return again
        return self.failures[0]

    # -- systematic phases -------------------------------------------------------------

    def _systematic_phases(self) -> Iterator[tuple[str, Iterable[Any]]]:
        yield "seeds", self.seeds
        if self.generator is not None:
            yield "special", self._generated((seed, size) for size in (1, 2) for seed in range(8))
            yield (
                "small",
                self._generated((seed, size) for size in range(1, 6) for seed in range(40)),
            )
            return
        assert self.params is not None
        yield "special", domain.boundary_inputs(self.params)
        yield "small", self._levelled(domain.small_inputs(self.params))

    def _levelled(self, inputs: Iterator[tuple[int, tuple[Any, ...]]]) -> Iterator[tuple[Any, ...]]:
        """The enumeration's inputs; ``small_level`` is the last level tried in full."""
        for level, args in inputs:
            if level > self._level_started:
                self.small_level, self._level_started = self._level_started, level
            yield args
        self.small_level = self._level_started

    def _generated(self, draws: Iterable[tuple[int, int]]) -> Iterator[str]:
        for chunk in _chunks(draws, BATCH):
            for reply in self.executor.generate(self.generator, [list(d) for d in chunk]):  # type: ignore[arg-type]
                if reply["status"] == "ok" and isinstance(reply["output"], str):
                    yield reply["output"]

    def _run_batches(self, phase: str, inputs: Iterable[Any]) -> bool:
        """Judge ``inputs`` until one fails or time runs out; True if one failed."""
        for batch in _chunks(inputs, BATCH):
            if time.monotonic() > self.deadline:
                if phase == "small":  # pulled, never judged: the level before is not complete
                    self.small_level -= 1
                return False
            verdicts = self._judge(batch)
            self._count(phase, verdicts)
            failed = [v for v in verdicts if v.status == "fail"]
            if failed:
                self.failures.append(min(failed, key=lambda v: size_key(v.input)))
                return True
        return False

    def _judge(self, batch: list[Any]) -> list[Verdict]:
        if self.generator is not None:
            return self.executor.judge_programs(batch)
        return self.executor.judge([tuple(args) for args in batch])

    def _count(self, phase: str, verdicts: list[Verdict]) -> None:
        self.counts[phase] = self.counts.get(phase, 0) + sum(
            v.status != "invalid" for v in verdicts
        )
        self.counts["invalid"] = self.counts.get("invalid", 0) + sum(
            v.status == "invalid" for v in verdicts
        )
        for verdict in verdicts:
            longest, largest = _extent(verdict.input)
            self.extent["longest"] = max(self.extent["longest"], longest)
            self.extent["largest_int"] = max(self.extent["largest_int"], largest)

    # -- the random phase: Hypothesis ---------------------------------------------------

    def _random_phase(self) -> None:
        if self.generator is not None:
            draws = st.tuples(st.integers(0, 2**32 - 1), st.integers(1, MAX_PROGRAM_SIZE))
            strategy = draws.map(self._generate_one)
        else:
            strategy = domain.args_strategy(self.params or [])
        shrink_deadline = self.deadline + 0.25 * self.budget

        @hypothesis_seed(self.random_seed)
        @settings(
            database=None,
            max_examples=10**9,
            deadline=None,
            phases=(Phase.generate, Phase.target, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )
        @given(strategy)
        def probe(value: Any) -> None:
            now = time.monotonic()
            if now > shrink_deadline or (not self.failures and now > self.deadline):
                raise _OutOfBudget
            if value is None:
                reject()
            verdict = self._judge([value])[0]
            self._count("random", [verdict])
            if verdict.status == "invalid":
                reject()
            target(float(size_key(value)[0]), label="input size")
            if verdict.status == "fail":
                self.failures.append(verdict)
                # Shrinking may time out on many inputs: confirm only the final one.
                self.executor.confirm_timeouts = False
                raise _Found

        with contextlib.suppress(_Found, _OutOfBudget):
            probe()

    def _generate_one(self, draw: tuple[int, int]) -> str | None:
        reply = self.executor.generate(self.generator, [list(draw)])[0]  # type: ignore[arg-type]
        return (
            reply["output"]
            if reply["status"] == "ok" and isinstance(reply["output"], str)
            else None
        )

    def searched(self) -> dict[str, Any]:
        facts: dict[str, Any] = {phase: n for phase, n in self.counts.items()}
        if self.small_level >= 0:
            facts["small_scope"] = _small_scope_text(self.small_level)
        facts.update(self.extent)
        return facts


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


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


def _small_scope_text(level: int) -> str:
    return (
        f"every input up to size {level}: integers in [-{level}, {level}], collections of up to "
        f"{level} items drawn from the smallest values, strings over 'ab' of length <= {level}"
    )
