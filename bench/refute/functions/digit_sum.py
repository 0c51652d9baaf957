"""Sum of the decimal digits of |n|; the candidate's `while n > 0` loop returns 0 for every
negative n."""

BUG_CLASS = "negative_numbers"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = (-12,)
COMPARE = "exact"


def reference(n: int) -> int:
    return sum(int(d) for d in str(abs(n)))


def candidate(n: int) -> int:
    total = 0
    while n > 0:
        total += n % 10
        n //= 10
    return total
