"""Merge closed intervals (each given as an unordered pair of ends); the candidate only merges
strictly overlapping intervals, so touching ones like (1, 3) and (3, 5) stay apart."""

BUG_CLASS = "boundary"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([(1, 3), (3, 5)],)
COMPARE = "exact"


def reference(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted((min(a, b), max(a, b)) for a, b in intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def candidate(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = sorted((min(a, b), max(a, b)) for a, b in intervals)
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo < merged[-1][1]:
            last_lo, last_hi = merged.pop()
            merged.append((last_lo, max(last_hi, hi)))
        else:
            merged.append((lo, hi))
    return merged
