"""All distinct value pairs (a, b) with a <= b taken from two different positions that add up to
target; the candidate uses a Counter instead of the double loop and returns the pairs in
another order (COMPARE = "unordered")."""

from collections import Counter

BUG_CLASS = "correct"
EXPECTED_KIND = None
KNOWN_FAILING_INPUT = None
COMPARE = "unordered"
SAMPLE_INPUTS = [
    ([], 0),
    ([3], 6),
    ([3, 3], 6),
    ([1, 5, 2, 4, 3, 3], 6),
    ([5, 1, 4, 2, 1, 5], 6),
    ([-2, 8, 0, 6, 6], 6),
]


def reference(xs: list[int], target: int) -> list[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            if xs[i] + xs[j] == target:
                found.add((min(xs[i], xs[j]), max(xs[i], xs[j])))
    return sorted(found)


def candidate(xs: list[int], target: int) -> list[tuple[int, int]]:
    counts = Counter(xs)
    pairs: list[tuple[int, int]] = []
    for x in counts:
        y = target - x
        if (x < y and y in counts) or (x == y and counts[x] >= 2):
            pairs.append((x, y))
    return pairs
