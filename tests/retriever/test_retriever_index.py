"""Indexing real files into a real SQLite index: incremental updates, skips, errors."""

from __future__ import annotations

import os
import sqlite3

import pytest
from retriever_helpers import DOCS, index_file, rows, write_tree

from agentkit_retriever import RetrieverError, search, update_index


@pytest.fixture
def corpus(tmp_path):
    return write_tree(tmp_path / "corpus", DOCS)


GUIDE_CHUNK_IDS = (
    "SELECT c.id FROM chunks c JOIN files f ON f.id = c.file_id WHERE f.path LIKE '%guide.md'"
)


def paths_found(query: str, where: str | None = None, k: int = 10) -> list[str]:
    return [os.path.basename(hit.path) for hit in search(where, query, k=k).hits]


def test_first_add_indexes_every_file_with_its_chunks(corpus, isolated_agentkit):
    report = update_index(None, [corpus])
    assert (report.added, report.updated, report.unchanged, report.removed) == (3, 0, 0, 0)
    assert report.chunks == report.chunks_total == 5 and report.files_total == 3
    stored = rows(index_file(isolated_agentkit), "SELECT path, chunking FROM files ORDER BY path")
    assert [(os.path.relpath(p, corpus), c) for p, c in stored] == [
        ("code/tool.py", "v1:python"),
        ("guide.md", "v1:markdown"),
        ("notes.txt", "v1:text"),
    ]


def test_unchanged_files_are_not_touched(corpus, isolated_agentkit):
    update_index(None, [corpus])
    db = index_file(isolated_agentkit)
    before = rows(
        db, "SELECT f.path, f.indexed, c.id FROM files f JOIN chunks c ON c.file_id = f.id"
    )
    os.utime(corpus / "notes.txt", (1, 1))  # a new mtime alone is not a change
    report = update_index(None, [corpus])
    assert (report.added, report.updated, report.unchanged, report.chunks) == (0, 0, 3, 0)
    assert (
        rows(db, "SELECT f.path, f.indexed, c.id FROM files f JOIN chunks c ON c.file_id = f.id")
        == before
    )


