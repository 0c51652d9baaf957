"""``prove`` end to end: real coqc and z3 behind ``check_proof``, a real retriever index of
the library, a scripted model behind the fake OpenAI server, and the run's trail."""

from __future__ import annotations

import json
import shutil

import pytest

import agentkit
from agentkit.testing import Fault
from agentkit.workflows import resume_workflow
from agentkit_retriever import update_index
from agentkit_solver import close_pool
from agentkit_workflows.prove import prove

LIBRARY = """\
(* A small library of arithmetic lemmas. *)

Lemma my_add_zero_right : forall n : nat, n + 0 = n.
Proof.
  induction n as [| n IH]; simpl.
  - reflexivity.
  - rewrite IH. reflexivity.
Qed.

Lemma my_add_succ_right : forall n m : nat, n + S m = S (n + m).
Proof.
  induction n as [| n IH]; intros m; simpl.
  - reflexivity.
  - rewrite IH. reflexivity.
Qed.

Lemma my_mul_zero_right : forall n : nat, n * 0 = 0.
Proof.
  induction n as [| n IH]; simpl.
  - reflexivity.
  - exact IH.
Qed.
"""

STATEMENT = "Theorem add_zero_twice : forall n : nat, (n + 0) + 0 = n."

# n + 0 does not reduce: the way a model fails before it knows the library.
BY_COMPUTATION = "A simple computation.\n\n```coq\nProof.\n  intros n. reflexivity.\nQed.\n```\n"
WITH_THE_LEMMA = (
    "`my_add_zero_right` rewrites both additions away.\n\n"
    "```coq\nProof.\n  intros n. rewrite !my_add_zero_right. reflexivity.\nQed.\n```\n"
)


@pytest.fixture(scope="module", autouse=True)
def solver_pool():
    yield
    close_pool()  # z3's sandboxed workers


@pytest.fixture
def coq():
    if shutil.which("coqc") is None or shutil.which("coqchk") is None:
        pytest.skip("Coq is not installed: apt-get install coq")


@pytest.fixture
def model(fake_openai, monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "prover,retriever")
    agentkit.load_plugins()
    return agentkit.OpenAIModel("fake-model", base_url=fake_openai.base_url)


@pytest.fixture
def library_index(tmp_path):
    """The library as a .v file, indexed with the retriever's own API (as `agentkit index add`)."""
    source = tmp_path / "arith.v"
    source.write_text(LIBRARY)
    index = tmp_path / "arith.db"
    report = update_index(str(index), [source])
    assert report.chunks_total == 3  # one chunk per lemma
    return str(index)


def events(run_id: str, kind: str) -> list[dict]:
    return [e for e in agentkit.Store().events(run_id) if e["type"] == kind]


def last_user_message(request: dict) -> str:
    return [m for m in request["messages"] if m["role"] == "user"][-1]["content"]


def test_a_tactic_error_is_fixed_with_the_lemma_the_goal_retrieved(
    coq, fake_openai, model, library_index
):
    fake_openai.enqueue(BY_COMPUTATION, WITH_THE_LEMMA)
    inputs = {
        "statement": STATEMENT,
        "language": "coq",
        "index": library_index,
        "context": LIBRARY,
        "premises": 1,
        "max_attempts": 3,
    }
    run = prove.run(inputs, model=model)
    result = run.result

    assert result["verified"] is True and result["status"] == "proved"
    assert result["attempts"] == 2 and result["gave_up"] is False
    assert result["proof"] == "Proof.\n  intros n. rewrite !my_add_zero_right. reflexivity.\nQed."
    assert result["answer"] == f"{LIBRARY.strip()}\n\n{STATEMENT}\n{result['proof']}\n"
    assert [h["status"] for h in result["history"]] == ["error", "proved"]
    assert "Lemma my_add_zero_right" in result["premises"]

    # The checker's error, the goal and the retrieved lemma reached the model.
    first_request, second_request = fake_openai.requests
    assert STATEMENT in last_user_message(first_request)
    feedback = last_user_message(second_request)
    assert "The proof fails on its line 2." in feedback
    assert "Failing sentence: reflexivity." in feedback
    assert 'Unable to unify "n" with "n + 0 + 0"' in feedback
    assert "Goal before that sentence:" in feedback and "n + 0 + 0 = n" in feedback
    assert "Lemmas from the library that may help" in feedback
    assert "Lemma my_add_zero_right : forall n : nat, n + 0 = n." in feedback
    assert "my_mul_zero_right" not in feedback  # one premise: the one the goal is about
    fake_openai.assert_complete()

    # The trail: the statement checked once with Admitted, then search, check, search, check.
    calls = events(run.run_id, "tool_call")
    assert [e["name"] for e in calls] == [
        "check_proof",
        "retrieve",
        "check_proof",
        "retrieve",
        "check_proof",
    ]
    assert calls[0]["payload"]["result"]["output"]["status"] == "incomplete"
    goal_search = calls[3]["payload"]
    query = goal_search["arguments"]["query"].split()
    assert "reflexivity" in query and "add" in query  # the failing sentence, the goal's +
    assert "reflexivity" not in calls[1]["payload"]["arguments"]["query"].split()
    assert goal_search["result"]["output"]["hits"][0]["title"] == "Lemma my_add_zero_right"
    verdicts = events(run.run_id, "verdict")
    assert [(v["name"], v["payload"]["status"]) for v in verdicts] == [
        ("check_proof", "failed"),
        ("check_proof", "passed"),
    ]
    assert verdicts[0]["payload"]["evidence"]["errors"][0]["sentence"] == "reflexivity."


