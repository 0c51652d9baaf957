def validate(text: str) -> bool:
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.strip().split(",")
        if len(parts) != 2 or not parts[0].isalpha():
            return False
        try:
            int(parts[1])
        except ValueError:
            return False
    return True
