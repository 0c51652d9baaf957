"""Most frequent value, ties broken by the smallest value (None for an empty list); the
candidate's Counter.most_common breaks ties by first appearance instead."""

from collections import Counter

BUG_CLASS = "order_dependence"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([3, 1],)
COMPARE = "exact"


def reference(xs: list[int]) -> int | None:
    if not xs:
        return None
    counts = Counter(xs)
    top = max(counts.values())
    return min(x for x, c in counts.items() if c == top)


def candidate(xs: list[int]) -> int | None:
    if not xs:
        return None
    return Counter(xs).most_common(1)[0][0]
