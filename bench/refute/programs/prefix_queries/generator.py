import random


def generate(rng: random.Random, size: int) -> str:
    n = rng.randint(1, max(1, size))
    a = [rng.randint(-100, 100) for _ in range(n)]
    q = rng.randint(1, max(1, size))
    lines = [str(n), " ".join(map(str, a)), str(q)]
    for _ in range(q):
        left = rng.randint(1, n)
        right = rng.randint(left, n)
        lines.append(f"{left} {right}")
    return "\n".join(lines) + "\n"
