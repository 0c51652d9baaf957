import random


def generate(rng: random.Random, size: int) -> str:
    n = rng.randint(1, max(1, size))
    bound = 10 ** rng.randint(1, 6)
    xs = [rng.randint(-bound, bound) for _ in range(n)]
    return f"{n}\n{' '.join(map(str, xs))}\n"
