"""Read one formula (the span that states an answer) into a sympy object.

Plain text (``pi**2/6``, ``(x - 1)*exp(x)``, ``2x + 1``) goes to sympy's own parser
(:mod:`agentkit_solver._parsing`), which knows the names of constants and functions;
math-verify's LaTeX reader would read ``pi`` as ``p*i`` and ``exp(x)`` as ``E*x*p(x)``.
LaTeX (``\\frac{\\pi}{4}``), and what sympy's parser has no syntax for (intervals,
sets, ``x = 2, y = 3``), goes to math-verify's LaTeX reader. A formula with a word
in it (``sorry``) is not read at all: either reader would make it a product of letters.

Runs inside the worker: imports sympy and math-verify, never agentkit.
"""

from __future__ import annotations

import re
from typing import Any

import sympy
from math_verify import LatexExtractionConfig, parse
from math_verify.errors import TimeoutException
from math_verify.utils import timeout

from agentkit_solver import _parsing


# Names that are maths, not prose: what sympy's parser knows plus the usual spellings.
def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


FUNCTION_NAMES = _names(
    "sqrt cbrt exp log ln lg sin cos tan cot sec csc arcsin arccos arctan asin acos atan "
    "sinh cosh tanh arsinh arcosh artanh asinh acosh atanh abs Abs floor ceiling ceil "
    "binomial factorial gcd lcm mod min max Min Max"
)
CONSTANT_NAMES = _names("pi oo inf infinity")
GREEK_NAMES = _names(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron "
    "rho sigma tau upsilon phi chi psi omega"
)
MATH_NAMES = FUNCTION_NAMES | CONSTANT_NAMES | GREEK_NAMES

# Plain-text spellings sympy's namespace lacks, and Python keywords (``lambda``).
_PLAIN_NAMES: dict[str, Any] = {
    "e": sympy.E,
    "i": sympy.I,
    "inf": sympy.oo,
    "infinity": sympy.oo,
    "lg": lambda x: sympy.log(x, 10),
    "arcsin": sympy.asin,
    "arccos": sympy.acos,
    "arctan": sympy.atan,
    "arsinh": sympy.asinh,
    "arcosh": sympy.acosh,
    "artanh": sympy.atanh,
    "abs": sympy.Abs,
    "ceil": sympy.ceiling,
    "binomial": sympy.binomial,
    "factorial": sympy.factorial,
    "min": sympy.Min,
    "max": sympy.Max,
    "mod": sympy.Mod,
    "lamda": sympy.Symbol("lambda"),
}
# Names a formula may carry besides math names: LaTeX commands and \text{...} contents.
_LATEX_COMMAND = re.compile(r"\\(?:text|mathrm|textbf|operatorname)\{[^{}]*\}|\\[A-Za-z]+")
_WORD = re.compile(r"[A-Za-z]{2,}")
# A coefficient's letters are variables that multiply (2ab = 2*a*b), as in LaTeX;
# an ordinal's suffix (100th) is not.
_COEFFICIENT_LETTERS = re.compile(r"(?<=[\d)])(?!(?:st|nd|rd|th)\b)([A-Za-z]{2,3})(?![A-Za-z(])")
_LATEX_SIGNS = re.compile(r"[\\{}$]|[\^_]\{")
# sympy has no syntax for these; math-verify's LaTeX reader has.
_SET_SIGNS = re.compile(r"[\[\]|]|,")
_UNICODE = {
    "\u2212": "-",
    "\u00d7": "*",
    "\u00b7": "*",
    "\u22c5": "*",
    "\u00f7": "/",
    "\u03c0": "pi",
    "\u221e": "oo",
    "\u00b2": "^2",
    "\u00b3": "^3",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2013": "-",
}
_ROOT_SIGN = re.compile(r"\u221a\s*(\d+(?:\.\d+)?|[A-Za-z]|\([^()]*\))")
_DELIMITED = re.compile(r"^(\$\$?|\\\(|\\\[)(.*?)(\$\$?|\\\)|\\\])$", re.S)
_MARKDOWN_BOLD = re.compile(r"^\*\*(.*?)\*\*[.;:]?$", re.S)
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
_LEADING_ZEROS = re.compile(r"(?<![\d.])0+(?=\d)")
# "x \in [1, 5]" states the set; math-verify would compare an equation with it.
_MEMBERSHIP = re.compile(r"^[A-Za-z]\s*\\in\s+")
# math-verify reads pi, sqrt, oo, ... without a backslash letter by letter: give them one.
_BARE_LATEX_NAME = re.compile(
    r"(?<![\\A-Za-z])(pi|sqrt|exp|ln|log|sin|cos|tan|infty|oo|inf|infinity)(?![A-Za-z])"
)
_LATEX_SPELLING = {"oo": "infty", "inf": "infty", "infinity": "infty"}
_LATEX_ONLY = [LatexExtractionConfig()]


def normalise(text: str) -> str:
    """Unicode signs as ASCII; delimiters, bold and final punctuation stripped;
    thousands separators and leading zeros dropped."""
    text = _ROOT_SIGN.sub(r"sqrt(\1)", text)
    for sign, ascii_sign in _UNICODE.items():
        text = text.replace(sign, ascii_sign)
    text = _DELIMITED.sub(r"\2", text.replace("{,}", "").strip())
    text = text.strip().rstrip(".;:?").strip()
    text = _MARKDOWN_BOLD.sub(r"\1", text).strip()  # **24133** stated in bold
    text = _THOUSANDS.sub(lambda match: match.group().replace(",", ""), text)
    return _LEADING_ZEROS.sub("", _MEMBERSHIP.sub("", text))


def has_words(text: str) -> bool:
    """Whether ``text`` holds a word that is not a math name (prose, not a formula).
    Letters right after a coefficient (``2ab``) are variables, not a word."""
    bare = _COEFFICIENT_LETTERS.sub(" ", _LATEX_COMMAND.sub(" ", text))
    return any(word not in MATH_NAMES for word in _WORD.findall(bare))


def read_formula(text: str, seconds: int = 5) -> sympy.Basic | None:
    """The sympy object ``text`` denotes, or None when it is not a formula."""
    text = normalise(text)
    if not text or has_words(text):
        return None
    text = _COEFFICIENT_LETTERS.sub(_multiplied_letters, text)
    if not _LATEX_SIGNS.search(text):
        plain = _read_plain(text, seconds)
        if plain is not None:
            return plain
    return _read_latex(text, seconds)


def _multiplied_letters(match: re.Match[str]) -> str:
    letters = match[1]
    return letters if letters in MATH_NAMES else "*".join(letters)


def _read_plain(text: str, seconds: int) -> sympy.Basic | None:
    if _SET_SIGNS.search(text):
        return None
    try:
        value = timeout(timeout_seconds=seconds)(_parsing.parse)(text, dict(_PLAIN_NAMES))
    except (Exception, TimeoutException):  # whatever the parser raised, or its time limit
        return None
    return value if isinstance(value, sympy.Basic) else None


def _read_latex(text: str, seconds: int) -> sympy.Basic | None:
    latex = _BARE_LATEX_NAME.sub(lambda m: "\\" + _LATEX_SPELLING.get(m[1], m[1]), text)
    parsed = parse(f"${latex}$", _LATEX_ONLY, parsing_timeout=seconds)
    value = parsed[0] if parsed else None
    return value if isinstance(value, sympy.Basic) else None
