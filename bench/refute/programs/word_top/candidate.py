import sys
from collections import Counter


def main() -> None:
    k = int(sys.stdin.readline())
    counts: Counter[str] = Counter()
    for line in sys.stdin:
        counts.update(line.split())
    for word, count in counts.most_common(k):
        print(word, count)


main()
