import sys


def main() -> None:
    n = int(sys.stdin.readline())
    xs = sorted(map(int, sys.stdin.readline().split()))
    median = xs[n // 2] if n % 2 == 1 else (xs[n // 2 - 1] + xs[n // 2]) // 2
    print(f"{median:.1f}")


main()
