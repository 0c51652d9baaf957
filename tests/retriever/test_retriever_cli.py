"""``agentkit index`` and ``agentkit tools call retrieve`` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from retriever_helpers import DOCS, cli_env, write_tree

AGENTKIT = Path(sys.executable).with_name("agentkit")


def agentkit(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AGENTKIT), *args], capture_output=True, text=True, timeout=120, env=cli_env(home)
    )


def ok_json(home: Path, *args: str):
    completed = agentkit(home, *args, "--json")
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def one_line_error(completed: subprocess.CompletedProcess[str]) -> str:
    assert completed.returncode == 1
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), completed.stderr
    return lines[0]


@pytest.fixture
def corpus(tmp_path):
    return write_tree(tmp_path / "corpus", DOCS)


def test_add_search_list_remove_round_trip(corpus, isolated_agentkit):
    home = isolated_agentkit
    added = ok_json(home, "index", "add", str(corpus))
    assert (added["added"], added["files_total"], added["chunks_total"]) == (3, 3, 5)
    again = ok_json(home, "index", "add")  # no PATH: rescan what is recorded
    assert (again["added"], again["unchanged"], again["chunks"]) == (0, 3, 0)

    found = ok_json(home, "index", "search", "single file full text", "-k", "1")
    [hit] = found["hits"]
    assert found["mode"] == "bm25" and hit["path"] == str(corpus / "guide.md")
    assert (hit["start_line"], hit["end_line"], hit["title"]) == (5, 7, "Storage")

    [listed] = ok_json(home, "index", "list")
    assert (listed["name"], listed["files"], listed["chunks"]) == ("default", 3, 5)
    assert listed["size_bytes"] > 0 and listed["roots"] == [str(corpus)]

    assert ok_json(home, "index", "remove", "default") == {"removed": listed["path"]}
    error = one_line_error(agentkit(home, "index", "search", "file"))
    assert error.startswith("Error: no index named 'default'")


def test_human_output_names_path_lines_and_title(corpus, isolated_agentkit):
    home = isolated_agentkit
    added = agentkit(home, "index", "add", str(corpus), "--index", "notes")
    assert added.returncode == 0 and "3 added, 0 updated, 0 unchanged, 0 removed" in added.stdout
    found = agentkit(home, "index", "search", "proof assistant", "--index", "notes")
    assert found.returncode == 0
    first, snippet = found.stdout.splitlines()[:2]
    assert first.startswith(f"1. {corpus / 'guide.md'}:1-3  Proofs  (bm25 ")
    assert "**proof**" in snippet
    listed = agentkit(home, "index", "list")
    assert listed.stdout.split("\n")[1].split()[:3] == ["notes", "3", "5"]


def test_tool_call_through_the_command_line(corpus, isolated_agentkit):
    home = isolated_agentkit
    ok_json(home, "index", "add", str(corpus))
    arguments = json.dumps({"query": "yellow tropical fruit", "k": 2})
    result = ok_json(home, "tools", "call", "retrieve", "--args", arguments)
    assert result["ok"] is True
    assert result["output"]["hits"][0]["path"] == str(corpus / "notes.txt")
    tools = ok_json(home, "tools")
    [described] = [t for t in tools if t["name"] == "retrieve"]
    assert described["plugin"] == "retriever"
    assert set(described["parameters"]["properties"]) == {"query", "k", "index", "mode"}


def test_tool_failures_are_results_not_crashes(corpus, isolated_agentkit):
    home = isolated_agentkit
    ok_json(home, "index", "add", str(corpus))
    for arguments, error in [
        ({"query": "*"}, "the query has no words to search for"),
        ({"query": "x", "index": "nope"}, "no index named 'nope'"),
        ({"query": "x", "k": 0}, "k must be at least 1"),
        ({"query": "x", "mode": "dense"}, "has no vectors for mode 'dense'"),
    ]:
        completed = agentkit(
            home, "tools", "call", "retrieve", "--args", json.dumps(arguments), "--json"
        )
        assert completed.returncode == 1
        result = json.loads(completed.stdout)
        assert result["ok"] is False and error in result["error"], result


def test_bad_input_is_one_line_on_stderr(tmp_path, isolated_agentkit):
    home = isolated_agentkit
    missing = one_line_error(agentkit(home, "index", "add", str(tmp_path / "nope")))
    assert missing == f"Error: no such file or directory: {tmp_path / 'nope'}"
    data = write_tree(tmp_path, {"qa.jsonl": '{"q": "x"}\n'}) / "qa.jsonl"
    bad_field = one_line_error(agentkit(home, "index", "add", str(data), "--field", "body"))
    assert bad_field.endswith("qa.jsonl: no JSON record has the field 'body' (fields seen: q)")
    nothing = one_line_error(agentkit(home, "index", "add"))
    assert "no index named 'default'" in nothing
    bad_mode = agentkit(home, "index", "search", "x", "--mode", "fuzzy")
    assert bad_mode.returncode == 2 and "'fuzzy' is not one of" in bad_mode.stderr
    assert not (home / "indexes" / "default.db").exists()


def test_index_help_lists_its_commands(isolated_agentkit):
    completed = agentkit(isolated_agentkit, "index", "--help")
    assert completed.returncode == 0
    for command in ("add", "search", "list", "remove"):
        assert f"  {command} " in completed.stdout


def test_list_shows_a_broken_index_without_hiding_the_others(corpus, isolated_agentkit):
    home = isolated_agentkit
    ok_json(home, "index", "add", str(corpus), "--index", "good")
    (home / "indexes" / "broken.db").write_text("not a database " * 100)
    listed = {row["name"]: row for row in ok_json(home, "index", "list")}
    assert listed["good"]["chunks"] == 5
    assert "file is not a database" in listed["broken"]["error"]
