import sys


def main() -> None:
    data = sys.stdin.read().split()
    n = int(data[0])
    a = [int(v) for v in data[1 : 1 + n]]
    prefix = [0] * (n + 1)
    for i in range(1, n):
        prefix[i] = prefix[i - 1] + a[i - 1]
    q = int(data[1 + n])
    pos = 2 + n
    out = []
    for _ in range(q):
        left, right = int(data[pos]), int(data[pos + 1])
        pos += 2
        out.append(prefix[right] - prefix[left - 1])
    print("\n".join(map(str, out)))


main()
