"""Number of non-overlapping occurrences of pattern in text, with str.count's convention that
the empty pattern occurs len(text) + 1 times; the candidate's find loop advances by
len(pattern), so an empty pattern never moves it forward."""

BUG_CLASS = "non_termination"
EXPECTED_KIND = "timeout"
KNOWN_FAILING_INPUT = ("abc", "")
COMPARE = "exact"


def reference(text: str, pattern: str) -> int:
    return text.count(pattern)


def candidate(text: str, pattern: str) -> int:
    count = 0
    i = text.find(pattern)
    while i != -1:
        count += 1
        i = text.find(pattern, i + len(pattern))
    return count
