"""Polynomial rolling hash of a string modulo 10**9 + 7; the candidate writes
`h * 31 + ord(c) % MOD`, which only reduces the character, so the hash drifts above MOD once
the string is long enough (about 6 ASCII characters)."""

BUG_CLASS = "precedence"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ("abcdefgh",)
COMPARE = "exact"

MOD = 1_000_000_007


def reference(s: str) -> int:
    h = 0
    for c in s:
        h = (h * 31 + ord(c)) % MOD
    return h


def candidate(s: str) -> int:
    h = 0
    for c in s:
        h = h * 31 + ord(c) % MOD
    return h
