import heapq
import sys


def main() -> None:
    n, *rest = map(int, sys.stdin.read().split())
    heap = rest[:n]
    heapq.heapify(heap)
    print(" ".join(str(heapq.heappop(heap)) for _ in range(n)))


main()
