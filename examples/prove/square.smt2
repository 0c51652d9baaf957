; The claim: every integer x has x*x >= x. Like a verification condition, the file
; asserts the claim's negation: unsat means proved, sat gives a counterexample.
(declare-const x Int)
(assert (not (>= (* x x) x)))
(check-sat)