ADMITTED = "Let me come back to this.\n\n```coq\nProof.\n  intros n.\nAdmitted.\n```\n"
EASIER = "```coq\nTheorem add_zero_twice : forall n : nat, n = n.\nProof. reflexivity. Qed.\n```\n"
ADMIT = "```coq\nProof.\n  intros n. simpl. admit.\nAdmitted.\n```\n"
ABORT = "```coq\nProof.\n  intros n.\nAbort.\n```\n"  # the library's lemmas still check


def test_admitted_admit_abort_or_an_easier_theorem_never_count_as_a_proof(coq, fake_openai, model):
    fake_openai.enqueue(ADMITTED, EASIER, ADMIT, ABORT)
    inputs = {"statement": STATEMENT, "context": LIBRARY, "max_attempts": 4}
    run = prove.run(inputs, model=model)
    result = run.result

    assert result["verified"] is False and result["status"] == "error"
    assert result["attempts"] == 4 and "Abort." in result["proof"]
    statuses = [h["status"] for h in result["history"]]
    assert statuses == ["incomplete", "error", "incomplete", "error"]

    _, second_request, third_request, fourth_request = fake_openai.requests
    gap = last_user_message(second_request)
    assert "The proof is incomplete: add_zero_twice is Admitted." in gap
    assert "Admitted, admit and axioms never count as a proof" in gap
    # The restated theorem lands inside the proof of the real one: it cannot replace it.
    nested = last_user_message(third_request)
    assert "Failing sentence: Theorem add_zero_twice : forall n : nat, n = n." in nested
    assert "simpl. admit." in fourth_request["messages"][-2]["content"]
    assert "add_zero_twice is Admitted" in last_user_message(fourth_request)
    fake_openai.assert_complete()

    verdicts = events(run.run_id, "verdict")
    assert [v["payload"]["status"] for v in verdicts] == ["failed"] * 4
    aborted = "add_zero_twice is not stated in the file (or its proof was aborted)"
    assert aborted in verdicts[-1]["payload"]["feedback"]
    assert [e["name"] for e in events(run.run_id, "tool_call")] == ["check_proof"] * 5


RESET = (
    "```coq\nReset Initial.\n"
    "Theorem add_zero_twice : forall n : nat, n = n.\nProof. reflexivity. Qed.\n```\n"
)


def test_a_proof_that_resets_the_statement_and_proves_an_easier_one_is_not_verified(
    coq, fake_openai, model
):
    fake_openai.enqueue(RESET)
    inputs = {"statement": STATEMENT, "context": LIBRARY, "max_attempts": 1}
    result = prove.run(inputs, model=model).result

    assert result["verified"] is False and result["status"] == "error"
    feedback = result["history"][0]["feedback"]
    assert "add_zero_twice does not have the stated type" in feedback
    assert f"Failing sentence: {STATEMENT}" in feedback


def claim(text: str, sort: str = "Int", words: str = "") -> str:
    block = json.dumps({"claim": text, "variables": {"x": sort}})
    return f"{words}\n\n```json\n{block}\n```\n"


