"""Proof sources shared by the prover tests."""

PLUS_O_N = """\
Theorem plus_O_n : forall n : nat, 0 + n = n.
Proof. intros n. reflexivity. Qed.
"""

WRONG = """\
(* n + 0 does not reduce: reflexivity cannot close it *)
Theorem plus_n_O : forall n : nat, n + 0 = n.
Proof.
  intros n. reflexivity.
Qed.
"""

# Verification conditions: each asserts the negation of its claim.
VC_PROVED = """\
; claim: for all integers x, if x > 2 then x * x > 4
(declare-const x Int)
(assert (not (=> (> x 2) (> (* x x) 4))))
(check-sat)
"""

VC_REFUTED = """\
; claim: for all integers x and y, if x > 0 then x * y > 0 (false: y may be 0 or negative)
(declare-const x Int)
(declare-const y Int)
(assert (not (=> (> x 0) (> (* x y) 0))))
(check-sat)
"""
