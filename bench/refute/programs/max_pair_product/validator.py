def validate(text: str) -> bool:
    try:
        tokens = [int(t) for t in text.split()]
    except ValueError:
        return False
    return bool(tokens) and tokens[0] >= 2 and len(tokens) == tokens[0] + 1
