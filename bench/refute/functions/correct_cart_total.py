"""Cart total in cents after a percent coupon (clamped to 0..100), rounded down; the candidate
subtracts the rounded-up discount instead of flooring the discounted price, which is the same
integer (t - ceil(t * p / 100) == floor(t * (100 - p) / 100))."""

from dataclasses import dataclass

BUG_CLASS = "correct"
EXPECTED_KIND = None
KNOWN_FAILING_INPUT = None
COMPARE = "exact"
# A dataclass argument is written as a dict of its fields.
SAMPLE_INPUTS = [
    ([], 10),
    ([{"name": "pen", "price": 199, "qty": 3}], 15),
    ([{"name": "a", "price": 1, "qty": 1}], 50),
    ([{"name": "a", "price": 333, "qty": 1}, {"name": "b", "price": 7, "qty": 2}], 33),
    ([{"name": "refund", "price": -250, "qty": 1}], 10),
    ([{"name": "x", "price": 999, "qty": -1}], 120),
]


@dataclass
class Item:
    name: str
    price: int  # cents; negative for refunds
    qty: int


def reference(items: list[Item], percent: int) -> int:
    percent = min(max(percent, 0), 100)
    total = sum(item.price * item.qty for item in items)
    return total * (100 - percent) // 100


def candidate(items: list[Item], percent: int) -> int:
    percent = min(max(percent, 0), 100)
    total = 0
    for item in items:
        total += item.price * item.qty
    discount = (total * percent + 99) // 100  # rounded up
    return total - discount
