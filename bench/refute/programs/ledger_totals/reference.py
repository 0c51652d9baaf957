"""Lines "name,amount" (amount an integer); blank lines are ignored. Print "name total" for
every name, sorted by name."""

import sys


def main() -> None:
    totals: dict[str, int] = {}
    for line in sys.stdin.read().splitlines():
        if not line.strip():
            continue
        name, amount = line.strip().split(",")
        totals[name] = totals.get(name, 0) + int(amount)
    for name in sorted(totals):
        print(name, totals[name])


main()
