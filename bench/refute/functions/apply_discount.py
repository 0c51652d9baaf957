"""Price in cents after a percent discount, rounded down (percent clamped to 0..100, negative
prices count as 0); the candidate computes with a float factor and truncates, so
10 * (1 - 0.9) = 0.9999999999999998 loses a cent."""

BUG_CLASS = "int_float"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = (10, 90)
COMPARE = "exact"


def reference(cents: int, percent: int) -> int:
    cents = max(cents, 0)
    percent = min(max(percent, 0), 100)
    return cents * (100 - percent) // 100


def candidate(cents: int, percent: int) -> int:
    cents = max(cents, 0)
    percent = min(max(percent, 0), 100)
    return int(cents * (1 - percent / 100))
