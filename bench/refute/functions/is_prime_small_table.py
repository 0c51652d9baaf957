"""Primality test; the candidate only trial-divides by the primes up to 31, so composites whose
factors are all above 31 (the first is 37 * 37 = 1369) pass as primes."""

BUG_CLASS = "larger_inputs"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = (1369,)
COMPARE = "exact"

SMALL_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31)


def reference(n: int) -> bool:
    # Miller-Rabin with the first 12 prime bases: exact below 3.3 * 10**24, fast for any n.
    if n < 2:
        return False
    bases = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
    for p in bases:
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def candidate(n: int) -> bool:
    if n < 2:
        return False
    for p in SMALL_PRIMES:
        if n == p:
            return True
        if n % p == 0:
            return False
    return True
