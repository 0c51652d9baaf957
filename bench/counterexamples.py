"""Counterexample search on the bench/refute suite: agentkit_refute against plain Hypothesis.

For every case, in one process run, on the same case and with the same time budget:
- ours: ``agentkit_refute.refute`` (sandboxed workers, special values, small-scope
  enumeration, guided Hypothesis, shrinking, then a confirmation re-run of the reported
  input), timed from the call to the result. ``--budget`` bounds that whole call. Its
  sandboxed workers are started ahead (``agentkit_refute.warm``), as in any process that
  refutes more than once; the start of a cold process is measured once, on its own;
- baseline: a plain Hypothesis ``@given`` test over the same inferred strategies
  (``agentkit_refute.domain.args_strategy`` on the same type descriptions), running the
  candidate and the reference in this process, with a SIGALRM time limit per input and
  Hypothesis's own shrinking. Everything, search and shrinking, ends by its start plus
  the budget: an input still running then is cut off, and the smallest failure seen so
  far is kept. Neither side gets time beyond the budget to shrink.

Reported, over the buggy cases:
- found rate, and the cases each side did not find (ours also says "untested", where it
  could not run a single input, apart from "not found");
- time to the first failing input (median; a case not found counts as the budget), for
  ours ``RefuteResult.first_failure_seconds``, for the baseline the time from its start to
  the first failing call of the test;
- shrinking time, apart: the whole call minus the time to the first failing input (for
  ours it includes the confirmation re-run); median over the cases each side found, and
  over the cases both found, where the ratio ours/Hypothesis is taken;
- whether each of our counterexamples is at least as small as the baseline's;
- the longest whole call on each side, against the budget.
And false counterexamples on the correct cases, and the cold start.

    .venv/bin/python bench/counterexamples.py            # budget 10 s per case and side
    .venv/bin/python bench/counterexamples.py --quick    # budget 3 s
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.util
import io
import random
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from agentkit_refute import Target, refute, warm
from agentkit_refute.api import _shown_input
from agentkit_refute.compare import same_output, same_text
from agentkit_refute.domain import args_strategy
from agentkit_refute.executor import Executor, Oracle
from agentkit_refute.values import decode, encode, size_key

sys.path.insert(0, str(Path(__file__).parent / "refute"))
from cases import Case, load_cases

TIMEOUT = 1.0  # per input, both sides


class _Stop(BaseException):
    """The baseline's budget is spent (a BaseException, so Hypothesis lets it through)."""


class _Failed(Exception):
    pass


class _Alarm(BaseException):
    pass


def ours(case: Case, budget: float) -> dict[str, Any]:
    started = time.monotonic()
    if case.kind == "program":
        result = refute(
            Target.program(case.path / "candidate.py"),
            reference=Target.program(case.path / "reference.py"),
            generator=Target.function(case.path / "generator.py", "generate"),
            validator=_optional(case.path / "validator.py", "validate"),
            compare=case.compare,  # type: ignore[arg-type]
            budget=budget,
            timeout=TIMEOUT,
        )
    else:
        result = refute(
            Target.function(case.path, "candidate"),
            reference=Target.function(case.path, "reference"),
            compare=case.compare,  # type: ignore[arg-type]
            budget=budget,
            timeout=TIMEOUT,
        )
    return {
        "found": result.found,
        "status": result.status,
        "kind": result.kind,
        "input": result.input,
        "first": result.first_failure_seconds if result.found else None,
        "seconds": time.monotonic() - started,
        "tries": result.tries,
    }


def _optional(path: Path, entry: str) -> Target | None:
    return Target.function(path, entry) if path.exists() else None


# -- the baseline: a plain @given test -------------------------------------------------


