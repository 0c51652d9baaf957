"""Median of a list of integers as a float (0.0 for an empty list); the candidate averages the
two middle values with integer division, so 1 and 2 give 1.0 instead of 1.5."""

BUG_CLASS = "int_float"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([2, 1],)
COMPARE = "exact"


def reference(xs: list[int]) -> float:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return 0.0
    if n % 2 == 1:
        return float(s[n // 2])
    return (s[n // 2 - 1] + s[n // 2]) / 2


def candidate(xs: list[int]) -> float:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return 0.0
    mid = n // 2
    if n % 2:
        return float(s[mid])
    return float((s[mid - 1] + s[mid]) // 2)
