"""A median with a classic bug: right for odd lengths, wrong for even ones."""


def median(xs: list[int]) -> float:
    ordered = sorted(xs)
    return ordered[len(ordered) // 2]
