"""Counterexample search against real sandboxed workers and real Hypothesis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentkit_refute import RefuteError, Target, refute
from agentkit_refute.plugin import CounterexampleVerifier

AGENTKIT = str(Path(sys.executable).with_name("agentkit"))


def write(tmp_path: Path, name: str, code: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return path


def fn(tmp_path: Path, code: str, entry: str, name: str = "code.py") -> Target:
    return Target.function(write(tmp_path, name, code), entry)


PAIR = """
def reference(xs: list[int]) -> int:
    return len(set(xs))

def candidate(xs: list[int]) -> int:  # counts runs, not distinct values
    return sum(1 for i, x in enumerate(xs) if i == 0 or x != xs[i - 1])
"""


def test_wrong_output_is_found_and_shrunk_to_a_minimal_input(tmp_path):
    code = write(tmp_path, "pair.py", PAIR)
    result = refute(
        Target.function(code, "candidate"), reference=Target.function(code, "reference"), budget=10
    )
    assert result.found and result.kind == "wrong_output"
    assert result.input == [0, 1, 0]  # the smallest list where runs != distinct values
    assert (result.expected, result.actual) == ("2", "3")
    assert result.tries > 0 and result.seconds < 10


def test_correct_candidate_yields_no_counterexample_and_says_what_was_searched(tmp_path):
    code = write(
        tmp_path,
        "ok.py",
        """
        def reference(xs: list[int]) -> int:
            return len(set(xs))

        def candidate(xs: list[int]) -> int:
            seen = {}
            for x in xs:
                seen[x] = True
            return len(seen)
    """,
    )
    result = refute(
        Target.function(code, "candidate"), reference=Target.function(code, "reference"), budget=6
    )
    assert not result.found and result.kind is None
    assert result.searched["small"] == 3906 and result.searched["random"] > 100
    assert "not a proof" in result.summary and "every input up to size 5" in result.summary


def test_crash_on_some_inputs_is_a_counterexample_of_kind_crash(tmp_path):
    code = write(
        tmp_path,
        "crash.py",
        """
        def reference(xs: list[int]) -> float:
            return sum(xs) / len(xs) if xs else 0.0

        def candidate(xs: list[int]) -> float:
            return sum(xs) / len(xs)
    """,
    )
    result = refute(
        Target.function(code, "candidate"), reference=Target.function(code, "reference"), budget=5
    )
    assert result.kind == "crash" and result.input == []
    assert "ZeroDivisionError" in result.error


def test_non_termination_is_a_counterexample_of_kind_timeout(tmp_path):
    code = write(
        tmp_path,
        "loop.py",
        """
        def reference(n: int) -> int:
            return abs(n)

        def candidate(n: int) -> int:
            while n != 0 and n != 3:
                n -= 1 if n > 0 else -1
            while n == 3:
                pass
            return 0
    """,
    )
    result = refute(
        Target.function(code, "candidate"),
        reference=Target.function(code, "reference"),
        budget=5,
        timeout=1,
    )
    # 1 is wrong output first (0 instead of 1); a timeout needs n >= 3 and comes later.
    assert result.found and result.kind == "wrong_output" and result.input == 1
    code = write(
        tmp_path,
        "loop2.py",
        """
        def reference(n: int) -> int:
            return n

        def candidate(n: int) -> int:
            while n == 4 or n == -4:
                pass
            return n
    """,
    )
    result = refute(
        Target.function(code, "candidate"),
        reference=Target.function(code, "reference"),
        budget=5,
        timeout=1,
    )
    assert result.kind == "timeout" and result.input == 4


def test_mutating_the_argument_is_reported(tmp_path):
    code = write(
        tmp_path,
        "mut.py",
        """
        def reference(xs: list[int]) -> int:
            return max(xs, default=0)

        def candidate(xs: list[int]) -> int:
            xs.sort()
            return xs[-1] if xs else 0
    """,
    )
    result = refute(
        Target.function(code, "candidate"), reference=Target.function(code, "reference"), budget=5
    )
    assert result.found and result.input == [1, 0]
    assert result.error == "returned the same value but changed its argument xs to [0, 1]"
    assert result.summary == (
        "counterexample: candidate([1, 0]): returned the same value but changed its "
        "argument xs to [0, 1]"
    )


def test_exact_comparison_is_python_equality_on_numbers_and_float_allows_a_tolerance(tmp_path):
    code = write(
        tmp_path,
        "mean.py",
        """
        def reference(xs: list[int]) -> int:
            return sum(xs) // len(xs) if xs else 0

        def candidate(xs: list[int]) -> float:
            return sum(xs) / len(xs) if xs else 0.0
    """,
    )
    # 0 and 0.0, or 2 and 2.0, are the same number: the counterexample is a real difference.
    exact = refute(
        Target.function(code, "candidate"), reference=Target.function(code, "reference"), budget=3
    )
    assert exact.found and sorted(exact.input) == [0, 1]
    assert (exact.expected, exact.actual) == ("0", "0.5")
    flags = write(
        tmp_path,
        "flags.py",
        """
        def reference(xs: list[int]) -> bool:
            return len(xs) > 0

        def candidate(xs: list[int]) -> int:
            return len(xs)
    """,
    )
    boolean = refute(
        Target.function(flags, "candidate"), reference=Target.function(flags, "reference"), budget=3
    )
    assert (
        boolean.found
        and boolean.input == []
        and (boolean.expected, boolean.actual)
        == (
            "False",
            "0",
        )
    )
    near = write(
        tmp_path,
        "near.py",
        """
        def reference(xs: list[int]) -> float:
            return sum(x / 10 for x in xs)

        def candidate(xs: list[int]) -> float:
            return sum(xs) / 10
    """,
    )
    strict = refute(
        Target.function(near, "candidate"), reference=Target.function(near, "reference"), budget=3
    )
    assert strict.found  # rounding differs in the last bits
    loose = refute(
        Target.function(near, "candidate"),
        reference=Target.function(near, "reference"),
        budget=1,
        compare="float",
    )
    assert not loose.found


def test_property_oracle(tmp_path):
    code = write(
        tmp_path,
        "sort.py",
        """
        def is_sorted_permutation(xs: list[int], out):
            return out == sorted(xs)

        def my_sort(xs: list[int]) -> list[int]:
            return sorted(set(xs))
    """,
    )
    result = refute(
        Target.function(code, "my_sort"),
        prop=Target.function(code, "is_sorted_permutation"),
        budget=5,
    )
    assert result.found and result.mode == "property" and result.input == [0, 0]
    assert result.actual == "[0]" and "breaks the property" in result.summary


def test_witness_search_finds_a_satisfying_input(tmp_path):
    code = write(
        tmp_path,
        "puzzle.py",
        """
        def f(x: int, modulus: int = 1009) -> bool:
            return x > 100 and x * x % modulus == 2
    """,
    )
    result = refute(witness=Target.function(code, "f"), budget=20)
    assert result.found and result.mode == "witness"
    assert result.input > 100 and result.input**2 % 1009 == 2

    # The user's generator runs on the oracle's side, which a witness search starts for it.
    big = write(tmp_path, "big.py", "def generate(rng, size):\n    return rng.randint(0, 10**6)\n")
    generated = refute(
        witness=Target.function(code, "f"), generator=Target.function(big, "generate"), budget=20
    )
    assert generated.found and generated.searched["generated"] > 0
    assert generated.input > 100 and generated.input**2 % 1009 == 2


def test_seeds_give_the_shape_when_there_are_no_type_hints(tmp_path):
    code = write(
        tmp_path,
        "untyped.py",
        """
        def reference(pairs):
            return sorted(pairs)

        def candidate(pairs):
            return sorted(pairs, key=lambda p: p[:1])  # ignores all but the first item
    """,
    )
    seeds = [[[1, 2], [0, 5]]]
    result = refute(
        Target.function(code, "candidate"),
        reference=Target.function(code, "reference"),
        seeds=seeds,
        budget=5,
    )
    assert result.found and result.input == [[0, 0], [0]]  # sorted() puts [0] first
    with pytest.raises(RefuteError, match="no usable type hint for pairs"):
        refute(
            Target.function(code, "candidate"),
            reference=Target.function(code, "reference"),
            budget=1,
        )


def test_precondition_beside_the_reference_filters_inputs(tmp_path):
    code = write(
        tmp_path,
        "search.py",
        """
        def precondition(xs: list[int], x: int) -> bool:
            return xs == sorted(xs)

        def reference(xs: list[int], x: int) -> bool:
            return x in xs

        def candidate(xs: list[int], x: int) -> bool:  # a correct binary search
            lo, hi = 0, len(xs)
            while lo < hi:
                mid = (lo + hi) // 2
                if xs[mid] < x:
                    lo = mid + 1
                else:
                    hi = mid
            return lo < len(xs) and xs[lo] == x
    """,
    )
    result = refute(
        Target.function(code, "candidate"), reference=Target.function(code, "reference"), budget=2
    )
    assert not result.found and result.searched["invalid"] > 0


def test_stdin_programs_with_generator_and_validator(tmp_path):
    ref = write(
        tmp_path,
        "ref.py",
        "n = int(input())\nxs = list(map(int, input().split()))\nprint(max(xs) - min(xs))\n",
    )
    cand = write(
        tmp_path,
        "cand.py",
        "n = int(input())\nxs = list(map(int, input().split()))\nprint(max(xs) - xs[0])\n",
    )
    gen = write(
        tmp_path,
        "gen.py",
        """
        def generate(rng, size):
            n = rng.randint(1, size)
            return f"{n}\\n" + " ".join(str(rng.randint(-9, 9)) for _ in range(n)) + "\\n"
    """,
    )
    val = write(
        tmp_path,
        "val.py",
        """
        def validate(text):
            n, *rest = text.split("\\n")
            return len(rest[0].split()) == int(n)
    """,
    )
    result = refute(
        Target.program(cand),
        reference=Target.program(ref),
        generator=Target.function(gen, "generate"),
        validator=Target.function(val, "validate"),
        budget=10,
    )
    assert result.found and result.kind == "wrong_output"
    n, numbers = result.input.split("\n")[:2]
    xs = [int(v) for v in numbers.split()]
    assert int(n) == len(xs) and min(xs) < xs[0]

    same = refute(
        Target.program(ref),
        reference=Target.program(ref),
        generator=Target.function(gen, "generate"),
        budget=1,
    )
    assert not same.found and same.searched["longest_stdin"] >= 4  # "1\n-9\n" at least
    assert f"(longest stdin {same.searched['longest_stdin']} characters)" in same.summary


def test_a_program_that_hangs_is_a_timeout_and_inputs_the_reference_rejects_do_not_count(
    tmp_path,
):
    ref = write(
        tmp_path,
        "ref.py",
        "n = int(input())\nassert n > 0, 'n must be positive'\nprint(n * n)\n",
    )
    cand = write(
        tmp_path,
        "cand.py",
        """
        n = int(input())
        if n == 0:
            raise SystemExit(3)  # an input the reference rejects: not a counterexample
        while n == 2:
            pass
        print(n * n)
    """,
    )
    gen = write(
        tmp_path, "gen.py", "def generate(rng, size):\n    return f'{rng.randint(0, 3)}\\n'\n"
    )
    result = refute(
        Target.program(cand),
        reference=Target.program(ref),
        generator=Target.function(gen, "generate"),
        budget=10,
        timeout=1.0,
    )
    assert result.found and result.kind == "timeout", result.summary
    assert result.input == "2\n"
    assert result.searched["invalid"] > 0  # the 0s: neither tried nor counted against it


def test_candidate_cannot_tamper_with_the_reference_or_the_host(tmp_path):
    evil = write(
        tmp_path,
        "evil.py",
        """
        import builtins
        builtins.sorted = lambda xs, **kw: [0]  # would fool a reference in the same process
        open("/tmp/agentkit-refute-evil-marker", "w").write("x")

        def candidate(xs: list[int]) -> list[int]:
            return sorted(xs)
    """,
    )
    good = write(
        tmp_path,
        "good.py",
        """
        def reference(xs: list[int]) -> list[int]:
            return sorted(xs)
    """,
    )
    result = refute(
        Target.function(evil, "candidate"), reference=Target.function(good, "reference"), budget=3
    )
    assert result.found and result.input == [] and result.actual == "[0]"
    assert not os.path.exists("/tmp/agentkit-refute-evil-marker")  # its /tmp was private


def test_user_code_cannot_reach_the_supervisor_that_reports_its_outcomes(tmp_path):
    code = write(
        tmp_path,
        "spy.py",
        """
        import os

        def f(x: int) -> bool:
            try:  # same uid: only the supervisor's not-dumpable flag stands in the way
                with open(f"/proc/{os.getppid()}/mem", "rb") as memory:
                    memory.read(1)
                return True
            except OSError as exc:
                return exc.errno == 5  # EIO: opened, so it could have been read elsewhere
    """,
    )
    result = refute(witness=Target.function(code, "f"), budget=1)
    assert not result.found and result.tries > 0


def test_each_search_gets_workers_no_earlier_search_has_touched(tmp_path):
    code = write(
        tmp_path,
        "trap.py",
        """
        import os

        MARK = "/tmp/left-by-an-earlier-search"

        def reference(x: int) -> bool:
            return False

        def candidate(x: int) -> bool:
            seen = os.path.exists(MARK)
            open(MARK, "w").close()
            return seen
    """,
    )
    kwargs = {"reference": Target.function(code, "reference"), "budget": 2}
    first = refute(Target.function(code, "candidate"), **kwargs)
    # Within one search the second input sees the first one's mark; re-run alone on
    # fresh workers it does not fail: state kept between inputs, not a counterexample.
    assert not first.found and first.status == "untested"
    assert "did not fail again on fresh workers" in first.notes[0]
    second = refute(Target.function(code, "candidate"), **kwargs)
    # A fresh /tmp: the same search again, not one whose very first input fails.
    assert second.status == "untested" and second.notes == first.notes


def test_a_special_value_failure_is_shrunk_to_the_smallest(tmp_path):
    code = write(
        tmp_path,
        "threshold.py",
        """
        def reference(n: int) -> int:
            return n

        def candidate(n: int) -> int:
            return n if n < 617 * 2 else n + 1  # 1234 is no constant of the code
    """,
    )
    result = refute(
        Target.function(code, "candidate"), reference=Target.function(code, "reference"), budget=3
    )
    assert result.found and result.input == 1234  # from 2**31 - 1 or 2**63: shrunk
    assert result.original_input > 1234 and result.searched["shrink"] > 0


def test_the_codes_own_constants_are_tried_but_unused_data_is_not(tmp_path):
    code = write(
        tmp_path,
        "grades.py",
        """
        EXPECTED_ANSWER = 424242  # data in the file, read by no function

        def reference(score: int) -> str:
            return "A" if score >= 87 else "B"

        def candidate(score: int) -> str:
            return "A" if score > 87 else "B"

        def witness(x: int) -> bool:
            return x * 2 == 848484
    """,
    )
    result = refute(
        Target.function(code, "candidate"), reference=Target.function(code, "reference"), budget=3
    )
    assert result.found and result.input == 87 and result.searched.get("random", 0) == 0
    unused = refute(witness=Target.function(code, "witness"), budget=0.5)
    assert not unused.found and unused.tries > 0


def test_shrink_proposals_are_strictly_smaller_and_scan_reaches_every_smaller_int():
    from agentkit_refute import shrink
    from agentkit_refute.values import size_key

    for args in [(2**40, "hello", [3, -1, 2]), ({"k": [1, 2]}, 7.5, b"xyz"), (True, None)]:
        proposed = shrink.proposals(args)
        assert proposed and all(size_key(p) < size_key(args) for p in proposed)
        assert proposed == sorted(proposed, key=size_key)
    assert {p[0] for p in shrink.scan((300, "x"))} == set(range(-255, 256)) - {-256}
    assert list(shrink.scan((0,))) == []


UNTYPED = """
def reference(xs, k):
    return sorted(xs)[:k]

