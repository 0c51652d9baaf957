"""Coq: one chunk per definition, a theorem running to the end of its proof.

The source is split into sentences (each ends with a ``.`` followed by whitespace,
outside comments, which nest, and strings). A sentence that starts with a defining
keyword (``Theorem``, ``Lemma``, ``Definition``, ``Fixpoint``, ``Inductive`` ...) opens
a chunk. A theorem-like one, or any one followed by ``Proof``, takes every sentence up
to and including the one that ends its proof (``Qed.``, ``Defined.``, ``Admitted.``,
``Abort.``, ``Save``). Comments right above a definition belong to it. The sentences
between definitions (``Require Import``, ``Section``, ``Open Scope``) form chunks of
their own, one per run.
"""

from __future__ import annotations

import bisect
import re

from agentkit_retriever.chunking.base import Chunk, ChunkOptions

THEOREM_LIKE = frozenset(
    {"Theorem", "Lemma", "Corollary", "Proposition", "Fact", "Remark", "Example", "Property"}
    | {"Goal"}
)
DEFINING = THEOREM_LIKE | {
    *("Definition", "Fixpoint", "CoFixpoint", "Inductive", "CoInductive", "Variant"),
    *("Record", "Structure", "Class", "Instance", "Function", "Let", "Axiom", "Axioms"),
    *("Parameter", "Parameters", "Conjecture", "Hypothesis", "Hypotheses", "Variable"),
    *("Variables", "Notation", "Ltac", "Ltac2", "Equations", "Obligation"),
}
PREFIXES = "Local|Global|Polymorphic|Monomorphic|Program|Private|Cumulative|NonCumulative|Existing"
ATTRIBUTES = rf"(?:#\[[^\]]*\]\s*|(?:{PREFIXES})\s+)*"
HEAD = re.compile(rf"^{ATTRIBUTES}([A-Z][A-Za-z0-9]*)\b\s*([^\s:({{]*)")
PROOF_END = re.compile(r"^(?:Qed|Defined|Admitted|Abort|Save)\b")
BULLETS = re.compile(r"^[\s\-+*{}]*")


def chunk_coq(text: str, options: ChunkOptions | None = None) -> list[Chunk]:
    spans = sentences(text)
    heads = [_head(text[start:end]) for start, end in spans]
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    chunks: list[Chunk] = []
    index = 0
    while index < len(spans):
        last, kind, title = _extent(heads, index)
        start, end = spans[index][0], spans[last][1]
        chunks.append(
            Chunk(
                kind,
                title,
                bisect.bisect_right(line_starts, start),
                bisect.bisect_right(line_starts, end - 1),
                text[start:end],
            )
        )
        index = last + 1
    return chunks


def _extent(heads: list[str], index: int) -> tuple[int, str, str]:
    """(index of the chunk's last sentence, kind, title) for the chunk opening at ``index``."""
    match = HEAD.match(heads[index])
    keyword = match.group(1) if match else ""
    if keyword in DEFINING:
        name = "" if keyword == "Goal" else match.group(2)  # type: ignore[union-attr]
        title = f"{keyword} {name}".strip()
        with_proof = keyword in THEOREM_LIKE or (
            index + 1 < len(heads) and heads[index + 1].startswith("Proof")
        )
        last = _proof_end(heads, index) if with_proof else index
        return last, "definition", title
    last = index
    while last + 1 < len(heads) and not _opens_definition(heads[last + 1]):
        last += 1
    return last, "vernacular", " ".join(heads[index].split())[:80]


def _proof_end(heads: list[str], index: int) -> int:
    """The sentence that closes the proof opened at ``index`` (or where the next begins)."""
    for later in range(index + 1, len(heads)):
        if PROOF_END.match(heads[later]):
            return later
        if _opens_definition(heads[later]):
            return later - 1
    return len(heads) - 1


def _opens_definition(head: str) -> bool:
    match = HEAD.match(head)
    return bool(match) and match.group(1) in DEFINING  # type: ignore[union-attr]


def _head(sentence: str) -> str:
    """A sentence without its comments and leading bullets or braces."""
    return BULLETS.sub("", _strip_comments(sentence)).strip()


def _strip_comments(sentence: str) -> str:
    out, depth, index = [], 0, 0
    while index < len(sentence):
        pair = sentence[index : index + 2]
        if pair == "(*":
            depth, index = depth + 1, index + 2
        elif pair == "*)" and depth:
            depth, index = depth - 1, index + 2
        else:
            if not depth:
                out.append(sentence[index])
            index += 1
    return "".join(out)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence; a sentence starts at its first non-space.

    Trailing text with no final period (a comment at the end of the file) is a sentence
    of its own.
    """
    spans: list[tuple[int, int]] = []
    depth, in_string, start, index = 0, False, None, 0
    while index < len(text):
        char, pair = text[index], text[index : index + 2]
        if start is None and not char.isspace():
            start = index
        if in_string:
            in_string = char != '"'
        elif pair == "(*":
            depth, index = depth + 1, index + 1
        elif pair == "*)" and depth:
            depth, index = depth - 1, index + 1
        elif depth:
            pass
        elif char == '"':
            in_string = True
        elif char == "." and _ends_sentence(text, index) and start is not None:
            spans.append((start, index + 1))
            start = None
        index += 1
    if start is not None:
        spans.append((start, len(text.rstrip())))
    return spans


def _ends_sentence(text: str, index: int) -> bool:
    after = text[index + 1 : index + 2]
    before = text[index - 1 : index] if index else ""
    return (after == "" or after.isspace()) and before != "."
