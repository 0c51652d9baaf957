"""Number of comma-separated fields on a CSV line, where an empty line has no fields; the
candidate says the empty line has one."""

BUG_CLASS = "empty_input"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ("",)
COMPARE = "exact"


def reference(line: str) -> int:
    if line == "":
        return 0
    return line.count(",") + 1


def candidate(line: str) -> int:
    return len(line.split(","))
