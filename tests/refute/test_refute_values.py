"""Outputs that are not plain data (iterators, instances, locks) and tagged seeds."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import enum
import fractions
import itertools
import json
import textwrap
import threading
import uuid
from pathlib import Path

import pytest

from agentkit_refute import RefuteError, Target, refute
from agentkit_refute.compare import comparable, notes, same_output
from agentkit_refute.values import (
    ITER_LIMIT,
    Drawn,
    Obj,
    Opaque,
    Record,
    decode,
    decode_seed,
    encode,
    size_key,
)


def roundtrip(value):
    return decode(json.loads(json.dumps(encode(value))))


def evens(n):
    yield from range(0, 2 * n, 2)


class Point:
    def __init__(self, x, y):
        self.y, self.x, self._cache = y, x, object()


class Slotted:
    __slots__ = ("_hidden", "a", "b", "unset")

    def __init__(self):
        self.b, self.a, self._hidden = 2, 1, 3


class Color(enum.Enum):
    RED = 1


# -- iterators -----------------------------------------------------------------------------


def test_a_generator_is_encoded_by_its_items_not_by_its_address():
    assert encode(evens(3)) == {"$": "iter", "type": "generator", "v": [0, 2, 4], "more": False}
    assert roundtrip(evens(3)) == Drawn("generator", (0, 2, 4), False)
    assert "0x" not in json.dumps(encode(evens(3)))


@pytest.mark.parametrize(
    ("make", "kind", "items"),
    [
        (lambda: map(str, [1, 2]), "map", ("1", "2")),
        (lambda: filter(None, [0, 1, 2]), "filter", (1, 2)),
        (lambda: zip([1, 2], "ab", strict=True), "zip", ((1, "a"), (2, "b"))),
        (lambda: iter(range(3)), "range_iterator", (0, 1, 2)),
        (lambda: iter([[1], [2]]), "list_iterator", ([1], [2])),
        (
            lambda: iter({1: evens(1)}.values()),
            "dict_valueiterator",
            (Drawn("generator", (0,), False),),
        ),
    ],
)
def test_every_kind_of_iterator_is_drawn(make, kind, items):
    assert roundtrip(make()) == Drawn(kind, items, False)


def test_an_infinite_iterator_is_drawn_up_to_the_bound_and_marked_as_having_more():
    drawn = roundtrip(itertools.count())
    assert drawn.items == tuple(range(ITER_LIMIT)) and drawn.more
    exactly = roundtrip(iter(range(ITER_LIMIT)))
    assert len(exactly.items) == ITER_LIMIT and not exactly.more


def test_a_range_is_a_value_carried_by_its_repr():
    assert encode(range(0, 6, 2)) == {"$": "repr", "type": "range", "v": "range(0, 6, 2)"}


def test_drawn_reads_like_the_items():
    assert repr(Drawn("generator", (0, 2, 4), False)) == "<generator: [0, 2, 4]>"
    assert repr(Drawn("count", (0, 1), True)) == "<count: [0, 1, ..., more]>"


def test_iterators_with_the_same_items_are_the_same_output_whatever_their_type():
    gen = Drawn("generator", (0, 2, 4), False)
    assert same_output(gen, Drawn("list_iterator", (0, 2, 4), False))
    assert not same_output(gen, Drawn("generator", (0, 2, 5), False))
    assert not same_output(gen, Drawn("generator", (0, 2), False))
    assert not same_output(gen, Drawn("generator", (0, 2, 4), True))  # one had more
    assert not same_output(gen, [0, 2, 4])  # an iterator is not a list
    assert not same_output([0, 2, 4], gen)


def test_iterator_items_follow_the_comparison_mode():
    near = Drawn("generator", (0.1 + 0.2,), False)
    assert not same_output(Drawn("map", (0.3,), False), near)
    assert same_output(Drawn("map", (0.3,), False), near, "float", 1e-9)
    shuffled = Drawn("generator", (3, 1, 2), False)
    assert same_output(Drawn("generator", (1, 2, 3), False), shuffled, "unordered")
    assert not same_output(Drawn("generator", (1, 2, 2), False), shuffled, "unordered")
    assert not same_output([1, 2, 3], shuffled, "unordered")


def test_notes_say_when_only_the_first_items_were_compared():
    assert notes(Drawn("generator", (1,), False), [Drawn("map", (1,), False)]) == []
    said = notes(Drawn("count", (0,), True), {"k": Drawn("generator", (0,), True)})
    assert said == [
        f"compared the first {ITER_LIMIT} items of each iterator "
        "(count, generator had more than that)"
    ]


# -- objects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        1 + 2j,
        decimal.Decimal("1.10"),
        fractions.Fraction(1, 3),
        datetime.date(2024, 2, 29),
        datetime.datetime(2024, 2, 29, 12, 30),
        datetime.timedelta(seconds=5),
        uuid.UUID(int=7),
        Color.RED,
        len,
    ],
)
def test_a_value_whose_repr_is_its_value_is_carried_by_its_repr(value):
    encoded = encode(value)
    assert encoded["$"] == "repr" and encoded["v"] == repr(value)
    assert repr(roundtrip(value)) == repr(value)


def test_an_instance_is_carried_by_its_public_state_sorted():
    assert encode(Point(1, [2.5])) == {
        "$": "object",
        "type": "Point",
        "v": [["x", 1], ["y", [2.5]]],
    }
    assert roundtrip(Point(1, 2)) == Obj("Point", (("x", 1), ("y", 2)))
    assert repr(roundtrip(Point(1, 2))) == "Point(x=1, y=2)"
    assert roundtrip(Slotted()) == Obj("Slotted", (("a", 1), ("b", 2)))
    pair = collections.namedtuple("Pair", "right left")
    assert roundtrip(pair(1, evens(1))) == Obj(
        "Pair", (("right", 1), ("left", Drawn("generator", (0,), False)))
    )


def test_instances_are_compared_by_type_name_and_fields():
    assert same_output(roundtrip(Point(1, 2)), roundtrip(Point(1, 2)))
    assert not same_output(roundtrip(Point(1, 2)), roundtrip(Point(1, 3)))
    assert not same_output(Obj("Point", (("x", 1),)), Obj("Vector", (("x", 1),)))
    assert same_output(roundtrip(Point(0.3, 0)), roundtrip(Point(0.1 + 0.2, 0)), "float")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (threading.Lock(), "lock"),
        (lambda: 1, "function"),
        (object(), "object"),
        (Point(1, 2).__init__, "method"),
    ],
)
def test_an_object_with_no_comparable_value_is_opaque(value, kind):
    assert encode(value) == {"$": "opaque", "type": kind}
    assert roundtrip(value) == Opaque(kind)


def test_outputs_the_same_but_for_opaque_parts_are_not_comparable_and_say_why():
    lock = Opaque("lock")
    assert comparable(lock, lock) == (
        "the outputs are objects of type lock with no public state: they cannot be compared"
    )
    boxed = Obj("Box", (("f", Opaque("function")), ("n", 1)))
    assert comparable([1, boxed], [1, boxed]) == (
        "the outputs hold objects of type function with no public state, and are the same "
        "but for those: they cannot be compared"
    )
    assert comparable({1: lock}, {1: lock}) is not None
    assert comparable(Drawn("generator", (Obj("P", ()),), False), [1.5, "x"]) is None


def test_outputs_that_differ_outside_their_opaque_parts_are_comparable():
    lock = Opaque("lock")
    assert comparable([1, lock], [2, lock]) is None
    assert comparable(5, lock) is None and not same_output(5, lock)  # a value, then a lock
    assert comparable(lock, Opaque("function")) is None and not same_output(lock, Opaque("x"))
    near = [0.3, lock], [0.1 + 0.2, lock]
    assert comparable(*near) is None
    assert comparable(*near, "float", 1e-9) is not None


def test_outputs_decoded_outside_are_sent_back_in_as_they_came():
    for value in (evens(2), itertools.count(), Point(1, [2]), threading.Lock(), Color.RED):
        seen = roundtrip(value)
        assert roundtrip(seen) == seen


def test_size_key_orders_the_new_kinds_too():
    small, big = Drawn("generator", (1,), False), Drawn("generator", (1, 2, 3), True)
    assert size_key(small) < size_key(big)
    assert size_key(Obj("P", (("x", 1),))) < size_key(Obj("P", (("x", 1000),)))
    assert size_key(Opaque("lock"))[0] > 0


# -- decoding hostile data -----------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"$": "nope", "v": 1},
        {"$": "tuple", "v": 5},
        {"$": "set", "v": [[1]]},  # unhashable item
        {"$": "dict", "v": [[1]]},
        {"$": "dict", "v": [[[1], 2]]},  # unhashable key
        {"$": "bytes", "v": "zz"},
        {"$": "bytes", "v": 12},
        {"$": "float", "v": [1]},
        {"$": "float", "v": "pi"},
        {"$": "dataclass", "name": 3, "v": []},
        {"$": "iter", "type": "generator", "v": [1], "more": "yes"},
        {"$": "iter", "type": None, "v": []},
        {"$": "object", "type": "P", "v": [[1, 2]]},
        {"$": "opaque"},
        {"$": "repr", "type": "x", "v": None},
    ],
)
def test_malformed_tagged_values_raise_value_error(data):
    with pytest.raises(ValueError):
        decode(data)


def test_decoding_bounds_the_nesting():
    data = 0
    for _ in range(1000):
        data = {"$": "tuple", "v": [data]}
    with pytest.raises(ValueError, match="nested"):
        decode(data)


def test_a_dataclass_decodes_to_the_real_class_where_it_is_known():
    @dataclasses.dataclass
    class P:
        x: int

    data = encode(P(evens(1)))
    assert decode(data) == Record("P", (("x", Drawn("generator", (0,), False)),))
    assert decode(encode(P(1)), lambda name: P) == P(1)


# -- seeds ---------------------------------------------------------------------------------


def test_tagged_seed_forms_decode_at_every_depth():
    seed = [
        [{"$": "tuple", "v": [1, 2]}],
        {"$": "dict", "v": [[{"$": "tuple", "v": [1, 2]}, "x"]]},
        {"k": [{"$": "set", "v": [1]}], "b": {"$": "bytes", "v": "ff00"}},
        {"$": "float", "v": "-inf"},
        {"$": "frozenset", "v": [{"$": "tuple", "v": []}]},
    ]
    assert decode_seed(seed) == [
        [(1, 2)],
        {(1, 2): "x"},
        {"k": [{1}], "b": b"\xff\x00"},
        float("-inf"),
        frozenset({()}),
    ]
    assert decode_seed((1, {"$": "tuple", "v": [2]})) == (1, (2,))  # from Python


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ({"$": "iter", "type": "g", "v": [], "more": False}, "the tag 'iter' .* is for outputs"),
        ([{"$": "repr", "type": "x", "v": "x"}], "the tag 'repr' .* is for outputs"),
        ([1, {"$": "tupel", "v": []}], "unknown tag"),
        ({"$": "dict", "v": [[[1, 2], "x"]]}, "malformed 'dict' value .*unhashable"),
        ({"$": "bytes", "v": "xyz"}, "malformed 'bytes'"),
    ],
)
def test_a_bad_seed_says_what_is_wrong_and_the_accepted_forms(seed, message):
    with pytest.raises(ValueError, match=message) as caught:
        decode_seed(seed)
    assert '{"$": "tuple", "v": ...}' in str(caught.value)


# -- end to end, in the sandbox ------------------------------------------------------------


def write(tmp_path: Path, code: str, name: str = "code.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return path


def differential(path: Path, candidate: str, reference: str, **options):
    return refute(
        Target.function(path, candidate), reference=Target.function(path, reference), **options
    )


def test_a_generator_refuted_against_itself_is_not_a_counterexample(tmp_path):
    code = write(
        tmp_path,
        """
        def evens(n: int):
            yield from range(0, 2 * n, 2)
        """,
    )
    result = differential(code, "evens", "evens", budget=2)
    assert not result.found and result.tries > 0


def test_a_generator_that_differs_at_an_item_is_found(tmp_path):
    code = write(
        tmp_path,
        """
        def reference(n: int):
            yield from range(0, 2 * n, 2)

        def candidate(n: int):
            for i in range(n):
                yield 7 if i == 3 else 2 * i
        """,
    )
    result = differential(code, "candidate", "reference", budget=3)
    assert result.found and result.kind == "wrong_output" and result.input == 4
    assert (result.expected, result.actual) == (
        "<generator: [0, 2, 4, 6]>",
        "<generator: [0, 2, 4, 7]>",
    )


def test_an_infinite_generator_against_itself_is_drawn_up_to_the_bound(tmp_path):
    code = write(
        tmp_path,
        """
        def count_from(n: int):
            while True:
                yield n
                n += 1
        """,
    )
    result = differential(code, "count_from", "count_from", budget=2)
    assert not result.found and result.tries > 0


def test_a_property_sees_a_generator_output_as_its_items(tmp_path):
    code = write(
        tmp_path,
        """
        def evens(n: int):
            yield from range(0, 2 * n, 2)

        def wrong(n: int):
            yield from range(0, 2 * n, 3)

        def all_even(n: int, output) -> bool:
            items = list(output)  # the first 1000 items drawn
            return all(x % 2 == 0 for x in items) and items[:3] == [0, 2, 4][: max(n, 0)]
        """,
    )
    prop = Target.function(code, "all_even")
    assert not refute(Target.function(code, "evens"), prop=prop, budget=2).found
    result = refute(Target.function(code, "wrong"), prop=prop, budget=3)
    assert result.found and result.input == 2 and result.actual == "<generator: [0, 3]>"


def test_instances_are_compared_by_their_public_state(tmp_path):
    code = write(
        tmp_path,
        """
        class Point:
            def __init__(self, x, y):
                self.x, self.y = x, y

        def reference(n: int) -> Point:
            return Point(n, n + 1)

        def same(n: int) -> Point:
            return Point(n, n + 1)

        def candidate(n: int) -> Point:
            return Point(abs(n), n + 1)
        """,
    )
    assert not differential(code, "same", "reference", budget=2).found
    result = differential(code, "candidate", "reference", budget=3)
    assert result.found and result.input == -1
    assert (result.expected, result.actual) == ("Point(x=-1, y=0)", "Point(x=1, y=0)")


def test_a_lock_returned_on_both_sides_is_not_a_counterexample(tmp_path):
    code = write(
        tmp_path,
        """
        import threading

        def make(n: int):
            return threading.Lock()

        def number(n: int):
            return n
        """,
    )
    assert not differential(code, "make", "make", budget=2).found
    # A lock where a number is expected is wrong, not "not comparable".
    result = differential(code, "make", "number", budget=3)
    assert result.found and result.kind == "wrong_output" and result.actual == "<lock object>"


def test_tagged_seed_forms_nested_in_the_arguments_reach_the_function(tmp_path):
    code = write(
        tmp_path,
        """
        def reference(pairs: list[tuple[int, int]], d: dict[tuple[int, int], str]) -> int:
            return len(pairs) + len(d)

        def candidate(pairs: list[tuple[int, int]], d: dict[tuple[int, int], str]) -> int:
            if pairs == [(1, 2)] and d == {(1, 2): "x"}:
                return -1
            return len(pairs) + len(d)
        """,
    )
    seeds = [
        [
            [{"$": "tuple", "v": [1, 2]}],
            {"$": "dict", "v": [[{"$": "tuple", "v": [1, 2]}, "x"]]},
        ]
    ]
    result = differential(code, "candidate", "reference", seeds=seeds, budget=3)
    assert result.found and "candidate([(1, 2)], {(1, 2): 'x'})" in result.summary
    bad = [[[{"$": "tuple", "v": 5}], {}]]
    with pytest.raises(RefuteError, match="does not decode: malformed 'tuple'"):
        differential(code, "candidate", "reference", seeds=bad, budget=1)
