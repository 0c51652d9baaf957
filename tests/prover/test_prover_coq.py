"""The Coq backend against the real coqc and coqchk, in the sandbox."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from prover_samples import PLUS_O_N, WRONG


def test_a_correct_proof_is_proved_with_no_assumptions(coq):
    result = coq(
        PLUS_O_N + "Lemma l : True. Proof. exact I. Qed.\nExample e : 1 + 1 = 2 := eq_refl.\n"
    )
    assert result.status == "proved", result
    assert result.theorems == ["plus_O_n", "l", "e"]
    assert result.assumptions == {"plus_O_n": [], "l": [], "e": []}
    assert result.errors == [] and result.incomplete == []


def test_a_wrong_tactic_gives_line_column_sentence_and_goal(coq):
    result = coq(WRONG)
    assert result.status == "error"
    [error] = result.errors
    assert (error.line, error.column, error.end_line, error.end_column) == (4, 13, 4, 24)
    assert error.sentence == "reflexivity."
    assert 'Unable to unify "n" with "n + 0"' in error.message
    assert "n : nat" in error.goal and "n + 0 = n" in error.goal.splitlines()[-1]


def test_columns_count_characters_not_bytes(coq):
    result = coq("Theorem t : True.\nProof. (* ééé *) exact I. fail. Qed.\n")
    [error] = result.errors
    assert (error.line, error.column) == (2, len("Proof. (* ééé *) exact I. ") + 1)
    assert error.sentence == "fail."
    assert error.goal == "No more goals."


def test_a_syntax_error_is_an_error_with_its_whole_sentence(coq):
    result = coq("Theorem t : forall n : nat, n = n.\nProof. intros n; reflexivity\nQed.\n")
    assert result.status == "error"
    [error] = result.errors
    assert error.line == 2 and error.column == 8
    assert error.sentence == "intros n; reflexivity\nQed."
    assert "forall n : nat, n = n" in error.goal


def test_a_parse_error_still_names_the_sentence(coq):
    result = coq("Theorem t : True.\nProof. exact (I. Qed.\n")
    [error] = result.errors
    assert result.status == "error" and error.line == 2
    assert "Syntax error" in error.message
    assert error.sentence is not None and error.sentence.startswith("exact (I.")


def test_admitted_is_incomplete_never_proved(coq):
    result = coq(PLUS_O_N + "Theorem hard : forall n : nat, n + 0 = n.\nProof. Admitted.\n")
    assert result.status == "incomplete"
    assert [(g.kind, g.name, g.line) for g in result.incomplete] == [("admitted", "hard", 4)]
    assert result.assumptions["hard"] == ["hard"]


def test_admit_then_admitted_is_incomplete(coq):
    source = "Theorem t : True /\\ 1 = 2.\nProof. split. exact I. admit. Admitted.\n"
    result = coq(source)
    assert result.status == "incomplete"
    assert {(g.kind, g.name) for g in result.incomplete} == {("admit", "t"), ("admitted", "t")}


def test_admit_then_qed_is_incomplete_with_coqs_complaint(coq):
    result = coq("Theorem g : True /\\ True.\nProof. split. admit. exact I. Qed.\n")
    assert result.status == "incomplete"
    assert [g.kind for g in result.incomplete] == ["admit"]
    [error] = result.errors
    assert "given up goals" in error.message and error.sentence == "Qed."


def test_an_axiom_used_by_a_theorem_is_incomplete_and_named(coq):
    source = "Axiom cheat : forall P : Prop, P.\nTheorem t : 1 = 2.\nProof. apply cheat. Qed.\n"
    result = coq(source)
    assert result.status == "incomplete"
    assert [(g.kind, g.name, g.line) for g in result.incomplete] == [("axiom", "cheat", 1)]
    assert result.assumptions == {"t": ["cheat"]}


def test_an_axiom_the_text_scan_cannot_see_is_caught_by_the_checkers(coq):
    # A top-level Context is an axiom in disguise; only coqchk / Print Assumptions see it.
    source = "Context (cheat : False).\nTheorem t : 1 = 2.\nProof. destruct cheat. Qed.\n"
    result = coq(source)
    assert result.status == "incomplete"
    assert [(g.kind, g.name, g.line) for g in result.incomplete] == [("axiom", "cheat", None)]
    assert result.assumptions == {"t": ["cheat"]}


def test_a_module_type_parameter_smuggled_through_declare_module_is_caught(coq):
    source = (
        "(* Admitted. *)\nModule Type T. Parameter x : False. End T.\n"
        "Declare Module D : T.\nTheorem t : 1 = 2. Proof. destruct D.x. Qed.\n"
    )
    result = coq(source)
    assert result.status == "incomplete"
    assert ("axiom", "D.x") in [(g.kind, g.name) for g in result.incomplete]
    assert result.assumptions["t"] == ["D.x"]


def test_an_unchecked_fixpoint_is_incomplete(coq):
    source = (
        "Unset Guard Checking.\nFixpoint f (n : nat) : False := f n.\nSet Guard Checking.\n"
        "Theorem bad : False. Proof. exact (f 0). Qed.\n"
    )
    result = coq(source)
    assert result.status == "incomplete"
    assert any(g.kind == "unsafe" and g.name == "bad" for g in result.incomplete)


def test_a_standard_library_axiom_is_listed_and_is_not_a_proof(coq):
    source = (
        "Require Import Classical.\n"
        "Theorem em : forall P : Prop, P \\/ ~P.\nProof. exact classic. Qed.\n"
    )
    result = coq(source)
    assert result.status == "incomplete"
    assert result.assumptions == {"em": ["Classical_Prop.classic"]}
    assert [(g.kind, g.name) for g in result.incomplete] == [("axiom", "Classical_Prop.classic")]
    assert "em rests on the axiom Classical_Prop.classic" in result.summary()


def test_a_looping_tactic_times_out_quickly_and_names_the_sentence(coq):
    source = "Ltac loop := idtac; loop.\nTheorem t : True.\nProof.\n  loop.\nQed.\n"
    started = time.monotonic()
    result = coq(source, timeout=2.0)
    assert time.monotonic() - started < 2.0 + 4.0  # the limit, plus the goal's grace, plus slack
    assert result.status == "unknown" and result.timed_out
    [error] = result.errors
    assert (error.line, error.column, error.sentence) == (4, 3, "loop.")
    assert error.goal is not None and error.goal.endswith("True")


def test_pending_proof_at_the_end_shows_the_goals_left(coq):
    result = coq("Theorem p : True /\\ False.\nProof. split.\n")
    assert result.status == "error"
    [error] = result.errors
    assert "pending proofs" in error.message and error.line is None
    assert "2 goals" in error.goal and "False" in error.goal


def test_a_file_with_no_theorem_is_not_proved(coq):
    result = coq("Definition x := 2.\nTheorem gone : False. Proof. Abort.\n")
    assert result.status == "unknown"
    assert result.theorems == []
    assert "states no Theorem" in result.messages[0]


def test_compiled_files_stay_in_the_sandbox_and_are_removed(coq, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sandboxes = Path(tempfile.gettempdir()) / "agentkit-sandboxes"
    before = {p.name for p in sandboxes.glob("coq-*")}
    assert coq(PLUS_O_N).status == "proved"
    assert list(tmp_path.iterdir()) == []
    assert {p.name for p in sandboxes.glob("coq-*")} == before  # .vo, .glob: gone with it
