"""n, then n integers (on any number of lines): print them in ascending order."""

import sys


def main() -> None:
    data = sys.stdin.read().split()
    n = int(data[0])
    for x in sorted(int(v) for v in data[1 : 1 + n]):
        print(x)


main()
