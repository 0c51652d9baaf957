"""Sum of the natural numbers below n that are multiples of 3 or 5 (0 for n <= 1); the
candidate recurses once per number and raises RecursionError for n around 1000 and above."""

BUG_CLASS = "larger_inputs"
EXPECTED_KIND = "crash"
KNOWN_FAILING_INPUT = (5000,)
COMPARE = "exact"


def _sum_of_multiples(k: int, n: int) -> int:
    m = (n - 1) // k  # multiples of k below n: k, 2k, ..., mk
    return k * m * (m + 1) // 2


def reference(n: int) -> int:
    if n <= 1:
        return 0
    return _sum_of_multiples(3, n) + _sum_of_multiples(5, n) - _sum_of_multiples(15, n)


def candidate(n: int) -> int:
    if n <= 1:
        return 0
    last = n - 1
    return candidate(last) + (last if last % 3 == 0 or last % 5 == 0 else 0)
