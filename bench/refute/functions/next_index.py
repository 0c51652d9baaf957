"""Next position in a circular buffer of n slots after slot i (i taken modulo n; n <= 0 gives
0); the candidate writes `i + 1 % n`, which never wraps from the last slot back to 0."""

BUG_CLASS = "precedence"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = (2, 3)
COMPARE = "exact"


def reference(i: int, n: int) -> int:
    if n <= 0:
        return 0
    return (i % n + 1) % n


def candidate(i: int, n: int) -> int:
    if n <= 0:
        return 0
    i %= n
    return i + 1 % n
