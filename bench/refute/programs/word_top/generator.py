import random

WORDS = ["apple", "pear", "fig", "kiwi", "lime", "plum", "date", "yam", "nut", "oat"]


def generate(rng: random.Random, size: int) -> str:
    vocabulary = WORDS[: rng.randint(1, min(len(WORDS), max(1, size)))]
    k = rng.randint(1, max(1, size))
    n_lines = rng.randint(0, max(1, size // 3))
    lines = [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, max(1, size))))
        for _ in range(n_lines)
    ]
    return "\n".join([str(k), *lines]) + "\n"
