"""Dense and hybrid retrieval with the real all-MiniLM-L6-v2 model (bundled, offline)."""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from retriever_helpers import cli_env, index_file, rows, write_tree

import agentkit
from agentkit_retriever import RetrieverError, retrieve, search, update_index
from agentkit_retriever.dense import DEFAULT_MODEL

AGENTKIT = Path(sys.executable).with_name("agentkit")

TOPICS = {
    "vehicles.md": "# Vehicles\n\nAn automobile has four wheels and an engine; people drive it "
    "on roads and park it in a garage.\n",
    "fruit.md": "# Fruit\n\nBananas are yellow and grow in tropical climates.\n",
    "storage.md": "# Storage\n\nSQLite keeps a whole database in one file on disk.\n",
}
VEHICLE_VECTOR = (
    "SELECT e.chunk_id, e.vector FROM embeddings e JOIN chunks c ON c.id = e.chunk_id "
    "JOIN files f ON f.id = c.file_id WHERE f.path LIKE '%vehicles.md'"
)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def topics(tmp_path):
    return write_tree(tmp_path / "topics", TOPICS)


def names(query: str, **options) -> list[str]:
    return [os.path.basename(hit.path) for hit in search(None, query, **options).hits]


def test_semantic_query_that_bm25_misses_is_found_by_dense_and_hybrid(topics):
    report = update_index(None, [topics], dense_vectors=True)
    assert report.model == DEFAULT_MODEL and report.embedded == 3
    assert names("car", mode="bm25") == []  # no chunk has the word
    assert names("car", mode="dense")[0] == "vehicles.md"
    hybrid = search(None, "car", k=3)
    assert hybrid.mode == "hybrid" and os.path.basename(hybrid.hits[0].path) == "vehicles.md"
    assert names("where do tropical plants grow", mode="dense")[0] == "fruit.md"


def test_hybrid_fuses_both_rankings(topics):
    update_index(None, [topics], dense_vectors=True)
    # "file" is only a word of storage.md; "vehicle" is only close in meaning to vehicles.md.
    both = names("file vehicle", k=3)
    assert set(both[:2]) == {"storage.md", "vehicles.md"}
    [best] = search(None, "database file", k=1).hits
    assert best.path.endswith("storage.md") and best.snippet and "**file**" in best.snippet
    assert 0 < best.score <= 2 / 61  # reciprocal rank fusion: at most first in both lists


def test_vectors_are_stored_beside_the_text_and_follow_incremental_updates(
    topics, isolated_agentkit
):
    update_index(None, [topics], dense_vectors=True)
    db = index_file(isolated_agentkit)
    assert rows(
        db, "SELECT key, value FROM meta WHERE key IN ('model', 'dimension') ORDER BY key"
    ) == [
        ("dimension", "384"),
        ("model", DEFAULT_MODEL),
    ]
    assert rows(db, "SELECT DISTINCT length(vector) FROM embeddings") == [(384 * 4,)]
    [kept] = rows(db, VEHICLE_VECTOR)
    (topics / "fruit.md").write_text("# Fruit\n\nMangoes ripen in the summer heat.\n")
    (topics / "storage.md").unlink()
    report = update_index(None, [topics])  # the index remembers it is dense
    assert (report.updated, report.removed, report.embedded) == (1, 1, 1)
    assert (
        rows(db, "SELECT count(*) FROM embeddings")
        == rows(db, "SELECT count(*) FROM chunks")
        == [(2,)]
    )
    assert rows(db, VEHICLE_VECTOR) == [kept]  # vehicles.md did not change: the same rows
    assert names("which fruit is ripe in summer", mode="dense")[0] == "fruit.md"


def test_adding_dense_later_embeds_the_existing_chunks(topics):
    update_index(None, [topics])
    assert search(None, "car").mode == "bm25"
    report = update_index(None, dense_vectors=True)
    assert (report.unchanged, report.embedded) == (3, 3)
    assert names("car", mode="dense")[0] == "vehicles.md"


def test_one_index_keeps_one_model(topics, tmp_path):
    update_index(None, [topics], dense_vectors=True)
    with pytest.raises(RetrieverError, match=r"embeds with 'all-MiniLM-L6-v2', not 'other-model'"):
        update_index(None, [topics], model="other-model")


def test_a_model_that_cannot_load_is_one_error_and_leaves_no_index(
    topics, tmp_path, isolated_agentkit
):
    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()
    with pytest.raises(RetrieverError, match=r"cannot load the embedding model '.*not-a-model'"):
        update_index("broken", [topics], model=str(not_a_model))
    assert not index_file(isolated_agentkit, "broken").exists()


def test_tool_searches_densely_in_process(topics, monkeypatch):
    update_index("topics", [topics], dense_vectors=True)
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "retriever")
    result = agentkit.call_tool(
        agentkit.get_tool("retrieve"),
        {"query": "automobile garage", "index": "topics", "mode": "dense", "k": 1},
    )
    assert result.ok, result.error
    [hit] = result.output["hits"]
    assert hit["title"] == "Vehicles" and hit["score"] > 0.3
    assert retrieve.name == "retrieve"


WITHOUT_EXTRA = (
    "import sys; sys.modules['sentence_transformers'] = None; "
    "from agentkit.cli import main; sys.argv = ['agentkit'] + sys.argv[1:]; main()"
)


def agentkit_without_extra(home, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line in an environment where sentence-transformers cannot be imported."""
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env(home),
    )


def test_missing_dense_extra_is_a_one_line_install_hint(topics, isolated_agentkit):
    completed = agentkit_without_extra(isolated_agentkit, "index", "add", str(topics), "--dense")
    assert completed.returncode == 1 and completed.stdout == ""
    assert completed.stderr.strip() == (
        "Error: dense retrieval needs the 'dense' extra: pip install 'agentkit-retriever[dense]'"
    )
    assert not index_file(isolated_agentkit).exists()


def test_dense_index_without_the_extra_falls_back_to_bm25_and_says_so(topics, isolated_agentkit):
    update_index(None, [topics], dense_vectors=True)
    home = isolated_agentkit
    completed = agentkit_without_extra(home, "index", "search", "database file", "--json")
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["mode"] == "bm25" and result["hits"][0]["title"] == "Storage"
    assert "dense extra is missing" in result["note"]
    explicit = agentkit_without_extra(home, "index", "search", "car", "--mode", "dense")
    assert explicit.returncode == 1
    assert explicit.stderr.strip().endswith("pip install 'agentkit-retriever[dense]'")


def test_dense_searches_from_many_threads_at_once(topics):
    update_index(None, [topics], dense_vectors=True)
    queries = ["car", "tropical fruit", "database on disk", "garage"] * 3
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        firsts = list(pool.map(lambda q: names(q, mode="dense")[0], queries))
    assert firsts[:4] == ["vehicles.md", "fruit.md", "storage.md", "vehicles.md"]
    assert firsts == firsts[:4] * 3


def test_dense_search_through_the_command_line(topics, isolated_agentkit):
    def agentkit_cli(*args: str) -> dict:
        completed = subprocess.run(
            [str(AGENTKIT), *args, "--json"],
            capture_output=True,
            text=True,
            timeout=300,
            env=cli_env(isolated_agentkit),
        )
        assert completed.returncode == 0, completed.stderr
        return json.loads(completed.stdout)

    assert agentkit_cli("index", "add", str(topics), "--dense")["embedded"] == 3
    result = agentkit_cli("index", "search", "car", "-k", "1")
    assert result["mode"] == "hybrid" and result["hits"][0]["title"] == "Vehicles"
