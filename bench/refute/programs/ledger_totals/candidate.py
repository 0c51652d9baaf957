import sys
from collections import defaultdict


def main() -> None:
    totals: defaultdict[str, int] = defaultdict(int)
    for line in sys.stdin:
        name, amount = line.strip().split(",")
        totals[name] += int(amount)
    for name in sorted(totals):
        print(name, totals[name])


main()
