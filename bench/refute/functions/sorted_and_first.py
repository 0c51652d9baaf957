"""Return a sorted copy of the list and the list's original first element (None if empty); the
candidate sorts the argument in place, so the "first element" it reports is the minimum and
the caller's list is reordered."""

BUG_CLASS = "mutated_input"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([3, 1, 2],)
COMPARE = "exact"


def reference(xs: list[int]) -> tuple[list[int], int | None]:
    return sorted(xs), (xs[0] if xs else None)


def candidate(xs: list[int]) -> tuple[list[int], int | None]:
    xs.sort()
    return xs, (xs[0] if xs else None)
