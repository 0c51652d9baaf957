"""Largest sum of a non-empty contiguous slice (0 for an empty list); the reference tries every
slice with prefix sums, the candidate is Kadane's algorithm started from the first element, so
all-negative lists are handled."""

BUG_CLASS = "correct"
EXPECTED_KIND = None
KNOWN_FAILING_INPUT = None
COMPARE = "exact"
SAMPLE_INPUTS = [
    ([],),
    ([-3],),
    ([-3, -1, -2],),
    ([2, -1, 2],),
    ([0, -1, 3, -5, 4],),
    ([5, -9, 6],),
]


def reference(xs: list[int]) -> int:
    if not xs:
        return 0
    prefix = [0]
    for x in xs:
        prefix.append(prefix[-1] + x)
    return max(prefix[j] - prefix[i] for i in range(len(xs)) for j in range(i + 1, len(xs) + 1))


def candidate(xs: list[int]) -> int:
    if not xs:
        return 0
    best = current = xs[0]
    for x in xs[1:]:
        current = x if current < 0 else current + x
        best = max(best, current)
    return best
