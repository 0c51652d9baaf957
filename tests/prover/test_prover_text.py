"""The Coq text helpers: masking, positions and the gap scan (no coqc needed)."""

from __future__ import annotations

from agentkit_prover.coq.locate import Locator
from agentkit_prover.coq.output import Diagnostic, assumptions, checker_summary, diagnostics
from agentkit_prover.coq.scan import scan
from agentkit_prover.coq.text import Positions, mask, sentences


def test_mask_blanks_nested_comments_and_strings_but_keeps_lines():
    source = 'a (* x (* y *) z *) b "s ""q"" t" c\n(* "*)" still comment *) d'
    masked = mask(source)
    assert len(masked) == len(source) and masked.count("\n") == 1
    assert masked.split() == ["a", "b", "c", "d"]


def test_unclosed_comment_runs_to_the_end():
    assert mask("Qed. (* Admitted.").split() == ["Qed."]


def test_sentences_end_at_a_dot_followed_by_space_not_inside_names():
    masked = mask("Check Nat.add. (* a. b *) Proof. exact I.\nQed.")
    texts = [masked[a:b].strip() for a, b in sentences(masked)]
    assert texts == ["Check Nat.add.", "Proof.", "exact I.", "Qed."]


def test_byte_offsets_become_character_columns():
    source = "Theorem t : True.\nProof. (* ééé *) fail.\n"
    positions = Positions(source)
    fail_byte = len("Proof. (* ééé *) ".encode())
    index = positions.char_of_line_byte(2, fail_byte)
    assert source[index : index + 4] == "fail"
    assert positions.line_column(index) == (2, len("Proof. (* ééé *) ") + 1)


def test_scan_is_not_fooled_by_comments_or_strings():
    found = scan(
        "(* Admitted. Axiom a : False. admit. *)\n"
        'Definition s := "admit Axiom Admitted".\n'
        "Theorem t : True. Proof. exact I. Qed.\n"
    )
    assert found.gaps == [] and found.theorems == ["t"]


def test_scan_finds_admitted_admit_and_axioms_with_lines():
    found = scan(
        "Axiom cheat : False.\n"
        "Parameters (a b : nat) (c : bool).\n"
        "Theorem t : True /\\ True.\nProof. split. - admit. - give_up.\nAdmitted.\n"
    )
    summary = [(g.kind, g.name, g.line) for g in found.gaps]
    assert summary == [
        ("axiom", "cheat", 1),
        ("axiom", "a", 2),
        ("axiom", "b", 2),
        ("axiom", "c", 2),
        ("admit", "t", 4),
        ("admit", "t", 4),
        ("admitted", "t", 5),
    ]


def test_section_hypotheses_and_signature_parameters_are_not_axioms():
    found = scan(
        "Section S. Hypothesis H : False. Variable n : nat. End S.\n"
        "Module Type T. Parameter x : nat. Axiom y : False. End T.\n"
        "Hypothesis loose : False.\n"
    )
    assert [(g.kind, g.name) for g in found.gaps] == [("axiom", "loose")]


def test_scan_qualifies_theorems_by_module_and_drops_aborted_ones():
    found = scan(
        "Module M. Lemma inner : True. Proof. exact I. Qed. End M.\n"
        "Theorem gone : False. Proof. Abort.\n"
        "Goal True. exact I. Qed.\n"
        "Example e : 1 = 1 := eq_refl.\n"
    )
    assert found.theorems == ["M.inner", "Unnamed_thm", "e"]


def test_switched_off_checkers_are_unsafe():
    found = scan("Unset Guard Checking.\n#[bypass_check(positivity)] Inductive I := .\n")
    assert [g.kind for g in found.gaps] == ["unsafe", "unsafe"]


def test_diagnostics_keep_positions_and_split_unlocated_errors():
    stderr = (
        'File "./proof.v", line 3, characters 4-9:\nWarning: old syntax\n\n'
        'File "./proof.v", line 4, characters 12-23:\nError: In environment\nn : nat\n'
        "Unable to unify.\n\nError: There are pending proofs in file ./proof.v: t.\n"
    )
    found = diagnostics(stderr)
    assert [(d.kind, d.line, d.start, d.end) for d in found] == [
        ("Warning", 3, 4, 9),
        ("Error", 4, 12, 23),
        ("Error", None, None, None),
    ]
    assert found[1].message == "In environment\nn : nat\nUnable to unify."


def test_checker_summary_and_print_assumptions_are_read():
    summary = checker_summary(
        "* Theory: Set is predicative\n  \n* Axioms:\n    Coq.Logic.Classical_Prop.classic\n"
        "    proof.cheat\n  \n* Constants/Inductives relying on type-in-type: <none>\n"
    )
    assert summary["Axioms"] == ["Coq.Logic.Classical_Prop.classic", "proof.cheat"]
    assert summary["Constants/Inductives relying on type-in-type"] == []
    printed = (
        "Axioms:\nproof.cheat : forall P : Prop,\n              P\n"
        "proof.f is assumed to be guarded.\n"
    )
    assert assumptions(printed) == ["proof.cheat", "proof.f is assumed to be guarded."]
    assert assumptions("Closed under the global context\n") == []


def test_an_error_in_another_file_is_not_placed_in_this_one():
    source = "Require Import Broken.\nTheorem t : True. Proof. exact I. Qed.\n"
    failure = Locator(source, mask(source), []).error(
        Diagnostic("Error", "Syntax error.", line=2, start=0, end=5, file="/lib/Broken.v")
    )
    assert failure.error.line is None
    assert failure.error.message == "in /lib/Broken.v, line 2: Syntax error."


def test_scan_cuts_each_statement_as_written_before_anything_runs():
    found = scan(
        "Theorem b (n : nat) {A : Type} : (* a : colon *) n = n := eq_refl.\n"
        "Lemma l : let x := 1 in x = 1.\nProof. reflexivity. Qed.\n"
        "Goal True. Abort.\nGoal 1 = 1. reflexivity. Qed.\nGoal True. exact I. Qed.\n"
        "Lemma m : True with m' : True.\n"
    )
    assert [(c.name, c.statement) for c in found.claims] == [
        ("b", "forall (n : nat) {A : Type}, (* a : colon *) n = n"),
        ("l", "let x := 1 in x = 1"),
        ("Unnamed_thm", "1 = 1"),
        ("Unnamed_thm0", "True"),
        ("m", None),  # mutual theorems: not cut, so never proved
    ]


def test_scan_keeps_the_commands_that_decide_how_a_statement_reads():
    found = scan(
        "Require Import ZArith.\nModule Import M. Definition z := 0. End M.\n"
        "Module N. Open Scope Z_scope. End N.\nImport ListNotations.\n"
        "Module P. Theorem t : z = 0. reflexivity. Qed. End P.\n"
    )
    [claim] = found.claims
    assert claim.name == "P.t" and claim.modules == ["P"]
    assert [(r.command, r.own) for r in claim.reading] == [
        ("Require Import ZArith.", None),
        ("Import M.", "M"),  # the file's own module: its names only, in the checker
        ("Import ListNotations.", None),  # N's scope closed with N
    ]
