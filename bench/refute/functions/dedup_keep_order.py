"""Remove duplicates keeping the first occurrence of each value, in order; the candidate only
drops a value equal to the one just before it (fine for sorted input, not in general)."""

BUG_CLASS = "duplicates"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([1, 2, 1],)
COMPARE = "exact"


def reference(xs: list[int]) -> list[int]:
    seen: set[int] = set()
    out: list[int] = []
    for x in xs:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def candidate(xs: list[int]) -> list[int]:
    out: list[int] = []
    for x in xs:
        if not out or out[-1] != x:
            out.append(x)
    return out
