def validate(text: str) -> bool:
    first, _, rest = text.partition("\n")
    if not first.strip().isdigit() or int(first) < 1:
        return False
    return all(word.isascii() and word.isalpha() and word.islower() for word in rest.split())
