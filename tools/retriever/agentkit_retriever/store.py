"""Index files: where they live, their schema, and opening them.

An index is one SQLite file, ``$AGENTKIT_HOME/indexes/<name>.db`` by default; a value
with a slash or ending in ``.db`` names a file anywhere instead. The file is marked with
an application id, so a search never reads (let alone migrates) a database that is not
an index. WAL mode and a busy timeout let searches run while an update writes.

Text lives once, in ``chunks``; ``chunks_fts`` is an FTS5 *external-content* table
over it, kept in step by the code that writes chunks (not by triggers: with
``trusted_schema`` off, which guards against a crafted database file, a trigger may
not write to a virtual table). Contentless would also store no second copy, but
``snippet()`` needs the text, and external content reads it from ``chunks``. The
tokenizer is ``porter`` over ``unicode61``: unicode61 folds case and diacritics in every
script, and the Porter stemmer lets "proofs" find "proof" and "running" find "run".
Vectors for dense retrieval are float32 blobs in ``embeddings``; the model that made
them and their dimension are index-wide settings in ``meta``.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agentkit.config import home
from agentkit.errors import did_you_mean
from agentkit.store import Migration, apply_migrations
from agentkit_retriever.errors import RetrieverError

APPLICATION_ID = 0x616B7278  # "akrx"
BUSY_TIMEOUT_MS = 30_000
DEFAULT_INDEX = "default"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Append a migration; they run in the order they are defined, once per index."""
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_files_chunks_fts(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("CREATE TABLE roots (path TEXT PRIMARY KEY, field TEXT, added REAL NOT NULL)")
    db.execute(
        """CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            hash TEXT NOT NULL,
            mtime REAL NOT NULL,
            size INTEGER NOT NULL,
            chunking TEXT NOT NULL,
            indexed REAL NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            file_id INTEGER NOT NULL REFERENCES files(id),
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            start_line INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            text TEXT NOT NULL,
            meta TEXT
        )"""
    )
    db.execute("CREATE INDEX chunks_by_file ON chunks(file_id)")
    db.execute(
        """CREATE VIRTUAL TABLE chunks_fts USING fts5(
            title, text, content='chunks', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        )"""
    )
    # Titles (heading paths, definition names) weigh twice as much as body text.
    db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('rank', 'bm25(2.0, 1.0)')")
    db.execute("CREATE TABLE embeddings (chunk_id INTEGER PRIMARY KEY, vector BLOB NOT NULL)")


def index_path(where: str | None = None) -> Path:
    """The file of the index named ``where`` (a name, or a path with a slash or ``.db``)."""
    where = where or DEFAULT_INDEX
    if "/" in where or where.endswith(".db"):
        return Path(os.path.normpath(Path(where).expanduser().absolute()))
    if not NAME.match(where):
        raise RetrieverError(
            f"bad index name {where!r}: use letters, digits, '_', '-' or '.' "
            "(or a path to a .db file)"
        )
    return indexes_dir() / f"{where}.db"


def indexes_dir() -> Path:
    return home() / "indexes"


def index_names() -> list[str]:
    """The names of the indexes in the default directory."""
    return sorted(p.stem for p in indexes_dir().glob("*.db")) if indexes_dir().is_dir() else []


@dataclass(frozen=True)
class Stats:
    path: str
    files: int
    chunks: int
    vectors: int
    roots: list[str]
    model: str | None
    size_bytes: int
    updated: float | None

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class Index:
    """An open index: one connection, for the thread that opened it."""

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self.db = db

    @classmethod
    def open(cls, where: str | None = None, *, create: bool = False) -> Index:
        """Open the index ``where`` names; with ``create``, make it if it does not exist."""
        path = index_path(where)
        if not path.exists() and not create:
            raise RetrieverError(_missing(where, path))
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                f"{path.as_uri()}?mode={'rwc' if create else 'rw'}",
                uri=True,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            index = cls(path, db)
            index._prepare()
        except sqlite3.Error as exc:
            raise RetrieverError(f"cannot open the index at {path}: {exc}") from None
        return index

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _prepare(self) -> None:
        db = self.db
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA trusted_schema=OFF")
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        is_empty = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        if app_id != APPLICATION_ID and not is_empty:
            raise RetrieverError(f"{self.path} is not an agentkit index")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def _migrate(self) -> None:
        db = self.db
        if db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
            done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
            if all(step.__name__ in done for step in MIGRATIONS):
                return
        with self.transaction() as tx:
            tx.execute(f"PRAGMA application_id={APPLICATION_ID}")
            apply_migrations(tx, MIGRATIONS)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything in it lands, or nothing does."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query in it sees the index as of one moment."""
        self.db.execute("BEGIN")
        try:
            yield self.db
        finally:
            self.db.execute("COMMIT")

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def touch(self, db: sqlite3.Connection) -> None:
        """Record a change: searches drop their cached vectors when ``generation`` moves."""
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
        self.set_meta(db, "updated", repr(time.time()))

    def stats(self) -> Stats:
        def count(table: str) -> int:
            return int(self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

        updated = self.meta("updated")
        return Stats(
            path=str(self.path),
            files=count("files"),
            chunks=count("chunks"),
            vectors=count("embeddings"),
            roots=[row[0] for row in self.db.execute("SELECT path FROM roots ORDER BY path")],
            model=self.meta("model"),
            size_bytes=sum(p.stat().st_size for p in _files_of(self.path)),
            updated=float(updated) if updated else None,
        )


def remove_index(where: str) -> Path:
    """Delete an index file (and its WAL files); the path it was at."""
    path = index_path(where)
    if not path.exists():
        raise RetrieverError(_missing(where, path))
    with Index.open(where):  # refuses to delete a file that is not an index
        pass
    delete_index_files(path)
    return path


def delete_index_files(path: Path) -> None:
    """Unlink an index file and its WAL companions (no check that it is an index)."""
    for file in _files_of(path):
        file.unlink(missing_ok=True)


def _files_of(path: Path) -> list[Path]:
    candidates = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return [p for p in candidates if p.exists()]


def _missing(where: str | None, path: Path) -> str:
    if where and ("/" in where or where.endswith(".db")):
        return f"no index at {path}"
    name = where or DEFAULT_INDEX
    hint = did_you_mean(name, index_names())
    return f"no index named '{name}'{hint} (create it with: agentkit index add PATH --index {name})"