def test_changed_file_has_its_chunks_replaced_and_others_keep_theirs(corpus, isolated_agentkit):
    update_index(None, [corpus])
    db = index_file(isolated_agentkit)
    guide_ids = rows(db, GUIDE_CHUNK_IDS)
    (corpus / "notes.txt").write_text("Mangoes ripen in summer.\n")
    report = update_index(None, [corpus])
    assert (report.updated, report.unchanged, report.chunks) == (1, 2, 1)
    assert paths_found("bananas") == []
    assert paths_found("mangoes") == ["notes.txt"]
    assert rows(db, GUIDE_CHUNK_IDS) == guide_ids
    # The FTS index holds exactly the current chunks: nothing stale is left to match.
    assert rows(db, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'bananas'") == [(0,)]
    rows(db, "INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")


def test_deleted_file_leaves_the_index(corpus, isolated_agentkit):
    update_index(None, [corpus])
    (corpus / "code" / "tool.py").unlink()
    report = update_index(None, [corpus])
    assert (report.removed, report.unchanged, report.files_total, report.chunks_total) == (
        1,
        2,
        2,
        3,
    )
    assert paths_found("tokenize") == []
    assert rows(
        index_file(isolated_agentkit),
        "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'tokenize'",
    ) == [(0,)]


def test_update_without_paths_rescans_every_recorded_root(corpus, tmp_path):
    single = write_tree(tmp_path / "single", {"one.txt": "Lonely kiwi.\n"}) / "one.txt"
    update_index("mixed", [corpus, single])
    (corpus / "new.md").write_text("# Comets\n\nIcy bodies with tails.\n")
    single.unlink()
    warnings = []
    report = update_index("mixed", warn=warnings.append)
    assert (report.added, report.removed, report.unchanged) == (1, 1, 3)
    assert warnings == [f"{single} is gone; its files leave the index"]
    assert paths_found("comets", "mixed") == ["new.md"] and paths_found("kiwi", "mixed") == []


def test_update_without_paths_on_an_unknown_index_says_how_to_create_it():
    with pytest.raises(RetrieverError, match=r"no index named 'nope' .*agentkit index add PATH"):
        update_index("nope")


def test_missing_path_is_an_error_and_creates_no_index(tmp_path, isolated_agentkit):
    with pytest.raises(RetrieverError, match=r"no such file or directory: .*missing"):
        update_index("fresh", [tmp_path / "missing"])
    assert not index_file(isolated_agentkit, "fresh").exists()


def test_binary_non_utf8_hidden_and_tool_directories_are_skipped(tmp_path):
    root = write_tree(
        tmp_path / "tree",
        {
            "keep.txt": "Visible words.\n",
            "image.png": b"\x89PNG\r\n\x1a\n\x00\x00binary",
            "latin1.txt": "caf\xe9 au lait".encode("latin-1"),
            ".env": "SECRET_TOKEN=visible words\n",
            ".git/config": "visible words\n",
            "node_modules/pkg/readme.md": "visible words\n",
            "__pycache__/x.txt": "visible words\n",
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/site.txt": "visible words\n",
        },
    )
    os.mkfifo(root / "pipe.txt")  # reading it would block forever
    warnings = []
    report = update_index(None, [root], warn=warnings.append)
    assert report.files_total == 1 and paths_found("visible") == ["keep.txt"]
    assert sorted(os.path.basename(s["path"]) for s in report.skipped) == [
        "image.png",
        "latin1.txt",
        "pipe.txt",
    ]
    assert sorted(s["reason"] for s in report.skipped) == [
        "binary file",
        "not UTF-8 text",
        "not a regular file",
    ]
    assert len(warnings) == 3 and all(w.startswith("skipped ") for w in warnings)


def test_a_file_that_becomes_binary_leaves_the_index(corpus):
    update_index(None, [corpus])
    (corpus / "notes.txt").write_bytes(b"\x00\x01\x02")
    report = update_index(None, [corpus])
    assert report.removed == 1 and paths_found("bananas") == []


def test_explicit_jsonl_with_a_bad_field_is_one_error_and_writes_nothing(
    tmp_path, isolated_agentkit
):
    data = write_tree(tmp_path, {"qa.jsonl": '{"q": "x", "a": "y"}\n'}) / "qa.jsonl"
    with pytest.raises(
        RetrieverError,
        match=r"qa.jsonl: no JSON record has the field 'question' \(fields seen: q, a\)",
    ):
        update_index("qa", [data], field="question")
    assert not index_file(isolated_agentkit, "qa").exists()


def test_jsonl_in_a_directory_without_the_field_is_skipped_with_a_warning(tmp_path):
    root = write_tree(tmp_path / "d", {"qa.jsonl": '{"q": "x"}\n', "ok.txt": "fine words\n"})
    warnings = []
    report = update_index(None, [root], field="question", warn=warnings.append)
    assert report.files_total == 1 and "no JSON record has the field 'question'" in warnings[0]


def test_changing_the_jsonl_field_rechunks_the_file(tmp_path):
    data = write_tree(tmp_path, {"qa.jsonl": '{"q": "zebra", "a": "yak"}\n'}) / "qa.jsonl"
    update_index(None, [data], field="q")
    assert paths_found("zebra") == ["qa.jsonl"] and paths_found("yak") == []
    report = update_index(None, [data], field="a")
    assert report.updated == 1
    assert paths_found("yak") == ["qa.jsonl"] and paths_found("zebra") == []
    assert search(None, "yak").hits[0].meta == {"q": "zebra"}


def test_index_at_an_explicit_path(tmp_path, corpus, isolated_agentkit):
    target = tmp_path / "elsewhere" / "my.db"
    target.parent.mkdir()
    update_index(str(target), [corpus])
    assert target.exists() and not (isolated_agentkit / "indexes").exists()
    assert paths_found("bananas", str(target)) == ["notes.txt"]


def test_a_database_that_is_not_an_index_is_refused_untouched(tmp_path):
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    before = other.read_bytes()
    with pytest.raises(RetrieverError, match="is not an agentkit index"):
        search(str(other), "anything")
    with pytest.raises(RetrieverError, match="is not an agentkit index"):
        update_index(str(other), [tmp_path])
    assert other.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_a_one_line_error(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("this is not a database " * 100)
    with pytest.raises(
        RetrieverError, match=r"cannot open the index at .*junk.db: file is not a database"
    ):
        search(str(junk), "anything")


def test_bad_index_name_is_refused():
    with pytest.raises(RetrieverError, match="bad index name"):
        search("white space", "x")


def test_two_spellings_of_one_directory_are_one_root(corpus):
    update_index(None, [corpus])
    report = update_index(None, [corpus / "code" / ".."])
    assert (report.unchanged, report.added, report.files_total) == (3, 0, 3)
