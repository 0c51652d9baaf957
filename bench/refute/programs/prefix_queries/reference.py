"""n, then n integers, then q, then q lines "l r" (1 <= l <= r <= n): print each range sum."""

import sys


def main() -> None:
    data = sys.stdin.read().split()
    n = int(data[0])
    a = [int(v) for v in data[1 : 1 + n]]
    q = int(data[1 + n])
    pos = 2 + n
    out = []
    for _ in range(q):
        left, right = int(data[pos]), int(data[pos + 1])
        pos += 2
        out.append(sum(a[left - 1 : right]))
    print("\n".join(map(str, out)))


main()
