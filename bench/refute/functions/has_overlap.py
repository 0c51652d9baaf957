"""Do any two closed intervals (unordered pairs of ends) share a point? The candidate only
compares neighbours in the given order, forgetting to sort by start first."""

import itertools

BUG_CLASS = "order_dependence"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([(0, 1), (5, 6), (1, 2)],)
COMPARE = "exact"


def reference(intervals: list[tuple[int, int]]) -> bool:
    spans = sorted((min(a, b), max(a, b)) for a, b in intervals)
    return any(nxt[0] <= cur[1] for cur, nxt in itertools.pairwise(spans))


def candidate(intervals: list[tuple[int, int]]) -> bool:
    spans = [(min(a, b), max(a, b)) for a, b in intervals]
    return any(max(a0, b0) <= min(a1, b1) for (a0, a1), (b0, b1) in itertools.pairwise(spans))
