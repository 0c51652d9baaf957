"""Pages needed to show n_items at per_page per page; the candidate adds a page even when
per_page divides n_items evenly."""

BUG_CLASS = "off_by_one"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = (10, 5)
COMPARE = "exact"


def reference(n_items: int, per_page: int) -> int:
    if n_items <= 0 or per_page <= 0:
        return 0
    return (n_items + per_page - 1) // per_page


def candidate(n_items: int, per_page: int) -> int:
    if n_items <= 0 or per_page <= 0:
        return 0
    return n_items // per_page + 1
