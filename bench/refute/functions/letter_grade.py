"""Letter grade for a score (90+ A, 80+ B, 70+ C, 60+ D, else F); the candidate uses a strict
comparison for the A boundary, so exactly 90 becomes a B."""

BUG_CLASS = "boundary"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = (90,)
COMPARE = "exact"


def reference(score: int) -> str:
    for cutoff, letter in ((90, "A"), (80, "B"), (70, "C"), (60, "D")):
        if score >= cutoff:
            return letter
    return "F"


def candidate(score: int) -> str:
    if score > 90:
        return "A"
    if score >= 80:
        return "B"
    if score >= 70:
        return "C"
    if score >= 60:
        return "D"
    return "F"
