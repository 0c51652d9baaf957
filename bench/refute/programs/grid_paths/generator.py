import random


def generate(rng: random.Random, size: int) -> str:
    rows = rng.randint(1, max(1, size))
    cols = rng.randint(1, max(1, size))
    wall = rng.choice([0.0, 0.05, 0.15, 0.3])
    grid = ["".join("#" if rng.random() < wall else "." for _ in range(cols)) for _ in range(rows)]
    return f"{rows} {cols}\n" + "".join(row + "\n" for row in grid)
