import sys


def main() -> None:
    data = sys.stdin.read().split()
    n = int(data[0])
    first = second = None
    for v in data[1 : 1 + n]:
        x = int(v)
        if first is None or x > first:
            first, second = x, first
        elif second is None or x > second:
            second = x
    print(first * second)


main()
