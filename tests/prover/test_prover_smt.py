"""The SMT backend against real z3 (in agentkit-solver's sandboxed workers)."""

from __future__ import annotations

from prover_samples import VC_PROVED, VC_REFUTED

from agentkit_prover import check_claim, check_source
from agentkit_prover.backends.smt import BACKEND as SMT


def test_an_unsat_negation_is_proved():
    result = SMT.check(VC_PROVED, timeout=10)
    assert result.status == "proved" and result.backend == "smt"
    assert result.counterexample is None


def test_a_sat_negation_is_refuted_with_the_model_as_counterexample():
    result = SMT.check(VC_REFUTED, timeout=10)
    assert result.status == "refuted"
    model = result.counterexample
    assert set(model) == {"x", "y"}
    assert model["x"] > 0 and model["x"] * model["y"] <= 0  # it really falsifies the claim
    assert result.messages[0].startswith("counterexample: x = ")


def test_a_compact_claim_with_a_counterexample():
    result = check_claim("x * x > x", variables={"x": "Int"}, timeout=10)
    assert result.status == "refuted"
    x = result.counterexample["x"]
    assert not x * x > x


def test_a_compact_claim_proved_under_its_assumptions():
    result = check_claim(
        "x * y > 0", assumptions=["x > 0", "y > 0"], variables={"x": "Int", "y": "Int"}
    )
    assert result.status == "proved"
    without = check_claim("x * y > 0", assumptions=["x > 0"], variables={"x": "Int", "y": "Int"})
    assert without.status == "refuted"


def test_unreadable_smtlib_is_an_error_with_line_and_column():
    result = SMT.check("(declare-const x Int)\n(assert (> x undefined_y))\n", timeout=10)
    assert result.status == "error"
    [error] = result.errors
    assert (error.line, error.column) == (2, 14)  # where undefined_y starts
    assert "undefined_y" in error.message


def test_an_undecided_claim_stays_unknown_never_proved():
    # Sums of three cubes: z3 cannot settle this in a second.
    source = """\
(declare-const x Int)
(declare-const y Int)
(declare-const z Int)
(assert (= (+ (* x x x) (* y y y) (* z z z)) 33))
(assert (> (* x x) 100000))
"""
    result = SMT.check(source, timeout=1.0)
    assert result.status == "unknown"
    assert result.timed_out and "z3 could not decide" in result.messages[0]


def test_the_language_is_detected_from_the_source():
    assert check_source(VC_PROVED, timeout=10).backend == "smt"
