"""Largest sum of a non-empty contiguous slice (0 for an empty list); the candidate's Kadane
starts from best = 0, so an all-negative list gives 0 instead of its largest element."""

BUG_CLASS = "negative_numbers"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([-3, -1, -2],)
COMPARE = "exact"


def reference(xs: list[int]) -> int:
    if not xs:
        return 0
    best = current = xs[0]
    for x in xs[1:]:
        current = max(x, current + x)
        best = max(best, current)
    return best


def candidate(xs: list[int]) -> int:
    best = current = 0
    for x in xs:
        current = max(0, current + x)
        best = max(best, current)
    return best
