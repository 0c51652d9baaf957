"""Leftmost index at which target can be inserted into sorted(xs); the candidate's search starts
with hi = len - 1, so a target above every element gets len - 1 instead of len."""

import bisect

BUG_CLASS = "off_by_one"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([1, 3], 5)
COMPARE = "exact"


def reference(xs: list[int], target: int) -> int:
    return bisect.bisect_left(sorted(xs), target)


def candidate(xs: list[int], target: int) -> int:
    s = sorted(xs)
    lo, hi = 0, len(s) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if s[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo
