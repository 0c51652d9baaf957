"""BM25 search on a real FTS5 index: ranking, hostile queries, bounds and errors."""

from __future__ import annotations

import os
import threading

import pytest
from retriever_helpers import write_tree

from agentkit_retriever import MAX_K, RetrieverError, match_expression, search, update_index

CORPUS = {
    "fts.md": "# Full text search\n\nSQLite FTS5 ranks documents with BM25. BM25 weighs rare "
    "terms more than common ones.\n",
    "proofs.md": "# Proof checking\n\nCoq checks proofs. A checked proof is trusted.\n",
    "mention.txt": "This note mentions SQLite once, in passing, among many other words "
    "about gardening, weather, cooking, travel and music.\n",
    "quotes.txt": 'He said "AND OR NOT" and wrote NEAR(a b) with a star * here.\n',
}


@pytest.fixture(autouse=True)
def corpus(tmp_path):
    update_index(None, [write_tree(tmp_path / "c", CORPUS)])


def names(query: str, **options) -> list[str]:
    return [os.path.basename(hit.path) for hit in search(None, query, **options).hits]


def test_document_matching_more_and_rarer_terms_ranks_first():
    assert names("sqlite bm25 ranking") == ["fts.md", "mention.txt"]


def test_porter_stemming_matches_other_forms_of_a_word():
    assert names("proving checked proof")[0] == "proofs.md"
    assert names("ranked") == ["fts.md"]


def test_title_words_count_with_their_heading_path():
    [hit] = search(None, "checking", k=1).hits
    assert (hit.title, hit.start_line, hit.end_line) == ("Proof checking", 1, 3)


def test_hits_carry_path_lines_score_text_and_a_highlighted_snippet():
    [hit] = search(None, "gardening", k=1).hits
    assert hit.path.endswith("mention.txt") and (hit.start_line, hit.end_line) == (1, 1)
    assert hit.score > 0 and hit.kind == "paragraph" and hit.text.startswith("This note")
    assert "**gardening**" in hit.snippet


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unbalanced',
        "AND OR",
        "NOT",
        "*",
        "NEAR(",
        "NEAR(a b",
        "a:b",
        "^start",
        "-x",
        "(((",
        "{col}: x",
    ],
)
def test_hostile_queries_never_raise_fts_syntax_errors(query):
    try:
        result = search(None, query)
    except RetrieverError as exc:
        assert str(exc).startswith("the query has no words to search for")
        assert match_expression(query) is None
        return
    assert all(hit.path for hit in result.hits)


def test_operators_are_searched_as_plain_words():
    assert names("AND OR")[0] == "quotes.txt"  # has both; mention.txt only "and"
    assert names("NOT") == ["quotes.txt"]
    assert names("NEAR(") == ["quotes.txt"]


def test_queries_without_words_are_one_clear_error():
    for query in ("", "   ", "*", '"', "((("):
        with pytest.raises(RetrieverError, match="the query has no words to search for"):
            search(None, query)


def test_match_expression_quotes_each_word_once():
    assert match_expression('Foo "bar" foo NEAR(x) *') == '"foo" OR "bar" OR "near" OR "x"'


def test_k_is_bounded():
    with pytest.raises(RetrieverError, match="k must be at least 1, not 0"):
        search(None, "sqlite", k=0)
    result = search(None, "sqlite", k=10_000)
    assert result.note == f"k was capped at {MAX_K}" and len(result.hits) == 2
    assert len(search(None, "sqlite", k=1).hits) == 1


def test_no_match_is_an_empty_result_not_an_error():
    assert search(None, "xylophone").hits == []


def test_missing_index_suggests_a_close_name(tmp_path):
    update_index("papers", [write_tree(tmp_path / "p", {"a.txt": "words\n"})])
    with pytest.raises(RetrieverError, match=r"no index named 'paper'; did you mean 'papers'\?"):
        search("paper", "words")


def test_dense_modes_need_vectors():
    for mode in ("dense", "hybrid"):
        with pytest.raises(RetrieverError, match=f"has no vectors for mode '{mode}'.*--dense"):
            search(None, "sqlite", mode=mode)
    assert search(None, "sqlite").mode == "bm25"


def test_searches_in_threads_while_an_update_writes(tmp_path):
    extra = write_tree(tmp_path / "more", {f"f{i}.txt": f"sqlite file {i}\n" for i in range(200)})
    errors: list[BaseException] = []
    done = threading.Event()

    def searching() -> None:
        while not done.is_set():
            try:
                assert search(None, "sqlite bm25", k=3).hits
            except BaseException as exc:
                errors.append(exc)
                return

    threads = [threading.Thread(target=searching) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        report = update_index(None, [extra])
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=30)
    assert report.added == 200 and errors == []
    assert len(search(None, "sqlite", k=50).hits) == 50
