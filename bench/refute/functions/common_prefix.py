"""Longest common prefix of a list of words ("" for no words); the candidate's min/max trick
raises ValueError on an empty list."""

BUG_CLASS = "empty_input"
EXPECTED_KIND = "crash"
KNOWN_FAILING_INPUT = ([],)
COMPARE = "exact"


def reference(words: list[str]) -> str:
    if not words:
        return ""
    prefix = words[0]
    for word in words[1:]:
        while not word.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


def candidate(words: list[str]) -> str:
    lo, hi = min(words), max(words)
    i = 0
    while i < len(lo) and i < len(hi) and lo[i] == hi[i]:
        i += 1
    return lo[:i]
