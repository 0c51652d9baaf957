"""Index of the first element >= target in a sorted list (len if none); the candidate is a
hand-written half-open binary search, which matches bisect_left exactly."""

import bisect
import itertools

BUG_CLASS = "correct"
EXPECTED_KIND = None
KNOWN_FAILING_INPUT = None
COMPARE = "exact"
SAMPLE_INPUTS = [([], 3), ([1], 0), ([1], 1), ([1], 2), ([1, 3], 2), ([1, 1, 1, 5], 1), ([1, 3], 9)]


def precondition(xs: list[int], target: int) -> bool:
    return all(a <= b for a, b in itertools.pairwise(xs))


def reference(xs: list[int], target: int) -> int:
    return bisect.bisect_left(xs, target)


def candidate(xs: list[int], target: int) -> int:
    lo, hi = 0, len(xs)
    while lo < hi:
        mid = lo + (hi - lo) // 2
        if xs[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo
