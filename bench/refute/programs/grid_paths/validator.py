def validate(text: str) -> bool:
    lines = text.split()
    try:
        rows, cols = int(lines[0]), int(lines[1])
    except (ValueError, IndexError):
        return False
    grid = lines[2:]
    if not (1 <= rows <= 100 and 1 <= cols <= 100) or len(grid) != rows:
        return False
    return all(len(row) == cols and set(row) <= {".", "#"} for row in grid)
