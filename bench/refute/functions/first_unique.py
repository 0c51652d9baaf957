"""First value, in list order, that occurs exactly once (None if there is none); the candidate
scans set(xs) instead of the list, so it returns whichever unique value the set yields first."""

from collections import Counter

BUG_CLASS = "order_dependence"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([5, 1, 2, 2],)
COMPARE = "exact"


def reference(xs: list[int]) -> int | None:
    counts = Counter(xs)
    for x in xs:
        if counts[x] == 1:
            return x
    return None


def candidate(xs: list[int]) -> int | None:
    counts = Counter(xs)
    for x in set(xs):
        if counts[x] == 1:
            return x
    return None
