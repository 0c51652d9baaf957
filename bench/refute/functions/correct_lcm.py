"""Least common multiple (non-negative, 0 if either argument is 0); the candidate divides before
multiplying and runs its own Euclid loop instead of math.gcd."""

import math

BUG_CLASS = "correct"
EXPECTED_KIND = None
KNOWN_FAILING_INPUT = None
COMPARE = "exact"
SAMPLE_INPUTS = [
    (0, 0),
    (0, 5),
    (4, 6),
    (-4, 6),
    (-3, -7),
    (12, 12),
    (1_000_000_000_000_000_000, 9_223_372_036_854_775_808),
]


def reference(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return abs(a * b) // math.gcd(a, b)


def candidate(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    a, b = abs(a), abs(b)
    x, y = a, b
    while y:
        x, y = y, x % y
    return a // x * b
