"""First line k; the rest is text of lowercase words separated by whitespace. Print the k most
frequent words as "word count" lines, by count descending, ties alphabetically (fewer lines if
there are fewer distinct words)."""

import sys
from collections import Counter


def main() -> None:
    lines = sys.stdin.read().split("\n", 1)
    k = int(lines[0])
    words = lines[1].split() if len(lines) > 1 else []
    counts = Counter(words)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    for word, count in ranked[:k]:
        print(word, count)


main()