def baseline(case: Case, budget: float, params: list[dict] | None) -> dict[str, Any]:
    started = time.monotonic()
    deadline = started + budget
    failures: list[tuple[Any, str, float]] = []
    tries = [0]
    if case.kind == "program":
        strategy, check = _program_test(case, deadline)
    else:
        strategy, check = _function_test(case, params or [], deadline)

    @hypothesis_seed(0)
    @settings(
        database=None,
        max_examples=10**9,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(strategy)
    def test(value: Any) -> None:
        if time.monotonic() >= deadline:
            raise _Stop
        kind = check(value)
        tries[0] += 1  # inputs checked (rejected ones are not)
        if kind:
            failures.append((value, kind, time.monotonic()))
            raise _Failed

    with contextlib.suppress(_Failed, _Stop, Unsatisfiable):
        test()
    found = _smallest(failures, shown=case.kind != "program")
    return {
        "found": found is not None,
        "status": "found" if found else "not_found" if tries[0] else "untested",
        "kind": found[1] if found else None,
        "input": found[0] if found else None,
        "first": failures[0][2] - started if failures else None,
        "seconds": time.monotonic() - started,
        "tries": tries[0],
    }


def _smallest(failures: list[tuple[Any, str, float]], shown: bool) -> tuple[Any, str] | None:
    """The smallest failing input, as shown; on a tie the latest, which Hypothesis ranks smaller."""
    inputs = [(_shown_input(v) if shown else v, kind) for v, kind, _ in failures]
    return min(reversed(inputs), key=lambda failure: input_size(failure[0]), default=None)


def _function_test(case: Case, params: list[dict], deadline: float) -> tuple[Any, Any]:
    module = _import(case.path)
    precondition = getattr(module, "precondition", None)

    def realise(args: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(decode(encode(list(args)), lambda name: getattr(module, name, None)))

    def run(function: Any, args: tuple[Any, ...]) -> Any:
        return _limited(deadline, function, *copy.deepcopy(args))

    def check(args: tuple[Any, ...]) -> str | None:
        args = realise(args)
        try:
            if precondition and not run(precondition, args):
                reject()
            want = run(module.reference, args)
        except (Exception, _Alarm):
            reject()
        try:
            got = run(module.candidate, args)
        except _Alarm:
            return "timeout"
        except Exception:
            return "crash"
        plain = [decode(encode(v)) for v in (want, got)]
        return None if same_output(*plain, case.compare, 1e-9) else "wrong_output"  # type: ignore[arg-type]

    return args_strategy(params), check


def _program_test(case: Case, deadline: float) -> tuple[Any, Any]:
    generate = _import(case.path / "generator.py").generate
    validator_path = case.path / "validator.py"
    validate = _import(validator_path).validate if validator_path.exists() else None
    reference = compile((case.path / "reference.py").read_text(), "reference.py", "exec")
    candidate = compile((case.path / "candidate.py").read_text(), "candidate.py", "exec")

    def make(draw: tuple[int, int]) -> str:
        return generate(random.Random(draw[0]), draw[1])

    def check(text: str) -> str | None:
        if validate and not validate(text):
            reject()
        try:
            want = _limited(deadline, _run_program, reference, text)
        except (Exception, _Alarm):
            reject()
        try:
            got = _limited(deadline, _run_program, candidate, text)
        except _Alarm:
            return "timeout"
        except Exception:
            return "crash"
        return None if same_text(want, got, case.compare) else "wrong_output"  # type: ignore[arg-type]

    draws = st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 40))
    return draws.map(make), check


def _run_program(code: Any, text: str) -> str:
    out = io.StringIO()
    saved = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO(text), out
    try:
        exec(code, {"__name__": "__main__"})
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise RuntimeError(f"exit {exc.code}") from None
    finally:
        sys.stdin, sys.stdout = saved
    return out.getvalue()


def _limited(deadline: float, function: Any, *args: Any) -> Any:
    """Run one call within TIMEOUT (_Alarm) and within the side's deadline (_Stop)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Stop
    cut = remaining < TIMEOUT

    def alarm(*_: Any) -> None:
        raise _Stop if cut else _Alarm

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, min(remaining, TIMEOUT))
    try:
        return function(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _import(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"case_{path.stem}_{id(path)}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _cold_start() -> float:
    """The README's main job (the bundled buggy median) in a process with no worker yet."""
    examples = Path(__file__).parent.parent / "examples" / "refute"
    started = time.monotonic()
    refute(
        Target.function(examples / "median.py", "median"),
        reference=Target.function(examples / "median_reference.py", "median"),
        budget=3.0,
        timeout=TIMEOUT,
    )
    return time.monotonic() - started


def _params(case: Case) -> list[dict] | None:
    """The same type descriptions our search uses, read in the sandbox."""
    if case.kind == "program":
        return None
    target = Target.function(case.path, "reference")
    executor = Executor(target, Oracle("witness"), timeout=TIMEOUT)
    try:
        info = executor.describe(target, side="subject")
    finally:
        executor.close()
    return [p["type"] for p in info["params"]]


# -- the report ------------------------------------------------------------------------


