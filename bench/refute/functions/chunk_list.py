"""Split a list into consecutive chunks of the given size (the last may be shorter; size <= 0
means 1); the candidate returns [[]] instead of [] for an empty list."""

BUG_CLASS = "empty_input"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([], 3)
COMPARE = "exact"


def reference(xs: list[int], size: int) -> list[list[int]]:
    size = max(size, 1)
    return [xs[i : i + size] for i in range(0, len(xs), size)]


def candidate(xs: list[int], size: int) -> list[list[int]]:
    if size <= 0:
        size = 1
    chunks: list[list[int]] = [[]]
    for x in xs:
        if len(chunks[-1]) == size:
            chunks.append([])
        chunks[-1].append(x)
    return chunks
