"""What reaches the disk stays the user's: AGENTKIT_HOME 0700, the database and its
WAL files 0600, and no credential inside a URL in the store or in a printed error."""

from __future__ import annotations

import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from agentkit.redact import redact
from agentkit.store import Store

AGENTKIT = Path(sys.executable).with_name("agentkit")
PASSWORD = "hunter2-not-for-logs"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_home_is_made_0700_and_the_database_and_its_wal_files_0600(tmp_path, monkeypatch):
    home = tmp_path / "fresh" / "home"
    monkeypatch.setenv("AGENTKIT_HOME", str(home))
    store = Store()
    store.start_run("tool", "x", input={"a": 1})  # an open connection keeps -wal and -shm
    assert mode(home) == 0o700
    names = {path.name: mode(path) for path in home.iterdir()}
    assert names == {"agentkit.db": 0o600, "agentkit.db-wal": 0o600, "agentkit.db-shm": 0o600}
    store.close()


def test_an_existing_loose_home_and_database_are_tightened(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    Store(home / "agentkit.db").close()
    (home / "agentkit.db").chmod(0o644)
    monkeypatch.setenv("AGENTKIT_HOME", str(home))
    Store().close()
    assert (mode(home), mode(home / "agentkit.db")) == (0o700, 0o600)


def test_a_shared_directory_holding_a_store_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTKIT_HOME", str(tmp_path / "home"))
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    Store(shared / "runs.db").close()
    assert mode(shared) == 0o755 and mode(shared / "runs.db") == 0o600


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"cannot reach http://user:{PASSWORD}@127.0.0.1:9/v1", "http://[REDACTED]@127.0.0.1:9/v1"),
        (f"https://u:p@ss{PASSWORD}@host/v1", "https://[REDACTED]@host/v1"),
        (f"GET https://h/x?api_key={PASSWORD}&q=1", "https://h/x?api_key=[REDACTED]&q=1"),
        (f"https://h/x?X-Amz-Signature={PASSWORD}", "X-Amz-Signature=[REDACTED]"),
        (f"https://h/cb#access_token={PASSWORD}&n=2", "#access_token=[REDACTED]&n=2"),
        (f"wss://h/?token={PASSWORD}", "wss://h/?token=[REDACTED]"),
        (f"Authorization: token {PASSWORD}", "Authorization: [REDACTED]"),
    ],
)
def test_credentials_in_urls_and_headers_are_redacted(text, kept):
    redacted = redact(text)
    assert PASSWORD not in redacted and kept in redacted


def test_urls_without_credentials_are_kept():
    text = "see https://example.com/a@b?q=key&page=2 and mail a@b.c"
    assert redact(text) == text


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_endpoint_password_reaches_neither_the_store_nor_stderr(tmp_path):
    home = tmp_path / "home"
    env = {
        "AGENTKIT_HOME": str(home),
        "AGENTKIT_LOAD_PLUGINS": "",
        "AGENTKIT_MODEL": "fake-model",
        "OPENAI_BASE_URL": f"http://agent:{PASSWORD}@127.0.0.1:{closed_port()}/v1",
        "OPENAI_API_KEY": "not-a-secret-here",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [str(AGENTKIT), "solve", "what is 2 + 2?"], capture_output=True, env=env, timeout=120
    )
    assert result.returncode == 1
    assert b"cannot reach the model endpoint" in result.stderr
    assert b"127.0.0.1" in result.stderr and PASSWORD.encode() not in result.stderr
    assert PASSWORD.encode() not in result.stdout
    stored = [path.read_bytes() for path in home.iterdir() if path.name.startswith("agentkit.db")]
    assert stored and all(PASSWORD.encode() not in data for data in stored)
    store = Store(home / "agentkit.db")
    [run] = store.list_runs()
    [call] = [event for event in store.events(run["id"]) if event["type"] == "model_call"]
    assert "http://[REDACTED]@127.0.0.1" in call["payload"]["error"]