def input_size(value: Any) -> int:
    """Stdin text by its length, any other input as agentkit_refute's shrinker sizes it."""
    return len(value) if isinstance(value, str) else size_key(value)[0]


def smaller_or_equal(a: Any, b: Any) -> bool:
    return input_size(a) <= input_size(b)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 s per case and side")
    parser.add_argument("--budget", type=float, default=None)
    parser.add_argument("--only", help="run the cases whose name contains this")
    options = parser.parse_args()
    budget = options.budget or (3.0 if options.quick else 10.0)
    cases = [c for c in load_cases() if not options.only or options.only in c.name]
    rows = []
    print(f"budget {budget:g} s per case and side; cells: kind, first failure / whole call")
    print(f"{'case':28} {'class':17} {'ours':>22} {'hypothesis':>22}  shrunk")
    cold = _cold_start()
    for case in cases:
        params = _params(case)
        warm()  # spares ready, and nothing starting in the background while either side runs
        mine = ours(case, budget)
        warm()
        theirs = baseline(case, budget, params)
        rows.append((case, mine, theirs))
        print(
            f"{case.name:28} {case.bug_class:17} {_cell(mine):>22} {_cell(theirs):>22}",
            _shrink_cell(mine, theirs),
        )
    _summary(rows, budget)
    print(f"cold start (examples/refute/median.py, first search of the process): {cold:.3f} s")


def _cell(side: dict[str, Any]) -> str:
    first = "  -  " if side["first"] is None else f"{side['first']:5.2f}"
    label = side["kind"] or ("untested" if side["status"] == "untested" else "-")
    return f"{label[:8]} {first}/{side['seconds']:5.2f}s"


def _shrink_cell(mine: dict, theirs: dict) -> str:
    if not (mine["found"] and theirs["found"]):
        return ""
    return "<=" if smaller_or_equal(mine["input"], theirs["input"]) else "LARGER"


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 else "n/a"


def _shrink(side: dict) -> float:
    return side["seconds"] - side["first"]


def _summary(rows: list[tuple[Case, dict, dict]], budget: float) -> None:
    print()
    first = {label: _side_summary(label, side, rows, budget) for label, side in _SIDES}
    both = [(m, t) for c, m, t in rows if not c.is_correct and m["found"] and t["found"]]
    ours_shrink = _median([_shrink(m) for m, _ in both])
    their_shrink = _median([_shrink(t) for _, t in both])
    larger = sum(not smaller_or_equal(m["input"], t["input"]) for m, t in both)
    print(
        f"ours/hypothesis: time to the first failing input "
        f"{_ratio(first['ours'], first['hypothesis'])}; shrink time on the {len(both)} "
        f"cases both found {_ratio(ours_shrink, their_shrink)} "
        f"(medians {ours_shrink:.3f} s and {their_shrink:.3f} s; "
        f"ours includes the confirmation re-run)"
    )
    print(
        f"shrinking: ours at least as small as Hypothesis's in "
        f"{len(both) - larger}/{len(both)} cases"
    )


_SIDES = (("ours", 1), ("hypothesis", 2))


def _side_summary(label: str, side: int, rows: list, budget: float) -> float:
    """Print one side's lines; return its median time to the first failing input."""
    buggy = [(r[0], r[side]) for r in rows if not r[0].is_correct]
    correct = [(r[0], r[side]) for r in rows if r[0].is_correct]
    found = [result for _, result in buggy if result["found"]]
    missed = [case.name for case, result in buggy if not result["found"]]
    untested = [r[0].name for r in rows if r[side]["status"] == "untested"]
    false = [case.name for case, result in correct if result["found"]]
    first = _median([result["first"] if result["found"] else budget for _, result in buggy])
    print(
        f"{label:10}: found {len(found)}/{len(buggy)} "
        f"({100 * len(found) / max(len(buggy), 1):.0f}%), not found {missed}"
        + (f", untested {untested}" if untested else "")
    )
    print(f"{'':10}  false counterexamples {len(false)}/{len(correct)} {false or ''}")
    print(
        f"{'':10}  median time to the first failing input {first:.3f} s "
        f"(not found = {budget:g} s); median shrink time "
        f"{_median([_shrink(result) for result in found]):.3f} s (over its {len(found)} "
        f"found); longest whole call {max(r[side]['seconds'] for r in rows):.2f} s"
    )
    return first


if __name__ == "__main__":
    main()
