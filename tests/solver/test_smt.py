"""``solve_smt`` and the ``smt`` tool against real z3 in the sandboxed worker pool."""

from __future__ import annotations

import time

import pytest

import agentkit
from agentkit_solver import SolverError, smt_tool, solve_smt

INTS = {"x": "Int", "y": "Int"}


def test_smtlib_sat_gives_the_model():
    out = solve_smt(
        smtlib="""
        (set-logic QF_LIA)
        (declare-fun x () Int)
        (declare-const y Int)
        (assert (> x 0))
        (assert (= (+ x y) 10))
        (assert (> y 8))
        (check-sat)
        (get-model)
        (exit)
        """
    )
    assert out == {
        "status": "sat",
        "model": {"x": 1, "y": 9},
        "unsat_core": None,
        "objectives": None,
        "reason": None,
    }


def test_smtlib_unsat_core_from_named_assertions_and_get_unsat_core():
    out = solve_smt(
        smtlib="""
        (declare-const x Int)
        (assert (! (> x 5) :named big))
        (assert (! (< x 3) :named small))
        (assert (! (> x 0) :named positive))
        (check-sat)
        (get-unsat-core)
        """
    )
    assert out["status"] == "unsat" and out["unsat_core"] == ["big", "small"]
    assert out["model"] is None
    optimising = solve_smt(
        smtlib="(declare-const x Int)"
        "(assert (! (> x 5) :named big)) (assert (! (< x 3) :named small))",
        minimize="x",
        unsat_core=True,
    )
    assert optimising["status"] == "unsat" and optimising["unsat_core"] == ["big", "small"]


def test_errors_point_at_the_script_own_lines_when_a_core_is_asked_for():
    script = "(declare-const x Int)\n(assert (! (> x 5) :named big))\n(assert (< x z))"
    with pytest.raises(SolverError, match="line 3 column 13: unknown constant z"):
        solve_smt(smtlib=script, unsat_core=True)


def test_smtlib_unsat_without_asking_for_a_core_gives_none():
    out = solve_smt(smtlib="(declare-const x Int)(assert (> x 5))(assert (< x 3))")
    assert out["status"] == "unsat" and out["unsat_core"] is None


def test_smtlib_minimize_and_maximize_commands():
    out = solve_smt(
        smtlib="""
        (declare-const x Int) (declare-const y Int)
        (assert (> (+ x y) 3)) (assert (< x 10)) (assert (>= y 0))
        (minimize (+ x (* 2 y)))
        (check-sat)
        """
    )
    assert out["status"] == "sat" and out["objectives"] == {"(+ x (* 2 y))": 4}
    assert out["model"]["x"] + 2 * out["model"]["y"] == 4
    top = solve_smt(smtlib="(declare-const x Int)(assert (< x 10))", maximize="(* 2 x)")
    assert top["objectives"] == {"(* 2 x)": 18} and top["model"] == {"x": 9}


def test_push_and_pop_leave_the_assertions_in_force_at_the_end():
    out = solve_smt(
        smtlib="(declare-const x Int)(push 1)(assert (> x 5))(pop 1)(assert (< x 3))(check-sat)"
    )
    assert out["status"] == "sat" and out["model"]["x"] < 3


def test_model_values_keep_their_kind():
    out = solve_smt(
        smtlib="""
        (declare-const third Real) (declare-const whole Real) (declare-const root Real)
        (declare-const flag Bool) (declare-const byte (_ BitVec 8))
        (declare-fun f (Int) Int)
        (assert (= (* 3 third) 1.0)) (assert (= whole 2.0))
        (assert (= (* root root) 2.0)) (assert (> root 0.0))
        (assert flag) (assert (= byte #xff)) (assert (= (f 1) 5))
        """
    )
    model = out["model"]
    assert model["third"] == "1/3" and model["whole"] == 2
    assert model["root"].startswith("1.41421356237309504880")
    assert model["flag"] is True and model["byte"] == 255
    assert "5" in model["f"]


def test_compact_constraints_with_chained_comparisons_implies_and_not():
    out = solve_smt(
        constraints=["0 <= x < 10", "y == x + 3", "implies(x > 2, y > 8)", "not (x == 6)"],
        variables=INTS,
    )
    assert out["status"] == "sat"
    x, y = out["model"]["x"], out["model"]["y"]
    assert 0 <= x < 10 and y == x + 3 and (x <= 2 or y > 8) and x != 6


def test_compact_functions_and_integer_division():
    out = solve_smt(
        constraints=[
            "x == min(3, y) + max(1, 2, 7) + abs(-4)",
            "y == (5 if x > 100 else 2)",
            "distinct(x, y, 0)",
            "z // 2 == 3 and z % 2 == 1",
        ],
        variables={"x": "Int", "y": "Int", "z": "Int"},
    )
    assert out["model"] == {"x": 13, "y": 2, "z": 7}


