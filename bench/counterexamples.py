"""Counterexample search on the bench/refute suite: agentkit_refute against plain Hypothesis.

For every case, in one process run and with the same time budget:
- ours: ``agentkit_refute.refute`` (sandboxed workers, special values, small-scope
  enumeration, guided Hypothesis, shrinking), timed from the call to the result. Its
  sandboxed workers are started ahead (``agentkit_refute.warm``), as in any process that
  refutes more than once; the start of a cold process is measured once, on its own;
- baseline: a plain Hypothesis ``@given`` test over the same inferred strategies
  (``agentkit_refute.domain.args_strategy`` on the same type descriptions), running the
  candidate and the reference in this process, with a SIGALRM time limit per input and
  Hypothesis's own shrinking.

Reported: found rate on the buggy cases, median time to a counterexample (a case not
found counts as the whole budget), false counterexamples on the correct cases, and
whether each of our counterexamples is at least as small as the baseline's.

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
    pass


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
        "kind": result.kind,
        "input": result.input,
        "seconds": time.monotonic() - started,
        "tries": result.tries,
    }


def _optional(path: Path, entry: str) -> Target | None:
    return Target.function(path, entry) if path.exists() else None


# -- the baseline: a plain @given test -------------------------------------------------


def baseline(case: Case, budget: float, params: list[dict] | None) -> dict[str, Any]:
    started = time.monotonic()
    deadline = started + budget
    failures: list[tuple[Any, str]] = []
    tries = [0]
    if case.kind == "program":
        strategy, check = _program_test(case)
    else:
        strategy, check = _function_test(case, params or [])

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
        if time.monotonic() > deadline + (budget if failures else 0):
            raise _Stop
        tries[0] += 1
        kind = check(value)
        if kind:
            failures.append((value, kind))
            raise _Failed

    with contextlib.suppress(_Failed, _Stop, Unsatisfiable):
        test()
    found = failures[-1] if failures else None
    shown = None
    if found:
        shown = found[0] if case.kind == "program" else _shown_input(found[0])
    return {
        "found": found is not None,
        "kind": found[1] if found else None,
        "input": shown,
        "seconds": time.monotonic() - started,
        "tries": tries[0],
    }


def _function_test(case: Case, params: list[dict]) -> tuple[Any, Any]:
    module = _import(case.path)
    precondition = getattr(module, "precondition", None)

    def realise(args: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(decode(encode(list(args)), lambda name: getattr(module, name, None)))

    def check(args: tuple[Any, ...]) -> str | None:
        args = realise(args)
        try:
            if precondition and not _limited(precondition, *copy.deepcopy(args)):
                reject()
            want = _limited(module.reference, *copy.deepcopy(args))
        except (Exception, _Alarm):
            reject()
        try:
            got = _limited(module.candidate, *copy.deepcopy(args))
        except _Alarm:
            return "timeout"
        except Exception:
            return "crash"
        plain = [decode(encode(v)) for v in (want, got)]
        return None if same_output(*plain, case.compare, 1e-9) else "wrong_output"  # type: ignore[arg-type]

    return args_strategy(params), check


def _program_test(case: Case) -> tuple[Any, Any]:
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
            want = _limited(_run_program, reference, text)
        except (Exception, _Alarm):
            reject()
        try:
            got = _limited(_run_program, candidate, text)
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


def _limited(function: Any, *args: Any) -> Any:
    def alarm(*_: Any) -> None:
        raise _Alarm

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
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
        info = executor.describe(target, on_subject=True)
    finally:
        executor.close()
    return [p["type"] for p in info["params"]]


# -- the report ------------------------------------------------------------------------


def smaller_or_equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return len(a) <= len(b)
    return size_key(a)[0] <= size_key(b)[0]


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
    print(f"{'case':28} {'class':17} {'ours':>16} {'hypothesis':>16}  shrunk")
    cold = _cold_start()
    for case in cases:
        params = _params(case)
        warm()  # spares ready, and nothing starting in the background while either side runs
        mine = ours(case, budget)
        warm()
        theirs = baseline(case, budget, params)
        rows.append((case, mine, theirs))
        print(
            f"{case.name:28} {case.bug_class:17} {_cell(mine):>16} {_cell(theirs):>16}",
            _shrink_cell(mine, theirs),
        )
    _summary(rows, budget)
    print(f"cold start (examples/refute/median.py, first search of the process): {cold:.3f} s")


def _cell(side: dict[str, Any]) -> str:
    return f"{(side['kind'] or '-')[:8]} {side['seconds']:5.2f}s"


def _shrink_cell(mine: dict, theirs: dict) -> str:
    if not (mine["found"] and theirs["found"]):
        return ""
    return "<=" if smaller_or_equal(mine["input"], theirs["input"]) else "LARGER"


def _summary(rows: list[tuple[Case, dict, dict]], budget: float) -> None:
    buggy = [(c, m, t) for c, m, t in rows if not c.is_correct]
    correct = [(c, m, t) for c, m, t in rows if c.is_correct]
    for label, side in (("ours", 1), ("hypothesis", 2)):
        found = [r for r in buggy if r[side]["found"]]
        times = [r[side]["seconds"] if r[side]["found"] else budget for r in buggy]
        false = [r[0].name for r in correct if r[side]["found"]]
        print(
            f"{label:10}: found {len(found)}/{len(buggy)} "
            f"({100 * len(found) / max(len(buggy), 1):.0f}%), "
            f"median time to counterexample {statistics.median(times or [0.0]):.3f} s, "
            f"false counterexamples {len(false)}/{len(correct)} {false or ''}"
        )
    both = [(m, t) for _, m, t in buggy if m["found"] and t["found"]]
    larger = sum(not smaller_or_equal(m["input"], t["input"]) for m, t in both)
    print(
        f"shrinking : ours at least as small as Hypothesis's in "
        f"{len(both) - larger}/{len(both)} cases"
    )


if __name__ == "__main__":
    main()
