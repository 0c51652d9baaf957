"""Small corpora for the retriever tests."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

DOCS = {
    "guide.md": "# Proofs\n\nA proof assistant checks every step of a proof.\n\n"
    "# Storage\n\nSQLite keeps the index in a single file with full text search.\n",
    "notes.txt": "Bananas are yellow fruit that grow in tropical climates.\n",
    "code/tool.py": '"""Tools."""\n\n\ndef tokenize(text):\n    return text.split()\n',
}


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def rows(index_file: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Query an index file directly, as an outside observer."""
    db = sqlite3.connect(index_file)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def index_file(home: Path, name: str = "default") -> Path:
    return home / "indexes" / f"{name}.db"


def cli_env(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AGENTKIT_HOME": str(home),
        "AGENTKIT_LOAD_PLUGINS": "retriever",
        "HF_HUB_OFFLINE": "1",
    }
