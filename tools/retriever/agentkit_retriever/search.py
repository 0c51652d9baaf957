"""Searching an index: BM25 over FTS5, dense cosine, or both fused by reciprocal rank.

A query is never handed to FTS5 as syntax. Its words (runs of letters, digits and
``_``) are each quoted and joined with OR, so ``"``, ``AND OR``, ``*`` or ``NEAR(`` from a
model are just words (or nothing) and never a syntax error; BM25 ranks chunks that
match more, rarer words higher. A query without a single word is an error.

Hybrid ranking is reciprocal rank fusion (Cormack et al., 2009): each chunk scores
``sum(1 / (60 + rank))`` over the BM25 and dense rankings it appears in, each ranking
cut at :data:`FUSION_DEPTH` (or more for a large ``k``). It needs no score
calibration between the two, which BM25's unbounded scores would otherwise need.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from agentkit_retriever import dense
from agentkit_retriever.errors import RetrieverError
from agentkit_retriever.store import Index

Mode = Literal["bm25", "dense", "hybrid"]
MODES: tuple[Mode, ...] = ("bm25", "dense", "hybrid")
MAX_K = 50
MAX_TERMS = 32
RRF_K = 60
FUSION_DEPTH = 50
SNIPPET_TOKENS = 24
WORD = re.compile(r"\w+")


@dataclass
class Hit:
    """One ranked chunk."""

    path: str
    start_line: int
    end_line: int
    kind: str
    title: str
    score: float
    text: str
    snippet: str | None = None
    meta: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        document = dict(self.__dict__)
        document["score"] = round(self.score, 6)
        return {key: value for key, value in document.items() if value is not None}


@dataclass
class SearchResult:
    index: str
    query: str
    mode: Mode
    hits: list[Hit] = field(default_factory=list)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {"index": self.index, "query": self.query, "mode": self.mode}
        if self.note:
            document["note"] = self.note
        document["hits"] = [hit.to_dict() for hit in self.hits]
        return document


def match_expression(query: str) -> str | None:
    """The query as a safe FTS5 expression (quoted words joined by OR), or None if no word."""
    words = list(dict.fromkeys(word.lower() for word in WORD.findall(query)))[:MAX_TERMS]
    return " OR ".join(f'"{word}"' for word in words) or None


def search(where: str | None, query: str, *, k: int = 5, mode: Mode | None = None) -> SearchResult:
    """The ``k`` best chunks of the index ``where`` for ``query``.

    :param mode: ``bm25``, ``dense`` or ``hybrid``; by default hybrid when the index has
        vectors, BM25 otherwise
    """
    if k < 1:
        raise RetrieverError(f"k must be at least 1, not {k}")
    notes = [f"k was capped at {MAX_K}"] if k > MAX_K else []
    k = min(k, MAX_K)
    expression = match_expression(query)
    if expression is None:
        raise RetrieverError(f"the query has no words to search for: {query[:80]!r}")
    with Index.open(where) as index, index.snapshot():
        chosen = _mode(index, mode, notes)
        if chosen == "bm25":
            ranked = _bm25(index, expression, k)
        elif chosen == "dense":
            ranked = _dense(index, query, k)
        else:
            depth = max(FUSION_DEPTH, 2 * k)
            ranked = _fuse(_bm25(index, expression, depth), _dense(index, query, depth), k)
        hits = _hits(index, ranked)
    return SearchResult(str(index.path), query, chosen, hits, "; ".join(notes) or None)


def _mode(index: Index, mode: Mode | None, notes: list[str]) -> Mode:
    has_vectors = bool(index.meta("model")) and bool(index.meta("dimension"))
    if mode is None:
        if has_vectors and not dense.available():
            notes.append(f"BM25 only: the dense extra is missing ({dense.INSTALL_HINT})")
            return "bm25"
        return "hybrid" if has_vectors else "bm25"
    if mode not in MODES:
        raise RetrieverError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode != "bm25" and not has_vectors:
        raise RetrieverError(
            f"index {index.path} has no vectors for mode {mode!r}; "
            "add them with: agentkit index add --dense"
        )
    return mode


# (chunk id, score, snippet or None), best first
Ranked = list[tuple[int, float, str | None]]


def _bm25(index: Index, expression: str, limit: int) -> Ranked:
    # ORDER BY rank with a LIMIT lets FTS5 sort internally and compute snippets only for
    # the rows it returns. rank is bm25() with the weights set in the schema (negative:
    # lower is better), so the score shown is its negation.
    rows = index.db.execute(
        "SELECT rowid, -rank, snippet(chunks_fts, 1, '**', '**', ' … ', ?) FROM chunks_fts "
        "WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?",
        (SNIPPET_TOKENS, expression, limit),
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def _dense(index: Index, query: str, limit: int) -> Ranked:
    model = index.meta("model") or dense.DEFAULT_MODEL
    vector = dense.embed_query(model, query)
    nearest = dense.vectors_of(index).nearest(vector, limit)
    return [(chunk_id, score, None) for chunk_id, score in nearest]


def _fuse(bm25: Ranked, by_vector: Ranked, k: int) -> Ranked:
    scores: dict[int, float] = {}
    snippets: dict[int, str | None] = {}
    for ranking in (bm25, by_vector):
        for rank, (chunk_id, _, snippet) in enumerate(ranking, 1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
            snippets[chunk_id] = snippets.get(chunk_id) or snippet
    best = sorted(scores, key=lambda chunk_id: -scores[chunk_id])[:k]
    return [(chunk_id, scores[chunk_id], snippets[chunk_id]) for chunk_id in best]


def _hits(index: Index, ranked: Ranked) -> list[Hit]:
    if not ranked:
        return []
    marks = ",".join("?" * len(ranked))
    rows = index.db.execute(
        "SELECT c.id, f.path, c.start_line, c.end_line, c.kind, c.title, c.text, c.meta "
        f"FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.id IN ({marks})",
        [chunk_id for chunk_id, _, _ in ranked],
    ).fetchall()
    by_id = {row[0]: row for row in rows}
    hits = []
    for chunk_id, score, snippet in ranked:
        row = by_id[chunk_id]
        meta = json.loads(row[7]) if row[7] else None
        hits.append(Hit(row[1], row[2], row[3], row[4], row[5], score, row[6], snippet, meta))
    return hits
