"""Do two axis-aligned rectangles share positive area? The candidate also answers True for
rectangles that only touch along an edge or at a corner."""

from dataclasses import dataclass

BUG_CLASS = "boundary"
EXPECTED_KIND = "wrong_output"
# A dataclass argument is written as a dict of its fields.
KNOWN_FAILING_INPUT = ({"x": 0, "y": 0, "w": 2, "h": 2}, {"x": 2, "y": 1, "w": 3, "h": 3})
COMPARE = "exact"


@dataclass
class Rect:
    x: int
    y: int
    w: int  # may be negative: the rectangle then extends to the left of x
    h: int


def _spans(r: Rect) -> tuple[int, int, int, int]:
    x0, x1 = sorted((r.x, r.x + r.w))
    y0, y1 = sorted((r.y, r.y + r.h))
    return x0, x1, y0, y1


def reference(a: Rect, b: Rect) -> bool:
    if 0 in (a.w, a.h, b.w, b.h):
        return False
    ax0, ax1, ay0, ay1 = _spans(a)
    bx0, bx1, by0, by1 = _spans(b)
    return max(ax0, bx0) < min(ax1, bx1) and max(ay0, by0) < min(ay1, by1)


def candidate(a: Rect, b: Rect) -> bool:
    if a.w == 0 or a.h == 0 or b.w == 0 or b.h == 0:
        return False
    ax0, ax1, ay0, ay1 = _spans(a)
    bx0, bx1, by0, by1 = _spans(b)
    return ax0 <= bx1 and bx0 <= ax1 and ay0 <= by1 and by0 <= ay1
