"""Index of the first element >= target in a sorted list (len if none); the candidate moves
`lo = mid` instead of `lo = mid + 1` and spins forever once the window has two slots and the
left one is too small."""

import bisect
import itertools

BUG_CLASS = "non_termination"
EXPECTED_KIND = "timeout"
KNOWN_FAILING_INPUT = ([1, 3], 2)
COMPARE = "exact"


def precondition(xs: list[int], target: int) -> bool:
    return all(a <= b for a, b in itertools.pairwise(xs))


def reference(xs: list[int], target: int) -> int:
    return bisect.bisect_left(xs, target)


def candidate(xs: list[int], target: int) -> int:
    lo, hi = 0, len(xs)
    while lo < hi:
        mid = (lo + hi) // 2
        if xs[mid] < target:
            lo = mid
        else:
            hi = mid
    return lo
