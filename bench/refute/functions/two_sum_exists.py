"""Are there two different positions i < j with xs[i] + xs[j] == target? The candidate looks the
complement up in a set of all values, so a single x with 2 * x == target pairs with itself."""

BUG_CLASS = "duplicates"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([3, 1], 6)
COMPARE = "exact"


def reference(xs: list[int], target: int) -> bool:
    seen: set[int] = set()
    for x in xs:
        if target - x in seen:
            return True
        seen.add(x)
    return False


def candidate(xs: list[int], target: int) -> bool:
    values = set(xs)
    return any(target - x in values for x in xs)
