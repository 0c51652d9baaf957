"""Percent change from old to new, relative to |old| (None when old is 0); the candidate
forgets the zero guard and raises ZeroDivisionError."""

BUG_CLASS = "crash"
EXPECTED_KIND = "crash"
KNOWN_FAILING_INPUT = (0, 5)
COMPARE = "float"


def reference(old: int, new: int) -> float | None:
    if old == 0:
        return None
    return (new - old) / abs(old) * 100


def candidate(old: int, new: int) -> float | None:
    change = new - old
    return change / abs(old) * 100
