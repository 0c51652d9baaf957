"""Answer equivalence with math-verify: parse both answers, then compare.

Runs inside the sandboxed worker, in its main thread, which is where math-verify's
signal-based time limits work. Imports math-verify, never agentkit.
"""

from __future__ import annotations

import re
from typing import Any

from math_verify import parse, verify

# Two words in a row (not LaTeX commands): the text is prose that mentions an answer
# ("The answer is $5$"), so math-verify should look for the answer in it.
_PROSE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}\s+[A-Za-z]{2,}")
_DELIMITED = re.compile(r"\$|\\\(|\\\[|\\boxed|\\fbox")


def compare(gold: str, answer: str, seconds: int = 5) -> dict[str, Any]:
    """``{"equal": bool, "gold": text | None, "answer": text | None}`` (the parsed forms)."""
    gold_parsed = read(gold, seconds)
    answer_parsed = read(answer, seconds)
    same = bool(gold_parsed and answer_parsed) and verify(
        gold_parsed, answer_parsed, timeout_seconds=seconds
    )
    return {"equal": same, "gold": _shown(gold_parsed), "answer": _shown(answer_parsed)}


def read(text: str, seconds: int = 5) -> list[Any]:
    """math-verify's parse of ``text``.

    A bare formula (``\\frac12``, ``[1, 2)``, ``y = 2x + 1``) is read as LaTeX math, as
    if it stood between dollar signs; math-verify's own extraction, made for finding the
    answer in prose, would miss it or pick out a part of it.
    """
    if _DELIMITED.search(text) or _PROSE.search(text):
        return parse(text, parsing_timeout=seconds)
    return parse(f"${text}$", parsing_timeout=seconds) or parse(text, parsing_timeout=seconds)


def _shown(parsed: list[Any]) -> str | None:
    # math-verify gives [sympy object, the text it came from]; the object is what counts.
    return str(parsed[0]) if parsed else None
