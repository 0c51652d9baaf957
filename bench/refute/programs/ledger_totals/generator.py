import random

NAMES = ["ann", "bob", "cy", "dee", "eve"]


def generate(rng: random.Random, size: int) -> str:
    lines = []
    for _ in range(rng.randint(0, max(1, size))):
        if rng.random() < 0.1:
            lines.append("")
        else:
            lines.append(f"{rng.choice(NAMES)},{rng.randint(-500, 500)}")
    return "".join(line + "\n" for line in lines)
