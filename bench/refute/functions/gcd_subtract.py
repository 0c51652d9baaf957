"""Greatest common divisor (non-negative, gcd(0, 0) = 0); the candidate's subtraction loop
never ends when exactly one argument is 0 (and crawls when one is much larger than the
other)."""

import math

BUG_CLASS = "non_termination"
EXPECTED_KIND = "timeout"
KNOWN_FAILING_INPUT = (0, 7)
COMPARE = "exact"


def reference(a: int, b: int) -> int:
    return math.gcd(a, b)


def candidate(a: int, b: int) -> int:
    a, b = abs(a), abs(b)
    while a != b:
        if a > b:
            a -= b
        else:
            b -= a
    return a
