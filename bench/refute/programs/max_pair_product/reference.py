"""n >= 2, then n integers: print the largest product xs[i] * xs[j] over i != j."""

import sys


def main() -> None:
    data = sys.stdin.read().split()
    n = int(data[0])
    xs = sorted(int(v) for v in data[1 : 1 + n])
    print(max(xs[0] * xs[1], xs[-1] * xs[-2]))


main()
