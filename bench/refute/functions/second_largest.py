"""Second largest distinct value (None if there are fewer than two distinct values); the
candidate takes the second-to-last element of the sorted list, which repeats the maximum when
it is duplicated."""

BUG_CLASS = "duplicates"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([5, 5, 1],)
COMPARE = "exact"


def reference(xs: list[int]) -> int | None:
    distinct = sorted(set(xs))
    return distinct[-2] if len(distinct) >= 2 else None


def candidate(xs: list[int]) -> int | None:
    if len(xs) < 2:
        return None
    s = sorted(xs)
    return s[-2]