def candidate(xs, k):  # wrong when k is 0: xs[:-0] is empty only by luck of slicing
    return sorted(xs)[: len(xs) - k if k > len(xs) // 2 else k] if xs else []

def precondition(xs, k):
    return 0 <= k <= len(xs)
"""


def test_a_generator_or_a_strategy_supplies_inputs_for_untyped_functions(tmp_path):
    code = write(tmp_path, "untyped.py", UNTYPED)
    generator = write(
        tmp_path,
        "gen.py",
        """
        def generate(rng, size):
            xs = [rng.randint(-5, 5) for _ in range(size)]
            return xs, rng.randint(-2, size + 2)   # some invalid k: the precondition drops them
    """,
    )
    kwargs = {"reference": Target.function(code, "reference"), "budget": 5}
    made = refute(
        Target.function(code, "candidate"),
        generator=Target.function(generator, "generate"),
        **kwargs,
    )
    assert made.found and made.searched["generated"] > 0 and made.searched["invalid"] > 0
    xs, k = made.input
    assert 0 <= k <= len(xs) and k > len(xs) // 2 and len(xs) - k != k  # a real failure

    from hypothesis import strategies as st

    pairs = st.lists(st.integers(-5, 5), max_size=6).flatmap(
        lambda xs: st.tuples(st.just(xs), st.integers(0, len(xs)))
    )
    drawn = refute(Target.function(code, "candidate"), strategy=pairs, **kwargs)
    assert drawn.found and drawn.searched["random"] > 0
    xs, k = drawn.input
    assert k > len(xs) // 2 and len(xs) - k != k

    with pytest.raises(RefuteError, match="no usable type hint for xs, k"):
        refute(Target.function(code, "candidate"), **kwargs)


def test_an_explicit_validator_filters_function_inputs(tmp_path):
    code = write(
        tmp_path,
        "div.py",
        """
        def reference(a: int, b: int) -> int:
            return a // b

        def candidate(a: int, b: int) -> int:
            return int(a / b)  # differs for negative quotients, and divides by zero
    """,
    )
    rules = write(  # small enough for a / b to be exact in a float
        tmp_path, "rules.py", "def positive(a, b):\n    return 0 <= a < 10**6 and 0 < b < 10**6\n"
    )
    result = refute(
        Target.function(code, "candidate"),
        reference=Target.function(code, "reference"),
        validator=Target.function(rules, "positive"),
        budget=2,
    )
    assert not result.found and result.searched["invalid"] > 0  # only the valid half is searched
    unchecked = refute(
        Target.function(code, "candidate"), reference=Target.function(code, "reference"), budget=2
    )
    assert unchecked.found and unchecked.input[1] != 0  # b == 0: the reference fails too


def test_code_that_forges_its_workers_answers_is_caught_not_obeyed(tmp_path):
    forger = write(
        tmp_path,
        "forger.py",
        """
        import agentkit_refute._inside as inside

        # From its loading on, every answer to a call is a forgery.
        honest = inside._answer
        inside._answer = lambda module, request, source: (
            {"status": "ok"} if request["op"] == "call" else honest(module, request, source)
        )

        def candidate(xs: list[int]) -> int:
            return len(xs)
    """,
    )
    good = write(tmp_path, "good.py", "def reference(xs: list[int]) -> int:\n    return len(xs)\n")
    result = refute(
        Target.function(forger, "candidate"), reference=Target.function(good, "reference"), budget=3
    )
    assert result.found and result.kind == "crash" and "ProtocolError" in result.error

    # Honest on the first call of a process only: never "not found", never a host error.
    late = write(
        tmp_path,
        "late.py",
        """
        import agentkit_refute._inside as inside

        def candidate(xs: list[int]) -> int:
            inside._answer = lambda module, request, source: {"status": "ok"}
            return len(xs)
    """,
    )
    result = refute(
        Target.function(late, "candidate"), reference=Target.function(good, "reference"), budget=3
    )
    assert result.status == "untested" and "ProtocolError" in result.notes[0]

    liar = write(
        tmp_path,
        "liar.py",
        """
        import agentkit_refute._inside as inside

        inside._describe = lambda module, entry: {"params": [{"name": "x", "type": {"t": "?"}}]}

        def candidate(x: int) -> int:
            return x

        def prop(x, out):
            return out == x
    """,
    )
    with pytest.raises(RefuteError, match=r"could not be described: .*unknown type kind") as bad:
        refute(Target.function(liar, "candidate"), prop=Target.function(liar, "prop"), budget=1)
    assert "\n" not in str(bad.value)


def test_bad_requests_are_one_line_errors(tmp_path):
    code = write(tmp_path, "pair.py", PAIR)
    with pytest.raises(RefuteError, match="exactly one of"):
        refute(Target.function(code, "candidate"), budget=1)
    with pytest.raises(RefuteError, match="no such file"):
        Target.function(tmp_path / "missing.py", "f")
    with pytest.raises(RefuteError, match="has no function 'nope'"):
        refute(
            Target.function(code, "candidate"), reference=Target.function(code, "nope"), budget=1
        )
    # A candidate's missing function or failing import is the request's mistake, not a
    # counterexample: every input would "crash" on it.
    with pytest.raises(RefuteError, match=r"pair\.py: cannot load it: .*has no function 'nope'"):
        refute(
            Target.function(code, "nope"), reference=Target.function(code, "reference"), budget=1
        )
    with pytest.raises(RefuteError, match=r"pair\.py: cannot load it: .*no function 'is_ok'"):
        refute(Target.function(code, "candidate"), prop=Target.function(code, "is_ok"), budget=1)
    with pytest.raises(RefuteError, match=r"pair\.py: cannot load it: .*no function 'generate'"):
        refute(
            Target.function(code, "candidate"),
            reference=Target.function(code, "reference"),
            generator=Target.function(code, "generate"),
            budget=1,
        )
    broken = write(tmp_path, "broken.py", "raise KeyError('boom')\n" + PAIR)
    with pytest.raises(RefuteError, match=r"broken\.py: cannot load it: KeyError: 'boom'$"):
        refute(
            Target.function(broken, "candidate"),
            reference=Target.function(code, "reference"),
            budget=1,
        )


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENTKIT_LOAD_PLUGINS": "refute"}
    return subprocess.run(
        [AGENTKIT, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def test_cli_prints_the_counterexample_and_exits_1(tmp_path):
    write(tmp_path, "pair.py", PAIR)
    shown = run_cli(
        "refute",
        "pair.py",
        "--entry",
        "candidate",
        "--reference",
        "pair.py:reference",
        cwd=tmp_path,
    )
    assert shown.returncode == 1, shown.stderr
    assert shown.stdout.startswith("counterexample: candidate([0, 1, 0]): expected 2, got 3")
    as_json = run_cli(
        "refute",
        "pair.py",
        "--entry",
        "candidate",
        "--reference",
        "pair.py:reference",
        "--json",
        cwd=tmp_path,
    )
    document = json.loads(as_json.stdout)
    assert (
        document["found"] and document["input"] == [0, 1, 0] and document["kind"] == "wrong_output"
    )
    usage = run_cli("refute", "pair.py", "--reference", "pair.py", cwd=tmp_path)
    assert usage.returncode == 2 and usage.stderr.count("\n") == 1
    assert "name the function to refute with --entry" in usage.stderr


def test_tool_call_through_the_cli(tmp_path):
    args = {
        "candidate": "def f(x: int) -> int:\n    return abs(x) if x != 7 else 0\n",
        "entry": "f",
        "reference": "def f(x: int) -> int:\n    return abs(x)\n",
    }
    shown = run_cli("tools", "call", "refute", "--args", json.dumps(args), "--json", cwd=tmp_path)
    result = json.loads(shown.stdout)
    assert result["ok"] and result["output"]["found"] and result["output"]["input"] == 7


def test_counterexample_verifier_fails_a_wrong_answer_and_never_passes_one():
    verifier = CounterexampleVerifier()
    problem = {
        "entry": "double",
        "reference": "def double(x: int) -> int:\n    return 2 * x\n",
        "budget": 2,
    }
    wrong = "def double(x: int) -> int:\n    return x + 2\n"
    right = "def double(x: int) -> int:\n    return x + x\n"
    assert verifier.applies_to(wrong, problem) and not verifier.applies_to(wrong, "a question")
    failed = verifier.verify(wrong, problem)
    assert failed.status == "failed" and failed.counterexample["input"] == 0
    assert failed.counterexample["expected"] == "0" and failed.counterexample["actual"] == "2"
    survived = verifier.verify({"code": right}, problem)
    assert survived.status == "undecided" and "not a proof" in survived.feedback


def test_dataclass_parameters_reach_the_code_as_the_real_class(tmp_path):
    code = write(
        tmp_path,
        "rects.py",
        """
        from dataclasses import dataclass

        @dataclass
        class Rect:
            x: int
            w: int

        def reference(a: Rect, b: Rect) -> bool:
            return a.x < b.x + b.w and b.x < a.x + a.w

        def candidate(a: Rect, b: Rect) -> bool:
            return a.x <= b.x + b.w and b.x <= a.x + a.w  # touching edges count as overlap
    """,
    )
    result = refute(
        Target.function(code, "candidate"), reference=Target.function(code, "reference"), budget=5
    )
    assert result.found and result.kind == "wrong_output" and result.searched["invalid"] == 0
