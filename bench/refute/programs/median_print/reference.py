"""n >= 1, then n integers: print their median with exactly one decimal (the mean of the two
middle values when n is even)."""

import sys


def main() -> None:
    data = sys.stdin.read().split()
    n = int(data[0])
    s = sorted(int(v) for v in data[1 : 1 + n])
    twice = s[n // 2] + s[(n - 1) // 2]  # twice the median, an integer
    sign = "-" if twice < 0 else ""
    whole, half = divmod(abs(twice), 2)
    print(f"{sign}{whole}.{5 if half else 0}")


main()
