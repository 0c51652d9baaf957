"""Sort a list: the candidate is a merge sort with an insertion-sort cutoff of 8 elements whose
merge forgets the tail of the right half, so only lists longer than 8 can come out wrong."""

BUG_CLASS = "larger_inputs"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9],)
COMPARE = "exact"

CUTOFF = 8


def reference(xs: list[int]) -> list[int]:
    return sorted(xs)


def _insertion_sort(xs: list[int]) -> list[int]:
    out = list(xs)
    for i in range(1, len(out)):
        item, j = out[i], i - 1
        while j >= 0 and out[j] > item:
            out[j + 1] = out[j]
            j -= 1
        out[j + 1] = item
    return out


def _merge(left: list[int], right: list[int]) -> list[int]:
    out: list[int] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    out.extend(left[i:])
    return out


def candidate(xs: list[int]) -> list[int]:
    if len(xs) <= CUTOFF:
        return _insertion_sort(xs)
    mid = len(xs) // 2
    return _merge(candidate(xs[:mid]), candidate(xs[mid:]))
