"""Find where a written answer states its final value: the one span math_equal reads.

Answers are prose around a value, often with drafts before it. Taking the first
number ("The answer is 24000? No, recomputed: **24133**."), the last number ("There
are 1229 primes below 10,000.") or the whole text as a formula ("Sorry: 4950", read
letter by letter) misjudges them. The rules, most explicit first:

1. After a correction ("No,", "wait", "actually", "recomputed", ...) only what
   follows counts, when it states a value.
2. The last ``\\boxed{}`` (math-verify's convention: boxes side by side are a list).
3. A bare formula is its own answer.
4. The last bold span (``**...**``) or "answer is / answer:" statement, whichever
   comes last.
5. Otherwise the last sentence with maths that is not a check ("since ...",
   "check: ..."), read from its last "so", "thus" or "but" on: the value after the
   last "is", "are", "=" or ":" of its main clause (a trailing "since ..." or
   "when ..." clause gives reasons and conditions), else the value it opens with,
   else its only value. Several values and none of these is ambiguous: nothing is
   read, and the verdict is undecided.

A chain of numeric equalities (``1 + 2 + 3 = 6``) states its last side.

Runs inside the worker: pure Python and math-verify's box finder, never agentkit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from latex2sympy2_extended.math_normalization import extract_boxed_content

from agentkit_solver._reading import MATH_NAMES, has_words, normalise
from agentkit_solver._vocabulary import NO_MATHS


@dataclass(frozen=True)
class Statement:
    """The formula text an answer states, or None and why there is none."""

    formula: str | None
    problem: str = ""


_CORRECTION = re.compile(
    r"(?i)\b(?:no(?=\s*[,.;:!])|wait|actually|correction|oops|sorry|on second thought"
    r"|recomput\w*|recalculat\w*|re-?check\w*|i made an? (?:mistake|error))\b[\s,.;:!-]*"
)
_ANCHOR = re.compile(
    r"(?i)\banswer\b\**\s*(?:is|:|=|would be|should be|will be)\s*:?\**\s*:?",
)
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_RESULT_WORD = re.compile(
    r"(?i)\b(?:is|are|was|were|be|equals?|gives?|gets?|got|makes?|yields?|becomes?)\b|:"
)
_CONCLUSION = re.compile(r"(?i)\b(?:so|thus|therefore|hence|but)\b")
_SUBORDINATE = re.compile(r"(?i)\b(?:since|because|as|when|where|if|given|for)\b")
_CHECK = re.compile(r"(?i)^\W*(?:check|verify|verification|since|because|as|note)\b")
_JOINER = re.compile(r"(?i)^\s*(?:,|,?\s*and|,?\s*or)\s*$")
# An answer in words ("seven") may be right: it is undecided, not "no answer".
_NUMBER_WORD = re.compile(
    r"(?i)\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|\w+teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand"
    r"|million|billion|half|third|quarter)\b"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")

_NAMES = "|".join(sorted(MATH_NAMES, key=len, reverse=True))
_ATOM = (
    r"\$\$.+?\$\$|\$[^$\n]+?\$|\\\(.+?\\\)|\\\[.+?\\\]"  # LaTeX between delimiters
    r"|\\[A-Za-z]+\*?(?:\{(?:[^{}]|\{[^{}]*\})*\})*"  # a LaTeX command and its arguments
    r"|\d+(?:,\d{3})*(?:\.\d+)?|\.\d+"
    rf"|(?<![A-Za-z])(?:{_NAMES})(?![A-Za-z])"
    r"|(?<![A-Za-z])[A-Za-z](?:_\{?\w+\}?)?(?![A-Za-z])"  # a one-letter variable
    r"|(?<=[\d)^*/])(?!(?:st|nd|rd|th)\b)[A-Za-z]{2,3}(?![A-Za-z])"  # 2ab, not 100th
    r"|[-+*/^_=<>()\[\]{}|!%,'\u2212\u00d7\u00f7\u00b7\u221a\u03c0\u221e\u00b2\u00b3\u2264\u2265]"
    r"|\\[{}]"
)
_RUN = re.compile(rf"(?:{_ATOM})(?:[ \t]*(?:{_ATOM}))*")
_MATHS_SIGN = re.compile(rf"\d|\\[A-Za-z]|\$|(?<![A-Za-z])(?:{_NAMES})(?![A-Za-z])")
_OPERATOR = re.compile(r"[=+*/^<>\u2212\u00d7\u00f7]|(?<=\w)\s*-\s*(?=\w)")
_EDGE_LETTER = re.compile(r"^[A-Za-z][ \t]+(?=[\w\\$(])|(?<=[\w)$}])[ \t]+[A-Za-z]$")
_EQUALS = re.compile(r"(?<![<>!\\=])=(?!=)")


@dataclass(frozen=True)
class _Run:
    text: str
    start: int
    end: int


def final_answer(text: str) -> Statement:
    """The formula the final answer in ``text`` states (see the module docstring)."""
    corrected = _after_last_correction(text)
    if corrected is not None:
        found = _stated(corrected)
        if found.formula is not None:
            return found
    return _stated(text)


def _stated(text: str) -> Statement:
    if "\\boxed" in text or "\\fbox" in text:
        return Statement(_last_side(extract_boxed_content(text, "last")))
    if _is_formula(text):
        return Statement(_last_side(text))
    marked = _last_marked(text)
    if marked is not None:
        return marked
    return _in_last_sentence(text)


def _after_last_correction(text: str) -> str | None:
    for match in reversed(list(_CORRECTION.finditer(text))):
        tail = text[match.end() :]
        if _maths_runs(tail):
            return tail
    return None


def _is_formula(text: str) -> bool:
    bare = normalise(text)
    return bool(bare) and not has_words(bare) and bool(_RUN.fullmatch(bare.replace("\n", " ")))


def _last_marked(text: str) -> Statement | None:
    """The last bold span or "answer is" statement that holds maths."""
    candidates: list[tuple[int, Statement]] = []
    for bold in _BOLD.finditer(text):
        content = bold.group(1)
        if _maths_runs(content):
            found = Statement(_last_side(content)) if _is_formula(content) else None
            candidates.append((bold.start(), found or _in_last_sentence(content)))
    for anchor in _ANCHOR.finditer(text):
        sentence_rest = _SENTENCE_END.split(text[anchor.end() :], maxsplit=1)[0]
        runs = _maths_runs(sentence_rest)
        if runs:
            candidates.append((anchor.start(), Statement(_joined(runs, 0, sentence_rest))))
    return max(candidates, key=lambda candidate: candidate[0])[1] if candidates else None


def _in_last_sentence(text: str) -> Statement:
    with_maths = [s for s in _SENTENCE_END.split(_without_asides(text)) if _maths_runs(s)]
    if not with_maths and _NUMBER_WORD.search(text):
        return Statement(None, "a number written in words, which is not read")
    if not with_maths:
        return Statement(None, NO_MATHS)
    statements = [sentence for sentence in with_maths if not _CHECK.match(sentence)]
    return _sentence_value((statements or with_maths)[-1])


def _sentence_value(sentence: str) -> Statement:
    """The value one sentence states: after its last "so" or "but", in its main clause
    (a trailing "since ..." or "when ..." clause gives reasons and conditions), after
    its last "is" or "are", else the value it opens with, else its only value."""
    sentence = _after_last_conclusion(sentence)
    runs = _maths_runs(sentence)
    main = _without_trailing_clause(sentence, runs)
    for word in reversed(list(_RESULT_WORD.finditer(main))):
        after = [index for index, run in enumerate(runs) if word.end() <= run.start < len(main)]
        if after and not any(run.start <= word.start() < run.end for run in runs):
            return Statement(_joined(runs, after[0], sentence))
    if not re.search(r"\w", sentence[: runs[0].start]):
        return Statement(_joined(runs, 0, sentence))
    values = sorted({normalise(run.text) for run in runs})
    if len(values) == 1:
        return Statement(_last_side(runs[0].text))
    listed = ", ".join(values)
    return Statement(None, f"several values ({listed}) and none is stated as the answer")


def _after_last_conclusion(sentence: str) -> str:
    for marker in reversed(list(_CONCLUSION.finditer(sentence))):
        if _maths_runs(sentence[marker.end() :]):
            return sentence[marker.end() :]
    return sentence


def _without_trailing_clause(sentence: str, runs: list[_Run]) -> str:
    for clause in _SUBORDINATE.finditer(sentence):
        if clause.start() > runs[0].start:
            return sentence[: clause.start()]
    return sentence


def _joined(runs: list[_Run], first: int, text: str) -> str:
    """The run at ``first`` with the runs listed after it ("2 and 3", "x = 1, y = 2")."""
    parts = [runs[first].text]
    for previous, run in zip(runs[first:], runs[first + 1 :], strict=False):
        if not _JOINER.match(text[previous.end : run.start]):
            break
        parts.append(run.text)
    return _last_side(", ".join(parts))


def _maths_runs(text: str) -> list[_Run]:
    """The stretches of ``text`` that are maths, without the prose's edges."""
    runs = []
    for match in _RUN.finditer(text):
        trimmed = _trim(match.group())
        if trimmed and _is_maths(trimmed):
            start = match.start() + match.group().index(trimmed)
            runs.append(_Run(trimmed, start, start + len(trimmed)))
    return runs


