import random


def generate(rng: random.Random, size: int) -> str:
    n = rng.randint(0, max(0, size))
    xs = [rng.randint(-(10**9), 10**9) for _ in range(n)]
    per_line = rng.randint(1, 10)
    rows = [" ".join(map(str, xs[i : i + per_line])) for i in range(0, n, per_line)]
    return "\n".join([str(n), *rows]) + "\n"
