def validate(text: str) -> bool:
    try:
        tokens = [int(t) for t in text.split()]
        n = tokens[0]
        if n < 1 or len(tokens) < n + 2:
            return False
        q = tokens[n + 1]
        queries = tokens[n + 2 :]
        if q < 0 or len(queries) != 2 * q:
            return False
        pairs = zip(queries[::2], queries[1::2], strict=True)
        return all(1 <= left <= right <= n for left, right in pairs)
    except (ValueError, IndexError):
        return False
