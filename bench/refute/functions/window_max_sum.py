"""Largest sum of k consecutive elements; the candidate's sliding loop stops one window early."""

BUG_CLASS = "off_by_one"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([1, 2, 3], 2)
COMPARE = "exact"


def reference(xs: list[int], k: int) -> int:
    if k <= 0 or k > len(xs):
        return 0
    return max(sum(xs[i : i + k]) for i in range(len(xs) - k + 1))


def candidate(xs: list[int], k: int) -> int:
    if k <= 0 or k > len(xs):
        return 0
    window = sum(xs[:k])
    best = window
    for i in range(k, len(xs) - 1):
        window += xs[i] - xs[i - k]
        best = max(best, window)
    return best
