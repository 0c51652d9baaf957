"""Words both sides share, in one place: the operations and domains of the ``sympy``
tool (its schema in agentkit's process, and the sandboxed worker that checks them) and
what ``math_equal``'s worker says of an answer with no maths in it. Imports neither
agentkit nor sympy, so both sides can load it."""

from __future__ import annotations

from typing import Literal, get_args

Operation = Literal[
    "solve",
    "simplify",
    "factor",
    "expand",
    "diff",
    "integrate",
    "limit",
    "series",
    "summation",
    "evaluate",
]
Domain = Literal["complex", "real", "rational", "integer", "positive", "negative", "nonnegative"]

OPERATIONS: tuple[str, ...] = get_args(Operation)
DOMAINS: tuple[str, ...] = get_args(Domain)

# math_equal's reason for not reading an answer that states no maths at all: such an
# answer is wrong, where one with maths it cannot read is only undecided.
NO_MATHS = "no mathematical answer"
