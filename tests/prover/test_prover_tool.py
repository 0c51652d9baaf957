"""The ``check_proof`` tool called directly: verdicts are successes, misuse is a failure."""

from __future__ import annotations

from prover_samples import PLUS_O_N

import agentkit
from agentkit_prover import check_proof


def test_a_verdict_is_a_successful_call_whatever_the_status(coq):
    proved = agentkit.call_tool(check_proof, {"source": PLUS_O_N, "timeout": 20})
    assert proved.ok and proved.error is None
    assert proved.output["status"] == "proved" and proved.output["backend"] == "coq"
    refuted = agentkit.call_tool(check_proof, {"claim": "x > 0", "variables": {"x": "Int"}})
    assert refuted.ok and refuted.output["status"] == "refuted"
    assert refuted.output["counterexample"]["x"] <= 0


def test_misuse_fails_with_one_line_saying_what_to_do():
    cases = {
        "check_proof: give exactly one of 'source' and 'claim'": {},
        "unknown proof language 'coqq'; did you mean 'coq'?": {"source": "x", "language": "coqq"},
        "check_proof: a 'claim' is checked with z3; leave language out": {
            "claim": "x > 0",
            "language": "coq",
        },
        "check_proof: 'assumptions' and 'variables' go with 'claim'": {
            "source": PLUS_O_N,
            "variables": {"x": "Int"},
        },
        "timeout must be above 0 and at most 600 seconds": {"source": PLUS_O_N, "timeout": 0},
        "cannot tell the proof language of the source": {"source": "hello"},
        "check_proof: 'theorem' names a theorem of a Coq 'source'": {
            "claim": "x > 0",
            "theorem": "t",
        },
        "smt proofs have no named theorems; leave 'theorem' out": {
            "source": "(assert false)",
            "language": "smt",
            "theorem": "t",
        },
    }
    for expected, arguments in cases.items():
        result = agentkit.call_tool(check_proof, arguments)
        assert not result.ok and result.error.startswith(expected), (arguments, result.error)
        assert "\n" not in result.error


def test_the_schema_tells_a_model_both_ways_to_call_it():
    schema = check_proof.parameters["properties"]
    assert set(schema) == {
        "source",
        "language",
        "claim",
        "assumptions",
        "variables",
        "timeout",
        "theorem",
    }
    assert "NEGATION" in check_proof.description and "refuted" in check_proof.description


def test_a_theorem_asked_for_by_name_must_be_stated_and_proved(coq):
    source = PLUS_O_N + "Theorem gone : 1 = 2.\nAbort.\n"
    named = agentkit.call_tool(check_proof, {"source": source, "theorem": "plus_O_n"})
    assert named.ok and named.output["status"] == "proved"
    aborted = agentkit.call_tool(check_proof, {"source": source, "theorem": "gone"})
    assert aborted.ok and aborted.output["status"] == "error"
    assert aborted.output["errors"][0]["message"].startswith("gone is not stated in the file")
