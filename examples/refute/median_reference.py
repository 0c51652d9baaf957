"""The correct median, the oracle that `agentkit refute` compares against."""


def median(xs: list[int]) -> float:
    ordered = sorted(xs)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def precondition(xs: list[int]) -> bool:
    """Only non-empty lists have a median: other inputs are not counterexamples."""
    return len(xs) > 0