def _trim(run: str) -> str:
    """Drops the prose's edges: separators, a lone letter ("5 a day"), a bracket left open."""
    previous = None
    while previous != run:
        previous = run
        run = _EDGE_LETTER.sub("", run.strip(" \t,=*")).strip(" \t,=*")  # * : Markdown
        if run.endswith(("(", "[", "{")) or (run.endswith(")") and _unbalanced(run) < 0):
            run = run[:-1]
        if run.startswith((")", "]", "}")) or (run.startswith("(") and _unbalanced(run) > 0):
            run = run[1:]
    return run


def _unbalanced(run: str) -> int:
    return run.count("(") - run.count(")")


def _is_maths(run: str) -> bool:
    letter_formula = re.search(r"[A-Za-z]", run) and _OPERATOR.search(run)
    return bool(_MATHS_SIGN.search(run) or letter_formula)


def _without_asides(text: str) -> str:
    """Drops parenthesised prose: "24133 (the 100th prime is 541)" states 24133."""
    return re.sub(r"\(([^()]*)\)", lambda m: " " if has_words(m.group(1)) else m.group(), text)


def _last_side(formula: str) -> str:
    """``1 + 2 + 3 = 6`` states 6 and ``n = 10 * 9 / 2 = 45`` states 45 (math-verify's
    convention: the last side of a chain); ``x = 2`` and ``x = 2, y = 3`` stay equations."""
    bare = normalise(formula)
    if "," in bare or ";" in bare:
        return formula.strip()
    sides = _EQUALS.split(bare)
    numeric_left = not re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", sides[0]))
    if len(sides) > 2 or (len(sides) == 2 and numeric_left):
        return sides[-1].strip()
    return formula.strip()
