"""Median of a list of integers as a float (0.0 for an empty list); the candidate averages the
two middle indices n // 2 and (n - 1) // 2 without branching on parity, which is the same
thing (for odd n both are the middle element, and (x + x) / 2 == float(x) exactly)."""

BUG_CLASS = "correct"
EXPECTED_KIND = None
KNOWN_FAILING_INPUT = None
COMPARE = "exact"
SAMPLE_INPUTS = [
    ([],),
    ([7],),
    ([2, 1],),
    ([-1, 0],),
    ([5, -3, 9, 1],),
    ([3, 3, 3],),
    ([1_000_000_000_000_000_000, 1_000_000_000_000_000_001],),
    ([9_223_372_036_854_775_809],),
]


def reference(xs: list[int]) -> float:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return 0.0
    if n % 2 == 1:
        return float(s[n // 2])
    return (s[n // 2 - 1] + s[n // 2]) / 2


def candidate(xs: list[int]) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    n = len(s)
    return (s[n // 2] + s[(n - 1) // 2]) / 2
