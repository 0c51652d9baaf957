"""``proved`` means each stated theorem, as stated, is a closed constant of the compiled proof.

Each attack below compiles, and the text looks like a proof of its theorem; the verdict
comes from the compiled library, read in a clean file that has only the file's imports.
"""

from __future__ import annotations

import pytest

CHEAT_SIGNATURE = "Module Type T.\n  Parameter cheat : False.\nEnd T.\n"

NOT_THE_STATED_THEOREM = {
    "inside a module type": (
        "Module Type T.\n  Parameter cheat : False.\n"
        "  Theorem main : 1 = 2.\n  Proof. destruct cheat. Qed.\nEnd T.\n"
    ),
    "inside a functor": (
        CHEAT_SIGNATURE + "Module F (X : T).\n"
        "  Theorem main : 1 = 2.\n  Proof. destruct X.cheat. Qed.\nEnd F.\n"
    ),
    "Reset Initial": "Theorem main : 1 = 2.\nReset Initial.\nTheorem t : True. exact I. Qed.\n",
    "Reset of the theorem": "Theorem main : 1 = 2.\nReset main.\nTheorem t : True. exact I. Qed.\n",
    "Reset, then the same name": (
        "Theorem main : 1 = 2.\nReset Initial.\nTheorem main : True. exact I. Qed.\n"
    ),
    "a section hypothesis": (
        "Section S.\n  Hypothesis h : False.\n"
        "  Theorem main : 1 = 2.\n  Proof. destruct h. Qed.\nEnd S.\n"
    ),
    "a notation for False": "Notation \"'False'\" := True.\nTheorem main : False. exact I. Qed.\n",
    "an abbreviation named False": "Notation False := True.\nTheorem main : False. exact I. Qed.\n",
    "a definition named False": "Definition False := True.\nTheorem main : False. exact I. Qed.\n",
    "a notation in an opened scope": (
        "Declare Scope cheat_scope.\nNotation \"'False'\" := True : cheat_scope.\n"
        "Open Scope cheat_scope.\nTheorem main : False. exact I. Qed.\n"
    ),
}


@pytest.mark.parametrize("attack", NOT_THE_STATED_THEOREM)
def test_a_theorem_that_is_not_the_stated_one_is_never_proved(coq, attack):
    result = coq(NOT_THE_STATED_THEOREM[attack])
    assert result.status in ("error", "unknown"), result
    assert "main" in result.summary(), result.summary()


def test_a_theorem_missing_from_the_compiled_library_is_an_error(coq):
    result = coq("Theorem main : 1 = 2.\nReset Initial.\nTheorem t : True. exact I. Qed.\n")
    assert result.status == "error"
    [error] = result.errors
    assert error.line == 1 and error.sentence == "Theorem main : 1 = 2."
    assert "main is not in the compiled library" in error.message


def test_a_section_hypothesis_changes_the_type_so_it_is_an_error(coq):
    result = coq(NOT_THE_STATED_THEOREM["a section hypothesis"])
    assert result.status == "error"
    assert "main does not have the stated type" in result.errors[0].message
    assert result.errors[0].line == 3


def test_a_coercion_of_the_file_does_not_read_the_statement(coq):
    source = (
        "Definition holds (b : bool) : Prop := True.\nCoercion holds : bool >-> Sortclass.\n"
        "Theorem main : false. exact I. Qed.\n"
    )
    result = coq(source)
    assert result.status == "unknown"
    assert "cannot read the statement of main" in result.messages[0]


ELABORATED_AS_WRITTEN = {
    "the file's own definition": (
        "Definition double (n : nat) := n + n.\n"
        "Theorem main : double 2 = 4. Proof. reflexivity. Qed.\n"
    ),
    "binders before the colon": (
        "Theorem main (n : nat) {A : Type} (x : A) : n + 0 = n /\\ x = x.\n"
        "Proof. split; [induction n; simpl; auto | reflexivity]. Qed.\n"
    ),
    "a definition inside a module": (
        "Module M.\n  Definition z := 0.\n"
        "  Theorem main : z = 0. Proof. reflexivity. Qed.\nEnd M.\n"
    ),
    "a section without hypotheses": (
        "Section S.\n  Theorem main : 1 + 1 = 2. Proof. reflexivity. Qed.\nEnd S.\n"
    ),
    "a library scope opened by the file": (
        "Require Import ZArith.\nOpen Scope Z_scope.\n"
        "Theorem main : 1 - 2 = -1. Proof. reflexivity. Qed.\n"
    ),
    "a library's notations imported by the file": (
        "Require Import List.\nImport ListNotations.\n"
        "Theorem main : [1] ++ [2] = [1; 2]. Proof. reflexivity. Qed.\n"
    ),
    "a proof term after :=": "Example main : 1 + 1 = 2 := eq_refl.\n",
    "two goals": "Goal True. exact I. Qed.\nGoal 1 = 1. reflexivity. Qed.\n",
}


@pytest.mark.parametrize("case", ELABORATED_AS_WRITTEN)
def test_a_statement_read_in_a_clean_file_still_matches(coq, case):
    result = coq(ELABORATED_AS_WRITTEN[case])
    assert result.status == "proved", result


def test_a_control_command_in_front_does_not_hide_a_statement(coq):
    source = (
        "Theorem t : True. exact I. Qed.\n"
        "Succeed Example main : 1 = 1 := eq_refl.\n"
        "Time Theorem timed : 2 = 2. reflexivity. Qed.\n"
    )
    result = coq(source)
    assert result.theorems == ["t", "main", "timed"]
    assert result.status == "error"  # Succeed undoes main: it is not in the compiled library
    assert "main is not in the compiled library" in result.errors[0].message