def test_negating_a_claim_proves_it():
    # The prover's pattern: a claim holds when "not (claim)" is unsat.
    claim = "implies(x > 2 and y > 2, x * y > 4)"
    assert solve_smt(constraints=[f"not ({claim})"], variables=INTS)["status"] == "unsat"
    wrong = "implies(x > 2, x * x > 10)"
    out = solve_smt(constraints=[f"not ({wrong})"], variables=INTS)
    assert out["status"] == "sat" and out["model"]["x"] == 3


def test_compact_unsat_core_names_constraints_by_position_or_given_name():
    out = solve_smt(
        constraints=["big: x > 5", "x < 3", "y == 1", "ite(y > 0, x, 0) != 4"],
        variables=INTS,
        unsat_core=True,
    )
    assert out["status"] == "unsat" and out["unsat_core"] == ["big", "c1"]


def test_compact_minimize_and_maximize():
    low = solve_smt(
        constraints=["0 <= x <= 10", "implies(b, x > 7)", "b"],
        variables={"x": "Int", "b": "Bool"},
        minimize="x",
    )
    assert low["model"] == {"b": True, "x": 8} and low["objectives"] == {"x": 8}
    high = solve_smt(
        constraints=["x + y <= 4", "x >= 0", "y >= 0", "x <= 5/2"],
        variables={"x": "Real", "y": "Real"},
        maximize="3*x + 2*y",
    )
    assert high["objectives"] == {"3*x + 2*y": "21/2"}
    assert high["model"] == {"x": "5/2", "y": "3/2"}


def test_an_unbounded_objective_says_so():
    out = solve_smt(constraints=["x > 0"], variables={"x": "Int"}, maximize="x")
    assert out["status"] == "sat" and out["objectives"] == {"x": "oo"}


def test_literals_divide_exactly_and_bitvectors_work():
    out = solve_smt(constraints=["x < 1/3", "x > 0.33"], variables={"x": "Real"})
    assert out["status"] == "sat"
    numerator, denominator = map(int, out["model"]["x"].split("/"))
    assert 0.33 < numerator / denominator < 1 / 3
    bits = solve_smt(
        constraints=["x & 0xF0 == 0x30", "x ^ y == 0xff", "x + 1 == 0x31"],
        variables={"x": "BitVec8", "y": "BitVec8"},
    )
    assert bits["model"] == {"x": 0x30, "y": 0xCF}


def test_hard_query_past_the_time_limit_is_unknown():
    started = time.monotonic()
    out = solve_smt(
        constraints=["x > 0", "y > 0", "z > 0", "x*x*x + y*y*y == z*z*z"],
        variables={"x": "Int", "y": "Int", "z": "Int"},
        timeout=1.0,
    )
    waited = time.monotonic() - started
    assert out["status"] == "unknown" and out["reason"] in ("timeout", "canceled")
    assert out["model"] is None
    assert waited < 6, f"a 1 s limit took {waited:.1f} s"


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (
            {"smtlib": "(declare-const x Int)(assert (> x y))"},
            "smt: z3 could not read the script: ",
        ),
        (
            {"smtlib": "(declare-const x Int)(assert (> x 1)"},
            "smt: the command 'assert' is missing",
        ),
        (
            {"smtlib": "(declare-const x Int)(check-sat)(assert (> x 1))(check-sat)"},
            "smt: the script has 2 check-sat commands; this tool answers one",
        ),
        ({"smtlib": "(check-sat-assuming (true))"}, "check-sat-assuming is not supported"),
        ({"constraints": ["x.real > 1"], "variables": INTS}, "attribute access is not allowed"),
        ({"constraints": ["__import__('os')"], "variables": INTS}, "calling __import__ is not"),
        ({"constraints": ["(lambda: x)() > 1"], "variables": INTS}, "lambda is not allowed"),
        ({"constraints": ["z > 1"], "variables": INTS}, "unknown variable 'z' (declared: x, y)"),
        ({"constraints": ["x + 1"], "variables": INTS}, "is not a constraint"),
        ({"constraints": ["x > 1"], "variables": {"x": "Float"}}, "unknown sort 'Float'"),
        ({"constraints": ["x > 1"]}, "the compact form needs 'variables'"),
        ({}, "smt: give exactly one of 'smtlib' and 'constraints'"),
        ({"smtlib": "(assert true)", "constraints": ["x > 1"]}, "give exactly one of"),
        ({"smtlib": "(assert true)", "timeout": 0}, "smt: timeout must be above 0"),
    ],
)
def test_unreadable_input_raises_one_clear_line(request_, error):
    with pytest.raises(SolverError) as caught:
        solve_smt(**request_)
    message = str(caught.value)
    assert error in message and message.startswith("smt: ")
    assert "\n" not in message and "Traceback" not in message


def test_the_tool_returns_the_result_or_a_one_line_failure():
    result = agentkit.call_tool(
        smt_tool, {"constraints": ["x > 41", "x < 43"], "variables": {"x": "Int"}}
    )
    assert result.ok and result.output["status"] == "sat" and result.output["model"] == {"x": 42}
    broken = agentkit.call_tool(smt_tool, {"smtlib": "(assert (> x 1))"})
    assert not broken.ok
    assert broken.error.startswith("smt: z3 could not read the script: ")
    assert "unknown constant x" in broken.error