def test_a_false_claims_counterexample_reaches_the_model_which_corrects_it(fake_openai, model):
    fake_openai.enqueue(claim("x * x > x"), claim("x * x >= x", words="Equality is possible."))
    inputs = {
        "statement": "For every integer x, x squared is at least x.",
        "language": "smt",
        "max_attempts": 3,
    }
    run = prove.run(inputs, model=model)
    result = run.result

    assert result["verified"] is True and result["status"] == "proved"
    assert json.loads(result["answer"]) == {
        "claim": "x * x >= x",
        "assumptions": [],
        "variables": {"x": "Int"},
    }
    first = result["history"][0]
    assert first["status"] == "refuted"
    counterexample = events(run.run_id, "verdict")[0]["payload"]["counterexample"]
    assert counterexample["x"] in (0, 1)  # where x * x == x

    feedback = last_user_message(fake_openai.requests[1])
    assert "The claim is false" in feedback
    assert f'Counterexample: {{"x": {counterexample["x"]}}}' in feedback
    fake_openai.assert_complete()


def test_a_model_that_finds_the_statement_false_gives_up(fake_openai, model):
    fake_openai.enqueue(
        claim("x * x >= x", sort="Real"),
        "The statement is false for reals: x = 1/2 gives 1/4 < 1/2. I give up.",
    )
    inputs = {
        "statement": "For every real x, x squared is at least x.",
        "language": "smt",
        "max_attempts": 4,
    }
    result = prove.run(inputs, model=model).result

    assert result["verified"] is False and result["gave_up"] is True
    assert result["attempts"] == 2 and result["status"] == "refuted"
    assert result["reason"].startswith("The statement is false for reals")
    assert json.loads(result["answer"])["variables"] == {"x": "Real"}
    assert [h["status"] for h in result["history"]] == ["refuted", "gave_up"]
    assert '"x": "1/2"' in last_user_message(fake_openai.requests[1])
    fake_openai.assert_complete()  # no third request: giving up ends the search


def test_a_resumed_prove_neither_checks_nor_records_a_verdict_twice(fake_openai, model):
    # The endpoint fails on the second claim and the run stops there; on resume, the
    # first claim's check and its verdict come from the checkpoint, not from z3 again.
    fake_openai.enqueue(claim("x * x > x"), Fault.status(400, message="bad request"))
    inputs = {"statement": "For every integer x, x squared is at least x.", "language": "smt"}
    with pytest.raises(agentkit.AgentkitError) as failed:
        prove.run(inputs, model=model)
    run_id = failed.value.run_id
    assert [v["payload"]["status"] for v in events(run_id, "verdict")] == ["failed"]

    fake_openai.enqueue(claim("x * x >= x"))
    result = resume_workflow(run_id, model=model, workflow=prove).result

    assert result["verified"] is True and result["attempts"] == 2
    verdicts = events(run_id, "verdict")
    assert [v["payload"]["status"] for v in verdicts] == ["failed", "passed"]
    assert [e["name"] for e in events(run_id, "tool_call")] == ["check_proof"] * 2
    assert "The claim is false" in last_user_message(fake_openai.requests[-1])
    fake_openai.assert_complete()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"language": "lean"}, "language must be one of coq, smt"),
        ({"statement": "forall n : nat, n = n."}, "reads `Theorem NAME : PROPOSITION.`"),
        ({"statement": "Theorem bad : forall n : nat, n + = n."}, "does not check: Syntax error"),
        ({"context": "Lemma gap : 1 = 1.\nAdmitted."}, "context is not proved itself"),
        ({"index": "no-such-index"}, "cannot search the index: no index named 'no-such-index'"),
        ({"max_attempts": 0}, "at least 1"),
    ],
)
def test_bad_inputs_fail_with_one_clear_line_before_the_model_is_asked(
    coq, fake_openai, model, change, message
):
    inputs = {"statement": STATEMENT, **change}
    with pytest.raises(agentkit.AgentkitError, match=message) as failed:
        prove.run(inputs, model=model)
    assert "\n" not in str(failed.value)
    assert fake_openai.requests == []


def test_an_index_without_the_retriever_is_refused(fake_openai, monkeypatch):
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "prover")
    model = agentkit.OpenAIModel("fake-model", base_url=fake_openai.base_url)
    with pytest.raises(agentkit.AgentkitError, match="needs the `retrieve` tool"):
        prove.run({"statement": STATEMENT, "index": "arith"}, model=model)
