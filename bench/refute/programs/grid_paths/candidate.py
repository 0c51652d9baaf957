import sys

MOD = 1_000_000_007


def main() -> None:
    rows, cols = map(int, sys.stdin.readline().split())
    grid = [sys.stdin.readline().strip() for _ in range(rows)]

    def count(i: int, j: int) -> int:
        if i >= rows or j >= cols or grid[i][j] == "#":
            return 0
        if i == rows - 1 and j == cols - 1:
            return 1
        return count(i + 1, j) + count(i, j + 1)

    print(count(0, 0) % MOD)


main()
