"""Index of the histogram bucket of the given width that holds x (bucket i covers
[i * width, (i + 1) * width); width <= 0 gives 0); the candidate truncates x / width toward
zero, which is wrong for negative x that are not multiples of width."""

BUG_CLASS = "negative_numbers"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = (-3, 10)
COMPARE = "exact"


def reference(x: int, width: int) -> int:
    if width <= 0:
        return 0
    return x // width


def candidate(x: int, width: int) -> int:
    if width <= 0:
        return 0
    return int(x / width)
