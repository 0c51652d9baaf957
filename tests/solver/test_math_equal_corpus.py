"""``math_equal`` on a corpus of answer pairs judged by hand, as a maths teacher would.

``data/answer_pairs.jsonl`` holds one pair a line: the answer, the reference, the
expected verdict (``equal`` or ``different``) and a note. The expected verdicts were
written by hand, not produced by the code under test. Every pair goes through the real
verifier (math-verify and sympy in the sandboxed worker). A wrong answer judged equal is
the failure that matters: there must be none. An answer the verifier cannot read is
``unknown`` (undecided), which is never "equal" but counts as a disagreement.
"""

from __future__ import annotations

import json
from pathlib import Path

from agentkit.verify import judge
from agentkit_solver import MathEqual

CORPUS = Path(__file__).parent / "data" / "answer_pairs.jsonl"
MIN_AGREEMENT = 0.97
VERDICTS = {"passed": "equal", "failed": "different", "undecided": "unknown"}


def load_pairs() -> list[dict[str, str]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]


def verdict(pair: dict[str, str]) -> str:
    problem = {"answer": pair["reference"]}
    return VERDICTS[judge(MathEqual(), pair["answer"], problem).status]


def test_the_corpus_is_large_and_judged_by_hand():
    pairs = load_pairs()
    assert len(pairs) >= 200
    assert {pair["expected"] for pair in pairs} == {"equal", "different"}
    assert all(pair["note"] for pair in pairs)
    assert len({(pair["answer"], pair["reference"]) for pair in pairs}) == len(pairs)


def test_corpus_no_wrong_answer_is_judged_equal_and_agreement_is_high(corpus_report):
    pairs = load_pairs()
    got = [verdict(pair) for pair in pairs]
    misses = [
        (pair, seen) for pair, seen in zip(pairs, got, strict=True) if seen != pair["expected"]
    ]
    false_equal = [(pair, seen) for pair, seen in misses if seen == "equal"]
    agreement = 1 - len(misses) / len(pairs)
    corpus_report[:] = [
        f"math_equal corpus: {len(pairs) - len(misses)}/{len(pairs)} agree ({agreement:.1%})"
    ]
    corpus_report.extend(
        f"  {tag(seen)} {pair['answer']!r} vs {pair['reference']!r}: expected "
        f"{pair['expected']}, got {seen} ({pair['note']})"
        for pair, seen in misses
    )
    print("\n".join(corpus_report))
    assert not false_equal, "\n".join(corpus_report)
    assert agreement >= MIN_AGREEMENT, "\n".join(corpus_report)


def tag(seen: str) -> str:
    return "FALSE EQUAL" if seen == "equal" else "disagree:"
