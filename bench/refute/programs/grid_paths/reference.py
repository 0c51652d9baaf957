"""First line "r c", then r lines of c characters, "." free and "#" wall. Print the number of
paths from the top-left to the bottom-right cell moving only right or down through free cells,
modulo 10**9 + 7 (0 if either corner is a wall)."""

import sys

MOD = 1_000_000_007


def main() -> None:
    lines = sys.stdin.read().split()
    rows, cols = int(lines[0]), int(lines[1])
    grid = lines[2 : 2 + rows]
    ways = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        for j in range(cols):
            if grid[i][j] == "#":
                continue
            if i == 0 and j == 0:
                ways[i][j] = 1
                continue
            up = ways[i - 1][j] if i > 0 else 0
            left = ways[i][j - 1] if j > 0 else 0
            ways[i][j] = (up + left) % MOD
    print(ways[rows - 1][cols - 1])


main()
