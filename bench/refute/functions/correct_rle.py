"""Run-length encoding of a string as (character, run length) pairs; the candidate uses
itertools.groupby instead of the explicit loop."""

from itertools import groupby

BUG_CLASS = "correct"
EXPECTED_KIND = None
KNOWN_FAILING_INPUT = None
COMPARE = "exact"
SAMPLE_INPUTS = [("",), ("a",), ("aab",), ("abba",), ("aaaaaaaaaaab",), ("xyz  z",)]


def reference(s: str) -> list[tuple[str, int]]:
    runs: list[tuple[str, int]] = []
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        runs.append((s[i], j - i))
        i = j
    return runs


def candidate(s: str) -> list[tuple[str, int]]:
    return [(ch, len(list(run))) for ch, run in groupby(s)]
