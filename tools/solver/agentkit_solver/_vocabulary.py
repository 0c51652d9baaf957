"""The operations and domains of the ``sympy`` tool, in one place for both sides: the
tool's schema (in agentkit's process) and the sandboxed worker that checks them. Imports
neither agentkit nor sympy, so both sides can load it."""

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
