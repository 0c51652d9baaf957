"""Euclidean length of an integer vector; the candidate scales by the largest magnitude before
squaring (a different computation that agrees only within a float tolerance, hence
COMPARE = "float")."""

import math

BUG_CLASS = "correct"
EXPECTED_KIND = None
KNOWN_FAILING_INPUT = None
COMPARE = "float"
SAMPLE_INPUTS = [
    ([],),
    ([0, 0],),
    ([3, 4],),
    ([-5, 12],),
    ([1, 1, 1],),
    ([1_000_000_000_000_000_000, -1_000_000_000_000_000_000, 7],),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],),
]


def reference(xs: list[int]) -> float:
    return math.hypot(*xs)


def candidate(xs: list[int]) -> float:
    big = max((abs(x) for x in xs), default=0)
    if big == 0:
        return 0.0
    return big * math.sqrt(sum((x / big) ** 2 for x in xs))
