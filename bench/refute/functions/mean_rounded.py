"""Mean of integers rounded to the nearest integer with halves rounded up (0 for an empty
list); the candidate uses round() on a float, which rounds halves to even."""

BUG_CLASS = "int_float"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([2, 3],)
COMPARE = "exact"


def reference(xs: list[int]) -> int:
    if not xs:
        return 0
    # floor(sum / n + 1/2) in exact integer arithmetic
    return (2 * sum(xs) + len(xs)) // (2 * len(xs))


def candidate(xs: list[int]) -> int:
    if not xs:
        return 0
    return round(sum(xs) / len(xs))
