"""Basket total, minus a coupon (negative coupons count as 0) when the total is at least 100,
never below 0; in the candidate the conditional expression swallows the whole subtraction, so
baskets under 100 cost 0."""

BUG_CLASS = "precedence"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([30, 20], 10)
COMPARE = "exact"


def reference(prices: list[int], coupon: int) -> int:
    total = sum(prices)
    discount = max(coupon, 0) if total >= 100 else 0
    return max(0, total - discount)


def candidate(prices: list[int], coupon: int) -> int:
    total = sum(prices)
    return max(0, total - max(coupon, 0) if total >= 100 else 0)
