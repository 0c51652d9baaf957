"""Running maxima of a list together with the sum of the original values; the candidate writes
the running maxima into the argument and then sums the overwritten list."""

BUG_CLASS = "mutated_input"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([3, 1],)
COMPARE = "exact"


def reference(xs: list[int]) -> tuple[list[int], int]:
    maxima: list[int] = []
    for x in xs:
        maxima.append(x if not maxima else max(maxima[-1], x))
    return maxima, sum(xs)


def candidate(xs: list[int]) -> tuple[list[int], int]:
    for i in range(1, len(xs)):
        xs[i] = max(xs[i], xs[i - 1])
    return xs, sum(xs)
