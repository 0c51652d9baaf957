Theorem add_one : forall n : nat, 0 + n = n + 1.
Proof.
  intros n. simpl. reflexivity.
Qed.
