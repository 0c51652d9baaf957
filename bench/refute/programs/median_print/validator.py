def validate(text: str) -> bool:
    lines = text.split("\n")
    try:
        n = int(lines[0])
        xs = [int(v) for v in lines[1].split()]
    except (ValueError, IndexError):
        return False
    return n >= 1 and len(xs) == n and all(abs(x) <= 10**6 for x in xs)
