"""Are the (), [] and {} brackets in a string balanced (other characters ignored)? The
candidate pops its stack without checking it is empty, so a closing bracket with nothing open
raises IndexError."""

BUG_CLASS = "crash"
EXPECTED_KIND = "crash"
KNOWN_FAILING_INPUT = ("a)(",)
COMPARE = "exact"

PAIRS = {")": "(", "]": "[", "}": "{"}


def reference(s: str) -> bool:
    stack: list[str] = []
    for ch in s:
        if ch in "([{":
            stack.append(ch)
        elif ch in PAIRS:
            if not stack or stack[-1] != PAIRS[ch]:
                return False
            stack.pop()
    return not stack


def candidate(s: str) -> bool:
    stack: list[str] = []
    for ch in s:
        if ch in "([{":
            stack.append(ch)
        elif ch in PAIRS and stack.pop() != PAIRS[ch]:
            return False
    return not stack
